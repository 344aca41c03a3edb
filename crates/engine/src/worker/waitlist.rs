//! Waitlist offers: when capacity frees up on an inventory (a hold or allocation released,
//! capacity raised, slots reopened) or someone joins its waitlist, the waiting bookings are
//! considered first come, first served. Each gets the earliest request inside its wanted dates
//! that the listing's policy accepts now and the inventory can hold (party size and quantity
//! fit); the units are held for the offer (so nobody else takes them meanwhile) until the
//! offer expires, and the booking becomes `Offered`. An expired or declined offer releases the
//! hold, which frees the units again for the next in line.

use holdfast_domain::booking::{Booking, BookingCommand, BookingStatus, OfferSlot};
use holdfast_domain::common::{InventoryId, ListingId, Slot};
use holdfast_domain::inventory::{Inventory, InventoryCommand, ReleaseReason};
use holdfast_domain::listing::{Listing, ListingState};
use holdfast_domain::policy::{self, BookingRequest};

use super::rules::{Rules, metadata};
use super::tracker::Tracker;
use crate::error::EngineError;
use crate::idempotency::is_final;
use crate::process::current;
use crate::process::place_booking::priced_lines;

/// The most candidate requests tried per waiting booking and pass.
const MAX_CANDIDATES: usize = 2_000;

/// An offer found for a waiting booking.
struct Found {
    hold_slots: Vec<Slot>,
    offer: OfferSlot,
}

impl Rules<'_> {
    async fn inventory(&self, id: InventoryId) -> Result<Inventory, EngineError> {
        current(self.state, &id.to_string()).await
    }

    /// Offers freed capacity on `inventory_id` to its waiting bookings, in order. `Err` only
    /// for transient failures.
    pub(super) async fn waitlist(
        &self,
        tracker: &mut Tracker,
        inventory_id: InventoryId,
    ) -> Result<(), EngineError> {
        let waiting = tracker.waitlist(&inventory_id);
        if waiting.is_empty() {
            return Ok(());
        }
        let mut inventory = self.inventory(inventory_id).await?;
        let mut listing: Option<(ListingId, Option<ListingState>)> = None;
        for id in waiting {
            let booking: Booking = current(self.state, &id.to_string()).await?;
            if booking.status() != Some(BookingStatus::Waitlisted) {
                continue;
            }
            let listing_id = booking.keys().listing_id;
            if listing.as_ref().is_none_or(|(l, _)| *l != listing_id) {
                let loaded: Listing = current(self.state, &listing_id.to_string()).await?;
                let state = loaded.state().filter(|l| l.status.is_bookable()).cloned();
                listing = Some((listing_id, state));
            }
            let Some((_, Some(listing_state))) = &listing else {
                continue;
            };
            let Some(found) = self.find(listing_state, &inventory, &booking) else {
                continue;
            };
            let held = self
                .state
                .commands
                .inventories
                .execute(
                    &inventory_id.to_string(),
                    InventoryCommand::PlaceHold {
                        booking_id: id,
                        slots: found.hold_slots,
                        quantity: booking.quantity().get(),
                        expires_at: found.offer.offer_expires_at,
                    },
                    metadata("offer-hold", id),
                )
                .await
                .map_err(EngineError::from);
            match held {
                Ok(_) => {}
                Err(e) if is_final(&e) => {
                    // Taken meanwhile: look again with the inventory as it is now.
                    tracing::debug!(booking_id = %id, error = ?e, "offer hold refused");
                    inventory = self.inventory(inventory_id).await?;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let expires = found.offer.offer_expires_at;
            let offered = self
                .state
                .commands
                .bookings
                .execute(
                    &id.to_string(),
                    BookingCommand::OfferSlot(found.offer),
                    metadata("offer", id),
                )
                .await
                .map_err(EngineError::from);
            match offered {
                Ok(_) => {
                    tracing::info!(booking_id = %id, %expires, "waitlist offer made");
                }
                Err(e) if is_final(&e) => {
                    // The booking moved on (cancelled meanwhile): give the units back.
                    tracing::info!(booking_id = %id, error = ?e, "offer refused; releasing");
                    let released = self
                        .state
                        .commands
                        .inventories
                        .execute(
                            &inventory_id.to_string(),
                            InventoryCommand::ReleaseHold {
                                booking_id: id,
                                reason: ReleaseReason::Failed,
                            },
                            metadata("offer-release", id),
                        )
                        .await
                        .map_err(EngineError::from);
                    if let Err(e) = released
                        && !is_final(&e)
                    {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
            inventory = self.inventory(inventory_id).await?;
        }
        Ok(())
    }

    /// The earliest request of the waiting booking that the policy accepts now and the
    /// inventory can hold.
    fn find(
        &self,
        listing: &ListingState,
        inventory: &Inventory,
        booking: &Booking,
    ) -> Option<Found> {
        let wanted = booking.wanted()?;
        let slot_count = booking.slot_count()?;
        let party_size = policy::PartySize::parse(booking.party_size().get()).ok()?;
        let quantity = booking.quantity();
        let now = self.state.services.clock.now();
        let candidates = listing.policy.waitlist_requests(
            wanted,
            booking.wanted_time(),
            slot_count,
            MAX_CANDIDATES,
        );
        for slots in candidates {
            let Ok(resolved) = listing.evaluate_booking(
                &BookingRequest {
                    slots,
                    party_size,
                    guest_active_bookings: 0,
                },
                now,
            ) else {
                continue;
            };
            let mut hold_slots = resolved.slots.clone();
            hold_slots.extend(
                resolved
                    .blocked
                    .iter()
                    .filter(|s| inventory.slots().contains_key(s)),
            );
            let fits = hold_slots.iter().all(|s| {
                inventory
                    .slots()
                    .get(s)
                    .is_some_and(|state| !state.closed && state.remaining() >= quantity.get())
            });
            if !fits {
                continue;
            }
            let Ok((lines, _)) = priced_lines(inventory, &resolved.slots, quantity) else {
                continue;
            };
            let Some(offer_expires_at) = listing.policy.offer_expires_at(now, resolved.starts_at)
            else {
                continue;
            };
            return Some(Found {
                hold_slots,
                offer: OfferSlot {
                    slots: resolved.slots,
                    lines,
                    starts_at: resolved.starts_at,
                    ends_at: resolved.ends_at,
                    cancellation: resolved.cancellation,
                    offer_expires_at,
                },
            });
        }
        None
    }
}
