//! [`EventStore::commit`]: the events of several streams, their snapshots and the request records
//! of the commands that produced them, in **one transaction**.
//!
//! A command that changes two aggregates (a placement: the booking's `Requested`/`Held` and the
//! inventory's hold) commits both streams at once, and with it the idempotency record of the
//! request (key, request hash, answer), so a mutation is one commit, not one per aggregate plus
//! two for its key. The group-committing dispatcher puts the streams and records of a whole
//! batch of commands into one [`Commit`].
//!
//! **Guards.** Each stream is guarded by the sequence its writer loaded: its events carry the
//! next sequences, and a sequence another writer took first collides on the events' primary key
//! (optimistic concurrency, exactly as [`EventStore::append`] and postgres-es do). A snapshot
//! is written only if the aggregate's snapshot is still the one the writer loaded. A request
//! record is inserted only if its `(principal, key)` is free, or held by a row that may be
//! replaced (expired, or an abandoned in-flight row of the same request; see
//! [`RequestRecord`]). **All or nothing**: if any stream moved or any key is taken, nothing of
//! the commit is written and the error says which ([`CommitError::Conflict`] lists the streams
//! that moved, [`CommitError::KeysTaken`] the records whose keys are taken), so the caller can
//! retry the rest without them.
//!
//! On Postgres the events of every stream are one `INSERT … SELECT FROM UNNEST(…) RETURNING`
//! and the records one more statement; on SQLite (one writer at a time) the rows are inserted
//! one by one in the transaction.

use std::collections::{HashMap, HashSet};

use cqrs_es::persist::SerializedEvent;
use sqlx::{PgPool, Row, SqlitePool};

use crate::append::SnapshotUpdate;
use crate::error::EventStoreError;
use crate::position::Position;
use crate::store::EventStore;

/// One stream's part of a [`Commit`]: an aggregate's next events (consecutive sequences following
/// the one its writer loaded, which is the guard) and optionally its new snapshot.
#[derive(Clone, Debug)]
pub struct StreamAppend {
    /// The aggregate type.
    pub aggregate_type: String,
    /// The aggregate id.
    pub aggregate_id: String,
    /// Its new events (at least one).
    pub events: Vec<SerializedEvent>,
    /// Its new snapshot, when one is due.
    pub snapshot: Option<SnapshotUpdate>,
}

impl StreamAppend {
    /// The sequence the writer loaded (the stream's last sequence it expects).
    pub fn expected_sequence(&self) -> usize {
        self.events
            .first()
            .map_or(0, |e| e.sequence.saturating_sub(1))
    }
}

/// An idempotency record (a row of `idempotency_keys`) written with the events: the request's
/// key in its principal's scope, the hash of the request, and its final answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The caller's scope.
    pub principal: String,
    /// The idempotency key.
    pub key: String,
    /// The hash of the request.
    pub request_hash: String,
    /// The answer, as JSON text.
    pub response: String,
    /// When the request was first made: fixed-width RFC 3339 UTC text (the application clock).
    pub created_at: String,
    /// A row created before this instant (same format) has expired and is replaced.
    pub expired_before: String,
    /// An in-flight row (no answer yet) of the same request created before this instant, or
    /// whose lease ran out, was abandoned and is replaced.
    pub abandoned_before: String,
    /// The answer's consistency token when it is known beforehand (a request that wrote nothing
    /// with its record)...
    pub position: Option<Position>,
    /// ...or the events of this commit the request wrote, as `(stream, event)` indices into
    /// [`Commit::streams`]: the latest of their positions (and `position`) is stored as the
    /// answer's token, so a replay answers the first token too.
    pub written: Vec<(usize, usize)>,
}

impl RequestRecord {
    /// The token stored with the record: the latest of `position` and the written events'.
    fn token(&self, positions: &[Vec<Position>]) -> Option<String> {
        self.written
            .iter()
            .filter_map(|(s, e)| positions.get(*s).and_then(|p| p.get(*e)).copied())
            .chain(self.position)
            .max()
            .map(|p| p.to_string())
    }
}

