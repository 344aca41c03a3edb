//! [`ErrorCodes`]: a schema extension that gives every error a code.
//!
//! Resolvers report [`crate::error::ApiError`]s, which carry `extensions.code`; but the errors
//! async-graphql raises itself — a document that does not parse, fails validation (an unknown
//! field, a variable of the wrong type, a query nested too deep or too complex), or an argument
//! that does not coerce — had none. (Found by the reliability suite's schemathesis run: every
//! error must carry `extensions.code`.) This extension fills in `INVALID_INPUT`, not
//! retryable, on any error of a query, mutation or subscription result that has no code; a
//! code already there is left alone.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::{Response, ServerError};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::ErrorCode;

/// The extension factory (register with `Schema::build(..).extension(ErrorCodes)`).
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        fill_in(&mut response.errors);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                fill_in(&mut response.errors);
                response
            })
            .boxed()
    }
}

/// Gives every error without a code `INVALID_INPUT` (not retryable).
pub fn fill_in(errors: &mut [ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::InvalidInput.as_str());
            extensions.set("retryable", false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_without_a_code_get_invalid_input_and_coded_ones_keep_theirs() {
        let mut coded = ServerError::new("sold out", None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "SOLD_OUT");
        coded.extensions = Some(ext);
        let mut errors = vec![ServerError::new("Query is nested too deep.", None), coded];
        fill_in(&mut errors);
        let code = |e: &ServerError| e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code(&errors[0]), Some("INVALID_INPUT".into()));
        assert_eq!(code(&errors[1]), Some("SOLD_OUT".into()));
    }
}
