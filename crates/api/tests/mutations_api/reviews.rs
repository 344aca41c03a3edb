//! Reviews over the API: the guest of a completed booking writes one, within the window, the
//! business replies, an admin hides it — and every refusal, for every kind of caller. The
//! words stay out of the log (a digest there; the text in the erasable store, which
//! forgetting the guest empties).

use crate::fixtures::*;
use crate::support::{TestApp, admin, error_code, guest, operator, spawn_app, token};
use chrono::{DateTime, Utc};
use holdfast_api::auth::Role;
use holdfast_domain::common::{AccountId, BookingId};
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const WRITE: &str = "mutation($key: String!, $input: WriteReviewInput!) {
  writeReview(idempotencyKey: $key, input: $input) { bookingId rating replied hidden consistencyToken } }";
const REPLY: &str = "mutation($key: String!, $id: ID!, $text: String!) {
  replyToReview(idempotencyKey: $key, bookingId: $id, text: $text) { bookingId rating replied hidden } }";
const HIDE: &str = "mutation($key: String!, $id: ID!, $reason: String!) {
  hideReview(idempotencyKey: $key, bookingId: $id, reason: $reason) { bookingId hidden } }";

/// A confirmed booking of the 1 February 2030 event: its id and its guest's token.
async fn confirmed_booking(
    app: &TestApp,
    op: &str,
    listing: &str,
    inventory: &str,
) -> (String, String) {
    confirmed_booking_of(app, op, listing, inventory).await.1
}

