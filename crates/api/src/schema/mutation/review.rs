//! Reviews: `writeReview` (the guest of a completed booking, once, within 30 days of its end),
//! `replyToReview` (an operator of the booking's business; a new reply replaces the last),
//! `hideReview` (admins). The words go to the erasable review store, the rest to the `Review`
//! aggregate (see [`holdfast_engine::reviews`] and `holdfast_domain::review`).
//!
//! Refusals: `NOT_FOUND` for a booking that is not the caller's (or no review to reply to),
//! `INVALID_STATE` before the booking is completed or after the window, `ALREADY_EXISTS` for a
//! second, different review, `INVALID_INPUT` naming a bad field, `FORBIDDEN` for the wrong role.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use holdfast_domain::common::{AccountId, BookingId};
use holdfast_domain::review::{Rating, Review, ReviewCommand, ReviewText, WriteReview};
use holdfast_engine::{EngineError, Principal, reviews};
use serde::{Deserialize, Serialize};

use super::tenant::field;
use super::{Caller, once_on};
use crate::error::{ApiError, OrApi};
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
        let kept = reviews::keep_text(db, booking, guest, text.as_str(), caller.now())
            .await
            .or_api()?;
        let command = WriteReview {
            booking: facts,
            author: guest,
            rating,
            text: reviews::text_digest(text.as_str()),
            photos: Vec::new(),
        };
        let done = once_on(
            ctx,
            &caller,
            &caller.state.commands.reviews,
            booking.to_string(),
            async { Ok(ReviewCommand::Write(Box::new(command))) },
            payload_of,
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
        Ok(once_on(
            ctx,
            &caller,
            &caller.state.commands.reviews,
            booking.to_string(),
            async { Ok(ReviewCommand::Hide { reason }) },
            payload_of,
        )
        .await?)
    }
}
