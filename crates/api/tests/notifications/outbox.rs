//! The notifications outbox on real services, with a local receiver.

use std::time::Duration;

use holdfast_api::auth::Secret;
use holdfast_engine::notify::{
    DeliveryFilter, DeliveryStatus, Outbox, OutboxHandle, OutboxOptions, OutboxState, OutboxStore,
    Sink, StartAt, WebhookSink,
};
use serde_json::{Value, json};

use crate::fixtures::{PLACE_BOOKING, event_policy, key, published_listing, stocked_inventory};
use crate::receiver::{NOTIFY_SECRET, Receiver};
use crate::support::{TestApp, admin, error_code, guest, operator, spawn_app, spawn_embedded_app};

fn options(max_attempts: u32) -> OutboxOptions {
    OutboxOptions {
        max_attempts,
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_millis(200),
        poll_interval: Duration::from_millis(50),
        lease_retry: Duration::from_millis(100),
        new_sinks_start: StartAt::Beginning,
        ..OutboxOptions::default()
    }
}

fn webhook(receiver: &Receiver) -> Sink {
    Sink::Webhook(
        WebhookSink::new(
            &receiver.url,
            Secret::new(NOTIFY_SECRET),
            Duration::from_secs(5),
        )
        .unwrap(),
    )
}

fn start(app: &TestApp, receiver: &Receiver, options: OutboxOptions) -> OutboxHandle {
    Outbox::new(app.engine.store.clone(), vec![webhook(receiver)], options).start()
}

/// A tenant with a stocked dated event; returns (operator token, listing, inventory).
async fn venue(app: &TestApp) -> (String, String, String, String) {
    let (tenant, op) = operator();
    let listing = published_listing(app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        50,
        30_000,
    )
    .await;
    (tenant.to_string(), op, listing, inventory)
}

