//! Recovery: the server killed half-way through a placement, and the worker restarted — after
//! a restart, nothing stays taken beyond its expiry.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::booking::{
    BookingCommand, BookingStatus, PartySize, PricedLine, Quantity, RejectionReason, RequestBooking,
};
use holdfast_domain::common::{
    BookingId, CancellationPolicy, Currency, GuestId, InventoryId, ListingId, Money, Slot,
};
use holdfast_domain::coupon::{CouponCampaign, CouponCommand};
use holdfast_domain::inventory::InventoryCommand;
use holdfast_domain::listing::Listing;
use holdfast_domain::services::Clock as _;
use serde_json::json;

use crate::fixtures::*;
use crate::support::{TestApp, guest, spawn_app};
use crate::{booking_mutation, concert_under, inventory};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// What a placement writes before it is killed: the booking `Requested`, the hold, and (with
/// a campaign) the coupon redeemed — but neither `ApplyCoupon` nor `MarkHeld`.
async fn half_placed(
    app: &TestApp,
    listing: &str,
    inventory_id: &str,
    guest_id: GuestId,
    campaign: Option<&str>,
) -> BookingId {
    let listing_state: Listing = holdfast_engine::process::load(&app.engine.store, listing)
        .await
        .unwrap();
    let tenant_id = listing_state.state().unwrap().tenant_id;
    let krw = Currency::parse("KRW").unwrap();
    let slot = Slot::parse("2030-03-01").unwrap();
    let booking_id = BookingId::new();
    let none = HashMap::new;
    app.engine
        .commands
        .bookings
        .execute(
            &booking_id.to_string(),
            BookingCommand::RequestBooking(RequestBooking {
                booking_id,
                tenant_id,
                listing_id: listing.parse::<ListingId>().unwrap(),
                inventory_id: inventory_id.parse::<InventoryId>().unwrap(),
                guest_id,
                party_size: PartySize::parse(1).unwrap(),
                quantity: Quantity::parse(1).unwrap(),
                slots: vec![slot],
                lines: vec![PricedLine {
                    slot,
                    unit_price: Money::new(30_000, krw),
                    quantity: Quantity::parse(1).unwrap(),
                    amount: Money::new(30_000, krw),
                }],
                starts_at: at("2030-03-01T10:00:00Z"),
                ends_at: at("2030-03-01T15:00:00Z"),
                cancellation: CancellationPolicy::non_refundable(),
            }),
            none(),
        )
        .await
        .unwrap();
    app.engine
        .commands
        .inventories
        .execute(
            inventory_id,
            InventoryCommand::PlaceHold {
                booking_id,
                slots: vec![slot],
                quantity: 1,
                expires_at: app.clock.now() + Duration::minutes(15),
            },
            none(),
        )
        .await
        .unwrap();
    if let Some(campaign) = campaign {
        app.engine
            .commands
            .coupons
            .execute(
                campaign,
                CouponCommand::RedeemCoupon {
                    guest_id,
                    booking_id,
                    listing_id: listing.parse().unwrap(),
                    subtotal: Money::new(30_000, krw),
                },
                none(),
            )
            .await
            .unwrap();
    }
    booking_id
}

async fn holds(app: &TestApp, inventory_id: &str) -> usize {
    inventory(app, inventory_id).await.holds().len()
}

