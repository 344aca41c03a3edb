//! Queries of the bookings read model: by id, by guest (paginated, newest first), day sheet.

use chrono::{DateTime, NaiveDate, Utc};
use holdfast_domain::booking::{
    AppliedCoupon, BookingStatus, Cancellation, Payment, Refund, RejectionReason, Totals,
};
use serde::{Deserialize, Serialize};

use super::{day_partition, doc_key, guest_partition};
use crate::models::{Amount, QueryError, is_deleted, item_as};
use crate::store::{Cursor, GSI1_SK, Index, Item, KeyQuery, ReadStore, SortKey, TableRef};

/// The most bookings one page of [`bookings_by_guest`] returns.
pub const MAX_PAGE: usize = 100;
/// The most day-sheet entries one store request asks for.
const DAY_PAGE_LIMIT: usize = 1_000;

/// A booking as the read model knows it. Fields an event has not (yet) provided are `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingView {
    /// The booking.
    pub booking_id: String,
    /// Where it is in its life.
    pub status: BookingStatus,
    /// Who booked.
    pub guest_id: String,
    /// The business.
    pub tenant_id: String,
    /// What was booked.
    pub listing_id: String,
    /// The capacity calendar.
    pub inventory_id: String,
    /// How many guests.
    #[serde(default)]
    pub party_size: Option<u32>,
    /// Units per slot.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// The slots (local), sorted.
    #[serde(default)]
    pub slots: Vec<String>,
    /// Start instant.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// End instant.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Subtotal, discount, total.
    #[serde(default)]
    pub totals: Option<Totals>,
    /// The applied coupon.
    #[serde(default)]
    pub coupon: Option<AppliedCoupon>,
    /// Everything paid so far.
    #[serde(default)]
    pub total_paid: Option<Amount>,
    /// Everything refunded so far.
    #[serde(default)]
    pub total_refunded: Option<Amount>,
    /// The last refund owed (cancellation, no-show or late payment).
    #[serde(default)]
    pub refund_due: Option<Amount>,
    /// The last payment received.
    #[serde(default)]
    pub last_payment: Option<Payment>,
    /// The last refund recorded.
    #[serde(default)]
    pub last_refund: Option<Refund>,
    /// Who cancelled, why, when.
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    /// Why placement failed.
    #[serde(default)]
    pub rejection: Option<RejectionReason>,
    /// When it was requested or waitlisted.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When the hold runs out.
    #[serde(default)]
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Until when a waitlist offer may be accepted.
    #[serde(default)]
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// When it was confirmed.
    #[serde(default)]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the guest checked in.
    #[serde(default)]
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A page of a guest's bookings, newest first (Relay style).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingPage {
    /// The bookings.
    pub items: Vec<BookingView>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more bookings follow.
    pub has_next_page: bool,
}

/// One line of an operator's day sheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaySheetEntry {
    /// The booking.
    pub booking_id: String,
    /// Its status.
    pub status: BookingStatus,
    /// The first slot (the sheet's order).
    pub first_slot: String,
    /// Every slot.
    pub slots: Vec<String>,
    /// The guest.
    pub guest_id: String,
    /// The listing.
    pub listing_id: String,
    /// The inventory.
    pub inventory_id: String,
    /// How many guests, when known.
    #[serde(default)]
    pub party_size: Option<u32>,
    /// Units per slot, when known.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// Start instant, when known.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// End instant, when known.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was requested or waitlisted, when known.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Subtotal, discount and total as of its last event with slots (confirmation included).
    #[serde(default)]
    pub totals: Option<Totals>,
}

/// A booking by id.
pub async fn booking(
    store: &dyn ReadStore,
    table: TableRef,
    booking_id: &str,
) -> Result<Option<BookingView>, QueryError> {
    match store.get(table, &doc_key(booking_id)).await? {
        Some(item) => Ok(Some(item_as(&item)?)),
        None => Ok(None),
    }
}

