//! Hostile input: every bad value is `INVALID_INPUT` naming the field, never a 5xx (the
//! harness fails on any 5xx), and nothing is appended.

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};
use serde_json::{Value, json};

fn place(overrides: Value) -> Value {
    let mut input = json!({"listingId": ulid::Ulid::new().to_string(),
                           "inventoryId": ulid::Ulid::new().to_string(),
                           "eventDate": "2030-02-01", "partySize": 2});
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            input.as_object_mut().unwrap().remove(k);
        } else {
            input[k] = v.clone();
        }
    }
    input
}

#[tokio::test]
async fn hostile_booking_requests_are_invalid_input() {
    let app = spawn_app().await;
    let (_, token) = guest();
    let cases = [
        (place(json!({"partySize": -3})), "input.partySize"),
        (
            place(json!({"partySize": 9_007_199_254_740_991_i64})),
            "input.partySize",
        ),
        (place(json!({"quantity": -1})), "input.quantity"),
        (
            place(json!({"eventDate": null, "stay": {"from": "2030-02-05", "to": "2030-02-01"}})),
            "input.stay",
        ),
        (
            place(json!({"eventDate": "10000-01-01"})),
            "input.eventDate",
        ),
        (place(json!({"eventDate": "2030-02-30"})), "input.eventDate"),
        (
            place(json!({"timeSlot": {"start": "2030-02-01T25:00"}, "eventDate": null})),
            "input.timeSlot.start",
        ),
        (
            place(json!({"stay": {"from": "2030-02-01", "to": "2030-02-03"}})),
            "input",
        ),
        (place(json!({"listingId": "42"})), "input.listingId"),
    ];
    for (input, field) in cases {
        let r = app
            .graphql(
                Some(&token),
                PLACE_BOOKING,
                json!({"key": key(), "input": input}),
            )
            .await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{input}: {r}");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{field}: {message}");
    }
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn hostile_operator_inputs_are_invalid_input() {
    let app = spawn_app().await;
    let (_, op) = operator();
    // Just under the 1 MiB body limit (a larger body is refused with 413 before GraphQL:
    // see http_graphql.rs).
    let huge_name = "n".repeat(900 * 1024);
    let mut unknown_zone = listing_input("Bingsu", event_policy());
    unknown_zone["timeZone"] = json!("Mars/Olympus_Mons");
    let mut far_north = listing_input("Bingsu", event_policy());
    far_north["location"]["latitude"] = json!(91.0);
    let mut reversed_party = listing_input("Bingsu", event_policy());
    reversed_party["policy"]["partySize"] = json!({"min": 5, "max": 2});
    let mut negative_price = listing_input("Bingsu", event_policy());
    negative_price["displayPrice"]["amountMinor"] = json!(-1);
    let cases = [
        (listing_input(&huge_name, event_policy()), "input.name"),
        (unknown_zone, "input.timeZone"),
        (far_north, "input.location.latitude"),
        (reversed_party, "input.policy.partySize"),
        (negative_price, "input.displayPrice.amountMinor"),
    ];
    for (input, field) in cases {
        let r = app
            .graphql(
                Some(&op),
                CREATE_LISTING,
                json!({"key": key(), "input": input}),
            )
            .await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{field}: {r}");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{field}: {message}");
        assert!(
            message.len() < 1_000,
            "the message never echoes a huge input"
        );
    }

    let inventory = ulid::Ulid::new().to_string();
    for (selection, capacity, field) in [
        (
            json!({"from": "2030-01-01", "to": "2050-01-01"}),
            1,
            "input.selection",
        ),
        (
            json!({"from": "2030-01-02", "to": "2030-01-01"}),
            1,
            "input.selection",
        ),
        (
            json!({"from": "2030-01-01", "to": "2030-01-02"}),
            -5,
            "input.capacity",
        ),
        (
            json!({"from": "2030-01-01", "to": "2030-01-02"}),
            4_000_000_000_i64,
            "input.capacity",
        ),
        (
            json!({"from": "2030-01-01", "to": "2030-01-02", "times": ["7pm"]}),
            1,
            "input.selection.times",
        ),
    ] {
        let r = app
            .graphql(
                Some(&op),
                SET_CAPACITY,
                json!({"key": key(), "input": {"inventoryId": inventory, "selection": selection, "capacity": capacity}}),
            )
            .await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{field}: {r}");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{field}: {message}");
    }
    assert_eq!(event_count(&app).await, 0);
}

