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
//! the caller gets [`AppendError::Conflict`]. It is a [`Commit`](crate::Commit) of one stream
//! (see [`crate::commit`], which also writes several streams and request records at once).

use cqrs_es::Aggregate;
use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use crate::commit::{Commit, CommitError, StreamAppend};
use crate::error::EventStoreError;
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
        let commit = Commit {
            streams: vec![StreamAppend {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
                events: events.to_vec(),
                snapshot,
            }],
            records: Vec::new(),
        };
        match self.commit(&commit).await {
            Ok(mut committed) => Ok(committed.positions.pop().unwrap_or_default()),
            Err(CommitError::Conflict { .. }) => Err(AppendError::Conflict),
            Err(CommitError::Store(e)) => Err(AppendError::Store(e)),
            Err(e @ (CommitError::Invalid(_) | CommitError::KeysTaken { .. })) => {
                Err(AppendError::Other(e.to_string()))
            }
        }
    }
}
