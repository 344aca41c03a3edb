//! The log as stored, for bulk export: each event's payload and metadata as their JSON text,
//! never parsed into a tree ([`EventStore::read_raw`]). An export writes them as they are,
//! which is most of what it writes; parsing them into `serde_json::Value`s and printing them
//! again was most of what it cost.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::Row;

use crate::error::EventStoreError;
use crate::position::Position;
use crate::store::EventStore;

/// One event of the log with its payload and metadata as stored JSON text.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// Its position in the log.
    pub position: Position,
    /// The aggregate's type.
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Its sequence in the aggregate's stream (from 1).
    pub sequence: u64,
    /// The event's type.
    pub event_type: String,
    /// The event's version.
    pub event_version: String,
    /// The payload, as stored.
    pub payload: Box<RawValue>,
    /// The metadata, as stored.
    pub metadata: Box<RawValue>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

const PG_READ_RAW: &str = "
SELECT tx_id::text AS tx, global_position, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload::text AS payload, metadata::text AS metadata,
       recorded_at
  FROM events
 WHERE (tx_id, global_position) > ($1::text::xid8, $2)
   AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY tx_id, global_position
 LIMIT $3";

const SQLITE_READ_RAW: &str = "
SELECT global_position, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload, metadata, recorded_at
  FROM events
 WHERE global_position > ?1
 ORDER BY global_position
 LIMIT ?2";

/// The [`RawEvent`] of a row (either backend's) at `position`.
macro_rules! raw_event {
    ($row:expr, $position:expr) => {{
        let (row, position) = ($row, $position);
        Ok(RawEvent {
            position,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: sequence(position, row.try_get("sequence")?)?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: json(position, "payload", row.try_get("payload")?)?,
            metadata: json(position, "metadata", row.try_get("metadata")?)?,
            recorded_at: row.try_get("recorded_at")?,
        })
    }};
}

fn json(position: Position, field: &str, text: String) -> Result<Box<RawValue>, EventStoreError> {
    RawValue::from_string(text).map_err(|e| EventStoreError::Corrupt {
        position: position.to_string(),
        reason: format!("{field}: {e}"),
    })
}

fn sequence(position: Position, value: i64) -> Result<u64, EventStoreError> {
    u64::try_from(value).map_err(|e| EventStoreError::Corrupt {
        position: position.to_string(),
        reason: format!("sequence: {e}"),
    })
}

impl EventStore {
    /// Up to `n` events after `after`, in log order, with the same guarantees as
    /// [`crate::EventLog::read`] (only what is committed and has nothing uncommitted before
    /// it), their payload and metadata as stored JSON text.
    pub async fn read_raw(
        &self,
        after: Position,
        n: usize,
    ) -> Result<Vec<RawEvent>, EventStoreError> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        if let Some(pool) = self.pg_pool() {
            let rows = sqlx::query(PG_READ_RAW)
                .bind(after.tx.to_string())
                .bind(i64::try_from(after.index).unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            return rows
                .iter()
                .map(|row| raw_event!(row, crate::postgres::position(row)?))
                .collect();
        }
        let pool = self.sqlite_pool().ok_or_else(|| EventStoreError::Corrupt {
            position: after.to_string(),
            reason: "an event store with neither backend".to_owned(),
        })?;
        let rows = sqlx::query(SQLITE_READ_RAW)
            .bind(i64::try_from(after.index).unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                let index: i64 = row.try_get("global_position")?;
                raw_event!(row, Position::new(0, u64::try_from(index).unwrap_or(0)))
            })
            .collect()
    }
}
