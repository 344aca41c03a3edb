//! Listing fixtures of the search tests: four listings made by the real Listing aggregate.

use chrono::NaiveTime;
use holdfast_domain::Decide;
use holdfast_domain::common::{Currency, ListingId, Money, TenantId};
use holdfast_domain::listing::{
    Category, CreateListing, Listing, ListingCommand, LocationInput, UpdateListingDetails,
};
use holdfast_domain::policy::PolicySpec;

use super::{Log, ulid};

pub fn krw(n: i64) -> Money {
    Money::new(n, Currency::parse("KRW").unwrap())
}

pub fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

pub fn loc(region: &str, lat: f64, lon: f64) -> LocationInput {
    LocationInput {
        address: "somewhere 1".into(),
        region_code: region.into(),
        lat_e7: (lat * 1e7).round() as i64,
        lon_e7: (lon * 1e7).round() as i64,
    }
}

pub const INSADONG: (f64, f64) = (37.574, 126.985);
pub const YEOUIDO: (f64, f64) = (37.5219, 126.9245);
pub const HAEUNDAE: (f64, f64) = (35.1587, 129.1604);
pub const CITY_HALL: (f64, f64) = (37.5665, 126.978);

pub struct Lst {
    /// Its id.
    pub id: String,
    /// The aggregate.
    pub state: Listing,
}

impl Lst {
    /// Runs a command (which must succeed).
    pub fn run(&mut self, log: &mut Log, command: ListingCommand) -> usize {
        log.exec(&self.id, &mut self.state, |s, svc| s.decide(command, svc))
    }

    /// Updates details.
    pub fn update(&mut self, log: &mut Log, u: UpdateListingDetails) {
        self.run(log, ListingCommand::UpdateListingDetails(Box::new(u)));
    }
}

#[allow(clippy::too_many_arguments)]
pub fn create(
    log: &mut Log,
    n: u32,
    name: &str,
    category: Category,
    tags: &[&str],
    location: LocationInput,
    price: i64,
    policy: PolicySpec,
    publish: bool,
) -> Lst {
    let id = ulid(3, n);
    let mut l = Lst {
        id: id.clone(),
        state: Listing::default(),
    };
    l.run(
        log,
        ListingCommand::CreateListing(Box::new(CreateListing {
            listing_id: ListingId::parse(&id).unwrap(),
            tenant_id: TenantId::parse(&ulid(2, 1)).unwrap(),
            name: name.into(),
            category,
            tags: tags.iter().map(|s| s.to_string()).collect(),
            description: "A fine place.".into(),
            location,
            time_zone: "Asia/Seoul".into(),
            display_price: krw(price),
            policy,
        })),
    );
    if publish {
        l.run(log, ListingCommand::Publish);
    }
    l
}

/// The four listings of these tests: three published, one draft.
pub fn world(log: &mut Log) -> [Lst; 4] {
    let bingsu = create(
        log,
        1,
        "Snowflake Bingsu",
        Category::Restaurant,
        &["bingsu", "dessert"],
        loc("KR-11", INSADONG.0, INSADONG.1),
        12_000,
        PolicySpec::time_slots(60, t("18:00"), t("21:00")),
        true,
    );
    let hotel = create(
        log,
        2,
        "Han River Hotel",
        Category::Accommodation,
        &["river view", "hotel"],
        loc("KR-11", YEOUIDO.0, YEOUIDO.1),
        150_000,
        PolicySpec::nightly(t("15:00"), t("11:00")),
        true,
    );
    let cafe = create(
        log,
        3,
        "Busan Sea Cafe",
        Category::Restaurant,
        &["dessert", "sea"],
        loc("KR-26", HAEUNDAE.0, HAEUNDAE.1),
        9_000,
        PolicySpec::time_slots(60, t("10:00"), t("20:00")),
        true,
    );
    let draft = create(
        log,
        4,
        "Draft Dessert Bar",
        Category::Restaurant,
        &["dessert"],
        loc("KR-11", INSADONG.0, INSADONG.1),
        8_000,
        PolicySpec::time_slots(60, t("18:00"), t("21:00")),
        false,
    );
    [bingsu, hotel, cafe, draft]
}
