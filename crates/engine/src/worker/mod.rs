//! The booking worker: the part of the booking process that must happen when no request
//! arrives — holds and offers that expire, half-finished placements cleaned up, freed units
//! offered to the waitlist, late payments rechecked, refunds issued.
//!
//! It runs from the event log, not from request handlers: it tails the log from the start
//! (through the projectors' shared reader when they run in the same engine, so that a wake-up
//! at the head costs one log query for all of them),
//! folds it into a [`Tracker`] (which bookings and inventories may need work, and each
//! booking's next deadline), and once caught up applies the [`rules`] to whatever changed or
//! fell due. Nothing it needs is kept anywhere but the log, so a restart — or a crash half-way
//! through a rule — loses nothing: the fold is rebuilt and the rules, all idempotent, run again.
//! Deadlines are read from the domain clock every `tick` (250 ms by default), so an expiry is
//! acted on within a tick of falling due, and within a restart's replay after downtime.
//!
//! It also sends the reminders (`BookingCommand::Remind`, recorded as `BookingReminded` and
//! sent by the notifications outbox): a configurable time before a confirmed booking starts
//! (default 24 h) and before an unpaid hold runs out (default 5 min). Being facts in the
//! booking's stream, they go out once, across restarts and failovers.
//!
//! One active worker per event store: it holds the `booking-worker` lease (a Postgres advisory
//! lock; in-process on SQLite); a standby retries until the holder goes away.

pub mod rules;
pub mod tracker;
mod waitlist;

use std::collections::BTreeMap;
use std::time::Duration;

use holdfast_domain::common::{BookingId, InventoryId};
use holdfast_eventstore::{EventLog, Position, Tailer, TailerOptions};
use holdfast_projections::runtime::backoff::{Backoff, is_stopped, sleep_unless_stopped};
use holdfast_projections::runtime::{Lease, Waiting};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Engine;
pub use tracker::{Reminders, Tracker};

/// The lease the active worker holds.
pub const LEASE: &str = "booking-worker";

/// How the worker runs.
#[derive(Clone, Copy, Debug)]
pub struct WorkerOptions {
    /// How often deadlines are compared with the clock when the log is quiet.
    pub tick: Duration,
    /// When a rule failed transiently (the store did not answer, a write conflicted), how long
    /// until it runs again — wall-clock time, not the domain clock, so that a retry happens
    /// even while the domain clock stands still (a test clock, a clock set by an operator).
    pub retry_after: chrono::Duration,
    /// How long a `Requested` booking that never held anything may stay so before it is
    /// rejected as abandoned.
    pub abandon_after: chrono::Duration,
    /// When guests are reminded of a start and of a hold about to run out.
    pub reminders: Reminders,
    /// How often a standby tries to take the lease.
    pub lease_retry: Duration,
    /// Events read per batch.
    pub batch_size: usize,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(250),
            retry_after: chrono::Duration::seconds(5),
            abandon_after: chrono::Duration::hours(1),
            reminders: Reminders::default_leads(),
            lease_retry: Duration::from_secs(2),
            batch_size: 1_000,
        }
    }
}

/// What the worker is doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerStatus {
    /// Whether it holds the lease.
    pub active: bool,
    /// Whether it has read the log to its end at least once since it took the lease.
    pub caught_up: bool,
    /// The position of the last event folded.
    pub position: Option<Position>,
    /// Booking looks and waitlist passes done.
    pub passes: u64,
    /// Rules that failed transiently (and were rescheduled).
    pub retries: u64,
    /// Tracked bookings, holds, redemptions, waiting entries and deadlines.
    pub tracked: [usize; 5],
    /// Rounds done since it took the lease (one per tick or batch, after the rules ran on
    /// what was due): a round that began after a change has seen it.
    pub rounds: u64,
}

/// A running worker.
pub struct BookingWorker {
    stop: watch::Sender<bool>,
    status: watch::Receiver<WorkerStatus>,
    task: JoinHandle<()>,
}

impl BookingWorker {
    /// Starts the worker on the application's stores and clock.
    pub fn start(state: Engine, options: WorkerOptions) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let (status_tx, status) = watch::channel(WorkerStatus::default());
        let task = tokio::spawn(run(state, options, stop_rx, status_tx));
        Self { stop, status, task }
    }

    /// What it is doing now.
    pub fn status(&self) -> WorkerStatus {
        self.status.borrow().clone()
    }

    /// A receiver of status changes.
    pub fn watch(&self) -> watch::Receiver<WorkerStatus> {
        self.status.clone()
    }

    /// Stops it (a rule under way finishes first) and releases the lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the booking worker task failed");
        }
    }
}

async fn run(
    state: Engine,
    options: WorkerOptions,
    mut stop: watch::Receiver<bool>,
    status: watch::Sender<WorkerStatus>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let mut waiter = Lease::waiter(&state.store, LEASE, options.lease_retry, backoff);
        let lease = loop {
            match waiter.next(&mut stop).await {
                Ok(Waiting::Taken(lease)) => break Some(lease),
                Ok(Waiting::Stopped) => return,
                Ok(Waiting::Standby) => {}
                Ok(Waiting::Retrying(error)) => {
                    tracing::warn!(%error, "booking worker cannot reach the event store")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "booking worker cannot reach the event store");
                    break None;
                }
            }
        };
        if let Some(lease) = lease {
            tracing::info!("booking worker took its lease");
            backoff.reset();
            let result = active(&state, options, lease, &mut stop, &status).await;
            status.send_modify(|s| {
                s.active = false;
                s.caught_up = false;
            });
            match result {
                Ok(()) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "booking worker lost its footing; starting over")
                }
            }
        }
        if !sleep_unless_stopped(backoff.next_delay(), &mut stop).await {
            return;
        }
    }
}

