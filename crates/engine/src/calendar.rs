//! Bookings as iCalendar (RFC 5545): the `.ics` of one booking (a download, and an attachment
//! of the confirmation e-mail), a guest's feed of their bookings and an operator's feed of an
//! inventory's bookings, polled by calendar apps at a secret address ([`CalendarFeeds`]).
//!
//! Each booking is one `VEVENT`: `UID` `<booking id>@holdfast` (stable, so a calendar app
//! updates the event in place when the booking changes), `DTSTART`/`DTEND` in UTC (every app
//! shows them in its own zone; the description also gives the listing's local time),
//! `SUMMARY` the listing's name, `LOCATION` its address, `STATUS` `CONFIRMED` (confirmed,
//! checked in), `TENTATIVE` (held, offered, requested) or `CANCELLED` (a confirmed booking
//! cancelled, so a subscribed calendar shows the time as freed; one cancelled before it was
//! confirmed is left out).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use futures::{StreamExt, TryStreamExt};
use holdfast_domain::booking::BookingStatus;
use holdfast_domain::guest::Language;
use holdfast_eventstore::{Arg, Db, EventStore};
use holdfast_projections::models::bookings::{BookingView, DaySheetEntry, bookings_by_guest};
use holdfast_projections::store::Table;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use crate::Engine;
use crate::error::{EngineError, ErrorCode};
use crate::notify::messages::local;
use crate::read_models::{listing_document, read};

/// Days before today an inventory feed still shows.
pub const FEED_PAST_DAYS: i64 = 7;
/// Days after today an inventory feed shows.
pub const FEED_FUTURE_DAYS: i64 = 90;
/// The most bookings a guest's feed shows (the newest).
pub const GUEST_FEED_MAX: usize = 200;

/// One booking, as a calendar shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The booking.
    pub booking_id: String,
    /// Its status.
    pub status: BookingStatus,
    /// Start instant.
    pub starts_at: DateTime<Utc>,
    /// End instant.
    pub ends_at: DateTime<Utc>,
    /// How many guests, if known.
    pub party_size: Option<u32>,
    /// The listing's name.
    pub listing: String,
    /// The listing's address.
    pub address: String,
    /// The listing's time zone.
    pub zone: Tz,
}

fn status(status: BookingStatus) -> Option<EventStatus> {
    match status {
        BookingStatus::Confirmed | BookingStatus::CheckedIn => Some(EventStatus::Confirmed),
        BookingStatus::Requested | BookingStatus::Held | BookingStatus::Offered => {
            Some(EventStatus::Tentative)
        }
        BookingStatus::Cancelled => Some(EventStatus::Cancelled),
        BookingStatus::Waitlisted
        | BookingStatus::NoShow
        | BookingStatus::Expired
        | BookingStatus::Rejected => None,
    }
}

/// A calendar named `name` with one event per entry a calendar shows (waitlist entries,
/// expired, rejected and no-show bookings are left out), in `language`; `now` stamps it.
pub fn render(name: &str, entries: &[Entry], language: Language, now: DateTime<Utc>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name);
    calendar.ttl(&Duration::hours(1));
    for entry in entries {
        let Some(state) = status(entry.status) else {
            continue;
        };
        let when = local(entry.starts_at, entry.zone, language);
        let description = match (language, entry.party_size) {
            (Language::Ko, Some(n)) => {
                format!("일시: {when}\n인원: {n}명\n예약 번호: {}", entry.booking_id)
            }
            (Language::Ko, None) => format!("일시: {when}\n예약 번호: {}", entry.booking_id),
            (Language::En, Some(n)) => format!(
                "When: {when}\nGuests: {n}\nBooking reference: {}",
                entry.booking_id
            ),
            (Language::En, None) => {
                format!("When: {when}\nBooking reference: {}", entry.booking_id)
            }
        };
        let event = Event::new()
            .uid(&format!("{}@holdfast", entry.booking_id))
            .timestamp(now)
            .summary(&entry.listing)
            .location(&entry.address)
            .description(&description)
            .starts(entry.starts_at)
            .ends(entry.ends_at)
            .status(state)
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// Listing names, addresses and zones, read once per listing.
struct Listings<'a> {
    engine: &'a Engine,
    known: HashMap<String, Option<(String, String, Tz)>>,
}

impl<'a> Listings<'a> {
    fn new(engine: &'a Engine) -> Self {
        Self {
            engine,
            known: HashMap::new(),
        }
    }

    async fn get(&mut self, id: &str) -> Result<Option<(String, String, Tz)>, EngineError> {
        if let Some(known) = self.known.get(id) {
            return Ok(known.clone());
        }
        let doc = read(
            self.engine,
            Table::Search,
            None,
            |store, table| async move { listing_document(store.as_ref(), table, id).await },
        )
        .await?;
        let found = doc.map(|d| {
            let zone = d.time_zone.parse().unwrap_or(Tz::UTC);
            (d.name, d.address, zone)
        });
        self.known.insert(id.to_owned(), found.clone());
        Ok(found)
    }

