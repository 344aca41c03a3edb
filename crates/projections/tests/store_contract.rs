//! The read store contract, held by `MemoryStore` and `DynamoStore` (on DynamoDB Local) alike:
//! every test below (and the query tests in `support/queries.rs`) is instantiated once per store
//! at the bottom of this file (with those of `support/apply_many.rs`), plus DynamoDB-only tests in `support/dynamo_only.rs` (physical
//! layout, reserved names, look-alike prefixes, malformed items, an unreachable endpoint).

mod support;

// The query tests, instantiated below with the others.
#[path = "support/apply_many.rs"]
mod apply_many;
#[path = "support/queries.rs"]
mod queries;

use std::collections::BTreeSet;
use std::sync::Arc;

use apply_many::*;
use holdfast_projections::store::{Applied, Index, ReadStoreError, SortKey, Table, TableRef};
use queries::*;
use serde_json::{Value, json};
use support::{Harness, Kind, attrs, key, pos, query, remove, set};

async fn tables_are_created_and_dropped_idempotently(h: Harness) {
    let store = &h.store;
    assert_eq!(
        store.generations(Table::Calendar).await.unwrap(),
        Vec::<u32>::new()
    );
    let g1 = TableRef::new(Table::Calendar, 1);
    let g3 = TableRef::new(Table::Calendar, 3);
    store.create_table(g1).await.unwrap();
    store.create_table(g3).await.unwrap();
    store
        .create_table(TableRef::new(Table::Search, 2))
        .await
        .unwrap();
    assert_eq!(
        store.generations(Table::Calendar).await.unwrap(),
        vec![1, 3]
    );

    // Creating again keeps the data.
    store
        .apply(
            g1,
            pos(1, 0),
            vec![set(key("p", "s"), attrs([("a", json!(1))]))],
        )
        .await
        .unwrap();
    store.create_table(g1).await.unwrap();
    assert_eq!(
        store.get(g1, &key("p", "s")).await.unwrap().unwrap().attrs["a"],
        json!(1)
    );

    // Dropping deletes the table and its checkpoint; dropping again is fine.
    store.save_checkpoint(g1, pos(9, 0)).await.unwrap();
    store.drop_table(g1).await.unwrap();
    store.drop_table(g1).await.unwrap();
    store
        .drop_table(TableRef::new(Table::Coupons, 7))
        .await
        .unwrap();
    assert_eq!(store.generations(Table::Calendar).await.unwrap(), vec![3]);
    assert_eq!(store.generations(Table::Search).await.unwrap(), vec![2]);
    assert_eq!(store.checkpoint(g1).await.unwrap(), None);
    assert!(matches!(
        store.get(g1, &key("p", "s")).await,
        Err(ReadStoreError::NoSuchTable(_))
    ));

    // A re-created generation starts empty.
    store.create_table(g1).await.unwrap();
    assert!(store.scan(g1).await.unwrap().is_empty());
}

async fn apply_creates_sets_removes_and_bumps_the_version(h: Harness) {
    let t = h.table(1).await;
    let k = key("listing#1", "slot#2025-06-01");
    let item = h
        .patch(
            t,
            pos(1, 0),
            set(k.clone(), attrs([("a", json!(1)), ("b", json!("x"))])),
        )
        .await
        .unwrap();
    assert_eq!(item.key, k);
    assert_eq!(item.attrs, attrs([("a", json!(1)), ("b", json!("x"))]));
    assert_eq!(item.version, pos(1, 0));

    let mut change = set(k.clone(), attrs([("b", json!("y")), ("c", json!(true))]));
    change.remove = vec!["a".to_owned(), "never-set".to_owned()];
    let item = h.patch(t, pos(2, 0), change).await.unwrap();
    assert_eq!(item.attrs, attrs([("b", json!("y")), ("c", json!(true))]));
    assert_eq!(item.version, pos(2, 0));

    // Removing and setting one name: the set wins.
    let mut both = set(k.clone(), attrs([("c", json!(false))]));
    both.remove = vec!["c".to_owned(), "b".to_owned()];
    let item = h.patch(t, pos(2, 1), both).await.unwrap();
    assert_eq!(item.attrs, attrs([("c", json!(false))]));

    // A patch with nothing to change still records the position, and creates its item.
    let item = h.patch(t, pos(3, 0), remove(k.clone(), &[])).await.unwrap();
    assert_eq!((item.attrs.len(), item.version), (1, pos(3, 0)));
    let fresh = h
        .patch(t, pos(3, 0), remove(key("other", "x"), &["a"]))
        .await
        .unwrap();
    assert_eq!((fresh.attrs.len(), fresh.version), (0, pos(3, 0)));
    assert_eq!(h.store.get(t, &key("other", "y")).await.unwrap(), None);
}

