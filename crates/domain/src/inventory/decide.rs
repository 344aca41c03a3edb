//! Every business rule of the inventory: a command and the current state in, events or a typed
//! error out. Pure and synchronous, so it can be property-tested directly.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::aggregate::{Finished, Inventory, InventoryDefinition, SlotState};
use super::commands::{
    InventoryCommand, MAX_CAPACITY, MAX_SLOTS_PER_HOLD, ReleaseReason, SlotSelection,
};
use super::error::InventoryError;
use super::events::{InventoryEvent, SlotSnapshot};
use crate::common::{BookingId, Money, Slot};
use crate::decide::Decide;
use crate::services::DomainServices;

impl Decide for Inventory {
    /// Decides what `command` does to this inventory: the events to record (none when it repeats
    /// what already happened), or the rule it breaks. Never changes `self`.
    fn decide(
        &self,
        command: InventoryCommand,
        services: &DomainServices,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        if let InventoryCommand::DefineInventory {
            inventory_id,
            tenant_id,
            listing_id,
            name,
            currency,
        } = command
        {
            let wanted = InventoryDefinition {
                inventory_id,
                tenant_id,
                listing_id,
                name,
                currency,
            };
            return match self.definition() {
                Some(existing) if *existing == wanted => Ok(vec![]),
                Some(existing) => Err(InventoryError::AlreadyDefined {
                    inventory_id: existing.inventory_id,
                }),
                None => Ok(vec![InventoryEvent::InventoryDefined {
                    inventory_id: wanted.inventory_id,
                    tenant_id: wanted.tenant_id,
                    listing_id: wanted.listing_id,
                    name: wanted.name,
                    currency: wanted.currency,
                }]),
            };
        }
        let def = self.definition().ok_or(InventoryError::NotDefined)?;
        match command {
            InventoryCommand::DefineInventory { .. } => Ok(vec![]), // handled above
            InventoryCommand::DescribeInventory { name, content } => {
                if def.name == name && *self.content() == content {
                    return Ok(vec![]);
                }
                Ok(vec![InventoryEvent::InventoryDescribed {
                    inventory_id: def.inventory_id,
                    tenant_id: def.tenant_id,
                    listing_id: def.listing_id,
                    name,
                    content,
                }])
            }
            InventoryCommand::SetCapacity {
                selection,
                capacity,
            } => self.set_capacity(def, &selection, capacity),
            InventoryCommand::SetPrice { selection, price } => {
                self.set_price(def, &selection, price)
            }
            InventoryCommand::CloseSlots { selection } => self.set_closed(def, &selection, true),
            InventoryCommand::OpenSlots { selection } => self.set_closed(def, &selection, false),
            InventoryCommand::PlaceHold {
                booking_id,
                slots,
                quantity,
                expires_at,
            } => self.place_hold(
                def,
                booking_id,
                slots,
                quantity,
                expires_at,
                services.clock.now(),
            ),
            InventoryCommand::ConfirmHold { booking_id } => self.confirm_hold(def, booking_id),
            InventoryCommand::ReleaseHold { booking_id, reason } => {
                self.release_hold(def, booking_id, reason)
            }
            InventoryCommand::ReleaseAllocation { booking_id } => {
                self.release_allocation(def, booking_id)
            }
        }
    }
}

