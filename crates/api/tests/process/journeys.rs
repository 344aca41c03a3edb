//! The three journeys of the process issue, with the worker running.

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::booking::BookingStatus;
use holdfast_domain::coupon::CouponCampaign;
use holdfast_domain::services::Clock as _;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{guest, operator, spawn_app};
use crate::{
    assert_no_overbooking, booking_mutation, calendar_shows, concert_under, holds_released,
    inventory, pay, pay_by_webhook, try_booking_mutation,
};
use holdfast_testkit::graphql::CREATE_CAMPAIGN;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn hotel_policy() -> Value {
    json!({
        "slotKind": {"night": {"checkIn": "15:00", "checkOut": "11:00"}},
        "partySize": {"min": 1, "max": 4},
        "minStay": 1, "maxStay": 14,
        "holdDurationMinutes": 15,
        "cancellation": [{"minNoticeHours": 72, "refundBp": 10000},
                         {"minNoticeHours": 24, "refundBp": 5000}]
    })
}

#[tokio::test]
async fn hotel_three_nights_with_a_coupon_paid_then_cancelled_48_hours_before_refunds_half() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (_, op) = operator();
    let listing = published_listing(&app, &op, hotel_policy()).await;
    let inventory_id = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-03-01", &[]),
        2,
        100_000,
    )
    .await;
    // Per-night prices: 100 000, 120 000 and 150 000 KRW.
    for (night, price) in [("2030-02-11", 120_000), ("2030-02-12", 150_000)] {
        let next = (date(night) + chrono::Days::new(1)).to_string();
        app.ok(
            Some(&op),
            SET_PRICE,
            json!({"key": key(), "input": {"inventoryId": inventory_id,
                   "selection": {"from": night, "to": next},
                   "price": {"amountMinor": price, "currency": "KRW"}}}),
        )
        .await;
    }
    let campaign = app
        .ok(
            Some(&op),
            CREATE_CAMPAIGN,
            json!({"key": key(), "input": {"code": "WINTER-10",
                   "discount": {"percent": {"basisPoints": 1000}},
                   "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-12-31T00:00:00Z",
                   "totalQuantity": 10, "restoreOnCancel": true}}),
        )
        .await["createCampaign"]["campaignId"]
        .as_str()
        .unwrap()
        .to_owned();

    let (guest_id, g) = guest();
    let placed = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id,
               "stay": {"from": "2030-02-10", "to": "2030-02-13"}, "partySize": 2,
               "couponCampaignId": campaign}),
    )
    .await;
    assert_eq!(placed["status"], "HELD");
    assert_eq!(
        placed["totals"],
        json!({"currency": "KRW", "subtotalMinor": 370_000, "discountMinor": 37_000, "totalMinor": 333_000})
    );
    let id = placed["bookingId"].as_str().unwrap().to_owned();
    // The payment provider confirms through its signed webhook.
    let answer = pay_by_webhook(&app, &placed, "pi_hotel_1").await;
    assert_eq!(answer["status"], "processed", "{answer}");
    app.booking_when(&id, "confirmed", |b| {
        b.status() == Some(BookingStatus::Confirmed)
    })
    .await;

    // 48 hours before check-in (15:00 KST on 10 Feb = 06:00 UTC): the 24-hour tier, 50 %.
    app.clock.set(at("2030-02-08T06:00:00Z"));
    let cancelled = booking_mutation(&app, &g, "cancelBooking", json!({"bookingId": id})).await;
    assert_eq!(cancelled["status"], "CANCELLED");

    let booking = app
        .booking_when(&id, "refunded", |b| !b.refunds().is_empty())
        .await;
    assert_eq!(booking.refund_due().unwrap().amount_minor, 166_500);
    assert_eq!(booking.refunds().len(), 1, "refunded exactly once");
    assert_eq!(booking.refunds()[0].amount.amount_minor, 166_500);
    assert_eq!(booking.refunds()[0].reference.as_str(), "auto-refund-1");
    assert_eq!(booking.total_refunded().unwrap().amount_minor, 166_500);

    // The coupon is the guest's again, and the three nights are free again.
    let campaign: CouponCampaign = holdfast_engine::process::load(&app.engine.store, &campaign)
        .await
        .unwrap();
    let redemption = campaign
        .redemptions()
        .values()
        .next()
        .expect("the booking's redemption");
    assert!(redemption.restored, "coupon restored: {redemption:?}");
    assert_eq!(redemption.guest_id, guest_id);
    let inv = inventory(&app, &inventory_id).await;
    for night in ["2030-02-10", "2030-02-11", "2030-02-12"] {
        let state = inv.slots()[&holdfast_domain::common::Slot::parse(night).unwrap()];
        assert_eq!((state.held, state.allocated), (0, 0), "{night} free again");
    }
    calendar_shows(&app, &inventory_id, "2030-02-10", "2030-02-12", 2).await;

    // The worker does nothing more: a second look refunds nothing twice.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, &id)
            .await
            .unwrap();
    assert_eq!(again.refunds().len(), 1);
    assert_eq!(again.status(), Some(BookingStatus::Cancelled));
    worker.stop().await;
}

