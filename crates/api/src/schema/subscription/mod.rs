//! Subscription fields, served over graphql-ws at `/graphql/ws` (both the `graphql-ws` and the
//! `graphql-transport-ws` protocols), one module per subject:
//!
//! - [`availability`]: `availabilityChanged(inventoryId, from, to)`, public;
//! - [`booking`]: `bookingChanged(id)`, for the booking's guest, its tenant's operators, admins.
//!
//! Both follow the process's [`ChangeFeed`] (one tailer of the event log) and read their read
//! model after it has applied the event, so what a subscriber sees is exactly what a query
//! would return at that moment. Every stream starts with a [`ChangeKind::Snapshot`] (the state
//! as of subscribing: a client needs no separate query, and knows the subscription is live),
//! then yields a [`ChangeKind::Change`] per relevant event; a subscriber that falls behind the
//! feed gets a full [`ChangeKind::Resync`] instead of an error. A stream that fails (a read
//! model that does not catch up in time, a store that is down) yields one error with its
//! `extensions.code` and ends; the client resubscribes.

pub mod availability;
pub mod booking;

use async_graphql::{Context, Enum};
use holdfast_eventstore::Position;
use holdfast_projections::models::QueryError;
use holdfast_projections::store::Table;

use crate::error::{ApiError, ErrorCode};
use holdfast_engine::Engine;
use holdfast_engine::consistency;
use holdfast_engine::feed::{ChangeFeed, Subscription};

/// What a subscription item carries.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The state when the subscription started (always the first item).
    Snapshot,
    /// What one event changed.
    Change,
    /// The whole state again, after the subscriber fell behind and missed events.
    Resync,
}

/// The engine's change feed.
pub(crate) fn feed<'a>(ctx: &Context<'a>) -> &'a ChangeFeed {
    &crate::schema::context::state(ctx).feed
}

/// Joins the change feed.
pub(crate) async fn join(feed: &ChangeFeed) -> Result<Subscription, ApiError> {
    feed.subscribe().await.map_err(|e| {
        if e.is_transient() {
            ApiError::new(
                ErrorCode::Unavailable,
                "the event store is unavailable; retry",
            )
        } else {
            ApiError::internal(e)
        }
    })
}

/// Waits (bounded, see [`consistency::MAX_WAIT`]) until `table` exists and has applied
/// `position`.
pub(crate) async fn applied(
    state: &Engine,
    table: Table,
    position: Position,
) -> Result<(), ApiError> {
    built(state, table).await?;
    Ok(consistency::wait(state, table, Some(&position.to_string())).await?)
}

/// Waits (bounded) until this process's projector of `table` has resolved its generation, so
/// that the table exists: a subscription opened while the server starts waits for it rather
/// than failing. (The log's head, which positions are compared with, may still be
/// [`Position::START`] then.) Without a projector here, returns at once.
async fn built(state: &Engine, table: Table) -> Result<(), ApiError> {
    let Some(mut status) = state.projections.as_ref().and_then(|p| p.subscribe(table)) else {
        return Ok(());
    };
    let resolved = tokio::time::timeout(consistency::MAX_WAIT, async {
        loop {
            if status.borrow_and_update().generation.is_some() {
                return true;
            }
            if status.changed().await.is_err() {
                return false;
            }
        }
    })
    .await;
    match resolved {
        Ok(true) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::Unavailable,
            format!("the {table} read model is still being built; retry"),
        )),
    }
}

/// A failed read-model query as a client sees it.
pub(crate) fn read_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Invalid(message) => ApiError::invalid(message),
        QueryError::Store(e) if e.is_transient() => ApiError::new(
            ErrorCode::Unavailable,
            "the read models are unavailable; retry",
        ),
        other => ApiError::internal(other),
    }
}

/// A position up to which `table` has applied everything now: what a read started after this
/// call reflects at least. The running projector's position, or (on a node without
/// projectors) the active projector's saved checkpoint; [`Position::START`] when unknown.
pub(crate) async fn reflected(state: &Engine, table: Table) -> Result<Position, ApiError> {
    if let Some(status) = state.projections.as_ref().and_then(|p| p.status(table)) {
        return Ok(status.position);
    }
    let current = consistency::current(state, table).await?;
    let checkpoint = state
        .read_side
        .store()
        .checkpoint(current)
        .await
        .map_err(|e| read_error(e.into()))?;
    Ok(checkpoint.unwrap_or(Position::START))
}

/// The log position of an aggregate's last event, read from the event store itself (not the
/// log's readable horizon, which may lag behind commits): a snapshot read once the read model
/// has applied it shows everything the aggregate had when the subscription started. `None`:
/// the aggregate has no event (it does not exist).
pub(crate) async fn last_event(
    state: &Engine,
    aggregate_type: &str,
    id: &str,
) -> Result<Option<Position>, ApiError> {
    state
        .store
        .last_position(aggregate_type, id)
        .await
        .map_err(|e| {
            if e.is_transient() {
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the event store is unavailable; retry",
                )
            } else {
                ApiError::internal(e)
            }
        })
}
