//! Property tests: for any sequence of commands the invariant holds, replay rebuilds the same
//! aggregate, rejected commands change nothing, repeats are no-ops, and holds are all or nothing.

use std::collections::BTreeSet;

use chrono::Days;
use cqrs_es::event_sink::EventSink;
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::*;
use crate::services::Clock;

fn day(i: u8) -> Slot {
    Slot::day(d("2026-12-20") + Days::new(u64::from(i)))
}

fn days(from: u8, len: u8) -> SlotSelection {
    SlotSelection::days(DateRange::new(day(from).date, day(from + len).date).unwrap())
}

#[derive(Debug, Clone)]
enum Op {
    Define {
        other_name: bool,
    },
    SetCapacity {
        from: u8,
        len: u8,
        capacity: u32,
    },
    SetPrice {
        from: u8,
        len: u8,
        amount: i64,
    },
    Close {
        from: u8,
        len: u8,
    },
    Open {
        from: u8,
        len: u8,
    },
    Hold {
        booking: u8,
        slots: Vec<u8>,
        quantity: u32,
        expires_in: i64,
    },
    Confirm {
        booking: u8,
    },
    Release {
        booking: u8,
        reason: ReleaseReason,
    },
    ReleaseAllocation {
        booking: u8,
    },
    Advance {
        minutes: i64,
    },
}

fn reason() -> impl Strategy<Value = ReleaseReason> {
    prop_oneof![
        Just(ReleaseReason::Expired),
        Just(ReleaseReason::Cancelled),
        Just(ReleaseReason::Failed)
    ]
}

/// Distinct slots, mostly within the first week (which the runs start by offering).
fn hold_slots() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::btree_set(0u8..8, 1..4).prop_map(|s| s.into_iter().rev().collect())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => any::<bool>().prop_map(|other_name| Op::Define { other_name }),
        4 => (0u8..8, 1u8..4, prop_oneof![1 => Just(0u32), 6 => 1u32..6])
            .prop_map(|(from, len, capacity)| Op::SetCapacity { from, len, capacity }),
        1 => (0u8..8, 1u8..4, -5i64..20_000)
            .prop_map(|(from, len, amount)| Op::SetPrice { from, len, amount }),
        1 => (0u8..8, 1u8..3).prop_map(|(from, len)| Op::Close { from, len }),
        1 => (0u8..8, 1u8..3).prop_map(|(from, len)| Op::Open { from, len }),
        8 => (0u8..6, hold_slots(), 1u32..3, 1i64..60).prop_map(
            |(booking, slots, quantity, expires_in)| Op::Hold { booking, slots, quantity, expires_in }
        ),
        // Ill-formed holds too: empty, duplicate slots, zero quantity, expiry in the past.
        1 => (0u8..6, prop::collection::vec(0u8..9, 0..5), 0u32..4, -5i64..5).prop_map(
            |(booking, slots, quantity, expires_in)| Op::Hold { booking, slots, quantity, expires_in }
        ),
        3 => (0u8..6).prop_map(|booking| Op::Confirm { booking }),
        2 => (0u8..6, reason()).prop_map(|(booking, reason)| Op::Release { booking, reason }),
        2 => (0u8..6).prop_map(|booking| Op::ReleaseAllocation { booking }),
        1 => (1i64..40).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

fn command(op: &Op, now: DateTime<Utc>) -> Option<InventoryCommand> {
    Some(match op.clone() {
        Op::Define { other_name } => {
            let InventoryCommand::DefineInventory {
                inventory_id,
                tenant_id,
                listing_id,
                currency,
                name,
            } = define()
            else {
                unreachable!()
            };
            InventoryCommand::DefineInventory {
                inventory_id,
                tenant_id,
                listing_id,
                currency,
                name: if other_name {
                    InventoryName::parse("Other").unwrap()
                } else {
                    name
                },
            }
        }
        Op::SetCapacity {
            from,
            len,
            capacity,
        } => InventoryCommand::SetCapacity {
            selection: days(from, len),
            capacity,
        },
        Op::SetPrice { from, len, amount } => InventoryCommand::SetPrice {
            selection: days(from, len),
            price: money(amount),
        },
        Op::Close { from, len } => InventoryCommand::CloseSlots {
            selection: days(from, len),
        },
        Op::Open { from, len } => InventoryCommand::OpenSlots {
            selection: days(from, len),
        },
        Op::Hold {
            booking: b,
            slots,
            quantity,
            expires_in,
        } => InventoryCommand::PlaceHold {
            booking_id: booking(u128::from(b)),
            slots: slots.into_iter().map(day).collect(),
            quantity,
            expires_at: now + Duration::minutes(expires_in),
        },
        Op::Confirm { booking: b } => confirm(u128::from(b)),
        Op::Release { booking: b, reason } => release(u128::from(b), reason),
        Op::ReleaseAllocation { booking: b } => release_allocation(u128::from(b)),
        Op::Advance { .. } => return None,
    })
}

