//! The GraphQL-over-HTTP spec, one test per rule (the table in `holdfast_api::http`'s docs).

use reqwest::StatusCode;
use reqwest::header::{ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::{self, TestApp, spawn_app};
use crate::{code, introspection, url};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";
/// The `Content-Type` of an answer in `media`.
fn utf8(media: &str) -> String {
    format!("{media}; charset=utf-8")
}

/// An answer: its status, `Content-Type` and body (JSON, or the text if it is not).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    async fn of(request: reqwest::RequestBuilder) -> Self {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// Asserts a request error: `status` in `media`, errors each with a code, no `data`.
    fn is_request_error(&self, status: StatusCode, media: &str) {
        assert_eq!(
            (self.status, self.content_type.as_str()),
            (status, utf8(media).as_str()),
            "{self:?}"
        );
        assert!(self.body.get("data").is_none(), "{self:?}");
        let errors = self.body["errors"].as_array().expect("errors");
        assert!(
            !errors.is_empty() && errors.iter().all(|e| e["extensions"]["code"].is_string()),
            "{self:?}"
        );
    }

    /// Asserts an executed operation in `media`: 200, `data` (which it returns).
    fn data(&self, media: &str) -> &Value {
        assert_eq!(
            (self.status, self.content_type.as_str()),
            (StatusCode::OK, utf8(media).as_str()),
            "{self:?}"
        );
        assert!(self.body.get("data").is_some(), "{self:?}");
        &self.body["data"]
    }
}

/// `POST /graphql` of `body` (JSON) with `Accept: accept`.
fn post(app: &TestApp, accept: &str, body: &Value) -> reqwest::RequestBuilder {
    app.http
        .post(format!("{}/graphql", app.base))
        .header(reqwest::header::ACCEPT, accept)
        .json(body)
}

/// `POST /graphql` of `{"query": query}` with `Accept: accept`.
async fn post_query(app: &TestApp, accept: &str, query: &str) -> Answer {
    Answer::of(post(app, accept, &json!({"query": query}))).await
}

/// `POST /graphql` of `body` as it is, with `content_type` and `Accept: accept`.
async fn post_bytes(
    app: &TestApp,
    accept: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut request = app
        .http
        .post(format!("{}/graphql", app.base))
        .header(reqwest::header::ACCEPT, accept)
        .body(body.to_vec());
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    Answer::of(request).await
}

/// `GET /graphql?…` with `Accept: accept`.
async fn get_with(app: &TestApp, accept: &str, params: &[(&str, &str)]) -> Answer {
    Answer::of(
        app.http
            .get(url(app, params))
            .header(reqwest::header::ACCEPT, accept),
    )
    .await
}

/// `POST /graphql` of `body` over a bare HTTP/1.1 connection, so that the request has no
/// `Accept` header at all (reqwest always sends one): (status, `Content-Type`, body).
async fn post_without_accept(app: &TestApp, body: &str) -> (u16, String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, serde_json::from_str(body).unwrap())
}

/// The response MUST be in a media type the client accepts: `Accept: application/json` alone
/// is answered in application/json (it was answered in application/graphql-response+json),
/// and `Accept: application/graphql-response+json` in that.
#[tokio::test]
async fn the_answer_is_in_the_media_type_accept_names() {
    let app = spawn_app().await;
    for media in [JSON, GRAPHQL_RESPONSE] {
        let answer = post_query(&app, media, "{ version }").await;
        assert_eq!(answer.data(media)["version"], env!("CARGO_PKG_VERSION"));
        let answer = post_query(&app, &utf8(media), "{ version }").await;
        answer.data(media);
    }
}

