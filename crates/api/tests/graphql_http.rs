//! GraphQL over HTTP basics on the real server.

mod support;

use serde_json::json;
use support::{admin, error_code, spawn_app, start_instant};

#[tokio::test]
async fn the_server_answers_graphql_with_its_clock() {
    let app = spawn_app().await;
    let data = app.ok(None, "{ serverTime version }", json!({})).await;
    let at =
        |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&data["serverTime"]), start_instant());
    app.clock.advance(chrono::Duration::hours(9));
    let data = app.ok(Some(&admin()), "{ serverTime }", json!({})).await;
    assert_eq!(
        at(&data["serverTime"]),
        start_instant() + chrono::Duration::hours(9)
    );
}

#[tokio::test]
async fn a_bad_token_is_unauthenticated_not_a_5xx() {
    let app = spawn_app().await;
    let response = app
        .graphql(Some("not-a-jwt"), "{ version }", json!({}))
        .await;
    assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
}
