//! Webhooks Holdfast receives, as HTTP: `POST /webhooks/payments`, a payment provider's
//! signed report that a booking was paid. What it means, how it is verified and every
//! refusal are [`holdfast_engine::payments`]'s; this adapter reads the signature header and
//! the body and maps the answer to HTTP.
//!
//! Every answer is JSON. Successes are 200 with the engine's answer; refusals are
//! `{"code": "…", "message": "…"}` with the status of their kind:
//!
//! | kind | status |
//! |---|---|
//! | `Disabled`, `NotFound` | 404 |
//! | `Unauthorized` | 401 |
//! | `Malformed` | 400 |
//! | `Conflict` | 409 |
//! | `Unprocessable` | 422 |
//! | `Unavailable` | 503 |
//! | `Internal` | 500 |
//!
//! A body over [`crate::MAX_BODY_BYTES`] is a 413 before it gets here.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use holdfast_engine::Engine;
use holdfast_engine::payments::{self, Refusal, RefusalKind};
use holdfast_engine::signature;
use serde_json::json;

/// The HTTP status of a refusal.
pub fn status(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Disabled | RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::Unauthorized => StatusCode::UNAUTHORIZED,
        RefusalKind::Malformed => StatusCode::BAD_REQUEST,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        RefusalKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn refusal(e: Refusal) -> Response {
    (
        status(e.kind),
        Json(json!({"code": e.code, "message": e.message})),
    )
        .into_response()
}

/// `POST /webhooks/payments`.
pub async fn payments(State(engine): State<Engine>, headers: HeaderMap, body: Bytes) -> Response {
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    match payments::receive(&engine, header, &body).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => refusal(e),
    }
}
