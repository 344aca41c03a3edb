//! Replay protection of provider webhooks: the `payment_webhook_events` table, one row per
//! provider event id (see the migration `0004`).
//!
//! [`ReplayStore::begin`] inserts the id with no outcome (insert-or-ignore): the caller that
//! inserted it processes the event, then [`ReplayStore::finish`] records the outcome, or
//! [`ReplayStore::abandon`] deletes the row after a transient failure so that the provider's
//! retry processes it again. A row still without outcome after [`IN_FLIGHT_TIMEOUT`] (its
//! processing crashed) is taken over by the next delivery; that is safe because the step it
//! runs is idempotent by payment reference.

use chrono::{DateTime, Duration, Utc};
use holdfast_eventstore::{Db, DbRow, EventStore, EventStoreError};

use crate::error::{EngineError, ErrorCode};

/// How long a delivery may be processed before another delivery of the same id takes over.
pub const IN_FLIGHT_TIMEOUT: Duration = Duration::minutes(2);

/// What happened to a provider event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Acted on.
    Processed,
    /// A type Holdfast does not act on; recorded so that it is not looked at again.
    Ignored,
    /// Refused for good (its error code is kept beside it).
    Rejected,
}

impl Outcome {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Processed => "processed",
            Outcome::Ignored => "ignored",
            Outcome::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Outcome::Processed, Outcome::Ignored, Outcome::Rejected]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// What [`ReplayStore::begin`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begin {
    /// A new id (or a crashed delivery's): process it.
    New,
    /// Already handled: its outcome and code.
    Duplicate {
        /// What happened the first time.
        outcome: Outcome,
        /// The error code of a rejection.
        code: Option<String>,
    },
    /// Another delivery of the id is being processed right now.
    InFlight,
}

/// A stored provider event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayRow {
    /// The provider's event id.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The booking it named, if any.
    pub booking_id: Option<String>,
    /// Its outcome (`None` while processing).
    pub outcome: Option<Outcome>,
    /// The error code of a rejection.
    pub code: Option<String>,
    /// When it was first received (application clock).
    pub received_at: DateTime<Utc>,
}

/// The `payment_webhook_events` table on the event store's database.
#[derive(Clone)]
pub struct ReplayStore {
    db: Db,
}

fn db_error(e: EventStoreError) -> EngineError {
    if let EventStoreError::Malformed { .. } = e {
        return EngineError::internal(e);
    }
    tracing::warn!(error = %e, "webhook replay table unavailable");
    EngineError::new(
        ErrorCode::Unavailable,
        "the event store is unavailable; retry",
    )
}

fn replay_row(row: &DbRow) -> Result<ReplayRow, EventStoreError> {
    Ok(ReplayRow {
        event_id: row.get("event_id")?,
        event_type: row.get("event_type")?,
        booking_id: row.get("booking_id")?,
        outcome: row
            .get::<Option<String>>("outcome")?
            .as_deref()
            .and_then(Outcome::parse),
        code: row.get("code")?,
        received_at: row.instant("received_at")?,
    })
}

impl ReplayStore {
    /// The table of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    /// Claims `event_id` for processing (see the module docs).
    pub async fn begin(
        &self,
        event_id: &str,
        event_type: &str,
        booking_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Begin, EngineError> {
        for _ in 0..3 {
            if self.insert(event_id, event_type, booking_id, now).await? {
                return Ok(Begin::New);
            }
            let Some(row) = self.get(event_id).await? else {
                continue; // abandoned meanwhile: try again
            };
            match row.outcome {
                Some(outcome) => {
                    return Ok(Begin::Duplicate {
                        outcome,
                        code: row.code,
                    });
                }
                None if row.received_at < now - IN_FLIGHT_TIMEOUT => {
                    if self.take_over(event_id, row.received_at, now).await? {
                        return Ok(Begin::New);
                    }
                }
                None => return Ok(Begin::InFlight),
            }
        }
        Ok(Begin::InFlight)
    }

    async fn insert(
        &self,
        event_id: &str,
        event_type: &str,
        booking_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let inserted = self
            .db
            .execute(
                "INSERT INTO payment_webhook_events (event_id, event_type, booking_id, received_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    event_id.into(),
                    event_type.into(),
                    booking_id.into(),
                    now.into(),
                ],
            )
            .await
            .map_err(db_error)?;
        Ok(inserted == 1)
    }

    async fn take_over(
        &self,
        event_id: &str,
        was: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let updated = self
            .db
            .execute(
                "UPDATE payment_webhook_events SET received_at = $3
                  WHERE event_id = $1 AND outcome IS NULL AND received_at = $2",
                &[event_id.into(), was.into(), now.into()],
            )
            .await
            .map_err(db_error)?;
        Ok(updated == 1)
    }

    /// Records the outcome of a delivery begun with [`Self::begin`].
    pub async fn finish(
        &self,
        event_id: &str,
        outcome: Outcome,
        code: Option<&str>,
    ) -> Result<(), EngineError> {
        self.db
            .execute(
                "UPDATE payment_webhook_events SET outcome = $2, code = $3 WHERE event_id = $1",
                &[event_id.into(), outcome.as_str().into(), code.into()],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Forgets a delivery that failed transiently (the provider's retry processes it again).
    pub async fn abandon(&self, event_id: &str) -> Result<(), EngineError> {
        self.db
            .execute(
                "DELETE FROM payment_webhook_events WHERE event_id = $1 AND outcome IS NULL",
                &[event_id.into()],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The stored row of `event_id`.
    pub async fn get(&self, event_id: &str) -> Result<Option<ReplayRow>, EngineError> {
        self.db
            .fetch_optional(
                "SELECT event_id, event_type, booking_id, outcome, code, received_at
                   FROM payment_webhook_events WHERE event_id = $1",
                &[event_id.into()],
            )
            .await
            .and_then(|row| row.as_ref().map(replay_row).transpose())
            .map_err(db_error)
    }
}
