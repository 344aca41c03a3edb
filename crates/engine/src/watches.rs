//! Availability alerts beside bookings: starting a watch (its slots resolved by the listing's
//! policy, only while they are sold out), the guest's watches, the worker's pass over an
//! inventory's watches, and the live stream of a guest's alerts from the log (what the SSE
//! route and the GraphQL subscription serve). The rules are the domain's
//! (`holdfast_domain::watch`).

use chrono::{DateTime, Utc};
use futures::Stream;
use holdfast_domain::booking::{PartySize, Quantity};
use holdfast_domain::common::{GuestId, InventoryId, ListingId};
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::Listing;
use holdfast_domain::policy::{BookingRequest, RequestedSlots};
use holdfast_domain::watch::{Watch, WatchCommand, WatchEvent, WatchTerms, free_on};
use holdfast_eventstore::{Arg, Position, StoredEvent, TailerOptions};

use crate::Engine;
use crate::error::{EngineError, ErrorCode};
use crate::process::current;

/// What a guest asks to watch.
#[derive(Clone, Debug)]
pub struct WatchRequest {
    /// The guest.
    pub guest: GuestId,
    /// The listing.
    pub listing_id: ListingId,
    /// Its inventory.
    pub inventory_id: InventoryId,
    /// The nights, time slots or date, as a booking would ask for them.
    pub slots: RequestedSlots,
    /// The party.
    pub party_size: PartySize,
    /// Units on every slot.
    pub quantity: Quantity,
}

fn store(e: holdfast_eventstore::EventStoreError) -> EngineError {
    tracing::error!(error = %e, "the watch store failed");
    EngineError::new(
        ErrorCode::Unavailable,
        "the event store is unavailable; retry",
    )
}

/// The terms of a watch of `request`: the slots the listing's policy resolves it to (its
/// buffer's too: a booking needs them free), expiring when the first can no longer be booked.
/// Refused like a booking would be by the policy, and with `INVALID_STATE` while they are not
/// sold out (book them instead).
///
/// # Errors
///
/// `NOT_FOUND`, `INVALID_INPUT`, `POLICY_VIOLATION`, `INVALID_STATE`, `UNAVAILABLE`.
pub async fn terms(engine: &Engine, request: &WatchRequest) -> Result<WatchTerms, EngineError> {
    let listing: Listing = current(engine, &request.listing_id.to_string()).await?;
    let listing = listing
        .state()
        .filter(|l| l.status.is_bookable())
        .ok_or_else(|| EngineError::not_found("listing"))?;
    let inventory: Inventory = current(engine, &request.inventory_id.to_string()).await?;
    match inventory.definition() {
        Some(def) if def.listing_id == request.listing_id => {}
        Some(_) => {
            return Err(EngineError::invalid(
                "inventoryId: the inventory does not belong to this listing",
            ));
        }
        None => return Err(EngineError::not_found("inventory")),
    }
    let now = engine.services.clock.now();
    let resolved = listing.evaluate_booking(
        &BookingRequest {
            slots: request.slots.clone(),
            party_size: holdfast_domain::policy::PartySize::parse(request.party_size.get())?,
            guest_active_bookings: 0,
        },
        now,
    )?;
    let mut slots = resolved.slots.clone();
    slots.extend(resolved.blocked.iter().copied());
    slots.sort();
    slots.dedup();
    let quantity = request.quantity.get();
    if free_on(inventory.slots(), &slots) >= quantity {
        return Err(EngineError::new(
            ErrorCode::InvalidState,
            "these places are not sold out: book them",
        ));
    }
    Ok(WatchTerms {
        guest_id: request.guest,
        tenant_id: listing.tenant_id,
        listing_id: request.listing_id,
        inventory_id: request.inventory_id,
        slots,
        party_size: request.party_size.get(),
        quantity,
        expires_at: resolved.starts_at,
    })
}

/// Remembers that `guest` has watch `watch` (the list `myWatches` reads; the watch itself is
/// the aggregate).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn remember(
    engine: &Engine,
    guest: GuestId,
    watch: &str,
    at: DateTime<Utc>,
) -> Result<(), EngineError> {
    engine
        .store
        .db()
        .execute(
            "INSERT INTO guest_watches (watch_id, guest_id, started_at) VALUES ($1, $2, $3)
             ON CONFLICT (watch_id) DO NOTHING",
            &[watch.into(), guest.to_string().into(), Arg::At(at)],
        )
        .await
        .map_err(store)?;
    Ok(())
}