/// Everything one transaction writes.
#[derive(Clone, Debug, Default)]
pub struct Commit {
    /// The streams (each aggregate at most once).
    pub streams: Vec<StreamAppend>,
    /// The request records (each `(principal, key)` at most once).
    pub records: Vec<RequestRecord>,
}

/// What a commit wrote: the log position of every event, per stream, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// `positions[i][j]`: the position of event `j` of stream `i` (on SQLite, of the stream's
    /// last event, which is what a consistency token needs).
    pub positions: Vec<Vec<Position>>,
}

/// A commit that wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// These streams (indices into [`Commit::streams`]) moved on since their writers loaded
    /// them (or their snapshot did): reload them and decide again.
    #[error("streams {streams:?} changed since they were loaded (optimistic concurrency conflict)")]
    Conflict {
        /// The streams that moved.
        streams: Vec<usize>,
    },
    /// The keys of these records (indices into [`Commit::records`]) are taken: their requests
    /// ran before (read the stored answer).
    #[error("idempotency keys {records:?} are taken")]
    KeysTaken {
        /// The records whose keys are taken.
        records: Vec<usize>,
    },
    /// The database failed (see [`EventStoreError::is_transient`]).
    #[error(transparent)]
    Store(#[from] EventStoreError),
    /// The commit was malformed (a stream listed twice, events of another aggregate, …).
    #[error("commit refused: {0}")]
    Invalid(String),
}

impl CommitError {
    /// Whether the same commit may succeed later (the database was briefly unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// What failed inside the transaction (before telling which streams moved).
enum Failure {
    Collided,
    KeysTaken(Vec<usize>),
    Error(CommitError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        if e.as_database_error()
            .is_some_and(|d| d.is_unique_violation())
        {
            Failure::Collided
        } else {
            Failure::Error(CommitError::Store(EventStoreError::Database(e)))
        }
    }
}

fn invalid(reason: impl Into<String>) -> Failure {
    Failure::Error(CommitError::Invalid(reason.into()))
}

fn number(n: usize) -> Result<i64, Failure> {
    i64::try_from(n).map_err(|e| invalid(e.to_string()))
}

impl Commit {
    fn check(&self) -> Result<(), CommitError> {
        let mut streams = HashSet::new();
        for stream in &self.streams {
            if stream.events.is_empty() {
                return Err(CommitError::Invalid(format!(
                    "stream {}/{} has no events",
                    stream.aggregate_type, stream.aggregate_id
                )));
            }
            if !streams.insert((&stream.aggregate_type, &stream.aggregate_id)) {
                return Err(CommitError::Invalid(format!(
                    "stream {}/{} listed twice",
                    stream.aggregate_type, stream.aggregate_id
                )));
            }
            let first = stream.expected_sequence() + 1;
            for (i, event) in stream.events.iter().enumerate() {
                if event.aggregate_type != stream.aggregate_type
                    || event.aggregate_id != stream.aggregate_id
                    || event.sequence != first + i
                {
                    return Err(CommitError::Invalid(format!(
                        "event {}/{} #{} in stream {}/{}",
                        event.aggregate_type,
                        event.aggregate_id,
                        event.sequence,
                        stream.aggregate_type,
                        stream.aggregate_id
                    )));
                }
            }
        }
        let mut keys = HashSet::new();
        for record in &self.records {
            if !keys.insert((&record.principal, &record.key)) {
                return Err(CommitError::Invalid(format!(
                    "key {:?} of {:?} listed twice",
                    record.key, record.principal
                )));
            }
        }
        Ok(())
    }
}

impl EventStore {
    /// Writes `commit` in one transaction, all or nothing (see the module docs).
    pub async fn commit(&self, commit: &Commit) -> Result<Committed, CommitError> {
        commit.check()?;
        if commit.streams.is_empty() && commit.records.is_empty() {
            return Ok(Committed::default());
        }
        let attempt = match (self.pg_pool(), self.sqlite_pool()) {
            (Some(pool), _) => commit_pg(pool, commit).await,
            (None, Some(pool)) => commit_sqlite(pool, commit).await,
            (None, None) => unreachable!("a store is on one of the two backends"),
        };
        match attempt {
            Ok(committed) => {
                if !commit.streams.is_empty() {
                    self.wakeup().notify();
                }
                Ok(committed)
            }
            Err(Failure::Error(e)) => Err(e),
            Err(Failure::KeysTaken(records)) => Err(CommitError::KeysTaken { records }),
            Err(Failure::Collided) => {
                // Which streams moved: each one whose last sequence passed what its writer
                // loaded (read after the rollback; a stream may also have moved and this
                // commit's own key collided, in which case the retry finds out).
                let mut streams = Vec::new();
                for (i, stream) in commit.streams.iter().enumerate() {
                    let last = self
                        .last_sequence(&stream.aggregate_type, &stream.aggregate_id)
                        .await?;
                    if last > stream.expected_sequence() {
                        streams.push(i);
                    }
                }
                if streams.is_empty() {
                    // A snapshot that moved on without a new event, or a race that settled:
                    // the first stream is as good a culprit as any; its writer reloads.
                    streams.push(0);
                }
                Err(CommitError::Conflict { streams })
            }
        }
    }

