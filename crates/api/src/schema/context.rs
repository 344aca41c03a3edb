//! Reading the application state and the caller from a resolver's context.

use async_graphql::Context;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The application state.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
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
