//! Command dispatch on the real event store: storms on one hot inventory never overbook,
//! whether commands are group-committed in-process or race from two "nodes" (each with its own
//! queue and aggregate cache) through optimistic concurrency; batched appends keep snapshots and
//! consistency tokens exact.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, Utc};
use holdfast_domain::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Slot, TenantId,
};
use holdfast_domain::inventory::{
    Inventory, InventoryCommand, InventoryError, InventoryName, SlotSelection,
};
use holdfast_domain::services::DomainServices;
use holdfast_engine::dispatch::{DispatchError, DispatchOptions, Dispatcher, RetryPolicy};
use holdfast_eventstore::EventStore;
use holdfast_testkit::fresh_postgres_database;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 7, 1).unwrap()
}

async fn store() -> EventStore {
    let db = fresh_postgres_database().await;
    let store = EventStore::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

fn dispatcher(store: &EventStore, attempts: u32) -> Dispatcher<Inventory> {
    Dispatcher::new(
        store,
        DomainServices::system(),
        DispatchOptions {
            snapshot_every: Some(50),
            retry: RetryPolicy {
                max_attempts: attempts,
                ..RetryPolicy::default()
            },
            ..DispatchOptions::default()
        },
    )
}

async fn inventory_with_capacity(d: &Dispatcher<Inventory>, capacity: u32) -> String {
    let id = InventoryId::new();
    d.execute(
        &id.to_string(),
        InventoryCommand::DefineInventory {
            inventory_id: id,
            tenant_id: TenantId::new(),
            listing_id: ListingId::new(),
            name: InventoryName::parse("Hall").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
        },
        HashMap::new(),
    )
    .await
    .unwrap();
    let range = DateRange::new(date(), date().succ_opt().unwrap()).unwrap();
    d.execute(
        &id.to_string(),
        InventoryCommand::SetCapacity {
            selection: SlotSelection::days(range),
            capacity,
        },
        HashMap::new(),
    )
    .await
    .unwrap();
    id.to_string()
}

fn hold() -> InventoryCommand {
    InventoryCommand::PlaceHold {
        booking_id: BookingId::new(),
        slots: vec![Slot::day(date())],
        quantity: 1,
        expires_at: Utc::now() + Duration::minutes(15),
    }
}

/// Runs `clients` concurrent holds through the given dispatchers (round robin) and counts
/// (granted, sold out, other errors).
async fn storm(
    dispatchers: Vec<Arc<Dispatcher<Inventory>>>,
    id: &str,
    clients: usize,
) -> (usize, usize, Vec<String>) {
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let d = dispatchers[i % dispatchers.len()].clone();
            let id = id.to_owned();
            tokio::spawn(async move { d.execute(&id, hold(), HashMap::new()).await })
        })
        .collect();
    let (mut granted, mut sold_out, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => granted += 1,
            Err(DispatchError::Rejected(InventoryError::SoldOut { .. })) => sold_out += 1,
            Err(e) => other.push(e.to_string()),
        }
    }
    (granted, sold_out, other)
}

