//! Concurrency with the worker running: placements, payments, cancellations, expiries and
//! waitlist offers racing on one small inventory never take more units than it has, and the
//! freed units go to exactly as many waiting guests as there are units.

use chrono::Duration;
use futures::future::join_all;
use holdfast_domain::booking::{Booking, BookingStatus};
use serde_json::json;

use crate::fixtures::*;
use crate::support::{guest, spawn_app};
use crate::{
    assert_no_overbooking, booking_mutation, concert_under, inventory, pay, try_booking_mutation,
};

#[tokio::test]
async fn a_storm_of_bookings_expiries_cancellations_and_offers_keeps_every_unit_accounted_for() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (listing, inventory_id, op) = concert_under(&app, event_policy(), 10, 30_000).await;
    let ticket = json!({"listingId": listing, "inventoryId": inventory_id,
                        "eventDate": "2030-03-01", "partySize": 1});

    // 30 guests at once for 10 tickets: exactly 10 holds.
    let guests: Vec<String> = (0..30).map(|_| guest().1).collect();
    let answers = join_all(
        guests
            .iter()
            .map(|g| try_booking_mutation(&app, g, "placeBooking", ticket.clone())),
    )
    .await;
    let mut held = Vec::new();
    let mut refused = Vec::new();
    for (g, answer) in guests.iter().zip(answers) {
        if answer["errors"].is_null() {
            held.push((g.clone(), answer["data"]["placeBooking"].clone()));
        } else {
            assert_eq!(answer["errors"][0]["extensions"]["code"], "SOLD_OUT");
            refused.push(g.clone());
        }
    }
    assert_eq!((held.len(), refused.len()), (10, 20));

    // The 20 refused join the waitlist at once.
    let wait = json!({"listingId": listing, "inventoryId": inventory_id,
                      "wanted": {"from": "2030-03-01", "to": "2030-03-02"}, "partySize": 1});
    let waiting: Vec<String> = join_all(
        refused
            .iter()
            .map(|g| booking_mutation(&app, g, "joinWaitlist", wait.clone())),
    )
    .await
    .into_iter()
    .map(|b| b["bookingId"].as_str().unwrap().to_owned())
    .collect();

    // Five pay; then, concurrently, three of those cancel while the other five holds expire.
    let (paid, unpaid) = held.split_at(5);
    let references: Vec<String> = (0..paid.len()).map(|i| format!("pi_{i}")).collect();
    join_all(
        paid.iter()
            .zip(&references)
            .map(|((_, b), reference)| pay(&app, &op, b, reference)),
    )
    .await;
    app.clock.advance(Duration::minutes(16));
    join_all(paid[..3].iter().map(|(g, b)| {
        booking_mutation(
            &app,
            g,
            "cancelBooking",
            json!({"bookingId": b["bookingId"]}),
        )
    }))
    .await;
    for (_, b) in unpaid {
        app.booking_when(b["bookingId"].as_str().unwrap(), "expired", |b| {
            b.status() == Some(BookingStatus::Expired)
        })
        .await;
    }

    // 3 + 5 units came free: exactly 8 waiting guests are offered one each; 12 still wait.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut offered = 0;
        let mut still_waiting = 0;
        for id in &waiting {
            let b: Booking = holdfast_engine::process::load(&app.engine.store, id)
                .await
                .unwrap();
            match b.status() {
                Some(BookingStatus::Offered) => offered += 1,
                Some(BookingStatus::Waitlisted) => still_waiting += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        let inv = inventory(&app, &inventory_id).await;
        assert_no_overbooking(&inv);
        if offered == 8 {
            assert_eq!(still_waiting, 12);
            let slot = holdfast_domain::common::Slot::parse("2030-03-01").unwrap();
            let state = inv.slots()[&slot];
            assert_eq!((state.held, state.allocated), (8, 2));
            break;
        }
        assert!(offered < 8, "more offers than free units");
        assert!(
            std::time::Instant::now() < deadline,
            "only {offered} offers were made"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    worker.stop().await;
}
