//! The search read model, driven by the real Listing and Inventory aggregates: region +
//! category, near a point, keyword/tag, filters, status changes and stale index entries.

mod models_support;

use chrono::Duration;
use holdfast_domain::Decide;
use holdfast_domain::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Slot, TenantId,
};
use holdfast_domain::inventory::{Inventory, InventoryCommand, InventoryName, SlotSelection};
use holdfast_domain::listing::{Category, ListingCommand, UpdateListingDetails};
use holdfast_domain::policy::PolicySpec;
use holdfast_projections::models::QueryError;
use holdfast_projections::models::calendar::CalendarProjection;
use holdfast_projections::models::search::{
    AvailableDates, Near, SearchProjection, SearchQuery, search,
};
use holdfast_projections::store::memory::MemoryStore;
use holdfast_projections::store::{ReadStore, Table, TableRef};
use models_support::listings::*;
use models_support::*;
use proptest::prelude::*;

const NOW: &str = "2026-07-01T00:00:00Z";

const SEARCH: TableRef = TableRef {
    table: Table::Search,
    generation: 1,
};
const CALENDAR: TableRef = TableRef {
    table: Table::Calendar,
    generation: 1,
};

async fn projected(log: &Log) -> MemoryStore {
    let store = MemoryStore::new();
    store.create_table(SEARCH).await.unwrap();
    store.create_table(CALENDAR).await.unwrap();
    project(&store, SEARCH, &SearchProjection, &log.events).await;
    project(&store, CALENDAR, &CalendarProjection, &log.events).await;
    store
}

async fn ids(store: &MemoryStore, mut q: SearchQuery) -> Vec<String> {
    if q.first == 0 {
        q.first = 50;
    }
    let page = search(store, SEARCH, &q).await.unwrap();
    assert!(!page.has_next_page);
    page.hits.into_iter().map(|h| h.listing_id).collect()
}

fn region(r: &str, category: Option<Category>) -> SearchQuery {
    SearchQuery {
        region: Some(r.into()),
        category,
        ..SearchQuery::default()
    }
}

fn keyword(k: &str) -> SearchQuery {
    SearchQuery {
        keyword: Some(k.into()),
        ..SearchQuery::default()
    }
}

fn near(point: (f64, f64), radius_km: f64) -> SearchQuery {
    SearchQuery {
        near: Some(Near {
            lat: point.0,
            lon: point.1,
            radius_km,
        }),
        ..SearchQuery::default()
    }
}

#[tokio::test]
async fn it_finds_published_listings_by_region_category_point_and_keyword() {
    let mut log = Log::new(NOW);
    let [bingsu, hotel, cafe, _draft] = world(&mut log);
    let store = projected(&log).await;
    let (b, h, c) = (bingsu.id.clone(), hotel.id.clone(), cafe.id.clone());

    assert_eq!(
        ids(&store, region("KR-11", Some(Category::Restaurant))).await,
        [b.as_str()]
    );
    assert_eq!(
        ids(&store, region("kr-11", None)).await,
        [b.as_str(), h.as_str()]
    );
    assert_eq!(
        ids(&store, region("KR-26", Some(Category::Restaurant))).await,
        [c.as_str()]
    );
    assert!(
        ids(&store, region("KR-26", Some(Category::Shop)))
            .await
            .is_empty()
    );

    // Insadong is ~1 km from City Hall, Yeouido ~6 km, Busan ~325 km.
    assert_eq!(ids(&store, near(CITY_HALL, 3.0)).await, [b.as_str()]);
    assert_eq!(
        ids(&store, near(CITY_HALL, 10.0)).await,
        [b.as_str(), h.as_str()]
    );
    let hit = search(
        &store,
        SEARCH,
        &SearchQuery {
            first: 5,
            ..near(CITY_HALL, 3.0)
        },
    )
    .await
    .unwrap()
    .hits
    .remove(0);
    assert!((0.5..2.0).contains(&hit.distance_km.unwrap()));
    assert_eq!(hit.name, "Snowflake Bingsu");
    assert_eq!((hit.party_min, hit.party_max), (1, 8));
    assert_eq!(hit.slot_kind, "time_slot");
    assert_eq!(hit.display_price.amount_minor, 12_000);

    // The draft is never found; a name word and a tag of one listing give one hit.
    assert_eq!(
        ids(&store, keyword("Dessert")).await,
        [b.as_str(), c.as_str()]
    );
    assert_eq!(ids(&store, keyword("bingsu")).await, [b.as_str()]);
    assert_eq!(ids(&store, keyword("hotel")).await, [h.as_str()]);
    assert_eq!(ids(&store, keyword("river view")).await, [h.as_str()]);
    assert!(ids(&store, keyword("nothing")).await.is_empty());

    // Criteria combine: the index serves one, the document checks the others.
    let q = SearchQuery {
        region: Some("KR-11".into()),
        ..keyword("dessert")
    };
    assert_eq!(ids(&store, q).await, [b.as_str()]);
}

