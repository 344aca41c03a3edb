//! Tests of the Coupon campaign aggregate: given/when/then per command, properties, serde shape.

mod claims;
mod discount;
mod lifecycle;
mod properties;
mod redemptions;
mod serde_shapes;

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use ulid::Ulid;

use super::*;
use crate::common::{BookingId, CampaignId, Currency, GuestId, ListingId, Money, TenantId};
use crate::decide::Decide;
use crate::services::{DomainServices, FixedClock};
use crate::testing::{AggregateTestExecutor, TestFramework};

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(super) fn now() -> DateTime<Utc> {
    at("2026-06-01T12:00:00Z")
}

pub(super) fn valid_from() -> DateTime<Utc> {
    at("2026-06-01T00:00:00Z")
}

pub(super) fn valid_until() -> DateTime<Utc> {
    at("2026-07-01T00:00:00Z")
}

pub(super) fn services() -> DomainServices {
    DomainServices::with_clock(FixedClock::new(now()))
}

pub(super) fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

pub(super) fn krw() -> Currency {
    Currency::parse("KRW").unwrap()
}

pub(super) fn money(n: i64) -> Money {
    Money::new(n, eur())
}

pub(super) fn campaign_id() -> CampaignId {
    CampaignId(Ulid(10))
}

pub(super) fn tenant_id() -> TenantId {
    TenantId(Ulid(2))
}

pub(super) fn guest(n: u128) -> GuestId {
    GuestId(Ulid(500 + n))
}

pub(super) fn booking(n: u128) -> BookingId {
    BookingId(Ulid(1_000 + n))
}

pub(super) fn listing(n: u128) -> ListingId {
    ListingId(Ulid(3 + n))
}

pub(super) fn code() -> CouponCode {
    CouponCode::parse("summer-10").unwrap()
}

/// 10 % off (at most 50.00 EUR) from 100.00 EUR, 3 coupons, 2 per guest, every listing,
/// restored on cancel, June 2026.
pub(super) fn terms() -> CampaignTerms {
    CampaignTerms {
        code: code(),
        discount: Discount::Percent {
            bp: 1_000,
            max: Some(money(5_000)),
        },
        min_spend: Some(money(10_000)),
        valid_from: valid_from(),
        valid_until: valid_until(),
        total_quantity: 3,
        per_guest_limit: 2,
        applicable_listings: vec![],
        restore_on_cancel: true,
    }
}

pub(super) fn create(terms: CampaignTerms) -> CouponCommand {
    CouponCommand::CreateCampaign {
        campaign_id: campaign_id(),
        tenant_id: tenant_id(),
        terms,
    }
}

pub(super) fn claim(g: u128) -> CouponCommand {
    CouponCommand::ClaimCoupon { guest_id: guest(g) }
}

pub(super) fn redeem(g: u128, b: u128, subtotal: i64) -> CouponCommand {
    CouponCommand::RedeemCoupon {
        guest_id: guest(g),
        booking_id: booking(b),
        listing_id: listing(0),
        subtotal: money(subtotal),
    }
}

pub(super) fn restore(b: u128) -> CouponCommand {
    CouponCommand::RestoreCoupon {
        booking_id: booking(b),
    }
}

/// The events the commands produce one after another at `now()` (each must succeed).
pub(super) fn history(commands: Vec<CouponCommand>) -> Vec<CouponEvent> {
    let services = services();
    let mut campaign = CouponCampaign::default();
    let mut events = Vec::new();
    for command in commands {
        let emitted = campaign
            .decide(command.clone(), &services)
            .unwrap_or_else(|e| panic!("{command:?} failed in a test history: {e}"));
        for event in emitted {
            campaign.apply(event.clone());
            events.push(event);
        }
    }
    events
}

pub(super) fn state(events: &[CouponEvent]) -> CouponCampaign {
    let mut campaign = CouponCampaign::default();
    for e in events {
        campaign.apply(e.clone());
    }
    campaign
}

pub(super) fn given(commands: Vec<CouponCommand>) -> AggregateTestExecutor<CouponCampaign> {
    given_at(now(), commands)
}

pub(super) fn given_at(
    at: DateTime<Utc>,
    commands: Vec<CouponCommand>,
) -> AggregateTestExecutor<CouponCampaign> {
    TestFramework::<CouponCampaign>::with(DomainServices::with_clock(FixedClock::new(at)))
        .given(history(commands))
}

pub(super) fn created() -> Vec<CouponCommand> {
    vec![create(terms())]
}

pub(super) fn with(
    mut commands: Vec<CouponCommand>,
    more: Vec<CouponCommand>,
) -> Vec<CouponCommand> {
    commands.extend(more);
    commands
}

pub(super) fn later(minutes: i64) -> DateTime<Utc> {
    now() + Duration::minutes(minutes)
}
