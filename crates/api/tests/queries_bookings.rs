//! Booking queries over HTTP on the real server: `booking`, `myBookings`, `daySheet` — what
//! they return, read-your-writes, Relay pagination and the authorisation matrix.

mod queries_support;
mod support;

use chrono::Duration;
use holdfast_domain::common::{BookingId, InventoryId, ListingId, TenantId};
use queries_support::*;
use serde_json::{Value, json};
use support::{admin, error_code, guest, operator, spawn_app};

const BOOKING: &str = "query($id: ID!, $t: String) { booking(id: $id, consistencyToken: $t) {
    id status guestId tenantId listingId inventoryId partySize quantity slots
    totals { subtotal { amountMinor currency } discount { amountMinor } total { amountMinor } }
    totalPaid { amountMinor currency } lastPayment { provider amount { amountMinor } }
    createdAt confirmedAt } }";

const MY_BOOKINGS: &str = "query($first: Int, $after: String, $t: String) {
  myBookings(first: $first, after: $after, consistencyToken: $t) {
    edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }";

const MY_FILTERED: &str = "query($first: Int, $after: String, $when: BookingTime,
    $cancelled: Boolean, $t: String) {
  myBookings(first: $first, after: $after, when: $when, includeCancelled: $cancelled,
             consistencyToken: $t) {
    edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }";

const DAY_SHEET: &str = "query($tenant: ID!, $date: Date!, $t: String) {
  daySheet(tenantId: $tenant, date: $date, consistencyToken: $t) {
    bookingId status firstSlot slots guestId partySize } }";

fn keys(tenant: TenantId, guest: &str) -> BookingKeys {
    BookingKeys {
        tenant,
        listing: ListingId::new(),
        inventory: InventoryId::new(),
        guest: holdfast_domain::common::GuestId::parse(guest).unwrap(),
    }
}

struct World {
    app: support::TestApp,
    tenant_a: TenantId,
    op_a: String,
    op_b: String,
    g1: String,
    g1_id: holdfast_domain::common::GuestId,
    g2: String,
    /// Guest 1's bookings, oldest first; the first is confirmed.
    g1_bookings: Vec<BookingId>,
    g2_booking: BookingId,
    token: String,
}

/// Tenant A: guest 1 books five times (a minute apart; the first, two nights, is paid), guest
/// 2 once, all starting 2030-02-10. Tenant B: guest 2 once on the same date.
async fn world() -> World {
    let app = spawn_app().await;
    let (tenant_a, op_a) = operator();
    let (tenant_b, op_b) = operator();
    let (g1_id, g1) = guest();
    let (g2_id, g2) = guest();
    let k1 = keys(tenant_a, &g1_id.to_string());
    let mut g1_bookings = Vec::new();
    let (first, _) = request_booking(&app, k1, &["2030-02-10", "2030-02-11"]).await;
    hold_and_pay(&app, first, 20_000).await;
    g1_bookings.push(first);
    for _ in 0..4 {
        app.clock.advance(Duration::minutes(1));
        g1_bookings.push(request_booking(&app, k1, &["2030-02-10"]).await.0);
    }
    let (g2_booking, _) =
        request_booking(&app, keys(tenant_a, &g2_id.to_string()), &["2030-02-10"]).await;
    let (_, token) =
        request_booking(&app, keys(tenant_b, &g2_id.to_string()), &["2030-02-10"]).await;
    World {
        app,
        tenant_a,
        op_a,
        op_b,
        g1,
        g1_id,
        g2,
        g1_bookings,
        g2_booking,
        token,
    }
}

