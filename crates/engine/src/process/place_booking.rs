//! Placing a booking step by step, with compensation: the process the one-commit placement
//! ([`super::one_commit`]) falls back to for a booking an earlier version left `Requested`
//! half-way, and which answers a repeat from the booking's state. It also holds the policy
//! check, the pricing and the booking id every placement uses.
//!
//! 1. Load the listing from the event store (state, policy, tenant); it must be published.
//!    Its business must not be suspended (`INVALID_STATE`).
//! 2. Load the inventory (it must be the listing's) for prices.
//! 3. If the policy caps a guest's active bookings, count them in the `bookings` read model.
//!    **Eventually consistent**: two concurrent requests of one guest may both pass the cap
//!    (the read model lags the log by milliseconds). The cap is a business courtesy rule, not a
//!    capacity invariant; capacity is never read from a read model.
//! 4. `ListingState::evaluate_booking(request, now)`: `POLICY_VIOLATION` with the rule.
//! 5. Price the slots (`Inventory::price_lines`).
//! 6. `RequestBooking` on the booking id derived from the idempotency key ([`booking_id_for`]).
//! 7. `PlaceHold` on the inventory: the authoritative capacity check (`SOLD_OUT`,
//!    `SLOT_UNAVAILABLE`). A refusal rejects the booking.
//! 8. With a coupon: `RedeemCoupon` (claiming one first if the guest holds no unused claim) and
//!    `ApplyCoupon`.
//! 9. `MarkHeld` with the policy's hold expiry (the hold's own expiry on a resumed request).
//!
//! **Compensation**: a typed failure after step 7 releases the hold (`ReleaseHold { Failed }`),
//! restores a redeemed coupon, and rejects the booking with the failing step's reason; the
//! caller gets that step's typed error. Transient failures (`CONFLICT`, `UNAVAILABLE`) leave
//! the booking `Requested` so that a retry with the same key resumes it (every step is
//! idempotent by booking id).
//!
//! **Idempotency**: the booking id is a hash of the guest and the idempotency key, so a retry
//! finds the same booking: a finished one is answered from its state (nothing appended), a
//! `Requested` one is resumed.

use chrono::{DateTime, Utc};
use holdfast_domain::booking::{
    Booking, BookingCommand, BookingStatus, Label, PartySize, PricedLine, Quantity,
    RejectionReason, RequestBooking, Totals,
};
use holdfast_domain::common::{BookingId, CampaignId, GuestId, InventoryId, ListingId, Money};
use holdfast_domain::coupon::{CouponCampaign, CouponCommand, CouponError};
use holdfast_domain::inventory::{Inventory, InventoryCommand, ReleaseReason};
use holdfast_domain::listing::{Listing, ListingState};
use holdfast_domain::policy::{self, BookingRequest, RequestedSlots};
use holdfast_eventstore::Position;
use holdfast_projections::models::bookings::bookings_by_guest;
use holdfast_projections::store::Table;

use super::{current, last_position, latest, metadata};
use crate::Engine;
use crate::consistency;
use crate::error::{EngineError, ErrorCode};
use crate::ids::derived_ulid;

/// The booking id of a guest's request with an idempotency key: 128 bits of
/// SHA-256(guest, key). Deterministic, so a retry finds the booking its first attempt made;
/// not time-ordered, and not guessable without the key.
pub fn booking_id_for(guest: GuestId, idempotency_key: &str) -> BookingId {
    BookingId(derived_ulid(&[
        b"holdfast/booking/v1\0",
        guest.to_string().as_bytes(),
        b"\0",
        idempotency_key.as_bytes(),
    ]))
}

/// What a guest asks for, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceBookingRequest {
    /// Who books.
    pub guest: GuestId,
    /// What.
    pub listing_id: ListingId,
    /// On which capacity calendar.
    pub inventory_id: InventoryId,
    /// Which slots.
    pub slots: RequestedSlots,
    /// How many guests.
    pub party_size: PartySize,
    /// Units per slot.
    pub quantity: Quantity,
    /// A coupon campaign to redeem, if any.
    pub coupon: Option<CampaignId>,
    /// Points of the business's programme to pay part of it with, if any (one point is one
    /// minor unit; after the coupon; never more than the total or the balance).
    pub points: Option<u64>,
    /// Spend the platform-wide programme's points instead of the business's.
    pub points_from_platform: bool,
    /// The request's idempotency key (the booking id derives from it).
    pub idempotency_key: String,
    /// The caller's idempotency scope (recorded in command metadata).
    pub scope: String,
}

