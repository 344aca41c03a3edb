//! The ordered log reader ([`EventLog`]) and a follower with fast wake-ups ([`Tailer`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::error::EventStoreError;
use crate::position::{Position, StoredEvent};

/// The event log in a global, commit-safe order: the one thing every read model, worker and
/// export reads.
///
/// Contract (checked against both backends by `tests/contract.rs`):
/// - `read(after, n)` returns up to `n` events strictly after `after`, in log order;
/// - an event is only returned once every event that will ever sort before it is committed and
///   readable, so a reader that advances its position past what it read never skips an event —
///   not even one written by a transaction that started earlier and commits later;
/// - if transaction A commits before transaction B starts, A's events come before B's.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Up to `limit` events after `after`, in log order.
    async fn read(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, EventStoreError>;

    /// The position of the last readable event ([`Position::START`] for an empty log).
    async fn head(&self) -> Result<Position, EventStoreError>;

    /// A receiver whose value changes whenever new events may have become readable (a commit
    /// by this process, or a Postgres notification from any process).
    fn wakeups(&self) -> watch::Receiver<u64>;
}

/// The sending side of [`EventLog::wakeups`].
#[derive(Clone, Debug)]
pub struct Wakeup(Arc<watch::Sender<u64>>);

impl Default for Wakeup {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl Wakeup {
    /// Tells every tailer that new events may be readable.
    pub fn notify(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A new receiver.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// How a [`Tailer`] reads and waits.
#[derive(Clone, Copy, Debug)]
pub struct TailerOptions {
    /// Events per read.
    pub batch_size: usize,
    /// Longest wait without a wake-up before reading again (catches writers whose wake-ups
    /// cannot reach this process, e.g. another process on SQLite).
    pub poll_interval: Duration,
    /// First retry delay after a wake-up that found nothing readable yet (an older transaction
    /// still open); doubles up to `poll_interval`.
    pub min_retry: Duration,
}

impl Default for TailerOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            poll_interval: Duration::from_millis(250),
            min_retry: Duration::from_millis(1),
        }
    }
}

/// Follows an [`EventLog`] from a position, waiting for new events.
pub struct Tailer {
    log: Arc<dyn EventLog>,
    position: Position,
    wakeups: watch::Receiver<u64>,
    wakeups_open: bool,
    options: TailerOptions,
    /// A wake-up arrived that no read has satisfied yet.
    pending: bool,
    retry: Duration,
}

impl Tailer {
    /// A tailer that returns events after `after`.
    pub fn new(log: Arc<dyn EventLog>, after: Position, options: TailerOptions) -> Self {
        let wakeups = log.wakeups();
        Self {
            log,
            position: after,
            wakeups,
            wakeups_open: true,
            options,
            pending: false,
            retry: options.min_retry,
        }
    }

    /// The position of the last event returned (or the starting position).
    pub fn position(&self) -> Position {
        self.position
    }

    /// The next events, waiting as long as it takes for at least one.
    pub async fn next_batch(&mut self) -> Result<Vec<StoredEvent>, EventStoreError> {
        loop {
            // Mark wake-ups seen *before* reading, so one arriving during the read is not lost.
            self.wakeups.borrow_and_update();
            let batch = self
                .log
                .read(self.position, self.options.batch_size)
                .await?;
            if let Some(last) = batch.last() {
                self.position = last.position;
                self.pending = false;
                self.retry = self.options.min_retry;
                return Ok(batch);
            }
            self.wait().await;
        }
    }

    /// Like [`Self::next_batch`], but gives up after `timeout` with an empty batch.
    pub async fn next_batch_within(
        &mut self,
        timeout: Duration,
    ) -> Result<Vec<StoredEvent>, EventStoreError> {
        match tokio::time::timeout(timeout, self.next_batch()).await {
            Ok(result) => result,
            Err(_) => Ok(Vec::new()),
        }
    }

    async fn wait(&mut self) {
        let delay = if self.pending {
            self.retry
        } else {
            self.options.poll_interval
        };
        if !self.wakeups_open {
            tokio::time::sleep(delay).await;
            return;
        }
        tokio::select! {
            changed = self.wakeups.changed() => match changed {
                Ok(()) => {
                    self.pending = true;
                    self.retry = self.options.min_retry;
                }
                Err(_) => self.wakeups_open = false,
            },
            () = tokio::time::sleep(delay) => {
                if self.pending {
                    self.retry = (self.retry * 2).min(self.options.poll_interval);
                }
            }
        }
    }
}
