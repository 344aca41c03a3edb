//! What happened to an inventory. Every event that changes counters or slot settings carries
//! the resulting absolute state of each slot it touched, so a projection writes values
//! idempotently without replaying history.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::commands::{InventoryName, ReleaseReason};
use super::content::InventoryContent;
use crate::common::{BookingId, Currency, InventoryId, ListingId, Money, Slot, TenantId};

/// The state of one slot after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSnapshot {
    /// The slot.
    pub slot: Slot,
    /// Units offered.
    pub capacity: u32,
    /// Units held by unconfirmed bookings.
    pub held: u32,
    /// Units allocated to confirmed bookings.
    pub allocated: u32,
    /// Price of one unit, if set.
    pub price: Option<Money>,
    /// Whether new holds are refused.
    pub closed: bool,
}

impl SlotSnapshot {
    /// Units a new hold could take (0 when closed).
    pub fn available(&self) -> u32 {
        if self.closed {
            0
        } else {
            self.capacity
                .saturating_sub(self.held.saturating_add(self.allocated))
        }
    }
}

/// An event of the [`Inventory`](super::Inventory) aggregate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InventoryEvent {
    /// The inventory was created.
    InventoryDefined {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// Its display name.
        name: InventoryName,
        /// Its currency.
        currency: Currency,
    },
    /// Capacity was set on slots (created where new).
    InventoryCapacitySet {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The new capacity.
        capacity: u32,
        /// The slots whose capacity changed, after the change.
        slots: Vec<SlotSnapshot>,
    },
    /// A price was set on slots.
    InventoryPriceSet {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The new unit price.
        price: Money,
        /// The slots whose price changed, after the change.
        slots: Vec<SlotSnapshot>,
    },
    /// Slots stopped accepting holds.
    InventorySlotsClosed {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The slots that were open, now closed.
        slots: Vec<SlotSnapshot>,
    },
    /// Slots accept holds again.
    InventorySlotsOpened {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The slots that were closed, now open.
        slots: Vec<SlotSnapshot>,
    },
    /// Units were held for a booking on every slot listed.
    InventoryHoldPlaced {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The booking.
        booking_id: BookingId,
        /// Units per slot.
        quantity: u32,
        /// When the hold should be released if not confirmed.
        expires_at: DateTime<Utc>,
        /// The held slots, after the hold.
        slots: Vec<SlotSnapshot>,
    },
    /// A booking's hold became an allocation.
    InventoryHoldConfirmed {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The booking.
        booking_id: BookingId,
        /// Units per slot.
        quantity: u32,
        /// The slots, after the confirmation.
        slots: Vec<SlotSnapshot>,
    },
    /// A booking's unconfirmed hold was given back.
    InventoryHoldReleased {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The booking.
        booking_id: BookingId,
        /// Units per slot given back.
        quantity: u32,
        /// Why.
        reason: ReleaseReason,
        /// The slots, after the release.
        slots: Vec<SlotSnapshot>,
    },
    /// A confirmed booking's allocation was given back (a cancellation).
    InventoryAllocationReleased {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// The booking.
        booking_id: BookingId,
        /// Units per slot given back.
        quantity: u32,
        /// The slots, after the release.
        slots: Vec<SlotSnapshot>,
    },
    /// The inventory was renamed or its content replaced.
    InventoryDescribed {
        /// The inventory.
        inventory_id: InventoryId,
        /// Its business.
        tenant_id: TenantId,
        /// Its listing.
        listing_id: ListingId,
        /// Its display name.
        name: InventoryName,
        /// What guests read about it.
        content: InventoryContent,
    },
}

impl InventoryEvent {
    /// The inventory the event belongs to.
    pub fn inventory_id(&self) -> InventoryId {
        match self {
            Self::InventoryDefined { inventory_id, .. }
            | Self::InventoryCapacitySet { inventory_id, .. }
            | Self::InventoryPriceSet { inventory_id, .. }
            | Self::InventorySlotsClosed { inventory_id, .. }
            | Self::InventorySlotsOpened { inventory_id, .. }
            | Self::InventoryHoldPlaced { inventory_id, .. }
            | Self::InventoryHoldConfirmed { inventory_id, .. }
            | Self::InventoryHoldReleased { inventory_id, .. }
            | Self::InventoryAllocationReleased { inventory_id, .. }
            | Self::InventoryDescribed { inventory_id, .. } => *inventory_id,
        }
    }

    /// The resulting state of every slot the event touched (empty for `InventoryDefined`).
    pub fn slot_snapshots(&self) -> &[SlotSnapshot] {
        match self {
            Self::InventoryDefined { .. } | Self::InventoryDescribed { .. } => &[],
            Self::InventoryCapacitySet { slots, .. }
            | Self::InventoryPriceSet { slots, .. }
            | Self::InventorySlotsClosed { slots, .. }
            | Self::InventorySlotsOpened { slots, .. }
            | Self::InventoryHoldPlaced { slots, .. }
            | Self::InventoryHoldConfirmed { slots, .. }
            | Self::InventoryHoldReleased { slots, .. }
            | Self::InventoryAllocationReleased { slots, .. } => slots,
        }
    }
}

impl DomainEvent for InventoryEvent {
    fn event_type(&self) -> String {
        match self {
            Self::InventoryDefined { .. } => "InventoryDefined",
            Self::InventoryCapacitySet { .. } => "InventoryCapacitySet",
            Self::InventoryPriceSet { .. } => "InventoryPriceSet",
            Self::InventorySlotsClosed { .. } => "InventorySlotsClosed",
            Self::InventorySlotsOpened { .. } => "InventorySlotsOpened",
            Self::InventoryHoldPlaced { .. } => "InventoryHoldPlaced",
            Self::InventoryHoldConfirmed { .. } => "InventoryHoldConfirmed",
            Self::InventoryHoldReleased { .. } => "InventoryHoldReleased",
            Self::InventoryAllocationReleased { .. } => "InventoryAllocationReleased",
            Self::InventoryDescribed { .. } => "InventoryDescribed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