/// A placed booking.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlacedBooking {
    /// The booking.
    pub booking_id: BookingId,
    /// Its status (`Held` for a new placement; a replay reports the current status).
    pub status: BookingStatus,
    /// When the hold runs out.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Subtotal, discount, total.
    pub totals: Option<Totals>,
    /// The log position of the last command (a consistency token).
    pub position: Option<Position>,
}

/// The placement service.
pub struct PlaceBooking<'a> {
    state: &'a Engine,
}

pub(super) struct Placement {
    booking_id: BookingId,
    listing: ListingState,
    inventory: Inventory,
    resolved: policy::ResolvedBooking,
    lines: Vec<PricedLine>,
    subtotal: Money,
}

impl Placement {
    /// When the hold runs out: the policy's expiry, or the hold's own on a resumed request.
    pub(super) fn hold_expires_at(&self) -> DateTime<Utc> {
        self.inventory
            .holds()
            .get(&self.booking_id)
            .map_or(self.resolved.hold_expires_at, |h| h.expires_at)
    }

    /// The slots the hold takes: the booking's, and the blocked ones around them that the
    /// inventory has.
    pub(super) fn hold_slots(&self) -> Vec<holdfast_domain::common::Slot> {
        let mut slots = self.resolved.slots.clone();
        slots.extend(
            self.resolved
                .blocked
                .iter()
                .filter(|s| self.inventory.slots().contains_key(s)),
        );
        slots
    }

    /// The booking.
    pub(super) fn booking_id(&self) -> BookingId {
        self.booking_id
    }

    /// The listing's business.
    pub(super) fn tenant_id(&self) -> holdfast_domain::common::TenantId {
        self.listing.tenant_id
    }

    /// The totals before any coupon.
    pub(super) fn totals(&self) -> Totals {
        Totals {
            subtotal: self.subtotal,
            discount: Money::zero(self.subtotal.currency),
            total: self.subtotal,
        }
    }

    /// The inventory's `PlaceHold` for the booking.
    pub(super) fn hold_command(&self, request: &PlaceBookingRequest) -> InventoryCommand {
        InventoryCommand::PlaceHold {
            booking_id: self.booking_id,
            slots: self.hold_slots(),
            quantity: request.quantity.get(),
            expires_at: self.hold_expires_at(),
        }
    }

    /// The booking's `RequestBooking`.
    pub(super) fn request_command(&self, request: &PlaceBookingRequest) -> RequestBooking {
        RequestBooking {
            booking_id: self.booking_id,
            tenant_id: self.listing.tenant_id,
            listing_id: request.listing_id,
            inventory_id: request.inventory_id,
            guest_id: request.guest,
            party_size: request.party_size,
            quantity: request.quantity,
            slots: self.resolved.slots.clone(),
            lines: self.lines.clone(),
            starts_at: self.resolved.starts_at,
            ends_at: self.resolved.ends_at,
            cancellation: self.resolved.cancellation.clone(),
        }
    }
}

impl<'a> PlaceBooking<'a> {
    /// The service on the application's stores, dispatchers and clock.
    pub fn new(state: &'a Engine) -> Self {
        Self { state }
    }

