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

/// What the built-in test checkout's "Pay" button sends (`holdfast_web::Checkout::Test`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestPayment {
    /// The amount the page showed, in minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: String,
    /// The page's payment attempt: pressing "Pay" twice reports one payment.
    pub attempt: String,
}

/// `POST /checkout/test/<booking>`: the test checkout reports a payment as a provider would —
/// a `payment.succeeded` delivery signed with the webhook's secret, through the same
/// verification and processing as `POST /webhooks/payments`, answered the same way. 404
/// `CHECKOUT_DISABLED` unless the test checkout is on.
pub async fn test_checkout(
    State(state): State<crate::AppState>,
    axum::extract::Path(booking): axum::extract::Path<String>,
    body: Result<Json<TestPayment>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let disabled = || {
        refusal(Refusal::new(
            RefusalKind::NotFound,
            "CHECKOUT_DISABLED",
            "the test checkout is off on this server",
        ))
    };
    if state.web.checkout != holdfast_web::Checkout::Test {
        return disabled();
    }
    let Some(config) = state.engine.payments_webhook.as_deref() else {
        return disabled();
    };
    let payment = match body {
        Ok(Json(payment)) => payment,
        Err(e) => {
            return refusal(Refusal::new(
                RefusalKind::Malformed,
                "MALFORMED",
                e.body_text(),
            ));
        }
    };
    let attempt: String = payment
        .attempt
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    if attempt.is_empty() {
        return refusal(Refusal::new(
            RefusalKind::Malformed,
            "MALFORMED",
            "the payment attempt has no id",
        ));
    }
    let now = state.engine.services.clock.now();
    let delivery = json!({
        "id": format!("test_{booking}_{attempt}"),
        "type": "payment.succeeded",
        "created": now.timestamp(),
        "data": {
            "booking_id": booking,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "reference": format!("test_{attempt}"),
            "provider": "holdfast-test-checkout",
        }
    })
    .to_string();
    let header = signature::header_value(&config.secret, now, delivery.as_bytes());
    match payments::receive(&state.engine, Some(&header), delivery.as_bytes()).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => refusal(e),
    }
}
