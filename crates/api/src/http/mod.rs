//! GraphQL over HTTP and WebSocket:
//!
//! - `POST /graphql`: one operation as JSON (`Content-Type: application/json`); queries and
//!   mutations. **Batching is disabled** (a JSON array is a 400), so one request is one
//!   operation, and the depth and complexity limits bound every request.
//! - `GET /graphql?query=…&variables=…&operationName=…`: queries only.
//! - `GET /graphql/ws`: subscriptions over WebSocket, both the `graphql-transport-ws` and the
//!   older `graphql-ws` protocol. The token travels in the `connection_init` payload (browsers
//!   cannot set headers on a WebSocket): `{"Authorization": "Bearer …"}`, `{"authorization":
//!   …}` or `{"token": "…"}`. None: anonymous (public subscriptions only); a bad one: the
//!   connection is refused (closed with the error message).
//! - GraphiQL, for development, is the booking site's (`holdfast_web`, `GET /graphiql`).
//!
//! The bearer token of HTTP requests is the `Authorization` header; a bad token is an
//! `UNAUTHENTICATED` GraphQL error, never a 5xx. Request bodies are limited to
//! [`crate::MAX_BODY_BYTES`] by a layer in [`crate::app`].
//!
//! # The GraphQL-over-HTTP spec
//!
//! `/graphql` follows every MUST and SHOULD for servers of the [GraphQL-over-HTTP] draft as of
//! graphql/graphql-over-http@127bbfd (2025-05-08; later drafts moved several status codes:
//! the table's last row). Two functions hold the rules: [`negotiate`] picks the media type
//! of the answer from `Accept`, and [`status`] picks the status from what became of the
//! request ([`Outcome`]) and that media type. Every answer is a GraphQL response — `errors`
//! each with `extensions.code`, and `data` only if the operation was executed — but the 413 the
//! body-limit layer answers by itself.
//!
//! | rule | behaviour |
//! |---|---|
//! | MUST accept POST; MAY accept GET | `POST` and `GET`; other methods: 405 with `Allow` (the router) |
//! | POST: MUST support `application/json`, UTF-8 assumed without `charset`; no `Content-Type`: SHOULD 4xx | `application/json` without `charset` or with `charset=utf-8`; any other or none: 415 |
//! | `query` (string) required; `operationName` (string), `variables`, `extensions` (maps) optional, `null` = absent; other properties MUST be ignored | a body that is not JSON, is an array (no batching), lacks `query` or has a parameter of the wrong type is not a well-formed request: 400 under either media type, no `data` |
//! | GET: the same parameters in the URL, `variables` and `extensions` as JSON text, `""` = absent | checked the same way (400) |
//! | GET MUST NOT execute a mutation (405 RECOMMENDED) | 405 with `Allow: GET, POST`, before validation or execution |
//! | MUST respect `Accept`: the highest-priority supported type | by q-value (q=0: never); on a tie, a type named outright beats a wildcard, then the one listed first, then `application/json` |
//! | no `Accept`: server's choice; SHOULD support `application/json` for legacy clients | no `Accept`, `*/*` or `application/*`: `application/json` |
//! | nothing acceptable: 406 RECOMMENDED | 406 (its body `application/json`), nothing executed |
//! | MUST give the `Content-Type`, SHOULD give the encoding | `application/json; charset=utf-8` or `application/graphql-response+json; charset=utf-8` |
//! | `application/json`: SHOULD 200 for every well-formed request, request errors included | a document that does not parse or validate, an unknown or missing `operationName`, variables that do not coerce, a bad token: 200, `errors`, no `data` |
//! | `application/graphql-response+json`: no `data` MUST be 4xx/5xx, SHOULD 400 when invalid, 401/403 when not permitted | those request errors: 400, no `data`; a bad token: 401 with `WWW-Authenticate: Bearer` |
//! | both: executed, even with field errors (partial or null `data`): SHOULD 200 (MUST 2xx with data) | 200, `data` and `errors` (each with its `path`) |
//! | MAY add validation rules | the depth and complexity limits are validation errors like the others |
//! | body too large: 413 SHOULD | 413 over [`crate::MAX_BODY_BYTES`] |
//! | *later drafts*: 422 for invalid parameters, validation, operation and variable failures; 294 for data with errors; legacy `application/json` clients get the same 4xx | not followed: the statuses above are the 2025-05-08 draft's (one `match` in [`status`]) |
//!
//! [GraphQL-over-HTTP]: https://graphql.github.io/graphql-over-http/draft/

