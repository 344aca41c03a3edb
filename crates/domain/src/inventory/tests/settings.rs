//! Define, capacity, price, close and open.

use super::*;

fn ids() -> (InventoryId, TenantId, ListingId) {
    (inventory_id(), tenant_id(), listing_id())
}

#[test]
fn it_should_define_an_inventory() {
    TestFramework::<Inventory>::with(services())
        .given_no_previous_events()
        .when(define())
        .then_expect_events(vec![InventoryEvent::InventoryDefined {
            inventory_id: inventory_id(),
            tenant_id: tenant_id(),
            listing_id: listing_id(),
            name: InventoryName::parse("  Sea-view double ").unwrap(),
            currency: eur(),
        }]);
}

#[test]
fn it_should_ignore_an_identical_definition() {
    given(vec![define()])
        .when(define())
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_redefine_an_inventory_with_other_details() {
    let InventoryCommand::DefineInventory {
        inventory_id,
        tenant_id,
        listing_id,
        currency,
        ..
    } = define()
    else {
        unreachable!()
    };
    given(vec![define()])
        .when(InventoryCommand::DefineInventory {
            inventory_id,
            tenant_id,
            listing_id,
            name: InventoryName::parse("Another").unwrap(),
            currency,
        })
        .then_expect_error(InventoryError::AlreadyDefined { inventory_id });
}

#[test]
fn it_should_not_accept_commands_before_definition() {
    for command in [
        set_capacity("2026-12-24", "2026-12-25", 1),
        set_price("2026-12-24", "2026-12-25", 1),
        hold(1, &["2026-12-24"], 1),
        confirm(1),
        release(1, ReleaseReason::Expired),
        release_allocation(1),
    ] {
        given(vec![])
            .when(command)
            .then_expect_error(InventoryError::NotDefined);
    }
}

#[test]
fn it_should_reject_invalid_names() {
    assert_eq!(InventoryName::parse("  "), Err(InventoryNameError::Empty));
    assert_eq!(
        InventoryName::parse(&"x".repeat(121)),
        Err(InventoryNameError::TooLong {
            chars: 121,
            max: 120
        })
    );
    assert_eq!(
        InventoryName::parse("a\nb"),
        Err(InventoryNameError::ControlCharacter)
    );
    assert!(serde_json::from_value::<InventoryName>(serde_json::json!("")).is_err());
}

#[test]
fn it_should_set_capacity_creating_the_slots() {
    let (inventory_id, tenant_id, listing_id) = ids();
    given(vec![define()])
        .when(set_capacity("2026-12-30", "2027-01-01", 5))
        .then_expect_events(vec![InventoryEvent::InventoryCapacitySet {
            inventory_id,
            tenant_id,
            listing_id,
            capacity: 5,
            slots: vec![
                snap("2026-12-30", 5, 0, 0, None, false),
                snap("2026-12-31", 5, 0, 0, None, false),
            ],
        }]);
}

#[test]
fn it_should_set_capacity_on_time_slots() {
    let (inventory_id, tenant_id, listing_id) = ids();
    given(vec![define()])
        .when(InventoryCommand::SetCapacity {
            selection: SlotSelection::at_times(
                DateRange::new(d("2026-07-01"), d("2026-07-02")).unwrap(),
                vec![time("19:00"), time("18:00"), time("18:00")],
            ),
            capacity: 4,
        })
        .then_expect_events(vec![InventoryEvent::InventoryCapacitySet {
            inventory_id,
            tenant_id,
            listing_id,
            capacity: 4,
            slots: vec![
                snap("2026-07-01T18:00", 4, 0, 0, None, false),
                snap("2026-07-01T19:00", 4, 0, 0, None, false),
            ],
        }]);
}

#[test]
fn it_should_only_report_slots_whose_capacity_changed() {
    let (inventory_id, tenant_id, listing_id) = ids();
    given(base())
        .when(set_capacity("2026-12-26", "2026-12-28", 2))
        .then_expect_events(vec![InventoryEvent::InventoryCapacitySet {
            inventory_id,
            tenant_id,
            listing_id,
            capacity: 2,
            slots: vec![snap("2026-12-27", 2, 0, 0, None, false)],
        }]);
    given(base())
        .when(set_capacity("2026-12-24", "2026-12-27", 2))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_set_capacity_above_the_maximum() {
    given(vec![define()])
        .when(set_capacity("2026-12-24", "2026-12-25", 1_000_001))
        .then_expect_error(InventoryError::CapacityTooLarge {
            requested: 1_000_001,
            max: 1_000_000,
        });
}

#[test]
fn it_should_not_lower_capacity_below_what_is_taken() {
    let history = with(
        base(),
        vec![
            hold(1, &["2026-12-25"], 1),
            hold(2, &["2026-12-25", "2026-12-26"], 1),
            confirm(2),
        ],
    );
    given(history.clone())
        .when(set_capacity("2026-12-24", "2026-12-27", 1))
        .then_expect_error(InventoryError::CapacityBelowTaken {
            slot: slot("2026-12-25"),
            taken: 2,
            requested: 1,
            bookings: vec![booking(1), booking(2)],
        });
    // Down to exactly what is taken is fine.
    let (inventory_id, tenant_id, listing_id) = ids();
    given(history)
        .when(set_capacity("2026-12-26", "2026-12-27", 1))
        .then_expect_events(vec![InventoryEvent::InventoryCapacitySet {
            inventory_id,
            tenant_id,
            listing_id,
            capacity: 1,
            slots: vec![snap("2026-12-26", 1, 0, 1, Some(12_000), false)],
        }]);
}

#[test]
fn it_should_not_accept_an_empty_selection() {
    // A deserialised range is not re-validated; a reversed one selects nothing.
    let reversed: DateRange =
        serde_json::from_value(serde_json::json!({"from": "2026-12-25", "to": "2026-12-24"}))
            .unwrap();
    given(vec![define()])
        .when(InventoryCommand::SetCapacity {
            selection: SlotSelection::days(reversed),
            capacity: 1,
        })
        .then_expect_error(InventoryError::SelectionEmpty);
}

#[test]
fn it_should_not_accept_a_selection_over_20000_slots() {
    let year = DateRange::new(d("2026-01-01"), d("2027-01-01")).unwrap();
    let every_quarter_hour: Vec<NaiveTime> = (0..96)
        .map(|i| NaiveTime::from_hms_opt(i / 4, (i % 4) * 15, 0).unwrap())
        .collect();
    given(vec![define()])
        .when(InventoryCommand::CloseSlots {
            selection: SlotSelection::at_times(year, every_quarter_hour),
        })
        .then_expect_error(InventoryError::SelectionTooLarge {
            slots: 365 * 96,
            max: 20_000,
        });
    // A huge deserialised range is rejected before any slot is built.
    let huge: DateRange =
        serde_json::from_value(serde_json::json!({"from": "0001-01-01", "to": "9999-12-31"}))
            .unwrap();
    assert!(matches!(
        SlotSelection::days(huge).slots(),
        Err(InventoryError::SelectionTooLarge { .. })
    ));
}

#[test]
fn it_should_set_a_price() {
    let (inventory_id, tenant_id, listing_id) = ids();
    given(base())
        .when(set_price("2026-12-26", "2026-12-27", 15_000))
        .then_expect_events(vec![InventoryEvent::InventoryPriceSet {
            inventory_id,
            tenant_id,
            listing_id,
            price: money(15_000),
            slots: vec![snap("2026-12-26", 2, 0, 0, Some(15_000), false)],
        }]);
    given(base())
        .when(set_price("2026-12-24", "2026-12-27", 12_000))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_set_a_price_in_another_currency() {
    given(base())
        .when(InventoryCommand::SetPrice {
            selection: nights("2026-12-24", "2026-12-25"),
            price: Money::new(100, Currency::parse("KRW").unwrap()),
        })
        .then_expect_error(InventoryError::CurrencyMismatch {
            expected: eur(),
            got: Currency::parse("KRW").unwrap(),
        });
}

#[test]
fn it_should_not_set_a_negative_price() {
    given(base())
        .when(set_price("2026-12-24", "2026-12-25", -1))
        .then_expect_error(InventoryError::NegativePrice { amount_minor: -1 });
}

#[test]
fn it_should_not_price_close_or_open_slots_that_are_not_offered() {
    for command in [
        set_price("2026-12-26", "2026-12-28", 1),
        InventoryCommand::CloseSlots {
            selection: nights("2026-12-26", "2026-12-28"),
        },
        InventoryCommand::OpenSlots {
            selection: nights("2026-12-26", "2026-12-28"),
        },
    ] {
        given(base())
            .when(command)
            .then_expect_error(InventoryError::SlotNotOffered {
                slot: slot("2026-12-27"),
            });
    }
}

#[test]
fn it_should_close_and_reopen_slots() {
    let (inventory_id, tenant_id, listing_id) = ids();
    let close = InventoryCommand::CloseSlots {
        selection: nights("2026-12-25", "2026-12-26"),
    };
    let open = InventoryCommand::OpenSlots {
        selection: nights("2026-12-25", "2026-12-26"),
    };
    given(base()).when(close.clone()).then_expect_events(vec![
        InventoryEvent::InventorySlotsClosed {
            inventory_id,
            tenant_id,
            listing_id,
            slots: vec![snap("2026-12-25", 2, 0, 0, Some(12_000), true)],
        },
    ]);
    given(with(base(), vec![close.clone()]))
        .when(close.clone())
        .then_expect_events(vec![]);
    given(with(base(), vec![close]))
        .when(open.clone())
        .then_expect_events(vec![InventoryEvent::InventorySlotsOpened {
            inventory_id,
            tenant_id,
            listing_id,
            slots: vec![snap("2026-12-25", 2, 0, 0, Some(12_000), false)],
        }]);
    given(base()).when(open).then_expect_events(vec![]);
}

#[test]
fn closing_keeps_existing_holds_and_allocations() {
    let close = InventoryCommand::CloseSlots {
        selection: nights("2026-12-24", "2026-12-27"),
    };
    let history = with(
        base(),
        vec![
            hold(1, &["2026-12-24"], 1),
            hold(2, &["2026-12-24"], 1),
            confirm(2),
            close,
        ],
    );
    let (inventory_id, tenant_id, listing_id) = ids();
    given(history.clone())
        .when(confirm(1))
        .then_expect_events(vec![InventoryEvent::InventoryHoldConfirmed {
            inventory_id,
            tenant_id,
            listing_id,
            booking_id: booking(1),
            quantity: 1,
            slots: vec![snap("2026-12-24", 2, 0, 2, Some(12_000), true)],
        }]);
    given(history)
        .when(hold(3, &["2026-12-25"], 1))
        .then_expect_error(InventoryError::SlotClosed {
            slot: slot("2026-12-25"),
        });
}
