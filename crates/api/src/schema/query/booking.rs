//! Booking queries over the bookings read model: `booking(id)`, `myBookings`, `daySheet`
//! (the back office's longer lists are in [`super::operator_lists`]).
//!
//! Authorisation (the same rule across the schema's private queries):
//! - anonymous callers get `UNAUTHENTICATED`;
//! - a denial that depends only on who asks and what they asked (an operator asking for
//!   `myBookings`, another tenant's `daySheet`) is `FORBIDDEN`;
//! - a denial that depends on stored data (someone else's booking) is `NOT_FOUND`, exactly as
//!   for an id that does not exist, so existence never leaks.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::booking::BookingStatus;
use holdfast_domain::common::{BookingId, GuestId, TenantId};
use holdfast_projections::models::bookings::{
    BookingView, booking, bookings_of_guest_where, day_sheet,
};
use holdfast_projections::store::Table;

use super::operator_lists::with_guests;
use crate::error::{ApiError, OrApi};
use crate::schema::context::authenticated;
use crate::schema::context::{read, state};
use crate::schema::types::account::GuestProfileGql;
use crate::schema::types::booking::{Booking, DaySheetEntry};
use crate::schema::types::{Date, connection_complexity, page_size, parse_id};
use holdfast_engine::Principal;

/// A page of bookings.
pub type BookingConnection = Connection<String, Booking>;

/// Which of a guest's bookings `myBookings` lists, by time.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BookingTime {
    /// Every one.
    #[default]
    Any,
    /// Not over yet: it ends after now (or has no slots yet: a waitlist entry).
    Upcoming,
    /// Over: it ended, or the guest did not come.
    Past,
}

/// Whether `view` is listed for `when` (and, unless `include_cancelled`, whether it
/// happened or may: cancelled, expired and rejected bookings are left out).
fn listed(
    view: &BookingView,
    when: BookingTime,
    include_cancelled: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let ended_without_happening = matches!(
        view.status,
        BookingStatus::Cancelled | BookingStatus::Expired | BookingStatus::Rejected
    );
    if ended_without_happening && !include_cancelled {
        return false;
    }
    let upcoming = view.status != BookingStatus::NoShow && view.ends_at.is_none_or(|e| e > now);
    match when {
        BookingTime::Any => true,
        BookingTime::Upcoming => upcoming,
        BookingTime::Past => !upcoming,
    }
}

/// What cancelling a booking now would do (`cancellationQuote`).
#[derive(async_graphql::SimpleObject, Clone, Debug)]
pub struct CancellationQuote {
    /// Whether it can be cancelled now.
    pub cancellable: bool,
    /// What was paid (null: nothing yet).
    pub paid: Option<crate::schema::types::money::Money>,
    /// What would be refunded (null: nothing was paid; zero: nothing back under the terms).
    pub refund: Option<crate::schema::types::money::Money>,
}

/// Booking queries.
#[derive(Default)]
pub struct BookingQuery;