use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{Extensions, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::schema::AppSchema;
use crate::state::AppState;

mod negotiate;
mod ws;

pub use negotiate::{MediaType, negotiate};
pub use ws::graphql_ws;

/// The state of the GraphQL routes.
#[derive(Clone)]
pub struct GraphqlState {
    /// The schema.
    pub schema: AppSchema,
    /// The application state (for authentication).
    pub app: AppState,
}

/// `POST /graphql`: one operation as `application/json`.
pub async fn graphql_post(
    State(state): State<GraphqlState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = parse_post(&headers, body);
    serve(&state, &headers, request).await
}

/// `GET /graphql`: one query from the URL's parameters; mutations are refused (405).
pub async fn graphql_get(
    State(state): State<GraphqlState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let request = parse_get(&uri).and_then(|mut request| {
        if is_mutation(&mut request) {
            Err(Refusal::MutationOverGet)
        } else {
            Ok(request)
        }
    });
    serve(&state, &headers, request).await
}

/// Why a request was refused before it reached the schema.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// `Accept` names neither media type.
    #[error(
        "the response is application/graphql-response+json or application/json; Accept allows neither"
    )]
    NotAcceptable,
    /// POST with a body that is not `application/json` in UTF-8.
    #[error("POST /graphql takes a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// A mutation over GET.
    #[error("mutations are not allowed over GET; use POST")]
    MutationOverGet,
    /// The body is over the limit.
    #[error("the request body is larger than {} bytes", crate::MAX_BODY_BYTES)]
    TooLarge,
    /// Not a well-formed GraphQL-over-HTTP request: not JSON, a batch, no `query`, a parameter
    /// of the wrong type.
    #[error("{0}")]
    Malformed(String),
}

/// What became of a request; with the media type it decides the status ([`status`]).
#[derive(Debug)]
pub enum Outcome {
    /// The operation was executed: `data`, and the errors of the fields that failed (if any
    /// did, `data` is partial, or null).
    Executed(async_graphql::Response),
    /// A well-formed request the schema refused before executing it: a document that does not
    /// parse or validate, no operation to run, variables that do not coerce.
    RequestError(Vec<ServerError>),
    /// The bearer token was refused.
    Unauthenticated(ApiError),
    /// Refused before it was a well-formed request, or by content negotiation.
    Refused(Refusal),
}

/// The status of an answer: the one place that decides it (the module's table).
pub fn status(outcome: &Outcome, media: MediaType) -> StatusCode {
    match (outcome, media) {
        (Outcome::Executed(_), _) => StatusCode::OK,
        (Outcome::RequestError(_) | Outcome::Unauthenticated(_), MediaType::Json) => StatusCode::OK,
        (Outcome::RequestError(_), MediaType::GraphqlResponse) => StatusCode::BAD_REQUEST,
        (Outcome::Unauthenticated(_), MediaType::GraphqlResponse) => StatusCode::UNAUTHORIZED,
        (Outcome::Refused(refusal), _) => match refusal {
            Refusal::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Refusal::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::MutationOverGet => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
        },
    }
}

/// Negotiates, runs `request` unless it was refused, and answers.
async fn serve(
    state: &GraphqlState,
    headers: &HeaderMap,
    request: Result<async_graphql::Request, Refusal>,
) -> Response {
    let Some(media) = negotiate(headers) else {
        return answer(Outcome::Refused(Refusal::NotAcceptable), MediaType::Json);
    };
    let outcome = match request {
        Ok(request) => execute(state, headers, request).await,
        Err(refusal) => Outcome::Refused(refusal),
    };
    answer(outcome, media)
}

