//! Reviews: `writeReview` (the guest of a completed booking, once, within 30 days of its end),
//! `replyToReview` (an operator of the booking's business; a new reply replaces the last),
//! `hideReview` (admins). The words go to the erasable review store, the rest to the `Review`
//! aggregate (see [`holdfast_engine::reviews`] and `holdfast_domain::review`).
//!
//! Refusals: `NOT_FOUND` for a booking that is not the caller's (or no review to reply to),
//! `INVALID_STATE` before the booking is completed or after the window, `ALREADY_EXISTS` for a
//! second, different review, `INVALID_INPUT` naming a bad field, `FORBIDDEN` for the wrong role.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use holdfast_domain::common::{AccountId, BookingId, ListingId};
use holdfast_domain::review::{
    Rating, Review, ReviewCommand, ReviewPhoto, ReviewText, WriteReview,
};
use holdfast_engine::{EngineError, Principal, reviews};
use serde::{Deserialize, Serialize};

use super::tenant::field;
use super::{Caller, once_on, once_on_with};
use crate::error::{ApiError, ErrorCode, OrApi};
use crate::schema::types::parse_id;

/// A guest's review of a booking.
#[derive(InputObject, Clone, Debug)]
pub struct WriteReviewInput {
    /// The booking (checked in, or confirmed and over; the caller's own).
    pub booking_id: ID,
    /// 1 to 5 stars.
    pub rating: i32,
    /// What they want to say (at most 2,000 characters; may be empty).
    pub text: String,
    /// Photos uploaded for this booking (`POST /reviews/<booking id>/photos`), at most six.
    #[graphql(default)]
    pub photo_ids: Vec<ID>,
}

/// What a review mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct ReviewPayload {
    /// The booking reviewed (the review's id).
    pub booking_id: ID,
    /// The stars.
    pub rating: i32,
    /// Whether the business replied.
    pub replied: bool,
    /// Whether an admin hid it.
    pub hidden: bool,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

fn payload_of(review: &Review) -> Result<ReviewPayload, EngineError> {
    let state = review
        .state()
        .ok_or_else(|| EngineError::not_found("review"))?;
    Ok(ReviewPayload {
        booking_id: ID(state.booking_id.to_string()),
        rating: i32::from(state.rating.stars()),
        replied: state.reply.is_some(),
        hidden: state.hidden.is_some(),
        consistency_token: None,
    })
}

/// The photos named, each one uploaded for `booking` (whose guest the caller is): more than
/// [`holdfast_domain::review::MAX_PHOTOS`] or one twice is the aggregate's to refuse.
async fn review_photos(
    db: &holdfast_eventstore::Db,
    booking: BookingId,
    ids: &[ID],
) -> Result<Vec<ReviewPhoto>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let uploaded = reviews::photos_of_booking(db, booking).await.or_api()?;
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            if !uploaded.iter().any(|p| p.photo_id == id.as_str()) {
                return Err(ApiError::invalid(format!(
                    "input.photoIds[{i}]: not a photo uploaded for this booking's review"
                )));
            }
            field(
                &format!("input.photoIds[{i}]"),
                ReviewPhoto::parse(id.as_str()),
            )
        })
        .collect()
}

/// Attempts of a review command whose listing's tally moved under it.
const TALLY_ATTEMPTS: u32 = 8;

