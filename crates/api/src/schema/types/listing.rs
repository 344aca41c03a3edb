//! Listing output types: the listing (from the search read model's document or a search
//! hit), its enums, and the search edge's extra field.

use async_graphql::{Enum, ID, SimpleObject};
use holdfast_domain::listing::Category;
use holdfast_projections::models::search::SearchHit;
use serde::{Deserialize, Serialize};

use super::money::Money;
use crate::error::ApiError;
use holdfast_engine::read_models::ListingDocument;

/// What kind of business a listing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "holdfast_domain::listing::Category")]
pub enum ListingCategory {
    /// Hotels, guest houses, rentals.
    Accommodation,
    /// Restaurants, cafés, dessert shops.
    Restaurant,
    /// Concerts, shows, tours, classes.
    Event,
    /// Shops with bookable pickups or appointments.
    Shop,
    /// Anything else.
    Other,
}

impl ListingCategory {
    fn parse(text: &str) -> Result<Self, ApiError> {
        serde_json::from_value::<Category>(serde_json::Value::String(text.to_owned()))
            .map(Self::from)
            .map_err(|_| ApiError::internal(format!("read model category `{text}`")))
    }
}

/// Where a listing is in its life.
// Queries and mutation payloads alike; serialised by variant name, as mutation payloads are
// stored for idempotent replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[graphql(remote = "holdfast_domain::listing::ListingStatus")]
pub enum ListingStatus {
    /// Not yet public.
    Draft,
    /// Public and bookable.
    Published,
    /// Taken down for now.
    Suspended,
    /// Gone for good.
    Archived,
}

impl ListingStatus {
    /// The read model's text for the status.
    pub fn as_read_model(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        Ok(match text {
            "draft" => Self::Draft,
            "published" => Self::Published,
            "suspended" => Self::Suspended,
            "archived" => Self::Archived,
            other => return Err(ApiError::internal(format!("read model status `{other}`"))),
        })
    }
}

/// What a listing's slots are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum SlotKind {
    /// Nights (check-in to check-out).
    Night,
    /// Time slots within a day.
    TimeSlot,
    /// Dated events.
    DatedEvent,
}

impl SlotKind {
    fn parse(text: &str) -> Result<Self, ApiError> {
        Ok(match text {
            "night" => Self::Night,
            "time_slot" => Self::TimeSlot,
            "dated_event" => Self::DatedEvent,
            other => {
                return Err(ApiError::internal(format!(
                    "read model slot kind `{other}`"
                )));
            }
        })
    }
}

/// A listing: what a business offers.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(complex)]
pub struct Listing {
    /// The listing.
    pub id: ID,
    /// Its business.
    pub tenant_id: ID,
    /// Name.
    pub name: String,
    /// Category.
    pub category: ListingCategory,
    /// Tags.
    pub tags: Vec<String>,
    /// The description's first characters.
    pub description_excerpt: String,
    /// The whole description (plain text, line breaks kept).
    pub description: String,
    /// The booking rules and refund tiers the guest agrees to by booking (null only in a read
    /// model built before policies were kept there, until `holdfast projections rebuild
    /// search`).
    pub booking_policy: Option<super::policy::BookingPolicy>,
    /// Postal address.
    pub address: String,
    /// ISO 3166 region code (`KR-11`).
    pub region: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// IANA time zone.
    pub time_zone: String,
    /// The price shown in listings.
    pub display_price: Money,
    /// Lifecycle status (always `PUBLISHED` for the public).
    pub status: ListingStatus,
    /// Smallest party the booking policy accepts.
    pub party_min: u32,
    /// Largest party the booking policy accepts.
    pub party_max: u32,
    /// What its slots are.
    pub slot_kind: SlotKind,
    /// Its inventories (capacity calendars).
    pub inventory_ids: Vec<ID>,
    /// The same, with what guests read about each ("a deluxe double", "a table for four").
    pub inventories: Vec<Inventory>,
    /// Structured attributes (amenities, cuisine, seating, accessibility), by kind and value.
    pub attributes: Vec<InventoryAttribute>,
    /// Photos of the listing and its inventories, in the order they were added.
    pub photos: Vec<Photo>,
    /// Its reviews' stars, 1★ first (see `rating`).
    #[graphql(skip)]
    pub ratings: [u32; 5],
}

