//! Booking mutations: guests place, cancel, wait and answer offers on their own bookings;
//! operators of the booking's tenant confirm payments, cancel, check in and mark no-shows.
//! Acting on someone else's booking is `FORBIDDEN`; an unknown booking is `NOT_FOUND`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use holdfast_domain::booking::{
    Booking, BookingCommand, BookingStatus, CancellationReason, CancelledBy, JoinWaitlist, Totals,
};
use holdfast_domain::common::BookingId;
use holdfast_domain::listing::Listing;
use holdfast_eventstore::Position;
use serde::{Deserialize, Serialize};

use super::{Caller, claim, once_on};
use crate::error::ApiError;
use crate::schema::inputs::booking::{
    BookingRefInput, CancelBookingInput, ConfirmPaymentInput, JoinWaitlistInput, MarkNoShowInput,
    PlaceBookingInput,
};
use holdfast_engine::Principal;
use holdfast_engine::consistency;
use holdfast_engine::process::lifecycle::{BookingSteps, StepResult};
use holdfast_engine::process::{PlaceBooking, PlaceBookingRequest, PlacedBooking, current};

/// What a booking costs (one currency).
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct BookingTotalsPayload {
    /// ISO 4217 currency of every amount.
    pub currency: String,
    /// Sum of the lines, minor units.
    pub subtotal_minor: i64,
    /// The coupon's discount, minor units.
    pub discount_minor: i64,
    /// What the guest pays, minor units.
    pub total_minor: i64,
}

impl From<Totals> for BookingTotalsPayload {
    fn from(t: Totals) -> Self {
        Self {
            currency: t.total.currency.to_string(),
            subtotal_minor: t.subtotal.amount_minor,
            discount_minor: t.discount.amount_minor,
            total_minor: t.total.amount_minor,
        }
    }
}

/// What a booking mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct BookingPayload {
    /// The booking.
    pub booking_id: ID,
    /// Its status now.
    pub status: crate::schema::types::booking::BookingStatus,
    /// When its hold runs out, while held.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// What it costs, once priced.
    pub totals: Option<BookingTotalsPayload>,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

fn from_booking(booking: &Booking, position: Option<Position>) -> BookingPayload {
    BookingPayload {
        booking_id: ID(booking.keys().booking_id.to_string()),
        status: booking.status().unwrap_or(BookingStatus::Requested).into(),
        hold_expires_at: booking.hold_expires_at(),
        totals: booking.totals().map(Into::into),
        consistency_token: consistency::token(position),
    }
}

impl From<StepResult> for BookingPayload {
    fn from(r: StepResult) -> Self {
        from_booking(&r.booking, r.position)
    }
}

impl From<PlacedBooking> for BookingPayload {
    fn from(p: PlacedBooking) -> Self {
        Self {
            booking_id: ID(p.booking_id.to_string()),
            status: p.status.into(),
            hold_expires_at: p.hold_expires_at,
            totals: p.totals.map(Into::into),
            consistency_token: consistency::token(p.position),
        }
    }
}

/// Read through the booking dispatcher's cache as it is: who a booking belongs to never changes.
async fn existing(caller: &Caller<'_>, id: BookingId) -> Result<Booking, ApiError> {
    let cached = caller
        .state
        .commands
        .bookings
        .cached(&id.to_string())
        .await
        .ok()
        .map(|(booking, _)| booking)
        .filter(|b| b.status().is_some());
    let booking: Booking = match cached {
        Some(booking) => booking,
        None => current(caller.state, &id.to_string()).await?,
    };
    if booking.status().is_none() {
        return Err(ApiError::not_found("booking"));
    }
    Ok(booking)
}

/// The booking, if the caller operates its tenant.
async fn operated(caller: &Caller<'_>, id: BookingId) -> Result<Booking, ApiError> {
    let booking = existing(caller, id).await?;
    caller.authorize(booking.keys().tenant_id)?;
    Ok(booking)
}

/// The booking, if it is the caller's own (or the caller is an admin).
async fn own(caller: &Caller<'_>, id: BookingId) -> Result<Booking, ApiError> {
    let booking = existing(caller, id).await?;
    if !caller.principal.is_guest_or_admin(booking.keys().guest_id) {
        return Err(ApiError::forbidden());
    }
    Ok(booking)
}

/// Sends the command `check` gives (after its reads and checks) to booking `id`, once per
/// key, in one commit with the key's record.
async fn on_booking(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    id: BookingId,
    check: impl std::future::Future<Output = Result<BookingCommand, ApiError>>,
) -> Result<BookingPayload, ApiError> {
    let bookings = &caller.state.commands.bookings;
    once_on(ctx, caller, bookings, id.to_string(), check, |b| {
        Ok(from_booking(b, None))
    })
    .await
}

/// Booking mutations.
#[derive(Default)]
pub struct BookingMutation;

#[Object]
impl BookingMutation {
    /// Places a booking (guests): policy, hold, coupon; `HELD` until `holdExpiresAt`. Retrying
    /// with the same key returns the same booking.
    async fn place_booking(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: PlaceBookingInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest = caller.require_guest()?;
        let ask = input.parse()?;
        let request = PlaceBookingRequest {
            guest,
            listing_id: ask.listing_id,
            inventory_id: ask.inventory_id,
            slots: ask.slots,
            party_size: ask.party_size,
            quantity: ask.quantity,
            coupon: ask.coupon,
            points: ask.points,
            points_from_platform: ask.points_from_platform,
            idempotency_key: caller.key.as_str().to_owned(),
            scope: caller.scope.clone(),
        };
        let claim = claim(ctx, &caller)?;
        let placed = PlaceBooking::new(caller.state)
            .place_once(&request, &claim)
            .await
            .map_err(ApiError)?;
        Ok(BookingPayload::from(placed))
    }

