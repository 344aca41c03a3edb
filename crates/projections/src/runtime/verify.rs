//! [`verify`]: recomputes a read model from the log, in memory, and diffs it against the store
//! item by item.
//!
//! The recompute is independent of the projector's batching: a fresh [`MemoryStore`], the same
//! projection, one event at a time from [`Position::START`] up to the generation's checkpoint.
//! Attributes and versions are compared (versions are deterministic: an item's version is the
//! position of the last event that patched it).
//!
//! A generation may be verified while its projector is still writing. The checkpoint `c` is
//! read *before* the scan, so every event up to `c` is in every item the scan returns; an item
//! the projector has meanwhile moved past `c` (version `v > c`) is compared with the recomputed
//! item as of `v` (the replay continues past `c` up to the largest such `v`, keeping each
//! patched item's history). Items only events after `c` create are not required to exist yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use holdfast_eventstore::{EventLog, Position};

use crate::projection::Projection;
use crate::store::memory::MemoryStore;
use crate::store::{Item, Key, ReadStore, Table, TableRef};

use super::error::VerifyError;

/// Events per log read during the recompute.
const READ_BATCH: usize = 1000;

/// One item where the store and the log disagree.
#[derive(Clone, Debug, PartialEq)]
pub enum Difference {
    /// The log says the item exists; the store does not have it.
    Missing {
        /// The recomputed item.
        expected: Item,
    },
    /// The store has an item the log never produced.
    Extra {
        /// The stored item.
        actual: Item,
    },
    /// Both have the item, with different attributes or versions.
    Different {
        /// The recomputed item.
        expected: Item,
        /// The stored item.
        actual: Item,
        /// Names of the attributes whose values differ (present on one side only, or unequal),
        /// sorted; empty when only the versions differ.
        attrs: Vec<String>,
    },
}

impl Difference {
    /// The item's key.
    pub fn key(&self) -> &Key {
        match self {
            Difference::Missing { expected } => &expected.key,
            Difference::Extra { actual } => &actual.key,
            Difference::Different { actual, .. } => &actual.key,
        }
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyReport {
    /// The table.
    pub table: Table,
    /// The generation verified.
    pub generation: u32,
    /// The checkpoint the recompute ran up to.
    pub checkpoint: Position,
    /// Items compared (keys in the store or in the recompute).
    pub checked: usize,
    /// Every difference, in key order.
    pub differences: Vec<Difference>,
}

impl VerifyReport {
    /// Whether the store matches the log.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Recomputes `generation` of `projection`'s table from `log` and diffs it against `store`.
pub async fn verify(
    store: &dyn ReadStore,
    log: &dyn EventLog,
    projection: &dyn Projection,
    generation: u32,
) -> Result<VerifyReport, VerifyError> {
    let table = TableRef::new(projection.table(), generation);
    let checkpoint = store.checkpoint(table).await?.unwrap_or(Position::START);
    let actual: BTreeMap<Key, Item> = store
        .scan(table)
        .await?
        .into_iter()
        .map(|item| (item.key.clone(), item))
        .collect();

    let memory = MemoryStore::new();
    memory.create_table(table).await?;
    let mut position = Position::START;
    replay(
        &memory,
        log,
        projection,
        table,
        &mut position,
        checkpoint,
        None,
    )
    .await?;
    let at_checkpoint: BTreeMap<Key, Item> = memory
        .scan(table)
        .await?
        .into_iter()
        .map(|item| (item.key.clone(), item))
        .collect();

    let mut history: HashMap<Key, Vec<Item>> = HashMap::new();
    if let Some(newest) = actual.values().map(|i| i.version).max()
        && newest > checkpoint
    {
        replay(
            &memory,
            log,
            projection,
            table,
            &mut position,
            newest,
            Some(&mut history),
        )
        .await?;
    }

    let keys: BTreeSet<&Key> = actual.keys().chain(at_checkpoint.keys()).collect();
    let mut differences = Vec::new();
    for key in &keys {
        let expected_at_checkpoint = at_checkpoint.get(*key);
        let Some(actual) = actual.get(*key) else {
            if let Some(expected) = expected_at_checkpoint {
                differences.push(Difference::Missing {
                    expected: expected.clone(),
                });
            }
            continue;
        };
        let expected = if actual.version <= checkpoint {
            expected_at_checkpoint
        } else {
            // The item as of its own version (or the newest state before it, so that a bogus
            // version is reported against what the item should be).
            history
                .get(*key)
                .and_then(|states| states.iter().rev().find(|s| s.version <= actual.version))
                .or(expected_at_checkpoint)
        };
        differences.extend(difference(expected, actual));
    }
    Ok(VerifyReport {
        table: table.table,
        generation,
        checkpoint,
        checked: keys.len(),
        differences,
    })
}

/// How a stored item differs from what it should be (`None`: it should not exist).
fn difference(expected: Option<&Item>, actual: &Item) -> Option<Difference> {
    match expected {
        None => Some(Difference::Extra {
            actual: actual.clone(),
        }),
        Some(expected) if expected != actual => {
            let names: BTreeSet<&String> =
                expected.attrs.keys().chain(actual.attrs.keys()).collect();
            let attrs = names
                .into_iter()
                .filter(|n| expected.attrs.get(*n) != actual.attrs.get(*n))
                .cloned()
                .collect();
            Some(Difference::Different {
                expected: expected.clone(),
                actual: actual.clone(),
                attrs,
            })
        }
        Some(_) => None,
    }
}

/// Diffs a generation nobody else writes to (a rebuild's, before its switch) against the items
/// it should hold at its checkpoint — those a recompute from the log produced and a bulk load
/// wrote ([`super::Rebuilder`]): every item there, none more, equal attributes and versions.
pub async fn verify_loaded(
    store: &dyn ReadStore,
    table: TableRef,
    expected: &BTreeMap<Key, Item>,
) -> Result<VerifyReport, VerifyError> {
    let checkpoint = store.checkpoint(table).await?.unwrap_or(Position::START);
    let actual: BTreeMap<Key, Item> = store
        .scan(table)
        .await?
        .into_iter()
        .map(|item| (item.key.clone(), item))
        .collect();
    let keys: BTreeSet<&Key> = actual.keys().chain(expected.keys()).collect();
    let mut differences = Vec::new();
    for key in &keys {
        match actual.get(*key) {
            None => differences.push(Difference::Missing {
                expected: expected[*key].clone(),
            }),
            Some(actual) => differences.extend(difference(expected.get(*key), actual)),
        }
    }
    Ok(VerifyReport {
        table: table.table,
        generation: table.generation,
        checkpoint,
        checked: keys.len(),
        differences,
    })
}

/// Applies the events after `position` up to `until` to `memory`, one at a time; with
/// `history`, records each patched item's state after each event.
async fn replay(
    memory: &MemoryStore,
    log: &dyn EventLog,
    projection: &dyn Projection,
    table: TableRef,
    position: &mut Position,
    until: Position,
    mut history: Option<&mut HashMap<Key, Vec<Item>>>,
) -> Result<(), VerifyError> {
    while *position < until {
        let batch = log.read(*position, READ_BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for event in batch {
            if event.position > until {
                return Ok(());
            }
            *position = event.position;
            let patches = projection.patches(&event)?;
            let keys: Vec<Key> = patches.iter().map(|p| p.key.clone()).collect();
            memory.apply(table, event.position, patches).await?;
            if let Some(history) = history.as_deref_mut() {
                for key in keys {
                    if let Some(item) = memory.get(table, &key).await? {
                        history.entry(key).or_default().push(item);
                    }
                }
            }
        }
    }
    Ok(())
}
