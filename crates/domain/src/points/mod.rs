//! **Points**: a business's loyalty programme ([`PointsTerms`], kept on the tenant) and each
//! guest's [`PointsAccount`] in it (id `<tenant>:<guest>`, [`account_id`]).
//!
//! Points come in **lots** — what one completed booking earned, or one operator grant — each
//! with its expiry. The rules ([`PointsAccount::decide`](crate::Decide)):
//! - a completed booking earns once ([`PointsError::AlreadyEarned`] for other points; the same
//!   again is a no-op); earned points expire `expire_days` after they are earned;
//! - spending takes from the lots usable now, soonest to expire first, never more than the
//!   balance ([`PointsError::InsufficientPoints`]); a booking spends once
//!   ([`PointsError::AlreadySpent`]);
//! - a cancelled booking's points come back once, its refund share of them
//!   ([`PointsCommand::Restore`]), to the lots they came from, latest-expiring first (they keep
//!   their expiry);
//! - `Expire` removes what is left of every lot past its expiry (the booking worker sends it);
//! - an operator adjusts with a reason: a grant is a new lot, a deduction never takes the
//!   balance below zero.
//!
//! The balance is therefore never negative, and always equals what was earned, granted and
//! restored minus what was spent, deducted and expired (the property tests check both).

mod aggregate;
pub mod platform;
#[cfg(test)]
mod tests;

pub use aggregate::{
    AccountState, Lot, LotSource, MAX_POINTS, MAX_REASON_CHARS, PointsAccount, PointsCommand,
    PointsError, PointsEvent, PointsTerms, Spending, Take, account_id,
};
pub use platform::{PLATFORM, PlatformProgram, SetPlatformProgram};
