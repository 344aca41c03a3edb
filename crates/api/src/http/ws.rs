//! `GET /graphql/ws`: subscriptions over WebSocket (graphql-transport-ws and graphql-ws), the
//! caller authenticated from the `connection_init` payload.

use std::sync::Arc;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde_json::Value;

use super::GraphqlState;
use crate::auth::{Authenticator, Principal};
use crate::error::{ApiError, ErrorCode};

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
}
