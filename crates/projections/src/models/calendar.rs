//! The availability calendar: one item per inventory and slot.
//!
//! Key: `pk = "inv#<inventory_id>"`, `sk = <slot text>` (`2026-12-24` or `2026-12-24T18:30`,
//! which sorts chronologically, a day slot before the time slots of its date). The partition is
//! per inventory, so a popular date spreads over every inventory that offers it.
//!
//! Every inventory event that touches slots carries their resulting [`SlotSnapshot`]s, so each
//! patch sets absolute values: `capacity`, `held`, `allocated`, `available` (capacity − held −
//! allocated, or 0 when closed), `price` (`{amount_minor, currency}` or null), `closed`, plus
//! `inventory_id`, `listing_id`, `tenant_id`. A slot appears at most once per event, so a key is
//! patched at most once per event.

use chrono::{NaiveDate, NaiveTime};
use holdfast_domain::common::Slot;
use holdfast_domain::inventory::{InventoryEvent, SlotSnapshot};
use holdfast_eventstore::StoredEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Amount, QueryError, attrs, decode, item_as, money};
use crate::projection::{Projection, ProjectionError};
use crate::store::{Key, KeyQuery, Patch, ReadStore, SortKey, Table, TableRef};

/// The most slot items one calendar page asks for. A month of day slots is 31 items, and even
/// 31 days × 64 time slots fit (1 984). A calendar item is about 250 bytes, so 2 000 items
/// (~500 KB) stay under DynamoDB's 1 MB per page: a month is always one request. Longer ranges
/// or finer grids are paginated.
pub const CALENDAR_PAGE_LIMIT: usize = 2_000;

/// The calendar partition of an inventory.
pub fn partition(inventory_id: &str) -> String {
    format!("inv#{inventory_id}")
}

/// Projects inventory events into [`Table::Calendar`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CalendarProjection;

fn slot_patch(
    inventory_id: &str,
    tenant_id: &str,
    listing_id: &str,
    snapshot: &SlotSnapshot,
) -> Patch {
    Patch::set(
        Key::new(partition(inventory_id), snapshot.slot.to_string()),
        attrs([
            ("inventory_id", json!(inventory_id)),
            ("tenant_id", json!(tenant_id)),
            ("listing_id", json!(listing_id)),
            ("slot", json!(snapshot.slot.to_string())),
            ("capacity", json!(snapshot.capacity)),
            ("held", json!(snapshot.held)),
            ("allocated", json!(snapshot.allocated)),
            ("available", json!(snapshot.available())),
            ("price", snapshot.price.map_or(Value::Null, money)),
            ("closed", json!(snapshot.closed)),
        ]),
    )
}

impl Projection for CalendarProjection {
    fn table(&self) -> Table {
        Table::Calendar
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        if event.aggregate_type != "Inventory" {
            return Ok(Vec::new());
        }
        let decoded: InventoryEvent = decode(event)?;
        let (tenant_id, listing_id) = match &decoded {
            InventoryEvent::InventoryDefined { .. } | InventoryEvent::InventoryDescribed { .. } => {
                return Ok(Vec::new());
            }
            InventoryEvent::InventoryCapacitySet {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventoryPriceSet {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventorySlotsClosed {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventorySlotsOpened {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventoryHoldPlaced {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventoryHoldConfirmed {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventoryHoldReleased {
                tenant_id,
                listing_id,
                ..
            }
            | InventoryEvent::InventoryAllocationReleased {
                tenant_id,
                listing_id,
                ..
            } => (tenant_id.to_string(), listing_id.to_string()),
        };
        let inventory_id = decoded.inventory_id().to_string();
        // The domain never lists a slot twice in one event; keep the last if it ever did, so a
        // key is patched once.
        let mut by_slot = std::collections::BTreeMap::new();
        for s in decoded.slot_snapshots() {
            by_slot.insert(s.slot, *s);
        }
        Ok(by_slot
            .values()
            .map(|s| slot_patch(&inventory_id, &tenant_id, &listing_id, s))
            .collect())
    }
}

/// One slot of an inventory's calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// The slot's text (`2026-12-24` or `2026-12-24T18:30`).
    pub slot: String,
    /// Its local date.
    pub date: NaiveDate,
    /// Its local start time, for time slots.
    pub time: Option<NaiveTime>,
    /// Units offered.
    pub capacity: u32,
    /// Units held by unconfirmed bookings.
    pub held: u32,
    /// Units allocated to confirmed bookings.
    pub allocated: u32,
    /// Units a new hold could take (0 when closed).
    pub available: u32,
    /// Unit price, if set.
    pub price: Option<Amount>,
    /// Whether new holds are refused.
    pub closed: bool,
}

#[derive(Deserialize)]
struct StoredSlot {
    capacity: u32,
    held: u32,
    allocated: u32,
    available: u32,
    #[serde(default)]
    price: Option<Amount>,
    closed: bool,
}

/// The slots of `inventory_id` from `from` to `to` (both inclusive, time slots of `to`
/// included), in order. One [`KeyQuery`] (`sk` between `from` and `to` + `"T99"`) with a limit
/// of [`CALENDAR_PAGE_LIMIT`]: a month is one request; longer ranges follow the store's cursor.
pub async fn calendar(
    store: &dyn ReadStore,
    table: TableRef,
    inventory_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CalendarDay>, QueryError> {
    if to < from {
        return Err(QueryError::Invalid(format!(
            "calendar range ends ({to}) before it starts ({from})"
        )));
    }
    let mut query = KeyQuery {
        pk: partition(inventory_id),
        sk: SortKey::Between(
            from.format("%Y-%m-%d").to_string(),
            format!("{}T99", to.format("%Y-%m-%d")),
        ),
        ascending: true,
        limit: CALENDAR_PAGE_LIMIT,
        ..KeyQuery::default()
    };
    let mut days = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            let slot = Slot::parse(&item.key.sk).map_err(|e| QueryError::Corrupt {
                key: item.key.clone(),
                reason: e.to_string(),
            })?;
            let s: StoredSlot = item_as(item)?;
            days.push(CalendarDay {
                slot: item.key.sk.clone(),
                date: slot.date,
                time: slot.time,
                capacity: s.capacity,
                held: s.held,
                allocated: s.allocated,
                available: s.available,
                price: s.price,
                closed: s.closed,
            });
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(days),
        }
    }
}
