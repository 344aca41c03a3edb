//! The calendar read model, driven by the real Inventory aggregate and the memory store.

mod models_support;

use holdfast_domain::Decide;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use holdfast_domain::common::{Currency, DateRange, InventoryId, ListingId, Money, Slot, TenantId};
use holdfast_domain::inventory::{
    Inventory, InventoryCommand, InventoryName, ReleaseReason, SlotSelection,
};
use holdfast_eventstore::Position;
use holdfast_projections::models::calendar::{CalendarDay, CalendarProjection, calendar};
use holdfast_projections::models::{Amount, QueryError};
use holdfast_projections::store::memory::MemoryStore;
use holdfast_projections::store::{
    Applied, Item, Key, KeyQuery, Page, Patch, ReadStore, ReadStoreError, Table, TableRef,
};
use models_support::*;
use proptest::prelude::*;

const NOW: &str = "2026-06-01T12:00:00Z";

fn eur(n: i64) -> Money {
    Money::new(n, Currency::parse("EUR").unwrap())
}

fn nights(from: &str, to: &str) -> SlotSelection {
    SlotSelection::days(DateRange::new(date(from), date(to)).unwrap())
}

fn booking(n: u32) -> holdfast_domain::common::BookingId {
    holdfast_domain::common::BookingId::parse(&ulid(4, n)).unwrap()
}

fn expiry() -> DateTime<Utc> {
    at(NOW) + Duration::minutes(15)
}

struct Inv {
    id: String,
    state: Inventory,
}

impl Inv {
    fn define(log: &mut Log, n: u32) -> Self {
        let id = ulid(1, n);
        let mut inv = Self {
            id: id.clone(),
            state: Inventory::default(),
        };
        inv.run(
            log,
            InventoryCommand::DefineInventory {
                inventory_id: InventoryId::parse(&id).unwrap(),
                tenant_id: TenantId::parse(&ulid(2, 1)).unwrap(),
                listing_id: ListingId::parse(&ulid(3, 1)).unwrap(),
                name: InventoryName::parse("Sea-view double").unwrap(),
                currency: Currency::parse("EUR").unwrap(),
            },
        );
        inv
    }

    fn run(&mut self, log: &mut Log, command: InventoryCommand) -> usize {
        log.exec(&self.id, &mut self.state, |s, svc| s.decide(command, svc))
    }
}

fn hold(b: u32, slots: &[&str], quantity: u32) -> InventoryCommand {
    InventoryCommand::PlaceHold {
        booking_id: booking(b),
        slots: slots.iter().map(|s| Slot::parse(s).unwrap()).collect(),
        quantity,
        expires_at: expiry(),
    }
}

async fn month(log: &Log) -> (MemoryStore, TableRef) {
    let (store, table) = store_for(&CalendarProjection).await;
    project(&store, table, &CalendarProjection, &log.events).await;
    (store, table)
}

fn day<'a>(days: &'a [CalendarDay], slot: &str) -> &'a CalendarDay {
    days.iter().find(|d| d.slot == slot).unwrap()
}

#[tokio::test]
async fn it_should_show_exact_counts_after_capacity_price_close_hold_confirm_release() {
    let mut log = Log::new(NOW);
    let mut inv = Inv::define(&mut log, 1);
    inv.run(
        &mut log,
        InventoryCommand::SetCapacity {
            selection: nights("2026-12-24", "2026-12-28"),
            capacity: 5,
        },
    );
    inv.run(
        &mut log,
        InventoryCommand::SetPrice {
            selection: nights("2026-12-24", "2026-12-26"),
            price: eur(12_000),
        },
    );
    inv.run(&mut log, hold(1, &["2026-12-24", "2026-12-25"], 2));
    inv.run(&mut log, hold(2, &["2026-12-25"], 1));
    inv.run(&mut log, hold(3, &["2026-12-26"], 3));
    inv.run(
        &mut log,
        InventoryCommand::ConfirmHold {
            booking_id: booking(1),
        },
    );
    inv.run(
        &mut log,
        InventoryCommand::ReleaseHold {
            booking_id: booking(2),
            reason: ReleaseReason::Expired,
        },
    );
    inv.run(
        &mut log,
        InventoryCommand::CloseSlots {
            selection: nights("2026-12-27", "2026-12-28"),
        },
    );
    let (store, table) = month(&log).await;
    let days = calendar(
        &store,
        table,
        &inv.id,
        date("2026-12-24"),
        date("2026-12-27"),
    )
    .await
    .unwrap();
    let slots: Vec<_> = days.iter().map(|d| d.slot.as_str()).collect();
    assert_eq!(
        slots,
        ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"]
    );
    let price = Some(Amount {
        amount_minor: 12_000,
        currency: "EUR".into(),
    });
    let d24 = day(&days, "2026-12-24");
    assert_eq!(
        (d24.capacity, d24.held, d24.allocated, d24.available),
        (5, 0, 2, 3)
    );
    assert_eq!(d24.price, price);
    let d25 = day(&days, "2026-12-25");
    assert_eq!(
        (d25.capacity, d25.held, d25.allocated, d25.available),
        (5, 0, 2, 3)
    );
    let d26 = day(&days, "2026-12-26");
    assert_eq!(
        (d26.capacity, d26.held, d26.allocated, d26.available),
        (5, 3, 0, 2)
    );
    assert_eq!(d26.price, None);
    let d27 = day(&days, "2026-12-27");
    assert!(d27.closed);
    assert_eq!((d27.capacity, d27.available), (5, 0));

    // Releasing the allocation and reopening give the units back.
    inv.run(
        &mut log,
        InventoryCommand::ReleaseAllocation {
            booking_id: booking(1),
        },
    );
    inv.run(
        &mut log,
        InventoryCommand::OpenSlots {
            selection: nights("2026-12-27", "2026-12-28"),
        },
    );
    let (store, table) = month(&log).await;
    let days = calendar(
        &store,
        table,
        &inv.id,
        date("2026-12-24"),
        date("2026-12-27"),
    )
    .await
    .unwrap();
    assert_eq!(day(&days, "2026-12-24").available, 5);
    assert_eq!(day(&days, "2026-12-24").allocated, 0);
    assert!(!day(&days, "2026-12-27").closed);
    assert_eq!(day(&days, "2026-12-27").available, 5);
}

