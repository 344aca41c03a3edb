//! CancelBooking, CheckIn, MarkNoShow.

use chrono::Duration;

use super::*;
use crate::booking::BookingStatus::*;

fn cancel_at(hours_before_start: i64) -> Option<Money> {
    let when = t(STARTS) - Duration::hours(hours_before_start);
    let events = given_at(when, confirmed())
        .when(cancel_cmd(CancelledBy::Guest))
        .inspect_result()
        .unwrap();
    match events.as_slice() {
        [BookingEvent::BookingCancelled { refund_due, .. }] => *refund_due,
        other => panic!("unexpected {other:?}"),
    }
}

fn checked_in_now() -> Vec<BookingEvent> {
    let mut events = confirmed();
    events.push(BookingEvent::BookingCheckedIn {
        booking: keys(),
        slots: slots(),
        starts_at: t(STARTS),
        checked_in_at: now(),
        status: CheckedIn,
    });
    events
}

// --- CancelBooking ------------------------------------------------------------------------

#[test]
fn it_should_cancel_a_requested_or_held_booking_with_nothing_due() {
    given(vec![requested()])
        .when(cancel_cmd(CancelledBy::Guest))
        .then_expect_events(vec![cancelled_event(
            Requested,
            CancelledBy::Guest,
            CancellationReason::GuestRequest,
            None,
        )]);
    given(vec![requested(), held()])
        .when(cancel_cmd(CancelledBy::System))
        .then_expect_events(vec![cancelled_event(
            Held,
            CancelledBy::System,
            CancellationReason::GuestRequest,
            None,
        )]);
}

#[test]
fn it_should_hand_back_the_coupon_on_cancellation() {
    let events = given(vec![requested(), held(), coupon_applied(3_000)])
        .when(cancel_cmd(CancelledBy::Guest))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [BookingEvent::BookingCancelled { coupon_to_restore: Some(c), .. }] if *c == coupon(3_000)
    ));
}

#[test]
fn it_should_let_a_guest_leave_the_waitlist() {
    given(vec![waitlisted()])
        .when(BookingCommand::CancelBooking {
            by: CancelledBy::Guest,
            reason: CancellationReason::LeftWaitlist,
        })
        .then_expect_events(vec![BookingEvent::BookingCancelled {
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
        }]);
}

#[test]
fn it_should_let_an_operator_cancel_an_offer() {
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::CancelBooking {
            by: CancelledBy::Operator,
            reason: CancellationReason::ListingUnavailable,
        })
        .then_expect_events(vec![cancelled_event(
            Offered,
            CancelledBy::Operator,
            CancellationReason::ListingUnavailable,
            None,
        )]);
}

#[test]
fn it_should_compute_the_refund_from_the_copied_tiers() {
    given(confirmed())
        .when(cancel_cmd(CancelledBy::Guest))
        .then_expect_events(vec![cancelled_event(
            Confirmed,
            CancelledBy::Guest,
            CancellationReason::GuestRequest,
            Some((30_000, 30_000)),
        )]);
    assert_eq!(cancel_at(72), Some(eur(30_000)));
    assert_eq!(cancel_at(71), Some(eur(15_000)));
    assert_eq!(cancel_at(24), Some(eur(15_000)));
    assert_eq!(cancel_at(23), Some(eur(0)));
    assert_eq!(cancel_at(-1), Some(eur(0)));
}

#[test]
fn it_should_base_the_refund_on_the_discounted_total() {
    let events = vec![
        requested(),
        held(),
        coupon_applied(10_000),
        BookingEvent::BookingPaymentReceived {
            booking: keys(),
            payment: payment("pi_1", eur(20_000)),
            total_paid: eur(20_000),
        },
        confirmed_event(totals(30_000, 10_000)),
    ];
    let when = t(STARTS) - Duration::hours(48);
    let result = given_at(when, events.clone())
        .when(cancel_cmd(CancelledBy::Guest))
        .inspect_result()
        .unwrap();
    let booking = replay(&[events, result].concat());
    assert_eq!(booking.refund_due(), Some(eur(10_000)));
    assert_eq!(booking.refund_outstanding(), Some(eur(10_000)));
    assert_eq!(booking.cancellation().map(|c| c.from), Some(Confirmed));
}

