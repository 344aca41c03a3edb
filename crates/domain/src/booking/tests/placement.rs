//! RequestBooking, MarkHeld, ApplyCoupon, RejectBooking, ExpireHold.

use chrono::Duration;

use super::*;
use crate::booking::BookingStatus::*;

fn request_with(f: impl FnOnce(&mut RequestBooking)) -> BookingCommand {
    let mut cmd = request_cmd();
    f(&mut cmd);
    BookingCommand::RequestBooking(cmd)
}

// --- RequestBooking -----------------------------------------------------------------------

#[test]
fn it_should_request_a_booking() {
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::RequestBooking(request_cmd()))
        .then_expect_events(vec![requested()]);
}

#[test]
fn it_should_store_slots_and_lines_sorted() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.slots.reverse();
            c.lines.reverse();
        }))
        .then_expect_events(vec![requested()]);
}

#[test]
fn it_should_ignore_an_identical_request_retry() {
    given(vec![requested(), held()])
        .when(request_with(|c| c.slots.reverse()))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_request_over_an_existing_booking() {
    given(vec![requested()])
        .when(request_with(|c| {
            c.party_size = PartySize::parse(3).unwrap()
        }))
        .then_expect_error(BookingError::AlreadyExists {
            booking_id: keys().booking_id,
        });
}

#[test]
fn it_should_not_request_over_a_waitlist_entry() {
    given(vec![waitlisted()])
        .when(BookingCommand::RequestBooking(request_cmd()))
        .then_expect_error(BookingError::AlreadyExists {
            booking_id: keys().booking_id,
        });
}

#[test]
fn it_should_not_request_without_slots() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.slots.clear();
            c.lines.clear();
        }))
        .then_expect_error(BookingError::NoSlots);
}

#[test]
fn it_should_not_request_too_many_slots() {
    let many: Vec<Slot> = (0..=MAX_SLOTS as u64)
        .map(|i| Slot::day(date("2026-01-01") + chrono::Days::new(i)))
        .collect();
    let got = many.len();
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| c.slots = many))
        .then_expect_error(BookingError::TooManySlots {
            got,
            max: MAX_SLOTS,
        });
}

#[test]
fn it_should_not_request_a_slot_twice() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| c.slots.push(night("2026-12-24"))))
        .then_expect_error(BookingError::DuplicateSlot {
            slot: night("2026-12-24"),
        });
}

#[test]
fn it_should_not_request_with_an_unpriced_slot() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines.pop();
        }))
        .then_expect_error(BookingError::LinesDoNotMatchSlots {
            unpriced: vec![night("2026-12-25")],
            unexpected: vec![],
        });
}

#[test]
fn it_should_not_request_with_a_line_for_another_slot() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| c.lines[1].slot = night("2026-12-31")))
        .then_expect_error(BookingError::LinesDoNotMatchSlots {
            unpriced: vec![night("2026-12-25")],
            unexpected: vec![night("2026-12-31")],
        });
}

#[test]
fn it_should_not_request_with_two_lines_for_one_slot() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines.push(line(night("2026-12-24"), 15_000, 1))
        }))
        .then_expect_error(BookingError::LinesDoNotMatchSlots {
            unpriced: vec![],
            unexpected: vec![night("2026-12-24")],
        });
}

#[test]
fn it_should_not_request_a_line_with_another_quantity() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines[0] = line(night("2026-12-24"), 15_000, 2)
        }))
        .then_expect_error(BookingError::LineQuantityMismatch {
            slot: night("2026-12-24"),
            expected: qty(1),
            got: qty(2),
        });
}

#[test]
fn it_should_not_request_a_line_whose_amount_is_not_unit_times_quantity() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| c.lines[1].amount = eur(14_999)))
        .then_expect_error(BookingError::LineAmountMismatch {
            slot: night("2026-12-25"),
            expected: eur(15_000),
            got: eur(14_999),
        });
}