async fn place(app: &TestApp, listing: &str, inventory: &str) -> (String, String) {
    let (_, g) = guest();
    let data = app
        .ok(
            Some(&g),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await;
    (
        data["placeBooking"]["bookingId"]
            .as_str()
            .unwrap()
            .to_owned(),
        g,
    )
}

async fn confirm(app: &TestApp, op: &str, booking: &str) {
    let data = app
        .ok(
            Some(op),
            "mutation($key: String!, $input: ConfirmPaymentInput!) { confirmPayment(idempotencyKey: $key, input: $input) { status } }",
            json!({"key": key(), "input": {"bookingId": booking, "provider": "stripe",
                   "reference": format!("pi_{booking}"),
                   "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
        )
        .await;
    assert_eq!(data["confirmPayment"]["status"], "CONFIRMED");
}

async fn cancel(app: &TestApp, guest_token: &str, booking: &str) {
    let data = app
        .ok(
            Some(guest_token),
            "mutation($key: String!, $input: CancelBookingInput!) { cancelBooking(idempotencyKey: $key, input: $input) { status } }",
            json!({"key": key(), "input": {"bookingId": booking}}),
        )
        .await;
    assert_eq!(data["cancelBooking"]["status"], "CANCELLED");
}

/// The ids of `booking`'s notifications in the deliveries table of `sink`'s kind.
async fn deliveries(
    app: &TestApp,
    filter: DeliveryFilter,
) -> Vec<holdfast_engine::notify::Delivery> {
    OutboxStore::new(&app.engine.store)
        .list(&filter, None, 1000)
        .await
        .unwrap()
}

async fn webhook_rows(app: &TestApp) -> Vec<holdfast_engine::notify::Delivery> {
    deliveries(app, DeliveryFilter::default())
        .await
        .into_iter()
        .filter(|d| d.sink.starts_with("webhook:"))
        .collect()
}

/// Waits (up to 60 s) until `check` holds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 60 s");
}

fn id_of(rows: &[holdfast_engine::notify::Delivery], booking: &str, kind: &str) -> String {
    rows.iter()
        .find(|d| d.booking_id == booking && d.kind.as_str() == kind)
        .unwrap_or_else(|| panic!("no {kind} notification of {booking}: {rows:?}"))
        .notification_id
        .clone()
}

#[tokio::test]
async fn a_receiver_failing_three_times_then_succeeding_gets_each_notification_exactly_once() {
    let app = spawn_app().await;
    let receiver = Receiver::start(3).await;
    let outbox = start(&app, &receiver, options(8));
    let (tenant, op, listing, inventory) = venue(&app).await;
    let (paid, _) = place(&app, &listing, &inventory).await;
    let (dropped, dropper) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &paid).await;
    cancel(&app, &dropper, &dropped).await;

    eventually("both notifications enqueued", || async {
        webhook_rows(&app).await.len() == 2
    })
    .await;
    let rows = webhook_rows(&app).await;
    let confirmed = id_of(&rows, &paid, "confirmed");
    let cancelled = id_of(&rows, &dropped, "cancelled");
    receiver
        .wait_acked(&[confirmed.clone(), cancelled.clone()])
        .await;
    // Let the loop run a while longer: nothing acknowledged is ever sent again.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let acks = receiver.acks();
    let attempts = receiver.attempts();
    for id in [&confirmed, &cancelled] {
        assert_eq!(acks[id], 1, "{id} acknowledged once");
        assert_eq!(attempts[id], 4, "{id}: 3 failures then the success");
    }
    assert_eq!(acks.len(), 2, "no other notification: {acks:?}");
    assert_eq!(receiver.bad_signatures(), 0, "every request was signed");

    let rows = webhook_rows(&app).await;
    assert!(rows.iter().all(|d| d.status == DeliveryStatus::Delivered
        && d.attempts == 4
        && d.delivered_at.is_some()));
    // The log sink got them too, at the first attempt.
    let logged = deliveries(
        &app,
        DeliveryFilter {
            sink: Some("log".into()),
            ..DeliveryFilter::default()
        },
    )
    .await;
    assert_eq!(logged.len(), 2);
    assert!(
        logged
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 1)
    );

    // What the receiver got.
    let body = receiver.body(&confirmed).unwrap();
    assert_eq!(body["id"], confirmed.as_str());
    assert_eq!(body["kind"], "confirmed");
    assert_eq!(body["booking_id"], paid.as_str());
    assert_eq!(body["tenant_id"], tenant.as_str());
    assert_eq!(body["data"]["totals"]["total"]["amount_minor"], 30_000);
    assert_eq!(
        confirmed,
        format!("{paid}:{}", confirmed.rsplit(':').next().unwrap())
    );
    let body = receiver.body(&cancelled).unwrap();
    assert_eq!(body["kind"], "cancelled");
    assert_eq!(body["data"]["by"], "Guest");
    assert_eq!(body["data"]["from"], "Held");

    let status = outbox.status();
    assert_eq!(status.state, OutboxState::Running);
    assert_eq!(status.failed_attempts, 6);
    outbox.stop().await.unwrap();
}

const DEAD: &str = r#"query($tenant: ID) {
  notificationDeliveries(status: DEAD, tenantId: $tenant, first: 10) {
    edges { cursor node { sink notificationId kind tenantId bookingId status attempts lastError payload } }
    pageInfo { hasNextPage }
  }
}"#;

const RETRY: &str = r#"mutation($key: String!, $id: String!) {
  retryNotification(idempotencyKey: $key, notificationId: $id) {
    deliveries { sink notificationId status attempts }
  }
}"#;

