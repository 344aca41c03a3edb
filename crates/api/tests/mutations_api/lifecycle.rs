//! Every mutation's success path once: listings, inventories, bookings (placement, payment,
//! check-in, no-show, cancellation, waitlist offers) and coupon campaigns.

use std::collections::HashMap;

use crate::fixtures::*;
use crate::support::{TestApp, admin, guest, operator, spawn_app};
use chrono::{DateTime, Utc};
use holdfast_domain::booking::{BookingCommand, OfferSlot, PricedLine, Quantity};
use holdfast_domain::common::{CancellationPolicy, Currency, Money, Slot};
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const BOOKING_FIELDS: &str = "bookingId status holdExpiresAt consistencyToken";

async fn booking_mutation(app: &TestApp, token: &str, field: &str, input: Value) -> Value {
    let query = format!(
        "mutation($key: String!, $input: {input_type}!) {{ {field}(idempotencyKey: $key, input: $input) {{ {BOOKING_FIELDS} }} }}",
        input_type = match field {
            "confirmPayment" => "ConfirmPaymentInput",
            "cancelBooking" => "CancelBookingInput",
            "markNoShow" => "MarkNoShowInput",
            "joinWaitlist" => "JoinWaitlistInput",
            _ => "BookingRefInput",
        }
    );
    app.ok(Some(token), &query, json!({"key": key(), "input": input}))
        .await[field]
        .clone()
}

#[tokio::test]
async fn listing_and_inventory_mutations_succeed_for_their_operator() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let listing_call = |field: &str, extra: &str| {
        format!(
            "mutation($key: String!, $id: ID!) {{ {field}(idempotencyKey: $key, listingId: $id{extra}) {{ listingId status policyVersion consistencyToken }} }}"
        )
    };

    let updated = app
        .ok(
            Some(&op),
            "mutation($key: String!, $input: UpdateListingDetailsInput!) { updateListingDetails(idempotencyKey: $key, input: $input) { status policyVersion consistencyToken } }",
            json!({"key": key(), "input": {"listingId": listing, "name": "Snowflake Bingsu Myeongdong", "tags": ["bingsu"]}}),
        )
        .await;
    assert_eq!(updated["updateListingDetails"]["status"], "PUBLISHED");
    assert!(updated["updateListingDetails"]["consistencyToken"].is_string());

    let changed = app
        .ok(
            Some(&op),
            "mutation($key: String!, $id: ID!, $policy: BookingPolicyInput!) { changeBookingPolicy(idempotencyKey: $key, listingId: $id, policy: $policy) { policyVersion } }",
            json!({"key": key(), "id": listing, "policy": same_day_policy()}),
        )
        .await;
    assert_eq!(changed["changeBookingPolicy"]["policyVersion"], 2);

    let suspended = app
        .ok(
            Some(&op),
            &listing_call("suspendListing", ", reason: \"Renovation\""),
            json!({"key": key(), "id": listing}),
        )
        .await;
    assert_eq!(suspended["suspendListing"]["status"], "SUSPENDED");
    let reinstated = app
        .ok(
            Some(&op),
            &listing_call("reinstateListing", ""),
            json!({"key": key(), "id": listing}),
        )
        .await;
    assert_eq!(reinstated["reinstateListing"]["status"], "PUBLISHED");

    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-08", &[]),
        10,
        20_000,
    )
    .await;
    let slots = |field: &str| {
        format!(
            "mutation($key: String!, $input: SlotsInput!) {{ {field}(idempotencyKey: $key, input: $input) {{ inventoryId consistencyToken }} }}"
        )
    };
    let selection = json!({"from": "2030-02-03", "to": "2030-02-05"});
    let input = json!({"inventoryId": inventory, "selection": selection});
    app.ok(
        Some(&op),
        &slots("closeSlots"),
        json!({"key": key(), "input": input}),
    )
    .await;
    let closed = calendar_after(
        &app,
        Some(&log_head(&app).await.to_string()),
        &inventory,
        "2030-02-01",
        "2030-02-07",
    )
    .await;
    let closed_days: Vec<_> = closed
        .iter()
        .filter(|d| d.closed)
        .map(|d| d.slot.clone())
        .collect();
    assert_eq!(closed_days, ["2030-02-03", "2030-02-04"]);
    let opened = app
        .ok(
            Some(&op),
            &slots("openSlots"),
            json!({"key": key(), "input": input}),
        )
        .await;
    let token = opened["openSlots"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let days = calendar_after(&app, Some(&token), &inventory, "2030-02-01", "2030-02-07").await;
    assert_eq!(days.len(), 7);
    assert!(days.iter().all(|d| !d.closed && d.available == 10));
    assert!(days.iter().all(|d| d.price.is_some()));

    let archived = app
        .ok(
            Some(&op),
            &listing_call("archiveListing", ""),
            json!({"key": key(), "id": listing}),
        )
        .await;
    assert_eq!(archived["archiveListing"]["status"], "ARCHIVED");

    // An admin creates a listing for a tenant it names.
    let (tenant, _) = operator();
    let mut input = listing_input("Admin's", event_policy());
    input["tenantId"] = json!(tenant.to_string());
    let created = app
        .ok(
            Some(&admin()),
            CREATE_LISTING,
            json!({"key": key(), "input": input}),
        )
        .await;
    assert_eq!(created["createListing"]["status"], "DRAFT");
}

