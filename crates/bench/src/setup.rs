//! What the scenarios book on, made through the API itself (an operator of a fresh tenant):
//! a published dated-event listing, stocked inventories, coupon campaigns; and the GraphQL
//! documents the scenarios send.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use holdfast_eventstore::Position;
use serde_json::{Value, json};

use crate::client::{Answer, Api, key};
use crate::error::{BenchError, Context};

/// Places a booking (guests).
pub const PLACE_BOOKING: &str = r#"
mutation($key: String!, $input: PlaceBookingInput!) {
  placeBooking(idempotencyKey: $key, input: $input) {
    bookingId status totals { totalMinor currency } consistencyToken
  }
}"#;

/// Confirms a booking's payment (operators).
pub const CONFIRM_PAYMENT: &str = r#"
mutation($key: String!, $input: ConfirmPaymentInput!) {
  confirmPayment(idempotencyKey: $key, input: $input) { bookingId status consistencyToken }
}"#;

/// Claims a coupon (guests).
pub const CLAIM_COUPON: &str = r#"
mutation($key: String!, $id: ID!) {
  claimCoupon(idempotencyKey: $key, input: {campaignId: $id}) { claimed remaining consistencyToken }
}"#;

/// A range of the availability calendar.
pub const AVAILABILITY: &str = r#"
query($id: ID!, $from: Date!, $to: Date!, $token: String) {
  availability(inventoryId: $id, from: $from, to: $to, consistencyToken: $token) {
    slot capacity held allocated available
  }
}"#;

/// A campaign's counts (operators).
pub const CAMPAIGN_STATS: &str = r#"
query($id: ID!, $token: String) {
  campaignStats(campaignId: $id, consistencyToken: $token) { total claimed remaining }
}"#;

const CREATE_LISTING: &str = r#"
mutation($key: String!, $input: CreateListingInput!) {
  createListing(idempotencyKey: $key, input: $input) { listingId }
}"#;

const PUBLISH: &str = r#"
mutation($key: String!, $id: ID!) {
  publishListing(idempotencyKey: $key, listingId: $id) { status }
}"#;

const DEFINE_INVENTORY: &str = r#"
mutation($key: String!, $input: DefineInventoryInput!) {
  defineInventory(idempotencyKey: $key, input: $input) { inventoryId }
}"#;

const SET_CAPACITY: &str = r#"
mutation($key: String!, $input: SetCapacityInput!) {
  setCapacity(idempotencyKey: $key, input: $input) { consistencyToken }
}"#;

const SET_PRICE: &str = r#"
mutation($key: String!, $input: SetPriceInput!) {
  setPrice(idempotencyKey: $key, input: $input) { consistencyToken }
}"#;

const CREATE_CAMPAIGN: &str = r#"
mutation($key: String!, $input: CreateCampaignInput!) {
  createCampaign(idempotencyKey: $key, input: $input) { campaignId consistencyToken }
}"#;

/// The price of every slot (KRW, no minor unit).
pub const PRICE: i64 = 55_000;

/// The server's clock (bookings must lie in its future).
pub async fn server_now(api: &Api) -> Result<DateTime<Utc>, BenchError> {
    let data = api.ok(None, "{ serverTime }", json!({})).await?;
    let text = data["serverTime"].as_str().context("serverTime")?;
    Ok(DateTime::parse_from_rfc3339(text)?.to_utc())
}

/// The first bookable date: a week after the server's today (clear of any lead time).
pub async fn first_date(api: &Api) -> Result<NaiveDate, BenchError> {
    Ok(server_now(api).await?.date_naive() + Duration::days(7))
}

/// `YYYY-MM-DD`.
pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Creates and publishes a dated-event listing (parties of 1..=10, holds of 15 minutes).
pub async fn listing(api: &Api, operator: &str, name: &str) -> Result<String, BenchError> {
    let input = json!({
        "name": name,
        "category": "EVENT",
        "tags": ["bench"],
        "description": "Made by holdfast-bench.",
        "location": {"address": "1 Myeongdong-gil, Seoul", "regionCode": "KR-11",
                     "latitude": 37.5636, "longitude": 126.9869},
        "timeZone": "Asia/Seoul",
        "displayPrice": {"amountMinor": PRICE, "currency": "KRW"},
        "policy": {
            "slotKind": {"datedEvent": {"startsAt": "19:00"}},
            "partySize": {"min": 1, "max": 10},
            "maxAdvanceDays": 365,
            "holdDurationMinutes": 15
        }
    });
    let data = api
        .ok(
            Some(operator),
            CREATE_LISTING,
            json!({"key": key(), "input": input}),
        )
        .await
        .context("createListing")?;
    let id = data["createListing"]["listingId"]
        .as_str()
        .context("listingId")?
        .to_owned();
    api.ok(Some(operator), PUBLISH, json!({"key": key(), "id": id}))
        .await
        .context("publishListing")?;
    Ok(id)
}

