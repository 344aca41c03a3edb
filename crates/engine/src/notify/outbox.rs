//! [`Outbox`]: the loop that moves notifications from the event log to the sinks.
//!
//! 1. **Lease.** One active outbox per database: it takes the lease [`LEASE_NAME`]
//!    (Postgres advisory lock; in-process lock on SQLite); others stand by and retry every
//!    `lease_retry`, taking over when the holder dies.
//! 2. **Cursors.** Each configured sink has a cursor in `notification_cursors`. A sink seen for
//!    the first time starts at the log's readable head (default: a new sink is not flooded
//!    with history) or at the start ([`StartAt::Beginning`]).
//! 3. **Enqueue.** It tails the log from the smallest cursor (through the projectors' shared
//!    reader when the engine runs them: [`Outbox::follow`]); for each batch it builds the
//!    notifications ([`super::kind`]) and, in one transaction, inserts a pending delivery per
//!    sink (insert-or-ignore on `(sink, notification id)`) and advances the cursors. A crash
//!    before the commit re-reads the batch; after it, nothing is read twice.
//! 4. **Send.** Due pending deliveries are sent (up to `concurrency` at once). Acknowledged
//!    (2xx) → `delivered`, never sent again to that sink. Failed → `attempts + 1`, due again
//!    after `min(retry_cap, retry_base × 2^(attempts−1))` scaled by a random factor in
//!    [0.5, 1) (jitter, so that a recovering receiver is not hit by every retry at once);
//!    after `max_attempts` → `dead`, visible to operators, who may retry it.
//!
//! Delivery is **at least once**: a crash between a receiver's 2xx and the `delivered` update
//! sends that notification again, with the same `Holdfast-Event-Id`, which receivers
//! deduplicate on. Deliveries are not ordered across notifications.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use holdfast_domain::services::{Clock, SystemClock};
use holdfast_eventstore::{EventLog, EventStore, Position, Tailer, TailerOptions};
use holdfast_projections::runtime::backoff::{Backoff, is_stopped, sleep_unless_stopped, stopped};
use holdfast_projections::runtime::{Lease, Waiting};
use metrics::counter;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::NotifyError;
use super::kind::from_event;
use super::sink::Sink;
use super::store::{Delivery, OutboxStore};

/// The lease that makes one outbox active per database.
pub const LEASE_NAME: &str = "holdfast-notifications";

/// Where a sink seen for the first time starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// At the log's readable head: only events after the sink was configured.
    Head,
    /// At the start of the log: every notification in history.
    Beginning,
}

/// How the outbox reads, sends, retries and waits.
#[derive(Clone, Debug)]
pub struct OutboxOptions {
    /// Attempts before a delivery is dead (default 8).
    pub max_attempts: u32,
    /// Delay after the first failure (default 1 s); doubles per attempt.
    pub retry_base: Duration,
    /// Largest delay between attempts (default 1 h).
    pub retry_cap: Duration,
    /// Events per log read (default 500).
    pub batch_size: usize,
    /// Deliveries fetched per send round (default 100).
    pub send_batch: usize,
    /// Deliveries in flight at once (default 8).
    pub concurrency: usize,
    /// Longest wait without a wake-up before looking again (default 250 ms).
    pub poll_interval: Duration,
    /// How often a standby retries the lease (default 3 s).
    pub lease_retry: Duration,
    /// How often the holder checks its lease (default 5 s).
    pub lease_check: Duration,
    /// Where a new sink's cursor starts (default [`StartAt::Head`]).
    pub new_sinks_start: StartAt,
    /// The clock of due times and signatures (default: the system clock).
    pub clock: Arc<dyn Clock>,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(3600),
            batch_size: 500,
            send_batch: 100,
            concurrency: 8,
            poll_interval: Duration::from_millis(250),
            lease_retry: Duration::from_secs(3),
            lease_check: Duration::from_secs(5),
            new_sinks_start: StartAt::Head,
            clock: Arc::new(SystemClock),
        }
    }
}

