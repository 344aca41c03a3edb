//! Availability alerts end to end, with the booking worker: a guest watches sold-out tickets;
//! a cancellation frees one and the watch alerts once (a storm of frees too); it re-arms when
//! they sell out again; stopping is the guest's alone; the alert becomes an outbox
//! notification; and a real SSE client across a server restart gets every alert once.

use std::time::Duration as StdDuration;

use futures::StreamExt;
use holdfast_domain::services::FixedClock;
use holdfast_engine::{Engine, ReadSideSettings};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, serve, settings, spawn_app};
use crate::{booking_mutation, pay};

const WATCH: &str = "mutation($key: String!, $input: WatchAvailabilityInput!) {
  watchAvailability(idempotencyKey: $key, input: $input) {
    watchId status slots partySize quantity alerts expiresAt } }";
const STOP: &str = "mutation($key: String!, $id: ID!) {
  stopWatching(idempotencyKey: $key, watchId: $id) { watchId status } }";
const MINE: &str = "{ myWatches { watchId status alerts slots } }";

fn watch_input(listing: &str, inventory: &str, date: &str) -> Value {
    json!({"listingId": listing, "inventoryId": inventory, "eventDate": date, "partySize": 1})
}

/// A concert of `capacity` tickets on 1 February 2030, sold out to paid bookings: (listing,
/// inventory, operator, the bookings).
async fn sold_out(app: &TestApp, capacity: u32) -> (String, String, String, Vec<(Value, String)>) {
    let (_, op) = operator();
    let listing = published_listing(app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        capacity,
        30_000,
    )
    .await;
    let mut bookings = Vec::new();
    for n in 0..capacity {
        bookings.push(paid_ticket(app, &listing, &inventory, &op, &format!("pi_{n}")).await);
    }
    (listing, inventory, op, bookings)
}

/// A new guest's paid ticket for 1 February: (the booking, the guest's token).
async fn paid_ticket(
    app: &TestApp,
    listing: &str,
    inventory: &str,
    op: &str,
    reference: &str,
) -> (Value, String) {
    let (_, g) = guest();
    let placed = booking_mutation(
        app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory, "eventDate": "2030-02-01", "partySize": 1}),
    )
    .await;
    pay(app, op, &placed, reference).await;
    (placed, g)
}

async fn mine(app: &TestApp, token: &str) -> Value {
    app.ok(Some(token), MINE, json!({})).await["myWatches"][0].clone()
}

