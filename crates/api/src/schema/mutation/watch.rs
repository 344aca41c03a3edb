//! Availability alerts over GraphQL: `watchAvailability` (a guest watches sold-out slots, as a
//! booking would ask for them), `stopWatching`, `myWatches`, and the subscription
//! `availabilityAlerts(after)` (each alert once, resumable after a position: see
//! `holdfast_engine::watches::live`). The same alerts stream as Server-Sent Events at
//! `GET /alerts` (`crate::alerts`), and go out by e-mail/SMS through the outbox
//! (`availability_alert`).
//!
//! Refusals: `INVALID_STATE` while the places are not sold out (book them) or once the dates
//! passed, the policy's `POLICY_VIOLATION`, `INVALID_INPUT` naming a bad field, `NOT_FOUND` for
//! someone else's watch, `FORBIDDEN` for anyone but guests.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use holdfast_domain::watch::{Watch, WatchCommand, WatchState, WatchStatus as DomainStatus};
use holdfast_engine::EngineError;
use holdfast_engine::watches::{self, LiveAlert, WatchRequest};
use serde::{Deserialize, Serialize};

use super::{Caller, once_on};
use crate::error::{ApiError, OrApi};
use crate::schema::context::{authenticated, state};
use crate::schema::inputs::booking::{PlaceBookingInput, StayInput, TimeSlotRequestInput};

/// Sold-out places to watch, as a booking would ask for them. Give exactly one of `stay`,
/// `timeSlot`, `eventDate`.
#[derive(InputObject, Clone, Debug)]
pub struct WatchAvailabilityInput {
    /// The listing.
    pub listing_id: ID,
    /// Its inventory.
    pub inventory_id: ID,
    /// Nights.
    pub stay: Option<StayInput>,
    /// Time slots.
    pub time_slot: Option<TimeSlotRequestInput>,
    /// An event date (`YYYY-MM-DD`).
    pub event_date: Option<String>,
    /// How many guests.
    pub party_size: i64,
    /// Units wanted on every slot.
    #[graphql(default = 1)]
    pub quantity: i64,
}

/// Where a watch is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchStatus {
    /// Waiting for the places to free up.
    Armed,
    /// Told that they did; tells again only after they sell out again.
    Alerted,
    /// Stopped by the guest.
    Stopped,
    /// Its dates passed.
    Expired,
}

/// A guest's watch.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct WatchView {
    /// The watch.
    pub watch_id: ID,
    /// Where it is.
    pub status: WatchStatus,
    /// The listing.
    pub listing_id: ID,
    /// The inventory.
    pub inventory_id: ID,
    /// The watched slots: local dates (`2030-02-01`) or times (`2030-02-01T19:00`).
    pub slots: Vec<String>,
    /// The party.
    pub party_size: i32,
    /// Units wanted on every slot.
    pub quantity: i32,
    /// When it ends by itself (the first slot's start).
    pub expires_at: DateTime<Utc>,
    /// Alerts sent.
    pub alerts: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

fn slot_text(slot: &holdfast_domain::common::Slot) -> String {
    match slot.time {
        Some(t) => format!("{}T{}", slot.date, t.format("%H:%M")),
        None => slot.date.to_string(),
    }
}

