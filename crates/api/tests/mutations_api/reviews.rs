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

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, token: Option<&str>, booking: &str) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/reviews/{booking}/photos", app.base))
        .header("content-type", "image/png")
        .body(png(800, 600));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const BY_RATING: &str =
    "query($t: String) { search(region: \"KR-11\", sort: RATING, consistencyToken: $t) {
  edges { node { id rating { count average distribution } } } } }";

fn ranked(found: &Value) -> Vec<(String, i64)> {
    found["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["id"].as_str().unwrap().to_owned(),
                e["node"]["rating"]["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn ratings_are_in_search_which_sorts_by_them() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (a, a_inv) = event_venue(&app, &op, 10).await;
    let (b, b_inv) = event_venue(&app, &op, 10).await;
    let (c, _) = event_venue(&app, &op, 10).await;
    let (a1, ga1) = confirmed_booking(&app, &op, &a, &a_inv).await;
    let (a2, ga2) = confirmed_booking(&app, &op, &a, &a_inv).await;
    let (b1, gb1) = confirmed_booking(&app, &op, &b, &b_inv).await;
    app.clock.set(at("2030-02-03T00:00:00Z"));
    write(&app, Some(&ga1), &a1, 5, "").await;
    write(&app, Some(&ga2), &a2, 4, "").await;
    let last = write(&app, Some(&gb1), &b1, 5, "").await;
    let t = last["data"]["writeReview"]["consistencyToken"].clone();
    // Listing a: 4.5 of 2; b: 5.0 of 1; c: none, last.
    let found = app.ok(None, BY_RATING, json!({"t": t})).await;
    assert_eq!(
        ranked(&found),
        vec![(b.clone(), 1), (a.clone(), 2), (c.clone(), 0)],
        "{found}"
    );
    assert_eq!(
        found["search"]["edges"][1]["node"]["rating"],
        json!({"count": 2, "average": 4.5, "distribution": [0, 0, 0, 1, 1]})
    );

    // Hidden, b's review stops counting: b is unrated, with c (the two by listing id).
    let hidden = app
        .ok(
            Some(&admin()),
            "mutation($key: String!, $id: ID!) { hideReview(idempotencyKey: $key, bookingId: $id, reason: \"spam\") { hidden } }",
            json!({"key": key(), "id": b1}),
        )
        .await;
    assert_eq!(hidden["hideReview"]["hidden"], true);
    // Hiding again changes nothing (the tally is not taken out twice).
    app.ok(
        Some(&admin()),
        "mutation($key: String!, $id: ID!) { hideReview(idempotencyKey: $key, bookingId: $id, reason: \"spam\") { hidden } }",
        json!({"key": key(), "id": b1}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = app.ok(None, BY_RATING, json!({})).await;
        let mut unrated = vec![(b.clone(), 0), (c.clone(), 0)];
        unrated.sort();
        if ranked(&found) == [vec![(a.clone(), 2)], unrated].concat() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{found}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let listing = app
        .ok(
            None,
            "query($id: ID!) { listing(id: $id) { rating { count average distribution } } }",
            json!({"id": b}),
        )
        .await;
    assert_eq!(
        listing["listing"]["rating"],
        json!({"count": 0, "average": null, "distribution": [0, 0, 0, 0, 0]})
    );

    // The tally is the listing's, in the log: a rebuilt search read model agrees.
    crate::support_verify::rebuilt_and_verified(
        &app,
        &[holdfast_projections::store::Table::Search],
    )
    .await;
}

#[tokio::test]
async fn a_review_carries_its_guests_photos_until_the_guest_is_forgotten() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 10).await;
    let (guest_id, (booking, g)) = confirmed_booking_of(&app, &op, &listing, &inventory).await;
    let (other_guest, (other_booking, og)) =
        confirmed_booking_of(&app, &op, &listing, &inventory).await;
    app.clock.set(at("2030-02-03T00:00:00Z"));

    // Only the booking's guest uploads.
    let (_, stranger) = guest();
    assert_eq!(upload(&app, Some(&stranger), &booking).await.0, 404);
    assert_eq!(upload(&app, Some(&op), &booking).await.0, 403);
    assert_eq!(upload(&app, None, &booking).await.0, 401);
    assert_eq!(upload(&app, Some(&g), "not-a-booking").await.0, 404);
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (status, body) = upload(&app, Some(&g), &booking).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["widths"], json!([320]));
        ids.push(body["photoId"].as_str().unwrap().to_owned());
    }
    let (status, seventh) = upload(&app, Some(&g), &booking).await;
    assert_eq!(
        (status, seventh["code"].clone()),
        (409, json!("INVALID_STATE")),
        "{seventh}"
    );

    // A photo id not uploaded for this booking is refused, naming it; nothing is kept.
    let (_, theirs) = upload(&app, Some(&og), &other_booking).await;
    let theirs = theirs["photoId"].as_str().unwrap().to_owned();
    let refused = app
        .graphql(
            Some(&g),
            WRITE,
            json!({"key": key(), "input": {"bookingId": booking, "rating": 4, "text": "",
                   "photoIds": [ids[0], theirs]}}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("INVALID_INPUT"), "{refused}");
    assert!(
        refused.to_string().contains("input.photoIds[1]"),
        "{refused}"
    );

    // Written with two of them, in the order named.
    let written = app
        .ok(
            Some(&g),
            WRITE,
            json!({"key": key(), "input": {"bookingId": booking, "rating": 4, "text": "Lovely",
                   "photoIds": [ids[3], ids[1]]}}),
        )
        .await;
    let t = written["writeReview"]["consistencyToken"].clone();
    const READ: &str = "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
      reviews { nodes { bookingId photos { id url variants { width url } } } } } }";
    let read = app.ok(None, READ, json!({"id": listing, "t": t})).await;
    let photos = &read["listing"]["reviews"]["nodes"][0]["photos"];
    assert_eq!(photos[0]["id"], ids[3].as_str(), "{read}");
    assert_eq!(photos[1]["id"], ids[1].as_str(), "{read}");
    assert_eq!(photos.as_array().unwrap().len(), 2, "{read}");
    let url = format!(
        "{}{}",
        app.base,
        photos[0]["variants"][0]["url"].as_str().unwrap()
    );
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 200);

    // Forgetting the guest deletes the photos' objects and rows; the other guest's stays.
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { forgetGuest(guestId: $id) }",
        json!({"id": guest_id.to_string()}),
    )
    .await;
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 404);
    let read = app.ok(None, READ, json!({"id": listing})).await;
    assert_eq!(
        read["listing"]["reviews"]["nodes"][0]["photos"],
        json!([]),
        "{read}"
    );
    let kept = holdfast_engine::reviews::photos_of_guest(app.engine.store.db(), other_guest)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    let url = format!("{}/photos/{theirs}/original", app.base);
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 200);
}