#[test]
fn it_should_not_request_a_negative_price() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines[0] = line(night("2026-12-24"), -1, 1)
        }))
        .then_expect_error(BookingError::NegativeAmount { amount: eur(-1) });
}

#[test]
fn it_should_not_request_lines_in_two_currencies() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines[1].unit_price = krw(15_000);
            c.lines[1].amount = krw(15_000);
        }))
        .then_expect_error(BookingError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            got: Currency::parse("KRW").unwrap(),
        });
}

#[test]
fn it_should_report_overflowing_amounts_as_a_typed_error() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.quantity = qty(2);
            for l in &mut c.lines {
                *l = PricedLine {
                    quantity: qty(2),
                    unit_price: eur(i64::MAX / 2),
                    amount: eur(i64::MAX / 2 * 2),
                    slot: l.slot,
                };
            }
        }))
        .then_expect_error(BookingError::AmountOverflow);
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| {
            c.lines[0].unit_price = eur(i64::MAX);
            c.lines[0].amount = eur(i64::MAX);
        }))
        .then_expect_error(BookingError::AmountOverflow);
}

#[test]
fn it_should_not_request_a_booking_that_ends_before_it_starts() {
    at(now())
        .given_no_previous_events()
        .when(request_with(|c| c.ends_at = c.starts_at))
        .then_expect_error(BookingError::InvalidTimeSpan {
            starts_at: t(STARTS),
            ends_at: t(STARTS),
        });
}

// --- MarkHeld -----------------------------------------------------------------------------

#[test]
fn it_should_mark_a_requested_booking_held() {
    given(vec![requested()])
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_events(vec![held()]);
}

#[test]
fn it_should_ignore_the_same_hold_twice() {
    given(vec![requested(), held()])
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_hold_again_with_another_expiry() {
    given(vec![requested(), held()])
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry() + Duration::minutes(1),
        })
        .then_expect_error(BookingError::AlreadyHeld {
            hold_expires_at: hold_expiry(),
        });
}

#[test]
fn it_should_not_hold_with_an_expiry_in_the_past() {
    given(vec![requested()])
        .when(BookingCommand::MarkHeld {
            hold_expires_at: now(),
        })
        .then_expect_error(BookingError::HoldExpiryNotInFuture {
            hold_expires_at: now(),
            now: now(),
        });
}

#[test]
fn it_should_not_hold_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_error(BookingError::NotFound);
}

#[test]
fn it_should_not_mark_an_offered_booking_held() {
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_error(BookingError::OfferPending);
}

