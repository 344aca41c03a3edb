//! [`Projector`]: runs one projection into one table generation, for as long as it is asked to.
//!
//! Loop: take the lease (or stand by) → resolve the generation ([`Target`]) → read its
//! checkpoint → tail the log from there → for each batch: plan the patches, apply them
//! ([`super::apply`]), save the checkpoint → publish the status. Transient failures of either
//! store are retried with capped exponential backoff, keeping the position; anything else stops
//! the projector with a [`ProjectorError`]. Restarting from an older checkpoint (or from
//! [`Position::START`]) is always safe: see the [module docs](super).
//!
//! Lag is measured from the log's head by a meter beside that loop, on its own timer (every
//! `status_interval`, at least [`LAG_PERIOD_MIN`]), and when the projector goes idle. The
//! meter does not wait for batches, so while the projector is stuck retrying a store that does
//! not answer, its published head, `lag_events` and `lag_seconds` keep growing with the log.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use holdfast_eventstore::{EventLog, EventStore, EventStoreError, Position, Tailer, TailerOptions};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::projection::Projection;
use crate::store::{ReadStore, ReadStoreError, Table, TableRef};

use super::apply::{apply_plan, plan};
use super::backoff::{Backoff, Retried, retry, sleep_unless_stopped, stopped};
use super::error::ProjectorError;
use super::lease::{Lease, Waiting};
use super::status::{Lag, ProjectorState, ProjectorStatus, measure_lag};

/// The shortest period of the lag meter (a `status_interval` of zero means "as often as this").
pub const LAG_PERIOD_MIN: Duration = Duration::from_millis(50);

/// Which generation a projector writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The generation the table's alias names, following it when a rebuild switches it (the
    /// projector checks the alias every `alias_check`, when poked by the runtime, and when its
    /// generation disappears). With no alias yet, the projector creates generation
    /// `max existing + 1` (1 on a fresh store), points the alias at it and fills it from the
    /// start: readers see it fill up (use consistency waits for read-your-writes).
    Alias,
    /// This generation (created if missing); used by rebuilds and tests.
    Generation(u32),
}

/// How a projector reads, writes, retries and reports.
#[derive(Clone, Copy, Debug)]
pub struct ProjectorOptions {
    /// Events per log read (and per checkpoint).
    pub batch_size: usize,
    /// Store calls in flight at once within a batch.
    pub concurrency: usize,
    /// Longest wait for new events without a wake-up (see [`TailerOptions::poll_interval`]).
    pub poll_interval: Duration,
    /// After this long without events the projector reports `Waiting` and re-checks its lease
    /// and alias.
    pub idle_timeout: Duration,
    /// How often a standby retries the lease.
    pub lease_retry: Duration,
    /// How often the holder checks that its lease is still held.
    pub lease_check: Duration,
    /// How often a projector following the alias checks it while busy.
    pub alias_check: Duration,
    /// How often the lag is measured (from the log's head, whatever the projector is doing;
    /// at least [`LAG_PERIOD_MIN`]).
    pub status_interval: Duration,
    /// First retry delay after a transient failure.
    pub backoff_min: Duration,
    /// Largest retry delay.
    pub backoff_max: Duration,
}

impl Default for ProjectorOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            concurrency: 16,
            poll_interval: Duration::from_millis(250),
            idle_timeout: Duration::from_secs(1),
            lease_retry: Duration::from_secs(3),
            lease_check: Duration::from_secs(5),
            alias_check: Duration::from_secs(5),
            status_interval: Duration::from_secs(1),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
        }
    }
}

impl ProjectorOptions {
    pub(crate) fn backoff(&self) -> Backoff {
        Backoff::new(self.backoff_min, self.backoff_max)
    }
}

/// The lease name of a table's projector: `holdfast-projector:<table>`.
pub fn projector_lease_name(table: Table) -> String {
    format!("holdfast-projector:{table}")
}

/// Runs one projection into one table generation.
pub struct Projector {
    projection: Arc<dyn Projection>,
    store: Arc<dyn ReadStore>,
    events: EventStore,
    /// What the projector tails: the store's log, or a [`super::SharedLog`] in front of it.
    log: Arc<dyn EventLog>,
    target: Target,
    options: ProjectorOptions,
    lease: Option<String>,
    recheck: Arc<Notify>,
}

