//! The invariants, read from the event store (the source of truth), never from read models:
//! aggregates are loaded by replaying their events, and the stored events themselves are
//! scanned. Each check returns how many things it checked and a line per violation.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use holdfast_domain::booking::{Booking, BookingStatus};
use holdfast_domain::common::BookingId;
use holdfast_domain::inventory::Inventory;
use holdfast_engine::process::load;
use holdfast_eventstore::{EventStore, Position};
use serde_json::Value;

/// Opens the event store at `url`.
pub async fn open(url: &str) -> EventStore {
    EventStore::open(url).await.expect("open the event store")
}

/// The position of the last committed event (exact, not the xmin-gated readable head).
pub async fn log_head(store: &EventStore) -> Position {
    let pool = store.pg_pool().expect("a Postgres store");
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT tx_id::text, global_position FROM events
          ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
    .expect("read the log head");
    row.map_or(Position::START, |(tx, index)| {
        Position::new(
            tx.parse().expect("xid8"),
            u64::try_from(index).expect("index"),
        )
    })
}

/// The ids of every aggregate of `aggregate_type`.
pub async fn aggregate_ids(store: &EventStore, aggregate_type: &str) -> Vec<String> {
    let pool = store.pg_pool().expect("a Postgres store");
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT aggregate_id FROM events WHERE aggregate_type = $1 ORDER BY 1",
    )
    .bind(aggregate_type)
    .fetch_all(pool)
    .await
    .expect("list aggregates");
    rows.into_iter().map(|(id,)| id).collect()
}

/// The number of stored events.
pub async fn event_count(store: &EventStore) -> i64 {
    let pool = store.pg_pool().expect("a Postgres store");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .expect("count events");
    n
}

/// Every inventory, now and at every point of its history: `held + allocated <= capacity` on
/// every slot; the counters equal the sums of the holds and allocations covering the slot.
/// Returns (slots and snapshots checked, violations).
pub async fn capacity(store: &EventStore) -> (u64, Vec<String>) {
    let mut checked = 0;
    let mut violations = Vec::new();
    for id in aggregate_ids(store, "Inventory").await {
        let inventory: Inventory = load(store, &id).await.expect("load an inventory");
        let mut held: BTreeMap<_, u32> = BTreeMap::new();
        let mut allocated: BTreeMap<_, u32> = BTreeMap::new();
        for hold in inventory.holds().values() {
            for slot in &hold.slots {
                *held.entry(*slot).or_default() += hold.quantity;
            }
        }
        for allocation in inventory.allocations().values() {
            for slot in &allocation.slots {
                *allocated.entry(*slot).or_default() += allocation.quantity;
            }
        }
        for (slot, state) in inventory.slots() {
            checked += 1;
            if state.held + state.allocated > state.capacity {
                violations.push(format!(
                    "inventory {id} slot {slot}: held {} + allocated {} > capacity {}",
                    state.held, state.allocated, state.capacity
                ));
            }
            let (h, a) = (
                held.get(slot).copied().unwrap_or(0),
                allocated.get(slot).copied().unwrap_or(0),
            );
            if (h, a) != (state.held, state.allocated) {
                violations.push(format!(
                    "inventory {id} slot {slot}: counters held {} allocated {} but holds sum {h}, allocations sum {a}",
                    state.held, state.allocated
                ));
            }
        }
    }
    // The whole history: every slot snapshot any inventory event ever carried.
    let pool = store.pg_pool().expect("a Postgres store");
    let rows: Vec<(String, i64, Value)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, payload FROM events WHERE aggregate_type = 'Inventory'",
    )
    .fetch_all(pool)
    .await
    .expect("read inventory events");
    for (id, sequence, payload) in rows {
        let mut snapshots = Vec::new();
        collect_snapshots(&payload, &mut snapshots);
        for s in snapshots {
            checked += 1;
            let n = |k: &str| s[k].as_u64().unwrap_or(0);
            if n("held") + n("allocated") > n("capacity") {
                violations.push(format!(
                    "inventory {id} event #{sequence}: slot {} held {} + allocated {} > capacity {}",
                    s["slot"],
                    n("held"),
                    n("allocated"),
                    n("capacity")
                ));
            }
        }
    }
    (checked, violations)
}

fn collect_snapshots<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("capacity") && map.contains_key("held") && map.contains_key("slot")
            {
                out.push(value);
            }
            map.values().for_each(|v| collect_snapshots(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_snapshots(v, out)),
        _ => {}
    }
}

/// What a client was told about a booking.
#[derive(Clone, Debug)]
pub struct Ack {
    /// The booking.
    pub booking_id: String,
    /// Its inventory.
    pub inventory_id: String,
    /// The status the client was told (`HELD`, `CONFIRMED`, `CANCELLED`).
    pub status: String,
}

