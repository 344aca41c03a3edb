//! One harness per read store for the contract tests: the real `MemoryStore`, and a
//! `DynamoStore` on DynamoDB Local under a fresh table prefix whose tables are dropped after
//! the test (pass or fail). Plus small builders for keys, patches and queries.

pub mod replay;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use futures::FutureExt;
use holdfast_eventstore::Position;
use holdfast_projections::store::dynamo::DynamoStore;
use holdfast_projections::store::dynamo::{DynamoSettings, check_reachable, client};
use holdfast_projections::store::memory::MemoryStore;
use holdfast_projections::store::{
    Attrs, Index, Item, Key, KeyQuery, Patch, ReadStore, SortKey, Table, TableRef,
};
use holdfast_testkit::{START_SERVICES, dynamodb_endpoint, fresh_table_prefix};
use serde_json::Value;

/// Which store a harness drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Dynamo,
}

/// A store under test.
#[derive(Clone)]
pub struct Harness {
    pub store: Arc<dyn ReadStore>,
    /// The DynamoDB client and table prefix, to drop every table afterwards.
    dynamo: Option<(Client, String)>,
}

/// A DynamoDB Local client, or a panic saying how to start it.
pub async fn local_client() -> Client {
    holdfast_testkit::init_test_logging();
    let settings = DynamoSettings {
        endpoint: Some(dynamodb_endpoint()),
        region: None,
    };
    let dynamo = client(&settings)
        .await
        .unwrap_or_else(|e| panic!("{e}\nTo fix: {START_SERVICES}."));
    if let Err(e) = check_reachable(&dynamo, &settings).await {
        panic!("{e}\nTo fix: {START_SERVICES}.");
    }
    dynamo
}

impl Harness {
    pub async fn new(kind: Kind) -> Self {
        match kind {
            Kind::Memory => Self {
                store: Arc::new(MemoryStore::new()),
                dynamo: None,
            },
            Kind::Dynamo => {
                let client = local_client().await;
                let prefix = fresh_table_prefix();
                Self {
                    store: Arc::new(DynamoStore::new(client.clone(), prefix.clone())),
                    dynamo: Some((client, prefix)),
                }
            }
        }
    }

    /// The DynamoDB client and prefix (DynamoDB harnesses only).
    pub fn dynamo(&self) -> Option<&(Client, String)> {
        self.dynamo.as_ref()
    }

    /// Deletes every DynamoDB table under this harness's prefix (best effort).
    pub async fn cleanup(&self) {
        let Some((client, prefix)) = &self.dynamo else {
            return;
        };
        let mut start = None;
        loop {
            let Ok(out) = client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
            else {
                return;
            };
            for name in out.table_names().iter().filter(|n| n.starts_with(prefix)) {
                let _ = client.delete_table().table_name(name).send().await;
            }
            match out.last_evaluated_table_name() {
                Some(last) => start = Some(last.to_owned()),
                None => return,
            }
        }
    }

    /// Creates generation `generation` of the calendar table and returns it.
    pub async fn table(&self, generation: u32) -> TableRef {
        let table = TableRef::new(Table::Calendar, generation);
        self.store.create_table(table).await.unwrap();
        table
    }

    /// Applies one patch and returns the item afterwards.
    pub async fn patch(&self, table: TableRef, position: Position, patch: Patch) -> Option<Item> {
        let key = patch.key.clone();
        self.store
            .apply(table, position, vec![patch])
            .await
            .unwrap();
        self.store.get(table, &key).await.unwrap()
    }

    /// Every item, sorted by key.
    pub async fn sorted_scan(&self, table: TableRef) -> Vec<Item> {
        let mut items = self.store.scan(table).await.unwrap();
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items
    }

    /// Follows `next` from the first page to the end; returns the keys in order and the page
    /// count. Panics if it does not end within `max_pages`.
    pub async fn all_pages(
        &self,
        table: TableRef,
        mut query: KeyQuery,
        max_pages: usize,
    ) -> (Vec<Key>, usize) {
        let mut keys = Vec::new();
        for pages in 1..=max_pages {
            let page = self.store.query(table, &query).await.unwrap();
            assert!(
                page.items.len() <= query.limit,
                "a page of {} items for a limit of {}",
                page.items.len(),
                query.limit
            );
            keys.extend(page.items.into_iter().map(|i| i.key));
            match page.next {
                Some(next) => query.after = Some(next),
                None => return (keys, pages),
            }
        }
        panic!("pagination did not end within {max_pages} pages");
    }
}

/// Runs `test` on a fresh harness of `kind`, then drops its tables, then re-raises a failure.
pub async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    let harness = Harness::new(kind).await;
    let outcome = AssertUnwindSafe(test(harness.clone())).catch_unwind().await;
    harness.cleanup().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

pub fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

/// Attributes from `(name, value)` pairs.
pub fn attrs<const N: usize>(pairs: [(&str, Value); N]) -> Attrs {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

pub fn set(key: Key, pairs: Attrs) -> Patch {
    Patch::set(key, pairs)
}

pub fn remove(key: Key, names: &[&str]) -> Patch {
    Patch {
        key,
        set: Attrs::new(),
        remove: names.iter().map(|n| (*n).to_owned()).collect(),
    }
}

pub fn pos(tx: u64, index: u64) -> Position {
    Position::new(tx, index)
}

/// A query of partition `pk` on `index`.
pub fn query(index: Index, pk: &str, sk: SortKey, ascending: bool, limit: usize) -> KeyQuery {
    KeyQuery {
        index,
        pk: pk.to_owned(),
        sk,
        ascending,
        limit,
        after: None,
    }
}

/// The keys of a single page.
pub async fn page_keys(h: &Harness, table: TableRef, q: &KeyQuery) -> Vec<Key> {
    h.store
        .query(table, q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.key)
        .collect()
}