enum Served {
    Stopped,
    LeaseLost,
}

/// How long the last checkpoint save of a generation (when stopping or switching) is retried.
const LAST_SAVE_TIMEOUT: Duration = Duration::from_secs(5);

enum Next {
    Stopped,
    Switch,
}

impl Projector {
    /// A projector of `projection` into `store`, following the table's alias, under the lease
    /// [`projector_lease_name`], with default options.
    pub fn new(
        projection: Arc<dyn Projection>,
        store: Arc<dyn ReadStore>,
        events: EventStore,
    ) -> Self {
        let lease = Some(projector_lease_name(projection.table()));
        Self {
            projection,
            store,
            log: events.log(),
            events,
            target: Target::Alias,
            options: ProjectorOptions::default(),
            lease,
            recheck: Arc::new(Notify::new()),
        }
    }

    /// Writes `target` instead of the alias' generation.
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Uses `options`.
    pub fn options(mut self, options: ProjectorOptions) -> Self {
        self.options = options;
        self
    }

    /// Tails `log` (e.g. a [`super::SharedLog`] several projectors read through) instead of the
    /// event store's own log.
    pub fn log(mut self, log: Arc<dyn EventLog>) -> Self {
        self.log = log;
        self
    }

    /// Runs without a lease (for a private generation nobody else writes, e.g. a rebuild).
    pub fn without_lease(mut self) -> Self {
        self.lease = None;
        self
    }

    /// A handle that makes the projector re-check its alias now (used after a rebuild).
    pub fn recheck_handle(&self) -> Arc<Notify> {
        self.recheck.clone()
    }

    /// Runs until `stop` says `true` (or its sender is dropped), publishing its status on
    /// `status`. Returns `Ok` when stopped, or the error that stopped it (also published as
    /// [`ProjectorState::Failed`]). A graceful stop finishes nothing half-way that matters: a
    /// batch interrupted before its checkpoint is simply re-applied (idempotently) next time.
    pub async fn run(
        self,
        status: watch::Sender<ProjectorStatus>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), ProjectorError> {
        let table = self.projection.table();
        tracing::info!(%table, target = ?self.target, "projector starting");
        let result = tokio::select! {
            result = self.run_inner(&status, &mut stop) => result,
            never = self.meter_lag(&status) => match never {},
        };
        status.send_modify(|s| {
            s.state = match &result {
                Ok(()) => ProjectorState::Stopped,
                Err(e) => ProjectorState::Failed {
                    error: e.to_string(),
                },
            }
        });
        match &result {
            Ok(()) => tracing::info!(%table, "projector stopped"),
            Err(e) => tracing::error!(%table, error = %e, "projector failed"),
        }
        result
    }

    fn table(&self) -> Table {
        self.projection.table()
    }