/// A photo (of a listing, or of one of its inventories).
#[derive(Clone, Debug, SimpleObject)]
pub struct Photo {
    /// The photo.
    pub id: ID,
    /// The inventory it shows, if not the listing as a whole.
    pub inventory_id: Option<ID>,
    /// Width of the original, pixels.
    pub width: u32,
    /// Height of the original, pixels.
    pub height: u32,
    /// What it shows, for those who cannot see it.
    pub alt: String,
    /// The original, as uploaded (`/photos/<id>/original`).
    pub url: String,
    /// Resized JPEG copies, narrowest first (for `srcset`).
    pub variants: Vec<PhotoVariant>,
}

/// A resized copy of a photo.
#[derive(Clone, Debug, SimpleObject)]
pub struct PhotoVariant {
    /// Its width, pixels.
    pub width: u32,
    /// Where it is (`/photos/<id>/w<width>`).
    pub url: String,
}

impl From<holdfast_projections::models::search::PhotoItem> for Photo {
    fn from(p: holdfast_projections::models::search::PhotoItem) -> Self {
        Self {
            url: format!("/photos/{}/original", p.photo_id),
            variants: p
                .widths
                .iter()
                .map(|w| PhotoVariant {
                    width: *w,
                    url: format!("/photos/{}/w{w}", p.photo_id),
                })
                .collect(),
            id: ID(p.photo_id),
            inventory_id: p.inventory_id.map(ID),
            width: p.width,
            height: p.height,
            alt: p.alt,
        }
    }
}

/// One of a listing's inventories: a room type, a table group, a show — what guests choose.
#[derive(Clone, Debug, SimpleObject)]
pub struct Inventory {
    /// The inventory.
    pub id: ID,
    /// Its listing.
    pub listing_id: ID,
    /// Its business.
    pub tenant_id: ID,
    /// Display name.
    pub name: String,
    /// The currency of its prices.
    pub currency: String,
    /// Description, plain text (empty until described).
    pub description: String,
    /// How many people one unit takes, if said.
    pub max_occupancy: Option<u32>,
    /// Amenities, cuisine, seating, accessibility…, by kind and value.
    pub attributes: Vec<InventoryAttribute>,
}

/// A fact about a listing or an inventory.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Attribute")]
pub struct InventoryAttribute {
    /// What kind of fact.
    pub kind: crate::schema::inputs::inventory::AttributeKind,
    /// The value.
    pub value: String,
}

/// Domain attributes as the schema shows them.
pub fn attributes(list: &[holdfast_domain::inventory::Attribute]) -> Vec<InventoryAttribute> {
    list.iter()
        .map(|a| InventoryAttribute {
            kind: a.kind.into(),
            value: a.value.clone(),
        })
        .collect()
}

impl From<holdfast_projections::models::search::InventoryItem> for Inventory {
    fn from(i: holdfast_projections::models::search::InventoryItem) -> Self {
        let content = i.content.unwrap_or_default();
        Self {
            id: ID(i.inventory_id),
            listing_id: ID(i.listing_id),
            tenant_id: ID(i.tenant_id),
            name: i.name,
            currency: i.currency,
            description: content.description().to_owned(),
            max_occupancy: content.max_occupancy(),
            attributes: attributes(content.attributes()),
        }
    }
}

/// The policy kept in the read model, as the domain stores it.
fn policy(
    value: Option<serde_json::Value>,
) -> Result<Option<super::policy::BookingPolicy>, ApiError> {
    value
        .filter(|v| !v.is_null())
        .map(|v| {
            serde_json::from_value::<holdfast_domain::policy::BookingPolicy>(v)
                .map(Into::into)
                .map_err(|e| ApiError::internal(format!("read model policy: {e}")))
        })
        .transpose()
}