async fn stale_patches_are_skipped_and_counted_exactly(h: Harness) {
    let t = h.table(1).await;
    let p = |k: &str, v: i64| set(key("p", k), attrs([("v1", json!(v))]));
    let applied = h
        .store
        .apply(t, pos(5, 0), vec![p("k1", 1), p("k2", 1)])
        .await
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 2,
            skipped: 0
        }
    );
    // The same position again: only the new key is written.
    let applied = h
        .store
        .apply(t, pos(5, 0), vec![p("k1", 2), p("k2", 2), p("k3", 2)])
        .await
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 1,
            skipped: 2
        }
    );
    // An older position: skipped where the item has seen a newer one.
    let applied = h
        .store
        .apply(t, pos(4, 9), vec![p("k1", 3), p("k4", 3)])
        .await
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 1,
            skipped: 1
        }
    );
    let k1 = h.store.get(t, &key("p", "k1")).await.unwrap().unwrap();
    assert_eq!((k1.attrs["v1"].clone(), k1.version), (json!(1), pos(5, 0)));
    // The next index of the same transaction is newer.
    let applied = h.store.apply(t, pos(5, 1), vec![p("k1", 4)]).await.unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 1,
            skipped: 0
        }
    );
    assert_eq!(
        h.store
            .get(t, &key("p", "k1"))
            .await
            .unwrap()
            .unwrap()
            .attrs["v1"],
        json!(4)
    );
    let empty = h.store.apply(t, pos(6, 0), vec![]).await.unwrap();
    assert_eq!(empty, Applied::default());
}

async fn redelivering_a_batch_changes_nothing(h: Harness) {
    let t = h.table(1).await;
    let batch: Vec<_> = (0..40)
        .map(|i| {
            set(
                key(&format!("p{}", i % 4), &format!("s{i:02}")),
                attrs([("n", json!(i))]),
            )
        })
        .collect();
    assert_eq!(
        h.store.apply(t, pos(8, 2), batch.clone()).await.unwrap(),
        Applied {
            written: 40,
            skipped: 0
        }
    );
    let before = h.sorted_scan(t).await;
    assert_eq!(
        h.store.apply(t, pos(8, 2), batch.clone()).await.unwrap(),
        Applied {
            written: 0,
            skipped: 40
        }
    );
    assert_eq!(
        h.store.apply(t, pos(1, 0), batch).await.unwrap(),
        Applied {
            written: 0,
            skipped: 40
        }
    );
    assert_eq!(h.sorted_scan(t).await, before);
}

async fn racing_deliveries_of_one_batch_write_each_patch_once(h: Harness) {
    let t = h.table(1).await;
    let batch: Vec<_> = (0..60)
        .map(|i| set(key("p", &format!("s{i:02}")), attrs([("n", json!(i))])))
        .collect();
    let racers: Vec<_> = (0..3)
        .map(|_| {
            let (store, batch) = (Arc::clone(&h.store), batch.clone());
            tokio::spawn(async move { store.apply(t, pos(3, 3), batch).await.unwrap() })
        })
        .collect();
    let mut total = Applied::default();
    for racer in racers {
        let applied = racer.await.unwrap();
        total.written += applied.written;
        total.skipped += applied.skipped;
    }
    assert_eq!(
        total,
        Applied {
            written: 60,
            skipped: 120
        }
    );
    assert_eq!(h.store.scan(t).await.unwrap().len(), 60);
}

