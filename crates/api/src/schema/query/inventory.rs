//! `availability(inventoryId, from, to)`: the public calendar of one inventory.

use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::common::InventoryId;
use holdfast_projections::models::calendar::calendar;
use holdfast_projections::store::Table;

use crate::error::ApiError;
use crate::schema::context::read;
use crate::schema::types::calendar::CalendarDay;
use crate::schema::types::{Date, parse_id};

/// The longest range `availability` serves, in days (both ends included).
pub const MAX_AVAILABILITY_DAYS: i64 = 366;

/// Days in `[from, to]`, capped to [`MAX_AVAILABILITY_DAYS`] (for complexity).
fn range_days(from: &Date, to: &Date) -> usize {
    ((to.0 - from.0).num_days() + 1).clamp(1, MAX_AVAILABILITY_DAYS) as usize
}

/// Inventory queries.
#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// The slots of an inventory from `from` to `to` (both included, at most 366 days), in
    /// order. Public. An inventory with no slots in the range (or no such inventory) gives an
    /// empty list.
    #[graphql(complexity = "1 + range_days(&from, &to).div_ceil(31) * child_complexity")]
    async fn availability(
        &self,
        ctx: &Context<'_>,
        inventory_id: ID,
        from: Date,
        to: Date,
        consistency_token: Option<String>,
    ) -> Result<Vec<CalendarDay>> {
        let inventory = parse_id("inventoryId", &inventory_id, InventoryId::parse)?.to_string();
        let inventory = inventory.as_str();
        if to < from {
            return Err(ApiError::invalid("`to` is before `from`").into());
        }
        if (to.0 - from.0).num_days() + 1 > MAX_AVAILABILITY_DAYS {
            return Err(ApiError::invalid(format!(
                "availability covers at most {MAX_AVAILABILITY_DAYS} days"
            ))
            .into());
        }
        let days =
            read(
                ctx,
                Table::Calendar,
                consistency_token.as_deref(),
                |store, table| async move {
                    calendar(store.as_ref(), table, inventory, from.0, to.0).await
                },
            )
            .await?;
        Ok(days.into_iter().map(CalendarDay::from).collect())
    }
}
