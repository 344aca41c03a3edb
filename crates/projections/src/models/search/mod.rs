//! Listing search: a document per listing and index items on the table's one secondary index
//! (gsi1), so no search scans.
//!
//! # The problem
//! Patches must be computable from one event alone, but listing events carry only what
//! changed: `ListingDetailsUpdated` may carry a category without the region, a location
//! without the name, tags without the name; status events carry only ids. An index key built
//! from two fields (`rc#<region>#<category>`) or an index entry to remove (the old tag, the old
//! cell, every entry of a suspended listing) is then not computable from the event.
//!
//! # The approach: fixed index slots owned attribute by attribute
//! Every index entry of a listing is an item in the **listing's own partition** at a **fixed
//! sort key**, so any event of the listing can address it without knowing its value; the gsi1
//! key attributes are split so that each is written by the one kind of event that carries what
//! it depends on. An item is in gsi1 only while it has both `gsi1pk` and `gsi1sk` (a sparse
//! index, in DynamoDB and in the memory store alike).
//!
//! | item (`pk = "listing#<id>"`) | `gsi1pk` (value) written by | `gsi1sk` (presence) written by |
//! |---|---|---|
//! | `ix#kwn#00`‥`07` name tokens | name (removed for unused slots) | status |
//! | `ix#kwt#00`‥`23` tag tokens | tags (removed for unused slots) | status |
//! | `ix#geo5`, `ix#geo4` cells | location | status |
//! | `ix#rc#*` | location: `rc#<region>#*` | status |
//! | `ix#rc#<category>` (5) | location: `rc#<region>#<category>` | category (only the listing's) |
//!
//! `gsi1sk` is always the listing id, so every index partition is ordered by listing id and a
//! search merges partitions and paginates by listing id. Status events (publish, suspend,
//! reinstate, archive) set `listed` on every index item and add or remove `gsi1sk` on the
//! status-owned ones: unpublished listings leave the keyword, geo and `rc#<region>#*`
//! partitions entirely and come back on reinstatement. A renamed, re-tagged or moved listing
//! overwrites its slots, so stale tokens and cells leave the index at once (no stale entries
//! accumulate). The one residue: a category partition `rc#<region>#<category>` still holds the
//! entries of unlisted listings (category owns that item's `gsi1sk`), flagged `listed: false`
//! and skipped by the query. Every hit is also verified against the listing document (status
//! `published`, region, category, keyword, distance), so the index can only ever narrow the
//! candidates, never add a wrong hit.
//!
//! Consequences, chosen deliberately: category partitions are ordered by listing id (creation
//! order), not by name — a name-sorted key would need the name in category and location events.
//! At most [`MAX_NAME_TOKENS`] name words and [`MAX_TAG_TOKENS`] tags are indexed (32 in all);
//! every tag stays in the document.
//!
//! Other items: the document `listing#<id>` / `doc` (name, category, tags, description and
//! its excerpt, address, region, coordinates, time zone, display price, status, party sizes and
//! slot kind from the policy, the whole booking policy as the domain stores it, name tokens;
//! on gsi1 under `tenant#<tenant_id>` by listing id: a business's listings, every status) and, from `InventoryDefined`, one
//! `listing#<id>` / `inv#<inventory_id>` item per inventory (its name, currency and, from
//! `InventoryDescribed`, its content: description, max occupancy, attributes) and one
//! `listing#<id>` / `photo#<photo_id>` item per photo (soft-deleted when removed).

mod geo;
mod projection;
mod query;
mod text;

pub use geo::{distance_km, geohash};
pub use projection::SearchProjection;
pub use query::{
    AvailableDates, InventoryItem, MAX_EXAMINED, MAX_NEAR_RADIUS_KM, MAX_SEARCH_PAGE, Near,
    PhotoItem, ReviewItem, SearchHit, SearchPage, SearchQuery, ordered, reviews_of, search,
};
pub use text::{name_tokens, normalize_keyword};

/// Name words indexed per listing.
pub const MAX_NAME_TOKENS: usize = 8;
/// Tags indexed per listing.
pub const MAX_TAG_TOKENS: usize = 24;
/// Geohash precision of the fine cell (about 4.9 km × 4.9 km).
pub const FINE_CELL: usize = 5;
/// Geohash precision of the coarse cell (about 39 km × 19.5 km).
pub const COARSE_CELL: usize = 4;

/// The category values of the region+category index, as stored (`snake_case`), plus `*`.
pub const CATEGORIES: [&str; 5] = ["accommodation", "restaurant", "event", "shop", "other"];
/// The "any category" entry of the region index.
pub const ANY_CATEGORY: &str = "*";

/// A business's partition on gsi1: its listings' documents, every status, by listing id.
pub fn tenant_partition(tenant_id: &str) -> String {
    format!("tenant#{tenant_id}")
}

/// A listing's partition.
pub fn listing_partition(listing_id: &str) -> String {
    format!("listing#{listing_id}")
}
