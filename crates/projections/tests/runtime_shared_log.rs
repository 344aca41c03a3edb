//! The shared log reader on the real event stores (Postgres, SQLite): followers at the head
//! share one query, every follower still reads the log exactly (in order, nothing skipped or
//! repeated), a follower behind the window reads past it, and the projectors of a runtime
//! share one reader.

mod runtime_support;

use std::sync::Arc;

use holdfast_eventstore::{EventLog, Position, StoredEvent};
use holdfast_projections::projection::Projection;
use holdfast_projections::runtime::{ProjectionRuntime, SharedLog};
use holdfast_projections::store::Table;
use runtime_support::*;

fn ids(events: &[StoredEvent]) -> Vec<(Position, String, u64)> {
    events
        .iter()
        .map(|e| (e.position, e.aggregate_id.clone(), e.sequence))
        .collect()
}

/// Reads everything after `after`, `limit` at a time, until a read finds nothing.
async fn read_all(log: &dyn EventLog, mut after: Position, limit: usize) -> Vec<StoredEvent> {
    let mut all = Vec::new();
    loop {
        let batch = log.read(after, limit).await.unwrap();
        let Some(last) = batch.last() else {
            return all;
        };
        assert!(batch.len() <= limit);
        after = last.position;
        all.extend(batch);
    }
}

async fn followers_at_the_head_share_one_query(h: Harness) {
    h.write("s", 4, 100).await;
    let events = h.events(100).await;
    let shared = Arc::new(SharedLog::new(h.store.log()));
    let followers: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { read_all(shared.as_ref(), Position::START, 10).await })
        })
        .collect();
    for follower in followers {
        assert_eq!(ids(&follower.await.unwrap()), ids(&events));
    }
    // One query returned all 100 events; the rest were answered from the window, except the
    // reads at the end that found nothing (at most one each).
    assert_eq!(shared.events_read(), 100);
    assert!(shared.queries() <= 1 + 4, "{} queries", shared.queries());

    h.write("s", 4, 30).await;
    let events = h.events(130).await;
    let end = events[99].position;
    let followers: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { shared.read(end, 10).await.unwrap() })
        })
        .collect();
    for follower in followers {
        assert_eq!(ids(&follower.await.unwrap()), ids(&events[100..110]));
    }
    assert_eq!(shared.events_read(), 130);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn followers_at_the_head_share_one_query_on_postgres() {
    followers_at_the_head_share_one_query(Harness::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn followers_at_the_head_share_one_query_on_sqlite() {
    followers_at_the_head_share_one_query(Harness::sqlite().await).await;
}

/// A window of 20 events: a follower that starts over from the beginning reads behind it
/// (straight from the log), then joins it, and sees every event once, in order; one that
/// starts beyond the window starts a new one.
async fn followers_behind_and_beyond_the_window_read_the_log_exactly(h: Harness) {
    h.write("w", 3, 100).await;
    let events = h.events(100).await;
    let shared = SharedLog::with_sizes(h.store.log(), 20, 15);
    assert_eq!(
        ids(&read_all(&shared, Position::START, 10).await),
        ids(&events)
    );
    assert_eq!(
        ids(&read_all(&shared, Position::START, 7).await),
        ids(&events)
    );
    assert_eq!(
        ids(&read_all(&shared, events[41].position, 9).await),
        ids(&events[42..])
    );
    h.write("w", 3, 12).await;
    let events = h.events(112).await;
    assert_eq!(
        ids(&read_all(&shared, events[95].position, 4).await),
        ids(&events[96..])
    );
    assert_eq!(
        ids(&read_all(&shared, Position::START, 50).await),
        ids(&events)
    );
}

#[tokio::test]
async fn followers_behind_and_beyond_the_window_read_the_log_exactly_on_postgres() {
    followers_behind_and_beyond_the_window_read_the_log_exactly(Harness::postgres().await).await;
}

#[tokio::test]
async fn followers_behind_and_beyond_the_window_read_the_log_exactly_on_sqlite() {
    followers_behind_and_beyond_the_window_read_the_log_exactly(Harness::sqlite().await).await;
}

/// Four projectors of one runtime tail one shared reader: each read model is exact, and the
/// log is read about once for all of them (four separate tailers would read every event at
/// least four times).
async fn the_projectors_of_a_runtime_share_one_reader(h: Harness) {
    let store = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        store,
        h.store.clone(),
        Table::ALL.map(|t| Arc::new(CounterOn(t)) as Arc<dyn Projection>),
        fast_options(),
    );
    const EVENTS: usize = 140;
    h.write("r", 5, EVENTS).await;
    let last = h.events(EVENTS).await.last().unwrap().position;
    for table in Table::ALL {
        let mut status = runtime.subscribe(table).unwrap();
        wait_status(&mut status, "caught up", |s| s.position == last).await;
        let report = runtime.verify(table).await.unwrap();
        assert_eq!((report.checked, report.differences), (5 + EVENTS, vec![]));
    }
    let read = runtime.shared_log().events_read();
    assert!(
        (EVENTS as u64..2 * EVENTS as u64).contains(&read),
        "{read} events read from the log for 4 projectors of {EVENTS}"
    );
    runtime.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_projectors_of_a_runtime_share_one_reader_on_postgres() {
    the_projectors_of_a_runtime_share_one_reader(Harness::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_projectors_of_a_runtime_share_one_reader_on_sqlite() {
    the_projectors_of_a_runtime_share_one_reader(Harness::sqlite().await).await;
}
