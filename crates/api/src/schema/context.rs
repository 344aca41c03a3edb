//! Reading the engine and the caller from a resolver's context.

use std::future::Future;
use std::sync::Arc;

use async_graphql::Context;
use holdfast_engine::{Engine, Principal, read_models};
use holdfast_projections::models::QueryError;
use holdfast_projections::store::{ReadStore, Table, TableRef};

use crate::error::ApiError;

/// The engine.
pub fn state<'a>(ctx: &Context<'a>) -> &'a Engine {
    ctx.data_unchecked::<Engine>()
}

/// Who is asking ([`Principal::Anonymous`] when the request carried no token).
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&Principal::Anonymous)
}

/// The caller, or `UNAUTHENTICATED` for anonymous callers.
pub fn authenticated<'a>(ctx: &Context<'a>) -> Result<&'a Principal, ApiError> {
    match principal(ctx) {
        Principal::Anonymous => Err(ApiError::new(
            crate::error::ErrorCode::Unauthenticated,
            "this needs a bearer token",
        )),
        p => Ok(p),
    }
}

/// Reads `table` with `query` through the engine ([`read_models::read`]: after a wait for
/// `token`, on the generation readers use, retried once across a rebuild).
pub async fn read<T, F, Fut>(
    ctx: &Context<'_>,
    table: Table,
    token: Option<&str>,
    query: F,
) -> Result<T, ApiError>
where
    F: Fn(Arc<dyn ReadStore>, TableRef) -> Fut,
    Fut: Future<Output = Result<T, QueryError>>,
{
    Ok(read_models::read(state(ctx), table, token, query).await?)
}
