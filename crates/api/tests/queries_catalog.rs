//! Public catalog queries over HTTP on the real server: `listing`, `search`, `availability`.
//! Data is written with real domain commands; every query passes the consistency token of the
//! last write, so it reads its own writes.

mod queries_support;
mod support;

use holdfast_domain::common::{InventoryId, ListingId};
use holdfast_domain::listing::Category;
use queries_support::*;
use serde_json::{Value, json};
use support::{admin, error_code, guest, operator, spawn_app};

const LISTING: &str = "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
    id tenantId name category tags region status displayPrice { amountMinor currency }
    partyMin partyMax slotKind inventoryIds lat lon } }";

const SEARCH: &str = "query($region: String, $category: ListingCategory, $keyword: String,
    $near: NearInput, $priceMax: Int, $from: Date, $to: Date, $first: Int, $after: String,
    $t: String) {
  search(region: $region, category: $category, keyword: $keyword, near: $near,
         priceMax: $priceMax, availableFrom: $from, availableTo: $to, first: $first,
         after: $after, consistencyToken: $t) {
    edges { cursor distanceKm node { id name } }
    pageInfo { hasNextPage endCursor } } }";

const AVAILABILITY: &str = "query($inv: ID!, $from: Date!, $to: Date!, $t: String) {
  availability(inventoryId: $inv, from: $from, to: $to, consistencyToken: $t) {
    slot date capacity held allocated available closed price { amountMinor currency } } }";

