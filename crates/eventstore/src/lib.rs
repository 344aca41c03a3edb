//! Holdfast's event store: the source of truth every read model, worker and export derives from.
//!
//! - [`store`]: [`EventStore`], opened from a URL (`postgres://…` for production, `sqlite://…`
//!   for the embedded default); runs the migrations and builds cqrs-es frameworks on it.
//! - [`repository`]: [`EventRepository`], the cqrs-es event repository over either backend
//!   (postgres-es or sqlite-es), so aggregates never know which one they run on.
//! - [`log`]: the [`EventLog`] trait — the ordered, gap-safe reader — and [`Tailer`], which follows
//!   it with millisecond wake-ups. [`postgres`] and [`sqlite`] implement it.
//! - [`position`]: [`Position`] in the log and the [`StoredEvent`] it returns.
//! - [`record`]: [`StoredEventRecord`], a stored event's line in an event file (import, the
//!   recorded history), and [`format_instant`], how files and exports write an instant.
//! - [`append`]: [`EventStore::append`], one aggregate's events (and snapshot) in one round trip,
//!   returning the log position (used by the group-committing dispatcher).
//! - [`commit`]: [`EventStore::commit`], several streams' events, their snapshots and the
//!   idempotency records of the requests behind them in one transaction, all or nothing.
//! - [`sql`]: [`Db`], the store's database for the application's own tables (idempotency keys,
//!   webhook replay ids, the outbox): each statement written once for Postgres and SQLite, or
//!   once per backend side by side where the dialects differ.
//! - [`error`]: [`EventStoreError`], with one clear line for every misconfiguration.
//!
//! Migrations live in `migrations/{postgres,sqlite}` and are embedded in the binary.

pub mod append;
pub mod commit;
pub mod error;
pub mod log;
pub mod position;
pub mod postgres;
pub mod raw;
pub mod record;
pub mod repository;
pub mod sql;
pub mod sqlite;
pub mod store;

pub use append::{AppendError, SnapshotUpdate};
pub use commit::{Commit, CommitError, Committed, RequestRecord, StreamAppend};
pub use error::EventStoreError;
pub use log::{EventLog, Tailer, TailerOptions};
pub use position::{Position, StoredEvent};
pub use raw::RawEvent;
pub use record::{StoredEventRecord, format_instant};
pub use repository::EventRepository;
pub use sql::{Arg, Db, DbRow, DbTransaction, Sql};
pub use store::{Backend, EventStore, StoreCqrs};
