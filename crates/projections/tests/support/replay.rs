//! The replay property: a random script of (position, patches) applied once, in order, and
//! applied again with duplicates and re-deliveries from random earlier points give the same
//! items, the same as a plain in-test model, with exact written/skipped counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use holdfast_eventstore::Position;
use holdfast_projections::store::{
    Applied, Attrs, GSI1_PK, GSI1_SK, Item, Key, Patch, Table, TableRef,
};
use proptest::prelude::*;
use proptest::sample::Index as Pick;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use super::{Harness, Kind};

const NAMES: [&str; 5] = ["a", "count", "name", GSI1_PK, GSI1_SK];
const MAX_STEPS: usize = 8;

/// Steps (the patches of each position, in log order) and the order of their deliveries.
#[derive(Clone, Debug)]
pub struct Script {
    pub steps: Vec<Vec<Patch>>,
    pub deliveries: Vec<usize>,
}

/// The position of step `i`: two steps per transaction.
fn position(i: usize) -> Position {
    Position::new((i / 2 + 1) as u64, (i % 2) as u64)
}

fn value(name: &str, n: u8) -> Value {
    match name {
        // Index keys must be non-empty strings.
        GSI1_PK => json!(format!("g{}", n % 2)),
        GSI1_SK => json!(format!("s{n:03}")),
        _ if n.is_multiple_of(2) => json!(n),
        _ => json!({"n": n, "tags": ["x", n.to_string()], "ok": n.is_multiple_of(3), "none": null}),
    }
}

fn patch() -> impl Strategy<Value = Patch> {
    (
        0..3u8,
        0..3u8,
        prop::collection::vec((0..NAMES.len(), any::<u8>()), 0..3),
        prop::collection::vec(0..NAMES.len(), 0..2),
    )
        .prop_map(|(p, s, set, remove)| Patch {
            key: Key::new(format!("p{p}"), format!("s{s}")),
            set: set
                .into_iter()
                .map(|(i, n)| (NAMES[i].to_owned(), value(NAMES[i], n)))
                .collect(),
            remove: remove.into_iter().map(|i| NAMES[i].to_owned()).collect(),
        })
}

/// One step: patches of distinct keys (a call must not patch a key twice).
fn step() -> impl Strategy<Value = Vec<Patch>> {
    prop::collection::vec(patch(), 0..4).prop_map(|patches| {
        let by_key: BTreeMap<Key, Patch> =
            patches.into_iter().map(|p| (p.key.clone(), p)).collect();
        by_key.into_values().collect()
    })
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec(step(), 1..=MAX_STEPS),
        prop::collection::vec((any::<bool>(), prop::option::of(any::<Pick>())), MAX_STEPS),
    )
        .prop_map(|(steps, plan)| {
            let mut deliveries = Vec::new();
            for (i, (duplicate, rewind)) in plan.into_iter().take(steps.len()).enumerate() {
                deliveries.push(i);
                if duplicate {
                    deliveries.push(i);
                }
                if let Some(pick) = rewind {
                    deliveries.extend(pick.index(i + 1)..=i);
                }
            }
            Script { steps, deliveries }
        })
}

/// What the items should be: the patches folded in order.
fn model(steps: &[Vec<Patch>]) -> Vec<Item> {
    let mut items: BTreeMap<Key, Item> = BTreeMap::new();
    for (i, patches) in steps.iter().enumerate() {
        for patch in patches {
            let item = items.entry(patch.key.clone()).or_insert_with(|| Item {
                key: patch.key.clone(),
                attrs: Attrs::new(),
                version: position(i),
            });
            for name in &patch.remove {
                item.attrs.remove(name);
            }
            item.attrs
                .extend(patch.set.iter().map(|(k, v)| (k.clone(), v.clone())));
            item.version = position(i);
        }
    }
    items.into_values().collect()
}

async fn one_case(h: &Harness, next: &AtomicU32, script: Script) -> Result<(), TestCaseError> {
    let generation = next.fetch_add(2, Ordering::SeqCst);
    let once = TableRef::new(Table::Search, generation + 1);
    let replayed = TableRef::new(Table::Search, generation + 2);
    h.store.create_table(once).await.unwrap();
    h.store.create_table(replayed).await.unwrap();

    let total: usize = script.steps.iter().map(Vec::len).sum();
    for (i, patches) in script.steps.iter().enumerate() {
        let applied = h
            .store
            .apply(once, position(i), patches.clone())
            .await
            .unwrap();
        prop_assert_eq!(
            applied,
            Applied {
                written: patches.len(),
                skipped: 0
            }
        );
    }
    let mut counts = Applied::default();
    let mut delivered = 0;
    for &i in &script.deliveries {
        let patches = script.steps[i].clone();
        delivered += patches.len();
        let applied = h.store.apply(replayed, position(i), patches).await.unwrap();
        counts.written += applied.written;
        counts.skipped += applied.skipped;
    }
    let (in_order, with_replays) = (h.sorted_scan(once).await, h.sorted_scan(replayed).await);
    let _ = h.store.drop_table(once).await;
    let _ = h.store.drop_table(replayed).await;

    prop_assert_eq!(
        counts,
        Applied {
            written: total,
            skipped: delivered - total
        }
    );
    prop_assert_eq!(&in_order, &model(&script.steps));
    prop_assert_eq!(&with_replays, &in_order);
    Ok(())
}

/// Runs the property (24 cases) on one store of `kind`.
pub fn check(kind: Kind) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let harness = runtime.block_on(Harness::new(kind));
    let generations = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&script(), |script| {
        runtime.block_on(one_case(&harness, &generations, script))
    });
    runtime.block_on(harness.cleanup());
    if let Err(e) = result {
        panic!("{e}");
    }
}
