//! Stored history must stay readable: every event round-trips and one event's JSON is pinned.

use std::collections::BTreeSet;

use cqrs_es::DomainEvent;
use serde_json::json;

use super::*;

#[test]
fn every_event_round_trips_through_json() {
    let events = history(with(
        created(),
        vec![
            claim(1),
            redeem(1, 1, 20_000),
            restore(1),
            CouponCommand::EndCampaign,
        ],
    ));
    let kinds: BTreeSet<String> = events.iter().map(DomainEvent::event_type).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "CouponCampaignCreated",
            "CouponCampaignEnded",
            "CouponClaimed",
            "CouponRedeemed",
            "CouponRestored",
        ]
    );
    for event in &events {
        assert_eq!(event.event_version(), "1.0");
        assert_eq!(event.campaign_id(), campaign_id());
        let json = serde_json::to_string(event).unwrap();
        assert_eq!(&serde_json::from_str::<CouponEvent>(&json).unwrap(), event);
    }
    // The snapshot round-trips too.
    let campaign = state(&events);
    let snapshot = serde_json::to_string(&campaign).unwrap();
    assert_eq!(
        serde_json::from_str::<CouponCampaign>(&snapshot).unwrap(),
        campaign
    );
}

#[test]
fn the_created_and_redeemed_json_shapes_are_pinned() {
    let events = history(with(created(), vec![claim(1), redeem(1, 1, 20_000)]));
    assert_eq!(
        serde_json::to_value(&events[0]).unwrap(),
        json!({
            "CouponCampaignCreated": {
                "campaign_id": "0000000000000000000000000A",
                "tenant_id": "00000000000000000000000002",
                "terms": {
                    "code": "SUMMER-10",
                    "discount": {"percent": {"bp": 1000, "max": {"amount_minor": 5000, "currency": "EUR"}}},
                    "min_spend": {"amount_minor": 10000, "currency": "EUR"},
                    "valid_from": "2026-06-01T00:00:00Z",
                    "valid_until": "2026-07-01T00:00:00Z",
                    "total_quantity": 3,
                    "per_guest_limit": 2,
                    "applicable_listings": [],
                    "restore_on_cancel": true
                },
                "created_at": "2026-06-01T12:00:00Z"
            }
        })
    );
    let redeemed = json!({
        "CouponRedeemed": {
            "campaign_id": "0000000000000000000000000A",
            "tenant_id": "00000000000000000000000002",
            "guest_id": "000000000000000000000000FN",
            "booking_id": "000000000000000000000000Z9",
            "listing_id": "00000000000000000000000003",
            "code": "SUMMER-10",
            "subtotal": {"amount_minor": 20000, "currency": "EUR"},
            "discount": {"amount_minor": 2000, "currency": "EUR"},
            "redeemed_at": "2026-06-01T12:00:00Z",
            "guest_unused": 0,
            "redeemed": 1
        }
    });
    assert_eq!(serde_json::to_value(&events[2]).unwrap(), redeemed);
    assert_eq!(
        serde_json::from_value::<CouponEvent>(redeemed).unwrap(),
        events[2]
    );
    assert_eq!(
        serde_json::to_value(Discount::Fixed(money(500))).unwrap(),
        json!({"fixed": {"amount_minor": 500, "currency": "EUR"}})
    );
}
