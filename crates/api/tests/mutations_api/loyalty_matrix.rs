//! The isolation matrix of points and availability watches: every principal — anonymous, bad
//! tokens, the guest, another guest, the business's operator, another business's operator, an
//! admin — against every new field. Refusals carry their code and no data.

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{admin, error_code, guest, hostile_tokens, operator, spawn_app};

const ACCOUNT: &str =
    "query($t: ID!, $g: ID) { pointsAccount(tenantId: $t, guestId: $g) { balance } }";
const SET: &str = "mutation($key: String!, $t: ID!) {
  setPointsProgram(idempotencyKey: $key, tenantId: $t, terms: {earnBp: 300, expireDays: 90}) { program { earnBp } } }";
const ADJUST: &str = "mutation($key: String!, $t: ID!, $g: ID!) {
  adjustPoints(idempotencyKey: $key, input: {tenantId: $t, guestId: $g, points: 10, reason: \"gift\"}) { balance } }";
const STOP: &str = "mutation($key: String!, $id: ID!) { stopWatching(idempotencyKey: $key, watchId: $id) { status } }";
const MINE: &str = "{ myWatches { watchId } }";

#[tokio::test]
async fn points_and_watches_are_each_principals_own() {
    let app = spawn_app().await;
    let (tenant, own_operator) = onboarded_operator(&app).await;
    let (guest_id, own_guest) = guest();
    // A sold-out ticket, watched by the guest.
    let (listing, inventory) = event_venue(&app, &own_operator, 1).await;
    let (_, buyer) = guest();
    app.ok(
        Some(&buyer),
        PLACE_BOOKING,
        json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                                       "eventDate": "2030-02-01", "partySize": 1}}),
    )
    .await;
    let watch = app
        .ok(
            Some(&own_guest),
            "mutation($key: String!, $input: WatchAvailabilityInput!) { watchAvailability(idempotencyKey: $key, input: $input) { watchId } }",
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                                           "eventDate": "2030-02-01", "partySize": 1}}),
        )
        .await["watchAvailability"]["watchId"]
        .clone();

    let (_, other_guest) = guest();
    let (_, other_operator) = operator();
    let who: [(&str, Option<String>); 8] = [
        ("anonymous", None),
        ("expired token", Some(hostile_tokens::expired())),
        ("alg: none token", Some(hostile_tokens::alg_none())),
        ("the guest", Some(own_guest.clone())),
        ("another guest", Some(other_guest)),
        ("the business's operator", Some(own_operator.clone())),
        ("another business's operator", Some(other_operator)),
        ("an admin", Some(admin())),
    ];
    // (field, document, variables, the expected outcome per principal: None = allowed).
    let t = tenant.to_string();
    let g = guest_id.to_string();
    let cases: [(&str, &str, Value, [Option<&str>; 8]); 5] = [
        (
            "pointsAccount",
            ACCOUNT,
            json!({"t": t, "g": g}),
            [
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                None,
                Some("FORBIDDEN"),
                None,
                Some("FORBIDDEN"),
                None,
            ],
        ),
        (
            "setPointsProgram",
            SET,
            json!({"t": t}),
            [
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
                None,
                Some("FORBIDDEN"),
                None,
            ],
        ),
        (
            "adjustPoints",
            ADJUST,
            json!({"t": t, "g": g}),
            [
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
                None,
                Some("FORBIDDEN"),
                None,
            ],
        ),
        (
            "myWatches",
            MINE,
            json!({}),
            [
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                None,
                None,
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
            ],
        ),
        (
            "stopWatching",
            STOP,
            json!({"id": watch}),
            // Another guest is told the watch does not exist (its existence is not revealed);
            // the guest's own stop is last, so every refusal is tried on a live watch.
            [
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                Some("UNAUTHENTICATED"),
                None,
                Some("NOT_FOUND"),
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
                Some("FORBIDDEN"),
            ],
        ),
    ];
    for (field, document, variables, expected) in cases {
        // The guest's own stop last.
        let mut order: Vec<usize> = (0..8).collect();
        if field == "stopWatching" {
            order.retain(|i| *i != 3);
            order.push(3);
        }
        for i in order {
            let (name, token) = &who[i];
            let mut vars = variables.clone();
            vars["key"] = json!(key());
            let r = app.graphql(token.as_deref(), document, vars).await;
            match expected[i] {
                Some(code) => {
                    assert_eq!(error_code(&r), Some(code), "{field}, {name}: {r}");
                    assert_eq!(r["data"], Value::Null, "{field}, {name}: {r}");
                }
                None => assert!(r.get("errors").is_none(), "{field}, {name}: {r}"),
            }
        }
    }
    // Another guest's list holds nothing of the guest's.
    let (_, stranger) = guest();
    let theirs = app.ok(Some(&stranger), MINE, json!({})).await;
    assert_eq!(theirs["myWatches"], json!([]));
    let mine = app.ok(Some(&own_guest), MINE, json!({})).await;
    assert_eq!(mine["myWatches"][0]["watchId"], watch);
}
