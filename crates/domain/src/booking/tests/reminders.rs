//! Remind: once per booking and kind, in the status it is for, before its deadline.

use chrono::Duration;

use super::*;
use crate::booking::BookingStatus::*;

fn remind(reminder: Reminder) -> BookingCommand {
    BookingCommand::Remind { reminder }
}

fn reminded(reminder: Reminder, at: DateTime<Utc>) -> BookingEvent {
    BookingEvent::BookingReminded {
        booking: keys(),
        reminder,
        party_size: PartySize::parse(2).unwrap(),
        total: eur(30_000),
        starts_at: t(STARTS),
        hold_expires_at: (reminder == Reminder::HoldExpiring).then(hold_expiry),
        reminded_at: at,
    }
}

#[test]
fn it_should_remind_a_confirmed_guest_before_the_start() {
    let at = t(STARTS) - Duration::hours(24);
    given_at(at, confirmed())
        .when(remind(Reminder::Upcoming))
        .then_expect_events(vec![reminded(Reminder::Upcoming, at)]);
}

#[test]
fn it_should_warn_a_held_guest_before_the_hold_runs_out() {
    let at = hold_expiry() - Duration::minutes(2);
    given_at(at, vec![requested(), held()])
        .when(remind(Reminder::HoldExpiring))
        .then_expect_events(vec![reminded(Reminder::HoldExpiring, at)]);
}

#[test]
fn it_should_remind_only_once() {
    let at = t(STARTS) - Duration::hours(2);
    let mut events = confirmed();
    events.push(reminded(Reminder::Upcoming, at - Duration::hours(20)));
    given_at(at, events)
        .when(remind(Reminder::Upcoming))
        .then_expect_events(vec![]);
    given_at(
        hold_expiry() - Duration::minutes(1),
        vec![
            requested(),
            held(),
            reminded(Reminder::HoldExpiring, hold_expiry() - Duration::minutes(2)),
        ],
    )
    .when(remind(Reminder::HoldExpiring))
    .then_expect_events(vec![]);
}

#[test]
fn it_should_keep_the_hold_warning_once_the_booking_is_confirmed() {
    // Warned while held, then paid: the warning stays recorded, a repeat is still a no-op.
    let mut events = vec![requested(), held(), reminded(Reminder::HoldExpiring, now())];
    events.extend(confirmed().into_iter().skip(2));
    let booking = replay(&events);
    assert_eq!(booking.status(), Some(Confirmed));
    assert_eq!(booking.reminded_at(Reminder::HoldExpiring), Some(now()));
    assert_eq!(booking.reminded_at(Reminder::Upcoming), None);
}

#[test]
fn it_should_refuse_a_reminder_after_its_deadline() {
    given_at(t(STARTS), confirmed())
        .when(remind(Reminder::Upcoming))
        .then_expect_error(BookingError::ReminderTooLate {
            reminder: Reminder::Upcoming,
            deadline: t(STARTS),
        });
    given_at(hold_expiry(), vec![requested(), held()])
        .when(remind(Reminder::HoldExpiring))
        .then_expect_error(BookingError::ReminderTooLate {
            reminder: Reminder::HoldExpiring,
            deadline: hold_expiry(),
        });
}

#[test]
fn it_should_refuse_a_reminder_in_another_status() {
    for (events, status) in [
        (vec![requested()], Requested),
        (vec![requested(), held()], Held),
        (vec![waitlisted()], Waitlisted),
        (vec![waitlisted(), offered()], Offered),
    ] {
        given(events)
            .when(remind(Reminder::Upcoming))
            .then_expect_error(BookingError::NotRemindable {
                reminder: Reminder::Upcoming,
                status,
            });
    }
    given(confirmed())
        .when(remind(Reminder::HoldExpiring))
        .then_expect_error(BookingError::NotRemindable {
            reminder: Reminder::HoldExpiring,
            status: Confirmed,
        });
}

#[test]
fn it_should_refuse_a_reminder_for_a_booking_that_does_not_exist() {
    at(now())
        .given_no_previous_events()
        .when(remind(Reminder::Upcoming))
        .then_expect_error(BookingError::NotFound);
}
