//! The contract of [`EventStore::commit`] (several streams and idempotency records in one
//! transaction), run against Postgres and SQLite alike: all or nothing across streams, exactly
//! one winner per stream race, keys taken once, expired keys replaced.

#[allow(dead_code)] // the contract suite uses the rest
mod support;

use std::sync::Arc;

use cqrs_es::persist::SerializedEvent;
use holdfast_eventstore::{Commit, CommitError, EventStore, RequestRecord, StreamAppend};
use serde_json::json;
use support::Harness;
use tokio::sync::Barrier;

fn id(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new())
}

/// `n` events of stream `(kind, aggregate)` after `after`.
fn stream(kind: &str, aggregate: &str, after: usize, n: usize) -> StreamAppend {
    StreamAppend {
        aggregate_type: kind.to_owned(),
        aggregate_id: aggregate.to_owned(),
        events: (1..=n)
            .map(|i| {
                SerializedEvent::new(
                    aggregate.to_owned(),
                    after + i,
                    kind.to_owned(),
                    format!("{kind}Happened"),
                    "1.0".to_owned(),
                    json!({"n": after + i}),
                    json!({}),
                )
            })
            .collect(),
        snapshot: None,
    }
}

fn record(principal: &str, key: &str, answer: &str, created_at: &str) -> RequestRecord {
    RequestRecord {
        principal: principal.to_owned(),
        key: key.to_owned(),
        request_hash: "h1".to_owned(),
        response: json!({"ok": answer}).to_string(),
        created_at: created_at.to_owned(),
        expired_before: "2026-01-01T00:00:00.000000Z".to_owned(),
        abandoned_before: "2026-01-01T00:00:00.000000Z".to_owned(),
        position: None,
        written: Vec::new(),
    }
}

async fn last(store: &EventStore, kind: &str, aggregate: &str) -> usize {
    store.last_sequence(kind, aggregate).await.unwrap()
}

async fn stored_answer(store: &EventStore, principal: &str, key: &str) -> Option<String> {
    let row: Option<(Option<String>,)> = store
        .db()
        .fetch_optional_as(
            holdfast_eventstore::Sql::per_backend(
                "SELECT response::text FROM idempotency_keys WHERE principal = $1 AND key = $2",
                "SELECT response FROM idempotency_keys WHERE principal = $1 AND key = $2",
            ),
            &[principal.into(), key.into()],
        )
        .await
        .unwrap();
    row.and_then(|(r,)| r)
}

async fn a_commit_writes_every_stream_and_record_and_returns_their_positions(h: Harness) {
    let (a, b) = (id("a"), id("b"));
    let principal = id("guest");
    let commit = Commit {
        streams: vec![stream("Inventory", &a, 0, 2), stream("Booking", &b, 0, 3)],
        records: vec![record(
            &principal,
            "k1",
            "placed",
            "2026-12-07T00:00:00.000000Z",
        )],
    };
    let committed = h.store.commit(&commit).await.unwrap();
    assert_eq!(committed.positions.len(), 2);
    assert_eq!(committed.positions[0].len(), 2);
    assert_eq!(committed.positions[1].len(), 3);
    assert_eq!(last(&h.store, "Inventory", &a).await, 2);
    assert_eq!(last(&h.store, "Booking", &b).await, 3);
    // Every returned position is the logged position of its stream's last event or before.
    let logged = h.store.last_position("Booking", &b).await.unwrap().unwrap();
    assert_eq!(*committed.positions[1].last().unwrap(), logged);
    let stored = stored_answer(&h.store, &principal, "k1").await.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        json!({"ok": "placed"})
    );
}

async fn a_stream_that_moved_fails_the_whole_commit_and_is_named(h: Harness) {
    let (a, b) = (id("a"), id("b"));
    h.store
        .commit(&Commit {
            streams: vec![stream("Booking", &b, 0, 1)],
            records: Vec::new(),
        })
        .await
        .unwrap();
    let principal = id("guest");
    // Written as if `b` were still new: it moved, so nothing of the commit is written.
    let err = h
        .store
        .commit(&Commit {
            streams: vec![stream("Inventory", &a, 0, 1), stream("Booking", &b, 0, 1)],
            records: vec![record(&principal, "k", "x", "2026-12-07T00:00:00.000000Z")],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CommitError::Conflict { streams } if streams == &[1]),
        "{err:?}"
    );
    assert_eq!(last(&h.store, "Inventory", &a).await, 0, "all or nothing");
    assert_eq!(stored_answer(&h.store, &principal, "k").await, None);
    // The writer reloads and retries without the stale stream: it commits.
    h.store
        .commit(&Commit {
            streams: vec![stream("Inventory", &a, 0, 1), stream("Booking", &b, 1, 1)],
            records: vec![record(&principal, "k", "x", "2026-12-07T00:00:00.000000Z")],
        })
        .await
        .unwrap();
    assert_eq!(last(&h.store, "Booking", &b).await, 2);
}

