//! One commit per mutation: a placement, a payment confirmation and a cancellation each write
//! the booking's events, the inventory's event and the idempotency record in **one**
//! transaction (read back from the log's `tx_id` and the key row's `xmin`), a storm's
//! placements share transactions, a confirmation racing a cancellation leaves the booking
//! and the inventory agreeing, and every operator and waitlist mutation commits its events
//! with its key once (a refusal: its key alone), a repeat answering the first answer.

use std::collections::{BTreeSet, HashMap};

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, spawn_app};
use futures::future::join_all;
use holdfast_testkit::graphql::{
    CANCEL_BOOKING, CONFIRM_PAYMENT, CREATE_CAMPAIGN, CREATE_LISTING, DEFINE_INVENTORY, PUBLISH,
    SET_CAPACITY,
};
use serde_json::{Value, json};

/// The transactions (`tx_id`) that wrote aggregate `id`'s events, by event type.
async fn writers(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let pool = app.engine.store.pg_pool().unwrap();
    sqlx::query_as(
        "SELECT event_type, tx_id::text FROM events WHERE aggregate_id = $1 ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The transaction of the inventory's event for `booking` of type `kind`.
async fn inventory_writer(app: &TestApp, inventory: &str, booking: &str, kind: &str) -> String {
    let pool = app.engine.store.pg_pool().unwrap();
    let (tx,): (String,) = sqlx::query_as(
        "SELECT tx_id::text FROM events
          WHERE aggregate_id = $1 AND event_type = $2 AND payload::text LIKE '%' || $3 || '%'",
    )
    .bind(inventory)
    .bind(kind)
    .bind(booking)
    .fetch_one(pool)
    .await
    .unwrap();
    tx
}

/// The transaction that last wrote the key row of `key` (its `xmin`, a 32-bit xid: the low
/// half of the 64-bit `tx_id`).
async fn key_writer(app: &TestApp, key: &str) -> u64 {
    let pool = app.engine.store.pg_pool().unwrap();
    let (xmin,): (String,) =
        sqlx::query_as("SELECT xmin::text FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap();
    xmin.parse().unwrap()
}

fn low_half(tx: &str) -> u64 {
    tx.parse::<u64>().unwrap() & 0xffff_ffff
}

async fn setup(app: &TestApp, op: &str, seats: u32) -> (String, String) {
    let listing = published_listing(app, op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        seats,
        30_000,
    )
    .await;
    (listing, inventory)
}

async fn place(app: &TestApp, token: &str, listing: &str, inventory: &str, k: &str) -> Value {
    app.graphql(
        Some(token),
        PLACE_BOOKING,
        json!({"key": k, "input": {"listingId": listing, "inventoryId": inventory,
                                   "eventDate": "2030-02-01", "partySize": 1}}),
    )
    .await
}

fn payment(booking: &str) -> Value {
    json!({"bookingId": booking, "provider": "stripe", "reference": format!("pi_{booking}"),
           "amount": {"amountMinor": 30_000, "currency": "KRW"}})
}

#[tokio::test]
async fn place_confirm_and_cancel_each_commit_once_with_their_key() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = setup(&app, &op, 5).await;
    let (_, token) = guest();

    let k = key();
    let placed = place(&app, &token, &listing, &inventory, &k).await;
    let booking = placed["data"]["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let written = writers(&app, &booking).await;
    assert_eq!(
        written.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["BookingRequested", "BookingHeld"]
    );
    let tx = written[0].1.clone();
    assert_eq!(
        written[1].1, tx,
        "the booking's events share one transaction"
    );
    assert_eq!(
        inventory_writer(&app, &inventory, &booking, "InventoryHoldPlaced").await,
        tx,
        "the hold commits with the booking"
    );
    assert_eq!(
        key_writer(&app, &k).await,
        low_half(&tx),
        "and the key's record"
    );

    let k = key();
    let paid = app
        .ok(
            Some(&op),
            CONFIRM_PAYMENT,
            json!({"key": k, "input": payment(&booking)}),
        )
        .await;
    assert_eq!(paid["confirmPayment"]["status"], "CONFIRMED");
    let written = writers(&app, &booking).await;
    let tx = written.last().unwrap().1.clone();
    assert_eq!(written.last().unwrap().0, "BookingConfirmed");
    assert_eq!(
        inventory_writer(&app, &inventory, &booking, "InventoryHoldConfirmed").await,
        tx
    );
    assert_eq!(key_writer(&app, &k).await, low_half(&tx));
    // A retry answers the first answer and writes nothing.
    let head = log_head(&app).await;
    let again = app
        .ok(
            Some(&op),
            CONFIRM_PAYMENT,
            json!({"key": k, "input": payment(&booking)}),
        )
        .await;
    assert_eq!(again, paid);
    assert_eq!(log_head(&app).await, head);

    let k = key();
    let cancelled = app
        .ok(
            Some(&token),
            CANCEL_BOOKING,
            json!({"key": k, "id": booking}),
        )
        .await;
    assert_eq!(cancelled["cancelBooking"]["status"], "CANCELLED");
    let written = writers(&app, &booking).await;
    let tx = written.last().unwrap().1.clone();
    assert_eq!(written.last().unwrap().0, "BookingCancelled");
    assert_eq!(
        inventory_writer(&app, &inventory, &booking, "InventoryAllocationReleased").await,
        tx
    );
    assert_eq!(key_writer(&app, &k).await, low_half(&tx));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_shares_transactions_and_records_every_refusal_with_its_booking() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = setup(&app, &op, 20).await;
    let guests: Vec<_> = (0..120).map(|_| (guest().1, key())).collect();
    let answers = join_all(
        guests
            .iter()
            .map(|(token, k)| place(&app, token, &listing, &inventory, k)),
    )
    .await;
    let held = answers.iter().filter(|a| a.get("errors").is_none()).count();
    let sold_out = answers
        .iter()
        .filter(|a| error_code(a) == Some("SOLD_OUT"))
        .count();
    assert_eq!((held, sold_out), (20, 100), "{answers:?}");

    // Every hold's transaction also wrote its booking; the storm took fewer transactions than
    // placements (group commit).
    let pool = app.engine.store.pg_pool().unwrap();
    let holds: Vec<(String, String)> = sqlx::query_as(
        "SELECT payload->'InventoryHoldPlaced'->>'booking_id', tx_id::text FROM events
          WHERE aggregate_id = $1 AND event_type = 'InventoryHoldPlaced'",
    )
    .bind(&inventory)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(holds.len(), 20);
    for (booking, tx) in &holds {
        let written = writers(&app, booking).await;
        assert!(
            written.iter().all(|(_, t)| t == tx),
            "{booking}: {written:?}"
        );
    }
    let transactions: BTreeSet<_> = holds.iter().map(|(_, tx)| tx.clone()).collect();
    assert!(transactions.len() < holds.len(), "{transactions:?}");

    // Each refusal committed its booking, rejected, with SOLD_OUT as its key's answer; a retry
    // still answers SOLD_OUT although nothing changed to make it so.
    let rejected: Vec<(String,)> = sqlx::query_as(
        "SELECT aggregate_id FROM events WHERE event_type = 'BookingRejected'
            AND aggregate_id IN (SELECT aggregate_id FROM events WHERE event_type = 'BookingRequested'
                                  AND payload::text LIKE '%' || $1 || '%')",
    )
    .bind(&inventory)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(rejected.len(), 100);
    let mut by_answer: HashMap<&str, usize> = HashMap::new();
    for ((token, k), answer) in guests.iter().zip(&answers).take(40) {
        let again = place(&app, token, &listing, &inventory, k).await;
        let code = error_code(answer).unwrap_or("HELD");
        assert_eq!(error_code(&again).unwrap_or("HELD"), code);
        *by_answer.entry(code).or_default() += 1;
    }
    assert_eq!(by_answer.values().sum::<usize>(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_confirmation_racing_a_cancellation_leaves_booking_and_inventory_agreeing() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = setup(&app, &op, 10).await;
    let mut bookings = Vec::new();
    for _ in 0..8 {
        let (_, token) = guest();
        let placed = place(&app, &token, &listing, &inventory, &key()).await;
        let id = placed["data"]["placeBooking"]["bookingId"]
            .as_str()
            .unwrap()
            .to_owned();
        bookings.push((token, id));
    }
    let races = bookings.iter().map(|(token, id)| {
        let app = &app;
        let op = &op;
        async move {
            let confirm = app.graphql(
                Some(op),
                CONFIRM_PAYMENT,
                json!({"key": key(), "input": payment(id)}),
            );
            let cancel = app.graphql(Some(token), CANCEL_BOOKING, json!({"key": key(), "id": id}));
            futures::join!(confirm, cancel)
        }
    });
    for (confirm, cancel) in join_all(races).await {
        for answer in [&confirm, &cancel] {
            let code = error_code(answer);
            assert!(
                code.is_none() || code == Some("INVALID_STATE"),
                "only a typed refusal of the loser: {answer}"
            );
        }
    }
    // Whatever won, each booking is cancelled with its units back, or confirmed with them
    // allocated: the calendar's held + allocated units equal the confirmed bookings.
    let mut confirmed = 0;
    for (_, id) in &bookings {
        let written = writers(&app, id).await;
        let last = written.last().unwrap().0.as_str();
        assert!(
            // A payment reported after the cancellation is recorded as late (a refund is owed).
            matches!(
                last,
                "BookingCancelled" | "BookingConfirmed" | "BookingLatePaymentReceived"
            ),
            "{id}: {written:?}"
        );
        let types: Vec<_> = written.iter().map(|(t, _)| t.as_str()).collect();
        if types.contains(&"BookingConfirmed") && !types.contains(&"BookingCancelled") {
            confirmed += 1;
        }
    }
    let head = log_head(&app).await.to_string();
    let days = calendar_after(&app, Some(&head), &inventory, "2030-02-01", "2030-02-01").await;
    assert_eq!(days[0].held, 0);
    assert_eq!(days[0].capacity - days[0].available, confirmed);
}

#[tokio::test]
async fn a_placement_with_a_coupon_commits_the_redemption_with_the_hold_or_nothing() {
    use holdfast_testkit::graphql::CREATE_CAMPAIGN;
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = setup(&app, &op, 5).await;
    let created = app
        .ok(
            Some(&op),
            CREATE_CAMPAIGN,
            json!({"key": key(), "input": {
                "code": "snow-5000", "discount": {"fixed": {"amountMinor": 5000, "currency": "KRW"}},
                "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-12-31T00:00:00Z",
                "totalQuantity": 1, "perGuestLimit": 1}}),
        )
        .await;
    let campaign = created["createCampaign"]["campaignId"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_coupon = |k: &str| {
        json!({"key": k, "input": {"listingId": listing, "inventoryId": inventory,
                                   "eventDate": "2030-02-01", "partySize": 1,
                                   "couponCampaignId": campaign}})
    };

    // No claim first: the placement claims and redeems in the same transaction as the hold.
    let (_, token) = guest();
    let k = key();
    let placed = app.ok(Some(&token), PLACE_BOOKING, with_coupon(&k)).await;
    assert_eq!(placed["placeBooking"]["totals"]["discountMinor"], 5000);
    assert_eq!(placed["placeBooking"]["totals"]["totalMinor"], 25_000);
    let booking = placed["placeBooking"]["bookingId"].as_str().unwrap();
    let written = writers(&app, booking).await;
    assert_eq!(
        written.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["BookingRequested", "BookingCouponApplied", "BookingHeld"]
    );
    let tx = written[0].1.clone();
    assert!(written.iter().all(|(_, t)| *t == tx));
    assert_eq!(
        inventory_writer(&app, &inventory, booking, "InventoryHoldPlaced").await,
        tx
    );
    let campaign_writers = writers(&app, &campaign).await;
    let redemption: Vec<_> = campaign_writers.iter().filter(|(_, t)| *t == tx).collect();
    assert_eq!(
        redemption.len(),
        2,
        "claimed and redeemed with the hold: {campaign_writers:?}"
    );
    assert_eq!(key_writer(&app, &k).await, low_half(&tx));

    // The campaign is exhausted: the next guest's placement is refused and takes no hold.
    let (_, other) = guest();
    let head = log_head(&app).await;
    let refused = app
        .graphql(Some(&other), PLACE_BOOKING, with_coupon(&key()))
        .await;
    assert_eq!(error_code(&refused), Some("COUPON_REJECTED"), "{refused}");
    let pool = app.engine.store.pg_pool().unwrap();
    let (holds,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'InventoryHoldPlaced'",
    )
    .bind(&inventory)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(holds, 1, "no hold for the refused placement");
    let (types,): (Vec<String>,) = sqlx::query_as(
        "SELECT array_agg(event_type ORDER BY global_position) FROM events
          WHERE (tx_id, global_position) > ($1::text::xid8, $2)",
    )
    .bind(head.tx.to_string())
    .bind(i64::try_from(head.index).unwrap())
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(types, ["BookingRequested", "BookingRejected"]);
}

/// The transactions that wrote events with idempotency key `key` (in their metadata).
async fn key_event_writers(app: &TestApp, key: &str) -> BTreeSet<u64> {
    let pool = app.engine.store.pg_pool().unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT tx_id::text FROM events WHERE metadata->>'idempotency_key' = $1")
            .bind(key)
            .fetch_all(pool)
            .await
            .unwrap();
    rows.iter().map(|(tx,)| low_half(tx)).collect()
}

/// Sends `query` with key `k` twice; the answers must be equal. Returns the first.
async fn twice(app: &TestApp, token: &str, query: &str, k: &str, mut variables: Value) -> Value {
    variables["key"] = json!(k);
    let first = app.graphql(Some(token), query, variables.clone()).await;
    let again = app.graphql(Some(token), query, variables).await;
    assert_eq!(again, first, "a repeat of {k} answered differently");
    first
}

#[tokio::test]
async fn operator_and_waitlist_mutations_commit_their_events_with_their_key_once() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (_, g) = guest();
    let ks: Vec<String> = (0..8).map(|_| key()).collect();
    let created = twice(
        &app,
        &op,
        CREATE_LISTING,
        &ks[0],
        json!({"input": listing_input("One commit", event_policy())}),
    )
    .await;
    let listing = created["data"]["createListing"]["listingId"]
        .as_str()
        .unwrap()
        .to_owned();
    twice(&app, &op, PUBLISH, &ks[1], json!({"id": listing})).await;
    let defined = twice(
        &app,
        &op,
        DEFINE_INVENTORY,
        &ks[2],
        json!({"input": {"listingId": listing, "name": "Hall", "currency": "KRW"}}),
    )
    .await;
    let inventory = defined["data"]["defineInventory"]["inventoryId"]
        .as_str()
        .unwrap()
        .to_owned();
    twice(
        &app,
        &op,
        SET_CAPACITY,
        &ks[3],
        json!({"input": {"inventoryId": inventory,
                         "selection": {"from": "2030-02-01", "to": "2030-02-02"}, "capacity": 5}}),
    )
    .await;
    twice(
        &app,
        &op,
        CREATE_CAMPAIGN,
        &ks[4],
        json!({"input": {"code": "ONCE", "discount": {"fixed": {"amountMinor": 100, "currency": "KRW"}},
                         "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z",
                         "totalQuantity": 3}}),
    )
    .await;
    let waiting = twice(
        &app,
        &g,
        "mutation($key: String!, $input: JoinWaitlistInput!) {
           joinWaitlist(idempotencyKey: $key, input: $input) { bookingId status consistencyToken } }",
        &ks[5],
        json!({"input": {"listingId": listing, "inventoryId": inventory,
                         "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 1}}),
    )
    .await;
    assert_eq!(waiting["data"]["joinWaitlist"]["status"], "WAITLISTED");
    let archive = "mutation($key: String!, $id: ID!) {
        archiveListing(idempotencyKey: $key, listingId: $id) { listingId status } }";
    let archived = twice(&app, &op, archive, &ks[6], json!({"id": listing})).await;
    assert_eq!(archived["data"]["archiveListing"]["status"], "ARCHIVED");
    // A refusal (publishing an archived listing) is recorded with its key, and nothing else.
    let refused = twice(&app, &op, PUBLISH, &ks[7], json!({"id": listing})).await;
    assert_eq!(error_code(&refused), Some("INVALID_STATE"), "{refused}");
    assert!(key_event_writers(&app, &ks[7]).await.is_empty());
    key_writer(&app, &ks[7]).await;

    for k in &ks[..7] {
        let writers = key_event_writers(&app, k).await;
        assert_eq!(writers.len(), 1, "{k}: events written by {writers:?}");
        assert_eq!(
            writers.into_iter().next(),
            Some(key_writer(&app, k).await),
            "{k}: the key row was not written by its events' transaction"
        );
    }
}
