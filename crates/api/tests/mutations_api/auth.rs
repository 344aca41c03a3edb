//! Who may call which mutation: anonymous callers are `UNAUTHENTICATED`; a guest on an
//! operator mutation, an operator of another tenant, another guest on a guest's booking, and
//! an operator on a guest's own mutation are `FORBIDDEN`. Nothing refused appends an event.

use crate::fixtures::*;
use crate::support::{TestApp, admin, error_code, guest, operator, spawn_app};
use serde_json::{Value, json};

struct World {
    listing: String,
    inventory: String,
    booking: String,
    campaign: String,
}

async fn world(app: &TestApp, op: &str, booker: &str) -> World {
    let listing = published_listing(app, op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        5,
        10_000,
    )
    .await;
    let booked = app
        .ok(
            Some(booker),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 1}}),
        )
        .await;
    let created = app
        .ok(
            Some(op),
            "mutation($key: String!, $input: CreateCampaignInput!) { createCampaign(idempotencyKey: $key, input: $input) { campaignId } }",
            json!({"key": key(), "input": {
                "code": "SPRING", "discount": {"fixed": {"amountMinor": 1000, "currency": "KRW"}},
                "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z",
                "totalQuantity": 10}}),
        )
        .await;
    World {
        booking: booked["placeBooking"]["bookingId"]
            .as_str()
            .unwrap()
            .to_owned(),
        campaign: created["createCampaign"]["campaignId"]
            .as_str()
            .unwrap()
            .to_owned(),
        listing,
        inventory,
    }
}