#[tokio::test]
async fn a_placement_killed_after_its_hold_and_coupon_leaves_nothing_taken_after_the_expiry() {
    let app = spawn_app().await;
    let (listing, inventory_id, op) = concert_under(&app, event_policy(), 5, 30_000).await;
    // A campaign that does not give coupons back on cancellation: a placement that never
    // finished did not use its coupon, so it comes back all the same.
    let campaign = app
        .ok(
            Some(&op),
            "mutation($key: String!, $input: CreateCampaignInput!) { createCampaign(idempotencyKey: $key, input: $input) { campaignId } }",
            json!({"key": key(), "input": {"code": "ONCE-5000",
                   "discount": {"fixed": {"amountMinor": 5000, "currency": "KRW"}},
                   "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-12-31T00:00:00Z",
                   "totalQuantity": 1, "restoreOnCancel": false}}),
        )
        .await["createCampaign"]["campaignId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (guest_id, g) = guest();
    app.ok(
        Some(&g),
        "mutation($key: String!, $id: ID!) { claimCoupon(idempotencyKey: $key, input: {campaignId: $id}) { claimed } }",
        json!({"key": key(), "id": campaign}),
    )
    .await;

    // Killed between hold and coupon redemption, and killed after redeeming.
    let (other_guest, _) = guest();
    let no_coupon = half_placed(&app, &listing, &inventory_id, other_guest, None).await;
    let with_coupon = half_placed(&app, &listing, &inventory_id, guest_id, Some(&campaign)).await;
    assert_eq!(holds(&app, &inventory_id).await, 2);

    // The server restarts (its worker with it). Before the expiry nothing is touched.
    let worker = app.start_worker();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(holds(&app, &inventory_id).await, 2);

    // Past the hold's expiry: both holds released, both bookings rejected as abandoned, the
    // coupon the guest's to use again.
    app.clock.advance(Duration::minutes(16));
    for id in [no_coupon, with_coupon] {
        let booking = app
            .booking_when(&id.to_string(), "rejected", |b| {
                b.status() == Some(BookingStatus::Rejected)
            })
            .await;
        assert_eq!(booking.rejection(), Some(&RejectionReason::Abandoned));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let campaign_state: CouponCampaign =
            holdfast_engine::process::load(&app.engine.store, &campaign)
                .await
                .unwrap();
        let restored = campaign_state
            .redemptions()
            .get(&with_coupon)
            .is_some_and(|r| r.restored);
        if restored && holds(&app, &inventory_id).await == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "hold or coupon still taken"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    calendar_available(&app, &inventory_id, 5).await;

    // The guest books with the restored coupon.
    let placed = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id, "eventDate": "2030-03-01",
               "partySize": 1, "couponCampaignId": campaign}),
    )
    .await;
    assert_eq!(placed["totals"]["discountMinor"], 5000);
    worker.stop().await;
}

async fn calendar_available(app: &TestApp, inventory_id: &str, n: u32) {
    crate::calendar_shows(app, inventory_id, "2030-03-01", "2030-03-01", n).await;
}

#[tokio::test]
async fn a_restarted_worker_expires_the_holds_that_fell_due_while_it_was_down() {
    let app = spawn_app().await;
    let (listing, inventory_id, _) = concert_under(&app, event_policy(), 5, 30_000).await;
    let worker = app.start_worker();
    let (_, g) = guest();
    let placed = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id, "eventDate": "2030-03-01",
               "partySize": 1}),
    )
    .await;
    let id = placed["bookingId"].as_str().unwrap().to_owned();
    // The worker has seen the hold; then it stops, and the hold falls due while it is down.
    let mut status = worker.watch();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        status.wait_for(|s| s.caught_up && s.tracked[1] >= 1),
    )
    .await
    .expect("the worker saw the hold")
    .unwrap();
    worker.stop().await;
    app.clock.advance(Duration::minutes(20));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let held: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, &id)
            .await
            .unwrap();
    assert_eq!(
        held.status(),
        Some(BookingStatus::Held),
        "nobody expired it meanwhile"
    );

    let restarted = app.start_worker();
    app.booking_when(&id, "expired", |b| {
        b.status() == Some(BookingStatus::Expired)
    })
    .await;
    crate::holds_released(&app, &inventory_id).await;
    restarted.stop().await;
}

#[tokio::test]
async fn one_worker_is_active_per_event_store_and_a_standby_takes_over() {
    let app = spawn_app().await;
    let first = app.start_worker();
    let mut first_status = first.watch();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        first_status.wait_for(|s| s.active),
    )
    .await
    .unwrap()
    .unwrap();
    let second = app.start_worker();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!second.status().active, "a second worker stays on standby");
    first.stop().await;
    let mut second_status = second.watch();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        second_status.wait_for(|s| s.active && s.caught_up),
    )
    .await
    .expect("the standby took over")
    .unwrap();
    second.stop().await;
}

#[tokio::test]
async fn the_worker_expires_holds_on_the_embedded_default_too() {
    let app = crate::support::spawn_embedded_app().await;
    let (listing, inventory_id, _) = concert_under(&app, event_policy(), 3, 30_000).await;
    let worker = app.start_worker();
    let (_, g) = guest();
    let placed = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id, "eventDate": "2030-03-01",
               "partySize": 1, "quantity": 3}),
    )
    .await;
    app.clock.advance(Duration::minutes(15));
    app.booking_when(placed["bookingId"].as_str().unwrap(), "expired", |b| {
        b.status() == Some(BookingStatus::Expired)
    })
    .await;
    crate::holds_released(&app, &inventory_id).await;
    calendar_available(&app, &inventory_id, 3).await;
    worker.stop().await;
}