/// Accept's q-values and lists: the highest-priority type the server supports; q=0 refuses a
/// type; on a tie a type named outright beats a wildcard, then the client's order decides.
#[tokio::test]
async fn accept_q_values_and_lists_choose_the_highest_priority_type() {
    let app = spawn_app().await;
    for (accept, media) in [
        (
            "application/graphql-response+json;q=0.9, application/json",
            JSON,
        ),
        (
            "application/graphql-response+json, application/json;q=0.9",
            GRAPHQL_RESPONSE,
        ),
        (
            "application/json;q=0.5, application/graphql-response+json;q=0.8",
            GRAPHQL_RESPONSE,
        ),
        (
            "application/graphql-response+json, application/json",
            GRAPHQL_RESPONSE,
        ),
        ("application/json, application/graphql-response+json", JSON),
        (
            "text/html, application/graphql-response+json;q=0.1",
            GRAPHQL_RESPONSE,
        ),
        (
            "*/*;q=0.8, application/graphql-response+json",
            GRAPHQL_RESPONSE,
        ),
        ("application/json;q=0, */*", GRAPHQL_RESPONSE),
        (
            "application/*;q=0.5, application/graphql-response+json;q=0.4",
            JSON,
        ),
        (
            "APPLICATION/GRAPHQL-RESPONSE+JSON; Q=1, application/json; q=0.2",
            GRAPHQL_RESPONSE,
        ),
    ] {
        let answer = post_query(&app, accept, "{ version }").await;
        assert_eq!(answer.content_type, utf8(media), "{accept}");
        answer.data(media);
    }
    // Several Accept headers are one list.
    let answer = Answer::of(
        post(
            &app,
            "application/json;q=0.1",
            &json!({"query": "{ version }"}),
        )
        .header(reqwest::header::ACCEPT, GRAPHQL_RESPONSE),
    )
    .await;
    answer.data(GRAPHQL_RESPONSE);
}

