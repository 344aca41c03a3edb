//! JoinWaitlist, OfferSlot, AcceptOffer, DeclineOffer, ExpireOffer.

use chrono::Duration;

use super::*;
use crate::booking::BookingStatus::*;

fn dinner() -> NaiveTime {
    NaiveTime::from_hms_opt(18, 30, 0).unwrap()
}

fn offer_with(f: impl FnOnce(&mut OfferSlot)) -> BookingCommand {
    let mut cmd = offer_cmd();
    f(&mut cmd);
    BookingCommand::OfferSlot(cmd)
}

fn accepted() -> Vec<BookingEvent> {
    vec![
        BookingEvent::BookingOfferAccepted {
            booking: keys(),
            accepted_at: now(),
        },
        held(),
    ]
}

fn offer_expired() -> BookingEvent {
    BookingEvent::BookingOfferExpired {
        booking: keys(),
        slots: slots(),
        offer_expires_at: offer_expiry(),
        expired_at: offer_expiry(),
        status: Expired,
    }
}

fn declined() -> BookingEvent {
    BookingEvent::BookingOfferDeclined {
        booking: keys(),
        slots: slots(),
        declined_at: now(),
        status: Cancelled,
    }
}

// --- JoinWaitlist -------------------------------------------------------------------------

#[test]
fn it_should_put_a_guest_on_the_waitlist() {
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::JoinWaitlist(join_cmd(None, 2)))
        .then_expect_events(vec![waitlisted()]);
}

#[test]
fn it_should_ignore_joining_the_waitlist_twice() {
    given(vec![waitlisted()])
        .when(BookingCommand::JoinWaitlist(join_cmd(None, 2)))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_join_the_waitlist_over_another_booking() {
    given(vec![waitlisted()])
        .when(BookingCommand::JoinWaitlist(join_cmd(None, 3)))
        .then_expect_error(BookingError::AlreadyExists {
            booking_id: keys().booking_id,
        });
    given(vec![requested()])
        .when(BookingCommand::JoinWaitlist(join_cmd(None, 2)))
        .then_expect_error(BookingError::AlreadyExists {
            booking_id: keys().booking_id,
        });
}

#[test]
fn it_should_want_between_one_slot_and_the_days_in_the_range() {
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::JoinWaitlist(join_cmd(None, 0)))
        .then_expect_error(BookingError::SlotCountOutOfRange {
            slot_count: 0,
            max: 7,
        });
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::JoinWaitlist(join_cmd(Some(dinner()), 8)))
        .then_expect_error(BookingError::SlotCountOutOfRange {
            slot_count: 8,
            max: 7,
        });
}

// --- OfferSlot ----------------------------------------------------------------------------

#[test]
fn it_should_offer_priced_slots_to_a_waitlisted_guest() {
    given(vec![waitlisted()])
        .when(offer_with(|c| c.slots.reverse()))
        .then_expect_events(vec![offered()]);
}

#[test]
fn it_should_ignore_the_same_offer_twice_but_not_another() {
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::OfferSlot(offer_cmd()))
        .then_expect_events(vec![]);
    given(vec![waitlisted(), offered()])
        .when(offer_with(|c| c.offer_expires_at += Duration::hours(1)))
        .then_expect_error(BookingError::AlreadyOffered {
            offer_expires_at: offer_expiry(),
        });
}

#[test]
fn it_should_only_offer_to_a_waitlisted_guest() {
    given(vec![requested()])
        .when(BookingCommand::OfferSlot(offer_cmd()))
        .then_expect_error(BookingError::IllegalTransition {
            from: Requested,
            to: Offered,
        });
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::OfferSlot(offer_cmd()))
        .then_expect_error(BookingError::NotFound);
}

#[test]
fn it_should_offer_exactly_the_number_of_slots_wanted() {
    given(vec![waitlisted()])
        .when(offer_with(|c| {
            c.slots.truncate(1);
            c.lines.truncate(1);
        }))
        .then_expect_error(BookingError::SlotCountMismatch {
            expected: 2,
            got: 1,
        });
}

