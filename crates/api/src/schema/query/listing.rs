//! Public listing queries: `listing(id)` and `search(..)`, over the search read model.
//!
//! A published listing is public. A draft, suspended or archived one is visible to its
//! tenant's operators and to admins only; anyone else gets `NOT_FOUND` (its existence is not
//! revealed).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result};
use holdfast_domain::common::{ListingId, TenantId};
use holdfast_projections::models::search::{AvailableDates, Near, SearchQuery, search};
use holdfast_projections::store::Table;

use crate::error::ApiError;
use crate::schema::context::read;
use crate::schema::context::{authenticated, principal, state};
use crate::schema::types::listing::{Listing, ListingCategory, ListingStatus, SearchEdgeFields};
use crate::schema::types::{Date, connection_complexity, page_size, parse_id};
use holdfast_engine::read_models::{listing_document, listings_of_tenant, table_ref};

/// Around a point.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct NearInput {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Radius, km (at most 50).
    pub radius_km: f64,
}

/// The search read model's cursor format (`s1:<listing id>`: resume after that listing).
const SEARCH_CURSOR_PREFIX: &str = "s1:";
/// Pages of candidates a search examines looking for a first hit.
const MAX_EMPTY_ROUNDS: usize = 20;

/// A page of search hits.
pub type SearchConnection = Connection<String, Listing, EmptyFields, SearchEdgeFields>;

/// The order of search results.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// By listing id (creation order): the index's own order, over any number of hits.
    #[default]
    ListingId,
    /// Best match of the keyword first (in the name before only in the tags), then by name.
    Relevance,
    /// Lowest display price first.
    PriceLow,
    /// Highest display price first.
    PriceHigh,
    /// Nearest to `near` first (needs `near`).
    Distance,
    /// Newest listings first.
    Newest,
    /// Best average rating first (exactly: no rounding), then more reviews; unrated last.
    Rating,
}

/// Best average first, compared exactly (`sum_a / count_a` against `sum_b / count_b` by
/// cross-multiplying), then more reviews, then listing id; listings without reviews last.
fn by_rating(
    a: &holdfast_projections::models::search::SearchHit,
    b: &holdfast_projections::models::search::SearchHit,
) -> std::cmp::Ordering {
    use holdfast_domain::listing::Ratings;
    use holdfast_projections::models::search::SearchHit;
    let tally = |h: &SearchHit| {
        let r = Ratings {
            distribution: h.rating_distribution,
        };
        (u128::from(r.sum()), u128::from(r.count()))
    };
    let ((sum_a, count_a), (sum_b, count_b)) = (tally(a), tally(b));
    (count_b > 0)
        .cmp(&(count_a > 0))
        .then_with(|| (sum_b * count_a).cmp(&(sum_a * count_b)))
        .then_with(|| count_b.cmp(&count_a))
        .then_with(|| a.listing_id.cmp(&b.listing_id))
}

/// The most hits a sorted search orders (more: narrow the search).
pub const MAX_SORTED_HITS: usize = 500;

/// Cursors of sorted searches: `o1:<offset of the edge>`.
const SORTED_CURSOR_PREFIX: &str = "o1:";

/// Listing queries.
#[derive(Default)]
pub struct ListingQuery;

#[Object]
impl ListingQuery {
    /// A listing by id. Published listings are public; others only for their tenant's
    /// operators and admins (`NOT_FOUND` for anyone else).
    async fn listing(
        &self,
        ctx: &Context<'_>,
        id: ID,
        consistency_token: Option<String>,
    ) -> Result<Listing> {
        let listing_id = parse_id("id", &id, ListingId::parse)?.to_string();
        let listing_id = listing_id.as_str();
        let doc = read(
            ctx,
            Table::Search,
            consistency_token.as_deref(),
            |store, table| async move { listing_document(store.as_ref(), table, listing_id).await },
        )
        .await?
        .ok_or_else(|| ApiError::not_found("listing"))?;
        let listing = Listing::from_document(doc)?;
        let visible = listing.status == ListingStatus::Published
            || TenantId::parse(&listing.tenant_id).is_ok_and(|t| principal(ctx).operates(t));
        if !visible {
            return Err(ApiError::not_found("listing").into());
        }
        Ok(listing)
    }

