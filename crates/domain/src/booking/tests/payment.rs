//! ConfirmPayment (including late payments) and RecordRefund.

use super::*;
use crate::booking::BookingStatus::*;

fn late(reference: &str, amount: Money, status: BookingStatus, total_paid: Money) -> BookingEvent {
    BookingEvent::BookingLatePaymentReceived {
        booking: keys(),
        payment: payment(reference, amount),
        status,
        refund_due: amount,
        total_paid,
        received_at: now(),
    }
}

fn refunded(reference: &str, amount: i64, total_refunded: i64, total_paid: i64) -> BookingEvent {
    BookingEvent::BookingRefunded {
        booking: keys(),
        refund: Refund {
            reference: label(reference),
            amount: eur(amount),
            refunded_at: now(),
        },
        total_refunded: eur(total_refunded),
        total_paid: eur(total_paid),
    }
}

fn refund_cmd(reference: &str, amount: Money) -> BookingCommand {
    BookingCommand::RecordRefund {
        reference: label(reference),
        amount,
    }
}

/// Confirmed, then cancelled by the guest more than 72 h ahead: 300 EUR refund due.
fn cancelled_after_payment() -> Vec<BookingEvent> {
    let mut events = confirmed();
    events.push(cancelled_event(
        Confirmed,
        CancelledBy::Guest,
        CancellationReason::GuestRequest,
        Some((30_000, 30_000)),
    ));
    events
}

// --- ConfirmPayment -----------------------------------------------------------------------

#[test]
fn it_should_confirm_a_held_booking_paid_in_full() {
    given(vec![requested(), held()])
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_events(vec![payment_received(), confirmed_event(totals(30_000, 0))]);
}

#[test]
fn it_should_expect_the_discounted_total() {
    given(vec![requested(), held(), coupon_applied(3_000)])
        .when(pay_cmd("pi_1", eur(27_000)))
        .then_expect_events(vec![
            BookingEvent::BookingPaymentReceived {
                booking: keys(),
                payment: payment("pi_1", eur(27_000)),
                total_paid: eur(27_000),
            },
            confirmed_event(totals(30_000, 3_000)),
        ]);
}

#[test]
fn it_should_ignore_the_same_payment_reference_twice() {
    given(confirmed())
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_accept_a_known_reference_with_another_amount() {
    given(confirmed())
        .when(pay_cmd("pi_1", eur(1)))
        .then_expect_error(BookingError::PaymentReferenceConflict {
            reference: label("pi_1"),
        });
}

#[test]
fn it_should_not_confirm_with_a_wrong_amount() {
    given(vec![requested(), held()])
        .when(pay_cmd("pi_1", eur(29_999)))
        .then_expect_error(BookingError::PaymentAmountMismatch {
            expected: eur(30_000),
            got: eur(29_999),
        });
}

#[test]
fn it_should_not_confirm_with_another_currency() {
    given(vec![requested(), held()])
        .when(pay_cmd("pi_1", krw(30_000)))
        .then_expect_error(BookingError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            got: Currency::parse("KRW").unwrap(),
        });
}

#[test]
fn it_should_not_accept_a_negative_payment() {
    given(vec![requested(), held()])
        .when(pay_cmd("pi_1", eur(-30_000)))
        .then_expect_error(BookingError::NegativeAmount {
            amount: eur(-30_000),
        });
}

#[test]
fn it_should_not_take_payment_before_the_hold() {
    given(vec![requested()])
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_error(BookingError::IllegalTransition {
            from: Requested,
            to: Confirmed,
        });
    given(vec![waitlisted()])
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_error(BookingError::IllegalTransition {
            from: Waitlisted,
            to: Confirmed,
        });
    given(vec![waitlisted(), offered()])
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_error(BookingError::IllegalTransition {
            from: Offered,
            to: Confirmed,
        });
}

#[test]
fn it_should_not_pay_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_error(BookingError::NotFound);
}

