//! `eventHistory`: the raw events of one aggregate, from the event store (admins only;
//! `UNAUTHENTICATED` without a token, `FORBIDDEN` for anyone else). It reads the source of
//! truth, so it needs no consistency token.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::common::{BookingId, CampaignId, InventoryId, ListingId};

use crate::error::{ApiError, ErrorCode};
use crate::schema::context::{authenticated, state};
use crate::schema::types::event::{AggregateType, StoredEvent};
use crate::schema::types::{connection_complexity, page_size, parse_id};

/// A page of stored events.
pub type EventConnection = Connection<String, StoredEvent>;

/// Administrators' queries.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// The events of one aggregate in stream order (cursor: the sequence). Admins only.
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    async fn event_history(
        &self,
        ctx: &Context<'_>,
        aggregate_type: AggregateType,
        aggregate_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<EventConnection> {
        if !authenticated(ctx)?.is_admin() {
            return Err(ApiError::forbidden().into());
        }
        let id = match aggregate_type {
            AggregateType::Listing => {
                parse_id("aggregateId", &aggregate_id, ListingId::parse)?.to_string()
            }
            AggregateType::Inventory => {
                parse_id("aggregateId", &aggregate_id, InventoryId::parse)?.to_string()
            }
            AggregateType::Booking | AggregateType::Review => {
                parse_id("aggregateId", &aggregate_id, BookingId::parse)?.to_string()
            }
            AggregateType::Coupon => {
                parse_id("aggregateId", &aggregate_id, CampaignId::parse)?.to_string()
            }
        };
        let first = page_size(first)?;
        let after_sequence = match &after {
            None => 0,
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| ApiError::invalid("after is not a cursor of this field"))?,
        };
        let mut events = state(ctx)
            .store
            .aggregate_events(aggregate_type.stored_name(), &id, after_sequence, first + 1)
            .await
            .map_err(|e| {
                if e.is_transient() {
                    ApiError::new(
                        ErrorCode::Unavailable,
                        "the event store is unavailable; retry",
                    )
                } else {
                    ApiError::internal(e)
                }
            })?;
        let has_next_page = events.len() > first;
        events.truncate(first);
        let mut connection = Connection::new(after_sequence > 0, has_next_page);
        connection.edges.extend(
            events
                .into_iter()
                .map(|e| Edge::new(e.sequence.to_string(), StoredEvent::from(e))),
        );
        Ok(connection)
    }
}
