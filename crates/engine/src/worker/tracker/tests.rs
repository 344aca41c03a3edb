//! Tests of the tracker: the fold, deadlines, forgetting.
use super::*;
use holdfast_domain::Decide;
use holdfast_domain::booking::{
    Booking, BookingCommand, JoinWaitlist, PartySize, PricedLine, Quantity, RequestBooking,
};
use holdfast_domain::common::{
    CancellationPolicy, Currency, DateRange, GuestId, Money, Slot, TenantId,
};
use holdfast_domain::inventory::ReleaseReason;
use holdfast_domain::services::{Clock as _, DomainServices, FixedClock};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

struct Log {
    next: u64,
    services: DomainServices,
    clock: FixedClock,
    tenant: TenantId,
    listing: ListingId,
    inventory: InventoryId,
}

impl Log {
    fn new() -> Self {
        let clock = FixedClock::new(at("2030-01-01T09:00:00Z"));
        Self {
            next: 0,
            services: DomainServices::with_clock(clock.clone()),
            clock,
            tenant: TenantId::new(),
            listing: ListingId::new(),
            inventory: InventoryId::new(),
        }
    }

    fn stored(&mut self, kind: &str, id: String, payload: serde_json::Value) -> StoredEvent {
        self.next += 1;
        StoredEvent {
            position: Position::new(1, self.next),
            aggregate_type: kind.to_owned(),
            aggregate_id: id,
            sequence: 1,
            event_type: String::new(),
            event_version: "1.0".to_owned(),
            payload,
            metadata: json!({}),
            recorded_at: self.clock.now(),
        }
    }

    /// Runs `command` on `booking` and returns its events as stored.
    fn booking(&mut self, booking: &mut Booking, command: BookingCommand) -> Vec<StoredEvent> {
        let events = booking.decide(command, &self.services).unwrap();
        let id = booking.keys().booking_id;
        events
            .into_iter()
            .map(|e| {
                booking.apply(e.clone());
                let id = if booking.status().is_some() {
                    booking.keys().booking_id
                } else {
                    id
                };
                self.stored("Booking", id.to_string(), serde_json::to_value(e).unwrap())
            })
            .collect()
    }

    fn inventory(&mut self, event: InventoryEvent) -> StoredEvent {
        let id = self.inventory.to_string();
        self.stored("Inventory", id, serde_json::to_value(event).unwrap())
    }

    fn request(&self, id: BookingId) -> BookingCommand {
        let krw = Currency::parse("KRW").unwrap();
        let slot = Slot::parse("2030-03-01").unwrap();
        BookingCommand::RequestBooking(RequestBooking {
            booking_id: id,
            tenant_id: self.tenant,
            listing_id: self.listing,
            inventory_id: self.inventory,
            guest_id: GuestId::new(),
            party_size: PartySize::parse(1).unwrap(),
            quantity: Quantity::parse(1).unwrap(),
            slots: vec![slot],
            lines: vec![PricedLine {
                slot,
                unit_price: Money::new(1_000, krw),
                quantity: Quantity::parse(1).unwrap(),
                amount: Money::new(1_000, krw),
            }],
            starts_at: at("2030-03-01T10:00:00Z"),
            ends_at: at("2030-03-01T12:00:00Z"),
            cancellation: CancellationPolicy::non_refundable(),
        })
    }

    fn hold_placed(&mut self, id: BookingId, expires_at: DateTime<Utc>) -> StoredEvent {
        self.inventory(InventoryEvent::InventoryHoldPlaced {
            inventory_id: self.inventory,
            tenant_id: self.tenant,
            listing_id: self.listing,
            booking_id: id,
            quantity: 1,
            expires_at,
            slots: vec![],
        })
    }

    fn hold_released(&mut self, id: BookingId) -> StoredEvent {
        self.inventory(InventoryEvent::InventoryHoldReleased {
            inventory_id: self.inventory,
            tenant_id: self.tenant,
            listing_id: self.listing,
            booking_id: id,
            quantity: 1,
            reason: ReleaseReason::Expired,
            slots: vec![],
        })
    }

    fn waitlist(&self, id: BookingId) -> BookingCommand {
        BookingCommand::JoinWaitlist(JoinWaitlist {
            booking_id: id,
            tenant_id: self.tenant,
            listing_id: self.listing,
            inventory_id: self.inventory,
            guest_id: GuestId::new(),
            party_size: PartySize::parse(2).unwrap(),
            quantity: Quantity::parse(1).unwrap(),
            wanted: DateRange::new("2030-03-01".parse().unwrap(), "2030-03-03".parse().unwrap())
                .unwrap(),
            time: None,
            slot_count: 1,
        })
    }
}