fn edge_ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn my_bookings_lists_upcoming_or_past_and_hides_cancelled_unless_asked() {
    let app = spawn_app().await;
    let (tenant, _) = operator();
    let (guest_id, token) = guest();
    let k = keys(tenant, &guest_id.to_string());
    // Oldest first: over tomorrow (past once the clock moves), paid and upcoming, cancelled,
    // requested and upcoming — a minute apart, so newest first is the reverse.
    let mut ids = Vec::new();
    for (slot, pay) in [
        ("2030-01-08", true),
        ("2030-02-10", true),
        ("2030-02-11", false),
        ("2030-02-12", false),
    ] {
        let (id, _) = request_booking(&app, k, &[slot]).await;
        if pay {
            hold_and_pay(&app, id, 10_000).await;
        }
        ids.push(id.to_string());
        app.clock.advance(Duration::minutes(1));
    }
    let cancelled = app
        .engine
        .commands
        .bookings
        .execute(
            &ids[2],
            holdfast_domain::booking::BookingCommand::CancelBooking {
                by: holdfast_domain::booking::CancelledBy::Guest,
                reason: holdfast_domain::booking::CancellationReason::GuestRequest,
            },
            std::collections::HashMap::new(),
        )
        .await
        .unwrap();
    let t = holdfast_engine::consistency::token(cancelled.position).unwrap();
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-01-09T00:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let list = |when: Option<&str>, cancelled: Option<bool>| {
        let (app, token, t) = (&app, &token, &t);
        let when = when.map(str::to_owned);
        async move {
            edge_ids(
                &app.ok(
                    Some(token),
                    MY_FILTERED,
                    json!({"when": when, "cancelled": cancelled, "t": t}),
                )
                .await["myBookings"],
            )
        }
    };
    let id = |i: usize| ids[i].clone();
    assert_eq!(list(None, None).await, [id(3), id(1), id(0)]);
    assert_eq!(list(Some("ANY"), Some(false)).await, [id(3), id(1), id(0)]);
    assert_eq!(list(Some("UPCOMING"), None).await, [id(3), id(1)]);
    assert_eq!(list(Some("PAST"), None).await, [id(0)]);
    assert_eq!(list(None, Some(true)).await, [id(3), id(2), id(1), id(0)]);
    assert_eq!(
        list(Some("UPCOMING"), Some(true)).await,
        [id(3), id(2), id(1)]
    );

    // One a page: each listed booking exactly once, the cancelled one skipped.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..5 {
        let c = app
            .ok(
                Some(&token),
                MY_FILTERED,
                json!({"first": 1, "after": after, "t": t}),
            )
            .await["myBookings"]
            .clone();
        seen.extend(edge_ids(&c));
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, [id(3), id(1), id(0)]);
    let bad = app
        .graphql(Some(&token), MY_FILTERED, json!({"when": "SOON"}))
        .await;
    assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
}

