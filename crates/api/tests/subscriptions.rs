//! Subscriptions over graphql-ws on the real server (Postgres + DynamoDB Local + projectors):
//! availability changes arrive within a second of a hold; a booking's guest and operators see
//! each of its status changes and nobody else can subscribe; the token travels in the
//! connection-init payload and a bad one refuses the connection.

mod http_ws_client;
mod support;

use chrono::Duration as Span;
use holdfast_domain::booking::{
    BookingCommand, Label, PartySize, PricedLine, Quantity, RequestBooking,
};
use holdfast_domain::common::{
    BookingId, CancellationPolicy, DateRange, GuestId, InventoryId, ListingId, Slot, TenantId,
};
use holdfast_domain::inventory::{InventoryCommand, SlotSelection};
use http_ws_client::{AVAILABILITY, Protocol, Refused, Ws, date, eur, hold, inventory, slot_json};
use serde_json::{Value, json};
use std::collections::HashMap;

use support::{TestApp, admin, guest, hostile_tokens, operator, spawn_app, start_instant};

const BOOKING: &str = "subscription($id: ID!) {
  bookingChanged(id: $id) {
    kind id status event updatedAt consistencyToken
    totals { subtotalMinor discountMinor totalMinor currency }
  }
}";

#[tokio::test]
async fn availability_changed_shows_the_range_then_each_change_inside_it() {
    let app = spawn_app().await;
    let inventory = inventory(&app, TenantId::new()).await;
    let mut ws = Ws::connect(&app, Protocol::Legacy, json!({}))
        .await
        .unwrap();
    let vars = json!({"id": inventory.to_string(), "from": "2030-03-02", "to": "2030-03-04"});
    ws.subscribe("1", AVAILABILITY, vars).await;
    let snapshot = ws.next_data("availabilityChanged").await;
    assert_eq!(snapshot["kind"], "SNAPSHOT");
    assert_eq!(
        snapshot["days"],
        json!([slot_json(2, 0), slot_json(3, 0), slot_json(4, 0)])
    );

    // Outside the range: nothing; inside: the slot it touched.
    hold(&app, inventory, 9).await;
    hold(&app, inventory, 3).await;
    let change = ws.next_data("availabilityChanged").await;
    assert_eq!(change["kind"], "CHANGE");
    assert_eq!(change["days"], json!([slot_json(3, 1)]));

    // A change over the whole calendar shows only the watched slots.
    app.engine
        .commands
        .inventories
        .execute(
            &inventory.to_string(),
            InventoryCommand::SetCapacity {
                selection: SlotSelection::days(DateRange::new(date(1), date(10)).unwrap()),
                capacity: 60,
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    let change = ws.next_data("availabilityChanged").await;
    let capacities: Vec<_> = change["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["slot"].clone(),
                d["capacity"].clone(),
                d["available"].clone(),
            )
        })
        .collect();
    assert_eq!(
        capacities,
        [
            (json!("2030-03-02"), json!(60), json!(60)),
            (json!("2030-03-03"), json!(60), json!(59)),
            (json!("2030-03-04"), json!(60), json!(60)),
        ]
    );
    let tokens = [&snapshot, &change].map(|c| {
        c["consistencyToken"]
            .as_str()
            .unwrap()
            .parse::<holdfast_eventstore::Position>()
            .unwrap()
    });
    assert!(tokens[0] < tokens[1]);
}

#[tokio::test]
async fn availability_subscriptions_validate_their_arguments() {
    let app = spawn_app().await;
    let mut ws = Ws::connect(&app, Protocol::Transport, json!({}))
        .await
        .unwrap();
    let cases = [
        json!({"id": "not-an-id", "from": "2030-03-02", "to": "2030-03-04"}),
        json!({"id": InventoryId::new().to_string(), "from": "2030-03-04", "to": "2030-03-02"}),
        json!({"id": InventoryId::new().to_string(), "from": "2030-01-01", "to": "2031-01-02"}),
    ];
    for (i, vars) in cases.into_iter().enumerate() {
        ws.subscribe(&i.to_string(), AVAILABILITY, vars).await;
        assert_eq!(ws.next_error_code().await, "INVALID_INPUT");
    }
    // A well-formed id of no inventory.
    let unknown =
        json!({"id": InventoryId::new().to_string(), "from": "2030-03-02", "to": "2030-03-04"});
    ws.subscribe("unknown", AVAILABILITY, unknown).await;
    assert_eq!(ws.next_error_code().await, "NOT_FOUND");
}

