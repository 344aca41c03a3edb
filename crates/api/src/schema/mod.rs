//! The GraphQL schema, split by aggregate: each of `query/`, `mutation/` and `subscription/`
//! has one module per aggregate (plus `service` and `admin`), merged here with
//! `MergedObject` / `MergedSubscription`. The committed SDL is `crates/api/schema.graphql`;
//! `tests/schema.rs` fails when it drifts.
//!
//! Every resolver reads the [`Engine`] and the caller's [`Principal`] from the context
//! ([`context`]); errors are [`crate::error::ApiError`]s, so each carries `extensions.code`,
//! and [`error_codes`] gives one (`INVALID_INPUT`) to the errors async-graphql raises itself.

mod context;
mod error_codes;
mod inputs;
mod mutation;
pub(crate) mod query;
mod subscription;
pub(crate) mod types;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use holdfast_engine::{Engine, Principal};

/// The query root.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::service::ServiceQuery,
    query::account::AccountQuery,
    query::listing::ListingQuery,
    query::inventory::InventoryQuery,
    query::booking::BookingQuery,
    query::operator_lists::OperatorListsQuery,
    query::coupon::CouponQuery,
    query::admin::AdminQuery,
    query::notification::NotificationQuery,
    query::tenant::TenantQuery,
    mutation::PointsQuery,
    mutation::WatchQuery,
);

/// The mutation root.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::AccountMutation,
    mutation::CalendarMutation,
    mutation::ListingMutation,
    mutation::InventoryMutation,
    mutation::BookingMutation,
    mutation::CouponMutation,
    mutation::NotificationMutation,
    mutation::TenantMutation,
    mutation::ReviewMutation,
    mutation::PointsMutation,
    mutation::WatchMutation,
);

/// The subscription root (graphql-ws at `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    subscription::availability::AvailabilitySubscription,
    subscription::booking::BookingSubscription,
    mutation::WatchSubscription,
);

/// The whole schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest query accepted: the standard introspection query (graphql-js's, which GraphiQL and
/// schema tools send) needs 15.
pub const MAX_DEPTH: usize = 15;
/// Most complex query accepted (async-graphql's complexity: 1 per field, × page sizes).
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema over `engine` (whose change feed subscriptions follow, and whose alias cache
/// reads use).
pub fn build(engine: Engine) -> AppSchema {
    build_with(engine, None, None)
}

/// The schema over `engine`, signing people up and in with `identity` (`None`: those
/// mutations answer `INVALID_STATE`), deleting removed photos' files from `photos`.
pub fn build_with(
    engine: Engine,
    identity: Option<std::sync::Arc<crate::identity::Identity>>,
    photos: Option<std::sync::Arc<holdfast_engine::photos::PhotoStore>>,
) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    );
    if let Some(identity) = identity {
        builder = builder.data(identity);
    }
    if let Some(photos) = photos {
        builder = builder.data(photos);
    }
    builder
        .data(engine)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(error_codes::ErrorCodes)
        .finish()
}

/// The schema's SDL (what `schema.graphql` must contain).
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl()
}

/// What is wrong with a client's `document` against this schema (it does not parse, or fails
/// validation: unknown fields, types or arguments, wrong variable types, too deep or complex);
/// empty when it would be accepted. Nothing runs: execution is skipped.
pub fn validate(document: &str) -> Vec<String> {
    let schema = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .extension(validate_only::ValidateOnly)
    .finish();
    let response = futures::executor::block_on(schema.execute(document));
    response.errors.into_iter().map(|e| e.message).collect()
}

mod validate_only {
    //! An extension that stops a request after validation (for [`super::validate`]).

    use std::sync::Arc;

    use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
    use async_graphql::{Response, Value};

    pub struct ValidateOnly;

    impl ExtensionFactory for ValidateOnly {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(ValidateOnly)
        }
    }

    #[async_trait::async_trait]
    impl Extension for ValidateOnly {
        async fn execute(
            &self,
            _ctx: &ExtensionContext<'_>,
            _operation_name: Option<&str>,
            _next: NextExecute<'_>,
        ) -> Response {
            Response::new(Value::Null)
        }
    }
}

/// A principal for requests that carry none (tests, internal calls).
pub fn anonymous() -> Principal {
    Principal::Anonymous
}
