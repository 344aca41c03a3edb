//! The multi-aggregate steps of a booking's life after placement. Each sends the booking its
//! command first (the booking is the record of what the guest was promised), then brings the
//! inventory and the coupon campaign in line; every step is idempotent by booking id, so a
//! retry repeats nothing.
//!
//! - [`BookingSteps::confirm_payment`]: `ConfirmPayment`, then — if the booking is now
//!   `Confirmed` — `ConfirmHold` (hold → allocation). If the hold is gone (released meanwhile),
//!   the booking is cancelled by the system (`ProcessFailed`, refund owed) and the inventory's
//!   typed error is returned.
//! - [`BookingSteps::cancel`]: `CancelBooking`, then the hold (`ReleaseHold { Cancelled }`) or
//!   the allocation (`ReleaseAllocation`) is given back, and a redeemed coupon restored when
//!   the campaign allows it.
//! - [`BookingSteps::accept_offer`]: `AcceptOffer` on the units the worker held for the offer
//!   (or `PlaceHold` first, the capacity check, for an offer made without a hold); a refused
//!   acceptance releases the hold, so the units pass to the next guest in line.

use std::collections::HashMap;

use holdfast_domain::booking::{
    Booking, BookingCommand, BookingStatus, CancellationReason, CancelledBy, Label,
};
use holdfast_domain::common::{BookingId, Money};
use holdfast_domain::coupon::CouponCommand;
use holdfast_domain::inventory::{Inventory, InventoryCommand, ReleaseReason};
use holdfast_domain::listing::Listing;
use holdfast_eventstore::Position;

use super::{current, latest};
use crate::Engine;
use crate::error::EngineError;

/// The result of a step: the booking afterwards and the last position written.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StepResult {
    /// The booking after the step.
    pub booking: Booking,
    /// The last log position the step wrote (a consistency token).
    pub position: Option<Position>,
}

/// A payment as the provider reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentReport {
    /// Who took it.
    pub provider: Label,
    /// The provider's reference.
    pub reference: Label,
    /// The amount.
    pub amount: Money,
    /// When it was paid.
    pub paid_at: chrono::DateTime<chrono::Utc>,
}

/// The booking steps, for one caller's request.
pub struct BookingSteps<'a> {
    state: &'a Engine,
    metadata: HashMap<String, String>,
}

impl<'a> BookingSteps<'a> {
    /// Steps on `state`, recording `metadata` with every command.
    pub fn new(state: &'a Engine, metadata: HashMap<String, String>) -> Self {
        Self { state, metadata }
    }

