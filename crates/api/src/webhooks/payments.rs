//! `POST /webhooks/payments`: a payment provider reports a payment.
//!
//! The body (JSON, signed as a whole, see [`crate::signature`]):
//!
//! ```json
//! {
//!   "id": "evt_1",                      // the provider's event id: replay protection key
//!   "type": "payment.succeeded",        // other types are answered 200 "ignored" (recorded)
//!   "created": 1900000000,              // unix seconds (optional; paid_at's fallback)
//!   "data": {
//!     "booking_id": "01J…",             // the Holdfast booking
//!     "amount_minor": 12345,            // minor units, >= 0
//!     "currency": "EUR",                // ISO 4217
//!     "reference": "pi_123",            // the provider's payment reference
//!     "provider": "stripe",             // optional, default "payments-webhook"
//!     "paid_at": "2030-01-07T09:00:00Z" // optional, RFC 3339; default `created`, else now
//!   }
//! }
//! ```
//!
//! Processing is [`BookingSteps::confirm_payment`]: a payment for a Held booking confirms it
//! and allocates; a payment that can no longer confirm it is recorded by the domain as a late
//! payment with a refund due (the booking worker then rechecks or refunds). Either way the
//! provider gets 200 `processed` with the booking's status: the money is accounted for. The
//! commands carry the metadata `principal = webhook:payments`, `idempotency_key = <event id>`.
//! See [`super`] for every refusal.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use holdfast_domain::booking::{Booking, BookingStatus, Label};
use holdfast_domain::common::{BookingId, Currency, Money};
use metrics::counter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::WebhookError;
use super::replay::{Begin, Outcome, ReplayStore};
use crate::error::{ApiError, ErrorCode};
use crate::process::lifecycle::{BookingSteps, PaymentReport};
use crate::process::{current, metadata};
use crate::signature::{self, SignatureError};
use crate::state::AppState;

/// The event type that reports a payment.
pub const PAYMENT_SUCCEEDED: &str = "payment.succeeded";
/// The provider label recorded when the body names none.
pub const DEFAULT_PROVIDER: &str = "payments-webhook";
/// The principal recorded in the metadata of the commands a webhook sends.
pub const PRINCIPAL: &str = "webhook:payments";

/// The envelope of every delivery.
#[derive(Debug, Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    data: Value,
}

/// `data` of `payment.succeeded`.
#[derive(Debug, Deserialize)]
struct PaymentData {
    booking_id: String,
    amount_minor: i64,
    currency: String,
    reference: String,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    paid_at: Option<String>,
}

fn malformed(message: impl Into<String>) -> WebhookError {
    WebhookError::new(StatusCode::BAD_REQUEST, "MALFORMED", message)
}

fn count(outcome: &'static str) {
    counter!("holdfast_payment_webhooks_total", "outcome" => outcome).increment(1);
}

/// `BookingStatus` as the API spells it (`CHECKED_IN`).
pub fn status_name(status: BookingStatus) -> String {
    let mut out = String::new();
    for (i, c) in format!("{status:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

impl Envelope {
    fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let envelope: Envelope = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("the body is not a webhook event: {e}")))?;
        let id_ok = !envelope.id.is_empty()
            && envelope.id.len() <= 255
            && !envelope.id.chars().any(char::is_control);
        if !id_ok {
            return Err(malformed("id: must be 1..=255 characters, no control ones"));
        }
        if envelope.event_type.is_empty() || envelope.event_type.len() > 255 {
            return Err(malformed("type: must be 1..=255 characters"));
        }
        Ok(envelope)
    }

    fn payment(&self, now: DateTime<Utc>) -> Result<(BookingId, PaymentReport), WebhookError> {
        let data: PaymentData = serde_json::from_value(self.data.clone())
            .map_err(|e| malformed(format!("data: {e}")))?;
        let booking = BookingId::parse(&data.booking_id)
            .map_err(|e| malformed(format!("data.booking_id: {e}")))?;
        let currency = Currency::parse(&data.currency)
            .map_err(|e| malformed(format!("data.currency: {e}")))?;
        let amount = Money::non_negative(data.amount_minor, currency)
            .map_err(|e| malformed(format!("data.amount_minor: {e}")))?;
        let label = |field: &str, text: &str| {
            Label::parse(text).map_err(|e| malformed(format!("data.{field}: {e}")))
        };
        let paid_at = match (&data.paid_at, self.created) {
            (Some(text), _) => DateTime::parse_from_rfc3339(text)
                .map(|t| t.to_utc())
                .map_err(|e| malformed(format!("data.paid_at: {e}")))?,
            (None, Some(created)) => DateTime::from_timestamp(created, 0)
                .ok_or_else(|| malformed("created: out of range"))?,
            (None, None) => now,
        };
        Ok((
            booking,
            PaymentReport {
                provider: label(
                    "provider",
                    data.provider.as_deref().unwrap_or(DEFAULT_PROVIDER),
                )?,
                reference: label("reference", &data.reference)?,
                amount,
                paid_at,
            },
        ))
    }
}

