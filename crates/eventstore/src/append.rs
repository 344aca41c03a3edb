//! [`EventStore::append`]: commit a run of one aggregate's events (and, optionally, a new
//! snapshot of it) in one round trip, and learn the log position of the last one.
//!
//! postgres-es inserts one row per statement and leaves the caller to look the position up
//! afterwards (one more query); the group-committing dispatcher appends the events of dozens of
//! commands at once, so on Postgres this is one `INSERT … SELECT FROM UNNEST(…) RETURNING` (plus
//! the snapshot row in the same transaction when one is due). The rows and the snapshot are
//! exactly what postgres-es writes, so its repository keeps loading them.
//!
//! Optimistic concurrency is the same as the repository's: a sequence already taken collides on
//! the primary key, a snapshot that moved on matches no row; either way nothing is written and
//! the caller gets [`AppendError::Conflict`]. On SQLite (the embedded default) the append goes
//! through sqlite-es' repository and the position is read back.

use cqrs_es::Aggregate;
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use serde_json::Value;
use sqlx::{PgPool, Row};

use crate::error::{EventStoreError, is_transient_sqlx};
use crate::position::Position;
use crate::store::EventStore;

/// A snapshot written with an append.
#[derive(Clone, Debug)]
pub struct SnapshotUpdate {
    /// The aggregate's state after the appended events (serialised as postgres-es does).
    pub payload: Value,
    /// The snapshot's number: 1 for the aggregate's first snapshot (a new row), else the
    /// previous number + 1 (the row is updated only if it still has the previous number).
    pub number: usize,
}

/// An append that did not commit.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended to the aggregate (or moved its snapshot on) since it was
    /// loaded: reload and decide again.
    #[error("the aggregate changed since it was loaded (optimistic concurrency conflict)")]
    Conflict,
    /// The database failed (see [`EventStoreError::is_transient`]).
    #[error(transparent)]
    Store(#[from] EventStoreError),
    /// The events or the snapshot could not be serialised or written for another reason.
    #[error("append failed: {0}")]
    Other(String),
}

impl AppendError {
    /// Whether the same append may succeed later (the database was briefly unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

fn from_sqlx(e: sqlx::Error) -> AppendError {
    if e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
    {
        AppendError::Conflict
    } else {
        AppendError::Store(EventStoreError::Database(e))
    }
}

const INSERT: &str = "
WITH appended AS (
  INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
  SELECT $1, $2, e.sequence, e.event_type, e.event_version, e.payload::json, e.metadata::json
    FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS e(sequence, event_type, event_version, payload, metadata)
  RETURNING tx_id, sequence, global_position)
SELECT tx_id::text AS tx, global_position FROM appended ORDER BY sequence";

// Only if the aggregate has no snapshot yet (the primary key includes last_sequence, so a plain
// insert would add a second row next to one another writer made meanwhile).
const INSERT_SNAPSHOT: &str = "
INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
SELECT $1, $2, $3, $4, $5
 WHERE NOT EXISTS (SELECT 1 FROM snapshots WHERE aggregate_type = $1 AND aggregate_id = $2)";

const UPDATE_SNAPSHOT: &str = "
UPDATE snapshots SET last_sequence = $3, payload = $5, current_snapshot = $4
 WHERE aggregate_type = $1 AND aggregate_id = $2 AND current_snapshot = $6";

impl EventStore {
    /// Appends `events` (all of aggregate `A`'s `aggregate_id`, consecutive sequences following
    /// the one the caller loaded) and the optional `snapshot` atomically. Returns the log
    /// position of each event, in order (on SQLite every one is given the last event's
    /// position, which is what a consistency token needs; nothing is written, and nothing
    /// returned, when `events` is empty).
    pub async fn append<A: Aggregate>(
        &self,
        aggregate_id: &str,
        events: &[SerializedEvent],
        snapshot: Option<SnapshotUpdate>,
    ) -> Result<Vec<Position>, AppendError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let positions = match self.pg_pool() {
            Some(pool) => append_pg::<A>(pool, aggregate_id, events, snapshot).await?,
            None => {
                let update = snapshot.map(|s| (aggregate_id.to_owned(), s.payload, s.number));
                self.repository()
                    .persist::<A>(events, update)
                    .await
                    .map_err(|e| match e {
                        PersistenceError::OptimisticLockError => AppendError::Conflict,
                        PersistenceError::ConnectionError(e)
                        | PersistenceError::UnknownError(e) => match e.downcast::<sqlx::Error>() {
                            Ok(e) if is_transient_sqlx(&e) => {
                                AppendError::Store(EventStoreError::Database(*e))
                            }
                            Ok(e) => AppendError::Other(e.to_string()),
                            Err(e) => AppendError::Other(e.to_string()),
                        },
                        PersistenceError::DeserializationError(e) => {
                            AppendError::Other(e.to_string())
                        }
                    })?;
                let last = self
                    .last_position(A::TYPE, aggregate_id)
                    .await?
                    .ok_or_else(|| AppendError::Other("appended events are missing".into()))?;
                vec![last; events.len()]
            }
        };
        if self.pg_pool().is_some() {
            self.wakeup().notify();
        }
        Ok(positions)
    }
}

