//! Booking output types: the booking (by id and in a guest's list), the operator's day-sheet
//! line, and the values they carry.

use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use holdfast_domain::booking::{
    AppliedCoupon as DomainCoupon, Cancellation as DomainCancellation, Payment as DomainPayment,
    Refund as DomainRefund, RejectionReason, Totals as DomainTotals,
};
use holdfast_projections::models::bookings::{BookingView, DaySheetEntry as DayEntry};
use serde::{Deserialize, Serialize};

use super::account::GuestProfileGql;
use super::money::Money;

/// Where a booking is in its life.
// The schema's one booking status (queries, mutation payloads, `bookingChanged`); serialised
// by variant name, as mutation payloads are stored for idempotent replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[graphql(remote = "holdfast_domain::booking::BookingStatus")]
pub enum BookingStatus {
    /// Asked for; inventory not yet held.
    Requested,
    /// Inventory held until the hold expires; waiting for payment.
    Held,
    /// Paid; the units are the guest's.
    Confirmed,
    /// The guest arrived.
    CheckedIn,
    /// The guest did not come.
    NoShow,
    /// Cancelled by the guest, the operator or the system.
    Cancelled,
    /// The hold or the waitlist offer ran out.
    Expired,
    /// Placement failed (sold out, policy, coupon, payment).
    Rejected,
    /// On the waitlist for a range of dates.
    Waitlisted,
    /// A waitlisted guest has been offered slots until the offer expires.
    Offered,
}

/// Who cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "holdfast_domain::booking::CancelledBy")]
pub enum CancelledBy {
    /// The guest.
    Guest,
    /// The business's operator.
    Operator,
    /// Holdfast itself (a process compensating a failure).
    System,
}

/// Why a booking was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "holdfast_domain::booking::CancellationReason")]
pub enum CancellationReason {
    /// The guest asked.
    GuestRequest,
    /// The guest declined a waitlist offer.
    OfferDeclined,
    /// The guest left the waitlist.
    LeftWaitlist,
    /// A duplicate of another booking.
    Duplicate,
    /// The listing or slot can no longer be served.
    ListingUnavailable,
    /// The guest abandoned payment.
    PaymentAbandoned,
    /// The process could not complete a step and compensated.
    ProcessFailed,
    /// Suspected fraud.
    Fraud,
    /// Anything else.
    Other,
}

/// Subtotal, discount, total.
#[derive(Clone, Debug, SimpleObject)]
pub struct Totals {
    /// Sum of the lines.
    pub subtotal: Money,
    /// The coupon's discount (zero without a coupon).
    pub discount: Money,
    /// What the guest pays.
    pub total: Money,
}

impl From<DomainTotals> for Totals {
    fn from(t: DomainTotals) -> Self {
        Self {
            subtotal: t.subtotal.into(),
            discount: t.discount.into(),
            total: t.total.into(),
        }
    }
}

/// A coupon applied to a booking.
#[derive(Clone, Debug, SimpleObject)]
pub struct AppliedCoupon {
    /// The campaign.
    pub campaign_id: ID,
    /// The code the guest entered.
    pub code: String,
    /// The discount it gave.
    pub discount: Money,
}

impl From<DomainCoupon> for AppliedCoupon {
    fn from(c: DomainCoupon) -> Self {
        Self {
            campaign_id: ID(c.campaign_id.to_string()),
            code: c.code.as_str().to_owned(),
            discount: c.discount.into(),
        }
    }
}

/// A payment received.
#[derive(Clone, Debug, SimpleObject)]
pub struct Payment {
    /// Who took it (e.g. `stripe`).
    pub provider: String,
    /// The provider's reference.
    pub reference: String,
    /// The amount.
    pub amount: Money,
    /// When the provider says it was paid.
    pub paid_at: DateTime<Utc>,
}

impl From<DomainPayment> for Payment {
    fn from(p: DomainPayment) -> Self {
        Self {
            provider: p.provider.as_str().to_owned(),
            reference: p.reference.as_str().to_owned(),
            amount: p.amount.into(),
            paid_at: p.paid_at,
        }
    }
}