impl Listing {
    /// From the listing's search document.
    pub fn from_document(d: ListingDocument) -> Result<Self, ApiError> {
        Ok(Self {
            category: ListingCategory::parse(&d.category)?,
            status: ListingStatus::parse(&d.status)?,
            slot_kind: SlotKind::parse(&d.slot_kind)?,
            id: ID(d.listing_id),
            tenant_id: ID(d.tenant_id),
            name: d.name,
            tags: d.tags,
            description_excerpt: d.description_excerpt,
            description: d.description,
            booking_policy: policy(d.policy)?,
            address: d.address,
            region: d.region,
            lat: d.lat_e7 as f64 / 1e7,
            lon: d.lon_e7 as f64 / 1e7,
            time_zone: d.time_zone,
            display_price: d.display_price.into(),
            party_min: d.party_min,
            party_max: d.party_max,
            inventory_ids: d.inventory_ids.into_iter().map(ID).collect(),
            inventories: d.inventories.into_iter().map(Into::into).collect(),
            attributes: attributes(&d.attributes),
            photos: d.photos.into_iter().map(Into::into).collect(),
            ratings: d.rating_distribution,
        })
    }

    /// From a search hit (and its distance from the `near` point, if any).
    pub fn from_hit(h: SearchHit) -> Result<(Self, Option<f64>), ApiError> {
        let listing = Self {
            category: ListingCategory::parse(&h.category)?,
            status: ListingStatus::parse(&h.status)?,
            slot_kind: SlotKind::parse(&h.slot_kind)?,
            id: ID(h.listing_id),
            tenant_id: ID(h.tenant_id),
            name: h.name,
            tags: h.tags,
            description_excerpt: h.description_excerpt,
            description: h.description,
            booking_policy: policy(h.policy)?,
            address: h.address,
            region: h.region,
            lat: h.lat,
            lon: h.lon,
            time_zone: h.time_zone,
            display_price: h.display_price.into(),
            party_min: h.party_min,
            party_max: h.party_max,
            inventory_ids: h.inventory_ids.into_iter().map(ID).collect(),
            inventories: h.inventories.into_iter().map(Into::into).collect(),
            attributes: attributes(&h.attributes),
            photos: h.photos.into_iter().map(Into::into).collect(),
            ratings: h.rating_distribution,
        };
        Ok((listing, h.distance_km))
    }
}

/// What a search edge adds to its listing.
#[derive(Clone, Debug, SimpleObject)]
pub struct SearchEdgeFields {
    /// Distance from the `near` point, km (null without `near`).
    pub distance_km: Option<f64>,
}

/// A guest's review of a listing, as guests see it.
#[derive(Clone, Debug, SimpleObject)]
pub struct ListingReview {
    /// The booking reviewed (the review's id).
    pub booking_id: ID,
    /// 1 to 5 stars.
    pub rating: i32,
    /// What the guest wrote (null once the guest was forgotten).
    pub text: Option<String>,
    /// The business's reply, if any.
    pub reply: Option<String>,
    /// When the business last replied.
    pub replied_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was written.
    pub written_at: chrono::DateTime<chrono::Utc>,
    /// The guest's photos, in the order they named them (none once the guest was forgotten).
    pub photos: Vec<Photo>,
}

/// A listing's ratings: how many, their average, and how many of each star (1★ first).
#[derive(Clone, Debug, SimpleObject)]
pub struct RatingSummary {
    /// Reviews counted (hidden ones are not).
    pub count: i32,
    /// Their average stars, one decimal (null without reviews).
    pub average: Option<f64>,
    /// How many reviews gave 1, 2, 3, 4 and 5 stars.
    pub distribution: Vec<i32>,
}

