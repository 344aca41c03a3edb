//! What a projector is doing: [`ProjectorStatus`], published through a `tokio::sync::watch`
//! after every batch, every idle period, every state change and every lag measurement (on the
//! projector's own timer, see [`super::runner`]); and how lag is measured.

use chrono::Utc;
use holdfast_eventstore::{EventStore, EventStoreError, Position};

use crate::store::Table;

/// A projector's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectorState {
    /// Taking the lease, resolving its generation, reading its checkpoint.
    Starting,
    /// Applying events; the last batch was not full, so it is close to the head.
    Running,
    /// Applying events in full batches: it is behind (after a start, a restart or a burst).
    CatchingUp,
    /// Caught up: the last read found nothing new; waiting for events.
    Waiting,
    /// A transient failure; retrying with backoff without losing its position.
    Retrying {
        /// The last error.
        error: String,
    },
    /// Another instance holds the lease; this one retries every few seconds. Its `position`
    /// shows the active instance's saved checkpoint.
    Standby,
    /// Stopped on an error retrying cannot fix (see [`super::ProjectorError`]).
    Failed {
        /// The error.
        error: String,
    },
    /// Stopped on request.
    Stopped,
}

/// A snapshot of one projector.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectorStatus {
    /// Its table.
    pub table: Table,
    /// The generation it writes (`None` until resolved).
    pub generation: Option<u32>,
    /// Everything up to here is applied: readers see it (a standby: the active instance's
    /// saved checkpoint).
    pub position: Position,
    /// Everything up to here is also checkpointed (a restart resumes after it); behind
    /// `position` by the save under way, at most.
    pub checkpoint: Position,
    /// The last readable event of the log, when last measured.
    pub head: Position,
    /// Events between `position` and `head`, approximately. Postgres: counted in the log (at most
    /// [`LAG_COUNT_CAP`], so a huge backlog reads as the cap); SQLite: `head.index -
    /// position.index`, exact because SQLite positions are dense. Measured every
    /// `status_interval` whatever the projector is doing (also while it retries, so it grows
    /// with the log during a read-store outage), and whenever it goes idle.
    pub lag_events: u64,
    /// Seconds since the oldest unapplied event was recorded (0 when caught up); measured with
    /// `lag_events`.
    pub lag_seconds: f64,
    /// Events processed since this projector started (including events that gave no patches).
    pub events_processed: u64,
    /// What it is doing.
    pub state: ProjectorState,
}

impl ProjectorStatus {
    /// The status of a projector that has not started yet.
    pub fn new(table: Table) -> Self {
        Self {
            table,
            generation: None,
            position: Position::START,
            checkpoint: Position::START,
            head: Position::START,
            lag_events: 0,
            lag_seconds: 0.0,
            events_processed: 0,
            state: ProjectorState::Starting,
        }
    }

    /// Whether everything readable when last measured is applied.
    pub fn caught_up(&self) -> bool {
        self.position >= self.head
    }
}

/// The largest backlog [`measure_lag`] counts on Postgres.
pub const LAG_COUNT_CAP: i64 = 1_000_000;

const PG_COUNT: &str = "
SELECT count(*) FROM (
  SELECT 1 FROM events
   WHERE (tx_id, global_position) > ($1::text::xid8, $2)
     AND (tx_id, global_position) <= ($3::text::xid8, $4)
   LIMIT $5) AS backlog";

/// Lag of a projector at `position`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lag {
    /// The log's readable head.
    pub head: Position,
    /// See [`ProjectorStatus::lag_events`].
    pub events: u64,
    /// See [`ProjectorStatus::lag_seconds`].
    pub seconds: f64,
}

/// Measures how far `position` is behind the log head (three cheap indexed queries at most).
pub async fn measure_lag(events: &EventStore, position: Position) -> Result<Lag, EventStoreError> {
    let log = events.log();
    let head = log.head().await?;
    if head <= position {
        return Ok(Lag {
            head,
            events: 0,
            seconds: 0.0,
        });
    }
    let seconds = match log.read(position, 1).await?.first() {
        Some(oldest) => {
            let age = Utc::now() - oldest.recorded_at;
            (age.num_milliseconds().max(0) as f64) / 1000.0
        }
        None => 0.0,
    };
    let count = match events.pg_pool() {
        Some(pool) => {
            let n: i64 = sqlx::query_scalar(PG_COUNT)
                .bind(position.tx.to_string())
                .bind(i64::try_from(position.index).unwrap_or(i64::MAX))
                .bind(head.tx.to_string())
                .bind(i64::try_from(head.index).unwrap_or(i64::MAX))
                .bind(LAG_COUNT_CAP)
                .fetch_one(pool)
                .await?;
            u64::try_from(n).unwrap_or(0)
        }
        None => head.index.saturating_sub(position.index),
    };
    Ok(Lag {
        head,
        events: count,
        seconds,
    })
}