/// The handler of `POST /webhooks/payments`.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, WebhookError> {
    let Some(config) = state.payments_webhook.as_deref() else {
        count("disabled");
        return Err(WebhookError::new(
            StatusCode::NOT_FOUND,
            "WEBHOOK_DISABLED",
            "the payments webhook is not configured (set HOLDFAST_PAYMENTS_WEBHOOK_SECRET)",
        ));
    };
    let now = state.services.clock.now();
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = signature::verify(&config.secret, header, body, now, config.tolerance) {
        count("unauthorized");
        let code = match e {
            SignatureError::Expired { .. } => "SIGNATURE_EXPIRED",
            _ => "SIGNATURE_INVALID",
        };
        return Err(WebhookError::new(
            StatusCode::UNAUTHORIZED,
            code,
            e.to_string(),
        ));
    }
    let envelope = Envelope::parse(body).inspect_err(|_| count("malformed"))?;
    let replay = ReplayStore::new(&state.store);
    let api = |e: ApiError| api_error(&e);
    if envelope.event_type != PAYMENT_SUCCEEDED {
        return match replay
            .begin(&envelope.id, &envelope.event_type, None, now)
            .await
            .map_err(api)?
        {
            Begin::New => {
                replay
                    .finish(&envelope.id, Outcome::Ignored, None)
                    .await
                    .map_err(api)?;
                count("ignored");
                tracing::info!(event_id = %envelope.id, event_type = %envelope.event_type, "payments webhook: type ignored");
                Ok(json!({"status": "ignored", "event_id": envelope.id}))
            }
            other => repeated(&envelope.id, other),
        };
    }
    let (booking_id, payment) = envelope.payment(now).inspect_err(|_| count("malformed"))?;
    let booking_text = booking_id.to_string();
    match replay
        .begin(&envelope.id, &envelope.event_type, Some(&booking_text), now)
        .await
        .map_err(api)?
    {
        Begin::New => {}
        other => return repeated(&envelope.id, other),
    }
    let outcome = process(state, &envelope.id, booking_id, payment).await;
    let recorded = match &outcome {
        Ok(_) => replay.finish(&envelope.id, Outcome::Processed, None).await,
        Err(e) if e.retry => replay.abandon(&envelope.id).await,
        Err(e) => {
            replay
                .finish(&envelope.id, Outcome::Rejected, Some(&e.error.code))
                .await
        }
    };
    if let Err(e) = recorded {
        // The step ran (idempotently); only its record failed: the provider retries, and the
        // retry finds the payment already recorded.
        tracing::warn!(event_id = %envelope.id, error = ?e, "payments webhook: outcome not recorded");
        count("retry");
        return Err(api_error(&e));
    }
    match outcome {
        Ok(answer) => {
            count("processed");
            Ok(answer)
        }
        Err(e) => {
            count(if e.retry { "retry" } else { "rejected" });
            Err(e.error)
        }
    }
}

/// The answer to an id seen before.
fn repeated(event_id: &str, begin: Begin) -> Result<Value, WebhookError> {
    match begin {
        Begin::Duplicate { outcome, code } => {
            count("duplicate");
            Ok(json!({"status": "duplicate", "event_id": event_id,
                      "outcome": outcome.as_str(), "code": code}))
        }
        Begin::InFlight | Begin::New => {
            count("retry");
            Err(WebhookError::new(
                StatusCode::CONFLICT,
                "IN_PROGRESS",
                "another delivery of this event is being processed; retry",
            ))
        }
    }
}

