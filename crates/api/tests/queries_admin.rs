//! `eventHistory` (admins only, for every aggregate type and principal) and the read side's alias cache across a blue-green rebuild,
//! over HTTP on the real server.

mod queries_support;
mod support;

use holdfast_domain::common::{BookingId, InventoryId, ListingId};
use holdfast_engine::Engine;
use holdfast_projections::store::Table;
use queries_support::*;
use serde_json::{Value, json};
use support::{
    TestApp, admin, error_code, guest, hostile_tokens, operator, serve, spawn_app,
    spawn_embedded_app,
};

const HISTORY: &str = "query($type: AggregateType!, $id: ID!, $first: Int, $after: String) {
  eventHistory(aggregateType: $type, aggregateId: $id, first: $first, after: $after) {
    edges { cursor node { position sequence eventType eventVersion payload metadata recordedAt } }
    pageInfo { hasNextPage endCursor } } }";

const AVAILABILITY: &str = "query($inv: ID!, $t: String) {
  availability(inventoryId: $inv, from: \"2030-02-01\", to: \"2030-02-03\", consistencyToken: $t) {
    slot available } }";

fn keys(
    tenant: holdfast_domain::common::TenantId,
    guest: holdfast_domain::common::GuestId,
) -> BookingKeys {
    BookingKeys {
        tenant,
        listing: ListingId::new(),
        inventory: InventoryId::new(),
        guest,
    }
}

#[tokio::test]
async fn event_history_is_the_aggregates_stream_for_admins_only() {
    let app = spawn_app().await;
    let (tenant, op) = operator();
    let (guest_id, g) = guest();
    let adm = admin();
    let (booking, _) = request_booking(&app, keys(tenant, guest_id), &["2030-02-10"]).await;
    hold_and_pay(&app, booking, 10_000).await;
    let vars = json!({"type": "BOOKING", "id": booking.to_string()});

    let all = app.ok(Some(&adm), HISTORY, vars.clone()).await["eventHistory"].clone();
    let nodes: Vec<&Value> = all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let types: Vec<&str> = nodes
        .iter()
        .map(|n| n["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "BookingRequested",
            "BookingHeld",
            "BookingPaymentReceived",
            "BookingConfirmed"
        ]
    );
    let sequences: Vec<u64> = nodes
        .iter()
        .map(|n| n["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    assert_eq!(all["pageInfo"]["hasNextPage"], false);
    let first = nodes[0];
    assert_eq!(first["eventVersion"], "1.0");
    assert!(first["payload"].is_object(), "{first}");
    assert!(first["payload"].to_string().contains(&booking.to_string()));
    assert!(first["metadata"].is_object());
    assert!(first["position"].as_str().unwrap().contains('.'));
    // Positions grow along the stream.
    let positions: Vec<(u64, u64)> = nodes
        .iter()
        .map(|n| {
            let (tx, i) = n["position"].as_str().unwrap().split_once('.').unwrap();
            (tx.parse().unwrap(), i.parse().unwrap())
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));

    // Pages of three: every event exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut v = vars.clone();
        v["first"] = json!(3);
        v["after"] = json!(after);
        let page = app.ok(Some(&adm), HISTORY, v).await["eventHistory"].clone();
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["sequence"].as_u64().unwrap()),
        );
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= 4, "pagination does not end");
    }
    assert_eq!(seen, [1, 2, 3, 4]);

    // Unknown aggregate: empty. Other callers: refused.
    let none = app
        .ok(
            Some(&adm),
            HISTORY,
            json!({"type": "BOOKING", "id": BookingId::new().to_string()}),
        )
        .await;
    assert_eq!(none["eventHistory"]["edges"], json!([]));
    let (_, op_b) = operator();
    let (_, g2) = guest();
    for (who, token, code) in [
        ("anonymous", None, "UNAUTHENTICATED"),
        ("guest", Some(g.as_str()), "FORBIDDEN"),
        ("other guest", Some(g2.as_str()), "FORBIDDEN"),
        ("operator A", Some(op.as_str()), "FORBIDDEN"),
        ("operator B", Some(op_b.as_str()), "FORBIDDEN"),
    ] {
        let r = app.graphql(token, HISTORY, vars.clone()).await;
        assert_eq!(error_code(&r), Some(code), "{who}: {r}");
        assert_eq!(r["data"], Value::Null, "{who}");
    }
    for bad in [
        json!({"type": "BOOKING", "id": "not-a-ulid"}),
        json!({"type": "BOOKING", "id": booking.to_string(), "first": 101}),
        json!({"type": "BOOKING", "id": booking.to_string(), "after": "x"}),
    ] {
        let r = app.graphql(Some(&adm), HISTORY, bad.clone()).await;
        assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{bad}: {r}");
    }
}