/// Every acknowledged booking exists in the event store at least as far as the client was
/// told, and its inventory knows it (a hold, an allocation, or a release recorded).
pub async fn acknowledged(store: &EventStore, acks: &[Ack]) -> (u64, Vec<String>) {
    use BookingStatus as S;
    // The latest acknowledgement of each booking.
    let mut latest: HashMap<&str, &Ack> = HashMap::new();
    for ack in acks {
        let rank = |s: &str| match s {
            "HELD" => 0,
            "CONFIRMED" => 1,
            _ => 2,
        };
        let entry = latest.entry(&ack.booking_id).or_insert(ack);
        if rank(&ack.status) > rank(&entry.status) {
            *entry = ack;
        }
    }
    let mut inventories: HashMap<String, Inventory> = HashMap::new();
    let mut violations = Vec::new();
    for ack in latest.values() {
        let booking: Booking = load(store, &ack.booking_id).await.expect("load a booking");
        let status = booking.status();
        let ok = match ack.status.as_str() {
            "HELD" => matches!(
                status,
                Some(S::Held | S::Confirmed | S::CheckedIn | S::NoShow | S::Cancelled | S::Expired)
            ),
            "CONFIRMED" => matches!(
                status,
                Some(S::Confirmed | S::CheckedIn | S::NoShow | S::Cancelled)
            ),
            "CANCELLED" => status == Some(S::Cancelled),
            other => panic!("unknown acknowledged status {other}"),
        };
        if !ok {
            violations.push(format!(
                "booking {} acknowledged {} is {status:?} in the event store",
                ack.booking_id, ack.status
            ));
            continue;
        }
        if !inventories.contains_key(&ack.inventory_id) {
            let inventory: Inventory = load(store, &ack.inventory_id)
                .await
                .expect("load an inventory");
            inventories.insert(ack.inventory_id.clone(), inventory);
        }
        let inventory = &inventories[&ack.inventory_id];
        let id: BookingId = ack.booking_id.parse().expect("booking id");
        let known = inventory.holds().contains_key(&id)
            || inventory.allocations().contains_key(&id)
            || inventory.finished().contains_key(&id);
        if !known {
            violations.push(format!(
                "booking {} acknowledged {} has no hold, allocation or release in inventory {}",
                ack.booking_id, ack.status, ack.inventory_id
            ));
        }
        if ack.status == "CONFIRMED"
            && status == Some(S::Confirmed)
            && !inventory.allocations().contains_key(&id)
        {
            violations.push(format!(
                "booking {} is confirmed but has no allocation",
                ack.booking_id
            ));
        }
    }
    (latest.len() as u64, violations)
}

/// No booking is half-placed: every booking is past `Requested` (held, or rejected with its
/// hold released), every hold belongs to a held booking and every confirmed booking has an
/// allocation. Returns (bookings checked, violations).
pub async fn no_partial_bookings(store: &EventStore) -> (u64, Vec<String>) {
    use BookingStatus as S;
    let mut violations = Vec::new();
    let mut inventories: HashMap<String, Inventory> = HashMap::new();
    for id in aggregate_ids(store, "Inventory").await {
        let inventory: Inventory = load(store, &id).await.expect("load an inventory");
        inventories.insert(id, inventory);
    }
    let bookings = aggregate_ids(store, "Booking").await;
    let mut by_id = HashMap::new();
    for id in &bookings {
        let booking: Booking = load(store, id).await.expect("load a booking");
        let status = booking.status();
        let inventory = inventories.get(&booking.keys().inventory_id.to_string());
        let bid: BookingId = id.parse().expect("booking id");
        let held = inventory.is_some_and(|i| i.holds().contains_key(&bid));
        let allocated = inventory.is_some_and(|i| i.allocations().contains_key(&bid));
        match status {
            Some(S::Requested) => violations.push(format!("booking {id} is still Requested")),
            Some(S::Held) if !held => {
                violations.push(format!("booking {id} is Held without a hold"))
            }
            Some(S::Confirmed) if !allocated => {
                violations.push(format!("booking {id} is Confirmed without an allocation"))
            }
            Some(S::Rejected | S::Expired | S::Cancelled) if held || allocated => violations.push(
                format!("booking {id} is {status:?} but still takes capacity"),
            ),
            _ => {}
        }
        by_id.insert(bid, status);
    }
    for (inventory_id, inventory) in &inventories {
        for booking in inventory.holds().keys() {
            if by_id.get(booking) != Some(&Some(S::Held)) {
                violations.push(format!(
                    "inventory {inventory_id} holds seats for booking {booking}, which is {:?}",
                    by_id.get(booking)
                ));
            }
        }
    }
    (bookings.len() as u64, violations)
}

/// Holds whose expiry passed more than `grace` before `now` (they should have been released).
pub async fn overdue_holds(
    store: &EventStore,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> (u64, Vec<String>) {
    let mut checked = 0;
    let mut violations = Vec::new();
    for id in aggregate_ids(store, "Inventory").await {
        let inventory: Inventory = load(store, &id).await.expect("load an inventory");
        for (booking, hold) in inventory.holds() {
            checked += 1;
            if hold.expires_at + grace < now {
                violations.push(format!(
                    "inventory {id}: the hold of booking {booking} expired at {} and is still there at {now}",
                    hold.expires_at
                ));
            }
        }
    }
    (checked, violations)
}

/// Requests applied twice: within the events one `(principal, idempotency key)` produced, an
/// `(aggregate, event type)` pair that appears more than once. Returns (keys checked,
/// violations).
pub async fn duplicates_by_key(store: &EventStore) -> (u64, Vec<String>) {
    let pool = store.pg_pool().expect("a Postgres store");
    /// (principal, idempotency key, aggregate id, event type, count).
    type Group = (Option<String>, Option<String>, String, String, i64);
    let rows: Vec<Group> = sqlx::query_as(
        "SELECT metadata->>'principal', metadata->>'idempotency_key', aggregate_id, event_type,
                count(*)
           FROM events
          GROUP BY 1, 2, 3, 4",
    )
    .fetch_all(pool)
    .await
    .expect("group events by key");
    let mut keys = std::collections::HashSet::new();
    let mut violations = Vec::new();
    for (principal, key, aggregate, event_type, count) in rows {
        let (Some(principal), Some(key)) = (principal, key) else {
            continue;
        };
        if count > 1 {
            violations.push(format!(
                "{principal} key {key}: {event_type} on {aggregate} appended {count} times"
            ));
        }
        keys.insert((principal, key));
    }
    (keys.len() as u64, violations)
}
