//! Identifiers: ULIDs (sortable, not guessable), one newtype per kind so that a booking id can
//! never be passed where an inventory id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// The text given was not a ULID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {kind} id (expected a 26-character ULID)")]
pub struct IdParseError {
    /// Which kind of id was being parsed.
    pub kind: &'static str,
    /// The rejected input (truncated to 64 characters).
    pub input: String,
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Ulid);

        impl $name {
            /// A fresh id (random, time-ordered).
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            /// Parses the canonical 26-character form.
            pub fn parse(s: &str) -> Result<Self, IdParseError> {
                Ulid::from_string(s).map(Self).map_err(|_| IdParseError {
                    kind: $kind,
                    input: s.chars().take(64).collect(),
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self(Ulid::nil())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

ulid_id!(
    /// A business (hotel, restaurant, shop…) using Holdfast.
    TenantId, "tenant"
);
ulid_id!(
    /// A listing: what a business offers.
    ListingId, "listing"
);
ulid_id!(
    /// One bookable unit's capacity calendar (a room type, a table group, a ticket product).
    InventoryId, "inventory"
);
ulid_id!(
    /// One guest's reservation.
    BookingId, "booking"
);
ulid_id!(
    /// A coupon campaign.
    CampaignId, "campaign"
);
ulid_id!(
    /// A guest (the subject of a guest token).
    GuestId, "guest"
);
ulid_id!(
    /// A person's account (operators and owners of businesses; the subject of their tokens).
    AccountId, "account"
);
ulid_id!(
    /// An invitation to join a business.
    InvitationId, "invitation"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = BookingId::new();
        assert_eq!(BookingId::parse(&id.to_string()), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<BookingId>(&json).unwrap(), id);
    }

    #[test]
    fn it_should_reject_a_malformed_id_with_its_kind() {
        let err = InventoryId::parse("42").unwrap_err();
        assert_eq!(err.kind, "inventory");
        assert_eq!(err.input, "42");
    }
}