    pub(super) fn engine(&self) -> &'a Engine {
        self.state
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.services.clock.now()
    }

    /// Runs the process (see the module docs).
    #[tracing::instrument(skip_all, fields(guest = %request.guest, listing = %request.listing_id))]
    pub async fn place(&self, request: &PlaceBookingRequest) -> Result<PlacedBooking, EngineError> {
        let booking_id = booking_id_for(request.guest, &request.idempotency_key);
        let existing: Booking = current(self.state, &booking_id.to_string()).await?;
        match existing.status() {
            None | Some(BookingStatus::Requested) => {}
            Some(BookingStatus::Rejected) => return Err(rejection_error(&existing)),
            Some(_) => {
                let position =
                    last_position::<Booking>(&self.state.store, &booking_id.to_string()).await?;
                return Ok(placed_from(&existing, booking_id, position));
            }
        }
        let placement = self.prepare(request, booking_id).await?;
        let mut position = self.request_booking(request, &placement).await?;

        let hold_expires_at = placement.hold_expires_at();
        let held = self
            .state
            .commands
            .inventories
            .execute(
                &request.inventory_id.to_string(),
                placement.hold_command(request),
                self.metadata(request),
            )
            .await
            .map_err(EngineError::from);
        match held {
            Ok(c) => position = latest(position, c.position),
            Err(e) => {
                if crate::idempotency::is_final(&e) {
                    self.reject(request, booking_id, &e).await;
                }
                return Err(e);
            }
        }

        let mut totals = placement.totals();
        let mut redeemed = None;
        let after_hold = async {
            if let Some(campaign_id) = request.coupon {
                let (p, discount) =
                    Box::pin(self.redeem(request, &placement, campaign_id, &mut redeemed)).await?;
                position = latest(position, p);
                totals.discount = discount;
                totals.total = placement
                    .subtotal
                    .checked_sub(&discount)
                    .map_err(EngineError::internal)?;
            }
            let c = self
                .state
                .commands
                .bookings
                .execute(
                    &booking_id.to_string(),
                    BookingCommand::MarkHeld { hold_expires_at },
                    self.metadata(request),
                )
                .await?;
            Ok::<_, EngineError>(latest(position, c.position))
        }
        .await;
        match after_hold {
            Ok(position) => Ok(PlacedBooking {
                booking_id,
                status: BookingStatus::Held,
                hold_expires_at: Some(hold_expires_at),
                totals: Some(totals),
                position,
            }),
            Err(e) => {
                if crate::idempotency::is_final(&e) {
                    self.compensate(request, booking_id, redeemed, &e).await;
                }
                Err(e)
            }
        }
    }

    fn metadata(&self, request: &PlaceBookingRequest) -> std::collections::HashMap<String, String> {
        metadata(&request.scope, &request.idempotency_key)
    }

    /// Reads what the placement needs and applies the listing's policy. The listing and the
    /// inventory are read through their dispatchers' caches, fresh within
    /// [`super::READ_FRESHNESS`]: prices and policy may lag another node's change by that much;
    /// capacity never does (the hold is decided on the inventory as it commits).
    pub(super) async fn prepare(
        &self,
        request: &PlaceBookingRequest,
        booking_id: BookingId,
    ) -> Result<Placement, EngineError> {
        let listing: Listing = super::recent(self.state, &request.listing_id.to_string()).await?;
        let listing = listing
            .state()
            .filter(|l| l.status.is_bookable())
            .cloned()
            .ok_or_else(|| EngineError::not_found("listing"))?;
        super::ensure_taking_bookings(self.state, listing.tenant_id).await?;
        let inventory: Inventory =
            super::recent(self.state, &request.inventory_id.to_string()).await?;
        match inventory.definition() {
            None => return Err(EngineError::not_found("inventory")),
            Some(def) if def.listing_id != request.listing_id => {
                return Err(EngineError::invalid(
                    "inventoryId: the inventory does not belong to this listing",
                ));
            }
            Some(_) => {}
        }
        let now = self.now();
        let guest_active_bookings = match listing.policy.rules().per_guest_active_cap {
            Some(_) => self.active_bookings(request, booking_id, now).await?,
            None => 0,
        };
        let party_size = policy::PartySize::parse(request.party_size.get())?;
        let resolved = listing.evaluate_booking(
            &BookingRequest {
                slots: request.slots.clone(),
                party_size,
                guest_active_bookings,
            },
            now,
        )?;
        let (lines, subtotal) = priced_lines(&inventory, &resolved.slots, request.quantity)?;
        Ok(Placement {
            booking_id,
            listing,
            inventory,
            resolved,
            lines,
            subtotal,
        })
    }

    /// The guest's active bookings on the listing, from the read model (see the module docs).
    async fn active_bookings(
        &self,
        request: &PlaceBookingRequest,
        booking_id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<u32, EngineError> {
        let table = consistency::current(self.state, Table::Bookings).await?;
        let store = self.state.read_side.store();
        let mut after = None;
        let mut count = 0u32;
        loop {
            let page = bookings_by_guest(
                store.as_ref(),
                table,
                &request.guest.to_string(),
                holdfast_projections::models::bookings::MAX_PAGE,
                after.as_deref(),
            )
            .await
            .map_err(EngineError::internal)?;
            let matching = page
                .items
                .iter()
                .filter(|b| {
                    b.listing_id == request.listing_id.to_string()
                        && b.booking_id != booking_id.to_string()
                        && matches!(
                            b.status,
                            BookingStatus::Requested
                                | BookingStatus::Held
                                | BookingStatus::Confirmed
                        )
                        && b.ends_at.is_none_or(|end| end > now)
                })
                .count();
            count = count.saturating_add(u32::try_from(matching).unwrap_or(u32::MAX));
            match page.end_cursor {
                Some(cursor) if page.has_next_page => after = Some(cursor),
                _ => return Ok(count),
            }
        }
    }

    async fn request_booking(
        &self,
        request: &PlaceBookingRequest,
        placement: &Placement,
    ) -> Result<Option<Position>, EngineError> {
        let command = placement.request_command(request);
        let committed = self
            .state
            .commands
            .bookings
            .execute(
                &placement.booking_id.to_string(),
                BookingCommand::RequestBooking(command),
                self.metadata(request),
            )
            .await?;
        Ok(committed.position)
    }

    /// Redeems the coupon (claiming one first when the guest has no unused claim) and applies
    /// it to the booking. `redeemed` is set once the campaign recorded the redemption.
    async fn redeem(
        &self,
        request: &PlaceBookingRequest,
        placement: &Placement,
        campaign_id: CampaignId,
        redeemed: &mut Option<CampaignId>,
    ) -> Result<(Option<Position>, Money), EngineError> {
        let id = campaign_id.to_string();
        let campaign: CouponCampaign = current(self.state, &id).await?;
        let Some(terms) = campaign.campaign() else {
            return Err(EngineError::from(CouponError::NotCreated));
        };
        if terms.tenant_id != placement.listing.tenant_id {
            return Err(EngineError::from(CouponError::NotApplicableToListing {
                listing_id: request.listing_id,
            }));
        }
        let code = Label::parse(terms.terms.code.as_str()).map_err(EngineError::internal)?;
        let coupons = &self.state.commands.coupons;
        let redeem = CouponCommand::RedeemCoupon {
            guest_id: request.guest,
            booking_id: placement.booking_id,
            listing_id: request.listing_id,
            subtotal: placement.subtotal,
        };
        let mut position = None;
        let committed = match coupons
            .execute(&id, redeem.clone(), self.metadata(request))
            .await
        {
            Err(crate::dispatch::DispatchError::Rejected(CouponError::NoUnusedClaim {
                ..
            })) => {
                let claimed = coupons
                    .execute(
                        &id,
                        CouponCommand::ClaimCoupon {
                            guest_id: request.guest,
                        },
                        self.metadata(request),
                    )
                    .await?;
                position = claimed.position;
                coupons.execute(&id, redeem, self.metadata(request)).await?
            }
            other => other?,
        };
        *redeemed = Some(campaign_id);
        position = latest(position, committed.position);
        let campaign: CouponCampaign = current(self.state, &id).await?;
        let discount = campaign
            .redemptions()
            .get(&placement.booking_id)
            .map(|r| r.discount)
            .ok_or_else(|| EngineError::internal("redemption missing right after redeeming"))?;
        let applied = self
            .state
            .commands
            .bookings
            .execute(
                &placement.booking_id.to_string(),
                BookingCommand::ApplyCoupon {
                    campaign_id,
                    code,
                    discount,
                },
                self.metadata(request),
            )
            .await?;
        Ok((latest(position, applied.position), discount))
    }

    /// Undoes what was taken after the hold, then rejects the booking. Best effort: failures are
    /// logged (a booking left `Requested` or a hold left in place is released by its expiry).
    async fn compensate(
        &self,
        request: &PlaceBookingRequest,
        booking_id: BookingId,
        redeemed: Option<CampaignId>,
        cause: &EngineError,
    ) {
        let released = self
            .state
            .commands
            .inventories
            .execute(
                &request.inventory_id.to_string(),
                InventoryCommand::ReleaseHold {
                    booking_id,
                    reason: ReleaseReason::Failed,
                },
                self.metadata(request),
            )
            .await;
        if let Err(e) = released {
            tracing::error!(%booking_id, error = %e, "compensation: could not release the hold");
        }
        if let Some(campaign_id) = redeemed {
            let restored = self
                .state
                .commands
                .coupons
                .execute(
                    &campaign_id.to_string(),
                    CouponCommand::UndoRedemption { booking_id },
                    self.metadata(request),
                )
                .await;
            if let Err(e) = restored {
                tracing::warn!(%booking_id, error = %e, "compensation: coupon not restored");
            }
        }
        self.reject(request, booking_id, cause).await;
    }

    async fn reject(
        &self,
        request: &PlaceBookingRequest,
        booking_id: BookingId,
        cause: &EngineError,
    ) {
        let rejected = self
            .state
            .commands
            .bookings
            .execute(
                &booking_id.to_string(),
                BookingCommand::RejectBooking {
                    reason: rejection_reason(cause),
                },
                self.metadata(request),
            )
            .await;
        if let Err(e) = rejected {
            tracing::error!(%booking_id, error = %e, "compensation: could not reject the booking");
        }
    }
}

