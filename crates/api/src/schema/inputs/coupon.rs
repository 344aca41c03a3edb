//! Inputs of the coupon mutations.

use async_graphql::{ID, InputObject, OneofObject};
use holdfast_domain::common::{CampaignId, ListingId, TenantId};
use holdfast_domain::coupon::{CampaignTerms, CouponCode, Discount};

use super::money::MoneyInput;
use super::{field_error, parse_id, parse_instant, parse_u32};
use crate::error::ApiError;

/// What a coupon takes off.
#[derive(OneofObject, Clone, Debug)]
pub enum DiscountInput {
    /// A fixed amount.
    Fixed(MoneyInput),
    /// A share of the subtotal.
    Percent(PercentDiscountInput),
}

/// A percentage discount.
#[derive(InputObject, Clone, Debug)]
pub struct PercentDiscountInput {
    /// Basis points (1..=10 000).
    pub basis_points: i64,
    /// The most it takes off.
    pub max: Option<MoneyInput>,
}

/// A new coupon campaign.
#[derive(InputObject, Clone, Debug)]
pub struct CreateCampaignInput {
    /// The tenant: admins must give it; an operator may omit it (their own).
    pub tenant_id: Option<ID>,
    /// The code (3..=32 of A–Z, 0–9, '-').
    pub code: String,
    /// The discount.
    pub discount: DiscountInput,
    /// The least subtotal it applies to.
    pub min_spend: Option<MoneyInput>,
    /// Start of the validity window (RFC 3339).
    pub valid_from: String,
    /// End of the validity window, exclusive (RFC 3339).
    pub valid_until: String,
    /// How many coupons may be claimed in all (1..=10 000 000).
    pub total_quantity: i64,
    /// How many one guest may claim.
    #[graphql(default = 1)]
    pub per_guest_limit: i64,
    /// The listings it applies to (none = every listing of the tenant).
    #[graphql(default)]
    pub applicable_listings: Vec<ID>,
    /// Whether a cancellation gives the coupon back.
    #[graphql(default = true)]
    pub restore_on_cancel: bool,
}

impl CreateCampaignInput {
    /// Validates every field (the time rules are the domain's, checked on creation).
    pub fn parse(&self) -> Result<(Option<TenantId>, CampaignTerms), ApiError> {
        let tenant = self
            .tenant_id
            .as_ref()
            .map(|id| parse_id("input.tenantId", id, TenantId::parse))
            .transpose()?;
        if self.code.len() > 64 {
            return Err(field_error("input.code", "at most 32 characters"));
        }
        let discount = match &self.discount {
            DiscountInput::Fixed(m) => Discount::Fixed(m.parse("input.discount.fixed")?),
            DiscountInput::Percent(p) => Discount::Percent {
                bp: parse_u32(
                    "input.discount.percent.basisPoints",
                    p.basis_points,
                    1,
                    10_000,
                )?,
                max: p
                    .max
                    .as_ref()
                    .map(|m| m.parse("input.discount.percent.max"))
                    .transpose()?,
            },
        };
        discount
            .validate()
            .map_err(|e| field_error("input.discount", e))?;
        if self.applicable_listings.len() > CampaignTerms::MAX_LISTINGS {
            return Err(field_error(
                "input.applicableListings",
                format!("at most {}", CampaignTerms::MAX_LISTINGS),
            ));
        }
        let terms = CampaignTerms {
            code: CouponCode::parse(&self.code).map_err(|e| field_error("input.code", e))?,
            discount,
            min_spend: self
                .min_spend
                .as_ref()
                .map(|m| m.parse("input.minSpend"))
                .transpose()?,
            valid_from: parse_instant("input.validFrom", &self.valid_from)?,
            valid_until: parse_instant("input.validUntil", &self.valid_until)?,
            total_quantity: parse_u32("input.totalQuantity", self.total_quantity, 1, 10_000_000)?,
            per_guest_limit: parse_u32("input.perGuestLimit", self.per_guest_limit, 1, 10_000)?,
            applicable_listings: self
                .applicable_listings
                .iter()
                .map(|id| parse_id("input.applicableListings", id, ListingId::parse))
                .collect::<Result<_, _>>()?,
            restore_on_cancel: self.restore_on_cancel,
        };
        Ok((tenant, terms))
    }
}

/// A campaign, by id.
#[derive(InputObject, Clone, Debug)]
pub struct CampaignRefInput {
    /// The campaign.
    pub campaign_id: ID,
}

impl CampaignRefInput {
    /// The id.
    pub fn parse(&self) -> Result<CampaignId, ApiError> {
        parse_id("input.campaignId", &self.campaign_id, CampaignId::parse)
    }
}
