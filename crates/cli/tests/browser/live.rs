//! Live parts: two browsers on one calendar, the widget on another origin.

use serde_json::json;

use crate::support::{self, Driver, Site};
use crate::*;

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