impl OutboxOptions {
    /// The delay before attempt `attempts + 1`, after `attempts` failures (≥ 1), with jitter.
    pub fn retry_delay(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self
            .retry_base
            .saturating_mul(1u32 << exponent)
            .min(self.retry_cap);
        full.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// What the outbox is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxState {
    /// Starting, or waiting for the lease.
    Standby,
    /// Holding the lease: enqueueing and sending.
    Running,
    /// A transient failure; retrying.
    Retrying {
        /// The failure.
        error: String,
    },
    /// Stopped on request.
    Stopped,
    /// Stopped by an error that needs a fix (an undecodable event).
    Failed {
        /// The error.
        error: String,
    },
}

/// The outbox's published status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxStatus {
    /// Its state.
    pub state: OutboxState,
    /// Deliveries acknowledged since it started.
    pub delivered: u64,
    /// Failed attempts since it started.
    pub failed_attempts: u64,
    /// Deliveries that went dead since it started.
    pub dead: u64,
}

/// The outbox: sinks, options, store.
pub struct Outbox {
    store: EventStore,
    /// What it tails: the store's log, or a shared reader in front of it ([`Self::follow`]).
    log: Arc<dyn EventLog>,
    sinks: Vec<Arc<Sink>>,
    options: OutboxOptions,
}

/// A running outbox.
pub struct OutboxHandle {
    stop: watch::Sender<bool>,
    status: watch::Receiver<OutboxStatus>,
    task: JoinHandle<Result<(), NotifyError>>,
}

impl OutboxHandle {
    /// The current status.
    pub fn status(&self) -> OutboxStatus {
        self.status.borrow().clone()
    }

    /// A receiver of status changes.
    pub fn subscribe(&self) -> watch::Receiver<OutboxStatus> {
        self.status.clone()
    }

    /// Stops the outbox (an attempt in flight finishes first) and returns how it ended.
    pub async fn stop(self) -> Result<(), NotifyError> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(NotifyError::Corrupt(format!(
                "the outbox task panicked: {e}"
            ))),
        }
    }
}

enum Served {
    Stopped,
    LeaseLost,
}

impl Outbox {
    /// An outbox of `store` sending to `sinks` (the log sink is always added first).
    pub fn new(store: EventStore, sinks: Vec<Sink>, options: OutboxOptions) -> Self {
        let mut all = vec![Arc::new(Sink::Log)];
        all.extend(
            sinks
                .into_iter()
                .filter(|s| !matches!(s, Sink::Log))
                .map(Arc::new),
        );
        Self {
            log: store.log(),
            store,
            sinks: all,
            options,
        }
    }

    /// Tails `log` (the projectors' shared reader, so that one query per wake-up serves them
    /// all) instead of the store's own log.
    pub fn follow(mut self, log: Arc<dyn EventLog>) -> Self {
        self.log = log;
        self
    }