async fn values_round_trip_exactly(h: Harness) {
    let t = h.table(1).await;
    let values = attrs([
        ("max_u64", json!(u64::MAX)),
        ("min_i64", json!(i64::MIN)),
        ("zero", json!(0)),
        ("negative", json!(-1)),
        ("cents", json!(129_900)),
        ("half", json!(2.5)),
        ("small", json!(-0.125)),
        ("yes", json!(true)),
        ("no", json!(false)),
        ("nothing", Value::Null),
        ("empty", json!("")),
        ("text", json!("Zürich — 東京 ✓")),
        ("list", json!([])),
        ("map", json!({})),
        (
            "nested",
            json!({"a": [1, {"b": [true, null, "x", -3]}], "n": {"m": {"k": 7, "f": 0.5}}}),
        ),
        // DynamoDB reserved words and unusual names.
        ("name", json!("n")),
        ("status", json!("s")),
        ("size", json!(3)),
        ("dotted.name", json!(1)),
        ("with space", json!(2)),
        ("dash-ed#x", json!(3)),
    ]);
    let k = key("p", "s");
    let item = h
        .patch(t, pos(1, 0), set(k.clone(), values.clone()))
        .await
        .unwrap();
    assert_eq!(item.attrs, values);
    for name in ["max_u64", "zero", "cents", "size"] {
        assert!(
            item.attrs[name].is_u64(),
            "{name} is {:?}",
            item.attrs[name]
        );
    }
    for name in ["min_i64", "negative"] {
        assert!(
            item.attrs[name].is_i64(),
            "{name} is {:?}",
            item.attrs[name]
        );
    }
    assert!(item.attrs["nested"]["n"]["m"]["k"].is_u64());
    let queried = h
        .store
        .query(t, &query(Index::Primary, "p", SortKey::All, true, 10))
        .await
        .unwrap();
    assert_eq!(queried.items, vec![item.clone()]);
    assert_eq!(h.store.scan(t).await.unwrap(), vec![item]);
    // Removing the odd names works too.
    let names: Vec<&str> = values.keys().map(String::as_str).collect();
    let item = h.patch(t, pos(2, 0), remove(k, &names)).await.unwrap();
    assert!(item.attrs.is_empty());
}

async fn scan_returns_every_item(h: Harness) {
    let t = h.table(1).await;
    let mut patches: Vec<_> = (0..150)
        .map(|i| {
            set(
                key(&format!("p{}", i % 7), &format!("s{i:03}")),
                attrs([("i", json!(i))]),
            )
        })
        .collect();
    // Big items, so DynamoDB pages the scan (1 MB per page).
    let big = "x".repeat(300_000);
    patches.extend((0..5).map(|i| set(key("big", &i.to_string()), attrs([("blob", json!(big))]))));
    h.store.apply(t, pos(2, 0), patches).await.unwrap();
    let items = h.sorted_scan(t).await;
    assert_eq!(items.len(), 155);
    assert_eq!(
        items.iter().map(|i| &i.key).collect::<BTreeSet<_>>().len(),
        155
    );
    assert!(items.iter().all(|i| i.version == pos(2, 0)));
    let ones: Vec<_> = items
        .iter()
        .filter(|i| i.key.pk != "big")
        .map(|i| i.attrs["i"].as_u64().unwrap())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ones, (0..150).collect::<Vec<u64>>());
}

