//! Contract tests of queries (part of `store_contract.rs`): index membership, sort-key
//! conditions in both orders on both indexes, and pagination that sees every item once.

use std::collections::BTreeSet;

use holdfast_projections::store::{GSI1_PK, GSI1_SK, Index, Key, SortKey};
use serde_json::json;

use crate::support::{Harness, attrs, key, page_keys, pos, query, remove, set};

pub async fn gsi_membership_follows_its_attributes(h: Harness) {
    let t = h.table(1).await;
    let gsi = |pk: &str, sk: &str| attrs([(GSI1_PK, json!(pk)), (GSI1_SK, json!(sk))]);
    let members = |pk: &'static str| {
        let h = h.clone();
        async move { page_keys(&h, t, &query(Index::Gsi1, pk, SortKey::All, true, 100)).await }
    };
    let mut a_attrs = gsi("G", "2");
    a_attrs.insert("title".to_owned(), json!("A"));
    h.store
        .apply(
            t,
            pos(1, 0),
            vec![
                set(key("a", "1"), a_attrs),
                set(key("b", "1"), gsi("G", "1")),
                set(key("c", "1"), gsi("H", "5")),
                set(key("d", "1"), attrs([(GSI1_PK, json!("G"))])), // no gsi1sk: not indexed
            ],
        )
        .await
        .unwrap();
    assert_eq!(members("G").await, vec![key("b", "1"), key("a", "1")]);
    // Index pages carry the whole item.
    let page = h
        .store
        .query(t, &query(Index::Gsi1, "G", SortKey::All, false, 1))
        .await
        .unwrap();
    assert_eq!(page.items[0].attrs["title"], json!("A"));
    assert_eq!(page.items[0].version, pos(1, 0));

    h.patch(t, pos(2, 0), set(key("a", "1"), gsi("H", "9")))
        .await;
    assert_eq!(members("G").await, vec![key("b", "1")]);
    assert_eq!(members("H").await, vec![key("c", "1"), key("a", "1")]);
    h.patch(
        t,
        pos(3, 0),
        set(key("c", "1"), attrs([(GSI1_SK, json!("99"))])),
    )
    .await;
    assert_eq!(members("H").await, vec![key("a", "1"), key("c", "1")]);
    h.patch(t, pos(4, 0), remove(key("b", "1"), &[GSI1_SK]))
        .await;
    h.patch(
        t,
        pos(4, 0),
        set(key("d", "1"), attrs([(GSI1_SK, json!("0"))])),
    )
    .await;
    assert_eq!(members("G").await, vec![key("d", "1")]);
    h.patch(t, pos(5, 0), remove(key("a", "1"), &[GSI1_PK, GSI1_SK]))
        .await;
    assert_eq!(members("H").await, vec![key("c", "1")]);
    // A stale patch does not move an item between partitions.
    h.patch(t, pos(1, 5), set(key("c", "1"), gsi("G", "1")))
        .await;
    assert_eq!(members("G").await, vec![key("d", "1")]);
}