    /// The sinks' names.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name().to_owned()).collect()
    }

    /// Starts the loop on the current runtime.
    pub fn start(self) -> OutboxHandle {
        let (stop_tx, stop) = watch::channel(false);
        let (status_tx, status) = watch::channel(OutboxStatus {
            state: OutboxState::Standby,
            delivered: 0,
            failed_attempts: 0,
            dead: 0,
        });
        let task = tokio::spawn(async move {
            tracing::info!(sinks = ?self.sink_names(), "notifications outbox starting");
            let result = self.run(&status_tx, stop).await;
            status_tx.send_modify(|s| {
                s.state = match &result {
                    Ok(()) => OutboxState::Stopped,
                    Err(e) => OutboxState::Failed {
                        error: e.to_string(),
                    },
                }
            });
            match &result {
                Ok(()) => tracing::info!("notifications outbox stopped"),
                Err(e) => tracing::error!(error = %e, "notifications outbox failed"),
            }
            result
        });
        OutboxHandle {
            stop: stop_tx,
            status,
            task,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.options.clock.now()
    }

    async fn run(
        &self,
        status: &watch::Sender<OutboxStatus>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), NotifyError> {
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
        loop {
            let Some(lease) = self.acquire(status, &mut stop).await? else {
                return Ok(());
            };
            status.send_modify(|s| s.state = OutboxState::Running);
            tracing::info!("notifications outbox took its lease");
            match self.serve(lease, status, &mut stop).await {
                Ok(Served::Stopped) => return Ok(()),
                Ok(Served::LeaseLost) => {
                    tracing::warn!("notifications outbox lost its lease; standing by");
                    status.send_modify(|s| s.state = OutboxState::Standby);
                }
                Err(e) if e.is_transient() => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, retry_in = ?delay, "notifications outbox: transient failure");
                    status.send_modify(|s| {
                        s.state = OutboxState::Retrying {
                            error: e.to_string(),
                        }
                    });
                    if !sleep_unless_stopped(delay, &mut stop).await {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn acquire(
        &self,
        status: &watch::Sender<OutboxStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<Lease>, NotifyError> {
        let backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
        let mut waiter = Lease::waiter(&self.store, LEASE_NAME, self.options.lease_retry, backoff);
        loop {
            let state = match waiter.next(stop).await? {
                Waiting::Taken(lease) => return Ok(Some(lease)),
                Waiting::Stopped => return Ok(None),
                Waiting::Standby => OutboxState::Standby,
                Waiting::Retrying(error) => OutboxState::Retrying { error },
            };
            status.send_modify(|s| s.state = state);
        }
    }

    /// The sinks' cursors, created where missing.
    async fn cursors(&self) -> Result<Vec<(String, Position)>, NotifyError> {
        let outbox = OutboxStore::new(&self.store);
        let known = outbox.cursors().await?;
        let mut cursors = Vec::new();
        for sink in &self.sinks {
            let name = sink.name().to_owned();
            let position = match known.get(&name) {
                Some(p) => *p,
                None => {
                    let start = match self.options.new_sinks_start {
                        StartAt::Beginning => Position::START,
                        StartAt::Head => self.store.log().head().await?,
                    };
                    let p = outbox.init_cursor(&name, start, self.now()).await?;
                    tracing::info!(sink = %name, from = %p, "notifications: new sink");
                    p
                }
            };
            cursors.push((name, position));
        }
        Ok(cursors)
    }

    async fn serve(
        &self,
        mut lease: Lease,
        status: &watch::Sender<OutboxStatus>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Served, NotifyError> {
        let outbox = OutboxStore::new(&self.store);
        let names = self.sink_names();
        let mut cursors = self.cursors().await?;
        let from = cursors
            .iter()
            .map(|(_, p)| *p)
            .min()
            .unwrap_or(Position::START);
        let mut tailer = Tailer::new(
            self.log.clone(),
            from,
            TailerOptions {
                batch_size: self.options.batch_size.max(1),
                poll_interval: self.options.poll_interval,
                ..TailerOptions::default()
            },
        );
        let mut last_lease_check = Instant::now();
        let mut busy = true;
        loop {
            if last_lease_check.elapsed() >= self.options.lease_check {
                last_lease_check = Instant::now();
                if !lease.is_held().await {
                    return Ok(Served::LeaseLost);
                }
            }
            // Wait for new events, at most until the next delivery is due.
            let wait = if busy {
                Duration::ZERO
            } else {
                let next = outbox.next_due(&names).await?;
                next.map_or(self.options.poll_interval, |at| {
                    (at - self.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(self.options.poll_interval)
                })
            };
            let batch = tokio::select! {
                biased;
                () = stopped(stop) => {
                    lease.release().await;
                    return Ok(Served::Stopped);
                }
                read = tailer.next_batch_within(wait.max(Duration::from_millis(1))) => read?,
            };
            if let Some(last) = batch.last().map(|e| e.position) {
                let mut notifications = Vec::new();
                for event in &batch {
                    if let Some(n) = from_event(event)? {
                        notifications.push(n);
                    }
                }
                match outbox
                    .enqueue(&cursors, &notifications, last, self.now())
                    .await
                {
                    Ok(n) => {
                        if n > 0 {
                            tracing::debug!(enqueued = n, upto = %last, "notifications enqueued");
                        }
                        for (_, cursor) in &mut cursors {
                            *cursor = (*cursor).max(last);
                        }
                    }
                    // Another writer moved a cursor: this instance is not the only one.
                    Err(NotifyError::CursorMoved) => return Ok(Served::LeaseLost),
                    Err(e) => return Err(e),
                }
            }
            let due = outbox
                .due(&names, self.now(), self.options.send_batch.max(1))
                .await?;
            busy = due.len() >= self.options.send_batch.max(1) || !batch.is_empty();
            if !due.is_empty() {
                self.send(&outbox, due, status).await?;
            }
            if is_stopped(stop) {
                lease.release().await;
                return Ok(Served::Stopped);
            }
        }
    }

    async fn send(
        &self,
        outbox: &OutboxStore,
        due: Vec<Delivery>,
        status: &watch::Sender<OutboxStatus>,
    ) -> Result<(), NotifyError> {
        let results: Vec<Result<(), NotifyError>> = futures::stream::iter(due)
            .map(|delivery| self.attempt(outbox, delivery, status))
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn attempt(
        &self,
        outbox: &OutboxStore,
        delivery: Delivery,
        status: &watch::Sender<OutboxStatus>,
    ) -> Result<(), NotifyError> {
        let Some(sink) = self.sinks.iter().find(|s| s.name() == delivery.sink) else {
            return Ok(());
        };
        let attempts = delivery.attempts + 1;
        let sink_name = sink.name().to_owned();
        match sink.deliver(&delivery, self.now(), &self.store).await {
            Ok(()) => {
                outbox
                    .delivered(
                        &delivery.sink,
                        &delivery.notification_id,
                        attempts,
                        self.now(),
                    )
                    .await?;
                counter!("holdfast_notifications_total", "sink" => sink_kind(&sink_name), "result" => "delivered").increment(1);
                status.send_modify(|s| s.delivered += 1);
            }
            Err(error) => {
                let dead = attempts >= self.options.max_attempts;
                let retry_at = (!dead).then(|| {
                    self.now()
                        + chrono::Duration::from_std(self.options.retry_delay(attempts))
                            .unwrap_or(chrono::Duration::MAX)
                });
                outbox
                    .failed(
                        &delivery.sink,
                        &delivery.notification_id,
                        attempts,
                        &error,
                        retry_at,
                    )
                    .await?;
                let result = if dead { "dead" } else { "failed" };
                counter!("holdfast_notifications_total", "sink" => sink_kind(&sink_name), "result" => result).increment(1);
                status.send_modify(|s| {
                    s.failed_attempts += 1;
                    if dead {
                        s.dead += 1;
                    }
                });
                if dead {
                    tracing::error!(sink = %delivery.sink, notification_id = %delivery.notification_id, attempts, %error, "notification dead-lettered");
                } else {
                    tracing::warn!(sink = %delivery.sink, notification_id = %delivery.notification_id, attempts, %error, retry_at = ?retry_at, "notification attempt failed");
                }
            }
        }
        Ok(())
    }
}

/// The metric label of a sink: `log` or `webhook` (never the URL-derived name).
fn sink_kind(name: &str) -> &'static str {
    if name.starts_with("webhook:") {
        "webhook"
    } else if name == super::email::EMAIL_SINK {
        "email"
    } else if name == super::sms::SMS_SINK {
        "sms"
    } else {
        "log"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_exponentially_with_jitter_up_to_the_cap() {
        let options = OutboxOptions {
            retry_base: Duration::from_millis(100),
            retry_cap: Duration::from_millis(1000),
            ..OutboxOptions::default()
        };
        for _ in 0..50 {
            let first = options.retry_delay(1);
            assert!(first >= Duration::from_millis(50) && first < Duration::from_millis(100));
            let third = options.retry_delay(3);
            assert!(third >= Duration::from_millis(200) && third < Duration::from_millis(400));
            let capped = options.retry_delay(30);
            assert!(capped >= Duration::from_millis(500) && capped < Duration::from_millis(1000));
        }
    }
}
