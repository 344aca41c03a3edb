//! How adapters read the read models: read-your-writes first, then one store request.
//!
//! - [`read`]: waits for a consistency token ([`consistency::wait`]), names the table
//!   generation readers use (from the [`AliasCache`]), runs the query, and retries once on a
//!   fresh alias if the cached generation has just been dropped by a rebuild.
//! - [`AliasCache`]: which generation each read model's alias names, kept for [`ALIAS_TTL`],
//!   so a query costs one DynamoDB request instead of two (alias + data). A rebuild switch is
//!   picked up within the TTL on any node, and at once on a node that runs the projector (the
//!   cache checks the in-process projector's generation, which moves with the switch). A query
//!   given a consistency token on a node without projectors always reads the alias fresh, so
//!   it never reads a generation older than the one its token was checked against.
//! - [`listing_document`]: one listing's document from the search read model (the projection
//!   crate only searches; a listing by id is one partition query here).
//! - `From<QueryError> for EngineError`: read-model failures as client errors (bad cursors and
//!   out-of-range arguments are `INVALID_INPUT`; a store outage is `UNAVAILABLE`; corrupt
//!   items are `INTERNAL`, logged).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use holdfast_projections::models::QueryError;
use holdfast_projections::models::search::listing_partition;
use holdfast_projections::store::{KeyQuery, ReadStore, ReadStoreError, SortKey, Table, TableRef};
use serde::Deserialize;
use serde_json::Value;

use crate::Engine;
use crate::consistency;
use crate::error::{EngineError, ErrorCode};

/// How long a cached alias is trusted.
pub const ALIAS_TTL: Duration = Duration::from_millis(500);

/// The generation each read model's alias names, cached for a short time (one per engine).
#[derive(Debug)]
pub struct AliasCache {
    ttl: Duration,
    entries: Mutex<HashMap<Table, (u32, Instant)>>,
}

impl Default for AliasCache {
    fn default() -> Self {
        Self::new(ALIAS_TTL)
    }
}

impl AliasCache {
    /// A cache trusting an alias for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Table, (u32, Instant)>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, table: Table) -> Option<u32> {
        let entries = self.entries();
        let (generation, at) = entries.get(&table)?;
        (at.elapsed() < self.ttl).then_some(*generation)
    }

    /// Forgets `table`'s alias (the next read asks the store).
    pub fn invalidate(&self, table: Table) {
        self.entries().remove(&table);
    }

    /// The generation of `table` to read. `token_given`: the caller waited for a consistency
    /// token, so the generation must be the one the wait observed (see the module docs).
    pub async fn resolve(
        &self,
        state: &Engine,
        table: Table,
        token_given: bool,
    ) -> Result<TableRef, EngineError> {
        let projector = state
            .projections
            .as_ref()
            .and_then(|runtime| runtime.status(table))
            .and_then(|status| status.generation);
        if let Some(generation) = self.cached(table) {
            let confirmed = match projector {
                Some(p) => p == generation,
                None => !token_given,
            };
            if confirmed {
                return Ok(TableRef::new(table, generation));
            }
        }
        let fresh = consistency::current(state, table).await?;
        self.entries()
            .insert(table, (fresh.generation, Instant::now()));
        Ok(fresh)
    }
}

/// Names the generation of `table` to read (after a wait for `token`, if given).
pub async fn table_ref(
    engine: &Engine,
    table: Table,
    token: Option<&str>,
) -> Result<TableRef, EngineError> {
    consistency::wait(engine, table, token).await?;
    engine.aliases.resolve(engine, table, token.is_some()).await
}

/// Reads `table` with `query`: waits for `token`, resolves the generation, runs the query;
/// if the generation no longer exists (a rebuild dropped it), re-resolves and runs it once
/// more.
pub async fn read<T, F, Fut>(
    engine: &Engine,
    table: Table,
    token: Option<&str>,
    query: F,
) -> Result<T, EngineError>
where
    F: Fn(Arc<dyn ReadStore>, TableRef) -> Fut,
    Fut: Future<Output = Result<T, QueryError>>,
{
    let store = engine.read_side.store();
    let first = table_ref(engine, table, token).await?;
    match query(store.clone(), first).await {
        Err(QueryError::Store(ReadStoreError::NoSuchTable(_))) => {
            engine.aliases.invalidate(table);
            let again = consistency::current(engine, table).await?;
            if again == first {
                return Err(EngineError::new(
                    ErrorCode::Unavailable,
                    format!("the {table} read model is being rebuilt; retry"),
                ));
            }
            Ok(query(store, again).await?)
        }
        other => Ok(other?),
    }
}

impl From<QueryError> for EngineError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Store(e) if e.is_transient() => {
                tracing::warn!(error = %e, "read store unavailable");
                EngineError::new(
                    ErrorCode::Unavailable,
                    "the read models are unavailable; retry",
                )
            }
            QueryError::Store(ReadStoreError::NoSuchTable(table)) => {
                tracing::warn!(%table, "read model table missing");
                EngineError::new(
                    ErrorCode::Unavailable,
                    "the read model is being rebuilt; retry",
                )
            }
            e @ (QueryError::Store(_) | QueryError::Corrupt { .. }) => EngineError::internal(e),
            e @ (QueryError::InvalidCursor(_)
            | QueryError::Unindexed
            | QueryError::RadiusTooLarge { .. }
            | QueryError::Invalid(_)) => EngineError::invalid(e.to_string()),
        }
    }
}

