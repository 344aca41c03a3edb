//! The bookings read model (by id, by guest, day sheet), driven by the real Booking aggregate.

mod models_support;

use holdfast_domain::Decide;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::booking::{
    Booking, BookingCommand, BookingStatus, CancellationReason, CancelledBy, Label, PartySize,
    PricedLine, Quantity, RejectionReason, RequestBooking,
};
use holdfast_domain::common::{
    BookingId, CampaignId, CancellationPolicy, Currency, GuestId, InventoryId, ListingId, Money,
    Slot, TenantId,
};
use holdfast_projections::models::QueryError;
use holdfast_projections::models::bookings::{
    BookingsProjection, MAX_EXAMINED, booking, bookings_by_guest, bookings_of_guest_where,
    day_sheet,
};
use holdfast_projections::projection::Projection;
use holdfast_projections::store::TableRef;
use holdfast_projections::store::memory::MemoryStore;
use models_support::*;
use proptest::prelude::*;

const NOW: &str = "2026-12-01T10:00:00Z";

fn eur(n: i64) -> Money {
    Money::new(n, Currency::parse("EUR").unwrap())
}

fn label(s: &str) -> Label {
    Label::parse(s).unwrap()
}

struct Bk {
    id: String,
    state: Booking,
}

/// Requests booking `n` for `guest` at `tenant` on `slots` (first slot 15:00 UTC start).
fn request(log: &mut Log, n: u32, guest: u32, tenant: u32, slots: &[&str]) -> Bk {
    let id = ulid(4, n);
    let slots: Vec<Slot> = slots.iter().map(|s| Slot::parse(s).unwrap()).collect();
    let lines = slots
        .iter()
        .map(|s| PricedLine {
            slot: *s,
            unit_price: eur(10_000),
            quantity: Quantity::parse(1).unwrap(),
            amount: eur(10_000),
        })
        .collect();
    let starts_at = slots[0].date.and_hms_opt(15, 0, 0).unwrap().and_utc();
    let mut bk = Bk {
        id: id.clone(),
        state: Booking::default(),
    };
    let cmd = RequestBooking {
        booking_id: BookingId::parse(&id).unwrap(),
        tenant_id: TenantId::parse(&ulid(2, tenant)).unwrap(),
        listing_id: ListingId::parse(&ulid(3, 1)).unwrap(),
        inventory_id: InventoryId::parse(&ulid(1, 1)).unwrap(),
        guest_id: GuestId::parse(&ulid(5, guest)).unwrap(),
        party_size: PartySize::parse(2).unwrap(),
        quantity: Quantity::parse(1).unwrap(),
        slots,
        lines,
        starts_at,
        ends_at: starts_at + Duration::hours(20),
        cancellation: CancellationPolicy::non_refundable(),
    };
    bk.run(log, BookingCommand::RequestBooking(cmd));
    bk
}

impl Bk {
    fn run(&mut self, log: &mut Log, command: BookingCommand) -> usize {
        log.exec(&self.id, &mut self.state, |s, svc| s.decide(command, svc))
    }

    fn hold(&mut self, log: &mut Log, now: DateTime<Utc>) {
        self.run(
            log,
            BookingCommand::MarkHeld {
                hold_expires_at: now + Duration::minutes(15),
            },
        );
    }

    fn pay(&mut self, log: &mut Log, amount: i64, now: DateTime<Utc>) {
        self.run(
            log,
            BookingCommand::ConfirmPayment {
                provider: label("stripe"),
                reference: label(&format!("pi_{}", self.id)),
                amount: eur(amount),
                paid_at: now,
            },
        );
    }
}

async fn projected(log: &Log) -> (MemoryStore, TableRef) {
    let (store, table) = store_for(&BookingsProjection).await;
    project(&store, table, &BookingsProjection, &log.events).await;
    (store, table)
}