/// A legacy client — no Accept, `*/*` (reqwest's, curl's), `application/*` — gets
/// application/json; its request errors are 200 with `extensions.code` and no `data`.
#[tokio::test]
async fn no_accept_or_a_wildcard_is_answered_in_application_json() {
    let app = spawn_app().await;
    let (status, content_type, body) =
        post_without_accept(&app, r#"{"query": "{ version }"}"#).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, utf8(JSON).as_str()),
        "{body}"
    );
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    let (status, content_type, body) = post_without_accept(&app, r#"{"query": "{ nope }"}"#).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, utf8(JSON).as_str()),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(code(&body), "INVALID_INPUT");
    for accept in ["*/*", "application/*", "text/html, */*;q=0.1"] {
        post_query(&app, accept, "{ version }").await.data(JSON);
        post_query(&app, accept, "{ nope }")
            .await
            .is_request_error(StatusCode::OK, JSON);
    }
}

/// An Accept that allows neither media type: 406 (RECOMMENDED), and nothing runs.
#[tokio::test]
async fn an_accept_the_server_cannot_satisfy_is_406() {
    let app = spawn_app().await;
    let (_, op) = support::operator();
    let create = json!({"query": CREATE_CAMPAIGN, "variables": {"key": "k-406"}});
    for accept in [
        "text/html",
        "application/xml, text/*",
        "application/json;q=0",
        "application/graphql-response+json;q=0, application/json;q=0",
    ] {
        let answer = Answer::of(post(&app, accept, &create).bearer_auth(&op)).await;
        answer.is_request_error(StatusCode::NOT_ACCEPTABLE, JSON);
        let answer = get_with(&app, accept, &[("query", "{ version }")]).await;
        answer.is_request_error(StatusCode::NOT_ACCEPTABLE, JSON);
    }
    assert_eq!(events(&app).await, 0, "a 406 runs nothing");
}

/// The response SHOULD name its encoding: every answer of `/graphql` — data, request errors
/// and refusals, in either media type — is `…; charset=utf-8`.
#[tokio::test]
async fn every_answer_names_its_charset_utf8() {
    let app = spawn_app().await;
    for media in [JSON, GRAPHQL_RESPONSE] {
        let answers = [
            post_query(&app, media, "{ version }").await,
            post_query(&app, media, "{ nope }").await,
            post_bytes(&app, media, Some("text/plain"), b"{ version }").await,
            post_bytes(&app, media, Some(JSON), b"{\"query\":").await,
            get_with(&app, media, &[("query", "{ version }")]).await,
            get_with(&app, media, &[("query", "mutation { anything }")]).await,
        ];
        for answer in answers {
            assert_eq!(answer.content_type, utf8(media), "{answer:?}");
        }
    }
}

/// GET with `Accept: application/graphql-response+json`: queries answered in it (200), request
/// errors 400 without `data`, mutations 405 with `Allow`; empty optional parameters are absent.
#[tokio::test]
async fn get_answers_in_graphql_response_json() {
    let app = spawn_app().await;
    let answer = get_with(
        &app,
        GRAPHQL_RESPONSE,
        &[
            ("query", "{ version }"),
            ("operationName", ""),
            ("variables", ""),
            ("extensions", ""),
        ],
    )
    .await;
    assert_eq!(
        answer.data(GRAPHQL_RESPONSE)["version"],
        env!("CARGO_PKG_VERSION")
    );
    let answer = get_with(&app, GRAPHQL_RESPONSE, &[("query", "{ nope }")]).await;
    answer.is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
    let answer = get_with(
        &app,
        GRAPHQL_RESPONSE,
        &[("query", "{ version }"), ("variables", "[7]")],
    )
    .await;
    answer.is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
    let answer = get_with(
        &app,
        GRAPHQL_RESPONSE,
        &[("query", "mutation { anything }")],
    )
    .await;
    answer.is_request_error(StatusCode::METHOD_NOT_ALLOWED, GRAPHQL_RESPONSE);
    assert_eq!(answer.headers[ALLOW], "GET, POST");
}

/// POST MUST take `application/json` in UTF-8, assumed when no charset is given: with or
/// without `charset=utf-8`, a document with non-ASCII text runs; another charset is 415.
#[tokio::test]
async fn post_json_is_utf8_with_or_without_charset() {
    let app = spawn_app().await;
    let body = json!({"query": "query Cafe { version } # ☕ déjà vu"}).to_string();
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=\"UTF-8\"",
    ] {
        for media in [JSON, GRAPHQL_RESPONSE] {
            let answer = post_bytes(&app, media, Some(content_type), body.as_bytes()).await;
            assert_eq!(
                answer.data(media)["version"],
                env!("CARGO_PKG_VERSION"),
                "{content_type}"
            );
        }
    }
    let answer = post_bytes(
        &app,
        GRAPHQL_RESPONSE,
        Some("application/json; charset=iso-8859-1"),
        body.as_bytes(),
    )
    .await;
    answer.is_request_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, GRAPHQL_RESPONSE);
    // Not UTF-8 at all: not JSON.
    let answer = post_bytes(
        &app,
        GRAPHQL_RESPONSE,
        Some(JSON),
        b"{\"query\": \"{ version } # caf\xe9\"}",
    )
    .await;
    answer.is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
}

/// A POST without `Content-Type` SHOULD be refused with a 4xx: 415.
#[tokio::test]
async fn a_post_without_content_type_is_415() {
    let app = spawn_app().await;
    let body = json!({"query": "{ version }"}).to_string();
    for media in [JSON, GRAPHQL_RESPONSE] {
        let answer = post_bytes(&app, media, None, body.as_bytes()).await;
        answer.is_request_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, media);
    }
}

/// A body that is not JSON: 400 under either media type, no `data`.
#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let app = spawn_app().await;
    for media in [JSON, GRAPHQL_RESPONSE] {
        for body in [&b"NONSENSE"[..], b"{\"query\":", b""] {
            let answer = post_bytes(&app, media, Some(JSON), body).await;
            answer.is_request_error(StatusCode::BAD_REQUEST, media);
        }
    }
}

/// Not a well-formed GraphQL-over-HTTP request — no `query`, a misspelt one, a parameter of
/// the wrong type, a batch: 400 without `data` under either media type (under
/// graphql-response+json `{"qeury": …}` was a 200 with `data`).
#[tokio::test]
async fn invalid_parameters_are_400_without_data() {
    let app = spawn_app().await;
    for media in [JSON, GRAPHQL_RESPONSE] {
        for body in [
            json!({}),
            json!({"qeury": "{ version }"}),
            json!({"query": null}),
            json!({"query": 7}),
            json!({"query": "query Q($i: Int!) { version }", "variables": [7]}),
            json!({"query": "{ version }", "variables": "{}"}),
            json!({"query": "{ version }", "operationName": 7}),
            json!({"query": "{ version }", "extensions": [1]}),
            json!("{ version }"),
            json!([{"query": "{ version }"}]),
        ] {
            let answer = Answer::of(post(&app, media, &body)).await;
            answer.is_request_error(StatusCode::BAD_REQUEST, media);
        }
    }
}