/// Runs while the lease is held; `Ok` when stopped or the lease was lost (start over).
async fn active(
    state: &Engine,
    options: WorkerOptions,
    mut lease: Lease,
    stop: &mut watch::Receiver<bool>,
    status: &watch::Sender<WorkerStatus>,
) -> Result<(), holdfast_eventstore::EventStoreError> {
    let rules = rules::Rules {
        state,
        abandon_after: options.abandon_after,
        reminders: options.reminders,
    };
    let mut tracker = Tracker::new(options.abandon_after).with_reminders(options.reminders);
    // The projectors' shared reader when they run here: one log query per wake-up for all.
    let log: std::sync::Arc<dyn EventLog> = match &state.projections {
        Some(runtime) => runtime.shared_log(),
        None => state.store.log(),
    };
    let mut tailer = Tailer::new(
        log,
        Position::START,
        TailerOptions {
            batch_size: options.batch_size,
            ..TailerOptions::default()
        },
    );
    let mut inventory_retries: BTreeMap<InventoryId, tokio::time::Instant> = BTreeMap::new();
    let mut booking_retries: BTreeMap<BookingId, tokio::time::Instant> = BTreeMap::new();
    let retry_wait = options
        .retry_after
        .to_std()
        .unwrap_or(Duration::from_secs(5));
    let mut caught_up = false;
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    let mut lease_checked = tokio::time::Instant::now();
    status.send_modify(|s| s.active = true);
    loop {
        if is_stopped(stop) {
            lease.release().await;
            return Ok(());
        }
        if lease_checked.elapsed() > Duration::from_secs(5) {
            if !lease.is_held().await {
                tracing::warn!("booking worker lost its lease");
                return Ok(());
            }
            lease_checked = tokio::time::Instant::now();
        }
        let batch = tokio::select! {
            batch = tailer.next_batch_within(options.tick) => batch,
            () = holdfast_projections::runtime::backoff::stopped(stop) => continue,
        };
        match batch {
            Ok(events) => {
                backoff.reset();
                for event in &events {
                    if let Err(e) = tracker.apply(event) {
                        tracing::error!(position = %event.position, error = %e, "booking worker cannot read an event; skipped");
                    }
                }
                if events.len() < options.batch_size {
                    caught_up = true;
                }
            }
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "booking worker cannot read the log; retrying");
                if !sleep_unless_stopped(backoff.next_delay(), stop).await {
                    continue;
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        if !caught_up {
            continue;
        }
        let now = state.services.clock.now();
        tracker.release_due(now);
        for id in take_due(&mut booking_retries) {
            tracker.recheck_booking(id);
        }
        let mut passes = 0u64;
        let mut retries = 0u64;
        for id in tracker.take_dirty_bookings() {
            passes += 1;
            if let Err(e) = rules.booking(&mut tracker, id).await {
                retries += 1;
                tracing::warn!(booking_id = %id, error = ?e, "booking worker step failed; retrying later");
                booking_retries.insert(id, tokio::time::Instant::now() + retry_wait);
            }
            if is_stopped(stop) {
                break;
            }
        }
        for (inventory, watches) in tracker.take_dirty_watched(now) {
            passes += 1;
            if let Err(e) = rules.watches(inventory, &watches).await {
                retries += 1;
                tracing::warn!(inventory_id = %inventory, error = ?e, "watch pass failed; retrying later");
                tracker.recheck_watched(inventory);
            }
        }
        for account in tracker.take_due_expiries(now) {
            passes += 1;
            if let Err(e) = rules.expire_points(&account).await {
                retries += 1;
                tracing::warn!(account, error = ?e, "points expiry failed; retrying later");
                tracker.recheck_expiry(account, now + chrono::Duration::seconds(5));
            }
        }
        for id in take_due(&mut inventory_retries) {
            tracker.recheck_inventory(id);
        }
        for inventory in tracker.take_dirty_inventories() {
            passes += 1;
            if let Err(e) = rules.waitlist(&mut tracker, inventory).await {
                retries += 1;
                tracing::warn!(inventory_id = %inventory, error = ?e, "waitlist pass failed; retrying later");
                inventory_retries.insert(inventory, tokio::time::Instant::now() + retry_wait);
            }
            if is_stopped(stop) {
                break;
            }
        }
        status.send_modify(|s| {
            s.caught_up = true;
            s.position = Some(tailer.position());
            s.passes += passes;
            s.retries += retries;
            s.tracked = tracker.sizes();
            s.rounds += 1;
        });
    }
}

/// The keys whose retry time has come (removed from `retries`).
fn take_due<K: Ord + Copy>(retries: &mut BTreeMap<K, tokio::time::Instant>) -> Vec<K> {
    let ready = tokio::time::Instant::now();
    let due: Vec<K> = retries
        .iter()
        .filter(|(_, at)| **at <= ready)
        .map(|(id, _)| *id)
        .collect();
    for id in &due {
        retries.remove(id);
    }
    due
}