#[tokio::test]
async fn a_booking_is_paid_checked_in_and_another_is_a_no_show_or_cancelled() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 5).await;
    let input = json!({"listingId": listing, "inventoryId": inventory,
                       "eventDate": "2030-02-01", "partySize": 2});
    let mut bookings = Vec::new();
    let mut guests = Vec::new();
    for _ in 0..3 {
        let (_, g) = guest();
        let data = app
            .ok(
                Some(&g),
                PLACE_BOOKING,
                json!({"key": key(), "input": input}),
            )
            .await;
        bookings.push(
            data["placeBooking"]["bookingId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        guests.push(g);
    }

    for id in &bookings[..2] {
        let paid = booking_mutation(
            &app,
            &op,
            "confirmPayment",
            json!({"bookingId": id, "provider": "stripe", "reference": format!("pi_{id}"),
                   "amount": {"amountMinor": 30_000, "currency": "KRW"}}),
        )
        .await;
        assert_eq!(paid["status"], "CONFIRMED");
    }
    // What cancelling would refund, asked before: the guest's paid booking under the copied
    // terms, the unpaid hold nothing; someone else's booking is not found.
    const QUOTE: &str = "query($id: ID!) { cancellationQuote(bookingId: $id) { cancellable paid { amountMinor } refund { amountMinor currency } } }";
    let quote = |token: String, id: String| {
        let app = &app;
        async move { app.ok(Some(&token), QUOTE, json!({"id": id})).await["cancellationQuote"].clone() }
    };
    let paid = quote(guests[0].clone(), bookings[0].clone()).await;
    assert_eq!(paid["cancellable"], true);
    assert_eq!(paid["paid"]["amountMinor"], 30_000);
    assert_eq!(paid["refund"]["currency"], "KRW");
    let held = quote(guests[2].clone(), bookings[2].clone()).await;
    assert_eq!(
        held,
        json!({"cancellable": true, "paid": null, "refund": null})
    );
    let stranger = app
        .graphql(Some(&guests[1]), QUOTE, json!({"id": bookings[0]}))
        .await;
    assert_eq!(stranger["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let refused = app.graphql(None, QUOTE, json!({"id": bookings[0]})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    let cancelled = booking_mutation(
        &app,
        &guests[2],
        "cancelBooking",
        json!({"bookingId": bookings[2]}),
    )
    .await;
    assert_eq!(cancelled["status"], "CANCELLED");

    let token = cancelled["consistencyToken"].as_str().unwrap().to_owned();
    let days = calendar_after(&app, Some(&token), &inventory, "2030-02-01", "2030-02-01").await;
    assert_eq!(
        (days[0].allocated, days[0].held, days[0].available),
        (2, 0, 3)
    );

    // The event starts 2030-02-01 19:00 KST (10:00 UTC): check-in opens 12 h before.
    app.clock.set(at("2030-02-01T09:30:00Z"));
    let checked_in =
        booking_mutation(&app, &op, "checkIn", json!({"bookingId": bookings[0]})).await;
    assert_eq!(checked_in["status"], "CHECKED_IN");
    let over = quote(guests[0].clone(), bookings[0].clone()).await;
    assert_eq!(over["cancellable"], false);
    app.clock.set(at("2030-02-01T11:00:00Z"));
    let no_show = booking_mutation(
        &app,
        &op,
        "markNoShow",
        json!({"bookingId": bookings[1], "refundBp": 0}),
    )
    .await;
    assert_eq!(no_show["status"], "NO_SHOW");
}

#[tokio::test]
async fn a_waitlisted_guest_accepts_one_offer_and_another_declines() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 2).await;
    let wanted = json!({"listingId": listing, "inventoryId": inventory,
                        "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 1});
    let mut entries = Vec::new();
    for _ in 0..2 {
        let (_, g) = guest();
        let joined = booking_mutation(&app, &g, "joinWaitlist", wanted.clone()).await;
        assert_eq!(joined["status"], "WAITLISTED");
        entries.push((joined["bookingId"].as_str().unwrap().to_owned(), g));
    }

    // The waitlist offer process (not an API mutation) offers the date to both.
    let krw = Currency::parse("KRW").unwrap();
    let slot = Slot::parse("2030-02-01").unwrap();
    for (id, _) in &entries {
        let offer = OfferSlot {
            slots: vec![slot],
            lines: vec![PricedLine {
                slot,
                unit_price: Money::new(30_000, krw),
                quantity: Quantity::parse(1).unwrap(),
                amount: Money::new(30_000, krw),
            }],
            starts_at: at("2030-02-01T10:00:00Z"),
            ends_at: at("2030-02-01T15:00:00Z"),
            cancellation: CancellationPolicy::non_refundable(),
            offer_expires_at: at("2030-01-08T09:00:00Z"),
        };
        app.engine
            .commands
            .bookings
            .execute(id, BookingCommand::OfferSlot(offer), HashMap::new())
            .await
            .unwrap();
    }

    let (accepted_id, accepting) = &entries[0];
    let accepted = booking_mutation(
        &app,
        accepting,
        "acceptOffer",
        json!({"bookingId": accepted_id}),
    )
    .await;
    assert_eq!(accepted["status"], "HELD");
    assert_eq!(accepted["holdExpiresAt"], "2030-01-07T09:15:00+00:00");
    let (declined_id, declining) = &entries[1];
    let declined = booking_mutation(
        &app,
        declining,
        "declineOffer",
        json!({"bookingId": declined_id}),
    )
    .await;
    assert_eq!(declined["status"], "CANCELLED");

    let token = accepted["consistencyToken"].as_str().unwrap().to_owned();
    let days = calendar_after(&app, Some(&token), &inventory, "2030-02-01", "2030-02-01").await;
    assert_eq!((days[0].held, days[0].available), (1, 1));
}

#[tokio::test]
async fn an_operator_ends_a_campaign() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let created = app
        .ok(
            Some(&op),
            "mutation($key: String!, $input: CreateCampaignInput!) { createCampaign(idempotencyKey: $key, input: $input) { campaignId status remaining } }",
            json!({"key": key(), "input": {
                "code": "WINTER", "discount": {"percent": {"basisPoints": 1000}},
                "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z",
                "totalQuantity": 100}}),
        )
        .await;
    assert_eq!(created["createCampaign"]["status"], "ACTIVE");
    assert_eq!(created["createCampaign"]["remaining"], 100);
    let id = created["createCampaign"]["campaignId"].as_str().unwrap();
    let ended = app
        .ok(
            Some(&op),
            "mutation($key: String!, $id: ID!) { endCampaign(idempotencyKey: $key, input: {campaignId: $id}) { status consistencyToken } }",
            json!({"key": key(), "id": id}),
        )
        .await;
    assert_eq!(ended["endCampaign"]["status"], "ENDED");
}
