//! Businesses over GraphQL: self-onboarding with a unique slug (also under a race), owners
//! inviting operators by a one-time link from the outbox, operator sessions of our own
//! tokens, membership rules, an admin's suspension stopping bookings, hostile input.

use serde_json::{Value, json};

use crate::accounts::{PASSWORD, SIGN_IN, pg, sign_up};
use crate::fixtures::{PLACE_BOOKING, event_policy, key, published_listing, stocked_inventory};
use crate::support::{TestApp, admin, error_code, guest};

const ONBOARD: &str = "mutation($key: String!, $input: OnboardBusinessInput!) {
    onboardBusiness(idempotencyKey: $key, input: $input) {
      tenantId slug status members invitationId consistencyToken } }";
const INVITE: &str = "mutation($key: String!, $t: ID!, $e: String!, $r: BusinessRole!) {
    inviteOperator(idempotencyKey: $key, tenantId: $t, email: $e, role: $r) {
      tenantId members invitationId } }";
const ACCEPT: &str = "mutation($key: String!, $t: ID!, $i: ID!, $tok: String!) {
    acceptInvitation(idempotencyKey: $key, tenantId: $t, invitationId: $i, token: $tok) {
      tenantId members } }";
const REMOVE: &str = "mutation($key: String!, $t: ID!, $a: ID!) {
    removeMember(idempotencyKey: $key, tenantId: $t, accountId: $a) { members } }";
const BUSINESS: &str = "query($s: String) { business(slug: $s) {
    tenantId name slug timeZone currency brandColour status contactEmail contactPhone
    members { accountId role } } }";

fn onboarding(slug: &str) -> Value {
    json!({"name": "Snowflake Bingsu", "slug": slug, "timeZone": "Asia/Seoul",
           "currency": "KRW", "brandColour": "#1A73E8",
           "contactEmail": "Hello@Snowflake.example", "contactPhone": "02-123-4567"})
}

async fn onboard(app: &TestApp, token: &str, slug: &str) -> Value {
    app.ok(
        Some(token),
        ONBOARD,
        json!({"key": key(), "input": onboarding(slug)}),
    )
    .await["onboardBusiness"]
        .clone()
}

async fn operator_session(app: &TestApp, email: &str, tenant: &str) -> Value {
    app.ok(
        None,
        SIGN_IN,
        json!({"email": email, "password": PASSWORD, "tenantId": tenant}),
    )
    .await["signIn"]
        .clone()
}

/// The one invitation link queued for `invitation` (from the log sink's delivery).
async fn invitation_link(app: &TestApp, invitation: &str) -> String {
    let (link,): (String,) = sqlx::query_as(
        "SELECT payload->>'link' FROM notification_deliveries
          WHERE kind = 'invitation' AND sink = 'log' AND payload->>'invitation_id' = $1",
    )
    .bind(invitation)
    .fetch_one(&pg(app).await)
    .await
    .unwrap();
    link
}

