//! What happened to a listing. Every event carries the tenant and listing ids plus what changed,
//! so projections (search index, catalogue) build from events alone.

use chrono_tz::Tz;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::status::ListingStatus;
use super::values::{Category, Description, ListingName, Location, SuspensionReason, Tags};
use crate::common::{ListingId, Money, TenantId};
use crate::policy::BookingPolicy;

/// The events of the `Listing` aggregate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ListingEvent {
    /// A listing was created, as a draft, with policy version 1.
    ListingCreated {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// Name.
        name: ListingName,
        /// Category.
        category: Category,
        /// Tags (normalised, sorted).
        tags: Tags,
        /// Description.
        description: Description,
        /// Location.
        location: Location,
        /// Time zone (serialised by IANA name).
        time_zone: Tz,
        /// Display price.
        display_price: Money,
        /// Booking policy, version 1.
        policy: BookingPolicy,
    },
    /// Some metadata changed; only the changed fields are present.
    ListingDetailsUpdated {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// New name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<ListingName>,
        /// New category.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<Category>,
        /// New tags (the full set).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Tags>,
        /// New description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<Description>,
        /// New location.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<Location>,
        /// New time zone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zone: Option<Tz>,
        /// New display price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display_price: Option<Money>,
    },
    /// The booking policy was replaced; `policy` is the full new policy with its version.
    ListingBookingPolicyChanged {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// The new policy (its version is the previous one plus one).
        policy: BookingPolicy,
    },
    /// Draft → Published.
    ListingPublished {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
    },
    /// Published → Suspended.
    ListingSuspended {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// Why.
        reason: SuspensionReason,
    },
    /// Suspended → Published.
    ListingReinstated {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
    },
    /// Archived, for good.
    ListingArchived {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// The status it was archived from.
        from: ListingStatus,
    },
    /// A photo was added.
    ListingPhotoAdded {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// The photo.
        photo: super::photos::ListingPhoto,
    },
    /// A photo was removed.
    ListingPhotoRemoved {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// Its id.
        photo_id: String,
    },
    /// A review was counted in (or, hidden, taken out of) its ratings: the whole tally after.
    ListingRatingsChanged {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// The review that changed it (its booking).
        booking_id: crate::common::BookingId,
        /// The tally after.
        ratings: super::ratings::Ratings,
    },
    /// Its structured attributes were replaced.
    ListingAttributesSet {
        /// Owner.
        tenant_id: TenantId,
        /// Listing.
        listing_id: ListingId,
        /// The attributes, by kind and value.
        attributes: Vec<crate::inventory::Attribute>,
    },
}

impl DomainEvent for ListingEvent {
    fn event_type(&self) -> String {
        match self {
            ListingEvent::ListingCreated { .. } => "ListingCreated",
            ListingEvent::ListingDetailsUpdated { .. } => "ListingDetailsUpdated",
            ListingEvent::ListingBookingPolicyChanged { .. } => "ListingBookingPolicyChanged",
            ListingEvent::ListingPublished { .. } => "ListingPublished",
            ListingEvent::ListingSuspended { .. } => "ListingSuspended",
            ListingEvent::ListingReinstated { .. } => "ListingReinstated",
            ListingEvent::ListingArchived { .. } => "ListingArchived",
            ListingEvent::ListingAttributesSet { .. } => "ListingAttributesSet",
            ListingEvent::ListingRatingsChanged { .. } => "ListingRatingsChanged",
            ListingEvent::ListingPhotoAdded { .. } => "ListingPhotoAdded",
            ListingEvent::ListingPhotoRemoved { .. } => "ListingPhotoRemoved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
