//! The embedded shape (SQLite event store, in-memory read models): idempotency keys live in
//! SQLite too, and a placement works end to end.

use serde_json::json;

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, spawn_embedded_app};

async fn sqlite_event_count(app: &TestApp) -> i64 {
    let pool = app.engine.store.sqlite_pool().expect("a SQLite app");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn idempotency_and_placement_work_on_sqlite() {
    let app = spawn_embedded_app().await;
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        1,
        8_000,
    )
    .await;
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
    assert_eq!(first["placeBooking"]["status"], "HELD");
    let count = sqlite_event_count(&app).await;
    let again = app
        .ok(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": k, "input": input}),
        )
        .await;
    assert_eq!(again, first);
    assert_eq!(sqlite_event_count(&app).await, count);

    let mut other = input.clone();
    other["partySize"] = json!(2);
    let reused = app
        .graphql(
            Some(&token),
            PLACE_BOOKING,
            json!({"key": k, "input": other}),
        )
        .await;
    assert_eq!(error_code(&reused), Some("INVALID_INPUT"));

    let (_, second) = guest();
    let sold_out = app
        .graphql(
            Some(&second),
            PLACE_BOOKING,
            json!({"key": key(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&sold_out), Some("SOLD_OUT"));
}

#[tokio::test]
async fn keys_expire_after_a_day_and_abandoned_requests_are_taken_over() {
    use chrono::Duration;
    use holdfast_engine::idempotency::{Begin, IdempotencyKey, IdempotencyStore, Outcome};

    let app = spawn_embedded_app().await;
    let store = IdempotencyStore::new(&app.engine.store);
    let key = IdempotencyKey::parse("k-1").unwrap();
    let t0 = crate::support::start_instant();
    assert!(matches!(
        store.begin("guest:g", &key, "h1", t0).await,
        Ok(Begin::New)
    ));
    // Still running: a retry is told to come back.
    let running = store.begin("guest:g", &key, "h1", t0).await.unwrap_err();
    assert_eq!(running.code, holdfast_api::error::ErrorCode::Conflict);
    // Abandoned (no outcome after IN_FLIGHT_TIMEOUT): the retry takes over.
    let later = t0 + Duration::minutes(3);
    assert!(matches!(
        store.begin("guest:g", &key, "h1", later).await,
        Ok(Begin::New)
    ));
    store
        .finish("guest:g", &key, &Outcome::Ok(json!({"n": 1})))
        .await
        .unwrap();
    assert!(matches!(
        store.begin("guest:g", &key, "h1", later).await,
        Ok(Begin::Replay(Outcome::Ok(_)))
    ));
    // A day later the key is free again, even for another request.
    let next_day = later + Duration::hours(25);
    assert!(matches!(
        store.begin("guest:g", &key, "h2", next_day).await,
        Ok(Begin::New)
    ));
    assert_eq!(
        store.sweep(next_day + Duration::hours(25)).await.unwrap(),
        1
    );
}
