//! The business dashboard over real bookings: confirmed, no-show, cancelled and unpaid ones,
//! their revenue, lead times and the occupancy of the calendars — each figure exact.

use chrono::{DateTime, Duration};
use serde_json::json;

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, spawn_app};
use holdfast_testkit::graphql::{CANCEL_BOOKING, CONFIRM_PAYMENT};

const DASHBOARD: &str = "query($tenant: ID!, $from: Date!, $to: Date!, $t: String) {
  businessDashboard(tenantId: $tenant, from: $from, to: $to, consistencyToken: $t) {
    from to bookings cancellations noShows revenue { amountMinor currency }
    grossRevenue { amountMinor currency } occupancy unitsOffered unitsAllocated
    leadTimeMedianDays leadTimeMeanDays } }";

async fn book(app: &TestApp, token: &str, listing: &str, inventory: &str) -> String {
    app.ok(
        Some(token),
        PLACE_BOOKING,
        json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
               "eventDate": "2030-02-01", "partySize": 2}}),
    )
    .await["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn pay(app: &TestApp, op: &str, booking: &str) {
    app.ok(
        Some(op),
        CONFIRM_PAYMENT,
        json!({"key": key(), "input": {"bookingId": booking, "provider": "card",
               "reference": format!("p-{booking}"),
               "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
    )
    .await;
}

#[tokio::test]
async fn the_dashboard_counts_what_happened_over_the_dates() {
    let app = spawn_app().await;
    let (tenant, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 10).await;
    let (_, mia) = guest();
    let (_, ola) = guest();
    let (_, kai) = guest();
    let (_, lee) = guest();
    // 7 January 09:00 UTC: Mia books and pays; a day later Ola does; Kai pays and cancels;
    // Lee never pays.
    let mine = book(&app, &mia, &listing, &inventory).await;
    pay(&app, &op, &mine).await;
    app.clock.advance(Duration::days(1));
    let olas = book(&app, &ola, &listing, &inventory).await;
    pay(&app, &op, &olas).await;
    let kais = book(&app, &kai, &listing, &inventory).await;
    pay(&app, &op, &kais).await;
    app.ok(
        Some(&kai),
        CANCEL_BOOKING,
        json!({"key": key(), "id": kais}),
    )
    .await;
    book(&app, &lee, &listing, &inventory).await;
    // After the show (19:00 in Seoul, 10:00 UTC): Ola did not come.
    app.clock.set(
        DateTime::parse_from_rfc3339("2030-02-01T12:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let t = app
        .ok(
            Some(&op),
            "mutation($key: String!, $id: ID!) { markNoShow(idempotencyKey: $key,
               input: {bookingId: $id}) { consistencyToken } }",
            json!({"key": key(), "id": olas}),
        )
        .await["markNoShow"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = app
        .ok(
            Some(&op),
            DASHBOARD,
            json!({"tenant": tenant.to_string(), "from": "2030-01-31", "to": "2030-02-02",
                   "t": t}),
        )
        .await["businessDashboard"]
        .clone();
    assert_eq!(
        (d["from"].clone(), d["to"].clone()),
        (json!("2030-01-31"), json!("2030-02-02"))
    );
    assert_eq!(d["bookings"], 2, "{d}");
    assert_eq!(d["noShows"], 1);
    assert_eq!(d["cancellations"], 1);
    assert_eq!(
        d["revenue"],
        json!([{"amountMinor": 60_000, "currency": "KRW"}])
    );
    assert_eq!(d["grossRevenue"], d["revenue"]);
    // Ten seats offered on the 1st; Mia's and Ola's taken (the cancelled one given back, the
    // unpaid one only held).
    assert_eq!(
        (d["unitsOffered"].clone(), d["unitsAllocated"].clone()),
        (json!(10), json!(2))
    );
    assert!((d["occupancy"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    // From request to 10:00 UTC on 1 February: 25 days and 1 hour, then 24 days and 1 hour.
    let hour = 1.0 / 24.0;
    for field in ["leadTimeMedianDays", "leadTimeMeanDays"] {
        let got = d[field].as_f64().unwrap();
        assert!((got - (24.5 + hour)).abs() < 1e-6, "{field}: {got}");
    }
    // The same calendar the availability query shows.
    let days = app
        .ok(
            None,
            "query($inv: ID!, $t: String) { availability(inventoryId: $inv, from: \"2030-02-01\",
               to: \"2030-02-01\", consistencyToken: $t) { capacity allocated } }",
            json!({"inv": inventory, "t": t}),
        )
        .await["availability"]
        .clone();
    assert_eq!(days, json!([{"capacity": 10, "allocated": 2}]));
    // Dates with nothing: zeros, no lead time.
    let empty = app
        .ok(
            Some(&op),
            DASHBOARD,
            json!({"tenant": tenant.to_string(), "from": "2030-03-01", "to": "2030-03-31"}),
        )
        .await["businessDashboard"]
        .clone();
    assert_eq!(empty["bookings"], 0);
    assert_eq!(empty["unitsOffered"], 0);
    assert_eq!(empty["occupancy"], 0.0);
    assert_eq!(empty["leadTimeMedianDays"], serde_json::Value::Null);
    // Only the business (and admins); a sane range.
    let (_, other) = operator();
    for who in [&other, &mia] {
        let r = app
            .graphql(
                Some(who),
                DASHBOARD,
                json!({"tenant": tenant.to_string(), "from": "2030-01-31", "to": "2030-02-02"}),
            )
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    }
    let too_long = app
        .graphql(
            Some(&op),
            DASHBOARD,
            json!({"tenant": tenant.to_string(), "from": "2030-01-01", "to": "2030-12-31"}),
        )
        .await;
    assert_eq!(error_code(&too_long), Some("INVALID_INPUT"), "{too_long}");
}
