//! Calendar feeds (iCalendar, RFC 5545) on the real server: a guest's secret feed of their
//! bookings, an operator's feed of an inventory, one booking's `.ics` — each parsed back by an
//! iCalendar parser; who may get which; reset and forgotten addresses stop working.

use icalendar::{Calendar, Component, Event, EventStatus};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, spawn_app};
use holdfast_testkit::graphql::{CANCEL_BOOKING, CONFIRM_PAYMENT};

const MY_FEED: &str = "mutation($reset: Boolean) { myCalendarFeed(reset: $reset) { path url } }";
const INVENTORY_FEED: &str = "mutation($id: ID!, $reset: Boolean) {
    inventoryCalendarFeed(inventoryId: $id, reset: $reset) { path url } }";
const BOOKING: &str =
    "query($id: ID!, $t: String) { booking(id: $id, consistencyToken: $t) { status } }";

async fn sign_up(app: &TestApp, email: &str, name: &str, language: &str) -> String {
    app.ok(
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
        json!({"input": {"email": email, "password": "correct horse battery", "name": name,
                         "language": language}}),
    )
    .await["signUp"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Places a booking on 1 February 2030 (19:00 in Seoul); its id and token.
async fn book(app: &TestApp, token: &str, listing: &str, inventory: &str) -> (String, String) {
    let placed = app
        .ok(
            Some(token),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await["placeBooking"]
        .clone();
    (
        placed["bookingId"].as_str().unwrap().to_owned(),
        placed["consistencyToken"].as_str().unwrap().to_owned(),
    )
}

async fn pay(app: &TestApp, op: &str, booking: &str) -> String {
    app.ok(
        Some(op),
        CONFIRM_PAYMENT,
        json!({"key": key(), "input": {"bookingId": booking, "provider": "card",
               "reference": format!("p-{booking}"),
               "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
    )
    .await["confirmPayment"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `GET` of `path` (with `bearer`, if any): the status, headers and body.
async fn get(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = app.http.get(format!("{}{path}", app.base));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// The events of a calendar document, by UID: (status, summary, description).
fn events(text: &str) -> Vec<(String, Option<EventStatus>, String, String)> {
    let calendar: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    calendar
        .events()
        .map(|e: &Event| {
            (
                e.get_uid().unwrap_or_default().to_owned(),
                e.get_status(),
                e.get_summary().unwrap_or_default().to_owned(),
                e.get_description().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn path(v: &Value) -> String {
    v["path"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn feeds_and_booking_calendars_show_each_booking_to_whom_it_concerns() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 10).await;
    let mia = sign_up(&app, "mia@example.com", "김민지", "KO").await;
    let ola = sign_up(&app, "ola@example.com", "Ola", "EN").await;
    // Mia: confirmed. Ola: one held, one paid then cancelled, one cancelled before paying.
    let (mine, _) = book(&app, &mia, &listing, &inventory).await;
    pay(&app, &op, &mine).await;
    let (held, _) = book(&app, &ola, &listing, &inventory).await;
    let (paid_then_cancelled, _) = book(&app, &ola, &listing, &inventory).await;
    pay(&app, &op, &paid_then_cancelled).await;
    app.ok(
        Some(&ola),
        CANCEL_BOOKING,
        json!({"key": key(), "id": paid_then_cancelled}),
    )
    .await;
    let (dropped, _) = book(&app, &ola, &listing, &inventory).await;
    let t = app
        .ok(
            Some(&ola),
            CANCEL_BOOKING,
            json!({"key": key(), "id": dropped}),
        )
        .await["cancelBooking"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(Some(&ola), BOOKING, json!({"id": dropped, "t": t}))
        .await;

    // Mia's feed: her one booking, in Korean, the listing's local time.
    let feed = app.ok(Some(&mia), MY_FEED, json!({})).await["myCalendarFeed"].clone();
    let mias = path(&feed);
    assert!(
        mias.starts_with("/calendar/") && mias.ends_with(".ics"),
        "{feed}"
    );
    assert_eq!(feed["url"], format!("{}{mias}", app.base));
    let (status, headers, text) = get(&app, &mias, None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(
        events(&text),
        [(
            format!("{mine}@holdfast"),
            Some(EventStatus::Confirmed),
            "Snowflake Bingsu".to_owned(),
            format!("일시: 2030년 2월 1일 (금) 19:00\n인원: 2명\n예약 번호: {mine}"),
        )]
    );
    // Asked again: the same address.
    let again = app.ok(Some(&mia), MY_FEED, json!({})).await["myCalendarFeed"].clone();
    assert_eq!(path(&again), mias);

    // Ola's: the held one (tentative) and the cancelled paid one; not the dropped one.
    let olas = path(&app.ok(Some(&ola), MY_FEED, json!({})).await["myCalendarFeed"]);
    assert_ne!(olas, mias);
    let (_, _, text) = get(&app, &olas, None).await;
    let mut got: Vec<(String, Option<EventStatus>)> = events(&text)
        .into_iter()
        .map(|(u, s, _, _)| (u, s))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (format!("{held}@holdfast"), Some(EventStatus::Tentative)),
        (
            format!("{paid_then_cancelled}@holdfast"),
            Some(EventStatus::Cancelled),
        ),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want, "{text}");

    // The operator's feed of the inventory: every booking on it but the dropped one, English.
    let inv = path(
        &app.ok(Some(&op), INVENTORY_FEED, json!({"id": inventory}))
            .await["inventoryCalendarFeed"],
    );
    let (status, _, text) = get(&app, &inv, None).await;
    assert_eq!(status, 200);
    let got = events(&text);
    assert_eq!(got.len(), 3, "{text}");
    assert!(
        got.iter()
            .any(|(u, s, _, d)| *u == format!("{mine}@holdfast")
                && *s == Some(EventStatus::Confirmed)
                && d.starts_with("When: Fri 1 Feb 2030, 19:00\nGuests: 2"))
    );
    assert!(!text.contains(&dropped));
    let (_, _, korean) = get(&app, &format!("{inv}?lang=ko"), None).await;
    assert!(korean.contains("X-WR-CALNAME:예약"), "{korean}");
    // Another business's operator and a guest cannot have it.
    let (_, other) = operator();
    for token in [&other, &mia] {
        let refused = app
            .graphql(Some(token), INVENTORY_FEED, json!({"id": inventory}))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
    let unknown = app
        .graphql(
            Some(&op),
            INVENTORY_FEED,
            json!({"id": ulid::Ulid::new().to_string()}),
        )
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");
    let refused = app.graphql(Some(&op), MY_FEED, json!({})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    // A guest token with no bookings: an empty calendar, still a calendar.
    let (_, nobody) = guest();
    let empty = path(&app.ok(Some(&nobody), MY_FEED, json!({})).await["myCalendarFeed"]);
    let (status, _, text) = get(&app, &empty, None).await;
    assert_eq!((status, events(&text).len()), (200, 0), "{text}");

    // One booking's .ics: its guest and its business only.
    let ics = format!("/bookings/{mine}/calendar.ics");
    let (status, headers, text) = get(&app, &ics, Some(&mia)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"booking-{mine}.ics\"").as_str()
    );
    assert_eq!(events(&text).len(), 1);
    assert_eq!(get(&app, &ics, Some(&op)).await.0, 200);
    assert_eq!(get(&app, &ics, Some(&ola)).await.0, 404);
    assert_eq!(get(&app, &ics, Some(&other)).await.0, 404);
    assert_eq!(get(&app, &ics, None).await.0, 401);
    assert_eq!(
        get(&app, "/bookings/nope/calendar.ics", Some(&mia)).await.0,
        404
    );

    // A reset address replaces the old one; a made-up one is nothing.
    let reset = path(&app.ok(Some(&mia), MY_FEED, json!({"reset": true})).await["myCalendarFeed"]);
    assert_ne!(reset, mias);
    assert_eq!(get(&app, &mias, None).await.0, 404);
    assert_eq!(get(&app, &reset, None).await.0, 200);
    for bad in [
        "/calendar/nope.ics",
        "/calendar/nope",
        &format!("/calendar/{}.ics", "0".repeat(64)),
    ] {
        assert_eq!(get(&app, bad, None).await.0, 404, "{bad}");
    }

    // Forgetting Mia forgets her feed.
    let me = app.ok(Some(&mia), "{ me { guestId } }", json!({})).await["me"]["guestId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        Some(&mia),
        "mutation($id: ID!) { forgetGuest(guestId: $id) }",
        json!({"id": me}),
    )
    .await;
    assert_eq!(get(&app, &reset, None).await.0, 404);
}
