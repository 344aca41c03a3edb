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
const TICKETS: &str = "01JD8XE6SZAEAVSNTCPM5Q1NXW";

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

const HOTEL: &str = "01JDDJ8FSSZ5AWSH8VHTPRE95B";
const STANDARD_DOUBLE: &str = "01JD5GQAPENECFSECZP11HYGCP";
const BINGSU: &str = "01JDS3C4DWA7N36096Q14DR9GP";
const BINGSU_TABLES: &str = "01JDYFGCW8T7SWM4FV4DK79Q9G";

/// A date in Seoul `days` after the machine's, and the instant 10:00 that day in Seoul: the
/// servers of these tests run from that morning, so what is open (check-in, the bingsu
/// shop's 18:00 window) does not depend on when the suite runs.
fn seoul_morning(days: i64) -> (String, String) {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Seoul)
        .date_naive();
    let date = (today + Duration::days(days)).to_string();
    let at = format!("{date}T10:00:00+09:00");
    (date, at)
}

/// A Standard Double for the night of `date`, held by `guest` and paid `amount` through the
/// test checkout: its booking id.
async fn paid_night(site: &Site, guest: &serde_json::Value, date: &str, amount: i64) -> String {
    let next = (chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap() + Duration::days(1))
        .to_string();
    let booking = site
        .hold(
            guest,
            json!({"listingId": HOTEL, "inventoryId": STANDARD_DOUBLE, "stay": {"from": date, "to": next}, "partySize": 2}),
        )
        .await;
    site.pay(&booking, amount, "KRW").await;
    booking
}

/// The operator at the counter: signs in to the console, sets capacity and price on a range of
/// the calendar grid (and the server has them), sees a booking arrive on today's sheet without
/// a reload, with the guest's name and phone, and checks the guest in.
#[tokio::test(flavor = "multi_thread")]
async fn an_operator_sets_capacity_and_price_sees_a_booking_arrive_live_and_checks_in() {
    let (today, at) = seoul_morning(1);
    let site = Site::start_at(Some(&at));
    site.wait_for_demo().await;
    let driver = Driver::start().await;
    let b = driver.browser(1280, "en").await;

    b.goto(&site.url("/signin?next=/console&lang=en")).await;
    b.fill("#signin-business", "seaside-stay").await;
    b.fill("#signin-email", "owner@seaside-stay.example").await;
    b.fill("#signin-password", "holdfast-demo").await;
    b.click("#signin-form button[type=submit]").await;
    b.wait_path("/console").await;
    b.wait_text("h1", "Seaside Hospitality Co.").await;
    b.wait_text("#sheet", "No bookings on this day.").await;

    // The grid: three nights of the Standard Double, Shift-click for the range.
    b.click("#tab-calendar").await;
    b.find("#grid-inventory")
        .await
        .select_by_value(STANDARD_DOUBLE)
        .await
        .unwrap();
    let first = format!("#grid button[data-slot='{today}']");
    let last_night = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap()
        + Duration::days(2))
    .to_string();
    b.wait_text(&first, "/20").await;
    b.click(&first).await;
    let last = b
        .find(&format!("#grid button[data-slot='{last_night}']"))
        .await;
    b.client
        .execute(
            "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}));",
            vec![serde_json::to_value(&last).unwrap()],
        )
        .await
        .unwrap();
    b.wait_text("#live", "3 slots selected").await;
    b.fill("#set-capacity", "7").await;
    b.click("#apply-capacity").await;
    b.wait_text("#panel", "Capacity set to 7.").await;
    b.wait_text(&first, "0/7").await;
    // The selection was cleared: select the same range again for the price.
    b.click(&first).await;
    let last = b
        .find(&format!("#grid button[data-slot='{last_night}']"))
        .await;
    b.client
        .execute(
            "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}));",
            vec![serde_json::to_value(&last).unwrap()],
        )
        .await
        .unwrap();
    b.fill("#set-price", "99,000").await;
    b.click("#apply-price").await;
    b.wait_text("#panel", "Price set to ₩99,000.").await;
    b.wait_text(&first, "₩99,000").await;
    b.shot("console-calendar").await;
    let days = site
        .gql(
            None,
            "query($i: ID!, $f: Date!, $t: Date!) { availability(inventoryId: $i, from: $f, to: $t) { date capacity price { amountMinor } } }",
            json!({"i": STANDARD_DOUBLE, "f": today, "t": last_night}),
        )
        .await;
    let days = days["availability"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    for day in days {
        assert_eq!(day["capacity"], 7, "{day}");
        assert_eq!(day["price"]["amountMinor"], 99_000, "{day}");
    }

    // Today's sheet, open while a guest books tonight: the booking shows without a reload.
    b.click("#tab-today").await;
    b.wait_text("#sheet", "No bookings on this day.").await;
    let guest = site.new_guest("Park Jisoo").await;
    let booking = paid_night(&site, &guest, &today, 99_000).await;
    let row = format!("#sheet tr[data-booking='{booking}']");
    b.wait_text(&row, "Park Jisoo").await;
    b.wait_text(&row, "01098765432").await;
    b.wait_text(&row, "confirmed").await;
    b.shot("console-today").await;
    b.click(&format!("{row} [data-action=check-in]")).await;
    b.wait_text(&row, "checked in").await;
    let operator = site.operator("seaside-stay").await;
    let status = site
        .gql(
            operator["accessToken"].as_str(),
            "query($id: ID!) { booking(id: $id) { status checkedInAt } }",
            json!({"id": booking}),
        )
        .await;
    assert_eq!(status["booking"]["status"], "CHECKED_IN");

    // The booking rules, edited with a preview in words, saved as a new version.
    b.click("#tab-listings").await;
    let card = format!("article[data-listing='{HOTEL}']");
    b.click(&format!("{card} [data-action=edit-policy]")).await;
    b.fill(&format!("#p-{HOTEL}-party-max"), "3").await;
    b.wait_text(
        &format!("{card} .policy-editor .rules"),
        "Parties of 1 to 3.",
    )
    .await;
    b.shot("console-policy").await;
    b.click(&format!("{card} .policy-editor button[type=submit]"))
        .await;
    b.wait_text("#panel", "Parties of 1 to 3.").await;
    let policy = site
        .gql(
            None,
            "query($id: ID!) { listing(id: $id) { bookingPolicy { version partyMax } } }",
            json!({"id": HOTEL}),
        )
        .await;
    assert_eq!(
        policy["listing"]["bookingPolicy"]["partyMax"], 3,
        "{policy}"
    );
    assert_eq!(policy["listing"]["bookingPolicy"]["version"], 2, "{policy}");

    // The figures of the period count it.
    b.click("#tab-reports").await;
    b.wait_text(".figures", "Bookings").await;
    b.shot("console-reports").await;
    b.close().await;
}

