//! The back office's lists over real bookings: an inventory's waitlist (first come first,
//! leaving when the guest goes) and a business's guests, with contact details, for its
//! operators only.

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, error_code, operator, spawn_app};
use holdfast_testkit::graphql::CANCEL_BOOKING;

const WAITLIST: &str = "query($inv: ID!, $t: String) { inventoryWaitlist(inventoryId: $inv,
    consistencyToken: $t) { bookingId status guestId partySize wantedFrom wantedTo slotCount
    waitlistedAt guest { name } } }";

const GUESTS: &str = "query($tenant: ID!, $first: Int, $after: String, $t: String) {
  businessGuests(tenantId: $tenant, first: $first, after: $after, consistencyToken: $t) {
    edges { node { guestId lastBookingId lastBookedAt guest { name email } } }
    pageInfo { hasNextPage endCursor } } }";

async fn sign_up(app: &TestApp, email: &str, name: &str) -> (String, String) {
    let token = app
        .ok(
            None,
            "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
            json!({"input": {"email": email, "password": "correct horse battery",
                             "name": name, "language": "EN"}}),
        )
        .await["signUp"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let guest = app.ok(Some(&token), "{ me { guestId } }", json!({})).await["me"]["guestId"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, guest)
}

async fn join(app: &TestApp, token: &str, listing: &str, inventory: &str) -> (String, String) {
    let joined = app
        .ok(
            Some(token),
            "mutation($key: String!, $input: JoinWaitlistInput!) {
               joinWaitlist(idempotencyKey: $key, input: $input) { bookingId consistencyToken } }",
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 2}}),
        )
        .await["joinWaitlist"]
        .clone();
    (
        joined["bookingId"].as_str().unwrap().to_owned(),
        joined["consistencyToken"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn operators_see_an_inventorys_waitlist_and_their_guests() {
    let app = spawn_app().await;
    let (tenant, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 1).await;
    let (mia, mia_id) = sign_up(&app, "mia@example.com", "Mia").await;
    let (ola, ola_id) = sign_up(&app, "ola@example.com", "Ola").await;
    let (kai, kai_id) = sign_up(&app, "kai@example.com", "Kai").await;
    // Mia takes the one seat; Ola, then Kai, wait.
    let mine = app
        .ok(
            Some(&mia),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (olas, _) = join(&app, &ola, &listing, &inventory).await;
    app.clock.advance(chrono::Duration::minutes(1));
    let (kais, t) = join(&app, &kai, &listing, &inventory).await;
    let list = |t: String| {
        let (app, op, inventory) = (&app, &op, &inventory);
        async move {
            app.ok(Some(op), WAITLIST, json!({"inv": inventory, "t": t}))
                .await["inventoryWaitlist"]
                .clone()
        }
    };
    let waiting = list(t).await;
    let ids: Vec<&str> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["bookingId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [olas.as_str(), kais.as_str()], "first come first");
    assert_eq!(waiting[0]["status"], "WAITLISTED");
    assert_eq!(waiting[0]["guest"]["name"], "Ola");
    assert_eq!(waiting[0]["guestId"], ola_id);
    assert_eq!(
        (
            waiting[0]["wantedFrom"].clone(),
            waiting[0]["wantedTo"].clone()
        ),
        (json!("2030-02-01"), json!("2030-02-01"))
    );
    assert_eq!(waiting[0]["partySize"], 2);
    // Ola leaves: Kai alone.
    let t = app
        .ok(
            Some(&ola),
            CANCEL_BOOKING,
            json!({"key": key(), "id": olas}),
        )
        .await["cancelBooking"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = list(t.clone()).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert_eq!(waiting[0]["bookingId"], kais);

    // Everyone who booked or waited, by guest id, with their details; two a page.
    let mut expected = vec![mia_id.clone(), ola_id.clone(), kai_id.clone()];
    expected.sort();
    let mut seen: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let c = app
            .ok(
                Some(&op),
                GUESTS,
                json!({"tenant": tenant.to_string(), "first": 2, "after": after, "t": t}),
            )
            .await["businessGuests"]
            .clone();
        seen.extend(
            c["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= 3, "pagination does not end");
    }
    let got: Vec<&str> = seen
        .iter()
        .map(|g| g["guestId"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
    let mia_row = seen
        .iter()
        .find(|g| g["guestId"] == mia_id.as_str())
        .unwrap();
    assert_eq!(mia_row["lastBookingId"], mine);
    assert_eq!(
        mia_row["guest"],
        json!({"name": "Mia", "email": "mia@example.com"})
    );

    // Another business's operator and guests cannot; an unknown inventory is NOT_FOUND.
    let (_, other) = operator();
    for who in [&other, &mia] {
        let r = app
            .graphql(Some(who), WAITLIST, json!({"inv": inventory}))
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
        let r = app
            .graphql(Some(who), GUESTS, json!({"tenant": tenant.to_string()}))
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    }
    let r = app
        .graphql(
            Some(&op),
            WAITLIST,
            json!({"inv": ulid::Ulid::new().to_string()}),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(
            Some(&op),
            GUESTS,
            json!({"tenant": tenant.to_string(), "after": "x"}),
        )
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
    // The new items (waitlist entries, guests) survive a rebuild and verify clean.
    crate::support_verify::rebuilt_and_verified(
        &app,
        &[holdfast_projections::store::Table::Bookings],
    )
    .await;
}