async fn alerts_become(app: &TestApp, token: &str, alerts: i64, status: &str) -> Value {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(15);
    loop {
        let watch = mine(app, token).await;
        if watch["alerts"] == alerts && watch["status"] == status {
            return watch;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never {alerts} alerts and {status}: {watch}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

async fn cancel(app: &TestApp, booking: &(Value, String)) {
    booking_mutation(
        app,
        &booking.1,
        "cancelBooking",
        json!({"bookingId": booking.0["bookingId"]}),
    )
    .await;
}

#[tokio::test]
async fn a_watch_alerts_once_per_freeing_and_only_its_guest_stops_it() {
    let app = spawn_app().await;
    let (listing, inventory, op, bookings) = sold_out(&app, 3).await;
    let (_, g) = guest();

    // Refusals: not sold out elsewhere, bad input, past dates, operators.
    let (_, op2) = operator();
    let open_listing = published_listing(&app, &op2, event_policy()).await;
    let open_inventory = stocked_inventory(
        &app,
        &op2,
        &open_listing,
        ("2030-02-01", "2030-02-02", &[]),
        5,
        30_000,
    )
    .await;
    let open = app
        .graphql(
            Some(&g),
            WATCH,
            json!({"key": key(), "input": watch_input(&open_listing, &open_inventory, "2030-02-01")}),
        )
        .await;
    assert_eq!(error_code(&open), Some("INVALID_STATE"), "{open}");
    for (input, code, field) in [
        (
            json!({"listingId": listing, "inventoryId": inventory, "eventDate": "2030-02-01", "partySize": 0}),
            "INVALID_INPUT",
            "input.partySize",
        ),
        (
            json!({"listingId": listing, "inventoryId": inventory, "eventDate": "yesterday", "partySize": 1}),
            "INVALID_INPUT",
            "input.eventDate",
        ),
        (
            json!({"listingId": listing, "inventoryId": inventory, "eventDate": "2020-02-01", "partySize": 1}),
            "POLICY_VIOLATION",
            "",
        ),
    ] {
        let bad = app
            .graphql(Some(&g), WATCH, json!({"key": key(), "input": input}))
            .await;
        assert_eq!(error_code(&bad), Some(code), "{bad}");
        assert!(bad.to_string().contains(field), "{bad}");
    }
    let by_operator = app
        .graphql(
            Some(&op),
            WATCH,
            json!({"key": key(), "input": watch_input(&listing, &inventory, "2030-02-01")}),
        )
        .await;
    assert_eq!(error_code(&by_operator), Some("FORBIDDEN"));

    // Watching: armed, once per key.
    let key_once = key();
    let watched = app
        .ok(
            Some(&g),
            WATCH,
            json!({"key": key_once, "input": watch_input(&listing, &inventory, "2030-02-01")}),
        )
        .await["watchAvailability"]
        .clone();
    assert_eq!(watched["status"], "ARMED");
    assert_eq!(watched["slots"], json!(["2030-02-01"]));
    let again = app
        .ok(
            Some(&g),
            WATCH,
            json!({"key": key_once, "input": watch_input(&listing, &inventory, "2030-02-01")}),
        )
        .await["watchAvailability"]
        .clone();
    assert_eq!(again["watchId"], watched["watchId"]);

    // A cancellation frees a ticket: one alert. Two more frees: still one.
    let worker = app.start_worker();
    cancel(&app, &bookings[0]).await;
    alerts_become(&app, &g, 1, "ALERTED").await;
    cancel(&app, &bookings[1]).await;
    cancel(&app, &bookings[2]).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let still = alerts_become(&app, &g, 1, "ALERTED").await;
    assert_eq!(still["alerts"], 1);

    // Sold out again: re-armed; freed again: a second alert.
    let mut again = Vec::new();
    for n in 0..3 {
        again.push(paid_ticket(&app, &listing, &inventory, &op, &format!("pi_again_{n}")).await);
    }
    alerts_become(&app, &g, 1, "ARMED").await;
    cancel(&app, &again[0]).await;
    alerts_become(&app, &g, 2, "ALERTED").await;

    // Each alert is an outbox notification (`availability_alert`), from its event.
    let pool = app.engine.store.pg_pool().unwrap();
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT global_position FROM events WHERE aggregate_id = $1 AND event_type = 'WatchAlerted'",
    )
    .bind(watched["watchId"].as_str().unwrap())
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let events = app
        .engine
        .store
        .aggregate_events("Watch", watched["watchId"].as_str().unwrap(), 0, 10)
        .await
        .unwrap();
    let alert = events
        .iter()
        .find(|e| e.event_type == "WatchAlerted")
        .unwrap();
    let note = holdfast_engine::notify::kind::from_event(alert)
        .unwrap()
        .unwrap();
    assert_eq!(note.kind.as_str(), "availability_alert");
    assert_eq!(note.payload["data"]["wanted_from"], "2030-02-01");
    assert_eq!(note.payload["watch_id"], watched["watchId"]);

    // Only its guest stops it; a stopped watch stays quiet.
    let (_, stranger) = guest();
    let theirs = app
        .graphql(
            Some(&stranger),
            STOP,
            json!({"key": key(), "id": watched["watchId"]}),
        )
        .await;
    assert_eq!(error_code(&theirs), Some("NOT_FOUND"), "{theirs}");
    let stopped = app
        .ok(
            Some(&g),
            STOP,
            json!({"key": key(), "id": watched["watchId"]}),
        )
        .await;
    assert_eq!(stopped["stopWatching"]["status"], "STOPPED");
    paid_ticket(&app, &listing, &inventory, &op, "pi_last").await;
    cancel(&app, &again[1]).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let quiet = mine(&app, &g).await;
    assert_eq!(
        (quiet["status"].clone(), quiet["alerts"].clone()),
        (json!("STOPPED"), json!(2))
    );
    worker.stop().await;
}

/// One SSE event: (`event`, `id`, `data`).
type SseEvent = (String, String, String);

/// Reads SSE events from `/alerts` (a real HTTP client, the wire format parsed as browsers do)
/// until `count` events came.
async fn sse(
    base: &str,
    token: &str,
    last_event_id: Option<&str>,
) -> impl futures::Stream<Item = SseEvent> {
    let mut request = reqwest::Client::new()
        .get(format!("{base}/alerts"))
        .bearer_auth(token)
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let bytes = response.bytes_stream();
    futures::stream::unfold(
        (bytes, String::new()),
        |(mut bytes, mut buffer)| async move {
            loop {
                if let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let (mut event, mut id, mut data) =
                        (String::from("message"), String::new(), String::new());
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("id:") {
                            id = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        }
                    }
                    if data.is_empty() && id.is_empty() {
                        continue; // a keep-alive comment
                    }
                    return Some(((event, id, data), (bytes, buffer)));
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => return None,
                }
            }
        },
    )
}

async fn next_event(stream: &mut (impl futures::Stream<Item = SseEvent> + Unpin)) -> SseEvent {
    tokio::time::timeout(StdDuration::from_secs(15), stream.next())
        .await
        .expect("an SSE event within 15 s")
        .expect("the stream is open")
}