#[test]
fn it_should_only_offer_slots_inside_the_wanted_range() {
    given(vec![waitlisted()])
        .when(offer_with(|c| {
            c.slots[1] = night("2026-12-27");
            c.lines[1].slot = night("2026-12-27");
        }))
        .then_expect_error(BookingError::SlotOutsideWantedRange {
            slot: night("2026-12-27"),
            wanted: wanted(),
        });
}

#[test]
fn it_should_only_offer_slots_at_the_wanted_time() {
    let waitlisted_for_dinner = BookingEvent::BookingWaitlisted {
        booking: keys(),
        party_size: PartySize::parse(2).unwrap(),
        quantity: qty(1),
        wanted: wanted(),
        time: Some(dinner()),
        slot_count: 1,
        waitlisted_at: now(),
        status: Waitlisted,
    };
    let lunch = Slot::at(
        date("2026-12-24"),
        NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
    );
    let supper = Slot::at(date("2026-12-24"), dinner());
    given(vec![waitlisted_for_dinner.clone()])
        .when(offer_with(|c| {
            c.slots = vec![lunch];
            c.lines = vec![line(lunch, 4_000, 1)];
        }))
        .then_expect_error(BookingError::SlotTimeNotWanted {
            slot: lunch,
            wanted_time: dinner(),
        });
    let result = given(vec![waitlisted_for_dinner])
        .when(offer_with(|c| {
            c.slots = vec![supper];
            c.lines = vec![line(supper, 4_000, 1)];
        }))
        .inspect_result();
    assert!(matches!(
        result.as_deref(),
        Ok([BookingEvent::BookingOffered { .. }])
    ));
}

#[test]
fn it_should_not_offer_with_an_expiry_in_the_past() {
    given(vec![waitlisted()])
        .when(offer_with(|c| c.offer_expires_at = now()))
        .then_expect_error(BookingError::OfferExpiryNotInFuture {
            offer_expires_at: now(),
            now: now(),
        });
}

#[test]
fn it_should_validate_an_offer_like_a_request() {
    given(vec![waitlisted()])
        .when(offer_with(|c| c.ends_at = c.starts_at - Duration::hours(1)))
        .then_expect_error(BookingError::InvalidTimeSpan {
            starts_at: t(STARTS),
            ends_at: t(STARTS) - Duration::hours(1),
        });
    given(vec![waitlisted()])
        .when(offer_with(|c| {
            c.lines.pop();
        }))
        .then_expect_error(BookingError::LinesDoNotMatchSlots {
            unpriced: vec![night("2026-12-25")],
            unexpected: vec![],
        });
}

// --- AcceptOffer --------------------------------------------------------------------------

#[test]
fn it_should_hold_an_accepted_offer() {
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_events(accepted());
}

#[test]
fn it_should_confirm_an_accepted_offer_once_paid() {
    let events = [vec![waitlisted(), offered()], accepted()].concat();
    given(events)
        .when(pay_cmd("pi_1", eur(30_000)))
        .then_expect_events(vec![payment_received(), confirmed_event(totals(30_000, 0))]);
}

#[test]
fn it_should_not_accept_an_offer_that_ran_out() {
    given_at(offer_expiry(), vec![waitlisted(), offered()])
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: offer_expiry() + Duration::minutes(15),
        })
        .then_expect_error(BookingError::OfferExpired {
            expired_at: offer_expiry(),
        });
}

#[test]
fn it_should_not_accept_with_a_hold_expiry_in_the_past() {
    given(vec![waitlisted(), offered()])
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: now() - Duration::minutes(1),
        })
        .then_expect_error(BookingError::HoldExpiryNotInFuture {
            hold_expires_at: now() - Duration::minutes(1),
            now: now(),
        });
}

