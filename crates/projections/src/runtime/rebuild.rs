//! Blue-green rebuild ([`Rebuilder`]): fill a new generation of one or several tables from the
//! start of the log while the live projectors keep serving the old ones, verify them, switch the
//! aliases, move the live projectors over, drop the old generations. Several tables are rebuilt
//! in **one pass of the log**: each batch read is folded into every table's new generation.
//!
//! Steps (each reported through the progress callback, for a progress bar, once per table):
//! 1. take the rebuild lease `holdfast-rebuild:<table>` of every table (one rebuild per table
//!    at a time);
//! 2. per table, new generation = max existing + 1; create it;
//! 3. **Building**: fold the log from [`Position::START`] up to what a read finds into an
//!    in-memory generation per table, then bulk load each table's items into its new
//!    generation (`BatchWriteItem`) and save its checkpoint;
//! 4. **Verifying**: diff each new generation item by item against the recompute it was loaded
//!    from ([`verify_loaded`](super::verify::verify_loaded); an empty log: a full
//!    [`verify`](super::verify::verify)); any difference stops the rebuild (readers stay on the
//!    old generations, the new ones are dropped);
//! 5. **CatchingUp**: apply what was written meanwhile (guarded patches, as the projector does),
//!    again one pass for every table;
//! 6. **Switching**: per table, point the alias at the new generation, then let the live
//!    projector move (in a [`ProjectionRuntime`](super::ProjectionRuntime) it is poked and
//!    awaited; a projector in another process notices within its `alias_check`, or when its
//!    generation disappears); it resumes from the new generation's checkpoint, so events written
//!    at any time during the rebuild are applied to the new generation — by the rebuild or by the
//!    live projector;
//! 7. drop the generations older than the new one. **Done**.
//!
//! A failure before the switches (steps 3–5, in any table) abandons the whole rebuild: every new
//! generation is dropped and readers stay where they were.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use holdfast_eventstore::{EventStore, Position, StoredEvent};
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

/// Progress of a rebuild (of one table; a rebuild of several reports each).
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

/// What a finished rebuild did (to one table).
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
    /// How long it took (the whole rebuild, when several tables were rebuilt together).
    pub elapsed: Duration,
}

/// A hook run after a table's alias switch and before its old generations are dropped.
pub(crate) type SwitchHook<'a> = Box<dyn Fn(Table, u32) -> BoxFuture<'a, ()> + Send + Sync + 'a>;

type Progress<'a> = &'a (dyn Fn(&RebuildProgress) + Send + Sync);

/// Rebuilds one table or several in one pass of the log (see the module docs).
pub struct Rebuilder {
    projections: Vec<Arc<dyn Projection>>,
    store: Arc<dyn ReadStore>,
    events: EventStore,
    options: ProjectorOptions,
    stop: watch::Receiver<bool>,
    _no_stop: Option<watch::Sender<bool>>,
}

/// One table of a rebuild.
struct Job {
    projection: Arc<dyn Projection>,
    old: Option<u32>,
    target: TableRef,
    state: RebuildProgress,
    /// The items bulk loaded, to verify against (`None`: filled with guarded patches).
    loaded: Option<BTreeMap<Key, Item>>,
    /// Everything up to here is applied to the new generation.
    position: Position,
}

impl Job {
    fn table(&self) -> Table {
        self.target.table
    }
}

impl Rebuilder {
    /// A rebuild of `projection`'s table in `store` from `events`.
    pub fn new(
        projection: Arc<dyn Projection>,
        store: Arc<dyn ReadStore>,
        events: EventStore,
    ) -> Self {
        Self::many([projection], store, events)
    }

