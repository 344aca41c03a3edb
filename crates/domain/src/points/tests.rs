//! Points: given/when/then for earning, spending, restoring, expiring and adjusting, each rule's
//! refusal, the terms, and properties: the balance is never negative and always equals what came
//! in minus what went out.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::Decide;
use crate::common::{BookingId, GuestId, TenantId};
use crate::services::{DomainServices, FixedClock};
use crate::testing::TestFramework;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn now() -> DateTime<Utc> {
    at("2026-07-01T00:00:00Z")
}

fn test() -> TestFramework<PointsAccount> {
    test_at(now())
}

fn test_at(instant: DateTime<Utc>) -> TestFramework<PointsAccount> {
    TestFramework::with(DomainServices::with_clock(FixedClock::new(instant)))
}

fn tenant() -> TenantId {
    TenantId::parse("01JZ0000000000000000000T01").unwrap()
}

fn guest() -> GuestId {
    GuestId::parse("01JZ0000000000000000000G01").unwrap()
}

fn booking(n: u8) -> BookingId {
    BookingId::parse(&format!("01JZ00000000000000000000B{n}")).unwrap()
}

fn days(n: i64) -> DateTime<Utc> {
    now() + Duration::days(n)
}

fn earn(n: u8, points: u64, expires_at: DateTime<Utc>) -> PointsCommand {
    PointsCommand::Earn {
        tenant_id: tenant(),
        guest_id: guest(),
        booking_id: booking(n),
        points,
        expires_at,
    }
}

fn earned(n: u8, points: u64, expires_at: DateTime<Utc>) -> PointsEvent {
    earned_at(n, points, expires_at, now())
}

fn earned_at(n: u8, points: u64, expires_at: DateTime<Utc>, at: DateTime<Utc>) -> PointsEvent {
    PointsEvent::PointsEarned {
        tenant_id: tenant(),
        guest_id: guest(),
        booking_id: booking(n),
        points,
        expires_at,
        at,
    }
}

fn take(n: u8, points: u64) -> Take {
    Take {
        source: LotSource::Booking(booking(n)),
        points,
    }
}

fn spent(n: u8, points: u64, from: Vec<Take>) -> PointsEvent {
    PointsEvent::PointsSpent {
        tenant_id: tenant(),
        guest_id: guest(),
        booking_id: booking(n),
        points,
        from,
        at: now(),
    }
}

fn adjust(id: &str, points: i64, reason: &str) -> PointsCommand {
    PointsCommand::Adjust {
        tenant_id: tenant(),
        guest_id: guest(),
        adjustment_id: id.into(),
        points,
        reason: reason.into(),
        expires_at: days(365),
    }
}

// ---- Terms

#[test]
fn terms_are_checked_and_earn_a_share_rounded_down() {
    let terms = PointsTerms::new(500, 365).unwrap();
    assert_eq!(terms.earned_on(120_000), 6_000);
    assert_eq!(terms.earned_on(19), 0);
    assert_eq!(terms.earned_on(-5), 0);
    assert_eq!(
        PointsTerms::new(10_000, 1).unwrap().earned_on(i64::MAX),
        MAX_POINTS
    );
    for (bp, days) in [(0, 365), (10_001, 365), (500, 0), (500, 3_651)] {
        assert!(
            matches!(
                PointsTerms::new(bp, days),
                Err(PointsError::InvalidTerms(_))
            ),
            "{bp} {days}"
        );
    }
}

// ---- Earn

#[test]
fn a_completed_booking_earns_points_once() {
    test()
        .given_no_previous_events()
        .when(earn(1, 6_000, days(365)))
        .then_expect_events(vec![earned(1, 6_000, days(365))]);
    test()
        .given(vec![earned(1, 6_000, days(365))])
        .when(earn(1, 6_000, days(365)))
        .then_expect_events(vec![]);
    test()
        .given(vec![earned(1, 6_000, days(365))])
        .when(earn(1, 7_000, days(365)))
        .then_expect_error(PointsError::AlreadyEarned { points: 6_000 });
}

#[test]
fn earning_refuses_nothing_too_much_or_an_expiry_in_the_past() {
    test()
        .given_no_previous_events()
        .when(earn(1, 0, days(1)))
        .then_expect_error(PointsError::InvalidPoints { got: 0 });
    test()
        .given_no_previous_events()
        .when(earn(1, MAX_POINTS + 1, days(1)))
        .then_expect_error(PointsError::InvalidPoints {
            got: i128::from(MAX_POINTS + 1),
        });
    test()
        .given_no_previous_events()
        .when(earn(1, 10, now()))
        .then_expect_error(PointsError::ExpiryInPast);
}

// ---- Spend

#[test]
fn spending_takes_the_soonest_expiring_points_first() {
    test()
        .given(vec![
            earned(1, 500, days(300)),
            earned(2, 300, days(30)),
            earned(3, 400, days(200)),
        ])
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 600,
        })
        .then_expect_events(vec![spent(9, 600, vec![take(2, 300), take(3, 300)])]);
}

