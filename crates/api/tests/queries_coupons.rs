//! Coupon queries over HTTP on the real server: `myWallet` and `campaignStats` — what they
//! return and the authorisation matrix.

mod queries_support;
mod support;

use holdfast_domain::common::CampaignId;
use queries_support::*;
use serde_json::{Value, json};
use support::{admin, error_code, guest, operator, spawn_app};

const WALLET: &str = "query($t: String) { myWallet(consistencyToken: $t) {
    campaignId tenantId code claimed unused redeemed status validUntil
    discount { fixed { amountMinor currency } percentBp cap { amountMinor } } } }";

const STATS: &str =
    "query($id: ID!, $t: String) { campaignStats(campaignId: $id, consistencyToken: $t) {
    campaignId tenantId code total claimed redeemed remaining status validFrom validUntil } }";

#[tokio::test]
async fn wallet_and_campaign_stats_return_what_was_written_to_whom_may_see_it() {
    let app = spawn_app().await;
    let (tenant_a, op_a) = operator();
    let (_, op_b) = operator();
    let (g1_id, g1) = guest();
    let (g2_id, g2) = guest();
    let (_, g3) = guest();
    let adm = admin();
    let (campaign, _) = create_campaign(&app, tenant_a, "WINTER-1000", 10).await;
    claim(&app, campaign, g1_id).await;
    claim(&app, campaign, g1_id).await;
    let t = claim(&app, campaign, g2_id).await;

    let w = app.ok(Some(&g1), WALLET, json!({"t": t})).await["myWallet"].clone();
    assert_eq!(
        w,
        json!([{
            "campaignId": campaign.to_string(), "tenantId": tenant_a.to_string(),
            "code": "WINTER-1000", "claimed": 2, "unused": 2, "redeemed": 0, "status": "ACTIVE",
            "validUntil": "2031-01-01T00:00:00+00:00",
            "discount": {"fixed": {"amountMinor": 1000, "currency": "KRW"}, "percentBp": null, "cap": null}
        }])
    );
    let w = app.ok(Some(&g2), WALLET, json!({"t": t})).await["myWallet"].clone();
    assert_eq!(
        (w[0]["claimed"].as_u64(), w.as_array().unwrap().len()),
        (Some(1), 1)
    );
    let w = app.ok(Some(&g3), WALLET, json!({"t": t})).await["myWallet"].clone();
    assert_eq!(w, json!([]));

    let s = app
        .ok(
            Some(&op_a),
            STATS,
            json!({"id": campaign.to_string(), "t": t}),
        )
        .await["campaignStats"]
        .clone();
    assert_eq!(s["campaignId"], campaign.to_string());
    assert_eq!(s["tenantId"], tenant_a.to_string());
    assert_eq!(s["code"], "WINTER-1000");
    assert_eq!(
        [&s["total"], &s["claimed"], &s["redeemed"], &s["remaining"]].map(|v| v.as_u64().unwrap()),
        [10, 3, 0, 7]
    );
    assert_eq!(s["status"], "ACTIVE");

    // The matrix.
    let callers: [(&str, Option<&str>); 6] = [
        ("anonymous", None),
        ("guest", Some(&g1)),
        ("other guest", Some(&g2)),
        ("operator A", Some(&op_a)),
        ("operator B", Some(&op_b)),
        ("admin", Some(&adm)),
    ];
    for (who, token) in callers {
        let wallet = app.graphql(token, WALLET, json!({"t": t})).await;
        let stats = app
            .graphql(token, STATS, json!({"id": campaign.to_string(), "t": t}))
            .await;
        let outcome = |r: &Value, field: &str| match error_code(r) {
            Some(code) => code.to_owned(),
            None => {
                assert!(!r["data"][field].is_null(), "{who}: {r}");
                "data".to_owned()
            }
        };
        let got = [
            outcome(&wallet, "myWallet"),
            outcome(&stats, "campaignStats"),
        ];
        let expected = match who {
            "anonymous" => ["UNAUTHENTICATED", "UNAUTHENTICATED"],
            "guest" | "other guest" => ["data", "NOT_FOUND"],
            "operator A" => ["FORBIDDEN", "data"],
            "operator B" => ["FORBIDDEN", "NOT_FOUND"],
            "admin" => ["FORBIDDEN", "data"],
            _ => unreachable!(),
        };
        assert_eq!(got, expected, "{who}");
    }
    let r = app
        .graphql(
            Some(&adm),
            STATS,
            json!({"id": CampaignId::new().to_string(), "t": t}),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"));
    let r = app
        .graphql(Some(&adm), STATS, json!({"id": "WINTER-1000", "t": t}))
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"));
}

const CAMPAIGNS: &str = "query($tenant: ID!, $first: Int, $after: String, $t: String) {
  businessCampaigns(tenantId: $tenant, first: $first, after: $after, consistencyToken: $t) {
    edges { cursor node { campaignId code total claimed remaining status } }
    pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn a_business_lists_its_campaigns_and_no_one_else_does() {
    let app = spawn_app().await;
    let (tenant_a, op_a) = operator();
    let (tenant_b, op_b) = operator();
    let mut mine = Vec::new();
    let mut t = String::new();
    for code in ["SPRING", "SUMMER", "AUTUMN"] {
        let (id, token) = create_campaign(&app, tenant_a, code, 10).await;
        mine.push(id.to_string());
        t = token;
    }
    let (theirs, _) = create_campaign(&app, tenant_b, "WINTER", 5).await;
    mine.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let c = app
            .ok(
                Some(&op_a),
                CAMPAIGNS,
                json!({"tenant": tenant_a.to_string(), "first": 2, "after": after, "t": t}),
            )
            .await["businessCampaigns"]
            .clone();
        for e in c["edges"].as_array().unwrap() {
            assert_eq!(e["node"]["total"], 10);
            assert_eq!(e["node"]["status"], "ACTIVE");
            seen.push(e["node"]["campaignId"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= 3, "pagination does not end");
    }
    assert_eq!(seen, mine);
    assert!(!seen.contains(&theirs.to_string()));
    let as_admin = app
        .ok(
            Some(&admin()),
            CAMPAIGNS,
            json!({"tenant": tenant_a.to_string(), "t": t}),
        )
        .await;
    assert_eq!(
        as_admin["businessCampaigns"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (_, g) = guest();
    for who in [&op_b, &g] {
        let r = app
            .graphql(
                Some(who),
                CAMPAIGNS,
                json!({"tenant": tenant_a.to_string()}),
            )
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    }
    let r = app
        .graphql(
            Some(&op_a),
            CAMPAIGNS,
            json!({"tenant": tenant_a.to_string(), "after": "nope"}),
        )
        .await;
    assert_eq!(error_code(&r), Some("INVALID_INPUT"), "{r}");
}
