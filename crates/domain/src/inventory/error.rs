//! Why an inventory command was rejected: one variant per broken rule, carrying the facts.

use chrono::{DateTime, Utc};

use crate::common::{BookingId, Currency, InventoryId, Slot};

/// An inventory name that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryNameError {
    /// Nothing but white space.
    #[error("the inventory name is empty")]
    Empty,
    /// Longer than allowed.
    #[error("the inventory name has {chars} characters, at most {max} are allowed")]
    TooLong {
        /// Characters given (after trimming).
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A control character (new line, tab…) inside the name.
    #[error("the inventory name contains a control character")]
    ControlCharacter,
}

/// A rule of the [`Inventory`](super::Inventory) that a command would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Any command but `DefineInventory` before the inventory exists.
    #[error("the inventory has not been defined")]
    NotDefined,
    /// `DefineInventory` again, with different details.
    #[error("inventory {inventory_id} is already defined with other details")]
    AlreadyDefined {
        /// The existing inventory.
        inventory_id: InventoryId,
    },
    /// A range command that selects no slot.
    #[error("the selection contains no slot")]
    SelectionEmpty,
    /// A range command that selects too many slots.
    #[error("the selection has {slots} slots, at most {max} per command")]
    SelectionTooLarge {
        /// Slots selected.
        slots: u64,
        /// The limit.
        max: usize,
    },
    /// A capacity above the maximum.
    #[error("capacity {requested} exceeds the maximum of {max}")]
    CapacityTooLarge {
        /// The capacity asked for.
        requested: u32,
        /// The limit.
        max: u32,
    },
    /// Lowering capacity below what is already held and allocated on a slot.
    #[error("slot {slot} has {taken} units taken, cannot lower its capacity to {requested}")]
    CapacityBelowTaken {
        /// The first slot (in time) where it happens.
        slot: Slot,
        /// Units held + allocated there.
        taken: u32,
        /// The capacity asked for.
        requested: u32,
        /// The bookings holding or allocated on that slot.
        bookings: Vec<BookingId>,
    },
    /// A price in another currency than the inventory's.
    #[error("price in {got}, the inventory sells in {expected}")]
    CurrencyMismatch {
        /// The inventory's currency.
        expected: Currency,
        /// The currency given.
        got: Currency,
    },
    /// A negative price.
    #[error("price must not be negative, got {amount_minor}")]
    NegativePrice {
        /// The amount given, in minor units.
        amount_minor: i64,
    },
    /// A slot on which no capacity was ever set.
    #[error("slot {slot} is not offered by this inventory")]
    SlotNotOffered {
        /// The slot.
        slot: Slot,
    },
    /// A hold on a closed slot.
    #[error("slot {slot} is closed")]
    SlotClosed {
        /// The slot.
        slot: Slot,
    },
    /// Not enough units left on a slot.
    #[error("slot {slot} is sold out: {requested} requested, {available} available")]
    SoldOut {
        /// The first slot (in time) short of units.
        slot: Slot,
        /// Units asked for.
        requested: u32,
        /// Units left.
        available: u32,
    },
    /// A hold with no slot.
    #[error("a hold needs at least one slot")]
    NoSlots,
    /// The same slot twice in one hold.
    #[error("slot {slot} appears twice in the hold")]
    DuplicateSlot {
        /// The repeated slot.
        slot: Slot,
    },
    /// A hold over too many slots.
    #[error("a hold may cover at most {max} slots, {requested} given")]
    TooManySlots {
        /// Slots given.
        requested: usize,
        /// The limit.
        max: usize,
    },
    /// A hold of zero units.
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    /// A hold that would already be expired.
    #[error("hold expiry {expires_at} is not after now ({now})")]
    ExpiryInPast {
        /// The expiry given.
        expires_at: DateTime<Utc>,
        /// The clock's now.
        now: DateTime<Utc>,
    },
    /// A different hold for a booking that already holds units here.
    #[error("booking {booking_id} already holds other units")]
    HoldAlreadyExists {
        /// The booking.
        booking_id: BookingId,
    },
    /// A command about a booking whose hold or allocation was already released.
    #[error("booking {booking_id} has already released its units")]
    BookingAlreadyFinished {
        /// The booking.
        booking_id: BookingId,
    },
    /// Confirming or releasing a hold the booking never had.
    #[error("booking {booking_id} has no hold here")]
    HoldNotFound {
        /// The booking.
        booking_id: BookingId,
    },
    /// Releasing (or replacing) a hold that was already confirmed.
    #[error("booking {booking_id}'s hold was already confirmed")]
    HoldAlreadyConfirmed {
        /// The booking.
        booking_id: BookingId,
    },
    /// Releasing an allocation the booking never had.
    #[error("booking {booking_id} has no allocation here")]
    AllocationNotFound {
        /// The booking.
        booking_id: BookingId,
    },
    /// Releasing as an allocation what is still an unconfirmed hold (release the hold instead).
    #[error("booking {booking_id}'s hold is not confirmed yet")]
    HoldNotConfirmed {
        /// The booking.
        booking_id: BookingId,
    },
    /// Pricing a slot that has no price yet.
    #[error("slot {slot} has no price")]
    SlotNotPriced {
        /// The slot.
        slot: Slot,
    },
    /// A price × quantity that does not fit in 64 bits.
    #[error("price of slot {slot} × {quantity} overflows")]
    PriceOverflow {
        /// The slot.
        slot: Slot,
        /// The quantity.
        quantity: u32,
    },
}