/// A requested booking of `guest` at `tenant` for March 2nd and 3rd, 2030 (2 × 120.00 EUR).
async fn requested_booking(app: &TestApp, tenant: TenantId, guest: GuestId) -> BookingId {
    let id = BookingId::new();
    let slots = vec![Slot::day(date(2)), Slot::day(date(3))];
    let lines = slots
        .iter()
        .map(|slot| PricedLine {
            slot: *slot,
            unit_price: eur(12_000),
            quantity: Quantity::parse(1).unwrap(),
            amount: eur(12_000),
        })
        .collect();
    let request = RequestBooking {
        booking_id: id,
        tenant_id: tenant,
        listing_id: ListingId::new(),
        inventory_id: InventoryId::new(),
        guest_id: guest,
        party_size: PartySize::parse(2).unwrap(),
        quantity: Quantity::parse(1).unwrap(),
        slots,
        lines,
        starts_at: start_instant() + Span::days(53),
        ends_at: start_instant() + Span::days(55),
        cancellation: CancellationPolicy::non_refundable(),
    };
    booking(app, id, BookingCommand::RequestBooking(request)).await;
    id
}

async fn booking(app: &TestApp, id: BookingId, command: BookingCommand) {
    app.engine
        .commands
        .bookings
        .execute(&id.to_string(), command, HashMap::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn booking_changed_delivers_each_status_change_to_its_guest_and_operator() {
    let app = spawn_app().await;
    let (tenant, operator_token) = operator();
    let (guest_id, guest_token) = guest();
    let id = requested_booking(&app, tenant, guest_id).await;

    // The guest on graphql-transport-ws (header-style payload), the operator on the legacy
    // graphql-ws protocol (bare token).
    let mut as_guest = Ws::connect(
        &app,
        Protocol::Transport,
        json!({"Authorization": format!("Bearer {guest_token}")}),
    )
    .await
    .unwrap();
    let mut as_operator = Ws::connect(&app, Protocol::Legacy, json!({"token": operator_token}))
        .await
        .unwrap();
    for ws in [&mut as_guest, &mut as_operator] {
        ws.subscribe("b", BOOKING, json!({"id": id.to_string()}))
            .await;
        let snapshot = ws.next_data("bookingChanged").await;
        assert_eq!(snapshot["kind"], "SNAPSHOT");
        assert_eq!(snapshot["id"], id.to_string());
        assert_eq!(snapshot["status"], "REQUESTED");
        assert_eq!(snapshot["updatedAt"], Value::Null);
        assert_eq!(snapshot["event"], Value::Null);
        assert_eq!(
            snapshot["totals"],
            json!({"subtotalMinor": 24_000, "discountMinor": 0, "totalMinor": 24_000, "currency": "EUR"})
        );
    }

    booking(
        &app,
        id,
        BookingCommand::MarkHeld {
            hold_expires_at: start_instant() + Span::minutes(15),
        },
    )
    .await;
    booking(
        &app,
        id,
        BookingCommand::ConfirmPayment {
            provider: Label::parse("test-psp").unwrap(),
            reference: Label::parse("pay-1").unwrap(),
            amount: eur(24_000),
            paid_at: start_instant(),
        },
    )
    .await;

    // MarkHeld emits one event, ConfirmPayment two (payment received, then confirmed): each
    // is a change, in log order, with the status as of that event.
    for ws in [&mut as_guest, &mut as_operator] {
        let mut steps = Vec::new();
        let mut tokens = Vec::new();
        for _ in 0..3 {
            let change = ws.next_data("bookingChanged").await;
            assert_eq!(change["kind"], "CHANGE");
            assert!(change["updatedAt"].is_string(), "{change}");
            steps.push((
                change["event"].as_str().unwrap().to_owned(),
                change["status"].as_str().unwrap().to_owned(),
            ));
            tokens.push(
                change["consistencyToken"]
                    .as_str()
                    .unwrap()
                    .parse::<holdfast_eventstore::Position>()
                    .unwrap(),
            );
        }
        let expected = [
            ("BookingHeld", "HELD"),
            ("BookingPaymentReceived", "HELD"),
            ("BookingConfirmed", "CONFIRMED"),
        ]
        .map(|(e, s)| (e.to_owned(), s.to_owned()));
        assert_eq!(steps, expected);
        assert!(tokens.windows(2).all(|w| w[0] < w[1]), "log order");
    }
}

/// The authorization matrix of subscriptions, every principal against both fields:
/// `bookingChanged` is for the booking's guest, its tenant's operators and admins (anyone
/// else is told `NOT_FOUND`, as the `booking` query does, so a booking's existence is not
/// revealed; anonymous is `UNAUTHENTICATED`); `availabilityChanged` is public, like the
/// `availability` query, for every principal and tenant.
#[tokio::test]
async fn booking_changed_is_only_for_the_guest_its_operators_and_admins() {
    let app = spawn_app().await;
    let (tenant, own_operator) = operator();
    let (guest_id, own_guest) = guest();
    let id = requested_booking(&app, tenant, guest_id).await;
    let vars = json!({"id": id.to_string()});
    let inventory = inventory(&app, tenant).await;
    let days = json!({"id": inventory.to_string(), "from": "2030-03-02", "to": "2030-03-02"});

    // The calendar read model may still be being built on a loaded machine (a retryable
    // `UNAVAILABLE`, after which a client resubscribes): wait for it once.
    let mut first = Ws::connect(&app, Protocol::Transport, json!({}))
        .await
        .unwrap();
    for attempt in 0.. {
        first
            .subscribe(&attempt.to_string(), AVAILABILITY, days.clone())
            .await;
        let payload = first.next_payload().await;
        if payload.get("errors").is_none() {
            break;
        }
        assert_eq!(
            payload["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{payload}"
        );
        assert!(attempt < 12, "the calendar read model was never built");
    }

    let (_, other_guest) = guest();
    let (_, other_operator) = operator();
    let matrix = [
        ("anonymous", None, Some("UNAUTHENTICATED")),
        ("its guest", Some(own_guest), None),
        ("another guest", Some(other_guest), Some("NOT_FOUND")),
        ("its operator", Some(own_operator), None),
        (
            "another tenant's operator",
            Some(other_operator),
            Some("NOT_FOUND"),
        ),
        ("an admin", Some(admin()), None),
    ];
    for (who, token, refused) in matrix {
        let payload = token.map_or(
            json!({}),
            |t| json!({"authorization": format!("Bearer {t}")}),
        );
        let mut ws = Ws::connect(&app, Protocol::Transport, payload)
            .await
            .unwrap();
        ws.subscribe("b", BOOKING, vars.clone()).await;
        match refused {
            Some(code) => assert_eq!(ws.next_error_code().await, code, "{who}"),
            None => {
                let snapshot = ws.next_data("bookingChanged").await;
                assert_eq!(snapshot["status"], "REQUESTED", "{who}");
                assert_eq!(snapshot["id"], id.to_string(), "{who}");
            }
        }
        ws.subscribe("a", AVAILABILITY, days.clone()).await;
        let snapshot = ws.next_data("availabilityChanged").await;
        assert_eq!(snapshot["days"], json!([slot_json(2, 0)]), "{who}");
    }

    let mut as_admin = Ws::connect(&app, Protocol::Transport, json!({"token": admin()}))
        .await
        .unwrap();
    as_admin
        .subscribe(
            "unknown",
            BOOKING,
            json!({"id": BookingId::new().to_string()}),
        )
        .await;
    assert_eq!(as_admin.next_error_code().await, "NOT_FOUND");
    as_admin
        .subscribe("malformed", BOOKING, json!({"id": "nope"}))
        .await;
    assert_eq!(as_admin.next_error_code().await, "INVALID_INPUT");
}

/// Every way a token can be wrong refuses the connection before any subscription, on both
/// protocols, with the reason: expired, signed
/// with another secret, `alg: none`, another algorithm in the header, claims that describe no
/// principal, and an oversized token.
#[tokio::test]
async fn every_kind_of_bad_token_refuses_the_connection() {
    let app = spawn_app().await;
    let cases = [
        (hostile_tokens::expired(), "token expired"),
        (
            hostile_tokens::other_secret(),
            "invalid token signature or algorithm",
        ),
        (hostile_tokens::alg_none(), "malformed token"),
        (
            hostile_tokens::alg_hs512(),
            "invalid token signature or algorithm",
        ),
        (
            hostile_tokens::operator_without_tenant(),
            "invalid token claims: an operator token needs a tenant",
        ),
        ("x".repeat(10_000), "malformed token"),
    ];
    for (token, reason) in cases {
        let payload = json!({"Authorization": format!("Bearer {token}")});
        match Ws::connect(&app, Protocol::Transport, payload.clone()).await {
            // async-graphql closes with 1002 and the message; it drops the error's
            // extensions, so the code travels in neither protocol's refusal.
            Err(Refused::Closed(Some((close, said)))) => {
                assert_eq!((u16::from(close), said.as_str()), (1002, reason));
            }
            Err(other) => panic!("{reason}: expected a close frame, got {other:?}"),
            Ok(_) => panic!("{reason}: acknowledged"),
        }
        match Ws::connect(&app, Protocol::Legacy, payload).await {
            Err(Refused::ConnectionError(message)) => {
                assert_eq!(message["payload"]["message"], reason);
            }
            Err(other) => panic!("{reason}: expected connection_error, got {other:?}"),
            Ok(_) => panic!("{reason}: acknowledged"),
        }
    }
}

#[tokio::test]
async fn a_bad_token_refuses_the_connection() {
    let app = spawn_app().await;
    let bad = json!({"Authorization": "Bearer not-a-jwt"});
    match Ws::connect(&app, Protocol::Transport, bad.clone()).await {
        Err(Refused::Closed(Some((_, reason)))) => assert_eq!(reason, "malformed token"),
        Err(other) => panic!("expected a close frame with the reason, got {other:?}"),
        Ok(_) => panic!("a bad token was acknowledged"),
    }
    match Ws::connect(&app, Protocol::Legacy, bad).await {
        Err(Refused::ConnectionError(message)) => {
            assert_eq!(message["payload"]["message"], "malformed token");
        }
        Err(other) => panic!("expected connection_error, got {other:?}"),
        Ok(_) => panic!("a bad token was acknowledged"),
    }
    // A token that is not a string is refused too.
    assert!(
        Ws::connect(&app, Protocol::Transport, json!({"token": 42}))
            .await
            .is_err()
    );
}
