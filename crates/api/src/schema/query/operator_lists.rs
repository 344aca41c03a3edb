//! The back office's lists (operators of the business, and admins): an inventory's waitlist,
//! the business's guests, its dashboard, and its bookings over dates — from the bookings read
//! model, with each guest's contact details. Denials follow the rule in [`super::booking`].

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::booking::BookingStatus;
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_projections::models::bookings::{
    BookingView, bookings_between, bookings_created_between, guests_of_tenant, range_cursor,
    waitlist,
};
use holdfast_projections::store::Table;

use crate::error::{ApiError, OrApi};
use crate::schema::context::authenticated;
use crate::schema::context::{read, state};
use crate::schema::types::account::GuestProfileGql;
use crate::schema::types::booking::DaySheetEntry;
use crate::schema::types::{Date, connection_complexity, page_size, parse_id};

/// The back office's list queries.
#[derive(Default)]
pub struct OperatorListsQuery;

#[Object]
impl OperatorListsQuery {
    /// The bookings waiting on an inventory, first come first, with their guests' contact
    /// details: for its business's operators and admins (`FORBIDDEN` otherwise, `NOT_FOUND`
    /// for an unknown inventory).
    async fn inventory_waitlist(
        &self,
        ctx: &Context<'_>,
        inventory_id: ID,
        consistency_token: Option<String>,
    ) -> Result<Vec<WaitlistEntry>> {
        use holdfast_domain::common::InventoryId;
        let principal = authenticated(ctx)?;
        let id = parse_id("inventoryId", &inventory_id, InventoryId::parse)?;
        let inventory: holdfast_domain::inventory::Inventory =
            holdfast_engine::process::load(&state(ctx).store, &id.to_string())
                .await
                .or_api()?;
        let Some(definition) = inventory.definition() else {
            return Err(ApiError::not_found("inventory").into());
        };
        if !principal.operates(definition.tenant_id) {
            return Err(ApiError::forbidden().into());
        }
        let id = id.to_string();
        let id = id.as_str();
        let entries = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move { waitlist(store.as_ref(), table, id).await },
        )
        .await?;
        let guests: Vec<&str> = entries.iter().map(|e| e.guest_id.as_str()).collect();
        let profiles = profiles_of(ctx, &guests).await?;
        Ok(entries
            .into_iter()
            .map(|e| WaitlistEntry {
                guest: profile_in(&profiles, &e.guest_id),
                booking_id: ID(e.booking_id),
                status: e.status.into(),
                guest_id: ID(e.guest_id),
                party_size: e.party_size,
                wanted_from: e.wanted.map(|w| Date(w.from)),
                wanted_to: e.wanted.map(|w| Date(w.to.pred_opt().unwrap_or(w.to))),
                wanted_time: e.wanted_time.map(|t| t.format("%H:%M").to_string()),
                slot_count: e.slot_count,
                waitlisted_at: e.waitlisted_at,
                offer_expires_at: e.offer_expires_at,
            })
            .collect())
    }

    /// Everyone who booked with a business (or joined one of its waitlists), by guest id,
    /// with their latest booking and contact details: its operators and admins only.
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    async fn business_guests(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        first: Option<i32>,
        after: Option<String>,
        consistency_token: Option<String>,
    ) -> Result<Connection<String, BusinessGuest>> {
        let principal = authenticated(ctx)?;
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if !principal.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let first = page_size(first)?;
        let tenant = tenant.to_string();
        let (tenant, after_id) = (tenant.as_str(), after.as_deref());
        let page = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move {
                guests_of_tenant(store.as_ref(), table, tenant, first, after_id).await
            },
        )
        .await?;
        let guests: Vec<&str> = page.items.iter().map(|g| g.guest_id.as_str()).collect();
        let profiles = profiles_of(ctx, &guests).await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        for g in page.items {
            let guest = profile_in(&profiles, &g.guest_id);
            connection.edges.push(Edge::new(
                g.guest_id.clone(),
                BusinessGuest {
                    guest_id: ID(g.guest_id),
                    last_booking_id: ID(g.last_booking_id),
                    last_booked_at: g.last_booked_at,
                    guest,
                },
            ));
        }
        Ok(connection)
    }

    /// A business's figures over local dates `from..=to` (at most 92 days): bookings,
    /// cancellations, no-shows, revenue, occupancy, lead time. Its operators and admins only.
    async fn business_dashboard(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        from: Date,
        to: Date,
        consistency_token: Option<String>,
    ) -> Result<BusinessDashboard> {
        let principal = authenticated(ctx)?;
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if !principal.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let f = holdfast_engine::dashboard::figures(
            state(ctx),
            &tenant.to_string(),
            from.0,
            to.0,
            consistency_token.as_deref(),
        )
        .await
        .or_api()?;
        let money = |m: &std::collections::BTreeMap<String, i64>| {
            m.iter()
                .map(|(currency, amount)| crate::schema::types::money::Money {
                    amount_minor: *amount,
                    currency: currency.clone(),
                })
                .collect()
        };
        Ok(BusinessDashboard {
            from,
            to,
            bookings: f.bookings,
            cancellations: f.cancellations,
            no_shows: f.no_shows,
            revenue: money(&f.revenue),
            gross_revenue: money(&f.gross_revenue),
            occupancy: f.occupancy(),
            units_offered: f.units_offered,
            units_allocated: f.units_allocated,
            lead_time_median_days: f.lead_time_median_days,
            lead_time_mean_days: f.lead_time_mean_days,
        })
    }

    /// A business's bookings starting on dates `from..=to` (the listing's local dates, at
    /// most 92 days), by date, slot and id — what the day sheets hold, with each guest's
    /// contact details; filtered by `status`, `inventoryId`, `guestId`. Its operators and
    /// admins only. (`GET /operator/bookings.csv` gives the same as CSV.)
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    #[allow(clippy::too_many_arguments)]
    async fn bookings_between(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        from: Date,
        to: Date,
        status: Option<Vec<crate::schema::types::booking::BookingStatus>>,
        inventory_id: Option<ID>,
        guest_id: Option<ID>,
        by: Option<BookingDate>,
        first: Option<i32>,
        after: Option<String>,
        consistency_token: Option<String>,
    ) -> Result<Connection<String, DaySheetEntry>> {
        let principal = authenticated(ctx)?;
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if !principal.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let first = page_size(first)?;
        let filter = RangeFilter::parse(status, inventory_id, guest_id)?;
        // Bad input is refused before anything is read.
        holdfast_projections::models::bookings::check_range(from.0, to.0)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        if let Some(cursor) = after.as_deref() {
            let prefix = if by == Some(BookingDate::Created) {
                "c1:"
            } else {
                "r1:"
            };
            let date_ok = cursor
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_once('|'))
                .and_then(|(d, _)| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| d >= from.0 && d <= to.0);
            if !date_ok {
                return Err(ApiError::invalid("after: not a cursor of this list").into());
            }
        }
        let tenant = tenant.to_string();
        let (tenant, after_cursor, filter) = (tenant.as_str(), after.as_deref(), &filter);
        if by == Some(BookingDate::Created) {
            let page = read(
                ctx,
                Table::Bookings,
                consistency_token.as_deref(),
                |store, table| async move {
                    bookings_created_between(
                        store.as_ref(),
                        table,
                        tenant,
                        from.0,
                        to.0,
                        first,
                        after_cursor,
                        |v| filter.keeps_view(v),
                    )
                    .await
                },
            )
            .await?;
            let mut connection = Connection::new(after.is_some(), page.has_next_page);
            let last = page.items.len().saturating_sub(1);
            // Each edge's cursor resumes after it (`c1:<UTC date>|<made at, µs>#<id>`); the last
            // takes the page's own.
            let cursors: Vec<String> = page
                .items
                .iter()
                .map(|v| {
                    let at = v
                        .created_at
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                        .unwrap_or_default();
                    format!(
                        "c1:{}|{at}#{}",
                        at.get(..10).unwrap_or_default(),
                        v.booking_id
                    )
                })
                .collect();
            let entries: Vec<holdfast_projections::models::bookings::DaySheetEntry> =
                page.items.into_iter().map(entry_of).collect();
            for (i, (entry, cursor)) in with_guests(ctx, entries)
                .await?
                .into_iter()
                .zip(cursors)
                .enumerate()
            {
                let cursor = match (&page.end_cursor, i == last) {
                    (Some(end), true) => end.clone(),
                    _ => cursor,
                };
                connection.edges.push(Edge::new(cursor, entry));
            }
            return Ok(connection);
        }
        let page = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move {
                bookings_between(
                    store.as_ref(),
                    table,
                    tenant,
                    from.0,
                    to.0,
                    first,
                    after_cursor,
                    |e| filter.keeps(e),
                )
                .await
            },
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        let cursors: Vec<String> = page.items.iter().map(range_cursor).collect();
        for (cursor, entry) in cursors.into_iter().zip(with_guests(ctx, page.items).await?) {
            connection.edges.push(Edge::new(cursor, entry));
        }
        Ok(connection)
    }
}

