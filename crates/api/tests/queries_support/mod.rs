//! Data for the query tests, written through the real dispatchers with real domain commands
//! (`app.engine.commands.<aggregate>.execute(..)`); every helper returns the consistency token
//! of what it committed.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use holdfast_domain::booking::{
    BookingCommand, Label, PartySize, PricedLine, Quantity, RequestBooking,
};
use holdfast_domain::common::{
    BookingId, CampaignId, CancellationPolicy, Currency, DateRange, GuestId, InventoryId,
    ListingId, Money, Slot, TenantId,
};
use holdfast_domain::coupon::{CampaignTerms, CouponCode, CouponCommand, Discount};
use holdfast_domain::inventory::{InventoryCommand, InventoryName, SlotSelection};
use holdfast_domain::listing::{Category, CreateListing, ListingCommand, LocationInput};
use holdfast_domain::policy::PolicySpec;
use holdfast_engine::consistency::token;
use holdfast_engine::dispatch::Committed;

use crate::support::TestApp;

pub fn krw(n: i64) -> Money {
    Money::new(n, Currency::parse("KRW").unwrap())
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

fn tok(c: Committed) -> String {
    token(c.position).expect("a committed command has a position")
}

/// A listing to create.
pub struct NewListing<'a> {
    pub tenant: TenantId,
    pub name: &'a str,
    pub category: Category,
    pub tags: &'a [&'a str],
    pub region: &'a str,
    pub point: (f64, f64),
    pub price: i64,
    pub nightly: bool,
}

impl<'a> NewListing<'a> {
    /// A restaurant in Seoul (KR-11) near Insadong, 12 000 KRW.
    pub fn restaurant(tenant: TenantId, name: &'a str) -> Self {
        Self {
            tenant,
            name,
            category: Category::Restaurant,
            tags: &["dessert"],
            region: "KR-11",
            point: (37.574, 126.985),
            price: 12_000,
            nightly: false,
        }
    }
}

/// Creates (and, if `publish`, publishes) a listing; returns its id and the last token.
pub async fn create_listing(
    app: &TestApp,
    l: NewListing<'_>,
    publish: bool,
) -> (ListingId, String) {
    let id = ListingId::new();
    let policy = if l.nightly {
        PolicySpec::nightly(t("15:00"), t("11:00"))
    } else {
        PolicySpec::time_slots(60, t("18:00"), t("21:00"))
    };
    let d = &app.engine.commands.listings;
    let mut last = d
        .execute(
            &id.to_string(),
            ListingCommand::CreateListing(Box::new(CreateListing {
                listing_id: id,
                tenant_id: l.tenant,
                name: l.name.into(),
                category: l.category,
                tags: l.tags.iter().map(|s| s.to_string()).collect(),
                description: "A fine place.".into(),
                location: LocationInput {
                    address: "somewhere 1".into(),
                    region_code: l.region.into(),
                    lat_e7: (l.point.0 * 1e7).round() as i64,
                    lon_e7: (l.point.1 * 1e7).round() as i64,
                },
                time_zone: "Asia/Seoul".into(),
                display_price: krw(l.price),
                policy,
            })),
            HashMap::new(),
        )
        .await
        .unwrap();
    if publish {
        last = d
            .execute(&id.to_string(), ListingCommand::Publish, HashMap::new())
            .await
            .unwrap();
    }
    (id, tok(last))
}

/// Defines an inventory of `listing` with `capacity` on each of `days` days from `from`,
/// priced 10 000 KRW a unit.
pub async fn define_inventory(
    app: &TestApp,
    tenant: TenantId,
    listing: ListingId,
    from: &str,
    days: u64,
    capacity: u32,
) -> (InventoryId, String) {
    let id = InventoryId::new();
    let d = &app.engine.commands.inventories;
    let key = id.to_string();
    let run = |command| d.execute(&key, command, HashMap::new());
    run(InventoryCommand::DefineInventory {
        inventory_id: id,
        tenant_id: tenant,
        listing_id: listing,
        name: InventoryName::parse("Table for two").unwrap(),
        currency: Currency::parse("KRW").unwrap(),
    })
    .await
    .unwrap();
    let start = date(from);
    let range = DateRange::new(start, start + chrono::Days::new(days)).unwrap();
    run(InventoryCommand::SetCapacity {
        selection: SlotSelection::days(range),
        capacity,
    })
    .await
    .unwrap();
    let last = run(InventoryCommand::SetPrice {
        selection: SlotSelection::days(range),
        price: krw(10_000),
    })
    .await
    .unwrap();
    (id, tok(last))
}

