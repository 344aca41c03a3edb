//! `GET /alerts`: the caller's availability alerts as Server-Sent Events (guests), each once, in
//! order, from the log (`holdfast_engine::watches::live`).
//!
//! - Authentication: `Authorization: Bearer …`, or `?access_token=…` for `EventSource`, which
//!   cannot send headers.
//! - The first event is `ready`, whose `id` is where the stream starts; each alert is an
//!   `alert` event whose `id` is its log position and whose data is the alert as JSON
//!   (`watchId`, `listingId`, `inventoryId`, `slots`, `free`, `alert`, `at`).
//! - Reconnecting with `Last-Event-ID` (browsers do it by themselves) resumes right after that
//!   event — also on another node, or after a restart: no alert lost, none repeated.
//! - Refusals: 401 without a valid token, 403 for anyone but a guest, 400 for a malformed
//!   `Last-Event-ID`, 503 when the event store cannot be read.

use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use holdfast_engine::Principal;
use holdfast_eventstore::Position;
use serde::Deserialize;
use serde_json::json;

use crate::rest::{engine_error, refusal};
use crate::state::AppState;

/// The query string.
#[derive(Deserialize)]
pub struct AlertsQuery {
    access_token: Option<String>,
}

/// `GET /alerts`.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AlertsQuery>,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.access_token.map(|t| format!("Bearer {t}")));
    let guest = match state.auth.authenticate(authorization.as_deref()) {
        Ok(Principal::Guest { guest }) => guest,
        Ok(Principal::Anonymous) | Err(_) => {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "a valid bearer token is needed",
            );
        }
        Ok(_) => return refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "guests receive alerts"),
    };
    let after = match headers.get("last-event-id").map(|v| v.to_str()) {
        None => None,
        Some(Ok(text)) => match text.trim().parse::<Position>() {
            Ok(p) => Some(p),
            Err(_) => {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "INVALID_INPUT",
                    "Last-Event-ID is not an id this stream gave",
                );
            }
        },
        Some(Err(_)) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT",
                "Last-Event-ID is not an id this stream gave",
            );
        }
    };
    let (start, alerts) = match holdfast_engine::watches::live(&state.engine, guest, after).await {
        Ok(live) => live,
        Err(e) => return engine_error(&e),
    };
    let ready = futures::stream::once(async move {
        Ok::<Event, Infallible>(
            Event::default()
                .event("ready")
                .id(start.to_string())
                .data("{}"),
        )
    });
    // A store failure ends the stream; the client reconnects with its last id.
    let alerts = alerts
        .take_while(|item| {
            if let Err(e) = item {
                tracing::warn!(error = ?e, "an alert stream ends");
            }
            futures::future::ready(item.is_ok())
        })
        .filter_map(|item| futures::future::ready(item.ok()))
        .map(|a| {
            let data = json!({
                "watchId": a.watch_id,
                "listingId": a.terms.listing_id.to_string(),
                "inventoryId": a.terms.inventory_id.to_string(),
                "slots": a.terms.slots.iter().map(|s| match s.time {
                    Some(t) => format!("{}T{}", s.date, t.format("%H:%M")),
                    None => s.date.to_string(),
                }).collect::<Vec<_>>(),
                "free": a.free,
                "alert": a.alert,
                "at": a.at,
            });
            Ok::<Event, Infallible>(
                Event::default()
                    .event("alert")
                    .id(a.position.to_string())
                    .data(data.to_string()),
            )
        });
    Sse::new(ready.chain(alerts))
        .keep_alive(KeepAlive::default())
        .into_response()
}