/// Authenticates from the `Authorization` header and runs `request`.
async fn execute(
    state: &GraphqlState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Outcome {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match state.app.auth.authenticate(authorization) {
        Ok(principal) => principal,
        Err(e) => return Outcome::Unauthenticated(e.into()),
    };
    let mut request = request.data(principal);
    if let Some(error) = missing_variable(&mut request) {
        return Outcome::RequestError(vec![error]);
    }
    let response = state.schema.execute(request).await;
    // async-graphql answers a request error with null `data` and errors without a `path`; an
    // executed operation has `data`, or null `data` with field errors, each at its `path`.
    if response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
    {
        Outcome::RequestError(response.errors)
    } else {
        Outcome::Executed(response)
    }
}

/// The HTTP answer: [`status`] (with `Allow` on a 405, `WWW-Authenticate` on a 401), the
/// media type with its charset, and the GraphQL response (`data` only when executed).
fn answer(outcome: Outcome, media: MediaType) -> Response {
    /// A GraphQL response without `data`.
    #[derive(Serialize)]
    struct Errors {
        errors: Vec<ServerError>,
    }
    let errors = |e: ApiError| Errors {
        errors: vec![async_graphql::Error::from(e).into_server_error(Default::default())],
    };
    let status = status(&outcome, media);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        }
        StatusCode::UNAUTHORIZED => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    let body = match outcome {
        Outcome::Executed(mut response) => {
            headers.extend(std::mem::take(&mut response.http_headers));
            serde_json::to_vec(&response)
        }
        Outcome::RequestError(errors) => serde_json::to_vec(&Errors { errors }),
        Outcome::Unauthenticated(e) => serde_json::to_vec(&errors(e)),
        Outcome::Refused(refusal) => serde_json::to_vec(&errors(ApiError::new(
            ErrorCode::InvalidInput,
            refusal.to_string(),
        ))),
    };
    match body {
        Ok(body) => (status, headers, body).into_response(),
        // A GraphQL response always serializes; were one ever not to, a 500 says so.
        Err(e) => {
            let error = errors(ApiError::internal(e));
            let body = serde_json::to_vec(&error).unwrap_or_default();
            (StatusCode::INTERNAL_SERVER_ERROR, headers, body).into_response()
        }
    }
}

/// The parameters of a GraphQL-over-HTTP request: `query` is required, the others optional
/// (`null` is the same as absent); properties the spec does not name are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Variables,
    #[serde(default)]
    extensions: Extensions,
}

impl From<Params> for async_graphql::Request {
    fn from(params: Params) -> Self {
        let mut request = async_graphql::Request::new(params.query).variables(params.variables);
        request.operation_name = params.operation_name.filter(|name| !name.is_empty());
        request.extensions = params.extensions;
        request
    }
}

/// The request a POST carries: a JSON object of [`Params`] in UTF-8.
fn parse_post(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<async_graphql::Request, Refusal> {
    if !is_json(headers) {
        return Err(Refusal::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
        _ => Refusal::Malformed(rejection.body_text()),
    })?;
    if body.trim_ascii_start().starts_with(b"[") {
        return Err(Refusal::Malformed(
            "batching is not supported: one operation per request".to_owned(),
        ));
    }
    serde_json::from_slice::<Params>(&body)
        .map(Into::into)
        .map_err(|e| Refusal::Malformed(format!("not a GraphQL request: {e}")))
}

/// Whether the body is `application/json` in UTF-8 (no `charset` means UTF-8).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    parts
        .next()
        .is_some_and(|media| media.eq_ignore_ascii_case("application/json"))
        && parts.all(|parameter| match parameter.split_once('=') {
            Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8"),
            _ => true,
        })
}

