//! [`search`]: candidates from one gsi1 index (keyword, else geohash cells, else region +
//! category), merged by listing id, each verified against its listing document and filtered
//! by price, party size and availability.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use holdfast_domain::listing::Category;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::geo::covering_cells;
use super::{ANY_CATEGORY, COARSE_CELL, FINE_CELL, distance_km, listing_partition};
use super::{normalize_keyword, text::name_tokens};
use crate::models::calendar::calendar;
use crate::models::{Amount, QueryError, is_deleted, item_as};
use crate::store::{Cursor, GSI1_SK, Index, Item, KeyQuery, ReadStore, SortKey, TableRef};

/// The most hits one page returns.
pub const MAX_SEARCH_PAGE: usize = 100;
/// The most candidates one call examines; a page that reaches it ends early (with a cursor).
pub const MAX_EXAMINED: usize = 1_000;
/// The widest "near" search.
pub const MAX_NEAR_RADIUS_KM: f64 = 50.0;
/// Index entries fetched per store request.
const INDEX_PAGE: usize = 100;
/// Fine cells a "near" search may query before it uses coarse ones.
const MAX_FINE_CELLS: usize = 25;
/// Coarse cells a "near" search may query.
const MAX_COARSE_CELLS: usize = 256;
/// The longest availability range a search checks, in days.
pub const MAX_AVAILABLE_DAYS: i64 = 366;
const CURSOR_PREFIX: &str = "s1:";

/// Around a point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Near {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Radius, km (at most [`MAX_NEAR_RADIUS_KM`]).
    pub radius_km: f64,
}

/// Available on every date of `[from, to]` (inclusive) on some inventory of the listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvailableDates {
    /// First date.
    pub from: NaiveDate,
    /// Last date (inclusive).
    pub to: NaiveDate,
    /// The calendar table generation to check.
    pub calendar: TableRef,
}

/// What to look for. At least one of `region`, `near`, `keyword` is needed (an index serves
/// it); the rest filter.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// ISO 3166 region code (`KR-11`), case-insensitive.
    pub region: Option<String>,
    /// Category (with a region: its own index partition; otherwise a filter).
    pub category: Option<Category>,
    /// Around a point.
    pub near: Option<Near>,
    /// A name word or a whole tag.
    pub keyword: Option<String>,
    /// Least display price, minor units.
    pub price_min: Option<i64>,
    /// Greatest display price, minor units.
    pub price_max: Option<i64>,
    /// A party size the listing's policy accepts.
    pub party_size: Option<u32>,
    /// Available dates.
    pub available: Option<AvailableDates>,
    /// Hits wanted (1..=[`MAX_SEARCH_PAGE`]).
    pub first: usize,
    /// An `end_cursor` of a previous page.
    pub after: Option<String>,
}

/// One listing found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The listing.
    pub listing_id: String,
    /// Its business.
    pub tenant_id: String,
    /// Name.
    pub name: String,
    /// Category (`snake_case`).
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The description's first characters.
    pub description_excerpt: String,
    /// The whole description (empty in a read model built before it was kept: rebuild).
    pub description: String,
    /// The booking policy as the domain stores it (`None` in a read model built before it was
    /// kept: rebuild).
    pub policy: Option<Value>,
    /// Structured attributes, by kind and value.
    pub attributes: Vec<holdfast_domain::inventory::Attribute>,
    /// Postal address.
    pub address: String,
    /// Region code.
    pub region: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// IANA time zone.
    pub time_zone: String,
    /// Display price.
    pub display_price: Amount,
    /// Lifecycle status (always `published` in results).
    pub status: String,
    /// Smallest party.
    pub party_min: u32,
    /// Largest party.
    pub party_max: u32,
    /// `night`, `time_slot` or `dated_event`.
    pub slot_kind: String,
    /// The listing's inventories.
    pub inventory_ids: Vec<String>,
    /// The same, with their names and content.
    pub inventories: Vec<InventoryItem>,
    /// Its photos, in the order they were added.
    pub photos: Vec<PhotoItem>,
    /// Distance from the `near` point, km.
    pub distance_km: Option<f64>,
    /// Its reviews' stars (written, not hidden): how many gave 1‥5.
    #[serde(default)]
    pub rating_distribution: [u32; 5],
}

impl SearchHit {
    /// Reviews counted.
    pub fn rating_count(&self) -> u32 {
        self.rating_distribution.iter().sum()
    }

    /// Their mean stars (`None` with none).
    pub fn rating_average(&self) -> Option<f64> {
        holdfast_domain::listing::Ratings {
            distribution: self.rating_distribution,
        }
        .average()
    }
}

