//! Command dispatch: the one way the application sends a command to an aggregate.
//!
//! - **In-process serialisation**: commands to one aggregate queue on a lock (striped: a fixed
//!   set of locks chosen by a hash of the id, so memory stays bounded), so a storm on one hot
//!   inventory does not thrash on optimistic conflicts. Correctness never depends on it: the
//!   event store's optimistic concurrency is the guard (another node may write too).
//! - **Bounded retries**: an optimistic-concurrency conflict reloads and retries, up to
//!   [`RetryPolicy::max_attempts`], with a short jittered backoff; then the caller gets
//!   [`DispatchError::Conflict`], which the API reports as retryable.
//! - **Consistency token**: after a commit, the position of the aggregate's last event, which
//!   queries can wait for (read-your-writes).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cqrs_es::{Aggregate, AggregateError};
use holdfast_eventstore::{EventStore, Position, StoreCqrs};
use tokio::sync::Mutex;

/// How conflicts are retried.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (the first included).
    pub max_attempts: u32,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            max_backoff: Duration::from_millis(50),
        }
    }
}

/// A command that did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError<E: std::error::Error> {
    /// The aggregate refused it (a broken rule).
    #[error(transparent)]
    Rejected(E),
    /// Still conflicting after every retry: the aggregate is very hot; retry later.
    #[error("the aggregate kept changing concurrently ({attempts} attempts); retry")]
    Conflict {
        /// Attempts made.
        attempts: u32,
    },
    /// The event store did not answer.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else (stored data that does not decode, …): logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A committed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The aggregate's last event position after the command (a consistency token). `None`
    /// only if the aggregate still has no event (a command that emitted nothing on a new id).
    pub position: Option<Position>,
    /// Attempts it took (1 = no conflict).
    pub attempts: u32,
}

/// A fixed set of async locks, chosen by a hash of the key.
pub struct StripedLocks {
    stripes: Box<[Mutex<()>]>,
}

impl StripedLocks {
    /// `n` stripes (at least 1).
    pub fn new(n: usize) -> Self {
        Self {
            stripes: (0..n.max(1)).map(|_| Mutex::new(())).collect(),
        }
    }

    /// The lock of `key`.
    pub fn lock_for(&self, key: &str) -> &Mutex<()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let index = (hasher.finish() % self.stripes.len() as u64) as usize;
        &self.stripes[index]
    }
}

/// Sends commands of aggregate `A`.
pub struct Dispatcher<A: Aggregate> {
    cqrs: StoreCqrs<A>,
    store: EventStore,
    locks: Arc<StripedLocks>,
    retry: RetryPolicy,
}

impl<A> Dispatcher<A>
where
    A: Aggregate,
    A::Command: Clone,
{
    /// A dispatcher on `store` (snapshotting every `snapshot_every` events when set).
    pub fn new(
        store: &EventStore,
        services: A::Services,
        snapshot_every: Option<usize>,
        locks: Arc<StripedLocks>,
        retry: RetryPolicy,
    ) -> Self {
        let cqrs = match snapshot_every {
            Some(n) => store.snapshot_cqrs::<A>(n, services),
            None => store.cqrs::<A>(services),
        };
        Self {
            cqrs,
            store: store.clone(),
            locks,
            retry,
        }
    }

    /// Executes `command` on aggregate `id`, retrying conflicts.
    #[tracing::instrument(skip_all, fields(aggregate = A::TYPE, id = %id))]
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: HashMap<String, String>,
    ) -> Result<Committed, DispatchError<A::Error>> {
        let started = Instant::now();
        let result = self.execute_inner(id, command, metadata).await;
        let outcome = match &result {
            Ok(_) => "committed",
            Err(DispatchError::Rejected(_)) => "rejected",
            Err(DispatchError::Conflict { .. }) => "conflict",
            Err(DispatchError::Unavailable(_)) => "unavailable",
            Err(DispatchError::Internal(_)) => "internal",
        };
        metrics::histogram!("holdfast_command_seconds", "aggregate" => A::TYPE, "outcome" => outcome)
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn execute_inner(
        &self,
        id: &str,
        command: A::Command,
        metadata: HashMap<String, String>,
    ) -> Result<Committed, DispatchError<A::Error>> {
        let _serialised = self
            .locks
            .lock_for(&format!("{}/{id}", A::TYPE))
            .lock()
            .await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .cqrs
                .execute_with_metadata(id, command.clone(), metadata.clone())
                .await
            {
                Ok(()) => {
                    let position = self
                        .store
                        .last_position(A::TYPE, id)
                        .await
                        .map_err(|e| DispatchError::Unavailable(e.to_string()))?;
                    return Ok(Committed {
                        position,
                        attempts: attempt,
                    });
                }
                Err(AggregateError::UserError(e)) => return Err(DispatchError::Rejected(e)),
                Err(AggregateError::AggregateConflict) => {
                    metrics::counter!("holdfast_command_conflicts_total", "aggregate" => A::TYPE)
                        .increment(1);
                    if attempt >= self.retry.max_attempts {
                        return Err(DispatchError::Conflict { attempts: attempt });
                    }
                    let cap = self
                        .retry
                        .max_backoff
                        .min(Duration::from_millis(1 << attempt.min(10)));
                    let pause = cap.mul_f64(fastrand::f64());
                    tokio::time::sleep(pause).await;
                }
                Err(AggregateError::DatabaseConnectionError(e)) => {
                    return Err(DispatchError::Unavailable(e.to_string()));
                }
                Err(
                    AggregateError::DeserializationError(e) | AggregateError::UnexpectedError(e),
                ) => {
                    tracing::error!(error = %e, "command failed unexpectedly");
                    return Err(DispatchError::Internal(e.to_string()));
                }
            }
        }
    }
}
