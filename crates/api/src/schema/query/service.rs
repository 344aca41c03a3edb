//! Fields about the service itself.

use async_graphql::Object;
use chrono::{DateTime, Utc};

use super::super::context::state;

/// Service information.
#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// The server's current instant (its clock, which every booking rule reads).
    async fn server_time(&self, ctx: &async_graphql::Context<'_>) -> DateTime<Utc> {
        state(ctx).services.clock.now()
    }

    /// The server's version.
    async fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}
