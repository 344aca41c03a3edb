//! RedeemCoupon and RestoreCoupon.

use super::*;

fn claimed() -> Vec<CouponCommand> {
    with(created(), vec![claim(1)])
}

fn redeemed() -> Vec<CouponCommand> {
    with(claimed(), vec![redeem(1, 1, 20_000)])
}

fn redeemed_event(subtotal: i64, discount: i64) -> CouponEvent {
    CouponEvent::CouponRedeemed {
        campaign_id: campaign_id(),
        tenant_id: tenant_id(),
        guest_id: guest(1),
        booking_id: booking(1),
        listing_id: listing(0),
        code: code(),
        subtotal: money(subtotal),
        discount: money(discount),
        redeemed_at: now(),
        guest_unused: 0,
        redeemed: 1,
    }
}

#[test]
fn it_should_redeem_a_claim_on_a_booking() {
    given(claimed())
        .when(redeem(1, 1, 20_000))
        .then_expect_events(vec![redeemed_event(20_000, 2_000)]);
}

#[test]
fn it_should_cap_a_percent_discount() {
    given(claimed())
        .when(redeem(1, 1, 90_000))
        .then_expect_events(vec![redeemed_event(90_000, 5_000)]);
}

#[test]
fn it_should_ignore_a_repeated_redemption_for_the_same_booking() {
    given(redeemed())
        .when(redeem(1, 1, 20_000))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_redeem_a_booking_again_with_other_details() {
    given(redeemed())
        .when(redeem(1, 1, 30_000))
        .then_expect_error(CouponError::RedemptionConflict {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_redeem_again_for_a_restored_booking() {
    given(with(redeemed(), vec![restore(1)]))
        .when(redeem(1, 1, 20_000))
        .then_expect_error(CouponError::RedemptionAlreadyRestored {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_redeem_without_an_unused_claim() {
    given(created())
        .when(redeem(1, 1, 20_000))
        .then_expect_error(CouponError::NoUnusedClaim { guest_id: guest(1) });
    given(redeemed())
        .when(redeem(1, 2, 20_000))
        .then_expect_error(CouponError::NoUnusedClaim { guest_id: guest(1) });
}

#[test]
fn it_should_not_redeem_below_the_minimum_spend() {
    given(claimed())
        .when(redeem(1, 1, 9_999))
        .then_expect_error(CouponError::MinSpendNotMet {
            min: money(10_000),
            subtotal: money(9_999),
        });
}

#[test]
fn it_should_not_redeem_on_a_listing_not_covered() {
    let mut t = terms();
    t.applicable_listings = vec![listing(7)];
    given(vec![create(t), claim(1)])
        .when(redeem(1, 1, 20_000))
        .then_expect_error(CouponError::NotApplicableToListing {
            listing_id: listing(0),
        });
}

#[test]
fn it_should_not_redeem_a_subtotal_in_another_currency() {
    given(claimed())
        .when(CouponCommand::RedeemCoupon {
            guest_id: guest(1),
            booking_id: booking(1),
            listing_id: listing(0),
            subtotal: Money::new(20_000, krw()),
        })
        .then_expect_error(CouponError::CurrencyMismatch {
            expected: eur(),
            got: krw(),
        });
}

#[test]
fn it_should_not_redeem_a_negative_subtotal() {
    let mut t = terms();
    t.min_spend = None;
    given(vec![create(t), claim(1)])
        .when(redeem(1, 1, -1))
        .then_expect_error(CouponError::NegativeSubtotal {
            subtotal: money(-1),
        });
}

#[test]
fn it_should_not_redeem_outside_the_window() {
    given_at(valid_until(), claimed())
        .when(redeem(1, 1, 20_000))
        .then_expect_error(CouponError::Expired {
            ended_at: valid_until(),
        });
    given_at(valid_from() - Duration::seconds(1), claimed())
        .when(redeem(1, 1, 20_000))
        .then_expect_error(CouponError::NotStarted {
            starts_at: valid_from(),
        });
}

#[test]
fn claims_stay_redeemable_after_the_operator_ends_the_campaign() {
    given(with(claimed(), vec![CouponCommand::EndCampaign]))
        .when(redeem(1, 1, 20_000))
        .then_expect_events(vec![redeemed_event(20_000, 2_000)]);
}

#[test]
fn it_should_restore_a_cancelled_bookings_coupon() {
    given(redeemed())
        .when(restore(1))
        .then_expect_events(vec![CouponEvent::CouponRestored {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            guest_id: guest(1),
            booking_id: booking(1),
            discount: money(2_000),
            restored_at: now(),
            guest_unused: 1,
            redeemed: 0,
        }]);
}

#[test]
fn a_restored_claim_can_be_redeemed_on_another_booking() {
    let events = given(with(redeemed(), vec![restore(1)]))
        .when(redeem(1, 2, 20_000))
        .inspect_result();
    assert!(matches!(
        events.as_deref(),
        Ok([CouponEvent::CouponRedeemed {
            guest_unused: 0,
            redeemed: 1,
            ..
        }])
    ));
}

#[test]
fn it_should_ignore_a_repeated_restore() {
    given(with(redeemed(), vec![restore(1)]))
        .when(restore(1))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_restore_when_the_campaign_does_not_allow_it() {
    let mut t = terms();
    t.restore_on_cancel = false;
    given(vec![create(t), claim(1), redeem(1, 1, 20_000)])
        .when(restore(1))
        .then_expect_error(CouponError::RestoreNotAllowed);
}

#[test]
fn it_should_not_restore_an_unknown_redemption() {
    given(claimed())
        .when(restore(1))
        .then_expect_error(CouponError::RedemptionNotFound {
            booking_id: booking(1),
        });
}

fn undo(b: u128) -> CouponCommand {
    CouponCommand::UndoRedemption {
        booking_id: booking(b),
    }
}

#[test]
fn it_should_undo_the_redemption_of_a_booking_that_never_went_through_even_without_restores() {
    let mut t = terms();
    t.restore_on_cancel = false;
    given(vec![create(t), claim(1), redeem(1, 1, 20_000)])
        .when(undo(1))
        .then_expect_events(vec![CouponEvent::CouponRestored {
            campaign_id: campaign_id(),
            tenant_id: tenant_id(),
            guest_id: guest(1),
            booking_id: booking(1),
            discount: money(2_000),
            restored_at: now(),
            guest_unused: 1,
            redeemed: 0,
        }]);
}

#[test]
fn it_should_ignore_an_undo_after_a_restore() {
    given(with(redeemed(), vec![restore(1)]))
        .when(undo(1))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_undo_an_unknown_redemption() {
    given(claimed())
        .when(undo(1))
        .then_expect_error(CouponError::RedemptionNotFound {
            booking_id: booking(1),
        });
}
