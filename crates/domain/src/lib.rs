//! Holdfast's pure domain model. No I/O, no runtime, no database.
//!
//! - [`common`]: value types shared by every aggregate — ids ([`common::ids`]), money
//!   ([`common::money`]), slots and slot ranges ([`common::slot`]).
//! - [`services`]: the small traits behind which anything external lives (the [`services::Clock`]),
//!   with deterministic implementations for tests.
//! - [`booking`]: the Booking aggregate — one guest's reservation and its state machine.
//!
//! Aggregates (one folder each: `mod.rs`, `aggregate.rs`, `commands.rs`, `events.rs`, `error.rs`)
//! are added as modules next to these.

pub mod booking;
pub mod common;
pub mod services;
