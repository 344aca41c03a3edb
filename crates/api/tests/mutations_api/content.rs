//! What guests read before booking: a listing's whole description and its booking policy —
//! every rule, the refund tiers, the cancellation terms in words — read back exactly as the
//! operator wrote them, after an update and a policy change, from `listing` and from `search`.

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{error_code, guest, operator, spawn_app};

const LISTING: &str = "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
    description descriptionExcerpt
    bookingPolicy { version slots { kind checkIn checkOut minutes firstStart lastStart startsAt }
      opens { daysBefore at } minLeadMinutes maxAdvanceDays minStay maxStay
      closedToArrival { weekdays dates } closedToDeparture { weekdays dates }
      partyMin partyMax bufferMinutes blackout { from to } perGuestActiveCap
      holdDurationMinutes offerDurationMinutes noShowRefundBp
      cancellation { minNoticeHours refundBp }
      en: cancellationTerms ko: cancellationTerms(language: KO) } } }";

const UPDATE: &str = "mutation($key: String!, $input: UpdateListingDetailsInput!) {
    updateListingDetails(idempotencyKey: $key, input: $input) { listingId consistencyToken } }";

const CHANGE_POLICY: &str = "mutation($key: String!, $id: ID!, $policy: BookingPolicyInput!) {
    changeBookingPolicy(idempotencyKey: $key, listingId: $id, policy: $policy) {
      policyVersion consistencyToken } }";

fn hotel_policy() -> Value {
    json!({
        "slotKind": {"night": {"checkIn": "15:00", "checkOut": "11:00"}},
        "minLeadMinutes": 120,
        "maxAdvanceDays": 300,
        "minStay": 2,
        "maxStay": 14,
        "closedToArrival": {"weekdays": ["SUNDAY"], "dates": ["2030-12-24"]},
        "partySize": {"min": 1, "max": 4},
        "blackout": [{"from": "2030-08-01", "to": "2030-08-03"}],
        "perGuestActiveCap": 2,
        "holdDurationMinutes": 20,
        "offerDurationMinutes": 720,
        "noShowRefundBp": 2500,
        "cancellation": [{"minNoticeHours": 24, "refundBp": 5000},
                         {"minNoticeHours": 72, "refundBp": 10000}]
    })
}

