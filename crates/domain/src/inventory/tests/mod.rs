//! Tests of the Inventory aggregate: given/when/then per command, properties, serde shape.

mod content;
mod holds;
mod properties;
mod releases;
mod serde_shapes;
mod settings;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use cqrs_es::Aggregate;
use ulid::Ulid;

use super::*;
use crate::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Money, Slot, TenantId,
};
use crate::decide::Decide;
use crate::services::{DomainServices, FixedClock};
use crate::testing::{AggregateTestExecutor, TestFramework};

pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

pub(super) fn services() -> DomainServices {
    DomainServices::with_clock(FixedClock::new(now()))
}

pub(super) fn services_at(at: DateTime<Utc>) -> DomainServices {
    DomainServices::with_clock(FixedClock::new(at))
}

pub(super) fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

pub(super) fn money(n: i64) -> Money {
    Money::new(n, eur())
}

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn slot(s: &str) -> Slot {
    Slot::parse(s).unwrap()
}

pub(super) fn inventory_id() -> InventoryId {
    InventoryId(Ulid(1))
}

pub(super) fn tenant_id() -> TenantId {
    TenantId(Ulid(2))
}

pub(super) fn listing_id() -> ListingId {
    ListingId(Ulid(3))
}

pub(super) fn booking(n: u128) -> BookingId {
    BookingId(Ulid(1_000 + n))
}

pub(super) fn define() -> InventoryCommand {
    InventoryCommand::DefineInventory {
        inventory_id: inventory_id(),
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        name: InventoryName::parse("Sea-view double").unwrap(),
        currency: eur(),
    }
}

/// Nights `[from, to)`.
pub(super) fn nights(from: &str, to: &str) -> SlotSelection {
    SlotSelection::days(DateRange::new(d(from), d(to)).unwrap())
}

pub(super) fn set_capacity(from: &str, to: &str, capacity: u32) -> InventoryCommand {
    InventoryCommand::SetCapacity {
        selection: nights(from, to),
        capacity,
    }
}

pub(super) fn set_price(from: &str, to: &str, amount: i64) -> InventoryCommand {
    InventoryCommand::SetPrice {
        selection: nights(from, to),
        price: money(amount),
    }
}

pub(super) fn expiry() -> DateTime<Utc> {
    now() + Duration::minutes(15)
}

pub(super) fn hold(b: u128, slots: &[&str], quantity: u32) -> InventoryCommand {
    InventoryCommand::PlaceHold {
        booking_id: booking(b),
        slots: slots.iter().map(|s| slot(s)).collect(),
        quantity,
        expires_at: expiry(),
    }
}

pub(super) fn confirm(b: u128) -> InventoryCommand {
    InventoryCommand::ConfirmHold {
        booking_id: booking(b),
    }
}

pub(super) fn release(b: u128, reason: ReleaseReason) -> InventoryCommand {
    InventoryCommand::ReleaseHold {
        booking_id: booking(b),
        reason,
    }
}

pub(super) fn release_allocation(b: u128) -> InventoryCommand {
    InventoryCommand::ReleaseAllocation {
        booking_id: booking(b),
    }
}

pub(super) fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

/// A snapshot with a price in EUR minor units.
pub(super) fn snap(
    s: &str,
    capacity: u32,
    held: u32,
    allocated: u32,
    price: Option<i64>,
    closed: bool,
) -> SlotSnapshot {
    SlotSnapshot {
        slot: slot(s),
        capacity,
        held,
        allocated,
        price: price.map(money),
        closed,
    }
}

/// The events the commands produce one after another (each must succeed), on the test clock.
pub(super) fn history(commands: Vec<InventoryCommand>) -> Vec<InventoryEvent> {
    let services = services();
    let mut inventory = Inventory::default();
    let mut events = Vec::new();
    for command in commands {
        let emitted = inventory
            .decide(command.clone(), &services)
            .unwrap_or_else(|e| panic!("{command:?} failed in a test history: {e}"));
        for event in emitted {
            inventory.apply(event.clone());
            events.push(event);
        }
    }
    events
}

pub(super) fn state(events: &[InventoryEvent]) -> Inventory {
    let mut inventory = Inventory::default();
    for e in events {
        inventory.apply(e.clone());
    }
    inventory
}

/// A defined inventory with 2 rooms on nights 24–27 December 2026, priced 120.00 EUR.
pub(super) fn base() -> Vec<InventoryCommand> {
    vec![
        define(),
        set_capacity("2026-12-24", "2026-12-27", 2),
        set_price("2026-12-24", "2026-12-27", 12_000),
    ]
}

pub(super) fn given(commands: Vec<InventoryCommand>) -> AggregateTestExecutor<Inventory> {
    TestFramework::<Inventory>::with(services()).given(history(commands))
}

pub(super) fn given_at(
    at: DateTime<Utc>,
    commands: Vec<InventoryCommand>,
) -> AggregateTestExecutor<Inventory> {
    TestFramework::<Inventory>::with(services_at(at)).given(history(commands))
}

pub(super) fn with(
    mut commands: Vec<InventoryCommand>,
    more: Vec<InventoryCommand>,
) -> Vec<InventoryCommand> {
    commands.extend(more);
    commands
}
