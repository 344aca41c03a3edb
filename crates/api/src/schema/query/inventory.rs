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

/// A date with something free (`nextAvailableDates`).
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct AvailableDate {
    /// The local date.
    pub date: Date,
    /// The free slots that day (`2030-02-01` or `2030-02-01T18:30`), in order, each once.
    pub slots: Vec<String>,
    /// The inventories with a free slot that day.
    pub inventory_ids: Vec<ID>,
    /// The lowest unit price among them, if priced.
    pub lowest_price: Option<crate::schema::types::money::Money>,
}

/// What is free on one date: slots, inventories, the lowest price (minor units, currency).
type FreeDay = (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
    Option<(i64, String)>,
);

/// The most dates `nextAvailableDates` returns.
pub const MAX_NEXT_DATES: i32 = 31;

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

    /// The next dates (from `from`, default today in the listing's time zone, up to a year
    /// ahead) on which some inventory of a listing has a slot open with a unit free: `count`
    /// of them (1..=31, default 5). The listing must be published (or the caller operates it).
    async fn next_available_dates(
        &self,
        ctx: &Context<'_>,
        listing_id: ID,
        from: Option<Date>,
        count: Option<i32>,
        consistency_token: Option<String>,
    ) -> Result<Vec<AvailableDate>> {
        use std::collections::BTreeMap;
        let listing = parse_id(
            "listingId",
            &listing_id,
            holdfast_domain::common::ListingId::parse,
        )?
        .to_string();
        let count = count.unwrap_or(5);
        if !(1..=MAX_NEXT_DATES).contains(&count) {
            return Err(ApiError::invalid(format!("count: 1 to {MAX_NEXT_DATES}")).into());
        }
        let token = consistency_token.as_deref();
        let listing = listing.as_str();
        let doc = read(ctx, Table::Search, token, |store, table| async move {
            holdfast_engine::read_models::listing_document(store.as_ref(), table, listing).await
        })
        .await?
        .ok_or_else(|| ApiError::not_found("listing"))?;
        let visible = doc.status == "published"
            || holdfast_domain::common::TenantId::parse(&doc.tenant_id)
                .is_ok_and(|t| crate::schema::context::principal(ctx).operates(t));
        if !visible {
            return Err(ApiError::not_found("listing").into());
        }
        let zone: chrono_tz::Tz = doc.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let today = crate::schema::context::state(ctx)
            .services
            .clock
            .now()
            .with_timezone(&zone)
            .date_naive();
        let start = from.map_or(today, |d| d.0);
        let end = start
            .checked_add_signed(chrono::Duration::days(MAX_AVAILABILITY_DAYS - 1))
            .ok_or_else(|| ApiError::invalid("from: a date too far ahead"))?;
        // date → (slots, inventories, lowest price)
        let mut dates: BTreeMap<chrono::NaiveDate, FreeDay> = BTreeMap::new();
        for inventory in &doc.inventory_ids {
            let inventory = inventory.as_str();
            let days = read(ctx, Table::Calendar, token, |store, table| async move {
                calendar(store.as_ref(), table, inventory, start, end).await
            })
            .await?;
            for day in days.into_iter().filter(|d| !d.closed && d.available > 0) {
                let entry = dates.entry(day.date).or_default();
                entry.0.insert(day.slot.clone());
                entry.1.insert(inventory.to_owned());
                if let Some(price) = &day.price {
                    let lower = entry
                        .2
                        .as_ref()
                        .is_none_or(|(amount, _)| price.amount_minor < *amount);
                    if lower {
                        entry.2 = Some((price.amount_minor, price.currency.clone()));
                    }
                }
            }
        }
        Ok(dates
            .into_iter()
            .take(count as usize)
            .map(|(date, (slots, inventories, price))| AvailableDate {
                date: Date(date),
                slots: slots.into_iter().collect(),
                inventory_ids: inventories.into_iter().map(ID).collect(),
                lowest_price: price.map(|(amount_minor, currency)| {
                    crate::schema::types::money::Money {
                        amount_minor,
                        currency,
                    }
                }),
            })
            .collect())
    }
}