#[tokio::test]
async fn a_dead_notification_is_visible_to_its_operators_and_retried_on_request() {
    let app = spawn_app().await;
    let receiver = Receiver::start(0).await;
    receiver.set_always_fail(true);
    let outbox = start(&app, &receiver, options(3));
    let (tenant, op, listing, inventory) = venue(&app).await;
    let (paid, _) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &paid).await;

    eventually("the delivery is dead", || async {
        webhook_rows(&app)
            .await
            .iter()
            .any(|d| d.status == DeliveryStatus::Dead)
    })
    .await;
    let id = webhook_rows(&app).await[0].notification_id.clone();
    assert_eq!(receiver.attempts()[&id], 3, "exactly max_attempts attempts");

    // The operator of the tenant sees it; another tenant's operator and guests do not.
    let data = app.ok(Some(&op), DEAD, json!({})).await;
    let edges = data["notificationDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1, "{data}");
    let node = &edges[0]["node"];
    assert_eq!(node["notificationId"], id.as_str());
    assert_eq!(node["kind"], "CONFIRMED");
    assert_eq!(node["status"], "DEAD");
    assert_eq!(node["attempts"], 3);
    assert_eq!(node["tenantId"], tenant.as_str());
    assert!(
        node["lastError"].as_str().unwrap().contains("HTTP 500"),
        "{node}"
    );
    assert_eq!(node["payload"]["booking_id"], paid.as_str());
    let (_, other) = operator();
    let data = app.ok(Some(&other), DEAD, json!({})).await;
    assert_eq!(data["notificationDeliveries"]["edges"], json!([]));
    let refused = app
        .graphql(Some(&other), DEAD, json!({"tenant": tenant}))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let (_, g) = guest();
    assert_eq!(
        error_code(&app.graphql(Some(&g), DEAD, json!({})).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&app.graphql(None, DEAD, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    let data = app
        .ok(Some(&admin()), DEAD, json!({"tenant": tenant}))
        .await;
    assert_eq!(
        data["notificationDeliveries"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Retry: refused for another tenant; the receiver recovers; the operator retries.
    let refused = app
        .graphql(Some(&other), RETRY, json!({"key": key(), "id": id}))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let unknown = app
        .graphql(Some(&op), RETRY, json!({"key": key(), "id": "nope:1"}))
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    receiver.set_always_fail(false);
    let data = app
        .ok(Some(&op), RETRY, json!({"key": key(), "id": id}))
        .await;
    let retried = &data["retryNotification"]["deliveries"];
    assert_eq!(retried.as_array().unwrap().len(), 1, "{data}");
    assert_eq!(retried[0]["status"], "PENDING");
    assert_eq!(retried[0]["attempts"], 0);
    receiver.wait_acked(std::slice::from_ref(&id)).await;
    eventually("delivered", || async {
        webhook_rows(&app).await[0].status == DeliveryStatus::Delivered
    })
    .await;
    assert_eq!(webhook_rows(&app).await[0].attempts, 1);
    assert_eq!(receiver.acks()[&id], 1);
    let again = app
        .graphql(Some(&op), RETRY, json!({"key": key(), "id": id}))
        .await;
    assert_eq!(error_code(&again), Some("INVALID_STATE"));
    let data = app.ok(Some(&op), DEAD, json!({})).await;
    assert_eq!(data["notificationDeliveries"]["edges"], json!([]));
    outbox.stop().await.unwrap();
}

#[tokio::test]
async fn restarts_and_a_second_instance_send_nothing_twice_and_lose_nothing() {
    let app = spawn_app().await;
    let receiver = Receiver::start(0).await;
    let (_, op, listing, inventory) = venue(&app).await;
    let first = start(&app, &receiver, options(8));
    let (a, guest_a) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &a).await;
    eventually("a's confirmation acknowledged", || async {
        receiver.acks().len() == 1
    })
    .await;
    first.stop().await.unwrap();

    // While no outbox runs, a cancellation happens.
    cancel(&app, &guest_a, &a).await;

    // Two instances start at once: one takes the lease, the other stands by.
    let second = start(&app, &receiver, options(8));
    let third = start(&app, &receiver, options(8));
    eventually("the cancellation acknowledged", || async {
        receiver.acks().len() == 2
    })
    .await;
    let states = [second.status().state, third.status().state];
    assert!(
        states.contains(&OutboxState::Running) && states.contains(&OutboxState::Standby),
        "{states:?}"
    );

    let (b, _) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &b).await;
    eventually("b's confirmation acknowledged", || async {
        receiver.acks().len() == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let acks = receiver.acks();
    assert_eq!(acks.len(), 3);
    assert!(
        acks.values().all(|n| *n == 1),
        "each acknowledged once: {acks:?}"
    );
    assert!(receiver.attempts().values().all(|n| *n == 1));
    second.stop().await.unwrap();
    third.stop().await.unwrap();
}

#[tokio::test]
async fn the_embedded_shape_delivers_too_and_a_new_sink_starts_at_the_head() {
    let app = spawn_embedded_app().await;
    let (_, op, listing, inventory) = venue(&app).await;
    let (early, _) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &early).await;

    // A sink configured now (default: from the head) is not sent the history.
    let receiver = Receiver::start(1).await;
    let outbox = start(
        &app,
        &receiver,
        OutboxOptions {
            new_sinks_start: StartAt::Head,
            ..options(8)
        },
    );
    eventually("running", || async {
        outbox.status().state == OutboxState::Running
    })
    .await;
    eventually("cursors created", || async {
        OutboxStore::new(&app.engine.store)
            .cursors()
            .await
            .unwrap()
            .len()
            == 2
    })
    .await;
    let (late, _) = place(&app, &listing, &inventory).await;
    confirm(&app, &op, &late).await;
    eventually("late's confirmation acknowledged", || async {
        receiver.acks().len() == 1
    })
    .await;
    let rows = webhook_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].booking_id, late);
    assert_eq!(rows[0].attempts, 2);
    let body: Value = receiver.body(&rows[0].notification_id).unwrap();
    assert_eq!(body["kind"], "confirmed");
    outbox.stop().await.unwrap();
}

/// The booking worker and the outbox together: a cancellation frees a table, the worker offers
/// it to the waiting party, the offer is ignored and expires — the receiver is told each step,
/// once, with what it needs (the offer's expiry, what expired).
#[tokio::test]
async fn the_processs_own_events_reach_the_receiver_offer_and_expiry_included() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let receiver = Receiver::start(1).await;
    let outbox = start(&app, &receiver, options(8));
    let (_, op) = operator();
    let policy = json!({
        "slotKind": {"timeSlot": {"minutes": 120, "firstStart": "17:00", "lastStart": "21:00"}},
        "partySize": {"min": 1, "max": 6},
        "maxAdvanceDays": 60,
        "holdDurationMinutes": 10,
        "offerDurationMinutes": 30
    });
    let listing = published_listing(&app, &op, policy).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &["19:00"]),
        1,
        50_000,
    )
    .await;
    let (_, first) = guest();
    let placed = app
        .ok(
            Some(&first),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "timeSlot": {"start": "2030-02-01T19:00"}, "partySize": 4}}),
        )
        .await;
    let first_id = placed["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let paid = app
        .ok(
            Some(&op),
            "mutation($key: String!, $input: ConfirmPaymentInput!) { confirmPayment(idempotencyKey: $key, input: $input) { status } }",
            json!({"key": key(), "input": {"bookingId": first_id, "provider": "stripe",
                   "reference": "pi_first", "amount": {"amountMinor": 50_000, "currency": "KRW"}}}),
        )
        .await;
    assert_eq!(paid["confirmPayment"]["status"], "CONFIRMED");
    let (_, second) = guest();
    let waiting = app
        .ok(
            Some(&second),
            "mutation($key: String!, $input: JoinWaitlistInput!) { joinWaitlist(idempotencyKey: $key, input: $input) { bookingId status } }",
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "time": "19:00",
                   "partySize": 4}}),
        )
        .await;
    let second_id = waiting["joinWaitlist"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    cancel(&app, &first, &first_id).await;

    let offered = app
        .booking_when(&second_id, "offered", |b| {
            b.status() == Some(holdfast_domain::booking::BookingStatus::Offered)
        })
        .await;
    let offer_expires = offered.offer_expires_at().unwrap();
    app.clock.set(offer_expires + chrono::Duration::seconds(1));
    app.booking_when(&second_id, "expired", |b| {
        b.status() == Some(holdfast_domain::booking::BookingStatus::Expired)
    })
    .await;

    let wanted = [
        (&first_id, "confirmed"),
        (&first_id, "cancelled"),
        (&second_id, "offered"),
        (&second_id, "expired"),
        (&second_id, "waitlisted"),
    ];
    eventually("the five notifications enqueued", || async {
        let rows = webhook_rows(&app).await;
        wanted.iter().all(|(b, k)| {
            rows.iter()
                .any(|d| &d.booking_id == *b && d.kind.as_str() == *k)
        })
    })
    .await;
    let rows = webhook_rows(&app).await;
    let ids: Vec<String> = wanted.iter().map(|(b, k)| id_of(&rows, b, k)).collect();
    receiver.wait_acked(&ids).await;
    let offer = receiver.body(&ids[2]).unwrap();
    assert_eq!(offer["guest_id"].as_str().map(str::len), Some(26));
    assert_eq!(
        offer["data"]["offer_expires_at"],
        offer_expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert_eq!(offer["data"]["totals"]["total"]["amount_minor"], 50_000);
    let expired = receiver.body(&ids[3]).unwrap();
    assert_eq!(expired["data"]["what"], "offer");
    let waitlisted = receiver.body(&ids[4]).unwrap();
    assert_eq!(waitlisted["data"]["wanted_from"], "2030-02-01");
    assert_eq!(waitlisted["data"]["wanted_to"], "2030-02-01");
    assert_eq!(waitlisted["data"]["time"], "19:00");
    assert_eq!(waitlisted["data"]["party_size"], 4);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.acks().values().all(|n| *n == 1),
        "each notification acknowledged once: {:?}",
        receiver.acks()
    );
    outbox.stop().await.unwrap();
    worker.stop().await;
}

