//! Liveness and readiness against the real services.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use holdfast_api::auth::{AuthConfig, Authenticator, Secret};
use holdfast_api::{AppState, app};
use holdfast_engine::{Engine, EngineSettings, ReadSideSettings};
use holdfast_projections::store::dynamo::DynamoSettings;
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

/// An API-only node (nothing running in the background) on `database_url` and `read_side`.
async fn engine(database_url: &str, read_side: ReadSideSettings) -> Engine {
    Engine::start(EngineSettings {
        projectors: None,
        worker: None,
        outbox: None,
        read_side,
        ..EngineSettings::new(database_url)
    })
    .await
    .unwrap()
}

fn state(engine: Engine) -> AppState {
    let auth =
        Authenticator::new(&AuthConfig::Hs256(Secret::new("health-test-secret-0123"))).unwrap();
    AppState::new(engine, auth)
}

/// DynamoDB at `endpoint`, not checked at start (so an unreachable one can be reported).
fn dynamo(endpoint: &str) -> ReadSideSettings {
    ReadSideSettings::DynamoDb {
        settings: DynamoSettings {
            endpoint: Some(endpoint.to_owned()),
            region: None,
        },
        table_prefix: "health_".to_owned(),
        require_reachable: false,
    }
}

#[tokio::test]
async fn it_is_ready_on_postgres_and_dynamodb() {
    let db = fresh_postgres_database().await;
    let state = state(engine(&db.url, dynamo(&dynamodb_endpoint())).await);
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
    let state = state(engine(&db.url, dynamo("http://127.0.0.1:9")).await);
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
    let engine = engine(&db.url, ReadSideSettings::InMemory).await;
    engine.store.pg_pool().unwrap().close().await;
    let state = state(engine);
    let (status, body) = get(state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["ready"], false);
    assert_eq!(body["eventStore"]["status"], "unavailable");
}
