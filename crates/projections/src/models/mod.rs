//! The four read models: each a [`Projection`] (pure event → patches) plus typed query
//! functions that work over any [`ReadStore`].
//!
//! - [`calendar`]: availability per inventory and slot (`inv#<inventory>` / `<slot>`).
//! - [`search`]: listing documents and their index items (region+category, geohash cell,
//!   keyword/tag), all on the table's one secondary index.
//! - [`bookings`]: booking by id, by guest (newest first, on the secondary index), and the
//!   operator's day sheet per tenant and local date.
//! - [`coupons`]: the guest's wallet and campaign statistics.
//!
//! Rules every model follows (see [`crate::store`] for why):
//! - **Absolute values only.** A patch sets what the event carries (inventory events carry slot
//!   snapshots, coupon events counts, booking events status and totals), never "previous + 1",
//!   so replaying or re-delivering an event changes nothing.
//! - **No hot partitions.** Partitions are per inventory, per listing, per guest, per tenant and
//!   date, per campaign — never per date alone.
//! - **One patch per key per event**, and **soft deletion** (`deleted: true`), because items
//!   are versioned by log position and must never disappear under a late re-delivery.
//! - Events are decoded with serde into the domain's event enums, dispatching on
//!   `aggregate_type`; an undecodable payload of a consumed aggregate is a
//!   [`ProjectionError::Decode`], events of other aggregates give no patches.

pub mod bookings;
pub mod calendar;
pub mod coupons;
pub mod search;

use std::sync::Arc;

use holdfast_domain::common::Money;
use holdfast_eventstore::StoredEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::projection::{Projection, ProjectionError};
use crate::store::{Attrs, Item, Key, ReadStoreError};

pub use bookings::BookingsProjection;
pub use calendar::CalendarProjection;
pub use coupons::CouponsProjection;
pub use search::SearchProjection;

/// The four read models' projections: calendar, search, bookings, coupons.
pub fn all_projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(CalendarProjection),
        Arc::new(SearchProjection),
        Arc::new(BookingsProjection),
        Arc::new(CouponsProjection),
    ]
}

/// Why a read-model query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ReadStoreError),
    /// A stored item does not have the shape its projection writes.
    #[error("read model item {key:?} is malformed: {reason}")]
    Corrupt {
        /// The item.
        key: Key,
        /// What was wrong.
        reason: String,
    },
    /// A pagination cursor that no query of this kind produced.
    #[error("invalid cursor `{0}`")]
    InvalidCursor(String),
    /// A search with nothing an index can serve (needs a region, a point or a keyword).
    #[error("a search needs a region, a point (near) or a keyword")]
    Unindexed,
    /// A "near" search wider than the geohash index serves.
    #[error("search radius {radius_km} km exceeds the maximum of {max_km} km")]
    RadiusTooLarge {
        /// Asked for.
        radius_km: f64,
        /// The limit.
        max_km: f64,
    },
    /// A query argument out of range (negative radius, reversed dates…).
    #[error("invalid query: {0}")]
    Invalid(String),
}

/// An amount of money as stored in read models and returned by queries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// Minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Self {
            amount_minor: m.amount_minor,
            currency: m.currency.as_str().to_owned(),
        }
    }
}

/// Money as an attribute value.
pub(crate) fn money(m: Money) -> Value {
    json!({"amount_minor": m.amount_minor, "currency": m.currency.as_str()})
}

/// Decodes an event's payload as `E`, or a [`ProjectionError::Decode`].
pub(crate) fn decode<E: DeserializeOwned>(event: &StoredEvent) -> Result<E, ProjectionError> {
    serde_json::from_value(event.payload.clone()).map_err(|e| ProjectionError::decode(event, e))
}

/// Builds an attribute map from `(name, value)` pairs.
pub(crate) fn attrs<const N: usize>(pairs: [(&str, Value); N]) -> Attrs {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Decodes a stored item's attributes (without its key) as `T`.
pub(crate) fn item_as<T: DeserializeOwned>(item: &Item) -> Result<T, QueryError> {
    let value = Value::Object(item.attrs.clone().into_iter().collect());
    serde_json::from_value(value).map_err(|e| QueryError::Corrupt {
        key: item.key.clone(),
        reason: e.to_string(),
    })
}

/// Whether an item is soft-deleted.
pub(crate) fn is_deleted(item: &Item) -> bool {
    item.attrs.get("deleted").and_then(Value::as_bool) == Some(true)
}

/// A page of a partition whose sort keys (on `index`) are ids — a business's listings,
/// campaigns or guests: the items `keep` accepts, in id order, `first` after the id `after`;
/// with whether more may follow.
///
/// # Errors
///
/// [`QueryError::InvalidCursor`] for an `after` that is no id; [`QueryError::Corrupt`]; the
/// store's errors.
pub async fn page_by_id<T: DeserializeOwned>(
    store: &dyn crate::store::ReadStore,
    table: crate::store::TableRef,
    index: crate::store::Index,
    pk: String,
    first: usize,
    after: Option<&str>,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, bool), QueryError> {
    use crate::store::{KeyQuery, SortKey};
    if let Some(id) = after
        && (id.len() != 26 || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(QueryError::InvalidCursor(id.chars().take(80).collect()));
    }
    let mut query = KeyQuery {
        index,
        pk,
        // Ids are 26 characters of [0-9A-Z]: "<id> " sorts right after the id.
        sk: match after {
            Some(id) => SortKey::Between(format!("{id} "), "~".into()),
            None => SortKey::All,
        },
        ascending: true,
        limit: (first + 1).max(25),
        after: None,
    };
    let mut items: Vec<T> = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            let value: T = item_as(item)?;
            if keep(&value) {
                items.push(value);
            }
        }
        match page.next {
            Some(next) if items.len() <= first => query.after = Some(next),
            _ => break,
        }
    }
    let more = items.len() > first;
    items.truncate(first);
    Ok((items, more))
}