/// The authorization matrix of `eventHistory` for every aggregate type: the stream of a
/// listing, an inventory, a booking and a coupon campaign of tenant A is for admins only —
/// anonymous callers and bad tokens (expired, `alg: none`) are `UNAUTHENTICATED`; the
/// booking's guest, another guest, A's own operator and B's operator are `FORBIDDEN`, with no
/// data. An admin reads each stream, and only that aggregate type's events.
#[tokio::test]
async fn event_history_of_every_aggregate_type_is_for_admins_only() {
    let app = spawn_app().await;
    let (tenant, own_operator) = operator();
    let (guest_id, own_guest) = guest();
    let (listing, _) = create_listing(&app, NewListing::restaurant(tenant, "Bar"), true).await;
    let (inventory, _) = define_inventory(&app, tenant, listing, "2030-02-01", 3, 5).await;
    let (booking, _) = request_booking(&app, keys(tenant, guest_id), &["2030-02-10"]).await;
    let (campaign, _) = create_campaign(&app, tenant, "SPRING", 5).await;
    claim(&app, campaign, guest_id).await;
    let streams = [
        ("LISTING", listing.to_string(), "Listing"),
        ("INVENTORY", inventory.to_string(), "Inventory"),
        ("BOOKING", booking.to_string(), "Booking"),
        ("COUPON", campaign.to_string(), "Coupon"),
    ];
    let (_, other_guest) = guest();
    let (_, other_operator) = operator();
    let refused = [
        ("anonymous", None, "UNAUTHENTICATED"),
        (
            "expired admin token",
            Some(hostile_tokens::expired()),
            "UNAUTHENTICATED",
        ),
        (
            "alg: none admin token",
            Some(hostile_tokens::alg_none()),
            "UNAUTHENTICATED",
        ),
        ("its guest", Some(own_guest), "FORBIDDEN"),
        ("another guest", Some(other_guest), "FORBIDDEN"),
        ("its tenant's operator", Some(own_operator), "FORBIDDEN"),
        (
            "another tenant's operator",
            Some(other_operator),
            "FORBIDDEN",
        ),
    ];
    for (aggregate_type, id, prefix) in &streams {
        let vars = json!({"type": aggregate_type, "id": id});
        for (who, token, code) in &refused {
            let r = app.graphql(token.as_deref(), HISTORY, vars.clone()).await;
            assert_eq!(error_code(&r), Some(*code), "{aggregate_type}, {who}: {r}");
            assert_eq!(r["data"], Value::Null, "{aggregate_type}, {who}");
        }
        let page = app.ok(Some(&admin()), HISTORY, vars).await["eventHistory"].clone();
        let types: Vec<&str> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["eventType"].as_str().unwrap())
            .collect();
        assert!(!types.is_empty(), "{aggregate_type}");
        assert!(
            types.iter().all(|t| t.starts_with(prefix)),
            "{aggregate_type}: {types:?}"
        );
    }
    // An id under another aggregate type names nothing.
    let crossed = app
        .ok(
            Some(&admin()),
            HISTORY,
            json!({"type": "LISTING", "id": booking.to_string()}),
        )
        .await;
    assert_eq!(crossed["eventHistory"]["edges"], json!([]));
}