#[tokio::test]
async fn time_slots_of_the_last_day_are_included_and_other_inventories_never() {
    let mut log = Log::new(NOW);
    let mut a = Inv::define(&mut log, 1);
    let mut b = Inv::define(&mut log, 2);
    let times = ["18:00", "18:30", "21:00"]
        .iter()
        .map(|t| NaiveTime::parse_from_str(t, "%H:%M").unwrap())
        .collect();
    a.run(
        &mut log,
        InventoryCommand::SetCapacity {
            selection: SlotSelection::at_times(
                DateRange::new(date("2026-12-24"), date("2026-12-26")).unwrap(),
                times,
            ),
            capacity: 4,
        },
    );
    b.run(
        &mut log,
        InventoryCommand::SetCapacity {
            selection: nights("2026-12-24", "2026-12-26"),
            capacity: 9,
        },
    );
    let (store, table) = month(&log).await;
    let days = calendar(&store, table, &a.id, date("2026-12-25"), date("2026-12-25"))
        .await
        .unwrap();
    let slots: Vec<_> = days.iter().map(|d| d.slot.as_str()).collect();
    assert_eq!(
        slots,
        ["2026-12-25T18:00", "2026-12-25T18:30", "2026-12-25T21:00"]
    );
    assert!(days.iter().all(|d| d.capacity == 4 && d.available == 4));
    assert_eq!(days[1].time, NaiveTime::from_hms_opt(18, 30, 0));
    assert!(matches!(
        calendar(&store, table, &a.id, date("2026-12-26"), date("2026-12-25")).await,
        Err(QueryError::Invalid(_))
    ));
}

/// A store that counts the queries it serves (around a real store).
struct Counting<S> {
    inner: S,
    queries: AtomicUsize,
}

#[async_trait]
impl<S: ReadStore> ReadStore for Counting<S> {
    async fn create_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.inner.create_table(table).await
    }
    async fn drop_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.inner.drop_table(table).await
    }
    async fn generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError> {
        self.inner.generations(table).await
    }
    async fn apply(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError> {
        self.inner.apply(table, position, patches).await
    }
    async fn put_items(&self, table: TableRef, items: Vec<Item>) -> Result<(), ReadStoreError> {
        self.inner.put_items(table, items).await
    }
    async fn get(&self, table: TableRef, key: &Key) -> Result<Option<Item>, ReadStoreError> {
        self.inner.get(table, key).await
    }
    async fn query(&self, table: TableRef, query: &KeyQuery) -> Result<Page, ReadStoreError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.inner.query(table, query).await
    }
    async fn scan(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError> {
        self.inner.scan(table).await
    }
    async fn alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError> {
        self.inner.alias(table).await
    }
    async fn set_alias(&self, table: Table, generation: u32) -> Result<(), ReadStoreError> {
        self.inner.set_alias(table, generation).await
    }
    async fn checkpoint(&self, table: TableRef) -> Result<Option<Position>, ReadStoreError> {
        self.inner.checkpoint(table).await
    }
    async fn save_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError> {
        self.inner.save_checkpoint(table, position).await
    }
}

/// Calendar events for November to February, so a month is cut out of a longer calendar.
fn four_months() -> (Log, Inv) {
    let mut log = Log::new(NOW);
    let mut inv = Inv::define(&mut log, 1);
    inv.run(
        &mut log,
        InventoryCommand::SetCapacity {
            selection: nights("2026-11-01", "2027-03-01"),
            capacity: 3,
        },
    );
    (log, inv)
}

