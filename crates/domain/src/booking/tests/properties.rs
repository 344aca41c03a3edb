//! Property tests: for any sequence of commands (valid or not, at any instants) the status
//! only moves along allowed edges, refunds never exceed payments, `total = subtotal −
//! discount ≥ 0`, an accepted command retried appends nothing, and replaying the emitted
//! events onto `Default` rebuilds an equal aggregate (also through JSON).

use chrono::{Days, Duration};
use cqrs_es::Aggregate;
use proptest::prelude::*;

use super::*;
use crate::services::Clock;

const PAYMENTS: [&str; 3] = ["pi_a", "pi_b", "pi_c"];
const REFUNDS: [&str; 3] = ["re_a", "re_b", "re_c"];

/// An abstract step, turned into a concrete command against the current state and clock.
#[derive(Debug, Clone)]
enum Op {
    Advance(i64),
    Request {
        nights: u64,
        unit: i64,
        quantity: i64,
        lenient: bool,
    },
    Join {
        slot_count: u32,
    },
    Hold {
        minutes: i64,
    },
    Coupon {
        discount: i64,
        campaign: bool,
    },
    Reject {
        sold_out: bool,
    },
    Pay {
        reference: usize,
        exact: bool,
        other: i64,
    },
    ExpireHold,
    Cancel {
        by: u8,
    },
    Refund {
        reference: usize,
        amount: i64,
    },
    CheckIn {
        opens_hours_before: Option<i64>,
    },
    NoShow {
        bp: u32,
    },
    Offer {
        first: u64,
        unit: i64,
        minutes: i64,
    },
    Accept {
        minutes: i64,
    },
    Decline,
    ExpireOffer,
    Remind {
        upcoming: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0i64..1_440).prop_map(Op::Advance),
        2 => (1u64..4, 0i64..50_000, 1i64..4, any::<bool>())
            .prop_map(|(nights, unit, quantity, lenient)| Op::Request { nights, unit, quantity, lenient }),
        1 => (0u32..4).prop_map(|slot_count| Op::Join { slot_count }),
        2 => (-10i64..120).prop_map(|minutes| Op::Hold { minutes }),
        1 => (-10i64..60_000, any::<bool>()).prop_map(|(discount, campaign)| Op::Coupon { discount, campaign }),
        1 => any::<bool>().prop_map(|sold_out| Op::Reject { sold_out }),
        3 => (0usize..3, prop::bool::weighted(0.8), -10i64..200_000)
            .prop_map(|(reference, exact, other)| Op::Pay { reference, exact, other }),
        1 => Just(Op::ExpireHold),
        1 => (0u8..3).prop_map(|by| Op::Cancel { by }),
        2 => (0usize..3, -100i64..200_000).prop_map(|(reference, amount)| Op::Refund { reference, amount }),
        1 => prop::option::of(-2i64..48).prop_map(|opens_hours_before| Op::CheckIn { opens_hours_before }),
        1 => (0u32..12_000).prop_map(|bp| Op::NoShow { bp }),
        1 => (0u64..9, 0i64..50_000, -10i64..600).prop_map(|(first, unit, minutes)| Op::Offer { first, unit, minutes }),
        1 => (-10i64..120).prop_map(|minutes| Op::Accept { minutes }),
        1 => Just(Op::Decline),
        1 => Just(Op::ExpireOffer),
        1 => any::<bool>().prop_map(|upcoming| Op::Remind { upcoming }),
    ]
}

fn start_date() -> NaiveDate {
    date("2026-12-24")
}

fn priced(
    first: NaiveDate,
    nights: u64,
    unit: i64,
    quantity: Quantity,
) -> (Vec<Slot>, Vec<PricedLine>) {
    let slots: Vec<Slot> = (0..nights)
        .map(|i| Slot::day(first + Days::new(i)))
        .collect();
    let lines = slots
        .iter()
        .map(|s| line(*s, unit, i64::from(quantity.get())))
        .collect();
    (slots, lines)
}

