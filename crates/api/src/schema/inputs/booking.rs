//! Inputs of the booking mutations.

use async_graphql::{Enum, ID, InputObject};
use holdfast_domain::booking::{CancellationReason, Label, PartySize, Quantity};
use holdfast_domain::common::{BookingId, CampaignId, DateRange, InventoryId, ListingId};
use holdfast_domain::policy::RequestedSlots;

use super::money::MoneyInput;
use super::{
    field_error, parse_date, parse_id, parse_instant, parse_range, parse_slot, parse_time,
    parse_u32,
};
use crate::error::ApiError;
use holdfast_engine::process::lifecycle::PaymentReport;

/// A stay: arrival `from` to departure `to` (exclusive), `YYYY-MM-DD`.
#[derive(InputObject, Clone, Debug)]
pub struct StayInput {
    /// Arrival date.
    pub from: String,
    /// Departure date.
    pub to: String,
}

/// `count` consecutive time slots from `start`.
#[derive(InputObject, Clone, Debug)]
pub struct TimeSlotRequestInput {
    /// The first slot, `YYYY-MM-DDTHH:MM` (local).
    pub start: String,
    /// How many consecutive slots.
    #[graphql(default = 1)]
    pub count: i64,
}

/// A booking request. Give exactly one of `stay` (nights), `timeSlot` or `eventDate`.
#[derive(InputObject, Clone, Debug)]
pub struct PlaceBookingInput {
    /// The listing.
    pub listing_id: ID,
    /// Its inventory to hold on.
    pub inventory_id: ID,
    /// Nights.
    pub stay: Option<StayInput>,
    /// Time slots.
    pub time_slot: Option<TimeSlotRequestInput>,
    /// An event date (`YYYY-MM-DD`).
    pub event_date: Option<String>,
    /// How many guests (1..=10 000).
    pub party_size: i64,
    /// Units per slot (1..=10 000).
    #[graphql(default = 1)]
    pub quantity: i64,
    /// A coupon campaign to redeem (one of the guest's claims; claimed now if they hold none).
    pub coupon_campaign_id: Option<ID>,
    /// Points of the business's programme to pay part of it with (one point is one minor unit
    /// of its currency; after the coupon; at most the balance and what is left to pay).
    pub points: Option<i64>,
    /// Whose points: the business's programme (default) or the platform-wide one.
    #[graphql(default)]
    pub points_from: PointsFrom,
}

/// Whose programme points are spent from.
#[derive(async_graphql::Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PointsFrom {
    /// The listing's business's programme.
    #[default]
    Business,
    /// The platform-wide programme.
    Platform,
}

/// A parsed [`PlaceBookingInput`].
pub struct BookingAsk {
    /// The listing.
    pub listing_id: ListingId,
    /// The inventory.
    pub inventory_id: InventoryId,
    /// The slots.
    pub slots: RequestedSlots,
    /// Party.
    pub party_size: PartySize,
    /// Units.
    pub quantity: Quantity,
    /// Coupon campaign.
    pub coupon: Option<CampaignId>,
    /// Points to spend.
    pub points: Option<u64>,
    /// From the platform-wide programme.
    pub points_from_platform: bool,
}

fn party(field: &str, value: i64) -> Result<PartySize, ApiError> {
    PartySize::parse(value).map_err(|e| field_error(field, e))
}

fn quantity(field: &str, value: i64) -> Result<Quantity, ApiError> {
    Quantity::parse(value).map_err(|e| field_error(field, e))
}

impl PlaceBookingInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<BookingAsk, ApiError> {
        let slots = match (&self.stay, &self.time_slot, &self.event_date) {
            (Some(stay), None, None) => RequestedSlots::Stay {
                range: parse_range("input.stay", &stay.from, &stay.to)?,
            },
            (None, Some(t), None) => RequestedSlots::TimeSlots {
                first: parse_slot("input.timeSlot.start", &t.start)?,
                count: parse_u32("input.timeSlot.count", t.count, 1, 1_440)?,
            },
            (None, None, Some(date)) => RequestedSlots::Event {
                date: parse_date("input.eventDate", date)?,
            },
            _ => {
                return Err(ApiError::invalid(
                    "input: give exactly one of stay, timeSlot, eventDate",
                ));
            }
        };
        if let RequestedSlots::TimeSlots { first, .. } = &slots
            && first.time.is_none()
        {
            return Err(field_error(
                "input.timeSlot.start",
                "needs a time (YYYY-MM-DDTHH:MM)",
            ));
        }
        Ok(BookingAsk {
            listing_id: parse_id("input.listingId", &self.listing_id, ListingId::parse)?,
            inventory_id: parse_id("input.inventoryId", &self.inventory_id, InventoryId::parse)?,
            slots,
            party_size: party("input.partySize", self.party_size)?,
            quantity: quantity("input.quantity", self.quantity)?,
            coupon: self
                .coupon_campaign_id
                .as_ref()
                .map(|id| parse_id("input.couponCampaignId", id, CampaignId::parse))
                .transpose()?,
            points: self
                .points
                .map(|p| {
                    u64::try_from(p)
                        .ok()
                        .filter(|p| (1..=holdfast_domain::points::MAX_POINTS).contains(p))
                        .ok_or_else(|| field_error("input.points", "a positive number of points"))
                })
                .transpose()?,
            points_from_platform: self.points_from == PointsFrom::Platform,
        })
    }
}

