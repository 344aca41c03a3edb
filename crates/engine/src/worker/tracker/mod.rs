//! What the booking worker knows from the log: which bookings and inventories may need work,
//! and when. A pure fold (no I/O): the worker feeds it every event in log order and asks it
//! what is due; the rules themselves then read the aggregates from the event store.
//!
//! It keeps only what can still need work — live bookings with their deadlines, holds and
//! allocations not yet released, unrestored coupon redemptions, the waitlists — so its size
//! follows the open business, not the length of the history. Rebuilt from the log at every
//! start, it survives restarts without a table of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use holdfast_domain::booking::{Booking, BookingEvent, BookingStatus, Reminder};
use holdfast_domain::common::{BookingId, CampaignId, InventoryId, ListingId, TenantId};
use holdfast_domain::coupon::{CouponCampaign, CouponEvent};
use holdfast_domain::inventory::{Inventory, InventoryEvent};
use holdfast_domain::points::{PointsAccount, PointsEvent, account_id};
use holdfast_domain::watch::{Watch, WatchEvent};
use holdfast_eventstore::{Position, StoredEvent};

/// What the worker tracks of one booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedBooking {
    /// Its status, as of the last event seen.
    pub status: BookingStatus,
    /// The inventory it holds on (or waits for).
    pub inventory_id: InventoryId,
    /// Its listing.
    pub listing_id: ListingId,
    /// When the next deadline of the booking falls (hold or offer expiry, the abandonment of
    /// a request that never held, a reminder to send), if any.
    pub due: Option<DateTime<Utc>>,
    /// Whether money may still be owed back or a late payment rechecked.
    pub money_open: bool,
    /// The sequence of its last event seen: a state at least this recent (the engine's cache)
    /// reflects everything the tracker knows; anything newer comes through the log.
    pub sequence: u64,
}

/// A hold or allocation the inventory still has for a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackedHold {
    /// The inventory.
    pub inventory_id: InventoryId,
    /// When the inventory was told the hold ends (`None` once it is an allocation).
    pub expires_at: Option<DateTime<Utc>>,
}

/// The fold of the log the worker decides from.
#[derive(Debug, Default)]
pub struct Tracker {
    bookings: HashMap<BookingId, TrackedBooking>,
    holds: HashMap<BookingId, TrackedHold>,
    redemptions: HashMap<BookingId, CampaignId>,
    /// Points spent on a booking and not given back: the programme's business.
    spends: HashMap<BookingId, TenantId>,
    /// Bookings that may earn points: when they end (or, checked in, when they did).
    earnings: HashMap<BookingId, DateTime<Utc>>,
    /// Points lots with something left, by expiry: the account.
    expiries: BTreeSet<(DateTime<Utc>, String)>,
    /// Live availability watches: their inventory.
    watches: HashMap<String, InventoryId>,
    /// The live watches of each inventory.
    watched: HashMap<InventoryId, BTreeSet<String>>,
    /// Live watches by expiry.
    watch_expiries: BTreeSet<(DateTime<Utc>, String)>,
    /// Inventories whose watches to compare with them.
    dirty_watched: BTreeSet<InventoryId>,
    waitlists: HashMap<InventoryId, BTreeMap<Position, BookingId>>,
    waitlist_position: HashMap<BookingId, (InventoryId, Position)>,
    due: BTreeSet<(DateTime<Utc>, BookingId)>,
    dirty_bookings: BTreeSet<BookingId>,
    dirty_inventories: BTreeSet<InventoryId>,
    abandon_after: Duration,
    reminders: Reminders,
}

/// When the worker reminds guests: how long before a confirmed booking's start, and before an
/// unpaid hold runs out (`None`: never). A booking confirmed (or held) already inside the
/// window gets no reminder: the confirmation (or the payment page) just told the guest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reminders {
    /// Lead before the start (`Reminder::Upcoming`).
    pub before_start: Option<Duration>,
    /// Lead before a hold's expiry (`Reminder::HoldExpiring`).
    pub before_hold_expiry: Option<Duration>,
}