async fn append_pg<A: Aggregate>(
    pool: &PgPool,
    aggregate_id: &str,
    events: &[SerializedEvent],
    snapshot: Option<SnapshotUpdate>,
) -> Result<Vec<Position>, AppendError> {
    let mut sequences = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    let mut versions = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    let mut metadata = Vec::with_capacity(events.len());
    for event in events {
        if event.aggregate_type != A::TYPE || event.aggregate_id != aggregate_id {
            return Err(AppendError::Other(format!(
                "event {}/{} #{} appended to {}/{aggregate_id}",
                event.aggregate_type,
                event.aggregate_id,
                event.sequence,
                A::TYPE
            )));
        }
        sequences
            .push(i64::try_from(event.sequence).map_err(|e| AppendError::Other(e.to_string()))?);
        types.push(event.event_type.as_str());
        versions.push(event.event_version.as_str());
        payloads.push(event.payload.to_string());
        metadata.push(event.metadata.to_string());
    }
    let last_sequence = *sequences.last().unwrap_or(&0);
    let insert = sqlx::query(INSERT)
        .bind(A::TYPE)
        .bind(aggregate_id)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata);
    let rows = match snapshot {
        None => insert.fetch_all(pool).await.map_err(from_sqlx)?,
        Some(snapshot) => {
            let mut tx = pool.begin().await.map_err(from_sqlx)?;
            let rows = insert.fetch_all(&mut *tx).await.map_err(from_sqlx)?;
            let number =
                i64::try_from(snapshot.number).map_err(|e| AppendError::Other(e.to_string()))?;
            let written = if snapshot.number <= 1 {
                sqlx::query(INSERT_SNAPSHOT)
                    .bind(A::TYPE)
                    .bind(aggregate_id)
                    .bind(last_sequence)
                    .bind(number)
                    .bind(&snapshot.payload)
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?
            } else {
                sqlx::query(UPDATE_SNAPSHOT)
                    .bind(A::TYPE)
                    .bind(aggregate_id)
                    .bind(last_sequence)
                    .bind(number)
                    .bind(&snapshot.payload)
                    .bind(number - 1)
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?
            };
            if written.rows_affected() != 1 {
                // Dropping the transaction rolls the events back too.
                return Err(AppendError::Conflict);
            }
            tx.commit().await.map_err(from_sqlx)?;
            rows
        }
    };
    if rows.len() != events.len() {
        return Err(AppendError::Other(format!(
            "{} events appended, {} rows returned",
            events.len(),
            rows.len()
        )));
    }
    rows.iter()
        .map(|row| {
            let tx: String = row.try_get("tx").map_err(from_sqlx)?;
            let index: i64 = row.try_get("global_position").map_err(from_sqlx)?;
            let corrupt = |reason: String| {
                AppendError::Store(EventStoreError::Corrupt {
                    position: format!("{tx}.{index}"),
                    reason,
                })
            };
            Ok(Position::new(
                tx.parse()
                    .map_err(|e| corrupt(format!("transaction id: {e}")))?,
                u64::try_from(index).map_err(|e| corrupt(format!("global position: {e}")))?,
            ))
        })
        .collect()
}
