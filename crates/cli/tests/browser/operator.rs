//! The operator at the counter: the grid, today's sheet live, check-in, the rules editor.

use serde_json::json;

use crate::support::{Driver, Site};
use crate::*;

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
    let last_night = days_after(&today, 2);
    b.wait_text(&first, "/20").await;
    b.click(&first).await;
    b.shift_click(&format!("#grid button[data-slot='{last_night}']"))
        .await;
    b.wait_text("#live", "3 slots selected").await;
    b.fill("#set-capacity", "7").await;
    b.click("#apply-capacity").await;
    b.wait_text("#panel", "Capacity set to 7.").await;
    b.wait_text(&first, "0/7").await;
    // The selection was cleared: select the same range again for the price.
    b.click(&first).await;
    b.shift_click(&format!("#grid button[data-slot='{last_night}']"))
        .await;
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

/// The points tab: the owner starts a programme (5 %, a year) and corrects a guest's points
/// with a reason; a deduction past the balance is refused in words; the guest's history shows
/// the reason.
#[tokio::test(flavor = "multi_thread")]
async fn an_operator_runs_a_points_programme_and_corrects_a_guests_points() {
    let site = Site::start();
    site.wait_for_demo().await;
    let guest = site.new_guest("Seo Jihun").await;
    let date = concert_date();
    site.hold(
        &guest,
        json!({"listingId": CONCERT, "inventoryId": TICKETS, "eventDate": date, "partySize": 1}),
    )
    .await;
    let driver = Driver::start().await;
    let b = driver.browser(1280, "en").await;
    b.goto(&site.url("/signin?next=/console%23points&lang=en"))
        .await;
    b.fill("#signin-business", "han-river-live").await;
    b.fill("#signin-email", "owner@han-river-live.example")
        .await;
    b.fill("#signin-password", "holdfast-demo").await;
    b.click("#signin-form button[type=submit]").await;
    b.wait_path("/console").await;
    b.click("#tab-points").await;
    b.wait_text("#points-program", "No points programme").await;
    b.fill("#points-share", "5").await;
    b.fill("#points-days", "365").await;
    b.click("form.points-program button[type=submit]").await;
    b.wait_text(
        "#points-program",
        "Guests earn 5% of what they pay; points last 365 days.",
    )
    .await;

    b.find("#points-guest")
        .await
        .select_by_value(guest["guestId"].as_str().unwrap())
        .await
        .unwrap();
    b.fill("#points-amount", "1500").await;
    b.fill("#points-reason", "Sorry about the rain").await;
    b.click("form.points-adjust button[type=submit]").await;
    b.wait_text("#points-balance", "Their balance is now 1,500 points.")
        .await;
    b.fill("#points-amount", "-2000").await;
    b.fill("#points-reason", "Too much").await;
    b.click("form.points-adjust button[type=submit]").await;
    b.wait_text(
        "#points-balance",
        "That would take their points below zero.",
    )
    .await;
    assert!(b.axe().await.is_empty(), "accessibility");
    b.assert_fits().await;
    b.shot("console-points").await;

    let account = site
        .gql(
            guest["accessToken"].as_str(),
            "query($t: ID!) { pointsAccount(tenantId: $t) { balance history { reason } program { earnBp } } }",
            json!({"t": guest_tenant(&site, "han-river-live").await}),
        )
        .await;
    assert_eq!(account["pointsAccount"]["balance"], 1_500);
    assert_eq!(
        account["pointsAccount"]["history"][0]["reason"],
        "Sorry about the rain"
    );
    assert_eq!(account["pointsAccount"]["program"]["earnBp"], 500);
    b.close().await;
}

async fn guest_tenant(site: &Site, slug: &str) -> serde_json::Value {
    site.gql(
        None,
        "query($s: String!) { business(slug: $s) { tenantId } }",
        json!({"s": slug}),
    )
    .await["business"]["tenantId"]
        .clone()
}
