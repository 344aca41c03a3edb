//! The state machine: its exact edges, and every command in every status — in particular
//! every command in every terminal status is a documented no-op, a money record, or refused.

use chrono::Duration;

use super::*;
use crate::booking::BookingStatus::*;

/// The instant the family tests run at: after everything in the fixtures.
fn late_clock() -> DateTime<Utc> {
    t(ENDS) + Duration::days(30)
}

/// One command of each kind, valid on its own (so only the status decides the outcome).
fn one_of_each() -> Vec<(&'static str, BookingCommand)> {
    let far = late_clock() + Duration::hours(1);
    let mut other_request = request_cmd();
    other_request.party_size = PartySize::parse(3).unwrap();
    let mut offer = offer_cmd();
    offer.offer_expires_at = far;
    vec![
        (
            "RequestBooking",
            BookingCommand::RequestBooking(other_request),
        ),
        (
            "MarkHeld",
            BookingCommand::MarkHeld {
                hold_expires_at: far,
            },
        ),
        (
            "ApplyCoupon",
            BookingCommand::ApplyCoupon {
                campaign_id: campaign(),
                code: label("NEW"),
                discount: eur(1),
            },
        ),
        (
            "RejectBooking",
            BookingCommand::RejectBooking {
                reason: RejectionReason::SlotClosed,
            },
        ),
        ("ConfirmPayment", pay_cmd("pi_new", eur(30_000))),
        ("ExpireHold", BookingCommand::ExpireHold),
        (
            "CancelBooking",
            BookingCommand::CancelBooking {
                by: CancelledBy::Operator,
                reason: CancellationReason::Other,
            },
        ),
        (
            "RecordRefund",
            BookingCommand::RecordRefund {
                reference: label("re_new"),
                amount: eur(100),
            },
        ),
        ("CheckIn", BookingCommand::CheckIn { opens_at: None }),
        ("MarkNoShow", BookingCommand::mark_no_show()),
        (
            "JoinWaitlist",
            BookingCommand::JoinWaitlist(join_cmd(None, 1)),
        ),
        ("OfferSlot", BookingCommand::OfferSlot(offer)),
        (
            "AcceptOffer",
            BookingCommand::AcceptOffer {
                hold_expires_at: far,
            },
        ),
        ("DeclineOffer", BookingCommand::DeclineOffer),
        ("ExpireOffer", BookingCommand::ExpireOffer),
        (
            "Remind",
            BookingCommand::Remind {
                reminder: Reminder::Upcoming,
            },
        ),
    ]
}

fn terminal_fixtures() -> Vec<(&'static str, Vec<BookingEvent>)> {
    let with = |mut events: Vec<BookingEvent>, more: BookingEvent| {
        events.push(more);
        events
    };
    vec![
        (
            "checked in",
            with(
                confirmed(),
                BookingEvent::BookingCheckedIn {
                    booking: keys(),
                    slots: slots(),
                    starts_at: t(STARTS),
                    checked_in_at: t(STARTS),
                    status: CheckedIn,
                },
            ),
        ),
        (
            "no-show",
            with(
                confirmed(),
                BookingEvent::BookingMarkedNoShow {
                    booking: keys(),
                    slots: slots(),
                    starts_at: t(STARTS),
                    no_show_refund_bp: 0,
                    retained: eur(30_000),
                    refund_due: eur(0),
                    marked_at: t(ENDS),
                    status: NoShow,
                },
            ),
        ),
        (
            "cancelled after payment",
            with(
                confirmed(),
                cancelled_event(
                    Confirmed,
                    CancelledBy::Guest,
                    CancellationReason::GuestRequest,
                    Some((30_000, 30_000)),
                ),
            ),
        ),
        (
            "left the waitlist",
            with(
                vec![waitlisted()],
                BookingEvent::BookingCancelled {
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
                },
            ),
        ),
        (
            "hold expired",
            vec![
                requested(),
                held(),
                BookingEvent::BookingExpired {
                    booking: keys(),
                    slots: slots(),
                    hold_expires_at: hold_expiry(),
                    coupon_to_restore: None,
                    expired_at: hold_expiry(),
                    status: Expired,
                },
            ],
        ),
        (
            "offer expired",
            vec![
                waitlisted(),
                offered(),
                BookingEvent::BookingOfferExpired {
                    booking: keys(),
                    slots: slots(),
                    offer_expires_at: offer_expiry(),
                    expired_at: offer_expiry(),
                    status: Expired,
                },
            ],
        ),
        (
            "rejected",
            vec![
                requested(),
                BookingEvent::BookingRejected {
                    booking: keys(),
                    slots: slots(),
                    reason: RejectionReason::SoldOut,
                    coupon_to_restore: None,
                    rejected_at: now(),
                    status: Rejected,
                },
            ],
        ),
    ]
}