/// The same hostile values in the other mutations and in queries: year 10000, reversed
/// ranges, huge and negative numbers, an unknown time zone — `INVALID_INPUT`, nothing stored.
#[tokio::test]
async fn hostile_values_elsewhere_are_invalid_input() {
    let app = spawn_app().await;
    let (op_tenant_id, op) = operator();
    let (_, g) = guest();
    let some_id = || ulid::Ulid::new().to_string();
    let campaign = |from: &str, until: &str, total: i64| {
        json!({"input": {"code": "HOSTILE", "discount": {"fixed": {"amountMinor": 1, "currency": "KRW"}},
               "validFrom": from, "validUntil": until, "totalQuantity": total}})
    };
    let waitlist = |from: &str, to: &str, party: i64, quantity: i64| {
        json!({"input": {"listingId": some_id(), "inventoryId": some_id(),
               "wanted": {"from": from, "to": to}, "partySize": party, "quantity": quantity}})
    };
    let payment = |minor: i64, paid_at: &str| {
        json!({"input": {"bookingId": some_id(), "provider": "psp", "reference": "r",
               "amount": {"amountMinor": minor, "currency": "KRW"}, "paidAt": paid_at}})
    };
    let create_campaign = "mutation($key: String!, $input: CreateCampaignInput!) {
        createCampaign(idempotencyKey: $key, input: $input) { campaignId } }";
    let join = "mutation($key: String!, $input: JoinWaitlistInput!) {
        joinWaitlist(idempotencyKey: $key, input: $input) { bookingId } }";
    let pay = "mutation($key: String!, $input: ConfirmPaymentInput!) {
        confirmPayment(idempotencyKey: $key, input: $input) { bookingId } }";
    let details = "mutation($key: String!, $input: UpdateListingDetailsInput!) {
        updateListingDetails(idempotencyKey: $key, input: $input) { listingId } }";
    let availability = "query($inv: ID!, $from: NaiveDate!, $to: NaiveDate!) {
        availability(inventoryId: $inv, from: $from, to: $to) { slot } }";
    let describe = "mutation($key: String!, $input: DescribeInventoryInput!) {
        describeInventory(idempotencyKey: $key, input: $input) { inventoryId } }";
    let attributes = "mutation($key: String!, $id: ID!, $a: [AttributeInput!]!) {
        setListingAttributes(idempotencyKey: $key, listingId: $id, attributes: $a) { listingId } }";
    let remove_photo = "mutation($key: String!, $l: ID!, $p: ID!) {
        removeListingPhoto(idempotencyKey: $key, listingId: $l, photoId: $p) { listingId } }";
    let between = "query($tenant: ID!, $from: Date!, $to: Date!, $after: String, $guest: ID) {
        bookingsBetween(tenantId: $tenant, from: $from, to: $to, after: $after, guestId: $guest) {
          edges { cursor } } }";
    let dashboard = "query($tenant: ID!, $from: Date!, $to: Date!) {
        businessDashboard(tenantId: $tenant, from: $from, to: $to) { bookings } }";
    let next_dates = "query($id: ID!, $count: Int) {
        nextAvailableDates(listingId: $id, count: $count) { date } }";
    let sorted = "query($sort: SearchSort) { search(region: \"KR-11\", sort: $sort) {
        edges { cursor } } }";
    let my_bookings = "query($when: BookingTime) { myBookings(when: $when) { edges { cursor } } }";
    let op_tenant = op_tenant_id.to_string();
    let cases = [
        (
            &op,
            create_campaign,
            campaign("2030-01-01T00:00:00Z", "10000-01-01T00:00:00Z", 1),
        ),
        (
            &op,
            create_campaign,
            campaign("2030-03-01T00:00:00Z", "2030-01-01T00:00:00Z", 1),
        ),
        (
            &op,
            create_campaign,
            campaign("2030-01-01T00:00:00Z", "2030-03-01T00:00:00Z", -1),
        ),
        (
            &op,
            create_campaign,
            campaign("2030-01-01T00:00:00Z", "2030-03-01T00:00:00Z", 1 << 40),
        ),
        (&g, join, waitlist("2030-02-01", "2030-02-03", 1 << 40, 1)),
        (&g, join, waitlist("2030-02-01", "2030-02-03", 1, -1)),
        (&g, join, waitlist("2030-02-03", "2030-02-01", 1, 1)),
        (&g, join, waitlist("2030-02-01", "10000-01-01", 1, 1)),
        (&op, pay, payment(-10_000, "2030-01-07T09:00:00Z")),
        (&op, pay, payment(10_000, "10000-01-01T00:00:00Z")),
        (
            &op,
            details,
            json!({"input": {"listingId": some_id(), "timeZone": "Mars/Olympus_Mons"}}),
        ),
        (
            &op,
            availability,
            json!({"inv": some_id(), "from": "2030-02-03", "to": "2030-02-01"}),
        ),
        (
            &op,
            availability,
            json!({"inv": some_id(), "from": "2030-02-01", "to": "10000-01-01"}),
        ),
        (
            &op,
            describe,
            json!({"input": {"inventoryId": some_id(), "name": "x", "maxOccupancy": 1i64 << 40}}),
        ),
        (
            &op,
            describe,
            json!({"input": {"inventoryId": "nope", "name": "x"}}),
        ),
        (
            &op,
            describe,
            json!({"input": {"inventoryId": some_id(), "name": "x",
                   "description": "x".repeat(30_000)}}),
        ),
        (
            &op,
            attributes,
            json!({"id": some_id(), "a": [{"kind": "OTHER", "value": "v".repeat(1_000)}]}),
        ),
        (
            &op,
            attributes,
            json!({"id": some_id(), "a": (0..51).map(|i| json!({"kind": "OTHER", "value": format!("a{i}")})).collect::<Vec<_>>()}),
        ),
        (&op, remove_photo, json!({"l": "nope", "p": some_id()})),
        (
            &op,
            between,
            json!({"tenant": op_tenant, "from": "2030-02-03", "to": "2030-02-01"}),
        ),
        (
            &op,
            between,
            json!({"tenant": op_tenant, "from": "2030-01-01", "to": "10000-01-01"}),
        ),
        (
            &op,
            between,
            json!({"tenant": op_tenant, "from": "2030-01-01", "to": "2030-01-02", "after": "r1:x"}),
        ),
        (
            &op,
            between,
            json!({"tenant": op_tenant, "from": "2030-01-01", "to": "2030-01-02", "guest": "x"}),
        ),
        (
            &op,
            dashboard,
            json!({"tenant": op_tenant, "from": "2030-01-01", "to": "2031-01-01"}),
        ),
        (
            &g,
            next_dates,
            json!({"id": some_id(), "count": 1i64 << 40}),
        ),
        (&g, next_dates, json!({"id": "nope"})),
        (&g, sorted, json!({"sort": "DISTANCE"})),
        (&g, sorted, json!({"sort": "LOUDEST"})),
        (&g, my_bookings, json!({"when": "SOON"})),
    ];
    for (token, document, mut variables) in cases {
        variables["key"] = json!(key());
        let r = app.graphql(Some(token), document, variables.clone()).await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{variables}: {r}");
    }
    assert_eq!(event_count(&app).await, 0);
}