fn fold(tracker: &mut Tracker, events: &[StoredEvent]) {
    for e in events {
        tracker.apply(e).unwrap();
    }
}

#[test]
fn a_half_finished_placement_falls_due_at_its_holds_expiry_and_a_held_booking_at_its_own() {
    let mut log = Log::new();
    let mut tracker = Tracker::new(Duration::hours(1));
    let id = BookingId::new();
    let mut booking = Booking::default();
    let requested = log.booking(&mut booking, log.request(id));
    fold(&mut tracker, &requested);
    // Requested with nothing held: abandoned an hour after the request.
    assert_eq!(tracker.next_due(), Some(at("2030-01-01T10:00:00Z")));
    let hold = log.hold_placed(id, at("2030-01-01T09:15:00Z"));
    fold(&mut tracker, &[hold]);
    assert_eq!(tracker.next_due(), Some(at("2030-01-01T09:15:00Z")));
    assert_eq!(
        tracker
            .take_dirty_bookings()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![id]
    );

    // Not due before the expiry; due at it.
    tracker.release_due(at("2030-01-01T09:14:59Z"));
    assert!(tracker.take_dirty_bookings().is_empty());
    tracker.release_due(at("2030-01-01T09:15:00Z"));
    assert_eq!(tracker.take_dirty_bookings().len(), 1);

    // Held: due at the booking's own hold expiry; confirmed: nothing due.
    let held = log.booking(
        &mut booking,
        BookingCommand::MarkHeld {
            hold_expires_at: at("2030-01-01T09:20:00Z"),
        },
    );
    fold(&mut tracker, &held);
    assert_eq!(tracker.next_due(), Some(at("2030-01-01T09:20:00Z")));
    assert_eq!(tracker.booking(&id).unwrap().status, BookingStatus::Held);
    let expired = {
        log.clock.set(at("2030-01-01T09:20:00Z"));
        log.booking(&mut booking, BookingCommand::ExpireHold)
    };
    fold(&mut tracker, &expired);
    assert_eq!(tracker.next_due(), None);
    // Expired with the hold still in place: not finished until it is released.
    tracker.forget_if_finished(&id);
    assert!(tracker.booking(&id).is_some());
    let released = log.hold_released(id);
    fold(&mut tracker, &[released]);
    assert!(tracker.hold(&id).is_none());
    tracker.forget_if_finished(&id);
    assert!(tracker.booking(&id).is_none());
    assert_eq!(tracker.sizes(), [0, 0, 0, 0, 0]);
}

#[test]
fn waiting_bookings_are_kept_first_come_first_served_until_offered() {
    let mut log = Log::new();
    let mut tracker = Tracker::new(Duration::hours(1));
    let (first, second) = (BookingId::new(), BookingId::new());
    let mut a = Booking::default();
    let mut b = Booking::default();
    let events = log.booking(&mut a, log.waitlist(first));
    fold(&mut tracker, &events);
    let events = log.booking(&mut b, log.waitlist(second));
    fold(&mut tracker, &events);
    assert_eq!(tracker.waitlist(&log.inventory), vec![first, second]);
    assert_eq!(tracker.take_dirty_inventories(), vec![log.inventory]);
    assert!(tracker.take_dirty_inventories().is_empty());

    // Units freed on the inventory make its waitlist worth a look again.
    let released = log.hold_released(BookingId::new());
    fold(&mut tracker, &[released]);
    assert_eq!(tracker.take_dirty_inventories(), vec![log.inventory]);

    // The first is cancelled: it leaves the list, the second stays.
    let cancelled = log.booking(
        &mut a,
        BookingCommand::CancelBooking {
            by: holdfast_domain::booking::CancelledBy::Guest,
            reason: holdfast_domain::booking::CancellationReason::GuestRequest,
        },
    );
    fold(&mut tracker, &cancelled);
    assert_eq!(tracker.waitlist(&log.inventory), vec![second]);
    assert_eq!(tracker.sizes()[3], 1);

    // An inventory nobody waits for is never returned.
    let other = InventoryId::new();
    tracker.recheck_inventory(other);
    assert!(!tracker.take_dirty_inventories().contains(&other));
}

