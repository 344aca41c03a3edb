//! Guest profiles: who sees them (the isolation matrix), and forgetting a guest — after
//! which no table, event, read model or queued message holds their name, phone or address,
//! while their bookings still count and add up.

use holdfast_projections::store::Table;
use serde_json::{Value, json};

use crate::accounts::{PASSWORD, SIGN_IN, pg, sign_up};
use holdfast_testkit::graphql::CONFIRM_PAYMENT;

use crate::fixtures::{PLACE_BOOKING, event_policy, key, published_listing, stocked_inventory};
use crate::support::{TestApp, admin, error_code, guest, operator, spawn_app};

const BOOKING: &str = "query($id: ID!) { booking(id: $id) { id status guestId
    totalPaid { amountMinor } guest { guestId name phone email language } } }";
const DAY_SHEET: &str = "query($t: ID!, $d: Date!, $c: String) {
    daySheet(tenantId: $t, date: $d, consistencyToken: $c) {
    bookingId guestId guest { name phone } } }";
const GUEST_PROFILE: &str =
    "query($g: ID!) { guestProfile(guestId: $g) { guestId name phone email language } }";
const MY_BOOKINGS: &str = "{ myBookings { edges { node { id guest { name } } } } }";

/// A business (operator token, tenant id) selling a dated event on 2030-02-01 at 30,000 KRW.
struct Shop {
    tenant: String,
    op: String,
    listing: String,
    inventory: String,
}

async fn shop(app: &TestApp) -> Shop {
    let (tenant, op) = operator();
    let listing = published_listing(app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        20,
        30_000,
    )
    .await;
    Shop {
        tenant: tenant.to_string(),
        op,
        listing,
        inventory,
    }
}

async fn book(app: &TestApp, shop: &Shop, guest: &str) -> (String, String) {
    let placed = app
        .ok(
            Some(guest),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": shop.listing, "inventoryId": shop.inventory,
                   "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await["placeBooking"]
        .clone();
    (
        placed["bookingId"].as_str().unwrap().to_owned(),
        placed["consistencyToken"].as_str().unwrap().to_owned(),
    )
}

async fn booking_as(app: &TestApp, token: Option<&str>, id: &str, consistency: &str) -> Value {
    let doc = BOOKING.replace(
        "booking(id: $id)",
        &format!("booking(id: $id, consistencyToken: \"{consistency}\")"),
    );
    app.graphql(token, &doc, json!({"id": id})).await
}

#[tokio::test]
async fn a_profile_is_shown_only_to_its_guest_the_business_booked_and_admins() {
    let app = spawn_app().await;
    let mine = shop(&app).await;
    let theirs = shop(&app).await;
    let mia = sign_up(&app, "mia@example.com", "Mia Kim").await;
    let mia_token = mia["accessToken"].as_str().unwrap();
    let mia_guest = mia["guestId"].as_str().unwrap();
    let (booking, consistency) = book(&app, &mine, mia_token).await;
    let (_, other_guest) = guest();

    // Her own, the business she booked with, and an admin: the profile beside the booking.
    for who in [mia_token, &mine.op, &admin()] {
        let seen = booking_as(&app, Some(who), &booking, &consistency).await;
        assert_eq!(
            seen["data"]["booking"]["guest"]["name"], "Mia Kim",
            "{seen}"
        );
        assert_eq!(seen["data"]["booking"]["guest"]["phone"], "01012345678");
        assert_eq!(seen["data"]["booking"]["guest"]["email"], "mia@example.com");
    }
    let sheet = app
        .ok(
            Some(&mine.op),
            DAY_SHEET,
            json!({"t": mine.tenant, "d": "2030-02-01", "c": consistency}),
        )
        .await["daySheet"]
        .clone();
    assert_eq!(sheet.as_array().unwrap().len(), 1, "{sheet}");
    assert_eq!(sheet[0]["guest"]["name"], "Mia Kim");
    let own = app.ok(Some(mia_token), MY_BOOKINGS, json!({})).await;
    assert_eq!(
        own["myBookings"]["edges"][0]["node"]["guest"]["name"],
        "Mia Kim"
    );
    for who in [mia_token, &admin()] {
        let profile = app
            .ok(Some(who), GUEST_PROFILE, json!({"g": mia_guest}))
            .await;
        assert_eq!(profile["guestProfile"]["name"], "Mia Kim");
    }

    // Another business's operator, another guest: nothing (as for an id that does not exist).
    for who in [&theirs.op, &other_guest] {
        let seen = booking_as(&app, Some(who), &booking, &consistency).await;
        assert_eq!(error_code(&seen), Some("NOT_FOUND"), "{seen}");
        assert_eq!(seen["data"], Value::Null, "{seen}");
        let profile = app
            .graphql(Some(who), GUEST_PROFILE, json!({"g": mia_guest}))
            .await;
        assert_eq!(error_code(&profile), Some("NOT_FOUND"), "{profile}");
        assert!(!profile.to_string().contains("Mia Kim"));
    }
    // Even the operator of the business she booked with cannot read her profile outside that
    // business's bookings.
    let profile = app
        .graphql(Some(&mine.op), GUEST_PROFILE, json!({"g": mia_guest}))
        .await;
    assert_eq!(error_code(&profile), Some("NOT_FOUND"), "{profile}");
    let sheet = app
        .graphql(
            Some(&theirs.op),
            DAY_SHEET,
            json!({"t": mine.tenant, "d": "2030-02-01"}),
        )
        .await;
    assert_eq!(error_code(&sheet), Some("FORBIDDEN"), "{sheet}");
    // Anonymous: nothing at all.
    for (doc, vars) in [
        (BOOKING, json!({"id": booking})),
        (GUEST_PROFILE, json!({"g": mia_guest})),
        (DAY_SHEET, json!({"t": mine.tenant, "d": "2030-02-01"})),
    ] {
        let answer = app.graphql(None, doc, vars).await;
        assert_eq!(error_code(&answer), Some("UNAUTHENTICATED"), "{answer}");
        assert!(!answer.to_string().contains("Mia"));
    }

    // She edits her own; a bad field changes nothing.
    let update =
        "mutation($i: GuestProfileInput!) { updateMyProfile(input: $i) { name phone language } }";
    let bad = app
        .graphql(
            Some(mia_token),
            update,
            json!({"i": {"name": "Mia", "phone": "not a phone", "language": "KO"}}),
        )
        .await;
    assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("phone")
    );
    let edited = app
        .ok(
            Some(mia_token),
            update,
            json!({"i": {"name": "김미아", "phone": "+82 10 2222 3333", "language": "KO"}}),
        )
        .await;
    assert_eq!(edited["updateMyProfile"]["phone"], "+821022223333");
    let seen = booking_as(&app, Some(&mine.op), &booking, &consistency).await;
    assert_eq!(seen["data"]["booking"]["guest"]["name"], "김미아");
    assert_eq!(seen["data"]["booking"]["guest"]["language"], "KO");
    // Operators cannot edit a profile.
    let op_edit = app
        .graphql(
            Some(&mine.op),
            update,
            json!({"i": {"name": "x", "language": "KO"}}),
        )
        .await;
    assert_eq!(error_code(&op_edit), Some("FORBIDDEN"), "{op_edit}");
}

