//! Holdfast's adapters: GraphQL over HTTP and WebSocket, health, metrics and webhooks, over
//! the application ([`holdfast_engine::Engine`]). Nothing here decides anything: resolvers and
//! handlers authenticate, parse, call the engine and map its errors.
//!
//! - [`app`]: the router over an [`AppState`] (the engine and the token verifier); no side
//!   effects, so tests drive it with `oneshot` or on a listener on port 0.
//! - [`schema`]: the GraphQL schema (queries, mutations, subscriptions); [`http`] serves it
//!   per the GraphQL-over-HTTP spec, and subscriptions over WebSocket.
//! - [`auth`]: bearer tokens (JWT) → [`holdfast_engine::Principal`]; [`error`]: the one
//!   mapping of engine errors to GraphQL errors (`extensions.code`).
//! - [`health`]: `/healthz`, `/readyz`; [`metrics`]: `/metrics` (Prometheus; the binary
//!   installs the recorder).
//! - [`webhooks`]: `POST /webhooks/payments`, mapped to [`holdfast_engine::payments`].

pub mod alerts;
pub mod auth;
pub mod calendar;
pub mod error;
mod health;
mod http;
pub mod identity;
pub mod metrics;
mod operator;
pub mod photos;
mod rest;
pub mod schema;
mod state;
mod webhooks;

pub use state::AppState;

use axum::Router;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `/graphql` answers browsers of any origin (the embeddable widget runs on businesses' own
/// sites). Safe because no credential is ambient: tokens travel in the `Authorization` header,
/// which another site's page cannot read from this site's storage, and no cookie is allowed.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(3600))
}

/// The HTTP application:
///
/// | route | what |
/// |---|---|
/// | `GET /`, `/b/…`, `/me`, `/console`, `/graphiql`, `/widget.js`, `/assets/…` | the booking site, the console, GraphiQL and the widget ([`holdfast_web`]) |
/// | `POST /checkout/test/<booking>` | the built-in test checkout's payment, through the payments webhook ([`webhooks`]) |
/// | `POST /graphql`, `GET /graphql` | GraphQL over HTTP, per the GraphQL-over-HTTP spec ([`http`]; GET: queries only) |
/// | `GET /graphql/ws` | subscriptions (graphql-transport-ws and graphql-ws) |
/// | `GET /healthz`, `GET /readyz` | liveness, readiness |
/// | `GET /metrics` | Prometheus metrics |
/// | `POST /webhooks/payments` | a payment provider's signed report ([`webhooks`]) |
/// | `POST /operator/listings/<id>/photos`, `POST /reviews/<booking>/photos`, `GET /photos/<id>/<variant>` | photo uploads (listings', reviews') and the photos ([`photos`]) |
/// | `GET /alerts` | a guest's availability alerts as Server-Sent Events ([`alerts`]) |
/// | `GET /operator/bookings.csv` | a business's bookings over dates as CSV ([`operator`]) |
/// | `GET /calendar/<secret>.ics`, `GET /bookings/<id>/calendar.ics` | iCalendar feeds and one booking's `.ics` ([`calendar`]) |
///
/// Every request is logged (a `tower-http` trace span), counted and timed (into the metrics
/// recorder, once the binary installed it with [`metrics::install`]), and its body is limited
/// to [`MAX_BODY_BYTES`].
pub fn app(state: AppState) -> Router {
    let state_for_photos = state.clone();
    let graphql = http::GraphqlState {
        schema: schema::build_with(
            state.engine.clone(),
            state.identity.clone(),
            state.photos.clone(),
        ),
        app: state.clone(),
    };
    Router::new()
        .route("/graphql", get(http::graphql_get).post(http::graphql_post))
        .route("/graphql/ws", get(http::graphql_ws))
        .with_state(graphql)
        .layer(cors())
        .merge(
            Router::new()
                .route("/healthz", get(health::healthz))
                .route("/readyz", get(health::readyz))
                .route("/metrics", get(metrics::render))
                .route("/webhooks/payments", post(webhooks::payments))
                .with_state(state.engine.clone()),
        )
        .merge(
            Router::new()
                .route("/calendar/{file}", get(calendar::feed))
                .route("/bookings/{id}/calendar.ics", get(calendar::booking_ics))
                .route("/operator/bookings.csv", get(operator::bookings_csv))
                .route("/photos/{photo_id}/{name}", get(photos::serve))
                .route("/alerts", get(alerts::stream))
                .route("/checkout/test/{booking}", post(webhooks::test_checkout))
                .with_state(state.clone()),
        )
        .merge(holdfast_web::router(
            state.engine.clone(),
            state.web.clone(),
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Photo uploads: their own, larger, body limit.
        .merge(
            Router::new()
                .route(
                    "/operator/listings/{listing_id}/photos",
                    post(photos::upload),
                )
                .route(
                    "/reviews/{booking_id}/photos",
                    post(photos::upload_review_photo),
                )
                .layer(axum::extract::DefaultBodyLimit::max(photos::UPLOAD_LIMIT))
                .layer(RequestBodyLimitLayer::new(photos::UPLOAD_LIMIT))
                .with_state(state_for_photos),
        )
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http())
}