async fn held_on_slot(store: &EventStore, id: &str) -> u32 {
    let inventory: Inventory = {
        use cqrs_es::EventStore as _;
        let es = cqrs_es::persist::PersistedEventStore::<_, Inventory>::new_event_store(
            store.repository(),
        );
        es.load_aggregate(id).await.unwrap().aggregate
    };
    let slot = inventory.slots().get(&Slot::day(date())).cloned().unwrap();
    assert!(slot.held + slot.allocated <= slot.capacity);
    slot.held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_on_one_slot_in_one_process_grants_exactly_the_capacity() {
    let store = store().await;
    let d = Arc::new(dispatcher(&store, 10));
    let id = inventory_with_capacity(&d, 50).await;
    let (granted, sold_out, other) = storm(vec![d], &id, 200).await;
    assert_eq!((granted, sold_out), (50, 150), "other errors: {other:?}");
    assert!(other.is_empty());
    assert_eq!(held_on_slot(&store, &id).await, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_racing_never_overbook_and_conflicts_are_retried() {
    let store = store().await;
    // Two dispatchers with their own queues and caches: like two API nodes, only the event
    // store's optimistic concurrency keeps them apart.
    let a = Arc::new(dispatcher(&store, 200));
    let b = Arc::new(dispatcher(&store, 200));
    let id = inventory_with_capacity(&a, 30).await;
    let (granted, sold_out, other) = storm(vec![a, b], &id, 100).await;
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((granted, sold_out), (30, 70));
    assert_eq!(held_on_slot(&store, &id).await, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exhausted_retries_are_a_typed_conflict_and_nothing_is_lost() {
    let store = store().await;
    // One attempt only, two nodes: some commands must lose a race and report Conflict.
    let a = Arc::new(dispatcher(&store, 1));
    let b = Arc::new(dispatcher(&store, 1));
    let id = inventory_with_capacity(&a, 1_000).await;
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let d = if i % 2 == 0 { a.clone() } else { b.clone() };
            let id = id.clone();
            tokio::spawn(async move { d.execute(&id, hold(), HashMap::new()).await })
        })
        .collect();
    let (mut ok, mut conflicts) = (0u32, 0u32);
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => {
                assert_eq!(c.attempts, 1);
                assert!(c.position.is_some());
                ok += 1;
            }
            Err(DispatchError::Conflict { attempts: 1 }) => conflicts += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok + conflicts, 60);
    assert_eq!(
        held_on_slot(&store, &id).await,
        ok,
        "every committed hold counted, no lost one"
    );
}

#[tokio::test]
async fn a_committed_command_returns_its_position_as_a_consistency_token() {
    let store = store().await;
    let d = dispatcher(&store, 10);
    let id = inventory_with_capacity(&d, 5).await;
    let committed = d.execute(&id, hold(), HashMap::new()).await.unwrap();
    // The token is the log position of the hold this command appended, as the ordered reader
    // returns it. (Read with a tailer: the readable head only advances once every older
    // transaction on the whole Postgres server has ended, which other tests delay.)
    let mut tailer = store.tail(holdfast_eventstore::Position::START, Default::default());
    let mut events = Vec::new();
    while events.len() < 3 {
        let batch = tailer
            .next_batch_within(std::time::Duration::from_secs(20))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "the log stalled");
        events.extend(batch);
    }
    assert_eq!(events.len(), 3, "define, capacity, hold");
    assert_eq!(events[2].event_type, "InventoryHoldPlaced");
    assert_eq!(committed.position, Some(events[2].position));
    // A rejected command is typed and appends nothing.
    let before = store.last_position("Inventory", &id).await.unwrap();
    let err = d
        .execute(
            &id,
            InventoryCommand::SetCapacity {
                selection: SlotSelection::days(
                    DateRange::new(date(), date().succ_opt().unwrap()).unwrap(),
                ),
                capacity: 0,
            },
            HashMap::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DispatchError::Rejected(InventoryError::CapacityBelowTaken {
                taken: 1,
                requested: 0,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(store.last_position("Inventory", &id).await.unwrap(), before);
    assert!(
        tailer
            .next_batch_within(std::time::Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every stored event of the inventory: (sequence, transaction id, global position).
async fn stored(store: &EventStore, id: &str) -> Vec<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT sequence, tx_id::text, global_position FROM events
          WHERE aggregate_type = 'Inventory' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(store.pg_pool().unwrap())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_commands_to_one_aggregate_share_appends_and_keep_their_own_positions() {
    let store = store().await;
    let d = Arc::new(dispatcher(&store, 10));
    let id = inventory_with_capacity(&d, 1_000).await;
    let tasks: Vec<_> = (0..300)
        .map(|_| {
            let (d, id) = (d.clone(), id.clone());
            tokio::spawn(async move { d.execute(&id, hold(), HashMap::new()).await })
        })
        .collect();
    let mut positions = Vec::new();
    for t in tasks {
        let committed = t.await.unwrap().unwrap();
        assert_eq!(
            committed.attempts, 1,
            "one process never conflicts with itself"
        );
        positions.push(committed.position.unwrap());
    }
    let rows = stored(&store, &id).await;
    assert_eq!(rows.len(), 302, "define, capacity, 300 holds");
    assert!(
        rows.iter().map(|r| r.0).eq(1..=302),
        "sequences are contiguous"
    );
    let transactions: std::collections::BTreeSet<&str> =
        rows[2..].iter().map(|r| r.1.as_str()).collect();
    assert!(
        transactions.len() < 300,
        "300 queued holds were appended in {} transactions: no group commit",
        transactions.len()
    );
    // Each command's token is the position of its own event: all distinct, all stored.
    let stored_positions: std::collections::BTreeSet<(String, i64)> =
        rows[2..].iter().map(|r| (r.1.clone(), r.2)).collect();
    let tokens: std::collections::BTreeSet<(String, i64)> = positions
        .iter()
        .map(|p| (p.tx.to_string(), i64::try_from(p.index).unwrap()))
        .collect();
    assert_eq!(tokens, stored_positions);
    assert_eq!(held_on_slot(&store, &id).await, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_crossing_snapshot_boundaries_leave_snapshots_that_load_to_the_true_state() {
    use cqrs_es::EventStore as _;
    let store = store().await;
    let d = Arc::new(dispatcher(&store, 10));
    let id = inventory_with_capacity(&d, 500).await;
    for round in 0..4 {
        let tasks: Vec<_> = (0..(37 + round * 11))
            .map(|_| {
                let (d, id) = (d.clone(), id.clone());
                tokio::spawn(async move { d.execute(&id, hold(), HashMap::new()).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    }
    let replayed =
        cqrs_es::persist::PersistedEventStore::<_, Inventory>::new_event_store(store.repository())
            .load_aggregate(&id)
            .await
            .unwrap();
    let from_snapshot = cqrs_es::persist::PersistedEventStore::<_, Inventory>::new_snapshot_store(
        store.repository(),
        50,
    )
    .load_aggregate(&id)
    .await
    .unwrap();
    assert_eq!(replayed.current_sequence, 2 + 37 + 48 + 59 + 70);
    assert_eq!(from_snapshot.current_sequence, replayed.current_sequence);
    assert!(
        from_snapshot.current_snapshot.is_some(),
        "216 events with snapshots every 50"
    );
    assert_eq!(from_snapshot.aggregate, replayed.aggregate);
    assert_eq!(
        d.load(&id).await.unwrap(),
        replayed.aggregate,
        "the cached state"
    );
    let snapshots: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM snapshots WHERE aggregate_type = 'Inventory' AND aggregate_id = $1",
    )
    .bind(&id)
    .fetch_one(store.pg_pool().unwrap())
    .await
    .unwrap();
    assert_eq!(snapshots, 1, "one snapshot row, updated in place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cached_aggregate_decides_on_what_another_node_appended() {
    let store = store().await;
    let a = dispatcher(&store, 10);
    let b = dispatcher(&store, 10);
    let id = inventory_with_capacity(&a, 3).await;
    a.execute(&id, hold(), HashMap::new()).await.unwrap();
    // `a` has the inventory cached at 1 held; `b` holds twice behind its back.
    b.execute(&id, hold(), HashMap::new()).await.unwrap();
    b.execute(&id, hold(), HashMap::new()).await.unwrap();
    assert_eq!(a.load(&id).await.unwrap().holds().len(), 3);
    let err = a.execute(&id, hold(), HashMap::new()).await.unwrap_err();
    assert!(
        matches!(err, DispatchError::Rejected(InventoryError::SoldOut { .. })),
        "{err}"
    );
    assert_eq!(held_on_slot(&store, &id).await, 3);
}

#[tokio::test]
async fn a_cached_state_is_given_without_a_read_only_when_it_is_recent_enough() {
    let store = store().await;
    let a = dispatcher(&store, 10);
    let b = dispatcher(&store, 10);
    let id = inventory_with_capacity(&a, 3).await;
    a.execute(&id, hold(), HashMap::new()).await.unwrap();
    let (_, at) = a.cached(&id).await.unwrap();
    // What `a` wrote itself: cached at its last sequence.
    let cached = a
        .cached_at_least(&id, at)
        .expect("cached at its own sequence");
    assert_eq!(cached.holds().len(), 1);
    assert!(a.cached_at_least(&id, at + 1).is_none());
    // `b` appends behind `a`'s back: `a`'s cache is not recent enough for what a follower of
    // the log has seen since, and `b` (which never loaded it) has nothing cached.
    b.execute(&id, hold(), HashMap::new()).await.unwrap();
    assert!(a.cached_at_least(&id, at + 1).is_none());
    let (_, b_at) = b.cached(&id).await.unwrap();
    assert_eq!(b_at, at + 1);
    assert_eq!(b.cached_at_least(&id, at + 1).unwrap().holds().len(), 2);
    assert!(dispatcher(&store, 10).cached_at_least(&id, 0).is_none());
}