async fn bulk_loaded_items_read_back_exactly_and_index_like_applied_ones(h: Harness) {
    use holdfast_projections::store::{GSI1_PK, GSI1_SK, Item};
    let t = h.table(1).await;
    // 1,013 items (41 requests of 25 and a short one), with nested values and gsi1 attributes,
    // at versions of their own.
    let items: Vec<Item> = (0..1013u64)
        .map(|i| Item {
            key: key(&format!("p{}", i % 11), &format!("s{i:04}")),
            attrs: attrs([
                ("i", json!(i)),
                (
                    "nested",
                    json!({"list": [i, "x", null, 1.5], "flag": i % 2 == 0}),
                ),
                (GSI1_PK, json!(format!("g{}", i % 3))),
                (GSI1_SK, json!(format!("{i:04}"))),
            ]),
            version: pos(5, i),
        })
        .collect();
    h.store.put_items(t, items.clone()).await.unwrap();
    let mut stored = h.sorted_scan(t).await;
    stored.sort_by(|a, b| a.key.cmp(&b.key));
    let mut expected = items.clone();
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(stored, expected);
    // The index sees them like items written by patches.
    let page = h
        .store
        .query(t, &query(Index::Gsi1, "g1", SortKey::All, true, 1000))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 338);
    // Versions are kept: a patch at an older position than an item's version is skipped, a
    // newer one applies.
    let first = &items[7];
    let applied = h
        .store
        .apply(
            t,
            pos(5, 6),
            vec![set(first.key.clone(), attrs([("i", json!(-1))]))],
        )
        .await
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            written: 0,
            skipped: 1
        }
    );
    h.store
        .apply(
            t,
            pos(6, 0),
            vec![set(first.key.clone(), attrs([("i", json!(-1))]))],
        )
        .await
        .unwrap();
    assert_eq!(
        h.store.get(t, &first.key).await.unwrap().unwrap().attrs["i"],
        json!(-1)
    );
    // A second load replaces whole items (and moves them out of the index).
    let replaced = Item {
        key: items[1].key.clone(),
        attrs: attrs([("only", json!("this"))]),
        version: pos(9, 0),
    };
    h.store.put_items(t, vec![replaced.clone()]).await.unwrap();
    assert_eq!(h.store.get(t, &replaced.key).await.unwrap(), Some(replaced));
    let page = h
        .store
        .query(t, &query(Index::Gsi1, "g1", SortKey::All, true, 1000))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 337);
    // A missing generation is refused.
    let missing = TableRef::new(Table::Coupons, 77);
    assert!(matches!(
        h.store.put_items(missing, items[..1].to_vec()).await,
        Err(ReadStoreError::NoSuchTable(_))
    ));
}

async fn aliases_point_readers_at_a_generation(h: Harness) {
    assert_eq!(h.store.alias(Table::Calendar).await.unwrap(), None);
    h.store.set_alias(Table::Calendar, 1).await.unwrap();
    h.store.set_alias(Table::Calendar, 3).await.unwrap();
    assert_eq!(h.store.alias(Table::Calendar).await.unwrap(), Some(3));
    // An alias may move back (a rollback to the previous generation).
    h.store.set_alias(Table::Calendar, 2).await.unwrap();
    assert_eq!(h.store.alias(Table::Calendar).await.unwrap(), Some(2));
    h.store.set_alias(Table::Bookings, 7).await.unwrap();
    assert_eq!(h.store.alias(Table::Bookings).await.unwrap(), Some(7));
    assert_eq!(h.store.alias(Table::Search).await.unwrap(), None);
}