#[tokio::test]
async fn price_party_size_and_availability_filter_hits() {
    let mut log = Log::new(NOW);
    let [bingsu, hotel, _cafe, _draft] = world(&mut log);
    let (b, h) = (bingsu.id.clone(), hotel.id.clone());
    let cheap = SearchQuery {
        price_max: Some(20_000),
        ..region("KR-11", None)
    };
    let store = projected(&log).await;
    assert_eq!(ids(&store, cheap).await, [b.as_str()]);
    let pricey = SearchQuery {
        price_min: Some(100_000),
        ..region("KR-11", None)
    };
    assert_eq!(ids(&store, pricey).await, [h.as_str()]);
    let six = SearchQuery {
        party_size: Some(6),
        ..region("KR-11", None)
    };
    assert_eq!(ids(&store, six).await, [b.as_str()]);

    // Inventories: bingsu has 18:00 slots on 24–26 Dec; the hotel one room, sold on the 25th.
    fn define(log: &mut Log, n: u32, listing: &str, command: Vec<InventoryCommand>) {
        let id = ulid(1, n);
        let mut inv = Inventory::default();
        let mut all = vec![InventoryCommand::DefineInventory {
            inventory_id: InventoryId::parse(&id).unwrap(),
            tenant_id: TenantId::parse(&ulid(2, 1)).unwrap(),
            listing_id: ListingId::parse(listing).unwrap(),
            name: InventoryName::parse("Stock").unwrap(),
            currency: Currency::parse("KRW").unwrap(),
        }];
        all.extend(command);
        for c in all {
            log.exec(&id, &mut inv, |s, svc| s.decide(c, svc));
        }
    }
    let dec = |from: &str, to: &str| DateRange::new(date(from), date(to)).unwrap();
    define(
        &mut log,
        1,
        &b,
        vec![InventoryCommand::SetCapacity {
            selection: SlotSelection::at_times(dec("2026-12-24", "2026-12-27"), vec![t("18:00")]),
            capacity: 2,
        }],
    );
    define(
        &mut log,
        2,
        &h,
        vec![
            InventoryCommand::SetCapacity {
                selection: SlotSelection::days(dec("2026-12-24", "2026-12-27")),
                capacity: 1,
            },
            InventoryCommand::PlaceHold {
                booking_id: BookingId::parse(&ulid(4, 1)).unwrap(),
                slots: vec![Slot::parse("2026-12-25").unwrap()],
                quantity: 1,
                expires_at: at(NOW) + Duration::minutes(15),
            },
        ],
    );
    let available = |from: &str, to: &str| SearchQuery {
        available: Some(AvailableDates {
            from: date(from),
            to: date(to),
            calendar: CALENDAR,
        }),
        ..region("KR-11", None)
    };
    let store = projected(&log).await;
    assert_eq!(
        ids(&store, available("2026-12-24", "2026-12-24")).await,
        [b.as_str(), h.as_str()]
    );
    assert_eq!(
        ids(&store, available("2026-12-24", "2026-12-25")).await,
        [b.as_str()]
    );
    assert!(
        ids(&store, available("2026-12-27", "2026-12-27"))
            .await
            .is_empty()
    );
    let hit = search(
        &store,
        SEARCH,
        &SearchQuery {
            first: 5,
            ..region("KR-11", None)
        },
    )
    .await
    .unwrap();
    assert_eq!(hit.hits[1].inventory_ids, [ulid(1, 2)]);

    // A second hotel inventory free on the 25th: every day is covered by some inventory.
    define(
        &mut log,
        3,
        &h,
        vec![InventoryCommand::SetCapacity {
            selection: SlotSelection::days(dec("2026-12-25", "2026-12-26")),
            capacity: 2,
        }],
    );
    let store = projected(&log).await;
    assert_eq!(
        ids(&store, available("2026-12-24", "2026-12-25")).await,
        [b.as_str(), h.as_str()]
    );
}