#[test]
fn spending_never_goes_past_the_balance_and_ignores_expired_points() {
    // 300 of the 800 expired yesterday (not yet swept): 500 usable.
    test()
        .given(vec![
            earned_at(1, 300, days(-1), days(-100)),
            earned(2, 500, days(30)),
        ])
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 501,
        })
        .then_expect_error(PointsError::InsufficientPoints {
            balance: 500,
            wanted: 501,
        });
    test()
        .given_no_previous_events()
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 1,
        })
        .then_expect_error(PointsError::InsufficientPoints {
            balance: 0,
            wanted: 1,
        });
    test()
        .given(vec![earned(1, 500, days(30))])
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 0,
        })
        .then_expect_error(PointsError::InvalidPoints { got: 0 });
}

#[test]
fn a_booking_spends_once() {
    let given = vec![earned(1, 500, days(30)), spent(9, 200, vec![take(1, 200)])];
    test()
        .given(given.clone())
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 200,
        })
        .then_expect_events(vec![]);
    test()
        .given(given)
        .when(PointsCommand::Spend {
            booking_id: booking(9),
            points: 100,
        })
        .then_expect_error(PointsError::AlreadySpent { points: 200 });
}

// ---- Restore

#[test]
fn a_cancellation_gives_back_its_refund_share_to_the_latest_expiring_lots_once() {
    let given = vec![
        earned(1, 300, days(30)),
        earned(2, 500, days(300)),
        spent(9, 600, vec![take(1, 300), take(2, 300)]),
    ];
    let restored = PointsEvent::PointsRestored {
        tenant_id: tenant(),
        guest_id: guest(),
        booking_id: booking(9),
        points: 300,
        to: vec![take(2, 300)],
        at: now(),
    };
    test()
        .given(given.clone())
        .when(PointsCommand::Restore {
            booking_id: booking(9),
            share_bp: 5_000,
        })
        .then_expect_events(vec![restored.clone()]);
    let mut again = given;
    again.push(restored);
    test()
        .given(again)
        .when(PointsCommand::Restore {
            booking_id: booking(9),
            share_bp: 10_000,
        })
        .then_expect_events(vec![]);
}

#[test]
fn restoring_refuses_a_booking_that_spent_nothing_and_a_share_above_all() {
    test()
        .given(vec![earned(1, 300, days(30))])
        .when(PointsCommand::Restore {
            booking_id: booking(9),
            share_bp: 10_000,
        })
        .then_expect_error(PointsError::NothingSpent);
    test()
        .given_no_previous_events()
        .when(PointsCommand::Restore {
            booking_id: booking(9),
            share_bp: 10_000,
        })
        .then_expect_error(PointsError::NothingSpent);
    test()
        .given(vec![
            earned(1, 300, days(30)),
            spent(9, 100, vec![take(1, 100)]),
        ])
        .when(PointsCommand::Restore {
            booking_id: booking(9),
            share_bp: 10_001,
        })
        .then_expect_error(PointsError::InvalidShare(10_001));
}

// ---- Expire

#[test]
fn expiry_removes_what_is_left_of_lots_past_their_date() {
    test_at(days(31))
        .given(vec![
            earned(1, 300, days(30)),
            earned(2, 500, days(300)),
            spent(9, 100, vec![take(1, 100)]),
        ])
        .when(PointsCommand::Expire)
        .then_expect_events(vec![PointsEvent::PointsExpired {
            tenant_id: tenant(),
            guest_id: guest(),
            points: 200,
            from: vec![take(1, 200)],
            at: days(31),
        }]);
    test_at(days(29))
        .given(vec![earned(1, 300, days(30))])
        .when(PointsCommand::Expire)
        .then_expect_events(vec![]);
    test()
        .given_no_previous_events()
        .when(PointsCommand::Expire)
        .then_expect_events(vec![]);
}

// ---- Adjust

#[test]
fn an_operator_grants_and_deducts_with_a_reason() {
    test()
        .given_no_previous_events()
        .when(adjust("a1", 1_000, "  Sorry for the noisy room "))
        .then_expect_events(vec![PointsEvent::PointsAdjusted {
            tenant_id: tenant(),
            guest_id: guest(),
            adjustment_id: "a1".into(),
            points: 1_000,
            reason: "Sorry for the noisy room".into(),
            expires_at: days(365),
            from: vec![],
            at: now(),
        }]);
    test()
        .given(vec![earned(1, 300, days(30))])
        .when(adjust("a2", -200, "Booked twice by mistake"))
        .then_expect_events(vec![PointsEvent::PointsAdjusted {
            tenant_id: tenant(),
            guest_id: guest(),
            adjustment_id: "a2".into(),
            points: -200,
            reason: "Booked twice by mistake".into(),
            expires_at: days(365),
            from: vec![take(1, 200)],
            at: now(),
        }]);
}

