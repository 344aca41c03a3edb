//! The `Listing` aggregate (`TYPE = "Listing"`): what a business offers — name, category, tags,
//! description, location, time zone, display price — its lifecycle status and its
//! [`BookingPolicy`](crate::policy::BookingPolicy) (versioned: every change bumps the version).
//!
//! A listing holds **no inventory**: capacity, prices per slot, holds and allocations live in
//! `Inventory` aggregates, so catalogue edits (metadata, status, policy) never contend with
//! bookings and never change availability.
//!
//! Files: `values.rs` (validated name, tags, description, location, time zone), `status.rs`
//! (the lifecycle state machine), `commands.rs`, `events.rs`, `error.rs`, `aggregate.rs`
//! (`decide` holds the rules; `apply` only folds).

pub mod aggregate;
pub mod commands;
pub mod error;
pub mod events;
pub mod photos;
pub mod ratings;
pub mod status;
pub mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{Listing, ListingDetails, ListingState};
pub use commands::{CreateListing, ListingCommand, LocationInput, UpdateListingDetails};
pub use error::{ListingError, LocationError, TextProblem};
pub use events::ListingEvent;
pub use ratings::Ratings;
pub use status::ListingStatus;
pub use values::{
    Category, Description, GeoPoint, ListingName, Location, SuspensionReason, Tag, Tags,
    parse_time_zone,
};
