//! Properties (replay, archived is final, versions) and the stored JSON shape of events.

use chrono::Duration;
use cqrs_es::{Aggregate, DomainEvent};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn command() -> impl Strategy<Value = ListingCommand> {
    let names = prop::sample::select(vec!["Snowflake Bingsu", "Bingsu Bar", "", "  Café  "]);
    let tags = prop::sample::select(vec![
        vec!["bingsu"],
        vec!["Dessert", "bingsu"],
        vec!["night", "rooftop bar"],
        vec![""],
    ]);
    let zones = prop::sample::select(vec!["Asia/Seoul", "Asia/Tokyo", "Europe/Berlin", "Nowhere"]);
    let reasons = prop::sample::select(vec!["inspection", "unpaid", ""]);
    prop_oneof![
        Just(create()),
        Just(ListingCommand::CreateListing(Box::new(CreateListing {
            name: "Other".into(),
            ..create_cmd()
        }))),
        (
            prop::option::of(names),
            prop::option::of(tags),
            prop::option::of(zones),
            prop::option::of(-10i64..20_000)
        )
            .prop_map(|(name, tags, zone, price)| update(UpdateListingDetails {
                name: name.map(Into::into),
                tags: tags.map(|t| t.into_iter().map(Into::into).collect()),
                time_zone: zone.map(Into::into),
                display_price: price.map(krw),
                ..Default::default()
            })),
        (0i64..=40, 1u32..=3).prop_map(|(hold, min_stay)| {
            let mut spec = bingsu_policy().stays(min_stay, 3);
            spec.hold_duration = Duration::minutes(hold);
            ListingCommand::ChangeBookingPolicy {
                policy: Box::new(spec),
            }
        }),
        Just(ListingCommand::Publish),
        reasons.prop_map(|r| ListingCommand::Suspend { reason: r.into() }),
        Just(ListingCommand::Reinstate),
        Just(ListingCommand::Archive),
    ]
}

fn status_after(event: &ListingEvent) -> Option<ListingStatus> {
    match event {
        ListingEvent::ListingPublished { .. } | ListingEvent::ListingReinstated { .. } => {
            Some(ListingStatus::Published)
        }
        ListingEvent::ListingSuspended { .. } => Some(ListingStatus::Suspended),
        ListingEvent::ListingArchived { .. } => Some(ListingStatus::Archived),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn replaying_emitted_events_rebuilds_the_listing(
        commands in prop::collection::vec(command(), 0..25),
    ) {
        let services = services();
        let mut listing = Listing::default();
        let mut history = Vec::new();
        let mut policy_changes = 0u32;
        for command in commands {
            let before = listing.state().map(|s| s.status);
            if let Ok(events) = listing.decide(command, &services) {
                for event in events {
                    // Status events only ever follow the transition table.
                    if let (Some(from), Some(to)) = (before, status_after(&event)) {
                        prop_assert!(from.can_transition_to(to), "{:?} -> {:?}", from, to);
                    }
                    // Nothing happens to an archived listing.
                    prop_assert_ne!(before, Some(ListingStatus::Archived));
                    if matches!(event, ListingEvent::ListingBookingPolicyChanged { .. }) {
                        policy_changes += 1;
                    }
                    // Every event survives JSON unchanged.
                    let json = serde_json::to_string(&event).unwrap();
                    prop_assert_eq!(&serde_json::from_str::<ListingEvent>(&json).unwrap(), &event);
                    listing.apply(event.clone());
                    history.push(event);
                }
            }
        }
        prop_assert_eq!(&replay(history), &listing);
        if let Some(state) = listing.state() {
            prop_assert_eq!(state.policy.version(), 1 + policy_changes);
        }
        // Aggregate state survives JSON too (snapshots).
        let json = serde_json::to_string(&listing).unwrap();
        prop_assert_eq!(serde_json::from_str::<Listing>(&json).unwrap(), listing);
    }
}

#[test]
fn every_event_round_trips_through_json_and_names_itself() {
    let all_fields = ListingEvent::ListingDetailsUpdated {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        name: Some(ListingName::parse("N").unwrap()),
        category: Some(Category::Event),
        tags: Some(Tags::parse(&["a"]).unwrap()),
        description: Some(Description::parse("d\nline 2").unwrap()),
        location: Some(Location::parse("addr", "DE-BE", 525_200_000, 134_050_000).unwrap()),
        time_zone: Some(chrono_tz::Europe::Berlin),
        display_price: Some(krw(1)),
    };
    let events = [
        (created(), "ListingCreated"),
        (all_fields, "ListingDetailsUpdated"),
        (details_updated(), "ListingDetailsUpdated"),
        (
            ListingEvent::ListingBookingPolicyChanged {
                tenant_id: tenant_id(),
                listing_id: listing_id(),
                policy: BookingPolicy::new(bingsu_policy()).unwrap().with_version(7),
            },
            "ListingBookingPolicyChanged",
        ),
        (published(), "ListingPublished"),
        (suspended("why"), "ListingSuspended"),
        (reinstated(), "ListingReinstated"),
        (archived(ListingStatus::Suspended), "ListingArchived"),
    ];
    for (event, name) in events {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(serde_json::from_value::<ListingEvent>(json).unwrap(), event);
    }
}

#[test]
fn listing_created_has_a_stable_json_shape() {
    assert_eq!(
        serde_json::to_value(created()).unwrap(),
        json!({
            "ListingCreated": {
                "tenant_id": "01JZ0000000000000000000002",
                "listing_id": "01JZ0000000000000000000001",
                "name": "Snowflake Bingsu",
                "category": "restaurant",
                "tags": ["bingsu", "dessert"],
                "description": "Shaved ice with red beans.",
                "location": {
                    "address": "12 Insadong-gil, Jongno-gu, Seoul",
                    "region_code": "KR-11",
                    "point": {"lat_e7": 375_740_000, "lon_e7": 1_269_850_000}
                },
                "time_zone": "Asia/Seoul",
                "display_price": {"amount_minor": 12_000, "currency": "KRW"},
                "policy": {
                    "version": 1,
                    "rules": {
                        "slot_kind": {"kind": "time_slot", "minutes": 60,
                                      "first_start": "19:00:00", "last_start": "21:00:00"},
                        "opens": {"days_before": 0, "at": "18:00:00"},
                        "min_lead_minutes": 0,
                        "max_advance_days": 60,
                        "min_stay": 1,
                        "max_stay": 1,
                        "closed_to_arrival": {"weekdays": [], "dates": []},
                        "closed_to_departure": {"weekdays": [], "dates": []},
                        "party_size": {"min": 1, "max": 8},
                        "buffer_minutes": 0,
                        "blackout": [],
                        "per_guest_active_cap": null,
                        "hold_duration_minutes": 15,
                        "offer_duration_minutes": 1440,
                        "no_show_refund_bp": 0,
                        "cancellation": []
                    }
                }
            }
        })
    );
    // An update stores only what changed.
    let mut update = details_updated();
    if let ListingEvent::ListingDetailsUpdated { category, .. } = &mut update {
        *category = Some(Category::Shop);
    }
    assert_eq!(
        serde_json::to_value(update).unwrap(),
        json!({"ListingDetailsUpdated": {
            "tenant_id": "01JZ0000000000000000000002",
            "listing_id": "01JZ0000000000000000000001",
            "category": "shop"
        }})
    );
}
