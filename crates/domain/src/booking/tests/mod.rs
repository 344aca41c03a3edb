//! Tests of the Booking aggregate: given/when/then per command (one module per concept), the
//! state-machine families, property tests and JSON shapes. Shared fixtures live here.

mod lifecycle;
mod payment;
mod placement;
mod properties;
mod reminders;
mod serde_shapes;
mod transitions;
mod waitlist;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::*;
use crate::common::{
    BookingId, CampaignId, CancellationPolicy, Currency, DateRange, GuestId, InventoryId,
    ListingId, Money, RefundTier, Slot, TenantId,
};
use crate::decide::Decide;
use crate::services::{DomainServices, FixedClock};
use crate::testing::{AggregateTestExecutor, TestFramework};

/// The instant every test runs at unless it says otherwise.
pub(super) const NOW: &str = "2026-12-01T10:00:00Z";
/// The stay starts at 15:00 local (14:00 UTC) on the 24th and ends on the 26th.
pub(super) const STARTS: &str = "2026-12-24T14:00:00Z";
pub(super) const ENDS: &str = "2026-12-26T10:00:00Z";

pub(super) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(super) fn now() -> DateTime<Utc> {
    t(NOW)
}

pub(super) fn services_at(at: DateTime<Utc>) -> DomainServices {
    DomainServices::with_clock(FixedClock::new(at))
}

pub(super) fn at(instant: DateTime<Utc>) -> TestFramework<Booking> {
    TestFramework::with(services_at(instant))
}

/// Given `events`, with the clock at [`NOW`].
pub(super) fn given(events: Vec<BookingEvent>) -> AggregateTestExecutor<Booking> {
    at(now()).given(events)
}

pub(super) fn given_at(
    instant: DateTime<Utc>,
    events: Vec<BookingEvent>,
) -> AggregateTestExecutor<Booking> {
    at(instant).given(events)
}

pub(super) fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

pub(super) fn krw(minor: i64) -> Money {
    Money::new(minor, Currency::parse("KRW").unwrap())
}

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn night(s: &str) -> Slot {
    Slot::day(date(s))
}

pub(super) fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

pub(super) fn qty(n: i64) -> Quantity {
    Quantity::parse(n).unwrap()
}

pub(super) fn line(slot: Slot, unit_minor: i64, quantity: i64) -> PricedLine {
    PricedLine {
        slot,
        unit_price: eur(unit_minor),
        quantity: qty(quantity),
        amount: eur(unit_minor * quantity),
    }
}

pub(super) fn keys() -> BookingKeys {
    BookingKeys {
        booking_id: BookingId::parse("01JF0000000000000000000001").unwrap(),
        tenant_id: TenantId::parse("01JF0000000000000000000002").unwrap(),
        listing_id: ListingId::parse("01JF0000000000000000000003").unwrap(),
        inventory_id: InventoryId::parse("01JF0000000000000000000004").unwrap(),
        guest_id: GuestId::parse("01JF0000000000000000000005").unwrap(),
    }
}

pub(super) fn campaign() -> CampaignId {
    CampaignId::parse("01JF0000000000000000000006").unwrap()
}

/// 100 % refunded up to 72 h before the start, 50 % up to 24 h, then nothing.
pub(super) fn tiers() -> CancellationPolicy {
    CancellationPolicy::new(vec![
        RefundTier {
            min_notice_hours: 72,
            refund_bp: 10_000,
        },
        RefundTier {
            min_notice_hours: 24,
            refund_bp: 5_000,
        },
    ])
    .unwrap()
}

pub(super) fn slots() -> Vec<Slot> {
    vec![night("2026-12-24"), night("2026-12-25")]
}

pub(super) fn lines() -> Vec<PricedLine> {
    vec![
        line(night("2026-12-24"), 15_000, 1),
        line(night("2026-12-25"), 15_000, 1),
    ]
}

pub(super) fn request_cmd() -> RequestBooking {
    let k = keys();
    RequestBooking {
        booking_id: k.booking_id,
        tenant_id: k.tenant_id,
        listing_id: k.listing_id,
        inventory_id: k.inventory_id,
        guest_id: k.guest_id,
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        slots: slots(),
        lines: lines(),
        starts_at: t(STARTS),
        ends_at: t(ENDS),
        cancellation: tiers(),
    }
}

pub(super) fn totals(subtotal: i64, discount: i64) -> Totals {
    Totals {
        subtotal: eur(subtotal),
        discount: eur(discount),
        total: eur(subtotal - discount),
    }
}

pub(super) fn requested() -> BookingEvent {
    BookingEvent::BookingRequested {
        booking: keys(),
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        slots: slots(),
        lines: lines(),
        starts_at: t(STARTS),
        ends_at: t(ENDS),
        cancellation: tiers(),
        totals: totals(30_000, 0),
        requested_at: now(),
        status: BookingStatus::Requested,
    }
}