/// Two guests look at one calendar; one holds two tickets and the other's calendar says so
/// within a second, with no reload.
#[tokio::test(flavor = "multi_thread")]
async fn two_browsers_on_one_calendar_see_each_others_bookings_within_a_second() {
    let site = Site::start();
    site.wait_for_demo().await;
    let driver = Driver::start().await;
    let date = concert_date();
    let page = site.url(&format!("/b/han-river-live/{CONCERT}?date={date}&lang=en"));
    let cell = format!("#calendar [data-date='{date}']");
    let watcher = driver.browser(1280, "en").await;
    let booker = driver.browser(375, "en").await;
    let guest = site.new_guest("Lee Seojun").await;
    booker.sign_in(&site, &guest).await;
    for b in [&watcher, &booker] {
        b.goto(&page).await;
        let label = b.spoken(&cell).await;
        assert!(label.ends_with("2000 of 2000 left"), "{label}");
    }
    // Both follow the calendar before anyone books.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    booker.click(&cell).await;
    booker
        .find("#party")
        .await
        .select_by_value("2")
        .await
        .unwrap();
    booker.click("#hold").await;
    booker.wait_path("/book/").await;
    let held = std::time::Instant::now();
    let deadline = held + std::time::Duration::from_secs(1);
    loop {
        let label = watcher.spoken(&cell).await;
        if label.ends_with("1998 of 2000 left") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 1 s the watcher still saw {label:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    eprintln!(
        "the other browser saw the hold {} ms after the booker's page moved on",
        held.elapsed().as_millis()
    );
    watcher.close().await;
    booker.close().await;
}

/// The widget on a page of another origin: one script tag and the custom element show the
/// listing's free dates from the Holdfast server (CORS), live, and link to its booking page.
#[tokio::test(flavor = "multi_thread")]
async fn the_widget_on_another_origin_shows_free_dates_live_and_links_to_booking() {
    let site = Site::start();
    site.wait_for_demo().await;
    let host = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Han River Live — our site</title>\
         <script type=module src=\"{}/widget.js\"></script></head><body><h1>Our concerts</h1>\
         <holdfast-booking listing=\"{CONCERT}\" lang=\"en\"></holdfast-booking></body></html>",
        site.base
    );
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_origin = format!("http://{}", other.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(host) }),
        );
        axum::serve(other, app).await.unwrap();
    });
    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    b.goto(&other_origin).await;
    let shadow = "return document.querySelector('holdfast-booking').shadowRoot.textContent";
    let deadline = std::time::Instant::now() + support::WAIT;
    let date = concert_date();
    let link = format!(
        "return document.querySelector('holdfast-booking').shadowRoot.querySelector(\"a[data-date='{date}']\")?.textContent ?? ''"
    );
    loop {
        let text = b.js(&link).await;
        if text.as_str().unwrap_or("").contains("2000 left") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the widget showed {}",
            b.js(shadow).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        b.js(shadow)
            .await
            .as_str()
            .unwrap()
            .contains("Han River Night Concert")
    );
    let href = b
        .js(&format!("return document.querySelector('holdfast-booking').shadowRoot.querySelector(\"a[data-date='{date}']\").href"))
        .await;
    assert_eq!(
        href.as_str().unwrap(),
        site.url(&format!("/b/han-river-live/{CONCERT}?lang=en&date={date}"))
    );
    b.shot("widget").await;

    // Someone books three tickets elsewhere: the widget's count follows.
    let guest = site.new_guest("Choi Yuna").await;
    site.hold(&guest, json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": date, "partySize": 3, "quantity": 3})).await;
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        if b.js(&link)
            .await
            .as_str()
            .unwrap_or("")
            .contains("1997 left")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the widget showed {}",
            b.js(shadow).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.close().await;
}

