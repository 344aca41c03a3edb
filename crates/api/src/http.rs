//! GraphQL over HTTP: `POST`/`GET /graphql` (the bearer token in `Authorization`), GraphiQL at
//! `/` for development.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse};

use crate::error::ApiError;
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

/// `POST /graphql` and `GET /graphql`.
pub async fn graphql(
    State(state): State<GraphqlState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.app.auth.authenticate(authorization) {
        Ok(principal) => state
            .schema
            .execute(request.into_inner().data(principal))
            .await
            .into(),
        Err(e) => {
            let error: async_graphql::Error = ApiError::from(e).into();
            async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())])
                .into()
        }
    }
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