pub async fn queries_select_sort_keys_on_both_indexes_in_both_orders(h: Harness) {
    let t = h.table(1).await;
    let sks = ["a#1", "a#2", "a#3", "b#1", "b#2", "c"];
    let mut patches: Vec<_> = sks
        .iter()
        .map(|sk| {
            set(
                key("P", sk),
                attrs([(GSI1_PK, json!("G")), (GSI1_SK, json!(format!("x{sk}")))]),
            )
        })
        .collect();
    patches.push(set(
        key("P0", "a#1"),
        attrs([(GSI1_PK, json!("G0")), (GSI1_SK, json!("xa#1"))]),
    ));
    patches.push(set(
        key("Q", "a#1"),
        attrs([(GSI1_PK, json!("GG")), (GSI1_SK, json!("xa#1"))]),
    ));
    h.store.apply(t, pos(1, 0), patches).await.unwrap();
    let expect = |picked: &[&str]| picked.iter().map(|sk| key("P", sk)).collect::<Vec<Key>>();
    for (index, pk, px) in [(Index::Primary, "P", ""), (Index::Gsi1, "G", "x")] {
        let cases = [
            (SortKey::All, expect(&sks)),
            (
                SortKey::BeginsWith(format!("{px}a#")),
                expect(&["a#1", "a#2", "a#3"]),
            ),
            (
                SortKey::BeginsWith(format!("{px}b")),
                expect(&["b#1", "b#2"]),
            ),
            (SortKey::BeginsWith(format!("{px}z")), vec![]),
            (
                SortKey::Between(format!("{px}a#2"), format!("{px}b#1")),
                expect(&["a#2", "a#3", "b#1"]),
            ),
            (
                SortKey::Between(format!("{px}a#25"), format!("{px}b#15")),
                expect(&["a#3", "b#1"]),
            ),
            (
                SortKey::Between(format!("{px}c"), format!("{px}c")),
                expect(&["c"]),
            ),
            (SortKey::Between(format!("{px}b"), format!("{px}a")), vec![]),
        ];
        for (sk, ascending_keys) in cases {
            let up = page_keys(&h, t, &query(index, pk, sk.clone(), true, 100)).await;
            assert_eq!(up, ascending_keys, "{index:?} {sk:?} ascending");
            let down = page_keys(&h, t, &query(index, pk, sk.clone(), false, 100)).await;
            let mut reversed = ascending_keys;
            reversed.reverse();
            assert_eq!(down, reversed, "{index:?} {sk:?} descending");
        }
        assert!(
            page_keys(&h, t, &query(index, "nobody", SortKey::All, true, 100))
                .await
                .is_empty()
        );
    }
}

pub async fn pages_return_every_item_exactly_once_in_order(h: Harness) {
    let t = h.table(1).await;
    let patches: Vec<_> = (0..57)
        .map(|i| {
            let g = format!("g#{:03}", 56 - i);
            set(
                key("P", &format!("item#{i:03}")),
                attrs([(GSI1_PK, json!("G")), (GSI1_SK, json!(g))]),
            )
        })
        .chain((0..5).map(|i| {
            set(
                key("P2", &format!("item#{i:03}")),
                attrs([(GSI1_PK, json!("G2")), (GSI1_SK, json!("g#000"))]),
            )
        }))
        .collect();
    h.store.apply(t, pos(1, 0), patches).await.unwrap();
    let by_sk: Vec<Key> = (0..57).map(|i| key("P", &format!("item#{i:03}"))).collect();
    let by_gsi: Vec<Key> = by_sk.iter().rev().cloned().collect();
    for (index, pk, ascending_order) in [(Index::Primary, "P", &by_sk), (Index::Gsi1, "G", &by_gsi)]
    {
        for ascending in [true, false] {
            for (limit, full_pages) in [(10, 5), (1, 56), (57, 0), (100, 0)] {
                let q = query(index, pk, SortKey::All, ascending, limit);
                let (keys, pages) = h.all_pages(t, q, full_pages + 3).await;
                let mut expected = ascending_order.clone();
                if !ascending {
                    expected.reverse();
                }
                assert_eq!(
                    keys, expected,
                    "{index:?} ascending={ascending} limit={limit}"
                );
                // Full pages, the rest, and at most one empty page after the last item.
                assert!(
                    pages == full_pages + 1 || pages == full_pages + 2,
                    "{pages} pages for 57 items by {limit}"
                );
            }
        }
        // A sort-key condition pages too.
        let q = query(
            index,
            pk,
            SortKey::BeginsWith(
                if index == Index::Primary {
                    "item#01"
                } else {
                    "g#04"
                }
                .to_owned(),
            ),
            true,
            3,
        );
        let (keys, _) = h.all_pages(t, q, 6).await;
        assert_eq!(keys.len(), 10);
        assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), 10);
    }
}
