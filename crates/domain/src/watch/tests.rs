//! Watch: given/when/then for starting, alerting once per freeing, re-arming, stopping and
//! expiring, every refusal, and a property: whatever the inventory does, a watch alerts exactly
//! once per sold-out → free transition.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::Decide;
use crate::common::{GuestId, InventoryId, ListingId, Slot, TenantId};
use crate::inventory::SlotState;
use crate::services::{DomainServices, FixedClock};
use crate::testing::TestFramework;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn now() -> DateTime<Utc> {
    at("2030-01-10T00:00:00Z")
}

fn test() -> TestFramework<Watch> {
    test_at(now())
}

fn test_at(instant: DateTime<Utc>) -> TestFramework<Watch> {
    TestFramework::with(DomainServices::with_clock(FixedClock::new(instant)))
}

fn guest() -> GuestId {
    GuestId::parse("01JZ0000000000000000000G01").unwrap()
}

fn day(d: u32) -> Slot {
    Slot::day(NaiveDate::from_ymd_opt(2030, 2, d).unwrap())
}

fn terms() -> WatchTerms {
    WatchTerms {
        guest_id: guest(),
        tenant_id: TenantId::parse("01JZ0000000000000000000T01").unwrap(),
        listing_id: ListingId::parse("01JZ0000000000000000000M01").unwrap(),
        inventory_id: InventoryId::parse("01JZ00000000000000000000N1").unwrap(),
        slots: vec![day(1), day(2)],
        party_size: 2,
        quantity: 1,
        expires_at: at("2030-02-01T06:00:00Z"),
    }
}

fn start() -> WatchCommand {
    WatchCommand::Start {
        watch_id: "w1".into(),
        terms: Box::new(terms()),
    }
}

fn started() -> WatchEvent {
    WatchEvent::WatchStarted {
        watch_id: "w1".into(),
        terms: terms(),
        at: now(),
    }
}

fn alerted(sequence: u64, free: u32, alert: u32) -> WatchEvent {
    WatchEvent::WatchAlerted {
        watch_id: "w1".into(),
        terms: terms(),
        free,
        sequence,
        alert,
        at: now(),
    }
}

fn rearmed(sequence: u64) -> WatchEvent {
    WatchEvent::WatchRearmed {
        watch_id: "w1".into(),
        guest_id: guest(),
        sequence,
        at: now(),
    }
}

#[test]
fn a_guest_starts_watching_future_slots_once() {
    test()
        .given_no_previous_events()
        .when(start())
        .then_expect_events(vec![started()]);
    test()
        .given(vec![started()])
        .when(start())
        .then_expect_events(vec![]);
    let mut other = terms();
    other.quantity = 2;
    test()
        .given(vec![started()])
        .when(WatchCommand::Start {
            watch_id: "w1".into(),
            terms: Box::new(other),
        })
        .then_expect_error(WatchError::AlreadyStarted);
}

#[test]
fn a_watch_refuses_no_slots_too_many_repeats_no_party_and_past_dates() {
    let with = |f: &dyn Fn(&mut WatchTerms)| {
        let mut t = terms();
        f(&mut t);
        WatchCommand::Start {
            watch_id: "w1".into(),
            terms: Box::new(t),
        }
    };
    for (command, error) in [
        (
            with(&|t| t.slots.clear()),
            WatchError::InvalidSlots { got: 0 },
        ),
        (
            with(&|t| t.slots = vec![day(1), day(1)]),
            WatchError::InvalidSlots { got: 2 },
        ),
        (
            with(&|t| {
                t.slots = (0..32)
                    .map(|i| {
                        Slot::day(NaiveDate::from_ymd_opt(2030, 3, 1).unwrap() + Duration::days(i))
                    })
                    .collect()
            }),
            WatchError::InvalidSlots { got: 32 },
        ),
        (with(&|t| t.party_size = 0), WatchError::InvalidParty),
        (with(&|t| t.quantity = 0), WatchError::InvalidParty),
        (with(&|t| t.expires_at = now()), WatchError::DatesPassed),
    ] {
        test()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(error);
    }
}

