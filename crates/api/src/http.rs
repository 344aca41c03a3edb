//! GraphQL over HTTP and WebSocket, per the GraphQL-over-HTTP spec:
//!
//! - `POST /graphql` with `Content-Type: application/json` (anything else: 415); queries and
//!   mutations. **Batching is disabled**: a JSON array body is a 400, so one request is one
//!   operation, and the depth and complexity limits bound every request.
//! - `GET /graphql?query=…&variables=…&operationName=…`: queries only; a mutation is refused
//!   with 405 (and `Allow: POST`) before anything executes, as the spec requires, since GET
//!   must stay safe (caches, prefetchers, links).
//! - `GET /graphql/ws`: subscriptions over WebSocket, both the `graphql-transport-ws` and the
//!   older `graphql-ws` protocol. The token travels in the `connection_init` payload (browsers
//!   cannot set headers on a WebSocket): `{"Authorization": "Bearer …"}`, `{"authorization":
//!   …}` or `{"token": "…"}`. None: anonymous (public subscriptions only); a bad one: the
//!   connection is refused (closed with the error message).
//! - `GET /`: GraphiQL, for development.
//!
//! The bearer token of HTTP requests is the `Authorization` header; a bad token is an
//! `UNAUTHENTICATED` GraphQL error, never a 5xx. Request bodies are limited to
//! [`crate::MAX_BODY_BYTES`] (413 beyond) by a layer in [`crate::app`].

