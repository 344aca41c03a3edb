//! The booking process end to end on `spawn_app()` (real Postgres, DynamoDB Local, live
//! projectors, a controlled clock) with the booking worker running: the journeys the process
//! issue names, late payments, and recovery after a crash or a restart.
//!
//! - `journeys`: hotel (coupon, payment, cancellation refund per tiers), restaurant (waitlist
//!   offers passed on when ignored), concert (a hold that expires with no request arriving);
//! - `late_payment`: a payment after the hold expired — re-held when units remain, refunded
//!   when they were resold, never an overbooking;
//! - `recovery`: a placement killed between hold and coupon redemption, and a worker restart.

#[path = "../support/mod.rs"]
mod support;

#[path = "../mutations_api/fixtures.rs"]
mod fixtures;

mod journeys;
mod late_payment;
mod points;
mod recovery;
mod storm;
mod watches;

use holdfast_domain::inventory::Inventory;
use serde_json::{Value, json};

use crate::fixtures::key;
use crate::support::TestApp;

/// A published listing under `policy` (a new operator's) with `capacity` tickets at `price`
/// (KRW) on 1 March 2030; returns (listing, inventory, the operator's token).
pub async fn concert_under(
    app: &TestApp,
    policy: Value,
    capacity: u32,
    price: i64,
) -> (String, String, String) {
    let (_, op) = crate::support::operator();
    let listing = crate::fixtures::published_listing(app, &op, policy).await;
    let inventory_id = crate::fixtures::stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-03-01", "2030-03-02", &[]),
        capacity,
        price,
    )
    .await;
    (listing, inventory_id, op)
}

/// Asserts that the `event_type` event of aggregate `id` was written by the same transaction
/// as the idempotency key row of the request that wrote it (one commit per mutation).
pub async fn assert_committed_with_its_key(app: &TestApp, id: &str, event_type: &str) {
    let pool = app.engine.store.pg_pool().unwrap();
    let (tx, key): (String, String) = sqlx::query_as(
        "SELECT tx_id::text, metadata->>'idempotency_key' FROM events
          WHERE aggregate_id = $1 AND event_type = $2",
    )
    .bind(id)
    .bind(event_type)
    .fetch_one(pool)
    .await
    .unwrap();
    let (xmin,): (String,) =
        sqlx::query_as("SELECT xmin::text FROM idempotency_keys WHERE key = $1")
            .bind(&key)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        tx.parse::<u64>().unwrap() & 0xffff_ffff,
        xmin.parse::<u64>().unwrap(),
        "{event_type} of {id} and its key {key} were committed apart"
    );
}

/// The fields every booking mutation here selects.
pub const BOOKING_FIELDS: &str = "bookingId status holdExpiresAt totals { currency subtotalMinor discountMinor totalMinor } consistencyToken";

/// Runs a booking mutation (`field` with its input type) and returns its payload.
pub async fn booking_mutation(app: &TestApp, token: &str, field: &str, input: Value) -> Value {
    let response = try_booking_mutation(app, token, field, input).await;
    assert!(response["errors"].is_null(), "{field} failed: {response}");
    response["data"][field].clone()
}

/// Like [`booking_mutation`], returning the whole response (errors included).
pub async fn try_booking_mutation(app: &TestApp, token: &str, field: &str, input: Value) -> Value {
    let input_type = match field {
        "placeBooking" => "PlaceBookingInput",
        "confirmPayment" => "ConfirmPaymentInput",
        "cancelBooking" => "CancelBookingInput",
        "markNoShow" => "MarkNoShowInput",
        "joinWaitlist" => "JoinWaitlistInput",
        _ => "BookingRefInput",
    };
    let query = format!(
        "mutation($key: String!, $input: {input_type}!) {{ {field}(idempotencyKey: $key, input: $input) {{ {BOOKING_FIELDS} }} }}"
    );
    app.graphql(Some(token), &query, json!({"key": key(), "input": input}))
        .await
}

/// Pays a held booking in full (the operator's confirmPayment).
pub async fn pay(app: &TestApp, operator: &str, booking: &Value, reference: &str) -> Value {
    booking_mutation(
        app,
        operator,
        "confirmPayment",
        json!({"bookingId": booking["bookingId"], "provider": "stripe", "reference": reference,
               "amount": {"amountMinor": booking["totals"]["totalMinor"], "currency": booking["totals"]["currency"]}}),
    )
    .await
}

/// The inventory aggregate, from the event store.
pub async fn inventory(app: &TestApp, id: &str) -> Inventory {
    holdfast_engine::process::load(&app.engine.store, id)
        .await
        .unwrap()
}

/// Asserts that no slot of the inventory has more units taken than it offers.
pub fn assert_no_overbooking(inventory: &Inventory) {
    for (slot, state) in inventory.slots() {
        assert!(
            state.held + state.allocated <= state.capacity,
            "slot {slot} overbooked: {state:?}"
        );
    }
}

/// Waits (up to 30 s) until the calendar read model shows `available` units on every day of
/// `[from, to]` — the projector applies the worker's releases asynchronously.
pub async fn calendar_shows(app: &TestApp, inventory: &str, from: &str, to: &str, available: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let days = fixtures::calendar_after(app, None, inventory, from, to).await;
        if !days.is_empty() && days.iter().all(|d| d.available == available) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "calendar never showed {available} available: {days:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits (up to 30 s) until the inventory holds nothing (the worker released every hold).
pub async fn holds_released(app: &TestApp, inventory_id: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !inventory(app, inventory_id).await.holds().is_empty() {
        assert!(std::time::Instant::now() < deadline, "hold never released");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Pays a held booking in full through the payment provider's signed webhook
/// (`POST /webhooks/payments`, HMAC-SHA256 over `"<t>.<body>"`), as a provider would.
pub async fn pay_by_webhook(app: &TestApp, booking: &Value, reference: &str) -> Value {
    use holdfast_api::auth::Secret;
    use holdfast_domain::services::Clock as _;
    let secret = "whsec_process_journeys_0123456789";
    let base = app.serve_with_payments_webhook(Some(secret)).await;
    let body = serde_json::to_vec(&json!({
        "id": format!("evt_{reference}"), "type": "payment.succeeded",
        "data": {"booking_id": booking["bookingId"], "amount_minor": booking["totals"]["totalMinor"],
                 "currency": booking["totals"]["currency"], "reference": reference,
                 "provider": "stripe"}}))
    .unwrap();
    let signature =
        holdfast_engine::signature::header_value(&Secret::new(secret), app.clock.now(), &body);
    let response = app
        .http
        .post(format!("{base}/webhooks/payments"))
        .header("Holdfast-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the webhook was refused");
    response.json().await.unwrap()
}
