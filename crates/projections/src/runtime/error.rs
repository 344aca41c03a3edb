//! Errors of the projector runtime. Transient failures never surface here: they are retried
//! with backoff (and shown as [`ProjectorState::Retrying`](super::ProjectorState::Retrying)).

use holdfast_eventstore::EventStoreError;

use crate::projection::ProjectionError;
use crate::store::{ReadStoreError, Table};

use super::verify::VerifyReport;

/// Why a projector stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// The projection could not understand an event (the error names it). The projector never
    /// skips such an event: its checkpoint stays before it.
    #[error("projector {table} stopped: {source}")]
    Projection {
        /// The projector.
        table: Table,
        /// Which event, and why.
        #[source]
        source: ProjectionError,
    },
    /// The read store failed in a way retrying cannot fix.
    #[error("projector {table} stopped: {source}")]
    Store {
        /// The projector.
        table: Table,
        /// The store's error.
        #[source]
        source: ReadStoreError,
    },
    /// The event store failed in a way retrying cannot fix.
    #[error("projector {table} stopped: {source}")]
    Events {
        /// The projector.
        table: Table,
        /// The event store's error.
        #[source]
        source: EventStoreError,
    },
}

/// Why a verification could not run (differences are not errors: see [`VerifyReport`]).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Reading the read model failed.
    #[error("verify: {0}")]
    Store(#[from] ReadStoreError),
    /// Reading the log failed.
    #[error("verify: {0}")]
    Events(#[from] EventStoreError),
    /// The projection could not understand an event.
    #[error("verify: {0}")]
    Projection(#[from] ProjectionError),
    /// The table has no generation to verify (or no projector runs for it here).
    #[error("verify: {0} has no generation to verify here")]
    NoGeneration(Table),
}

/// Why a rebuild did not switch readers to a new generation.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Another rebuild of the same table holds the rebuild lease.
    #[error("a rebuild of {0} is already running")]
    AlreadyRunning(Table),
    /// Filling the new generation failed.
    #[error("rebuild: {0}")]
    Projector(#[from] ProjectorError),
    /// Verifying the new generation failed to run.
    #[error("rebuild: {0}")]
    Verify(#[from] VerifyError),
    /// The new generation disagrees with the log; readers were not switched and it was dropped.
    #[error(
        "rebuild of {table}: generation {} has {} difference(s) from the log; readers stay on the old generation",
        .report.generation, .report.differences.len()
    )]
    Mismatch {
        /// The table.
        table: Table,
        /// What verify found.
        report: Box<VerifyReport>,
    },
    /// The read store failed (creating, switching or dropping a generation).
    #[error("rebuild: {0}")]
    Store(#[from] ReadStoreError),
    /// The event store failed (taking the rebuild lease).
    #[error("rebuild: {0}")]
    Events(#[from] EventStoreError),
    /// No projector of this table runs in this runtime.
    #[error("no projector for {0} runs here")]
    UnknownTable(Table),
    /// The stop signal arrived before the rebuild finished.
    #[error("rebuild of {0} was stopped before it finished")]
    Stopped(Table),
}

/// Why a consistency wait could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// No projector of this table runs in this runtime.
    #[error("no projector for {0} runs here")]
    UnknownTable(Table),
}