#[tokio::test]
async fn operators_see_the_guest_beside_their_notifications_and_no_one_else_does() {
    let app = spawn_app().await;
    let receiver = Receiver::start(0).await;
    let outbox = start(&app, &receiver, options(3));
    let (tenant, op, listing, inventory) = venue(&app).await;
    let signed_up = app
        .ok(
            None,
            "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
            json!({"input": {"email": "mia@example.com", "password": "correct horse battery",
                             "name": "Mia Kim", "language": "EN"}}),
        )
        .await;
    let mia = signed_up["signUp"]["accessToken"].as_str().unwrap();
    let booked = app
        .ok(
            Some(mia),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await;
    let booking = booked["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    confirm(&app, &op, &booking).await;
    eventually("the confirmation is delivered", || async {
        webhook_rows(&app)
            .await
            .iter()
            .any(|d| d.booking_id == booking && d.status == DeliveryStatus::Delivered)
    })
    .await;
    const LIST: &str = r#"query($tenant: ID) {
      notificationDeliveries(tenantId: $tenant, first: 50) {
        edges { node { kind bookingId payload guest { name email } } } } }"#;
    // The business's operator (and an admin): the guest beside the booking's notification;
    // the account's verification message is no business's and is not listed to operators.
    for who in [op.clone(), admin()] {
        let data = app.ok(Some(&who), LIST, json!({"tenant": tenant})).await;
        let edges = data["notificationDeliveries"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        assert!(!edges.is_empty(), "{data}");
        for edge in &edges {
            assert_eq!(edge["node"]["bookingId"], booking.as_str(), "{edge}");
            assert_eq!(edge["node"]["guest"]["name"], "Mia Kim", "{edge}");
            assert_ne!(edge["node"]["kind"], "VERIFY_EMAIL");
        }
    }
    // The delivery itself carries no personal data: the name is read when asked.
    let rows = webhook_rows(&app).await;
    assert!(rows.iter().all(|d| !d.payload.to_string().contains("Mia")));
    for row in &rows {
        let body = receiver.body(&row.notification_id).unwrap_or_default();
        assert!(!body.to_string().contains("Mia"), "{body}");
    }
    // Another business's operator sees none of it.
    let (_, other) = operator();
    let data = app.ok(Some(&other), LIST, json!({})).await;
    assert_eq!(data["notificationDeliveries"]["edges"], json!([]));
    outbox.stop().await.unwrap();
}
