//! `ReadStore::apply_many` (each patch at its own position, in one call; on DynamoDB up to 100
//! per `TransactWriteItems`), instantiated for both stores in `store_contract.rs`.

use std::sync::Arc;

use holdfast_eventstore::Position;
use holdfast_projections::store::{Applied, Patch};
use serde_json::json;

use super::{Harness, attrs, key, pos, set};

fn write(i: usize, position: Position, value: i64) -> (Position, Patch) {
    (
        position,
        set(key("m", &format!("k{i:03}")), attrs([("n", json!(value))])),
    )
}

/// 250 writes (three transactions on DynamoDB) in which 60 items already sit at a newer
/// position, spread over every transaction: exactly those are skipped and keep their values,
/// every other item is written at its own position.
pub async fn apply_many_guards_each_item_at_its_own_position(h: Harness) {
    let t = h.table(1).await;
    let newer: Vec<_> = (0..250)
        .filter(|i| i % 4 == 1 && *i < 240)
        .map(|i| write(i, pos(9, 0), -1))
        .collect();
    assert_eq!(newer.len(), 60);
    assert_eq!(
        h.store.apply_many(t, newer).await.unwrap(),
        Applied {
            written: 60,
            skipped: 0
        }
    );
    let writes: Vec<_> = (0..250)
        .map(|i| write(i, pos(8, i as u64), i as i64))
        .collect();
    assert_eq!(
        h.store.apply_many(t, writes.clone()).await.unwrap(),
        Applied {
            written: 190,
            skipped: 60
        }
    );
    let items = h.sorted_scan(t).await;
    assert_eq!(items.len(), 250);
    for (i, item) in items.iter().enumerate() {
        let kept = i % 4 == 1 && i < 240;
        let (value, version) = if kept {
            (-1, pos(9, 0))
        } else {
            (i as i64, pos(8, i as u64))
        };
        assert_eq!(
            (item.attrs["n"].clone(), item.version),
            (json!(value), version),
            "k{i:03}"
        );
    }
    // Re-delivered: nothing is written, nothing changes.
    assert_eq!(
        h.store.apply_many(t, writes).await.unwrap(),
        Applied {
            written: 0,
            skipped: 250
        }
    );
    assert_eq!(h.sorted_scan(t).await, items);
    assert_eq!(
        h.store.apply_many(t, Vec::new()).await.unwrap(),
        Applied::default()
    );
}

/// Three deliveries of the same 150 writes at once: each item is written exactly once.
pub async fn racing_apply_many_deliveries_write_each_item_once(h: Harness) {
    let t = h.table(1).await;
    let writes: Vec<_> = (0..150)
        .map(|i| write(i, pos(3, i as u64), i as i64))
        .collect();
    let racers: Vec<_> = (0..3)
        .map(|_| {
            let (store, writes) = (Arc::clone(&h.store), writes.clone());
            tokio::spawn(async move { store.apply_many(t, writes).await.unwrap() })
        })
        .collect();
    let mut total = Applied::default();
    for racer in racers {
        total += racer.await.unwrap();
    }
    assert_eq!(
        total,
        Applied {
            written: 150,
            skipped: 300
        }
    );
    let items = h.sorted_scan(t).await;
    assert_eq!(items.len(), 150);
    assert!(
        items
            .iter()
            .enumerate()
            .all(|(i, item)| item.version == pos(3, i as u64) && item.attrs["n"] == json!(i))
    );
}