/// Properties the spec does not name MUST be ignored, and `null` for an optional parameter is
/// the same as leaving it out.
#[tokio::test]
async fn unknown_properties_are_ignored_and_null_parameters_are_absent() {
    let app = spawn_app().await;
    let body = json!({
        "query": "{ version }",
        "operationName": null,
        "variables": null,
        "extensions": null,
        "id": "persisted-123",
        "documentId": 42,
    });
    for media in [JSON, GRAPHQL_RESPONSE] {
        let answer = Answer::of(post(&app, media, &body)).await;
        assert_eq!(answer.data(media)["version"], env!("CARGO_PKG_VERSION"));
    }
}

/// A document that does not parse: under graphql-response+json 400 without `data` (it was a
/// 200 with `data: null`); under application/json 200 without `data`; `extensions.code`.
#[tokio::test]
async fn a_document_that_does_not_parse_is_400_or_200_without_data() {
    let app = spawn_app().await;
    for query in ["{", "{ version", "query {", "not graphql"] {
        post_query(&app, GRAPHQL_RESPONSE, query)
            .await
            .is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
        post_query(&app, JSON, query)
            .await
            .is_request_error(StatusCode::OK, JSON);
    }
}

/// A document that fails validation — an unknown field, an unused variable, beyond the depth
/// or complexity limits (validation rules the server adds): 400 without `data` under
/// graphql-response+json, 200 without `data` under application/json.
#[tokio::test]
async fn a_document_that_fails_validation_is_400_or_200_without_data() {
    let app = spawn_app().await;
    let wide: String = (0..2_001).map(|i| format!("a{i}: version ")).collect();
    for query in [
        "{ nope }".to_owned(),
        "query($x: Int!) { version }".to_owned(),
        "{ version { name } }".to_owned(),
        introspection(12),
        format!("{{ {wide} }}"),
    ] {
        post_query(&app, GRAPHQL_RESPONSE, &query)
            .await
            .is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
        post_query(&app, JSON, &query)
            .await
            .is_request_error(StatusCode::OK, JSON);
    }
}

/// The operation cannot be determined — an unknown `operationName`, or several operations and
/// none named: a request error, not executed (400 / 200, no `data`).
#[tokio::test]
async fn an_unknown_operation_name_is_400_or_200_without_data() {
    let app = spawn_app().await;
    for (query, name) in [
        ("query A { version } query B { serverTime }", Some("C")),
        ("{ version }", Some("A")),
        ("query A { version } query B { serverTime }", None),
    ] {
        let body = json!({"query": query, "operationName": name});
        Answer::of(post(&app, GRAPHQL_RESPONSE, &body))
            .await
            .is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
        Answer::of(post(&app, JSON, &body))
            .await
            .is_request_error(StatusCode::OK, JSON);
    }
    // The named one runs.
    let body = json!({"query": "query A { version } query B { serverTime }", "operationName": "A"});
    let answer = Answer::of(post(&app, GRAPHQL_RESPONSE, &body)).await;
    assert_eq!(
        answer.data(GRAPHQL_RESPONSE),
        &json!({"version": env!("CARGO_PKG_VERSION")})
    );
}

/// A `createCampaign` mutation taking its idempotency key as `$key: String!` (an operator's).
const CREATE_CAMPAIGN: &str = "mutation($key: String!) { createCampaign(idempotencyKey: $key,
    input: {code: \"SPEC\", discount: {fixed: {amountMinor: 1, currency: \"KRW\"}},
    validFrom: \"2030-01-01T00:00:00Z\", validUntil: \"2030-03-01T00:00:00Z\",
    totalQuantity: 1}) { campaignId } }";

