//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::{AppState, ReadSide};

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the event store answers, 503 when it does not. The read side is
/// reported too; an unreachable DynamoDB degrades reads but does not stop writes, so it is
/// reported as `degraded` without failing readiness.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let event_store = match state.store.ping().await {
        Ok(()) => json!({"status": "ok"}),
        Err(e) => json!({"status": "unavailable", "error": e.to_string()}),
    };
    let read_models = match &state.read_side {
        ReadSide::InMemory(_) => json!({"status": "ok", "kind": "in-memory"}),
        ReadSide::DynamoDb {
            client, settings, ..
        } => match holdfast_projections::dynamo::check_reachable(client, settings).await {
            Ok(()) => json!({"status": "ok", "kind": "dynamodb"}),
            Err(e) => json!({"status": "degraded", "kind": "dynamodb", "error": e.to_string()}),
        },
    };
    let projectors: Vec<Value> = state
        .projections
        .as_ref()
        .map(|p| {
            p.statuses()
                .into_iter()
                .map(|s| {
                    json!({
                        "table": s.table.name(),
                        "generation": s.generation,
                        "position": s.position.to_string(),
                        "lagEvents": s.lag_events,
                        "lagSeconds": s.lag_seconds,
                        "state": format!("{:?}", s.state),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let ready = event_store["status"] == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "ready": ready,
            "eventStore": event_store,
            "readModels": read_models,
            "projectors": projectors,
        })),
    )
}