/// Defines an inventory of `listing` with `capacity` units on each date of `[from, to)` at
/// [`PRICE`]; its id and the consistency token of its last write.
pub async fn inventory(
    api: &Api,
    operator: &str,
    listing: &str,
    (from, to): (NaiveDate, NaiveDate),
    capacity: u32,
) -> Result<(String, String), BenchError> {
    let data = api
        .ok(
            Some(operator),
            DEFINE_INVENTORY,
            json!({"key": key(), "input": {"listingId": listing, "name": "Seats", "currency": "KRW"}}),
        )
        .await
        .context("defineInventory")?;
    let id = data["defineInventory"]["inventoryId"]
        .as_str()
        .context("inventoryId")?
        .to_owned();
    let selection = json!({"from": day(from), "to": day(to), "times": []});
    api.ok(
        Some(operator),
        SET_CAPACITY,
        json!({"key": key(), "input": {"inventoryId": id, "selection": selection, "capacity": capacity}}),
    )
    .await
    .context("setCapacity")?;
    let data = api
        .ok(
            Some(operator),
            SET_PRICE,
            json!({"key": key(), "input": {"inventoryId": id, "selection": selection,
                    "price": {"amountMinor": PRICE, "currency": "KRW"}}}),
        )
        .await
        .context("setPrice")?;
    let token = data["setPrice"]["consistencyToken"]
        .as_str()
        .context("consistencyToken")?
        .to_owned();
    Ok((id, token))
}

/// Creates a campaign of `quantity` coupons (one per guest, 1,000 KRW off, valid for a day).
pub async fn campaign(
    api: &Api,
    operator: &str,
    quantity: u32,
    now: DateTime<Utc>,
) -> Result<String, BenchError> {
    let code = format!("BENCH-{}", &ulid::Ulid::new().to_string()[18..]);
    let input = json!({
        "code": code,
        "discount": {"fixed": {"amountMinor": 1000, "currency": "KRW"}},
        "validFrom": (now - Duration::hours(1)).to_rfc3339(),
        "validUntil": (now + Duration::days(1)).to_rfc3339(),
        "totalQuantity": quantity,
        "perGuestLimit": 1
    });
    let data = api
        .ok(
            Some(operator),
            CREATE_CAMPAIGN,
            json!({"key": key(), "input": input}),
        )
        .await
        .context("createCampaign")?;
    Ok(data["createCampaign"]["campaignId"]
        .as_str()
        .context("campaignId")?
        .to_owned())
}

/// The later of two consistency tokens.
pub fn later(a: Option<String>, b: &str) -> Option<String> {
    let parse = |t: &str| t.parse::<Position>().ok();
    match a {
        Some(a) if parse(&a) >= parse(b) => Some(a),
        _ => Some(b.to_owned()),
    }
}

/// One slot of the calendar as the bench reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotCounts {
    /// Units offered.
    pub capacity: i64,
    /// Held.
    pub held: i64,
    /// Allocated.
    pub allocated: i64,
}

/// The calendar of `inventory` on `[from, to]` once it has applied `token`.
pub async fn calendar(
    api: &Api,
    inventory: &str,
    (from, to): (NaiveDate, NaiveDate),
    token: Option<&str>,
) -> Result<Vec<SlotCounts>, BenchError> {
    // The server waits at most 5 s for a token; a loaded machine may need longer.
    let mut last = None;
    for _ in 0..24 {
        match api
            .call(
                None,
                AVAILABILITY,
                json!({"id": inventory, "from": day(from), "to": day(to), "token": token}),
            )
            .await
        {
            Answer::Data(data) => {
                let days = data["availability"].as_array().cloned().unwrap_or_default();
                return Ok(days
                    .iter()
                    .map(|d| SlotCounts {
                        capacity: d["capacity"].as_i64().unwrap_or(0),
                        held: d["held"].as_i64().unwrap_or(0),
                        allocated: d["allocated"].as_i64().unwrap_or(0),
                    })
                    .collect());
            }
            Answer::Error { code, message } if code == "TIMEOUT" => {
                last = Some(message);
            }
            Answer::Error { code, message } => {
                return Err(BenchError::failed(format!(
                    "availability: {code}: {message}"
                )));
            }
        }
    }
    Err(BenchError::failed(format!(
        "the calendar did not catch up within two minutes: {}",
        last.unwrap_or_default()
    )))
}

/// Extracts a string field.
pub fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}