#[test]
fn an_armed_watch_alerts_once_when_its_quantity_fits() {
    test()
        .given(vec![started()])
        .when(WatchCommand::Alert {
            sequence: 7,
            free: 1,
        })
        .then_expect_events(vec![alerted(7, 1, 1)]);
    // Not enough free yet: nothing.
    let mut two = terms();
    two.quantity = 2;
    test()
        .given(vec![WatchEvent::WatchStarted {
            watch_id: "w1".into(),
            terms: two,
            at: now(),
        }])
        .when(WatchCommand::Alert {
            sequence: 7,
            free: 1,
        })
        .then_expect_events(vec![]);
    // Alerted already: more freed units stay quiet (a storm sends one alert).
    test()
        .given(vec![started(), alerted(7, 1, 1)])
        .when(WatchCommand::Alert {
            sequence: 8,
            free: 5,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_watch_rearms_when_sold_out_again_and_alerts_at_the_next_freeing() {
    test()
        .given(vec![started(), alerted(7, 1, 1)])
        .when(WatchCommand::Rearm {
            sequence: 9,
            free: 0,
        })
        .then_expect_events(vec![rearmed(9)]);
    test()
        .given(vec![started(), alerted(7, 1, 1)])
        .when(WatchCommand::Rearm {
            sequence: 9,
            free: 3,
        })
        .then_expect_events(vec![]);
    test()
        .given(vec![started(), alerted(7, 1, 1), rearmed(9)])
        .when(WatchCommand::Alert {
            sequence: 12,
            free: 1,
        })
        .then_expect_events(vec![alerted(12, 1, 2)]);
    // An armed watch has nothing to re-arm.
    test()
        .given(vec![started()])
        .when(WatchCommand::Rearm {
            sequence: 9,
            free: 0,
        })
        .then_expect_events(vec![]);
}

#[test]
fn only_its_guest_stops_a_watch_and_a_stopped_watch_is_quiet() {
    let stopped = WatchEvent::WatchStopped {
        watch_id: "w1".into(),
        guest_id: guest(),
        at: now(),
    };
    test()
        .given(vec![started()])
        .when(WatchCommand::Stop { guest_id: guest() })
        .then_expect_events(vec![stopped.clone()]);
    test()
        .given(vec![started(), stopped.clone()])
        .when(WatchCommand::Stop { guest_id: guest() })
        .then_expect_events(vec![]);
    test()
        .given(vec![started()])
        .when(WatchCommand::Stop {
            guest_id: GuestId::parse("01JZ0000000000000000000G02").unwrap(),
        })
        .then_expect_error(WatchError::NotYourWatch);
    test()
        .given(vec![started(), stopped])
        .when(WatchCommand::Alert {
            sequence: 7,
            free: 1,
        })
        .then_expect_error(WatchError::Ended);
    test()
        .given_no_previous_events()
        .when(WatchCommand::Stop { guest_id: guest() })
        .then_expect_error(WatchError::NotFound);
}

#[test]
fn a_watch_expires_with_its_dates_and_never_alerts_after() {
    let late = at("2030-02-01T06:00:00Z");
    let expired = WatchEvent::WatchExpired {
        watch_id: "w1".into(),
        guest_id: guest(),
        at: late,
    };
    test_at(late)
        .given(vec![started()])
        .when(WatchCommand::Expire)
        .then_expect_events(vec![expired]);
    test()
        .given(vec![started()])
        .when(WatchCommand::Expire)
        .then_expect_events(vec![]);
    test_at(late)
        .given(vec![started()])
        .when(WatchCommand::Alert {
            sequence: 7,
            free: 1,
        })
        .then_expect_events(vec![]);
}

#[test]
fn free_units_are_the_least_over_the_slots_and_closed_or_missing_slots_have_none() {
    let state = |capacity, held, allocated, closed| SlotState {
        capacity,
        price_minor: None,
        closed,
        held,
        allocated,
    };
    let mut slots = BTreeMap::new();
    slots.insert(day(1), state(5, 1, 2, false));
    slots.insert(day(2), state(3, 0, 1, false));
    assert_eq!(free_on(&slots, &[day(1), day(2)]), 2);
    slots.insert(day(2), state(3, 0, 1, true));
    assert_eq!(free_on(&slots, &[day(1), day(2)]), 0);
    assert_eq!(free_on(&slots, &[day(1), day(3)]), 0);
    assert_eq!(free_on(&slots, &[day(1)]), 2);
}

proptest! {
    /// Whatever sequence of free-unit counts the inventory goes through (the worker looking
    /// after each change, sometimes twice), a watch alerts exactly once per transition from
    /// "does not fit" to "fits".
    #[test]
    fn one_alert_per_freeing(frees in prop::collection::vec((0u32..4, any::<bool>()), 0..60)) {
        let services = DomainServices::with_clock(FixedClock::new(now()));
        let mut watch = Watch::default();
        for e in Watch::default().decide(start(), &services).unwrap() {
            cqrs_es::Aggregate::apply(&mut watch, e);
        }
        let (mut fitted, mut freeings, mut alerts) = (false, 0u32, 0u32);
        for (sequence, (free, twice)) in frees.into_iter().enumerate() {
            let fits = free >= 1;
            if fits && !fitted {
                freeings += 1;
            }
            fitted = fits;
            for _ in 0..if twice { 2 } else { 1 } {
                let sequence = sequence as u64;
                for command in [WatchCommand::Rearm { sequence, free }, WatchCommand::Alert { sequence, free }] {
                    for e in watch.decide(command, &services).unwrap() {
                        if matches!(e, WatchEvent::WatchAlerted { .. }) {
                            alerts += 1;
                        }
                        cqrs_es::Aggregate::apply(&mut watch, e);
                    }
                }
            }
        }
        prop_assert_eq!(alerts, freeings);
        prop_assert_eq!(watch.state().unwrap().alerts, alerts);
    }
}