/// (mutation field, its arguments after the key, variables) for every mutation.
fn calls(w: &World) -> Vec<(&'static str, String, Value)> {
    let selection = json!({"from": "2030-02-01", "to": "2030-02-02"});
    let input = |v: Value| json!({"input": v});
    vec![
        (
            "createListing",
            "input: $input".into(),
            input(listing_input("Other", event_policy())),
        ),
        (
            "updateListingDetails",
            "input: $input".into(),
            input(json!({"listingId": w.listing, "name": "Renamed"})),
        ),
        (
            "changeBookingPolicy",
            "listingId: $id, policy: $policy".into(),
            json!({"id": w.listing, "policy": event_policy()}),
        ),
        (
            "publishListing",
            "listingId: $id".into(),
            json!({"id": w.listing}),
        ),
        (
            "suspendListing",
            "listingId: $id, reason: \"x\"".into(),
            json!({"id": w.listing}),
        ),
        (
            "reinstateListing",
            "listingId: $id".into(),
            json!({"id": w.listing}),
        ),
        (
            "archiveListing",
            "listingId: $id".into(),
            json!({"id": w.listing}),
        ),
        (
            "defineInventory",
            "input: $input".into(),
            input(json!({"listingId": w.listing, "name": "More", "currency": "KRW"})),
        ),
        (
            "setCapacity",
            "input: $input".into(),
            input(json!({"inventoryId": w.inventory, "selection": selection, "capacity": 9})),
        ),
        (
            "setPrice",
            "input: $input".into(),
            input(
                json!({"inventoryId": w.inventory, "selection": selection, "price": {"amountMinor": 1, "currency": "KRW"}}),
            ),
        ),
        (
            "closeSlots",
            "input: $input".into(),
            input(json!({"inventoryId": w.inventory, "selection": selection})),
        ),
        (
            "openSlots",
            "input: $input".into(),
            input(json!({"inventoryId": w.inventory, "selection": selection})),
        ),
        (
            "confirmPayment",
            "input: $input".into(),
            input(
                json!({"bookingId": w.booking, "provider": "p", "reference": "r", "amount": {"amountMinor": 10_000, "currency": "KRW"}}),
            ),
        ),
        (
            "checkIn",
            "input: $input".into(),
            input(json!({"bookingId": w.booking})),
        ),
        (
            "markNoShow",
            "input: $input".into(),
            input(json!({"bookingId": w.booking})),
        ),
        (
            "cancelBooking",
            "input: $input".into(),
            input(json!({"bookingId": w.booking})),
        ),
        (
            "createCampaign",
            "input: $input".into(),
            input(
                json!({"code": "X-1", "discount": {"fixed": {"amountMinor": 1, "currency": "KRW"}}, "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z", "totalQuantity": 1}),
            ),
        ),
        (
            "endCampaign",
            "input: $input".into(),
            input(json!({"campaignId": w.campaign})),
        ),
        (
            "placeBooking",
            "input: $input".into(),
            input(
                json!({"listingId": w.listing, "inventoryId": w.inventory, "eventDate": "2030-02-01", "partySize": 1}),
            ),
        ),
        (
            "joinWaitlist",
            "input: $input".into(),
            input(
                json!({"listingId": w.listing, "inventoryId": w.inventory, "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 1}),
            ),
        ),
        (
            "acceptOffer",
            "input: $input".into(),
            input(json!({"bookingId": w.booking})),
        ),
        (
            "declineOffer",
            "input: $input".into(),
            input(json!({"bookingId": w.booking})),
        ),
        (
            "claimCoupon",
            "input: $input".into(),
            input(json!({"campaignId": w.campaign})),
        ),
    ]
}

fn document(field: &str, args: &str) -> String {
    let types = match field {
        "createListing" => "$input: CreateListingInput!",
        "updateListingDetails" => "$input: UpdateListingDetailsInput!",
        "changeBookingPolicy" => "$id: ID!, $policy: BookingPolicyInput!",
        "publishListing" | "suspendListing" | "reinstateListing" | "archiveListing" => "$id: ID!",
        "defineInventory" => "$input: DefineInventoryInput!",
        "setCapacity" => "$input: SetCapacityInput!",
        "setPrice" => "$input: SetPriceInput!",
        "closeSlots" | "openSlots" => "$input: SlotsInput!",
        "confirmPayment" => "$input: ConfirmPaymentInput!",
        "markNoShow" => "$input: MarkNoShowInput!",
        "cancelBooking" => "$input: CancelBookingInput!",
        "createCampaign" => "$input: CreateCampaignInput!",
        "endCampaign" | "claimCoupon" => "$input: CampaignRefInput!",
        "placeBooking" => "$input: PlaceBookingInput!",
        "joinWaitlist" => "$input: JoinWaitlistInput!",
        _ => "$input: BookingRefInput!",
    };
    format!(
        "mutation($key: String!, {types}) {{ {field}(idempotencyKey: $key, {args}) {{ __typename }} }}"
    )
}

async fn expect(app: &TestApp, token: Option<&str>, call: &(&str, String, Value), code: &str) {
    let (field, args, vars) = call;
    let mut vars = vars.clone();
    vars["key"] = json!(key());
    let r = app.graphql(token, &document(field, args), vars).await;
    assert_eq!(error_code(&r), Some(code), "{field}: {r}");
}

const OPERATOR_ONLY: [&str; 17] = [
    "createListing",
    "updateListingDetails",
    "changeBookingPolicy",
    "publishListing",
    "suspendListing",
    "reinstateListing",
    "archiveListing",
    "defineInventory",
    "setCapacity",
    "setPrice",
    "closeSlots",
    "openSlots",
    "confirmPayment",
    "checkIn",
    "markNoShow",
    "createCampaign",
    "endCampaign",
];
const GUEST_ONLY: [&str; 5] = [
    "placeBooking",
    "joinWaitlist",
    "acceptOffer",
    "declineOffer",
    "claimCoupon",
];

#[tokio::test]
async fn every_mutation_refuses_callers_it_does_not_serve() {
    let app = spawn_app().await;
    let (_, op_a) = operator();
    let (_, op_b) = operator();
    let (_, booker) = guest();
    let (_, other_guest) = guest();
    let w = world(&app, &op_a, &booker).await;
    let all = calls(&w);
    assert_eq!(all.len(), 23);
    let count = event_count(&app).await;

    for call in &all {
        expect(&app, None, call, "UNAUTHENTICATED").await;
        if OPERATOR_ONLY.contains(&call.0) {
            expect(&app, Some(&booker), call, "FORBIDDEN").await;
            // Creating is for one's own tenant; every other operator mutation touches A's.
            if !matches!(call.0, "createListing" | "createCampaign") {
                expect(&app, Some(&op_b), call, "FORBIDDEN").await;
            }
        }
        if GUEST_ONLY.contains(&call.0) {
            expect(&app, Some(&op_a), call, "FORBIDDEN").await;
            expect(&app, Some(&admin()), call, "FORBIDDEN").await;
        }
        if matches!(call.0, "acceptOffer" | "declineOffer" | "cancelBooking") {
            expect(&app, Some(&other_guest), call, "FORBIDDEN").await;
        }
        if call.0 == "cancelBooking" {
            expect(&app, Some(&op_b), call, "FORBIDDEN").await;
        }
    }
    assert_eq!(
        event_count(&app).await,
        count,
        "no refusal appended anything"
    );

    // An operator naming another tenant when creating is refused; an admin may.
    let (tenant_b, _) = operator();
    let mut input = listing_input("Elsewhere", event_policy());
    input["tenantId"] = json!(tenant_b.to_string());
    let call = (
        "createListing",
        "input: $input".to_owned(),
        json!({"input": input}),
    );
    expect(&app, Some(&op_a), &call, "FORBIDDEN").await;
    let (field, args, mut vars) = call;
    vars["key"] = json!(key());
    app.ok(Some(&admin()), &document(field, &args), vars).await;

    // Unknown aggregates are NOT_FOUND for their operator.
    let unknown = ulid::Ulid::new().to_string();
    let call = (
        "publishListing",
        "listingId: $id".to_owned(),
        json!({"id": unknown}),
    );
    expect(&app, Some(&op_a), &call, "NOT_FOUND").await;
}