fn restaurant_policy() -> Value {
    json!({
        "slotKind": {"timeSlot": {"minutes": 120, "firstStart": "17:00", "lastStart": "21:00"}},
        "partySize": {"min": 1, "max": 6},
        "maxAdvanceDays": 60,
        "holdDurationMinutes": 10,
        "offerDurationMinutes": 30
    })
}

#[tokio::test]
async fn restaurant_waitlist_offers_a_cancelled_table_and_passes_an_ignored_offer_on() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (_, op) = operator();
    let listing = published_listing(&app, &op, restaurant_policy()).await;
    // One table for four at 19:00 on 1 Feb.
    let inventory_id = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &["19:00"]),
        1,
        50_000,
    )
    .await;
    let table = json!({"listingId": listing, "inventoryId": inventory_id,
                       "timeSlot": {"start": "2030-02-01T19:00"}, "partySize": 4});

    let (_, first) = guest();
    let placed = booking_mutation(&app, &first, "placeBooking", table.clone()).await;
    pay(&app, &op, &placed, "pi_first").await;

    // Sold out: the next two parties of four join the waitlist for that evening.
    let (_, second) = guest();
    let refused = try_booking_mutation(&app, &second, "placeBooking", table.clone()).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "SOLD_OUT");
    let wait = json!({"listingId": listing, "inventoryId": inventory_id,
                      "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "time": "19:00",
                      "partySize": 4});
    let second_wait = booking_mutation(&app, &second, "joinWaitlist", wait.clone()).await;
    assert_eq!(second_wait["status"], "WAITLISTED");
    let (_, third) = guest();
    let third_wait = booking_mutation(&app, &third, "joinWaitlist", wait).await;
    let second_id = second_wait["bookingId"].as_str().unwrap().to_owned();
    let third_id = third_wait["bookingId"].as_str().unwrap().to_owned();

    // Nobody is offered anything while the table is taken.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let waiting: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, &second_id)
            .await
            .unwrap();
    assert_eq!(waiting.status(), Some(BookingStatus::Waitlisted));

    // The first party cancels: the table is offered to the earliest waiting party, and held
    // for the offer (nobody else can take it meanwhile).
    booking_mutation(
        &app,
        &first,
        "cancelBooking",
        json!({"bookingId": placed["bookingId"]}),
    )
    .await;
    let offered = app
        .booking_when(&second_id, "offered", |b| {
            b.status() == Some(BookingStatus::Offered)
        })
        .await;
    assert_eq!(offered.slots().len(), 1);
    assert_eq!(offered.totals().unwrap().total.amount_minor, 50_000);
    let offer_expires = offered.offer_expires_at().unwrap();
    assert_eq!(offer_expires, app.clock.now() + Duration::minutes(30));
    let (_, fourth) = guest();
    let taken = try_booking_mutation(&app, &fourth, "placeBooking", table.clone()).await;
    assert_eq!(taken["errors"][0]["extensions"]["code"], "SOLD_OUT");
    let third_now: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, &third_id)
            .await
            .unwrap();
    assert_eq!(third_now.status(), Some(BookingStatus::Waitlisted));

    // The second party ignores the offer: it expires and passes to the third.
    app.clock.set(offer_expires + Duration::seconds(1));
    app.booking_when(&second_id, "expired", |b| {
        b.status() == Some(BookingStatus::Expired)
    })
    .await;
    let offered = app
        .booking_when(&third_id, "offered", |b| {
            b.status() == Some(BookingStatus::Offered)
        })
        .await;
    assert!(offered.offer_expires_at().unwrap() > app.clock.now());

    // The third party accepts, pays and is confirmed.
    let accepted =
        booking_mutation(&app, &third, "acceptOffer", json!({"bookingId": third_id})).await;
    assert_eq!(accepted["status"], "HELD");
    // The offer held the table: accepting it is one commit with its key.
    crate::assert_committed_with_its_key(&app, &third_id, "BookingOfferAccepted").await;
    let confirmed = pay(&app, &op, &accepted, "pi_third").await;
    assert_eq!(confirmed["status"], "CONFIRMED");
    let inv = inventory(&app, &inventory_id).await;
    assert_no_overbooking(&inv);
    let slot = holdfast_domain::common::Slot::parse("2030-02-01T19:00").unwrap();
    assert_eq!(
        (inv.slots()[&slot].held, inv.slots()[&slot].allocated),
        (0, 1)
    );
    worker.stop().await;
}