    /// Records a payment (operators); a matching payment confirms the booking and allocates.
    async fn confirm_payment(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: ConfirmPaymentInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, payment) = input.parse(caller.now())?;
        let claim = claim(ctx, &caller)?;
        // Refused before anything runs, so nothing is recorded under the key: a retry by the
        // right operator runs.
        operated(&caller, id).await?;
        let step = BookingSteps::new(caller.state, caller.metadata())
            .confirm_payment_once(id, payment, &claim)
            .await
            .map_err(ApiError)?;
        Ok(BookingPayload::from(step))
    }

    /// Cancels a booking: the guest their own (`GUEST_REQUEST`), an operator of its tenant
    /// (with a reason). Gives the hold or allocation back and restores a redeemed coupon.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: CancelBookingInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let id = BookingRefInput {
            booking_id: input.booking_id.clone(),
        }
        .parse()?;
        let claim = claim(ctx, &caller)?;
        let booking = existing(&caller, id).await?;
        let (by, reason) = match caller.principal {
            Principal::Guest { guest } if *guest == booking.keys().guest_id => {
                (CancelledBy::Guest, CancellationReason::GuestRequest)
            }
            Principal::Operator { tenant, .. } if *tenant == booking.keys().tenant_id => (
                CancelledBy::Operator,
                input.reason.map_or(CancellationReason::Other, Into::into),
            ),
            Principal::Admin { .. } => (
                CancelledBy::Operator,
                input.reason.map_or(CancellationReason::Other, Into::into),
            ),
            _ => return Err(ApiError::forbidden().into()),
        };
        let step = BookingSteps::new(caller.state, caller.metadata())
            .cancel_once(id, by, reason, &claim)
            .await
            .map_err(ApiError)?;
        Ok(BookingPayload::from(step))
    }

    /// Checks a confirmed guest in (operators), from 12 h before the start until the end.
    async fn check_in(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: BookingRefInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = input.parse()?;
        let check = async {
            operated(&caller, id).await?;
            Ok(BookingCommand::CheckIn { opens_at: None })
        };
        Ok(on_booking(ctx, &caller, id, check).await?)
    }

    /// Marks a confirmed booking as a no-show (operators), once its start has passed. The share
    /// refunded is the input's, else the listing policy's no-show rule; the booking worker
    /// refunds it.
    async fn mark_no_show(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: MarkNoShowInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, refund_bp) = input.parse()?;
        let check = async {
            let booking = operated(&caller, id).await?;
            let no_show_refund_bp = match refund_bp {
                Some(bp) => bp,
                None => {
                    let listing: Listing =
                        current(caller.state, &booking.keys().listing_id.to_string()).await?;
                    listing
                        .state()
                        .map_or(0, |l| l.policy.rules().no_show_refund_bp)
                }
            };
            Ok(BookingCommand::MarkNoShow { no_show_refund_bp })
        };
        Ok(on_booking(ctx, &caller, id, check).await?)
    }

    /// Joins the waitlist of a published listing (guests).
    async fn join_waitlist(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: JoinWaitlistInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest_id = caller.require_guest()?;
        let ask = input.parse()?;
        let id = BookingId(caller.derived_id("waitlist"));
        let check = async {
            let listing: Listing = current(caller.state, &ask.listing_id.to_string()).await?;
            let listing = listing
                .state()
                .filter(|l| l.status.is_bookable())
                .ok_or_else(|| ApiError::not_found("listing"))?;
            holdfast_engine::process::ensure_taking_bookings(caller.state, listing.tenant_id)
                .await?;
            let join = JoinWaitlist {
                booking_id: id,
                tenant_id: listing.tenant_id,
                listing_id: ask.listing_id,
                inventory_id: ask.inventory_id,
                guest_id,
                party_size: ask.party_size,
                quantity: ask.quantity,
                wanted: ask.wanted,
                time: ask.time,
                slot_count: ask.slot_count,
            };
            Ok(BookingCommand::JoinWaitlist(join))
        };
        Ok(on_booking(ctx, &caller, id, check).await?)
    }

    /// Accepts a waitlist offer (the guest): holds the offered slots, then `HELD`.
    async fn accept_offer(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: BookingRefInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_guest()?;
        let id = input.parse()?;
        own(&caller, id).await?;
        let claim = claim(ctx, &caller)?;
        let step = BookingSteps::new(caller.state, caller.metadata())
            .accept_offer_once(id, &claim)
            .await
            .map_err(ApiError)?;
        Ok(BookingPayload::from(step))
    }

    /// Declines a waitlist offer (the guest): `CANCELLED`.
    async fn decline_offer(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: BookingRefInput,
    ) -> async_graphql::Result<BookingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_guest()?;
        let id = input.parse()?;
        let check = async {
            own(&caller, id).await?;
            Ok(BookingCommand::DeclineOffer)
        };
        Ok(on_booking(ctx, &caller, id, check).await?)
    }
}
