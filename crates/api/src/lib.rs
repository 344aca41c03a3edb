//! Holdfast's HTTP surface.
//!
//! - [`state`]: [`AppState`], what every handler shares (the event store, the read side).
//! - [`health`]: `/healthz` (the process answers) and `/readyz` (its dependencies answer).
//! - [`app`]: the router; tests drive it with `oneshot` or on a listener on port 0.
//!
//! The GraphQL schema, command dispatch and the booking process are added here by the API
//! issue; this crate is where they live.

pub mod auth;
pub mod commands;
pub mod dispatch;
pub mod error;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod process;
pub mod read_models;
pub mod schema;
pub mod state;

pub use state::{AppState, ReadSide};

use axum::Router;
use axum::routing::get;

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let graphql = http::GraphqlState {
        schema: schema::build(state.clone()),
        app: state.clone(),
    };
    Router::new()
        .route("/", get(http::graphiql))
        .route("/graphql", get(http::graphql).post(http::graphql))
        .with_state(graphql)
        .merge(
            Router::new()
                .route("/healthz", get(health::healthz))
                .route("/readyz", get(health::readyz))
                .with_state(state),
        )
}
