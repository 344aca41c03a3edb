//! The event store contract, run against Postgres and SQLite alike: every test below is
//! instantiated once per backend at the bottom of this file.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cqrs_es::AggregateError;
use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use holdfast_eventstore::{Position, TailerOptions};
use serde_json::json;
use support::{Add, Counter, CounterServices, Harness};
use tokio::sync::Barrier;

fn id(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new())
}

async fn an_empty_log_reads_nothing_and_its_head_is_the_start(h: Harness) {
    let log = h.store.log();
    assert!(log.read(Position::START, 100).await.unwrap().is_empty());
    assert_eq!(log.head().await.unwrap(), Position::START);
}

async fn migrations_can_run_again(h: Harness) {
    h.store.migrate().await.unwrap();
    h.store.migrate().await.unwrap();
}

async fn appended_events_come_back_with_every_field(h: Harness) {
    let cqrs = h.store.cqrs::<Counter>(CounterServices::default());
    let counter = id("c");
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    cqrs.execute(&counter, Add(2)).await.unwrap();
    cqrs.execute_with_metadata(
        &counter,
        Add(3),
        HashMap::from([("idempotency_key".to_owned(), "k-1".to_owned())]),
    )
    .await
    .unwrap();

    let events = h.read_n(Position::START, 2).await;
    assert_eq!(events.len(), 2);
    let (first, second) = (&events[0], &events[1]);
    assert!(first.position > Position::START && first.position < second.position);
    assert_eq!(first.aggregate_type, "Counter");
    assert_eq!(first.aggregate_id, counter);
    assert_eq!((first.sequence, second.sequence), (1, 2));
    assert_eq!(first.event_type, "CounterAdded");
    assert_eq!(first.event_version, "1.0");
    assert_eq!(
        first.payload,
        json!({"CounterAdded": {"by": 2, "total": 2}})
    );
    assert_eq!(
        second.payload,
        json!({"CounterAdded": {"by": 3, "total": 5}})
    );
    assert_eq!(second.metadata, json!({"idempotency_key": "k-1"}));
    assert!(first.recorded_at > before && first.recorded_at <= chrono::Utc::now());
    assert_eq!(h.store.log().head().await.unwrap(), second.position);

    // Nothing after the last one.
    assert!(
        h.store
            .log()
            .read(second.position, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn last_position_names_the_aggregates_latest_event(h: Harness) {
    let cqrs = h.store.cqrs::<Counter>(CounterServices::default());
    let (a, b) = (id("a"), id("b"));
    assert_eq!(h.store.last_position("Counter", &a).await.unwrap(), None);
    cqrs.execute(&a, Add(1)).await.unwrap();
    cqrs.execute(&b, Add(1)).await.unwrap();
    cqrs.execute(&a, Add(1)).await.unwrap();
    let events = h.read_n(Position::START, 3).await;
    assert_eq!(
        h.store.last_position("Counter", &a).await.unwrap(),
        Some(events[2].position)
    );
    assert_eq!(
        h.store.last_position("Counter", &b).await.unwrap(),
        Some(events[1].position)
    );
}

async fn small_pages_return_every_event_exactly_once(h: Harness) {
    let cqrs = h.store.cqrs::<Counter>(CounterServices::default());
    let ids: Vec<String> = (0..5).map(|_| id("p")).collect();
    for round in 0..4 {
        for c in &ids {
            cqrs.execute(c, Add(round)).await.unwrap();
        }
    }
    // Wait until all 20 are readable (another test's open transaction on the same server can
    // hold the readable head back for a moment), then page through them.
    assert_eq!(h.read_n(Position::START, 20).await.len(), 20);
    let log = h.store.log();
    let mut after = Position::START;
    let mut seen = Vec::new();
    loop {
        let page = log.read(after, 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        after = page.last().unwrap().position;
        seen.extend(page);
    }
    assert_eq!(seen.len(), 20);
    let unique: HashSet<_> = seen.iter().map(|e| (&e.aggregate_id, e.sequence)).collect();
    assert_eq!(unique.len(), 20);
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
}

/// 8 writers, each appending 40 events alternately to two aggregates of its own, while a tailer
/// reads concurrently: every event arrives exactly once, and each writer's events arrive in
/// the order it committed them.
async fn concurrent_writers_are_read_exactly_once_in_commit_order(h: Harness) {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 40;
    let total = WRITERS * PER_WRITER;
    let reader = {
        let mut tailer = h.store.tail(
            Position::START,
            TailerOptions {
                batch_size: 16,
                ..TailerOptions::default()
            },
        );
        tokio::spawn(async move {
            let mut events = Vec::new();
            while events.len() < total {
                let batch = tailer
                    .next_batch_within(Duration::from_secs(30))
                    .await
                    .unwrap();
                assert!(
                    !batch.is_empty(),
                    "tailer stalled at {} events",
                    events.len()
                );
                events.extend(batch);
            }
            events
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let cqrs = h.store.cqrs::<Counter>(CounterServices::default());
            tokio::spawn(async move {
                let pair = [
                    format!("w{w}-a-{}", ulid::Ulid::new()),
                    format!("w{w}-b-{}", ulid::Ulid::new()),
                ];
                let mut written = Vec::new();
                for i in 0..PER_WRITER {
                    let target = &pair[i % 2];
                    cqrs.execute(target, Add(1)).await.unwrap();
                    written.push((target.clone(), (i / 2 + 1) as u64));
                }
                written
            })
        })
        .collect();
    let mut expected_per_writer = Vec::new();
    for w in writers {
        expected_per_writer.push(w.await.unwrap());
    }
    let events = reader.await.unwrap();

    assert_eq!(events.len(), total, "exactly one delivery per event");
    let unique: HashSet<_> = events
        .iter()
        .map(|e| (e.aggregate_id.clone(), e.sequence))
        .collect();
    assert_eq!(unique.len(), total, "no event delivered twice");
    assert!(events.windows(2).all(|w| w[0].position < w[1].position));
    for expected in expected_per_writer {
        let mine: HashSet<_> = expected.iter().map(|(a, _)| a.clone()).collect();
        let observed: Vec<_> = events
            .iter()
            .filter(|e| mine.contains(&e.aggregate_id))
            .map(|e| (e.aggregate_id.clone(), e.sequence))
            .collect();
        assert_eq!(
            observed, expected,
            "a writer's commits must be read in commit order"
        );
    }
    // A second reader from the start sees the very same order.
    let again = h.read_n(Position::START, total).await;
    assert_eq!(
        again.iter().map(|e| e.position).collect::<Vec<_>>(),
        events.iter().map(|e| e.position).collect::<Vec<_>>()
    );
}

/// THE point of the ordered reader: transaction A appends first (smaller position) but commits
/// after transaction B. A reader that already advanced must still get A — it may not return B
/// before A has committed.
async fn an_older_transaction_that_commits_later_is_not_skipped(h: Harness) {
    let cqrs = Arc::new(h.store.cqrs::<Counter>(CounterServices::default()));
    let earlier = id("earlier");
    cqrs.execute(&earlier, Add(1)).await.unwrap();
    let start = h.read_n(Position::START, 1).await;
    let after_earlier = start[0].position;

    // A: appended, not committed.
    let slow = id("slow");
    let open = h.open_append(&slow).await;
    // B: a later transaction, committed (on SQLite it waits for A's write lock).
    let fast = id("fast");
    let writer_b = {
        let cqrs = cqrs.clone();
        let fast = fast.clone();
        tokio::spawn(async move { cqrs.execute(&fast, Add(1)).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The reader polls while A is open: nothing may be returned yet.
    let log = h.store.log();
    let read_while_open = log.read(after_earlier, 100).await.unwrap();
    assert!(
        read_while_open.is_empty(),
        "returned {:?} while an older transaction was still open",
        read_while_open
            .iter()
            .map(|e| &e.aggregate_id)
            .collect::<Vec<_>>()
    );

    open.commit().await;
    writer_b.await.unwrap();
    let after = h.read_n(after_earlier, 2).await;
    let ids: Vec<_> = after.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(
        ids,
        [slow.as_str(), fast.as_str()],
        "A (appended first) then B, each once"
    );
    assert!(log.read(after[1].position, 100).await.unwrap().is_empty());
}

/// Two commands load the same version of one aggregate and both try to commit: exactly one
/// wins; the other gets a conflict the service can retry, and the retry succeeds.
async fn racing_commands_commit_exactly_once_and_the_loser_can_retry(h: Harness) {
    let barrier = Arc::new(Barrier::new(2));
    let cqrs = Arc::new(
        h.store
            .cqrs::<Counter>(CounterServices(Some(barrier.clone()))),
    );
    let counter = id("race");
    let racers: Vec<_> = [10, 20]
        .into_iter()
        .map(|by| {
            let cqrs = cqrs.clone();
            let counter = counter.clone();
            tokio::spawn(async move { cqrs.execute(&counter, Add(by)).await })
        })
        .collect();
    let mut ok = 0;
    let mut conflicts = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(()) => ok += 1,
            Err(AggregateError::AggregateConflict) => conflicts += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 1));
    let stored = h
        .store
        .repository()
        .get_events::<Counter>(&counter)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "the loser appended nothing");

    // The service retries the loser: it now loads the winner's state and commits after it.
    let retry = h.store.cqrs::<Counter>(CounterServices::default());
    retry.execute(&counter, Add(5)).await.unwrap();
    let stored = h
        .store
        .repository()
        .get_events::<Counter>(&counter)
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2]
    );
    let last: support::CounterEvent = serde_json::from_value(stored[1].payload.clone()).unwrap();
    assert!(
        matches!(last, support::CounterEvent::CounterAdded { total, .. } if total == 15 || total == 25)
    );
}

/// A storm on one aggregate with bounded retries: every command lands exactly once and the
/// stream has no gap and no duplicate.
async fn a_storm_on_one_aggregate_with_retries_loses_nothing(h: Harness) {
    const CLIENTS: u64 = 16;
    let cqrs = Arc::new(h.store.cqrs::<Counter>(CounterServices::default()));
    let counter = id("storm");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let cqrs = cqrs.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                for attempt in 0..200 {
                    match cqrs.execute(&counter, Add(1)).await {
                        Ok(()) => return attempt,
                        Err(AggregateError::AggregateConflict) => tokio::task::yield_now().await,
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
                panic!("no commit after 200 attempts");
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let stored = h
        .store
        .repository()
        .get_events::<Counter>(&counter)
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|e| e.sequence as u64).collect::<Vec<_>>(),
        (1..=CLIENTS).collect::<Vec<_>>()
    );
    let last: support::CounterEvent =
        serde_json::from_value(stored.last().unwrap().payload.clone()).unwrap();
    assert_eq!(
        last,
        support::CounterEvent::CounterAdded {
            by: 1,
            total: CLIENTS
        }
    );
}

/// A waiting tailer is woken by a commit, not by its poll: with a one-minute poll interval it
/// still receives the event.
async fn a_waiting_tailer_is_woken_by_a_commit(h: Harness) {
    let mut tailer = h.store.tail(
        Position::START,
        TailerOptions {
            poll_interval: Duration::from_secs(60),
            ..TailerOptions::default()
        },
    );
    let waiting =
        tokio::spawn(async move { tailer.next_batch_within(Duration::from_secs(20)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cqrs = h.store.cqrs::<Counter>(CounterServices::default());
    cqrs.execute(&id("wake"), Add(1)).await.unwrap();
    let batch = waiting.await.unwrap().unwrap();
    assert_eq!(batch.len(), 1, "the tailer was not woken by the commit");
}

/// Snapshots (for long streams such as inventories) load the same state as a full replay.
async fn snapshotted_aggregates_load_the_same_state(h: Harness) {
    let snap = h
        .store
        .snapshot_cqrs::<Counter>(2, CounterServices::default());
    let counter = id("snap");
    for by in 1..=5 {
        snap.execute(&counter, Add(by)).await.unwrap();
    }
    let stored = h
        .store
        .repository()
        .get_events::<Counter>(&counter)
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
    let snapshot = h
        .store
        .repository()
        .get_snapshot::<Counter>(&counter)
        .await
        .unwrap();
    assert!(snapshot.is_some(), "a snapshot was written");
    // A plain (replaying) framework and the snapshotting one agree on the next total.
    let plain = h.store.cqrs::<Counter>(CounterServices::default());
    plain.execute(&counter, Add(0)).await.unwrap();
    snap.execute(&counter, Add(0)).await.unwrap();
    let stored = h
        .store
        .repository()
        .get_events::<Counter>(&counter)
        .await
        .unwrap();
    let totals: Vec<_> = stored[5..]
        .iter()
        .map(|e: &SerializedEvent| e.payload["CounterAdded"]["total"].as_u64().unwrap())
        .collect();
    assert_eq!(totals, [15, 15]);
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::Harness::postgres().await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(super::Harness::sqlite().await).await;
                }
            )*
        }
    };
}

contract!(
    an_empty_log_reads_nothing_and_its_head_is_the_start,
    migrations_can_run_again,
    appended_events_come_back_with_every_field,
    small_pages_return_every_event_exactly_once,
    last_position_names_the_aggregates_latest_event,
    concurrent_writers_are_read_exactly_once_in_commit_order,
    an_older_transaction_that_commits_later_is_not_skipped,
    racing_commands_commit_exactly_once_and_the_loser_can_retry,
    a_storm_on_one_aggregate_with_retries_loses_nothing,
    a_waiting_tailer_is_woken_by_a_commit,
    snapshotted_aggregates_load_the_same_state,
);