impl Inventory {
    fn set_capacity(
        &self,
        def: &InventoryDefinition,
        selection: &SlotSelection,
        capacity: u32,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        if capacity > MAX_CAPACITY {
            return Err(InventoryError::CapacityTooLarge {
                requested: capacity,
                max: MAX_CAPACITY,
            });
        }
        let selected = selection.slots()?;
        let mut changed = Vec::new();
        for slot in selected {
            let state = match self.slots().get(&slot) {
                Some(existing) => {
                    if existing.taken() > capacity {
                        return Err(InventoryError::CapacityBelowTaken {
                            slot,
                            taken: existing.taken(),
                            requested: capacity,
                            bookings: self.bookings_on(&slot),
                        });
                    }
                    if existing.capacity == capacity {
                        continue;
                    }
                    *existing
                }
                None => SlotState::default(),
            };
            let state = SlotState { capacity, ..state };
            changed.push(self.snapshot_of(slot, &state));
        }
        if changed.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![InventoryEvent::InventoryCapacitySet {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            capacity,
            slots: changed,
        }])
    }

    fn set_price(
        &self,
        def: &InventoryDefinition,
        selection: &SlotSelection,
        price: Money,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        if price.currency != def.currency {
            return Err(InventoryError::CurrencyMismatch {
                expected: def.currency,
                got: price.currency,
            });
        }
        if price.amount_minor < 0 {
            return Err(InventoryError::NegativePrice {
                amount_minor: price.amount_minor,
            });
        }
        let changed = self.changed_existing(selection, |s| {
            (s.price_minor != Some(price.amount_minor)).then_some(SlotState {
                price_minor: Some(price.amount_minor),
                ..*s
            })
        })?;
        if changed.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![InventoryEvent::InventoryPriceSet {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            price,
            slots: changed,
        }])
    }

    fn set_closed(
        &self,
        def: &InventoryDefinition,
        selection: &SlotSelection,
        closed: bool,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        let changed = self.changed_existing(selection, |s| {
            (s.closed != closed).then_some(SlotState { closed, ..*s })
        })?;
        if changed.is_empty() {
            return Ok(vec![]);
        }
        let (inventory_id, tenant_id, listing_id) =
            (def.inventory_id, def.tenant_id, def.listing_id);
        Ok(vec![if closed {
            InventoryEvent::InventorySlotsClosed {
                inventory_id,
                tenant_id,
                listing_id,
                slots: changed,
            }
        } else {
            InventoryEvent::InventorySlotsOpened {
                inventory_id,
                tenant_id,
                listing_id,
                slots: changed,
            }
        }])
    }

    /// Applies `change` to every selected slot, all of which must exist; returns the snapshots of
    /// the slots it actually changed.
    fn changed_existing(
        &self,
        selection: &SlotSelection,
        change: impl Fn(&SlotState) -> Option<SlotState>,
    ) -> Result<Vec<SlotSnapshot>, InventoryError> {
        let mut changed = Vec::new();
        for slot in selection.slots()? {
            let state = self
                .slots()
                .get(&slot)
                .ok_or(InventoryError::SlotNotOffered { slot })?;
            if let Some(new_state) = change(state) {
                changed.push(self.snapshot_of(slot, &new_state));
            }
        }
        Ok(changed)
    }

    fn place_hold(
        &self,
        def: &InventoryDefinition,
        booking_id: BookingId,
        slots: Vec<Slot>,
        quantity: u32,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        if slots.is_empty() {
            return Err(InventoryError::NoSlots);
        }
        if slots.len() > MAX_SLOTS_PER_HOLD {
            return Err(InventoryError::TooManySlots {
                requested: slots.len(),
                max: MAX_SLOTS_PER_HOLD,
            });
        }
        if quantity == 0 {
            return Err(InventoryError::ZeroQuantity);
        }
        let mut unique = BTreeSet::new();
        for slot in &slots {
            if !unique.insert(*slot) {
                return Err(InventoryError::DuplicateSlot { slot: *slot });
            }
        }
        let slots: Vec<Slot> = unique.into_iter().collect();
        if self.finished().contains_key(&booking_id) {
            return Err(InventoryError::BookingAlreadyFinished { booking_id });
        }
        if let Some(hold) = self.holds().get(&booking_id) {
            return if hold.slots == slots && hold.quantity == quantity {
                Ok(vec![])
            } else {
                Err(InventoryError::HoldAlreadyExists { booking_id })
            };
        }
        if let Some(allocation) = self.allocations().get(&booking_id) {
            return if allocation.slots == slots && allocation.quantity == quantity {
                Ok(vec![])
            } else {
                Err(InventoryError::HoldAlreadyConfirmed { booking_id })
            };
        }
        if expires_at <= now {
            return Err(InventoryError::ExpiryInPast { expires_at, now });
        }
        let mut snapshots = Vec::with_capacity(slots.len());
        for slot in &slots {
            let state = self
                .slots()
                .get(slot)
                .ok_or(InventoryError::SlotNotOffered { slot: *slot })?;
            if state.closed {
                return Err(InventoryError::SlotClosed { slot: *slot });
            }
            let available = state.remaining();
            if available < quantity {
                return Err(InventoryError::SoldOut {
                    slot: *slot,
                    requested: quantity,
                    available,
                });
            }
            let after = SlotState {
                held: state.held.saturating_add(quantity),
                ..*state
            };
            snapshots.push(self.snapshot_of(*slot, &after));
        }
        Ok(vec![InventoryEvent::InventoryHoldPlaced {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            booking_id,
            quantity,
            expires_at,
            slots: snapshots,
        }])
    }

    fn confirm_hold(
        &self,
        def: &InventoryDefinition,
        booking_id: BookingId,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        if self.allocations().contains_key(&booking_id) {
            return Ok(vec![]);
        }
        let Some(hold) = self.holds().get(&booking_id) else {
            return Err(if self.finished().contains_key(&booking_id) {
                InventoryError::BookingAlreadyFinished { booking_id }
            } else {
                InventoryError::HoldNotFound { booking_id }
            });
        };
        let q = hold.quantity;
        Ok(vec![InventoryEvent::InventoryHoldConfirmed {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            booking_id,
            quantity: q,
            slots: self.moved(&hold.slots, |s| SlotState {
                held: s.held.saturating_sub(q),
                allocated: s.allocated.saturating_add(q),
                ..*s
            }),
        }])
    }

    fn release_hold(
        &self,
        def: &InventoryDefinition,
        booking_id: BookingId,
        reason: ReleaseReason,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        let Some(hold) = self.holds().get(&booking_id) else {
            return match self.finished().get(&booking_id) {
                Some(Finished::HoldReleased) => Ok(vec![]),
                Some(Finished::AllocationReleased) => {
                    Err(InventoryError::HoldAlreadyConfirmed { booking_id })
                }
                None if self.allocations().contains_key(&booking_id) => {
                    Err(InventoryError::HoldAlreadyConfirmed { booking_id })
                }
                None => Err(InventoryError::HoldNotFound { booking_id }),
            };
        };
        let q = hold.quantity;
        Ok(vec![InventoryEvent::InventoryHoldReleased {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            booking_id,
            quantity: q,
            reason,
            slots: self.moved(&hold.slots, |s| SlotState {
                held: s.held.saturating_sub(q),
                ..*s
            }),
        }])
    }

    fn release_allocation(
        &self,
        def: &InventoryDefinition,
        booking_id: BookingId,
    ) -> Result<Vec<InventoryEvent>, InventoryError> {
        let Some(allocation) = self.allocations().get(&booking_id) else {
            return match self.finished().get(&booking_id) {
                Some(Finished::AllocationReleased) => Ok(vec![]),
                None if self.holds().contains_key(&booking_id) => {
                    Err(InventoryError::HoldNotConfirmed { booking_id })
                }
                Some(Finished::HoldReleased) | None => {
                    Err(InventoryError::AllocationNotFound { booking_id })
                }
            };
        };
        let q = allocation.quantity;
        Ok(vec![InventoryEvent::InventoryAllocationReleased {
            inventory_id: def.inventory_id,
            tenant_id: def.tenant_id,
            listing_id: def.listing_id,
            booking_id,
            quantity: q,
            slots: self.moved(&allocation.slots, |s| SlotState {
                allocated: s.allocated.saturating_sub(q),
                ..*s
            }),
        }])
    }

    /// The snapshots of `slots` after `change` (slots are never removed, so all exist).
    fn moved(&self, slots: &[Slot], change: impl Fn(&SlotState) -> SlotState) -> Vec<SlotSnapshot> {
        slots
            .iter()
            .filter_map(|slot| {
                self.slots()
                    .get(slot)
                    .map(|s| self.snapshot_of(*slot, &change(s)))
            })
            .collect()
    }
}
