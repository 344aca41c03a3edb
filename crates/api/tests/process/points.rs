//! Points end to end, with the booking worker: a business starts a programme; a completed
//! booking earns its share; points pay part of the next booking inside the placement's one
//! commit (more than the balance is refused and writes nothing); a cancellation gives them back
//! with the refund tiers; operators adjust with a reason; points expire; and a storm of
//! placements spending from one account never takes it below zero.

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::common::TenantId;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, admin, error_code, guest, operator, spawn_app};
use crate::{booking_mutation, pay, try_booking_mutation};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const SET: &str = "mutation($key: String!, $t: ID!, $terms: PointsTermsInput) {
  setPointsProgram(idempotencyKey: $key, tenantId: $t, terms: $terms) { tenantId program { earnBp expireDays } } }";
const ACCOUNT: &str = "query($t: ID!, $g: ID) { pointsAccount(tenantId: $t, guestId: $g) {
  balance nextExpiry program { earnBp expireDays }
  lots { bookingId points remaining expiresAt }
  history { kind points bookingId reason expiresAt } } }";
const ADJUST: &str = "mutation($key: String!, $input: AdjustPointsInput!) {
  adjustPoints(idempotencyKey: $key, input: $input) { balance history { kind points reason } consistencyToken } }";

async fn account(app: &TestApp, token: &str, tenant: TenantId) -> Value {
    app.ok(Some(token), ACCOUNT, json!({"t": tenant.to_string()}))
        .await["pointsAccount"]
        .clone()
}

/// Waits until the guest's balance is `balance` (the worker acts on its own time).
async fn balance_becomes(app: &TestApp, token: &str, tenant: TenantId, balance: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let account = account(app, token, tenant).await;
        if account["balance"] == balance {
            return account;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "balance never became {balance}: {account}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn place(listing: &str, inventory: &str, date: &str, points: Option<i64>) -> Value {
    json!({"listingId": listing, "inventoryId": inventory, "eventDate": date, "partySize": 2,
           "points": points})
}

#[tokio::test]
async fn points_are_earned_spent_given_back_adjusted_and_expire() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (tenant, op) = onboarded_operator(&app).await;
    let mut policy = event_policy();
    policy["cancellation"] = json!([{"minNoticeHours": 72, "refundBp": 10000},
                                    {"minNoticeHours": 24, "refundBp": 5000}]);
    let listing = published_listing(&app, &op, policy).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-10", &[]),
        10,
        30_000,
    )
    .await;
    app.clock.set(at("2030-01-10T00:00:00Z"));

    // The programme: 5 %, 365 days. Bad terms name themselves; others may not set it.
    let set = app
        .ok(
            Some(&op),
            SET,
            json!({"key": key(), "t": tenant.to_string(), "terms": {"earnBp": 500, "expireDays": 365}}),
        )
        .await;
    assert_eq!(
        set["setPointsProgram"]["program"],
        json!({"earnBp": 500, "expireDays": 365})
    );
    for terms in [
        json!({"earnBp": 0, "expireDays": 365}),
        json!({"earnBp": 10_001, "expireDays": 365}),
        json!({"earnBp": 500, "expireDays": 0}),
        json!({"earnBp": -1, "expireDays": 9_999}),
    ] {
        let bad = app
            .graphql(
                Some(&op),
                SET,
                json!({"key": key(), "t": tenant.to_string(), "terms": terms}),
            )
            .await;
        assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
        assert!(bad.to_string().contains("terms"), "{bad}");
    }
    let (_, g) = guest();
    let (_, other_op) = operator();
    for who in [&g, &other_op] {
        let refused = app
            .graphql(
                Some(who),
                SET,
                json!({"key": key(), "t": tenant.to_string(), "terms": null}),
            )
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }

    // A paid booking of 1 February (30,000) earns 5 % once it is over.
    let first = booking_mutation(
        &app,
        &g,
        "placeBooking",
        place(&listing, &inventory, "2030-02-01", None),
    )
    .await;
    pay(&app, &op, &first, "pi_first").await;
    let empty = account(&app, &g, tenant).await;
    assert_eq!(empty["balance"], 0);
    app.clock.set(at("2030-02-02T00:00:00Z"));
    let earned = balance_becomes(&app, &g, tenant, 1_500).await;
    assert_eq!(earned["history"][0]["kind"], "EARNED");
    assert_eq!(earned["history"][0]["bookingId"], first["bookingId"]);
    assert_eq!(earned["lots"][0]["remaining"], 1_500);
    let expiry = earned["nextExpiry"].as_str().unwrap().to_owned();
    assert!(expiry.starts_with("2031-02-02"), "{earned}");

    // More than the balance: refused, nothing written, the balance untouched.
    let too_much = try_booking_mutation(
        &app,
        &g,
        "placeBooking",
        place(&listing, &inventory, "2030-02-05", Some(1_501)),
    )
    .await;
    assert_eq!(error_code(&too_much), Some("POINTS_REJECTED"), "{too_much}");
    for bad in [json!(0), json!(-5)] {
        let refused = try_booking_mutation(
            &app,
            &g,
            "placeBooking",
            json!({"listingId": listing, "inventoryId": inventory, "eventDate": "2030-02-05",
                   "partySize": 2, "points": bad}),
        )
        .await;
        assert_eq!(error_code(&refused), Some("INVALID_INPUT"), "{refused}");
        assert!(refused.to_string().contains("input.points"), "{refused}");
    }

    // 1,000 points pay part of the next booking, in the placement's commit.
    let second = booking_mutation(
        &app,
        &g,
        "placeBooking",
        place(&listing, &inventory, "2030-02-05", Some(1_000)),
    )
    .await;
    assert_eq!(second["totals"]["discountMinor"], 1_000);
    assert_eq!(second["totals"]["totalMinor"], 29_000);
    let after = account(&app, &g, tenant).await;
    assert_eq!(after["balance"], 500);
    assert_eq!(after["history"][0]["kind"], "SPENT");
    assert_eq!(after["history"][0]["points"], -1_000);
    crate::assert_committed_with_its_key(
        &app,
        second["bookingId"].as_str().unwrap(),
        "BookingPointsApplied",
    )
    .await;

    // Paid, then cancelled 34 hours before (the 50 % tier): half the points come back.
    pay(&app, &op, &second, "pi_second").await;
    app.clock.set(at("2030-02-04T00:00:00Z"));
    booking_mutation(
        &app,
        &g,
        "cancelBooking",
        json!({"bookingId": second["bookingId"]}),
    )
    .await;
    let back = balance_becomes(&app, &g, tenant, 1_000).await;
    assert_eq!(back["history"][0]["kind"], "RESTORED");
    assert_eq!(back["history"][0]["points"], 500);

    worker.stop().await;
}

