//! `availabilityChanged(inventoryId, from, to)`: an inventory's calendar slots in a date range,
//! as the calendar read model shows them after each change. Public, like the calendar query.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, SimpleObject, Subscription};
use chrono::NaiveDate;
use futures::Stream;
use holdfast_domain::common::InventoryId;
use holdfast_domain::inventory::InventoryEvent;
use holdfast_eventstore::{Position, StoredEvent};
use holdfast_projections::models::calendar::{CalendarDay, calendar};
use holdfast_projections::store::Table;

use super::{ChangeKind, applied, feed, join, last_event, reflected};
use crate::error::ApiError;
use crate::schema::context::state;
use holdfast_engine::Engine;
use holdfast_engine::consistency;
use holdfast_engine::feed::{FeedItem, Subscription as FeedSubscription};

/// The longest range one subscription may watch, in days (both ends included).
pub const MAX_RANGE_DAYS: i64 = 366;

/// Subscription fields about availability.
#[derive(Default)]
pub struct AvailabilitySubscription;

/// Slots of an inventory's calendar, as the calendar read model shows them.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityChange {
    /// Whether this is the starting state, one event's change, or a re-sync.
    pub kind: ChangeKind,
    /// The inventory.
    pub inventory_id: ID,
    /// `SNAPSHOT` and `RESYNC`: every slot of the watched range that exists; `CHANGE`: the
    /// slots the event touched inside the range. In slot order.
    pub days: Vec<ChangedSlot>,
    /// The log position these values include: a query given it as its consistency token
    /// reads at least this state.
    pub consistency_token: String,
}

/// One slot (a night, an event date, a time slot) of a calendar.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct ChangedSlot {
    /// The slot (`2030-01-07`, or `2030-01-07T18:30` for a time slot).
    pub slot: String,
    /// Its local date.
    pub date: NaiveDate,
    /// Units offered.
    pub capacity: u32,
    /// Units held by unconfirmed bookings.
    pub held: u32,
    /// Units allocated to confirmed bookings.
    pub allocated: u32,
    /// Units a new booking could take now (0 when closed).
    pub available: u32,
    /// Whether new bookings are refused.
    pub closed: bool,
}

impl From<CalendarDay> for ChangedSlot {
    fn from(day: CalendarDay) -> Self {
        Self {
            slot: day.slot,
            date: day.date,
            capacity: day.capacity,
            held: day.held,
            allocated: day.allocated,
            available: day.available,
            closed: day.closed,
        }
    }
}

#[Subscription]
impl AvailabilitySubscription {
    /// The slots of `inventoryId` dated `from` to `to` (both included, at most 366 days): first
    /// their current state (`SNAPSHOT`), then, after every change to any of them (holds,
    /// confirmations, releases, capacity, prices, closures), the changed slots once the
    /// calendar read model shows the change (`CHANGE`; it may already show later changes: the
    /// values are never older than the event). Public; `NOT_FOUND` for an inventory that does
    /// not exist.
    async fn availability_changed(
        &self,
        ctx: &Context<'_>,
        inventory_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AvailabilityChange>> + use<>>
    {
        let inventory = InventoryId::parse(&inventory_id)
            .map_err(|_| ApiError::invalid("inventoryId is not an inventory id"))?;
        if to < from {
            return Err(
                ApiError::invalid("the range ends (`to`) before it starts (`from`)").into(),
            );
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(ApiError::invalid(format!(
                "a subscription watches at most {MAX_RANGE_DAYS} days"
            ))
            .into());
        }
        let watch = Watch {
            state: state(ctx).clone(),
            feed: join(feed(ctx)).await?,
            inventory: inventory.to_string(),
            from,
            to,
            synced: None,
        };
        Ok(futures::stream::unfold(Some(watch), |watch| async move {
            let mut watch = watch?;
            match watch.next().await {
                Ok(Some(change)) => Some((Ok(change), Some(watch))),
                Ok(None) => None,
                Err(e) => Some((Err(e.into()), None)),
            }
        }))
    }
}

/// One subscriber's state.
struct Watch {
    state: Engine,
    feed: FeedSubscription,
    inventory: String,
    from: NaiveDate,
    to: NaiveDate,
    /// Everything up to here is reflected in what was yielded (`None`: nothing yielded yet).
    synced: Option<Position>,
}

impl Watch {
    /// The next item (`None`: the feed has shut down).
    async fn next(&mut self) -> Result<Option<AvailabilityChange>, ApiError> {
        let Some(synced) = self.synced else {
            let last = last_event(&self.state, "Inventory", &self.inventory).await?;
            let Some(last) = last else {
                return Err(ApiError::not_found("inventory"));
            };
            let from = self.feed.from.max(last);
            return self.whole(ChangeKind::Snapshot, from).await.map(Some);
        };
        loop {
            match self.feed.next().await {
                FeedItem::Event(event) => {
                    if event.position <= synced {
                        continue; // already reflected
                    }
                    let slots = self.touched(&event);
                    if slots.is_empty() {
                        continue;
                    }
                    return self.changed(event.position, &slots).await.map(Some);
                }
                FeedItem::Lagged { upto } => {
                    return self.whole(ChangeKind::Resync, upto).await.map(Some);
                }
                FeedItem::Closed => return Ok(None),
            }
        }
    }