/// `held + allocated <= capacity` on every slot, and the counters equal the sums over holds and
/// allocations; every booking is in at most one of holds / allocations / finished.
fn check_invariants(inventory: &Inventory) -> Result<(), TestCaseError> {
    for (slot, s) in inventory.slots() {
        prop_assert!(
            u64::from(s.held) + u64::from(s.allocated) <= u64::from(s.capacity),
            "over capacity on {slot}: {s:?}"
        );
        let held: u64 = inventory
            .holds()
            .values()
            .filter(|h| h.slots.contains(slot))
            .map(|h| u64::from(h.quantity))
            .sum();
        let allocated: u64 = inventory
            .allocations()
            .values()
            .filter(|a| a.slots.contains(slot))
            .map(|a| u64::from(a.quantity))
            .sum();
        prop_assert_eq!(u64::from(s.held), held, "held on {}", slot);
        prop_assert_eq!(u64::from(s.allocated), allocated, "allocated on {}", slot);
    }
    for h in inventory.holds().values() {
        prop_assert!(h.slots.iter().all(|s| inventory.slots().contains_key(s)));
    }
    for a in inventory.allocations().values() {
        prop_assert!(a.slots.iter().all(|s| inventory.slots().contains_key(s)));
    }
    for b in inventory.holds().keys() {
        prop_assert!(!inventory.allocations().contains_key(b));
        prop_assert!(!inventory.finished().contains_key(b));
    }
    for b in inventory.allocations().keys() {
        prop_assert!(!inventory.finished().contains_key(b));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_command_sequence_keeps_the_invariant_and_replays(
        start_defined in prop::bool::weighted(0.9),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let clock = FixedClock::new(now());
        let services = DomainServices::with_clock(clock.clone());
        let mut inventory = Inventory::default();
        let mut events = Vec::new();
        let ops: Vec<Op> = if start_defined {
            [
                Op::Define { other_name: false },
                Op::SetCapacity { from: 0, len: 7, capacity: 3 },
            ]
            .into_iter()
            .chain(ops)
            .collect()
        } else {
            ops
        };
        for op in &ops {
            if let Op::Advance { minutes } = op {
                clock.advance(Duration::minutes(*minutes));
                continue;
            }
            let Some(cmd) = command(op, clock.now()) else { continue };
            let before = inventory.clone();
            let sink = EventSink::default();
            match block_on(inventory.handle(cmd.clone(), &services, &sink)) {
                Ok(()) => {
                    let emitted = block_on(sink.collect());
                    // An accepted command, repeated at once, is accepted with no new event.
                    prop_assert_eq!(inventory.decide(cmd.clone(), &services), Ok(vec![]), "{:?}", cmd);
                    events.extend(emitted);
                }
                Err(_) => {
                    prop_assert_eq!(&inventory, &before);
                    prop_assert!(block_on(sink.collect()).is_empty());
                }
            }
            check_invariants(&inventory)?;
        }
        // Replaying the history, even through its stored JSON, rebuilds the same aggregate.
        let mut replayed = Inventory::default();
        for event in &events {
            let json = serde_json::to_value(event).unwrap();
            let back: InventoryEvent = serde_json::from_value(json).unwrap();
            prop_assert_eq!(&back, event);
            replayed.apply(back);
        }
        prop_assert_eq!(&replayed, &inventory);
        // The snapshot round-trips too.
        let snapshot = serde_json::to_string(&inventory).unwrap();
        prop_assert_eq!(serde_json::from_str::<Inventory>(&snapshot).unwrap(), inventory);
    }

    #[test]
    fn a_multi_slot_hold_is_all_or_nothing(
        setup in prop::collection::vec(
            (prop::bool::weighted(0.9), 0u32..5, prop::bool::weighted(0.1)), 6),
        taken in prop::collection::vec((0u8..6, 1u32..3), 0..6),
        wanted in prop::collection::btree_set(0u8..6, 1..4),
        quantity in 1u32..3,
    ) {
        let services = services();
        let mut inventory = state(&history(vec![define()]));
        let run = |inventory: &mut Inventory, cmd: InventoryCommand| {
            if let Ok(events) = inventory.decide(cmd, &services) {
                for e in events {
                    inventory.apply(e);
                }
            }
        };
        for (i, (offered, capacity, closed)) in setup.iter().enumerate() {
            let i = i as u8;
            if *offered {
                run(&mut inventory, InventoryCommand::SetCapacity { selection: days(i, 1), capacity: *capacity });
                if *closed {
                    run(&mut inventory, InventoryCommand::CloseSlots { selection: days(i, 1) });
                }
            }
        }
        for (n, (i, q)) in taken.iter().enumerate() {
            run(&mut inventory, hold(100 + n as u128, &[&day(*i).to_string()], *q));
        }
        let before = inventory.clone();
        let slots: Vec<Slot> = wanted.iter().rev().map(|i| day(*i)).collect();
        let cmd = InventoryCommand::PlaceHold {
            booking_id: booking(1),
            slots: slots.clone(),
            quantity,
            expires_at: expiry(),
        };
        // The oracle: the first slot (in time) that cannot take the hold, and why.
        let first_failure = wanted.iter().map(|i| day(*i)).find_map(|slot| {
            match before.slots().get(&slot) {
                None => Some(InventoryError::SlotNotOffered { slot }),
                Some(s) if s.closed => Some(InventoryError::SlotClosed { slot }),
                Some(s) if s.remaining() < quantity => Some(InventoryError::SoldOut {
                    slot, requested: quantity, available: s.remaining(),
                }),
                Some(_) => None,
            }
        });
        match (inventory.decide(cmd, &services), first_failure) {
            (Ok(events), None) => {
                for e in events {
                    inventory.apply(e);
                }
                let wanted: BTreeSet<Slot> = slots.into_iter().collect();
                for (slot, s) in inventory.slots() {
                    let was = before.slots()[slot];
                    let expected = if wanted.contains(slot) { was.held + quantity } else { was.held };
                    prop_assert_eq!(s.held, expected, "{}", slot);
                    prop_assert_eq!(s.allocated, was.allocated);
                }
                prop_assert!(inventory.holds().contains_key(&booking(1)));
                check_invariants(&inventory)?;
            }
            (Err(got), Some(expected)) => {
                prop_assert_eq!(got, expected);
                prop_assert_eq!(&inventory, &before);
            }
            (got, expected) => prop_assert!(false, "got {:?}, oracle expected failure {:?}", got, expected),
        }
    }
}