/// In Korean (chosen from the browser's language): the words, the dates written the Korean way,
/// the cancellation terms from the API in Korean, and a window that is not open yet said as
/// its local opening time with a countdown — the bingsu shop opens at 18:00 and it is 10:00.
#[tokio::test(flavor = "multi_thread")]
async fn in_korean_the_site_speaks_korean_and_says_when_the_window_opens() {
    let (today, at) = seoul_morning(1);
    let site = Site::start_at(Some(&at));
    site.wait_for_demo().await;
    let driver = Driver::start().await;
    let b = driver.browser(375, "ko").await;
    b.goto(&site.url("/")).await;
    b.wait_text("h1", "식당, 숙소, 공연을 예약하세요").await;
    assert_eq!(b.js("return document.documentElement.lang").await, "ko");
    b.shot("ko-home").await;

    b.goto(&site.url("/b/seolbing-night")).await;
    b.wait_text("h1", "Seolbing Night").await;
    b.wait_text(".cards", "₩12,000부터").await;
    b.shot("ko-business").await;

    let guest = site.new_guest("Jung Haneul").await;
    b.sign_in(&site, &guest).await;
    b.goto(&site.url(&format!("/b/seolbing-night/{BINGSU}")))
        .await;
    b.wait_text(".rules", "매일 18:00에 당일 예약이 열립니다.")
        .await;
    let (m, d) = (&today[5..7], &today[8..10]);
    let korean_date = format!(
        "{}월 {}일",
        m.trim_start_matches('0'),
        d.trim_start_matches('0')
    );
    b.click(&format!("#calendar [data-date='{today}']")).await;
    b.click(&format!("#calendar .chip[data-slot='{today}T19:00']"))
        .await;
    b.wait_text("#hold", "아직 예약 전입니다").await;
    let notice = b
        .wait_text(".form-message", "18:00에 예약이 열립니다")
        .await;
    assert!(notice.contains(&korean_date), "{notice}");
    assert!(notice.contains("남음"), "no countdown: {notice}");
    assert!(!b.find("#hold").await.is_enabled().await.unwrap());
    b.shot("ko-window-closed").await;
    b.assert_fits().await;

    // The server refuses it too, and the page would say so in words.
    let refused: serde_json::Value = reqwest::Client::new()
        .post(site.url("/graphql"))
        .bearer_auth(guest["accessToken"].as_str().unwrap())
        .json(&json!({"query": "mutation($k: String!, $input: PlaceBookingInput!) { placeBooking(idempotencyKey: $k, input: $input) { status } }",
                      "variables": {"k": "k1", "input": {"listingId": BINGSU, "inventoryId": BINGSU_TABLES, "timeSlot": {"start": format!("{today}T19:00")}, "partySize": 2}}}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(
        refused["errors"][0]["extensions"]["rule"], "WindowNotOpen",
        "{refused}"
    );
    b.close().await;
}

/// The main pages at a phone's width and a laptop's: nothing wider than the window, no serious
/// or critical accessibility violation (axe-core: labels, contrast, names, roles), and (with
/// `HOLDFAST_SCREENSHOTS`) a picture of each for the README. GraphiQL renders from the binary.
#[tokio::test(flavor = "multi_thread")]
async fn the_main_pages_fit_a_phone_and_a_laptop() {
    let (today, at) = seoul_morning(1);
    let site = Site::start_at(Some(&at));
    site.wait_for_demo().await;
    let driver = Driver::start().await;
    let guest = site.new_guest("Han Jiwoo").await;
    let operator = site.operator("seaside-stay").await;
    let tomorrow = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap()
        + Duration::days(1))
    .to_string();
    let paid = site
        .hold(&guest, json!({"listingId": HOTEL, "inventoryId": STANDARD_DOUBLE, "stay": {"from": today, "to": tomorrow}, "partySize": 2}))
        .await;
    site.pay(&paid, 120_000, "KRW").await;
    // This server's demo was loaded on its (shifted) date: 10:00 in Seoul is that UTC date.
    let concert = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap()
        + Duration::days(45))
    .to_string();
    for width in [375, 1280] {
        let b = driver.browser(width, "en").await;
        b.sign_in(&site, &guest).await;
        let held = site
            .hold(&guest, json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": concert, "partySize": 2, "quantity": 2}))
            .await;
        let pages = [
            (
                "home",
                "/?region=KR-26&lang=en".to_owned(),
                "#results .card",
            ),
            (
                "business",
                "/b/seaside-stay".to_owned(),
                ".cards .card .next",
            ),
            (
                "listing",
                format!("/b/seaside-stay/{HOTEL}?date={today}"),
                "#calendar .cell.free",
            ),
            ("hold", format!("/book/{held}"), ".countdown"),
            ("me", "/me".to_owned(), "#upcoming li.booking"),
        ];
        for (name, path, ready) in pages {
            b.goto(&site.url(&path)).await;
            b.find(ready).await;
            b.assert_fits().await;
            b.assert_no_junk().await;
            let violations = b.axe().await;
            assert!(
                violations.is_empty(),
                "{name} at {width} px: {violations:#?}"
            );
            b.shot(name).await;
        }
        b.sign_in(&site, &operator).await;
        b.goto(&site.url("/console")).await;
        b.wait_text("#sheet", "Han Jiwoo").await;
        b.assert_fits().await;
        b.assert_no_junk().await;
        let violations = b.axe().await;
        assert!(
            violations.is_empty(),
            "console at {width} px: {violations:#?}"
        );
        b.shot("console").await;
        b.goto(&site.url("/graphiql")).await;
        b.find(".graphiql-container").await;
        if width == 1280 {
            b.shot("graphiql").await;
        }
        b.close().await;
    }
}

/// Sold out: the date says so, the guest joins the waitlist from the listing; a place frees up
/// (someone cancels) and "my bookings" offers it with its deadline; the guest takes it, pays
/// and is confirmed.
#[tokio::test(flavor = "multi_thread")]
async fn a_sold_out_date_takes_a_waitlist_and_the_freed_place_is_offered_and_taken() {
    let site = Site::start();
    site.wait_for_demo().await;
    let date = concert_date();
    let next = (chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap() + Duration::days(1))
        .to_string();
    let operator = site.operator("han-river-live").await;
    site.gql(
        operator["accessToken"].as_str(),
        "mutation($k: String!, $input: SetCapacityInput!) { setCapacity(idempotencyKey: $k, input: $input) { inventoryId } }",
        json!({"k": "cap-2", "input": {"inventoryId": TICKETS, "selection": {"from": date, "to": next}, "capacity": 2}}),
    )
    .await;
    let first = site.new_guest("Oh Daeun").await;
    let taken = site
        .hold(&first, json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": date, "partySize": 2, "quantity": 2}))
        .await;
    site.pay(&taken, 176_000, "KRW").await;

    let driver = Driver::start().await;
    let b = driver.browser(375, "en").await;
    let guest = site.new_guest("Yoon Seoyeon").await;
    b.sign_in(&site, &guest).await;
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
    b.click(&format!("{item} .review-form button[type=submit]"))
        .await;
    b.wait_text(&item, "Thank you: your review is published.")
        .await;

    b.goto(&site.url(&format!("/b/seaside-stay/{HOTEL}?lang=en")))
        .await;
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        let text = b.find(".reviews").await.text().await.unwrap_or_default();
        if text.contains("(1 reviews)") {
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
    b.assert_no_junk().await;
    b.shot("reviews").await;
    b.close().await;
}