/// One of a listing's photos, as the search read model keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoItem {
    /// The photo.
    pub photo_id: String,
    /// The inventory it shows, if any.
    #[serde(default)]
    pub inventory_id: Option<String>,
    /// Width of the original.
    pub width: u32,
    /// Height of the original.
    pub height: u32,
    /// The widths of the resized variants.
    #[serde(default)]
    pub widths: Vec<u32>,
    /// The original's content type.
    pub content_type: String,
    /// Alt text.
    #[serde(default)]
    pub alt: String,
}

/// One of a listing's inventories, as the search read model keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryItem {
    /// The inventory.
    pub inventory_id: String,
    /// Its listing.
    pub listing_id: String,
    /// Its business.
    pub tenant_id: String,
    /// Its display name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// What guests read about it (`None` until described).
    #[serde(default)]
    pub content: Option<holdfast_domain::inventory::InventoryContent>,
}

/// A page of hits, ordered by listing id (Relay style).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    /// The hits.
    pub hits: Vec<SearchHit>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more hits may follow.
    pub has_next_page: bool,
}

#[derive(Deserialize)]
struct Doc {
    listing_id: String,
    tenant_id: String,
    name: String,
    category: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    description_excerpt: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    policy: Option<Value>,
    #[serde(default)]
    attributes: Vec<holdfast_domain::inventory::Attribute>,
    address: String,
    region: String,
    lat_e7: i64,
    lon_e7: i64,
    time_zone: String,
    display_price: Amount,
    status: String,
    party_min: u32,
    party_max: u32,
    slot_kind: String,
    #[serde(default)]
    rating_distribution: [u32; 5],
}

/// One gsi1 partition read in listing-id order, page by page.
struct Stream {
    pk: String,
    lower: Option<String>,
    cursor: Option<Cursor>,
    buffer: VecDeque<Item>,
    done: bool,
}

fn listing_of(item: &Item) -> Option<&str> {
    item.attrs.get(GSI1_SK).and_then(Value::as_str)
}

impl Stream {
    fn new(pk: String, after: Option<&str>) -> Self {
        Self {
            pk,
            lower: after.map(str::to_owned),
            cursor: None,
            buffer: VecDeque::new(),
            done: false,
        }
    }

    async fn head(
        &mut self,
        store: &dyn ReadStore,
        table: TableRef,
    ) -> Result<Option<String>, QueryError> {
        while self.buffer.is_empty() && !self.done {
            let query = KeyQuery {
                index: Index::Gsi1,
                pk: self.pk.clone(),
                // Ids are 26 characters of [0-9A-Z]: "<id> " sorts right after the id.
                sk: match &self.lower {
                    Some(id) => SortKey::Between(format!("{id} "), "~".into()),
                    None => SortKey::All,
                },
                ascending: true,
                limit: INDEX_PAGE,
                after: self.cursor.take(),
            };
            let page = store.query(table, &query).await?;
            self.buffer.extend(page.items);
            self.cursor = page.next;
            self.done = self.cursor.is_none();
        }
        Ok(self.buffer.front().and_then(listing_of).map(str::to_owned))
    }
}

fn encode_cursor(listing_id: &str) -> String {
    format!("{CURSOR_PREFIX}{listing_id}")
}

fn decode_cursor(text: &str) -> Result<String, QueryError> {
    text.strip_prefix(CURSOR_PREFIX)
        .filter(|id| id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned)
        .ok_or_else(|| QueryError::InvalidCursor(text.chars().take(80).collect()))
}

/// The index partitions that serve `q`: keyword first (most selective), then cells, then the
/// region (+ category).
fn partitions(q: &SearchQuery) -> Result<Vec<String>, QueryError> {
    if let Some(k) = q.keyword.as_deref().and_then(normalize_keyword) {
        return Ok(vec![format!("kw#{k}")]);
    }
    if let Some(near) = q.near {
        let cells = covering_cells(
            near.lat,
            near.lon,
            near.radius_km,
            FINE_CELL,
            MAX_FINE_CELLS,
        )
        .or_else(|| {
            covering_cells(
                near.lat,
                near.lon,
                near.radius_km,
                COARSE_CELL,
                MAX_COARSE_CELLS,
            )
        })
        .ok_or(QueryError::RadiusTooLarge {
            radius_km: near.radius_km,
            max_km: MAX_NEAR_RADIUS_KM,
        })?;
        return Ok(cells.into_iter().map(|c| format!("geo#{c}")).collect());
    }
    if let Some(region) = &q.region {
        let cat = q.category.map_or(ANY_CATEGORY.to_owned(), category_text);
        return Ok(vec![format!(
            "rc#{}#{cat}",
            region.trim().to_ascii_uppercase()
        )]);
    }
    Err(QueryError::Unindexed)
}

