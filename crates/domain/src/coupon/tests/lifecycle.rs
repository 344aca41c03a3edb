//! CreateCampaign and EndCampaign.

use super::*;

#[test]
fn it_should_create_a_campaign_with_canonical_terms() {
    let mut t = terms();
    t.applicable_listings = vec![listing(2), listing(1), listing(2)];
    let mut canonical = t.clone();
    canonical.applicable_listings = vec![listing(1), listing(2)];
    TestFramework::<CouponCampaign>::with(services())
        .given_no_previous_events()
        .when(create(t))
        .then_expect_events(vec![CouponEvent::CouponCampaignCreated {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            terms: canonical,
            created_at: now(),
        }]);
}

#[test]
fn it_should_ignore_an_identical_creation() {
    given(created())
        .when(create(terms()))
        .then_expect_events(vec![]);
    // Even once the window is over.
    given_at(valid_until(), created())
        .when(create(terms()))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_recreate_a_campaign_with_other_terms() {
    let mut t = terms();
    t.total_quantity = 100;
    given(created())
        .when(create(t))
        .then_expect_error(CouponError::AlreadyCreated {
            campaign_id: campaign_id(),
        });
}

#[test]
fn it_should_not_accept_commands_before_creation() {
    for command in [
        claim(1),
        redeem(1, 1, 10_000),
        restore(1),
        CouponCommand::EndCampaign,
    ] {
        given(vec![])
            .when(command)
            .then_expect_error(CouponError::NotCreated);
    }
}

fn rejects(change: impl FnOnce(&mut CampaignTerms), expected: CouponError) {
    let mut t = terms();
    change(&mut t);
    given(vec![]).when(create(t)).then_expect_error(expected);
}

#[test]
fn it_should_not_create_a_campaign_with_invalid_terms() {
    rejects(
        |t| t.discount = Discount::Percent { bp: 0, max: None },
        CouponError::PercentOutOfRange { bp: 0 },
    );
    rejects(
        |t| {
            t.discount = Discount::Percent {
                bp: 10_001,
                max: None,
            }
        },
        CouponError::PercentOutOfRange { bp: 10_001 },
    );
    rejects(
        |t| t.discount = Discount::Fixed(money(0)),
        CouponError::NonPositiveDiscount { amount: money(0) },
    );
    rejects(
        |t| {
            t.discount = Discount::Percent {
                bp: 500,
                max: Some(money(-1)),
            }
        },
        CouponError::NonPositiveDiscount { amount: money(-1) },
    );
    rejects(
        |t| t.min_spend = Some(money(-1)),
        CouponError::NegativeMinSpend { min: money(-1) },
    );
    rejects(
        |t| t.min_spend = Some(Money::new(1, krw())),
        CouponError::CurrencyMismatch {
            expected: eur(),
            got: krw(),
        },
    );
    rejects(
        |t| t.valid_until = t.valid_from,
        CouponError::EmptyValidityWindow {
            valid_from: valid_from(),
            valid_until: valid_from(),
        },
    );
    rejects(
        |t| t.valid_until = now(),
        CouponError::WindowAlreadyOver {
            valid_until: now(),
            now: now(),
        },
    );
    rejects(|t| t.total_quantity = 0, CouponError::ZeroTotalQuantity);
    rejects(|t| t.per_guest_limit = 0, CouponError::ZeroPerGuestLimit);
    rejects(
        |t| t.applicable_listings = (0..1_001).map(listing).collect(),
        CouponError::TooManyListings {
            count: 1_001,
            max: 1_000,
        },
    );
}

#[test]
fn it_should_end_a_campaign_by_the_operator() {
    given(with(created(), vec![claim(1), redeem(1, 1, 10_000)]))
        .when(CouponCommand::EndCampaign)
        .then_expect_events(vec![CouponEvent::CouponCampaignEnded {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            ended_at: now(),
            reason: EndReason::Operator,
            claimed: 1,
            redeemed: 1,
        }]);
}

#[test]
fn it_should_end_a_campaign_once_its_window_closed() {
    given_at(valid_until(), created())
        .when(CouponCommand::EndCampaign)
        .then_expect_events(vec![CouponEvent::CouponCampaignEnded {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            ended_at: valid_until(),
            reason: EndReason::WindowClosed,
            claimed: 0,
            redeemed: 0,
        }]);
}

#[test]
fn it_should_ignore_ending_an_ended_campaign() {
    given(with(created(), vec![CouponCommand::EndCampaign]))
        .when(CouponCommand::EndCampaign)
        .then_expect_events(vec![]);
}