/// A refund recorded.
#[derive(Clone, Debug, SimpleObject)]
pub struct Refund {
    /// The provider's refund reference.
    pub reference: String,
    /// The amount refunded.
    pub amount: Money,
    /// When it was recorded.
    pub refunded_at: DateTime<Utc>,
}

impl From<DomainRefund> for Refund {
    fn from(r: DomainRefund) -> Self {
        Self {
            reference: r.reference.as_str().to_owned(),
            amount: r.amount.into(),
            refunded_at: r.refunded_at,
        }
    }
}

/// Who cancelled, why, when.
#[derive(Clone, Debug, SimpleObject)]
pub struct Cancellation {
    /// Who.
    pub by: CancelledBy,
    /// Why.
    pub reason: CancellationReason,
    /// The status it was cancelled from.
    pub from: BookingStatus,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<DomainCancellation> for Cancellation {
    fn from(c: DomainCancellation) -> Self {
        Self {
            by: c.by.into(),
            reason: c.reason.into(),
            from: c.from.into(),
            at: c.at,
        }
    }
}

/// Why placement failed.
#[derive(Clone, Debug, SimpleObject)]
pub struct Rejection {
    /// `SOLD_OUT`, `SLOT_CLOSED`, `POLICY_VIOLATION`, `COUPON_REJECTED`, `PAYMENT_FAILED` or
    /// `ABANDONED` (the placement stopped half-way and its hold ran out).
    pub code: String,
    /// The broken policy rule, for `POLICY_VIOLATION`.
    pub rule: Option<String>,
}

impl From<RejectionReason> for Rejection {
    fn from(r: RejectionReason) -> Self {
        let (code, rule) = match r {
            RejectionReason::SoldOut => ("SOLD_OUT", None),
            RejectionReason::SlotClosed => ("SLOT_CLOSED", None),
            RejectionReason::PolicyViolation { rule } => {
                ("POLICY_VIOLATION", Some(rule.as_str().to_owned()))
            }
            RejectionReason::CouponRejected => ("COUPON_REJECTED", None),
            RejectionReason::PaymentFailed => ("PAYMENT_FAILED", None),
            RejectionReason::Abandoned => ("ABANDONED", None),
        };
        Self {
            code: code.to_owned(),
            rule,
        }
    }
}

/// One guest's reservation, as the bookings read model knows it. Fields no event has provided
/// yet are null.
#[derive(Clone, Debug, SimpleObject)]
pub struct Booking {
    /// The booking.
    pub id: ID,
    /// Where it is in its life.
    pub status: BookingStatus,
    /// Who booked.
    pub guest_id: ID,
    /// The business.
    pub tenant_id: ID,
    /// What was booked.
    pub listing_id: ID,
    /// The capacity calendar.
    pub inventory_id: ID,
    /// How many guests.
    pub party_size: Option<u32>,
    /// Units per slot.
    pub quantity: Option<u32>,
    /// The slots (local), sorted.
    pub slots: Vec<String>,
    /// Start instant.
    pub starts_at: Option<DateTime<Utc>>,
    /// End instant.
    pub ends_at: Option<DateTime<Utc>>,
    /// Subtotal, discount, total.
    pub totals: Option<Totals>,
    /// The applied coupon.
    pub coupon: Option<AppliedCoupon>,
    /// Everything paid so far.
    pub total_paid: Option<Money>,
    /// Everything refunded so far.
    pub total_refunded: Option<Money>,
    /// The last refund owed.
    pub refund_due: Option<Money>,
    /// The last payment received.
    pub last_payment: Option<Payment>,
    /// The last refund recorded.
    pub last_refund: Option<Refund>,
    /// Who cancelled, why, when.
    pub cancellation: Option<Cancellation>,
    /// Why placement failed.
    pub rejection: Option<Rejection>,
    /// When it was requested or waitlisted.
    pub created_at: Option<DateTime<Utc>>,
    /// When the hold runs out.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Until when a waitlist offer may be accepted.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// When it was confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the guest checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The guest's contact details: for the guest, an operator of the booking's business and
    /// admins; null for a guest with no profile (or one who was forgotten).
    pub guest: Option<GuestProfileGql>,
}

impl From<BookingView> for Booking {
    fn from(b: BookingView) -> Self {
        Self {
            id: ID(b.booking_id),
            status: b.status.into(),
            guest_id: ID(b.guest_id),
            tenant_id: ID(b.tenant_id),
            listing_id: ID(b.listing_id),
            inventory_id: ID(b.inventory_id),
            party_size: b.party_size,
            quantity: b.quantity,
            slots: b.slots,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            totals: b.totals.map(Totals::from),
            coupon: b.coupon.map(AppliedCoupon::from),
            total_paid: b.total_paid.map(Money::from),
            total_refunded: b.total_refunded.map(Money::from),
            refund_due: b.refund_due.map(Money::from),
            last_payment: b.last_payment.map(Payment::from),
            last_refund: b.last_refund.map(Refund::from),
            cancellation: b.cancellation.map(Into::into),
            rejection: b.rejection.map(Rejection::from),
            created_at: b.created_at,
            hold_expires_at: b.hold_expires_at,
            offer_expires_at: b.offer_expires_at,
            confirmed_at: b.confirmed_at,
            cancelled_at: b.cancelled_at,
            checked_in_at: b.checked_in_at,
            guest: None,
        }
    }
}

/// One line of an operator's day sheet.
#[derive(Clone, Debug, SimpleObject)]
pub struct DaySheetEntry {
    /// The booking.
    pub booking_id: ID,
    /// Its status.
    pub status: BookingStatus,
    /// The first slot (the sheet's order).
    pub first_slot: String,
    /// Every slot.
    pub slots: Vec<String>,
    /// The guest.
    pub guest_id: ID,
    /// The listing.
    pub listing_id: ID,
    /// The inventory.
    pub inventory_id: ID,
    /// How many guests, when known.
    pub party_size: Option<u32>,
    /// Units per slot, when known.
    pub quantity: Option<u32>,
    /// Start instant, when known.
    pub starts_at: Option<DateTime<Utc>>,
    /// End instant, when known.
    pub ends_at: Option<DateTime<Utc>>,
    /// The guest's contact details (null for a guest with no profile, or one who was
    /// forgotten).
    pub guest: Option<GuestProfileGql>,
}

impl From<DayEntry> for DaySheetEntry {
    fn from(e: DayEntry) -> Self {
        Self {
            booking_id: ID(e.booking_id),
            status: e.status.into(),
            first_slot: e.first_slot,
            slots: e.slots,
            guest_id: ID(e.guest_id),
            listing_id: ID(e.listing_id),
            inventory_id: ID(e.inventory_id),
            party_size: e.party_size,
            quantity: e.quantity,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            guest: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Value;
    use async_graphql::resolver_utils::enum_value;

    use super::*;

    #[test]
    fn statuses_are_spelled_as_graphql_enum_values_and_stored_by_name() {
        let names: Vec<String> = holdfast_domain::booking::BookingStatus::ALL
            .into_iter()
            .map(|s| match enum_value(BookingStatus::from(s)) {
                Value::Enum(name) => {
                    // The domain's one spelling (webhook answers, notifications) is GraphQL's.
                    assert_eq!(name.as_str(), s.name());
                    name.to_string()
                }
                other => panic!("not an enum value: {other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "REQUESTED",
                "HELD",
                "CONFIRMED",
                "CHECKED_IN",
                "NO_SHOW",
                "CANCELLED",
                "EXPIRED",
                "REJECTED",
                "WAITLISTED",
                "OFFERED"
            ]
        );
        // Mutation payloads stored before the payload had its own copy of this enum read back.
        let stored: BookingStatus = serde_json::from_str("\"CheckedIn\"").unwrap();
        assert_eq!(stored, BookingStatus::CheckedIn);
    }
}
