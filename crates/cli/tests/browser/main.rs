//! The booking site and the console in a real browser: headless Chromium over WebDriver
//! against a real `holdfast serve` (see `support`). Each test is a person's journey, checked
//! by what the page shows and by what the server recorded.
//!
//! `HOLDFAST_SCREENSHOTS=docs/screenshots cargo nextest run -p holdfast-cli --test browser`
//! refreshes the README's screenshots.

mod guest;
mod live;
mod operator;
mod pages;
mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::Site;

const CONCERT: &str = "01JDQY77ZXYYK596NGYA1DQ91K";
const TICKETS: &str = "01JD8XE6SZAEAVSNTCPM5Q1NXW";

/// The concert's date: 45 days after the demo was loaded (the server's UTC date).
fn concert_date() -> String {
    (Utc::now().date_naive() + Duration::days(45)).to_string()
}

const HOTEL: &str = "01JDDJ8FSSZ5AWSH8VHTPRE95B";
const STANDARD_DOUBLE: &str = "01JD5GQAPENECFSECZP11HYGCP";
const BINGSU: &str = "01JDS3C4DWA7N36096Q14DR9GP";
const BINGSU_TABLES: &str = "01JDYFGCW8T7SWM4FV4DK79Q9G";

/// The date `days` after `date` ("YYYY-MM-DD").
fn days_after(date: &str, days: i64) -> String {
    (chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap() + Duration::days(days))
        .to_string()
}

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
    let next = days_after(date, 1);
    let booking = site
        .hold(
            guest,
            json!({"listingId": HOTEL, "inventoryId": STANDARD_DOUBLE, "stay": {"from": date, "to": next}, "partySize": 2}),
        )
        .await;
    site.pay(&booking, amount, "KRW").await;
    booking
}
