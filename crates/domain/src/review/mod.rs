//! The **Review** aggregate: a guest's review of a booking they completed — a rating from 1 to
//! 5, their words and photos — the business's reply, and whether an admin hid it. One review per
//! booking: the aggregate's id is the booking's.
//!
//! What the guest wrote is personal data, so the log never holds it: the events carry a
//! [`Digest`] of the text and the photos' ids, while the words live in the engine's erasable
//! store (forgetting the guest deletes them and the photos; the rating stays, naming no one).
//!
//! The rules ([`Review::decide`](crate::Decide)):
//! - only the booking's own guest may review it ([`ReviewError::NotYourBooking`]);
//! - only once it is completed: checked in, or confirmed and ended (a no-show, a cancellation,
//!   an unpaid hold never) ([`ReviewError::NotCompleted`]);
//! - within [`REVIEW_WINDOW_DAYS`] of its end ([`ReviewError::WindowClosed`]);
//! - once ([`ReviewError::AlreadyReviewed`]; the same review again is a no-op);
//! - at most [`MAX_PHOTOS`] photos; text at most [`ReviewText::MAX`] characters;
//! - the business replies to a written review ([`ReviewError::NoReview`] before), and may change
//!   its reply; an admin hides a review with a reason (the events stay; read models hide it).

mod aggregate;
#[cfg(test)]
mod tests;

pub use crate::tenant::Digest;
pub use aggregate::{
    BookingFacts, MAX_PHOTOS, REVIEW_WINDOW_DAYS, Rating, Review, ReviewCommand, ReviewError,
    ReviewEvent, ReviewPhoto, ReviewState, ReviewText, WriteReview,
};
