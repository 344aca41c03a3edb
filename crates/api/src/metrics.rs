//! Prometheus metrics at `GET /metrics` (text exposition format).
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder): [`install`]
//! sets it up once (a `OnceLock`); the binary calls it at start (building the router has no
//! side effect), and until it does `/metrics` answers 503. What is exposed:
//!
//! - `holdfast_http_requests_total{route,method,status}` and
//!   `holdfast_http_request_seconds{route,method}` (histogram), from [`track`]; `route` is the
//!   matched route (`/graphql`), never the raw path, so it cannot explode in cardinality;
//! - `holdfast_command_seconds{aggregate,outcome}` (histogram) and
//!   `holdfast_command_conflicts_total{aggregate}`, recorded by `holdfast_engine::dispatch`;
//! - `holdfast_projector_lag_events{table}`, `holdfast_projector_lag_seconds{table}`,
//!   `holdfast_projector_events_processed{table}` and `holdfast_projector_up{table}` (1 while
//!   the projector starts, applies, waits for events or stands by for another instance; 0
//!   when retrying, stopped or failed), gauges refreshed from the projection runtime's
//!   statuses at every scrape;
//! - `holdfast_payment_webhooks_total{outcome}`, from `holdfast_engine::payments`, and
//!   `holdfast_notifications_total{sink,result}`, from `holdfast_engine::notify`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use holdfast_projections::runtime::ProjectorState;
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use holdfast_engine::Engine;

/// Histogram buckets for latencies, in seconds (1 ms to 10 s).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The aggregates whose dispatchers record command metrics.
const AGGREGATES: [&str; 4] = ["Listing", "Inventory", "Booking", "Coupon"];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once per process) and returns its handle; `None` when
/// another recorder was installed first (then `/metrics` answers 503).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics disabled");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        "holdfast_http_requests_total",
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        "holdfast_http_request_seconds",
        Unit::Seconds,
        "HTTP request latency, by route and method"
    );
    describe_histogram!(
        "holdfast_command_seconds",
        Unit::Seconds,
        "Command latency (retries included), by aggregate and outcome"
    );
    describe_counter!(
        "holdfast_command_conflicts_total",
        "Optimistic-concurrency conflicts (each one retried or reported), by aggregate"
    );
    describe_gauge!(
        "holdfast_projector_lag_events",
        "Events in the log that a read model's projector has not applied yet"
    );
    describe_gauge!(
        "holdfast_projector_lag_seconds",
        Unit::Seconds,
        "Age of the oldest event a read model's projector has not applied yet"
    );
    describe_gauge!(
        "holdfast_projector_events_processed",
        "Events a projector has processed since it started"
    );
    describe_gauge!(
        "holdfast_projector_up",
        "1 while a read model's projector is applying or waiting for events, else 0"
    );
    describe_counter!(
        "holdfast_payment_webhooks_total",
        "Payment provider webhook deliveries, by outcome (processed, ignored, duplicate, rejected, retry, unauthorized, malformed, disabled)"
    );
    describe_counter!(
        "holdfast_notifications_total",
        "Notification delivery attempts, by sink kind (log, webhook) and result (delivered, failed, dead)"
    );
    // Conflicts are rare: expose them at 0 from the start so that rates work.
    for aggregate in AGGREGATES {
        counter!("holdfast_command_conflicts_total", "aggregate" => aggregate).increment(0);
    }
}

/// Middleware: counts and times every request by matched route, method and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    histogram!("holdfast_http_request_seconds", "route" => route.clone(), "method" => method.clone())
        .record(started.elapsed().as_secs_f64());
    counter!("holdfast_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// `GET /metrics`: refreshes the projector gauges, then renders every metric.
pub async fn render(State(state): State<Engine>) -> Response {
    let Some(handle) = HANDLE.get().and_then(Option::as_ref) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are disabled\n").into_response();
    };
    if let Some(runtime) = &state.projections {
        for status in runtime.statuses() {
            let table = status.table.name();
            gauge!("holdfast_projector_lag_events", "table" => table).set(status.lag_events as f64);
            gauge!("holdfast_projector_lag_seconds", "table" => table).set(status.lag_seconds);
            gauge!("holdfast_projector_events_processed", "table" => table)
                .set(status.events_processed as f64);
            let up = matches!(
                status.state,
                ProjectorState::Starting
                    | ProjectorState::Running
                    | ProjectorState::CatchingUp
                    | ProjectorState::Waiting
                    | ProjectorState::Standby
            );
            gauge!("holdfast_projector_up", "table" => table).set(if up { 1.0 } else { 0.0 });
        }
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
