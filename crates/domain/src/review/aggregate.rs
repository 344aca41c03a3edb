//! The review's values, commands, events, errors, state and rules.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::booking::BookingStatus;
use crate::common::{AccountId, BookingId, GuestId, ListingId, TenantId};
use crate::decide::Decide;
use crate::services::DomainServices;
use crate::tenant::Digest;

/// How long after a booking ends its guest may review it.
pub const REVIEW_WINDOW_DAYS: i64 = 30;
/// The most photos a review carries.
pub const MAX_PHOTOS: usize = 6;

/// A rating, 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    /// A rating of `stars` (1–5).
    ///
    /// # Errors
    ///
    /// [`ReviewError::InvalidRating`].
    pub fn new(stars: i64) -> Result<Self, ReviewError> {
        match u8::try_from(stars) {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err(ReviewError::InvalidRating { got: stars }),
        }
    }

    /// The stars.
    pub fn stars(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = ReviewError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(i64::from(value))
    }
}

impl From<Rating> for u8 {
    fn from(value: Rating) -> Self {
        value.0
    }
}

/// What the guest (or the business, replying) wrote: trimmed, at most [`ReviewText::MAX`]
/// characters, no control characters but line breaks. It never enters the log (its digest
/// does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewText(String);

impl ReviewText {
    /// The longest text, in characters.
    pub const MAX: usize = 2_000;

