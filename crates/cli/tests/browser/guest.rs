//! A guest's journeys: search → hold → pay → cancel; a sold-out date's waitlist and offer; a review.

use serde_json::json;

use crate::support::{self, Driver, Site, email, sign_up};
use crate::*;

/// Search → the listing → sign up → hold 2 tickets (countdown) → the test checkout (through
/// the signed payments webhook) → confirmed → my bookings → cancel, with the refund shown
/// before confirming (90 % with a week's notice) → cancelled, the refund recorded.
#[tokio::test(flavor = "multi_thread")]
async fn a_guest_searches_holds_pays_and_cancels_with_the_refund_shown_first() {
    let site = Site::start();
    site.wait_for_demo().await;
    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    let date = concert_date();

    // Search by a word; the result links to the listing on its business's site.
    b.goto(&site.url("/?lang=en")).await;
    b.fill("#keyword", "concert").await;
    b.click("form.search button[type=submit]").await;
    b.wait_text("#results", "Han River Night Concert").await;
    b.assert_fits().await;
    b.click(&format!("#results a[href='/b/han-river-live/{CONCERT}']"))
        .await;
    b.wait_path(&format!("/b/han-river-live/{CONCERT}")).await;
    b.wait_text("h1", "Han River Night Concert").await;
    b.wait_text(".rules", "90% back").await;

    // Walk the calendar to the concert's month; the date says what is left, in words.
    let cell = format!("#calendar [data-date='{date}']");
    for _ in 0..3 {
        if b.client.find(fantoccini::Locator::Css(&cell)).await.is_ok() {
            break;
        }
        b.click("#calendar button[aria-label='Next month']").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let label = b.spoken(&cell).await;
    assert!(label.ends_with("2000 of 2000 left"), "{label}");
    b.click(&cell).await;
    b.wait_text("#hold", "Sign in to book").await;
    b.click("#hold").await;

    // Signed out: sign up, and come back to the same listing, date and party.
    b.wait_path("/signin?next=").await;
    sign_up(&b, "Kim Minji", &email("minji")).await;
    b.wait_path(&format!("/b/han-river-live/{CONCERT}?")).await;
    b.click(&cell).await;
    b.find("#party").await.select_by_value("2").await.unwrap();
    b.wait_text("#hold", "Hold 2 ticket(s)").await;
    b.assert_fits().await;
    b.click("#hold").await;

    // The hold: the countdown runs from the server's expiry (10 minutes).
    let path = b.wait_path("/book/").await;
    let booking = path.trim_start_matches("/book/").to_owned();
    b.wait_text("h1", "Held for you").await;
    let clock = b.find(".countdown").await.text().await.unwrap();
    assert!(clock.starts_with("09:") || clock == "10:00", "{clock}");
    b.wait_text(".details", "₩176,000").await;
    b.assert_fits().await;
    b.click("#pay").await;

    // The test checkout reports the payment through the payments webhook.
    b.wait_path(&format!("/checkout/test/{booking}")).await;
    b.wait_text("#test-pay", "Pay ₩176,000").await;
    b.click("#test-pay").await;
    b.wait_path(&format!("/book/{booking}")).await;
    b.wait_text("h1", "Booking confirmed").await;
    let token = b.token().await;
    let status = site
        .gql(
            Some(&token),
            "query($id: ID!) { booking(id: $id) { status totalPaid { amountMinor } guest { name phone } } }",
            json!({"id": booking}),
        )
        .await;
    assert_eq!(status["booking"]["status"], "CONFIRMED");
    assert_eq!(status["booking"]["totalPaid"]["amountMinor"], 176_000);
    assert_eq!(status["booking"]["guest"]["name"], "Kim Minji");

    // My bookings: cancel, the refund shown before confirming.
    b.goto(&site.url("/me")).await;
    let item = format!("#upcoming li[data-booking='{booking}']");
    b.wait_text(&item, "Han River Night Concert").await;
    b.click(&format!("{item} [data-action=cancel]")).await;
    b.wait_text(
        &format!("{item} .confirm"),
        "You will get ₩158,400 back of the ₩176,000 paid.",
    )
    .await;
    b.click(&format!("{item} [data-action=confirm-cancel]"))
        .await;
    b.wait_text(&format!("#past li[data-booking='{booking}']"), "cancelled")
        .await;
    let after = site
        .gql(
            Some(&token),
            "query($id: ID!) { booking(id: $id) { status refundDue { amountMinor currency } } }",
            json!({"id": booking}),
        )
        .await;
    assert_eq!(after["booking"]["status"], "CANCELLED");
    assert_eq!(after["booking"]["refundDue"]["amountMinor"], 158_400);
    b.close().await;
}

/// The demo site with the concert's date (its capacity set to 2) sold out to `first`, who paid:
/// (site, date, the first guest's session, their booking).
async fn sold_out_concert(first: &str) -> (Site, String, serde_json::Value, String) {
    let site = Site::start();
    site.wait_for_demo().await;
    let date = concert_date();
    let next = days_after(&date, 1);
    let operator = site.operator("han-river-live").await;
    site.gql(
        operator["accessToken"].as_str(),
        "mutation($k: String!, $input: SetCapacityInput!) { setCapacity(idempotencyKey: $k, input: $input) { inventoryId } }",
        json!({"k": "cap-2", "input": {"inventoryId": TICKETS, "selection": {"from": date, "to": next}, "capacity": 2}}),
    )
    .await;
    let first = site.new_guest(first).await;
    let taken = site
        .hold(&first, json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": date, "partySize": 2, "quantity": 2}))
        .await;
    site.pay(&taken, 176_000, "KRW").await;
    (site, date, first, taken)
}

/// A new guest `name`, signed in, on the concert's listing with the sold-out `date` chosen
/// (once the calendar says it is full).
async fn open_sold_out_date(site: &Site, b: &support::Browser, name: &str, date: &str) {
    let guest = site.new_guest(name).await;
    b.sign_in(site, &guest).await;
    b.goto(&site.url(&format!("/b/han-river-live/{CONCERT}?date={date}&lang=en")))
        .await;
    let cell = format!("#calendar [data-date='{date}']");
    let deadline = std::time::Instant::now() + support::WAIT;
    while !b.spoken(&cell).await.ends_with("full") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            b.spoken(&cell).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.click(&cell).await;
}

/// Sold out: the date says so, the guest joins the waitlist from the listing; a place frees up
/// (someone cancels) and "my bookings" offers it with its deadline; the guest takes it, pays
/// and is confirmed.
#[tokio::test(flavor = "multi_thread")]
async fn a_sold_out_date_takes_a_waitlist_and_the_freed_place_is_offered_and_taken() {
    let (site, date, first, taken) = sold_out_concert("Oh Daeun").await;

    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    open_sold_out_date(&site, &b, "Yoon Seoyeon", &date).await;
    b.find("#party").await.select_by_value("2").await.unwrap();
    b.wait_text("#hold", "Sold out").await;
    b.wait_text(".form-message", "Sold out: no places left")
        .await;
    b.click("#join-waitlist").await;
    b.wait_text(".form-message", "You are on the waitlist.")
        .await;
    b.goto(&site.url("/me")).await;
    b.wait_text("#upcoming", "waitlisted").await;

    // The first guest cancels: the booking worker offers the place to the waitlist.
    site.gql(
        first["accessToken"].as_str(),
        "mutation($k: String!, $id: ID!) { cancelBooking(idempotencyKey: $k, input: { bookingId: $id }) { status } }",
        json!({"k": "cancel-1", "id": taken}),
    )
    .await;
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        b.goto(&site.url("/me")).await;
        b.find("#upcoming li").await;
        let text = b.find("#upcoming").await.text().await.unwrap();
        if text.contains("A place freed up") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no offer: {text}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    b.shot("offer").await;
    b.click("#upcoming li[data-status='OFFERED'] button.primary")
        .await;
    let path = b.wait_path("/book/").await;
    b.wait_text("h1", "Held for you").await;
    b.click("#pay").await;
    b.wait_path("/checkout/test/").await;
    b.click("#test-pay").await;
    b.wait_path(&path).await;
    b.wait_text("h1", "Booking confirmed").await;
    b.close().await;
}

/// After a stay: the guest reviews it from "my bookings" (stars and words), and the listing
/// shows the stars, the average and the words.
#[tokio::test(flavor = "multi_thread")]
async fn a_guest_reviews_a_stay_and_the_listing_shows_it() {
    let (today, at) = seoul_morning(1);
    let site = Site::start_at(Some(&at));
    site.wait_for_demo().await;
    let guest = site.new_guest("Kang Minho").await;
    let booking = paid_night(&site, &guest, &today, 120_000).await;
    let operator = site.operator("seaside-stay").await;
    site.gql(
        operator["accessToken"].as_str(),
        "mutation($k: String!, $id: ID!) { checkIn(idempotencyKey: $k, input: { bookingId: $id }) { status } }",
        json!({"k": "check-in", "id": booking}),
    )
    .await;

    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    b.sign_in(&site, &guest).await;
    b.goto(&site.url("/me?lang=en")).await;
    let item = format!("li[data-booking='{booking}']");
    b.click(&format!("{item} [data-action=review]")).await;
    b.click(&format!("{item} input[type=radio][value='4']"))
        .await;
    b.fill(
        &format!("#review-text-{booking}"),
        "Quiet room, lovely beach. The breakfast could start earlier.",
    )
    .await;
    // Two photos, chosen in the file picker.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (n, tint) in [(1, 40u8), (2, 200u8)] {
        let path = dir.path().join(format!("beach-{n}.png"));
        image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, tint])
        })
        .save(&path)
        .unwrap();
        files.push(path.display().to_string());
    }
    b.find(&format!("#review-photos-{booking}"))
        .await
        .send_keys(&files.join("\n"))
        .await
        .unwrap();
    b.click(&format!("{item} .review-form button[type=submit]"))
        .await;
    b.wait_text(&item, "Thank you: your review is published.")
        .await;

    b.goto(&site.url(&format!("/b/seaside-stay/{HOTEL}?lang=en")))
        .await;
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        let text = b.find(".reviews").await.text().await.unwrap_or_default();
        if text.contains("(1 review)") {
            assert!(text.contains("4.0"), "{text}");
            assert!(text.contains("Quiet room, lovely beach."), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the listing shows {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        b.goto(&site.url(&format!("/b/seaside-stay/{HOTEL}?lang=en")))
            .await;
    }
    assert_eq!(
        b.spoken(".reviews .rating .stars").await,
        "4 out of 5 stars"
    );
    // Its photos, loaded (each a real image of the width asked for) and described.
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        let photos = b
            .client
            .execute(
                "const all = [...document.querySelectorAll('.review-photos img')];
                 all[0]?.scrollIntoView();
                 return all.map((i) => [i.complete ? i.naturalWidth : -1, i.alt]);",
                vec![],
            )
            .await
            .unwrap();
        if photos == json!([[320, "The guest's photo 1"], [320, "The guest's photo 2"]]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the review's photos: {photos}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    b.assert_no_junk().await;
    b.shot("reviews").await;
    b.close().await;
}

/// The business grants points with a reason; the guest sees them in "My points" with the
/// history, then pays part of two concert tickets with them: the hold shows the lower total.
#[tokio::test(flavor = "multi_thread")]
async fn a_guest_sees_their_points_and_pays_part_of_a_booking_with_them() {
    let site = Site::start();
    site.wait_for_demo().await;
    let guest = site.new_guest("Lee Jiwoo").await;
    let operator = site.operator("han-river-live").await;
    let granted = site
        .gql(
            operator["accessToken"].as_str(),
            "mutation($k: String!, $input: AdjustPointsInput!) { adjustPoints(idempotencyKey: $k, input: $input) { balance } }",
            json!({"k": "welcome-points", "input": {"tenantId": operator["tenantId"], "guestId": guest["guestId"],
                   "points": 5_000, "reason": "Welcome to Han River Live"}}),
        )
        .await;
    assert_eq!(granted["adjustPoints"]["balance"], 5_000, "{granted}");
    // Something booked there, so "my points" knows the business.
    let date = concert_date();
    site.hold(
        &guest,
        json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": date, "partySize": 1}),
    )
    .await;

    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    b.sign_in(&site, &guest).await;
    b.goto(&site.url("/me?lang=en")).await;
    // The grant lasts a year: its expiry says which.
    let expiry = (Utc::now() + Duration::days(365))
        .with_timezone(&chrono_tz::Asia::Seoul)
        .format("%-d %B %Y")
        .to_string();
    b.wait_text(
        "#points",
        &format!("5,000 points · the soonest expire {expiry}"),
    )
    .await;
    b.click("#points details summary").await;
    b.wait_text(
        "#points .points-history",
        "Adjusted by the business · +5,000 · Welcome to Han River Live",
    )
    .await;
    b.assert_no_junk().await;
    b.assert_fits().await;
    b.shot("points").await;

    b.goto(&site.url(&format!("/b/han-river-live/{CONCERT}?lang=en")))
        .await;
    b.wait_text("#points-hint", "You have 5,000 points (worth ₩5,000).")
        .await;
    let cell = format!("#calendar [data-date='{date}']");
    for _ in 0..3 {
        if b.client.find(fantoccini::Locator::Css(&cell)).await.is_ok() {
            break;
        }
        b.click("#calendar button[aria-label='Next month']").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    b.click(&cell).await;
    b.find("#party").await.select_by_value("2").await.unwrap();
    b.wait_text("#hold", "Hold 2 ticket(s)").await;
    b.fill("#points", "3000").await;
    b.click("#hold").await;
    b.wait_path("/book/").await;
    b.wait_text(".details", "₩173,000").await;
    assert!(b.axe().await.is_empty(), "accessibility");

    // What is left: 2,000, and the spend in the history.
    b.goto(&site.url("/me?lang=en")).await;
    b.wait_text("#points", "2,000 points").await;
    b.close().await;
}

/// Sold out: instead of the waitlist, the guest asks to be told when places free up; "my
/// bookings" lists the watch; a cancellation frees the places and the alert arrives on the open
/// page, live (Server-Sent Events), with a link to book; the guest stops watching.
#[tokio::test(flavor = "multi_thread")]
async fn a_guest_watches_a_sold_out_date_and_is_told_live_when_places_free_up() {
    let (site, date, first, taken) = sold_out_concert("Han Jisoo").await;

    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    open_sold_out_date(&site, &b, "Moon Yuna", &date).await;
    b.wait_text("#hold", "Sold out").await;
    b.click("#watch").await;
    b.wait_text(".form-message", "We will tell you when places free up")
        .await;

    b.goto(&site.url("/me?lang=en")).await;
    b.wait_text("#watches", "Han River Night Concert").await;
    b.wait_text("#watches", "still sold out").await;
    b.assert_no_junk().await;

    // The first guest cancels; the open page hears of it.
    site.gql(
        first["accessToken"].as_str(),
        "mutation($k: String!, $id: ID!) { cancelBooking(idempotencyKey: $k, input: { bookingId: $id }) { status } }",
        json!({"k": "cancel-1", "id": taken}),
    )
    .await;
    let day = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .unwrap()
        .format("%a %-d %b")
        .to_string();
    b.wait_text(
        "#live-alerts",
        &format!("Places are free again: Han River Night Concert, {day}."),
    )
    .await;
    b.wait_text("#watches", "places freed up").await;
    assert!(b.axe().await.is_empty(), "accessibility");
    b.shot("alert").await;

    b.click("#watches [data-action=stop-watch]").await;
    b.wait_text("#watches", "You are not watching anything.")
        .await;
    b.close().await;
}