    /// The entry of a booking with slots (`None` for a waitlist entry, or an unknown listing).
    async fn entry(
        &mut self,
        booking_id: &str,
        listing_id: &str,
        status: BookingStatus,
        span: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        party_size: Option<u32>,
    ) -> Result<Option<Entry>, EngineError> {
        let (Some(starts_at), Some(ends_at)) = span else {
            return Ok(None);
        };
        let Some((listing, address, zone)) = self.get(listing_id).await? else {
            return Ok(None);
        };
        Ok(Some(Entry {
            booking_id: booking_id.to_owned(),
            status,
            starts_at,
            ends_at,
            party_size,
            listing,
            address,
            zone,
        }))
    }
}

/// The entry of one booking, as read from the bookings read model.
///
/// # Errors
///
/// The read models' errors.
pub async fn booking_entry(
    engine: &Engine,
    booking: &BookingView,
) -> Result<Option<Entry>, EngineError> {
    Listings::new(engine)
        .entry(
            &booking.booking_id,
            &booking.listing_id,
            booking.status,
            (booking.starts_at, booking.ends_at),
            booking.party_size,
        )
        .await
}

/// A guest's bookings, newest first (at most [`GUEST_FEED_MAX`]).
///
/// # Errors
///
/// The read models' errors.
pub async fn guest_entries(engine: &Engine, guest_id: &str) -> Result<Vec<Entry>, EngineError> {
    let mut listings = Listings::new(engine);
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let cursor = after.clone();
        let page = read(engine, Table::Bookings, None, |store, table| {
            let cursor = cursor.clone();
            async move {
                bookings_by_guest(store.as_ref(), table, guest_id, 100, cursor.as_deref()).await
            }
        })
        .await?;
        for b in &page.items {
            seen += 1;
            // A booking cancelled before it was confirmed never held the guest's time (the
            // operator's feed follows the day sheet's same rule).
            if b.status == BookingStatus::Cancelled && b.confirmed_at.is_none() {
                continue;
            }
            if let Some(entry) = listings
                .entry(
                    &b.booking_id,
                    &b.listing_id,
                    b.status,
                    (b.starts_at, b.ends_at),
                    b.party_size,
                )
                .await?
            {
                entries.push(entry);
            }
        }
        if !page.has_next_page || seen >= GUEST_FEED_MAX {
            break;
        }
        after = page.end_cursor;
    }
    Ok(entries)
}

/// An inventory's bookings starting from [`FEED_PAST_DAYS`] before `today` to
/// [`FEED_FUTURE_DAYS`] after (the tenant's day sheets, one read per date, 16 at a time), in
/// date order.
///
/// # Errors
///
/// The read models' errors.
pub async fn inventory_entries(
    engine: &Engine,
    tenant_id: &str,
    inventory_id: &str,
    today: NaiveDate,
) -> Result<Vec<Entry>, EngineError> {
    let dates: Vec<NaiveDate> = (-FEED_PAST_DAYS..=FEED_FUTURE_DAYS)
        .filter_map(|d| today.checked_add_signed(Duration::days(d)))
        .collect();
    let days: Vec<Vec<DaySheetEntry>> = futures::stream::iter(dates)
        .map(|date| async move {
            read(engine, Table::Bookings, None, |store, table| async move {
                holdfast_projections::models::bookings::day_sheet(
                    store.as_ref(),
                    table,
                    tenant_id,
                    date,
                )
                .await
            })
            .await
        })
        .buffered(16)
        .try_collect()
        .await?;
    let mut listings = Listings::new(engine);
    let mut entries = Vec::new();
    for e in days.into_iter().flatten() {
        if e.inventory_id != inventory_id {
            continue;
        }
        if let Some(entry) = listings
            .entry(
                &e.booking_id,
                &e.listing_id,
                e.status,
                (e.starts_at, e.ends_at),
                e.party_size,
            )
            .await?
        {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// What a feed shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    /// A guest's bookings (`subject`: the guest id).
    Guest,
    /// An inventory's bookings, for its operators (`subject`: the inventory id).
    Inventory,
}

impl FeedKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Inventory => "inventory",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "guest" => Some(Self::Guest),
            "inventory" => Some(Self::Inventory),
            _ => None,
        }
    }
}

/// A feed's secret address and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    /// The address's secret (256 random bits, hex).
    pub token: String,
    /// What it shows.
    pub kind: FeedKind,
    /// The guest or inventory.
    pub subject: String,
    /// The business (empty for a guest's feed).
    pub tenant_id: String,
}

/// The feeds' table (`calendar_feeds`) on the event store's database.
#[derive(Clone)]
pub struct CalendarFeeds {
    db: Db,
}

