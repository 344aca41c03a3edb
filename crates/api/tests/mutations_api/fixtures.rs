//! Shared setup of the `mutations_*` tests: listings, inventories and bookings made through
//! the GraphQL mutations themselves (so every fixture is also a success path).
#![allow(dead_code)]

use chrono::NaiveDate;
use holdfast_engine::consistency;
use holdfast_eventstore::Position;
use holdfast_projections::models::calendar::{CalendarDay, calendar};
use holdfast_projections::store::Table;
use serde_json::{Value, json};

use crate::support::TestApp;
#[allow(unused_imports)] // each test binary that includes this file uses some of them
pub use holdfast_testkit::graphql::{
    CREATE_LISTING, DEFINE_INVENTORY, PLACE_BOOKING, PUBLISH, SET_CAPACITY, SET_PRICE,
};

/// A unique idempotency key.
pub fn key() -> String {
    ulid::Ulid::new().to_string()
}

/// A dated-event policy (one date per booking, parties of 1..=10).
pub fn event_policy() -> Value {
    json!({
        "slotKind": {"datedEvent": {"startsAt": "19:00"}},
        "partySize": {"min": 1, "max": 10},
        "maxAdvanceDays": 365,
        "holdDurationMinutes": 15
    })
}

/// The bingsu shop: hourly table times 18:00..=21:00, same-day bookings open at 18:00.
pub fn same_day_policy() -> Value {
    json!({
        "slotKind": {"timeSlot": {"minutes": 60, "firstStart": "18:00", "lastStart": "21:00"}},
        "opens": {"daysBefore": 0, "at": "18:00"},
        "partySize": {"min": 1, "max": 6},
        "maxAdvanceDays": 0,
        "holdDurationMinutes": 10
    })
}

/// A listing input in Seoul with `policy`.
pub fn listing_input(name: &str, policy: Value) -> Value {
    json!({
        "name": name,
        "category": "RESTAURANT",
        "tags": ["bingsu", "dessert"],
        "description": "Shaved ice.",
        "location": {"address": "1 Myeongdong-gil, Seoul", "regionCode": "KR-11",
                     "latitude": 37.5636, "longitude": 126.9869},
        "timeZone": "Asia/Seoul",
        "displayPrice": {"amountMinor": 12000, "currency": "KRW"},
        "policy": policy
    })
}