/// Holds `quantity` units of the day slots `days` for a new booking id; confirms the hold when
/// `confirm`.
pub async fn hold(
    app: &TestApp,
    inventory: InventoryId,
    days: &[&str],
    quantity: u32,
    confirm: bool,
) -> String {
    let booking = BookingId::new();
    let d = &app.engine.commands.inventories;
    let mut last = d
        .execute(
            &inventory.to_string(),
            InventoryCommand::PlaceHold {
                booking_id: booking,
                slots: days.iter().map(|s| Slot::parse(s).unwrap()).collect(),
                quantity,
                expires_at: app.engine.services.clock.now() + Duration::minutes(15),
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    if confirm {
        last = d
            .execute(
                &inventory.to_string(),
                InventoryCommand::ConfirmHold {
                    booking_id: booking,
                },
                HashMap::new(),
            )
            .await
            .unwrap();
    }
    tok(last)
}

/// The ids a booking is about.
#[derive(Clone, Copy)]
pub struct BookingKeys {
    pub tenant: TenantId,
    pub listing: ListingId,
    pub inventory: InventoryId,
    pub guest: GuestId,
}

/// Requests a booking of `slots` (10 000 KRW each, one unit, party of 2); returns its id and
/// the token.
pub async fn request_booking(app: &TestApp, k: BookingKeys, slots: &[&str]) -> (BookingId, String) {
    let id = BookingId::new();
    let slots: Vec<Slot> = slots.iter().map(|s| Slot::parse(s).unwrap()).collect();
    let lines = slots
        .iter()
        .map(|s| PricedLine {
            slot: *s,
            unit_price: krw(10_000),
            quantity: Quantity::parse(1).unwrap(),
            amount: krw(10_000),
        })
        .collect();
    let starts_at = slots[0].date.and_hms_opt(9, 0, 0).unwrap().and_utc();
    let committed = app
        .engine
        .commands
        .bookings
        .execute(
            &id.to_string(),
            BookingCommand::RequestBooking(RequestBooking {
                booking_id: id,
                tenant_id: k.tenant,
                listing_id: k.listing,
                inventory_id: k.inventory,
                guest_id: k.guest,
                party_size: PartySize::parse(2).unwrap(),
                quantity: Quantity::parse(1).unwrap(),
                slots,
                lines,
                starts_at,
                ends_at: starts_at + Duration::hours(2),
                cancellation: CancellationPolicy::non_refundable(),
            }),
            HashMap::new(),
        )
        .await
        .unwrap();
    (id, tok(committed))
}

/// Marks a requested booking held, then pays `amount` (confirming it).
pub async fn hold_and_pay(app: &TestApp, booking: BookingId, amount: i64) -> String {
    let d = &app.engine.commands.bookings;
    let now = app.engine.services.clock.now();
    d.execute(
        &booking.to_string(),
        BookingCommand::MarkHeld {
            hold_expires_at: now + Duration::minutes(15),
        },
        HashMap::new(),
    )
    .await
    .unwrap();
    let committed = d
        .execute(
            &booking.to_string(),
            BookingCommand::ConfirmPayment {
                provider: Label::parse("stripe").unwrap(),
                reference: Label::parse(&format!("pi_{booking}")).unwrap(),
                amount: krw(amount),
                paid_at: now,
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    tok(committed)
}

/// Creates a campaign of `tenant`: 1 000 KRW off, `total` coupons, 2 per guest, valid through
/// 2030.
pub async fn create_campaign(
    app: &TestApp,
    tenant: TenantId,
    code: &str,
    total: u32,
) -> (CampaignId, String) {
    let id = CampaignId::new();
    let committed = app
        .engine
        .commands
        .coupons
        .execute(
            &id.to_string(),
            CouponCommand::CreateCampaign {
                campaign_id: id,
                tenant_id: tenant,
                terms: CampaignTerms {
                    code: CouponCode::parse(code).unwrap(),
                    discount: Discount::Fixed(krw(1_000)),
                    min_spend: None,
                    valid_from: at("2030-01-01T00:00:00Z"),
                    valid_until: at("2031-01-01T00:00:00Z"),
                    total_quantity: total,
                    per_guest_limit: 2,
                    applicable_listings: vec![],
                    restore_on_cancel: true,
                },
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    (id, tok(committed))
}

/// `guest` claims a coupon of `campaign`.
pub async fn claim(app: &TestApp, campaign: CampaignId, guest: GuestId) -> String {
    let committed = app
        .engine
        .commands
        .coupons
        .execute(
            &campaign.to_string(),
            CouponCommand::ClaimCoupon { guest_id: guest },
            HashMap::new(),
        )
        .await
        .unwrap();
    tok(committed)
}
