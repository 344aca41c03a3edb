//! What can be asked of a listing. Commands carry raw input; `decide` parses it into the
//! validated values (an invalid name, tag, location, time zone or policy is a typed
//! [`super::ListingError`]).

use serde::{Deserialize, Serialize};

use super::values::Category;
use crate::common::{ListingId, Money, TenantId};
use crate::policy::PolicySpec;

/// A location as given: address, ISO 3166 region code, coordinates in 10⁻⁷ degrees (see
/// [`super::GeoPoint::parse_degrees`] to get them from decimal text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationInput {
    /// Postal address.
    pub address: String,
    /// `KR`, `KR-11`, `DE-BE`…
    pub region_code: String,
    /// Latitude, 10⁻⁷ degrees.
    pub lat_e7: i64,
    /// Longitude, 10⁻⁷ degrees.
    pub lon_e7: i64,
}

/// Creates the listing (its id is the aggregate id, repeated here for the event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateListing {
    /// The listing (aggregate) id.
    pub listing_id: ListingId,
    /// The business that owns it.
    pub tenant_id: TenantId,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Tags (normalised and deduplicated).
    pub tags: Vec<String>,
    /// Description.
    pub description: String,
    /// Location.
    pub location: LocationInput,
    /// IANA time zone name, e.g. `Asia/Seoul`.
    pub time_zone: String,
    /// The price shown in listings (not what a booking costs: inventories price slots).
    pub display_price: Money,
    /// The booking rules (become version 1).
    pub policy: PolicySpec,
}

/// Changes any subset of the metadata; `None` leaves a field as it is. Never touches
/// availability (there is no inventory in a listing).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpdateListingDetails {
    /// New name.
    pub name: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New tags (replace the old set).
    pub tags: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
    /// New location.
    pub location: Option<LocationInput>,
    /// New IANA time zone name.
    pub time_zone: Option<String>,
    /// New display price.
    pub display_price: Option<Money>,
}

/// The commands of the `Listing` aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListingCommand {
    /// Create the listing, as a draft.
    CreateListing(Box<CreateListing>),
    /// Edit metadata.
    UpdateListingDetails(Box<UpdateListingDetails>),
    /// Replace the booking policy (bumps its version).
    ChangeBookingPolicy {
        /// The new rules.
        policy: Box<PolicySpec>,
    },
    /// Draft → Published.
    Publish,
    /// Published → Suspended.
    Suspend {
        /// Why (shown to the business).
        reason: String,
    },
    /// Suspended → Published.
    Reinstate,
    /// Draft, Published or Suspended → Archived (final).
    Archive,
    /// Add a photo (of the listing, or of one of its inventories) whose objects are kept.
    AddPhoto {
        /// The photo.
        photo: super::photos::ListingPhoto,
    },
    /// Remove a photo.
    RemovePhoto {
        /// Its id.
        photo_id: String,
    },
    /// Count a written review's stars in the listing's ratings.
    CountReview {
        /// The booking reviewed (the review's id).
        booking_id: crate::common::BookingId,
        /// Its stars.
        rating: crate::review::Rating,
    },
    /// Take a hidden review's stars out of the listing's ratings.
    UncountReview {
        /// The booking reviewed.
        booking_id: crate::common::BookingId,
        /// Its stars.
        rating: crate::review::Rating,
    },
    /// Replace the listing's structured attributes (amenities, cuisine, seating,
    /// accessibility…). Identical ones change nothing.
    SetAttributes {
        /// The attributes (checked, sorted, no repeats).
        attributes: Vec<crate::inventory::Attribute>,
    },
}