    pub(super) fn engine(&self) -> &'a Engine {
        self.state
    }

    pub(super) fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    async fn booking(&self, id: BookingId) -> Result<Booking, EngineError> {
        let booking: Booking = current(self.state, &id.to_string()).await?;
        if booking.status().is_none() {
            return Err(EngineError::not_found("booking"));
        }
        Ok(booking)
    }

    async fn on_booking(
        &self,
        id: BookingId,
        command: BookingCommand,
    ) -> Result<Option<Position>, EngineError> {
        Ok(self
            .state
            .commands
            .bookings
            .execute(&id.to_string(), command, self.metadata.clone())
            .await?
            .position)
    }

    async fn on_inventory(
        &self,
        booking: &Booking,
        command: InventoryCommand,
    ) -> Result<Option<Position>, EngineError> {
        Ok(self
            .state
            .commands
            .inventories
            .execute(
                &booking.keys().inventory_id.to_string(),
                command,
                self.metadata.clone(),
            )
            .await?
            .position)
    }

    /// Records a payment; confirms the allocation when it confirmed the booking.
    pub async fn confirm_payment(
        &self,
        id: BookingId,
        payment: PaymentReport,
    ) -> Result<StepResult, EngineError> {
        let mut position = self
            .on_booking(
                id,
                BookingCommand::ConfirmPayment {
                    provider: payment.provider,
                    reference: payment.reference,
                    amount: payment.amount,
                    paid_at: payment.paid_at,
                },
            )
            .await?;
        let booking = self.booking(id).await?;
        if booking.status() == Some(BookingStatus::Confirmed) {
            match self
                .on_inventory(&booking, InventoryCommand::ConfirmHold { booking_id: id })
                .await
            {
                Ok(p) => position = latest(position, p),
                Err(e) if crate::idempotency::is_final(&e) => {
                    tracing::error!(booking_id = %id, error = ?e, "paid, but the hold is gone");
                    self.on_booking(
                        id,
                        BookingCommand::CancelBooking {
                            by: CancelledBy::System,
                            reason: CancellationReason::ProcessFailed,
                        },
                    )
                    .await?;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(StepResult {
            booking: self.booking(id).await?,
            position,
        })
    }

    /// Cancels the booking and gives back what it held.
    pub async fn cancel(
        &self,
        id: BookingId,
        by: CancelledBy,
        reason: CancellationReason,
    ) -> Result<StepResult, EngineError> {
        let before = self.booking(id).await?;
        let mut position = self
            .on_booking(id, BookingCommand::CancelBooking { by, reason })
            .await?;
        // A booking already cancelled (a retry after the first attempt stopped between its
        // steps) is finished from the status it was cancelled from.
        let from = match before.status() {
            Some(BookingStatus::Cancelled) => before.cancellation().map(|c| c.from),
            status => status,
        };
        let release = match from {
            Some(BookingStatus::Confirmed) => {
                Some(InventoryCommand::ReleaseAllocation { booking_id: id })
            }
            Some(BookingStatus::Held | BookingStatus::Requested) => {
                Some(InventoryCommand::ReleaseHold {
                    booking_id: id,
                    reason: ReleaseReason::Cancelled,
                })
            }
            _ => None,
        };
        if let Some(command) = release {
            match self.on_inventory(&before, command).await {
                Ok(p) => position = latest(position, p),
                // A Requested booking may have no hold; an expired hold, or the release of a
                // first attempt, is already done.
                Err(e) if crate::idempotency::is_final(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(coupon) = before.coupon() {
            // A booking cancelled before it was paid never used its coupon: it comes back
            // whatever the campaign says; after payment, the campaign's rule decides.
            let command = if from == Some(BookingStatus::Confirmed) {
                CouponCommand::RestoreCoupon { booking_id: id }
            } else {
                CouponCommand::UndoRedemption { booking_id: id }
            };
            let restored = self
                .state
                .commands
                .coupons
                .execute(
                    &coupon.campaign_id.to_string(),
                    command,
                    self.metadata.clone(),
                )
                .await;
            match restored.map_err(EngineError::from) {
                Ok(c) => position = latest(position, c.position),
                // The campaign does not give coupons back on cancellation, or it was given
                // back already: nothing to do.
                Err(e) if crate::idempotency::is_final(&e) => {}
                Err(e) => return Err(e),
            }
        }
        // Points spent come back at once (their refund share); the worker does it otherwise.
        let after = self.booking(id).await?;
        if let Some(p) = crate::points::restore(self.state, &after, self.metadata.clone()).await? {
            position = latest(position, Some(p));
        }
        Ok(StepResult {
            booking: after,
            position,
        })
    }

    /// What accepting `booking`'s offer needs: when its hold expires (the listing's policy from
    /// now), and whether the inventory holds its units already. The worker holds the units
    /// when it makes the offer; an offer made without a hold (before offers held) gets its
    /// hold when accepted, which is the capacity check.
    pub(crate) async fn offer_terms(
        &self,
        booking: &Booking,
    ) -> Result<(chrono::DateTime<chrono::Utc>, bool), EngineError> {
        let listing: Listing = current(self.state, &booking.keys().listing_id.to_string()).await?;
        let listing = listing
            .state()
            .ok_or_else(|| EngineError::not_found("listing"))?;
        let now = self.state.services.clock.now();
        let inventory: Inventory =
            current(self.state, &booking.keys().inventory_id.to_string()).await?;
        Ok((
            listing.policy.hold_expires_at(now),
            inventory.holds().contains_key(&booking.keys().booking_id),
        ))
    }

    /// Accepts a waitlist offer: holds the offered slots, then moves the booking to `Held`.
    pub async fn accept_offer(&self, id: BookingId) -> Result<StepResult, EngineError> {
        let booking = self.booking(id).await?;
        if booking.status() == Some(BookingStatus::Held) {
            // Already accepted: a repeat.
            return Ok(StepResult {
                position: super::last_position::<Booking>(&self.state.store, &id.to_string())
                    .await?,
                booking,
            });
        }
        let (hold_expires_at, held) = self.offer_terms(&booking).await?;
        let mut position = None;
        if !held {
            position = self
                .on_inventory(
                    &booking,
                    InventoryCommand::PlaceHold {
                        booking_id: id,
                        slots: booking.slots().to_vec(),
                        quantity: booking.quantity().get(),
                        expires_at: hold_expires_at,
                    },
                )
                .await?;
        }
        match self
            .on_booking(id, BookingCommand::AcceptOffer { hold_expires_at })
            .await
        {
            Ok(p) => position = latest(position, p),
            Err(e) => {
                if crate::idempotency::is_final(&e) {
                    let released = self
                        .on_inventory(
                            &booking,
                            InventoryCommand::ReleaseHold {
                                booking_id: id,
                                reason: ReleaseReason::Failed,
                            },
                        )
                        .await;
                    if let Err(release) = released {
                        tracing::error!(booking_id = %id, error = ?release, "could not release");
                    }
                }
                return Err(e);
            }
        }
        Ok(StepResult {
            booking: self.booking(id).await?,
            position,
        })
    }
}
