//! Secret calendar feed addresses (`myCalendarFeed`, `inventoryCalendarFeed`): an iCalendar
//! URL a calendar app subscribes to (`GET /calendar/<token>.ics`, served by
//! [`crate::calendar`]). Asking again gives the same address; `reset: true` replaces it (the
//! old one stops working), for an address that leaked.

use async_graphql::{Context, ID, Object, SimpleObject};
use holdfast_domain::common::InventoryId;
use holdfast_domain::inventory::Inventory;
use holdfast_engine::Principal;
use holdfast_engine::calendar::{CalendarFeeds, Feed, FeedKind};

use super::account::now;
use crate::error::{ApiError, OrApi};
use crate::identity::Identity;
use crate::schema::context::{authenticated, state};
use crate::schema::types::parse_id;

/// A calendar feed's address.
#[derive(SimpleObject, Clone, Debug)]
pub struct CalendarFeed {
    /// The address on this server (`/calendar/<secret>.ics`).
    pub path: String,
    /// The whole address, when this deployment knows its public URL (`--public-url`).
    pub url: Option<String>,
}

fn feed(ctx: &Context<'_>, feed: &Feed) -> CalendarFeed {
    let path = crate::calendar::feed_path(&feed.token);
    let url = ctx
        .data_opt::<std::sync::Arc<Identity>>()
        .map(|identity| format!("{}{path}", identity.public_url));
    CalendarFeed { path, url }
}

/// Calendar feed mutations.
#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// The calling guest's feed of their bookings (guests only; `FORBIDDEN` otherwise).
    async fn my_calendar_feed(
        &self,
        ctx: &Context<'_>,
        reset: Option<bool>,
    ) -> async_graphql::Result<CalendarFeed> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let feeds = CalendarFeeds::new(&state(ctx).store);
        let subject = guest.to_string();
        let found = if reset.unwrap_or(false) {
            feeds.reset(FeedKind::Guest, &subject, "", now(ctx)).await
        } else {
            feeds
                .get_or_create(FeedKind::Guest, &subject, "", now(ctx))
                .await
        }
        .or_api()?;
        Ok(feed(ctx, &found))
    }

    /// An inventory's feed of its bookings, for its tenant's operators (and admins).
    /// `NOT_FOUND` for an unknown inventory, `FORBIDDEN` for another tenant's.
    async fn inventory_calendar_feed(
        &self,
        ctx: &Context<'_>,
        inventory_id: ID,
        reset: Option<bool>,
    ) -> async_graphql::Result<CalendarFeed> {
        let id = parse_id("inventoryId", &inventory_id, InventoryId::parse)?;
        let principal = authenticated(ctx)?;
        let engine = state(ctx);
        let inventory: Inventory = holdfast_engine::process::load(&engine.store, &id.to_string())
            .await
            .or_api()?;
        let Some(definition) = inventory.definition() else {
            return Err(ApiError::not_found("inventory").into());
        };
        if !principal.operates(definition.tenant_id) {
            return Err(ApiError::forbidden().into());
        }
        let feeds = CalendarFeeds::new(&engine.store);
        let (subject, tenant) = (id.to_string(), definition.tenant_id.to_string());
        let found = if reset.unwrap_or(false) {
            feeds
                .reset(FeedKind::Inventory, &subject, &tenant, now(ctx))
                .await
        } else {
            feeds
                .get_or_create(FeedKind::Inventory, &subject, &tenant, now(ctx))
                .await
        }
        .or_api()?;
        Ok(feed(ctx, &found))
    }
}
