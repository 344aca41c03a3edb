//! Coupon mutations: operators create and end their tenant's campaigns; guests claim.

use async_graphql::{Context, ID, Object, SimpleObject};
use cqrs_es::Aggregate;
use holdfast_domain::common::CampaignId;
use holdfast_domain::coupon::{CouponCampaign, CouponCommand};
use holdfast_eventstore::Position;
use serde::{Deserialize, Serialize};

use super::{Caller, claim, once_on};
use crate::error::{ApiError, EngineError, ErrorCode};
use crate::schema::inputs::coupon::{CampaignRefInput, CreateCampaignInput};
use holdfast_engine::consistency;
use holdfast_engine::idempotency::{Ran, run_claimed};
use holdfast_engine::process::one_commit::dispatch_once;
use holdfast_engine::process::{current, store_error};

/// What a campaign mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct CampaignPayload {
    /// The campaign.
    pub campaign_id: ID,
    /// Its code.
    pub code: String,
    /// Its status now.
    pub status: crate::schema::types::coupon::CampaignState,
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

async fn payload(
    caller: &Caller<'_>,
    id: CampaignId,
    position: Option<Position>,
) -> Result<CampaignPayload, ApiError> {
    Ok(payload_of(id, &campaign(caller, id).await?, position))
}

fn payload_of(
    id: CampaignId,
    after: &CouponCampaign,
    position: Option<Position>,
) -> CampaignPayload {
    CampaignPayload {
        campaign_id: ID(id.to_string()),
        code: after
            .campaign()
            .map(|c| c.terms.code.as_str().to_owned())
            .unwrap_or_default(),
        status: after.status().into(),
        claimed: after.claimed(),
        remaining: after.remaining(),
        consistency_token: consistency::token(position),
    }
}

/// A claim refused as its own repeat would be.
fn repeat_refusal(e: &EngineError) -> bool {
    matches!(
        e.rule.as_deref(),
        Some("PerGuestLimitReached" | "Exhausted")
    )
}

/// The claim this caller already made with this idempotency key, if any: its position.
///
/// A claim is not idempotent by id (a guest's second claim is refused by the per-guest limit,
/// or by the campaign being exhausted — possibly by that very first claim),
/// and its command finishes even when the client gives up on the request; if the key's lease
/// then runs out before the outcome is stored, the retry runs the claim again and the limit
/// refuses it. The first claim is in the log with this key in its metadata: that claim is the
/// answer. Only read on such a refusal of a guest who has claimed, so a storm of distinct
/// guests pays nothing for it.
async fn earlier_claim(caller: &Caller<'_>, id: CampaignId) -> Result<Option<Position>, ApiError> {
    let mut after = 0;
    loop {
        let events = caller
            .state
            .store
            .aggregate_events(CouponCampaign::TYPE, &id.to_string(), after, 1_000)
            .await
            .map_err(store_error)?;
        let Some(last) = events.last() else {
            return Ok(None);
        };
        after = last.sequence;
        let mine = |e: &holdfast_eventstore::StoredEvent, name: &str, value: &str| {
            e.metadata.get(name).and_then(serde_json::Value::as_str) == Some(value)
        };
        if let Some(claim) = events.iter().find(|e| {
            e.event_type == "CouponClaimed"
                && mine(e, "idempotency_key", caller.key.as_str())
                && mine(e, "principal", &caller.scope)
        }) {
            return Ok(Some(claim.position));
        }
    }
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
        let coupons = &caller.state.commands.coupons;
        Ok(once_on(
            ctx,
            &caller,
            coupons,
            id.to_string(),
            async { Ok(command) },
            move |c| Ok(payload_of(id, c, None)),
        )
        .await?)
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
        let check = async {
            let existing = campaign(&caller, id).await?;
            if let Some(c) = existing.campaign() {
                caller.authorize(c.tenant_id)?;
            }
            Ok(CouponCommand::EndCampaign)
        };
        let coupons = &caller.state.commands.coupons;
        Ok(
            once_on(ctx, &caller, coupons, id.to_string(), check, move |c| {
                Ok(payload_of(id, c, None))
            })
            .await?,
        )
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
        // One commit: the claim and the key's record (see `dispatch_once`).
        let claim = claim(ctx, &caller)?;
        let ran = async {
            let ran = dispatch_once(
                &caller.state.commands.coupons,
                &id.to_string(),
                CouponCommand::ClaimCoupon { guest_id },
                caller.metadata(),
                &claim,
                move |campaign: &CouponCampaign, outcome| match outcome {
                    Ok(()) => Some(Ok(payload_of(id, campaign, None))),
                    Err(e) => {
                        let e = EngineError::from(e.clone());
                        if e.code == ErrorCode::NotFound {
                            Some(Err(EngineError::not_found("campaign")))
                        } else if repeat_refusal(&e) && campaign.guest(&guest_id).claimed > 0 {
                            // Answered below, from the claim this key may have made.
                            None
                        } else {
                            Some(Err(e))
                        }
                    }
                },
            )
            .await;
            match ran {
                // Refused as a repeat would be (the guest's limit, or the campaign exhausted by
                // the first attempt itself), and this guest has claimed: if it was with this key
                // (a first attempt that committed before keys were recorded with their
                // commands), that claim is the answer.
                Ran::Unrecorded(Err(e)) if repeat_refusal(&e) => {
                    Ran::Unrecorded(match earlier_claim(&caller, id).await {
                        Ok(Some(position)) => {
                            payload(&caller, id, Some(position)).await.map_err(|e| e.0)
                        }
                        Ok(None) => Err(e),
                        Err(lookup) => Err(lookup.0),
                    })
                }
                other => other,
            }
        };
        Ok(run_claimed(&caller.state.store, &claim, ran)
            .await
            .map_err(ApiError)?)
    }
}