#[test]
fn it_should_record_a_payment_after_expiry_as_late_and_owed_back() {
    let expired = BookingEvent::BookingExpired {
        booking: keys(),
        slots: slots(),
        hold_expires_at: hold_expiry(),
        coupon_to_restore: None,
        expired_at: now(),
        status: Expired,
    };
    let events = vec![requested(), held(), expired];
    let result = given(events.clone())
        .when(pay_cmd("pi_late", eur(30_000)))
        .inspect_result()
        .unwrap();
    assert_eq!(
        result,
        vec![late("pi_late", eur(30_000), Expired, eur(30_000))]
    );
    let booking = replay(&[events, result].concat());
    assert_eq!(booking.status(), Some(Expired));
    assert_eq!(booking.refund_outstanding(), Some(eur(30_000)));
}

#[test]
fn it_should_record_a_payment_after_cancellation_or_rejection_as_late() {
    let cancelled = cancelled_event(
        Held,
        CancelledBy::Guest,
        CancellationReason::PaymentAbandoned,
        None,
    );
    given(vec![requested(), held(), cancelled])
        .when(pay_cmd("pi_late", eur(30_000)))
        .then_expect_events(vec![late("pi_late", eur(30_000), Cancelled, eur(30_000))]);
    let rejected = BookingEvent::BookingRejected {
        booking: keys(),
        slots: slots(),
        reason: RejectionReason::SoldOut,
        coupon_to_restore: None,
        rejected_at: now(),
        status: Rejected,
    };
    // A late payment need not match the total: whatever arrived is owed back.
    given(vec![requested(), rejected])
        .when(pay_cmd("pi_late", eur(12_345)))
        .then_expect_events(vec![late("pi_late", eur(12_345), Rejected, eur(12_345))]);
}

#[test]
fn it_should_record_a_second_charge_on_a_confirmed_booking_as_late() {
    given(confirmed())
        .when(pay_cmd("pi_2", eur(30_000)))
        .then_expect_events(vec![late("pi_2", eur(30_000), Confirmed, eur(60_000))]);
}

#[test]
fn it_should_record_a_late_payment_on_a_waitlist_entry_that_never_had_a_price() {
    let left = BookingEvent::BookingCancelled {
        booking: keys(),
        slots: vec![],
        starts_at: None,
        cancellation: Cancellation {
            by: CancelledBy::Guest,
            reason: CancellationReason::LeftWaitlist,
            from: Waitlisted,
            at: now(),
        },
        total_paid: None,
        refund_due: None,
        coupon_to_restore: None,
        status: Cancelled,
    };
    let events = vec![waitlisted(), left];
    let result = given(events.clone())
        .when(pay_cmd("pi_odd", krw(5_000)))
        .inspect_result()
        .unwrap();
    assert_eq!(
        result,
        vec![late("pi_odd", krw(5_000), Cancelled, krw(5_000))]
    );
    // The refund then follows that currency.
    let booking = replay(&[events, result].concat());
    assert_eq!(
        booking.decide(refund_cmd("re_odd", krw(5_000)), &services_at(now())),
        Ok(vec![BookingEvent::BookingRefunded {
            booking: keys(),
            refund: Refund {
                reference: label("re_odd"),
                amount: krw(5_000),
                refunded_at: now(),
            },
            total_refunded: krw(5_000),
            total_paid: krw(5_000),
        }])
    );
}

#[test]
fn it_should_not_overflow_the_total_paid() {
    given(confirmed())
        .when(pay_cmd("pi_huge", eur(i64::MAX)))
        .then_expect_error(BookingError::AmountOverflow);
}

// --- RecordRefund -------------------------------------------------------------------------

#[test]
fn it_should_record_a_refund_after_cancellation() {
    given(cancelled_after_payment())
        .when(refund_cmd("re_1", eur(30_000)))
        .then_expect_events(vec![refunded("re_1", 30_000, 30_000, 30_000)]);
}

#[test]
fn it_should_record_refunds_in_parts() {
    let mut events = cancelled_after_payment();
    events.push(refunded("re_1", 10_000, 10_000, 30_000));
    given(events)
        .when(refund_cmd("re_2", eur(20_000)))
        .then_expect_events(vec![refunded("re_2", 20_000, 30_000, 30_000)]);
}

