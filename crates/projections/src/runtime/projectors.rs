//! [`ProjectionRuntime`]: starts one projector task per read model, all tailing one
//! [`SharedLog`] (one log query per wake-up for all of them), exposes their statuses,
//! answers consistency waits (read-your-writes), runs rebuilds (of one table, or of all in one
//! pass of the log) that the live projectors follow, and stops them gracefully.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use holdfast_eventstore::{EventStore, Position};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::projection::Projection;
use crate::store::{ReadStore, Table, TableRef};

use super::error::{ProjectorError, RebuildError, VerifyError, WaitError};
use super::rebuild::{RebuildProgress, RebuildReport, Rebuilder};
use super::runner::{Projector, ProjectorOptions};
use super::shared_log::SharedLog;
use super::status::{ProjectorState, ProjectorStatus};
use super::verify::{VerifyReport, verify};

/// How often a consistency wait re-reads the checkpoint while its projector stands by.
const STANDBY_POLL: Duration = Duration::from_millis(50);
/// How long a rebuild waits for the live projector to move to the new generation before it
/// drops the old one anyway (the projector then follows when its generation disappears).
const SWITCH_WAIT: Duration = Duration::from_secs(30);

struct Running {
    projection: Arc<dyn Projection>,
    status: watch::Receiver<ProjectorStatus>,
    stop: watch::Sender<bool>,
    recheck: Arc<Notify>,
    /// `None` once stopped (by [`ProjectionRuntime::stop`] or
    /// [`ProjectionRuntime::stop_projector`]).
    task: Mutex<Option<JoinHandle<Result<(), ProjectorError>>>>,
}

/// Running projectors, one task each, following their tables' aliases. Dropping the runtime
/// stops them gracefully (their stop signal's sender goes away); [`Self::stop`] also waits.
pub struct ProjectionRuntime {
    store: Arc<dyn ReadStore>,
    events: EventStore,
    log: Arc<SharedLog>,
    options: ProjectorOptions,
    projectors: BTreeMap<Table, Running>,
}

impl ProjectionRuntime {
    /// Starts a projector for each projection (one per table: a second projection of the same
    /// table is ignored, with a warning). Must be called within a Tokio runtime.
    pub fn start(
        store: Arc<dyn ReadStore>,
        events: EventStore,
        projections: impl IntoIterator<Item = Arc<dyn Projection>>,
        options: ProjectorOptions,
    ) -> Self {
        let log = Arc::new(SharedLog::new(events.log()));
        let mut projectors = BTreeMap::new();
        for projection in projections {
            let table = projection.table();
            if projectors.contains_key(&table) {
                tracing::warn!(%table, "a projector of this table already runs; ignoring another");
                continue;
            }
            let projector = Projector::new(projection.clone(), store.clone(), events.clone())
                .log(log.clone())
                .options(options);
            let recheck = projector.recheck_handle();
            let (status_tx, status) = watch::channel(ProjectorStatus::new(table));
            let (stop, stop_rx) = watch::channel(false);
            let task = tokio::spawn(projector.run(status_tx, stop_rx));
            projectors.insert(
                table,
                Running {
                    projection,
                    status,
                    stop,
                    recheck,
                    task: Mutex::new(Some(task)),
                },
            );
        }
        Self {
            store,
            events,
            log,
            options,
            projectors,
        }
    }

    /// The log reader every projector here shares (one query per wake-up for all of them);
    /// other followers in the process (the booking worker, the outbox) may tail it too.
    pub fn shared_log(&self) -> Arc<SharedLog> {
        self.log.clone()
    }

    /// The tables with a projector.
    pub fn tables(&self) -> Vec<Table> {
        self.projectors.keys().copied().collect()
    }

    /// The current status of a table's projector.
    pub fn status(&self, table: Table) -> Option<ProjectorStatus> {
        self.projectors
            .get(&table)
            .map(|r| r.status.borrow().clone())
    }

    /// Every projector's current status, by table.
    pub fn statuses(&self) -> Vec<ProjectorStatus> {
        self.projectors
            .values()
            .map(|r| r.status.borrow().clone())
            .collect()
    }

    /// A receiver of a table's projector status, to watch it change.
    pub fn subscribe(&self, table: Table) -> Option<watch::Receiver<ProjectorStatus>> {
        self.projectors.get(&table).map(|r| r.status.clone())
    }