/// The concrete command for `op` given the booking and the clock; `None` for clock moves.
fn command(op: &Op, booking: &Booking, now: DateTime<Utc>) -> Option<BookingCommand> {
    let k = keys();
    Some(match op.clone() {
        Op::Advance(_) => return None,
        Op::Request {
            nights,
            unit,
            quantity,
            lenient,
        } => {
            let quantity = qty(quantity);
            let (slots, lines) = priced(start_date(), nights, unit, quantity);
            let mut cmd = request_cmd();
            cmd.quantity = quantity;
            cmd.slots = slots;
            cmd.lines = lines;
            cmd.ends_at = t(STARTS) + Duration::days(nights as i64);
            if lenient {
                cmd.cancellation = CancellationPolicy::new(vec![RefundTier {
                    min_notice_hours: 0,
                    refund_bp: 10_000,
                }])
                .unwrap();
            }
            BookingCommand::RequestBooking(RequestBooking {
                booking_id: k.booking_id,
                ..cmd
            })
        }
        Op::Join { slot_count } => BookingCommand::JoinWaitlist(join_cmd(None, slot_count)),
        Op::Hold { minutes } => BookingCommand::MarkHeld {
            hold_expires_at: now + Duration::minutes(minutes),
        },
        Op::Coupon {
            discount,
            campaign: first,
        } => BookingCommand::ApplyCoupon {
            campaign_id: if first {
                campaign()
            } else {
                CampaignId::parse("01JF0000000000000000000009").unwrap()
            },
            code: label("CODE"),
            discount: eur(discount),
        },
        Op::Reject { sold_out } => BookingCommand::RejectBooking {
            reason: if sold_out {
                RejectionReason::SoldOut
            } else {
                RejectionReason::PolicyViolation {
                    rule: label("MIN_STAY"),
                }
            },
        },
        Op::Pay {
            reference,
            exact,
            other,
        } => {
            let amount = match booking.totals() {
                Some(totals) if exact => totals.total,
                _ => eur(other),
            };
            pay_cmd(PAYMENTS[reference], amount)
        }
        Op::ExpireHold => BookingCommand::ExpireHold,
        Op::Cancel { by } => BookingCommand::CancelBooking {
            by: [
                CancelledBy::Guest,
                CancelledBy::Operator,
                CancelledBy::System,
            ][usize::from(by)],
            reason: CancellationReason::GuestRequest,
        },
        Op::Refund { reference, amount } => BookingCommand::RecordRefund {
            reference: label(REFUNDS[reference]),
            amount: eur(amount),
        },
        Op::CheckIn { opens_hours_before } => BookingCommand::CheckIn {
            opens_at: opens_hours_before.map(|h| t(STARTS) - Duration::hours(h)),
        },
        Op::NoShow { bp } => BookingCommand::MarkNoShow {
            no_show_refund_bp: bp,
        },
        Op::Offer {
            first,
            unit,
            minutes,
        } => {
            let (slots, lines) = priced(wanted().from + Days::new(first), 2, unit, qty(1));
            BookingCommand::OfferSlot(OfferSlot {
                slots,
                lines,
                offer_expires_at: now + Duration::minutes(minutes),
                ..offer_cmd()
            })
        }
        Op::Accept { minutes } => BookingCommand::AcceptOffer {
            hold_expires_at: now + Duration::minutes(minutes),
        },
        Op::Decline => BookingCommand::DeclineOffer,
        Op::ExpireOffer => BookingCommand::ExpireOffer,
        Op::Remind { upcoming } => BookingCommand::Remind {
            reminder: if upcoming {
                Reminder::Upcoming
            } else {
                Reminder::HoldExpiring
            },
        },
    })
}

/// The invariants that hold after every event.
fn check_invariants(
    booking: &Booking,
    previous: Option<BookingStatus>,
) -> Result<(), TestCaseError> {
    let status = booking.status();
    match (previous, status) {
        (None, Some(s)) => prop_assert!(BookingStatus::INITIAL.contains(&s), "born {s}"),
        (Some(p), Some(s)) => prop_assert!(p == s || p.can_transition_to(s), "{p} -> {s}"),
        (_, None) => prop_assert!(false, "an event left the booking without status"),
    }
    if let Some(totals) = booking.totals() {
        prop_assert_eq!(
            totals.subtotal.checked_sub(&totals.discount),
            Ok(totals.total)
        );
        prop_assert!(totals.total.amount_minor >= 0);
        prop_assert!(totals.discount.amount_minor >= 0);
    }
    let paid = booking.total_paid().map_or(0, |m| m.amount_minor);
    let refunded = booking.total_refunded().map_or(0, |m| m.amount_minor);
    let due = booking.refund_due().map_or(0, |m| m.amount_minor);
    prop_assert!(refunded <= paid, "refunded {refunded} > paid {paid}");
    prop_assert!(due <= paid, "refund due {due} > paid {paid}");
    prop_assert!(refunded >= 0 && due >= 0);
    for pair in booking.history().windows(2) {
        prop_assert_eq!(pair[1].from, Some(pair[0].to));
    }
    // Each reminder at most once, and before its deadline.
    for reminder in [Reminder::Upcoming, Reminder::HoldExpiring] {
        let times: Vec<_> = booking
            .reminded
            .iter()
            .filter(|(r, _)| *r == reminder)
            .collect();
        prop_assert!(times.len() <= 1, "{reminder} sent {} times", times.len());
    }
    if let (Some(at), Some(start)) = (booking.reminded_at(Reminder::Upcoming), booking.starts_at())
    {
        prop_assert!(at < start, "reminded at {at}, after the start {start}");
    }
    Ok(())
}