/// A booking, by id.
#[derive(InputObject, Clone, Debug)]
pub struct BookingRefInput {
    /// The booking.
    pub booking_id: ID,
}

impl BookingRefInput {
    /// The id.
    pub fn parse(&self) -> Result<BookingId, ApiError> {
        parse_id("input.bookingId", &self.booking_id, BookingId::parse)
    }
}

/// A payment the provider confirmed.
#[derive(InputObject, Clone, Debug)]
pub struct ConfirmPaymentInput {
    /// The booking.
    pub booking_id: ID,
    /// Who took it (e.g. `stripe`).
    pub provider: String,
    /// The provider's reference (a repeat is a no-op).
    pub reference: String,
    /// The amount received.
    pub amount: MoneyInput,
    /// When it was paid (RFC 3339); default now.
    pub paid_at: Option<String>,
}

impl ConfirmPaymentInput {
    /// Validates every field; `now` fills `paidAt`.
    pub fn parse(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(BookingId, PaymentReport), ApiError> {
        let label = |field: &str, text: &str| Label::parse(text).map_err(|e| field_error(field, e));
        Ok((
            parse_id("input.bookingId", &self.booking_id, BookingId::parse)?,
            PaymentReport {
                provider: label("input.provider", &self.provider)?,
                reference: label("input.reference", &self.reference)?,
                amount: self.amount.parse("input.amount")?,
                paid_at: self
                    .paid_at
                    .as_deref()
                    .map(|t| parse_instant("input.paidAt", t))
                    .transpose()?
                    .unwrap_or(now),
            },
        ))
    }
}

/// Why a booking is cancelled.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CancellationReasonInput {
    /// The guest asked.
    GuestRequest,
    /// A duplicate of another booking.
    Duplicate,
    /// The listing or slot can no longer be served.
    ListingUnavailable,
    /// The guest abandoned payment.
    PaymentAbandoned,
    /// Suspected fraud.
    Fraud,
    /// Anything else.
    Other,
}

impl From<CancellationReasonInput> for CancellationReason {
    fn from(r: CancellationReasonInput) -> Self {
        match r {
            CancellationReasonInput::GuestRequest => CancellationReason::GuestRequest,
            CancellationReasonInput::Duplicate => CancellationReason::Duplicate,
            CancellationReasonInput::ListingUnavailable => CancellationReason::ListingUnavailable,
            CancellationReasonInput::PaymentAbandoned => CancellationReason::PaymentAbandoned,
            CancellationReasonInput::Fraud => CancellationReason::Fraud,
            CancellationReasonInput::Other => CancellationReason::Other,
        }
    }
}

/// A cancellation.
#[derive(InputObject, Clone, Debug)]
pub struct CancelBookingInput {
    /// The booking.
    pub booking_id: ID,
    /// Why (operators; a guest's cancellation is always `GUEST_REQUEST`).
    pub reason: Option<CancellationReasonInput>,
}

/// A no-show.
#[derive(InputObject, Clone, Debug)]
pub struct MarkNoShowInput {
    /// The booking.
    pub booking_id: ID,
    /// Share of the payment still refunded, basis points (0..=10 000); absent: the listing
    /// policy's no-show rule.
    pub refund_bp: Option<i64>,
}

impl MarkNoShowInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<(BookingId, Option<u32>), ApiError> {
        Ok((
            parse_id("input.bookingId", &self.booking_id, BookingId::parse)?,
            self.refund_bp
                .map(|bp| parse_u32("input.refundBp", bp, 0, 10_000))
                .transpose()?,
        ))
    }
}

/// Joining a waitlist for a range of dates.
#[derive(InputObject, Clone, Debug)]
pub struct JoinWaitlistInput {
    /// The listing.
    pub listing_id: ID,
    /// Its inventory.
    pub inventory_id: ID,
    /// The dates the guest would accept.
    pub wanted: StayInput,
    /// The wanted start time (`HH:MM`), for time slots.
    pub time: Option<String>,
    /// How many slots (nights, time slots).
    #[graphql(default = 1)]
    pub slot_count: i64,
    /// How many guests.
    pub party_size: i64,
    /// Units per slot.
    #[graphql(default = 1)]
    pub quantity: i64,
}

/// A parsed [`JoinWaitlistInput`].
pub struct WaitlistAsk {
    /// The listing.
    pub listing_id: ListingId,
    /// The inventory.
    pub inventory_id: InventoryId,
    /// The dates.
    pub wanted: DateRange,
    /// The time.
    pub time: Option<chrono::NaiveTime>,
    /// Slots wanted.
    pub slot_count: u32,
    /// Party.
    pub party_size: PartySize,
    /// Units.
    pub quantity: Quantity,
}

impl JoinWaitlistInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<WaitlistAsk, ApiError> {
        Ok(WaitlistAsk {
            listing_id: parse_id("input.listingId", &self.listing_id, ListingId::parse)?,
            inventory_id: parse_id("input.inventoryId", &self.inventory_id, InventoryId::parse)?,
            wanted: parse_range("input.wanted", &self.wanted.from, &self.wanted.to)?,
            time: self
                .time
                .as_deref()
                .map(|t| parse_time("input.time", t))
                .transpose()?,
            slot_count: parse_u32("input.slotCount", self.slot_count, 1, 3_700)?,
            party_size: party("input.partySize", self.party_size)?,
            quantity: quantity("input.quantity", self.quantity)?,
        })
    }
}