    /// Parses a text.
    ///
    /// # Errors
    ///
    /// [`ReviewError::TextTooLong`], [`ReviewError::InvalidText`].
    pub fn parse(input: &str) -> Result<Self, ReviewError> {
        let text = input.trim();
        let length = text.chars().count();
        if length > Self::MAX {
            return Err(ReviewError::TextTooLong {
                max: Self::MAX,
                got: length,
            });
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(ReviewError::InvalidText);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A photo of a review: its id in the photo store (1–64 of `A-Z a-z 0-9 - _`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReviewPhoto(String);

impl ReviewPhoto {
    /// Parses a photo id.
    ///
    /// # Errors
    ///
    /// [`ReviewError::InvalidPhoto`].
    pub fn parse(input: &str) -> Result<Self, ReviewError> {
        let ok = !input.is_empty()
            && input.len() <= 64
            && input
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(ReviewError::InvalidPhoto)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReviewPhoto {
    type Error = ReviewError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ReviewPhoto> for String {
    fn from(value: ReviewPhoto) -> Self {
        value.0
    }
}

/// What the engine read of the booking being reviewed (the review cannot see the booking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFacts {
    /// The booking.
    pub booking_id: BookingId,
    /// Its guest.
    pub guest_id: GuestId,
    /// Its business.
    pub tenant_id: TenantId,
    /// What was booked.
    pub listing_id: ListingId,
    /// Its status now.
    pub status: BookingStatus,
    /// When it ends (`None`: it has no slots, e.g. a waitlist entry).
    pub ends_at: Option<DateTime<Utc>>,
}

/// A guest writes their review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReview {
    /// The booking, as the engine read it.
    pub booking: BookingFacts,
    /// Who writes.
    pub author: GuestId,
    /// The stars.
    pub rating: Rating,
    /// The digest of the words (kept in the erasable store).
    pub text: Digest,
    /// The photos.
    pub photos: Vec<ReviewPhoto>,
}

/// What can be asked of a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewCommand {
    /// The guest writes it.
    Write(Box<WriteReview>),
    /// The business replies (or changes its reply): the digest of the reply's words.
    Reply {
        /// Who replies (an operator of the business; the engine checks membership).
        by: AccountId,
        /// The digest of the reply.
        text: Digest,
    },
    /// An admin hides it from guests.
    Hide {
        /// Why (1–500 characters).
        reason: String,
    },
}

/// What happened to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ReviewEvent {
    /// The guest wrote it.
    ReviewWritten {
        /// The booking (the review's id).
        booking_id: BookingId,
        /// The guest.
        guest_id: GuestId,
        /// The business.
        tenant_id: TenantId,
        /// The listing.
        listing_id: ListingId,
        /// The stars.
        rating: Rating,
        /// The digest of the words.
        text: Digest,
        /// The photos.
        photos: Vec<ReviewPhoto>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The business replied (again: the new reply replaces the old).
    ReviewReplied {
        /// The booking.
        booking_id: BookingId,
        /// The listing (where read models keep the review).
        listing_id: ListingId,
        /// Who replied.
        by: AccountId,
        /// The digest of the reply.
        text: Digest,
        /// When.
        at: DateTime<Utc>,
    },
    /// An admin hid it.
    ReviewHidden {
        /// The booking.
        booking_id: BookingId,
        /// The listing.
        listing_id: ListingId,
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ReviewEvent {
    fn event_type(&self) -> String {
        match self {
            ReviewEvent::ReviewWritten { .. } => "ReviewWritten",
            ReviewEvent::ReviewReplied { .. } => "ReviewReplied",
            ReviewEvent::ReviewHidden { .. } => "ReviewHidden",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// Why a review command is refused: one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// Someone other than the booking's guest.
    #[error("only the booking's guest may review it")]
    NotYourBooking,
    /// The booking is not completed (checked in, or confirmed and over).
    #[error("a booking can be reviewed once it is completed (it is {status:?})")]
    NotCompleted {
        /// Its status.
        status: BookingStatus,
    },
    /// Too long after the booking ended.
    #[error("reviews close {days} days after the booking ended ({closed_at})")]
    WindowClosed {
        /// The window.
        days: i64,
        /// When it closed.
        closed_at: DateTime<Utc>,
    },
    /// It was reviewed already (with something else).
    #[error("this booking was reviewed already")]
    AlreadyReviewed,
    /// No review to reply to or hide.
    #[error("there is no review of this booking")]
    NoReview,
    /// The stars are not 1–5.
    #[error("a rating is 1 to 5 stars (got {got})")]
    InvalidRating {
        /// What was given.
        got: i64,
    },
    /// Too long a text.
    #[error("at most {max} characters (got {got})")]
    TextTooLong {
        /// The limit.
        max: usize,
        /// The length given.
        got: usize,
    },
    /// Control characters in a text.
    #[error("the text has control characters")]
    InvalidText,
    /// A malformed photo id.
    #[error("a photo id is 1–64 letters, digits, '-' or '_'")]
    InvalidPhoto,
    /// Too many photos, or one twice.
    #[error("at most {max} different photos (got {got})")]
    TooManyPhotos {
        /// The limit.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// A hiding reason that is empty or longer than 500 characters.
    #[error("a reason is 1 to 500 characters")]
    InvalidReason,
}

/// A written review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    /// The booking.
    pub booking_id: BookingId,
    /// The guest.
    pub guest_id: GuestId,
    /// The business.
    pub tenant_id: TenantId,
    /// The listing.
    pub listing_id: ListingId,
    /// The stars.
    pub rating: Rating,
    /// The digest of the words.
    pub text: Digest,
    /// The photos.
    pub photos: Vec<ReviewPhoto>,
    /// When it was written.
    pub written_at: DateTime<Utc>,
    /// The business's reply: its digest, who, when.
    pub reply: Option<(Digest, AccountId, DateTime<Utc>)>,
    /// Why an admin hid it.
    pub hidden: Option<String>,
}

/// A booking's review (none until written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    state: Option<ReviewState>,
}

impl Review {
    /// The review, once written.
    pub fn state(&self) -> Option<&ReviewState> {
        self.state.as_ref()
    }
}

impl Aggregate for Review {
    const TYPE: &'static str = "Review";
    type Command = ReviewCommand;
    type Event = ReviewEvent;
    type Error = ReviewError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ReviewEvent::ReviewWritten {
                booking_id,
                guest_id,
                tenant_id,
                listing_id,
                rating,
                text,
                photos,
                at,
            } => {
                self.state = Some(ReviewState {
                    booking_id,
                    guest_id,
                    tenant_id,
                    listing_id,
                    rating,
                    text,
                    photos,
                    written_at: at,
                    reply: None,
                    hidden: None,
                });
            }
            ReviewEvent::ReviewReplied { by, text, at, .. } => {
                if let Some(state) = &mut self.state {
                    state.reply = Some((text, by, at));
                }
            }
            ReviewEvent::ReviewHidden { reason, .. } => {
                if let Some(state) = &mut self.state {
                    state.hidden = Some(reason);
                }
            }
        }
    }
}

impl Decide for Review {
    fn decide(
        &self,
        command: ReviewCommand,
        services: &DomainServices,
    ) -> Result<Vec<ReviewEvent>, ReviewError> {
        let now = services.clock.now();
        match command {
            ReviewCommand::Write(write) => self.write(*write, now),
            ReviewCommand::Reply { by, text } => {
                let state = self.state().ok_or(ReviewError::NoReview)?;
                if state.reply.as_ref().is_some_and(|(t, _, _)| *t == text) {
                    return Ok(vec![]);
                }
                Ok(vec![ReviewEvent::ReviewReplied {
                    booking_id: state.booking_id,
                    listing_id: state.listing_id,
                    by,
                    text,
                    at: now,
                }])
            }
            ReviewCommand::Hide { reason } => {
                let state = self.state().ok_or(ReviewError::NoReview)?;
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > 500 {
                    return Err(ReviewError::InvalidReason);
                }
                if state.hidden.is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![ReviewEvent::ReviewHidden {
                    booking_id: state.booking_id,
                    listing_id: state.listing_id,
                    reason: reason.to_owned(),
                    at: now,
                }])
            }
        }
    }
}

impl Review {
    fn write(&self, w: WriteReview, now: DateTime<Utc>) -> Result<Vec<ReviewEvent>, ReviewError> {
        let b = &w.booking;
        if w.author != b.guest_id {
            return Err(ReviewError::NotYourBooking);
        }
        if let Some(existing) = self.state() {
            let same = existing.guest_id == w.author
                && existing.rating == w.rating
                && existing.text == w.text
                && existing.photos == w.photos;
            return if same {
                Ok(vec![])
            } else {
                Err(ReviewError::AlreadyReviewed)
            };
        }
        let ended = b.ends_at.is_some_and(|end| end <= now);
        let completed = match b.status {
            BookingStatus::CheckedIn => true,
            BookingStatus::Confirmed => ended,
            _ => false,
        };
        let Some(end) = b.ends_at.filter(|_| completed) else {
            return Err(ReviewError::NotCompleted { status: b.status });
        };
        // A checked-in guest may review from check-in on; the window runs from the end.
        let closes = end + Duration::days(REVIEW_WINDOW_DAYS);
        if now > closes {
            return Err(ReviewError::WindowClosed {
                days: REVIEW_WINDOW_DAYS,
                closed_at: closes,
            });
        }
        let mut distinct = w.photos.clone();
        distinct.sort();
        distinct.dedup();
        if w.photos.len() > MAX_PHOTOS || distinct.len() != w.photos.len() {
            return Err(ReviewError::TooManyPhotos {
                max: MAX_PHOTOS,
                got: w.photos.len(),
            });
        }
        Ok(vec![ReviewEvent::ReviewWritten {
            booking_id: b.booking_id,
            guest_id: b.guest_id,
            tenant_id: b.tenant_id,
            listing_id: b.listing_id,
            rating: w.rating,
            text: w.text,
            photos: w.photos,
            at: now,
        }])
    }
}