fn ids(search: &Value) -> Vec<String> {
    search["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn listing_search_and_availability_return_exactly_what_was_written() {
    let app = spawn_app().await;
    let (tenant, _) = operator();
    let mut published = Vec::new();
    for (name, price) in [
        ("Snowflake Bingsu", 12_000),
        ("Honey Dessert Bar", 9_000),
        ("Moon Cake House", 15_000),
    ] {
        let mut l = NewListing::restaurant(tenant, name);
        l.price = price;
        published.push(create_listing(&app, l, true).await.0);
    }
    let (draft, _) = create_listing(
        &app,
        NewListing::restaurant(tenant, "Draft Dessert Bar"),
        false,
    )
    .await;
    let mut hotel = NewListing::restaurant(tenant, "Han River Hotel");
    hotel.category = Category::Accommodation;
    hotel.tags = &["river view"];
    hotel.nightly = true;
    hotel.point = (37.5219, 126.9245);
    let (hotel, _) = create_listing(&app, hotel, true).await;
    let (inventory, _) = define_inventory(&app, tenant, published[0], "2030-02-01", 5, 4).await;
    hold(&app, inventory, &["2030-02-01"], 1, false).await;
    let t = hold(&app, inventory, &["2030-02-02"], 2, true).await;

    // The calendar: capacity 4 on five days, one held on the 1st, two allocated on the 2nd.
    let days = app
        .ok(
            None,
            AVAILABILITY,
            json!({"inv": inventory.to_string(), "from": "2030-02-01", "to": "2030-02-07", "t": t}),
        )
        .await["availability"]
        .clone();
    let days = days.as_array().unwrap();
    let col = |f: &str| {
        days.iter()
            .map(|d| d[f].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(days.len(), 5);
    assert_eq!(days[0]["slot"], "2030-02-01");
    assert_eq!(days[4]["date"], "2030-02-05");
    assert_eq!(col("capacity"), [4, 4, 4, 4, 4]);
    assert_eq!(col("held"), [1, 0, 0, 0, 0]);
    assert_eq!(col("allocated"), [0, 2, 0, 0, 0]);
    assert_eq!(col("available"), [3, 2, 4, 4, 4]);
    assert!(
        days.iter().all(|d| d["closed"] == false
            && d["price"] == json!({"amountMinor": 10_000, "currency": "KRW"}))
    );

    // The listing's document, with its inventory.
    let l = app
        .ok(
            None,
            LISTING,
            json!({"id": published[0].to_string(), "t": t}),
        )
        .await["listing"]
        .clone();
    assert_eq!(l["id"], published[0].to_string());
    assert_eq!(l["tenantId"], tenant.to_string());
    assert_eq!(l["name"], "Snowflake Bingsu");
    assert_eq!(l["category"], "RESTAURANT");
    assert_eq!(l["status"], "PUBLISHED");
    assert_eq!(l["slotKind"], "TIME_SLOT");
    assert_eq!(l["region"], "KR-11");
    assert_eq!(l["tags"], json!(["dessert"]));
    assert_eq!(
        l["displayPrice"],
        json!({"amountMinor": 12_000, "currency": "KRW"})
    );
    assert_eq!(l["inventoryIds"], json!([inventory.to_string()]));
    assert!((l["lat"].as_f64().unwrap() - 37.574).abs() < 1e-6);

    // Region + category: the three published restaurants (not the draft, not the hotel).
    let s = app
        .ok(
            None,
            SEARCH,
            json!({"region": "KR-11", "category": "RESTAURANT", "t": t}),
        )
        .await["search"]
        .clone();
    let expected = sorted(published.iter().map(ToString::to_string).collect());
    assert_eq!(ids(&s), expected);
    assert_eq!(s["pageInfo"]["hasNextPage"], false);
    // Region alone: the hotel too.
    let s = app
        .ok(None, SEARCH, json!({"region": "kr-11", "t": t}))
        .await["search"]
        .clone();
    let mut all = expected.clone();
    all.push(hotel.to_string());
    assert_eq!(ids(&s), sorted(all));
    // A keyword, page by page (first: 2): each published dessert place exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let s = app
            .ok(
                None,
                SEARCH,
                json!({"keyword": "Dessert", "first": 2, "after": after, "t": t}),
            )
            .await["search"]
            .clone();
        pages += 1;
        seen.extend(ids(&s));
        if s["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = s["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages < 5, "pagination does not end");
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, 2);
    assert!(!seen.contains(&draft.to_string()));
    // Near Yeouido, 2 km: the hotel only, with its distance.
    let s = app
        .ok(
            None,
            SEARCH,
            json!({"near": {"lat": 37.5219, "lon": 126.9245, "radiusKm": 2.0}, "t": t}),
        )
        .await["search"]
        .clone();
    assert_eq!(ids(&s), [hotel.to_string()]);
    assert!(s["edges"][0]["distanceKm"].as_f64().unwrap() < 0.01);
    // A price ceiling and available dates filter.
    let s = app
        .ok(
            None,
            SEARCH,
            json!({"keyword": "dessert", "priceMax": 10_000, "t": t}),
        )
        .await["search"]
        .clone();
    assert_eq!(ids(&s), [published[1].to_string()]);
    let s = app
        .ok(
            None,
            SEARCH,
            json!({"region": "KR-11", "from": "2030-02-02", "to": "2030-02-04", "t": t}),
        )
        .await["search"]
        .clone();
    assert_eq!(ids(&s), [published[0].to_string()]);
    assert_eq!(s["edges"][0]["distanceKm"], Value::Null);
}

#[tokio::test]
async fn bad_arguments_are_invalid_input() {
    let app = spawn_app().await;
    // A first write, so every read model exists; its token goes with every query.
    let (tenant, _) = operator();
    let (_, t) = create_listing(&app, NewListing::restaurant(tenant, "Bar"), true).await;
    let inv = InventoryId::new().to_string();
    let cases = [
        (
            AVAILABILITY,
            json!({"inv": inv, "from": "2030-01-01", "to": "2031-02-04"}),
        ),
        (
            AVAILABILITY,
            json!({"inv": inv, "from": "2030-01-02", "to": "2030-01-01"}),
        ),
        (
            AVAILABILITY,
            json!({"inv": "not-an-id", "from": "2030-01-01", "to": "2030-01-02"}),
        ),
        (
            AVAILABILITY,
            json!({"inv": inv, "from": "2030-01-01", "to": "2030-01-02", "t": "nonsense"}),
        ),
        (LISTING, json!({"id": "42"})),
        (SEARCH, json!({"region": "KR-11", "first": 101})),
        (SEARCH, json!({"region": "KR-11", "first": 0})),
        (SEARCH, json!({"region": "KR-11", "after": "bogus"})),
        (SEARCH, json!({"region": "KR-11", "from": "2030-01-01"})),
        (
            SEARCH,
            json!({"near": {"lat": 37.5, "lon": 127.0, "radiusKm": 500.0}}),
        ),
        (SEARCH, json!({})),
    ];
    for (query, mut vars) in cases {
        if vars.get("t").is_none() {
            vars["t"] = json!(t);
        }
        let response = app.graphql(None, query, vars.clone()).await;
        assert_eq!(
            error_code(&response),
            Some("INVALID_INPUT"),
            "{vars}: {response}"
        );
    }
    // 366 days is the longest range served.
    let data = app
        .ok(
            None,
            AVAILABILITY,
            json!({"inv": inv, "from": "2030-01-01", "to": "2030-12-31", "t": t}),
        )
        .await;
    assert_eq!(data["availability"], json!([]));
    let response = app
        .graphql(
            None,
            LISTING,
            json!({"id": ListingId::new().to_string(), "t": t}),
        )
        .await;
    assert_eq!(error_code(&response), Some("NOT_FOUND"));
}

#[tokio::test]
async fn catalog_authorisation_matrix() {
    let app = spawn_app().await;
    let (tenant_a, op_a) = operator();
    let (_, op_b) = operator();
    let (_, g1) = guest();
    let (_, g2) = guest();
    let adm = admin();
    let (public, _) = create_listing(
        &app,
        NewListing::restaurant(tenant_a, "Open Dessert Bar"),
        true,
    )
    .await;
    let (draft, t) = create_listing(
        &app,
        NewListing::restaurant(tenant_a, "Hidden Dessert Bar"),
        false,
    )
    .await;
    let callers: [(&str, Option<&str>); 6] = [
        ("anonymous", None),
        ("guest", Some(&g1)),
        ("other guest", Some(&g2)),
        ("operator A", Some(&op_a)),
        ("operator B", Some(&op_b)),
        ("admin", Some(&adm)),
    ];
    for (who, token) in callers {
        // A published listing, search and availability: public.
        let data = app
            .ok(token, LISTING, json!({"id": public.to_string(), "t": t}))
            .await;
        assert_eq!(data["listing"]["status"], "PUBLISHED", "{who}");
        let data = app
            .ok(token, SEARCH, json!({"keyword": "dessert", "t": t}))
            .await;
        assert_eq!(ids(&data["search"]), [public.to_string()], "{who}");
        let data = app
            .ok(token, AVAILABILITY, json!({"inv": InventoryId::new().to_string(), "from": "2030-01-01", "to": "2030-01-31"}))
            .await;
        assert_eq!(data["availability"], json!([]), "{who}");
        // A draft: its tenant's operators and admins only; NOT_FOUND for anyone else.
        let response = app
            .graphql(token, LISTING, json!({"id": draft.to_string(), "t": t}))
            .await;
        match who {
            "operator A" | "admin" => {
                assert_eq!(
                    response["data"]["listing"]["status"], "DRAFT",
                    "{who}: {response}"
                )
            }
            _ => assert_eq!(
                error_code(&response),
                Some("NOT_FOUND"),
                "{who}: {response}"
            ),
        }
    }
}

const BUSINESS_LISTINGS: &str = "query($tenant: ID!, $status: ListingStatus, $first: Int,
    $after: String, $t: String) {
  businessListings(tenantId: $tenant, status: $status, first: $first, after: $after,
                   consistencyToken: $t) {
    edges { cursor node { id name status inventoryIds bookingPolicy { version } } }
    pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn a_business_lists_its_own_listings_of_every_status_and_only_its_published_ones_are_public()
{
    let app = spawn_app().await;
    let (tenant_a, op_a) = operator();
    let (tenant_b, op_b) = operator();
    let mut mine = Vec::new();
    let mut token = String::new();
    for (name, publish) in [
        ("Open Dessert Bar", true),
        ("Draft Dessert Bar", false),
        ("Tea House", true),
        ("Noodle Stand", true),
    ] {
        let (id, t) = create_listing(&app, NewListing::restaurant(tenant_a, name), publish).await;
        mine.push(id.to_string());
        token = t;
    }
    let (theirs, _) =
        create_listing(&app, NewListing::restaurant(tenant_b, "Elsewhere"), true).await;
    let (inventory, t) = define_inventory(
        &app,
        tenant_a,
        ListingId::parse(&mine[2]).unwrap(),
        "2030-02-01",
        3,
        4,
    )
    .await;
    let _ = token;
    mine.sort();
    let list =
        |who: String, status: Option<&'static str>, first: Option<i32>, after: Option<String>| {
            let (app, t) = (&app, &t);
            async move {
                app.graphql(
                    Some(&who),
                    BUSINESS_LISTINGS,
                    json!({"tenant": tenant_a.to_string(), "status": status, "first": first,
                       "after": after, "t": t}),
                )
                .await
            }
        };
    let all = list(op_a.clone(), None, None, None).await;
    let listed: Vec<String> = all["data"]["businessListings"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{all}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed, mine,
        "every status, in id order, not the other business's"
    );
    assert!(!listed.contains(&theirs.to_string()));
    let edges = all["data"]["businessListings"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let tea = edges
        .iter()
        .find(|e| e["node"]["name"] == "Tea House")
        .unwrap();
    assert_eq!(tea["node"]["inventoryIds"], json!([inventory.to_string()]));
    assert_eq!(tea["node"]["bookingPolicy"]["version"], 1);
    let drafts = list(op_a.clone(), Some("DRAFT"), None, None).await;
    let drafts = drafts["data"]["businessListings"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0]["node"]["name"], "Draft Dessert Bar");
    // Two a page: each once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = list(op_a.clone(), None, Some(2), after.clone()).await;
        let c = &page["data"]["businessListings"];
        seen.extend(
            c["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= mine.len(), "pagination does not end");
    }
    assert_eq!(seen, mine);
    // Admins may; another business's operator and guests may not.
    let as_admin = list(admin(), None, None, None).await;
    assert_eq!(
        as_admin["data"]["businessListings"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let (_, g) = guest();
    for who in [op_b, g] {
        assert_eq!(
            error_code(&list(who, None, None, None).await),
            Some("FORBIDDEN")
        );
    }
    let anonymous = app
        .graphql(
            None,
            BUSINESS_LISTINGS,
            json!({"tenant": tenant_a.to_string()}),
        )
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    // Its published listings are public: what its booking site shows, to anyone.
    let (_, g) = guest();
    for who in [Some(g), None] {
        let published = app
            .graphql(
                who.as_deref(),
                BUSINESS_LISTINGS,
                json!({"tenant": tenant_a.to_string(), "status": "PUBLISHED"}),
            )
            .await;
        let edges = published["data"]["businessListings"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{published}"));
        assert!(!edges.is_empty());
        assert!(
            edges.iter().all(|e| e["node"]["status"] == "PUBLISHED"),
            "{published}"
        );
    }
    let bad = list(op_a, None, None, Some("not-a-listing".into())).await;
    assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
}

const NEXT_DATES: &str = "query($id: ID!, $from: Date, $count: Int, $t: String) {
  nextAvailableDates(listingId: $id, from: $from, count: $count, consistencyToken: $t) {
    date slots inventoryIds lowestPrice { amountMinor currency } } }";

#[tokio::test]
async fn the_next_available_dates_skip_full_dates_and_start_today() {
    let app = spawn_app().await;
    let (tenant, _) = operator();
    let (listing, _) = create_listing(
        &app,
        NewListing::restaurant(tenant, "Snowflake Bingsu"),
        true,
    )
    .await;
    let (draft, _) =
        create_listing(&app, NewListing::restaurant(tenant, "Hidden Bar"), false).await;
    // Four units a day from 1 to 5 February; the 2nd taken whole.
    let (inventory, _) = define_inventory(&app, tenant, listing, "2030-02-01", 5, 4).await;
    let t = hold(&app, inventory, &["2030-02-02"], 4, true).await;
    let dates = |vars: Value| {
        let app = &app;
        let mut vars = vars;
        vars["id"] = json!(listing.to_string());
        vars["t"] = json!(t);
        async move { app.graphql(None, NEXT_DATES, vars).await }
    };
    let got = dates(json!({"from": "2030-01-30", "count": 3})).await;
    let list = got["data"]["nextAvailableDates"]
        .as_array()
        .unwrap_or_else(|| panic!("{got}"))
        .clone();
    let days: Vec<&str> = list.iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(days, ["2030-02-01", "2030-02-03", "2030-02-04"]);
    assert_eq!(list[0]["inventoryIds"], json!([inventory.to_string()]));
    assert_eq!(list[0]["slots"], json!(["2030-02-01"]));
    assert_eq!(
        list[0]["lowestPrice"],
        json!({"amountMinor": 10_000, "currency": "KRW"})
    );
    // Without `from`: from today in Seoul (7 January); five by default.
    let default = dates(json!({})).await["data"]["nextAvailableDates"].clone();
    let days: Vec<&str> = default
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        ["2030-02-01", "2030-02-03", "2030-02-04", "2030-02-05"]
    );
    // After the last stocked date: nothing.
    let none = dates(json!({"from": "2030-02-06"})).await;
    assert_eq!(none["data"]["nextAvailableDates"], json!([]));
    for count in [0, 32] {
        let bad = dates(json!({"count": count})).await;
        assert_eq!(error_code(&bad), Some("INVALID_INPUT"), "{bad}");
    }
    // A date at the end of the calendar is refused, not an overflow.
    let far = dates(json!({"from": "+262142-12-25"})).await;
    assert_eq!(error_code(&far), Some("INVALID_INPUT"), "{far}");
    let hidden = app
        .graphql(None, NEXT_DATES, json!({"id": draft.to_string(), "t": t}))
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden}");
}

const SORTED: &str = "query($keyword: String, $region: String, $near: NearInput,
    $sort: SearchSort, $first: Int, $after: String, $from: Date, $to: Date, $t: String) {
  search(keyword: $keyword, region: $region, near: $near, sort: $sort, first: $first,
         after: $after, availableFrom: $from, availableTo: $to, consistencyToken: $t) {
    edges { cursor distanceKm node { id name displayPrice { amountMinor } } }
    pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn search_results_sort_by_relevance_price_distance_and_age_and_page_through() {
    let app = spawn_app().await;
    let (tenant, _) = operator();
    let mut t = String::new();
    let mut ids = std::collections::HashMap::new();
    // Name, tags, price, point (Seoul city hall is 37.5663, 126.9779).
    for (name, tags, price, point) in [
        ("Dessert Garden", &["cafe"][..], 9_000, (37.5665, 126.9780)),
        (
            "Honey Bread Cafe",
            &["dessert"][..],
            15_000,
            (37.5800, 126.9900),
        ),
        (
            "Moon Dessert House",
            &["cafe"][..],
            12_000,
            (37.5700, 126.9800),
        ),
        ("Noodle Stand", &["noodles"][..], 7_000, (37.5664, 126.9779)),
    ] {
        let mut l = NewListing::restaurant(tenant, name);
        l.tags = tags;
        l.price = price;
        l.point = point;
        let (id, token) = create_listing(&app, l, true).await;
        ids.insert(name, id.to_string());
        t = token;
    }
    let names = |r: &Value| -> Vec<String> {
        r["data"]["search"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{r}"))
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |vars: Value| {
        let app = &app;
        let mut vars = vars;
        vars["t"] = json!(t);
        async move { app.graphql(None, SORTED, vars).await }
    };
    // Relevance: the keyword among the name's words first, then only in a tag; then by name.
    let r = search(json!({"keyword": "dessert", "sort": "RELEVANCE"})).await;
    assert_eq!(
        names(&r),
        ["Dessert Garden", "Moon Dessert House", "Honey Bread Cafe"]
    );
    // Price, both ways, over a region.
    let r = search(json!({"region": "KR-11", "sort": "PRICE_LOW"})).await;
    assert_eq!(
        names(&r),
        [
            "Noodle Stand",
            "Dessert Garden",
            "Moon Dessert House",
            "Honey Bread Cafe"
        ]
    );
    let r = search(json!({"region": "KR-11", "sort": "PRICE_HIGH"})).await;
    assert_eq!(
        names(&r),
        [
            "Honey Bread Cafe",
            "Moon Dessert House",
            "Dessert Garden",
            "Noodle Stand"
        ]
    );
    // Distance from city hall, with the distances.
    let near = json!({"lat": 37.5663, "lon": 126.9779, "radiusKm": 5.0});
    let r = search(json!({"near": near, "sort": "DISTANCE"})).await;
    assert_eq!(
        names(&r),
        [
            "Noodle Stand",
            "Dessert Garden",
            "Moon Dessert House",
            "Honey Bread Cafe"
        ]
    );
    let d: Vec<f64> = r["data"]["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["distanceKm"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    // Newest first: the reverse of creation.
    let r = search(json!({"region": "KR-11", "sort": "NEWEST"})).await;
    assert_eq!(
        names(&r),
        [
            "Noodle Stand",
            "Moon Dessert House",
            "Honey Bread Cafe",
            "Dessert Garden"
        ]
    );
    // Pages of a sorted search: each listing once, in order.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let r = search(json!({"region": "KR-11", "sort": "PRICE_LOW", "first": 3, "after": after}))
            .await;
        seen.extend(names(&r));
        let info = &r["data"]["search"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= 4, "pagination does not end");
    }
    assert_eq!(
        seen,
        [
            "Noodle Stand",
            "Dessert Garden",
            "Moon Dessert House",
            "Honey Bread Cafe"
        ]
    );
    // The available-dates filter holds on every sort: only the listing with stock.
    let (_, t2) = define_inventory(
        &app,
        tenant,
        ListingId::parse(&ids["Moon Dessert House"]).unwrap(),
        "2030-02-01",
        3,
        2,
    )
    .await;
    let r = app
        .graphql(
            None,
            SORTED,
            json!({"region": "KR-11", "sort": "PRICE_HIGH", "from": "2030-02-01",
                   "to": "2030-02-02", "t": t2}),
        )
        .await;
    assert_eq!(names(&r), ["Moon Dessert House"]);
    // DISTANCE needs a point; a cursor of another order is refused.
    let r = search(json!({"region": "KR-11", "sort": "DISTANCE"})).await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
    let r = search(json!({"region": "KR-11", "sort": "PRICE_LOW", "after": "s1:ABC"})).await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
    // An offset at the very end of the numbers is no overflow: an empty last page.
    let r = search(json!({"region": "KR-11", "sort": "PRICE_LOW",
                          "after": format!("o1:{}", usize::MAX - 1)}))
    .await;
    assert_eq!(r["data"]["search"]["edges"], json!([]), "{r}");
    let r = search(json!({"region": "KR-11", "sort": "PRICE_LOW",
                          "after": format!("o1:{}", usize::MAX)}))
    .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
}
