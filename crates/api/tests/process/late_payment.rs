//! A payment that arrives after its hold expired is rechecked by the worker: re-held and
//! confirmed on a new booking when units remain, refunded when they were resold. Never an
//! overbooking, never money kept without a booking.

use chrono::Duration;
use holdfast_domain::booking::{Booking, BookingStatus};
use holdfast_domain::common::GuestId;
use holdfast_engine::process::booking_id_for;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, guest, spawn_app};
use crate::{assert_no_overbooking, booking_mutation, inventory, pay};

/// An event listing with `capacity` tickets on 1 March; returns (listing, inventory, operator).
async fn concert(app: &TestApp, capacity: u32) -> (String, String, String) {
    crate::concert_under(app, event_policy(), capacity, 30_000).await
}

async fn place(app: &TestApp, token: &str, listing: &str, inventory: &str) -> Value {
    booking_mutation(
        app,
        token,
        "placeBooking",
        json!({"listingId": listing, "inventoryId": inventory, "eventDate": "2030-03-01",
               "partySize": 1}),
    )
    .await
}

/// Places a booking for a new guest and lets its hold expire (the worker releases it).
async fn expired_booking(app: &TestApp, listing: &str, inventory_id: &str) -> (GuestId, Value) {
    let (guest_id, g) = guest();
    let placed = place(app, &g, listing, inventory_id).await;
    app.clock.advance(Duration::minutes(16));
    let id = placed["bookingId"].as_str().unwrap();
    app.booking_when(id, "expired", |b| {
        b.status() == Some(BookingStatus::Expired)
    })
    .await;
    crate::holds_released(app, inventory_id).await;
    (guest_id, placed)
}

#[tokio::test]
async fn a_late_payment_for_a_resold_ticket_is_refunded_automatically_and_nothing_is_overbooked() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (listing, inventory_id, op) = concert(&app, 1).await;
    let (late_guest, late) = expired_booking(&app, &listing, &inventory_id).await;

    // The ticket is resold and paid.
    let (_, other) = guest();
    let resold = place(&app, &other, &listing, &inventory_id).await;
    assert_eq!(
        pay(&app, &op, &resold, "pi_resold").await["status"],
        "CONFIRMED"
    );

    // The first guest's payment arrives now: recorded, never dropped, the booking stays expired.
    let answer = pay(&app, &op, &late, "pi_late").await;
    assert_eq!(answer["status"], "EXPIRED");

    let id = late["bookingId"].as_str().unwrap();
    let booking = app
        .booking_when(id, "refunded", |b| !b.refunds().is_empty())
        .await;
    assert_eq!(booking.late_payments().len(), 1);
    assert_eq!(booking.refunds().len(), 1);
    assert_eq!(
        booking.refunds()[0].reference.as_str(),
        "late-payment-0-refund"
    );
    assert_eq!(booking.refunds()[0].amount.amount_minor, 30_000);
    assert_eq!(booking.refund_outstanding().unwrap().amount_minor, 0);

    // The recheck's placement was refused for want of capacity; nothing is overbooked.
    let recheck = booking_id_for(late_guest, &format!("late-payment:{id}:0"));
    let recheck: Booking = holdfast_engine::process::load(&app.engine.store, &recheck.to_string())
        .await
        .unwrap();
    assert_eq!(recheck.status(), Some(BookingStatus::Rejected));
    let inv = inventory(&app, &inventory_id).await;
    assert_no_overbooking(&inv);
    assert_eq!(inv.allocations().len(), 1);
    assert!(inv.holds().is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn a_late_payment_with_units_left_confirms_a_new_booking_for_the_same_guest() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (listing, inventory_id, op) = concert(&app, 2).await;
    let (late_guest, late) = expired_booking(&app, &listing, &inventory_id).await;

    assert_eq!(pay(&app, &op, &late, "pi_late").await["status"], "EXPIRED");

    let id = late["bookingId"].as_str().unwrap();
    let old = app
        .booking_when(id, "settled", |b| !b.refunds().is_empty())
        .await;
    assert_eq!(
        old.refunds()[0].reference.as_str(),
        "late-payment-0-transfer"
    );
    assert_eq!(old.refunds()[0].amount.amount_minor, 30_000);

    let new_id = booking_id_for(late_guest, &format!("late-payment:{id}:0"));
    let new = app
        .booking_when(&new_id.to_string(), "confirmed", |b| {
            b.status() == Some(BookingStatus::Confirmed)
        })
        .await;
    assert_eq!(new.keys().guest_id, late_guest);
    assert_eq!(new.payment().unwrap().reference.as_str(), "pi_late");
    assert_eq!(new.slots(), old.slots());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let inv = inventory(&app, &inventory_id).await;
        assert_no_overbooking(&inv);
        if inv.allocations().contains_key(&new_id) {
            assert!(inv.holds().is_empty());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never allocated");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    worker.stop().await;
}