struct Failure {
    error: WebhookError,
    /// Transient: the record is dropped so that the provider's retry runs again.
    retry: bool,
}

async fn process(
    state: &AppState,
    event_id: &str,
    id: BookingId,
    payment: PaymentReport,
) -> Result<Value, Failure> {
    let fail = |e: &ApiError| Failure {
        error: api_error(e),
        retry: retryable(e),
    };
    let booking: Booking = current(state, &id.to_string())
        .await
        .map_err(|e| fail(&e))?;
    if booking.status().is_none() {
        return Err(fail(&ApiError::not_found("booking")));
    }
    let reference = payment.reference.clone();
    let steps = BookingSteps::new(state, metadata(PRINCIPAL, event_id));
    let result = steps.confirm_payment(id, payment).await;
    let (booking, note) = match result {
        Ok(step) => (step.booking, None),
        Err(e) => {
            // The payment may be recorded even though the step failed afterwards (the hold was
            // gone: the booking was cancelled with a refund due): it is accounted for.
            let after: Booking = current(state, &id.to_string())
                .await
                .map_err(|e| fail(&e))?;
            let recorded = after
                .payment()
                .into_iter()
                .chain(after.late_payments())
                .any(|p| p.reference == reference);
            if !recorded {
                return Err(fail(&e));
            }
            (after, Some(e.code.as_str()))
        }
    };
    let status = booking.status().map(status_name);
    tracing::info!(%event_id, booking_id = %id, status = ?status, "payments webhook: processed");
    Ok(json!({
        "status": "processed",
        "event_id": event_id,
        "booking_id": id.to_string(),
        "booking_status": status,
        "note": note,
    }))
}

/// Whether the provider should retry: transient failures, and a booking not payable *yet*.
fn retryable(e: &ApiError) -> bool {
    e.code.retryable() || matches!(e.code, ErrorCode::Internal | ErrorCode::InvalidState)
}

/// An [`ApiError`] as a webhook answer.
fn api_error(e: &ApiError) -> WebhookError {
    let status = match e.code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict | ErrorCode::InvalidState => StatusCode::CONFLICT,
        ErrorCode::Unavailable | ErrorCode::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    WebhookError::new(status, e.code.as_str(), e.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_spelled_like_the_api() {
        assert_eq!(status_name(BookingStatus::CheckedIn), "CHECKED_IN");
        assert_eq!(status_name(BookingStatus::Confirmed), "CONFIRMED");
        assert_eq!(status_name(BookingStatus::NoShow), "NO_SHOW");
    }

    #[test]
    fn a_payment_body_parses_with_defaults() {
        let id = BookingId::new();
        let body = json!({"id": "evt_1", "type": PAYMENT_SUCCEEDED, "created": 1_900_000_000,
            "data": {"booking_id": id.to_string(), "amount_minor": 100, "currency": "EUR",
                     "reference": "pi_1"}});
        let envelope = Envelope::parse(body.to_string().as_bytes()).unwrap();
        let (booking, payment) = envelope.payment(Utc::now()).unwrap();
        assert_eq!(booking, id);
        assert_eq!(payment.provider.as_str(), DEFAULT_PROVIDER);
        assert_eq!(payment.paid_at.timestamp(), 1_900_000_000);
        for bad in [
            json!({"id": "", "type": "x"}),
            json!({"type": "x"}),
            json!([1]),
        ] {
            let e = Envelope::parse(bad.to_string().as_bytes()).unwrap_err();
            assert_eq!(e.code, "MALFORMED", "{bad}");
        }
        let bad_amount = json!({"id": "e", "type": PAYMENT_SUCCEEDED,
            "data": {"booking_id": id.to_string(), "amount_minor": -1, "currency": "EUR",
                     "reference": "pi"}});
        let e = Envelope::parse(bad_amount.to_string().as_bytes())
            .unwrap()
            .payment(Utc::now())
            .unwrap_err();
        assert!(e.message.contains("amount_minor"), "{}", e.message);
    }
}