/// A server restart between alerts: the client reconnects with `Last-Event-ID` and gets the
/// alert made while it was away, once, and none it had.
#[tokio::test]
async fn sse_alerts_survive_a_server_restart_with_none_lost_or_repeated() {
    let db = holdfast_testkit::fresh_postgres_database().await;
    let clock = FixedClock::new(crate::support::start_instant());
    let first_engine = Engine::start(settings(&db.url, ReadSideSettings::InMemory, &clock))
        .await
        .unwrap();
    let first = serve(first_engine.clone(), clock.clone(), None).await;
    let worker = first.start_worker();
    let (listing, inventory, op, bookings) = sold_out(&first, 3).await;
    let (_, g) = guest();
    let watched = first
        .ok(
            Some(&g),
            WATCH,
            json!({"key": key(), "input": watch_input(&listing, &inventory, "2030-02-01")}),
        )
        .await["watchAvailability"]
        .clone();
    let watch_id = watched["watchId"].as_str().unwrap().to_owned();

    // Connected: ready, then the first alert.
    let mut live = Box::pin(sse(&first.base, &g, None).await);
    let (kind, _, _) = next_event(&mut live).await;
    assert_eq!(kind, "ready");
    cancel(&first, &bookings[0]).await;
    let (kind, first_id, data) = next_event(&mut live).await;
    assert_eq!(kind, "alert");
    let alert: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(alert["watchId"], watch_id.as_str());
    assert_eq!(alert["alert"], 1);
    assert_eq!(alert["slots"], json!(["2030-02-01"]));

    // The server goes away; while it is down, the tickets sell out and free up again.
    drop(live);
    worker.stop().await;
    first_engine.stop().await;
    let second_engine = Engine::start(settings(&db.url, ReadSideSettings::InMemory, &clock))
        .await
        .unwrap();
    let second = serve(second_engine.clone(), clock.clone(), None).await;
    let worker = second.start_worker();
    paid_ticket(&second, &listing, &inventory, &op, "pi_refill").await;
    alerts_become(&second, &g, 1, "ARMED").await;
    cancel(&second, &bookings[1]).await;
    alerts_become(&second, &g, 2, "ALERTED").await;

    // Back, with the last id it had: the missed alert, once, then the stream goes on.
    let mut live = Box::pin(sse(&second.base, &g, Some(&first_id)).await);
    let (kind, ready_id, _) = next_event(&mut live).await;
    assert_eq!(
        (kind.as_str(), ready_id.as_str()),
        ("ready", first_id.as_str())
    );
    let (kind, second_id, data) = next_event(&mut live).await;
    assert_eq!(kind, "alert");
    let alert: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(alert["alert"], 2, "{data}");
    assert_ne!(second_id, first_id);
    // Nothing else is pending: the next event is a new alert, not a repeat.
    paid_ticket(&second, &listing, &inventory, &op, "pi_refill_2").await;
    alerts_become(&second, &g, 2, "ARMED").await;
    cancel(&second, &bookings[2]).await;
    let (kind, _, data) = next_event(&mut live).await;
    assert_eq!(kind, "alert");
    let alert: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(alert["alert"], 3, "{data}");

    // Anyone but a guest is refused; a malformed id too.
    let refused = reqwest::Client::new()
        .get(format!("{}/alerts", second.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let refused = reqwest::Client::new()
        .get(format!("{}/alerts", second.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let refused = reqwest::Client::new()
        .get(format!("{}/alerts", second.base))
        .bearer_auth(&g)
        .header("last-event-id", "garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    worker.stop().await;
    second_engine.stop().await;
}

/// A watch ends with its dates: once the event has started, the worker expires it, and it can
/// no longer alert.
#[tokio::test]
async fn a_watch_expires_when_its_dates_pass() {
    let app = spawn_app().await;
    let (listing, inventory, _, bookings) = sold_out(&app, 1).await;
    let (_, g) = guest();
    app.ok(
        Some(&g),
        WATCH,
        json!({"key": key(), "input": watch_input(&listing, &inventory, "2030-02-01")}),
    )
    .await;
    let watched = mine(&app, &g).await;
    assert_eq!(watched["status"], "ARMED");
    let worker = app.start_worker();
    // 19:00 in Seoul on 1 February is 10:00 UTC.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-02-01T10:00:01Z")
            .unwrap()
            .to_utc(),
    );
    alerts_become(&app, &g, 0, "EXPIRED").await;
    // Freed afterwards: nothing.
    cancel(&app, &bookings[0]).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(mine(&app, &g).await["status"], "EXPIRED");
    worker.stop().await;
}
