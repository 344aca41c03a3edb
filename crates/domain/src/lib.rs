//! Holdfast's pure domain model. No I/O, no runtime, no database.
//!
//! - [`common`]: value types shared by every aggregate — ids ([`common::ids`]), money
//!   ([`common::money`]), slots and slot ranges ([`common::slot`]), cancellation tiers.
//! - [`services`]: the small traits behind which anything external lives (the [`services::Clock`]),
//!   with deterministic implementations for tests.
//! - [`policy`]: the booking policy value object (windows, lead time, stays, party sizes,
//!   blackouts, buffers…) and its DST-correct evaluation of booking requests.
//! - [`listing`]: the `Listing` aggregate — what a business offers, its metadata, status and
//!   booking policy.
//! - [`inventory`]: the Inventory aggregate, one bookable unit's capacity calendar and the single
//!   authority on availability.
//! - [`coupon`]: the Coupon campaign aggregate: claim, redeem, restore on cancel.
//! - [`booking`]: the Booking aggregate — one guest's reservation and its state machine.
//! - [`decide`]: the [`Decide`] trait every aggregate implements — its rules, in a pure,
//!   synchronous `decide(&self, command, services)` — and the one [`decide::handle`] they all
//!   use as their `cqrs_es::Aggregate::handle` (decide, then write and apply each event).
//! - [`testing`]: a synchronous given/when/then harness on [`Decide`] (the names of
//!   `cqrs_es::test`), which every aggregate's tests use and other crates' tests can too.
//!
//! Each aggregate is a folder (`mod.rs`, `aggregate.rs`, `commands.rs`, `events.rs`,
//! `error.rs`); its rules live in its `impl Decide`, `apply` only folds the events, and
//! `handle` is [`decide::handle`].

pub mod booking;
pub mod common;
pub mod coupon;
pub mod decide;
pub mod guest;
pub mod inventory;
pub mod listing;
pub mod points;
pub mod policy;
pub mod review;
pub mod series;
pub mod services;
pub mod tenant;
pub mod testing;
pub mod watch;

pub use decide::Decide;
