//! What the plain HTTP routes (calendars, downloads) share: JSON refusals `{"code",
//! "message"}` with the status of their code, and the bearer token's principal.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use holdfast_engine::{EngineError, ErrorCode, Principal};
use serde_json::json;

use crate::state::AppState;

/// A refusal: `status` with `{"code", "message"}`.
pub fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// An engine error as a refusal (503 for `UNAVAILABLE`, 400 for `INVALID_INPUT`, 404 for
/// `NOT_FOUND`, else 500).
pub fn engine_error(e: &EngineError) -> Response {
    let status = match e.code {
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refusal(status, e.code.as_str(), &e.message)
}

/// The signed-in caller of a request (`Authorization: Bearer …`), or a 401.
#[allow(clippy::result_large_err)]
pub fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.auth.authenticate(authorization) {
        Ok(p) if !matches!(p, Principal::Anonymous) => Ok(p),
        _ => Err(refusal(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid bearer token is needed",
        )),
    }
}