/// Twenty guests review one listing at once: every review is written and counted exactly once.
#[tokio::test]
async fn a_storm_of_reviews_on_one_listing_counts_each_once() {
    const GUESTS: usize = 20;
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 30).await;
    let mut bookings = Vec::new();
    for _ in 0..GUESTS {
        bookings.push(confirmed_booking(&app, &op, &listing, &inventory).await);
    }
    app.clock.set(at("2030-02-03T00:00:00Z"));
    let written = futures::future::join_all(bookings.iter().enumerate().map(|(i, (b, g))| {
        let app = &app;
        async move {
            let stars = (i % 5 + 1) as i64;
            let done = write(app, Some(g), b, stars, "").await;
            (done, stars)
        }
    }))
    .await;
    let mut expected = [0i64; 5];
    for (done, stars) in &written {
        assert!(done.get("errors").is_none(), "{done}");
        expected[(*stars - 1) as usize] += 1;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let read = app
            .ok(
                None,
                "query($id: ID!) { listing(id: $id) { rating { count distribution } } }",
                json!({"id": listing}),
            )
            .await;
        if read["listing"]["rating"]["count"] == GUESTS {
            assert_eq!(read["listing"]["rating"]["distribution"], json!(expected));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{read}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The listing's log holds exactly one tally event per review.
    let history = app
        .ok(
            Some(&admin()),
            "query($id: ID!) { eventHistory(aggregateType: LISTING, aggregateId: $id, first: 100) { nodes { eventType } } }",
            json!({"id": listing}),
        )
        .await;
    let tallies = history["eventHistory"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["eventType"] == "ListingRatingsChanged")
        .count();
    assert_eq!(tallies, GUESTS, "{history}");
}