#[tokio::test]
async fn a_cancellation_retried_after_it_stopped_half_way_gives_the_units_back() {
    // No worker: the retry alone must finish the job.
    let app = spawn_app().await;
    let (listing, inventory_id, op) = concert_under(&app, event_policy(), 2, 30_000).await;
    let (_, g) = guest();
    let ticket = json!({"listingId": listing, "inventoryId": inventory_id,
                        "eventDate": "2030-03-01", "partySize": 1});
    let held = booking_mutation(&app, &g, "placeBooking", ticket.clone()).await;
    let paid = booking_mutation(&app, &g, "placeBooking", ticket).await;
    crate::pay(&app, &op, &paid, "pi_paid").await;

    // Each cancellation stops after the booking's step (Postgres went away before the
    // inventory's): the booking says cancelled, the units are still taken.
    for b in [&held, &paid] {
        app.engine
            .commands
            .bookings
            .execute(
                b["bookingId"].as_str().unwrap(),
                BookingCommand::CancelBooking {
                    by: holdfast_domain::booking::CancelledBy::Guest,
                    reason: holdfast_domain::booking::CancellationReason::GuestRequest,
                },
                HashMap::new(),
            )
            .await
            .unwrap();
    }
    let inv = inventory(&app, &inventory_id).await;
    assert_eq!((inv.holds().len(), inv.allocations().len()), (1, 1));

    // The client retries: the hold and the allocation are given back.
    for b in [&held, &paid] {
        let again = booking_mutation(
            &app,
            &g,
            "cancelBooking",
            json!({"bookingId": b["bookingId"]}),
        )
        .await;
        assert_eq!(again["status"], "CANCELLED");
    }
    let inv = inventory(&app, &inventory_id).await;
    assert_eq!((inv.holds().len(), inv.allocations().len()), (0, 0));
}

#[tokio::test]
async fn a_worker_step_that_failed_is_retried_while_the_domain_clock_stands_still() {
    let app = spawn_app().await;
    let pool = app.engine.store.pg_pool().expect("a Postgres app").clone();
    // Refunds cannot be written until the trigger goes: the worker's refund step fails.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_refunds() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'refunds are refused by this test'; END $$;
         CREATE TRIGGER refuse_refunds BEFORE INSERT ON events FOR EACH ROW
           WHEN (NEW.event_type = 'BookingRefunded') EXECUTE FUNCTION refuse_refunds();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let worker = app.start_worker();
    let mut policy = event_policy();
    policy["noShowRefundBp"] = json!(2000);
    let (listing, inventory_id, op) = concert_under(&app, policy, 10, 50_000).await;
    let (_, stays_home) = guest();
    let absent = booking_mutation(
        &app,
        &stays_home,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id,
               "eventDate": "2030-03-01", "partySize": 1}),
    )
    .await;
    crate::pay(&app, &op, &absent, "pi_absent").await;
    app.clock.set(at("2030-03-01T10:30:00Z"));
    let marked = booking_mutation(
        &app,
        &op,
        "markNoShow",
        json!({"bookingId": absent["bookingId"]}),
    )
    .await;
    assert_eq!(marked["status"], "NO_SHOW");

    // The refund step fails and is rescheduled...
    let mut status = worker.watch();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        status.wait_for(|s| s.retries >= 1),
    )
    .await
    .expect("the worker never tried (and failed) to refund")
    .unwrap();
    let id = absent["bookingId"].as_str().unwrap();
    let booking: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, id)
            .await
            .unwrap();
    assert!(booking.refunds().is_empty(), "{booking:#?}");

    // ...and once the store takes refunds again, it is retried after `retry_after` of
    // wall-clock time, though the domain clock has not moved since.
    sqlx::raw_sql("DROP TRIGGER refuse_refunds ON events")
        .execute(&pool)
        .await
        .unwrap();
    let booking = app
        .booking_when(id, "refunded", |b| !b.refunds().is_empty())
        .await;
    assert_eq!(booking.refunds()[0].amount.amount_minor, 10_000);
    assert_eq!(booking.refunds().len(), 1);
    assert!(worker.status().retries >= 1);
    worker.stop().await;
}