    /// Measures the lag of the published position every `status_interval` (at least
    /// [`LAG_PERIOD_MIN`]), independently of the apply loop: a projector blocked retrying a
    /// store still shows its true, growing lag. Nothing is measured before the position is
    /// known (no generation yet); a failed measurement keeps the last figures.
    async fn meter_lag(&self, status: &watch::Sender<ProjectorStatus>) -> Infallible {
        let mut ticks = tokio::time::interval(self.options.status_interval.max(LAG_PERIOD_MIN));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (known, position) = {
                let s = status.borrow();
                (s.generation.is_some(), s.position)
            };
            if !known {
                continue;
            }
            match measure_lag(&self.events, position).await {
                Ok(lag) => status.send_modify(|s| publish_lag(s, position, lag)),
                Err(e) => tracing::debug!(table = %self.table(), error = %e, "cannot measure lag"),
            }
        }
    }

    fn store_error(&self, source: ReadStoreError) -> ProjectorError {
        ProjectorError::Store {
            table: self.table(),
            source,
        }
    }

    /// Whether `e` says the generation this projector follows through the alias was dropped
    /// (a rebuild switched readers away): then it re-reads the alias instead of failing.
    fn generation_gone(&self, e: &ProjectorError) -> bool {
        self.target == Target::Alias
            && matches!(
                e,
                ProjectorError::Store {
                    source: ReadStoreError::NoSuchTable(_),
                    ..
                }
            )
    }

    fn events_error(&self, source: EventStoreError) -> ProjectorError {
        ProjectorError::Events {
            table: self.table(),
            source,
        }
    }

    async fn run_inner(
        &self,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectorError> {
        loop {
            let lease = match &self.lease {
                None => None,
                Some(name) => match self.acquire(name, status, stop).await? {
                    Some(lease) => Some(lease),
                    None => return Ok(()),
                },
            };
            match self.serve(lease, status, stop).await? {
                Served::Stopped => return Ok(()),
                Served::LeaseLost => {
                    tracing::warn!(table = %self.table(), "projector lost its lease; standing by");
                }
            }
        }
    }

    /// Takes the lease, standing by while another instance holds it. `None`: stopped.
    async fn acquire(
        &self,
        name: &str,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<Lease>, ProjectorError> {
        let mut waiter = Lease::waiter(
            &self.events,
            name,
            self.options.lease_retry,
            self.options.backoff(),
        );
        loop {
            match waiter.next(stop).await.map_err(|e| self.events_error(e))? {
                Waiting::Taken(lease) => {
                    tracing::info!(table = %self.table(), lease = name, "projector took its lease");
                    return Ok(Some(lease));
                }
                Waiting::Stopped => return Ok(None),
                Waiting::Standby => self.publish_standby(status).await,
                Waiting::Retrying(error) => {
                    status.send_modify(|s| s.state = ProjectorState::Retrying { error })
                }
            }
        }
    }

    /// A standby shows the active instance's progress (its saved checkpoint), best effort.
    async fn publish_standby(&self, status: &watch::Sender<ProjectorStatus>) {
        let generation = match self.target {
            Target::Generation(g) => Some(g),
            Target::Alias => self.store.alias(self.table()).await.ok().flatten(),
        };
        let checkpoint = match generation {
            Some(g) => self
                .store
                .checkpoint(TableRef::new(self.table(), g))
                .await
                .ok()
                .flatten(),
            None => None,
        };
        status.send_modify(|s| {
            s.state = ProjectorState::Standby;
            s.generation = generation;
            if let Some(position) = checkpoint {
                s.position = position;
                s.checkpoint = position;
            }
        });
    }

    async fn resolve_generation(&self) -> Result<u32, ReadStoreError> {
        let table = self.table();
        match self.target {
            Target::Generation(g) => {
                self.store.create_table(TableRef::new(table, g)).await?;
                Ok(g)
            }
            Target::Alias => match self.store.alias(table).await? {
                Some(g) => Ok(g),
                None => {
                    let g = self
                        .store
                        .generations(table)
                        .await?
                        .last()
                        .map_or(1, |g| g + 1);
                    self.store.create_table(TableRef::new(table, g)).await?;
                    self.store.set_alias(table, g).await?;
                    tracing::info!(%table, generation = g, "created the first generation");
                    Ok(g)
                }
            },
        }
    }

    /// Retries a store call; `Ok(None)` when stopped.
    async fn store_retry<T, F, Fut>(
        &self,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
        op: F,
    ) -> Result<Option<T>, ProjectorError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ReadStoreError>>,
    {
        let out = retry(
            self.options.backoff(),
            stop,
            ReadStoreError::is_transient,
            |e, delay| retrying(status, self.table(), e, delay),
            op,
        )
        .await;
        match out {
            Retried::Done(v) => Ok(Some(v)),
            Retried::Failed(e) => Err(self.store_error(e)),
            Retried::Stopped => Ok(None),
        }
    }

    async fn serve(
        &self,
        mut lease: Option<Lease>,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Served, ProjectorError> {
        loop {
            match self.serve_generation(&mut lease, status, stop).await? {
                Some(Next::Switch) => continue,
                Some(Next::Stopped) => {
                    if let Some(lease) = lease {
                        lease.release().await;
                    }
                    return Ok(Served::Stopped);
                }
                None => return Ok(Served::LeaseLost),
            }
        }
    }

    /// Serves one generation; `None` when the lease was lost.
    async fn serve_generation(
        &self,
        lease: &mut Option<Lease>,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<Next>, ProjectorError> {
        let table = self.table();
        status.send_modify(|s| s.state = ProjectorState::Starting);
        let Some(generation) = self
            .store_retry(status, stop, || self.resolve_generation())
            .await?
        else {
            return Ok(Some(Next::Stopped));
        };
        let tref = TableRef::new(table, generation);
        let Some(checkpoint) = self
            .store_retry(status, stop, || self.store.checkpoint(tref))
            .await?
        else {
            return Ok(Some(Next::Stopped));
        };
        let start = checkpoint.unwrap_or(Position::START);
        tracing::info!(%table, generation, from = %start, "projector serving");
        status.send_modify(|s| {
            s.generation = Some(generation);
            s.position = start;
            s.checkpoint = start;
        });
        // Checkpoints are saved beside the batches, not between them: a batch's position is
        // published to readers (`status.position`, what consistency waits watch) as soon as
        // its items are written, and the saver writes the newest applied position while the
        // next batch is read and applied (several batches applied during one save: one save).
        let (applied, to_save) = watch::channel(start);
        let saver = self.save_checkpoints(tref, start, to_save, status, stop.clone());
        let batches = async {
            let next = self
                .serve_batches(tref, start, lease, status, stop, &applied)
                .await;
            drop(applied);
            next
        };
        tokio::pin!(saver, batches);
        tokio::select! {
            next = &mut batches => {
                // Let the saver write the last applied position, then stop.
                let saved = saver.await;
                match (next, saved) {
                    (Err(e), _) => Err(e),
                    (Ok(next), Ok(())) => Ok(next),
                    (Ok(_), Err(e)) if self.generation_gone(&e) => Ok(Some(Next::Switch)),
                    (Ok(_), Err(e)) => Err(e),
                }
            }
            saved = &mut saver => match saved {
                Err(e) if self.generation_gone(&e) => Ok(Some(Next::Switch)),
                Err(e) => Err(e),
                // Stopped while saving: the batches stop at their next check.
                Ok(()) => batches.await,
            },
        }
    }

    /// Saves the newest position `applied` says, whenever it moves, until its sender is gone
    /// (then once more, the last one). Transient failures are retried (until stopped).
    async fn save_checkpoints(
        &self,
        tref: TableRef,
        start: Position,
        mut applied: watch::Receiver<Position>,
        status: &watch::Sender<ProjectorStatus>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), ProjectorError> {
        // What the channel started with: the batches may have moved it on before this first
        // runs, so it is not read from the channel.
        let mut saved = start;
        let mut open = true;
        loop {
            let target = *applied.borrow_and_update();
            if target > saved {
                if open {
                    let done = self
                        .store_retry(status, &mut stop, || {
                            self.store.save_checkpoint(tref, target)
                        })
                        .await?;
                    if done.is_none() {
                        return Ok(());
                    }
                } else {
                    // The last save, when the batches are over (also when stopping): retried
                    // for a while even when stopping, so that a restart resumes from here.
                    let (_keep, mut never) = watch::channel(false);
                    let last = self.store_retry(status, &mut never, || {
                        self.store.save_checkpoint(tref, target)
                    });
                    match tokio::time::timeout(LAST_SAVE_TIMEOUT, last).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(e),
                        Err(_) => {
                            tracing::warn!(table = %tref.table, "could not save the last checkpoint in time");
                            return Ok(());
                        }
                    }
                }
                saved = target;
                status.send_modify(|s| s.checkpoint = s.checkpoint.max(target));
            }
            if !open {
                return Ok(());
            }
            open = applied.changed().await.is_ok();
        }
    }

    /// Reads, plans and applies batches from `start`, publishing each applied position.
    async fn serve_batches(
        &self,
        tref: TableRef,
        start: Position,
        lease: &mut Option<Lease>,
        status: &watch::Sender<ProjectorStatus>,
        stop: &mut watch::Receiver<bool>,
        published: &watch::Sender<Position>,
    ) -> Result<Option<Next>, ProjectorError> {
        let (table, generation) = (tref.table, tref.generation);
        let options = self.options;
        let mut tailer = Tailer::new(
            self.log.clone(),
            start,
            TailerOptions {
                batch_size: options.batch_size.max(1),
                poll_interval: options.poll_interval,
                ..TailerOptions::default()
            },
        );
        let mut backoff = options.backoff();
        let mut last_lease_check = Instant::now();
        let mut last_alias_check = Instant::now();
        let mut force_alias_check = false;
        loop {
            if let Some(held) = lease.as_mut()
                && last_lease_check.elapsed() >= options.lease_check
            {
                last_lease_check = Instant::now();
                if !held.is_held().await {
                    *lease = None;
                    status.send_modify(|s| s.state = ProjectorState::Standby);
                    return Ok(None);
                }
            }
            if self.target == Target::Alias
                && (force_alias_check || last_alias_check.elapsed() >= options.alias_check)
            {
                force_alias_check = false;
                last_alias_check = Instant::now();
                if let Ok(Some(current)) = self.store.alias(table).await
                    && current != generation
                {
                    tracing::info!(%table, from = generation, to = current, "alias moved; following it");
                    return Ok(Some(Next::Switch));
                }
            }
            let read = tokio::select! {
                biased;
                () = stopped(stop) => return Ok(Some(Next::Stopped)),
                () = self.recheck.notified() => {
                    force_alias_check = true;
                    continue;
                }
                read = tailer.next_batch_within(options.idle_timeout) => read,
            };
            let batch = match read {
                Ok(batch) => {
                    backoff.reset();
                    batch
                }
                Err(e) if e.is_transient() => {
                    let delay = backoff.next_delay();
                    retrying(status, table, &e, delay);
                    if !sleep_unless_stopped(delay, stop).await {
                        return Ok(Some(Next::Stopped));
                    }
                    continue;
                }
                Err(e) => return Err(self.events_error(e)),
            };
            let Some(last) = batch.last().map(|e| e.position) else {
                // Idle: everything readable is applied.
                force_alias_check = true;
                let position = tailer.position();
                let lag = measure_lag(&self.events, position).await;
                status.send_modify(|s| {
                    s.state = ProjectorState::Waiting;
                    if let Ok(lag) = lag {
                        publish_lag(s, position, lag);
                    }
                });
                continue;
            };
            let plan = plan(self.projection.as_ref(), &batch)
                .map_err(|source| ProjectorError::Projection { table, source })?;
            let on_retry = |e: &ReadStoreError| retrying(status, table, e, Duration::ZERO);
            let applied = apply_plan(
                &self.store,
                tref,
                plan,
                options.concurrency,
                options.backoff(),
                stop,
                &on_retry,
            )
            .await;
            match applied {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(Some(Next::Stopped)),
                Err(ReadStoreError::NoSuchTable(name)) if self.target == Target::Alias => {
                    tracing::info!(%table, generation = %name, "generation gone; re-reading the alias");
                    return Ok(Some(Next::Switch));
                }
                Err(e) => return Err(self.store_error(e)),
            }
            published.send_replace(last);
            let full = batch.len() >= options.batch_size;
            status.send_modify(|s| {
                s.position = last;
                s.events_processed += batch.len() as u64;
                s.state = if full {
                    ProjectorState::CatchingUp
                } else {
                    ProjectorState::Running
                };
                s.head = s.head.max(last);
            });
        }
    }
}

/// Publishes `lag`, measured at `position`. If the projector has moved on meanwhile, the
/// figures describe a position it has left: only the head is kept (the next measurement, at
/// most one period away, gives the rest).
fn publish_lag(s: &mut ProjectorStatus, position: Position, lag: Lag) {
    s.head = s.head.max(lag.head).max(s.position);
    if s.position == position {
        s.lag_events = lag.events;
        s.lag_seconds = lag.seconds;
    }
}

fn retrying(
    status: &watch::Sender<ProjectorStatus>,
    table: Table,
    error: &dyn std::fmt::Display,
    delay: Duration,
) {
    tracing::warn!(%table, error = %error, retry_in = ?delay, "transient failure; retrying");
    status.send_modify(|s| {
        s.state = ProjectorState::Retrying {
            error: error.to_string(),
        }
    });
}