#[tokio::test]
async fn event_history_reads_the_embedded_sqlite_store_too() {
    let app = spawn_embedded_app().await;
    let (tenant, _) = operator();
    let (guest_id, _) = guest();
    let (booking, _) = request_booking(&app, keys(tenant, guest_id), &["2030-02-10"]).await;
    hold_and_pay(&app, booking, 10_000).await;
    let vars = json!({"type": "BOOKING", "id": booking.to_string(), "first": 3});
    let page = app.ok(Some(&admin()), HISTORY, vars).await["eventHistory"].clone();
    let sequences: Vec<u64> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 3]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["endCursor"], "3");
}

/// A second server on the same state without in-process projectors: an API-only node, whose
/// alias cache can only learn of a switch from the store.
async fn api_only_node(app: &TestApp) -> String {
    let engine = Engine::assemble(
        app.engine.store.clone(),
        app.engine.read_side.clone(),
        None,
        app.engine.services.clone(),
        None,
    );
    serve(engine, app.clock.clone(), None).await.base
}

#[tokio::test]
async fn reads_follow_a_rebuild_switch_at_once() {
    let app = spawn_app().await;
    let other = api_only_node(&app).await;
    let (tenant, _) = operator();
    let (listing, _) = create_listing(&app, NewListing::restaurant(tenant, "Bar"), true).await;
    let (inventory, _) = define_inventory(&app, tenant, listing, "2030-02-01", 3, 5).await;
    let t = hold(&app, inventory, &["2030-02-02"], 2, false).await;
    let available = |data: &Value| -> Vec<u64> {
        data["availability"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["available"].as_u64().unwrap())
            .collect()
    };
    let vars = json!({"inv": inventory.to_string(), "t": t});
    let ask_other = |vars: Value| {
        let http = app.http.clone();
        let url = format!("{other}/graphql");
        async move {
            let r: Value = http
                .post(url)
                .json(&json!({"query": AVAILABILITY, "variables": vars}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(r.get("errors").is_none(), "{r}");
            r["data"].clone()
        }
    };
    // Both nodes read (and cache) generation 1.
    assert_eq!(
        available(&app.ok(None, AVAILABILITY, vars.clone()).await),
        [5, 3, 5]
    );
    assert_eq!(available(&ask_other(vars.clone()).await), [5, 3, 5]);
    let before = app
        .engine
        .read_side
        .store()
        .alias(Table::Calendar)
        .await
        .unwrap();

    let runtime = app.engine.projections.clone().unwrap();
    let report = runtime.rebuild(Table::Calendar, |_| {}).await.unwrap();
    assert_eq!(Some(report.generation), before.map(|g| g + 1));
    assert_eq!(report.dropped, before.into_iter().collect::<Vec<_>>());

    // Right after the switch, with and without a token, both nodes read the new generation:
    // the projector node because its projector moved with the switch, the API-only node
    // because its cached entry expired or names a dropped generation, and it re-reads the
    // alias either way.
    assert_eq!(
        available(&app.ok(None, AVAILABILITY, vars.clone()).await),
        [5, 3, 5]
    );
    let no_token = json!({"inv": inventory.to_string()});
    assert_eq!(
        available(&app.ok(None, AVAILABILITY, no_token.clone()).await),
        [5, 3, 5]
    );
    assert_eq!(available(&ask_other(no_token).await), [5, 3, 5]);
    // And a new write is read through its token on both.
    let t = hold(&app, inventory, &["2030-02-03"], 5, true).await;
    let vars = json!({"inv": inventory.to_string(), "t": t});
    assert_eq!(
        available(&app.ok(None, AVAILABILITY, vars.clone()).await),
        [5, 3, 0]
    );
    assert_eq!(available(&ask_other(vars).await), [5, 3, 0]);
}
