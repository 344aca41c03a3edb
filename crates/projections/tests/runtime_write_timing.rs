//! How long a batch of patches takes to reach DynamoDB Local, one `UpdateItem` per item (what
//! projectors did before) or up to 100 per `TransactWriteItems` (`apply_plan` now), directly and
//! behind a proxy that delays every request by 10 ms (the network round trip that DynamoDB Local
//! on loopback hides). A measurement, not a check of speed: ignored by default, run with
//! `cargo nextest run -p holdfast-projections --test runtime_write_timing --run-ignored all
//! --no-capture`. It does check that both ways write the same items.

mod runtime_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use holdfast_eventstore::Position;
use holdfast_projections::runtime::apply::{Plan, apply_plan};
use holdfast_projections::runtime::backoff::Backoff;
use holdfast_projections::store::{Attrs, Key, Patch, ReadStore, TableRef};
use runtime_support::proxy::TcpProxy;
use runtime_support::{TABLE, dynamo_store, scan};
use serde_json::json;
use tokio::sync::watch;

/// A batch like a busy calendar's: `positions` events, each patching `per_event` slots.
fn batch(positions: u64, per_event: u64) -> Plan {
    let mut plan = Plan::default();
    for p in 0..positions {
        let patches = (0..per_event)
            .map(|k| {
                let key = Key::new(format!("inv#{}", p % 50), format!("slot#{p:05}#{k}"));
                let attrs = Attrs::from([
                    ("capacity".to_owned(), json!(10)),
                    ("held".to_owned(), json!(p % 7)),
                    ("allocated".to_owned(), json!(k)),
                    (
                        "price".to_owned(),
                        json!({"amount": 12000, "currency": "EUR"}),
                    ),
                    ("gsi1pk".to_owned(), json!(format!("tenant#{}", p % 3))),
                    (
                        "gsi1sk".to_owned(),
                        json!(format!("2026-12-{:02}", 1 + p % 28)),
                    ),
                ]);
                Patch::set(key, attrs)
            })
            .collect();
        plan.writes.insert(Position::new(7, 100 + p), patches);
        plan.patches += per_event as usize;
    }
    plan
}

/// One `UpdateItem` per item: one `apply` per position, 16 positions at once (16 items each).
async fn one_item_per_call(store: &Arc<dyn ReadStore>, table: TableRef, plan: Plan) {
    let mut calls = futures::stream::iter(plan.writes)
        .map(|(position, patches)| store.apply(table, position, patches))
        .buffer_unordered(16);
    while let Some(done) = calls.next().await {
        done.unwrap();
    }
}

async fn many_per_call(store: &Arc<dyn ReadStore>, table: TableRef, plan: Plan) {
    let (_keep, stop) = watch::channel(false);
    let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
    apply_plan(store, table, plan, 16, backoff, &stop, &|_| {})
        .await
        .unwrap()
        .unwrap();
}

async fn timed(many: bool, store: &Arc<dyn ReadStore>, table: TableRef, plan: Plan) -> Duration {
    let started = Instant::now();
    if many {
        many_per_call(store, table, plan).await;
    } else {
        one_item_per_call(store, table, plan).await;
    }
    started.elapsed()
}

async fn time(
    what: &str,
    endpoint: &str,
    items: u64,
    many: bool,
) -> Vec<holdfast_projections::store::Item> {
    let store = dynamo_store(endpoint).await;
    let table = TableRef::new(TABLE, 1);
    store.create_table(table).await.unwrap();
    let mut figures = Vec::new();
    for round in 0..3 {
        let first = timed(many, &store, table, batch(items / 2, 2)).await;
        // Again: every item is already there at this position, so every write is skipped.
        let again = timed(many, &store, table, batch(items / 2, 2)).await;
        figures.push(format!(
            "round {round}: {:.0} ms, re-delivered {:.0} ms",
            first.as_secs_f64() * 1e3,
            again.as_secs_f64() * 1e3
        ));
        if round < 2 {
            store.drop_table(table).await.unwrap();
            store.create_table(table).await.unwrap();
        }
    }
    println!("{what}, {items} items: {}", figures.join("; "));
    scan(store.as_ref(), table).await
}

#[tokio::test]
#[ignore = "a measurement; run it on purpose"]
async fn time_item_writes_against_dynamodb_local() {
    let direct = holdfast_testkit::dynamodb_endpoint();
    let delayed = TcpProxy::to_dynamodb(Duration::from_millis(10)).await;
    for items in [200, 1000] {
        let one = time("UpdateItem per item, direct", &direct, items, false).await;
        let many = time("TransactWriteItems ×100, direct", &direct, items, true).await;
        assert_eq!(one, many);
        assert_eq!(one.len(), items as usize);
        time(
            "UpdateItem per item, +10 ms",
            &delayed.endpoint(),
            items,
            false,
        )
        .await;
        time(
            "TransactWriteItems ×100, +10 ms",
            &delayed.endpoint(),
            items,
            true,
        )
        .await;
    }
}