fn category_text(c: Category) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn validate(q: &SearchQuery) -> Result<(), QueryError> {
    if let Some(near) = q.near {
        let finite = near.lat.is_finite() && near.lon.is_finite() && near.radius_km.is_finite();
        if !finite || !(-90.0..=90.0).contains(&near.lat) || !(-180.0..=180.0).contains(&near.lon) {
            return Err(QueryError::Invalid("near: point out of range".into()));
        }
        if near.radius_km <= 0.0 {
            return Err(QueryError::Invalid("near: radius must be positive".into()));
        }
        if near.radius_km > MAX_NEAR_RADIUS_KM {
            return Err(QueryError::RadiusTooLarge {
                radius_km: near.radius_km,
                max_km: MAX_NEAR_RADIUS_KM,
            });
        }
    }
    if let Some(a) = q.available {
        if a.to < a.from {
            return Err(QueryError::Invalid("available: to before from".into()));
        }
        if (a.to - a.from).num_days() >= MAX_AVAILABLE_DAYS {
            return Err(QueryError::Invalid(format!(
                "available: at most {MAX_AVAILABLE_DAYS} days"
            )));
        }
    }
    Ok(())
}

/// Searches published listings. Hits are ordered by listing id; a page examines at most
/// [`MAX_EXAMINED`] candidates and may then return fewer than `first` hits with
/// `has_next_page` set.
pub async fn search(
    store: &dyn ReadStore,
    table: TableRef,
    q: &SearchQuery,
) -> Result<SearchPage, QueryError> {
    validate(q)?;
    let first = q.first.clamp(1, MAX_SEARCH_PAGE);
    let after = q.after.as_deref().map(decode_cursor).transpose()?;
    let mut streams: Vec<Stream> = partitions(q)?
        .into_iter()
        .map(|pk| Stream::new(pk, after.as_deref()))
        .collect();
    let mut hits = Vec::new();
    let mut examined = 0;
    let mut last_examined: Option<String> = None;
    loop {
        // The smallest listing id at the head of any stream.
        let mut next: Option<String> = None;
        for s in &mut streams {
            if let Some(id) = s.head(store, table).await?
                && next.as_ref().is_none_or(|n| id < *n)
            {
                next = Some(id);
            }
        }
        let Some(id) = next else {
            return Ok(SearchPage {
                end_cursor: hits
                    .last()
                    .map(|h: &SearchHit| encode_cursor(&h.listing_id)),
                hits,
                has_next_page: false,
            });
        };
        if hits.len() == first || examined == MAX_EXAMINED {
            // More candidates exist; the page ends at the last hit (or what was examined).
            let end = if hits.len() == first {
                hits.last().map(|h: &SearchHit| h.listing_id.clone())
            } else {
                last_examined
            };
            return Ok(SearchPage {
                end_cursor: end.as_deref().map(encode_cursor),
                hits,
                has_next_page: true,
            });
        }
        // Take every entry of `id` off the heads (a listing can be in several partitions).
        let mut listed = false;
        for s in &mut streams {
            while s.buffer.front().and_then(listing_of) == Some(id.as_str()) {
                if let Some(item) = s.buffer.pop_front() {
                    listed |= !is_deleted(&item)
                        && item.attrs.get("listed").and_then(Value::as_bool) == Some(true);
                }
            }
        }
        examined += 1;
        last_examined = Some(id.clone());
        if listed && let Some(hit) = verify(store, table, q, &id).await? {
            hits.push(hit);
        }
    }
}

