//! How one batch of events becomes store writes.
//!
//! 1. **Plan** ([`plan`]): the projection turns each event into patches; patches to the same key
//!    within the batch are *composed* in log order into one patch, applied at the position of
//!    the key's last event in the batch. Patches only set or remove attributes (absolute
//!    values), so composing is exact: applying `p1` then `p2` equals applying `compose(p1, p2)`,
//!    and re-applying a prefix first changes nothing (`p1; p1∘p2` = `p1∘p2`). So even after a
//!    crash left the item at a position inside the batch, the composed patch gives the same
//!    item, with the same version, as applying the chain one by one (a property test below
//!    checks this). Every key appears exactly once in a plan.
//! 2. **Apply** ([`apply_plan`]): the writes of a plan touch distinct keys, so they go in
//!    store calls of up to [`WRITES_PER_CALL`] writes each ([`ReadStore::apply_many`]: one
//!    `TransactWriteItems` on DynamoDB), at most `concurrency` calls at once. Each call retries
//!    transient errors with backoff.
//! 3. The caller saves the checkpoint only after every write of the plan succeeded: a
//!    checkpoint never passes an event whose patches are not all written.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use holdfast_eventstore::{Position, StoredEvent};
use tokio::sync::watch;

use crate::projection::{Projection, ProjectionError};
use crate::store::{Applied, Key, Patch, ReadStore, ReadStoreError, TableRef};

use super::backoff::{Backoff, Retried, retry};

/// Writes per store call: DynamoDB's `TransactWriteItems` limit
/// ([`TRANSACT_ITEMS`](crate::store::dynamo::TRANSACT_ITEMS)).
pub const WRITES_PER_CALL: usize = crate::store::dynamo::TRANSACT_ITEMS;

/// The writes of one batch: per position, the (composed) patches last touched there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Writes, by position; each key appears in exactly one of them.
    pub writes: BTreeMap<Position, Vec<Patch>>,
    /// Patches the projection produced (before composing).
    pub patches: usize,
}

/// `first` then `then`, as one patch.
pub fn compose(first: &mut Patch, then: Patch) {
    for name in then.remove {
        first.set.remove(&name);
        if !first.remove.contains(&name) {
            first.remove.push(name);
        }
    }
    for (name, value) in then.set {
        first.remove.retain(|r| *r != name);
        first.set.insert(name, value);
    }
}

/// Plans the writes of `events` (in log order).
pub fn plan(projection: &dyn Projection, events: &[StoredEvent]) -> Result<Plan, ProjectionError> {
    let mut by_key: HashMap<Key, (Position, Patch)> = HashMap::new();
    let mut patches = 0;
    for event in events {
        for patch in projection.patches(event)? {
            patches += 1;
            match by_key.get_mut(&patch.key) {
                Some((position, composed)) => {
                    *position = event.position;
                    compose(composed, patch);
                }
                None => {
                    by_key.insert(patch.key.clone(), (event.position, patch));
                }
            }
        }
    }
    let mut writes: BTreeMap<Position, Vec<Patch>> = BTreeMap::new();
    for (position, patch) in by_key.into_values() {
        writes.entry(position).or_default().push(patch);
    }
    for group in writes.values_mut() {
        group.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(Plan { writes, patches })
}

/// Applies a plan's writes, [`WRITES_PER_CALL`] per store call, at most `concurrency` calls at
/// once, retrying transient errors. Returns the summed [`Applied`], `Ok(None)` if stopped while
/// retrying, or the first permanent error. `on_retry` hears every transient error.
pub async fn apply_plan(
    store: &Arc<dyn ReadStore>,
    table: TableRef,
    plan: Plan,
    concurrency: usize,
    backoff: Backoff,
    stop: &watch::Receiver<bool>,
    on_retry: &(dyn Fn(&ReadStoreError) + Send + Sync),
) -> Result<Option<Applied>, ReadStoreError> {
    let writes: Vec<(Position, Patch)> = plan
        .writes
        .into_iter()
        .flat_map(|(position, patches)| patches.into_iter().map(move |patch| (position, patch)))
        .collect();
    let chunks: Vec<Vec<(Position, Patch)>> = writes
        .chunks(WRITES_PER_CALL)
        .map(<[(Position, Patch)]>::to_vec)
        .collect();
    let results: Vec<Option<Applied>> = futures::stream::iter(chunks)
        .map(|chunk| {
            let mut stop = stop.clone();
            async move {
                let out = retry(
                    backoff,
                    &mut stop,
                    ReadStoreError::is_transient,
                    |e, _| on_retry(e),
                    || store.apply_many(table, chunk.clone()),
                )
                .await;
                match out {
                    Retried::Done(applied) => Ok(Some(applied)),
                    Retried::Failed(e) => Err(e),
                    Retried::Stopped => Ok(None),
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut total = Applied::default();
    for applied in results {
        let Some(applied) = applied else {
            return Ok(None);
        };
        total += applied;
    }
    Ok(Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use crate::store::{Attrs, Table};
    use proptest::prelude::*;
    use serde_json::json;

    fn arb_patch() -> impl Strategy<Value = Patch> {
        let names = prop::sample::select(vec!["a", "b", "c", "d"]);
        (
            prop::collection::vec((names.clone(), 0u8..4), 0..4),
            prop::collection::vec(names, 0..3),
        )
            .prop_map(|(set, remove)| {
                let set: Attrs = set
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), json!(v)))
                    .collect();
                let remove = remove
                    .into_iter()
                    .filter(|n| !set.contains_key(*n))
                    .map(str::to_owned)
                    .collect();
                Patch {
                    key: Key::new("k", "k"),
                    set,
                    remove,
                }
            })
    }

    proptest! {
        /// For any chain of patches to one key, and any prefix of it already applied (a crash
        /// mid-batch), the composed patch gives the same item as applying the chain one by one.
        #[test]
        fn composing_a_chain_equals_applying_it_in_order(
            chain in prop::collection::vec(arb_patch(), 1..8),
            done in 0usize..8,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let t = TableRef::new(Table::Calendar, 1);
                let done = done.min(chain.len());
                let pos = |i: usize| Position::new(0, 10 + i as u64);
                let seq = MemoryStore::new();
                let merged = MemoryStore::new();
                for s in [&seq, &merged] {
                    s.create_table(t).await.unwrap();
                    s.apply(t, pos(0), vec![Patch::set(Key::new("k", "k"), Attrs::from([("a".into(), json!(9))]))]).await.unwrap();
                }
                for (i, p) in chain.iter().enumerate() {
                    seq.apply(t, pos(i + 1), vec![p.clone()]).await.unwrap();
                    if i < done {
                        merged.apply(t, pos(i + 1), vec![p.clone()]).await.unwrap();
                    }
                }
                let mut composed = chain[0].clone();
                for p in &chain[1..] {
                    compose(&mut composed, p.clone());
                }
                merged.apply(t, pos(chain.len()), vec![composed]).await.unwrap();
                let key = Key::new("k", "k");
                prop_assert_eq!(seq.get(t, &key).await.unwrap(), merged.get(t, &key).await.unwrap());
                Ok(())
            })?;
        }
    }
}