    /// Consistency token: waits until `table`'s read model includes everything up to
    /// `position` — its projector has applied a position ≥ `position`, or the next readable
    /// event after what it has applied lies beyond `position` (nothing ≤ `position` is left).
    /// Returns `Ok(true)` then, `Ok(false)` when `timeout` passes first or at once when the
    /// projector has stopped or failed (it will not catch up). A standby (another instance
    /// holds the lease) answers from the active instance's saved checkpoint.
    pub async fn wait_for(
        &self,
        table: Table,
        position: Position,
        timeout: Duration,
    ) -> Result<bool, WaitError> {
        let mut status = self
            .subscribe(table)
            .ok_or(WaitError::UnknownTable(table))?;
        let deadline = Instant::now() + timeout;
        let log = self.events.log();
        let mut log_checked_at: Option<Position> = None;
        loop {
            let now = status.borrow_and_update().clone();
            if now.position >= position {
                return Ok(true);
            }
            let mut poll = None;
            match &now.state {
                ProjectorState::Failed { .. } | ProjectorState::Stopped => return Ok(false),
                ProjectorState::Standby => {
                    if let Some(g) = now.generation
                        && let Ok(Some(saved)) =
                            self.store.checkpoint(TableRef::new(table, g)).await
                        && saved >= position
                    {
                        return Ok(true);
                    }
                    poll = Some(STANDBY_POLL);
                }
                ProjectorState::Waiting if log_checked_at != Some(now.position) => {
                    log_checked_at = Some(now.position);
                    if let Ok(next) = log.read(now.position, 1).await
                        && next.first().is_some_and(|e| e.position > position)
                    {
                        return Ok(true);
                    }
                }
                _ => {}
            }
            let until = poll.map_or(deadline, |p| (Instant::now() + p).min(deadline));
            tokio::select! {
                changed = status.changed() => {
                    if changed.is_err() {
                        return Ok(status.borrow().position >= position);
                    }
                }
                () = tokio::time::sleep_until(until) => {}
            }
            if Instant::now() >= deadline {
                return Ok(status.borrow().position >= position);
            }
        }
    }

    /// Rebuilds `table` blue-green (see [`super::rebuild`]); the live projector moves to the new
    /// generation before the old one is dropped.
    pub async fn rebuild(
        &self,
        table: Table,
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<RebuildReport, RebuildError> {
        let mut reports = self.rebuild_tables(&[table], progress).await?;
        Ok(reports.remove(0))
    }

    /// Rebuilds every table with a projector here, blue-green, in one pass of the log (see
    /// [`super::rebuild`]); each live projector moves to its new generation before the old one
    /// is dropped. One report per table, in table order.
    pub async fn rebuild_all(
        &self,
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<Vec<RebuildReport>, RebuildError> {
        self.rebuild_tables(&self.tables(), progress).await
    }

    async fn rebuild_tables(
        &self,
        tables: &[Table],
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<Vec<RebuildReport>, RebuildError> {
        let mut projections = Vec::with_capacity(tables.len());
        for table in tables {
            let running = self
                .projectors
                .get(table)
                .ok_or(RebuildError::UnknownTable(*table))?;
            projections.push(running.projection.clone());
        }
        let rebuilder = Rebuilder::many(projections, self.store.clone(), self.events.clone())
            .options(self.options);
        let projectors = &self.projectors;
        rebuilder
            .run_with_hook(
                &progress,
                Box::new(move |table, generation| {
                    Box::pin(async move {
                        let Some(running) = projectors.get(&table) else {
                            return;
                        };
                        running.recheck.notify_one();
                        let mut status = running.status.clone();
                        let moved = tokio::time::timeout(
                            SWITCH_WAIT,
                            status.wait_for(|s| s.generation == Some(generation)),
                        )
                        .await;
                        if !matches!(moved, Ok(Ok(_))) {
                            tracing::warn!(%table, generation, "live projector did not move in time; dropping the old generation anyway");
                        }
                    })
                }),
            )
            .await
    }

    /// Verifies the generation `table`'s projector currently writes.
    pub async fn verify(&self, table: Table) -> Result<VerifyReport, VerifyError> {
        let running = self
            .projectors
            .get(&table)
            .ok_or(VerifyError::NoGeneration(table))?;
        let generation = match running.status.borrow().generation {
            Some(g) => g,
            None => self
                .store
                .alias(table)
                .await?
                .ok_or(VerifyError::NoGeneration(table))?,
        };
        verify(
            self.store.as_ref(),
            self.events.log().as_ref(),
            running.projection.as_ref(),
            generation,
        )
        .await
    }

    /// Stops every projector (each finishes or abandons its current store call; an unfinished
    /// batch is re-applied idempotently next time) and returns how each ended.
    /// Stopping again returns nothing more: each projector is stopped and reported once.
    pub async fn stop(&self) -> BTreeMap<Table, Result<(), ProjectorError>> {
        for running in self.projectors.values() {
            running.stop.send_replace(true);
        }
        let mut ended = BTreeMap::new();
        for (table, running) in &self.projectors {
            if let Some(task) = running.take_task() {
                ended.insert(*table, join(task).await);
            }
        }
        ended
    }

    /// Kills every projector at once, mid-batch if need be, as a crash would (their leases go
    /// with their connections). For tests and emergencies; prefer [`Self::stop`].
    pub fn abort(&self) {
        for running in self.projectors.values() {
            if let Some(task) = running.take_task() {
                task.abort();
            }
        }
    }

    /// Stops one projector and waits for it; its last status stays readable (`Stopped` or
    /// `Failed`) and consistency waits on it answer `false` at once. `None` if it was not
    /// running here.
    pub async fn stop_projector(&self, table: Table) -> Option<Result<(), ProjectorError>> {
        let running = self.projectors.get(&table)?;
        running.stop.send_replace(true);
        let task = running.take_task()?;
        Some(join(task).await)
    }
}

impl Running {
    fn take_task(&self) -> Option<JoinHandle<Result<(), ProjectorError>>> {
        // A panic while holding this lock cannot leave the handle inconsistent.
        self.task.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

async fn join(task: JoinHandle<Result<(), ProjectorError>>) -> Result<(), ProjectorError> {
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Ok(()),
    }
}
