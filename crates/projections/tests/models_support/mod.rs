//! Shared helpers of the read-model tests: run the real aggregates' `decide`, record the
//! events as the log would (`StoredEvent`s with increasing positions, serde JSON payloads), and
//! project them into a `MemoryStore`.
#![allow(dead_code)]

pub mod listings;

use std::collections::HashMap;
use std::fmt::Display;

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use holdfast_domain::services::{DomainServices, FixedClock};
use holdfast_eventstore::{Position, StoredEvent};
use holdfast_projections::projection::Projection;
use holdfast_projections::store::memory::MemoryStore;
use holdfast_projections::store::{Item, ReadStore, TableRef};

/// An instant from RFC 3339 text.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A date from `YYYY-MM-DD`.
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A 26-character ULID text ending in `n` (distinct per `kind` digit and `n`).
pub fn ulid(kind: u8, n: u32) -> String {
    format!("01JZ{kind:02}{n:020}")
}

/// The ordered log the tests build.
pub struct Log {
    next: u64,
    sequences: HashMap<String, u64>,
    /// Every event, in log order.
    pub events: Vec<StoredEvent>,
    /// The domain's clock.
    pub clock: FixedClock,
    /// Services on that clock.
    pub services: DomainServices,
}

impl Log {
    /// An empty log with the clock at `now`.
    pub fn new(now: &str) -> Self {
        let clock = FixedClock::new(at(now));
        Self {
            next: 1,
            sequences: HashMap::new(),
            events: Vec::new(),
            services: DomainServices::with_clock(clock.clone()),
            clock,
        }
    }

    /// Moves the clock.
    pub fn set_now(&self, now: &str) {
        self.clock.set(at(now));
    }

    /// Records `event` of aggregate `A` with id `id`, as the event store would.
    pub fn push<E: DomainEvent>(&mut self, aggregate_type: &str, id: &str, event: &E) {
        let sequence = self.sequences.entry(id.to_owned()).or_insert(0);
        *sequence += 1;
        let position = Position::new(self.next, self.next);
        self.next += 1;
        self.events.push(StoredEvent {
            position,
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: id.to_owned(),
            sequence: *sequence,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: serde_json::to_value(event).unwrap(),
            metadata: serde_json::json!({}),
            recorded_at: self.clock_now(),
        });
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use holdfast_domain::services::Clock;
        self.clock.now()
    }

    /// Runs a command through an aggregate's real `decide` (which must succeed), folds and
    /// records the events; returns how many there were.
    pub fn exec<A, Err>(
        &mut self,
        id: &str,
        state: &mut A,
        decide: impl FnOnce(&A, &DomainServices) -> Result<Vec<A::Event>, Err>,
    ) -> usize
    where
        A: Aggregate,
        Err: Display,
    {
        let events = decide(state, &self.services).unwrap_or_else(|e| panic!("{e}"));
        for e in &events {
            state.apply(e.clone());
            self.push(A::TYPE, id, e);
        }
        events.len()
    }
}

/// A fresh memory store with generation 1 of `projection`'s table.
pub async fn store_for(projection: &dyn Projection) -> (MemoryStore, TableRef) {
    let store = MemoryStore::new();
    let table = TableRef::new(projection.table(), 1);
    store.create_table(table).await.unwrap();
    (store, table)
}

/// Applies each event's patches at its position.
pub async fn project(
    store: &dyn ReadStore,
    table: TableRef,
    projection: &dyn Projection,
    events: &[StoredEvent],
) {
    for e in events {
        let patches = projection.patches(e).unwrap();
        store.apply(table, e.position, patches).await.unwrap();
    }
}

/// A table's items, sorted by key (for comparisons).
pub async fn snapshot(store: &MemoryStore, table: TableRef) -> Vec<Item> {
    let mut items = store.scan(table).await.unwrap();
    items.sort_by(|a, b| a.key.cmp(&b.key));
    items
}

/// Projects `events` once cleanly, and again with the deliveries in `schedule` (indices into
/// `events`, in log order but with repeats and re-deliveries of older events); returns both
/// scans.
pub async fn clean_and_replayed(
    projection: &dyn Projection,
    events: &[StoredEvent],
    schedule: &[usize],
) -> (Vec<Item>, Vec<Item>) {
    let (clean, t1) = store_for(projection).await;
    project(&clean, t1, projection, events).await;
    let (messy, t2) = store_for(projection).await;
    for &i in schedule {
        let e = &events[i];
        let patches = projection.patches(e).unwrap();
        messy.apply(t2, e.position, patches).await.unwrap();
    }
    (snapshot(&clean, t1).await, snapshot(&messy, t2).await)
}

/// A delivery schedule from proptest choices: every event in order, each followed by
/// `repeats[i] % 3` re-deliveries of itself or an earlier event (`back[i]` steps back), and
/// finally the whole stream again.
pub fn schedule(len: usize, repeats: &[u8], back: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..len {
        out.push(i);
        let r = repeats.get(i).copied().unwrap_or(0) % 3;
        for k in 0..r {
            let step = back
                .get((i + k as usize) % back.len().max(1))
                .copied()
                .unwrap_or(0);
            out.push(i.saturating_sub(usize::from(step) % (i + 1)));
        }
    }
    out.extend(0..len);
    out
}