impl RatingSummary {
    /// The summary of a tally (`distribution[n - 1]`: reviews of `n` stars).
    pub fn of(distribution: [u32; 5]) -> Self {
        let ratings = holdfast_domain::listing::Ratings { distribution };
        let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            count: clamp(ratings.count()),
            average: ratings.average().map(|a| (a * 10.0).round() / 10.0),
            distribution: distribution.into_iter().map(clamp).collect(),
        }
    }
}

/// A page of reviews (`reviews(first, after)`; `after` is the last page's `endCursor`).
#[derive(Clone, Debug, SimpleObject)]
pub struct ListingReviewPage {
    /// The reviews, newest first.
    pub nodes: Vec<ListingReview>,
    /// Whether more follow.
    pub has_next_page: bool,
    /// Give it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// The most reviews one page holds.
pub const MAX_REVIEWS_PAGE: i32 = 50;

async fn visible_reviews(
    ctx: &async_graphql::Context<'_>,
    listing: &str,
) -> Result<Vec<holdfast_projections::models::search::ReviewItem>, ApiError> {
    use holdfast_projections::models::search::reviews_of;
    use holdfast_projections::store::Table;
    let reviews = crate::schema::context::read(ctx, Table::Search, None, |store, table| {
        let listing = listing.to_owned();
        async move { reviews_of(store.as_ref(), table, &listing).await }
    })
    .await?;
    Ok(reviews.into_iter().filter(|r| !r.hidden).collect())
}

#[async_graphql::ComplexObject]
impl Listing {
    /// Its guests' reviews, newest first (hidden ones left out): `first` 1–50 (default 10).
    async fn reviews(
        &self,
        ctx: &async_graphql::Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ListingReviewPage> {
        let first = first.unwrap_or(10);
        if !(1..=MAX_REVIEWS_PAGE).contains(&first) {
            return Err(ApiError::invalid(format!(
                "first must be between 1 and {MAX_REVIEWS_PAGE} (got {first})"
            ))
            .into());
        }
        let offset = match after.as_deref() {
            None => 0,
            Some(cursor) => cursor
                .strip_prefix("r")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= 1_000_000)
                .ok_or_else(|| ApiError::invalid("after is not a cursor of this field"))?,
        };
        let all = visible_reviews(ctx, self.id.as_str()).await?;
        let end = offset.saturating_add(first as usize).min(all.len());
        let engine = crate::schema::context::state(ctx);
        let mut nodes = Vec::new();
        for review in all.get(offset..end).unwrap_or_default() {
            let booking = holdfast_domain::common::BookingId::parse(&review.booking_id)
                .map_err(ApiError::internal)?;
            let words = holdfast_engine::reviews::texts(engine.store.db(), booking)
                .await
                .map_err(ApiError::from)?;
            let (text, reply) = match words {
                Some((text, reply)) => (Some(text), reply),
                None => (None, None),
            };
            let photos = if review.photos.is_empty() {
                Vec::new()
            } else {
                let uploaded =
                    holdfast_engine::reviews::photos_of_booking(engine.store.db(), booking)
                        .await
                        .map_err(ApiError::from)?;
                review
                    .photos
                    .iter()
                    .filter_map(|id| uploaded.iter().find(|p| &p.photo_id == id))
                    .map(|p| {
                        Photo::from(holdfast_projections::models::search::PhotoItem {
                            photo_id: p.photo_id.clone(),
                            inventory_id: None,
                            width: p.width,
                            height: p.height,
                            widths: p.widths.clone(),
                            content_type: p.content_type.clone(),
                            alt: String::new(),
                        })
                    })
                    .collect()
            };
            nodes.push(ListingReview {
                booking_id: ID(review.booking_id.clone()),
                rating: i32::from(review.rating),
                text,
                reply,
                replied_at: review.replied_at,
                written_at: review.written_at,
                photos,
            });
        }
        Ok(ListingReviewPage {
            nodes,
            has_next_page: end < all.len(),
            end_cursor: (end > offset).then(|| format!("r{end}")),
        })
    }

    /// Its ratings (hidden reviews left out).
    async fn rating(&self) -> RatingSummary {
        RatingSummary::of(self.ratings)
    }
}
