//! The SQLite log reader. SQLite admits one writer at a time and positions are assigned while it
//! holds the write lock, so position order is commit order and a plain `> position` read is
//! gap-safe. Wake-ups come from this process's own commits (the embedded store has one process);
//! tailers also poll.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use tokio::sync::watch;

use crate::error::EventStoreError;
use crate::log::{EventLog, Wakeup};
use crate::position::{Position, StoredEvent};

const READ: &str = "
SELECT global_position, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at
  FROM events
 WHERE global_position > ?1
 ORDER BY global_position
 LIMIT ?2";

/// [`EventLog`] on SQLite.
pub struct SqliteEventLog {
    pool: SqlitePool,
    wakeup: Wakeup,
}

impl SqliteEventLog {
    /// A reader on `pool`; `wakeup` is the one the repository signals after each commit.
    pub fn new(pool: SqlitePool, wakeup: Wakeup) -> Self {
        Self { pool, wakeup }
    }
}

pub(crate) fn stored_event(row: &SqliteRow) -> Result<StoredEvent, EventStoreError> {
    let index: i64 = row.try_get("global_position")?;
    let position = Position::new(0, u64::try_from(index).unwrap_or(0));
    let corrupt = |reason: String| EventStoreError::Corrupt {
        position: position.to_string(),
        reason,
    };
    let sequence: i64 = row.try_get("sequence")?;
    Ok(StoredEvent {
        position,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: u64::try_from(sequence).map_err(|e| corrupt(format!("sequence: {e}")))?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

#[async_trait]
impl EventLog for SqliteEventLog {
    async fn read(&self, after: Position, n: usize) -> Result<Vec<StoredEvent>, EventStoreError> {
        sqlx::query(READ)
            .bind(i64::try_from(after.index).unwrap_or(i64::MAX))
            .bind(i64::try_from(n).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(stored_event)
            .collect()
    }

    async fn head(&self) -> Result<Position, EventStoreError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(global_position) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(Position::new(
            0,
            max.and_then(|m| u64::try_from(m).ok()).unwrap_or(0),
        ))
    }

    fn wakeups(&self) -> watch::Receiver<u64> {
        self.wakeup.subscribe()
    }
}