fn cursor_of(item: &Item) -> Option<String> {
    item.attrs
        .get(GSI1_SK)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn parse_cursor(text: &str) -> Result<Cursor, QueryError> {
    let invalid = || QueryError::InvalidCursor(text.chars().take(80).collect());
    let (at, id) = text.rsplit_once('#').ok_or_else(invalid)?;
    DateTime::parse_from_rfc3339(at).map_err(|_| invalid())?;
    if id.len() != 26 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    Ok(Cursor {
        key: doc_key(id),
        index_sk: Some(text.to_owned()),
    })
}

/// A guest's bookings, newest first: `first` (1..=[`MAX_PAGE`]) after `after` (an
/// `end_cursor` of a previous page). Every booking appears exactly once across pages.
pub async fn bookings_by_guest(
    store: &dyn ReadStore,
    table: TableRef,
    guest_id: &str,
    first: usize,
    after: Option<&str>,
) -> Result<BookingPage, QueryError> {
    bookings_of_guest_where(store, table, guest_id, first, after, |_| true).await
}

/// The most bookings [`bookings_of_guest_where`] examines for one page: past it, the page ends
/// early (fewer items, `has_next_page`, the cursor after the last one examined).
pub const MAX_EXAMINED: usize = 1_000;

/// Like [`bookings_by_guest`], keeping only the bookings `keep` accepts (the page may hold fewer
/// than `first` when [`MAX_EXAMINED`] were examined; the next page goes on from there).
pub async fn bookings_of_guest_where(
    store: &dyn ReadStore,
    table: TableRef,
    guest_id: &str,
    first: usize,
    after: Option<&str>,
    keep: impl Fn(&BookingView) -> bool,
) -> Result<BookingPage, QueryError> {
    let first = first.clamp(1, MAX_PAGE);
    let mut query = KeyQuery {
        index: Index::Gsi1,
        pk: guest_partition(guest_id),
        sk: SortKey::All,
        ascending: false,
        // One more than asked, to know whether a next page exists (more when filtering).
        limit: (first + 1).max(25),
        after: after.map(parse_cursor).transpose()?,
    };
    let mut kept: Vec<(BookingView, Option<String>)> = Vec::new();
    let mut examined = 0;
    let mut last_examined: Option<String> = None;
    let mut more = true;
    'pages: loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            examined += 1;
            last_examined = cursor_of(item);
            let view = item_as(item)?;
            if keep(&view) {
                kept.push((view, last_examined.clone()));
                if kept.len() > first {
                    break 'pages;
                }
            }
            if examined >= MAX_EXAMINED {
                // Whether anything follows is unknown without reading on: say there may be.
                more = true;
                break 'pages;
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => {
                more = false;
                break;
            }
        }
    }
    let has_next_page = kept.len() > first || more;
    kept.truncate(first);
    let end_cursor = if kept.len() == first || !more {
        kept.last().and_then(|(_, c)| c.clone())
    } else {
        last_examined
    };
    Ok(BookingPage {
        items: kept.into_iter().map(|(v, _)| v).collect(),
        end_cursor,
        has_next_page,
    })
}

/// A tenant's bookings starting on local `date`, in slot order, without soft-deleted entries
/// (rejected, expired, declined, cancelled before confirmation; see the module docs).
pub async fn day_sheet(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    date: NaiveDate,
) -> Result<Vec<DaySheetEntry>, QueryError> {
    let mut query = KeyQuery {
        pk: day_partition(tenant_id, &date.format("%Y-%m-%d").to_string()),
        ascending: true,
        limit: DAY_PAGE_LIMIT,
        ..KeyQuery::default()
    };
    let mut out = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in page.items.iter().filter(|i| !is_deleted(i)) {
            out.push(item_as(item)?);
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(out),
        }
    }
}

/// The longest date range [`bookings_between`] reads (one day-sheet partition per date).
pub const MAX_RANGE_DAYS: i64 = 92;

/// A page of a tenant's bookings over dates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangePage {
    /// The bookings, by start date, then slot, then id.
    pub items: Vec<DaySheetEntry>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more may follow.
    pub has_next_page: bool,
}

/// Checks a date range of [`bookings_between`] and [`bookings_created_between`]: `from ≤ to`,
/// at most [`MAX_RANGE_DAYS`] days (callers check it before anything is read, so bad input is
/// refused whatever the read model's state).
///
/// # Errors
///
/// [`QueryError::Invalid`].
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), QueryError> {
    if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(QueryError::Invalid(format!(
            "a date range of 1 to {MAX_RANGE_DAYS} days, from ≤ to"
        )));
    }
    Ok(())
}

/// The cursor of a day-sheet entry: `r1:<date>|<first slot>#<booking id>`.
pub fn range_cursor(entry: &DaySheetEntry) -> String {
    let date = entry.first_slot.get(..10).unwrap_or_default();
    format!("r1:{date}|{}#{}", entry.first_slot, entry.booking_id)
}

fn parse_range_cursor(text: &str) -> Result<(NaiveDate, String), QueryError> {
    let invalid = || QueryError::InvalidCursor(text.chars().take(80).collect());
    let rest = text.strip_prefix("r1:").ok_or_else(invalid)?;
    let (date, sk) = rest.split_once('|').ok_or_else(invalid)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| invalid())?;
    if sk.is_empty() || sk.len() > 80 || !sk.is_ascii() {
        return Err(invalid());
    }
    Ok((date, sk.to_owned()))
}

