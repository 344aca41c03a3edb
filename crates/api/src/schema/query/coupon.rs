//! Coupon queries over the coupons read model: `myWallet` (guests) and `campaignStats`
//! (operators of the campaign's tenant and admins). Denials follow the rule in
//! [`super::booking`]: `FORBIDDEN` by role, `NOT_FOUND` by data.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::common::{CampaignId, TenantId};
use holdfast_projections::models::coupons::{campaign_stats, campaigns_of_tenant, wallet};
use holdfast_projections::store::Table;

use crate::error::ApiError;
use crate::schema::context::read;
use crate::schema::context::{authenticated, state};
use crate::schema::types::coupon::{CampaignStats, WalletEntry};
use crate::schema::types::{connection_complexity, page_size, parse_id};
use holdfast_engine::Principal;

/// Coupon queries.
#[derive(Default)]
pub struct CouponQuery;

#[Object]
impl CouponQuery {
    /// The calling guest's coupons, one entry per campaign, with each entry's status now
    /// (guests only).
    async fn my_wallet(
        &self,
        ctx: &Context<'_>,
        consistency_token: Option<String>,
    ) -> Result<Vec<WalletEntry>> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let guest = guest.to_string();
        let guest = guest.as_str();
        let now = state(ctx).services.clock.now();
        let entries = read(
            ctx,
            Table::Coupons,
            consistency_token.as_deref(),
            |store, table| async move { wallet(store.as_ref(), table, guest, now).await },
        )
        .await?;
        Ok(entries.into_iter().map(WalletEntry::from).collect())
    }

    /// A campaign's counts (operators of its tenant and admins; `NOT_FOUND` for anyone else).
    async fn campaign_stats(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        consistency_token: Option<String>,
    ) -> Result<CampaignStats> {
        let principal = authenticated(ctx)?;
        let campaign = parse_id("campaignId", &campaign_id, CampaignId::parse)?.to_string();
        let campaign = campaign.as_str();
        let stats = read(
            ctx,
            Table::Coupons,
            consistency_token.as_deref(),
            |store, table| async move { campaign_stats(store.as_ref(), table, campaign).await },
        )
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))?;
        let tenant = TenantId::parse(&stats.tenant_id).map_err(ApiError::internal)?;
        if !principal.operates(tenant) {
            return Err(ApiError::not_found("campaign").into());
        }
        Ok(stats.into())
    }

    /// A business's coupon campaigns, active and ended, with their counts, in creation order:
    /// its operators and admins only (`FORBIDDEN` for anyone else).
    #[graphql(complexity = "connection_complexity(child_complexity, first)")]
    async fn business_campaigns(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        first: Option<i32>,
        after: Option<String>,
        consistency_token: Option<String>,
    ) -> Result<Connection<String, CampaignStats>> {
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        if !authenticated(ctx)?.operates(tenant) {
            return Err(ApiError::forbidden().into());
        }
        let first = page_size(first)?;
        let tenant = tenant.to_string();
        let (tenant, after_id) = (tenant.as_str(), after.as_deref());
        let page = read(
            ctx,
            Table::Coupons,
            consistency_token.as_deref(),
            |store, table| async move {
                campaigns_of_tenant(store.as_ref(), table, tenant, first, after_id).await
            },
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        for stats in page.items {
            connection
                .edges
                .push(Edge::new(stats.campaign_id.clone(), stats.into()));
        }
        Ok(connection)
    }
}