#[test]
fn the_state_machine_has_exactly_the_specified_edges() {
    let expected = [
        (Requested, Held),
        (Requested, Rejected),
        (Requested, Cancelled),
        (Held, Confirmed),
        (Held, Expired),
        (Held, Cancelled),
        (Confirmed, CheckedIn),
        (Confirmed, NoShow),
        (Confirmed, Cancelled),
        (Waitlisted, Offered),
        (Waitlisted, Cancelled),
        (Offered, Held),
        (Offered, Cancelled),
        (Offered, Expired),
    ];
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL {
            assert_eq!(
                from.can_transition_to(to),
                expected.contains(&(from, to)),
                "{from} -> {to}"
            );
        }
    }
    assert!(!Offered.can_transition_to(Waitlisted));
    let terminal: Vec<_> = BookingStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(terminal, [CheckedIn, NoShow, Cancelled, Expired, Rejected]);
}

#[test]
fn every_command_in_every_terminal_status_is_a_no_op_a_money_record_or_refused() {
    let services = services_at(late_clock());
    for (fixture, events) in terminal_fixtures() {
        let booking = replay(&events);
        let status = booking.status().unwrap();
        assert!(status.is_terminal(), "{fixture}");
        for (name, command) in one_of_each() {
            let outcome = booking.decide(command, &services);
            let target = match name {
                "MarkHeld" | "AcceptOffer" => Some(Held),
                "RejectBooking" => Some(Rejected),
                "ExpireHold" | "ExpireOffer" => Some(Expired),
                "CancelBooking" | "DeclineOffer" => Some(Cancelled),
                "CheckIn" => Some(CheckedIn),
                "MarkNoShow" => Some(NoShow),
                "OfferSlot" => Some(Offered),
                _ => None,
            };
            let ctx = format!("{name} on {fixture} ({status})");
            match (name, target, outcome) {
                // The same terminal outcome again: nothing happens.
                (_, Some(to), Ok(events)) if to == status => {
                    assert!(events.is_empty(), "{ctx}: {events:?}")
                }
                (_, Some(to), Err(BookingError::IllegalTransition { from, to: got })) => {
                    assert_eq!((from, got), (status, to), "{ctx}");
                    // A conflicting repeat of the terminal outcome is the only same-status case.
                    assert!(from != got || name == "MarkNoShow" || name == "RejectBooking");
                }
                ("RequestBooking" | "JoinWaitlist", None, Err(e)) => {
                    assert_eq!(
                        e,
                        BookingError::AlreadyExists {
                            booking_id: keys().booking_id
                        },
                        "{ctx}"
                    )
                }
                ("ApplyCoupon", None, Err(e)) => {
                    assert_eq!(e, BookingError::CouponNotAllowed { status }, "{ctx}")
                }
                ("ConfirmPayment", None, Ok(events)) => assert!(
                    matches!(
                        events.as_slice(),
                        [BookingEvent::BookingLatePaymentReceived { status: s, .. }] if *s == status
                    ),
                    "{ctx}: {events:?}"
                ),
                ("RecordRefund", None, Ok(events)) => assert!(
                    matches!(events.as_slice(), [BookingEvent::BookingRefunded { .. }]),
                    "{ctx}"
                ),
                ("Remind", None, Err(e)) => assert_eq!(
                    e,
                    BookingError::NotRemindable {
                        reminder: Reminder::Upcoming,
                        status
                    },
                    "{ctx}"
                ),
                ("RecordRefund", None, Err(e)) => assert!(
                    matches!(
                        e,
                        BookingError::RefundExceedsPaid { .. }
                            | BookingError::RefundNotAllowed { .. }
                    ),
                    "{ctx}: {e:?}"
                ),
                (_, _, other) => panic!("{ctx}: unexpected {other:?}"),
            }
        }
    }
}

#[test]
fn every_status_change_any_command_makes_follows_an_edge() {
    // Every reachable status, every command, at several instants.
    let mut fixtures = terminal_fixtures();
    fixtures.extend([
        ("requested", vec![requested()]),
        ("held", vec![requested(), held()]),
        ("confirmed", confirmed()),
        ("waitlisted", vec![waitlisted()]),
        ("offered", vec![waitlisted(), offered()]),
    ]);
    let instants = [
        now(),
        hold_expiry(),
        offer_expiry(),
        t(STARTS) - Duration::hours(1),
        t(STARTS) + Duration::hours(1),
        late_clock(),
    ];
    for (fixture, events) in fixtures {
        let booking = replay(&events);
        let before = booking.status().unwrap();
        for instant in instants {
            for (name, command) in one_of_each() {
                let Ok(emitted) = booking.decide(command, &services_at(instant)) else {
                    continue;
                };
                let mut after = booking.clone();
                let mut status = before;
                for event in emitted {
                    cqrs_es::Aggregate::apply(&mut after, event);
                    let next = after.status().unwrap();
                    assert!(
                        next == status || status.can_transition_to(next),
                        "{name} on {fixture} at {instant}: {status} -> {next}"
                    );
                    status = next;
                }
            }
        }
    }
}