#[test]
fn adjustments_refuse_no_reason_zero_overdraft_and_a_reused_id() {
    for reason in ["", "   ", "tab\there", &"x".repeat(201)] {
        test()
            .given_no_previous_events()
            .when(adjust("a1", 10, reason))
            .then_expect_error(PointsError::InvalidReason);
    }
    test()
        .given_no_previous_events()
        .when(adjust("a1", 0, "nothing"))
        .then_expect_error(PointsError::InvalidPoints { got: 0 });
    test()
        .given(vec![earned(1, 300, days(30))])
        .when(adjust("a1", -301, "too much"))
        .then_expect_error(PointsError::InsufficientPoints {
            balance: 300,
            wanted: 301,
        });
    test()
        .given_no_previous_events()
        .when(adjust("a1", i64::MIN, "overflow"))
        .then_expect_error(PointsError::InvalidPoints {
            got: i128::from(i64::MIN),
        });
    let granted = PointsEvent::PointsAdjusted {
        tenant_id: tenant(),
        guest_id: guest(),
        adjustment_id: "a1".into(),
        points: 50,
        reason: "welcome".into(),
        expires_at: days(365),
        from: vec![],
        at: now(),
    };
    test()
        .given(vec![granted.clone()])
        .when(adjust("a1", 50, "welcome"))
        .then_expect_events(vec![]);
    test()
        .given(vec![granted])
        .when(adjust("a1", 60, "welcome"))
        .then_expect_error(PointsError::AdjustmentConflict("a1".into()));
}

// ---- Properties

#[derive(Clone, Debug)]
enum Op {
    Earn(u8, u64, i64),
    Spend(u8, u64),
    Restore(u8, u32),
    Adjust(u8, i64),
    Wait(i64),
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6, 1u64..500, 1i64..60).prop_map(|(b, p, d)| Op::Earn(b, p, d)),
        (0u8..6, 1u64..700).prop_map(|(b, p)| Op::Spend(b, p)),
        (0u8..6, 0u32..=10_000).prop_map(|(b, s)| Op::Restore(b, s)),
        (0u8..4, -400i64..400).prop_map(|(a, p)| Op::Adjust(a, p)),
        (1i64..40).prop_map(Op::Wait),
        Just(Op::Expire),
    ]
}

proptest! {
    /// Whatever is asked in whatever order, over time: the balance is never negative, no lot
    /// holds more than it was given, and the balance is exactly what came in (earned, granted,
    /// restored) minus what went out (spent, deducted, expired), counting only live lots.
    #[test]
    fn the_balance_is_never_negative_and_always_adds_up(ops in prop::collection::vec(op(), 0..80)) {
        let mut instant = now();
        let mut account = PointsAccount::default();
        let (mut came_in, mut went_out) = (0i128, 0i128);
        for op in ops {
            let services = DomainServices::with_clock(FixedClock::new(instant));
            let command = match op {
                Op::Wait(d) => { instant += Duration::days(d); continue; }
                Op::Earn(b, p, d) => earn(b, p, instant + Duration::days(d)),
                Op::Spend(b, p) => PointsCommand::Spend { booking_id: booking(b), points: p },
                Op::Restore(b, s) => PointsCommand::Restore { booking_id: booking(b), share_bp: s },
                Op::Adjust(a, p) => PointsCommand::Adjust {
                    tenant_id: tenant(), guest_id: guest(), adjustment_id: format!("a{a}"),
                    points: p, reason: "test".into(), expires_at: instant + Duration::days(90),
                },
                Op::Expire => PointsCommand::Expire,
            };
            let before = account.balance(instant);
            let Ok(events) = account.decide(command, &services) else { continue };
            for event in events {
                match &event {
                    PointsEvent::PointsEarned { points, .. } | PointsEvent::PointsRestored { points, .. } => {
                        came_in += i128::from(*points);
                    }
                    PointsEvent::PointsSpent { points, .. } => {
                        prop_assert!(*points <= before);
                        went_out += i128::from(*points);
                    }
                    PointsEvent::PointsExpired { points, .. } => went_out += i128::from(*points),
                    PointsEvent::PointsAdjusted { points, .. } => {
                        if *points > 0 { came_in += i128::from(*points) } else { went_out += i128::from(points.unsigned_abs()) }
                    }
                }
                cqrs_es::Aggregate::apply(&mut account, event);
            }
            if let Some(state) = account.state() {
                // Every lot: 0 ≤ remaining ≤ points (restores only give back what was taken).
                for lot in &state.lots {
                    prop_assert!(lot.remaining <= lot.points, "{lot:?}");
                }
                // Everything still held (live or expired-but-unswept) is in minus out.
                let held: i128 = state.lots.iter().map(|l| i128::from(l.remaining)).sum();
                prop_assert_eq!(held, came_in - went_out);
            }
        }
    }
}