#[test]
fn it_should_not_hold_a_confirmed_booking() {
    given(confirmed())
        .when(BookingCommand::MarkHeld {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_error(BookingError::IllegalTransition {
            from: Confirmed,
            to: Held,
        });
}

// --- ApplyPoints --------------------------------------------------------------------------

fn points_cmd(points: u64) -> BookingCommand {
    BookingCommand::ApplyPoints {
        tenant_id: keys().tenant_id,
        points,
    }
}

fn points_applied(points: u64, discount: i64) -> BookingEvent {
    BookingEvent::BookingPointsApplied {
        booking: keys(),
        points: crate::booking::AppliedPoints {
            tenant_id: keys().tenant_id,
            points,
            value: eur(points as i64),
        },
        totals: totals(30_000, discount),
        applied_at: now(),
    }
}

#[test]
fn it_should_pay_part_with_points_after_a_coupon() {
    given(vec![requested()])
        .when(points_cmd(2_000))
        .then_expect_events(vec![points_applied(2_000, 2_000)]);
    // After a 3,000 coupon: the discount is both, the total what is left.
    given(vec![requested(), coupon_applied(3_000)])
        .when(points_cmd(2_000))
        .then_expect_events(vec![points_applied(2_000, 5_000)]);
    // The whole of what is left.
    given(vec![requested(), held(), coupon_applied(3_000)])
        .when(points_cmd(27_000))
        .then_expect_events(vec![points_applied(27_000, 30_000)]);
}

#[test]
fn it_should_ignore_the_same_points_twice_and_refuse_others() {
    given(vec![requested(), points_applied(2_000, 2_000)])
        .when(points_cmd(2_000))
        .then_expect_events(vec![]);
    given(vec![requested(), points_applied(2_000, 2_000)])
        .when(points_cmd(1_000))
        .then_expect_error(BookingError::PointsNotAllowed {
            why: "other points were applied already",
        });
}

#[test]
fn it_should_not_take_points_beyond_the_total_after_confirmation_or_none() {
    given(vec![requested(), coupon_applied(3_000)])
        .when(points_cmd(27_001))
        .then_expect_error(BookingError::DiscountExceedsSubtotal {
            discount: eur(27_001),
            subtotal: eur(27_000),
        });
    given(confirmed())
        .when(points_cmd(100))
        .then_expect_error(BookingError::PointsNotAllowed {
            why: "only while the booking is requested or held",
        });
    given(vec![requested()])
        .when(points_cmd(0))
        .then_expect_error(BookingError::PointsNotAllowed {
            why: "points are a positive number",
        });
    given(vec![])
        .when(points_cmd(100))
        .then_expect_error(BookingError::NotFound);
}

// --- ApplyCoupon --------------------------------------------------------------------------

fn coupon_cmd(discount: Money) -> BookingCommand {
    BookingCommand::ApplyCoupon {
        campaign_id: campaign(),
        code: label("XMAS10"),
        discount,
    }
}

#[test]
fn it_should_apply_a_coupon_to_a_requested_or_held_booking() {
    given(vec![requested()])
        .when(coupon_cmd(eur(3_000)))
        .then_expect_events(vec![coupon_applied(3_000)]);
    given(vec![requested(), held()])
        .when(coupon_cmd(eur(3_000)))
        .then_expect_events(vec![coupon_applied(3_000)]);
}

#[test]
fn it_should_allow_a_discount_of_the_whole_subtotal() {
    given(vec![requested()])
        .when(coupon_cmd(eur(30_000)))
        .then_expect_events(vec![coupon_applied(30_000)]);
}

#[test]
fn it_should_ignore_the_same_coupon_twice() {
    given(vec![requested(), coupon_applied(3_000)])
        .when(coupon_cmd(eur(3_000)))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_apply_a_second_coupon() {
    given(vec![requested(), coupon_applied(3_000)])
        .when(coupon_cmd(eur(5_000)))
        .then_expect_error(BookingError::CouponAlreadyApplied {
            campaign_id: campaign(),
        });
}

#[test]
fn it_should_not_apply_a_coupon_after_confirmation() {
    given(confirmed())
        .when(coupon_cmd(eur(3_000)))
        .then_expect_error(BookingError::CouponNotAllowed { status: Confirmed });
}

#[test]
fn it_should_not_apply_a_coupon_to_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(coupon_cmd(eur(3_000)))
        .then_expect_error(BookingError::NotFound);
}

#[test]
fn it_should_not_discount_more_than_the_subtotal() {
    given(vec![requested()])
        .when(coupon_cmd(eur(30_001)))
        .then_expect_error(BookingError::DiscountExceedsSubtotal {
            discount: eur(30_001),
            subtotal: eur(30_000),
        });
}

#[test]
fn it_should_not_apply_a_negative_discount() {
    given(vec![requested()])
        .when(coupon_cmd(eur(-1)))
        .then_expect_error(BookingError::NegativeAmount { amount: eur(-1) });
}

#[test]
fn it_should_not_apply_a_discount_in_another_currency() {
    given(vec![requested()])
        .when(coupon_cmd(krw(1_000)))
        .then_expect_error(BookingError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            got: Currency::parse("KRW").unwrap(),
        });
}

// --- RejectBooking ------------------------------------------------------------------------

fn rejected(reason: RejectionReason, coupon_to_restore: Option<AppliedCoupon>) -> BookingEvent {
    BookingEvent::BookingRejected {
        booking: keys(),
        slots: slots(),
        reason,
        coupon_to_restore,
        rejected_at: now(),
        status: Rejected,
    }
}

fn policy(rule: &str) -> RejectionReason {
    RejectionReason::PolicyViolation { rule: label(rule) }
}

#[test]
fn it_should_reject_a_requested_booking_with_a_reason_code() {
    given(vec![requested()])
        .when(BookingCommand::RejectBooking {
            reason: RejectionReason::SoldOut,
        })
        .then_expect_events(vec![rejected(RejectionReason::SoldOut, None)]);
}

#[test]
fn it_should_hand_back_the_coupon_when_rejected() {
    given(vec![requested(), coupon_applied(3_000)])
        .when(BookingCommand::RejectBooking {
            reason: policy("LEAD_TIME"),
        })
        .then_expect_events(vec![rejected(policy("LEAD_TIME"), Some(coupon(3_000)))]);
}

#[test]
fn it_should_ignore_the_same_rejection_twice() {
    given(vec![requested(), rejected(RejectionReason::SoldOut, None)])
        .when(BookingCommand::RejectBooking {
            reason: RejectionReason::SoldOut,
        })
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_reject_again_for_another_reason() {
    given(vec![requested(), rejected(RejectionReason::SoldOut, None)])
        .when(BookingCommand::RejectBooking {
            reason: RejectionReason::CouponRejected,
        })
        .then_expect_error(BookingError::IllegalTransition {
            from: Rejected,
            to: Rejected,
        });
}

#[test]
fn it_should_not_reject_a_held_booking() {
    given(vec![requested(), held()])
        .when(BookingCommand::RejectBooking {
            reason: RejectionReason::PaymentFailed,
        })
        .then_expect_error(BookingError::IllegalTransition {
            from: Held,
            to: Rejected,
        });
}

#[test]
fn it_should_not_reject_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::RejectBooking {
            reason: RejectionReason::SlotClosed,
        })
        .then_expect_error(BookingError::NotFound);
}