/// Sends `command` to `booking`'s review with the listing's new ratings tally in the same
/// commit ([`reviews::ratings_attachment`]). When another review of the same listing committed
/// first (the listing's stream moved: `CONFLICT`, nothing written, the key not recorded), it
/// reads the listing again and retries, up to [`TALLY_ATTEMPTS`] times.
async fn with_tally(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    listing: ListingId,
    booking: BookingId,
    command: ReviewCommand,
) -> Result<ReviewPayload, ApiError> {
    let mut attempt = 0;
    let _turn = holdfast_engine::turns::turn(format!("listing-tally\0{listing}")).await;
    loop {
        attempt += 1;
        let (_, tally) =
            reviews::ratings_attachment(caller.state, listing, booking, caller.metadata())
                .await
                .or_api()?;
        let next = command.clone();
        let done = once_on_with(
            ctx,
            caller,
            &caller.state.commands.reviews,
            booking.to_string(),
            async { Ok(next) },
            payload_of,
            tally,
        )
        .await;
        match done {
            Err(e) if e.code == ErrorCode::Conflict && attempt < TALLY_ATTEMPTS => {
                // Spread out by booking, longer each time.
                let spread = booking.to_string().bytes().map(u64::from).sum::<u64>() % 7;
                let pause = (1 + spread) * u64::from(attempt);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            done => return done,
        }
    }
}

fn booking_arg(id: &ID) -> Result<BookingId, ApiError> {
    parse_id("bookingId", id, BookingId::parse)
}

/// Review mutations.
#[derive(Default)]
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Writes the caller's review of a booking they completed (guests).
    async fn write_review(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: WriteReviewInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest = caller.require_guest()?;
        let booking = booking_arg(&input.booking_id)?;
        let rating = field("input.rating", Rating::new(i64::from(input.rating)))?;
        let text = field("input.text", ReviewText::parse(&input.text))?;
        let facts = reviews::booking_facts(caller.state, booking)
            .await
            .or_api()?
            .filter(|f| f.guest_id == guest)
            .ok_or_else(|| ApiError::not_found("booking"))?;
        let db = caller.state.store.db();
        let photos = review_photos(db, booking, &input.photo_ids).await?;
        let kept = reviews::keep_text(db, booking, guest, text.as_str(), caller.now())
            .await
            .or_api()?;
        let listing = facts.listing_id;
        let command = WriteReview {
            booking: facts,
            author: guest,
            rating,
            text: reviews::text_digest(text.as_str()),
            photos,
        };
        let done = with_tally(
            ctx,
            &caller,
            listing,
            booking,
            ReviewCommand::Write(Box::new(command)),
        )
        .await;
        if done.is_err() && kept {
            // Refused: take the words back unless the review exists with them.
            let now = caller
                .state
                .commands
                .reviews
                .load(&booking.to_string())
                .await;
            if now.map(|r| r.state().is_none()).unwrap_or(false) {
                reviews::drop_text(db, booking).await.or_api()?;
            }
        }
        Ok(done?)
    }

    /// Replies to a booking's review for the business (its operators; a new reply replaces
    /// the last).
    async fn reply_to_review(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        booking_id: ID,
        text: String,
    ) -> async_graphql::Result<ReviewPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let booking = booking_arg(&booking_id)?;
        let by = match caller.principal {
            Principal::Operator { sub, .. } => {
                AccountId::parse(sub).map_err(|_| ApiError::forbidden())?
            }
            _ => return Err(ApiError::forbidden().into()),
        };
        let reply = field("text", ReviewText::parse(&text))?;
        if reply.as_str().is_empty() {
            return Err(ApiError::invalid("text: a reply says something").into());
        }
        let review = caller
            .state
            .commands
            .reviews
            .load(&booking.to_string())
            .await
            .or_api()?;
        let state = review
            .state()
            .ok_or_else(|| ApiError::not_found("review"))?;
        caller.authorize(state.tenant_id)?;
        reviews::keep_reply(caller.state.store.db(), booking, reply.as_str())
            .await
            .or_api()?;
        let command = ReviewCommand::Reply {
            by,
            text: reviews::text_digest(reply.as_str()),
        };
        Ok(once_on(
            ctx,
            &caller,
            &caller.state.commands.reviews,
            booking.to_string(),
            async { Ok(command) },
            payload_of,
        )
        .await?)
    }

    /// Hides a review from guests, with a reason (admins; its events stay).
    async fn hide_review(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        booking_id: ID,
        reason: String,
    ) -> async_graphql::Result<ReviewPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        if !caller.principal.is_admin() {
            return Err(ApiError::forbidden().into());
        }
        let booking = booking_arg(&booking_id)?;
        let review = caller
            .state
            .commands
            .reviews
            .load(&booking.to_string())
            .await
            .or_api()?;
        let listing = review
            .state()
            .ok_or_else(|| ApiError::not_found("review"))?
            .listing_id;
        Ok(with_tally(
            ctx,
            &caller,
            listing,
            booking,
            ReviewCommand::Hide { reason },
        )
        .await?)
    }
}
