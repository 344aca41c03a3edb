//! [`MemoryStore`]: read models in process memory, for the embedded default (rebuilt from the
//! log at every start) and for fast tests of projector logic. Same contract as DynamoDB.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::RwLock;

use async_trait::async_trait;
use holdfast_eventstore::Position;
use serde_json::Value;

use super::{
    Applied, Cursor, GSI1_PK, GSI1_SK, Index, Item, Key, KeyQuery, Page, Patch, ReadStore,
    ReadStoreError, SortKey, Table, TableRef,
};

#[derive(Default)]
struct MemTable {
    items: BTreeMap<Key, Item>,
    /// (gsi1pk, gsi1sk, primary key) of every item in the index.
    gsi1: BTreeSet<(String, String, Key)>,
}

fn gsi_entry(item: &Item) -> Option<(String, String, Key)> {
    match (item.attrs.get(GSI1_PK), item.attrs.get(GSI1_SK)) {
        (Some(Value::String(pk)), Some(Value::String(sk))) => {
            Some((pk.clone(), sk.clone(), item.key.clone()))
        }
        _ => None,
    }
}

#[derive(Default)]
struct Inner {
    tables: HashMap<TableRef, MemTable>,
    aliases: HashMap<Table, u32>,
    checkpoints: HashMap<TableRef, Position>,
}

/// Read models in memory.
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn no_table(table: TableRef) -> ReadStoreError {
    ReadStoreError::NoSuchTable(table.to_string())
}

fn sort_key_matches(condition: &SortKey, sk: &str) -> bool {
    match condition {
        SortKey::All => true,
        SortKey::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
        SortKey::Between(from, to) => from.as_str() <= sk && sk <= to.as_str(),
    }
}

/// Takes up to `limit` matching entries from an ordered iterator, skipping up to and including
/// the cursor, and says whether more matched.
fn page<'a, I>(entries: I, query: &KeyQuery, items: &BTreeMap<Key, Item>) -> Page
where
    I: Iterator<Item = (&'a str, &'a Key)>,
{
    let mut matching = entries.filter(|(sk, _)| sort_key_matches(&query.sk, sk));
    if let Some(Cursor { key: after, .. }) = &query.after {
        for (_, key) in matching.by_ref() {
            if key == after {
                break;
            }
        }
    }
    let limit = query.limit.max(1);
    let mut out = Vec::new();
    for (_, key) in matching.by_ref() {
        if out.len() == limit {
            return Page {
                next: out.last().map(|i: &Item| Cursor {
                    key: i.key.clone(),
                    index_sk: match query.index {
                        Index::Primary => None,
                        Index::Gsi1 => i
                            .attrs
                            .get(GSI1_SK)
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    },
                }),
                items: out,
            };
        }
        if let Some(item) = items.get(key) {
            out.push(item.clone());
        }
    }
    Page {
        items: out,
        next: None,
    }
}

#[async_trait]
impl ReadStore for MemoryStore {
    async fn create_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.write().tables.entry(table).or_default();
        Ok(())
    }

    async fn drop_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        let mut inner = self.write();
        inner.tables.remove(&table);
        inner.checkpoints.remove(&table);
        Ok(())
    }

    async fn generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError> {
        let mut gens: Vec<u32> = self
            .read()
            .tables
            .keys()
            .filter(|t| t.table == table)
            .map(|t| t.generation)
            .collect();
        gens.sort_unstable();
        Ok(gens)
    }

    async fn apply(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError> {
        let mut inner = self.write();
        let mem = inner
            .tables
            .get_mut(&table)
            .ok_or_else(|| no_table(table))?;
        let mut applied = Applied::default();
        for patch in patches {
            let existing = mem.items.get(&patch.key);
            if existing.is_some_and(|item| item.version >= position) {
                applied.skipped += 1;
                continue;
            }
            let mut item = existing.cloned().unwrap_or_else(|| Item {
                key: patch.key.clone(),
                attrs: Default::default(),
                version: position,
            });
            if let Some(old) = gsi_entry(&item) {
                mem.gsi1.remove(&old);
            }
            for name in &patch.remove {
                item.attrs.remove(name);
            }
            item.attrs.extend(patch.set);
            item.version = position;
            if let Some(new) = gsi_entry(&item) {
                mem.gsi1.insert(new);
            }
            mem.items.insert(patch.key, item);
            applied.written += 1;
        }
        Ok(applied)
    }

    async fn put_items(&self, table: TableRef, items: Vec<Item>) -> Result<(), ReadStoreError> {
        let mut inner = self.write();
        let mem = inner
            .tables
            .get_mut(&table)
            .ok_or_else(|| no_table(table))?;
        for item in items {
            if let Some(old) = mem.items.get(&item.key).and_then(gsi_entry) {
                mem.gsi1.remove(&old);
            }
            if let Some(new) = gsi_entry(&item) {
                mem.gsi1.insert(new);
            }
            mem.items.insert(item.key.clone(), item);
        }
        Ok(())
    }

    async fn get(&self, table: TableRef, key: &Key) -> Result<Option<Item>, ReadStoreError> {
        let inner = self.read();
        let mem = inner.tables.get(&table).ok_or_else(|| no_table(table))?;
        Ok(mem.items.get(key).cloned())
    }

    async fn query(&self, table: TableRef, query: &KeyQuery) -> Result<Page, ReadStoreError> {
        let inner = self.read();
        let mem = inner.tables.get(&table).ok_or_else(|| no_table(table))?;
        Ok(match query.index {
            Index::Primary => {
                let start = Key::new(query.pk.clone(), String::new());
                let range = mem
                    .items
                    .range((Bound::Included(start), Bound::Unbounded))
                    .take_while(|(k, _)| k.pk == query.pk)
                    .map(|(k, _)| (k.sk.as_str(), k));
                if query.ascending {
                    page(range, query, &mem.items)
                } else {
                    let all: Vec<_> = range.collect();
                    page(all.into_iter().rev(), query, &mem.items)
                }
            }
            Index::Gsi1 => {
                let range = mem
                    .gsi1
                    .range((
                        Bound::Included((query.pk.clone(), String::new(), Key::new("", ""))),
                        Bound::Unbounded,
                    ))
                    .take_while(|(pk, _, _)| *pk == query.pk)
                    .map(|(_, sk, key)| (sk.as_str(), key));
                if query.ascending {
                    page(range, query, &mem.items)
                } else {
                    let all: Vec<_> = range.collect();
                    page(all.into_iter().rev(), query, &mem.items)
                }
            }
        })
    }

    async fn scan(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError> {
        let inner = self.read();
        let mem = inner.tables.get(&table).ok_or_else(|| no_table(table))?;
        Ok(mem.items.values().cloned().collect())
    }

    async fn alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError> {
        Ok(self.read().aliases.get(&table).copied())
    }

    async fn set_alias(&self, table: Table, generation: u32) -> Result<(), ReadStoreError> {
        self.write().aliases.insert(table, generation);
        Ok(())
    }

    async fn checkpoint(&self, table: TableRef) -> Result<Option<Position>, ReadStoreError> {
        Ok(self.read().checkpoints.get(&table).copied())
    }

    async fn save_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError> {
        let mut inner = self.write();
        let entry = inner.checkpoints.entry(table).or_insert(position);
        if *entry < position {
            *entry = position;
        }
        Ok(())
    }
}
