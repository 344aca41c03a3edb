//! Calendars over HTTP ([`holdfast_engine::calendar`] renders them):
//!
//! - `GET /calendar/<secret>.ics`: a feed — a guest's bookings or an inventory's — at the
//!   secret address `myCalendarFeed` / `inventoryCalendarFeed` gave. No token: the address is
//!   the capability (calendar apps cannot send one). An unknown or reset address is a 404.
//!   An inventory feed is in English unless `?lang=ko`; a guest's is in their language.
//! - `GET /bookings/<id>/calendar.ics`: one booking, with `Authorization: Bearer …` of its
//!   guest, an operator of its business or an admin (401 without a valid token, 404 for
//!   anyone else: whether it exists is not revealed).
//!
//! Answers are `text/calendar; charset=utf-8`, `Cache-Control: private, max-age=300`; errors
//! `{"code", "message"}` JSON.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use holdfast_domain::common::GuestId;
use holdfast_domain::guest::Language;
use holdfast_engine::calendar::{
    self as calendars, CalendarFeeds, FeedKind, booking_entry, guest_entries, inventory_entries,
};
use holdfast_engine::profiles::Profiles;
use holdfast_engine::read_models::read;
use holdfast_projections::models::bookings::booking;
use holdfast_projections::store::Table;
use serde::Deserialize;

use crate::rest::{engine_error, refusal, signed_in};
use crate::state::AppState;

/// The path of the feed whose secret is `token`.
pub fn feed_path(token: &str) -> String {
    format!("/calendar/{token}.ics")
}

fn not_found() -> Response {
    refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such calendar")
}

fn calendar(text: String, download: Option<String>) -> Response {
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        ],
        text,
    )
        .into_response();
    if let Some(name) = download
        && let Ok(value) = format!("attachment; filename=\"{name}\"").parse()
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `?lang=ko|en`.
#[derive(Deserialize)]
pub struct FeedQuery {
    lang: Option<String>,
}

/// `GET /calendar/<secret>.ics`.
pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    // Tokens are 64 hex digits: anything else is not looked up.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return not_found();
    }
    let engine = &state.engine;
    let found = match CalendarFeeds::new(&engine.store).find(token).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(e) => return engine_error(&e),
    };
    let now = engine.services.clock.now();
    let asked = query.lang.as_deref().and_then(|l| Language::parse(l).ok());
    let rendered = match found.kind {
        FeedKind::Guest => {
            let language = match GuestId::parse(&found.subject) {
                Ok(guest) => Profiles::new(&engine.store)
                    .get(guest)
                    .await
                    .ok()
                    .flatten()
                    .map(|p| p.language),
                Err(_) => None,
            };
            let language = asked.or(language).unwrap_or(Language::En);
            let name = match language {
                Language::Ko => "내 예약",
                Language::En => "My bookings",
            };
            guest_entries(engine, &found.subject)
                .await
                .map(|entries| calendars::render(name, &entries, language, now))
        }
        FeedKind::Inventory => {
            let language = asked.unwrap_or(Language::En);
            let name = match language {
                Language::Ko => "예약",
                Language::En => "Bookings",
            };
            inventory_entries(engine, &found.tenant_id, &found.subject, now.date_naive())
                .await
                .map(|entries| calendars::render(name, &entries, language, now))
        }
    };
    match rendered {
        Ok(text) => calendar(text, None),
        Err(e) => engine_error(&e),
    }
}

/// `GET /bookings/<id>/calendar.ics`.
pub async fn booking_ics(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let principal = match signed_in(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    if holdfast_domain::common::BookingId::parse(&id).is_err() {
        return not_found();
    }
    let engine = &state.engine;
    let id = id.as_str();
    let view = match read(engine, Table::Bookings, None, |store, table| async move {
        booking(store.as_ref(), table, id).await
    })
    .await
    {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(),
        Err(e) => return engine_error(&e),
    };
    let guest = GuestId::parse(&view.guest_id).ok();
    let tenant = holdfast_domain::common::TenantId::parse(&view.tenant_id).ok();
    let allowed = guest.is_some_and(|g| principal.is_guest_or_admin(g))
        || tenant.is_some_and(|t| principal.operates(t));
    if !allowed {
        return not_found();
    }
    let language = match guest {
        Some(g) => Profiles::new(&engine.store)
            .get(g)
            .await
            .ok()
            .flatten()
            .map_or(Language::En, |p| p.language),
        None => Language::En,
    };
    let now = engine.services.clock.now();
    match booking_entry(engine, &view).await {
        Ok(entry) => {
            let name = entry.as_ref().map_or("Holdfast", |e| e.listing.as_str());
            let text = calendars::render(name, entry.as_slice(), language, now);
            calendar(text, Some(format!("booking-{id}.ics")))
        }
        Err(e) => engine_error(&e),
    }
}