impl Reminders {
    /// 24 hours before the start, 5 minutes before a hold runs out.
    pub fn default_leads() -> Self {
        Self {
            before_start: Some(Duration::hours(24)),
            before_hold_expiry: Some(Duration::minutes(5)),
        }
    }

    /// When to remind of a deadline `deadline` that became known at `since` with `lead`
    /// configured: `deadline − lead`, unless that is not after `since`.
    pub fn due(
        lead: Option<Duration>,
        since: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let at = deadline.checked_sub_signed(lead?)?;
        (at > since).then_some(at)
    }
}

impl Tracker {
    /// An empty tracker; a `Requested` booking that holds nothing is abandoned `abandon_after`
    /// after it was requested.
    pub fn new(abandon_after: Duration) -> Self {
        Self {
            abandon_after,
            ..Self::default()
        }
    }

    /// The same, scheduling reminders as `reminders` says.
    pub fn with_reminders(mut self, reminders: Reminders) -> Self {
        self.reminders = reminders;
        self
    }

    /// Folds one event from the log (events of other aggregates are ignored; an event that
    /// does not decode is reported and skipped).
    pub fn apply(&mut self, event: &StoredEvent) -> Result<(), serde_json::Error> {
        let kind = event.aggregate_type.as_str();
        if kind == Booking::TYPE {
            let e: BookingEvent = serde_json::from_value(event.payload.clone())?;
            self.apply_booking(event.position, event.sequence, &e);
        } else if kind == Inventory::TYPE {
            let e: InventoryEvent = serde_json::from_value(event.payload.clone())?;
            self.apply_inventory(&e);
        } else if kind == CouponCampaign::TYPE {
            let e: CouponEvent = serde_json::from_value(event.payload.clone())?;
            self.apply_coupon(&e);
        } else if kind == PointsAccount::TYPE {
            let e: PointsEvent = serde_json::from_value(event.payload.clone())?;
            self.apply_points(&e);
        } else if kind == Watch::TYPE {
            let e: WatchEvent = serde_json::from_value(event.payload.clone())?;
            self.apply_watch(&e);
        }
        Ok(())
    }