/// The priced lines of `slots` on `inventory` and their subtotal.
pub(crate) fn priced_lines(
    inventory: &Inventory,
    slots: &[holdfast_domain::common::Slot],
    quantity: Quantity,
) -> Result<(Vec<PricedLine>, Money), EngineError> {
    let priced = inventory.price_lines(slots, quantity.get())?;
    let currency = inventory
        .definition()
        .map(|d| d.currency)
        .ok_or_else(|| EngineError::not_found("inventory"))?;
    let mut subtotal = Money::zero(currency);
    let mut lines = Vec::with_capacity(priced.len());
    for (slot, amount) in priced {
        let unit = amount.amount_minor / i64::from(quantity.get());
        subtotal = subtotal
            .checked_add(&amount)
            .map_err(EngineError::internal)?;
        lines.push(PricedLine {
            slot,
            unit_price: Money::new(unit, currency),
            quantity,
            amount,
        });
    }
    Ok((lines, subtotal))
}

/// The rejection recorded for a failed step.
pub(super) fn rejection_reason(cause: &EngineError) -> RejectionReason {
    match cause.code {
        ErrorCode::SoldOut => RejectionReason::SoldOut,
        ErrorCode::SlotUnavailable => RejectionReason::SlotClosed,
        ErrorCode::CouponRejected => RejectionReason::CouponRejected,
        ErrorCode::PaymentRejected => RejectionReason::PaymentFailed,
        // Rule names and codes are short ASCII identifiers, always valid labels.
        _ => Label::parse(cause.rule.as_deref().unwrap_or(cause.code.as_str()))
            .map_or(RejectionReason::SlotClosed, |rule| {
                RejectionReason::PolicyViolation { rule }
            }),
    }
}

