//! Refused coupons: a placement whose coupon is refused holds nothing and rejects the booking;
//! the guest gets `COUPON_REJECTED`. A coupon that applies discounts.

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};
use holdfast_domain::booking::{BookingStatus, RejectionReason};
use holdfast_engine::consistency;
use holdfast_engine::process::booking_id_for;
use holdfast_projections::models::bookings::booking;
use holdfast_projections::store::Table;
use holdfast_testkit::graphql::{CLAIM_COUPON, CREATE_CAMPAIGN};
use serde_json::{Value, json};

fn campaign(total: u32) -> Value {
    json!({"code": "snow-5000", "discount": {"fixed": {"amountMinor": 5000, "currency": "KRW"}},
           "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-12-31T00:00:00Z",
           "totalQuantity": total, "perGuestLimit": 1})
}

#[tokio::test]
async fn a_rejected_coupon_releases_the_hold_and_rejects_the_booking() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 3).await;
    let created = app
        .ok(
            Some(&op),
            CREATE_CAMPAIGN,
            json!({"key": key(), "input": campaign(1)}),
        )
        .await;
    let campaign_id = created["createCampaign"]["campaignId"].as_str().unwrap();
    assert_eq!(created["createCampaign"]["code"], "SNOW-5000");

    // The only coupon goes to the first guest, who books with it: 5 000 KRW off.
    let (_, first) = guest();
    let claimed = app
        .ok(
            Some(&first),
            CLAIM_COUPON,
            json!({"key": key(), "id": campaign_id}),
        )
        .await;
    assert_eq!(claimed["claimCoupon"]["remaining"], 0);
    let input = json!({"listingId": listing, "inventoryId": inventory,
                       "eventDate": "2030-02-01", "partySize": 1,
                       "couponCampaignId": campaign_id});
    let data = app
        .ok(
            Some(&first),
            PLACE_BOOKING,
            json!({"key": key(), "input": input}),
        )
        .await;
    let totals = &data["placeBooking"]["totals"];
    assert_eq!(
        (
            &totals["subtotalMinor"],
            &totals["discountMinor"],
            &totals["totalMinor"]
        ),
        (&json!(30_000), &json!(5_000), &json!(25_000))
    );

    // The second guest has no claim and none is left: the hold taken is given back.
    let (second_id, second) = guest();
    let k = key();
    let refused = app
        .graphql(
            Some(&second),
            PLACE_BOOKING,
            json!({"key": k, "input": input}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("COUPON_REJECTED"), "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "Exhausted");

    let head = log_head(&app).await.to_string();
    let days = calendar_after(&app, Some(&head), &inventory, "2030-02-01", "2030-02-01").await;
    assert_eq!(
        (days[0].held, days[0].available),
        (1, 2),
        "only the first guest's hold"
    );

    caught_up(&app, Table::Bookings, Some(&head)).await;
    let table = built(&app, Table::Bookings).await;
    let id = booking_id_for(second_id, &k).to_string();
    let view = booking(app.engine.read_side.store().as_ref(), table, &id)
        .await
        .unwrap()
        .expect("the rejected booking is recorded");
    assert_eq!(view.status, BookingStatus::Rejected);
    assert_eq!(view.rejection, Some(RejectionReason::CouponRejected));
}

/// A claim whose command committed but whose answer was never stored (the client gave up, the
/// key's lease ran out) is retried with its key: the per-guest limit refuses the repeat, and the
/// answer is the claim already made with that key — not `COUPON_REJECTED`. Another key of the
/// same guest is refused as before.
#[tokio::test]
async fn a_claim_retried_after_it_committed_unanswered_is_answered_by_that_claim() {
    // Refused by the guest's limit on the retry.
    claim_retried_after_it_committed(5).await;
    // Refused because the first attempt took the last coupon.
    claim_retried_after_it_committed(1).await;
}

async fn claim_retried_after_it_committed(total: u32) {
    use holdfast_domain::coupon::CouponCommand;
    let app = spawn_app().await;
    let (_, op) = operator();
    let created = app
        .ok(
            Some(&op),
            CREATE_CAMPAIGN,
            json!({"key": key(), "input": campaign(total)}),
        )
        .await;
    let campaign_id = created["createCampaign"]["campaignId"].as_str().unwrap();
    let (guest_id, token) = guest();
    let claim_key = key();
    // The first attempt's command, as the dispatcher commits it for the request.
    let committed = app
        .engine
        .commands
        .coupons
        .execute(
            campaign_id,
            CouponCommand::ClaimCoupon { guest_id },
            holdfast_engine::process::metadata(&format!("guest:{guest_id}"), &claim_key),
        )
        .await
        .unwrap();
    let retried = app
        .ok(
            Some(&token),
            CLAIM_COUPON,
            json!({"key": claim_key, "id": campaign_id}),
        )
        .await;
    assert_eq!(retried["claimCoupon"]["claimed"], 1);
    assert_eq!(retried["claimCoupon"]["remaining"], total - 1);
    assert_eq!(
        retried["claimCoupon"]["consistencyToken"],
        json!(consistency::token(committed.position))
    );
    let other = app
        .graphql(
            Some(&token),
            CLAIM_COUPON,
            json!({"key": key(), "id": campaign_id}),
        )
        .await;
    assert_eq!(error_code(&other), Some("COUPON_REJECTED"));
}