/// A tenant's bookings starting on local dates `from..=to` (at most [`MAX_RANGE_DAYS`] days),
/// as the day sheets have them (live entries only: see the module docs), by date, slot and
/// id; `first` after `after` (an `end_cursor`), keeping those `keep` accepts.
///
/// # Errors
///
/// [`QueryError::Invalid`] for a reversed or too long range; [`QueryError::InvalidCursor`];
/// the store's errors.
#[allow(clippy::too_many_arguments)]
pub async fn bookings_between(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    first: usize,
    after: Option<&str>,
    keep: impl Fn(&DaySheetEntry) -> bool,
) -> Result<RangePage, QueryError> {
    check_range(from, to)?;
    let first = first.clamp(1, MAX_PAGE);
    let (mut date, mut after_sk) = match after.map(parse_range_cursor).transpose()? {
        Some((d, sk)) if d >= from && d <= to => (d, Some(sk)),
        Some(_) => {
            return Err(QueryError::InvalidCursor(
                "a cursor of another date range".into(),
            ));
        }
        None => (from, None),
    };
    let mut kept: Vec<DaySheetEntry> = Vec::new();
    while date <= to {
        let mut query = KeyQuery {
            pk: day_partition(tenant_id, &date.format("%Y-%m-%d").to_string()),
            sk: match after_sk.take() {
                // Every sort key character sorts above a space and below `~`.
                Some(sk) => SortKey::Between(format!("{sk} "), "~".into()),
                None => SortKey::All,
            },
            ascending: true,
            limit: DAY_PAGE_LIMIT,
            ..KeyQuery::default()
        };
        loop {
            let page = store.query(table, &query).await?;
            for item in page.items.iter().filter(|i| !is_deleted(i)) {
                let entry: DaySheetEntry = item_as(item)?;
                if keep(&entry) {
                    kept.push(entry);
                    if kept.len() > first {
                        kept.truncate(first);
                        return Ok(RangePage {
                            end_cursor: kept.last().map(range_cursor),
                            items: kept,
                            has_next_page: true,
                        });
                    }
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        date = match date.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    Ok(RangePage {
        end_cursor: kept.last().map(range_cursor),
        items: kept,
        has_next_page: false,
    })
}

/// One booking waiting on an inventory (or holding an offer from its waitlist).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// The booking.
    pub booking_id: String,
    /// Waitlisted or Offered.
    pub status: BookingStatus,
    /// The guest.
    pub guest_id: String,
    /// The listing.
    pub listing_id: String,
    /// How many guests.
    #[serde(default)]
    pub party_size: Option<u32>,
    /// The dates wanted.
    #[serde(default)]
    pub wanted: Option<holdfast_domain::common::DateRange>,
    /// The start time wanted, if any.
    #[serde(default)]
    pub wanted_time: Option<chrono::NaiveTime>,
    /// How many slots.
    #[serde(default)]
    pub slot_count: Option<u32>,
    /// When the guest joined.
    #[serde(default)]
    pub waitlisted_at: Option<DateTime<Utc>>,
    /// Until when the pending offer stands, if one was made.
    #[serde(default)]
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// The most entries one waitlist read returns.
pub const MAX_WAITLIST: usize = 5_000;

/// The bookings waiting on an inventory, first come first (by when they joined, then id).
///
/// # Errors
///
/// The store's errors; [`QueryError::Corrupt`].
pub async fn waitlist(
    store: &dyn ReadStore,
    table: TableRef,
    inventory_id: &str,
) -> Result<Vec<WaitlistEntry>, QueryError> {
    let mut query = KeyQuery {
        pk: super::waitlist_partition(inventory_id),
        ascending: true,
        limit: DAY_PAGE_LIMIT,
        ..KeyQuery::default()
    };
    let mut out: Vec<WaitlistEntry> = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in page.items.iter().filter(|i| !is_deleted(i)) {
            out.push(item_as(item)?);
        }
        match page.next {
            Some(next) if out.len() < MAX_WAITLIST => query.after = Some(next),
            _ => break,
        }
    }
    out.sort_by(|a, b| (a.waitlisted_at, &a.booking_id).cmp(&(b.waitlisted_at, &b.booking_id)));
    Ok(out)
}

/// A guest who booked with a business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusinessGuest {
    /// The guest.
    pub guest_id: String,
    /// Their latest booking with the business.
    pub last_booking_id: String,
    /// When they made it.
    pub last_booked_at: DateTime<Utc>,
}

/// A page of a business's guests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuestPage {
    /// The guests, by id.
    pub items: Vec<BusinessGuest>,
    /// The last guest's id: pass as `after`.
    pub end_cursor: Option<String>,
    /// Whether more may follow.
    pub has_next_page: bool,
}

/// A business's guests (everyone who booked or joined a waitlist), by guest id, `first`
/// after the guest `after`.
///
/// # Errors
///
/// [`QueryError::InvalidCursor`] for an `after` that is no id; the store's errors.
pub async fn guests_of_tenant(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    first: usize,
    after: Option<&str>,
) -> Result<GuestPage, QueryError> {
    let first = first.clamp(1, MAX_PAGE);
    let (items, has_next_page) = crate::models::page_by_id::<BusinessGuest>(
        store,
        table,
        Index::Primary,
        super::guests_partition(tenant_id),
        first,
        after,
        |_| true,
    )
    .await?;
    Ok(GuestPage {
        end_cursor: items.last().map(|g| g.guest_id.clone()),
        items,
        has_next_page,
    })
}

/// A page of a business's bookings by when they were made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedPage {
    /// The bookings (their documents), oldest first.
    pub items: Vec<BookingView>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more may follow.
    pub has_next_page: bool,
}