#[test]
fn it_should_quote_the_refund_a_cancellation_would_give_without_recording_it() {
    let booking = replay(&confirmed());
    for hours in [72, 71, 23, -1] {
        let when = t(STARTS) - Duration::hours(hours);
        assert_eq!(
            booking.refund_if_cancelled(when).unwrap(),
            cancel_at(hours),
            "{hours} h before the start"
        );
    }
    // A hold has nothing paid, so nothing to refund; a finished booking cannot be cancelled.
    assert_eq!(
        replay(&[requested(), held()]).refund_if_cancelled(now()),
        Ok(None)
    );
    let checked_in = checked_in_now();
    assert_eq!(
        replay(&checked_in).refund_if_cancelled(now()),
        Err(BookingError::IllegalTransition {
            from: CheckedIn,
            to: Cancelled
        })
    );
}

#[test]
fn it_should_ignore_cancelling_a_cancelled_booking() {
    given(vec![
        requested(),
        cancelled_event(
            Requested,
            CancelledBy::Guest,
            CancellationReason::GuestRequest,
            None,
        ),
    ])
    .when(cancel_cmd(CancelledBy::Operator))
    .then_expect_events(vec![]);
}

#[test]
fn it_should_not_cancel_a_finished_booking() {
    let checked_in = checked_in_now();
    given(checked_in)
        .when(cancel_cmd(CancelledBy::Operator))
        .then_expect_error(BookingError::IllegalTransition {
            from: CheckedIn,
            to: Cancelled,
        });
}

#[test]
fn it_should_not_cancel_a_missing_booking() {
    at(now())
        .given_no_previous_events()
        .when(cancel_cmd(CancelledBy::Guest))
        .then_expect_error(BookingError::NotFound);
}

// --- CheckIn ------------------------------------------------------------------------------

fn checked_in_at(at: chrono::DateTime<Utc>) -> BookingEvent {
    BookingEvent::BookingCheckedIn {
        booking: keys(),
        slots: slots(),
        starts_at: t(STARTS),
        checked_in_at: at,
        status: CheckedIn,
    }
}

#[test]
fn it_should_check_in_from_twelve_hours_before_the_start_by_default() {
    let opens = t(STARTS) - DEFAULT_CHECK_IN_LEAD;
    given_at(opens, confirmed())
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_events(vec![checked_in_at(opens)]);
}

#[test]
fn it_should_not_check_in_before_the_default_opening() {
    let opens = t(STARTS) - DEFAULT_CHECK_IN_LEAD;
    given_at(opens - Duration::seconds(1), confirmed())
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_error(BookingError::TooEarlyToCheckIn { opens_at: opens });
}

#[test]
fn it_should_use_the_opening_the_caller_computed() {
    // Local midnight of the start day in Europe/Paris (UTC+1).
    let midnight = t("2026-12-23T23:00:00Z");
    given_at(midnight, confirmed())
        .when(BookingCommand::CheckIn {
            opens_at: Some(midnight),
        })
        .then_expect_events(vec![checked_in_at(midnight)]);
    given_at(midnight - Duration::minutes(1), confirmed())
        .when(BookingCommand::CheckIn {
            opens_at: Some(midnight),
        })
        .then_expect_error(BookingError::TooEarlyToCheckIn { opens_at: midnight });
}

#[test]
fn it_should_not_accept_a_check_in_opening_after_the_start() {
    let late = t(STARTS) + Duration::minutes(1);
    given_at(late, confirmed())
        .when(BookingCommand::CheckIn {
            opens_at: Some(late),
        })
        .then_expect_error(BookingError::InvalidCheckInWindow {
            opens_at: late,
            starts_at: t(STARTS),
        });
}