#[test]
fn it_should_ignore_the_same_refund_reference_twice() {
    let mut events = cancelled_after_payment();
    events.push(refunded("re_1", 10_000, 10_000, 30_000));
    given(events)
        .when(refund_cmd("re_1", eur(10_000)))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_accept_a_known_refund_reference_with_another_amount() {
    let mut events = cancelled_after_payment();
    events.push(refunded("re_1", 10_000, 10_000, 30_000));
    given(events)
        .when(refund_cmd("re_1", eur(5_000)))
        .then_expect_error(BookingError::RefundReferenceConflict {
            reference: label("re_1"),
        });
}

#[test]
fn it_should_not_refund_more_than_was_paid() {
    let mut events = cancelled_after_payment();
    events.push(refunded("re_1", 20_000, 20_000, 30_000));
    given(events)
        .when(refund_cmd("re_2", eur(10_001)))
        .then_expect_error(BookingError::RefundExceedsPaid {
            paid: Some(eur(30_000)),
            already_refunded: Some(eur(20_000)),
            requested: eur(10_001),
        });
}

#[test]
fn it_should_allow_goodwill_beyond_the_tiers_but_not_beyond_payments() {
    // Cancelled inside 24 h: nothing due by the tiers, but the operator may still refund.
    let mut events = confirmed();
    events.push(cancelled_event(
        Confirmed,
        CancelledBy::Guest,
        CancellationReason::GuestRequest,
        Some((30_000, 0)),
    ));
    given(events)
        .when(refund_cmd("re_goodwill", eur(5_000)))
        .then_expect_events(vec![refunded("re_goodwill", 5_000, 5_000, 30_000)]);
}

#[test]
fn it_should_not_refund_when_nothing_was_paid() {
    let cancelled = cancelled_event(
        Held,
        CancelledBy::Guest,
        CancellationReason::GuestRequest,
        None,
    );
    given(vec![requested(), held(), cancelled])
        .when(refund_cmd("re_1", eur(1)))
        .then_expect_error(BookingError::RefundExceedsPaid {
            paid: None,
            already_refunded: None,
            requested: eur(1),
        });
}

#[test]
fn it_should_not_refund_a_live_confirmed_booking() {
    given(confirmed())
        .when(refund_cmd("re_1", eur(1)))
        .then_expect_error(BookingError::RefundNotAllowed { status: Confirmed });
}

#[test]
fn it_should_refund_a_second_charge_on_a_confirmed_booking() {
    let mut events = confirmed();
    events.push(late("pi_2", eur(30_000), Confirmed, eur(60_000)));
    given(events)
        .when(refund_cmd("re_dup", eur(30_000)))
        .then_expect_events(vec![refunded("re_dup", 30_000, 30_000, 60_000)]);
}

#[test]
fn it_should_not_record_a_zero_or_negative_refund() {
    given(cancelled_after_payment())
        .when(refund_cmd("re_1", eur(0)))
        .then_expect_error(BookingError::RefundNotPositive { amount: eur(0) });
    given(cancelled_after_payment())
        .when(refund_cmd("re_1", eur(-5)))
        .then_expect_error(BookingError::RefundNotPositive { amount: eur(-5) });
}

#[test]
fn it_should_not_refund_in_another_currency() {
    given(cancelled_after_payment())
        .when(refund_cmd("re_1", krw(100)))
        .then_expect_error(BookingError::CurrencyMismatch {
            expected: Currency::parse("EUR").unwrap(),
            got: Currency::parse("KRW").unwrap(),
        });
}

#[test]
fn it_should_not_refund_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(refund_cmd("re_1", eur(1)))
        .then_expect_error(BookingError::NotFound);
}

#[test]
fn it_should_report_an_overflowing_refund_as_exceeding_payments() {
    let mut events = cancelled_after_payment();
    events.push(refunded("re_1", 10_000, 10_000, 30_000));
    given(events)
        .when(refund_cmd("re_2", eur(i64::MAX)))
        .then_expect_error(BookingError::RefundExceedsPaid {
            paid: Some(eur(30_000)),
            already_refunded: Some(eur(10_000)),
            requested: eur(i64::MAX),
        });
}
