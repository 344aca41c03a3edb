//! What can be asked of an inventory, and the validated values those requests carry.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::error::{InventoryError, InventoryNameError};
use crate::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Money, Slot, TenantId,
};

/// The most slots one range command (capacity, price, close, open) may touch.
pub const MAX_SLOTS_PER_COMMAND: usize = 20_000;
/// The most slots one hold may cover (a year of nights).
pub const MAX_SLOTS_PER_HOLD: usize = 366;
/// The highest capacity a slot may have.
pub const MAX_CAPACITY: u32 = 1_000_000;

/// A display name for an inventory: trimmed, 1 to [`InventoryName::MAX_CHARS`] characters, no
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InventoryName(String);

impl InventoryName {
    /// The longest name accepted, in characters.
    pub const MAX_CHARS: usize = 120;

    /// Trims and validates a name.
    pub fn parse(s: &str) -> Result<Self, InventoryNameError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(InventoryNameError::Empty);
        }
        let chars = trimmed.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(InventoryNameError::TooLong {
                chars,
                max: Self::MAX_CHARS,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InventoryNameError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InventoryName {
    type Error = InventoryNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<InventoryName> for String {
    fn from(value: InventoryName) -> Self {
        value.0
    }
}

/// Which slots a range command touches: every date of `dates`, either as a day slot (a night,
/// an event date) when `times` is empty, or once per start time in `times`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSelection {
    /// The dates, half-open `[from, to)`.
    pub dates: DateRange,
    /// Start times (whole minutes; seconds are dropped); empty for day slots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<NaiveTime>,
}

impl SlotSelection {
    /// The day slots (nights, event dates) of `dates`.
    pub fn days(dates: DateRange) -> Self {
        Self {
            dates,
            times: Vec::new(),
        }
    }

    /// One slot per date of `dates` and start time in `times`.
    pub fn at_times(dates: DateRange, times: Vec<NaiveTime>) -> Self {
        Self { dates, times }
    }

    /// The selected slots, in order. Counts before building, so a huge selection costs nothing:
    /// empty → [`InventoryError::SelectionEmpty`], more than [`MAX_SLOTS_PER_COMMAND`] →
    /// [`InventoryError::SelectionTooLarge`].
    pub fn slots(&self) -> Result<BTreeSet<Slot>, InventoryError> {
        let times: BTreeSet<NaiveTime> = self
            .times
            .iter()
            .map(|t| {
                t.with_second(0)
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(*t)
            })
            .collect();
        // A deserialised range is not re-validated: a reversed one simply selects nothing.
        let days = u64::try_from(self.dates.days()).unwrap_or(0);
        let per_day = times.len().max(1) as u64;
        let count = days.saturating_mul(per_day);
        if count == 0 {
            return Err(InventoryError::SelectionEmpty);
        }
        if count > MAX_SLOTS_PER_COMMAND as u64 {
            return Err(InventoryError::SelectionTooLarge {
                slots: count,
                max: MAX_SLOTS_PER_COMMAND,
            });
        }
        let slots = if times.is_empty() {
            self.dates.dates().map(Slot::day).collect()
        } else {
            self.dates
                .dates()
                .flat_map(|d| times.iter().map(move |t| Slot::at(d, *t)))
                .collect()
        };
        Ok(slots)
    }
}

/// Why a hold is given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// The hold outlived its expiry without being confirmed.
    Expired,
    /// The guest or the operator cancelled before confirmation.
    Cancelled,
    /// A later step of the booking process failed (payment, coupon…), so the hold is compensated.
    Failed,
}

/// A request to an [`Inventory`](super::Inventory).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryCommand {
    /// Creates the inventory. Repeating it identically changes nothing.
    DefineInventory {
        /// The inventory's id (its stream id).
        inventory_id: InventoryId,
        /// The business that owns it.
        tenant_id: TenantId,
        /// The listing it is stock for.
        listing_id: ListingId,
        /// Its display name.
        name: InventoryName,
        /// The currency of every price on it.
        currency: Currency,
    },
    /// Sets the capacity of the selected slots, creating those that do not exist yet. All slots or
    /// none: lowering a slot below what is held and allocated there is rejected.
    SetCapacity {
        /// The slots.
        selection: SlotSelection,
        /// The new capacity (at most [`MAX_CAPACITY`]).
        capacity: u32,
    },
    /// Sets the price of one unit of each selected (existing) slot.
    SetPrice {
        /// The slots.
        selection: SlotSelection,
        /// The price (non-negative, in the inventory's currency).
        price: Money,
    },
    /// Stops new holds on the selected slots; existing holds and allocations stay.
    CloseSlots {
        /// The slots.
        selection: SlotSelection,
    },
    /// Accepts holds again on the selected slots.
    OpenSlots {
        /// The slots.
        selection: SlotSelection,
    },
    /// Reserves `quantity` units of every slot in `slots` for a booking, all or none.
    PlaceHold {
        /// The booking the hold is for (one hold per booking).
        booking_id: BookingId,
        /// The slots (non-empty, distinct, at most [`MAX_SLOTS_PER_HOLD`]).
        slots: Vec<Slot>,
        /// Units per slot (at least 1).
        quantity: u32,
        /// When the hold should be released if not confirmed (must be in the future). The
        /// expiry of an identical repeat is ignored: the first one stands.
        expires_at: DateTime<Utc>,
    },
    /// Turns a booking's hold into an allocation (works even past the hold's expiry, as long as
    /// it was not released).
    ConfirmHold {
        /// The booking.
        booking_id: BookingId,
    },
    /// Gives a booking's unconfirmed hold back.
    ReleaseHold {
        /// The booking.
        booking_id: BookingId,
        /// Why.
        reason: ReleaseReason,
    },
    /// Gives a confirmed booking's allocation back (a cancellation).
    ReleaseAllocation {
        /// The booking.
        booking_id: BookingId,
    },
    /// Renames the inventory and replaces what guests read about it. Repeating it identically
    /// changes nothing.
    DescribeInventory {
        /// Its display name.
        name: InventoryName,
        /// Its description, occupancy and attributes.
        content: super::content::InventoryContent,
    },
}