#[tokio::test]
async fn concert_hold_expires_with_no_request_and_the_tickets_return_to_the_calendar() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (listing, inventory_id, _) = concert_under(&app, event_policy(), 100, 88_000).await;
    let (_, g) = guest();
    let placed = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory_id, "eventDate": "2030-03-01",
               "partySize": 4, "quantity": 4}),
    )
    .await;
    let token = placed["consistencyToken"].as_str().unwrap().to_owned();
    let days = calendar_after(
        &app,
        Some(&token),
        &inventory_id,
        "2030-03-01",
        "2030-03-01",
    )
    .await;
    assert_eq!(days[0].available, 96);

    // Nothing happens before the expiry…
    let id = placed["bookingId"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::minutes(14));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let held: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, &id)
            .await
            .unwrap();
    assert_eq!(held.status(), Some(BookingStatus::Held));

    // …and at the expiry, with no request arriving, the worker expires and releases it.
    app.clock.advance(Duration::minutes(1));
    app.booking_when(&id, "expired", |b| {
        b.status() == Some(BookingStatus::Expired)
    })
    .await;
    holds_released(&app, &inventory_id).await;
    calendar_shows(&app, &inventory_id, "2030-03-01", "2030-03-01", 100).await;
    worker.stop().await;
}

#[tokio::test]
async fn check_in_and_no_show_follow_the_policys_no_show_rule_and_the_share_is_refunded() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let mut policy = event_policy();
    policy["noShowRefundBp"] = json!(2000);
    let (listing, inventory_id, op) = concert_under(&app, policy, 10, 50_000).await;
    let event = json!({"listingId": listing, "inventoryId": inventory_id,
                       "eventDate": "2030-03-01", "partySize": 1});
    let (_, arrives) = guest();
    let (_, stays_home) = guest();
    let coming = booking_mutation(&app, &arrives, "placeBooking", event.clone()).await;
    let absent = booking_mutation(&app, &stays_home, "placeBooking", event).await;
    pay(&app, &op, &coming, "pi_coming").await;
    pay(&app, &op, &absent, "pi_absent").await;

    // 19:00 KST on 1 March is 10:00 UTC: check-in opens 12 hours before; no-shows after it.
    app.clock.set(at("2030-03-01T09:30:00Z"));
    let checked_in = booking_mutation(
        &app,
        &op,
        "checkIn",
        json!({"bookingId": coming["bookingId"]}),
    )
    .await;
    assert_eq!(checked_in["status"], "CHECKED_IN");
    let early = try_booking_mutation(
        &app,
        &op,
        "markNoShow",
        json!({"bookingId": absent["bookingId"]}),
    )
    .await;
    assert_eq!(early["errors"][0]["extensions"]["code"], "INVALID_STATE");

    app.clock.set(at("2030-03-01T10:30:00Z"));
    let marked = booking_mutation(
        &app,
        &op,
        "markNoShow",
        json!({"bookingId": absent["bookingId"]}),
    )
    .await;
    assert_eq!(marked["status"], "NO_SHOW");
    let id = absent["bookingId"].as_str().unwrap();
    let booking = app
        .booking_when(id, "refunded", |b| !b.refunds().is_empty())
        .await;
    assert_eq!(booking.refund_due().unwrap().amount_minor, 10_000);
    assert_eq!(booking.refunds()[0].amount.amount_minor, 10_000);
    let checked: holdfast_domain::booking::Booking =
        holdfast_engine::process::load(&app.engine.store, coming["bookingId"].as_str().unwrap())
            .await
            .unwrap();
    assert!(
        checked.refunds().is_empty(),
        "an arrival is refunded nothing"
    );
    worker.stop().await;
}
