//! [`SharedLog`]: one reader of the event log for every follower in a process. Projectors (and
//! any other [`Tailer`](holdfast_eventstore::Tailer) built on it) that wake up together at the
//! head of the log cost one log query, not one each.
//!
//! It is an [`EventLog`] in front of the real one that keeps a window of the most recent events
//! it has read: every event in `(from, until]`, contiguous, exactly as the real log returned
//! them. A read after a position inside the window is answered from it (possibly with fewer
//! events than asked: the contract says "up to"); a read at the window's end goes to the real
//! log, one at a time (followers arriving meanwhile wait for it and are then answered from the
//! window), and what it returns extends the window. A read before the window (a follower far
//! behind) goes to the real log and leaves the window alone; one beyond it starts a new window.
//! An empty answer is reused only by reads that were already waiting when that query started.
//!
//! Why this keeps the log's contract: the real log only returns an event once everything before
//! it is committed and readable, so a range it returned is complete and final; the window only
//! ever joins ranges that touch (`after == until`), so every answer from it is a contiguous
//! range of the real log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use holdfast_eventstore::{EventLog, EventStoreError, Position, StoredEvent};
use tokio::sync::watch;

/// Events kept in the window by default.
pub const WINDOW_EVENTS: usize = 10_000;
/// Events asked of the real log per query by default (at least what the caller asked for).
pub const FETCH_EVENTS: usize = 500;

/// A shared, windowed reader of an [`EventLog`] (see the module docs).
pub struct SharedLog {
    inner: Arc<dyn EventLog>,
    window_events: usize,
    fetch_events: usize,
    window: Mutex<Window>,
    /// One query of the real log at a time.
    reader: tokio::sync::Mutex<()>,
    queries: AtomicU64,
    events_read: AtomicU64,
}

#[derive(Default)]
struct Window {
    /// Every event in `(from, until]`, in log order.
    events: VecDeque<StoredEvent>,
    from: Position,
    until: Position,
    /// Queries started so far.
    started: u64,
    /// The last query that found nothing: its number and where it read.
    empty: Option<(u64, Position)>,
}

impl Window {
    /// Up to `limit` events after `after`, if the window covers `after` and has some.
    fn serve(&self, after: Position, limit: usize) -> Option<Vec<StoredEvent>> {
        if after < self.from || after >= self.until {
            return None;
        }
        let first = self.events.partition_point(|e| e.position <= after);
        Some(self.events.range(first..).take(limit).cloned().collect())
    }

    /// Records what the real log returned after `after`.
    fn extend(&mut self, after: Position, events: &[StoredEvent], keep: usize) {
        let Some(last) = events.last().map(|e| e.position) else {
            return;
        };
        if after < self.from || (after < self.until && !self.events.is_empty()) {
            // Behind the window (or inside it, which a single reader never asks): leave it.
            return;
        }
        if after != self.until {
            self.events.clear();
            self.from = after;
        }
        self.events.extend(events.iter().cloned());
        self.until = last;
        while self.events.len() > keep {
            if let Some(old) = self.events.pop_front() {
                self.from = old.position;
            }
        }
    }
}

impl SharedLog {
    /// A shared reader of `inner` keeping [`WINDOW_EVENTS`] events, reading [`FETCH_EVENTS`]
    /// per query.
    pub fn new(inner: Arc<dyn EventLog>) -> Self {
        Self::with_sizes(inner, WINDOW_EVENTS, FETCH_EVENTS)
    }

    /// A shared reader keeping `window_events` events, reading `fetch_events` per query.
    pub fn with_sizes(inner: Arc<dyn EventLog>, window_events: usize, fetch_events: usize) -> Self {
        Self {
            inner,
            window_events: window_events.max(1),
            fetch_events: fetch_events.max(1),
            window: Mutex::new(Window::default()),
            reader: tokio::sync::Mutex::new(()),
            queries: AtomicU64::new(0),
            events_read: AtomicU64::new(0),
        }
    }

    /// Queries sent to the real log so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Events the real log returned so far (each counted once per query that returned it).
    pub fn events_read(&self) -> u64 {
        self.events_read.load(Ordering::Relaxed)
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        // Every update leaves the window consistent: a panic cannot leave it half-written.
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EventLog for SharedLog {
    async fn read(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, EventStoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ticket = {
            let window = self.window();
            if let Some(events) = window.serve(after, limit) {
                return Ok(events);
            }
            window.started
        };
        let _reader = self.reader.lock().await;
        let number = {
            let mut window = self.window();
            if let Some(events) = window.serve(after, limit) {
                return Ok(events);
            }
            // A query that started after this call and found nothing here answers it too.
            if window
                .empty
                .is_some_and(|(n, at)| n > ticket && at == after)
            {
                return Ok(Vec::new());
            }
            window.started += 1;
            window.started
        };
        let events = self.inner.read(after, limit.max(self.fetch_events)).await?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        self.events_read
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        let mut window = self.window();
        if events.is_empty() {
            window.empty = Some((number, after));
        } else {
            window.extend(after, &events, self.window_events);
        }
        Ok(events.into_iter().take(limit).collect())
    }

    async fn head(&self) -> Result<Position, EventStoreError> {
        self.inner.head().await
    }

    fn wakeups(&self) -> watch::Receiver<u64> {
        self.inner.wakeups()
    }
}
