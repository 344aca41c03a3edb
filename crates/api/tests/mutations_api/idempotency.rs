//! Idempotency keys: a retried mutation returns the first result and appends nothing; a key
//! reused with a different request is refused; a stored refusal stays a refusal.

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_retried_place_booking_returns_the_first_result_and_appends_nothing() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 1).await;
    let (_, token) = guest();
    let k = key();
    let input = json!({"listingId": listing, "inventoryId": inventory,
                       "eventDate": "2030-02-01", "partySize": 1});
    let first = app
        .ok(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": k, "input": input}),
        )
        .await;
    let (head, count) = (log_head(&app).await, event_count(&app).await);

    // The same request again (its fields in another order): the same answer, nothing new.
    let input_reordered = json!({"partySize": 1, "eventDate": "2030-02-01",
                                 "inventoryId": inventory, "listingId": listing});
    let again = app
        .ok(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": k, "input": input_reordered}),
        )
        .await;
    assert_eq!(again, first);
    assert_eq!(log_head(&app).await, head);
    assert_eq!(event_count(&app).await, count);

    // The key with another request: refused, nothing appended.
    let other = json!({"listingId": listing, "inventoryId": inventory,
                       "eventDate": "2030-02-01", "partySize": 2});
    let reused = app
        .graphql(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": k, "input": other}),
        )
        .await;
    assert_eq!(error_code(&reused), Some("INVALID_INPUT"));
    assert!(
        reused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("idempotency key reused with a different request")
    );
    assert_eq!(event_count(&app).await, count);

    // Another guest may use the same key: keys are per caller. The slot is full: SOLD_OUT,
    // and its retry stays SOLD_OUT even after the first booking is cancelled.
    let (_, second) = guest();
    let sold_out = app
        .graphql(
            Some(&second),
            PLACE_BOOKING,
            json!({"key": k, "input": input}),
        )
        .await;
    assert_eq!(error_code(&sold_out), Some("SOLD_OUT"));
    let booking = first["placeBooking"]["bookingId"].as_str().unwrap();
    app.ok(
        Some(&token),
        "mutation($key: String!, $id: ID!) { cancelBooking(idempotencyKey: $key, input: {bookingId: $id}) { status } }",
        json!({"key": key(), "id": booking}),
    )
    .await;
    let count = event_count(&app).await;
    let retried = app
        .graphql(
            Some(&second),
            PLACE_BOOKING,
            json!({"key": k, "input": input}),
        )
        .await;
    assert_eq!(error_code(&retried), Some("SOLD_OUT"));
    assert_eq!(event_count(&app).await, count);
}

#[tokio::test]
async fn a_retried_operator_mutation_appends_nothing() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let k = key();
    let input = listing_input("Snowflake Bingsu", event_policy());
    let first = app
        .ok(Some(&op), CREATE_LISTING, json!({"key": k, "input": input}))
        .await;
    let count = event_count(&app).await;
    assert_eq!(count, 1);
    let again = app
        .ok(Some(&op), CREATE_LISTING, json!({"key": k, "input": input}))
        .await;
    assert_eq!(again, first);
    assert_eq!(event_count(&app).await, 1);

    let listing = first["createListing"]["listingId"].as_str().unwrap();
    let k = key();
    let publish = app
        .ok(Some(&op), PUBLISH, json!({"key": k, "id": listing}))
        .await;
    let head = log_head(&app).await;
    let again = app
        .ok(Some(&op), PUBLISH, json!({"key": k, "id": listing}))
        .await;
    assert_eq!(again, publish);
    assert_eq!(log_head(&app).await, head);
    assert_eq!(event_count(&app).await, 2);

    // The same key on another mutation is another request.
    let archive = app
        .graphql(
            Some(&op),
            "mutation($key: String!, $id: ID!) { archiveListing(idempotencyKey: $key, listingId: $id) { status } }",
            json!({"key": k, "id": listing}),
        )
        .await;
    assert_eq!(error_code(&archive), Some("INVALID_INPUT"));
    assert_eq!(event_count(&app).await, 2);
}

#[tokio::test]
async fn idempotency_keys_are_bounded() {
    let app = spawn_app().await;
    let (_, op) = operator();
    for bad in [String::new(), "k".repeat(129)] {
        let r = app
            .graphql(
                Some(&op),
                CREATE_LISTING,
                json!({"key": bad, "input": listing_input("X", event_policy())}),
            )
            .await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
    }
    assert_eq!(event_count(&app).await, 0);
}

/// Regression (found by the reliability suite's crash scenario): a request whose process was
/// killed left its key "still running" for the whole in-flight timeout (two minutes), so every
/// retry got `CONFLICT`. A running request now holds a lease on its key; once the lease runs
/// out a retry takes the key over at once, while a renewed lease keeps it.
#[tokio::test]
async fn a_key_whose_request_died_is_taken_over_once_its_lease_runs_out() {
    use holdfast_engine::idempotency::{Begin, IdempotencyKey, IdempotencyStore};

    let app = spawn_app().await;
    let store = IdempotencyStore::new(&app.engine.store);
    let pool = app.engine.store.pg_pool().unwrap();
    let now = app.engine.services.clock.now();
    let (a, b) = (
        IdempotencyKey::parse("died").unwrap(),
        IdempotencyKey::parse("alive").unwrap(),
    );
    for k in [&a, &b] {
        assert!(matches!(
            store.begin("guest:g", k, "h", now).await,
            Ok(Begin::New)
        ));
    }
    // Both still running: retries are told to come back.
    for k in [&a, &b] {
        let running = store.begin("guest:g", k, "h", now).await.unwrap_err();
        assert_eq!(running.code, holdfast_api::error::ErrorCode::Conflict);
    }
    // Both leases run out (as when nothing renews them for LEASE); `alive` is renewed.
    sqlx::query("UPDATE idempotency_keys SET lease_until = now() - interval '1 second'")
        .execute(pool)
        .await
        .unwrap();
    store.renew("guest:g", &b).await;
    // At the same application instant: the dead one is taken over, the live one is not.
    assert!(matches!(
        store.begin("guest:g", &a, "h", now).await,
        Ok(Begin::New)
    ));
    let running = store.begin("guest:g", &b, "h", now).await.unwrap_err();
    assert_eq!(running.code, holdfast_api::error::ErrorCode::Conflict);
    // A different request with the dead key is still refused.
    sqlx::query("UPDATE idempotency_keys SET lease_until = now() - interval '1 second'")
        .execute(pool)
        .await
        .unwrap();
    let other = store.begin("guest:g", &a, "other", now).await.unwrap_err();
    assert_eq!(other.code, holdfast_api::error::ErrorCode::InvalidInput);
}
