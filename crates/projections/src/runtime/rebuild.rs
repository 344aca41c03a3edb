//! Blue-green rebuild ([`Rebuilder`]): fill a new generation of a table from the start of the
//! log while the live projector keeps serving the old one, verify it, switch the alias, move the
//! live projector over, drop the old generation.
//!
//! Steps (each reported through the progress callback, for a progress bar):
//! 1. take the rebuild lease `holdfast-rebuild:<table>` (one rebuild per table at a time);
//! 2. new generation = max existing + 1; create it;
//! 3. **Building**: fold the log from [`Position::START`] up to what a read finds into an
//!    in-memory generation, bulk load its items into the new one (`BatchWriteItem`) and save
//!    its checkpoint;
//! 4. **Verifying**: diff the new generation item by item against the recompute it was loaded
//!    from ([`verify_loaded`](super::verify::verify_loaded); an empty log: a full
//!    [`verify`](super::verify::verify)); any difference stops the rebuild (readers stay on the
//!    old generation, the new one is dropped);
//! 5. **CatchingUp**: apply what was written meanwhile (guarded patches, as the projector does);
//! 6. **Switching**: point the alias at the new generation, then let the live projector move
//!    (in a [`ProjectionRuntime`](super::ProjectionRuntime) it is poked and awaited; a projector
//!    in another process notices within its `alias_check`, or when its generation disappears);
//!    it resumes from the new generation's checkpoint, so events written at any time during the
//!    rebuild are applied to the new generation — by the rebuild or by the live projector;
//! 7. drop the generations older than the new one. **Done**.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use holdfast_eventstore::{EventStore, Position};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::projection::Projection;
use crate::store::memory::MemoryStore;
use crate::store::{Item, Key, ReadStore, ReadStoreError, Table, TableRef};

use super::apply::{apply_plan, plan};
use super::backoff::{Retried, retry};
use super::error::{ProjectorError, RebuildError};
use super::lease::Lease;
use super::runner::ProjectorOptions;
use super::verify::{VerifyReport, verify, verify_loaded};

/// Where a rebuild is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebuildPhase {
    /// Applying the log into the new generation.
    Building,
    /// Recomputing in memory and diffing.
    Verifying,
    /// Applying what was written during the build and the verification.
    CatchingUp,
    /// Switching readers and the live projector.
    Switching,
    /// Finished.
    Done,
}

/// Progress of a rebuild.
#[derive(Clone, Debug, PartialEq)]
pub struct RebuildProgress {
    /// The table.
    pub table: Table,
    /// The generation being built.
    pub generation: u32,
    /// The phase.
    pub phase: RebuildPhase,
    /// Events applied so far.
    pub events: u64,
    /// The last event applied.
    pub position: Position,
    /// The log head when last measured (the bar's end; it moves while writes continue).
    pub head: Position,
    /// Events applied per second since the start.
    pub events_per_second: f64,
}

/// What a finished rebuild did.
#[derive(Clone, Debug, PartialEq)]
pub struct RebuildReport {
    /// The table.
    pub table: Table,
    /// The generation readers used before.
    pub old_generation: Option<u32>,
    /// The generation readers use now.
    pub generation: u32,
    /// Events applied by the rebuild.
    pub events: u64,
    /// The verification of the new generation (clean).
    pub verify: VerifyReport,
    /// Generations dropped.
    pub dropped: Vec<u32>,
    /// How long it took.
    pub elapsed: Duration,
}

/// A hook run after the alias switch and before the old generations are dropped.
pub(crate) type SwitchHook<'a> = Box<dyn FnOnce(u32) -> BoxFuture<'a, ()> + Send + 'a>;

/// Rebuilds one table (see the module docs).
pub struct Rebuilder {
    projection: Arc<dyn Projection>,
    store: Arc<dyn ReadStore>,
    events: EventStore,
    options: ProjectorOptions,
    stop: watch::Receiver<bool>,
    _no_stop: Option<watch::Sender<bool>>,
}

