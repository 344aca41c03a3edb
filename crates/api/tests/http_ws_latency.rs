//! The must-show: a subscription receives an availability change within a second of
//! a booking's hold. In a test binary of its own, so that no other test's database setup
//! (whose transactions hold back the log's readable horizon) runs during the timed part.

mod http_ws_client;
mod support;

use std::time::{Duration, Instant};

use holdfast_domain::common::TenantId;
use http_ws_client::{AVAILABILITY, Protocol, Ws, hold, inventory, slot_json};
use serde_json::json;
use support::spawn_app;

#[tokio::test]
async fn an_availability_change_arrives_within_a_second_of_a_hold() {
    let app = spawn_app().await;
    let inventory = inventory(&app, TenantId::new()).await;
    // No token: availability is public.
    let mut ws = Ws::connect(&app, Protocol::Transport, json!({}))
        .await
        .unwrap();
    let vars = json!({"id": inventory.to_string(), "from": "2030-03-02", "to": "2030-03-04"});
    ws.subscribe("1", AVAILABILITY, vars).await;

    let snapshot = ws.next_data("availabilityChanged").await;
    assert_eq!(snapshot["kind"], "SNAPSHOT");
    assert_eq!(snapshot["inventoryId"], inventory.to_string());
    assert_eq!(
        snapshot["days"],
        json!([slot_json(2, 0), slot_json(3, 0), slot_json(4, 0)])
    );

    // A hold outside the watched range yields nothing; the one inside does, within a second.
    hold(&app, inventory, 8).await;
    let placed = Instant::now();
    let position = hold(&app, inventory, 3).await;
    let change = ws.next_data("availabilityChanged").await;
    let elapsed = placed.elapsed();
    eprintln!("availability change delivered {elapsed:?} after the hold was placed");
    assert!(
        elapsed < Duration::from_secs(1),
        "the change took {elapsed:?} to arrive"
    );
    assert_eq!(change["kind"], "CHANGE");
    assert_eq!(change["days"], json!([slot_json(3, 1)]));

    // Its consistency token is the hold's position (what a query can wait for).
    assert_eq!(change["consistencyToken"], position.to_string());
}