/// The parameters of a GraphQL GET request, as the GraphQL-over-HTTP spec names them
/// (`operationName`; async-graphql's own parser expects `operation_name`, which is accepted
/// too); `variables` and `extensions` are JSON text.
#[derive(Deserialize)]
struct GetParams {
    #[serde(default)]
    query: String,
    #[serde(default, rename = "operationName", alias = "operation_name")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<String>,
    #[serde(default)]
    extensions: Option<String>,
}

/// The request a GET URL carries.
fn parse_get(uri: &Uri) -> Result<async_graphql::Request, Refusal> {
    let Query(params) = Query::<GetParams>::try_from_uri(uri)
        .map_err(|e| Refusal::Malformed(format!("invalid query string: {}", e.body_text())))?;
    if params.query.trim().is_empty() {
        return Err(Refusal::Malformed(
            "GET /graphql needs a `query` parameter".to_owned(),
        ));
    }
    Ok(Params {
        query: params.query,
        operation_name: params.operation_name,
        variables: json(params.variables, "variables")?,
        extensions: json(params.extensions, "extensions")?,
    }
    .into())
}

/// A JSON parameter of a GET (absent or empty: the default).
fn json<T: serde::de::DeserializeOwned + Default>(
    text: Option<String>,
    what: &str,
) -> Result<T, Refusal> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| Refusal::Malformed(format!("`{what}` is not a JSON object: {e}")))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Whether the operation `request` selects is a mutation (several operations and no name: if
/// any is, so that no ambiguity ever runs one). A document that does not parse is left to
/// execution, which reports it as a GraphQL error.
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    request.parsed_query().is_ok_and(|document| {
        candidates(document, name.as_deref())
            .iter()
            .any(|operation| operation.node.ty == OperationType::Mutation)
    })
}

/// A non-null variable of the selected operation given no value and having no default: a
/// request error (GraphQL's CoerceVariableValues), which async-graphql would only meet while
/// executing — as a field error, with the rest of the operation running.
fn missing_variable(request: &mut async_graphql::Request) -> Option<ServerError> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    // No operation, or several and no name: async-graphql refuses the request itself.
    let [operation] = candidates(document, name.as_deref())[..] else {
        return None;
    };
    let required: Vec<_> = operation
        .node
        .variable_definitions
        .iter()
        .filter(|variable| variable.node.default_value().is_none())
        .map(|variable| (variable.node.name.node.clone(), variable.pos))
        .collect();
    let (missing, pos) = required
        .into_iter()
        .find(|(variable, _)| !request.variables.contains_key(variable))?;
    let message = format!("variable ${missing} is non-null and was given no value");
    let error = async_graphql::Error::from(ApiError::new(ErrorCode::InvalidInput, message));
    Some(error.into_server_error(pos))
}

/// The operations of `document` that `name` may select: the named one, or the only one, or
/// (no name, several) every one.
fn candidates<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Vec<&'d Positioned<OperationDefinition>> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => vec![operation],
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).into_iter().collect()
        }
        (DocumentOperations::Multiple(operations), None) => operations.values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_selected_mutation_counts_as_one() {
        let request = |query: &str, name: Option<&str>| {
            let r = async_graphql::Request::new(query);
            match name {
                Some(n) => r.operation_name(n),
                None => r,
            }
        };
        assert!(is_mutation(&mut request("mutation { a }", None)));
        assert!(is_mutation(&mut request(
            "query Q { a } mutation M { b }",
            None
        )));
        assert!(is_mutation(&mut request(
            "query Q { a } mutation M { b }",
            Some("M")
        )));
        assert!(!is_mutation(&mut request(
            "query Q { a } mutation M { b }",
            Some("Q")
        )));
        assert!(!is_mutation(&mut request("{ a }", None)));
        assert!(!is_mutation(&mut request("subscription { a }", None)));
        assert!(!is_mutation(&mut request("not graphql {", None)));
    }
}