    fn apply_booking(&mut self, position: Position, sequence: u64, event: &BookingEvent) {
        use BookingEvent::*;
        let keys = *event.keys();
        let id = keys.booking_id;
        self.dirty_bookings.insert(id);
        // A booking seen again after it was forgotten: its status until the match sets it.
        let first_status = match event {
            BookingRequested { .. } => BookingStatus::Requested,
            BookingWaitlisted { .. } => BookingStatus::Waitlisted,
            BookingLatePaymentReceived { status, .. } => *status,
            _ => BookingStatus::Confirmed,
        };
        let entry = self.bookings.entry(id).or_insert_with(|| TrackedBooking {
            status: first_status,
            inventory_id: keys.inventory_id,
            listing_id: keys.listing_id,
            due: None,
            money_open: false,
            sequence,
        });
        entry.sequence = entry.sequence.max(sequence);
        let mut due = entry.due;
        match event {
            BookingRequested { requested_at, .. } => {
                entry.status = BookingStatus::Requested;
                due = requested_at.checked_add_signed(self.abandon_after);
            }
            BookingHeld {
                hold_expires_at,
                held_at,
                ..
            } => {
                entry.status = BookingStatus::Held;
                let warning = Reminders::due(
                    self.reminders.before_hold_expiry,
                    *held_at,
                    *hold_expires_at,
                );
                due = Some(warning.unwrap_or(*hold_expires_at));
            }
            BookingConfirmed {
                starts_at,
                ends_at,
                confirmed_at,
                ..
            } => {
                entry.status = BookingStatus::Confirmed;
                self.earnings.insert(id, *ends_at);
                self.due.insert((*ends_at, id));
                due = Reminders::due(self.reminders.before_start, *confirmed_at, *starts_at);
            }
            BookingReminded {
                reminder,
                hold_expires_at,
                ..
            } => {
                due = match reminder {
                    Reminder::Upcoming => None,
                    Reminder::HoldExpiring if entry.status == BookingStatus::Held => {
                        *hold_expires_at
                    }
                    Reminder::HoldExpiring => due,
                };
            }
            BookingRejected { .. } => {
                entry.status = BookingStatus::Rejected;
                due = None;
            }
            BookingExpired { .. } | BookingOfferExpired { .. } => {
                entry.status = BookingStatus::Expired;
                due = None;
            }
            BookingCancelled { refund_due, .. } => {
                entry.status = BookingStatus::Cancelled;
                self.earnings.remove(&id);
                entry.money_open |= refund_due.is_some_and(|m| m.amount_minor > 0);
                due = None;
            }
            BookingOfferDeclined { .. } => {
                entry.status = BookingStatus::Cancelled;
                due = None;
            }
            BookingMarkedNoShow { refund_due, .. } => {
                entry.status = BookingStatus::NoShow;
                self.earnings.remove(&id);
                entry.money_open |= refund_due.amount_minor > 0;
                due = None;
            }
            BookingCheckedIn { checked_in_at, .. } => {
                entry.status = BookingStatus::CheckedIn;
                self.earnings.insert(id, *checked_in_at);
                due = None;
            }
            BookingLatePaymentReceived { .. } => entry.money_open = true,
            BookingWaitlisted { .. } => {
                entry.status = BookingStatus::Waitlisted;
                due = None;
                self.waitlists
                    .entry(keys.inventory_id)
                    .or_default()
                    .insert(position, id);
                self.waitlist_position
                    .insert(id, (keys.inventory_id, position));
                self.dirty_inventories.insert(keys.inventory_id);
            }
            BookingOffered {
                offer_expires_at, ..
            } => {
                entry.status = BookingStatus::Offered;
                due = Some(*offer_expires_at);
            }
            BookingCouponApplied { .. }
            | BookingPointsApplied { .. }
            | BookingPaymentReceived { .. }
            | BookingRefunded { .. }
            | BookingOfferAccepted { .. } => {}
        }
        let status = entry.status;
        if status != BookingStatus::Waitlisted
            && let Some((inventory, at)) = self.waitlist_position.remove(&id)
            && let Some(list) = self.waitlists.get_mut(&inventory)
        {
            list.remove(&at);
            if list.is_empty() {
                self.waitlists.remove(&inventory);
            }
        }
        self.set_due(id, due);
    }

    fn apply_inventory(&mut self, event: &InventoryEvent) {
        use InventoryEvent::*;
        if let Some(inventory) = event_inventory(event)
            && self.watched.contains_key(&inventory)
        {
            self.dirty_watched.insert(inventory);
        }
        match event {
            InventoryHoldPlaced {
                inventory_id,
                booking_id,
                expires_at,
                ..
            } => {
                self.holds.insert(
                    *booking_id,
                    TrackedHold {
                        inventory_id: *inventory_id,
                        expires_at: Some(*expires_at),
                    },
                );
                self.dirty_bookings.insert(*booking_id);
                self.refresh_hold_due(*booking_id);
            }
            InventoryHoldConfirmed {
                inventory_id,
                booking_id,
                ..
            } => {
                self.holds.insert(
                    *booking_id,
                    TrackedHold {
                        inventory_id: *inventory_id,
                        expires_at: None,
                    },
                );
                self.dirty_bookings.insert(*booking_id);
            }
            InventoryHoldReleased {
                inventory_id,
                booking_id,
                ..
            }
            | InventoryAllocationReleased {
                inventory_id,
                booking_id,
                ..
            } => {
                self.holds.remove(booking_id);
                self.dirty_bookings.insert(*booking_id);
                self.dirty_inventories.insert(*inventory_id);
            }
            InventoryCapacitySet { inventory_id, .. }
            | InventorySlotsOpened { inventory_id, .. } => {
                self.dirty_inventories.insert(*inventory_id);
            }
            InventoryDefined { .. }
            | InventoryDescribed { .. }
            | InventoryPriceSet { .. }
            | InventorySlotsClosed { .. } => {}
        }
    }

