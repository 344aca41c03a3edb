//! Webhooks Holdfast receives.
//!
//! - [`payments`]: `POST /webhooks/payments`, a payment provider's report that a booking was
//!   paid, signed with a shared secret ([`crate::signature`]) and replay-protected by its
//!   timestamp and event id ([`replay`]).
//!
//! Every answer is JSON. Refusals are `{"code": "…", "message": "…"}` with these codes:
//!
//! | status | code | when | does the provider retry? |
//! |---|---|---|---|
//! | 404 | `WEBHOOK_DISABLED` | no secret is configured | yes (until configured) |
//! | 401 | `SIGNATURE_INVALID` | header missing, malformed, or no `v1` matches | yes |
//! | 401 | `SIGNATURE_EXPIRED` | signed more than the tolerance (300 s) from now | yes |
//! | 400 | `MALFORMED` | the body is not the documented JSON | yes |
//! | 404 | `NOT_FOUND` | the booking does not exist (recorded: a repeat is `duplicate`) | |
//! | 409 | `IN_PROGRESS` | another delivery of the same id is being processed | yes |
//! | 409 | `INVALID_STATE`, `CONFLICT` | not payable yet / a concurrent change: retry | yes |
//! | 422 | `PAYMENT_REJECTED`, … | a final domain refusal (recorded) | |
//! | 503 | `UNAVAILABLE` | the event store is down | yes |
//! | 413 | — | the body is over [`crate::MAX_BODY_BYTES`] | |
//!
//! Successes are 200: `{"status": "processed", …}`, `{"status": "ignored"}` (a type Holdfast
//! does not act on, recorded) or `{"status": "duplicate"}` (this id was handled before; nothing
//! runs again).

pub mod payments;
pub mod replay;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::json;

use crate::auth::Secret;

/// The default tolerance between a signature's timestamp and the clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::seconds(300);

/// How `POST /webhooks/payments` verifies deliveries.
#[derive(Clone, Debug)]
pub struct PaymentsWebhook {
    /// The shared secret the provider signs with.
    pub secret: Secret,
    /// Largest distance between the signature's timestamp and the domain clock.
    pub tolerance: Duration,
}

impl PaymentsWebhook {
    /// A webhook verified with `secret` and the default tolerance.
    pub fn new(secret: Secret) -> Self {
        Self {
            secret,
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Uses `tolerance` instead of [`DEFAULT_TOLERANCE`].
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }
}

/// A webhook refusal: a status and a JSON `{code, message}` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: String,
    /// A human-readable message.
    pub message: String,
}

impl WebhookError {
    /// A refusal.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response()
    }
}
