//! GraphQL over HTTP on the real server: GET for queries only (a mutation is a 405), POST as
//! JSON only (415 otherwise), no batching, a 1 MiB body limit (413), depth and complexity
//! limits that answer with GraphQL errors (never a 5xx), GraphiQL at `/graphiql`; the server's clock
//! and version; bearer tokens (a bad one is `UNAUTHENTICATED`, never a 5xx; RS256 keys; an
//! outside identity provider's JWKS, `outside`).

mod outside;
mod spec;
#[path = "../support/mod.rs"]
mod support;

use reqwest::StatusCode;
use reqwest::header::{ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};
use support::{TestApp, admin, error_code, spawn_app, start_instant};

/// `/graphql?…` with `params` encoded.
pub(crate) fn url(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Url {
    reqwest::Url::parse_with_params(&format!("{}/graphql", app.base), params).unwrap()
}

async fn get(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .get(url(app, &[("query", query)]))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> (StatusCode, String) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

pub(crate) fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn queries_run_over_get_and_mutations_are_refused_there() {
    let app = spawn_app().await;
    let (status, body) = get(&app, "{ version }").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));

    // Refused before validation or execution: 405 with Allow, as the spec says.
    for query in [
        "mutation { anything }",
        "mutation Named { anything }",
        "query A { version } mutation B { anything }",
    ] {
        let response = app
            .http
            .get(url(&app, &[("query", query)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{query}");
        assert_eq!(response.headers()[ALLOW], "GET, POST");
        let body: Value = response.json().await.unwrap();
        assert_eq!(code(&body), "INVALID_INPUT");
    }
    // The mutation chosen by name in a document with a query: refused too.
    let response = app
        .http
        .get(url(
            &app,
            &[
                ("query", "query A { version } mutation B { anything }"),
                ("operationName", "B"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    // A named query chosen with `operationName`, with variables: runs.
    let response = app
        .http
        .get(url(
            &app,
            &[
                (
                    "query",
                    "query A($skip: Boolean!) { version @skip(if: $skip) } query B { serverTime }",
                ),
                ("operationName", "A"),
                ("variables", r#"{"skip": false}"#),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], json!({"version": env!("CARGO_PKG_VERSION")}));
    // Variables that are not JSON: 400.
    let response = app
        .http
        .get(url(
            &app,
            &[("query", "{ version }"), ("variables", "{nope")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // No query at all: 400.
    let response = app
        .http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn post_takes_one_json_operation() {
    let app = spawn_app().await;
    let query = json!({"query": "{ version }"}).to_string().into_bytes();
    let (status, body) = post_raw(&app, "application/json; charset=utf-8", query.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Not JSON (a form or text/plain is what a cross-site form could send): 415.
    let (status, _) = post_raw(&app, "text/plain", query.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Batching is disabled: an array is a 400.
    let batch = json!([{"query": "{ version }"}, {"query": "{ serverTime }"}]);
    let (status, _) = post_raw(&app, "application/json", batch.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Malformed JSON: 400.
    let (status, _) = post_raw(&app, "application/json", b"{\"query\":".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A subscription over HTTP is a GraphQL error, not a 5xx.
    let response = app
        .graphql(
            None,
            "subscription { bookingChanged(id: \"x\") { id } }",
            json!({}),
        )
        .await;
    assert!(response["errors"][0]["message"].is_string(), "{response}");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = spawn_app().await;
    let padding = " ".repeat(1024 * 1024);
    let body = format!("{{\"query\": \"{{ version }}\"{padding}}}").into_bytes();
    let (status, _) = post_raw(&app, "application/json", body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Just under the limit is fine.
    let padding = " ".repeat(1024 * 1024 - 64);
    let body = format!("{{\"query\": \"{{ version }}\"{padding}}}").into_bytes();
    let (status, text) = post_raw(&app, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

/// `{ __schema { types { fields { type { ofType { … { name } } } } } } }` with `depth`
/// nested `ofType`s.
pub(crate) fn introspection(depth: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(depth),
        "} ".repeat(depth)
    )
}

#[tokio::test]
async fn queries_deeper_or_more_complex_than_the_limits_are_errors_not_5xx() {
    let app = spawn_app().await;
    // Within the depth limit (15): answered.
    let shallow = app.graphql(None, &introspection(3), json!({})).await;
    assert!(shallow.get("errors").is_none(), "{shallow}");
    assert!(shallow["data"]["__schema"]["types"].is_array());

    // Deeper: refused as a GraphQL error (`graphql` asserts no 5xx).
    let deep = app.graphql(None, &introspection(12), json!({})).await;
    assert_eq!(deep["data"], Value::Null, "{deep}");
    assert_eq!(deep["errors"][0]["message"], "Query is nested too deep.");

    // Far deeper than the parser recurses: still an error, not a crash.
    let abyss = app.graphql(None, &introspection(500), json!({})).await;
    assert!(abyss["errors"][0]["message"].is_string(), "{abyss}");

    // Wide rather than deep: 2 001 fields exceed the complexity limit (2 000).
    let aliases: String = (0..2_001).map(|i| format!("a{i}: version ")).collect();
    let wide = app
        .graphql(None, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(wide["errors"][0]["message"], "Query is too complex.");
    let aliases: String = (0..100).map(|i| format!("a{i}: version ")).collect();
    app.ok(None, &format!("{{ {aliases} }}"), json!({})).await;
}

/// Regression (found by the reliability suite: schemathesis could not load the schema): the
/// standard introspection query — graphql-js's, which GraphiQL at `/graphiql`, schemathesis and code
/// generators send — was refused by the depth limit. It is answered, and an error the depth or
/// complexity limit raises carries `extensions.code` like every other error.
#[tokio::test]
async fn the_standard_introspection_query_is_answered_and_limit_errors_carry_a_code() {
    let app = spawn_app().await;
    let query = include_str!("../introspection_query.graphql");
    let response = app.graphql(None, query, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let types = response["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "PlaceBookingInput"));

    for query in [
        introspection(40),
        "{ nope }".to_owned(),
        "{ version".to_owned(),
        "query($x: Int!) { version }".to_owned(),
    ] {
        let response = app.graphql(None, &query, json!({})).await;
        assert_eq!(code(&response), "INVALID_INPUT", "{query}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["retryable"], false);
    }
}

/// GraphiQL at `/graphiql` and the booking site at `/`, from the binary alone: every script
/// and style they load is one of this server's `/assets/…` (no CDN), and each is served.
#[tokio::test]
async fn graphiql_and_the_site_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    for (path, marker) in [("/graphiql", "graphiql.min.js"), ("/", "js/app.js")] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"),
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(marker), "{path}: {html}");
        let sources: Vec<&str> = html
            .split("src=\"")
            .skip(1)
            .chain(html.split("href=\"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|url| !url.starts_with('#') && !url.starts_with('?'))
            .collect();
        assert!(sources.len() >= 3, "{path}: {sources:?}");
        for url in sources {
            assert!(
                url.starts_with('/') && !url.starts_with("//"),
                "{path} loads {url} from elsewhere"
            );
            let asset = app
                .http
                .get(format!("{}{url}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(asset.status(), StatusCode::OK, "{url}");
        }
    }
}

/// Batching abuse: a JSON array of a thousand operations (queries or mutations) is a 400 and
/// runs nothing; one document aliasing a mutation hundreds of times with one key runs it once;
/// with a key per alias it is refused whole by the complexity limit; a fragment cycle and
/// thousands of repeated fields are typed errors. Nothing is a 5xx; nothing extra is stored.
#[tokio::test]
async fn batching_abuse_is_refused_or_runs_once() {
    let app = spawn_app().await;
    let (_, op) = support::operator();
    let create = |alias: String, key: &str| {
        format!(
            "{alias}: createCampaign(idempotencyKey: \"{key}\", input: {{code: \"BULK\",
             discount: {{fixed: {{amountMinor: 1, currency: \"KRW\"}}}},
             validFrom: \"2030-01-01T00:00:00Z\", validUntil: \"2030-03-01T00:00:00Z\",
             totalQuantity: 1}}) {{ campaignId }} "
        )
    };
    let events = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
            .fetch_one(app.engine.store.pg_pool().unwrap())
            .await
            .unwrap();
        n
    };

    let batch: Vec<Value> = (0..1_000)
        .map(|i| json!({"query": format!("mutation {{ {} }}", create("c".into(), &format!("k{i}")))}))
        .collect();
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&op)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(events().await, 0);

    // 300 aliases, one key: one campaign, every alias answers it.
    let same: String = (0..300)
        .map(|i| create(format!("a{i}"), "one-key"))
        .collect();
    let response = app
        .graphql(Some(&op), &format!("mutation {{ {same} }}"), json!({}))
        .await;
    assert!(
        response.get("errors").is_none(),
        "{:.300}",
        response.to_string()
    );
    let ids: std::collections::HashSet<&str> = response["data"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["campaignId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(events().await, 1);

    // A key per alias, past the complexity limit: refused before running any.
    let many: String = (0..2_500)
        .map(|i| create(format!("a{i}"), &format!("key-{i}")))
        .collect();
    let response = app
        .graphql(Some(&op), &format!("mutation {{ {many} }}"), json!({}))
        .await;
    assert_eq!(
        code(&response),
        "INVALID_INPUT",
        "{:.300}",
        response.to_string()
    );
    assert_eq!(events().await, 1);

    // A fragment cycle: refused by the parser's recursion limit.
    let cycle = "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
    let response = app.graphql(None, cycle, json!({})).await;
    assert_eq!(code(&response), "INVALID_INPUT", "{response}");
    // 5 000 repeats of a field under directives: too complex.
    let repeated = format!("{{ {} }}", "version @skip(if: false) ".repeat(5_000));
    let response = app.graphql(None, &repeated, json!({})).await;
    assert_eq!(response["errors"][0]["message"], "Query is too complex.");
    assert_eq!(code(&response), "INVALID_INPUT");
    // 20 000 repeats of one field without aliases merge into one: answered once.
    let merged = format!("{{ {} }}", "__typename ".repeat(20_000));
    let response = app.ok(None, &merged, json!({})).await;
    assert_eq!(response, json!({"__typename": "QueryRoot"}));
}

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

/// A listing input (for tests that create one).
pub(crate) fn listing_input() -> Value {
    json!({
        "name": "Outside Bingsu",
        "category": "RESTAURANT",
        "tags": ["bingsu"],
        "description": "Shaved ice.",
        "location": {"address": "1 Myeongdong-gil, Seoul", "regionCode": "KR-11",
                     "latitude": 37.5636, "longitude": 126.9869},
        "timeZone": "Asia/Seoul",
        "displayPrice": {"amountMinor": 12000, "currency": "KRW"},
        "policy": {
            "slotKind": {"datedEvent": {"startsAt": "19:00"}},
            "partySize": {"min": 1, "max": 10},
            "maxAdvanceDays": 365,
            "holdDurationMinutes": 15
        }
    })
}