/// The listing's document and inventories, checked against every criterion of `q`.
async fn verify(
    store: &dyn ReadStore,
    table: TableRef,
    q: &SearchQuery,
    listing_id: &str,
) -> Result<Option<SearchHit>, QueryError> {
    let mut query = KeyQuery {
        pk: listing_partition(listing_id),
        // "doc", "inv#…", the "ix#…" index slots, then "photo#…" ("$" follows "#").
        sk: SortKey::Between("doc".into(), "photo$".into()),
        ascending: true,
        limit: INDEX_PAGE,
        ..KeyQuery::default()
    };
    let mut doc = None;
    let mut inventory_ids = Vec::new();
    let mut inventories = Vec::new();
    let mut photos = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            if item.key.sk == "doc" {
                doc = Some(item_as::<Doc>(item)?);
            } else if let Some(id) = item.key.sk.strip_prefix("inv#") {
                inventory_ids.push(id.to_owned());
                inventories.push(item_as::<InventoryItem>(item)?);
            } else if item.key.sk.starts_with("photo#") && !crate::models::is_deleted(item) {
                photos.push(item_as::<PhotoItem>(item)?);
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let Some(doc) = doc else { return Ok(None) };
    let (lat, lon) = (doc.lat_e7 as f64 / 1e7, doc.lon_e7 as f64 / 1e7);
    if doc.status != "published" {
        return Ok(None);
    }
    if let Some(region) = &q.region
        && !doc.region.eq_ignore_ascii_case(region.trim())
    {
        return Ok(None);
    }
    if let Some(c) = q.category
        && doc.category != category_text(c)
    {
        return Ok(None);
    }
    if let Some(k) = q.keyword.as_deref().and_then(normalize_keyword) {
        // The document's tokens are the truth: recomputed from the name, plus the tags.
        let in_name = name_tokens(&doc.name).contains(&k);
        if !in_name && !doc.tags.contains(&k) {
            return Ok(None);
        }
    }
    let distance = q.near.map(|n| distance_km(n.lat, n.lon, lat, lon));
    if let (Some(n), Some(d)) = (q.near, distance)
        && d > n.radius_km
    {
        return Ok(None);
    }
    let price = doc.display_price.amount_minor;
    if q.price_min.is_some_and(|m| price < m) || q.price_max.is_some_and(|m| price > m) {
        return Ok(None);
    }
    if q.party_size
        .is_some_and(|p| p < doc.party_min || p > doc.party_max)
    {
        return Ok(None);
    }
    if let Some(a) = q.available
        && !available(store, a, &inventory_ids).await?
    {
        return Ok(None);
    }
    Ok(Some(SearchHit {
        listing_id: doc.listing_id,
        tenant_id: doc.tenant_id,
        name: doc.name,
        category: doc.category,
        tags: doc.tags,
        description_excerpt: doc.description_excerpt,
        description: doc.description,
        policy: doc.policy,
        attributes: doc.attributes,
        address: doc.address,
        region: doc.region,
        lat,
        lon,
        time_zone: doc.time_zone,
        display_price: doc.display_price,
        status: doc.status,
        party_min: doc.party_min,
        party_max: doc.party_max,
        slot_kind: doc.slot_kind,
        inventory_ids,
        inventories,
        photos: ordered(photos),
        distance_km: distance,
        rating_distribution: doc.rating_distribution,
    }))
}

/// Photos in the order they were added (ids are ULIDs made at upload).
pub fn ordered(mut photos: Vec<PhotoItem>) -> Vec<PhotoItem> {
    photos.sort_by(|a, b| a.photo_id.cmp(&b.photo_id));
    photos
}

/// Whether every date of `a` has a slot with `available ≥ 1` on some inventory.
async fn available(
    store: &dyn ReadStore,
    a: AvailableDates,
    inventory_ids: &[String],
) -> Result<bool, QueryError> {
    let mut open: BTreeMap<NaiveDate, bool> = a
        .from
        .iter_days()
        .take_while(|d| *d <= a.to)
        .map(|d| (d, false))
        .collect();
    for inventory in inventory_ids {
        for day in calendar(store, a.calendar, inventory, a.from, a.to).await? {
            if day.available >= 1
                && let Some(v) = open.get_mut(&day.date)
            {
                *v = true;
            }
        }
        if open.values().all(|v| *v) {
            return Ok(true);
        }
    }
    Ok(!open.is_empty() && open.values().all(|v| *v))
}

/// A listing's review as the search read model keeps it (its words are the engine's).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct ReviewItem {
    /// The booking reviewed (the review's id).
    pub booking_id: String,
    /// Its guest.
    pub guest_id: String,
    /// 1 to 5.
    pub rating: u8,
    /// Its photos' ids.
    #[serde(default)]
    pub photos: Vec<String>,
    /// When it was written.
    pub written_at: chrono::DateTime<chrono::Utc>,
    /// When the business last replied.
    #[serde(default)]
    pub replied_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether an admin hid it.
    #[serde(default)]
    pub hidden: bool,
}

/// Every review of `listing_id` (hidden ones too), newest written first.
///
/// # Errors
///
/// [`QueryError::Corrupt`]; the store's errors.
pub async fn reviews_of(
    store: &dyn ReadStore,
    table: TableRef,
    listing_id: &str,
) -> Result<Vec<ReviewItem>, QueryError> {
    let mut query = KeyQuery {
        pk: listing_partition(listing_id),
        sk: SortKey::BeginsWith("rev#".into()),
        ascending: true,
        limit: INDEX_PAGE,
        ..KeyQuery::default()
    };
    let mut reviews = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            if !crate::models::is_deleted(item) {
                reviews.push(item_as::<ReviewItem>(item)?);
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    reviews.sort_by(|a, b| {
        b.written_at
            .cmp(&a.written_at)
            .then_with(|| b.booking_id.cmp(&a.booking_id))
    });
    Ok(reviews)
}