impl CalendarFeeds {
    /// The feeds of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    /// The feed of `subject`, created if it has none.
    ///
    /// # Errors
    ///
    /// `UNAVAILABLE` when the database fails.
    pub async fn get_or_create(
        &self,
        kind: FeedKind,
        subject: &str,
        tenant_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Feed, EngineError> {
        self.db
            .execute(
                "INSERT INTO calendar_feeds (token, kind, subject, tenant_id, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, subject) DO NOTHING",
                &[
                    crate::accounts::new_token().into(),
                    kind.as_str().into(),
                    subject.into(),
                    tenant_id.into(),
                    Arg::At(now),
                ],
            )
            .await
            .map_err(unavailable)?;
        let row: Option<(String, String)> = self
            .db
            .fetch_optional_as(
                "SELECT token, tenant_id FROM calendar_feeds WHERE kind = $1 AND subject = $2",
                &[kind.as_str().into(), subject.into()],
            )
            .await
            .map_err(unavailable)?;
        let (token, tenant_id) = row
            .ok_or_else(|| EngineError::new(ErrorCode::Unavailable, "the feed vanished; retry"))?;
        Ok(Feed {
            token,
            kind,
            subject: subject.to_owned(),
            tenant_id,
        })
    }

    /// Replaces `subject`'s feed address (the old one stops working at once).
    ///
    /// # Errors
    ///
    /// `UNAVAILABLE` when the database fails.
    pub async fn reset(
        &self,
        kind: FeedKind,
        subject: &str,
        tenant_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Feed, EngineError> {
        self.forget(kind, subject).await?;
        self.get_or_create(kind, subject, tenant_id, now).await
    }

    /// Deletes `subject`'s feed, if any.
    ///
    /// # Errors
    ///
    /// `UNAVAILABLE` when the database fails.
    pub async fn forget(&self, kind: FeedKind, subject: &str) -> Result<(), EngineError> {
        self.db
            .execute(
                "DELETE FROM calendar_feeds WHERE kind = $1 AND subject = $2",
                &[kind.as_str().into(), subject.into()],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The feed whose address has `token`.
    ///
    /// # Errors
    ///
    /// `UNAVAILABLE` when the database fails.
    pub async fn find(&self, token: &str) -> Result<Option<Feed>, EngineError> {
        let row: Option<(String, String, String)> = self
            .db
            .fetch_optional_as(
                "SELECT kind, subject, tenant_id FROM calendar_feeds WHERE token = $1",
                &[token.into()],
            )
            .await
            .map_err(unavailable)?;
        Ok(row.and_then(|(kind, subject, tenant_id)| {
            Some(Feed {
                token: token.to_owned(),
                kind: FeedKind::parse(&kind)?,
                subject,
                tenant_id,
            })
        }))
    }
}

fn unavailable(e: holdfast_eventstore::EventStoreError) -> EngineError {
    tracing::warn!(error = %e, "calendar feeds unavailable");
    EngineError::new(
        ErrorCode::Unavailable,
        "the event store is unavailable; retry",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn entry(id: &str, status: BookingStatus) -> Entry {
        Entry {
            booking_id: id.into(),
            status,
            starts_at: at("2030-02-01T10:00:00Z"),
            ends_at: at("2030-02-01T12:00:00Z"),
            party_size: Some(2),
            listing: "Snowflake Bingsu, Myeongdong".into(),
            address: "1 Myeongdong-gil; Seoul".into(),
            zone: "Asia/Seoul".parse().unwrap(),
        }
    }

    #[test]
    fn a_calendar_parses_back_with_one_event_per_shown_booking() {
        let text = render(
            "눈꽃 빙수",
            &[
                entry("01A", BookingStatus::Confirmed),
                entry("01B", BookingStatus::Held),
                entry("01C", BookingStatus::Cancelled),
                entry("01D", BookingStatus::Expired),
                entry("01E", BookingStatus::Waitlisted),
            ],
            Language::Ko,
            at("2030-01-07T09:00:00Z"),
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.lines().all(|l| l.len() <= 75), "folded lines:\n{text}");
        let parsed: Calendar = text.parse().unwrap();
        let events: Vec<&Event> = parsed.events().collect();
        assert_eq!(events.len(), 3, "{text}");
        let first = events[0];
        assert_eq!(first.get_uid(), Some("01A@holdfast"));
        assert_eq!(first.get_summary(), Some("Snowflake Bingsu, Myeongdong"));
        assert_eq!(first.get_location(), Some("1 Myeongdong-gil; Seoul"));
        assert_eq!(first.get_status(), Some(EventStatus::Confirmed));
        assert_eq!(
            first.get_description(),
            Some("일시: 2030년 2월 1일 (금) 19:00\n인원: 2명\n예약 번호: 01A")
        );
        assert!(text.contains("DTSTART:20300201T100000Z"), "{text}");
        assert!(text.contains("DTEND:20300201T120000Z"), "{text}");
        assert_eq!(events[1].get_status(), Some(EventStatus::Tentative));
        assert_eq!(events[2].get_status(), Some(EventStatus::Cancelled));
        assert_eq!(parsed.get_name(), Some("눈꽃 빙수"));
    }
}
