//! The [`Booking`] aggregate: its state, read-only accessors, and the fold of its events.
//! The rules live in its [`Decide`](crate::Decide) impl (in `decide/`); `handle` is the shared
//! [`crate::decide::handle`]; `apply` only folds and never fails.

use chrono::{DateTime, NaiveTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::BookingCommand;
use super::error::BookingError;
use super::events::BookingEvent;
use super::status::BookingStatus;
use super::values::{
    AppliedCoupon, BookingKeys, Cancellation, CancellationReason, CancelledBy, PartySize, Payment,
    PricedLine, Quantity, Refund, RejectionReason, Reminder, StatusChange, Totals,
};
use crate::common::{CancellationPolicy, Currency, DateRange, Money, Slot};
use crate::services::DomainServices;

/// One guest's reservation. `Default` is the booking before its first event.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Booking {
    pub(super) keys: BookingKeys,
    pub(super) status: Option<BookingStatus>,
    pub(super) party_size: PartySize,
    pub(super) quantity: Quantity,
    pub(super) slots: Vec<Slot>,
    pub(super) lines: Vec<PricedLine>,
    pub(super) wanted: Option<DateRange>,
    pub(super) wanted_time: Option<NaiveTime>,
    pub(super) slot_count: Option<u32>,
    pub(super) starts_at: Option<DateTime<Utc>>,
    pub(super) ends_at: Option<DateTime<Utc>>,
    pub(super) cancellation_policy: CancellationPolicy,
    pub(super) currency: Option<Currency>,
    pub(super) totals: Option<Totals>,
    pub(super) coupon: Option<AppliedCoupon>,
    #[serde(default)]
    pub(super) points: Option<super::values::AppliedPoints>,
    pub(super) hold_expires_at: Option<DateTime<Utc>>,
    pub(super) offer_expires_at: Option<DateTime<Utc>>,
    pub(super) offer_accepted_at: Option<DateTime<Utc>>,
    pub(super) payment: Option<Payment>,
    pub(super) late_payments: Vec<Payment>,
    pub(super) total_paid: Option<Money>,
    pub(super) refunds: Vec<Refund>,
    pub(super) total_refunded: Option<Money>,
    pub(super) refund_due: Option<Money>,
    pub(super) rejection: Option<RejectionReason>,
    pub(super) cancellation: Option<Cancellation>,
    pub(super) no_show_refund_bp: Option<u32>,
    pub(super) history: Vec<StatusChange>,
    #[serde(default)]
    pub(super) reminded: Vec<(Reminder, DateTime<Utc>)>,
}