#[test]
fn events_of_other_aggregates_are_ignored_and_bad_payloads_reported() {
    let mut log = Log::new();
    let mut tracker = Tracker::new(Duration::hours(1));
    let listing = log.stored("Listing", "x".into(), json!({"ListingPublished": {}}));
    assert!(tracker.apply(&listing).is_ok());
    let bad = log.stored("Booking", "x".into(), json!({"NoSuchEvent": {}}));
    assert!(tracker.apply(&bad).is_err());
    assert_eq!(tracker.sizes(), [0, 0, 0, 0, 0]);
}

#[test]
fn reminders_fall_due_their_lead_before_the_deadline_unless_the_window_was_already_open() {
    use holdfast_domain::booking::{Label, Reminder};
    let reminders = Reminders {
        before_start: Some(Duration::hours(24)),
        before_hold_expiry: Some(Duration::minutes(5)),
    };
    let mut log = Log::new();
    let mut tracker = Tracker::new(Duration::hours(1)).with_reminders(reminders);
    let id = BookingId::new();
    let mut booking = Booking::default();
    let events = log.booking(&mut booking, log.request(id));
    fold(&mut tracker, &events);
    // Held for 15 minutes: the warning falls due 5 minutes before the expiry.
    let held = log.booking(
        &mut booking,
        BookingCommand::MarkHeld {
            hold_expires_at: at("2030-01-01T09:15:00Z"),
        },
    );
    fold(&mut tracker, &held);
    assert_eq!(tracker.next_due(), Some(at("2030-01-01T09:10:00Z")));
    // Warned: the expiry itself is next.
    log.clock.set(at("2030-01-01T09:10:00Z"));
    let warned = log.booking(
        &mut booking,
        BookingCommand::Remind {
            reminder: Reminder::HoldExpiring,
        },
    );
    fold(&mut tracker, &warned);
    tracker.release_due(at("2030-01-01T09:10:00Z"));
    assert_eq!(tracker.next_due(), Some(at("2030-01-01T09:15:00Z")));
    // Paid: the reminder falls due 24 hours before the start (1 March, 10:00 UTC).
    let amount = booking.totals().unwrap().total;
    let paid = log.booking(
        &mut booking,
        BookingCommand::ConfirmPayment {
            provider: Label::parse("card").unwrap(),
            reference: Label::parse("p1").unwrap(),
            amount,
            paid_at: at("2030-01-01T09:11:00Z"),
        },
    );
    fold(&mut tracker, &paid);
    assert_eq!(tracker.next_due(), Some(at("2030-02-28T10:00:00Z")));
    log.clock.set(at("2030-02-28T10:00:00Z"));
    let reminded = log.booking(
        &mut booking,
        BookingCommand::Remind {
            reminder: Reminder::Upcoming,
        },
    );
    fold(&mut tracker, &reminded);
    // Reminded: what is left is a look at its end (1 March, 12:00 UTC), when it may earn points.
    assert_eq!(tracker.next_due(), Some(at("2030-03-01T12:00:00Z")));
    assert_eq!(tracker.earning(&id), Some(at("2030-03-01T12:00:00Z")));

    // Booked inside both windows (a 4-minute hold, confirmed 2 hours before the start):
    // nothing to remind of, the hold's expiry is the only deadline.
    let mut late = Booking::default();
    let other = BookingId::new();
    let mut tracker = Tracker::new(Duration::hours(1)).with_reminders(reminders);
    log.clock.set(at("2030-03-01T08:00:00Z"));
    let events = log.booking(&mut late, log.request(other));
    fold(&mut tracker, &events);
    let held = log.booking(
        &mut late,
        BookingCommand::MarkHeld {
            hold_expires_at: at("2030-03-01T08:04:00Z"),
        },
    );
    fold(&mut tracker, &held);
    assert_eq!(tracker.next_due(), Some(at("2030-03-01T08:04:00Z")));
    let paid = log.booking(
        &mut late,
        BookingCommand::ConfirmPayment {
            provider: Label::parse("card").unwrap(),
            reference: Label::parse("p2").unwrap(),
            amount,
            paid_at: at("2030-03-01T08:01:00Z"),
        },
    );
    fold(&mut tracker, &paid);
    // No reminder: only the look at its end (for points).
    assert_eq!(tracker.next_due(), Some(at("2030-03-01T12:00:00Z")));

    // Without reminders configured, a confirmed booking's only deadline is that look.
    let mut plain = Tracker::new(Duration::hours(1));
    fold(&mut plain, &events);
    fold(&mut plain, &held);
    fold(&mut plain, &paid);
    assert_eq!(plain.next_due(), Some(at("2030-03-01T12:00:00Z")));
}
