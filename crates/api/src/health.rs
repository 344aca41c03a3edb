//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use holdfast_engine::{Engine, Readiness};

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the event store answers, 503 when it does not. The read side is
/// reported too; an unreachable DynamoDB degrades reads but does not stop writes, so it is
/// reported as `degraded` without failing readiness ([`Engine::readiness`]).
pub async fn readyz(State(engine): State<Engine>) -> (StatusCode, Json<Readiness>) {
    let readiness = engine.readiness().await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}
