//! The listing's lifecycle.

use serde::{Deserialize, Serialize};

/// Where a listing is in its lifecycle.
///
/// ```text
/// Draft ──publish──> Published ──suspend──> Suspended
///                       ^                       │
///                       └──────reinstate────────┘
/// Draft | Published | Suspended ──archive──> Archived (final)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// Being prepared; not visible to guests.
    #[default]
    Draft,
    /// Visible and bookable.
    Published,
    /// Temporarily hidden and not bookable.
    Suspended,
    /// Retired for good.
    Archived,
}

impl ListingStatus {
    /// Whether the state machine allows going from `self` to `to` (staying put is not a
    /// transition).
    pub fn can_transition_to(self, to: ListingStatus) -> bool {
        use ListingStatus::*;
        matches!(
            (self, to),
            (Draft, Published)
                | (Published, Suspended)
                | (Suspended, Published)
                | (Draft | Published | Suspended, Archived)
        )
    }

    /// Whether guests may book the listing.
    pub fn is_bookable(self) -> bool {
        self == ListingStatus::Published
    }
}