/// A business's figures over dates (`businessDashboard`).
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct BusinessDashboard {
    /// First local date.
    pub from: Date,
    /// Last local date (inclusive).
    pub to: Date,
    /// Bookings starting then that stand confirmed (confirmed, checked in, no-show).
    pub bookings: u32,
    /// Confirmed bookings cancelled.
    pub cancellations: u32,
    /// Guests who did not come.
    pub no_shows: u32,
    /// Revenue after discounts, per currency.
    pub revenue: Vec<crate::schema::types::money::Money>,
    /// Revenue before discounts, per currency.
    pub gross_revenue: Vec<crate::schema::types::money::Money>,
    /// Units allocated over units offered on every slot of the business's inventories then
    /// (0..=1).
    pub occupancy: f64,
    /// Units offered.
    pub units_offered: u64,
    /// Units allocated to confirmed bookings.
    pub units_allocated: u64,
    /// Median days from request to start.
    pub lead_time_median_days: Option<f64>,
    /// Mean days from request to start.
    pub lead_time_mean_days: Option<f64>,
}

/// One booking waiting on an inventory (`inventoryWaitlist`).
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct WaitlistEntry {
    /// The booking.
    pub booking_id: ID,
    /// `WAITLISTED`, or `OFFERED` while an offer stands.
    pub status: crate::schema::types::booking::BookingStatus,
    /// The guest.
    pub guest_id: ID,
    /// How many guests.
    pub party_size: Option<u32>,
    /// First date wanted.
    pub wanted_from: Option<Date>,
    /// Last date wanted (inclusive).
    pub wanted_to: Option<Date>,
    /// The start time wanted (`HH:MM`), if any.
    pub wanted_time: Option<String>,
    /// How many slots.
    pub slot_count: Option<u32>,
    /// When the guest joined.
    pub waitlisted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Until when the pending offer stands.
    pub offer_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The guest's contact details (null without a profile).
    pub guest: Option<GuestProfileGql>,
}