impl Booking {
    /// The ids (nil before the first event).
    pub fn keys(&self) -> &BookingKeys {
        &self.keys
    }
    /// The status (`None` before the first event).
    pub fn status(&self) -> Option<BookingStatus> {
        self.status
    }
    /// How many guests.
    pub fn party_size(&self) -> PartySize {
        self.party_size
    }
    /// Units per slot.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// The slots, sorted (empty for a waitlist entry not yet offered).
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }
    /// The priced lines, sorted by slot.
    pub fn lines(&self) -> &[PricedLine] {
        &self.lines
    }
    /// The dates wanted, for a waitlist entry.
    pub fn wanted(&self) -> Option<DateRange> {
        self.wanted
    }
    /// How many slots a waitlist entry wants.
    pub fn slot_count(&self) -> Option<u32> {
        self.slot_count
    }
    /// The wanted start time, for a waitlist entry.
    pub fn wanted_time(&self) -> Option<NaiveTime> {
        self.wanted_time
    }
    /// The start instant, once priced.
    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at
    }
    /// The end instant, once priced.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at
    }
    /// The refund tiers copied when booked (empty until priced).
    pub fn cancellation_policy(&self) -> &CancellationPolicy {
        &self.cancellation_policy
    }
    /// Subtotal, discount and total, once priced.
    pub fn totals(&self) -> Option<Totals> {
        self.totals
    }
    /// The coupon applied, if any.
    pub fn coupon(&self) -> Option<&AppliedCoupon> {
        self.coupon.as_ref()
    }
    /// The points spent on it, if any.
    pub fn points(&self) -> Option<super::values::AppliedPoints> {
        self.points
    }
    /// When the inventory hold runs out, once held.
    pub fn hold_expires_at(&self) -> Option<DateTime<Utc>> {
        self.hold_expires_at
    }
    /// When the waitlist offer runs out, once offered.
    pub fn offer_expires_at(&self) -> Option<DateTime<Utc>> {
        self.offer_expires_at
    }
    /// The payment that confirmed the booking.
    pub fn payment(&self) -> Option<&Payment> {
        self.payment.as_ref()
    }
    /// Payments that arrived when they could not confirm the booking (owed back in full).
    pub fn late_payments(&self) -> &[Payment] {
        &self.late_payments
    }
    /// Everything paid.
    pub fn total_paid(&self) -> Option<Money> {
        self.total_paid
    }
    /// Refunds recorded.
    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }
    /// Everything refunded (never above [`total_paid`](Self::total_paid)).
    pub fn total_refunded(&self) -> Option<Money> {
        self.total_refunded
    }
    /// Everything the rules made owed back: cancellation tiers, no-show share, late payments.
    /// Operators may refund more (goodwill), never more than was paid.
    pub fn refund_due(&self) -> Option<Money> {
        self.refund_due
    }
    /// What is still owed back: `refund_due − total_refunded`, never below zero.
    pub fn refund_outstanding(&self) -> Option<Money> {
        let due = self.refund_due?;
        let refunded = self.total_refunded.map_or(0, |m| m.amount_minor);
        Some(Money::new(
            due.amount_minor.saturating_sub(refunded).max(0),
            due.currency,
        ))
    }
    /// Why placement failed, if rejected.
    pub fn rejection(&self) -> Option<&RejectionReason> {
        self.rejection.as_ref()
    }
    /// Who cancelled, why and when, if cancelled.
    pub fn cancellation(&self) -> Option<&Cancellation> {
        self.cancellation.as_ref()
    }
    /// Every status change with its instant, oldest first.
    pub fn history(&self) -> &[StatusChange] {
        &self.history
    }

    /// When the guest was sent `reminder`, if they were.
    pub fn reminded_at(&self, reminder: Reminder) -> Option<DateTime<Utc>> {
        self.reminded
            .iter()
            .find(|(r, _)| *r == reminder)
            .map(|(_, at)| *at)
    }

    /// When the booking became Confirmed (the last time, if ever).
    pub fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .rev()
            .find(|c| c.to == BookingStatus::Confirmed)
            .map(|c| c.at)
    }

    /// When the booking became Held (the last time, if ever).
    pub fn held_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .rev()
            .find(|c| c.to == BookingStatus::Held)
            .map(|c| c.at)
    }

    fn move_to(&mut self, to: BookingStatus, at: DateTime<Utc>) {
        self.history.push(StatusChange {
            from: self.status,
            to,
            at,
        });
        self.status = Some(to);
    }

    fn add_refund_due(&mut self, amount: Money) {
        self.refund_due = Some(match self.refund_due {
            None => amount,
            // decide keeps refund_due ≤ total_paid, so this cannot overflow; apply never fails.
            Some(due) => due.checked_add(&amount).unwrap_or(due),
        });
    }
}

