//! The inventory's state, its read helpers, and how events fold into it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::{InventoryCommand, InventoryName};
use super::content::InventoryContent;
use super::error::InventoryError;
use super::events::{InventoryEvent, SlotSnapshot};
use crate::common::{BookingId, Currency, InventoryId, ListingId, Money, Slot, TenantId};
use crate::services::DomainServices;

/// Who the inventory belongs to and what it sells in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryDefinition {
    /// The inventory.
    pub inventory_id: InventoryId,
    /// Its business.
    pub tenant_id: TenantId,
    /// Its listing.
    pub listing_id: ListingId,
    /// Its display name.
    pub name: InventoryName,
    /// The currency of every price on it.
    pub currency: Currency,
}

/// One slot's settings and counters. Prices are kept in minor units of the inventory's
/// currency (one currency per inventory), which keeps snapshots compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlotState {
    /// Units offered.
    pub capacity: u32,
    /// Price of one unit in minor units of the inventory's currency, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_minor: Option<i64>,
    /// Whether new holds are refused.
    #[serde(default, skip_serializing_if = "is_false")]
    pub closed: bool,
    /// Units held by unconfirmed bookings.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: u32,
    /// Units allocated to confirmed bookings.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub allocated: u32,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SlotState {
    /// Units held or allocated.
    pub fn taken(&self) -> u32 {
        self.held.saturating_add(self.allocated)
    }

    /// Units left under capacity (ignoring whether the slot is closed).
    pub fn remaining(&self) -> u32 {
        self.capacity.saturating_sub(self.taken())
    }

    fn from_snapshot(s: &SlotSnapshot) -> Self {
        Self {
            capacity: s.capacity,
            price_minor: s.price.map(|p| p.amount_minor),
            closed: s.closed,
            held: s.held,
            allocated: s.allocated,
        }
    }
}

/// Units reserved for an unconfirmed booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The slots, in order.
    pub slots: Vec<Slot>,
    /// Units per slot.
    pub quantity: u32,
    /// When it should be released if not confirmed.
    pub expires_at: DateTime<Utc>,
}

/// Units taken by a confirmed booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The slots, in order.
    pub slots: Vec<Slot>,
    /// Units per slot.
    pub quantity: u32,
}

/// How a booking's units were given back (kept so that repeats are recognised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finished {
    /// The hold was released before confirmation.
    HoldReleased,
    /// The allocation was released (a cancellation).
    AllocationReleased,
}

/// One bookable unit's capacity calendar: the single authority on availability.
///
/// Invariant on every slot, always: `held + allocated <= capacity`, where `held` and `allocated`
/// are the sums over the holds and allocations touching that slot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    definition: Option<InventoryDefinition>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    slots: BTreeMap<Slot, SlotState>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    holds: BTreeMap<BookingId, Hold>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    allocations: BTreeMap<BookingId, Allocation>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    finished: BTreeMap<BookingId, Finished>,
    #[serde(default, skip_serializing_if = "is_no_content")]
    content: InventoryContent,
}

fn is_no_content(c: &InventoryContent) -> bool {
    *c == InventoryContent::default()
}

impl Inventory {
    /// What guests read about it (empty until described).
    pub fn content(&self) -> &InventoryContent {
        &self.content
    }

    /// Who it belongs to, once defined.
    pub fn definition(&self) -> Option<&InventoryDefinition> {
        self.definition.as_ref()
    }

    /// Every slot offered, in order.
    pub fn slots(&self) -> &BTreeMap<Slot, SlotState> {
        &self.slots
    }

    /// Live holds by booking.
    pub fn holds(&self) -> &BTreeMap<BookingId, Hold> {
        &self.holds
    }

    /// Live allocations by booking.
    pub fn allocations(&self) -> &BTreeMap<BookingId, Allocation> {
        &self.allocations
    }

    /// Bookings whose units were given back, and how.
    pub fn finished(&self) -> &BTreeMap<BookingId, Finished> {
        &self.finished
    }

    /// Units a new hold could take on `slot` now: 0 when the slot is not offered or closed.
    pub fn available(&self, slot: &Slot) -> u32 {
        match self.slots.get(slot) {
            Some(s) if !s.closed => s.remaining(),
            _ => 0,
        }
    }

    /// The full state of `slot`, as events carry it.
    pub fn snapshot(&self, slot: &Slot) -> Option<SlotSnapshot> {
        self.slots.get(slot).map(|s| self.snapshot_of(*slot, s))
    }

