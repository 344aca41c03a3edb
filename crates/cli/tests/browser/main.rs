//! The booking site and the console in a real browser: headless Chromium over WebDriver
//! against a real `holdfast serve` (see `support`). Each test is a person's journey, checked
//! by what the page shows and by what the server recorded.
//!
//! `HOLDFAST_SCREENSHOTS=docs/screenshots cargo nextest run -p holdfast-cli --test browser`
//! refreshes the README's screenshots.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::{Driver, Site, email, sign_up};

const CONCERT: &str = "01JDQY77ZXYYK596NGYA1DQ91K";

/// The concert's date: 45 days after the demo was loaded (the server's UTC date).
fn concert_date() -> String {
    (Utc::now().date_naive() + Duration::days(45)).to_string()
}

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
    b.shot("search").await;
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
    let label = b
        .find(&cell)
        .await
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap();
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
    b.shot("listing").await;
    b.assert_fits().await;
    b.click("#hold").await;

    // The hold: the countdown runs from the server's expiry (10 minutes).
    let path = b.wait_path("/book/").await;
    let booking = path.trim_start_matches("/book/").to_owned();
    b.wait_text("h1", "Held for you").await;
    let clock = b.find(".countdown").await.text().await.unwrap();
    assert!(clock.starts_with("09:") || clock == "10:00", "{clock}");
    b.wait_text(".details", "₩176,000").await;
    b.shot("hold").await;
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
    b.shot("me").await;
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