    fn apply_coupon(&mut self, event: &CouponEvent) {
        match event {
            CouponEvent::CouponRedeemed {
                campaign_id,
                booking_id,
                ..
            } => {
                self.redemptions.insert(*booking_id, *campaign_id);
                self.dirty_bookings.insert(*booking_id);
            }
            CouponEvent::CouponRestored { booking_id, .. } => {
                self.redemptions.remove(booking_id);
            }
            _ => {}
        }
    }

    fn apply_watch(&mut self, event: &WatchEvent) {
        match event {
            WatchEvent::WatchStarted {
                watch_id, terms, ..
            } => {
                self.watches.insert(watch_id.clone(), terms.inventory_id);
                self.watched
                    .entry(terms.inventory_id)
                    .or_default()
                    .insert(watch_id.clone());
                self.watch_expiries
                    .insert((terms.expires_at, watch_id.clone()));
                // Freed between the guest's look and the start: compare at once.
                self.dirty_watched.insert(terms.inventory_id);
            }
            WatchEvent::WatchStopped { watch_id, .. }
            | WatchEvent::WatchExpired { watch_id, .. } => {
                if let Some(inventory) = self.watches.remove(watch_id)
                    && let Some(set) = self.watched.get_mut(&inventory)
                {
                    set.remove(watch_id);
                    if set.is_empty() {
                        self.watched.remove(&inventory);
                    }
                }
                self.watch_expiries.retain(|(_, w)| w != watch_id);
            }
            WatchEvent::WatchAlerted { .. } | WatchEvent::WatchRearmed { .. } => {}
        }
    }

    /// Inventories with live watches that changed (or whose watches' dates passed by `now`),
    /// with their watches (cleared).
    pub fn take_dirty_watched(&mut self, now: DateTime<Utc>) -> Vec<(InventoryId, Vec<String>)> {
        while let Some((at, watch)) = self.watch_expiries.first().cloned() {
            if at > now {
                break;
            }
            self.watch_expiries.pop_first();
            if let Some(inventory) = self.watches.get(&watch) {
                self.dirty_watched.insert(*inventory);
            }
        }
        std::mem::take(&mut self.dirty_watched)
            .into_iter()
            .filter_map(|i| {
                let ids: Vec<String> = self.watched.get(&i)?.iter().cloned().collect();
                Some((i, ids))
            })
            .collect()
    }

    /// Compares an inventory's watches again (after a transient failure).
    pub fn recheck_watched(&mut self, inventory: InventoryId) {
        self.dirty_watched.insert(inventory);
    }

    /// How many live watches are tracked.
    pub fn watch_count(&self) -> usize {
        self.watches.len()
    }

    fn apply_points(&mut self, event: &PointsEvent) {
        match event {
            PointsEvent::PointsSpent {
                tenant_id,
                booking_id,
                ..
            } => {
                self.spends.insert(*booking_id, *tenant_id);
                self.dirty_bookings.insert(*booking_id);
            }
            PointsEvent::PointsRestored { booking_id, .. } => {
                self.spends.remove(booking_id);
            }
            PointsEvent::PointsEarned {
                tenant_id,
                guest_id,
                booking_id,
                expires_at,
                ..
            } => {
                // The business's earning settles the booking (the platform's comes first).
                if *tenant_id != holdfast_domain::points::PLATFORM {
                    self.earnings.remove(booking_id);
                }
                self.expiries
                    .insert((*expires_at, account_id(*tenant_id, *guest_id)));
            }
            PointsEvent::PointsAdjusted {
                tenant_id,
                guest_id,
                points,
                expires_at,
                ..
            } if *points > 0 => {
                self.expiries
                    .insert((*expires_at, account_id(*tenant_id, *guest_id)));
            }
            PointsEvent::PointsAdjusted { .. } | PointsEvent::PointsExpired { .. } => {}
        }
    }

