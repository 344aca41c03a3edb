//! Holdfast's HTTP surface.
//!
//! - [`state`]: [`AppState`], what every handler shares (the event store, the read side).
//! - [`commands`], [`dispatch`]: the command side, one dispatcher per aggregate.
//! - [`schema`]: the GraphQL schema (queries, mutations, subscriptions); [`http`] serves it
//!   over HTTP and WebSocket; [`feed`] is the change feed subscriptions follow.
//! - [`auth`]: bearer tokens and principals; [`error`]: the error model (`extensions.code`).
//! - [`health`]: `/healthz` (the process answers) and `/readyz` (its dependencies answer);
//!   [`metrics`]: `/metrics` (Prometheus).
//! - [`webhooks`]: `POST /webhooks/payments` (signed, replay-protected payment reports);
//!   [`signature`]: the `Holdfast-Signature` HMAC scheme it and the outbox use.
//! - [`notify`]: the notifications outbox (event log → log and webhook sinks).
//! - [`app`]: the router; tests drive it with `oneshot` or on a listener on port 0.

pub mod auth;
pub mod commands;
pub mod dispatch;
pub mod error;
pub mod feed;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod metrics;
pub mod notify;
pub mod process;
pub mod read_models;
pub mod schema;
pub mod signature;
pub mod state;
pub mod webhooks;
pub mod worker;

pub use state::{AppState, ReadSide};

use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The HTTP application:
///
/// | route | what |
/// |---|---|
/// | `GET /` | GraphiQL |
/// | `POST /graphql`, `GET /graphql` | GraphQL over HTTP, per the GraphQL-over-HTTP spec ([`http`]; GET: queries only) |
/// | `GET /graphql/ws` | subscriptions (graphql-transport-ws and graphql-ws) |
/// | `GET /healthz`, `GET /readyz` | liveness, readiness |
/// | `GET /metrics` | Prometheus metrics |
/// | `POST /webhooks/payments` | a payment provider's signed report ([`webhooks`]) |
///
/// Every request is logged (a `tower-http` trace span), counted and timed, and its body is
/// limited to [`MAX_BODY_BYTES`]. Installs the process's metrics recorder on first use.
pub fn app(state: AppState) -> Router {
    metrics::install();
    let graphql = http::GraphqlState {
        schema: schema::build(state.clone()),
        app: state.clone(),
    };
    Router::new()
        .route("/", get(http::graphiql))
        .route("/graphql", get(http::graphql_get).post(http::graphql_post))
        .route("/graphql/ws", get(http::graphql_ws))
        .with_state(graphql)
        .merge(
            Router::new()
                .route("/healthz", get(health::healthz))
                .route("/readyz", get(health::readyz))
                .route("/metrics", get(metrics::render))
                .route("/webhooks/payments", post(webhooks::payments::receive))
                .with_state(state),
        )
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
}