/// `guest`'s watches, newest first (at most `limit`).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn of_guest(
    engine: &Engine,
    guest: GuestId,
    limit: usize,
) -> Result<Vec<Watch>, EngineError> {
    let rows: Vec<(String,)> = engine
        .store
        .db()
        .fetch_all_as(
            "SELECT watch_id FROM guest_watches WHERE guest_id = $1
              ORDER BY started_at DESC, watch_id DESC LIMIT $2",
            &[
                guest.to_string().into(),
                Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await
        .map_err(store)?;
    let mut watches = Vec::new();
    for (id,) in rows {
        let watch: Watch = current(engine, &id).await?;
        if watch.state().is_some() {
            watches.push(watch);
        }
    }
    Ok(watches)
}

/// The worker's look at one watch against its inventory as it is now: alert an armed watch
/// whose quantity fits, re-arm an alerted one that no longer fits, expire one whose dates
/// passed. Idempotent.
///
/// # Errors
///
/// Transient store failures.
pub async fn check(
    engine: &Engine,
    watch_id: &str,
    inventory: &Inventory,
    sequence: u64,
    metadata: std::collections::HashMap<String, String>,
) -> Result<(), EngineError> {
    let watch: Watch = current(engine, watch_id).await?;
    let Some(state) = watch.state() else {
        return Ok(());
    };
    if !state.status.is_live() {
        return Ok(());
    }
    let now = engine.services.clock.now();
    let free = free_on(inventory.slots(), &state.terms.slots);
    use holdfast_domain::watch::WatchStatus::{Alerted, Armed};
    let fits = free >= state.terms.quantity;
    let command = match state.status {
        _ if now >= state.terms.expires_at => WatchCommand::Expire,
        Armed if fits => WatchCommand::Alert { sequence, free },
        Alerted if !fits => WatchCommand::Rearm { sequence, free },
        // Nothing changes: no command (the common case on a busy inventory).
        _ => return Ok(()),
    };
    let done = engine
        .commands
        .watches
        .execute(watch_id, command, metadata)
        .await
        .map_err(EngineError::from);
    match done {
        Ok(_) => Ok(()),
        Err(e) if crate::idempotency::is_final(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One alert as a guest receives it live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveAlert {
    /// Where it is in the log (`Last-Event-ID` resumes after it).
    pub position: Position,
    /// The watch.
    pub watch_id: String,
    /// What it watches.
    pub terms: WatchTerms,
    /// Units free on every watched slot.
    pub free: u32,
    /// Which alert of the watch.
    pub alert: u32,
    /// When.
    pub at: DateTime<Utc>,
}

fn alert_of(event: &StoredEvent, guest: GuestId) -> Option<LiveAlert> {
    if event.aggregate_type != <Watch as cqrs_es::Aggregate>::TYPE
        || event.event_type != "WatchAlerted"
    {
        return None;
    }
    match serde_json::from_value::<WatchEvent>(event.payload.clone()).ok()? {
        WatchEvent::WatchAlerted {
            watch_id,
            terms,
            free,
            alert,
            at,
            ..
        } if terms.guest_id == guest => Some(LiveAlert {
            position: event.position,
            watch_id,
            terms,
            free,
            alert,
            at,
        }),
        _ => None,
    }
}

/// `guest`'s alerts as they are committed, from the log: those after `after` (a position an
/// earlier stream gave: nothing at or before it again, nothing after it missed — across server
/// restarts too), or from now on without one. Returns where it starts (a position to resume
/// after, before any alert came) and the stream, which ends only when the receiver goes away;
/// a store failure ends it with the error (clients reconnect with their last position).
pub async fn live(
    engine: &Engine,
    guest: GuestId,
    after: Option<Position>,
) -> Result<
    (
        Position,
        impl Stream<Item = Result<LiveAlert, EngineError>> + Send + 'static,
    ),
    EngineError,
> {
    let start = match after {
        Some(p) => p,
        None => engine.store.log().head().await.map_err(store)?,
    };
    let tailer = engine.store.tail(start, TailerOptions::default());
    Ok((
        start,
        futures::stream::unfold(
            (tailer, std::collections::VecDeque::new()),
            move |(mut tailer, mut pending)| async move {
                loop {
                    if let Some(alert) = pending.pop_front() {
                        return Some((Ok(alert), (tailer, pending)));
                    }
                    match tailer
                        .next_batch_within(std::time::Duration::from_millis(250))
                        .await
                    {
                        Ok(events) => {
                            pending.extend(events.iter().filter_map(|e| alert_of(e, guest)));
                        }
                        Err(e) if e.is_transient() => {
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        }
                        Err(e) => return Some((Err(store(e)), (tailer, pending))),
                    }
                }
            },
        ),
    ))
}