    /// The business of points a booking spent and has not had back.
    pub fn spend(&self, id: &BookingId) -> Option<TenantId> {
        self.spends.get(id).copied()
    }

    /// Forgets a booking's spend (given back, or nothing to give back).
    pub fn spend_settled(&mut self, id: &BookingId) {
        self.spends.remove(id);
    }

    /// When a booking may earn points (its end, or its check-in), if it still may.
    pub fn earning(&self, id: &BookingId) -> Option<DateTime<Utc>> {
        self.earnings.get(id).copied()
    }

    /// Forgets a booking's earning (earned, or it earns nothing).
    pub fn earning_settled(&mut self, id: &BookingId) {
        self.earnings.remove(id);
    }

    /// The accounts with a lot expired at or before `now` (each once; removed).
    pub fn take_due_expiries(&mut self, now: DateTime<Utc>) -> BTreeSet<String> {
        let mut due = BTreeSet::new();
        while let Some((at, _)) = self.expiries.first() {
            if *at > now {
                break;
            }
            if let Some((_, account)) = self.expiries.pop_first() {
                due.insert(account);
            }
        }
        due
    }

    /// Looks at an account's expiry again at `at` (after a transient failure).
    pub fn recheck_expiry(&mut self, account: String, at: DateTime<Utc>) {
        self.expiries.insert((at, account));
    }

    /// A hold whose booking has not recorded it — still `Requested` or `Waitlisted` (a process
    /// stopped between the hold and the booking's next step), or unknown — is due at the
    /// hold's expiry.
    fn refresh_hold_due(&mut self, id: BookingId) {
        let requested = self.bookings.get(&id).is_none_or(|b| {
            matches!(
                b.status,
                BookingStatus::Requested | BookingStatus::Waitlisted
            )
        });
        if let Some(expires_at) = self.holds.get(&id).and_then(|h| h.expires_at)
            && requested
        {
            let current = self.bookings.get(&id).and_then(|b| b.due);
            let due = current.map_or(expires_at, |c| c.min(expires_at));
            if self.bookings.contains_key(&id) {
                self.set_due(id, Some(due));
            } else {
                self.due.insert((due, id));
            }
        }
    }

    fn set_due(&mut self, id: BookingId, due: Option<DateTime<Utc>>) {
        if let Some(entry) = self.bookings.get_mut(&id) {
            if let Some(old) = entry.due {
                self.due.remove(&(old, id));
            }
            entry.due = due;
        }
        if let Some(at) = due {
            self.due.insert((at, id));
        }
    }

    /// Forgets a booking that can need no more work — terminal, nothing held (a checked-in or
    /// no-show booking keeps its allocation for good), no deadline, no coupon to give back, no
    /// money open — so the tracker's size follows the open business. A later event about it
    /// brings it back.
    pub fn forget_if_finished(&mut self, id: &BookingId) {
        let Some(entry) = self.bookings.get(id) else {
            return;
        };
        let kept_allocation = matches!(
            entry.status,
            BookingStatus::CheckedIn | BookingStatus::NoShow
        ) && self.holds.get(id).is_some_and(|h| h.expires_at.is_none());
        let finished = entry.status.is_terminal()
            && (kept_allocation || !self.holds.contains_key(id))
            && entry.due.is_none()
            && !entry.money_open
            && !self.redemptions.contains_key(id)
            && !self.spends.contains_key(id)
            && !self.earnings.contains_key(id);
        if finished {
            self.bookings.remove(id);
            if kept_allocation {
                self.holds.remove(id);
            }
        }
    }

    /// Marks every booking whose deadline is at or before `now` as needing a look.
    pub fn release_due(&mut self, now: DateTime<Utc>) {
        while let Some(&(at, id)) = self.due.first() {
            if at > now {
                break;
            }
            self.due.pop_first();
            self.dirty_bookings.insert(id);
            if let Some(entry) = self.bookings.get_mut(&id)
                && entry.due == Some(at)
            {
                entry.due = None;
            }
        }
    }

