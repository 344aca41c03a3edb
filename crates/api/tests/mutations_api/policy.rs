//! The listing's booking policy through the API, on the controlled clock: a bingsu shop in
//! Seoul whose same-day bookings open at 18:00 local time.

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};
use chrono::{DateTime, Utc};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn same_day_bookings_open_at_six_pm_local_time() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let listing = published_listing(&app, &op, same_day_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        (
            "2030-01-07",
            "2030-01-08",
            &["18:00", "19:00", "20:00", "21:00"],
        ),
        4,
        9_000,
    )
    .await;
    let (_, token) = guest();
    let input = json!({"listingId": listing, "inventoryId": inventory,
                       "timeSlot": {"start": "2030-01-07T19:00"}, "partySize": 2});

    // 17:59 in Seoul (UTC+9) is 08:59 UTC.
    app.clock.set(at("2030-01-07T08:59:00Z"));
    let early = app
        .graphql(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": key(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&early), Some("POLICY_VIOLATION"), "{early}");
    assert_eq!(early["errors"][0]["extensions"]["rule"], "WindowNotOpen");

    app.clock.set(at("2030-01-07T09:00:00Z"));
    let data = app
        .ok(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": key(), "input": input}),
        )
        .await;
    let booking = &data["placeBooking"];
    assert_eq!(booking["status"], "HELD");
    // The policy's 10-minute hold, from the clock's 18:00 KST.
    assert_eq!(booking["holdExpiresAt"], "2030-01-07T09:10:00+00:00");
    assert_eq!(booking["totals"]["totalMinor"], 9_000);
}