#[test]
fn it_should_ignore_accepting_twice_but_not_with_another_hold() {
    let events = [vec![waitlisted(), offered()], accepted()].concat();
    given(events.clone())
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_events(vec![]);
    given(events)
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: hold_expiry() + Duration::minutes(5),
        })
        .then_expect_error(BookingError::AlreadyHeld {
            hold_expires_at: hold_expiry(),
        });
}

#[test]
fn it_should_not_accept_without_a_pending_offer() {
    given(vec![requested()])
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_error(BookingError::NoPendingOffer { status: Requested });
    given_at(
        offer_expiry(),
        vec![waitlisted(), offered(), offer_expired()],
    )
    .when(BookingCommand::AcceptOffer {
        hold_expires_at: hold_expiry(),
    })
    .then_expect_error(BookingError::IllegalTransition {
        from: Expired,
        to: Held,
    });
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::AcceptOffer {
            hold_expires_at: hold_expiry(),
        })
        .then_expect_error(BookingError::NotFound);
}

// --- DeclineOffer -------------------------------------------------------------------------

#[test]
fn it_should_cancel_a_declined_offer_by_the_guest() {
    let events = vec![waitlisted(), offered()];
    let result = given(events.clone())
        .when(BookingCommand::DeclineOffer)
        .inspect_result()
        .unwrap();
    assert_eq!(result, vec![declined()]);
    let booking = replay(&[events, result].concat());
    assert_eq!(booking.status(), Some(Cancelled));
    assert_eq!(
        booking.cancellation().map(|c| (c.by, c.reason)),
        Some((CancelledBy::Guest, CancellationReason::OfferDeclined))
    );
}

#[test]
fn it_should_ignore_declining_twice() {
    given(vec![waitlisted(), offered(), declined()])
        .when(BookingCommand::DeclineOffer)
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_decline_without_a_pending_offer() {
    given(vec![waitlisted()])
        .when(BookingCommand::DeclineOffer)
        .then_expect_error(BookingError::NoPendingOffer { status: Waitlisted });
    given_at(
        offer_expiry(),
        vec![waitlisted(), offered(), offer_expired()],
    )
    .when(BookingCommand::DeclineOffer)
    .then_expect_error(BookingError::IllegalTransition {
        from: Expired,
        to: Cancelled,
    });
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::DeclineOffer)
        .then_expect_error(BookingError::NotFound);
}

// --- ExpireOffer --------------------------------------------------------------------------

#[test]
fn it_should_expire_an_offer_once_its_time_has_come() {
    given_at(offer_expiry(), vec![waitlisted(), offered()])
        .when(BookingCommand::ExpireOffer)
        .then_expect_events(vec![offer_expired()]);
}

#[test]
fn it_should_not_expire_an_offer_early() {
    given_at(
        offer_expiry() - Duration::seconds(1),
        vec![waitlisted(), offered()],
    )
    .when(BookingCommand::ExpireOffer)
    .then_expect_error(BookingError::OfferNotExpiredYet {
        expires_at: offer_expiry(),
    });
}

#[test]
fn it_should_ignore_expiring_an_expired_offer() {
    given_at(
        offer_expiry(),
        vec![waitlisted(), offered(), offer_expired()],
    )
    .when(BookingCommand::ExpireOffer)
    .then_expect_events(vec![]);
}

#[test]
fn it_should_not_expire_an_offer_that_is_not_pending() {
    let held_from_offer = [vec![waitlisted(), offered()], accepted()].concat();
    given_at(offer_expiry(), held_from_offer)
        .when(BookingCommand::ExpireOffer)
        .then_expect_error(BookingError::NoPendingOffer { status: Held });
    given_at(offer_expiry(), vec![waitlisted(), offered(), declined()])
        .when(BookingCommand::ExpireOffer)
        .then_expect_error(BookingError::IllegalTransition {
            from: Cancelled,
            to: Expired,
        });
    at(now())
        .given_no_previous_events()
        .when(BookingCommand::ExpireOffer)
        .then_expect_error(BookingError::NotFound);
}
