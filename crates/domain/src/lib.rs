//! Holdfast's pure domain model. No I/O, no runtime, no database.
//!
//! - [`common`]: value types shared by every aggregate — ids ([`common::ids`]), money
//!   ([`common::money`]), slots and slot ranges ([`common::slot`]).
//! - [`services`]: the small traits behind which anything external lives (the [`services::Clock`]),
//!   with deterministic implementations for tests.
//!
//! - [`policy`]: the booking policy value object (windows, lead time, stays, party sizes,
//!   blackouts, buffers…) and its DST-correct evaluation of booking requests.
//! - [`listing`]: the `Listing` aggregate — what a business offers, its metadata, status and
//!   booking policy.
//!
//! Aggregates (one folder each: `mod.rs`, `aggregate.rs`, `commands.rs`, `events.rs`, `error.rs`)
//! are added as modules next to these.

pub mod common;
pub mod listing;
pub mod policy;
pub mod services;
