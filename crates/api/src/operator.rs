//! Operator downloads over HTTP: `GET /operator/bookings.csv?tenantId=…&from=…&to=…` (and
//! `status=CONFIRMED,CHECKED_IN`, `inventoryId`, `guestId`, as `bookingsBetween` takes them),
//! with `Authorization: Bearer …` of an operator of that business or an admin — every
//! booking starting on those local dates (at most 92 days), with the guest's contact details,
//! as CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs read Korean right).
//!
//! Refusals are `{"code", "message"}` JSON: 401 without a valid token, 403 for another
//! business, 400 for bad parameters, 503 when the read models are unavailable.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_engine::read_models::read;
use holdfast_projections::models::bookings::{DaySheetEntry, bookings_between};
use holdfast_projections::store::Table;
use serde::Deserialize;
use serde_json::json;

use crate::rest::{engine_error, refusal, signed_in};
use crate::schema::query::operator_lists::RangeFilter;
use crate::state::AppState;

/// The most rows one download holds.
pub const MAX_ROWS: usize = 50_000;

/// The query string of `GET /operator/bookings.csv`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingsCsv {
    tenant_id: String,
    from: String,
    to: String,
    status: Option<String>,
    inventory_id: Option<String>,
    guest_id: Option<String>,
}

fn bad(message: &str) -> Response {
    refusal(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
}

/// `GET /operator/bookings.csv`.
pub async fn bookings_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<BookingsCsv>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let principal = match signed_in(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let Ok(Query(q)) = query else {
        return bad("tenantId, from and to (YYYY-MM-DD) are needed");
    };
    let Ok(tenant) = TenantId::parse(&q.tenant_id) else {
        return bad("tenantId: not an id");
    };
    if !principal.operates(tenant) {
        return refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "not your business");
    }
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (date(&q.from), date(&q.to)) else {
        return bad("from and to: dates (YYYY-MM-DD)");
    };
    let statuses = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(list) => {
            let parsed: Result<Vec<_>, _> = list
                .split(',')
                .map(|s| {
                    serde_json::from_value::<holdfast_domain::booking::BookingStatus>(json!(
                        pascal(s.trim())
                    ))
                    .map(crate::schema::types::booking::BookingStatus::from)
                })
                .collect();
            match parsed {
                Ok(s) => Some(s),
                Err(_) => return bad("status: a comma-separated list of booking statuses"),
            }
        }
    };
    let filter = match RangeFilter::parse(
        statuses,
        q.inventory_id.map(async_graphql::ID),
        q.guest_id.map(async_graphql::ID),
    ) {
        Ok(f) => f,
        Err(e) => return bad(&e.0.message),
    };
    let engine = &state.engine;
    let tenant_text = tenant.to_string();
    let mut rows: Vec<DaySheetEntry> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (tenant, after_cursor, filter) = (tenant_text.as_str(), after.clone(), &filter);
        let page = read(engine, Table::Bookings, None, |store, table| {
            let after_cursor = after_cursor.clone();
            async move {
                bookings_between(
                    store.as_ref(),
                    table,
                    tenant,
                    from,
                    to,
                    100,
                    after_cursor.as_deref(),
                    |e| filter.keeps(e),
                )
                .await
            }
        })
        .await;
        let page = match page {
            Ok(page) => page,
            Err(e) => return engine_error(&e),
        };
        rows.extend(page.items);
        if !page.has_next_page || rows.len() >= MAX_ROWS {
            break;
        }
        after = page.end_cursor;
    }
    rows.truncate(MAX_ROWS);
    let guests: Vec<GuestId> = rows
        .iter()
        .filter_map(|e| GuestId::parse(&e.guest_id).ok())
        .collect();
    let profiles = match engine.profiles.many(&guests).await {
        Ok(p) => p,
        Err(e) => return engine_error(&e.into()),
    };
    let mut out = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let header = [
        "booking_id",
        "status",
        "first_slot",
        "slots",
        "starts_at",
        "ends_at",
        "party_size",
        "quantity",
        "listing_id",
        "inventory_id",
        "guest_id",
        "guest_name",
        "guest_phone",
        "guest_email",
    ];
    let mut written = out.write_record(header);
    for e in &rows {
        let profile = GuestId::parse(&e.guest_id)
            .ok()
            .and_then(|g| profiles.get(&g));
        let instant = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        let status = serde_json::to_value(e.status)
            .ok()
            .and_then(|v| v.as_str().map(screaming))
            .unwrap_or_default();
        written = written.and_then(|()| {
            out.write_record([
                e.booking_id.clone(),
                status,
                e.first_slot.clone(),
                e.slots.join(" "),
                instant(e.starts_at),
                instant(e.ends_at),
                e.party_size.map(|n| n.to_string()).unwrap_or_default(),
                e.quantity.map(|n| n.to_string()).unwrap_or_default(),
                e.listing_id.clone(),
                e.inventory_id.clone(),
                e.guest_id.clone(),
                profile
                    .map(|p| p.name.as_str().to_owned())
                    .unwrap_or_default(),
                profile
                    .and_then(|p| p.phone.as_ref())
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
                profile.and_then(|p| p.email.clone()).unwrap_or_default(),
            ])
        });
    }
    let body = match written.and_then(|()| out.into_inner().map_err(|e| e.into_error().into())) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot write the bookings CSV");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "cannot write CSV",
            );
        }
    };
    let name = format!("bookings-{from}-{to}.csv");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `CHECKED_IN` → `CheckedIn` (the domain's spelling).
fn pascal(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `CheckedIn` → `CHECKED_IN` (the API's spelling).
fn screaming(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
