//! `POST /webhooks/payments` on `spawn_app()` (Postgres, DynamoDB Local, a fixed clock).

use chrono::Duration;
use holdfast_api::auth::Secret;
use holdfast_domain::booking::{Booking, BookingStatus};
use holdfast_engine::process::load;
use holdfast_engine::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{
    PLACE_BOOKING, event_count, event_policy, key, published_listing, stocked_inventory,
};
use crate::support::{TestApp, guest, operator, spawn_app};

const WEBHOOK_SECRET: &str = "whsec_payments_test_0123456789";

/// A second server on the same engine, with the webhook enabled (or not).
async fn webhook_base(app: &TestApp, secret: Option<&str>) -> String {
    app.serve_with_payments_webhook(secret).await
}

/// A held booking of 30 000 KRW; returns its id.
async fn held_booking(app: &TestApp) -> String {
    held_booking_of_guest(app).await.0
}

/// A held booking of 30 000 KRW; returns its id and its guest's token.
async fn held_booking_of_guest(app: &TestApp) -> (String, String) {
    let (_, op) = operator();
    let listing = published_listing(app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        5,
        30_000,
    )
    .await;
    let (_, g) = guest();
    let data = app
        .ok(
            Some(&g),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await;
    assert_eq!(data["placeBooking"]["status"], "HELD");
    let id = data["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, g)
}

fn payment(event_id: &str, booking: &str, amount: i64) -> Value {
    json!({"id": event_id, "type": "payment.succeeded", "created": 1_894_006_800,
           "data": {"booking_id": booking, "amount_minor": amount, "currency": "KRW",
                    "reference": format!("pi_{event_id}"), "provider": "stripe",
                    "paid_at": "2030-01-07T09:00:00Z"}})
}

async fn send(
    app: &TestApp,
    base: &str,
    body: &[u8],
    signature: Option<String>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(format!("{base}/webhooks/payments"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(signature::HEADER, signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn signed(app: &TestApp, body: &[u8]) -> Option<String> {
    Some(signature::header_value(
        &Secret::new(WEBHOOK_SECRET),
        app.engine.services.clock.now(),
        body,
    ))
}

async fn status_of(app: &TestApp, booking: &str) -> Option<BookingStatus> {
    let booking: Booking = load(&app.engine.store, booking).await.unwrap();
    booking.status()
}

#[tokio::test]
async fn a_signed_payment_confirms_a_held_booking_once() {
    let app = spawn_app().await;
    let base = webhook_base(&app, Some(WEBHOOK_SECRET)).await;
    let booking = held_booking(&app).await;
    let body = payment("evt_confirm_1", &booking, 30_000).to_string();

    let (status, answer) = send(&app, &base, body.as_bytes(), signed(&app, body.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "processed");
    assert_eq!(answer["booking_status"], "CONFIRMED");
    assert_eq!(
        status_of(&app, &booking).await,
        Some(BookingStatus::Confirmed)
    );
    let loaded: Booking = load(&app.engine.store, &booking).await.unwrap();
    let paid = loaded.payment().unwrap();
    assert_eq!(
        (paid.provider.as_str(), paid.reference.as_str()),
        ("stripe", "pi_evt_confirm_1")
    );

    // The provider delivers the same event again: nothing runs, nothing is appended.
    let events = event_count(&app).await;
    for _ in 0..2 {
        let (status, answer) =
            send(&app, &base, body.as_bytes(), signed(&app, body.as_bytes())).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"], "duplicate");
        assert_eq!(answer["outcome"], "processed");
    }
    assert_eq!(event_count(&app).await, events);

    // An event type Holdfast does not act on is acknowledged and recorded.
    let other =
        json!({"id": "evt_refund_1", "type": "charge.refund.updated", "data": {}}).to_string();
    let (status, answer) = send(
        &app,
        &base,
        other.as_bytes(),
        signed(&app, other.as_bytes()),
    )
    .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (StatusCode::OK, Some("ignored"))
    );
    let (_, answer) = send(
        &app,
        &base,
        other.as_bytes(),
        signed(&app, other.as_bytes()),
    )
    .await;
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(event_count(&app).await, events);
}

#[tokio::test]
async fn bad_stale_malformed_and_disabled_deliveries_are_refused_with_a_code() {
    let app = spawn_app().await;
    let base = webhook_base(&app, Some(WEBHOOK_SECRET)).await;
    let booking = held_booking(&app).await;
    let body = payment("evt_refused", &booking, 30_000).to_string();
    let bytes = body.as_bytes();
    let now = app.engine.services.clock.now();
    let events = event_count(&app).await;

    // No header, a header signed with another secret, a tampered body.
    let other = Some(signature::header_value(
        &Secret::new("another-secret-0123456789"),
        now,
        bytes,
    ));
    let tampered = payment("evt_refused", &booking, 1).to_string();
    for (body, header) in [
        (bytes, None),
        (bytes, other),
        (bytes, Some("t=nope".to_owned())),
        (tampered.as_bytes(), signed(&app, bytes)),
    ] {
        let (status, answer) = send(&app, &base, body, header).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["code"], "SIGNATURE_INVALID");
        assert!(answer["message"].is_string());
    }

    // Correctly signed, but 301 s before (or after) the domain clock.
    for skew in [Duration::seconds(-301), Duration::seconds(301)] {
        let stale = signature::header_value(&Secret::new(WEBHOOK_SECRET), now + skew, bytes);
        let (status, answer) = send(&app, &base, bytes, Some(stale)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["code"], "SIGNATURE_EXPIRED");
    }
    // 299 s is within the tolerance (checked below with the real delivery).

    // Signed, but not the documented JSON.
    for malformed in [
        "{not json".to_owned(),
        json!({"type": "payment.succeeded"}).to_string(),
        json!({"id": "evt_m", "type": "payment.succeeded", "data": {"booking_id": booking}})
            .to_string(),
        json!({"id": "evt_m", "type": "payment.succeeded", "data": {"booking_id": "nope",
               "amount_minor": 1, "currency": "KRW", "reference": "r"}})
        .to_string(),
    ] {
        let (status, answer) = send(
            &app,
            &base,
            malformed.as_bytes(),
            signed(&app, malformed.as_bytes()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{malformed}: {answer}");
        assert_eq!(answer["code"], "MALFORMED");
    }

    // An unknown booking: 404, recorded (a retry is a duplicate).
    let unknown = payment(
        "evt_unknown",
        &holdfast_domain::common::BookingId::new().to_string(),
        1,
    )
    .to_string();
    let (status, answer) = send(
        &app,
        &base,
        unknown.as_bytes(),
        signed(&app, unknown.as_bytes()),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (_, answer) = send(
        &app,
        &base,
        unknown.as_bytes(),
        signed(&app, unknown.as_bytes()),
    )
    .await;
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(answer["code"], "NOT_FOUND");

    // The wrong amount: a final domain refusal.
    let short = payment("evt_short", &booking, 29_999).to_string();
    let (status, answer) = send(
        &app,
        &base,
        short.as_bytes(),
        signed(&app, short.as_bytes()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], "PAYMENT_REJECTED");
    assert_eq!(status_of(&app, &booking).await, Some(BookingStatus::Held));
    assert_eq!(
        event_count(&app).await,
        events,
        "no refusal appended anything"
    );

    // Disabled: the same delivery on a server without a secret.
    let disabled = webhook_base(&app, None).await;
    let (status, answer) = send(&app, &disabled, bytes, signed(&app, bytes)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["code"], "WEBHOOK_DISABLED");

    // Finally the real one, signed 299 s ago: within the tolerance.
    let recent = signature::header_value(
        &Secret::new(WEBHOOK_SECRET),
        now - Duration::seconds(299),
        bytes,
    );
    let (status, answer) = send(&app, &base, bytes, Some(recent)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        status_of(&app, &booking).await,
        Some(BookingStatus::Confirmed)
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_anything_runs() {
    let app = spawn_app().await;
    let base = webhook_base(&app, Some(WEBHOOK_SECRET)).await;
    let body = vec![b' '; holdfast_api::MAX_BODY_BYTES + 1];
    let (status, _) = send(&app, &base, &body, signed(&app, &body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_payment_for_a_booking_that_can_no_longer_be_confirmed_is_recorded_with_a_refund_due() {
    let app = spawn_app().await;
    let base = webhook_base(&app, Some(WEBHOOK_SECRET)).await;
    let (booking, g) = held_booking_of_guest(&app).await;
    let cancelled = app
        .ok(
            Some(&g),
            "mutation($key: String!, $input: CancelBookingInput!) { cancelBooking(idempotencyKey: $key, input: $input) { status } }",
            json!({"key": key(), "input": {"bookingId": booking}}),
        )
        .await;
    assert_eq!(cancelled["cancelBooking"]["status"], "CANCELLED");

    let body = payment("evt_late", &booking, 30_000).to_string();
    let (status, answer) = send(&app, &base, body.as_bytes(), signed(&app, body.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "processed");
    assert_eq!(answer["booking_status"], "CANCELLED");
    let loaded: Booking = load(&app.engine.store, &booking).await.unwrap();
    assert_eq!(loaded.late_payments().len(), 1);
    assert_eq!(loaded.refund_due().map(|m| m.amount_minor), Some(30_000));
}
