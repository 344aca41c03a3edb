//! ReleaseHold and ReleaseAllocation.

use super::*;

fn held() -> Vec<InventoryCommand> {
    with(base(), vec![hold(1, &["2026-12-25", "2026-12-26"], 1)])
}

fn allocated() -> Vec<InventoryCommand> {
    with(held(), vec![confirm(1)])
}

#[test]
fn it_should_release_a_hold_with_its_reason() {
    for reason in [
        ReleaseReason::Expired,
        ReleaseReason::Cancelled,
        ReleaseReason::Failed,
    ] {
        given(held())
            .when(release(1, reason))
            .then_expect_events(vec![InventoryEvent::InventoryHoldReleased {
                inventory_id: inventory_id(),
                tenant_id: tenant_id(),
                listing_id: listing_id(),
                booking_id: booking(1),
                quantity: 1,
                reason,
                slots: vec![
                    snap("2026-12-25", 2, 0, 0, Some(12_000), false),
                    snap("2026-12-26", 2, 0, 0, Some(12_000), false),
                ],
            }]);
    }
}

#[test]
fn a_released_hold_frees_its_units() {
    let full = with(
        base(),
        vec![
            hold(1, &["2026-12-25"], 2),
            release(1, ReleaseReason::Failed),
        ],
    );
    let events = given(full)
        .when(hold(2, &["2026-12-25"], 2))
        .inspect_result();
    assert!(matches!(
        events.as_deref(),
        Ok([InventoryEvent::InventoryHoldPlaced { .. }])
    ));
}

#[test]
fn it_should_ignore_a_repeated_release() {
    given(with(held(), vec![release(1, ReleaseReason::Expired)]))
        .when(release(1, ReleaseReason::Cancelled))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_release_a_hold_never_placed() {
    given(base())
        .when(release(1, ReleaseReason::Expired))
        .then_expect_error(InventoryError::HoldNotFound {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_release_a_confirmed_hold() {
    given(allocated())
        .when(release(1, ReleaseReason::Expired))
        .then_expect_error(InventoryError::HoldAlreadyConfirmed {
            booking_id: booking(1),
        });
    given(with(allocated(), vec![release_allocation(1)]))
        .when(release(1, ReleaseReason::Expired))
        .then_expect_error(InventoryError::HoldAlreadyConfirmed {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_release_an_allocation() {
    given(allocated())
        .when(release_allocation(1))
        .then_expect_events(vec![InventoryEvent::InventoryAllocationReleased {
            inventory_id: inventory_id(),
            tenant_id: tenant_id(),
            listing_id: listing_id(),
            booking_id: booking(1),
            quantity: 1,
            slots: vec![
                snap("2026-12-25", 2, 0, 0, Some(12_000), false),
                snap("2026-12-26", 2, 0, 0, Some(12_000), false),
            ],
        }]);
}

#[test]
fn it_should_ignore_a_repeated_allocation_release() {
    given(with(allocated(), vec![release_allocation(1)]))
        .when(release_allocation(1))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_release_an_allocation_never_made() {
    given(base()).when(release_allocation(1)).then_expect_error(
        InventoryError::AllocationNotFound {
            booking_id: booking(1),
        },
    );
    given(with(held(), vec![release(1, ReleaseReason::Expired)]))
        .when(release_allocation(1))
        .then_expect_error(InventoryError::AllocationNotFound {
            booking_id: booking(1),
        });
}

#[test]
fn it_should_not_release_an_unconfirmed_hold_as_an_allocation() {
    given(held())
        .when(release_allocation(1))
        .then_expect_error(InventoryError::HoldNotConfirmed {
            booking_id: booking(1),
        });
}