async fn racing_commits_on_a_shared_stream_have_exactly_one_winner(h: Harness) {
    const RACERS: usize = 12;
    let shared = id("inventory");
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let (store, shared, barrier) = (h.store.clone(), shared.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let own = id("booking");
            let commit = Commit {
                streams: vec![
                    stream("Booking", &own, 0, 2),
                    stream("Inventory", &shared, 0, 1),
                ],
                records: Vec::new(),
            };
            barrier.wait().await;
            let result = store.commit(&commit).await;
            (own, result)
        }));
    }
    let mut winners = 0;
    for task in tasks {
        let (own, result) = task.await.unwrap();
        match result {
            Ok(_) => {
                winners += 1;
                assert_eq!(last(&h.store, "Booking", &own).await, 2);
            }
            Err(CommitError::Conflict { streams }) => {
                assert_eq!(streams, [1], "the shared stream is named");
                assert_eq!(last(&h.store, "Booking", &own).await, 0, "all or nothing");
            }
            // SQLite may refuse a writer that waited too long for the lock: transient.
            Err(e) if e.is_transient() => {
                assert_eq!(last(&h.store, "Booking", &own).await, 0, "all or nothing");
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(winners, 1, "exactly one racer wins the shared stream");
    assert_eq!(last(&h.store, "Inventory", &shared).await, 1);
}

async fn a_taken_key_fails_the_commit_and_is_named_and_an_expired_one_is_replaced(h: Harness) {
    let principal = id("guest");
    let first = id("booking");
    h.store
        .commit(&Commit {
            streams: vec![stream("Booking", &first, 0, 1)],
            records: vec![record(
                &principal,
                "k",
                "first",
                "2026-12-07T00:00:00.000000Z",
            )],
        })
        .await
        .unwrap();
    let again = id("booking");
    let err = h
        .store
        .commit(&Commit {
            streams: vec![stream("Booking", &again, 0, 1)],
            records: vec![
                record(&principal, "other", "x", "2026-12-07T00:00:01.000000Z"),
                record(&principal, "k", "second", "2026-12-07T00:00:01.000000Z"),
            ],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CommitError::KeysTaken { records } if records == &[1]),
        "{err:?}"
    );
    assert_eq!(last(&h.store, "Booking", &again).await, 0, "all or nothing");
    assert_eq!(stored_answer(&h.store, &principal, "other").await, None);
    assert!(
        stored_answer(&h.store, &principal, "k")
            .await
            .unwrap()
            .contains("first")
    );
    // A day later the key has expired: a new request with it is recorded.
    let mut later = record(&principal, "k", "later", "2026-12-08T00:00:02.000000Z");
    later.expired_before = "2026-12-07T00:00:01.000000Z".to_owned();
    h.store
        .commit(&Commit {
            streams: Vec::new(),
            records: vec![later],
        })
        .await
        .unwrap();
    assert!(
        stored_answer(&h.store, &principal, "k")
            .await
            .unwrap()
            .contains("later")
    );
}

async fn malformed_commits_are_refused_before_writing(h: Harness) {
    let a = id("a");
    let mut gap = stream("Booking", &a, 0, 2);
    gap.events[1].sequence = 5;
    let twice = Commit {
        streams: vec![stream("Booking", &a, 0, 1), stream("Booking", &a, 1, 1)],
        records: Vec::new(),
    };
    for commit in [
        Commit {
            streams: vec![gap],
            records: Vec::new(),
        },
        twice,
    ] {
        let err = h.store.commit(&commit).await.unwrap_err();
        assert!(matches!(err, CommitError::Invalid(_)), "{err:?}");
    }
    assert_eq!(last(&h.store, "Booking", &a).await, 0);
}

/// The raw read (for exports) gives the same events as the log, in the same order, with the
/// payload and metadata as the JSON the log parses.
async fn the_raw_read_gives_the_log_as_stored_text(h: Harness) {
    let a = id("raw");
    let b = id("raw");
    let commit = Commit {
        streams: vec![stream("Booking", &a, 0, 3), stream("Inventory", &b, 0, 2)],
        records: Vec::new(),
    };
    h.store.commit(&commit).await.unwrap();
    let log = h.store.log();
    let (mut parsed, mut raw) = (Vec::new(), Vec::new());
    let mut after = holdfast_eventstore::Position::START;
    loop {
        let batch = log.read(after, 2).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.position;
        parsed.extend(batch);
    }
    let mut after = holdfast_eventstore::Position::START;
    loop {
        let batch = h.store.read_raw(after, 2).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.position;
        raw.extend(batch);
    }
    // Other tests of the shared database may commit between the two reads: compare this
    // test's own events (they are in both, in the same order).
    let ours = |id: &str| id == a || id == b;
    raw.retain(|r| ours(&r.aggregate_id));
    parsed.retain(|p| ours(&p.aggregate_id));
    assert_eq!(raw.len(), parsed.len());
    assert_eq!(raw.len(), 5);
    for (r, p) in raw.iter().zip(&parsed) {
        assert_eq!(
            (
                r.position,
                &r.aggregate_type,
                &r.aggregate_id,
                r.sequence,
                &r.event_type
            ),
            (
                p.position,
                &p.aggregate_type,
                &p.aggregate_id,
                p.sequence,
                &p.event_type
            )
        );
        assert_eq!(r.recorded_at, p.recorded_at);
        let payload: serde_json::Value = serde_json::from_str(r.payload.get()).unwrap();
        let metadata: serde_json::Value = serde_json::from_str(r.metadata.get()).unwrap();
        assert_eq!((payload, metadata), (p.payload.clone(), p.metadata.clone()));
    }
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
    a_commit_writes_every_stream_and_record_and_returns_their_positions,
    a_stream_that_moved_fails_the_whole_commit_and_is_named,
    racing_commits_on_a_shared_stream_have_exactly_one_winner,
    a_taken_key_fails_the_commit_and_is_named_and_an_expired_one_is_replaced,
    malformed_commits_are_refused_before_writing,
    the_raw_read_gives_the_log_as_stored_text,
);
