//! Payment providers' reports: a signed delivery (the HTTP adapter serves it at
//! `POST /webhooks/payments`) that a booking was paid, verified with a shared secret
//! ([`crate::signature`]) and replay-protected by its timestamp and event id ([`replay`]).
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
//! Every refusal is a [`Refusal`] with a [`RefusalKind`] the adapter turns into its status:
//!
//! | kind | code | when | does the provider retry? |
//! |---|---|---|---|
//! | `Disabled` | `WEBHOOK_DISABLED` | no secret is configured | yes (until configured) |
//! | `Unauthorized` | `SIGNATURE_INVALID` | header missing, malformed, or no `v1` matches | yes |
//! | `Unauthorized` | `SIGNATURE_EXPIRED` | signed more than the tolerance (300 s) from now | yes |
//! | `Malformed` | `MALFORMED` | the body is not the documented JSON | yes |
//! | `NotFound` | `NOT_FOUND` | the booking does not exist (recorded: a repeat is `duplicate`) | |
//! | `Conflict` | `IN_PROGRESS` | another delivery of the same id is being processed | yes |
//! | `Conflict` | `INVALID_STATE`, `CONFLICT` | not payable yet / a concurrent change: retry | yes |
//! | `Unprocessable` | `PAYMENT_REJECTED`, … | a final domain refusal (recorded) | |
//! | `Unavailable` | `UNAVAILABLE` | the event store is down | yes |
//!
//! Successes: `{"status": "processed", …}`, `{"status": "ignored"}` (a type Holdfast does not
//! act on, recorded) or `{"status": "duplicate"}` (this id was handled before; nothing runs
//! again).

pub mod replay;

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::booking::{Booking, BookingStatus, Label};
use holdfast_domain::common::{BookingId, Currency, Money};
use metrics::counter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Engine;
use crate::error::{EngineError, ErrorCode};
use crate::process::lifecycle::{BookingSteps, PaymentReport};
use crate::process::{current, metadata};
use crate::secret::Secret;
use crate::signature::{self, SignatureError};
use replay::{Begin, Outcome, ReplayStore};

/// The default tolerance between a signature's timestamp and the clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::seconds(300);

/// How payment reports are verified.
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

/// What kind of refusal a [`Refusal`] is (an HTTP adapter's status: 404, 401, 400, 404,
/// 409, 422, 503, 500).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// No secret is configured.
    Disabled,
    /// The signature is missing, wrong or expired.
    Unauthorized,
    /// The body is not the documented JSON.
    Malformed,
    /// The booking does not exist.
    NotFound,
    /// Not now: another delivery is in flight, or the booking is not payable yet.
    Conflict,
    /// A final domain refusal.
    Unprocessable,
    /// A dependency is down.
    Unavailable,
    /// A bug or corrupt data.
    Internal,
}

/// A refused delivery: a kind, a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What kind of refusal.
    pub kind: RefusalKind,
    /// The stable code.
    pub code: String,
    /// A human-readable message.
    pub message: String,
}

impl Refusal {
    /// A refusal.
    pub fn new(kind: RefusalKind, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

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

fn malformed(message: impl Into<String>) -> Refusal {
    Refusal::new(RefusalKind::Malformed, "MALFORMED", message)
}

fn count(outcome: &'static str) {
    counter!("holdfast_payment_webhooks_total", "outcome" => outcome).increment(1);
}

impl Envelope {
    fn parse(body: &[u8]) -> Result<Self, Refusal> {
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

    fn payment(&self, now: DateTime<Utc>) -> Result<(BookingId, PaymentReport), Refusal> {
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

/// Handles one delivery: `signature_header` is its `Holdfast-Signature` header, `body` its bytes.
/// Answers the JSON the provider gets with a success, or the refusal.
pub async fn receive(
    state: &Engine,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<Value, Refusal> {
    let Some(config) = state.payments_webhook.as_deref() else {
        count("disabled");
        return Err(Refusal::new(
            RefusalKind::Disabled,
            "WEBHOOK_DISABLED",
            "the payments webhook is not configured (set HOLDFAST_PAYMENTS_WEBHOOK_SECRET)",
        ));
    };
    let now = state.services.clock.now();
    if let Err(e) = signature::verify(
        &config.secret,
        signature_header,
        body,
        now,
        config.tolerance,
    ) {
        count("unauthorized");
        let code = match e {
            SignatureError::Expired { .. } => "SIGNATURE_EXPIRED",
            _ => "SIGNATURE_INVALID",
        };
        return Err(Refusal::new(RefusalKind::Unauthorized, code, e.to_string()));
    }
    let envelope = Envelope::parse(body).inspect_err(|_| count("malformed"))?;
    let replay = ReplayStore::new(&state.store);
    let api = |e: EngineError| api_error(&e);
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
fn repeated(event_id: &str, begin: Begin) -> Result<Value, Refusal> {
    match begin {
        Begin::Duplicate { outcome, code } => {
            count("duplicate");
            Ok(json!({"status": "duplicate", "event_id": event_id,
                      "outcome": outcome.as_str(), "code": code}))
        }
        Begin::InFlight | Begin::New => {
            count("retry");
            Err(Refusal::new(
                RefusalKind::Conflict,
                "IN_PROGRESS",
                "another delivery of this event is being processed; retry",
            ))
        }
    }
}

struct Failure {
    error: Refusal,
    /// Transient: the record is dropped so that the provider's retry runs again.
    retry: bool,
}

async fn process(
    state: &Engine,
    event_id: &str,
    id: BookingId,
    payment: PaymentReport,
) -> Result<Value, Failure> {
    let fail = |e: &EngineError| Failure {
        error: api_error(e),
        retry: retryable(e),
    };
    let booking: Booking = current(state, &id.to_string())
        .await
        .map_err(|e| fail(&e))?;
    if booking.status().is_none() {
        return Err(fail(&EngineError::not_found("booking")));
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
    let status = booking.status().map(BookingStatus::name);
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
fn retryable(e: &EngineError) -> bool {
    e.code.retryable() || matches!(e.code, ErrorCode::Internal | ErrorCode::InvalidState)
}

/// An [`EngineError`] as a webhook answer.
fn api_error(e: &EngineError) -> Refusal {
    let kind = match e.code {
        ErrorCode::NotFound => RefusalKind::NotFound,
        ErrorCode::InvalidInput => RefusalKind::Malformed,
        ErrorCode::Conflict | ErrorCode::InvalidState => RefusalKind::Conflict,
        ErrorCode::Unavailable | ErrorCode::Timeout => RefusalKind::Unavailable,
        ErrorCode::Internal => RefusalKind::Internal,
        _ => RefusalKind::Unprocessable,
    };
    Refusal::new(kind, e.code.as_str(), e.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

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
