//! Photos over HTTP ([`holdfast_engine::photos`] checks, resizes and keeps them):
//!
//! - `POST /operator/listings/<listing id>/photos[?inventoryId=…&alt=…]`, the image as the body
//!   (`Content-Type: image/jpeg|image/png|image/webp`, at most 8 MiB), with the bearer token of
//!   an operator of the listing's business: `201 {"photoId", "width", "height", "widths",
//!   "consistencyToken"}`. Refusals: 401, 403 (another business), 404 (no such listing, or an
//!   inventory of another listing), 413 (too large), 415 (not JPEG, PNG or WebP), 422 (does not
//!   decode as what it claims), 409 (the listing is archived or has its 30 photos), 503.
//! - `POST /reviews/<booking id>/photos`, the image as the body, with the bearer token of the
//!   booking's guest: `201 {"photoId", "width", "height", "widths"}`, for `writeReview`'s
//!   `photoIds`. 401, 403 (not a guest), 404 (not their booking), 409 (six already), 413, 415,
//!   422, 503 as above.
//! - `GET /photos/<photo id>/<original|w320|w960|w1920>`: the bytes, `Cache-Control: public,
//!   max-age=31536000, immutable` (a photo id is never reused), an `ETag`; 404 otherwise.
//!
//! `removeListingPhoto` (GraphQL) removes one.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use holdfast_domain::common::{InventoryId, ListingId};
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::{Listing, ListingCommand, photos::ListingPhoto};
use holdfast_engine::EngineError;
use holdfast_engine::photos::{MAX_BYTES, PhotoError, process};
use serde::Deserialize;
use serde_json::json;

use crate::rest::{engine_error, refusal, signed_in};
use crate::state::AppState;

/// The query string of an upload.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadQuery {
    inventory_id: Option<String>,
    #[serde(default)]
    alt: String,
}

fn photo_error(e: PhotoError) -> Response {
    let status = match &e {
        PhotoError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        PhotoError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        PhotoError::Unreadable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        PhotoError::NotFound => StatusCode::NOT_FOUND,
        PhotoError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    let code = match status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
        _ => "INVALID_INPUT",
    };
    refusal(status, code, &e.to_string())
}

fn rule_refusal(e: &EngineError) -> Response {
    use holdfast_engine::ErrorCode;
    match e.code {
        ErrorCode::InvalidState | ErrorCode::Conflict => {
            refusal(StatusCode::CONFLICT, e.code.as_str(), &e.message)
        }
        ErrorCode::InvalidInput => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.code.as_str(),
            &e.message,
        ),
        _ => engine_error(e),
    }
}

/// Where uploads go, or the refusal when this server keeps no photos.
#[allow(clippy::result_large_err)] // as `signed_in`: the refusal is the answer
fn store_of(
    state: &AppState,
) -> Result<std::sync::Arc<holdfast_engine::photos::PhotoStore>, Response> {
    state.photos.clone().ok_or_else(|| {
        refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "this server keeps no photos (--photo-store)",
        )
    })
}

/// The upload checked and resized (off the async threads), or the refusal to answer.
async fn checked(
    headers: &HeaderMap,
    body: Bytes,
) -> Result<holdfast_engine::photos::Processed, Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match tokio::task::spawn_blocking(move || process(body, &content_type)).await {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(photo_error(e)),
        Err(e) => {
            tracing::error!(error = %e, "photo processing panicked");
            Err(refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "cannot process",
            ))
        }
    }
}

/// `POST /reviews/<booking id>/photos`: a photo for the caller's review of their booking
/// (guests; at most six per booking), before or after `writeReview` names it.
pub async fn upload_review_photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    body: Bytes,
) -> Response {
    use holdfast_engine::reviews::{self, MAX_PHOTOS_PER_BOOKING, UploadedPhoto};
    let guest = match signed_in(&state, &headers) {
        Ok(holdfast_engine::Principal::Guest { guest }) => guest,
        Ok(_) => return refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "guests upload these"),
        Err(refused) => return refused,
    };
    let photos = match store_of(&state) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let engine = &state.engine;
    let Ok(booking) = holdfast_domain::common::BookingId::parse(&booking_id) else {
        return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such booking");
    };
    match reviews::booking_facts(engine, booking).await {
        Ok(Some(facts)) if facts.guest_id == guest => {}
        Ok(_) => return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such booking"),
        Err(e) => return engine_error(&e),
    }
    let processed = match checked(&headers, body).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let photo = UploadedPhoto {
        photo_id: ulid::Ulid::new().to_string(),
        booking_id: booking,
        width: processed.width,
        height: processed.height,
        widths: processed.variants.iter().map(|(w, _)| *w).collect(),
        content_type: processed.original.1.to_owned(),
    };
    if let Err(e) = photos.put(&photo.photo_id, &processed).await {
        return photo_error(e);
    }
    let kept = reviews::keep_photo(
        engine.store.db(),
        guest,
        &photo,
        engine.services.clock.now(),
    )
    .await;
    match kept {
        Ok(true) => (
            StatusCode::CREATED,
            axum::Json(json!({
                "photoId": photo.photo_id,
                "width": photo.width,
                "height": photo.height,
                "widths": photo.widths,
            })),
        )
            .into_response(),
        refused => {
            if let Err(cleanup) = photos.delete(&photo.photo_id, &photo.widths).await {
                tracing::warn!(error = %cleanup, "cannot delete a refused photo's objects");
            }
            match refused {
                Err(e) => engine_error(&e),
                _ => refusal(
                    StatusCode::CONFLICT,
                    "INVALID_STATE",
                    &format!("a review has at most {MAX_PHOTOS_PER_BOOKING} photos"),
                ),
            }
        }
    }
}

