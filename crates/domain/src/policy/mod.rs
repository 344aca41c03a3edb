//! Booking policy: the per-listing rules every booking request must pass, enforced in the
//! domain (never only in a UI).
//!
//! - [`PolicySpec`] is the rules as given; [`BookingPolicy::new`] validates and normalises them
//!   ([`PolicyError`] otherwise) into a versioned value object that the `Listing` aggregate owns.
//! - [`BookingPolicy::evaluate`] checks a [`BookingRequest`] at an instant, in the listing's time
//!   zone, and resolves it to the [`ResolvedBooking`] to hold, or reports the first broken rule as
//!   a [`PolicyViolation`] (the order is documented in [`evaluate`]).
//! - [`local_time`] holds the local-time rules: dates and nights are counted on the local
//!   calendar, durations in real elapsed time; a local time in a spring-forward gap maps to the
//!   first instant after the gap, an ambiguous one (fall-back) to the earlier instant.
//!
//! Files: `values.rs` (slot kinds, window opening, party sizes, closed days),
//! `booking_policy.rs` (spec, validation), `evaluate.rs` (requests and evaluation),
//! `requests.rs` (requests the process builds: waitlist candidates, re-booking), `error.rs`.

pub mod booking_policy;
pub mod error;
pub mod evaluate;
pub mod local_time;
pub mod requests;
pub mod values;

#[cfg(test)]
mod tests;

pub use booking_policy::{BookingPolicy, PolicySpec};
pub use error::{PolicyError, PolicyViolation};
pub use evaluate::{BookingRequest, RequestedSlots, ResolvedBooking};
pub use local_time::{local_date, local_date_time_to_utc, local_to_utc};
pub use values::{ClosedDays, PartySize, PartySizeRange, SlotKind, WindowOpening};
