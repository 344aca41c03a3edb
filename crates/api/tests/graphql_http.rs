//! GraphQL over HTTP basics on the real server.

mod support;

use serde_json::json;
use support::{admin, error_code, spawn_app, start_instant};

#[tokio::test]
async fn the_server_answers_graphql_with_its_clock() {
    let app = spawn_app().await;
    let data = app.ok(None, "{ serverTime version }", json!({})).await;
    let at =
        |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&data["serverTime"]), start_instant());
    app.clock.advance(chrono::Duration::hours(9));
    let data = app.ok(Some(&admin()), "{ serverTime }", json!({})).await;
    assert_eq!(
        at(&data["serverTime"]),
        start_instant() + chrono::Duration::hours(9)
    );
}

/// Malformed, expired, forged (`alg: none`, another algorithm, another secret) and oversized
/// tokens, and claims that describe no principal: `UNAUTHENTICATED` on a query and on a
/// mutation an admin could run, never a 5xx, nothing stored.
#[tokio::test]
async fn a_bad_token_is_unauthenticated_not_a_5xx() {
    use support::hostile_tokens as bad;
    let app = spawn_app().await;
    let create = "mutation($key: String!) { createCampaign(idempotencyKey: $key, input: {
        code: \"X\", discount: {fixed: {amountMinor: 1, currency: \"KRW\"}},
        validFrom: \"2030-01-01T00:00:00Z\", validUntil: \"2030-03-01T00:00:00Z\",
        totalQuantity: 1, tenantId: \"01JD0000000000000000000000\"}) { campaignId } }";
    for token in [
        "not-a-jwt".to_owned(),
        "a.b.c".to_owned(),
        bad::expired(),
        bad::other_secret(),
        bad::alg_none(),
        bad::alg_hs512(),
        bad::operator_without_tenant(),
        support::token(holdfast_api::auth::Role::Guest, "not-a-guest-id", None),
        "x".repeat(10_000),
    ] {
        for (query, variables) in [
            ("{ version }", json!({})),
            (create, json!({"key": ulid::Ulid::new().to_string()})),
        ] {
            let response = app.graphql(Some(&token), query, variables).await;
            assert_eq!(
                error_code(&response),
                Some("UNAUTHENTICATED"),
                "{token:.40}: {response}"
            );
            assert_eq!(response["data"], serde_json::Value::Null);
        }
    }
    // Not a bearer header at all.
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("Authorization", "Basic cm9vdDpyb290")
        .json(&json!({"query": "{ version }"}))
        .send()
        .await
        .unwrap();
    assert!(!response.status().is_server_error());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let pool = app.engine.store.pg_pool().unwrap();
    let (events,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(events, 0, "a refused token stored nothing");
}

/// RS256: tokens signed with a private key verify against its public key, and nothing else.
#[test]
fn rs256_tokens_verify_with_the_public_key_only() {
    use holdfast_api::auth::{AuthConfig, Authenticator, Principal, Role, TokenIssuer};
    let dir = std::env::temp_dir().join(format!("holdfast-rs256-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = |name: &str| dir.join(name);
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key("a.pem").to_str().unwrap(),
        ],
        vec![
            "pkey",
            "-in",
            key("a.pem").to_str().unwrap(),
            "-pubout",
            "-out",
            key("a.pub").to_str().unwrap(),
        ],
        vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key("b.pem").to_str().unwrap(),
        ],
    ] {
        let status = std::process::Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl is needed to make test keys");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let read = |name: &str| std::fs::read_to_string(key(name)).unwrap();
    let auth = Authenticator::new(&AuthConfig::Rs256PublicKeyPem(read("a.pub"))).unwrap();
    let ttl = chrono::Duration::minutes(5);
    let good = TokenIssuer::rs256(&read("a.pem"))
        .unwrap()
        .mint(Role::Admin, "root", None, ttl)
        .unwrap();
    assert_eq!(
        auth.verify(&good),
        Ok(Principal::Admin { sub: "root".into() })
    );
    let other_key = TokenIssuer::rs256(&read("b.pem"))
        .unwrap()
        .mint(Role::Admin, "root", None, ttl)
        .unwrap();
    assert!(auth.verify(&other_key).is_err());
    // Algorithm confusion: an HS256 token "signed" with the public key text is refused.
    let confused = TokenIssuer::hs256(&holdfast_api::auth::Secret::new(read("a.pub")))
        .mint(Role::Admin, "root", None, ttl)
        .unwrap();
    assert!(auth.verify(&confused).is_err());
    let _ = std::fs::remove_dir_all(dir);
}
