//! What happened to a booking. Every event carries the booking's [`BookingKeys`] (tenant,
//! listing, inventory, guest) so read models — booking by id, by guest, the operator's day sheet
//! per tenant and local date — never look anything up; status-changing events carry the
//! resulting `status`, and events that move money carry the running totals.

use chrono::{DateTime, NaiveTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::status::BookingStatus;
use super::values::{
    AppliedCoupon, BookingKeys, Cancellation, PartySize, Payment, PricedLine, Quantity, Refund,
    RejectionReason, Reminder, Totals,
};
use crate::common::{CancellationPolicy, DateRange, Money, Slot};

/// An event of the [`Booking`](super::Booking) aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingEvent {
    /// A booking was requested for priced slots.
    BookingRequested {
        /// Ids.
        booking: BookingKeys,
        /// How many guests.
        party_size: PartySize,
        /// Units per slot.
        quantity: Quantity,
        /// The slots, sorted.
        slots: Vec<Slot>,
        /// One line per slot, sorted by slot.
        lines: Vec<PricedLine>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// End instant.
        ends_at: DateTime<Utc>,
        /// The copied refund tiers.
        cancellation: CancellationPolicy,
        /// Subtotal, discount (zero) and total.
        totals: Totals,
        /// When.
        requested_at: DateTime<Utc>,
        /// `Requested`.
        status: BookingStatus,
    },
    /// The inventory is held for the booking until `hold_expires_at`.
    BookingHeld {
        /// Ids.
        booking: BookingKeys,
        /// The held slots.
        slots: Vec<Slot>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// When the hold runs out (the expiry scheduler keys on this).
        hold_expires_at: DateTime<Utc>,
        /// When.
        held_at: DateTime<Utc>,
        /// `Held`.
        status: BookingStatus,
    },
    /// A coupon was applied.
    BookingCouponApplied {
        /// Ids.
        booking: BookingKeys,
        /// The coupon.
        coupon: AppliedCoupon,
        /// The new totals.
        totals: Totals,
        /// When.
        applied_at: DateTime<Utc>,
    },
    /// Points paid part of it (after any coupon).
    BookingPointsApplied {
        /// Ids.
        booking: BookingKeys,
        /// The points.
        points: super::values::AppliedPoints,
        /// The new totals (their discount includes the points' value).
        totals: Totals,
        /// When.
        applied_at: DateTime<Utc>,
    },
    /// Placement failed.
    BookingRejected {
        /// Ids.
        booking: BookingKeys,
        /// The slots asked for.
        slots: Vec<Slot>,
        /// Why.
        reason: RejectionReason,
        /// A coupon to give back to its campaign, if one was applied.
        coupon_to_restore: Option<AppliedCoupon>,
        /// When.
        rejected_at: DateTime<Utc>,
        /// `Rejected`.
        status: BookingStatus,
    },
    /// The payment that confirms the booking was received (followed by `BookingConfirmed`).
    BookingPaymentReceived {
        /// Ids.
        booking: BookingKeys,
        /// The payment.
        payment: Payment,
        /// Everything paid so far.
        total_paid: Money,
    },
    /// The booking is paid and the units are the guest's.
    BookingConfirmed {
        /// Ids.
        booking: BookingKeys,
        /// How many guests.
        party_size: PartySize,
        /// Units per slot.
        quantity: Quantity,
        /// The slots (for the day sheet).
        slots: Vec<Slot>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// End instant.
        ends_at: DateTime<Utc>,
        /// What was paid for.
        totals: Totals,
        /// When.
        confirmed_at: DateTime<Utc>,
        /// `Confirmed`.
        status: BookingStatus,
    },
    /// A payment arrived for a booking that can no longer be confirmed by it (already
    /// Confirmed with another reference, CheckedIn, NoShow, Expired, Cancelled, Rejected). It
    /// is recorded, and owed back in full, so no money is ever lost; the status does not change.
    BookingLatePaymentReceived {
        /// Ids.
        booking: BookingKeys,
        /// The payment.
        payment: Payment,
        /// The booking's status when it arrived (unchanged).
        status: BookingStatus,
        /// The amount now owed back (the whole payment).
        refund_due: Money,
        /// Everything paid so far.
        total_paid: Money,
        /// When it was recorded.
        received_at: DateTime<Utc>,
    },
    /// The hold ran out unpaid.
    BookingExpired {
        /// Ids.
        booking: BookingKeys,
        /// The slots to release.
        slots: Vec<Slot>,
        /// The hold's expiry.
        hold_expires_at: DateTime<Utc>,
        /// A coupon to give back to its campaign, if one was applied.
        coupon_to_restore: Option<AppliedCoupon>,
        /// When.
        expired_at: DateTime<Utc>,
        /// `Expired`.
        status: BookingStatus,
    },
    /// The booking was cancelled.
    BookingCancelled {
        /// Ids.
        booking: BookingKeys,
        /// The slots to release (empty for a waitlist entry never offered).
        slots: Vec<Slot>,
        /// Start instant, if the booking had slots.
        starts_at: Option<DateTime<Utc>>,
        /// Who, why, from which status, when.
        cancellation: Cancellation,
        /// What was paid for the booking (`None` if it was never confirmed).
        total_paid: Option<Money>,
        /// Refund owed by this cancellation per the copied tiers (`None` if nothing was paid).
        refund_due: Option<Money>,
        /// A coupon to give back to its campaign, if one was applied.
        coupon_to_restore: Option<AppliedCoupon>,
        /// `Cancelled`.
        status: BookingStatus,
    },
    /// Money was given back.
    BookingRefunded {
        /// Ids.
        booking: BookingKeys,
        /// The refund.
        refund: Refund,
        /// Everything refunded so far (never above `total_paid`).
        total_refunded: Money,
        /// Everything paid so far.
        total_paid: Money,
    },
    /// The guest arrived.
    BookingCheckedIn {
        /// Ids.
        booking: BookingKeys,
        /// The slots.
        slots: Vec<Slot>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// When.
        checked_in_at: DateTime<Utc>,
        /// `CheckedIn`.
        status: BookingStatus,
    },
    /// The guest did not come.
    BookingMarkedNoShow {
        /// Ids.
        booking: BookingKeys,
        /// The slots.
        slots: Vec<Slot>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// Share refunded, in basis points.
        no_show_refund_bp: u32,
        /// What the business keeps.
        retained: Money,
        /// What is owed back.
        refund_due: Money,
        /// When.
        marked_at: DateTime<Utc>,
        /// `NoShow`.
        status: BookingStatus,
    },
    /// A guest joined the waitlist.
    BookingWaitlisted {
        /// Ids.
        booking: BookingKeys,
        /// How many guests.
        party_size: PartySize,
        /// Units per slot.
        quantity: Quantity,
        /// The dates the guest would accept.
        wanted: DateRange,
        /// The wanted start time, if any.
        time: Option<NaiveTime>,
        /// How many slots.
        slot_count: u32,
        /// When.
        waitlisted_at: DateTime<Utc>,
        /// `Waitlisted`.
        status: BookingStatus,
    },
    /// Priced slots were offered to a waitlisted guest.
    BookingOffered {
        /// Ids.
        booking: BookingKeys,
        /// The slots offered, sorted.
        slots: Vec<Slot>,
        /// One line per slot, sorted by slot.
        lines: Vec<PricedLine>,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// End instant.
        ends_at: DateTime<Utc>,
        /// The copied refund tiers.
        cancellation: CancellationPolicy,
        /// Subtotal, discount (zero) and total.
        totals: Totals,
        /// Until when the guest may accept.
        offer_expires_at: DateTime<Utc>,
        /// When.
        offered_at: DateTime<Utc>,
        /// `Offered`.
        status: BookingStatus,
    },
    /// The guest accepted the offer; always followed, in the same commit, by `BookingHeld`
    /// (which moves the status to Held and which the hold-expiry scheduler listens to).
    BookingOfferAccepted {
        /// Ids.
        booking: BookingKeys,
        /// When.
        accepted_at: DateTime<Utc>,
    },
    /// The guest declined the offer: the booking is cancelled by the guest.
    BookingOfferDeclined {
        /// Ids.
        booking: BookingKeys,
        /// The slots to release.
        slots: Vec<Slot>,
        /// When.
        declined_at: DateTime<Utc>,
        /// `Cancelled`.
        status: BookingStatus,
    },
    /// The offer ran out unanswered.
    BookingOfferExpired {
        /// Ids.
        booking: BookingKeys,
        /// The slots to release.
        slots: Vec<Slot>,
        /// The offer's expiry.
        offer_expires_at: DateTime<Utc>,
        /// When.
        expired_at: DateTime<Utc>,
        /// `Expired`.
        status: BookingStatus,
    },
    /// The guest is reminded of a deadline ahead (the notification outbox sends it).
    BookingReminded {
        /// Ids.
        booking: BookingKeys,
        /// Which reminder.
        reminder: Reminder,
        /// How many guests.
        party_size: PartySize,
        /// What the booking costs (paid for `Upcoming`, to pay for `HoldExpiring`).
        total: Money,
        /// Start instant.
        starts_at: DateTime<Utc>,
        /// The hold's expiry, for `HoldExpiring`.
        hold_expires_at: Option<DateTime<Utc>>,
        /// When.
        reminded_at: DateTime<Utc>,
    },
}