#[tokio::test]
async fn booking_my_bookings_and_day_sheet_return_what_was_written() {
    let w = world().await;
    let app = &w.app;
    let t = &w.token;
    let paid = w.g1_bookings[0];

    let b = app
        .ok(
            Some(&w.g1),
            BOOKING,
            json!({"id": paid.to_string(), "t": t}),
        )
        .await["booking"]
        .clone();
    assert_eq!(b["id"], paid.to_string());
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(b["guestId"], w.g1_id.to_string());
    assert_eq!(b["tenantId"], w.tenant_a.to_string());
    assert_eq!(b["slots"], json!(["2030-02-10", "2030-02-11"]));
    assert_eq!(
        (b["partySize"].as_u64(), b["quantity"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        b["totals"]["subtotal"],
        json!({"amountMinor": 20_000, "currency": "KRW"})
    );
    assert_eq!(b["totals"]["discount"]["amountMinor"], 0);
    assert_eq!(b["totals"]["total"]["amountMinor"], 20_000);
    assert_eq!(
        b["totalPaid"],
        json!({"amountMinor": 20_000, "currency": "KRW"})
    );
    assert_eq!(b["lastPayment"]["provider"], "stripe");
    assert!(b["confirmedAt"].is_string() && b["createdAt"].is_string());
    let requested = app
        .ok(
            Some(&w.g1),
            BOOKING,
            json!({"id": w.g1_bookings[1].to_string(), "t": t}),
        )
        .await["booking"]
        .clone();
    assert_eq!(requested["status"], "REQUESTED");
    assert_eq!(requested["totalPaid"], Value::Null);

    // Guest 1's five bookings, two a page, newest first, each exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let c = app
            .ok(
                Some(&w.g1),
                MY_BOOKINGS,
                json!({"first": 2, "after": after, "t": t}),
            )
            .await["myBookings"]
            .clone();
        let page = edge_ids(&c);
        pages.push(page.len());
        seen.extend(page);
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages.len() < 6, "pagination does not end");
    }
    let newest_first: Vec<String> = w
        .g1_bookings
        .iter()
        .rev()
        .map(ToString::to_string)
        .collect();
    assert_eq!(pages, [2, 2, 1]);
    assert_eq!(seen, newest_first);
    // The default page holds them all; guest 2 sees only their two.
    let c = app.ok(Some(&w.g1), MY_BOOKINGS, json!({"t": t})).await["myBookings"].clone();
    assert_eq!(edge_ids(&c), newest_first);
    let c = app.ok(Some(&w.g2), MY_BOOKINGS, json!({"t": t})).await["myBookings"].clone();
    assert_eq!(edge_ids(&c).len(), 2);
    assert!(edge_ids(&c).contains(&w.g2_booking.to_string()));

    // Tenant A's day sheet of the 10th: its six bookings (not tenant B's), in slot order.
    let sheet = app
        .ok(
            Some(&w.op_a),
            DAY_SHEET,
            json!({"tenant": w.tenant_a.to_string(), "date": "2030-02-10", "t": t}),
        )
        .await["daySheet"]
        .clone();
    let sheet = sheet.as_array().unwrap();
    assert_eq!(sheet.len(), 6);
    let mut expected: Vec<String> = w.g1_bookings.iter().map(ToString::to_string).collect();
    expected.push(w.g2_booking.to_string());
    let mut got: Vec<String> = sheet
        .iter()
        .map(|e| e["bookingId"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert!(
        sheet
            .iter()
            .all(|e| e["firstSlot"] == "2030-02-10" && e["partySize"] == 2)
    );
    let confirmed = sheet.iter().filter(|e| e["status"] == "CONFIRMED").count();
    assert_eq!(confirmed, 1);
    let other_day = app
        .ok(
            Some(&w.op_a),
            DAY_SHEET,
            json!({"tenant": w.tenant_a.to_string(), "date": "2030-02-11", "t": t}),
        )
        .await;
    assert_eq!(other_day["daySheet"], json!([]));
}

#[tokio::test]
async fn a_query_given_a_token_sees_the_write_it_names() {
    let app = spawn_app().await;
    let (tenant, _) = operator();
    let (guest_id, g) = guest();
    let (id, t) = request_booking(&app, keys(tenant, &guest_id.to_string()), &["2030-03-01"]).await;
    let b = app
        .ok(Some(&g), BOOKING, json!({"id": id.to_string(), "t": t}))
        .await;
    assert_eq!(b["booking"]["status"], "REQUESTED");
    let t = hold_and_pay(&app, id, 10_000).await;
    let b = app
        .ok(Some(&g), BOOKING, json!({"id": id.to_string(), "t": t}))
        .await;
    assert_eq!(b["booking"]["status"], "CONFIRMED");
    assert_eq!(b["booking"]["totalPaid"]["amountMinor"], 10_000);
    let c = app.ok(Some(&g), MY_BOOKINGS, json!({"t": t})).await;
    assert_eq!(edge_ids(&c["myBookings"]), [id.to_string()]);
}

#[tokio::test]
async fn booking_queries_authorisation_matrix() {
    let w = world().await;
    let app = &w.app;
    let t = &w.token;
    let adm = admin();
    let paid = w.g1_bookings[0].to_string();
    let callers: [(&str, Option<&str>); 6] = [
        ("anonymous", None),
        ("guest", Some(&w.g1)),
        ("other guest", Some(&w.g2)),
        ("operator A", Some(&w.op_a)),
        ("operator B", Some(&w.op_b)),
        ("admin", Some(&adm)),
    ];
    for (who, token) in callers {
        let booking = app
            .graphql(token, BOOKING, json!({"id": paid, "t": t}))
            .await;
        let mine = app.graphql(token, MY_BOOKINGS, json!({"t": t})).await;
        let sheet = app
            .graphql(
                token,
                DAY_SHEET,
                json!({"tenant": w.tenant_a.to_string(), "date": "2030-02-10", "t": t}),
            )
            .await;
        let outcome = |r: &Value, field: &str| match error_code(r) {
            Some(code) => code.to_owned(),
            None => {
                assert!(!r["data"][field].is_null(), "{who}: {r}");
                "data".to_owned()
            }
        };
        let got = [
            outcome(&booking, "booking"),
            outcome(&mine, "myBookings"),
            outcome(&sheet, "daySheet"),
        ];
        let expected = match who {
            "anonymous" => ["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"],
            "guest" => ["data", "data", "FORBIDDEN"],
            "other guest" => ["NOT_FOUND", "data", "FORBIDDEN"],
            "operator A" => ["data", "FORBIDDEN", "data"],
            "operator B" => ["NOT_FOUND", "FORBIDDEN", "FORBIDDEN"],
            "admin" => ["data", "FORBIDDEN", "data"],
            _ => unreachable!(),
        };
        assert_eq!(got, expected, "{who}");
    }
    // Unknown and malformed ids, page sizes.
    let r = app
        .graphql(
            Some(&adm),
            BOOKING,
            json!({"id": BookingId::new().to_string(), "t": t}),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"));
    let r = app
        .graphql(Some(&adm), BOOKING, json!({"id": "BK-1", "t": t}))
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"));
    let r = app
        .graphql(
            Some(&adm),
            DAY_SHEET,
            json!({"tenant": "acme", "date": "2030-02-10"}),
        )
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"));
    for first in [0, 101] {
        let r = app
            .graphql(Some(&w.g1), MY_BOOKINGS, json!({"first": first, "t": t}))
            .await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "first: {first}");
    }
    let r = app
        .graphql(
            Some(&w.g1),
            MY_BOOKINGS,
            json!({"after": "nonsense", "t": t}),
        )
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"));
}

const BETWEEN: &str = "query($tenant: ID!, $from: Date!, $to: Date!, $status: [BookingStatus!],
    $inventory: ID, $guest: ID, $first: Int, $after: String, $t: String) {
  bookingsBetween(tenantId: $tenant, from: $from, to: $to, status: $status,
                  inventoryId: $inventory, guestId: $guest, first: $first, after: $after,
                  consistencyToken: $t) {
    edges { cursor node { bookingId status firstSlot guestId startsAt endsAt } }
    pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn an_operator_lists_bookings_over_dates_filtered_and_downloads_them_as_csv() {
    let w = world().await;
    let app = &w.app;
    let tenant = w.tenant_a.to_string();
    let between = |token: &str, vars: Value| {
        let mut vars = vars;
        vars["t"] = json!(w.token);
        let token = token.to_owned();
        async move { app.graphql(Some(&token), BETWEEN, vars).await }
    };
    let ids = |r: &Value| -> Vec<String> {
        r["data"]["bookingsBetween"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|e| e["node"]["bookingId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12"}),
    )
    .await;
    let listed = ids(&all);
    // Tenant A's six, as the day sheet of the 10th orders them; not tenant B's.
    let sheet = app
        .ok(
            Some(&w.op_a),
            DAY_SHEET,
            json!({"tenant": tenant, "date": "2030-02-10", "t": w.token}),
        )
        .await["daySheet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["bookingId"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(listed, sheet);
    assert_eq!(listed.len(), 6);
    let first = &all["data"]["bookingsBetween"]["edges"][0]["node"];
    assert!(
        first["startsAt"].is_string() && first["endsAt"].is_string(),
        "{first}"
    );
    // Four a page: each once.
    let page = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12", "first": 4}),
    )
    .await;
    assert_eq!(
        page["data"]["bookingsBetween"]["pageInfo"]["hasNextPage"],
        true
    );
    let after = page["data"]["bookingsBetween"]["pageInfo"]["endCursor"].clone();
    let rest = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12", "first": 4,
               "after": after}),
    )
    .await;
    assert_eq!(
        rest["data"]["bookingsBetween"]["pageInfo"]["hasNextPage"],
        false
    );
    assert_eq!([ids(&page), ids(&rest)].concat(), listed);
    // Filters.
    let confirmed = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12",
               "status": ["CONFIRMED"]}),
    )
    .await;
    assert_eq!(ids(&confirmed), [w.g1_bookings[0].to_string()]);
    let theirs = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12",
               "guest": w.g1_id.to_string(), "status": ["REQUESTED"]}),
    )
    .await;
    assert_eq!(ids(&theirs).len(), 4);
    let elsewhere = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12",
               "inventory": InventoryId::new().to_string()}),
    )
    .await;
    assert!(ids(&elsewhere).is_empty());
    // The two-night booking is listed on its first date only.
    let later = between(
        &w.op_a,
        json!({"tenant": tenant, "from": "2030-02-11", "to": "2030-02-12"}),
    )
    .await;
    assert!(ids(&later).is_empty());
    // Bad ranges and cursors; other people.
    for vars in [
        json!({"tenant": tenant, "from": "2030-02-12", "to": "2030-02-09"}),
        json!({"tenant": tenant, "from": "2030-01-01", "to": "2030-06-01"}),
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12", "after": "r1:2031-01-01|x"}),
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12", "after": "nonsense"}),
        json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12", "guest": "nope"}),
    ] {
        let r = between(&w.op_a, vars.clone()).await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{vars}: {r}");
    }
    for who in [&w.op_b, &w.g1] {
        let r = between(
            who,
            json!({"tenant": tenant, "from": "2030-02-09", "to": "2030-02-12"}),
        )
        .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"));
    }

    // The same as CSV.
    let csv = |token: Option<&str>, query: String| {
        let mut request = app
            .http
            .get(format!("{}/operator/bookings.csv?{query}", app.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, kind, response.text().await.unwrap())
        }
    };
    let range = format!("tenantId={tenant}&from=2030-02-09&to=2030-02-12");
    let (status, kind, body) = csv(Some(&w.op_a), range.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
    let body = body.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "booking_id",
            "status",
            "first_slot",
            "slots",
            "starts_at",
            "ends_at",
            "party_size",
            "quantity",
            "listing_id",
            "inventory_id",
            "guest_id",
            "guest_name",
            "guest_phone",
            "guest_email"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>(),
        listed
    );
    let paid = rows
        .iter()
        .find(|r| r[0] == w.g1_bookings[0].to_string())
        .unwrap();
    assert_eq!(&paid[1], "CONFIRMED");
    assert_eq!(&paid[3], "2030-02-10 2030-02-11");
    assert_eq!(&paid[6], "2");
    let (_, _, only) = csv(
        Some(&w.op_a),
        format!("{range}&status=CONFIRMED,CHECKED_IN"),
    )
    .await;
    assert_eq!(only.lines().count(), 2, "{only}");
    assert_eq!(csv(Some(&w.op_b), range.clone()).await.0, 403);
    assert_eq!(csv(None, range.clone()).await.0, 401);
    assert_eq!(
        csv(
            Some(&w.op_a),
            format!("tenantId={tenant}&from=x&to=2030-02-12")
        )
        .await
        .0,
        400
    );
    assert_eq!(
        csv(Some(&w.op_a), format!("{range}&status=SOON")).await.0,
        400
    );
    assert_eq!(csv(Some(&w.op_a), "from=2030-02-09".into()).await.0, 400);
}