/// The typed error of a rejected booking (a retried request gets what the first one got).
fn rejection_error(booking: &Booking) -> EngineError {
    let message = "this booking request was rejected";
    match booking.rejection() {
        Some(RejectionReason::SoldOut) => EngineError::new(ErrorCode::SoldOut, message),
        Some(RejectionReason::SlotClosed) => EngineError::new(ErrorCode::SlotUnavailable, message),
        Some(RejectionReason::CouponRejected) => {
            EngineError::new(ErrorCode::CouponRejected, message)
        }
        Some(RejectionReason::PaymentFailed) => {
            EngineError::new(ErrorCode::PaymentRejected, message)
        }
        Some(RejectionReason::Abandoned) => EngineError::new(
            ErrorCode::InvalidState,
            "this booking request stopped half-way and its hold ran out; place it again with a new key",
        ),
        Some(RejectionReason::PolicyViolation { rule }) => EngineError {
            code: ErrorCode::PolicyViolation,
            message: message.to_owned(),
            rule: Some(rule.as_str().to_owned()),
        },
        None => EngineError::new(ErrorCode::InvalidState, message),
    }
}

fn placed_from(
    booking: &Booking,
    booking_id: BookingId,
    position: Option<Position>,
) -> PlacedBooking {
    PlacedBooking {
        booking_id,
        status: booking.status().unwrap_or(BookingStatus::Requested),
        hold_expires_at: booking.hold_expires_at(),
        totals: booking.totals(),
        position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id a key gives is stored with the booking: it must never change across versions,
    /// or a retry after an upgrade would place a second booking.
    #[test]
    fn the_booking_id_of_a_key_is_pinned() {
        let guest = GuestId::parse("01J00000000000000000000000").unwrap();
        assert_eq!(
            booking_id_for(guest, "key-1").to_string(),
            "4T5X8ER7GEHR221AKHJ3S703XB"
        );
    }
}
