//! The booking's state machine: its statuses and the one function that says which moves exist.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a booking is in its life.
///
/// ```text
/// Requested ──► Held ──► Confirmed ──► CheckedIn | NoShow | Cancelled
///    │  └─► Rejected │  └─► Expired
///    └─► Cancelled   └─► Cancelled
/// Waitlisted ──► Offered ──► Held          (then as above)
///    └─► Cancelled  ├─► Cancelled (declined or cancelled)
///                   └─► Expired   (offer ran out)
/// ```
/// `CheckedIn`, `NoShow`, `Cancelled`, `Expired` and `Rejected` are terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BookingStatus {
    /// Asked for; inventory not yet held.
    Requested,
    /// Inventory held until the hold expires; waiting for payment.
    Held,
    /// Paid; the units are the guest's.
    Confirmed,
    /// The guest arrived.
    CheckedIn,
    /// The guest did not come.
    NoShow,
    /// Cancelled by the guest, the operator or the system.
    Cancelled,
    /// The hold or the waitlist offer ran out.
    Expired,
    /// Placement failed (sold out, policy, coupon, payment).
    Rejected,
    /// On the waitlist for a range of dates.
    Waitlisted,
    /// A waitlisted guest has been offered slots until the offer expires.
    Offered,
}

impl BookingStatus {
    /// Every status, for exhaustive tests and tooling.
    pub const ALL: [BookingStatus; 10] = [
        Self::Requested,
        Self::Held,
        Self::Confirmed,
        Self::CheckedIn,
        Self::NoShow,
        Self::Cancelled,
        Self::Expired,
        Self::Rejected,
        Self::Waitlisted,
        Self::Offered,
    ];

    /// The status's name as the API spells it (`CHECKED_IN`): GraphQL's enum values, webhook
    /// answers and notifications all use this one spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Requested => "REQUESTED",
            Self::Held => "HELD",
            Self::Confirmed => "CONFIRMED",
            Self::CheckedIn => "CHECKED_IN",
            Self::NoShow => "NO_SHOW",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::Rejected => "REJECTED",
            Self::Waitlisted => "WAITLISTED",
            Self::Offered => "OFFERED",
        }
    }

    /// The statuses a booking may start in (from nothing).
    pub const INITIAL: [BookingStatus; 2] = [Self::Requested, Self::Waitlisted];

    /// The statuses this one may move to. Empty for terminal statuses.
    pub fn next(self) -> &'static [BookingStatus] {
        use BookingStatus::*;
        match self {
            Requested => &[Held, Rejected, Cancelled],
            Held => &[Confirmed, Expired, Cancelled],
            Confirmed => &[CheckedIn, NoShow, Cancelled],
            Waitlisted => &[Offered, Cancelled],
            Offered => &[Held, Cancelled, Expired],
            CheckedIn | NoShow | Cancelled | Expired | Rejected => &[],
        }
    }

    /// Whether `self → to` is an edge of the state machine.
    pub fn can_transition_to(self, to: BookingStatus) -> bool {
        self.next().contains(&to)
    }

    /// Whether no move leaves this status.
    pub fn is_terminal(self) -> bool {
        self.next().is_empty()
    }

    /// The name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Held => "Held",
            Self::Confirmed => "Confirmed",
            Self::CheckedIn => "CheckedIn",
            Self::NoShow => "NoShow",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
            Self::Rejected => "Rejected",
            Self::Waitlisted => "Waitlisted",
            Self::Offered => "Offered",
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
