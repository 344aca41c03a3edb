//! Listing tests: given/when/then per command and rejection, values, properties and JSON.

mod create;
mod details;
mod policy_change;
mod properties;
mod ratings;
mod status;
mod values;

use chrono::{DateTime, NaiveTime, Utc};

use super::*;
use crate::common::{Currency, ListingId, Money, TenantId};
use crate::decide::Decide;
use crate::policy::{BookingPolicy, PolicySpec};
use crate::services::{DomainServices, FixedClock};
use crate::testing::TestFramework;

pub(super) type ListingTest = TestFramework<Listing>;

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(super) fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

pub(super) fn services() -> DomainServices {
    DomainServices::with_clock(FixedClock::new(at("2026-07-01T00:00:00Z")))
}

pub(super) fn test() -> ListingTest {
    TestFramework::with(services())
}

pub(super) fn listing_id() -> ListingId {
    ListingId::parse("01JZ0000000000000000000001").unwrap()
}

pub(super) fn tenant_id() -> TenantId {
    TenantId::parse("01JZ0000000000000000000002").unwrap()
}

pub(super) fn krw(amount: i64) -> Money {
    Money::new(amount, Currency::parse("KRW").unwrap())
}

/// The bingsu shop's policy: hourly slots 19:00..=21:00, same-day bookings from 18:00.
pub(super) fn bingsu_policy() -> PolicySpec {
    let mut spec = PolicySpec::time_slots(60, t("19:00"), t("21:00"));
    spec.opens = Some(crate::policy::WindowOpening {
        days_before: 0,
        at: t("18:00"),
    });
    spec
}

pub(super) fn seoul_location() -> LocationInput {
    LocationInput {
        address: "12 Insadong-gil, Jongno-gu, Seoul".into(),
        region_code: "kr-11".into(),
        lat_e7: 375_740_000,
        lon_e7: 1_269_850_000,
    }
}

pub(super) fn create_cmd() -> CreateListing {
    CreateListing {
        listing_id: listing_id(),
        tenant_id: tenant_id(),
        name: "  Snowflake Bingsu ".into(),
        category: Category::Restaurant,
        tags: vec!["Bingsu".into(), "dessert".into(), " bingsu".into()],
        description: "Shaved ice with red beans.".into(),
        location: seoul_location(),
        time_zone: "Asia/Seoul".into(),
        display_price: krw(12_000),
        policy: bingsu_policy(),
    }
}

pub(super) fn create() -> ListingCommand {
    ListingCommand::CreateListing(Box::new(create_cmd()))
}

/// The event `create()` produces.
pub(super) fn created() -> ListingEvent {
    ListingEvent::ListingCreated {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        name: ListingName::parse("Snowflake Bingsu").unwrap(),
        category: Category::Restaurant,
        tags: Tags::parse(&["bingsu", "dessert"]).unwrap(),
        description: Description::parse("Shaved ice with red beans.").unwrap(),
        location: Location::parse(
            "12 Insadong-gil, Jongno-gu, Seoul",
            "KR-11",
            375_740_000,
            1_269_850_000,
        )
        .unwrap(),
        time_zone: chrono_tz::Asia::Seoul,
        display_price: krw(12_000),
        policy: BookingPolicy::new(bingsu_policy()).unwrap(),
    }
}

pub(super) fn published() -> ListingEvent {
    ListingEvent::ListingPublished {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
    }
}

pub(super) fn suspended(reason: &str) -> ListingEvent {
    ListingEvent::ListingSuspended {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        reason: SuspensionReason::parse(reason).unwrap(),
    }
}

pub(super) fn reinstated() -> ListingEvent {
    ListingEvent::ListingReinstated {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
    }
}

pub(super) fn archived(from: ListingStatus) -> ListingEvent {
    ListingEvent::ListingArchived {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        from,
    }
}

pub(super) fn update(u: UpdateListingDetails) -> ListingCommand {
    ListingCommand::UpdateListingDetails(Box::new(u))
}

/// An update event with only the ids set; fill in what changed.
pub(super) fn details_updated() -> ListingEvent {
    ListingEvent::ListingDetailsUpdated {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        name: None,
        category: None,
        tags: None,
        description: None,
        location: None,
        time_zone: None,
        display_price: None,
    }
}

/// Replays `events` onto a default listing.
pub(super) fn replay(events: impl IntoIterator<Item = ListingEvent>) -> Listing {
    use cqrs_es::Aggregate;
    let mut listing = Listing::default();
    for e in events {
        listing.apply(e);
    }
    listing
}
