//! What can be asked of a booking. The booking process sends these carrying the facts it has
//! established elsewhere (priced lines from the inventory, the policy's tiers, the start instant
//! computed in the listing's time zone, the hold expiry).

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::values::{
    CancellationReason, CancelledBy, Label, PartySize, PricedLine, Quantity, RejectionReason,
    Reminder,
};
use crate::common::{
    BookingId, CampaignId, CancellationPolicy, DateRange, GuestId, InventoryId, ListingId, Money,
    Slot, TenantId,
};

/// Open a booking for priced slots (before inventory is held).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestBooking {
    /// The new booking's id.
    pub booking_id: BookingId,
    /// The business.
    pub tenant_id: TenantId,
    /// What is booked.
    pub listing_id: ListingId,
    /// The capacity calendar to hold on.
    pub inventory_id: InventoryId,
    /// Who books.
    pub guest_id: GuestId,
    /// How many guests.
    pub party_size: PartySize,
    /// Units held per slot.
    pub quantity: Quantity,
    /// The slots, any order, no repeats (stored sorted).
    pub slots: Vec<Slot>,
    /// One line per slot.
    pub lines: Vec<PricedLine>,
    /// Start instant (UTC), computed by the caller in the listing's time zone.
    pub starts_at: DateTime<Utc>,
    /// End instant (UTC), after `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// The refund tiers in force now; copied, so later policy edits never change this booking.
    pub cancellation: CancellationPolicy,
}

/// Put a guest on the waitlist for a range of dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinWaitlist {
    /// The new booking's id.
    pub booking_id: BookingId,
    /// The business.
    pub tenant_id: TenantId,
    /// What is wanted.
    pub listing_id: ListingId,
    /// The capacity calendar that will be offered from.
    pub inventory_id: InventoryId,
    /// Who waits.
    pub guest_id: GuestId,
    /// How many guests.
    pub party_size: PartySize,
    /// Units wanted per slot.
    pub quantity: Quantity,
    /// The dates the guest would accept (half-open).
    pub wanted: DateRange,
    /// The wanted start time, for time-slot inventories (`None`: any time, or nights).
    pub time: Option<NaiveTime>,
    /// How many slots (nights, time slots) the guest wants, at most the days in `wanted`.
    pub slot_count: u32,
}

/// Offer priced slots to a waitlisted guest until `offer_expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferSlot {
    /// Exactly `slot_count` slots inside the wanted range (at the wanted time, if any).
    pub slots: Vec<Slot>,
    /// One line per slot.
    pub lines: Vec<PricedLine>,
    /// Start instant (UTC).
    pub starts_at: DateTime<Utc>,
    /// End instant (UTC), after `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// The refund tiers in force now (copied).
    pub cancellation: CancellationPolicy,
    /// Until when the guest may accept (after now).
    pub offer_expires_at: DateTime<Utc>,
}

/// A command to the [`Booking`](super::Booking) aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingCommand {
    /// Requested (new booking) → emits `BookingRequested`.
    RequestBooking(RequestBooking),
    /// Requested → Held: the process has held the inventory until `hold_expires_at`.
    MarkHeld {
        /// When the inventory hold runs out (after now).
        hold_expires_at: DateTime<Utc>,
    },
    /// Apply a claimed coupon, once, while Requested or Held.
    ApplyCoupon {
        /// The campaign.
        campaign_id: CampaignId,
        /// The code entered.
        code: Label,
        /// The discount, at most the subtotal, same currency.
        discount: Money,
    },
    /// Pay part of it with points, once, while Requested or Held, after any coupon: their
    /// value (one point per minor unit) is taken off the total, never below zero.
    ApplyPoints {
        /// The business whose programme they are.
        tenant_id: crate::common::TenantId,
        /// How many (at least 1).
        points: u64,
    },
    /// Requested → Rejected: placement failed.
    RejectBooking {
        /// Why.
        reason: RejectionReason,
    },
    /// Held → Confirmed when `amount` equals the total; on a booking that can no longer be
    /// confirmed the payment is recorded as a late payment (refundable), never dropped.
    ConfirmPayment {
        /// Who took the payment.
        provider: Label,
        /// The provider's reference (a repeat is a no-op).
        reference: Label,
        /// The amount received.
        amount: Money,
        /// When the provider says it was paid.
        paid_at: DateTime<Utc>,
    },
    /// Held → Expired, once the clock has reached the hold expiry.
    ExpireHold,
    /// Requested | Held | Waitlisted | Offered | Confirmed → Cancelled.
    CancelBooking {
        /// Who cancels.
        by: CancelledBy,
        /// Why.
        reason: CancellationReason,
    },
    /// Record money given back (after a cancellation, a no-show or a late payment).
    RecordRefund {
        /// The provider's refund reference (a repeat is a no-op).
        reference: Label,
        /// The amount (positive; cumulative refunds never exceed payments).
        amount: Money,
    },
    /// Confirmed → CheckedIn, from `opens_at` (default `starts_at − 12 h`) until `ends_at`.
    CheckIn {
        /// When check-in opens, computed by the caller (e.g. local midnight of the start day in
        /// the listing's time zone); `None` uses `starts_at − 12 h`. Must not be after
        /// `starts_at`.
        opens_at: Option<DateTime<Utc>>,
    },
    /// Confirmed → NoShow, once the clock is past `starts_at`.
    MarkNoShow {
        /// Share of the amount paid still refunded, in basis points (default 0).
        #[serde(default)]
        no_show_refund_bp: u32,
    },
    /// Waitlisted (new booking) → emits `BookingWaitlisted`.
    JoinWaitlist(JoinWaitlist),
    /// Waitlisted → Offered.
    OfferSlot(OfferSlot),
    /// Offered → Held, before the offer expires.
    AcceptOffer {
        /// When the inventory hold runs out (after now).
        hold_expires_at: DateTime<Utc>,
    },
    /// Offered → Cancelled (by the guest).
    DeclineOffer,
    /// Offered → Expired, once the clock has reached the offer expiry.
    ExpireOffer,
    /// Record that the guest is being reminded (status unchanged): `Upcoming` while Confirmed
    /// and before the start, `HoldExpiring` while Held and before the hold runs out. Once per
    /// booking and kind; a repeat is a no-op. The worker decides when (its configured leads).
    Remind {
        /// Which reminder.
        reminder: Reminder,
    },
}

impl BookingCommand {
    /// `MarkNoShow` with nothing refunded (the default).
    pub fn mark_no_show() -> Self {
        Self::MarkNoShow {
            no_show_refund_bp: 0,
        }
    }
}