/// Runs `ops` from an empty booking, checking every invariant; returns the emitted events.
fn run(
    hours_before_start: i64,
    starts_with_waitlist: bool,
    ops: Vec<Op>,
) -> Result<Vec<BookingEvent>, TestCaseError> {
    let clock = FixedClock::new(t(STARTS) - Duration::hours(hours_before_start));
    let services = DomainServices::with_clock(clock.clone());
    let mut booking = Booking::default();
    let mut emitted = Vec::new();
    let first = if starts_with_waitlist {
        Op::Join { slot_count: 2 }
    } else {
        Op::Request {
            nights: 2,
            unit: 15_000,
            quantity: 1,
            lenient: false,
        }
    };
    for op in std::iter::once(first).chain(ops) {
        if let Op::Advance(minutes) = op {
            clock.advance(Duration::minutes(minutes));
            continue;
        }
        let Some(command) = command(&op, &booking, clock.now()) else {
            continue;
        };
        let Ok(events) = booking.decide(command.clone(), &services) else {
            continue;
        };
        for event in &events {
            let previous = booking.status();
            booking.apply(event.clone());
            check_invariants(&booking, previous)?;
        }
        // Retrying an accepted command at the same instant appends nothing.
        prop_assert_eq!(
            booking.decide(command, &services),
            Ok(vec![]),
            "retry of {:?}",
            op
        );
        emitted.extend(events);
    }
    prop_assert_eq!(&replay(&emitted), &booking);
    let json = serde_json::to_string(&booking).unwrap();
    prop_assert_eq!(&serde_json::from_str::<Booking>(&json).unwrap(), &booking);
    for event in &emitted {
        let json = serde_json::to_value(event).unwrap();
        prop_assert_eq!(
            &serde_json::from_value::<BookingEvent>(json).unwrap(),
            event
        );
    }
    Ok(emitted)
}

/// Guards against a vacuous property: the generator must reach every event kind.
#[test]
fn the_generated_sequences_reach_every_event() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    let mut runner = TestRunner::deterministic();
    let strategy = (0i64..96, any::<bool>(), prop::collection::vec(op(), 1..40));
    let mut seen = BTreeSet::new();
    for _ in 0..1_000 {
        let (hours, waitlist, ops) = strategy.new_tree(&mut runner).unwrap().current();
        for event in run(hours, waitlist, ops).unwrap() {
            seen.insert(event.name());
        }
    }
    assert_eq!(seen.len(), 18, "reached only {seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_command_sequence_keeps_the_invariants(
        hours_before_start in 0i64..96,
        starts_with_waitlist in any::<bool>(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run(hours_before_start, starts_with_waitlist, ops)?;
    }

    #[test]
    fn party_sizes_and_quantities_parse_only_in_range(n in any::<i64>()) {
        let in_range = (1..=10_000).contains(&n);
        prop_assert_eq!(PartySize::parse(n).is_ok(), in_range);
        prop_assert_eq!(Quantity::parse(n).is_ok(), in_range);
        let json = serde_json::json!(n);
        prop_assert_eq!(serde_json::from_value::<PartySize>(json).is_ok(), in_range);
    }

    #[test]
    fn cancellation_refunds_never_exceed_the_total(hours_before in -100i64..400, unit in 0i64..1_000_000) {
        let (slots, lines) = priced(start_date(), 2, unit, qty(1));
        let mut events = vec![BookingEvent::BookingRequested {
            booking: keys(),
            party_size: PartySize::parse(2).unwrap(),
            quantity: qty(1),
            slots: slots.clone(),
            lines,
            starts_at: t(STARTS),
            ends_at: t(ENDS),
            cancellation: tiers(),
            totals: totals(unit * 2, 0),
            requested_at: now(),
            status: BookingStatus::Requested,
        }];
        let mut booking = replay(&events);
        let services = services_at(now());
        for command in [
            BookingCommand::MarkHeld { hold_expires_at: hold_expiry() },
            pay_cmd("pi_1", eur(unit * 2)),
        ] {
            let new = booking.decide(command, &services).unwrap();
            new.iter().for_each(|e| booking.apply(e.clone()));
            events.extend(new);
        }
        let when = t(STARTS) - Duration::hours(hours_before);
        let cancelled = booking
            .decide(cancel_cmd(CancelledBy::Guest), &services_at(when))
            .unwrap();
        cancelled.into_iter().for_each(|e| booking.apply(e));
        let due = booking.refund_due().unwrap().amount_minor;
        prop_assert!(0 <= due && due <= unit * 2);
    }
}