#[tokio::test]
async fn adjustments_need_a_reason_an_operator_and_never_overdraw() {
    let app = spawn_app().await;
    let (tenant, op) = onboarded_operator(&app).await;
    let (guest_id, g) = guest();
    let input = |points: i64, reason: &str| {
        json!({"key": key(), "input": {"tenantId": tenant.to_string(),
               "guestId": guest_id.to_string(), "points": points, "reason": reason}})
    };
    let granted = app
        .ok(Some(&op), ADJUST, input(500, " Sorry for the wait "))
        .await;
    assert_eq!(granted["adjustPoints"]["balance"], 500);
    assert_eq!(
        granted["adjustPoints"]["history"][0],
        json!({"kind": "ADJUSTED", "points": 500, "reason": "Sorry for the wait"})
    );
    // The guest reads it with its reason and expiry (365 days: no programme).
    let seen = account(&app, &g, tenant).await;
    assert_eq!(seen["balance"], 500);
    assert_eq!(seen["history"][0]["reason"], "Sorry for the wait");
    assert!(seen["history"][0]["expiresAt"].is_string(), "{seen}");

    let over = app
        .graphql(Some(&op), ADJUST, input(-501, "Booked twice"))
        .await;
    assert_eq!(error_code(&over), Some("POINTS_REJECTED"), "{over}");
    for (points, reason) in [
        (0, "nothing"),
        (10, ""),
        (10, "  "),
        (10, &*"x".repeat(201)),
    ] {
        let bad = app.graphql(Some(&op), ADJUST, input(points, reason)).await;
        assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
        assert!(bad.to_string().contains("input"), "{bad}");
    }
    let deducted = app.ok(Some(&op), ADJUST, input(-200, "Booked twice")).await;
    assert_eq!(deducted["adjustPoints"]["balance"], 300);

    // Only the business's operators (and admins) adjust; only the guest, the business and
    // admins read the account.
    let (_, other_op) = operator();
    for who in [&g, &other_op] {
        let refused = app.graphql(Some(who), ADJUST, input(5, "gift")).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
    let (_, stranger) = guest();
    let peek = app
        .graphql(
            Some(&stranger),
            ACCOUNT,
            json!({"t": tenant.to_string(), "g": guest_id.to_string()}),
        )
        .await;
    assert_eq!(error_code(&peek), Some("FORBIDDEN"), "{peek}");
    let by_admin = app
        .ok(
            Some(&admin()),
            ACCOUNT,
            json!({"t": tenant.to_string(), "g": guest_id.to_string()}),
        )
        .await;
    assert_eq!(by_admin["pointsAccount"]["balance"], 300);

    // Grants expire: past their 365 days the worker sweeps what is left.
    let worker = app.start_worker();
    app.clock.advance(Duration::days(366));
    // At once the balance counts nothing expired; the worker then records the expiry.
    assert_eq!(account(&app, &g, tenant).await["balance"], 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let expired = loop {
        let seen = account(&app, &g, tenant).await;
        if seen["history"][0]["kind"] == "EXPIRED" {
            break seen;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never expired: {seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(expired["history"][0]["points"], -300);
    worker.stop().await;
}

/// One guest with 1,000 points places 20 bookings at once, each spending 100: exactly 10 are
/// placed with points, 10 refused, and the balance ends at exactly 0.
#[tokio::test]
async fn a_storm_of_spends_from_one_account_never_overdraws_it() {
    const PLACEMENTS: usize = 20;
    let app = spawn_app().await;
    let (tenant, op) = onboarded_operator(&app).await;
    let listing = published_listing(&app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        100,
        30_000,
    )
    .await;
    let (guest_id, g) = guest();
    app.ok(
        Some(&op),
        ADJUST,
        json!({"key": key(), "input": {"tenantId": tenant.to_string(),
               "guestId": guest_id.to_string(), "points": 1_000, "reason": "welcome"}}),
    )
    .await;
    let answers = futures::future::join_all((0..PLACEMENTS).map(|_| {
        try_booking_mutation(
            &app,
            &g,
            "placeBooking",
            place(&listing, &inventory, "2030-02-01", Some(100)),
        )
    }))
    .await;
    let placed = answers.iter().filter(|a| a["errors"].is_null()).count();
    let refused = answers
        .iter()
        .filter(|a| error_code(a) == Some("POINTS_REJECTED"))
        .count();
    assert_eq!((placed, refused), (10, 10), "{answers:?}");
    for a in answers.iter().filter(|a| a["errors"].is_null()) {
        assert_eq!(a["data"]["placeBooking"]["totals"]["discountMinor"], 100);
    }
    let account = account(&app, &g, tenant).await;
    assert_eq!(account["balance"], 0);
    let spent = account["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "SPENT")
        .count();
    assert_eq!(spent, 10);
    // Exactly ten holds on the inventory: a refused placement held nothing.
    let held = crate::inventory(&app, &inventory).await;
    assert_eq!(held.holds().len(), 10);
}

/// The platform-wide programme (admins set it): a completed booking at one business earns in it
/// besides the business's own programme, and those points pay part of a booking at another
/// business; a cancellation gives them back. Only admins run it or correct its points.
#[tokio::test]
async fn platform_points_are_earned_everywhere_and_spent_anywhere() {
    let app = spawn_app().await;
    let worker = app.start_worker();
    let (_, op_a) = operator();
    let listing_a = published_listing(&app, &op_a, event_policy()).await;
    let inventory_a = stocked_inventory(
        &app,
        &op_a,
        &listing_a,
        ("2030-02-01", "2030-02-02", &[]),
        10,
        30_000,
    )
    .await;
    let (_, op_b) = operator();
    let listing_b = published_listing(&app, &op_b, event_policy()).await;
    let inventory_b = stocked_inventory(
        &app,
        &op_b,
        &listing_b,
        ("2030-02-05", "2030-02-06", &[]),
        10,
        20_000,
    )
    .await;
    const SET_PLATFORM: &str = "mutation($key: String!, $terms: PointsTermsInput) {
      setPlatformPointsProgram(idempotencyKey: $key, terms: $terms) { tenantId program { earnBp expireDays } } }";
    let (guest_id, g) = guest();
    for who in [&op_a, &g] {
        let refused = app
            .graphql(
                Some(who),
                SET_PLATFORM,
                json!({"key": key(), "terms": {"earnBp": 100, "expireDays": 365}}),
            )
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
    let set = app
        .ok(
            Some(&admin()),
            SET_PLATFORM,
            json!({"key": key(), "terms": {"earnBp": 100, "expireDays": 365}}),
        )
        .await;
    assert_eq!(
        set["setPlatformPointsProgram"],
        json!({"tenantId": "platform", "program": {"earnBp": 100, "expireDays": 365}})
    );
    let public = app
        .ok(None, "{ platformPointsProgram { earnBp } }", json!({}))
        .await;
    assert_eq!(public["platformPointsProgram"]["earnBp"], 100);

    // 1 % of 30,000 at business A, once the event is over.
    app.clock.set(at("2030-01-10T00:00:00Z"));
    let first = booking_mutation(
        &app,
        &g,
        "placeBooking",
        place(&listing_a, &inventory_a, "2030-02-01", None),
    )
    .await;
    pay(&app, &op_a, &first, "pi_platform_1").await;
    app.clock.set(at("2030-02-02T00:00:00Z"));
    let read = |token: String| {
        let app = &app;
        async move {
            app.ok(Some(&token), ACCOUNT, json!({"t": "platform"}))
                .await["pointsAccount"]
                .clone()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if read(g.clone()).await["balance"] == 300 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no platform points");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Spent at business B, from the platform programme.
    let second = booking_mutation(
        &app,
        &g,
        "placeBooking",
        json!({"listingId": listing_b, "inventoryId": inventory_b, "eventDate": "2030-02-05",
               "partySize": 2, "points": 200, "pointsFrom": "PLATFORM"}),
    )
    .await;
    assert_eq!(second["totals"]["discountMinor"], 200);
    assert_eq!(read(g.clone()).await["balance"], 100);
    // Business B's own programme is untouched (it has none, and nothing was spent from it).
    let theirs = app
        .graphql(
            Some(&g),
            "query($t: ID!) { pointsAccount(tenantId: $t) { balance } }",
            json!({"t": operator_tenant(&app, &listing_b).await}),
        )
        .await;
    assert_eq!(theirs["data"]["pointsAccount"]["balance"], 0, "{theirs}");
    // Cancelled while held: all 200 back.
    booking_mutation(
        &app,
        &g,
        "cancelBooking",
        json!({"bookingId": second["bookingId"]}),
    )
    .await;
    assert_eq!(read(g.clone()).await["balance"], 300);

    // Only admins read others' platform accounts or correct them.
    for who in [&op_a, &op_b] {
        let peek = app
            .graphql(
                Some(who),
                ACCOUNT,
                json!({"t": "platform", "g": guest_id.to_string()}),
            )
            .await;
        assert_eq!(error_code(&peek), Some("FORBIDDEN"), "{peek}");
        let adjust = app
            .graphql(
                Some(who),
                ADJUST,
                json!({"key": key(), "input": {"tenantId": "platform", "guestId": guest_id.to_string(),
                       "points": 10, "reason": "gift"}}),
            )
            .await;
        assert_eq!(error_code(&adjust), Some("FORBIDDEN"), "{adjust}");
    }
    let adjusted = app
        .ok(
            Some(&admin()),
            ADJUST,
            json!({"key": key(), "input": {"tenantId": "platform", "guestId": guest_id.to_string(),
                   "points": 50, "reason": "Platform welcome"}}),
        )
        .await;
    assert_eq!(adjusted["adjustPoints"]["balance"], 350);
    worker.stop().await;
}

/// The business of a listing (from the listing query).
async fn operator_tenant(app: &TestApp, listing: &str) -> String {
    app.ok(
        None,
        "query($id: ID!) { listing(id: $id) { tenantId } }",
        json!({"id": listing}),
    )
    .await["listing"]["tenantId"]
        .as_str()
        .unwrap()
        .to_owned()
}