#[tokio::test]
async fn suspended_and_archived_listings_disappear_and_reinstated_ones_return() {
    let mut log = Log::new(NOW);
    let [mut bingsu, _hotel, mut cafe, _draft] = world(&mut log);
    let (b, c) = (bingsu.id.clone(), cafe.id.clone());
    bingsu.run(
        &mut log,
        ListingCommand::Suspend {
            reason: "health inspection".into(),
        },
    );
    cafe.run(&mut log, ListingCommand::Archive);
    let store = projected(&log).await;
    assert!(ids(&store, keyword("dessert")).await.is_empty());
    assert!(ids(&store, keyword("bingsu")).await.is_empty());
    assert!(
        ids(&store, region("KR-11", Some(Category::Restaurant)))
            .await
            .is_empty()
    );
    assert!(ids(&store, near(CITY_HALL, 3.0)).await.is_empty());
    // The status-owned index entries left gsi1 altogether (not only filtered); the document
    // stays in its business's partition (operators list every status).
    let in_gsi = store
        .scan(SEARCH)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.key.pk == format!("listing#{b}") && i.attrs.contains_key("gsi1sk"))
        .map(|i| i.key.sk)
        .collect::<Vec<_>>();
    assert_eq!(in_gsi, ["doc", "ix#rc#restaurant"]);

    bingsu.run(&mut log, ListingCommand::Reinstate);
    let store = projected(&log).await;
    assert_eq!(ids(&store, keyword("dessert")).await, [b.as_str()]);
    assert_eq!(ids(&store, keyword("bingsu")).await, [b.as_str()]);
    assert_eq!(
        ids(&store, region("KR-11", Some(Category::Restaurant))).await,
        [b.as_str()]
    );
    assert_eq!(ids(&store, near(CITY_HALL, 3.0)).await, [b.as_str()]);
    assert!(ids(&store, region("KR-26", None)).await.is_empty());
    assert!(!ids(&store, keyword("sea")).await.contains(&c));
}

#[tokio::test]
async fn stale_tokens_cells_and_categories_are_not_returned_after_edits() {
    let mut log = Log::new(NOW);
    let [mut bingsu, mut hotel, mut cafe, _draft] = world(&mut log);
    let (b, h, c) = (bingsu.id.clone(), hotel.id.clone(), cafe.id.clone());
    hotel.update(
        &mut log,
        UpdateListingDetails {
            name: Some("Mapo Guesthouse".into()),
            ..Default::default()
        },
    );
    hotel.update(
        &mut log,
        UpdateListingDetails {
            category: Some(Category::Restaurant),
            ..Default::default()
        },
    );
    bingsu.update(
        &mut log,
        UpdateListingDetails {
            tags: Some(vec!["shaved ice".into()]),
            ..Default::default()
        },
    );
    // The cafe moves from Busan to Seoul (location only: no name, no category in the event).
    cafe.update(
        &mut log,
        UpdateListingDetails {
            location: Some(loc("KR-11", CITY_HALL.0, CITY_HALL.1)),
            ..Default::default()
        },
    );
    let store = projected(&log).await;
    assert!(ids(&store, keyword("river")).await.is_empty());
    assert!(ids(&store, keyword("han")).await.is_empty());
    assert_eq!(ids(&store, keyword("mapo")).await, [h.as_str()]);
    assert_eq!(ids(&store, keyword("river view")).await, [h.as_str()]);
    assert!(
        ids(&store, region("KR-11", Some(Category::Accommodation)))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&store, region("KR-11", Some(Category::Restaurant))).await,
        [b.as_str(), h.as_str(), c.as_str()]
    );
    assert_eq!(ids(&store, keyword("dessert")).await, [c.as_str()]);
    assert_eq!(ids(&store, keyword("shaved ice")).await, [b.as_str()]);
    assert!(ids(&store, near(HAEUNDAE, 5.0)).await.is_empty());
    assert!(ids(&store, region("KR-26", None)).await.is_empty());
    assert_eq!(ids(&store, near(CITY_HALL, 0.5)).await, [c.as_str()]);
    // Stale entries are gone from the index itself, not only filtered out.
    let partitions: Vec<String> = store
        .scan(SEARCH)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| {
            i.attrs
                .get("gsi1pk")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect();
    for stale in [
        "kw#han",
        "kw#river",
        "kw#hotel",
        "rc#KR-26#restaurant",
        "rc#KR-26#*",
    ] {
        let still = partitions.iter().filter(|p| *p == stale).count();
        // "hotel" is still a tag of the hotel: one entry (the tag slot), not two.
        let expected = usize::from(stale == "kw#hotel");
        assert_eq!(still, expected, "{stale}");
    }
}