    /// The price of `quantity` units of each slot, in the order given. Fails if a slot is not
    /// offered or has no price, or on overflow.
    pub fn price_lines(
        &self,
        slots: &[Slot],
        quantity: u32,
    ) -> Result<Vec<(Slot, Money)>, InventoryError> {
        let def = self.definition.as_ref().ok_or(InventoryError::NotDefined)?;
        if quantity == 0 {
            return Err(InventoryError::ZeroQuantity);
        }
        slots
            .iter()
            .map(|slot| {
                let state = self
                    .slots
                    .get(slot)
                    .ok_or(InventoryError::SlotNotOffered { slot: *slot })?;
                let unit = state
                    .price_minor
                    .ok_or(InventoryError::SlotNotPriced { slot: *slot })?;
                let line = Money::new(unit, def.currency)
                    .checked_mul(i64::from(quantity))
                    .map_err(|_| InventoryError::PriceOverflow {
                        slot: *slot,
                        quantity,
                    })?;
                Ok((*slot, line))
            })
            .collect()
    }

    /// The bookings holding or allocated on `slot`, in id order.
    pub fn bookings_on(&self, slot: &Slot) -> Vec<BookingId> {
        let held = self
            .holds
            .iter()
            .filter(|(_, h)| h.slots.contains(slot))
            .map(|(b, _)| *b);
        let allocated = self
            .allocations
            .iter()
            .filter(|(_, a)| a.slots.contains(slot))
            .map(|(b, _)| *b);
        held.chain(allocated)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    pub(super) fn snapshot_of(&self, slot: Slot, s: &SlotState) -> SlotSnapshot {
        SlotSnapshot {
            slot,
            capacity: s.capacity,
            held: s.held,
            allocated: s.allocated,
            price: match (s.price_minor, &self.definition) {
                (Some(minor), Some(def)) => Some(Money::new(minor, def.currency)),
                _ => None,
            },
            closed: s.closed,
        }
    }

    fn write_snapshots(&mut self, snapshots: &[SlotSnapshot]) {
        for s in snapshots {
            self.slots.insert(s.slot, SlotState::from_snapshot(s));
        }
    }
}

impl Aggregate for Inventory {
    const TYPE: &'static str = "Inventory";
    type Command = InventoryCommand;
    type Event = InventoryEvent;
    type Error = InventoryError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            InventoryEvent::InventoryDefined {
                inventory_id,
                tenant_id,
                listing_id,
                name,
                currency,
            } => {
                self.definition = Some(InventoryDefinition {
                    inventory_id,
                    tenant_id,
                    listing_id,
                    name,
                    currency,
                });
            }
            InventoryEvent::InventoryDescribed { name, content, .. } => {
                if let Some(definition) = self.definition.as_mut() {
                    definition.name = name;
                }
                self.content = content;
            }
            InventoryEvent::InventoryCapacitySet { slots, .. }
            | InventoryEvent::InventoryPriceSet { slots, .. }
            | InventoryEvent::InventorySlotsClosed { slots, .. }
            | InventoryEvent::InventorySlotsOpened { slots, .. } => self.write_snapshots(&slots),
            InventoryEvent::InventoryHoldPlaced {
                booking_id,
                quantity,
                expires_at,
                slots,
                ..
            } => {
                self.write_snapshots(&slots);
                self.holds.insert(
                    booking_id,
                    Hold {
                        slots: slots.iter().map(|s| s.slot).collect(),
                        quantity,
                        expires_at,
                    },
                );
            }
            InventoryEvent::InventoryHoldConfirmed {
                booking_id,
                quantity,
                slots,
                ..
            } => {
                self.write_snapshots(&slots);
                self.holds.remove(&booking_id);
                self.allocations.insert(
                    booking_id,
                    Allocation {
                        slots: slots.iter().map(|s| s.slot).collect(),
                        quantity,
                    },
                );
            }
            InventoryEvent::InventoryHoldReleased {
                booking_id, slots, ..
            } => {
                self.write_snapshots(&slots);
                self.holds.remove(&booking_id);
                self.finished.insert(booking_id, Finished::HoldReleased);
            }
            InventoryEvent::InventoryAllocationReleased {
                booking_id, slots, ..
            } => {
                self.write_snapshots(&slots);
                self.allocations.remove(&booking_id);
                self.finished
                    .insert(booking_id, Finished::AllocationReleased);
            }
        }
    }
}
