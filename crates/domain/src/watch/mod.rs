//! **Availability alerts**: a guest [`Watch`]es sold-out slots of an inventory for a party and
//! is told when they free up — without holding anything (unlike the waitlist, which offers a
//! held place to the first in line). The booking worker compares each live watch with its
//! inventory ([`free_on`]) whenever the inventory changes: a cancellation, an expired hold, a
//! capacity raise, reopened slots.
//!
//! The rules ([`Watch::decide`](crate::Decide)):
//! - a watch covers 1 to [`MAX_WATCHED_SLOTS`] distinct slots, for a party of at least one,
//!   and only future dates ([`WatchError::DatesPassed`]);
//! - it tells once per freeing: an **armed** watch whose quantity fits becomes **alerted**
//!   (`WatchAlerted`, which the outbox and the live streams deliver); an alerted watch stays
//!   quiet however many more units free up, and arms again only once the slots sell out again
//!   (`WatchRearmed`) — so a storm of cancellations sends one alert per watch, not one per unit;
//! - its guest may stop it; it expires when its first slot can no longer be booked.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{
    MAX_WATCHED_SLOTS, Watch, WatchCommand, WatchError, WatchEvent, WatchState, WatchStatus,
    WatchTerms, free_on,
};
