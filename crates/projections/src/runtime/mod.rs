//! The projector runtime: everything that turns the event log into read models and keeps them
//! there.
//!
//! - [`runner`]: [`Projector`], which runs one [`Projection`](crate::projection::Projection)
//!   into a table generation: checkpoint → tail the log → patches → store → checkpoint.
//! - [`apply`]: how one batch of events becomes store writes (per-key merging, bounded
//!   concurrency, the checkpoint rule).
//! - [`backoff`]: capped exponential backoff for transient failures.
//! - [`lease`]: one active instance per projector (Postgres advisory lock, in-process lock on
//!   SQLite); standbys take over when the holder dies.
//! - [`status`]: [`ProjectorStatus`] (position, head, lag, state) published through a
//!   `tokio::sync::watch`.
//! - [`projectors`]: [`ProjectionRuntime`], the handle that starts several projectors, exposes
//!   their statuses, answers consistency waits (read-your-writes) and stops them.
//! - [`shared_log`]: [`SharedLog`], one windowed reader of the log that every projector of a
//!   runtime tails (one query per wake-up instead of one per projector).
//! - [`rebuild`]: blue-green rebuild of a table into a new generation, verified, then switched.
//! - [`verify`]: recomputes a read model from the log in memory and diffs it against the store.
//! - [`error`]: the typed errors of all of the above.
//!
//! # Why restarts, duplicates and crashes are safe
//!
//! Exactly-once *effect* does not come from the checkpoint: it comes from the store's version
//! guard. Every patch is applied at its event's log position, and the store skips a patch whose
//! item has already seen that position (see [`crate::store`]). A projector therefore may start
//! from any checkpoint at or before the last one it saved — from [`Position::START`] even — and
//! the read model ends identical: events already applied are skipped item by item, the rest are
//! applied. The checkpoint is only an optimisation (how much to re-read) and is saved after a
//! batch is fully applied, never past an event whose patches are not all written.
//!
//! # Why an undecodable event stops the projector
//!
//! A [`ProjectionError`](crate::projection::ProjectionError) means the projection cannot
//! understand an event it is responsible for. Skipping it would silently corrupt the read model
//! (and every later verify would disagree with no trace of why). The projector instead stops in
//! [`ProjectorState::Failed`] with [`ProjectorError::Projection`], which names the event's
//! type, version and position; the checkpoint stays before that event, so once the projection is
//! fixed (or an upcaster added) a restart resumes exactly there.
//!
//! [`Position::START`]: holdfast_eventstore::Position::START

pub mod apply;
pub mod backoff;
pub mod error;
pub mod lease;
pub mod projectors;
pub mod rebuild;
pub mod runner;
pub mod shared_log;
pub mod status;
pub mod verify;

pub use error::{ProjectorError, RebuildError, VerifyError, WaitError};
pub use lease::{Lease, LeaseWaiter, Waiting, lease_key};
pub use projectors::ProjectionRuntime;
pub use rebuild::{RebuildPhase, RebuildProgress, RebuildReport, Rebuilder};
pub use runner::{Projector, ProjectorOptions, Target};
pub use shared_log::SharedLog;
pub use status::{ProjectorState, ProjectorStatus};
pub use verify::{Difference, VerifyReport, verify};