    /// A rebuild of every projection's table together, in one pass of the log (a second
    /// projection of the same table is ignored).
    pub fn many(
        projections: impl IntoIterator<Item = Arc<dyn Projection>>,
        store: Arc<dyn ReadStore>,
        events: EventStore,
    ) -> Self {
        let mut unique: Vec<Arc<dyn Projection>> = Vec::new();
        for projection in projections {
            if !unique.iter().any(|p| p.table() == projection.table()) {
                unique.push(projection);
            }
        }
        let (tx, rx) = watch::channel(false);
        Self {
            projections: unique,
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

    /// Gives up (with [`RebuildError::Stopped`], dropping the unfinished generations) when
    /// `stop` says `true`.
    pub fn stop_on(mut self, stop: watch::Receiver<bool>) -> Self {
        self.stop = stop;
        self._no_stop = None;
        self
    }

    /// Runs the rebuild, calling `progress` after every batch and phase change; returns the
    /// report of the first table (the only one of a rebuilder made by [`Self::new`]).
    pub async fn run(
        &self,
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<RebuildReport, RebuildError> {
        let reports = self.run_all(progress).await?;
        Ok(reports
            .into_iter()
            .next()
            .expect("a rebuilder has at least one table"))
    }

    /// Runs the rebuild of every table, calling `progress` after every batch and phase change
    /// (per table); returns one report per table, in the order given.
    pub async fn run_all(
        &self,
        progress: impl Fn(&RebuildProgress) + Send + Sync,
    ) -> Result<Vec<RebuildReport>, RebuildError> {
        self.run_with_hook(&progress, Box::new(|_, _| Box::pin(async {})))
            .await
    }

    pub(crate) async fn run_with_hook(
        &self,
        progress: Progress<'_>,
        on_switch: SwitchHook<'_>,
    ) -> Result<Vec<RebuildReport>, RebuildError> {
        let mut leases = Vec::new();
        let mut busy = None;
        for projection in &self.projections {
            let table = projection.table();
            match Lease::try_acquire(&self.events, &format!("holdfast-rebuild:{table}")).await {
                Ok(Some(lease)) => leases.push(lease),
                Ok(None) => busy = Some(Ok(table)),
                Err(e) => busy = Some(Err(e)),
            }
            if busy.is_some() {
                break;
            }
        }
        let result = match busy {
            None => self.rebuild(progress, on_switch).await,
            Some(Ok(table)) => Err(RebuildError::AlreadyRunning(table)),
            Some(Err(e)) => Err(e.into()),
        };
        for lease in leases {
            lease.release().await;
        }
        result
    }

    async fn rebuild(
        &self,
        progress: Progress<'_>,
        on_switch: SwitchHook<'_>,
    ) -> Result<Vec<RebuildReport>, RebuildError> {
        let started = Instant::now();
        let head = self.events.log().head().await?;
        let mut jobs = Vec::with_capacity(self.projections.len());
        for projection in &self.projections {
            let table = projection.table();
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
            let state = RebuildProgress {
                table,
                generation,
                phase: RebuildPhase::Building,
                events: 0,
                position: Position::START,
                head,
                events_per_second: 0.0,
            };
            progress(&state);
            jobs.push(Job {
                projection: projection.clone(),
                old,
                target,
                state,
                loaded: None,
                position: Position::START,
            });
        }
        let outcome = self.build_and_verify(&mut jobs, started, progress).await;
        let reports = match outcome {
            Ok(reports) => reports,
            Err(e) => {
                for job in &jobs {
                    tracing::warn!(table = %job.table(), generation = job.target.generation, error = %e, "rebuild abandoned; dropping the new generation");
                    let _ = self.store.drop_table(job.target).await;
                }
                return Err(e);
            }
        };

        let mut done = Vec::with_capacity(jobs.len());
        for (mut job, report) in jobs.into_iter().zip(reports) {
            let (table, generation) = (job.table(), job.target.generation);
            job.state.phase = RebuildPhase::Switching;
            progress(&job.state);
            self.store.set_alias(table, generation).await?;
            on_switch(table, generation).await;
            let mut dropped = Vec::new();
            for g in self.store.generations(table).await? {
                if g < generation {
                    self.store.drop_table(TableRef::new(table, g)).await?;
                    dropped.push(g);
                }
            }
            job.state.phase = RebuildPhase::Done;
            progress(&job.state);
            tracing::info!(%table, generation, events = job.state.events, ?dropped, "rebuild switched");
            done.push(RebuildReport {
                table,
                old_generation: job.old,
                generation,
                events: job.state.events,
                verify: report,
                dropped,
                elapsed: started.elapsed(),
            });
        }
        Ok(done)
    }

    /// Steps 3 to 5 for every job: build, verify (each clean, or an error), catch up.
    async fn build_and_verify(
        &self,
        jobs: &mut [Job],
        started: Instant,
        progress: Progress<'_>,
    ) -> Result<Vec<VerifyReport>, RebuildError> {
        self.build_in_memory(jobs, started, progress).await?;
        let mut reports = Vec::with_capacity(jobs.len());
        for job in jobs.iter_mut() {
            job.state.phase = RebuildPhase::Verifying;
            progress(&job.state);
            let report = match job.loaded.take() {
                // What was bulk loaded is checked against the recompute it came from.
                Some(expected) => verify_loaded(self.store.as_ref(), job.target, &expected).await?,
                None => {
                    self.fill(std::slice::from_mut(job), started, progress)
                        .await?;
                    verify(
                        self.store.as_ref(),
                        self.events.log().as_ref(),
                        job.projection.as_ref(),
                        job.target.generation,
                    )
                    .await?
                }
            };
            if !report.is_clean() {
                return Err(RebuildError::Mismatch {
                    table: job.table(),
                    report: Box::new(report),
                });
            }
            reports.push(report);
        }
        for job in jobs.iter_mut() {
            job.state.phase = RebuildPhase::CatchingUp;
            progress(&job.state);
        }
        self.fill(jobs, started, progress).await?;
        Ok(reports)
    }

    /// The bulk of the build: folds the log, as it is now, once, into an in-memory generation
    /// per table (the same projections, plans and patches as the projectors), then writes each
    /// table's items into its new generation with [`ReadStore::put_items`] (`BatchWriteItem`:
    /// 25 items per request instead of one conditional write per item and batch) and saves its
    /// checkpoint. Nobody else writes to the new generations, so no version guard is needed;
    /// what the log gains meanwhile is applied by [`Self::fill`] afterwards, guarded as usual.
    /// A generation that already has a checkpoint is left to [`Self::fill`].
    async fn build_in_memory(
        &self,
        jobs: &mut [Job],
        started: Instant,
        progress: Progress<'_>,
    ) -> Result<(), RebuildError> {
        let memory = MemoryStore::new();
        let mut folding = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            if self.store.checkpoint(job.target).await?.is_none() {
                memory.create_table(job.target).await?;
                folding.push(i);
            }
        }
        if folding.is_empty() {
            return Ok(());
        }
        let mut stop = self.stop.clone();
        let mut position = Position::START;
        let mut last_head = Instant::now();
        loop {
            if *stop.borrow() {
                return Err(RebuildError::Stopped(jobs[folding[0]].table()));
            }
            let batch = self
                .read_batch(jobs[folding[0]].table(), position, &mut stop)
                .await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                break;
            };
            let head = self.head(&mut last_head).await;
            for &i in &folding {
                let job = &mut jobs[i];
                let table = job.table();
                let plan = plan(job.projection.as_ref(), &batch)
                    .map_err(|source| ProjectorError::Projection { table, source })?;
                for (at, patches) in plan.writes {
                    memory.apply(job.target, at, patches).await?;
                }
                advance(&mut job.state, last, batch.len(), started, head);
                progress(&job.state);
            }
            position = last;
        }
        if position == Position::START {
            return Ok(());
        }
        for &i in &folding {
            let job = &mut jobs[i];
            let (table, target) = (job.table(), job.target);
            let items = memory.scan(target).await?;
            memory.drop_table(target).await?;
            tracing::info!(%table, generation = target.generation, items = items.len(), events = job.state.events, folded_in = ?started.elapsed(), "rebuild: bulk loading the new generation");
            match retry(
                self.options.backoff(),
                &mut stop,
                ReadStoreError::is_transient,
                |e: &ReadStoreError, _| tracing::warn!(%table, error = %e, "rebuild: retrying the bulk load"),
                || self.store.put_items(target, items.clone()),
            )
            .await
            {
                Retried::Done(()) => {}
                Retried::Failed(source) => {
                    return Err(ProjectorError::Store { table, source }.into());
                }
                Retried::Stopped => return Err(RebuildError::Stopped(table)),
            }
            self.save_checkpoint(target, position, &mut stop).await?;
            job.position = position;
            job.loaded = Some(
                items
                    .into_iter()
                    .map(|item| (item.key.clone(), item))
                    .collect(),
            );
        }
        Ok(())
    }

    /// The next batch of the log after `position`, retrying transient failures (`table` names
    /// the rebuild in errors).
    async fn read_batch(
        &self,
        table: Table,
        position: Position,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Vec<StoredEvent>, RebuildError> {
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

    /// Records a generation's checkpoint, retrying transient failures.
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

    /// The log head, re-read at most every `status_interval` (`None`: keep the last known one).
    async fn head(&self, last_head: &mut Instant) -> Option<Position> {
        if last_head.elapsed() < self.options.status_interval {
            return None;
        }
        *last_head = Instant::now();
        self.events.log().head().await.ok()
    }

    /// Applies the log after each job's checkpoint until a read finds nothing new, in one pass
    /// for every job (each batch goes to the jobs that have not applied it yet).
    async fn fill(
        &self,
        jobs: &mut [Job],
        started: Instant,
        progress: Progress<'_>,
    ) -> Result<(), RebuildError> {
        let Some(first) = jobs.first().map(Job::table) else {
            return Ok(());
        };
        let mut stop = self.stop.clone();
        for job in jobs.iter_mut() {
            job.position = self
                .store
                .checkpoint(job.target)
                .await?
                .unwrap_or(Position::START);
        }
        let mut position = jobs.iter().map(|j| j.position).min().unwrap_or_default();
        let mut last_head = Instant::now();
        loop {
            let batch = self.read_batch(first, position, &mut stop).await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                return Ok(());
            };
            let head = self.head(&mut last_head).await;
            for job in jobs.iter_mut() {
                let fresh = batch.partition_point(|e| e.position <= job.position);
                let events = &batch[fresh..];
                if events.is_empty() {
                    continue;
                }
                self.apply_to(job, events).await?;
                self.save_checkpoint(job.target, last, &mut stop).await?;
                job.position = last;
                advance(&mut job.state, last, events.len(), started, head);
                progress(&job.state);
            }
            position = last;
        }
    }

    /// Applies `events` to a job's new generation with guarded patches.
    async fn apply_to(&self, job: &Job, events: &[StoredEvent]) -> Result<(), RebuildError> {
        let table = job.table();
        let plan = plan(job.projection.as_ref(), events)
            .map_err(|source| ProjectorError::Projection { table, source })?;
        let applied = apply_plan(
            &self.store,
            job.target,
            plan,
            self.options.concurrency,
            self.options.backoff(),
            &self.stop,
            &|e: &ReadStoreError| tracing::warn!(%table, error = %e, "rebuild: retrying"),
        )
        .await
        .map_err(|source| ProjectorError::Store { table, source })?;
        match applied {
            Some(_) => Ok(()),
            None => Err(RebuildError::Stopped(table)),
        }
    }
}

/// Counts `events` more events applied up to `last` (with the log head, when re-read).
fn advance(
    state: &mut RebuildProgress,
    last: Position,
    events: usize,
    started: Instant,
    head: Option<Position>,
) {
    state.events += events as u64;
    state.position = last;
    state.head = head.unwrap_or(state.head).max(last);
    let secs = started.elapsed().as_secs_f64();
    state.events_per_second = if secs > 0.0 {
        state.events as f64 / secs
    } else {
        0.0
    };
}