/// Every row of every table of the test database, as text.
async fn every_table(app: &TestApp) -> String {
    let pool = pg(app).await;
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(tables.len() > 10, "{tables:?}");
    let mut all = String::new();
    for (table,) in tables {
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT t::text FROM \"{table}\" t"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for (row,) in rows {
            all.push_str(&table);
            all.push(' ');
            all.push_str(&row);
            all.push('\n');
        }
    }
    all
}

/// Every item of every generation of every read model, as text.
async fn every_read_model(app: &TestApp) -> String {
    let store = app.engine.read_side.store();
    let mut all = String::new();
    for table in Table::ALL {
        for generation in store.generations(table).await.unwrap() {
            let table_ref = holdfast_projections::store::TableRef::new(table, generation);
            for item in store.scan(table_ref).await.unwrap() {
                all.push_str(&format!("{item:?}\n"));
            }
        }
    }
    all
}

/// The whole event log as an export writes it (each event's stored JSON).
async fn export(app: &TestApp) -> String {
    let events = app
        .engine
        .store
        .read_raw(holdfast_eventstore::Position::START, usize::MAX)
        .await
        .unwrap();
    assert!(!events.is_empty());
    events
        .iter()
        .map(|e| {
            format!(
                "{} {} {}\n",
                e.aggregate_id,
                e.payload.get(),
                e.metadata.get()
            )
        })
        .collect()
}