#[tokio::test]
async fn a_business_onboards_itself_and_its_owner_invites_an_operator() {
    let app = spawn();
    let app = app.await;
    let owner = sign_up(&app, "owner@example.com", "Owner").await;
    let owner_guest = owner["accessToken"].as_str().unwrap();
    let made = onboard(&app, owner_guest, "Snowflake-Bingsu").await;
    assert_eq!(made["slug"], "snowflake-bingsu");
    assert_eq!(made["status"], "ACTIVE");
    assert_eq!(made["members"], 1);
    let tenant = made["tenantId"].as_str().unwrap().to_owned();
    // The public face, by slug, for anyone (members for owners only).
    let public = app
        .ok(None, BUSINESS, json!({"s": "snowflake-bingsu"}))
        .await["business"]
        .clone();
    assert_eq!(public["tenantId"], tenant.as_str());
    assert_eq!(public["timeZone"], "Asia/Seoul");
    assert_eq!(public["brandColour"], "#1a73e8");
    assert_eq!(public["members"], json!([]));
    assert_eq!(public["contactEmail"], "hello@snowflake.example");
    assert_eq!(public["contactPhone"], "021234567");

    // The owner signs in for the business: an operator's session of our own tokens, which
    // every tenant-scoped mutation takes.
    let session = operator_session(&app, "owner@example.com", &tenant).await;
    assert_eq!(session["tenantId"], tenant.as_str());
    let op = session["accessToken"].as_str().unwrap().to_owned();
    let listing = published_listing(&app, &op, event_policy()).await;
    assert!(!listing.is_empty());
    let seen = app
        .ok(Some(&op), BUSINESS, json!({"s": "snowflake-bingsu"}))
        .await["business"]
        .clone();
    assert_eq!(seen["members"][0]["role"], "OWNER");
    assert_eq!(seen["members"][0]["accountId"], owner["accountId"]);

    // Not a member: no operator session.
    sign_up(&app, "ola@example.com", "Ola").await;
    let eve = sign_up(&app, "eve@example.com", "Eve").await;
    let refused = app
        .graphql(
            None,
            SIGN_IN,
            json!({"email": "ola@example.com", "password": PASSWORD, "tenantId": tenant}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // The owner invites Ola; the link goes out through the outbox.
    let invited = app
        .ok(
            Some(&op),
            INVITE,
            json!({"key": key(), "t": tenant, "e": " OLA@example.com", "r": "OPERATOR"}),
        )
        .await["inviteOperator"]
        .clone();
    let invitation = invited["invitationId"].as_str().unwrap().to_owned();
    let link = invitation_link(&app, &invitation).await;
    assert!(
        link.starts_with(&format!("{}/account/accept-invitation?", app.base)),
        "{link}"
    );
    let token = link.split("token=").nth(1).unwrap().to_owned();
    // The address is kept out of the log, and out of the message (the sink looks it up).
    assert!(!link.contains("ola@"));
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM events WHERE payload::text ILIKE '%ola@example%'")
            .fetch_one(&pg(&app).await)
            .await
            .unwrap();
    assert_eq!(n, 0);
    // Eve, with Ola's link: refused (not the address it was sent to); a wrong token too.
    let eve_try = app
        .graphql(
            eve["accessToken"].as_str(),
            ACCEPT,
            json!({"key": key(), "t": tenant, "i": invitation, "tok": token}),
        )
        .await;
    assert_eq!(error_code(&eve_try), Some("FORBIDDEN"), "{eve_try}");
    let ola = app
        .ok(
            None,
            SIGN_IN,
            json!({"email": "ola@example.com", "password": PASSWORD}),
        )
        .await["signIn"]
        .clone();
    let wrong = app
        .graphql(
            ola["accessToken"].as_str(),
            ACCEPT,
            json!({"key": key(), "t": tenant, "i": invitation, "tok": "0".repeat(64)}),
        )
        .await;
    assert_eq!(error_code(&wrong), Some("FORBIDDEN"), "{wrong}");
    let joined = app
        .ok(
            ola["accessToken"].as_str(),
            ACCEPT,
            json!({"key": key(), "t": tenant, "i": invitation, "tok": token}),
        )
        .await["acceptInvitation"]
        .clone();
    assert_eq!(joined["members"], 2);
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM invitation_addresses")
        .fetch_one(&pg(&app).await)
        .await
        .unwrap();
    assert_eq!(left, 0, "the address is forgotten once accepted");
    let ola_op = operator_session(&app, "ola@example.com", &tenant).await;
    // An operator runs the day but does not manage members.
    let not_owner = app
        .graphql(
            ola_op["accessToken"].as_str(),
            INVITE,
            json!({"key": key(), "t": tenant, "e": "x@example.com", "r": "OPERATOR"}),
        )
        .await;
    assert_eq!(error_code(&not_owner), Some("FORBIDDEN"), "{not_owner}");
    // The last owner cannot leave.
    let last = app
        .graphql(
            Some(&op),
            REMOVE,
            json!({"key": key(), "t": tenant, "a": owner["accountId"]}),
        )
        .await;
    assert_eq!(error_code(&last), Some("INVALID_STATE"), "{last}");
    // The owner removes Ola: her operator session ends at its next refresh.
    app.ok(
        Some(&op),
        REMOVE,
        json!({"key": key(), "t": tenant, "a": ola["accountId"]}),
    )
    .await;
    let refresh = app
        .graphql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({"t": ola_op["refreshToken"]}),
        )
        .await;
    assert_eq!(error_code(&refresh), Some("FORBIDDEN"), "{refresh}");
}

async fn spawn() -> TestApp {
    crate::support::spawn_app().await
}

#[tokio::test]
async fn one_slug_one_business_even_when_many_race_for_it() {
    let app = spawn().await;
    let mut people = Vec::new();
    for i in 0..8 {
        let p = sign_up(&app, &format!("racer{i}@example.com"), "Racer").await;
        people.push(p["accessToken"].as_str().unwrap().to_owned());
    }
    let tries: Vec<_> = people
        .iter()
        .map(|token| {
            let (http, base, token) = (app.http.clone(), app.base.clone(), token.clone());
            tokio::spawn(async move {
                let response: Value = http
                    .post(format!("{base}/graphql"))
                    .bearer_auth(token)
                    .json(&json!({"query": ONBOARD,
                                  "variables": {"key": key(), "input": onboarding("hot-slug")}}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                response
            })
        })
        .collect();
    let mut won = 0;
    let mut taken = 0;
    for t in tries {
        let answer = t.await.unwrap();
        match error_code(&answer) {
            None => won += 1,
            Some("ALREADY_EXISTS") => taken += 1,
            other => panic!("{other:?}: {answer}"),
        }
    }
    assert_eq!((won, taken), (1, 7));
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM tenant_slugs WHERE slug = 'hot-slug'")
            .fetch_one(&pg(&app).await)
            .await
            .unwrap();
    assert_eq!(rows, 1);
    // A change of slug frees the old one for another business.
    let owner = app.ok(None, BUSINESS, json!({"s": "hot-slug"})).await["business"]["tenantId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut moved = false;
    for (i, token) in people.iter().enumerate() {
        let update = app
            .graphql(
                Some(token),
                "mutation($key: String!, $t: ID!) { updateBusiness(idempotencyKey: $key,
                   tenantId: $t, input: {slug: \"cool-slug\", contactPhone: \"\"}) { slug } }",
                json!({"key": key(), "t": owner}),
            )
            .await;
        if error_code(&update).is_none() {
            assert_eq!(update["data"]["updateBusiness"]["slug"], "cool-slug");
            moved = true;
        } else {
            // Only the owner may; the others are refused.
            assert_eq!(error_code(&update), Some("FORBIDDEN"), "{i}: {update}");
        }
    }
    assert!(moved);
    let moved_to = app.ok(None, BUSINESS, json!({"s": "cool-slug"})).await;
    assert_eq!(
        moved_to["business"]["contactPhone"],
        Value::Null,
        "{moved_to}"
    );
    assert_eq!(
        moved_to["business"]["contactEmail"],
        "hello@snowflake.example"
    );
    let gone = app.graphql(None, BUSINESS, json!({"s": "hot-slug"})).await;
    assert_eq!(error_code(&gone), Some("NOT_FOUND"), "{gone}");
    let other = sign_up(&app, "late@example.com", "Late").await;
    let took = onboard(&app, other["accessToken"].as_str().unwrap(), "hot-slug").await;
    assert_eq!(took["slug"], "hot-slug");
}

#[tokio::test]
async fn bad_onboarding_input_is_refused_naming_the_field_and_claims_nothing() {
    let app = spawn().await;
    let owner = sign_up(&app, "owner@example.com", "Owner").await;
    let token = owner["accessToken"].as_str().unwrap();
    for (field, value) in [
        ("slug", json!("ab")),
        ("slug", json!("admin")),
        ("slug", json!("bad--slug")),
        ("slug", json!("한글")),
        ("name", json!("")),
        ("name", json!("n".repeat(101))),
        ("timeZone", json!("Mars/Olympus")),
        ("currency", json!("₩")),
        ("currency", json!("KRWW")),
        ("brandColour", json!("blue")),
        ("contactEmail", json!("hello@")),
        ("contactPhone", json!("call us")),
    ] {
        let mut input = onboarding("good-slug");
        input[field] = value;
        let answer = app
            .graphql(Some(token), ONBOARD, json!({"key": key(), "input": input}))
            .await;
        assert_eq!(
            error_code(&answer),
            Some("INVALID_INPUT"),
            "{field}: {answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("input.{field}")), "{message}");
    }
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM tenant_slugs")
        .fetch_one(&pg(&app).await)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // Anonymous callers and tokens with no account here cannot onboard.
    let anonymous = app
        .graphql(
            None,
            ONBOARD,
            json!({"key": key(), "input": onboarding("x-slug")}),
        )
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let (_, minted) = guest();
    let minted = app
        .graphql(
            Some(&minted),
            ONBOARD,
            json!({"key": key(), "input": onboarding("x-slug")}),
        )
        .await;
    assert_eq!(error_code(&minted), Some("NOT_FOUND"), "{minted}");
}

#[tokio::test]
async fn a_suspended_business_takes_no_bookings_and_keeps_its_data() {
    let app = spawn().await;
    let owner = sign_up(&app, "owner@example.com", "Owner").await;
    let tenant =
        onboard(&app, owner["accessToken"].as_str().unwrap(), "suspend-me").await["tenantId"]
            .as_str()
            .unwrap()
            .to_owned();
    let op = operator_session(&app, "owner@example.com", &tenant).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let listing = published_listing(&app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        10,
        30_000,
    )
    .await;
    let place = |token: String| {
        let input = json!({"listingId": listing, "inventoryId": inventory,
                           "eventDate": "2030-02-01", "partySize": 1});
        let app = &app;
        async move {
            app.graphql(
                Some(&token),
                PLACE_BOOKING,
                json!({"key": key(), "input": input}),
            )
            .await
        }
    };
    let (_, g) = guest();
    let before = place(g.clone()).await;
    assert_eq!(error_code(&before), None, "{before}");
    let booking = before["data"]["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    // A waitlisted guest, offered a date before the suspension.
    let (_, waiting) = guest();
    let wanted = json!({"listingId": listing, "inventoryId": inventory,
                        "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 1});
    let join = "mutation($key: String!, $input: JoinWaitlistInput!) {
        joinWaitlist(idempotencyKey: $key, input: $input) { bookingId status } }";
    let joined = app
        .ok(Some(&waiting), join, json!({"key": key(), "input": wanted}))
        .await;
    let entry = joined["joinWaitlist"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    offer(&app, &entry).await;

    let suspend = "mutation($key: String!, $t: ID!, $r: String!) {
        suspendBusiness(idempotencyKey: $key, tenantId: $t, reason: $r) { status } }";
    let not_admin = app
        .graphql(
            Some(&op),
            suspend,
            json!({"key": key(), "t": tenant, "r": "unpaid"}),
        )
        .await;
    assert_eq!(error_code(&not_admin), Some("FORBIDDEN"), "{not_admin}");
    let done = app
        .ok(
            Some(&admin()),
            suspend,
            json!({"key": key(), "t": tenant, "r": "unpaid invoices"}),
        )
        .await;
    assert_eq!(done["suspendBusiness"]["status"], "SUSPENDED");
    let during = place(g.clone()).await;
    assert_eq!(error_code(&during), Some("INVALID_STATE"), "{during}");
    assert!(
        during["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    let (_, late) = guest();
    let refused = app
        .graphql(Some(&late), join, json!({"key": key(), "input": wanted}))
        .await;
    assert_eq!(error_code(&refused), Some("INVALID_STATE"), "{refused}");
    let accept = "mutation($key: String!, $id: ID!) {
        acceptOffer(idempotencyKey: $key, input: {bookingId: $id}) { status } }";
    let refused = app
        .graphql(Some(&waiting), accept, json!({"key": key(), "id": entry}))
        .await;
    assert_eq!(error_code(&refused), Some("INVALID_STATE"), "{refused}");
    // Its data stays: the booking reads, the public page says suspended.
    let seen = app
        .ok(
            Some(&op),
            "query($id: ID!, $c: String) { booking(id: $id, consistencyToken: $c) { id status } }",
            json!({"id": booking, "c": before["data"]["placeBooking"]["consistencyToken"]}),
        )
        .await;
    assert_eq!(seen["booking"]["id"], booking.as_str());
    let public = app.ok(None, BUSINESS, json!({"s": "suspend-me"})).await;
    assert_eq!(public["business"]["status"], "SUSPENDED");
    // Reinstated: bookings again.
    app.ok(
        Some(&admin()),
        "mutation($key: String!, $t: ID!) { reinstateBusiness(idempotencyKey: $key, tenantId: $t) { status } }",
        json!({"key": key(), "t": tenant}),
    )
    .await;
    let after = place(g).await;
    assert_eq!(error_code(&after), None, "{after}");
    let accepted = app
        .ok(Some(&waiting), accept, json!({"key": key(), "id": entry}))
        .await;
    assert_eq!(accepted["acceptOffer"]["status"], "HELD");
}

/// The waitlist process's offer of 2030-02-01 at 30,000 KRW to `entry` (as the worker makes it).
async fn offer(app: &TestApp, entry: &str) {
    use holdfast_domain::booking::{BookingCommand, OfferSlot, PricedLine, Quantity};
    use holdfast_domain::common::{CancellationPolicy, Currency, Money, Slot};
    let krw = Currency::parse("KRW").unwrap();
    let slot = Slot::parse("2030-02-01").unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
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
        .execute(entry, BookingCommand::OfferSlot(offer), Default::default())
        .await
        .unwrap();
}
