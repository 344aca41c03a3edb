//! Holdfast's pure domain model. No I/O, no runtime, no database.
//!
//! - [`common`]: value types shared by every aggregate — ids ([`common::ids`]), money
//!   ([`common::money`]), slots and slot ranges ([`common::slot`]).
//! - [`services`]: the small traits behind which anything external lives (the [`services::Clock`]),
//!   with deterministic implementations for tests.
//!
//! - [`inventory`]: the Inventory aggregate, one bookable unit's capacity calendar and the single
//!   authority on availability.
//! - [`coupon`]: the Coupon campaign aggregate: claim, redeem, restore on cancel.
//!
//! Aggregates (one folder each: `mod.rs`, `aggregate.rs`, `commands.rs`, `events.rs`, `error.rs`)
//! are added as modules next to these.

pub mod common;
pub mod coupon;
pub mod inventory;
pub mod services;
