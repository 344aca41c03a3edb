//! Stored history must stay readable: every event round-trips, one event's JSON is pinned, and
//! the snapshot shape is pinned.

use cqrs_es::DomainEvent;
use serde_json::json;

use super::*;

fn every_kind_of_event() -> Vec<InventoryEvent> {
    history(with(
        base(),
        vec![
            InventoryCommand::CloseSlots {
                selection: nights("2026-12-26", "2026-12-27"),
            },
            InventoryCommand::OpenSlots {
                selection: nights("2026-12-26", "2026-12-27"),
            },
            hold(1, &["2026-12-24", "2026-12-25"], 1),
            confirm(1),
            release_allocation(1),
            hold(2, &["2026-12-26"], 2),
            release(2, ReleaseReason::Expired),
            InventoryCommand::DescribeInventory {
                name: InventoryName::parse("Deluxe double").unwrap(),
                content: InventoryContent::new(
                    "Sea view.",
                    Some(2),
                    vec![Attribute {
                        kind: AttributeKind::Accessibility,
                        value: "step-free".into(),
                    }],
                )
                .unwrap(),
            },
        ],
    ))
}

#[test]
fn every_event_round_trips_through_json() {
    let events = every_kind_of_event();
    let kinds: BTreeSet<String> = events.iter().map(DomainEvent::event_type).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "InventoryAllocationReleased",
            "InventoryCapacitySet",
            "InventoryDefined",
            "InventoryDescribed",
            "InventoryHoldConfirmed",
            "InventoryHoldPlaced",
            "InventoryHoldReleased",
            "InventoryPriceSet",
            "InventorySlotsClosed",
            "InventorySlotsOpened",
        ]
    );
    for event in events {
        assert_eq!(event.event_version(), "1.0");
        assert_eq!(event.inventory_id(), inventory_id());
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            serde_json::from_str::<InventoryEvent>(&json).unwrap(),
            event
        );
    }
}

use std::collections::BTreeSet;

#[test]
fn the_hold_placed_json_shape_is_pinned() {
    let event = InventoryEvent::InventoryHoldPlaced {
        inventory_id: inventory_id(),
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        booking_id: booking(1),
        quantity: 2,
        expires_at: expiry(),
        slots: vec![
            snap("2026-12-24", 3, 2, 1, Some(12_000), false),
            snap("2026-12-25T18:30", 3, 2, 0, None, true),
        ],
    };
    assert_eq!(event.slot_snapshots().len(), 2);
    let expected = json!({
        "InventoryHoldPlaced": {
            "inventory_id": "00000000000000000000000001",
            "tenant_id": "00000000000000000000000002",
            "listing_id": "00000000000000000000000003",
            "booking_id": "000000000000000000000000Z9",
            "quantity": 2,
            "expires_at": "2026-06-01T12:15:00Z",
            "slots": [
                {"slot": "2026-12-24", "capacity": 3, "held": 2, "allocated": 1,
                 "price": {"amount_minor": 12000, "currency": "EUR"}, "closed": false},
                {"slot": "2026-12-25T18:30", "capacity": 3, "held": 2, "allocated": 0,
                 "price": null, "closed": true}
            ]
        }
    });
    assert_eq!(serde_json::to_value(&event).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<InventoryEvent>(expected).unwrap(),
        event
    );
}

#[test]
fn the_snapshot_shape_is_compact_and_pinned() {
    let inventory = state(&history(vec![
        define(),
        set_capacity("2026-12-24", "2026-12-26", 2),
        set_price("2026-12-24", "2026-12-25", 12_000),
        hold(1, &["2026-12-24"], 1),
    ]));
    let expected = json!({
        "definition": {
            "inventory_id": "00000000000000000000000001",
            "tenant_id": "00000000000000000000000002",
            "listing_id": "00000000000000000000000003",
            "name": "Sea-view double",
            "currency": "EUR"
        },
        "slots": {
            "2026-12-24": {"capacity": 2, "price_minor": 12000, "held": 1},
            "2026-12-25": {"capacity": 2}
        },
        "holds": {
            "000000000000000000000000Z9": {
                "slots": ["2026-12-24"], "quantity": 1, "expires_at": "2026-06-01T12:15:00Z"
            }
        }
    });
    assert_eq!(serde_json::to_value(&inventory).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<Inventory>(expected).unwrap(),
        inventory
    );
    assert_eq!(
        serde_json::to_value(Inventory::default()).unwrap(),
        json!({})
    );
}