#[test]
fn it_should_not_check_in_after_the_booking_ended() {
    given_at(t(ENDS), confirmed())
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_error(BookingError::TooLateToCheckIn { ends_at: t(ENDS) });
}

#[test]
fn it_should_ignore_checking_in_twice() {
    let mut events = confirmed();
    events.push(checked_in_at(t(STARTS)));
    given_at(t(STARTS), events)
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_events(vec![]);
}

#[test]
fn it_should_only_check_in_a_confirmed_booking() {
    given_at(t(STARTS), vec![requested(), held()])
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_error(BookingError::IllegalTransition {
            from: Held,
            to: CheckedIn,
        });
    at(t(STARTS))
        .given_no_previous_events()
        .when(BookingCommand::CheckIn { opens_at: None })
        .then_expect_error(BookingError::NotFound);
}

// --- MarkNoShow ---------------------------------------------------------------------------

fn no_show(bp: u32, retained: i64, refund_due: i64, at: chrono::DateTime<Utc>) -> BookingEvent {
    BookingEvent::BookingMarkedNoShow {
        booking: keys(),
        slots: slots(),
        starts_at: t(STARTS),
        no_show_refund_bp: bp,
        retained: eur(retained),
        refund_due: eur(refund_due),
        marked_at: at,
        status: NoShow,
    }
}

#[test]
fn it_should_mark_a_no_show_after_the_start_keeping_everything_by_default() {
    let after = t(STARTS) + Duration::seconds(1);
    given_at(after, confirmed())
        .when(BookingCommand::mark_no_show())
        .then_expect_events(vec![no_show(0, 30_000, 0, after)]);
}

#[test]
fn it_should_refund_the_no_show_share_asked_for() {
    let after = t(STARTS) + Duration::hours(6);
    let events = confirmed();
    let result = given_at(after, events.clone())
        .when(BookingCommand::MarkNoShow {
            no_show_refund_bp: 2_500,
        })
        .inspect_result()
        .unwrap();
    assert_eq!(result, vec![no_show(2_500, 22_500, 7_500, after)]);
    assert_eq!(
        replay(&[events, result].concat()).refund_due(),
        Some(eur(7_500))
    );
}

#[test]
fn it_should_not_mark_a_no_show_until_the_start_has_passed() {
    given_at(t(STARTS), confirmed())
        .when(BookingCommand::mark_no_show())
        .then_expect_error(BookingError::TooEarlyForNoShow {
            starts_at: t(STARTS),
        });
}

#[test]
fn it_should_not_refund_more_than_everything_on_a_no_show() {
    given_at(t(ENDS), confirmed())
        .when(BookingCommand::MarkNoShow {
            no_show_refund_bp: 10_001,
        })
        .then_expect_error(BookingError::InvalidRefundBasisPoints { bp: 10_001 });
}

#[test]
fn it_should_ignore_the_same_no_show_twice_but_not_another_share() {
    let mut events = confirmed();
    events.push(no_show(0, 30_000, 0, t(ENDS)));
    given_at(t(ENDS), events.clone())
        .when(BookingCommand::mark_no_show())
        .then_expect_events(vec![]);
    given_at(t(ENDS), events)
        .when(BookingCommand::MarkNoShow {
            no_show_refund_bp: 5_000,
        })
        .then_expect_error(BookingError::IllegalTransition {
            from: NoShow,
            to: NoShow,
        });
}

#[test]
fn it_should_not_mark_a_checked_in_guest_as_no_show() {
    let mut events = confirmed();
    events.push(checked_in_at(t(STARTS)));
    given_at(t(ENDS), events)
        .when(BookingCommand::mark_no_show())
        .then_expect_error(BookingError::IllegalTransition {
            from: CheckedIn,
            to: NoShow,
        });
    at(t(ENDS))
        .given_no_previous_events()
        .when(BookingCommand::mark_no_show())
        .then_expect_error(BookingError::NotFound);
}