    /// Published listings matching every criterion given, ordered by listing id. Needs a
    /// `region`, a `near` point or a `keyword` (an index serves it); the rest filter.
    /// `availableFrom`/`availableTo` (together, at most 366 days): some inventory has a unit
    /// free on every date.
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        region: Option<String>,
        category: Option<ListingCategory>,
        keyword: Option<String>,
        near: Option<NearInput>,
        price_min: Option<i64>,
        price_max: Option<i64>,
        party_size: Option<i32>,
        available_from: Option<Date>,
        available_to: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
        sort: Option<SearchSort>,
        consistency_token: Option<String>,
    ) -> Result<SearchConnection> {
        let first = page_size(first)?;
        let sort = sort.unwrap_or_default();
        let party_size = party_size
            .map(|p| u32::try_from(p).map_err(|_| ApiError::invalid("partySize must be positive")))
            .transpose()?;
        let token = consistency_token.as_deref();
        let available = match (available_from, available_to) {
            (None, None) => None,
            (Some(from), Some(to)) => Some(AvailableDates {
                from: from.0,
                to: to.0,
                calendar: table_ref(state(ctx), Table::Calendar, token)
                    .await
                    .map_err(ApiError)?,
            }),
            _ => {
                return Err(ApiError::invalid("availableFrom and availableTo go together").into());
            }
        };
        let query = SearchQuery {
            region,
            category: category.map(Into::into),
            near: near.map(|n| Near {
                lat: n.lat,
                lon: n.lon,
                radius_km: n.radius_km,
            }),
            keyword,
            price_min,
            price_max,
            party_size,
            available,
            first,
            after,
        };
        if sort != SearchSort::ListingId {
            return Ok(sorted_search(ctx, query, sort, token).await?);
        }
        let has_previous_page = query.after.is_some();
        let mut query = query;
        let mut rounds = 0;
        let page = loop {
            let q = &query;
            let page = read(ctx, Table::Search, token, |store, table| async move {
                search(store.as_ref(), table, q).await
            })
            .await?;
            // A page examines a bounded number of candidates; one that found none yet has
            // more to examine continues here, so a client never gets an empty page that has a
            // next page but no cursor to reach it.
            if !page.hits.is_empty() || !page.has_next_page {
                break page;
            }
            rounds += 1;
            if rounds == MAX_EMPTY_ROUNDS {
                return Err(ApiError::invalid(
                    "this search matches too little of what it has to examine; narrow it (a keyword, a smaller area or a category)",
                )
                .into());
            }
            query.after = page.end_cursor;
        };
        let last = page.hits.len().saturating_sub(1);
        let mut connection = Connection::new(has_previous_page, page.has_next_page);
        for (i, hit) in page.hits.into_iter().enumerate() {
            // The search's cursor resumes after a listing id; the last edge takes the page's
            // own end cursor (it may lie past the last hit, after candidates examined).
            let cursor = match (&page.end_cursor, i == last) {
                (Some(end), true) => end.clone(),
                _ => format!("{SEARCH_CURSOR_PREFIX}{}", hit.listing_id),
            };
            let (listing, distance_km) = Listing::from_hit(hit)?;
            connection.edges.push(Edge::with_additional_fields(
                cursor,
                listing,
                SearchEdgeFields { distance_km },
            ));
        }
        Ok(connection)
    }

    /// A business's listings, every status (or only `status`), in creation order. Its
    /// published ones (`status: PUBLISHED`) are public — what its booking site shows; any
    /// other status is for its operators and admins (`FORBIDDEN` for anyone else,
    /// `UNAUTHENTICATED` when anonymous).
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    async fn business_listings(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        status: Option<ListingStatus>,
        first: Option<i32>,
        after: Option<String>,
        consistency_token: Option<String>,
    ) -> Result<SearchConnection> {
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if status != Some(ListingStatus::Published) && !authenticated(ctx)?.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let first = page_size(first)?;
        let tenant = tenant.to_string();
        let (tenant, after_id) = (tenant.as_str(), after.as_deref());
        let status = status.map(ListingStatus::as_read_model);
        let page = read(
            ctx,
            Table::Search,
            consistency_token.as_deref(),
            |store, table| async move {
                listings_of_tenant(store.as_ref(), table, tenant, status, first, after_id).await
            },
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        for doc in page.items {
            let listing = Listing::from_document(doc)?;
            connection.edges.push(Edge::with_additional_fields(
                listing.id.to_string(),
                listing,
                SearchEdgeFields { distance_km: None },
            ));
        }
        Ok(connection)
    }
}