// --- ExpireHold ---------------------------------------------------------------------------

fn expired(coupon_to_restore: Option<AppliedCoupon>) -> BookingEvent {
    BookingEvent::BookingExpired {
        booking: keys(),
        slots: slots(),
        hold_expires_at: hold_expiry(),
        coupon_to_restore,
        expired_at: hold_expiry(),
        status: Expired,
    }
}

#[test]
fn it_should_expire_a_hold_once_its_time_has_come() {
    given_at(hold_expiry(), vec![requested(), held()])
        .when(BookingCommand::ExpireHold)
        .then_expect_events(vec![expired(None)]);
}

#[test]
fn it_should_hand_back_the_coupon_when_the_hold_expires() {
    given_at(
        hold_expiry(),
        vec![requested(), held(), coupon_applied(500)],
    )
    .when(BookingCommand::ExpireHold)
    .then_expect_events(vec![expired(Some(coupon(500)))]);
}

#[test]
fn it_should_not_expire_a_hold_before_its_expiry() {
    given_at(
        hold_expiry() - Duration::seconds(1),
        vec![requested(), held()],
    )
    .when(BookingCommand::ExpireHold)
    .then_expect_error(BookingError::HoldNotExpiredYet {
        expires_at: hold_expiry(),
    });
}

#[test]
fn it_should_ignore_expiring_an_expired_hold() {
    given_at(hold_expiry(), vec![requested(), held(), expired(None)])
        .when(BookingCommand::ExpireHold)
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_expire_a_hold_that_is_not_there() {
    given(vec![requested()])
        .when(BookingCommand::ExpireHold)
        .then_expect_error(BookingError::IllegalTransition {
            from: Requested,
            to: Expired,
        });
    given(confirmed())
        .when(BookingCommand::ExpireHold)
        .then_expect_error(BookingError::IllegalTransition {
            from: Confirmed,
            to: Expired,
        });
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::ExpireHold)
        .then_expect_error(BookingError::OfferPending);
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::ExpireHold)
        .then_expect_error(BookingError::NotFound);
}