    /// The sequence of an aggregate's last event (0 when it has none).
    pub async fn last_sequence(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<usize, EventStoreError> {
        let sql = "SELECT COALESCE(MAX(sequence), 0) FROM events
                    WHERE aggregate_type = $1 AND aggregate_id = $2";
        let (last,): (i64,) = self
            .db()
            .fetch_optional_as(sql, &[aggregate_type.into(), aggregate_id.into()])
            .await?
            .unwrap_or((0,));
        Ok(usize::try_from(last).unwrap_or(0))
    }
}

const PG_RECORDS: &str = "
INSERT INTO idempotency_keys AS k
       (principal, key, request_hash, response, created_at, lease_until, position)
SELECT r.principal, r.key, r.request_hash, r.response::jsonb, r.created_at::timestamptz, NULL,
       r.position
  FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $8::text[])
       AS r(principal, key, request_hash, response, created_at, position)
    ON CONFLICT (principal, key) DO UPDATE
   SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response,
       created_at = EXCLUDED.created_at, lease_until = NULL, position = EXCLUDED.position
 WHERE k.created_at < $6::timestamptz
    OR (k.response IS NULL AND k.request_hash = EXCLUDED.request_hash
        AND (k.lease_until < now() OR k.created_at < $7::timestamptz))
RETURNING k.principal, k.key";

const PG_EVENTS: &str = "
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version,
       e.payload::json, e.metadata::json
  FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
       AS e(aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
RETURNING aggregate_type, aggregate_id, sequence, tx_id::text AS tx, global_position";

// Only if the aggregate has no snapshot yet (the primary key includes last_sequence, so a plain
// insert would add a second row next to one another writer made meanwhile).
const INSERT_SNAPSHOT: &str = "
INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
SELECT $1, $2, $3, $4, $5
 WHERE NOT EXISTS (SELECT 1 FROM snapshots WHERE aggregate_type = $1 AND aggregate_id = $2)";

const UPDATE_SNAPSHOT: &str = "
UPDATE snapshots SET last_sequence = $3, payload = $5, current_snapshot = $4
 WHERE aggregate_type = $1 AND aggregate_id = $2 AND current_snapshot = $6";

/// The records whose keys the insert did not return (taken).
fn taken(records: &[RequestRecord], returned: &HashSet<(String, String)>) -> Vec<usize> {
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| !returned.contains(&(r.principal.clone(), r.key.clone())))
        .map(|(i, _)| i)
        .collect()
}

async fn commit_pg(pool: &PgPool, commit: &Commit) -> Result<Committed, Failure> {
    let mut tx = pool.begin().await?;
    let mut positions: Vec<Vec<Position>> = commit
        .streams
        .iter()
        .map(|s| Vec::with_capacity(s.events.len()))
        .collect();
    if !commit.streams.is_empty() {
        let events: Vec<&SerializedEvent> = commit
            .streams
            .iter()
            .flat_map(|s| s.events.iter())
            .collect();
        let text = |f: fn(&SerializedEvent) -> &str| -> Vec<&str> {
            events.iter().map(|e| f(e)).collect()
        };
        let sequences = events
            .iter()
            .map(|e| number(e.sequence))
            .collect::<Result<Vec<i64>, _>>()?;
        let json = |f: fn(&SerializedEvent) -> &serde_json::Value| -> Vec<String> {
            events.iter().map(|e| f(e).to_string()).collect()
        };
        let rows = sqlx::query(PG_EVENTS)
            .bind(text(|e| &e.aggregate_type))
            .bind(text(|e| &e.aggregate_id))
            .bind(&sequences)
            .bind(text(|e| &e.event_type))
            .bind(text(|e| &e.event_version))
            .bind(json(|e| &e.payload))
            .bind(json(|e| &e.metadata))
            .fetch_all(&mut *tx)
            .await?;
        if rows.len() != events.len() {
            return Err(invalid(format!(
                "{} events appended, {} rows returned",
                events.len(),
                rows.len()
            )));
        }
        let mut by_event = HashMap::with_capacity(rows.len());
        for row in &rows {
            let key: (String, String, i64) = (
                row.try_get("aggregate_type")?,
                row.try_get("aggregate_id")?,
                row.try_get("sequence")?,
            );
            by_event.insert(key, pg_position(row)?);
        }
        for (stream, out) in commit.streams.iter().zip(positions.iter_mut()) {
            for event in &stream.events {
                let key = (
                    stream.aggregate_type.clone(),
                    stream.aggregate_id.clone(),
                    number(event.sequence)?,
                );
                out.push(
                    *by_event
                        .get(&key)
                        .ok_or_else(|| invalid("a returned row is missing"))?,
                );
            }
        }
        for stream in &commit.streams {
            if let Some(snapshot) = &stream.snapshot {
                snapshot_pg(&mut tx, stream, snapshot).await?;
            }
        }
    }
    if !commit.records.is_empty() {
        let column =
            |f: fn(&RequestRecord) -> &str| -> Vec<&str> { commit.records.iter().map(f).collect() };
        let first = &commit.records[0];
        let rows = sqlx::query(PG_RECORDS)
            .bind(column(|r| &r.principal))
            .bind(column(|r| &r.key))
            .bind(column(|r| &r.request_hash))
            .bind(column(|r| &r.response))
            .bind(column(|r| &r.created_at))
            .bind(&first.expired_before)
            .bind(&first.abandoned_before)
            .bind(
                commit
                    .records
                    .iter()
                    .map(|r| r.token(&positions))
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&mut *tx)
            .await?;
        let returned = rows
            .iter()
            .map(|row| Ok((row.try_get("principal")?, row.try_get("key")?)))
            .collect::<Result<HashSet<(String, String)>, sqlx::Error>>()?;
        let taken = taken(&commit.records, &returned);
        if !taken.is_empty() {
            return Err(Failure::KeysTaken(taken));
        }
    }
    tx.commit().await?;
    Ok(Committed { positions })
}

fn pg_position(row: &sqlx::postgres::PgRow) -> Result<Position, Failure> {
    crate::postgres::position(row).map_err(|e| Failure::Error(CommitError::Store(e)))
}

async fn snapshot_pg(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    stream: &StreamAppend,
    snapshot: &SnapshotUpdate,
) -> Result<(), Failure> {
    let last = number(stream.expected_sequence() + stream.events.len())?;
    let n = number(snapshot.number)?;
    let query = |sql| {
        sqlx::query(sql)
            .bind(&stream.aggregate_type)
            .bind(&stream.aggregate_id)
            .bind(last)
            .bind(n)
            .bind(&snapshot.payload)
    };
    let written = if snapshot.number <= 1 {
        query(INSERT_SNAPSHOT).execute(&mut **tx).await?
    } else {
        query(UPDATE_SNAPSHOT)
            .bind(n - 1)
            .execute(&mut **tx)
            .await?
    };
    if written.rows_affected() != 1 {
        return Err(Failure::Collided);
    }
    Ok(())
}

const SQLITE_RECORD: &str = "
INSERT INTO idempotency_keys AS k
       (principal, key, request_hash, response, created_at, lease_until, position)
VALUES ($1, $2, $3, $4, $5, NULL, $8)
    ON CONFLICT (principal, key) DO UPDATE
   SET request_hash = excluded.request_hash, response = excluded.response,
       created_at = excluded.created_at, lease_until = NULL, position = excluded.position
 WHERE k.created_at < $6
    OR (k.response IS NULL AND k.request_hash = excluded.request_hash
        AND (k.lease_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now') OR k.created_at < $7))";

const SQLITE_EVENT: &str = "
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7)";

async fn commit_sqlite(pool: &SqlitePool, commit: &Commit) -> Result<Committed, Failure> {
    let mut tx = pool.begin().await?;
    let mut positions = Vec::with_capacity(commit.streams.len());
    for stream in &commit.streams {
        for event in &stream.events {
            sqlx::query(SQLITE_EVENT)
                .bind(&event.aggregate_type)
                .bind(&event.aggregate_id)
                .bind(number(event.sequence)?)
                .bind(&event.event_type)
                .bind(&event.event_version)
                .bind(event.payload.to_string())
                .bind(event.metadata.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let last = number(stream.expected_sequence() + stream.events.len())?;
        let (index,): (i64,) = sqlx::query_as(
            "SELECT global_position FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
        )
        .bind(&stream.aggregate_type)
        .bind(&stream.aggregate_id)
        .bind(last)
        .fetch_one(&mut *tx)
        .await?;
        let position = Position::new(0, u64::try_from(index).map_err(|e| invalid(e.to_string()))?);
        positions.push(vec![position; stream.events.len()]);
        if let Some(snapshot) = &stream.snapshot {
            let n = number(snapshot.number)?;
            let payload = snapshot.payload.to_string();
            let written = if snapshot.number <= 1 {
                sqlx::query(INSERT_SNAPSHOT)
                    .bind(&stream.aggregate_type)
                    .bind(&stream.aggregate_id)
                    .bind(last)
                    .bind(n)
                    .bind(&payload)
                    .execute(&mut *tx)
                    .await?
            } else {
                sqlx::query(UPDATE_SNAPSHOT)
                    .bind(&stream.aggregate_type)
                    .bind(&stream.aggregate_id)
                    .bind(last)
                    .bind(n)
                    .bind(&payload)
                    .bind(n - 1)
                    .execute(&mut *tx)
                    .await?
            };
            if written.rows_affected() != 1 {
                return Err(Failure::Collided);
            }
        }
    }
    let mut taken = Vec::new();
    for (i, r) in commit.records.iter().enumerate() {
        let written = sqlx::query(SQLITE_RECORD)
            .bind(&r.principal)
            .bind(&r.key)
            .bind(&r.request_hash)
            .bind(&r.response)
            .bind(&r.created_at)
            .bind(&r.expired_before)
            .bind(&r.abandoned_before)
            .bind(r.token(&positions))
            .execute(&mut *tx)
            .await?;
        if written.rows_affected() != 1 {
            taken.push(i);
        }
    }
    if !taken.is_empty() {
        return Err(Failure::KeysTaken(taken));
    }
    tx.commit().await?;
    Ok(Committed { positions })
}