/// A guest who booked with a business (`businessGuests`).
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct BusinessGuest {
    /// The guest.
    pub guest_id: ID,
    /// Their latest booking with the business.
    pub last_booking_id: ID,
    /// When they made it.
    pub last_booked_at: chrono::DateTime<chrono::Utc>,
    /// Their contact details (null without a profile, or once forgotten).
    pub guest: Option<GuestProfileGql>,
}

/// Profiles of `guests`, read in one go (callers check the caller operates their business).
async fn profiles_of(
    ctx: &Context<'_>,
    guests: &[&str],
) -> Result<std::collections::HashMap<GuestId, holdfast_engine::profiles::GuestProfile>, ApiError> {
    let ids: Vec<GuestId> = guests
        .iter()
        .filter_map(|g| GuestId::parse(g).ok())
        .collect();
    state(ctx).profiles.many(&ids).await.or_api()
}

/// The profile of the guest `id` among `profiles`, as the schema shows it.
fn profile_in(
    profiles: &std::collections::HashMap<GuestId, holdfast_engine::profiles::GuestProfile>,
    id: &str,
) -> Option<GuestProfileGql> {
    GuestId::parse(id)
        .ok()
        .and_then(|g| profiles.get(&g).cloned())
        .map(Into::into)
}

/// Which date `bookingsBetween` ranges over.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BookingDate {
    /// The local date the booking starts (the day sheets).
    #[default]
    Starts,
    /// The UTC date it was made (requested or waitlisted); waitlist entries included.
    Created,
}

