//! The storm: 200 concurrent `placeBooking` on one slot with capacity 50 — exactly 50 held,
//! 150 `SOLD_OUT`, no 5xx, and the calendar then shows 0 available.

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};
use futures::future::join_all;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_on_fifty_seats_hold_exactly_fifty() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        50,
        55_000,
    )
    .await;

    let requests = (0..200).map(|_| {
        let (_, token) = guest();
        let input = json!({"listingId": listing, "inventoryId": inventory,
                           "eventDate": "2030-02-01", "partySize": 2});
        let app = &app;
        async move {
            app.graphql(
                Some(&token),
                PLACE_BOOKING,
                json!({"key": key(), "input": input}),
            )
            .await
        }
    });
    let responses = join_all(requests).await;

    let held: Vec<_> = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .map(|r| r["data"]["placeBooking"].clone())
        .collect();
    let sold_out = responses
        .iter()
        .filter(|r| error_code(r) == Some("SOLD_OUT"))
        .count();
    let other: Vec<_> = responses
        .iter()
        .filter(|r| r.get("errors").is_some() && error_code(r) != Some("SOLD_OUT"))
        .collect();
    assert!(other.is_empty(), "unexpected errors: {other:?}");
    assert_eq!(held.len(), 50);
    assert_eq!(sold_out, 150);
    assert!(held.iter().all(|b| b["status"] == "HELD"));
    assert!(held.iter().all(|b| b["totals"]["totalMinor"] == 55_000));

    // The calendar, once it has applied the last hold, shows the slot full.
    let last = held
        .iter()
        .filter_map(|b| b["consistencyToken"].as_str())
        .max_by_key(|t| t.parse::<holdfast_eventstore::Position>().unwrap())
        .unwrap()
        .to_owned();
    let days = calendar_after(&app, Some(&last), &inventory, "2030-02-01", "2030-02-01").await;
    assert_eq!(days.len(), 1);
    assert_eq!(
        (days[0].capacity, days[0].held, days[0].available),
        (50, 50, 0)
    );
}
