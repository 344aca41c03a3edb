//! [`EventRepository`]: cqrs-es' event repository on either backend.
//!
//! cqrs-es' `PersistedEventRepository` has generic async methods, so it cannot be a trait
//! object; this enum picks postgres-es or sqlite-es at run time and delegates, and announces
//! every successful commit to the log's tailers.

use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

use crate::error::is_transient_sqlx;
use crate::log::Wakeup;

enum Backend {
    Postgres(PostgresEventRepository),
    Sqlite(SqliteEventRepository),
}

/// The cqrs-es event repository of an [`crate::EventStore`]. Cheap to clone.
///
/// Optimistic concurrency comes from the backends: two commits of the same aggregate sequence
/// collide on the primary key and the loser gets `PersistenceError::OptimisticLockError`
/// (`AggregateError::AggregateConflict` through the framework), which the service retries.
#[derive(Clone)]
pub struct EventRepository {
    backend: Arc<Backend>,
    wakeup: Wakeup,
}

impl EventRepository {
    /// A repository on Postgres.
    pub fn postgres(repo: PostgresEventRepository, wakeup: Wakeup) -> Self {
        Self {
            backend: Arc::new(Backend::Postgres(repo)),
            wakeup,
        }
    }

    /// A repository on SQLite.
    pub fn sqlite(repo: SqliteEventRepository, wakeup: Wakeup) -> Self {
        Self {
            backend: Arc::new(Backend::Sqlite(repo)),
            wakeup,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $repo:ident => $call:expr) => {
        match &*$self.backend {
            Backend::Postgres($repo) => $call.await,
            Backend::Sqlite($repo) => $call.await,
        }
        .map_err(reclassify)
    };
}

/// postgres-es and sqlite-es report only I/O and TLS failures as connection errors; every
/// other database error becomes `UnknownError`, which the API reports as `INTERNAL`. A
/// transient one ([`is_transient_sqlx`]: a server restart's `admin_shutdown`, a pool timeout,
/// …) is a connection error: the command may succeed once the database is back, and clients
/// get a retryable `UNAVAILABLE`.
fn reclassify(e: PersistenceError) -> PersistenceError {
    match e {
        PersistenceError::UnknownError(inner)
            if inner
                .downcast_ref::<sqlx::Error>()
                .is_some_and(is_transient_sqlx) =>
        {
            PersistenceError::ConnectionError(inner)
        }
        other => other,
    }
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, r => r.get_events::<A>(aggregate_id))
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, r => r.get_last_events::<A>(aggregate_id, last_sequence))
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        delegate!(self, r => r.get_snapshot::<A>(aggregate_id))
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let result = delegate!(self, r => r.persist::<A>(events, snapshot_update));
        if result.is_ok() && !events.is_empty() {
            self.wakeup.notify();
        }
        result
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, r => r.stream_events::<A>(aggregate_id))
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, r => r.stream_all_events::<A>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_database_errors_become_connection_errors() {
        let transient = PersistenceError::UnknownError(Box::new(sqlx::Error::PoolTimedOut));
        assert!(matches!(
            reclassify(transient),
            PersistenceError::ConnectionError(_)
        ));
        let broken = PersistenceError::UnknownError(Box::new(sqlx::Error::RowNotFound));
        assert!(matches!(
            reclassify(broken),
            PersistenceError::UnknownError(_)
        ));
        assert!(matches!(
            reclassify(PersistenceError::OptimisticLockError),
            PersistenceError::OptimisticLockError
        ));
    }
}