/// Creates and publishes a listing; returns its id.
pub async fn published_listing(app: &TestApp, operator: &str, policy: Value) -> String {
    let data = app
        .ok(
            Some(operator),
            CREATE_LISTING,
            json!({"key": key(), "input": listing_input("Snowflake Bingsu", policy)}),
        )
        .await;
    let id = data["createListing"]["listingId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(data["createListing"]["status"], "DRAFT");
    let data = app
        .ok(Some(operator), PUBLISH, json!({"key": key(), "id": id}))
        .await;
    assert_eq!(data["publishListing"]["status"], "PUBLISHED");
    id
}

/// Defines an inventory for `listing` and gives the slots of `[from, to)` (at `times`)
/// `capacity` units at `price` KRW; returns its id.
pub async fn stocked_inventory(
    app: &TestApp,
    operator: &str,
    listing: &str,
    (from, to, times): (&str, &str, &[&str]),
    capacity: u32,
    price: i64,
) -> String {
    let data = app
        .ok(
            Some(operator),
            DEFINE_INVENTORY,
            json!({"key": key(), "input": {"listingId": listing, "name": "Tables", "currency": "KRW"}}),
        )
        .await;
    let id = data["defineInventory"]["inventoryId"]
        .as_str()
        .unwrap()
        .to_owned();
    let selection = json!({"from": from, "to": to, "times": times});
    app.ok(
        Some(operator),
        SET_CAPACITY,
        json!({"key": key(), "input": {"inventoryId": id, "selection": selection, "capacity": capacity}}),
    )
    .await;
    app.ok(
        Some(operator),
        SET_PRICE,
        json!({"key": key(), "input": {"inventoryId": id, "selection": selection,
                "price": {"amountMinor": price, "currency": "KRW"}}}),
    )
    .await;
    id
}

/// The calendar read model of `inventory` on `[from, to]`, once it has applied `token`.
pub async fn calendar_after(
    app: &TestApp,
    token: Option<&str>,
    inventory: &str,
    from: &str,
    to: &str,
) -> Vec<CalendarDay> {
    caught_up(app, Table::Calendar, token).await;
    let table = built(app, Table::Calendar).await;
    calendar(
        app.engine.read_side.store().as_ref(),
        table,
        inventory,
        date(from),
        date(to),
    )
    .await
    .unwrap()
}

/// Waits until `table` has applied `token`. The API's own wait is bounded (5 s); under a
/// loaded test machine (many apps and projectors on few cores) a projector may lag longer, so
/// this retries the bounded wait for up to a minute.
pub async fn caught_up(app: &TestApp, table: Table, token: Option<&str>) {
    for _ in 0..12 {
        match consistency::wait(&app.engine, table, token).await {
            Ok(()) => return,
            Err(e) if e.code == holdfast_api::error::ErrorCode::Timeout => continue,
            Err(e) => panic!("waiting for {table}: {e:?}"),
        }
    }
    panic!("{table} did not apply {token:?} within a minute");
}

/// The generation readers use of `table`, once its projector has built one (right after a
/// start, on a loaded machine, it may not have yet: `UNAVAILABLE`, retried for up to a minute).
pub async fn built(app: &TestApp, table: Table) -> holdfast_projections::store::TableRef {
    for _ in 0..600 {
        match consistency::current(&app.engine, table).await {
            Ok(table) => return table,
            Err(e) if e.code == holdfast_api::error::ErrorCode::Unavailable => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => panic!("reading the alias of {table}: {e:?}"),
        }
    }
    panic!("{table} was not built within a minute");
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The position of the last committed event (exact: the log reader's own `head` is the safe
/// head below every running transaction, which may lag).
pub async fn log_head(app: &TestApp) -> Position {
    let pool = app.engine.store.pg_pool().expect("a Postgres app");
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT tx_id::text, global_position FROM events
          ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
    .unwrap();
    row.map_or(Position::START, |(tx, index)| {
        Position::new(tx.parse().unwrap(), u64::try_from(index).unwrap())
    })
}

/// The number of stored events.
pub async fn event_count(app: &TestApp) -> i64 {
    let pool = app.engine.store.pg_pool().expect("a Postgres app");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

/// A published dated-event listing (19:00 in Seoul) with `capacity` units at 30 000 KRW on
/// 1 February 2030; its id and its inventory's.
pub async fn event_venue(app: &TestApp, operator: &str, capacity: u32) -> (String, String) {
    let listing = published_listing(app, operator, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        operator,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        capacity,
        30_000,
    )
    .await;
    (listing, inventory)
}

/// An operator of a business that exists (onboarded directly on the engine).
pub async fn onboarded_operator(app: &TestApp) -> (holdfast_domain::common::TenantId, String) {
    let (tenant, op) = crate::support::operator();
    app.engine
        .commands
        .tenants
        .execute(
            &tenant.to_string(),
            holdfast_domain::tenant::TenantCommand::Onboard(Box::new(
                holdfast_domain::tenant::Onboard {
                    tenant_id: tenant,
                    name: holdfast_domain::tenant::BusinessName::parse("Han River Live").unwrap(),
                    slug: holdfast_domain::tenant::Slug::parse(&format!(
                        "live-{}",
                        tenant.to_string().to_lowercase()
                    ))
                    .unwrap(),
                    time_zone: chrono_tz::Asia::Seoul,
                    currency: holdfast_domain::common::Currency::parse("KRW").unwrap(),
                    branding: holdfast_domain::tenant::Branding::default(),
                    owner: holdfast_domain::common::AccountId::new(),
                    owner_email: holdfast_domain::tenant::Digest::parse(&"ab".repeat(32)).unwrap(),
                },
            )),
            Default::default(),
        )
        .await
        .unwrap();
    (tenant, op)
}