/// How many events the store holds.
async fn events(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(app.engine.store.pg_pool().unwrap())
        .await
        .unwrap();
    n
}

/// Variables that do not coerce to the operation's definitions — the wrong type, `null` or
/// nothing for a non-null one: 400 without `data` under graphql-response+json (it was a 200
/// with `data`), 200 without `data` under application/json; the mutation does not run.
#[tokio::test]
async fn variables_that_do_not_coerce_are_400_or_200_without_data() {
    let app = spawn_app().await;
    let (_, op) = support::operator();
    for variables in [
        json!({"key": 7}),
        json!({"key": null}),
        json!({"key": ["a"]}),
        json!({}),
    ] {
        let body = json!({"query": CREATE_CAMPAIGN, "variables": variables});
        Answer::of(post(&app, GRAPHQL_RESPONSE, &body).bearer_auth(&op))
            .await
            .is_request_error(StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE);
        Answer::of(post(&app, JSON, &body).bearer_auth(&op))
            .await
            .is_request_error(StatusCode::OK, JSON);
    }
    assert_eq!(events(&app).await, 0, "nothing ran");
    // The same mutation with a good key runs.
    let body = json!({"query": CREATE_CAMPAIGN, "variables": {"key": "k-1"}});
    let answer = Answer::of(post(&app, GRAPHQL_RESPONSE, &body).bearer_auth(&op)).await;
    assert!(answer.data(GRAPHQL_RESPONSE)["createCampaign"]["campaignId"].is_string());
}

/// A field error during execution is not a request error: 200 under both media types, with
/// the partial `data` (or null `data`, when nothing else was asked) and the error at its
/// `path`.
#[tokio::test]
async fn field_errors_during_execution_are_200_with_partial_data_under_both_media_types() {
    let app = spawn_app().await;
    for media in [JSON, GRAPHQL_RESPONSE] {
        let answer = post_query(&app, media, "{ version myWallet { campaignId } }").await;
        assert_eq!(
            answer.data(media),
            &json!({"version": env!("CARGO_PKG_VERSION")}),
            "{answer:?}"
        );
        let error = &answer.body["errors"][0];
        assert_eq!(error["path"], json!(["myWallet"]), "{answer:?}");
        assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED", "{answer:?}");
        // The failing field alone: executed all the same, so 200 with `data` (null).
        let answer = post_query(&app, media, "{ myWallet { campaignId } }").await;
        assert_eq!(answer.data(media), &Value::Null, "{answer:?}");
        assert_eq!(answer.body["errors"][0]["path"], json!(["myWallet"]));
    }
}

/// A client not permitted to make the request (a bad bearer token) SHOULD get 401 or 403
/// under graphql-response+json: 401 with `WWW-Authenticate`; under application/json the
/// answer stays 200. `UNAUTHENTICATED` and no `data` either way.
#[tokio::test]
async fn a_bad_token_is_401_under_graphql_response_json() {
    let app = spawn_app().await;
    let body = json!({"query": "{ version }"});
    let answer = Answer::of(post(&app, GRAPHQL_RESPONSE, &body).bearer_auth("not-a-jwt")).await;
    answer.is_request_error(StatusCode::UNAUTHORIZED, GRAPHQL_RESPONSE);
    assert_eq!(code(&answer.body), "UNAUTHENTICATED");
    assert_eq!(answer.headers[reqwest::header::WWW_AUTHENTICATE], "Bearer");
    let answer = Answer::of(post(&app, JSON, &body).bearer_auth("not-a-jwt")).await;
    answer.is_request_error(StatusCode::OK, JSON);
    assert_eq!(code(&answer.body), "UNAUTHENTICATED");
}

/// A method other than GET and POST: 405 with `Allow`.
#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let app = spawn_app().await;
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let response = app
            .http
            .request(method.clone(), format!("{}/graphql", app.base))
            .json(&json!({"query": "{ version }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        let allow = response.headers()[ALLOW].to_str().unwrap().to_owned();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    }
}
