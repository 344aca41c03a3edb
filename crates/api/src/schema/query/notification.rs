//! `notificationDeliveries`: the outbox's deliveries, for operators (their tenant's only) and
//! admins (every tenant's, or one's). Read from the event store's database (the outbox's own
//! table), so it needs no consistency token.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::common::TenantId;

use crate::error::ApiError;
use crate::schema::context::{authenticated, state};
use crate::schema::types::notification::{DeliveryStatusGql, NotificationDelivery};
use crate::schema::types::{connection_complexity, page_size, parse_id};
use holdfast_engine::Principal;
use holdfast_engine::notify::{DeliveryFilter, ListCursor, OutboxStore};

/// A page of deliveries.
pub type NotificationDeliveryConnection = Connection<String, NotificationDelivery>;

/// The tenant whose deliveries `principal` may list, given the `asked` one: an operator's own
/// (another is `FORBIDDEN`), any for an admin (`None`: all), nothing for anyone else.
pub fn visible_tenant(
    principal: &Principal,
    asked: Option<TenantId>,
) -> Result<Option<TenantId>, ApiError> {
    match (principal, asked) {
        (Principal::Operator { tenant, .. }, None) => Ok(Some(*tenant)),
        (Principal::Operator { tenant, .. }, Some(asked)) if *tenant == asked => Ok(Some(asked)),
        (Principal::Admin { .. }, asked) => Ok(asked),
        _ => Err(ApiError::forbidden()),
    }
}

/// Notification queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Notification deliveries in log order (then sink), optionally of one status, tenant or
    /// sink. Operators see their tenant's; admins every tenant's (or `tenantId`'s).
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    async fn notification_deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<DeliveryStatusGql>,
        tenant_id: Option<ID>,
        sink: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NotificationDeliveryConnection> {
        let principal = authenticated(ctx)?;
        let asked = tenant_id
            .map(|t| parse_id("tenantId", &t, TenantId::parse))
            .transpose()?;
        let tenant = visible_tenant(principal, asked)?;
        let first = page_size(first)?;
        let cursor = after
            .as_deref()
            .map(|a| {
                ListCursor::parse(a)
                    .ok_or_else(|| ApiError::invalid("after is not a cursor of this field"))
            })
            .transpose()?;
        let filter = DeliveryFilter {
            status: status.map(Into::into),
            tenant_id: tenant.map(|t| t.to_string()),
            sink,
            notification_id: None,
        };
        let mut rows = OutboxStore::new(&state(ctx).store)
            .list(&filter, cursor.as_ref(), first + 1)
            .await
            .map_err(ApiError::from)?;
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        let mut connection = Connection::new(cursor.is_some(), has_next_page);
        connection.edges.extend(rows.into_iter().map(|d| {
            Edge::new(
                ListCursor::after(&d).to_string(),
                NotificationDelivery::from(d),
            )
        }));
        Ok(connection)
    }
}
