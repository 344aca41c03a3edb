//! Liveness and readiness against the real services.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use holdfast_api::auth::{AuthConfig, Authenticator, Secret};
use holdfast_api::{AppState, ReadSide, app};
use holdfast_domain::services::DomainServices;
use holdfast_eventstore::EventStore;
use holdfast_projections::dynamo::{DynamoSettings, client};
use holdfast_testkit::{dynamodb_endpoint, fresh_postgres_database, fresh_sqlite_database};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn get(state: AppState, path: &str) -> (StatusCode, Value) {
    let response = app(state)
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

fn state(store: EventStore, read_side: ReadSide) -> AppState {
    AppState::new(
        store,
        read_side,
        None,
        Authenticator::new(&AuthConfig::Hs256(Secret::new("health-test-secret-0123"))).unwrap(),
        DomainServices::system(),
    )
}

async fn dynamo(endpoint: &str) -> ReadSide {
    let settings = DynamoSettings {
        endpoint: Some(endpoint.to_owned()),
        region: None,
    };
    ReadSide::dynamodb(client(&settings).await.unwrap(), settings, "health_")
}

#[tokio::test]
async fn it_is_ready_on_postgres_and_dynamodb() {
    let db = fresh_postgres_database().await;
    let store = EventStore::open(&db.url).await.unwrap();
    let state = state(store, dynamo(&dynamodb_endpoint()).await);
    assert_eq!(
        get(state.clone(), "/healthz").await,
        (StatusCode::OK, Value::from("ok"))
    );
    let (status, body) = get(state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["eventStore"]["status"], "ok");
    assert_eq!(body["readModels"]["status"], "ok");
    assert_eq!(body["readModels"]["kind"], "dynamodb");
}

#[tokio::test]
async fn an_unreachable_dynamodb_degrades_reads_but_keeps_it_ready() {
    let db = fresh_sqlite_database();
    let state = state(
        EventStore::open(&db.url).await.unwrap(),
        dynamo("http://127.0.0.1:9").await,
    );
    let (status, body) = get(state, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["readModels"]["status"], "degraded");
    assert!(
        body["readModels"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach DynamoDB")
    );
}

#[tokio::test]
async fn a_closed_event_store_is_not_ready() {
    let db = fresh_postgres_database().await;
    let store = EventStore::open(&db.url).await.unwrap();
    store.pg_pool().unwrap().close().await;
    let state = state(store, ReadSide::in_memory());
    let (status, body) = get(state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["ready"], false);
    assert_eq!(body["eventStore"]["status"], "unavailable");
}