/// A business's bookings made (requested or waitlisted) on UTC dates `from..=to` (at most
/// [`MAX_RANGE_DAYS`]), oldest first, `first` after `after` (an `end_cursor`: `c1:<date>|<sk>`),
/// each read from its document (so its status is today's).
///
/// # Errors
///
/// [`QueryError::Invalid`] for a reversed or too long range; [`QueryError::InvalidCursor`];
/// the store's errors.
#[allow(clippy::too_many_arguments)]
pub async fn bookings_created_between(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    first: usize,
    after: Option<&str>,
    keep: impl Fn(&BookingView) -> bool,
) -> Result<CreatedPage, QueryError> {
    check_range(from, to)?;
    let first = first.clamp(1, MAX_PAGE);
    let invalid = |text: &str| QueryError::InvalidCursor(text.chars().take(80).collect());
    let (mut date, mut after_sk) = match after {
        None => (from, None),
        Some(text) => {
            let rest = text.strip_prefix("c1:").ok_or_else(|| invalid(text))?;
            let (d, sk) = rest.split_once('|').ok_or_else(|| invalid(text))?;
            let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| invalid(text))?;
            if d < from || d > to || sk.is_empty() || sk.len() > 80 || !sk.is_ascii() {
                return Err(invalid(text));
            }
            (d, Some(sk.to_owned()))
        }
    };
    let mut kept: Vec<(BookingView, String)> = Vec::new();
    let mut examined = 0;
    let mut last_read: Option<String> = None;
    while date <= to {
        let day = date.format("%Y-%m-%d").to_string();
        let mut query = KeyQuery {
            pk: super::created_partition(tenant_id, &day),
            sk: match after_sk.take() {
                Some(sk) => SortKey::Between(format!("{sk} "), "~".into()),
                None => SortKey::All,
            },
            ascending: true,
            limit: DAY_PAGE_LIMIT,
            ..KeyQuery::default()
        };
        loop {
            let page = store.query(table, &query).await?;
            for item in &page.items {
                if examined == MAX_EXAMINED {
                    // Enough read for one page: the next goes on after the last one read.
                    return Ok(CreatedPage {
                        end_cursor: last_read,
                        items: kept.into_iter().map(|(v, _)| v).collect(),
                        has_next_page: true,
                    });
                }
                examined += 1;
                last_read = Some(format!("c1:{day}|{}", item.key.sk));
                let Some(id) = item.attrs.get("booking_id").and_then(|v| v.as_str()) else {
                    continue;
                };
                let Some(view) = booking(store, table, id).await? else {
                    continue;
                };
                if keep(&view) {
                    kept.push((view, format!("c1:{day}|{}", item.key.sk)));
                    if kept.len() > first {
                        kept.truncate(first);
                        return Ok(CreatedPage {
                            end_cursor: kept.last().map(|(_, c)| c.clone()),
                            items: kept.into_iter().map(|(v, _)| v).collect(),
                            has_next_page: true,
                        });
                    }
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        date = match date.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    Ok(CreatedPage {
        end_cursor: kept.last().map(|(_, c)| c.clone()),
        items: kept.into_iter().map(|(v, _)| v).collect(),
        has_next_page: false,
    })
}