impl Aggregate for Booking {
    const TYPE: &'static str = "Booking";
    type Command = BookingCommand;
    type Event = BookingEvent;
    type Error = BookingError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        use BookingEvent::*;
        match event {
            BookingRequested {
                booking,
                party_size,
                quantity,
                slots,
                lines,
                starts_at,
                ends_at,
                cancellation,
                totals,
                requested_at,
                status: _,
            } => {
                self.keys = booking;
                self.party_size = party_size;
                self.quantity = quantity;
                self.slots = slots;
                self.lines = lines;
                self.starts_at = Some(starts_at);
                self.ends_at = Some(ends_at);
                self.cancellation_policy = cancellation;
                self.currency = Some(totals.total.currency);
                self.totals = Some(totals);
                self.move_to(BookingStatus::Requested, requested_at);
            }
            BookingHeld {
                hold_expires_at,
                held_at,
                ..
            } => {
                self.hold_expires_at = Some(hold_expires_at);
                self.move_to(BookingStatus::Held, held_at);
            }
            BookingCouponApplied { coupon, totals, .. } => {
                self.coupon = Some(coupon);
                self.totals = Some(totals);
            }
            BookingPointsApplied { points, totals, .. } => {
                self.points = Some(points);
                self.totals = Some(totals);
            }
            BookingRejected {
                reason,
                rejected_at,
                ..
            } => {
                self.rejection = Some(reason);
                self.move_to(BookingStatus::Rejected, rejected_at);
            }
            BookingPaymentReceived {
                payment,
                total_paid,
                ..
            } => {
                self.payment = Some(payment);
                self.total_paid = Some(total_paid);
            }
            BookingConfirmed { confirmed_at, .. } => {
                self.move_to(BookingStatus::Confirmed, confirmed_at);
            }
            BookingLatePaymentReceived {
                payment,
                refund_due,
                total_paid,
                ..
            } => {
                self.currency.get_or_insert(payment.amount.currency);
                self.late_payments.push(payment);
                self.total_paid = Some(total_paid);
                self.add_refund_due(refund_due);
            }
            BookingExpired { expired_at, .. } => {
                self.move_to(BookingStatus::Expired, expired_at);
            }
            BookingCancelled {
                cancellation,
                refund_due,
                ..
            } => {
                if let Some(due) = refund_due {
                    self.add_refund_due(due);
                }
                let at = cancellation.at;
                self.cancellation = Some(cancellation);
                self.move_to(BookingStatus::Cancelled, at);
            }
            BookingRefunded {
                refund,
                total_refunded,
                ..
            } => {
                self.refunds.push(refund);
                self.total_refunded = Some(total_refunded);
            }
            BookingCheckedIn { checked_in_at, .. } => {
                self.move_to(BookingStatus::CheckedIn, checked_in_at);
            }
            BookingMarkedNoShow {
                no_show_refund_bp,
                refund_due,
                marked_at,
                ..
            } => {
                self.no_show_refund_bp = Some(no_show_refund_bp);
                self.add_refund_due(refund_due);
                self.move_to(BookingStatus::NoShow, marked_at);
            }
            BookingWaitlisted {
                booking,
                party_size,
                quantity,
                wanted,
                time,
                slot_count,
                waitlisted_at,
                status: _,
            } => {
                self.keys = booking;
                self.party_size = party_size;
                self.quantity = quantity;
                self.wanted = Some(wanted);
                self.wanted_time = time;
                self.slot_count = Some(slot_count);
                self.move_to(BookingStatus::Waitlisted, waitlisted_at);
            }
            BookingOffered {
                slots,
                lines,
                starts_at,
                ends_at,
                cancellation,
                totals,
                offer_expires_at,
                offered_at,
                ..
            } => {
                self.slots = slots;
                self.lines = lines;
                self.starts_at = Some(starts_at);
                self.ends_at = Some(ends_at);
                self.cancellation_policy = cancellation;
                self.currency = Some(totals.total.currency);
                self.totals = Some(totals);
                self.offer_expires_at = Some(offer_expires_at);
                self.move_to(BookingStatus::Offered, offered_at);
            }
            BookingOfferAccepted { accepted_at, .. } => {
                self.offer_accepted_at = Some(accepted_at);
            }
            BookingOfferDeclined { declined_at, .. } => {
                self.cancellation = Some(Cancellation {
                    by: CancelledBy::Guest,
                    reason: CancellationReason::OfferDeclined,
                    from: BookingStatus::Offered,
                    at: declined_at,
                });
                self.move_to(BookingStatus::Cancelled, declined_at);
            }
            BookingOfferExpired { expired_at, .. } => {
                self.move_to(BookingStatus::Expired, expired_at);
            }
            BookingReminded {
                reminder,
                reminded_at,
                ..
            } => {
                self.reminded.push((reminder, reminded_at));
            }
        }
    }
}