#[Object]
impl BookingQuery {
    /// A booking by id: for its guest, an operator of its tenant, or an admin (`NOT_FOUND` for
    /// anyone else).
    async fn booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        consistency_token: Option<String>,
    ) -> Result<Booking> {
        let principal = authenticated(ctx)?;
        let booking_id = parse_id("id", &id, BookingId::parse)?.to_string();
        let booking_id = booking_id.as_str();
        let view = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move { booking(store.as_ref(), table, booking_id).await },
        )
        .await?
        .ok_or_else(|| ApiError::not_found("booking"))?;
        let guest = GuestId::parse(&view.guest_id).map_err(ApiError::internal)?;
        let tenant = TenantId::parse(&view.tenant_id).map_err(ApiError::internal)?;
        if !(principal.is_guest_or_admin(guest) || principal.operates(tenant)) {
            return Err(ApiError::not_found("booking").into());
        }
        let mut booking = Booking::from(view);
        booking.guest = state(ctx)
            .profiles
            .get(guest)
            .await
            .or_api()?
            .map(Into::into);
        Ok(booking)
    }

    /// What cancelling booking `bookingId` now would refund, by the cancellation terms copied
    /// into it when it was booked — the cancellation's own decision, not recorded: shown to the
    /// guest before they confirm. For its guest, an operator of its business, or an admin
    /// (`NOT_FOUND` for anyone else).
    async fn cancellation_quote(
        &self,
        ctx: &Context<'_>,
        booking_id: ID,
    ) -> Result<CancellationQuote> {
        let principal = authenticated(ctx)?;
        let id = parse_id("bookingId", &booking_id, BookingId::parse)?;
        let engine = state(ctx);
        let aggregate = engine
            .commands
            .bookings
            .load(&id.to_string())
            .await
            .map_err(ApiError::internal)?;
        let Some(_) = aggregate.status() else {
            return Err(ApiError::not_found("booking").into());
        };
        let keys = aggregate.keys();
        if !(principal.is_guest_or_admin(keys.guest_id) || principal.operates(keys.tenant_id)) {
            return Err(ApiError::not_found("booking").into());
        }
        let now = engine.services.clock.now();
        let paid = aggregate.total_paid().map(Into::into);
        Ok(match aggregate.refund_if_cancelled(now) {
            Ok(refund) => CancellationQuote {
                cancellable: aggregate.status() != Some(BookingStatus::Cancelled),
                paid,
                refund: refund.map(Into::into),
            },
            Err(_) => CancellationQuote {
                cancellable: false,
                paid,
                refund: None,
            },
        })
    }

    /// The calling guest's bookings, newest first (guests only): `when` `UPCOMING` or `PAST`
    /// (default: both); cancelled, expired and rejected ones only with `includeCancelled`.
    /// A page may hold fewer than `first` when many bookings were skipped (`hasNextPage`
    /// says whether to go on).
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    #[allow(clippy::too_many_arguments)]
    async fn my_bookings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        when: Option<BookingTime>,
        include_cancelled: Option<bool>,
        consistency_token: Option<String>,
    ) -> Result<BookingConnection> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let guest_id = guest;
        let first = page_size(first)?;
        let guest = guest.to_string();
        let guest = guest.as_str();
        let after_cursor = after.as_deref();
        let (when, include_cancelled) = (when.unwrap_or_default(), include_cancelled == Some(true));
        let now = state(ctx).services.clock.now();
        let page = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move {
                bookings_of_guest_where(store.as_ref(), table, guest, first, after_cursor, |v| {
                    listed(v, when, include_cancelled, now)
                })
                .await
            },
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        // Their own profile, beside each of their bookings.
        let profile: Option<GuestProfileGql> = state(ctx)
            .profiles
            .get(*guest_id)
            .await
            .or_api()?
            .map(Into::into);
        let last = page.items.len().saturating_sub(1);
        for (i, view) in page.items.into_iter().enumerate() {
            // The read model's cursor is the by-guest sort key, `<created at, µs>#<booking id>`;
            // the last edge takes the page's own end cursor.
            let cursor = match (&page.end_cursor, &view.created_at) {
                (Some(end), _) if i == last => end.clone(),
                (_, Some(at)) => format!(
                    "{}#{}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    view.booking_id
                ),
                (_, None) => return Err(ApiError::internal("booking without created_at").into()),
            };
            let mut booking = Booking::from(view);
            booking.guest.clone_from(&profile);
            connection.edges.push(Edge::new(cursor, booking));
        }
        Ok(connection)
    }

    /// A tenant's bookings starting on a local date, in slot order (operators of the tenant
    /// and admins; `FORBIDDEN` for anyone else).
    async fn day_sheet(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        date: Date,
        consistency_token: Option<String>,
    ) -> Result<Vec<DaySheetEntry>> {
        let principal = authenticated(ctx)?;
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if !principal.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let tenant = tenant.to_string();
        let tenant = tenant.as_str();
        let entries = read(
            ctx,
            Table::Bookings,
            consistency_token.as_deref(),
            |store, table| async move { day_sheet(store.as_ref(), table, tenant, date.0).await },
        )
        .await?;
        // Operators of this business only: checked above.
        Ok(with_guests(ctx, entries).await?)
    }
}
