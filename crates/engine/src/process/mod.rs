//! Application services that span aggregates (any adapter calls them).
//!
//! - [`place_booking`] — the booking placement process (policy → hold → coupon → held), with
//!   compensation and a booking id derived from the idempotency key.
//! - [`lifecycle`] — the other multi-aggregate steps of a booking's life: payment confirmation
//!   (booking, then allocation), cancellation (booking, then the hold or allocation and the
//!   coupon), accepting a waitlist offer (hold, then booking).
//! - [`current`] — an aggregate's current state through its dispatcher's cache (validated by
//!   sequence against the event store: only newer events are read); [`load`] /
//!   [`load_snapshotted`] read it from the event store alone. Never from a read model: decisions
//!   read the primary's event stream.

pub mod lifecycle;
pub mod one_commit;
pub mod place_booking;

use std::collections::HashMap;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, EventStore as _};
use holdfast_eventstore::{EventStore, Position};

use crate::Engine;
use crate::commands::Commands;
use crate::dispatch::{DispatchError, Dispatcher};
use crate::error::{EngineError, ErrorCode};
use holdfast_domain::booking::Booking;
use holdfast_domain::coupon::CouponCampaign;
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::Listing;

/// An aggregate the application dispatches commands to (and so caches).
pub trait Dispatched: holdfast_domain::Decide + 'static {
    /// Its dispatcher.
    fn dispatcher(commands: &Commands) -> &Dispatcher<Self>;
}

macro_rules! dispatched {
    ($($aggregate:ty => $field:ident),*) => {$(
        impl Dispatched for $aggregate {
            fn dispatcher(commands: &Commands) -> &Dispatcher<Self> {
                &commands.$field
            }
        }
    )*};
}
dispatched!(Listing => listings, Inventory => inventories, Booking => bookings, CouponCampaign => coupons, holdfast_domain::tenant::Tenant => tenants, holdfast_domain::points::PointsAccount => points, holdfast_domain::watch::Watch => watches, holdfast_domain::points::PlatformProgram => platform);

/// The current state of aggregate `A` with id `id` (the default state when it has no event),
/// through the dispatcher's cache: the cached state brought up to date with the events after
/// its sequence.
pub async fn current<A>(state: &Engine, id: &str) -> Result<A, EngineError>
where
    A: Dispatched,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Send + 'static,
    A::Services: Send + Sync + 'static,
{
    A::dispatcher(&state.commands)
        .load(id)
        .await
        .map_err(dispatch_error)
}

fn dispatch_error<E: std::error::Error>(e: DispatchError<E>) -> EngineError {
    match e {
        DispatchError::Unavailable(reason) => unavailable(&reason),
        other => EngineError::internal(other),
    }
}

/// `UNAVAILABLE` (retryable), the cause logged.
fn unavailable(cause: &dyn std::fmt::Display) -> EngineError {
    tracing::warn!(error = %cause, "event store unavailable");
    EngineError::new(
        ErrorCode::Unavailable,
        "the event store is unavailable; retry",
    )
}

/// How stale a cached aggregate may be for reads that decide nothing on their own (see
/// [`recent`]).
pub const READ_FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

/// The state of aggregate `A` with id `id` from its dispatcher's cache when that was known to be
/// current less than [`READ_FRESHNESS`] ago (no read), else brought up to date like
/// [`current`]. This node's own writes show at once; another node's within the bound.
pub async fn recent<A>(state: &Engine, id: &str) -> Result<A, EngineError>
where
    A: Dispatched,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Send + 'static,
    A::Services: Send + Sync + 'static,
{
    A::dispatcher(&state.commands)
        .recent(id, READ_FRESHNESS)
        .await
        .map_err(dispatch_error)
}

pub use place_booking::{PlaceBooking, PlaceBookingRequest, PlacedBooking, booking_id_for};

/// `INVALID_STATE` when `tenant`'s business is suspended: it takes no bookings (placements,
/// waitlist entries, accepted offers). A business that never onboarded here (a tenant an
/// outside provider's tokens name) is open. Read through the tenants' cache, fresh within
/// [`READ_FRESHNESS`].
///
/// # Errors
///
/// `INVALID_STATE`, or the store's error.
pub async fn ensure_taking_bookings(
    state: &Engine,
    tenant: holdfast_domain::common::TenantId,
) -> Result<(), EngineError> {
    let business: holdfast_domain::tenant::Tenant = recent(state, &tenant.to_string()).await?;
    if business
        .state()
        .is_some_and(|b| b.status == holdfast_domain::tenant::TenantStatus::Suspended)
    {
        return Err(EngineError::new(
            crate::error::ErrorCode::InvalidState,
            "this business is suspended and takes no bookings",
        ));
    }
    Ok(())
}

/// The current state of aggregate `A` with id `id` (the default state when it has no event).
pub async fn load<A: Aggregate>(store: &EventStore, id: &str) -> Result<A, EngineError> {
    PersistedEventStore::<_, A>::new_event_store(store.repository())
        .load_aggregate(id)
        .await
        .map(|context| context.aggregate)
        .map_err(load_error)
}

/// Like [`load`], starting from the latest snapshot (for long streams such as inventories).
pub async fn load_snapshotted<A: Aggregate>(
    store: &EventStore,
    id: &str,
    snapshot_every: usize,
) -> Result<A, EngineError> {
    PersistedEventStore::<_, A>::new_snapshot_store(store.repository(), snapshot_every)
        .load_aggregate(id)
        .await
        .map(|context| context.aggregate)
        .map_err(load_error)
}

fn load_error<E: std::error::Error>(e: AggregateError<E>) -> EngineError {
    match e {
        AggregateError::DatabaseConnectionError(e) => unavailable(&e),
        other => EngineError::internal(other),
    }
}

/// An event store failure as the client sees it: `UNAVAILABLE` (retryable) when transient,
/// else `INTERNAL`; details are logged.
pub fn store_error(e: holdfast_eventstore::EventStoreError) -> EngineError {
    if e.is_transient() {
        tracing::warn!(error = %e, "event store unavailable");
        EngineError::new(
            ErrorCode::Unavailable,
            "the event store is unavailable; retry",
        )
    } else {
        EngineError::internal(e)
    }
}

/// The log position of an aggregate's last event.
pub async fn last_position<A: Aggregate>(
    store: &EventStore,
    id: &str,
) -> Result<Option<Position>, EngineError> {
    store.last_position(A::TYPE, id).await.map_err(store_error)
}

/// The metadata recorded with every command the API sends: who asked, with which key.
pub fn metadata(scope: &str, idempotency_key: &str) -> HashMap<String, String> {
    HashMap::from([
        ("principal".to_owned(), scope.to_owned()),
        ("idempotency_key".to_owned(), idempotency_key.to_owned()),
    ])
}

/// The later of two positions (the consistency token of a multi-step operation).
pub fn latest(a: Option<Position>, b: Option<Position>) -> Option<Position> {
    a.max(b)
}