impl Rebuilder {
    /// A rebuild of `projection`'s table in `store` from `events`.
    pub fn new(
        projection: Arc<dyn Projection>,
        store: Arc<dyn ReadStore>,
        events: EventStore,
    ) -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            projection,
            store,
            events,
            options: ProjectorOptions::default(),
            stop: rx,
            _no_stop: Some(tx),
        }
    }

    /// Uses these batch size, concurrency and backoff settings.
    pub fn options(mut self, options: ProjectorOptions) -> Self {
        self.options = options;
        self
    }

    /// Gives up (with [`RebuildError::Stopped`], dropping the unfinished generation) when
    /// `stop` says `true`.
    pub fn stop_on(mut self, stop: watch::Receiver<bool>) -> Self {
        self.stop = stop;
        self._no_stop = None;
        self
    }

    fn table(&self) -> Table {
        self.projection.table()
    }

    /// Runs the rebuild, calling `progress` after every batch and phase change.
    pub async fn run(
        &self,
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<RebuildReport, RebuildError> {
        self.run_with_hook(&progress, Box::new(|_| Box::pin(async {})))
            .await
    }

    pub(crate) async fn run_with_hook(
        &self,
        progress: &(dyn Fn(&RebuildProgress) + Send + Sync),
        on_switch: SwitchHook<'_>,
    ) -> Result<RebuildReport, RebuildError> {
        let table = self.table();
        let lease_name = format!("holdfast-rebuild:{table}");
        let Some(lease) = Lease::try_acquire(&self.events, &lease_name).await? else {
            return Err(RebuildError::AlreadyRunning(table));
        };
        let result = self.rebuild(progress, on_switch).await;
        lease.release().await;
        result
    }

    async fn rebuild(
        &self,
        progress: &(dyn Fn(&RebuildProgress) + Send + Sync),
        on_switch: SwitchHook<'_>,
    ) -> Result<RebuildReport, RebuildError> {
        let started = Instant::now();
        let table = self.table();
        let old = self.store.alias(table).await?;
        let existing = self.store.generations(table).await?;
        let generation = existing
            .iter()
            .copied()
            .chain(old)
            .max()
            .map_or(1, |g| g + 1);
        let target = TableRef::new(table, generation);
        self.store.create_table(target).await?;
        tracing::info!(%table, generation, old = ?old, "rebuild started");

        let mut state = RebuildProgress {
            table,
            generation,
            phase: RebuildPhase::Building,
            events: 0,
            position: Position::START,
            head: self.events.log().head().await?,
            events_per_second: 0.0,
        };
        progress(&state);
        let outcome = async {
            let loaded = self
                .build_in_memory(target, &mut state, started, progress)
                .await?;
            state.phase = RebuildPhase::Verifying;
            progress(&state);
            let report = match &loaded {
                // What was bulk loaded is checked against the recompute it came from.
                Some(expected) => verify_loaded(self.store.as_ref(), target, expected).await?,
                None => {
                    self.fill(target, &mut state, started, progress).await?;
                    verify(
                        self.store.as_ref(),
                        self.events.log().as_ref(),
                        self.projection.as_ref(),
                        generation,
                    )
                    .await?
                }
            };
            drop(loaded);
            if !report.is_clean() {
                return Err(RebuildError::Mismatch {
                    table,
                    report: Box::new(report),
                });
            }
            state.phase = RebuildPhase::CatchingUp;
            progress(&state);
            self.fill(target, &mut state, started, progress).await?;
            Ok(report)
        }
        .await;
        let report = match outcome {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(%table, generation, error = %e, "rebuild abandoned; dropping the new generation");
                let _ = self.store.drop_table(target).await;
                return Err(e);
            }
        };

        state.phase = RebuildPhase::Switching;
        progress(&state);
        self.store.set_alias(table, generation).await?;
        on_switch(generation).await;
        let mut dropped = Vec::new();
        for g in self.store.generations(table).await? {
            if g < generation {
                self.store.drop_table(TableRef::new(table, g)).await?;
                dropped.push(g);
            }
        }
        state.phase = RebuildPhase::Done;
        progress(&state);
        tracing::info!(%table, generation, events = state.events, ?dropped, "rebuild switched");
        Ok(RebuildReport {
            table,
            old_generation: old,
            generation,
            events: state.events,
            verify: report,
            dropped,
            elapsed: started.elapsed(),
        })
    }

    /// The bulk of the build: folds the log, as it is now, into an in-memory generation (the
    /// same projection, plans and patches as the projector), then writes every item into the
    /// new generation with [`ReadStore::put_items`] (`BatchWriteItem`: 25 items per request
    /// instead of one conditional `UpdateItem` per item and batch) and saves the checkpoint.
    /// Nobody else writes to the new generation, so no version guard is needed; what the log
    /// gains meanwhile is applied by [`Self::fill`] afterwards, guarded as usual.
    async fn build_in_memory(
        &self,
        target: TableRef,
        state: &mut RebuildProgress,
        started: Instant,
        progress: &(dyn Fn(&RebuildProgress) + Send + Sync),
    ) -> Result<Option<BTreeMap<Key, Item>>, RebuildError> {
        let table = target.table;
        if self.store.checkpoint(target).await?.is_some() {
            return Ok(None);
        }
        let memory: Arc<dyn ReadStore> = Arc::new(MemoryStore::new());
        memory.create_table(target).await?;
        let mut stop = self.stop.clone();
        let backoff = self.options.backoff();
        let mut position = Position::START;
        let mut last_head = Instant::now();
        loop {
            if *stop.borrow() {
                return Err(RebuildError::Stopped(table));
            }
            let batch = self.read_batch(table, position, &mut stop).await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                break;
            };
            let plan = plan(self.projection.as_ref(), &batch)
                .map_err(|source| ProjectorError::Projection { table, source })?;
            for (at, patches) in plan.writes {
                memory.apply(target, at, patches).await?;
            }
            position = last;
            self.advance(state, last, batch.len(), started, &mut last_head)
                .await;
            progress(state);
        }
        if position == Position::START {
            return Ok(None);
        }
        let items = memory.scan(target).await?;
        drop(memory);
        tracing::info!(%table, generation = target.generation, items = items.len(), events = state.events, folded_in = ?started.elapsed(), "rebuild: bulk loading the new generation");
        let store_error = |source| ProjectorError::Store { table, source };
        match retry(
            backoff,
            &mut stop,
            ReadStoreError::is_transient,
            |e: &ReadStoreError, _| tracing::warn!(%table, error = %e, "rebuild: retrying the bulk load"),
            || self.store.put_items(target, items.clone()),
        )
        .await
        {
            Retried::Done(()) => {}
            Retried::Failed(e) => return Err(store_error(e).into()),
            Retried::Stopped => return Err(RebuildError::Stopped(table)),
        }
        self.save_checkpoint(target, position, &mut stop).await?;
        Ok(Some(
            items
                .into_iter()
                .map(|item| (item.key.clone(), item))
                .collect(),
        ))
    }

    /// The next batch of the log after `position`, retrying transient failures.
    async fn read_batch(
        &self,
        table: Table,
        position: Position,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Vec<holdfast_eventstore::StoredEvent>, RebuildError> {
        let log = self.events.log();
        match retry(
            self.options.backoff(),
            stop,
            |e: &holdfast_eventstore::EventStoreError| e.is_transient(),
            |_, _| {},
            || log.read(position, self.options.batch_size.max(1)),
        )
        .await
        {
            Retried::Done(batch) => Ok(batch),
            Retried::Failed(source) => Err(ProjectorError::Events { table, source }.into()),
            Retried::Stopped => Err(RebuildError::Stopped(table)),
        }
    }

    /// Records the generation's checkpoint, retrying transient failures.
    async fn save_checkpoint(
        &self,
        target: TableRef,
        position: Position,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), RebuildError> {
        match retry(
            self.options.backoff(),
            stop,
            ReadStoreError::is_transient,
            |_, _| {},
            || self.store.save_checkpoint(target, position),
        )
        .await
        {
            Retried::Done(()) => Ok(()),
            Retried::Failed(source) => Err(ProjectorError::Store {
                table: target.table,
                source,
            }
            .into()),
            Retried::Stopped => Err(RebuildError::Stopped(target.table)),
        }
    }

    /// Counts `events` more events applied up to `last` (refreshing the log head now and then).
    async fn advance(
        &self,
        state: &mut RebuildProgress,
        last: Position,
        events: usize,
        started: Instant,
        last_head: &mut Instant,
    ) {
        state.events += events as u64;
        state.position = last;
        if last > state.head || last_head.elapsed() >= self.options.status_interval {
            *last_head = Instant::now();
            if let Ok(head) = self.events.log().head().await {
                state.head = head.max(last);
            }
        }
        let secs = started.elapsed().as_secs_f64();
        state.events_per_second = if secs > 0.0 {
            state.events as f64 / secs
        } else {
            0.0
        };
    }

    /// Applies the log after the generation's checkpoint until a read finds nothing new.
    async fn fill(
        &self,
        target: TableRef,
        state: &mut RebuildProgress,
        started: Instant,
        progress: &(dyn Fn(&RebuildProgress) + Send + Sync),
    ) -> Result<(), RebuildError> {
        let table = target.table;
        let mut stop = self.stop.clone();
        let backoff = self.options.backoff();
        let store_error = |source| ProjectorError::Store { table, source };
        let mut position = self
            .store
            .checkpoint(target)
            .await?
            .unwrap_or(Position::START);
        let mut last_head = Instant::now();
        loop {
            let batch = self.read_batch(table, position, &mut stop).await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                return Ok(());
            };
            let plan = plan(self.projection.as_ref(), &batch)
                .map_err(|source| ProjectorError::Projection { table, source })?;
            let applied = apply_plan(
                &self.store,
                target,
                plan,
                self.options.concurrency,
                backoff,
                &stop,
                &|e: &ReadStoreError| tracing::warn!(%table, error = %e, "rebuild: retrying"),
            )
            .await
            .map_err(store_error)?;
            if applied.is_none() {
                return Err(RebuildError::Stopped(table));
            }
            self.save_checkpoint(target, last, &mut stop).await?;
            position = last;
            self.advance(state, last, batch.len(), started, &mut last_head)
                .await;
            progress(state);
        }
    }
}