/// A search in `sort` order: every match (at most [`MAX_SORTED_HITS`]) read, ordered, and
/// paginated by offset (`o1:<n>` cursors).
async fn sorted_search(
    ctx: &Context<'_>,
    query: SearchQuery,
    sort: SearchSort,
    token: Option<&str>,
) -> Result<SearchConnection, ApiError> {
    use holdfast_projections::models::search::{
        MAX_SEARCH_PAGE, SearchHit, name_tokens, normalize_keyword,
    };
    if sort == SearchSort::Distance && query.near.is_none() {
        return Err(ApiError::invalid("sort: DISTANCE needs `near`"));
    }
    let offset = match query.after.as_deref() {
        None => 0,
        Some(cursor) => cursor
            .strip_prefix(SORTED_CURSOR_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_add(1))
            .ok_or_else(|| ApiError::invalid("after: not a cursor of this sort"))?,
    };
    let first = query.first;
    let mut all_query = SearchQuery {
        first: MAX_SEARCH_PAGE,
        after: None,
        ..query
    };
    let mut hits: Vec<SearchHit> = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        if rounds > MAX_EMPTY_ROUNDS {
            return Err(ApiError::invalid(
                "this search examines too much to sort it: narrow it (a keyword, a smaller area or a category)",
            ));
        }
        let q = &all_query;
        let page = read(ctx, Table::Search, token, |store, table| async move {
            search(store.as_ref(), table, q).await
        })
        .await?;
        hits.extend(page.hits);
        if hits.len() > MAX_SORTED_HITS {
            return Err(ApiError::invalid(format!(
                "more than {MAX_SORTED_HITS} listings match: narrow the search (a keyword, a smaller area, a category) to sort it"
            )));
        }
        if !page.has_next_page {
            break;
        }
        all_query.after = page.end_cursor;
    }
    let keyword = all_query.keyword.as_deref().and_then(normalize_keyword);
    // Relevance: the keyword among the name's words (0), in the name at all (1), only a tag (2).
    let relevance = |h: &SearchHit| match &keyword {
        Some(k) if name_tokens(&h.name).contains(k) => 0,
        Some(k) if h.name.to_lowercase().contains(k.as_str()) => 1,
        Some(_) => 2,
        None => 0,
    };
    let price = |h: &SearchHit| h.display_price.amount_minor;
    match sort {
        SearchSort::Relevance => hits.sort_by(|a, b| {
            (relevance(a), a.name.to_lowercase(), &a.listing_id).cmp(&(
                relevance(b),
                b.name.to_lowercase(),
                &b.listing_id,
            ))
        }),
        SearchSort::PriceLow => {
            hits.sort_by(|a, b| (price(a), &a.listing_id).cmp(&(price(b), &b.listing_id)))
        }
        SearchSort::PriceHigh => hits.sort_by(|a, b| {
            (std::cmp::Reverse(price(a)), &a.listing_id)
                .cmp(&(std::cmp::Reverse(price(b)), &b.listing_id))
        }),
        SearchSort::Distance => hits.sort_by(|a, b| {
            let d = |h: &SearchHit| h.distance_km.unwrap_or(f64::MAX);
            d(a).total_cmp(&d(b))
                .then_with(|| a.listing_id.cmp(&b.listing_id))
        }),
        SearchSort::Newest => hits.sort_by(|a, b| b.listing_id.cmp(&a.listing_id)),
        SearchSort::Rating => hits.sort_by(by_rating),
        SearchSort::ListingId => {}
    }
    let total = hits.len();
    let mut connection = Connection::new(offset > 0, offset.saturating_add(first) < total);
    for (i, hit) in hits.into_iter().enumerate().skip(offset).take(first) {
        let (listing, distance_km) = Listing::from_hit(hit)?;
        connection.edges.push(Edge::with_additional_fields(
            format!("{SORTED_CURSOR_PREFIX}{i}"),
            listing,
            SearchEdgeFields { distance_km },
        ));
    }
    Ok(connection)
}