#[tokio::test]
async fn an_operator_lists_bookings_by_when_they_were_made() {
    let w = world().await;
    let app = &w.app;
    let tenant = w.tenant_a.to_string();
    let (op, token) = (&w.op_a, &w.token);
    let made = |vars: Value| {
        let mut vars = vars;
        vars["t"] = json!(token);
        vars["tenant"] = json!(tenant);
        async move {
            app.graphql(
                Some(op),
                "query($tenant: ID!, $from: Date!, $to: Date!, $status: [BookingStatus!],
                   $first: Int, $after: String, $t: String) {
                  bookingsBetween(tenantId: $tenant, from: $from, to: $to, status: $status,
                    by: CREATED, first: $first, after: $after, consistencyToken: $t) {
                    edges { cursor node { bookingId status } }
                    pageInfo { hasNextPage endCursor } } }",
                vars,
            )
            .await
        }
    };
    let ids = |r: &Value| -> Vec<String> {
        r["data"]["bookingsBetween"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|e| e["node"]["bookingId"].as_str().unwrap().to_owned())
            .collect()
    };
    // Made on 7 January: guest 1's five, oldest first, and guest 2's (not tenant B's).
    let all = ids(&made(json!({"from": "2030-01-07", "to": "2030-01-07"})).await);
    assert_eq!(all.len(), 6, "{all:?}");
    let g1: Vec<String> = w.g1_bookings.iter().map(ToString::to_string).collect();
    assert_eq!(
        all.iter()
            .filter(|id| g1.contains(id))
            .cloned()
            .collect::<Vec<_>>(),
        g1,
        "oldest first"
    );
    assert!(all.contains(&w.g2_booking.to_string()));
    // Four a page, then the rest: each once; the status filter reads today's status.
    let page = made(json!({"from": "2030-01-07", "to": "2030-01-07", "first": 4})).await;
    assert_eq!(
        page["data"]["bookingsBetween"]["pageInfo"]["hasNextPage"],
        true
    );
    let after = page["data"]["bookingsBetween"]["pageInfo"]["endCursor"].clone();
    let rest =
        made(json!({"from": "2030-01-07", "to": "2030-01-07", "first": 4, "after": after})).await;
    assert_eq!([ids(&page), ids(&rest)].concat(), all);
    let confirmed = made(json!({"from": "2030-01-06", "to": "2030-01-08",
                                "status": ["CONFIRMED"]}))
    .await;
    assert_eq!(ids(&confirmed), [w.g1_bookings[0].to_string()]);
    assert!(ids(&made(json!({"from": "2030-01-08", "to": "2030-01-09"})).await).is_empty());
    let bad =
        made(json!({"from": "2030-01-07", "to": "2030-01-07", "after": "c1:2031-01-01|x"})).await;
    assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
}