use std::sync::Arc;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{FromRequest, Query, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Authenticator, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::schema::AppSchema;
use crate::state::AppState;

/// The state of the GraphQL routes.
#[derive(Clone)]
pub struct GraphqlState {
    /// The schema.
    pub schema: AppSchema,
    /// The application state (for authentication).
    pub app: AppState,
}

/// `POST /graphql`: one operation as `application/json`.
pub async fn graphql_post(State(state): State<GraphqlState>, request: Request) -> Response {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes a JSON body (Content-Type: application/json)",
        );
    }
    let headers = request.headers().clone();
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        request,
        &(),
    )
    .await
    {
        Ok(parsed) => execute(&state, &headers, parsed.into_inner())
            .await
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /graphql`: one query from the URL's parameters; mutations are refused (405).
pub async fn graphql_get(
    State(state): State<GraphqlState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let request = match parse_get(&uri) {
        Ok(request) => request,
        Err(message) => return refusal(StatusCode::BAD_REQUEST, &message),
    };
    if is_mutation(&request) {
        let mut response = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations are not allowed over GET; use POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    execute(&state, &headers, request).await.into_response()
}

/// The parameters of a GraphQL GET request, as the GraphQL-over-HTTP spec names them
/// (`operationName`; async-graphql's own parser expects `operation_name`, which is accepted
/// too).
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

/// The request a GET URL carries (`variables` and `extensions` are JSON text).
fn parse_get(uri: &Uri) -> Result<async_graphql::Request, String> {
    let Query(params) = Query::<GetParams>::try_from_uri(uri)
        .map_err(|e| format!("invalid query string: {}", e.body_text()))?;
    if params.query.trim().is_empty() {
        return Err("GET /graphql needs a `query` parameter".to_owned());
    }
    let mut request =
        async_graphql::Request::new(params.query).variables(json(params.variables, "variables")?);
    request.extensions = json(params.extensions, "extensions")?;
    request.operation_name = params.operation_name;
    Ok(request)
}

/// A JSON parameter (absent or empty: the default).
fn json<T: serde::de::DeserializeOwned + Default>(
    text: Option<String>,
    what: &str,
) -> Result<T, String> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| serde_json::from_str(&t).map_err(|e| format!("`{what}` is not JSON: {e}")))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Whether the operation `request` selects is a mutation. A document that does not parse or
/// names no operation it contains is left to execution, which reports it as a GraphQL error.
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        // Several operations and no name: not executable; a mutation among them is enough to
        // refuse, so that no ambiguity ever runs one.
        (DocumentOperations::Multiple(ops), None) => ops
            .values()
            .any(|op| op.node.ty == OperationType::Mutation)
            .then_some(OperationType::Mutation),
    };
    ty == Some(OperationType::Mutation)
}

/// Authenticates from the `Authorization` header and runs `request`.
async fn execute(
    state: &GraphqlState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> GraphQLResponse {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.app.auth.authenticate(authorization) {
        Ok(principal) => state.schema.execute(request.data(principal)).await.into(),
        Err(e) => {
            let error: async_graphql::Error = ApiError::from(e).into();
            async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())])
                .into()
        }
    }
}

/// A refusal before execution: `status` with a GraphQL-shaped body carrying the message and
/// an `INVALID_INPUT` code.
fn refusal(status: StatusCode, message: &str) -> Response {
    let error: async_graphql::Error = ApiError::new(ErrorCode::InvalidInput, message).into();
    let body: ServerError = error.into_server_error(Default::default());
    let response = async_graphql::Response::from_errors(vec![body]);
    let json = serde_json::to_string(&response).unwrap_or_else(|_| "{}".to_owned());
    (status, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}

/// `GET /graphql/ws`: subscriptions (graphql-ws and graphql-transport-ws).
pub async fn graphql_ws(
    State(state): State<GraphqlState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let auth = state.app.auth.clone();
    let schema = state.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| connection_init(auth, payload))
                .serve()
        })
}

/// Authenticates a WebSocket connection from its `connection_init` payload; the principal
/// becomes connection data, which every subscription on it reads.
async fn connection_init(auth: Arc<Authenticator>, payload: Value) -> async_graphql::Result<Data> {
    let principal = principal_of_init(&auth, &payload).map_err(async_graphql::Error::from)?;
    let mut data = Data::default();
    data.insert(principal);
    Ok(data)
}

/// The principal a `connection_init` payload names (anonymous when it carries no token).
pub fn principal_of_init(auth: &Authenticator, payload: &Value) -> Result<Principal, ApiError> {
    let field = |v: &Value, name: &str| v.get(name).cloned();
    let found = ["Authorization", "authorization"]
        .into_iter()
        .find_map(|name| {
            field(payload, name).or_else(|| payload.get("headers").and_then(|h| field(h, name)))
        })
        .map(|v| (v, true))
        .or_else(|| field(payload, "token").map(|v| (v, false)));
    let Some((value, is_header)) = found else {
        return Ok(Principal::Anonymous);
    };
    let text = value.as_str().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "the connection_init token must be a string",
        )
    })?;
    let result = if is_header || text.starts_with("Bearer ") || text.starts_with("bearer ") {
        auth.authenticate(Some(text))
    } else {
        auth.verify(text)
    };
    result.map_err(ApiError::from)
}

/// `GET /`: GraphiQL.
pub async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::{AuthConfig, Role, Secret, TokenIssuer};

    const SECRET: &str = "an-http-test-secret-0123456789";

    fn auth() -> Authenticator {
        Authenticator::new(&AuthConfig::Hs256(Secret::new(SECRET))).unwrap()
    }

    fn admin_token() -> String {
        TokenIssuer::hs256(&Secret::new(SECRET))
            .mint(Role::Admin, "root", None, chrono::Duration::minutes(5))
            .unwrap()
    }

    #[test]
    fn the_init_payload_carries_the_token_in_any_of_the_usual_places() {
        let token = admin_token();
        let admin = Principal::Admin { sub: "root".into() };
        for payload in [
            json!({"Authorization": format!("Bearer {token}")}),
            json!({"authorization": format!("Bearer {token}")}),
            json!({"headers": {"Authorization": format!("Bearer {token}")}}),
            json!({"token": token}),
            json!({"token": format!("Bearer {token}")}),
        ] {
            assert_eq!(
                principal_of_init(&auth(), &payload),
                Ok(admin.clone()),
                "{payload}"
            );
        }
        assert_eq!(
            principal_of_init(&auth(), &json!({})),
            Ok(Principal::Anonymous)
        );
        assert_eq!(
            principal_of_init(&auth(), &Value::Null),
            Ok(Principal::Anonymous)
        );
        for bad in [
            json!({"Authorization": token}),
            json!({"token": "nope"}),
            json!({"token": 7}),
        ] {
            let refused = principal_of_init(&auth(), &bad).unwrap_err();
            assert_eq!(refused.code, ErrorCode::Unauthenticated, "{bad}");
        }
    }

    #[test]
    fn only_a_selected_mutation_counts_as_one() {
        let request = |query: &str, name: Option<&str>| {
            let r = async_graphql::Request::new(query);
            match name {
                Some(n) => r.operation_name(n),
                None => r,
            }
        };
        assert!(is_mutation(&request("mutation { a }", None)));
        assert!(is_mutation(&request(
            "query Q { a } mutation M { b }",
            None
        )));
        assert!(is_mutation(&request(
            "query Q { a } mutation M { b }",
            Some("M")
        )));
        assert!(!is_mutation(&request(
            "query Q { a } mutation M { b }",
            Some("Q")
        )));
        assert!(!is_mutation(&request("{ a }", None)));
        assert!(!is_mutation(&request("subscription { a }", None)));
        assert!(!is_mutation(&request("not graphql {", None)));
    }
}