#[tokio::test]
async fn guests_read_the_whole_description_and_the_policy_they_agree_to() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let listing = app
        .ok(
            Some(&op),
            CREATE_LISTING,
            json!({"key": key(), "input": listing_input("Snowflake Bingsu", event_policy())}),
        )
        .await["createListing"]["listingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = app
        .ok(Some(&op), PUBLISH, json!({"key": key(), "id": listing}))
        .await["publishListing"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = |token: String| {
        let app = &app;
        let listing = listing.clone();
        async move {
            app.ok(None, LISTING, json!({"id": listing, "t": token}))
                .await["listing"]
                .clone()
        }
    };
    let first = read(published).await;
    assert_eq!(first["description"], "Shaved ice.");
    let policy = &first["bookingPolicy"];
    assert_eq!(policy["version"], 1);
    assert_eq!(
        policy["slots"],
        json!({"kind": "DATED_EVENT", "checkIn": null, "checkOut": null, "minutes": null,
               "firstStart": null, "lastStart": null, "startsAt": "19:00"})
    );
    assert_eq!(policy["cancellation"], json!([]));
    assert_eq!(policy["en"], "Cancelling gives no refund.");
    assert_eq!(policy["ko"], "취소하면 환불되지 않습니다.");

    // A long description, line breaks and all, is kept whole (the excerpt is its start).
    let long = format!("{}\n\n{}", "눈꽃 빙수 ".repeat(60), "Second paragraph.");
    let t = app
        .ok(
            Some(&op),
            UPDATE,
            json!({"key": key(), "input": {"listingId": listing, "description": long}}),
        )
        .await["updateListingDetails"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = app
        .ok(
            Some(&op),
            CHANGE_POLICY,
            json!({"key": key(), "id": listing, "policy": hotel_policy()}),
        )
        .await["changeBookingPolicy"]["consistencyToken"]
        .as_str()
        .map_or(t, str::to_owned);
    let l = read(t).await;
    assert_eq!(l["description"], long.trim());
    assert!(long.starts_with(l["descriptionExcerpt"].as_str().unwrap()));
    assert!(l["descriptionExcerpt"].as_str().unwrap().chars().count() < long.chars().count());
    let p = &l["bookingPolicy"];
    assert_eq!(p["version"], 2);
    assert_eq!(
        p["slots"],
        json!({"kind": "NIGHT", "checkIn": "15:00", "checkOut": "11:00", "minutes": null,
               "firstStart": null, "lastStart": null, "startsAt": null})
    );
    assert_eq!(p["opens"], Value::Null);
    assert_eq!(p["minLeadMinutes"], 120);
    assert_eq!(p["maxAdvanceDays"], 300);
    assert_eq!(
        (p["minStay"].clone(), p["maxStay"].clone()),
        (json!(2), json!(14))
    );
    assert_eq!(
        p["closedToArrival"],
        json!({"weekdays": ["SUNDAY"], "dates": ["2030-12-24"]})
    );
    assert_eq!(p["closedToDeparture"], json!({"weekdays": [], "dates": []}));
    assert_eq!(
        (p["partyMin"].clone(), p["partyMax"].clone()),
        (json!(1), json!(4))
    );
    assert_eq!(
        p["blackout"],
        json!([{"from": "2030-08-01", "to": "2030-08-03"}])
    );
    assert_eq!(p["perGuestActiveCap"], 2);
    assert_eq!(p["holdDurationMinutes"], 20);
    assert_eq!(p["offerDurationMinutes"], 720);
    assert_eq!(p["noShowRefundBp"], 2500);
    // Longest notice first, whatever order they were given in.
    assert_eq!(
        p["cancellation"],
        json!([{"minNoticeHours": 72, "refundBp": 10000}, {"minNoticeHours": 24, "refundBp": 5000}])
    );
    assert_eq!(
        p["en"],
        "A full refund when cancelled at least 3 days before the start; 50% back when cancelled \
         at least 1 day before the start; no refund after that."
    );
    assert_eq!(
        p["ko"],
        "이용 3일 전까지 취소하면 전액 환불, 이용 1일 전까지 취소하면 50% 환불, 그 이후에는 환불되지 \
         않습니다."
    );

    // A search hit carries the same (a guest comparing listings sees the terms).
    let (_, token) = guest();
    let hits = app
        .ok(
            Some(&token),
            "query { search(region: \"KR-11\") { edges { node { id description
               bookingPolicy { version cancellationTerms } } } } }",
            json!({}),
        )
        .await["search"]["edges"]
        .clone();
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == listing.as_str())
        .unwrap_or_else(|| panic!("{hits}"));
    assert_eq!(hit["node"]["description"], long.trim());
    assert_eq!(hit["node"]["bookingPolicy"]["version"], 2);
    assert_eq!(hit["node"]["bookingPolicy"]["cancellationTerms"], p["en"]);
}

const DESCRIBE: &str = "mutation($key: String!, $input: DescribeInventoryInput!) {
    describeInventory(idempotencyKey: $key, input: $input) { inventoryId consistencyToken } }";

const INVENTORIES: &str = "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
    inventoryIds inventories { id listingId name currency description maxOccupancy
      attributes { kind value } } } }";