    /// The next deadline, if any.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.due.first().map(|(at, _)| *at)
    }

    /// Schedules a fresh look at a booking when the domain clock reaches `at` (a deadline found
    /// when its aggregate was read).
    pub fn recheck_at(&mut self, id: BookingId, at: DateTime<Utc>) {
        self.due.insert((at, id));
    }

    /// Schedules a fresh look at a booking now (a retry after a transient failure).
    pub fn recheck_booking(&mut self, id: BookingId) {
        self.dirty_bookings.insert(id);
    }

    /// Schedules a fresh look at an inventory's waitlist (after a transient failure).
    pub fn recheck_inventory(&mut self, id: InventoryId) {
        self.dirty_inventories.insert(id);
    }

    /// The bookings to look at now (cleared).
    pub fn take_dirty_bookings(&mut self) -> BTreeSet<BookingId> {
        std::mem::take(&mut self.dirty_bookings)
    }

    /// The inventories whose waitlists to look at now (cleared). Only inventories with someone
    /// waiting are returned.
    pub fn take_dirty_inventories(&mut self) -> Vec<InventoryId> {
        let dirty = std::mem::take(&mut self.dirty_inventories);
        dirty
            .into_iter()
            .filter(|i| self.waitlists.contains_key(i))
            .collect()
    }

    /// What is tracked of a booking.
    pub fn booking(&self, id: &BookingId) -> Option<&TrackedBooking> {
        self.bookings.get(id)
    }

    /// The hold or allocation the inventory still has for a booking, as far as the log says.
    pub fn hold(&self, id: &BookingId) -> Option<&TrackedHold> {
        self.holds.get(id)
    }

    /// The campaign of a redemption not yet given back, for a booking.
    pub fn redemption(&self, id: &BookingId) -> Option<CampaignId> {
        self.redemptions.get(id).copied()
    }

    /// The bookings waiting on an inventory, first come first.
    pub fn waitlist(&self, inventory: &InventoryId) -> Vec<BookingId> {
        self.waitlists
            .get(inventory)
            .map(|l| l.values().copied().collect())
            .unwrap_or_default()
    }

    /// Marks that a booking's money needs no more work (refunds settled).
    pub fn money_settled(&mut self, id: &BookingId) {
        if let Some(entry) = self.bookings.get_mut(id) {
            entry.money_open = false;
        }
    }

    /// Forgets a redemption that cannot be given back (the campaign keeps it).
    pub fn redemption_kept(&mut self, id: &BookingId) {
        self.redemptions.remove(id);
    }

    /// How many bookings, holds, redemptions, waiting entries and deadlines are tracked.
    /// (Points' spends, earnings and expiries are not in it: see [`Tracker::points_sizes`].)
    pub fn sizes(&self) -> [usize; 5] {
        [
            self.bookings.len(),
            self.holds.len(),
            self.redemptions.len(),
            self.waitlist_position.len(),
            self.due.len(),
        ]
    }
}

/// The inventory an inventory event is about, when it can change what is free.
fn event_inventory(event: &InventoryEvent) -> Option<InventoryId> {
    use InventoryEvent::*;
    match event {
        InventoryHoldPlaced { inventory_id, .. }
        | InventoryHoldReleased { inventory_id, .. }
        | InventoryAllocationReleased { inventory_id, .. }
        | InventoryCapacitySet { inventory_id, .. }
        | InventorySlotsOpened { inventory_id, .. }
        | InventorySlotsClosed { inventory_id, .. } => Some(*inventory_id),
        _ => None,
    }
}

impl Tracker {
    /// How many points spends, pending earnings and lot expiries are tracked.
    pub fn points_sizes(&self) -> [usize; 3] {
        [self.spends.len(), self.earnings.len(), self.expiries.len()]
    }
}

#[cfg(test)]
mod tests;