impl BookingEvent {
    /// The variant's name (also the stored `event_type`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::BookingRequested { .. } => "BookingRequested",
            Self::BookingHeld { .. } => "BookingHeld",
            Self::BookingCouponApplied { .. } => "BookingCouponApplied",
            Self::BookingPointsApplied { .. } => "BookingPointsApplied",
            Self::BookingRejected { .. } => "BookingRejected",
            Self::BookingPaymentReceived { .. } => "BookingPaymentReceived",
            Self::BookingConfirmed { .. } => "BookingConfirmed",
            Self::BookingLatePaymentReceived { .. } => "BookingLatePaymentReceived",
            Self::BookingExpired { .. } => "BookingExpired",
            Self::BookingCancelled { .. } => "BookingCancelled",
            Self::BookingRefunded { .. } => "BookingRefunded",
            Self::BookingCheckedIn { .. } => "BookingCheckedIn",
            Self::BookingMarkedNoShow { .. } => "BookingMarkedNoShow",
            Self::BookingWaitlisted { .. } => "BookingWaitlisted",
            Self::BookingOffered { .. } => "BookingOffered",
            Self::BookingOfferAccepted { .. } => "BookingOfferAccepted",
            Self::BookingOfferDeclined { .. } => "BookingOfferDeclined",
            Self::BookingOfferExpired { .. } => "BookingOfferExpired",
            Self::BookingReminded { .. } => "BookingReminded",
        }
    }

    /// The ids of the booking the event belongs to.
    pub fn keys(&self) -> &BookingKeys {
        match self {
            Self::BookingRequested { booking, .. }
            | Self::BookingHeld { booking, .. }
            | Self::BookingCouponApplied { booking, .. }
            | Self::BookingPointsApplied { booking, .. }
            | Self::BookingRejected { booking, .. }
            | Self::BookingPaymentReceived { booking, .. }
            | Self::BookingConfirmed { booking, .. }
            | Self::BookingLatePaymentReceived { booking, .. }
            | Self::BookingExpired { booking, .. }
            | Self::BookingCancelled { booking, .. }
            | Self::BookingRefunded { booking, .. }
            | Self::BookingCheckedIn { booking, .. }
            | Self::BookingMarkedNoShow { booking, .. }
            | Self::BookingWaitlisted { booking, .. }
            | Self::BookingOffered { booking, .. }
            | Self::BookingOfferAccepted { booking, .. }
            | Self::BookingOfferDeclined { booking, .. }
            | Self::BookingOfferExpired { booking, .. }
            | Self::BookingReminded { booking, .. } => booking,
        }
    }
}

impl DomainEvent for BookingEvent {
    fn event_type(&self) -> String {
        self.name().to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
