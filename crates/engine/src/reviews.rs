//! Reviews beside the log: the words of a review and of the business's reply live in the
//! erasable `review_texts` table (forgetting a guest deletes them), while the `Review`
//! aggregate records the rating, a digest of the words and the photos' ids. This module keeps
//! the words, reads what the aggregate needs of the booking being reviewed, and gives a text's
//! digest (what the log keeps).

use chrono::{DateTime, Utc};
use holdfast_domain::common::{BookingId, GuestId};
use holdfast_domain::review::{BookingFacts, Digest};
use holdfast_eventstore::{Arg, Db};
use sha2::{Digest as _, Sha256};

use crate::Engine;
use crate::error::{EngineError, ErrorCode};

/// The digest of a review's (or reply's) words: what the log keeps of them.
pub fn text_digest(text: &str) -> Digest {
    Digest::parse(&hex::encode(Sha256::digest(text.as_bytes()))).expect("64 hex digits")
}

fn store(e: holdfast_eventstore::EventStoreError) -> EngineError {
    tracing::error!(error = %e, "the review store failed");
    EngineError::new(
        ErrorCode::Unavailable,
        "the review store is unavailable; retry",
    )
}

/// What the engine reads of `booking` for its review (`None`: no such booking).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn booking_facts(
    engine: &Engine,
    booking: BookingId,
) -> Result<Option<BookingFacts>, EngineError> {
    let aggregate = engine
        .commands
        .bookings
        .load(&booking.to_string())
        .await
        .map_err(|e| EngineError::new(ErrorCode::Unavailable, e.to_string()))?;
    let Some(status) = aggregate.status() else {
        return Ok(None);
    };
    let keys = aggregate.keys();
    Ok(Some(BookingFacts {
        booking_id: keys.booking_id,
        guest_id: keys.guest_id,
        tenant_id: keys.tenant_id,
        listing_id: keys.listing_id,
        status,
        ends_at: aggregate.ends_at(),
    }))
}

/// Keeps the words of `booking`'s review (the first kept stay: a review is written once).
/// Returns whether this call kept them (so a refused review can take them back).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn keep_text(
    db: &Db,
    booking: BookingId,
    guest: GuestId,
    text: &str,
    now: DateTime<Utc>,
) -> Result<bool, EngineError> {
    let inserted = db
        .execute(
            "INSERT INTO review_texts (booking_id, guest_id, text, written_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (booking_id) DO NOTHING",
            &[
                booking.to_string().into(),
                guest.to_string().into(),
                text.into(),
                Arg::At(now),
            ],
        )
        .await
        .map_err(store)?;
    Ok(inserted == 1)
}

/// Takes back words kept for a review the aggregate refused.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn drop_text(db: &Db, booking: BookingId) -> Result<(), EngineError> {
    db.execute(
        "DELETE FROM review_texts WHERE booking_id = $1",
        &[booking.to_string().into()],
    )
    .await
    .map_err(store)?;
    Ok(())
}

/// Keeps the business's reply to `booking`'s review (replacing an earlier one).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn keep_reply(db: &Db, booking: BookingId, reply: &str) -> Result<(), EngineError> {
    db.execute(
        "UPDATE review_texts SET reply = $2 WHERE booking_id = $1",
        &[booking.to_string().into(), reply.into()],
    )
    .await
    .map_err(store)?;
    Ok(())
}

/// The words of `booking`'s review and its reply, if kept (`None` once the guest was
/// forgotten).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn texts(
    db: &Db,
    booking: BookingId,
) -> Result<Option<(String, Option<String>)>, EngineError> {
    let row = db
        .fetch_optional(
            "SELECT text, reply FROM review_texts WHERE booking_id = $1",
            &[booking.to_string().into()],
        )
        .await
        .map_err(store)?;
    match row {
        Some(row) => Ok(Some((
            row.get("text").map_err(store)?,
            row.get("reply").map_err(store)?,
        ))),
        None => Ok(None),
    }
}