#[tokio::test]
async fn pages_follow_the_cursor_and_bad_queries_are_refused() {
    let mut log = Log::new(NOW);
    let _ = world(&mut log);
    for n in 10..15 {
        create(
            &mut log,
            n,
            &format!("Dessert Shop {n}"),
            Category::Shop,
            &["dessert"],
            loc("KR-11", INSADONG.0, INSADONG.1),
            5_000,
            PolicySpec::time_slots(60, t("10:00"), t("20:00")),
            true,
        );
    }
    let store = projected(&log).await;
    let mut seen = Vec::new();
    let mut after = None;
    let mut sizes = Vec::new();
    loop {
        let q = SearchQuery {
            first: 3,
            after: after.clone(),
            ..keyword("dessert")
        };
        let page = search(&store, SEARCH, &q).await.unwrap();
        sizes.push(page.hits.len());
        seen.extend(page.hits.into_iter().map(|h| h.listing_id));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    let mut expected = vec![ulid(3, 1), ulid(3, 3)];
    expected.extend((10..15).map(|n| ulid(3, n)));
    assert_eq!(seen, expected);
    assert_eq!(sizes, [3, 3, 1]);

    let category_only = SearchQuery {
        category: Some(Category::Shop),
        first: 5,
        ..SearchQuery::default()
    };
    assert!(matches!(
        search(&store, SEARCH, &category_only).await,
        Err(QueryError::Unindexed)
    ));
    assert!(matches!(
        search(&store, SEARCH, &near(CITY_HALL, 500.0)).await,
        Err(QueryError::RadiusTooLarge { .. })
    ));
    let bad_cursor = SearchQuery {
        after: Some("zzz".into()),
        ..keyword("dessert")
    };
    assert!(matches!(
        search(&store, SEARCH, &bad_cursor).await,
        Err(QueryError::InvalidCursor(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn replays_and_duplicate_deliveries_change_nothing(
        ops in proptest::collection::vec((0u8..8, 0usize..3, 0usize..4), 1..20),
        repeats in proptest::collection::vec(any::<u8>(), 40),
        back in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let mut log = Log::new(NOW);
        let [a, b, c, d] = world(&mut log);
        let mut listings = [a, b, c, d];
        let names = ["Blue Door", "Red Lantern Inn", "Green Cup", "Sea Star"];
        let places = [INSADONG, YEOUIDO, HAEUNDAE, CITY_HALL];
        for (op, which, v) in ops {
            let l = &mut listings[which];
            let command = match op {
                0 => ListingCommand::Publish,
                1 => ListingCommand::Suspend { reason: "check".into() },
                2 => ListingCommand::Reinstate,
                3 => ListingCommand::Archive,
                4 => ListingCommand::UpdateListingDetails(Box::new(UpdateListingDetails {
                    name: Some(names[v].into()), ..Default::default() })),
                5 => ListingCommand::UpdateListingDetails(Box::new(UpdateListingDetails {
                    tags: Some(names[v].split(' ').map(str::to_owned).collect()), ..Default::default() })),
                6 => ListingCommand::UpdateListingDetails(Box::new(UpdateListingDetails {
                    location: Some(loc(["KR-11", "KR-26"][v % 2], places[v].0, places[v].1)),
                    ..Default::default() })),
                _ => ListingCommand::UpdateListingDetails(Box::new(UpdateListingDetails {
                    category: Some([Category::Shop, Category::Event, Category::Other, Category::Restaurant][v]),
                    ..Default::default() })),
            };
            if let Ok(events) = l.state.decide(command, &log.services) {
                for e in events {
                    cqrs_es::Aggregate::apply(&mut l.state, e.clone());
                    log.push("Listing", &l.id, &e);
                }
            }
        }
        let plan = schedule(log.events.len(), &repeats, &back);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (clean, messy) = rt.block_on(clean_and_replayed(&SearchProjection, &log.events, &plan));
        prop_assert_eq!(clean, messy);
    }
}