/// Asserts a December calendar is served by one query; gives the inner store back.
async fn assert_december_is_one_query<S: ReadStore>(
    store: Counting<S>,
    table: TableRef,
    inv: &Inv,
) -> S {
    let days = calendar(
        &store,
        table,
        &inv.id,
        date("2026-12-01"),
        date("2026-12-31"),
    )
    .await
    .unwrap();
    assert_eq!(days.len(), 31);
    assert_eq!(days[0].slot, "2026-12-01");
    assert_eq!(days[30].slot, "2026-12-31");
    assert!(days.iter().all(|d| d.available == 3));
    assert_eq!(store.queries.load(Ordering::SeqCst), 1);
    store.inner
}

#[tokio::test]
async fn a_month_of_31_days_is_one_dynamodb_query() {
    let (log, inv) = four_months();
    let settings = holdfast_projections::store::dynamo::DynamoSettings {
        endpoint: Some(holdfast_testkit::dynamodb_endpoint()),
        region: None,
    };
    let client = holdfast_projections::store::dynamo::client(&settings)
        .await
        .unwrap();
    let dynamo = holdfast_projections::store::dynamo::DynamoStore::new(
        client,
        holdfast_testkit::fresh_table_prefix(),
    );
    let table = TableRef::new(Table::Calendar, 1);
    dynamo.create_table(table).await.unwrap();
    project(&dynamo, table, &CalendarProjection, &log.events).await;
    let store = Counting {
        inner: dynamo,
        queries: AtomicUsize::new(0),
    };
    let inner = assert_december_is_one_query(store, table, &inv).await;
    inner.drop_table(table).await.unwrap();
}

#[tokio::test]
async fn a_month_of_31_days_is_one_query() {
    let mut log = Log::new(NOW);
    let mut inv = Inv::define(&mut log, 1);
    // Slots from November to February, so the month is cut out of a longer calendar.
    inv.run(
        &mut log,
        InventoryCommand::SetCapacity {
            selection: nights("2026-11-01", "2027-03-01"),
            capacity: 3,
        },
    );
    let (inner, table) = month(&log).await;
    let store = Counting {
        inner,
        queries: AtomicUsize::new(0),
    };
    let days = calendar(
        &store,
        table,
        &inv.id,
        date("2026-12-01"),
        date("2026-12-31"),
    )
    .await
    .unwrap();
    assert_eq!(days.len(), 31);
    assert_eq!(days[0].slot, "2026-12-01");
    assert_eq!(days[30].slot, "2026-12-31");
    assert_eq!(store.queries.load(Ordering::SeqCst), 1);
}

#[test]
fn an_unknown_payload_of_an_inventory_event_is_a_decode_error() {
    use holdfast_projections::projection::{Projection, ProjectionError};
    let mut log = Log::new(NOW);
    let _ = Inv::define(&mut log, 1);
    let mut bad = log.events[0].clone();
    bad.payload = serde_json::json!({"InventoryExploded": {}});
    assert!(matches!(
        CalendarProjection.patches(&bad),
        Err(ProjectionError::Decode { .. })
    ));
    let mut other = log.events[0].clone();
    other.aggregate_type = "Elsewhere".into();
    other.payload = serde_json::json!(42);
    assert_eq!(CalendarProjection.patches(&other).unwrap(), vec![]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn replays_and_duplicate_deliveries_change_nothing(
        ops in proptest::collection::vec((0u8..6, 0u32..4, 1u32..3), 1..25),
        repeats in proptest::collection::vec(any::<u8>(), 40),
        back in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let mut log = Log::new(NOW);
        let mut inv = Inv::define(&mut log, 1);
        inv.run(&mut log, InventoryCommand::SetCapacity {
            selection: nights("2026-12-24", "2026-12-28"), capacity: 4 });
        let days = ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"];
        for (i, (op, d, q)) in ops.into_iter().enumerate() {
            let b = i as u32 % 5;
            let day = days[d as usize];
            let command = match op {
                0 => hold(b, &[day], q),
                1 => InventoryCommand::ConfirmHold { booking_id: booking(b) },
                2 => InventoryCommand::ReleaseHold { booking_id: booking(b), reason: ReleaseReason::Cancelled },
                3 => InventoryCommand::ReleaseAllocation { booking_id: booking(b) },
                4 => InventoryCommand::SetPrice { selection: nights(day, "2026-12-28"), price: eur(i64::from(q) * 100) },
                _ => InventoryCommand::CloseSlots { selection: nights(day, "2026-12-28") },
            };
            // Rejected commands simply produce nothing.
            if let Ok(events) = inv.state.decide(command, &log.services) {
                for e in events {
                    cqrs_es::Aggregate::apply(&mut inv.state, e.clone());
                    log.push("Inventory", &inv.id, &e);
                }
            }
        }
        let plan = schedule(log.events.len(), &repeats, &back);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (clean, messy) = rt.block_on(clean_and_replayed(&CalendarProjection, &log.events, &plan));
        prop_assert_eq!(clean, messy);
    }
}
