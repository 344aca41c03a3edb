//! The pages themselves: Korean, and every main page at a phone's and a laptop's width.

use serde_json::json;

use crate::support::{Driver, Site};
use crate::*;

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
    paid_night(&site, &guest, &today, 120_000).await;
    // This server's demo was loaded on its (shifted) date: 10:00 in Seoul is that UTC date.
    let concert = days_after(&today, 45);
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