pub(super) fn hold_expiry() -> DateTime<Utc> {
    now() + Duration::minutes(15)
}

pub(super) fn held() -> BookingEvent {
    BookingEvent::BookingHeld {
        booking: keys(),
        slots: slots(),
        starts_at: t(STARTS),
        hold_expires_at: hold_expiry(),
        held_at: now(),
        status: BookingStatus::Held,
    }
}

pub(super) fn coupon(discount: i64) -> AppliedCoupon {
    AppliedCoupon {
        campaign_id: campaign(),
        code: label("XMAS10"),
        discount: eur(discount),
    }
}

pub(super) fn coupon_applied(discount: i64) -> BookingEvent {
    BookingEvent::BookingCouponApplied {
        booking: keys(),
        coupon: coupon(discount),
        totals: totals(30_000, discount),
        applied_at: now(),
    }
}

pub(super) fn payment(reference: &str, amount: Money) -> Payment {
    Payment {
        provider: label("stripe"),
        reference: label(reference),
        amount,
        paid_at: now(),
    }
}

pub(super) fn pay_cmd(reference: &str, amount: Money) -> BookingCommand {
    BookingCommand::ConfirmPayment {
        provider: label("stripe"),
        reference: label(reference),
        amount,
        paid_at: now(),
    }
}

pub(super) fn payment_received() -> BookingEvent {
    BookingEvent::BookingPaymentReceived {
        booking: keys(),
        payment: payment("pi_1", eur(30_000)),
        total_paid: eur(30_000),
    }
}

pub(super) fn confirmed_event(totals: Totals) -> BookingEvent {
    BookingEvent::BookingConfirmed {
        booking: keys(),
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        slots: slots(),
        starts_at: t(STARTS),
        ends_at: t(ENDS),
        totals,
        confirmed_at: now(),
        status: BookingStatus::Confirmed,
    }
}

/// Requested, held, paid 300 EUR, confirmed.
pub(super) fn confirmed() -> Vec<BookingEvent> {
    vec![
        requested(),
        held(),
        payment_received(),
        confirmed_event(totals(30_000, 0)),
    ]
}

pub(super) fn cancelled_event(
    from: BookingStatus,
    by: CancelledBy,
    reason: CancellationReason,
    paid_and_due: Option<(i64, i64)>,
) -> BookingEvent {
    BookingEvent::BookingCancelled {
        booking: keys(),
        slots: slots(),
        starts_at: Some(t(STARTS)),
        cancellation: Cancellation {
            by,
            reason,
            from,
            at: now(),
        },
        total_paid: paid_and_due.map(|(paid, _)| eur(paid)),
        refund_due: paid_and_due.map(|(_, due)| eur(due)),
        coupon_to_restore: None,
        status: BookingStatus::Cancelled,
    }
}

pub(super) fn cancel_cmd(by: CancelledBy) -> BookingCommand {
    BookingCommand::CancelBooking {
        by,
        reason: CancellationReason::GuestRequest,
    }
}

/// A guest waiting for any 2 nights between the 20th and the 27th, at no particular time.
pub(super) fn wanted() -> DateRange {
    DateRange::new(date("2026-12-20"), date("2026-12-27")).unwrap()
}

pub(super) fn join_cmd(time: Option<NaiveTime>, slot_count: u32) -> JoinWaitlist {
    let k = keys();
    JoinWaitlist {
        booking_id: k.booking_id,
        tenant_id: k.tenant_id,
        listing_id: k.listing_id,
        inventory_id: k.inventory_id,
        guest_id: k.guest_id,
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        wanted: wanted(),
        time,
        slot_count,
    }
}

pub(super) fn waitlisted() -> BookingEvent {
    BookingEvent::BookingWaitlisted {
        booking: keys(),
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        wanted: wanted(),
        time: None,
        slot_count: 2,
        waitlisted_at: now(),
        status: BookingStatus::Waitlisted,
    }
}

pub(super) fn offer_expiry() -> DateTime<Utc> {
    now() + Duration::hours(2)
}

pub(super) fn offer_cmd() -> OfferSlot {
    OfferSlot {
        slots: slots(),
        lines: lines(),
        starts_at: t(STARTS),
        ends_at: t(ENDS),
        cancellation: tiers(),
        offer_expires_at: offer_expiry(),
    }
}

pub(super) fn offered() -> BookingEvent {
    BookingEvent::BookingOffered {
        booking: keys(),
        slots: slots(),
        lines: lines(),
        starts_at: t(STARTS),
        ends_at: t(ENDS),
        cancellation: tiers(),
        totals: totals(30_000, 0),
        offer_expires_at: offer_expiry(),
        offered_at: now(),
        status: BookingStatus::Offered,
    }
}

/// Folds `events` onto a fresh booking.
pub(super) fn replay(events: &[BookingEvent]) -> Booking {
    use cqrs_es::Aggregate;
    let mut booking = Booking::default();
    for event in events {
        booking.apply(event.clone());
    }
    booking
}
