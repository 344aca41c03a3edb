//! Value types of a booking: validated newtypes (party size, quantity, labels) and the records
//! a booking keeps (priced lines, totals, coupon, payments, refunds, cancellation).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::BookingStatus;
use crate::common::{
    BookingId, CampaignId, GuestId, InventoryId, ListingId, Money, Slot, TenantId,
};

/// A value that could not be parsed into one of the booking's newtypes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingValueError {
    /// A party size outside `1..=10 000`.
    #[error("party size must be between {min} and {max}, got {got}")]
    PartySizeOutOfRange {
        /// The value given.
        got: i64,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// A quantity of units outside `1..=10 000`.
    #[error("quantity must be between {min} and {max}, got {got}")]
    QuantityOutOfRange {
        /// The value given.
        got: i64,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// An empty label.
    #[error("a label must not be empty")]
    EmptyLabel,
    /// A label longer than allowed.
    #[error("a label has at most {max} characters, got {len}")]
    LabelTooLong {
        /// Characters given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A label with control characters or surrounding whitespace.
    #[error("a label must not contain control characters or surrounding whitespace")]
    LabelNotClean,
}

macro_rules! bounded_count {
    ($(#[$doc:meta])* $name:ident, $err:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "u32")]
        pub struct $name(u32);

        impl $name {
            /// Smallest allowed value.
            pub const MIN: u32 = 1;
            /// Largest allowed value.
            pub const MAX: u32 = 10_000;

            /// Parses any integer; out-of-range values are a typed error.
            pub fn parse(value: i64) -> Result<Self, BookingValueError> {
                match u32::try_from(value) {
                    Ok(v) if (Self::MIN..=Self::MAX).contains(&v) => Ok(Self(v)),
                    _ => Err(BookingValueError::$err {
                        got: value,
                        min: Self::MIN,
                        max: Self::MAX,
                    }),
                }
            }

            /// The value.
            pub fn get(self) -> u32 {
                self.0
            }
        }

        /// One: only the empty aggregate ever holds this default.
        impl Default for $name {
            fn default() -> Self {
                Self(Self::MIN)
            }
        }

        impl TryFrom<i64> for $name {
            type Error = BookingValueError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bounded_count!(
    /// How many guests (1..=10 000).
    PartySize,
    PartySizeOutOfRange
);
bounded_count!(
    /// How many units the booking holds on its inventory per slot (1..=10 000): often one room,
    /// or the party size for tickets.
    Quantity,
    QuantityOutOfRange
);

/// A short identifier from outside: a payment provider, a payment or refund reference, a
/// coupon code, a policy rule code. 1..=128 characters, no control characters, no surrounding
/// whitespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    /// The most characters a label may have.
    pub const MAX_CHARS: usize = 128;

    /// Validates `value`.
    pub fn parse(value: &str) -> Result<Self, BookingValueError> {
        let len = value.chars().count();
        if len == 0 {
            return Err(BookingValueError::EmptyLabel);
        }
        if len > Self::MAX_CHARS {
            return Err(BookingValueError::LabelTooLong {
                len,
                max: Self::MAX_CHARS,
            });
        }
        if value.chars().any(char::is_control) || value.trim() != value {
            return Err(BookingValueError::LabelNotClean);
        }
        Ok(Self(value.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = BookingValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Label> for String {
    fn from(value: Label) -> Self {
        value.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ids every booking event carries, so that read models (booking by guest, the operator's
/// day sheet per tenant) never need to look anything up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct BookingKeys {
    /// The booking.
    pub booking_id: BookingId,
    /// The business.
    pub tenant_id: TenantId,
    /// What was booked.
    pub listing_id: ListingId,
    /// The capacity calendar the units are held on.
    pub inventory_id: InventoryId,
    /// Who booked.
    pub guest_id: GuestId,
}

/// The price of one slot: `amount = unit_price × quantity`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PricedLine {
    /// The slot priced.
    pub slot: Slot,
    /// Price of one unit for this slot (never negative).
    pub unit_price: Money,
    /// Units (equal to the booking's quantity).
    pub quantity: Quantity,
    /// `unit_price × quantity`.
    pub amount: Money,
}

/// What the booking costs. Always `total = subtotal − discount ≥ 0`, all in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of the lines.
    pub subtotal: Money,
    /// The coupon's discount (zero without a coupon).
    pub discount: Money,
    /// What the guest pays.
    pub total: Money,
}

/// A coupon applied to the booking; restored to the campaign when the booking is cancelled,
/// expires or is rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedCoupon {
    /// The campaign the code belongs to.
    pub campaign_id: CampaignId,
    /// The code the guest entered.
    pub code: Label,
    /// The discount it gave.
    pub discount: Money,
}

/// Points spent on the booking (one point is one minor unit of its currency); given back,
/// with the refund share, when it is cancelled, and in full when it expires or is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedPoints {
    /// The business whose programme they are.
    pub tenant_id: crate::common::TenantId,
    /// How many.
    pub points: u64,
    /// What they paid.
    pub value: Money,
}

/// Money received from a payment provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Payment {
    /// Who took the payment (e.g. `stripe`).
    pub provider: Label,
    /// The provider's reference; unique per booking (a repeat is a no-op).
    pub reference: Label,
    /// The amount received.
    pub amount: Money,
    /// When the provider says it was paid.
    pub paid_at: DateTime<Utc>,
}

/// Money given back to the guest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refund {
    /// The provider's refund reference; unique per booking (a repeat is a no-op).
    pub reference: Label,
    /// The amount refunded (positive).
    pub amount: Money,
    /// When it was recorded.
    pub refunded_at: DateTime<Utc>,
}

/// Who cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CancelledBy {
    /// The guest.
    Guest,
    /// The business's operator.
    Operator,
    /// Holdfast itself (a process compensating a failure).
    System,
}

/// Why a booking was cancelled: a code, never free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CancellationReason {
    /// The guest asked.
    GuestRequest,
    /// The guest declined a waitlist offer.
    OfferDeclined,
    /// The guest left the waitlist.
    LeftWaitlist,
    /// A duplicate of another booking.
    Duplicate,
    /// The listing or slot can no longer be served (closure, overbooking, force majeure).
    ListingUnavailable,
    /// The guest abandoned payment.
    PaymentAbandoned,
    /// The process could not complete a step (e.g. allocation after payment) and compensated.
    ProcessFailed,
    /// Suspected fraud.
    Fraud,
    /// Anything else.
    Other,
}

/// Why placement failed: a code, never free text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code")]
pub enum RejectionReason {
    /// Not enough capacity on a slot.
    SoldOut,
    /// A slot is closed.
    SlotClosed,
    /// The listing's booking policy forbids it.
    PolicyViolation {
        /// The rule's code (e.g. `LEAD_TIME`).
        rule: Label,
    },
    /// The coupon could not be claimed.
    CouponRejected,
    /// The payment was declined.
    PaymentFailed,
    /// The placement stopped half-way (the server died after holding) and the booking worker
    /// released what it had taken once the hold ran out.
    Abandoned,
}

/// A message the booking worker sends a guest ahead of a deadline, at most once per booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reminder {
    /// A confirmed booking starts soon.
    Upcoming,
    /// An unpaid hold runs out soon.
    HoldExpiring,
}

impl Reminder {
    /// The status a booking must be in for this reminder.
    pub fn status(self) -> BookingStatus {
        match self {
            Self::Upcoming => BookingStatus::Confirmed,
            Self::HoldExpiring => BookingStatus::Held,
        }
    }
}

impl std::fmt::Display for Reminder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Upcoming => "upcoming",
            Self::HoldExpiring => "hold-expiring",
        })
    }
}

/// A cancellation record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cancellation {
    /// Who cancelled.
    pub by: CancelledBy,
    /// Why.
    pub reason: CancellationReason,
    /// The status the booking was cancelled from.
    pub from: BookingStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// One move of the state machine, with its instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status before (`None` when the booking was created).
    pub from: Option<BookingStatus>,
    /// The status after.
    pub to: BookingStatus,
    /// When (the domain clock's instant).
    pub at: DateTime<Utc>,
}
