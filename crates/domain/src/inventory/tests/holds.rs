//! PlaceHold, ConfirmHold and the pure helpers.

use super::*;

fn placed(b: u128, quantity: u32, slots: Vec<SlotSnapshot>) -> InventoryEvent {
    InventoryEvent::InventoryHoldPlaced {
        inventory_id: inventory_id(),
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        booking_id: booking(b),
        quantity,
        expires_at: expiry(),
        slots,
    }
}

#[test]
fn it_should_hold_every_slot_of_a_stay() {
    given(with(base(), vec![hold(9, &["2026-12-25"], 1)]))
        .when(hold(1, &["2026-12-26", "2026-12-25"], 1))
        .then_expect_events(vec![placed(
            1,
            1,
            vec![
                snap("2026-12-25", 2, 2, 0, Some(12_000), false),
                snap("2026-12-26", 2, 1, 0, Some(12_000), false),
            ],
        )]);
}

#[test]
fn it_should_ignore_an_identical_hold_repeat() {
    given(with(
        base(),
        vec![hold(1, &["2026-12-25", "2026-12-26"], 1)],
    ))
    .when(hold(1, &["2026-12-26", "2026-12-25"], 1))
    .then_expect_events(vec![]);
}

#[test]
fn it_should_not_replace_a_hold_with_another() {
    given(with(base(), vec![hold(1, &["2026-12-25"], 1)]))
        .when(hold(1, &["2026-12-25"], 2))
        .then_expect_error(InventoryError::HoldAlreadyExists {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_ignore_a_hold_repeat_after_confirmation() {
    let history = with(base(), vec![hold(1, &["2026-12-25"], 1), confirm(1)]);
    given(history.clone())
        .when(hold(1, &["2026-12-25"], 1))
        .then_expect_events(vec![]);
    given(history)
        .when(hold(1, &["2026-12-26"], 1))
        .then_expect_error(InventoryError::HoldAlreadyConfirmed {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_hold_for_a_finished_booking() {
    given(with(
        base(),
        vec![
            hold(1, &["2026-12-25"], 1),
            release(1, ReleaseReason::Expired),
        ],
    ))
    .when(hold(1, &["2026-12-25"], 1))
    .then_expect_error(InventoryError::BookingAlreadyFinished {
        booking_id: booking(1),
    });
}

#[test]
fn it_should_not_hold_with_an_expiry_in_the_past() {
    given(base())
        .when(InventoryCommand::PlaceHold {
            booking_id: booking(1),
            slots: vec![slot("2026-12-25")],
            quantity: 1,
            expires_at: now(),
        })
        .then_expect_error(InventoryError::ExpiryInPast {
            expires_at: now(),
            now: now(),
        });
}

#[test]
fn it_should_not_hold_a_slot_that_is_not_offered() {
    given(base())
        .when(hold(1, &["2026-12-26", "2026-12-27"], 1))
        .then_expect_error(InventoryError::SlotNotOffered {
            slot: slot("2026-12-27"),
        });
}

#[test]
fn it_should_not_hold_a_closed_slot() {
    let close = InventoryCommand::CloseSlots {
        selection: nights("2026-12-26", "2026-12-27"),
    };
    given(with(base(), vec![close]))
        .when(hold(1, &["2026-12-25", "2026-12-26"], 1))
        .then_expect_error(InventoryError::SlotClosed {
            slot: slot("2026-12-26"),
        });
}

#[test]
fn it_should_not_hold_more_than_capacity() {
    let history = with(
        base(),
        vec![
            hold(1, &["2026-12-26"], 1),
            hold(2, &["2026-12-26"], 1),
            confirm(2),
        ],
    );
    given(history.clone())
        .when(hold(3, &["2026-12-25", "2026-12-26"], 1))
        .then_expect_error(InventoryError::SoldOut {
            slot: slot("2026-12-26"),
            requested: 1,
            available: 0,
        });
    given(history)
        .when(hold(3, &["2026-12-25"], 3))
        .then_expect_error(InventoryError::SoldOut {
            slot: slot("2026-12-25"),
            requested: 3,
            available: 2,
        });
}

#[test]
fn it_should_not_hold_an_ill_formed_request() {
    given(base())
        .when(hold(1, &[], 1))
        .then_expect_error(InventoryError::NoSlots);
    given(base())
        .when(hold(1, &["2026-12-25"], 0))
        .then_expect_error(InventoryError::ZeroQuantity);
    given(base())
        .when(hold(1, &["2026-12-25", "2026-12-26", "2026-12-25"], 1))
        .then_expect_error(InventoryError::DuplicateSlot {
            slot: slot("2026-12-25"),
        });
    let year: Vec<Slot> = DateRange::new(d("2026-01-01"), d("2027-01-03"))
        .unwrap()
        .dates()
        .map(Slot::day)
        .collect();
    given(base())
        .when(InventoryCommand::PlaceHold {
            booking_id: booking(1),
            slots: year,
            quantity: 1,
            expires_at: expiry(),
        })
        .then_expect_error(InventoryError::TooManySlots {
            requested: 367,
            max: 366,
        });
}

#[test]
fn it_should_not_overflow_on_a_huge_quantity() {
    given(base())
        .when(hold(1, &["2026-12-25"], u32::MAX))
        .then_expect_error(InventoryError::SoldOut {
            slot: slot("2026-12-25"),
            requested: u32::MAX,
            available: 2,
        });
}

#[test]
fn it_should_confirm_a_hold_into_an_allocation() {
    given(with(
        base(),
        vec![hold(1, &["2026-12-25", "2026-12-26"], 2)],
    ))
    .when(confirm(1))
    .then_expect_events(vec![InventoryEvent::InventoryHoldConfirmed {
        inventory_id: inventory_id(),
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        booking_id: booking(1),
        quantity: 2,
        slots: vec![
            snap("2026-12-25", 2, 0, 2, Some(12_000), false),
            snap("2026-12-26", 2, 0, 2, Some(12_000), false),
        ],
    }]);
}

#[test]
fn it_should_confirm_a_hold_past_its_expiry_until_released() {
    let history = with(base(), vec![hold(1, &["2026-12-25"], 1)]);
    let late = expiry() + Duration::hours(1);
    let events = given_at(late, history).when(confirm(1)).inspect_result();
    assert!(matches!(
        events.as_deref(),
        Ok([InventoryEvent::InventoryHoldConfirmed { .. }])
    ));
}

#[test]
fn it_should_ignore_a_repeated_confirmation() {
    given(with(base(), vec![hold(1, &["2026-12-25"], 1), confirm(1)]))
        .when(confirm(1))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_confirm_an_unknown_hold() {
    given(base())
        .when(confirm(1))
        .then_expect_error(InventoryError::HoldNotFound {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_confirm_a_released_hold() {
    given(with(
        base(),
        vec![
            hold(1, &["2026-12-25"], 1),
            release(1, ReleaseReason::Expired),
        ],
    ))
    .when(confirm(1))
    .then_expect_error(InventoryError::BookingAlreadyFinished {
        booking_id: booking(1),
    });
}

#[test]
fn available_counts_what_a_new_hold_could_take() {
    let close = InventoryCommand::CloseSlots {
        selection: nights("2026-12-26", "2026-12-27"),
    };
    let inventory = state(&history(with(
        base(),
        vec![
            hold(1, &["2026-12-24", "2026-12-25"], 1),
            confirm(1),
            hold(2, &["2026-12-24"], 1),
            close,
        ],
    )));
    assert_eq!(inventory.available(&slot("2026-12-24")), 0);
    assert_eq!(inventory.available(&slot("2026-12-25")), 1);
    assert_eq!(inventory.available(&slot("2026-12-26")), 0, "closed");
    assert_eq!(inventory.available(&slot("2027-01-01")), 0, "not offered");
    assert_eq!(
        inventory.snapshot(&slot("2026-12-24")),
        Some(snap("2026-12-24", 2, 1, 1, Some(12_000), false))
    );
    assert_eq!(
        inventory.bookings_on(&slot("2026-12-24")),
        vec![booking(1), booking(2)]
    );
}

#[test]
fn price_lines_price_each_slot_times_the_quantity() {
    let inventory = state(&history(with(
        base(),
        vec![
            set_price("2026-12-26", "2026-12-27", 15_000),
            set_capacity("2027-01-01", "2027-01-02", 1),
        ],
    )));
    assert_eq!(
        inventory.price_lines(&[slot("2026-12-26"), slot("2026-12-25")], 2),
        Ok(vec![
            (slot("2026-12-26"), money(30_000)),
            (slot("2026-12-25"), money(24_000)),
        ])
    );
    assert_eq!(
        inventory.price_lines(&[slot("2027-01-01")], 1),
        Err(InventoryError::SlotNotPriced {
            slot: slot("2027-01-01")
        })
    );
    assert_eq!(
        inventory.price_lines(&[slot("2027-01-02")], 1),
        Err(InventoryError::SlotNotOffered {
            slot: slot("2027-01-02")
        })
    );
    assert_eq!(
        inventory.price_lines(&[slot("2026-12-25")], 0),
        Err(InventoryError::ZeroQuantity)
    );
    let expensive = state(&history(with(
        base(),
        vec![set_price("2026-12-24", "2026-12-25", i64::MAX / 2)],
    )));
    assert_eq!(
        expensive.price_lines(&[slot("2026-12-24")], 3),
        Err(InventoryError::PriceOverflow {
            slot: slot("2026-12-24"),
            quantity: 3
        })
    );
    assert_eq!(
        Inventory::default().price_lines(&[slot("2026-12-24")], 1),
        Err(InventoryError::NotDefined)
    );
}
