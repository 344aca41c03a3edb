//! The event history's output types (admin only): raw stored events of one aggregate.

use async_graphql::{Enum, Json, SimpleObject};
use chrono::{DateTime, Utc};
use holdfast_eventstore::StoredEvent as Stored;

/// The kinds of aggregate in the event store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum AggregateType {
    /// `Listing`.
    Listing,
    /// `Inventory`.
    Inventory,
    /// `Booking`.
    Booking,
    /// `Coupon` (campaigns).
    Coupon,
    /// `Review` (one per booking: its id is the booking's).
    Review,
}

impl AggregateType {
    /// The stored `aggregate_type` (the aggregate's `TYPE`).
    pub fn stored_name(self) -> &'static str {
        use cqrs_es::Aggregate;
        match self {
            AggregateType::Listing => holdfast_domain::listing::Listing::TYPE,
            AggregateType::Inventory => holdfast_domain::inventory::Inventory::TYPE,
            AggregateType::Booking => holdfast_domain::booking::Booking::TYPE,
            AggregateType::Coupon => holdfast_domain::coupon::CouponCampaign::TYPE,
            AggregateType::Review => holdfast_domain::review::Review::TYPE,
        }
    }
}

/// One stored event, as recorded.
#[derive(Clone, Debug, SimpleObject)]
pub struct StoredEvent {
    /// Its place in the global log (`tx.index`, also a consistency token).
    pub position: String,
    /// Its place in the aggregate's own stream (1-based).
    pub sequence: u64,
    /// The event's type name.
    pub event_type: String,
    /// The event's schema version.
    pub event_version: String,
    /// The serialised event.
    pub payload: Json<serde_json::Value>,
    /// Metadata recorded with it.
    pub metadata: Json<serde_json::Value>,
    /// When the store recorded it.
    pub recorded_at: DateTime<Utc>,
}

impl From<Stored> for StoredEvent {
    fn from(e: Stored) -> Self {
        Self {
            position: e.position.to_string(),
            sequence: e.sequence,
            event_type: e.event_type,
            event_version: e.event_version,
            payload: Json(e.payload),
            metadata: Json(e.metadata),
            recorded_at: e.recorded_at,
        }
    }
}