async fn checkpoints_never_move_backwards(h: Harness) {
    let g1 = TableRef::new(Table::Calendar, 1);
    let g2 = TableRef::new(Table::Calendar, 2);
    assert_eq!(h.store.checkpoint(g1).await.unwrap(), None);
    h.store.save_checkpoint(g1, pos(5, 2)).await.unwrap();
    h.store.save_checkpoint(g1, pos(5, 1)).await.unwrap();
    h.store.save_checkpoint(g1, pos(5, 2)).await.unwrap();
    assert_eq!(h.store.checkpoint(g1).await.unwrap(), Some(pos(5, 2)));
    h.store.save_checkpoint(g1, pos(10, 0)).await.unwrap();
    assert_eq!(h.store.checkpoint(g1).await.unwrap(), Some(pos(10, 0)));
    assert_eq!(h.store.checkpoint(g2).await.unwrap(), None);
    // Racing savers: the newest wins, whatever the order.
    let savers: Vec<_> = (0..24u64)
        .map(|i| {
            let store = Arc::clone(&h.store);
            tokio::spawn(async move {
                store
                    .save_checkpoint(g2, pos((i * 7) % 24, i % 3))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for saver in savers {
        saver.await.unwrap();
    }
    assert_eq!(h.store.checkpoint(g2).await.unwrap(), Some(pos(23, 2)));
}

async fn data_calls_on_a_missing_table_fail_with_no_such_table(h: Harness) {
    let missing = TableRef::new(Table::Coupons, 9);
    h.table(1).await; // another table exists
    let is_missing = |r: Result<(), ReadStoreError>| match r {
        Err(ReadStoreError::NoSuchTable(name)) => assert!(name.ends_with("coupons_g9"), "{name}"),
        other => panic!("expected NoSuchTable, got {other:?}"),
    };
    is_missing(
        h.store
            .apply(missing, pos(1, 0), vec![set(key("p", "s"), attrs([]))])
            .await
            .map(drop),
    );
    is_missing(h.store.get(missing, &key("p", "s")).await.map(drop));
    is_missing(
        h.store
            .query(missing, &query(Index::Primary, "p", SortKey::All, true, 5))
            .await
            .map(drop),
    );
    is_missing(
        h.store
            .query(missing, &query(Index::Gsi1, "p", SortKey::All, true, 5))
            .await
            .map(drop),
    );
    is_missing(h.store.scan(missing).await.map(drop));
    let err = h.store.scan(missing).await.unwrap_err();
    assert!(!err.is_transient());
    assert_eq!(h.store.checkpoint(missing).await.unwrap(), None);
}

macro_rules! contract {
    (async: [$($test:ident),* $(,)?], sync: [$($sync:ident),* $(,)?]) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    crate::support::run(crate::support::Kind::Memory, super::$test).await;
                }
            )*
            $(
                #[test]
                fn $sync() {
                    super::$sync(crate::support::Kind::Memory);
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    crate::support::run(crate::support::Kind::Dynamo, super::$test).await;
                }
            )*
            $(
                #[test]
                fn $sync() {
                    super::$sync(crate::support::Kind::Dynamo);
                }
            )*
        }
    };
}

fn redelivery_from_any_point_changes_nothing(kind: Kind) {
    support::replay::check(kind);
}

contract!(
    async: [
        tables_are_created_and_dropped_idempotently,
        apply_creates_sets_removes_and_bumps_the_version,
        stale_patches_are_skipped_and_counted_exactly,
        redelivering_a_batch_changes_nothing,
        racing_deliveries_of_one_batch_write_each_patch_once,
        apply_many_guards_each_item_at_its_own_position,
        racing_apply_many_deliveries_write_each_item_once,
        gsi_membership_follows_its_attributes,
        queries_select_sort_keys_on_both_indexes_in_both_orders,
        pages_return_every_item_exactly_once_in_order,
        values_round_trip_exactly,
        scan_returns_every_item,
        bulk_loaded_items_read_back_exactly_and_index_like_applied_ones,
        aliases_point_readers_at_a_generation,
        checkpoints_never_move_backwards,
        data_calls_on_a_missing_table_fail_with_no_such_table,
    ],
    sync: [redelivery_from_any_point_changes_nothing]
);

#[path = "support/dynamo_only.rs"]
mod dynamo_only;