/// `POST /operator/listings/<listing id>/photos`.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(listing_id): Path<String>,
    Query(query): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    let principal = match signed_in(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let photos = match store_of(&state) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let engine = &state.engine;
    let Ok(listing_id) = ListingId::parse(&listing_id) else {
        return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such listing");
    };
    let listing: Listing =
        match holdfast_engine::process::current(engine, &listing_id.to_string()).await {
            Ok(l) => l,
            Err(e) => return engine_error(&e),
        };
    let Some(listing_state) = listing.state() else {
        return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such listing");
    };
    if !principal.operates(listing_state.tenant_id) {
        return refusal(StatusCode::FORBIDDEN, "FORBIDDEN", "not your business");
    }
    let inventory_id = match query.inventory_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let Ok(id) = InventoryId::parse(text) else {
                return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such inventory");
            };
            let inventory: Inventory =
                match holdfast_engine::process::current(engine, &id.to_string()).await {
                    Ok(i) => i,
                    Err(e) => return engine_error(&e),
                };
            if inventory.definition().map(|d| d.listing_id) != Some(listing_id) {
                return refusal(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    "no such inventory of this listing",
                );
            }
            Some(id)
        }
    };
    let processed = match checked(&headers, body).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let photo_id = ulid::Ulid::new().to_string();
    let photo = ListingPhoto {
        photo_id: photo_id.clone(),
        inventory_id,
        width: processed.width,
        height: processed.height,
        widths: processed.variants.iter().map(|(w, _)| *w).collect(),
        content_type: processed.original.1.to_owned(),
        alt: query.alt.trim().to_owned(),
    };
    if let Err(e) = photo.check() {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_INPUT",
            &format!("alt: {e}"),
        );
    }
    if let Err(e) = photos.put(&photo_id, &processed).await {
        return photo_error(e);
    }
    let committed = engine
        .commands
        .listings
        .execute(
            &listing_id.to_string(),
            ListingCommand::AddPhoto {
                photo: photo.clone(),
            },
            std::collections::HashMap::new(),
        )
        .await
        .map_err(EngineError::from);
    match committed {
        Ok(c) => (
            StatusCode::CREATED,
            axum::Json(json!({
                "photoId": photo_id,
                "width": photo.width,
                "height": photo.height,
                "widths": photo.widths,
                "consistencyToken": holdfast_engine::consistency::token(c.position),
            })),
        )
            .into_response(),
        Err(e) => {
            // Nothing refers to the objects: give the space back.
            if let Err(cleanup) = photos.delete(&photo_id, &photo.widths).await {
                tracing::warn!(error = %cleanup, "cannot delete a refused photo's objects");
            }
            rule_refusal(&e)
        }
    }
}

/// `GET /photos/<photo id>/<name>`.
pub async fn serve(
    State(state): State<AppState>,
    Path((photo_id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(photos) = state.photos.clone() else {
        return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such photo");
    };
    let known_name = name == "original"
        || name
            .strip_prefix('w')
            .and_then(|w| w.parse::<u32>().ok())
            .is_some_and(|w| holdfast_engine::photos::WIDTHS.contains(&w));
    if ulid::Ulid::from_string(&photo_id).is_err() || !known_name {
        return refusal(StatusCode::NOT_FOUND, "NOT_FOUND", "no such photo");
    }
    let etag = format!("\"{photo_id}-{name}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    match photos.get(&photo_id, &name).await {
        Ok(bytes) => {
            let kind = if name == "original" {
                sniff(&bytes)
            } else {
                "image/jpeg"
            };
            (
                [
                    (header::CONTENT_TYPE, kind.to_owned()),
                    (
                        header::CACHE_CONTROL,
                        "public, max-age=31536000, immutable".to_owned(),
                    ),
                    (header::ETAG, etag),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => photo_error(e),
    }
}

/// The type of a kept original, from its first bytes (it was checked when uploaded).
fn sniff(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        _ => "image/jpeg",
    }
}

/// The body limit of the upload route: a photo and a little slack.
pub const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;
