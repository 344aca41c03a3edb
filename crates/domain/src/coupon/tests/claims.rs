//! ClaimCoupon.

use super::*;

#[test]
fn it_should_claim_a_coupon() {
    given(with(created(), vec![claim(2)]))
        .when(claim(1))
        .then_expect_events(vec![CouponEvent::CouponClaimed {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            guest_id: guest(1),
            code: code(),
            discount: terms().discount,
            valid_until: valid_until(),
            claimed_at: now(),
            guest_claims: 1,
            guest_unused: 1,
            claimed: 2,
            remaining: 1,
        }]);
}

#[test]
fn it_should_not_claim_before_the_campaign_starts() {
    let mut t = terms();
    t.valid_from = later(60);
    given(vec![create(t)])
        .when(claim(1))
        .then_expect_error(CouponError::NotStarted {
            starts_at: later(60),
        });
}

#[test]
fn it_should_not_claim_after_the_campaign_expired() {
    given_at(valid_until(), created())
        .when(claim(1))
        .then_expect_error(CouponError::Expired {
            ended_at: valid_until(),
        });
}

#[test]
fn it_should_not_claim_more_than_the_total_quantity() {
    given(with(created(), vec![claim(1), claim(2), claim(3)]))
        .when(claim(4))
        .then_expect_error(CouponError::Exhausted { total: 3 });
}

#[test]
fn it_should_not_claim_more_than_the_per_guest_limit() {
    given(with(created(), vec![claim(1), claim(1)]))
        .when(claim(1))
        .then_expect_error(CouponError::PerGuestLimitReached { limit: 2 });
}

#[test]
fn it_should_not_claim_from_an_ended_campaign() {
    given(with(created(), vec![CouponCommand::EndCampaign]))
        .when(claim(1))
        .then_expect_error(CouponError::CampaignEnded);
}
