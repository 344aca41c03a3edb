//! Reviews beside the log: the words of a review and of the business's reply live in the
//! erasable `review_texts` table (forgetting a guest deletes them), while the `Review`
//! aggregate records the rating, a digest of the words and the photos' ids. This module keeps
//! the words, reads what the aggregate needs of the booking being reviewed, and gives a text's
//! digest (what the log keeps).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_domain::Decide;
use holdfast_domain::common::{BookingId, GuestId, ListingId};
use holdfast_domain::listing::{Listing, ListingCommand};
use holdfast_domain::review::{BookingFacts, Digest, Review, ReviewError, ReviewState};
use holdfast_eventstore::{Arg, Db, StreamAppend};
use sha2::{Digest as _, Sha256};

use crate::Engine;
use crate::dispatch::serialize;
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

/// What a review command changes in its listing's ratings: a review newly written counts, a
/// review newly hidden stops counting (`None`: nothing to change).
pub fn tally_command(
    before: Option<&ReviewState>,
    after: Option<&ReviewState>,
) -> Option<ListingCommand> {
    let after = after?;
    match before {
        None => Some(ListingCommand::CountReview {
            booking_id: after.booking_id,
            rating: after.rating,
        })
        .filter(|_| after.hidden.is_none()),
        Some(before) if before.hidden.is_none() && after.hidden.is_some() => {
            Some(ListingCommand::UncountReview {
                booking_id: after.booking_id,
                rating: after.rating,
            })
        }
        Some(_) => None,
    }
}

/// What a review command attaches to its commit: the listing's new ratings tally.
pub type RatingsAttach = Box<
    dyn Fn(&Review, Result<(), &ReviewError>) -> Result<Vec<StreamAppend>, String> + Send + Sync,
>;

/// Prepares the listing's tally for a command on `booking`'s review (of `listing`): the
/// listing's events that commit with the review's, guarded by the listing's sequence. Also
/// returns the review as it was (read after the listing, see below).
///
/// The change is the review's state after the command against its state before. The listing is
/// read **before** the review: a concurrent command that changed the review after our read of
/// it also appended to the listing after our read of the listing, so our commit conflicts
/// (retryable) instead of counting a review twice.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn ratings_attachment(
    engine: &Engine,
    listing: ListingId,
    booking: BookingId,
    metadata: HashMap<String, String>,
) -> Result<(Review, RatingsAttach), EngineError> {
    let id = listing.to_string();
    engine.commands.listings.forget(&id);
    let (state, sequence) = engine.commands.listings.cached(&id).await?;
    let before = engine.commands.reviews.load(&booking.to_string()).await?;
    let services = engine.services.clone();
    let was = before.state().cloned();
    let attach: RatingsAttach = Box::new(move |review, outcome| {
        if outcome.is_err() {
            return Ok(Vec::new());
        }
        let Some(command) = tally_command(was.as_ref(), review.state()) else {
            return Ok(Vec::new());
        };
        let events = state
            .decide(command, &services)
            .map_err(|e| e.to_string())?;
        let events = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                serialize::<Listing>(&id, sequence + i + 1, event, &metadata)
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vec![StreamAppend {
            aggregate_type: <Listing as cqrs_es::Aggregate>::TYPE.to_owned(),
            aggregate_id: id.clone(),
            events,
            snapshot: None,
        }])
    });
    Ok((before, attach))
}

/// The most photos a guest uploads for one booking's review (as many as a review carries).
pub const MAX_PHOTOS_PER_BOOKING: usize = holdfast_domain::review::MAX_PHOTOS;

/// A photo a guest uploaded for a review (its objects are in the photo store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedPhoto {
    /// Its id (`photos/<id>/…` in the store).
    pub photo_id: String,
    /// The booking it is for.
    pub booking_id: BookingId,
    /// Width of the original, pixels.
    pub width: u32,
    /// Height of the original, pixels.
    pub height: u32,
    /// Widths of the resized JPEG variants.
    pub widths: Vec<u32>,
    /// The original's content type.
    pub content_type: String,
}

const PHOTO_COLUMNS: &str = "photo_id, booking_id, width, height, widths, content_type";

fn photo_of(row: &holdfast_eventstore::DbRow) -> Result<UploadedPhoto, EngineError> {
    let widths: String = row.get("widths").map_err(store)?;
    let booking: String = row.get("booking_id").map_err(store)?;
    let size = |column: &str| -> Result<u32, EngineError> {
        u32::try_from(row.integer(column).map_err(store)?)
            .map_err(|_| EngineError::internal(format!("review photo {column} out of range")))
    };
    Ok(UploadedPhoto {
        photo_id: row.get("photo_id").map_err(store)?,
        booking_id: BookingId::parse(&booking).map_err(EngineError::internal)?,
        width: size("width")?,
        height: size("height")?,
        widths: serde_json::from_str(&widths).map_err(EngineError::internal)?,
        content_type: row.get("content_type").map_err(store)?,
    })
}

/// Records that `guest` uploaded `photo` for `booking`'s review, unless the booking has
/// [`MAX_PHOTOS_PER_BOOKING`] already (then `false`, nothing recorded). The count and the
/// insert are one statement, so concurrent uploads cannot pass the limit together on Postgres
/// (SQLite serialises writers anyway).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn keep_photo(
    db: &Db,
    guest: GuestId,
    photo: &UploadedPhoto,
    now: DateTime<Utc>,
) -> Result<bool, EngineError> {
    let inserted = db
        .execute(
            "INSERT INTO review_photos
               (photo_id, booking_id, guest_id, width, height, widths, content_type, uploaded_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8
              WHERE (SELECT count(*) FROM review_photos WHERE booking_id = $2) < $9",
            &[
                photo.photo_id.as_str().into(),
                photo.booking_id.to_string().into(),
                guest.to_string().into(),
                Arg::Int(i64::from(photo.width)),
                Arg::Int(i64::from(photo.height)),
                serde_json::to_string(&photo.widths)
                    .map_err(EngineError::internal)?
                    .into(),
                photo.content_type.as_str().into(),
                Arg::At(now),
                Arg::Int(MAX_PHOTOS_PER_BOOKING as i64),
            ],
        )
        .await
        .map_err(store)?;
    Ok(inserted == 1)
}

/// The photos uploaded for `booking`'s review, oldest first.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn photos_of_booking(
    db: &Db,
    booking: BookingId,
) -> Result<Vec<UploadedPhoto>, EngineError> {
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {PHOTO_COLUMNS} FROM review_photos WHERE booking_id = $1
                  ORDER BY uploaded_at, photo_id"
            ),
            &[booking.to_string().into()],
        )
        .await
        .map_err(store)?;
    rows.iter().map(photo_of).collect()
}

/// Every review photo `guest` uploaded (to delete their objects when the guest is forgotten).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn photos_of_guest(db: &Db, guest: GuestId) -> Result<Vec<UploadedPhoto>, EngineError> {
    let rows = db
        .fetch_all(
            &format!("SELECT {PHOTO_COLUMNS} FROM review_photos WHERE guest_id = $1"),
            &[guest.to_string().into()],
        )
        .await
        .map_err(store)?;
    rows.iter().map(photo_of).collect()
}