/// The same, with the guest's id.
async fn confirmed_booking_of(
    app: &TestApp,
    op: &str,
    listing: &str,
    inventory: &str,
) -> (holdfast_domain::common::GuestId, (String, String)) {
    let (guest_id, g) = guest();
    let placed = app
        .ok(
            Some(&g),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
                                           "eventDate": "2030-02-01", "partySize": 2}}),
        )
        .await;
    let id = placed["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        Some(op),
        "mutation($key: String!, $input: ConfirmPaymentInput!) { confirmPayment(idempotencyKey: $key, input: $input) { status } }",
        json!({"key": key(), "input": {"bookingId": id, "provider": "stripe", "reference": format!("pi_{id}"),
                                       "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
    )
    .await;
    (guest_id, (id, g))
}

async fn write(
    app: &TestApp,
    token: Option<&str>,
    booking: &str,
    rating: i64,
    text: &str,
) -> Value {
    app.graphql(
        token,
        WRITE,
        json!({"key": key(), "input": {"bookingId": booking, "rating": rating, "text": text}}),
    )
    .await
}

#[tokio::test]
async fn a_completed_booking_is_reviewed_once_replied_to_and_hidden() {
    let app = spawn_app().await;
    let (tenant, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 10).await;
    let (guest_id, (booking, g)) = confirmed_booking_of(&app, &op, &listing, &inventory).await;

    // Before the event: not completed.
    app.clock.set(at("2030-01-20T00:00:00Z"));
    let early = write(&app, Some(&g), &booking, 5, "Wonderful night").await;
    assert_eq!(error_code(&early), Some("INVALID_STATE"), "{early}");

    // After it: written, once.
    app.clock.set(at("2030-02-03T00:00:00Z"));
    let key_once = key();
    let input =
        json!({"bookingId": booking, "rating": 5, "text": "  Wonderful night by the river. "});
    let first = app
        .ok(Some(&g), WRITE, json!({"key": key_once, "input": input}))
        .await;
    assert_eq!(first["writeReview"]["rating"], 5);
    assert_eq!(first["writeReview"]["replied"], false);
    let replay = app
        .ok(Some(&g), WRITE, json!({"key": key_once, "input": input}))
        .await;
    assert_eq!(
        replay["writeReview"]["consistencyToken"],
        first["writeReview"]["consistencyToken"]
    );
    let same = write(&app, Some(&g), &booking, 5, "Wonderful night by the river.").await;
    assert!(same.get("errors").is_none(), "{same}");
    let other = write(&app, Some(&g), &booking, 2, "Changed my mind").await;
    assert_eq!(error_code(&other), Some("ALREADY_EXISTS"), "{other}");

    // The words are kept beside the log; the log has only their digest.
    let id = BookingId::parse(&booking).unwrap();
    let kept = holdfast_engine::reviews::texts(app.engine.store.db(), id)
        .await
        .unwrap();
    assert_eq!(
        kept,
        Some(("Wonderful night by the river.".to_owned(), None))
    );
    let history = app
        .ok(
            Some(&admin()),
            "query($id: ID!) { eventHistory(aggregateType: REVIEW, aggregateId: $id) { nodes { eventType payload } } }",
            json!({"id": booking}),
        )
        .await;
    let events = history["eventHistory"]["nodes"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{history}");
    assert!(
        !events[0]["payload"].to_string().contains("Wonderful"),
        "{history}"
    );

    // The business replies (an operator of it, with an account); a new reply replaces it.
    let account = AccountId::new();
    let op_account = token(Role::Operator, &account.to_string(), Some(tenant));
    let replied = app
        .ok(
            Some(&op_account),
            REPLY,
            json!({"key": key(), "id": booking, "text": "Thank you!"}),
        )
        .await;
    assert_eq!(replied["replyToReview"]["replied"], true);
    let kept = holdfast_engine::reviews::texts(app.engine.store.db(), id)
        .await
        .unwrap();
    assert_eq!(kept.unwrap().1.as_deref(), Some("Thank you!"));
    let (_, other_op) = operator();
    for (who, code) in [
        (Some(other_op.as_str()), "FORBIDDEN"),
        (Some(g.as_str()), "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ] {
        let refused = app
            .graphql(
                who,
                REPLY,
                json!({"key": key(), "id": booking, "text": "hi"}),
            )
            .await;
        assert_eq!(error_code(&refused), Some(code), "{refused}");
    }
    let empty = app
        .graphql(
            Some(&op_account),
            REPLY,
            json!({"key": key(), "id": booking, "text": "   "}),
        )
        .await;
    assert_eq!(error_code(&empty), Some("INVALID_INPUT"), "{empty}");

    // Guests read it on the listing, with the ratings; hostile paging is refused.
    const READ: &str = "query($id: ID!, $t: String, $first: Int, $after: String) { listing(id: $id, consistencyToken: $t) {
      rating { count average distribution }
      reviews(first: $first, after: $after) { nodes { bookingId rating text reply } hasNextPage endCursor } } }";
    let token = first["writeReview"]["consistencyToken"].clone();
    let read = app.ok(None, READ, json!({"id": listing, "t": token})).await;
    assert_eq!(
        read["listing"]["rating"],
        json!({"count": 1, "average": 5.0, "distribution": [0, 0, 0, 0, 1]})
    );
    let node = &read["listing"]["reviews"]["nodes"][0];
    assert_eq!(node["rating"], 5);
    assert_eq!(node["text"], "Wonderful night by the river.");
    assert_eq!(read["listing"]["reviews"]["hasNextPage"], false);
    for (first, after) in [
        (json!(0), json!(null)),
        (json!(51), json!(null)),
        (json!(5), json!("garbage")),
    ] {
        let bad = app
            .graphql(
                None,
                READ,
                json!({"id": listing, "first": first, "after": after}),
            )
            .await;
        assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
    }

    // Admins hide it, with a reason; operators cannot.
    let refused = app
        .graphql(
            Some(&op),
            HIDE,
            json!({"key": key(), "id": booking, "reason": "spam"}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    let blank = app
        .graphql(
            Some(&admin()),
            HIDE,
            json!({"key": key(), "id": booking, "reason": " "}),
        )
        .await;
    assert_eq!(error_code(&blank), Some("INVALID_INPUT"), "{blank}");
    let hidden = app
        .ok(
            Some(&admin()),
            HIDE,
            json!({"key": key(), "id": booking, "reason": "personal details"}),
        )
        .await;
    assert_eq!(hidden["hideReview"]["hidden"], true);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let read = app.ok(None, READ, json!({"id": listing})).await;
        if read["listing"]["rating"]["count"] == 0 {
            assert_eq!(read["listing"]["reviews"]["nodes"], json!([]));
            assert_eq!(read["listing"]["rating"]["average"], Value::Null);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still shown after hiding: {read}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A rebuilt search read model holds the same reviews (hidden included) as the live one.
    crate::support_verify::rebuilt_and_verified(
        &app,
        &[holdfast_projections::store::Table::Search],
    )
    .await;

    // Forgetting the guest deletes their words and the reply (the rating stays, naming no one).
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { forgetGuest(guestId: $id) }",
        json!({"id": guest_id.to_string()}),
    )
    .await;
    assert_eq!(
        holdfast_engine::reviews::texts(app.engine.store.db(), id)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn reviews_are_refused_to_anyone_else_out_of_window_and_for_bad_input() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 10).await;
    let (booking, g) = confirmed_booking(&app, &op, &listing, &inventory).await;
    app.clock.set(at("2030-02-03T00:00:00Z"));

    // Someone else's booking does not exist for them; operators and anonymous callers cannot.
    let (_, stranger) = guest();
    let theirs = write(&app, Some(&stranger), &booking, 4, "").await;
    assert_eq!(error_code(&theirs), Some("NOT_FOUND"), "{theirs}");
    let unknown = write(&app, Some(&g), &BookingId::new().to_string(), 4, "").await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");
    let by_operator = write(&app, Some(&op), &booking, 4, "").await;
    assert_eq!(error_code(&by_operator), Some("FORBIDDEN"), "{by_operator}");
    let anonymous = write(&app, None, &booking, 4, "").await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );

    // Hostile input names its field and keeps nothing.
    for (rating, text, field) in [
        (0, "ok".to_owned(), "input.rating"),
        (6, "ok".to_owned(), "input.rating"),
        (-2_147_483_648, "ok".to_owned(), "input.rating"),
        (5, "x".repeat(2_001), "input.text"),
        (5, "nul\u{0}byte".to_owned(), "input.text"),
    ] {
        let bad = write(&app, Some(&g), &booking, rating, &text).await;
        assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
        assert!(
            bad["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(field),
            "{bad}"
        );
    }
    let malformed = write(&app, Some(&g), "not-a-booking", 5, "").await;
    assert_eq!(error_code(&malformed), Some("INVALID_INPUT"), "{malformed}");
    let id = BookingId::parse(&booking).unwrap();
    assert_eq!(
        holdfast_engine::reviews::texts(app.engine.store.db(), id)
            .await
            .unwrap(),
        None
    );

    // After the window: refused, and the words are not kept.
    app.clock.set(at("2030-03-15T00:00:00Z"));
    let late = write(&app, Some(&g), &booking, 4, "Late but lovely").await;
    assert_eq!(error_code(&late), Some("INVALID_STATE"), "{late}");
    assert_eq!(
        holdfast_engine::reviews::texts(app.engine.store.db(), id)
            .await
            .unwrap(),
        None
    );

    // No review: nothing to reply to.
    let (tenant, _) = operator();
    let op_account = token(Role::Operator, &AccountId::new().to_string(), Some(tenant));
    let nothing = app
        .graphql(
            Some(&op_account),
            REPLY,
            json!({"key": key(), "id": booking, "text": "hi"}),
        )
        .await;
    assert_eq!(error_code(&nothing), Some("NOT_FOUND"), "{nothing}");
}