#[tokio::test]
async fn an_inventory_is_described_for_guests_and_read_back_from_its_listing() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 4).await;
    let input = json!({"inventoryId": inventory, "name": "Deluxe double",
        "description": "Sea view.\nKing bed.", "maxOccupancy": 2,
        "attributes": [{"kind": "AMENITY", "value": "wifi"},
                       {"kind": "ACCESSIBILITY", "value": "step-free"},
                       {"kind": "AMENITY", "value": "balcony"}]});
    let t = app
        .ok(Some(&op), DESCRIBE, json!({"key": key(), "input": input}))
        .await["describeInventory"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let l = app
        .ok(None, INVENTORIES, json!({"id": listing, "t": t}))
        .await["listing"]
        .clone();
    assert_eq!(l["inventoryIds"], json!([inventory]));
    assert_eq!(
        l["inventories"],
        json!([{"id": inventory, "listingId": listing, "name": "Deluxe double",
                "currency": "KRW", "description": "Sea view.\nKing bed.", "maxOccupancy": 2,
                "attributes": [{"kind": "AMENITY", "value": "balcony"},
                               {"kind": "AMENITY", "value": "wifi"},
                               {"kind": "ACCESSIBILITY", "value": "step-free"}]}])
    );
    // A search hit carries them too.
    let hits = app
        .ok(
            None,
            "query { search(region: \"KR-11\") { edges { node { id inventories { name maxOccupancy } } } } }",
            json!({}),
        )
        .await["search"]["edges"]
        .clone();
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == listing.as_str())
        .unwrap_or_else(|| panic!("{hits}"));
    assert_eq!(
        hit["node"]["inventories"],
        json!([{"name": "Deluxe double", "maxOccupancy": 2}])
    );

    // Bad content names its field and changes nothing.
    for (bad, field) in [
        (json!({"maxOccupancy": 0}), "input.maxOccupancy"),
        (json!({"maxOccupancy": -3}), "input.maxOccupancy"),
        (json!({"name": "  "}), "input.name"),
        (
            json!({"description": "x".repeat(5_001)}),
            "input.description",
        ),
        (
            json!({"attributes": [{"kind": "CUISINE", "value": "korean"},
                                  {"kind": "CUISINE", "value": " korean "}]}),
            "input.attributes",
        ),
        (
            json!({"attributes": [{"kind": "OTHER", "value": ""}]}),
            "input.attributes",
        ),
    ] {
        let mut input = json!({"inventoryId": inventory, "name": "Other"});
        for (k, v) in bad.as_object().unwrap() {
            input[k] = v.clone();
        }
        let refused = app
            .graphql(Some(&op), DESCRIBE, json!({"key": key(), "input": input}))
            .await;
        assert_eq!(
            error_code(&refused),
            Some("INVALID_INPUT"),
            "{bad}: {refused}"
        );
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(field), "{field}: {message}");
    }
    // Only the inventory's business describes it.
    let (_, other) = operator();
    let (_, g) = guest();
    let input = json!({"inventoryId": inventory, "name": "Mine now"});
    for who in [&other, &g] {
        let refused = app
            .graphql(Some(who), DESCRIBE, json!({"key": key(), "input": input}))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    }
    let unknown = json!({"inventoryId": ulid::Ulid::new().to_string(), "name": "Nowhere"});
    let refused = app
        .graphql(Some(&op), DESCRIBE, json!({"key": key(), "input": unknown}))
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    let l = app
        .ok(None, INVENTORIES, json!({"id": listing, "t": t}))
        .await["listing"]
        .clone();
    assert_eq!(l["inventories"][0]["name"], "Deluxe double", "unchanged");
    crate::support_verify::rebuilt_and_verified(
        &app,
        &[holdfast_projections::store::Table::Search],
    )
    .await;
}

const SET_ATTRIBUTES: &str = "mutation($key: String!, $id: ID!, $attributes: [AttributeInput!]!) {
    setListingAttributes(idempotencyKey: $key, listingId: $id, attributes: $attributes) {
      consistencyToken } }";

#[tokio::test]
async fn a_listing_carries_structured_attributes_guests_read_and_search_shows() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let attributes = json!([{"kind": "CUISINE", "value": "korean"},
                            {"kind": "ACCESSIBILITY", "value": "step-free"},
                            {"kind": "SEATING", "value": "terrace"},
                            {"kind": "CUISINE", "value": "dessert"}]);
    let t = app
        .ok(
            Some(&op),
            SET_ATTRIBUTES,
            json!({"key": key(), "id": listing, "attributes": attributes}),
        )
        .await["setListingAttributes"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let sorted = json!([{"kind": "CUISINE", "value": "dessert"},
                        {"kind": "CUISINE", "value": "korean"},
                        {"kind": "SEATING", "value": "terrace"},
                        {"kind": "ACCESSIBILITY", "value": "step-free"}]);
    let l = app
        .ok(
            None,
            "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
               attributes { kind value } } }",
            json!({"id": listing, "t": t}),
        )
        .await["listing"]
        .clone();
    assert_eq!(l["attributes"], sorted);
    let hits = app
        .ok(
            None,
            "query { search(region: \"KR-11\") { edges { node { id attributes { value } } } } }",
            json!({}),
        )
        .await["search"]["edges"]
        .clone();
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == listing.as_str())
        .unwrap_or_else(|| panic!("{hits}"));
    assert_eq!(hit["node"]["attributes"].as_array().unwrap().len(), 4);
    // Repeats and bad values are refused naming the argument; others' listings are not theirs.
    for bad in [
        json!([{"kind": "CUISINE", "value": "korean"}, {"kind": "CUISINE", "value": "korean "}]),
        json!([{"kind": "OTHER", "value": " "}]),
        json!([{"kind": "OTHER", "value": "x".repeat(61)}]),
    ] {
        let refused = app
            .graphql(
                Some(&op),
                SET_ATTRIBUTES,
                json!({"key": key(), "id": listing, "attributes": bad}),
            )
            .await;
        assert_eq!(error_code(&refused), Some("INVALID_INPUT"), "{refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("attributes"), "{message}");
    }
    let (_, other) = operator();
    let refused = app
        .graphql(
            Some(&other),
            SET_ATTRIBUTES,
            json!({"key": key(), "id": listing, "attributes": []}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
}