fn clamp(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn view_of(state: &WatchState) -> WatchView {
    WatchView {
        watch_id: ID(state.watch_id.clone()),
        status: match state.status {
            DomainStatus::Armed => WatchStatus::Armed,
            DomainStatus::Alerted => WatchStatus::Alerted,
            DomainStatus::Stopped => WatchStatus::Stopped,
            DomainStatus::Expired => WatchStatus::Expired,
        },
        listing_id: ID(state.terms.listing_id.to_string()),
        inventory_id: ID(state.terms.inventory_id.to_string()),
        slots: state.terms.slots.iter().map(slot_text).collect(),
        party_size: clamp(state.terms.party_size),
        quantity: clamp(state.terms.quantity),
        expires_at: state.terms.expires_at,
        alerts: clamp(state.alerts),
        started_at: state.started_at,
        consistency_token: None,
    }
}

fn payload(watch: &Watch) -> Result<WatchView, EngineError> {
    watch
        .state()
        .map(view_of)
        .ok_or_else(|| EngineError::not_found("watch"))
}

/// Watch mutations.
#[derive(Default)]
pub struct WatchMutation;

#[Object]
impl WatchMutation {
    /// Watches sold-out places (guests): told once when they free up — by e-mail or SMS, and
    /// live — with nothing held. Retrying with the same key returns the same watch.
    async fn watch_availability(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: WatchAvailabilityInput,
    ) -> async_graphql::Result<WatchView> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest = caller.require_guest()?;
        let ask = PlaceBookingInput {
            listing_id: input.listing_id,
            inventory_id: input.inventory_id,
            stay: input.stay,
            time_slot: input.time_slot,
            event_date: input.event_date,
            party_size: input.party_size,
            quantity: input.quantity,
            coupon_campaign_id: None,
            points: None,
            points_from: Default::default(),
        }
        .parse()?;
        let watch_id = caller.derived_id("watch").to_string();
        let request = WatchRequest {
            guest,
            listing_id: ask.listing_id,
            inventory_id: ask.inventory_id,
            slots: ask.slots,
            party_size: ask.party_size,
            quantity: ask.quantity,
        };
        let engine = caller.state;
        // A retry of a watch that started: answered from it (its places are sold out no more,
        // perhaps, but the watch exists).
        let existing: Watch = engine.commands.watches.load(&watch_id).await.or_api()?;
        let terms = match existing.state() {
            Some(s) => s.terms.clone(),
            None => watches::terms(engine, &request).await.or_api()?,
        };
        watches::remember(engine, guest, &watch_id, caller.now())
            .await
            .or_api()?;
        let command = WatchCommand::Start {
            watch_id: watch_id.clone(),
            terms: Box::new(terms),
        };
        Ok(once_on(
            ctx,
            &caller,
            &engine.commands.watches,
            watch_id,
            async { Ok(command) },
            payload,
        )
        .await?)
    }

    /// Stops one of the caller's watches.
    async fn stop_watching(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        watch_id: ID,
    ) -> async_graphql::Result<WatchView> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest = caller.require_guest()?;
        if watch_id.len() > 64 {
            return Err(ApiError::invalid("watchId: not a watch id").into());
        }
        Ok(once_on(
            ctx,
            &caller,
            &caller.state.commands.watches,
            watch_id.to_string(),
            async { Ok(WatchCommand::Stop { guest_id: guest }) },
            payload,
        )
        .await?)
    }
}

/// Watch queries.
#[derive(Default)]
pub struct WatchQuery;

#[Object]
impl WatchQuery {
    /// The caller's watches, newest first (guests; at most 50).
    async fn my_watches(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WatchView>> {
        let guest = match authenticated(ctx)? {
            holdfast_engine::Principal::Guest { guest } => *guest,
            _ => return Err(ApiError::forbidden().into()),
        };
        let all = watches::of_guest(state(ctx), guest, 50).await.or_api()?;
        Ok(all.iter().filter_map(|w| w.state().map(view_of)).collect())
    }
}

/// One availability alert, live.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityAlert {
    /// Give it as `after` to resume after this alert (a log position).
    pub cursor: String,
    /// The watch.
    pub watch_id: ID,
    /// The listing.
    pub listing_id: ID,
    /// The inventory.
    pub inventory_id: ID,
    /// The slots that freed up.
    pub slots: Vec<String>,
    /// Units free on every one of them when the alert was made.
    pub free: i32,
    /// Which alert of the watch.
    pub alert: i32,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<LiveAlert> for AvailabilityAlert {
    fn from(a: LiveAlert) -> Self {
        Self {
            cursor: a.position.to_string(),
            watch_id: ID(a.watch_id),
            listing_id: ID(a.terms.listing_id.to_string()),
            inventory_id: ID(a.terms.inventory_id.to_string()),
            slots: a.terms.slots.iter().map(slot_text).collect(),
            free: clamp(a.free),
            alert: clamp(a.alert),
            at: a.at,
        }
    }
}

/// Watch subscriptions.
#[derive(Default)]
pub struct WatchSubscription;

#[Subscription]
impl WatchSubscription {
    /// The caller's availability alerts as they are made (guests): each once, in order; give
    /// the last `cursor` seen as `after` to resume without losing or repeating one.
    async fn availability_alerts(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AvailabilityAlert>>> {
        let guest = match authenticated(ctx)? {
            holdfast_engine::Principal::Guest { guest } => *guest,
            _ => return Err(ApiError::forbidden().into()),
        };
        let after = after
            .map(|c| {
                c.parse::<holdfast_eventstore::Position>()
                    .map_err(|_| ApiError::invalid("after: not a cursor of this field"))
            })
            .transpose()?;
        let (_, stream) = watches::live(state(ctx), guest, after).await.or_api()?;
        Ok(stream.map(|item| {
            item.map(AvailabilityAlert::from)
                .map_err(|e| async_graphql::Error::from(ApiError(e)))
        }))
    }
}