/// A listing as its search document has it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ListingDocument {
    /// The listing.
    pub listing_id: String,
    /// Its business.
    pub tenant_id: String,
    /// Name.
    pub name: String,
    /// Category (`snake_case`).
    pub category: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The description's first characters.
    #[serde(default)]
    pub description_excerpt: String,
    /// The whole description (empty until a read model built before it was kept is rebuilt).
    #[serde(default)]
    pub description: String,
    /// The booking policy as the domain stores it (`None` until such a read model is rebuilt).
    #[serde(default)]
    pub policy: Option<Value>,
    /// Structured attributes, by kind and value.
    #[serde(default)]
    pub attributes: Vec<holdfast_domain::inventory::Attribute>,
    /// Postal address.
    pub address: String,
    /// Region code.
    pub region: String,
    /// Latitude, 10⁻⁷ degrees.
    pub lat_e7: i64,
    /// Longitude, 10⁻⁷ degrees.
    pub lon_e7: i64,
    /// IANA time zone.
    pub time_zone: String,
    /// Display price.
    pub display_price: holdfast_projections::models::Amount,
    /// `draft`, `published`, `suspended` or `archived`.
    pub status: String,
    /// Smallest party.
    pub party_min: u32,
    /// Largest party.
    pub party_max: u32,
    /// `night`, `time_slot` or `dated_event`.
    pub slot_kind: String,
    /// Its reviews' stars (written, not hidden): how many gave 1‥5.
    #[serde(default)]
    pub rating_distribution: [u32; 5],
    /// The listing's inventories (filled from the inventory items, not the document).
    #[serde(skip)]
    pub inventory_ids: Vec<String>,
    /// The same, with their names and content.
    #[serde(skip)]
    pub inventories: Vec<holdfast_projections::models::search::InventoryItem>,
    /// Its photos, in the order they were added.
    #[serde(skip)]
    pub photos: Vec<holdfast_projections::models::search::PhotoItem>,
}

/// One listing's document and inventories: one partition query (`doc`, then `inv#…`).
pub async fn listing_document(
    store: &dyn ReadStore,
    table: TableRef,
    listing_id: &str,
) -> Result<Option<ListingDocument>, QueryError> {
    let mut query = KeyQuery {
        pk: listing_partition(listing_id),
        // "doc", "inv#…", the "ix#…" index slots, then "photo#…" ("$" follows "#").
        sk: SortKey::Between("doc".into(), "photo$".into()),
        ascending: true,
        limit: 100,
        ..KeyQuery::default()
    };
    let mut doc: Option<ListingDocument> = None;
    let mut inventories = Vec::new();
    let mut items = Vec::new();
    let mut photos = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            if item.key.sk == "doc" {
                let value = Value::Object(item.attrs.clone().into_iter().collect());
                doc = Some(
                    serde_json::from_value(value).map_err(|e| QueryError::Corrupt {
                        key: item.key.clone(),
                        reason: e.to_string(),
                    })?,
                );
            } else if let Some(id) = item.key.sk.strip_prefix("inv#") {
                inventories.push(id.to_owned());
                let value = Value::Object(item.attrs.clone().into_iter().collect());
                items.push(
                    serde_json::from_value(value).map_err(|e| QueryError::Corrupt {
                        key: item.key.clone(),
                        reason: e.to_string(),
                    })?,
                );
            } else if item.key.sk.starts_with("photo#")
                && item.attrs.get("deleted") != Some(&Value::Bool(true))
            {
                let value = Value::Object(item.attrs.clone().into_iter().collect());
                photos.push(
                    serde_json::from_value(value).map_err(|e| QueryError::Corrupt {
                        key: item.key.clone(),
                        reason: e.to_string(),
                    })?,
                );
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    Ok(doc.map(|mut d| {
        d.inventory_ids = inventories;
        d.inventories = items;
        d.photos = holdfast_projections::models::search::ordered(photos);
        d
    }))
}

/// A page of a business's listings.
#[derive(Clone, Debug, PartialEq)]
pub struct ListingPage {
    /// The listings, by id (creation order).
    pub items: Vec<ListingDocument>,
    /// The last listing's id: pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more may follow.
    pub has_next_page: bool,
}

/// A business's listings, every status (or only `status`: `draft`, `published`, …), by
/// listing id, `first` after the listing `after`; each with its inventories.
///
/// # Errors
///
/// [`QueryError::InvalidCursor`] for an `after` that is no listing id; the store's errors.
pub async fn listings_of_tenant(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    status: Option<&str>,
    first: usize,
    after: Option<&str>,
) -> Result<ListingPage, QueryError> {
    use holdfast_projections::models::search::tenant_partition;
    let (docs, has_next_page) = holdfast_projections::models::page_by_id::<ListingDocument>(
        store,
        table,
        holdfast_projections::store::Index::Gsi1,
        tenant_partition(tenant_id),
        first,
        after,
        |doc| status.is_none_or(|s| s == doc.status),
    )
    .await?;
    // Each one's inventories (its own partition: one query each).
    let mut items = Vec::with_capacity(docs.len());
    for doc in docs {
        let id = doc.listing_id.clone();
        items.push(listing_document(store, table, &id).await?.unwrap_or(doc));
    }
    Ok(ListingPage {
        end_cursor: items.last().map(|d| d.listing_id.clone()),
        items,
        has_next_page,
    })
}