#[tokio::test]
async fn forgetting_a_guest_erases_them_everywhere_and_keeps_the_books() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let pii = [
        "Zelda Forgetmenot",
        "zelda.forget@example.com",
        "01098765432",
    ];
    let zelda = app
        .ok(
            None,
            crate::accounts::SIGN_UP,
            json!({"input": {"email": pii[1], "password": PASSWORD, "name": pii[0],
                             "phone": "010-9876-5432", "language": "KO"}}),
        )
        .await["signUp"]
        .clone();
    let token = zelda["accessToken"].as_str().unwrap();
    let guest_id = zelda["guestId"].as_str().unwrap();
    let stays = sign_up(&app, "stays@example.com", "Stays Here").await;
    // Two bookings, one paid; a reset link queued; a session.
    let (paid, _) = book(&app, &shop, token).await;
    let (held, _) = book(&app, &shop, token).await;
    let (other, _) = book(&app, &shop, stays["accessToken"].as_str().unwrap()).await;
    let confirmed = app
        .ok(
            Some(&shop.op),
            CONFIRM_PAYMENT,
            json!({"key": key(), "input": {"bookingId": paid, "provider": "stripe",
                   "reference": "pi_zelda", "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
        )
        .await["confirmPayment"]
        .clone();
    assert_eq!(confirmed["status"], "CONFIRMED");
    app.ok(
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        json!({"e": pii[1]}),
    )
    .await;
    let consistency = confirmed["consistencyToken"].as_str().unwrap();
    let before = booking_as(&app, Some(&shop.op), &paid, consistency).await;
    assert_eq!(
        before["data"]["booking"]["guest"]["name"], pii[0],
        "{before}"
    );
    let sheet_before = app
        .ok(
            Some(&shop.op),
            DAY_SHEET,
            json!({"t": shop.tenant, "d": "2030-02-01", "c": consistency}),
        )
        .await["daySheet"]
        .clone();
    assert_eq!(sheet_before.as_array().unwrap().len(), 3);
    // The search finds what is there (so finding nothing later means something).
    let tables = every_table(&app).await;
    for p in pii {
        assert!(tables.contains(p), "{p} not found before forgetting");
    }

    // Someone else cannot forget her; she can.
    let forget = "mutation($g: ID!) { forgetGuest(guestId: $g) }";
    let refused = app
        .graphql(
            stays["accessToken"].as_str(),
            forget,
            json!({"g": guest_id}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    let refused = app
        .graphql(Some(&shop.op), forget, json!({"g": guest_id}))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    assert_eq!(
        app.ok(Some(token), forget, json!({"g": guest_id})).await["forgetGuest"],
        true
    );

    // Nowhere: no table (the log included), no read model, no export, no queued message.
    let tables = every_table(&app).await;
    let models = every_read_model(&app).await;
    let exported = export(&app).await;
    for p in pii {
        for (what, text) in [
            ("tables", &tables),
            ("read models", &models),
            ("export", &exported),
        ] {
            assert!(!text.contains(p), "{p} still in {what}");
        }
    }
    assert!(
        tables.contains("Stays Here"),
        "the other guest was forgotten too"
    );
    let (left,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM notification_deliveries WHERE kind IN ('verify_email', 'reset_password')",
    )
    .fetch_one(&pg(&app).await)
    .await
    .unwrap();
    assert_eq!(left, 1, "only the other guest's verification link is left");

    // The books: every booking still there with its status and money, naming no one.
    let after = booking_as(&app, Some(&shop.op), &paid, consistency).await;
    assert_eq!(after["data"]["booking"]["status"], "CONFIRMED", "{after}");
    assert_eq!(after["data"]["booking"]["totalPaid"]["amountMinor"], 30_000);
    assert_eq!(after["data"]["booking"]["guest"], Value::Null);
    assert_eq!(after["data"]["booking"]["guestId"], guest_id);
    let sheet_after = app
        .ok(
            Some(&shop.op),
            DAY_SHEET,
            json!({"t": shop.tenant, "d": "2030-02-01", "c": consistency}),
        )
        .await["daySheet"]
        .clone();
    assert_eq!(sheet_after.as_array().unwrap().len(), 3);
    let named: Vec<&Value> = sheet_after
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["guest"].is_null())
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0]["bookingId"], other.as_str());
    assert!(
        sheet_after
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["bookingId"] == held.as_str())
    );
    // She cannot sign in, refresh, or be looked up.
    let signin = app
        .graphql(
            None,
            SIGN_IN,
            json!({"email": pii[1], "password": PASSWORD}),
        )
        .await;
    assert_eq!(error_code(&signin), Some("UNAUTHENTICATED"), "{signin}");
    let refresh = app
        .graphql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({"t": zelda["refreshToken"]}),
        )
        .await;
    assert_eq!(error_code(&refresh), Some("UNAUTHENTICATED"), "{refresh}");
    let profile = app
        .graphql(Some(&admin()), GUEST_PROFILE, json!({"g": guest_id}))
        .await;
    assert_eq!(error_code(&profile), Some("NOT_FOUND"), "{profile}");
    // Forgetting again is harmless (an admin may; nothing is left).
    assert_eq!(
        app.ok(Some(&admin()), forget, json!({"g": guest_id})).await["forgetGuest"],
        false
    );
}
