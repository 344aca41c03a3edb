//! The **Inventory** aggregate: one bookable unit's capacity calendar (a room type, a table
//! group, a ticket product) and the single authority on availability.
//!
//! - [`commands`] holds [`InventoryCommand`], the [`SlotSelection`] of range commands, [`InventoryName`];
//! - [`events`] holds [`InventoryEvent`], each carrying the resulting [`SlotSnapshot`] of the slots it
//!   touched so read models never replay history;
//! - [`content`] holds [`InventoryContent`]: what guests read (description, occupancy,
//!   attributes);
//! - [`error`] holds [`InventoryError`], one variant per broken rule;
//! - `aggregate` / `decide` hold the state ([`Inventory`]) with its read helpers
//!   ([`Inventory::available`], [`Inventory::price_lines`]) and the rules (its
//!   [`Decide`](crate::Decide) impl).
//!
//! Invariant on every slot, always: `held + allocated <= capacity`.

mod aggregate;
pub mod commands;
pub mod content;
mod decide;
pub mod error;
pub mod events;

#[cfg(test)]
mod tests;

pub use aggregate::{Allocation, Finished, Hold, Inventory, InventoryDefinition, SlotState};
pub use commands::{
    InventoryCommand, InventoryName, MAX_CAPACITY, MAX_SLOTS_PER_COMMAND, MAX_SLOTS_PER_HOLD,
    ReleaseReason, SlotSelection,
};
pub use content::{Attribute, AttributeKind, ContentError, InventoryContent, attributes_checked};
pub use error::{InventoryError, InventoryNameError};
pub use events::{InventoryEvent, SlotSnapshot};