/// What `bookingsBetween` keeps.
pub struct RangeFilter {
    statuses: Option<Vec<BookingStatus>>,
    inventory: Option<String>,
    guest: Option<String>,
}

impl RangeFilter {
    /// The filter of the arguments (ids checked).
    pub fn parse(
        status: Option<Vec<crate::schema::types::booking::BookingStatus>>,
        inventory_id: Option<ID>,
        guest_id: Option<ID>,
    ) -> Result<Self, ApiError> {
        use holdfast_domain::common::InventoryId;
        Ok(Self {
            statuses: status.map(|s| s.into_iter().map(Into::into).collect()),
            inventory: inventory_id
                .map(|id| parse_id("inventoryId", &id, InventoryId::parse).map(|i| i.to_string()))
                .transpose()?,
            guest: guest_id
                .map(|id| parse_id("guestId", &id, GuestId::parse).map(|g| g.to_string()))
                .transpose()?,
        })
    }

    /// Whether the booking `v` is kept.
    pub fn keeps_view(&self, v: &BookingView) -> bool {
        self.statuses.as_ref().is_none_or(|s| s.contains(&v.status))
            && self.inventory.as_ref().is_none_or(|i| *i == v.inventory_id)
            && self.guest.as_ref().is_none_or(|g| *g == v.guest_id)
    }

    /// Whether `e` is kept.
    pub fn keeps(&self, e: &holdfast_projections::models::bookings::DaySheetEntry) -> bool {
        self.statuses.as_ref().is_none_or(|s| s.contains(&e.status))
            && self.inventory.as_ref().is_none_or(|i| *i == e.inventory_id)
            && self.guest.as_ref().is_none_or(|g| *g == e.guest_id)
    }
}

/// A booking's document as a line of the operator's list.
fn entry_of(v: BookingView) -> holdfast_projections::models::bookings::DaySheetEntry {
    holdfast_projections::models::bookings::DaySheetEntry {
        first_slot: v.slots.first().cloned().unwrap_or_default(),
        booking_id: v.booking_id,
        status: v.status,
        slots: v.slots,
        guest_id: v.guest_id,
        listing_id: v.listing_id,
        inventory_id: v.inventory_id,
        party_size: v.party_size,
        quantity: v.quantity,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        created_at: v.created_at,
        totals: v.totals,
    }
}

/// Day-sheet entries with their guests' contact details, read in one go (callers check that
/// the caller operates the business).
pub async fn with_guests(
    ctx: &Context<'_>,
    entries: Vec<holdfast_projections::models::bookings::DaySheetEntry>,
) -> Result<Vec<DaySheetEntry>, ApiError> {
    let guests: Vec<&str> = entries.iter().map(|e| e.guest_id.as_str()).collect();
    let profiles = profiles_of(ctx, &guests).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let guest = profile_in(&profiles, &e.guest_id);
            let mut entry = DaySheetEntry::from(e);
            entry.guest = guest;
            entry
        })
        .collect())
}
