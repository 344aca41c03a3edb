//! The notifications outbox: from the event log to sinks, at least once, deduplicated.
//!
//! - [`kind`]: which booking events become notifications (confirmed, cancelled, offered,
//!   expired, refunded, rejected, late payment), their stable ids and payloads.
//! - [`store`]: the tables (`notification_cursors`, `notification_deliveries`) on the event
//!   store's database, Postgres or SQLite.
//! - [`sink`]: the log sink (always on) and signed webhook sinks.
//! - [`outbox`]: [`Outbox`], the leased loop that enqueues and sends, with retries, backoff and
//!   dead-lettering.
//!
//! Operators see deliveries through GraphQL (`notificationDeliveries`, `retryNotification`)
//! and the CLI (`holdfast notifications list|retry`).

pub mod email;
pub mod kind;
pub mod messages;
pub mod outbox;
pub mod preferences;
pub mod sink;
pub mod sms;
pub mod store;

use holdfast_eventstore::EventStoreError;

pub use email::EmailSink;
pub use kind::{Notification, NotificationKind};
pub use outbox::{Outbox, OutboxHandle, OutboxOptions, OutboxState, OutboxStatus, StartAt};
pub use sink::{Sink, WebhookSink};
pub use sms::SmsSink;
pub use store::{Delivery, DeliveryFilter, DeliveryStatus, ListCursor, OutboxStore};

/// What can go wrong in the outbox.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The database failed.
    #[error("notifications: {0}")]
    Store(EventStoreError),
    /// A booking event does not decode: the outbox stops at it rather than skip it.
    #[error("cannot decode {event_type} at {position} into a notification: {reason}")]
    Decode {
        /// The event's type.
        event_type: String,
        /// Where it is in the log.
        position: String,
        /// The decoder's message.
        reason: String,
    },
    /// Another writer moved a sink's cursor (two outboxes without a lease).
    #[error("a notification cursor moved under this outbox")]
    CursorMoved,
    /// A stored row does not have the expected shape.
    #[error("notifications table is malformed: {0}")]
    Corrupt(String),
    /// A sink cannot be configured as given.
    #[error("invalid notification sink: {0}")]
    InvalidSink(String),
}

/// The store's errors are [`NotifyError::Store`], but for a stored value that does not parse
/// ([`EventStoreError::Malformed`]: an instant or a payload kept as text on SQLite), which is
/// [`NotifyError::Corrupt`] naming the column.
impl From<EventStoreError> for NotifyError {
    fn from(e: EventStoreError) -> Self {
        match e {
            EventStoreError::Malformed { column, reason } => {
                NotifyError::Corrupt(format!("{column}: {reason}"))
            }
            e => NotifyError::Store(e),
        }
    }
}

impl NotifyError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::Store(e) => e.is_transient(),
            NotifyError::CursorMoved => true,
            _ => false,
        }
    }
}

impl From<NotifyError> for crate::error::EngineError {
    fn from(e: NotifyError) -> Self {
        if e.is_transient() {
            tracing::warn!(error = %e, "notifications store unavailable");
            crate::error::EngineError::new(
                crate::error::ErrorCode::Unavailable,
                "the event store is unavailable; retry",
            )
        } else {
            crate::error::EngineError::internal(e)
        }
    }
}
