//! Coupon mutations: operators create and end their tenant's campaigns; guests claim.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use holdfast_domain::common::CampaignId;
use holdfast_domain::coupon::{CampaignStatus, CouponCampaign, CouponCommand};
use serde::{Deserialize, Serialize};

use super::{Caller, once};
use crate::error::{ApiError, ErrorCode};
use crate::process::current;
use crate::schema::consistency;
use crate::schema::inputs::coupon::{CampaignRefInput, CreateCampaignInput};

/// A campaign's status, as a mutation reports it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadCampaignStatus {
    /// Accepting claims.
    Active,
    /// No more claims.
    Ended,
}

impl From<CampaignStatus> for PayloadCampaignStatus {
    fn from(s: CampaignStatus) -> Self {
        match s {
            CampaignStatus::Active => Self::Active,
            CampaignStatus::Ended => Self::Ended,
        }
    }
}

/// What a campaign mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct CampaignPayload {
    /// The campaign.
    pub campaign_id: ID,
    /// Its code.
    pub code: String,
    /// Its status now.
    pub status: PayloadCampaignStatus,
    /// Coupons claimed so far.
    pub claimed: u32,
    /// Coupons still claimable.
    pub remaining: u32,
    /// Pass to a query (wallet, campaign stats) to read this write.
    pub consistency_token: Option<String>,
}

/// Coupon mutations.
#[derive(Default)]
pub struct CouponMutation;

async fn campaign(caller: &Caller<'_>, id: CampaignId) -> Result<CouponCampaign, ApiError> {
    let campaign: CouponCampaign = current(caller.state, &id.to_string()).await?;
    if campaign.campaign().is_none() {
        return Err(ApiError::not_found("campaign"));
    }
    Ok(campaign)
}

async fn execute(
    caller: &Caller<'_>,
    id: CampaignId,
    command: CouponCommand,
) -> Result<CampaignPayload, ApiError> {
    let committed = caller
        .state
        .commands
        .coupons
        .execute(&id.to_string(), command, caller.metadata())
        .await?;
    let after = campaign(caller, id).await?;
    Ok(CampaignPayload {
        campaign_id: ID(id.to_string()),
        code: after
            .campaign()
            .map(|c| c.terms.code.as_str().to_owned())
            .unwrap_or_default(),
        status: after.status().into(),
        claimed: after.claimed(),
        remaining: after.remaining(),
        consistency_token: consistency::token(committed.position),
    })
}

#[Object]
impl CouponMutation {
    /// Creates a coupon campaign for the operator's tenant (admins name the tenant).
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: CreateCampaignInput,
    ) -> async_graphql::Result<CampaignPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (asked, terms) = input.parse()?;
        let tenant_id = caller.tenant_for_new(asked)?;
        let id = CampaignId(caller.derived_id("campaign"));
        let command = CouponCommand::CreateCampaign {
            campaign_id: id,
            tenant_id,
            terms,
        };
        Ok(once(ctx, &caller, execute(&caller, id, command)).await?)
    }

    /// Ends a campaign (no more claims; claims already made stay redeemable).
    async fn end_campaign(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: CampaignRefInput,
    ) -> async_graphql::Result<CampaignPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = input.parse()?;
        Ok(once(ctx, &caller, async {
            let existing = campaign(&caller, id).await?;
            if let Some(c) = existing.campaign() {
                caller.authorize(c.tenant_id)?;
            }
            execute(&caller, id, CouponCommand::EndCampaign).await
        })
        .await?)
    }

    /// Claims one coupon of a campaign (guests), first come, first served.
    async fn claim_coupon(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: CampaignRefInput,
    ) -> async_graphql::Result<CampaignPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let guest_id = caller.require_guest()?;
        let id = input.parse()?;
        // No read before the claim: the campaign refuses it when it does not exist (a claim
        // storm then costs one round trip less per guest).
        Ok(once(ctx, &caller, async {
            execute(&caller, id, CouponCommand::ClaimCoupon { guest_id })
                .await
                .map_err(|e| {
                    if e.code == ErrorCode::NotFound {
                        ApiError::not_found("campaign")
                    } else {
                        e
                    }
                })
        })
        .await?)
    }
}
