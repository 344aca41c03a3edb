//! Why a booking command was refused: one variant per broken rule, carrying the facts.

use chrono::{DateTime, NaiveTime, Utc};

use super::status::BookingStatus;
use super::values::{Label, Quantity, Reminder};
use crate::common::{BookingId, CampaignId, Currency, DateRange, Money, Slot};

/// A refused booking command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// The booking does not exist yet (only `RequestBooking` and `JoinWaitlist` create one).
    #[error("booking not found")]
    NotFound,
    /// A different booking already has this id (an identical retry is a no-op instead).
    #[error("booking {booking_id} already exists")]
    AlreadyExists {
        /// The existing booking.
        booking_id: BookingId,
    },
    /// The state machine has no edge `from → to` (includes every move out of a terminal
    /// status, and conflicting repeats such as a second rejection with another reason).
    #[error("a booking cannot go from {from} to {to}")]
    IllegalTransition {
        /// The current status.
        from: BookingStatus,
        /// The status the command would move to.
        to: BookingStatus,
    },
    /// The booking is Offered: it only moves on by `AcceptOffer`, `DeclineOffer`,
    /// `ExpireOffer` or `CancelBooking` (not by `MarkHeld` or `ExpireHold`).
    #[error("the booking has a pending offer; accept, decline or expire it")]
    OfferPending,
    /// An offer command on a booking with no pending offer (whose status would otherwise
    /// allow the move, e.g. `AcceptOffer` on a Requested booking).
    #[error("the booking has no pending offer (it is {status})")]
    NoPendingOffer {
        /// The current status.
        status: BookingStatus,
    },
    /// No slots.
    #[error("a booking needs at least one slot")]
    NoSlots,
    /// More slots than one booking may hold.
    #[error("at most {max} slots per booking, got {got}")]
    TooManySlots {
        /// Slots given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The same slot twice.
    #[error("slot {slot} is listed twice")]
    DuplicateSlot {
        /// The repeated slot.
        slot: Slot,
    },
    /// Lines and slots are not one-to-one.
    #[error(
        "priced lines do not match the slots (unpriced: {unpriced:?}, unexpected: {unexpected:?})"
    )]
    LinesDoNotMatchSlots {
        /// Slots without a line.
        unpriced: Vec<Slot>,
        /// Lines for slots not booked, or a second line for a slot.
        unexpected: Vec<Slot>,
    },
    /// A line's quantity differs from the booking's.
    #[error("line for {slot} has quantity {got}, the booking holds {expected}")]
    LineQuantityMismatch {
        /// The line's slot.
        slot: Slot,
        /// The booking's quantity.
        expected: Quantity,
        /// The line's.
        got: Quantity,
    },
    /// A line's amount is not `unit_price × quantity`.
    #[error("line for {slot} should amount to {expected}, got {got}")]
    LineAmountMismatch {
        /// The line's slot.
        slot: Slot,
        /// `unit_price × quantity`.
        expected: Money,
        /// The amount given.
        got: Money,
    },
    /// A price, discount or payment below zero.
    #[error("amount must not be negative, got {amount}")]
    NegativeAmount {
        /// The offending amount.
        amount: Money,
    },
    /// Two currencies in one booking.
    #[error("the booking is in {expected}, got {got}")]
    CurrencyMismatch {
        /// The booking's currency.
        expected: Currency,
        /// The other one.
        got: Currency,
    },
    /// An amount that does not fit in 64 bits of minor units.
    #[error("amount overflow")]
    AmountOverflow,
    /// `starts_at` is not before `ends_at`.
    #[error("the booking must start ({starts_at}) before it ends ({ends_at})")]
    InvalidTimeSpan {
        /// Start.
        starts_at: DateTime<Utc>,
        /// End.
        ends_at: DateTime<Utc>,
    },
    /// A hold that would already be over.
    #[error("hold expiry {hold_expires_at} is not after now ({now})")]
    HoldExpiryNotInFuture {
        /// The expiry asked for.
        hold_expires_at: DateTime<Utc>,
        /// The clock.
        now: DateTime<Utc>,
    },
    /// The booking is already held with another expiry.
    #[error("the booking is already held until {hold_expires_at}")]
    AlreadyHeld {
        /// The current expiry.
        hold_expires_at: DateTime<Utc>,
    },
    /// A coupon outside Requested and Held.
    #[error("a coupon cannot be applied to a {status} booking")]
    CouponNotAllowed {
        /// The current status.
        status: BookingStatus,
    },
    /// A second, different coupon.
    #[error("a coupon of campaign {campaign_id} is already applied")]
    CouponAlreadyApplied {
        /// The applied coupon's campaign.
        campaign_id: CampaignId,
    },
    /// Points outside Requested and Held, or a second, different spend.
    #[error("points cannot be applied to this booking: {why}")]
    PointsNotAllowed {
        /// Why.
        why: &'static str,
    },
    /// The discount would make the total negative.
    #[error("discount {discount} exceeds the subtotal {subtotal}")]
    DiscountExceedsSubtotal {
        /// The discount.
        discount: Money,
        /// The subtotal.
        subtotal: Money,
    },
    /// The confirming payment is not the total.
    #[error("payment of {got} does not match the total {expected}")]
    PaymentAmountMismatch {
        /// The total.
        expected: Money,
        /// The payment.
        got: Money,
    },
    /// A known payment reference with another provider or amount.
    #[error("payment reference {reference} was already recorded with other details")]
    PaymentReferenceConflict {
        /// The reference.
        reference: Label,
    },
    /// `ExpireHold` before the hold's expiry.
    #[error("the hold only expires at {expires_at}")]
    HoldNotExpiredYet {
        /// The hold's expiry.
        expires_at: DateTime<Utc>,
    },
    /// A refund while nothing makes one due (not cancelled, no-show, expired, rejected, and no
    /// late payment).
    #[error("nothing can be refunded on a {status} booking")]
    RefundNotAllowed {
        /// The current status.
        status: BookingStatus,
    },
    /// Cumulative refunds would exceed the payments.
    #[error(
        "refund of {requested} exceeds what is left: paid {paid:?}, refunded {already_refunded:?}"
    )]
    RefundExceedsPaid {
        /// Everything paid (`None`: nothing).
        paid: Option<Money>,
        /// Everything refunded so far (`None`: nothing).
        already_refunded: Option<Money>,
        /// The refund asked for.
        requested: Money,
    },
    /// A refund of zero or less.
    #[error("a refund must be positive, got {amount}")]
    RefundNotPositive {
        /// The amount.
        amount: Money,
    },
    /// A known refund reference with another amount.
    #[error("refund reference {reference} was already recorded with another amount")]
    RefundReferenceConflict {
        /// The reference.
        reference: Label,
    },
    /// A check-in window opening after the start.
    #[error("check-in cannot open ({opens_at}) after the start ({starts_at})")]
    InvalidCheckInWindow {
        /// The opening given.
        opens_at: DateTime<Utc>,
        /// The start.
        starts_at: DateTime<Utc>,
    },
    /// Check-in before it opens.
    #[error("check-in opens at {opens_at}")]
    TooEarlyToCheckIn {
        /// When it opens.
        opens_at: DateTime<Utc>,
    },
    /// Check-in after the booking ended.
    #[error("the booking ended at {ends_at}")]
    TooLateToCheckIn {
        /// When it ended.
        ends_at: DateTime<Utc>,
    },
    /// No-show before the start.
    #[error("a no-show can only be marked after the start ({starts_at})")]
    TooEarlyForNoShow {
        /// The start.
        starts_at: DateTime<Utc>,
    },
    /// A share above 100 %.
    #[error("refund share of {bp} basis points exceeds 10000")]
    InvalidRefundBasisPoints {
        /// The share given.
        bp: u32,
    },
    /// A waitlist slot count of zero or above the days in the wanted range.
    #[error("slot count must be between 1 and {max}, got {slot_count}")]
    SlotCountOutOfRange {
        /// The count given.
        slot_count: u32,
        /// Days in the wanted range.
        max: u32,
    },
    /// An offered slot outside the wanted range.
    #[error("slot {slot} lies outside the wanted dates {wanted:?}")]
    SlotOutsideWantedRange {
        /// The slot.
        slot: Slot,
        /// The wanted dates.
        wanted: DateRange,
    },
    /// An offered slot at another time than wanted.
    #[error("slot {slot} is not at the wanted time {wanted_time}")]
    SlotTimeNotWanted {
        /// The slot.
        slot: Slot,
        /// The wanted time.
        wanted_time: NaiveTime,
    },
    /// An offer with another number of slots than wanted.
    #[error("the guest wants {expected} slots, the offer has {got}")]
    SlotCountMismatch {
        /// Slots wanted.
        expected: u32,
        /// Slots offered.
        got: usize,
    },
    /// An offer that would already be over.
    #[error("offer expiry {offer_expires_at} is not after now ({now})")]
    OfferExpiryNotInFuture {
        /// The expiry asked for.
        offer_expires_at: DateTime<Utc>,
        /// The clock.
        now: DateTime<Utc>,
    },
    /// A different offer is already pending.
    #[error("another offer is pending until {offer_expires_at}")]
    AlreadyOffered {
        /// The pending offer's expiry.
        offer_expires_at: DateTime<Utc>,
    },
    /// Accepting after the offer ran out.
    #[error("the offer expired at {expired_at}")]
    OfferExpired {
        /// The offer's expiry.
        expired_at: DateTime<Utc>,
    },
    /// A reminder for a booking not in the status it is for (`Upcoming` needs Confirmed,
    /// `HoldExpiring` needs Held).
    #[error("no {reminder} reminder for a booking that is {status}")]
    NotRemindable {
        /// The reminder.
        reminder: Reminder,
        /// The booking's status.
        status: BookingStatus,
    },
    /// A reminder once its deadline (the start, the hold's expiry) has passed.
    #[error("too late for the {reminder} reminder: its deadline was {deadline}")]
    ReminderTooLate {
        /// The reminder.
        reminder: Reminder,
        /// The start or the hold's expiry.
        deadline: DateTime<Utc>,
    },
    /// `ExpireOffer` before the offer's expiry.
    #[error("the offer only expires at {expires_at}")]
    OfferNotExpiredYet {
        /// The offer's expiry.
        expires_at: DateTime<Utc>,
    },
}