#[tokio::test]
async fn a_booking_by_id_shows_status_totals_coupon_and_payment() {
    let mut log = Log::new(NOW);
    let now = at(NOW);
    let mut b = request(&mut log, 1, 1, 1, &["2026-12-24", "2026-12-25"]);
    b.hold(&mut log, now);
    b.run(
        &mut log,
        BookingCommand::ApplyCoupon {
            campaign_id: CampaignId::parse(&ulid(6, 1)).unwrap(),
            code: label("SUMMER-10"),
            discount: eur(2_000),
        },
    );
    b.pay(&mut log, 18_000, now);
    let (store, table) = projected(&log).await;
    let view = booking(&store, table, &b.id).await.unwrap().unwrap();
    assert_eq!(view.status, BookingStatus::Confirmed);
    assert_eq!(view.guest_id, ulid(5, 1));
    assert_eq!(view.tenant_id, ulid(2, 1));
    assert_eq!(view.slots, ["2026-12-24", "2026-12-25"]);
    assert_eq!(view.party_size, Some(2));
    let totals = view.totals.unwrap();
    assert_eq!(
        (
            totals.subtotal.amount_minor,
            totals.discount.amount_minor,
            totals.total.amount_minor
        ),
        (20_000, 2_000, 18_000)
    );
    assert_eq!(view.coupon.unwrap().code.as_str(), "SUMMER-10");
    assert_eq!(view.total_paid.unwrap().amount_minor, 18_000);
    assert_eq!(view.created_at, Some(now));
    assert!(view.confirmed_at.is_some());
    assert!(view.hold_expires_at.is_some());
    assert!(
        booking(&store, table, &ulid(4, 99))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_guests_bookings_come_newest_first_each_exactly_once() {
    let mut log = Log::new(NOW);
    let mut expected = Vec::new();
    for n in 0..7u32 {
        log.set_now(&format!("2026-12-01T10:{:02}:00Z", n * 5));
        let b = request(&mut log, n, 1, 1, &["2026-12-24"]);
        expected.push(b.id.clone());
        // Another guest books in between; never listed for guest 1.
        request(&mut log, 100 + n, 2, 1, &["2026-12-24"]);
    }
    expected.reverse();
    let (store, table) = projected(&log).await;
    let guest = ulid(5, 1);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = bookings_by_guest(&store, table, &guest, 3, after.as_deref())
            .await
            .unwrap();
        assert!(page.items.iter().all(|b| b.guest_id == guest));
        pages.push((page.items.len(), page.has_next_page));
        seen.extend(page.items.iter().map(|b| b.booking_id.clone()));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(pages, [(3, true), (3, true), (1, false)]);
    assert_eq!(seen, expected);
    assert!(matches!(
        bookings_by_guest(&store, table, &guest, 3, Some("nonsense")).await,
        Err(QueryError::InvalidCursor(_))
    ));
}

#[tokio::test]
async fn filtered_pages_list_each_kept_booking_once_even_past_the_examination_limit() {
    // More bookings than one page examines, few of them kept: pages end early (maybe empty)
    // but go on, and every kept booking is listed exactly once, newest first.
    let mut log = Log::new(NOW);
    let total = MAX_EXAMINED as u32 + 300;
    let mut expected = Vec::new();
    for n in 0..total {
        log.set_now(&(at(NOW) + Duration::seconds(i64::from(n))).to_rfc3339());
        let b = request(&mut log, n, 1, 1, &["2026-12-24"]);
        if n % 600 == 0 || n == total - 1 {
            expected.push(b.id.clone());
        }
    }
    expected.reverse();
    let keep: BTreeSet<String> = expected.iter().cloned().collect();
    let (store, table) = projected(&log).await;
    let guest = ulid(5, 1);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    let mut early = false;
    loop {
        let page = bookings_of_guest_where(&store, table, &guest, 4, after.as_deref(), |b| {
            keep.contains(&b.booking_id)
        })
        .await
        .unwrap();
        assert!(page.items.len() <= 4);
        early |= page.items.len() < 4 && page.has_next_page;
        pages += 1;
        seen.extend(page.items.iter().map(|b| b.booking_id.clone()));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
        assert!(after.is_some(), "a next page needs a cursor");
        assert!(pages < 50, "pagination does not end");
    }
    assert_eq!(seen, expected);
    assert!(early, "some page stopped at the examination limit");
    // Keeping everything is the unfiltered listing.
    let all = bookings_of_guest_where(&store, table, &guest, 5, None, |_| true)
        .await
        .unwrap();
    let plain = bookings_by_guest(&store, table, &guest, 5, None)
        .await
        .unwrap();
    assert_eq!(all, plain);
    assert!(all.has_next_page && all.items.len() == 5);
}

#[tokio::test]
async fn the_day_sheet_lists_one_tenants_live_bookings_of_a_date_in_slot_order() {
    let mut log = Log::new(NOW);
    let now = at(NOW);
    // Tenant 1 on the 24th: a confirmed stay, a held time slot, a request.
    let mut confirmed = request(&mut log, 1, 1, 1, &["2026-12-24", "2026-12-25"]);
    confirmed.hold(&mut log, now);
    confirmed.pay(&mut log, 20_000, now);
    let mut dinner = request(&mut log, 2, 2, 1, &["2026-12-24T18:30"]);
    dinner.hold(&mut log, now);
    let requested = request(&mut log, 3, 3, 1, &["2026-12-24T12:00"]);
    // Rejected, expired and cancelled-before-confirmation ones drop off.
    let mut rejected = request(&mut log, 4, 4, 1, &["2026-12-24"]);
    rejected.run(
        &mut log,
        BookingCommand::RejectBooking {
            reason: RejectionReason::SoldOut,
        },
    );
    let mut expired = request(&mut log, 5, 5, 1, &["2026-12-24"]);
    expired.hold(&mut log, now);
    log.set_now("2026-12-01T11:00:00Z");
    expired.run(&mut log, BookingCommand::ExpireHold);
    let mut abandoned = request(&mut log, 6, 6, 1, &["2026-12-24"]);
    abandoned.run(
        &mut log,
        BookingCommand::CancelBooking {
            by: CancelledBy::Guest,
            reason: CancellationReason::GuestRequest,
        },
    );
    // A paid guest's cancellation stays visible, as Cancelled.
    let mut late = request(&mut log, 7, 7, 1, &["2026-12-24T20:00"]);
    late.hold(&mut log, at("2026-12-01T11:00:00Z"));
    late.pay(&mut log, 10_000, at("2026-12-01T11:00:00Z"));
    late.run(
        &mut log,
        BookingCommand::CancelBooking {
            by: CancelledBy::Guest,
            reason: CancellationReason::GuestRequest,
        },
    );
    // Another tenant the same day, and tenant 1 the day before (a stay through the 24th).
    request(&mut log, 8, 8, 2, &["2026-12-24"]);
    request(&mut log, 9, 9, 1, &["2026-12-23", "2026-12-24"]);

    let (store, table) = projected(&log).await;
    let sheet = day_sheet(&store, table, &ulid(2, 1), date("2026-12-24"))
        .await
        .unwrap();
    let lines: Vec<(&str, BookingStatus)> = sheet
        .iter()
        .map(|e| (e.booking_id.as_str(), e.status))
        .collect();
    assert_eq!(
        lines,
        [
            (confirmed.id.as_str(), BookingStatus::Confirmed),
            (requested.id.as_str(), BookingStatus::Requested),
            (dinner.id.as_str(), BookingStatus::Held),
            (late.id.as_str(), BookingStatus::Cancelled),
        ]
    );
    assert_eq!(sheet[0].party_size, Some(2));
    assert_eq!(sheet[2].first_slot, "2026-12-24T18:30");
    let other = day_sheet(&store, table, &ulid(2, 2), date("2026-12-24"))
        .await
        .unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].booking_id, ulid(4, 8));
    let before = day_sheet(&store, table, &ulid(2, 1), date("2026-12-23"))
        .await
        .unwrap();
    let ids: BTreeSet<_> = before.iter().map(|e| e.booking_id.clone()).collect();
    assert_eq!(ids, BTreeSet::from([ulid(4, 9)]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn replays_and_duplicate_deliveries_change_nothing(
        ops in proptest::collection::vec((0u8..6, 0u32..4), 1..30),
        repeats in proptest::collection::vec(any::<u8>(), 40),
        back in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let mut log = Log::new(NOW);
        let now = at(NOW);
        let mut bookings: Vec<Bk> = (0..4u32)
            .map(|n| request(&mut log, n, n % 2, 1 + n % 2, &["2026-12-24"]))
            .collect();
        for (op, n) in ops {
            let b = &mut bookings[n as usize];
            let command = match op {
                0 => BookingCommand::MarkHeld { hold_expires_at: now + Duration::minutes(15) },
                1 => BookingCommand::ConfirmPayment {
                    provider: label("stripe"),
                    reference: label(&format!("pi_{}", b.id)),
                    amount: eur(10_000),
                    paid_at: now,
                },
                2 => BookingCommand::CancelBooking { by: CancelledBy::Guest, reason: CancellationReason::GuestRequest },
                3 => BookingCommand::RejectBooking { reason: RejectionReason::SoldOut },
                4 => BookingCommand::RecordRefund { reference: label(&format!("re_{}", b.id)), amount: eur(1_000) },
                _ => BookingCommand::CheckIn { opens_at: Some(now) },
            };
            if let Ok(events) = b.state.decide(command, &log.services) {
                for e in events {
                    cqrs_es::Aggregate::apply(&mut b.state, e.clone());
                    log.push("Booking", &b.id, &e);
                }
            }
        }
        let plan = schedule(log.events.len(), &repeats, &back);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (clean, messy) = rt.block_on(clean_and_replayed(&BookingsProjection, &log.events, &plan));
        prop_assert_eq!(clean, messy);
    }
}

#[test]
fn each_read_model_has_one_projection_that_ignores_other_aggregates() {
    use holdfast_projections::models::all_projections;
    let projections = all_projections();
    let tables: BTreeSet<_> = projections.iter().map(|p| p.table()).collect();
    assert_eq!(tables.len(), 4);
    let mut log = Log::new(NOW);
    request(&mut log, 1, 1, 1, &["2026-12-24"]);
    let event = &log.events[0];
    for p in &projections {
        let patches = p.patches(event).unwrap();
        let is_bookings = p.table() == holdfast_projections::store::Table::Bookings;
        // The booking document, its day-sheet entry, the business's guest entry and its entry
        // by creation date; nothing for the other models.
        assert_eq!(
            patches.len(),
            if is_bookings { 4 } else { 0 },
            "{}",
            p.table()
        );
    }
    let mut broken = event.clone();
    broken.payload = serde_json::json!({"BookingRequested": {"booking": 7}});
    assert!(BookingsProjection.patches(&broken).is_err());
}

#[tokio::test]
async fn a_waitlist_lists_who_waits_or_holds_an_offer_and_drops_them_when_they_move_on() {
    use holdfast_domain::booking::{JoinWaitlist, OfferSlot};
    use holdfast_domain::common::DateRange;
    use holdfast_projections::models::bookings::waitlist;
    let mut log = Log::new(NOW);
    let now = at(NOW);
    let inventory = ulid(1, 1);
    let join = |log: &mut Log, n: u32, guest: u32| {
        let mut bk = Bk {
            id: ulid(4, n),
            state: Booking::default(),
        };
        bk.run(
            log,
            BookingCommand::JoinWaitlist(JoinWaitlist {
                booking_id: BookingId::parse(&bk.id).unwrap(),
                tenant_id: TenantId::parse(&ulid(2, 1)).unwrap(),
                listing_id: ListingId::parse(&ulid(3, 1)).unwrap(),
                inventory_id: InventoryId::parse(&inventory).unwrap(),
                guest_id: GuestId::parse(&ulid(5, guest)).unwrap(),
                party_size: PartySize::parse(2).unwrap(),
                quantity: Quantity::parse(1).unwrap(),
                wanted: DateRange::new(
                    "2026-12-24".parse().unwrap(),
                    "2026-12-26".parse().unwrap(),
                )
                .unwrap(),
                time: None,
                slot_count: 1,
            }),
        );
        bk
    };
    let mut first = join(&mut log, 1, 1);
    log.set_now("2026-12-01T10:05:00Z");
    let mut second = join(&mut log, 2, 2);
    log.set_now("2026-12-01T10:10:00Z");
    let third = join(&mut log, 3, 3);
    // An ordinary booking of the same inventory is never on its waitlist.
    request(&mut log, 9, 9, 1, &["2026-12-24"]);
    let slot = Slot::parse("2026-12-24").unwrap();
    let offer = |bk: &mut Bk, log: &mut Log| {
        bk.run(
            log,
            BookingCommand::OfferSlot(OfferSlot {
                slots: vec![slot],
                lines: vec![PricedLine {
                    slot,
                    unit_price: eur(10_000),
                    quantity: Quantity::parse(1).unwrap(),
                    amount: eur(10_000),
                }],
                starts_at: slot.date.and_hms_opt(15, 0, 0).unwrap().and_utc(),
                ends_at: slot.date.and_hms_opt(17, 0, 0).unwrap().and_utc(),
                cancellation: CancellationPolicy::non_refundable(),
                offer_expires_at: at("2026-12-01T12:00:00Z"),
            }),
        );
    };
    // The first is offered (still listed, as offered), the second is offered and accepts
    // (gone), the third waits.
    offer(&mut first, &mut log);
    offer(&mut second, &mut log);
    second.run(
        &mut log,
        BookingCommand::AcceptOffer {
            hold_expires_at: now + Duration::minutes(30),
        },
    );
    let (store, table) = projected(&log).await;
    let list = waitlist(&store, table, &inventory).await.unwrap();
    let got: Vec<(&str, BookingStatus)> = list
        .iter()
        .map(|e| (e.booking_id.as_str(), e.status))
        .collect();
    assert_eq!(
        got,
        [
            (first.id.as_str(), BookingStatus::Offered),
            (third.id.as_str(), BookingStatus::Waitlisted),
        ]
    );
    assert_eq!(list[0].offer_expires_at, Some(at("2026-12-01T12:00:00Z")));
    assert_eq!(list[1].waitlisted_at, Some(at("2026-12-01T10:10:00Z")));
    // The first declines: only the third is left.
    first.run(&mut log, BookingCommand::DeclineOffer);
    let (store, table) = projected(&log).await;
    let list = waitlist(&store, table, &inventory).await.unwrap();
    let ids: Vec<&str> = list.iter().map(|e| e.booking_id.as_str()).collect();
    assert_eq!(ids, [third.id.as_str()]);
}