    /// The slots (text) of the watched range that `event` changes, if it is of this inventory.
    fn touched(&self, event: &StoredEvent) -> BTreeSet<String> {
        if event.aggregate_type != "Inventory" || event.aggregate_id != self.inventory {
            return BTreeSet::new();
        }
        let decoded: InventoryEvent = match serde_json::from_value(event.payload.clone()) {
            Ok(decoded) => decoded,
            Err(e) => {
                // The calendar projector stops on such an event too; say so once, here.
                tracing::error!(position = %event.position, error = %e, "undecodable inventory event");
                return BTreeSet::new();
            }
        };
        decoded
            .slot_snapshots()
            .iter()
            .filter(|s| (self.from..=self.to).contains(&s.slot.date))
            .map(|s| s.slot.to_string())
            .collect()
    }

    /// Every slot of the range once the calendar has applied `position`.
    async fn whole(
        &mut self,
        kind: ChangeKind,
        position: Position,
    ) -> Result<AvailabilityChange, ApiError> {
        applied(&self.state, Table::Calendar, position).await?;
        // The read may include events after `position` (the projector moves on): everything up
        // to what the calendar had applied before the read is in it, so those events, when
        // the feed brings them, are skipped rather than shown twice.
        let reflected = reflected(&self.state, Table::Calendar).await?.max(position);
        let days = self.read(self.from, self.to).await?;
        Ok(self.item(kind, reflected, days))
    }

    /// The slots `slots` once the calendar has applied `position`.
    async fn changed(
        &mut self,
        position: Position,
        slots: &BTreeSet<String>,
    ) -> Result<AvailabilityChange, ApiError> {
        applied(&self.state, Table::Calendar, position).await?;
        // Slot texts sort by date, so the first and last bound the dates to read.
        let date = |s: Option<&String>| {
            s.and_then(|s| s.get(..10))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let (first, last) = (
            date(slots.first()).unwrap_or(self.from),
            date(slots.last()).unwrap_or(self.to),
        );
        let days = self
            .read(first, last)
            .await?
            .into_iter()
            .filter(|d| slots.contains(&d.slot))
            .collect();
        Ok(self.item(ChangeKind::Change, position, days))
    }

    fn item(
        &mut self,
        kind: ChangeKind,
        position: Position,
        days: Vec<ChangedSlot>,
    ) -> AvailabilityChange {
        self.synced = Some(self.synced.map_or(position, |s| s.max(position)));
        AvailabilityChange {
            kind,
            inventory_id: ID(self.inventory.clone()),
            days,
            consistency_token: position.to_string(),
        }
    }

    async fn read(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ChangedSlot>, ApiError> {
        let table = consistency::current(&self.state, Table::Calendar).await?;
        let store = self.state.read_side.store();
        let days = calendar(store.as_ref(), table, &self.inventory, from, to)
            .await
            .map_err(super::read_error)?;
        Ok(days.into_iter().map(ChangedSlot::from).collect())
    }
}
