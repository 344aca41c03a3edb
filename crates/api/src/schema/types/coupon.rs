//! Coupon output types: a guest's wallet entry and a campaign's statistics.

use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use holdfast_domain::coupon::Discount as DomainDiscount;
use holdfast_projections::models::coupons::{CampaignStats as Stats, WalletEntry as Entry};
use serde::{Deserialize, Serialize};

use super::money::Money;

/// What a coupon takes off a subtotal: a fixed amount, or a share (basis points) with an
/// optional cap.
#[derive(Clone, Debug, SimpleObject)]
pub struct Discount {
    /// The fixed amount off, for fixed discounts.
    pub fixed: Option<Money>,
    /// Basis points off (10000 = 100 %), for percentage discounts.
    pub percent_bp: Option<u32>,
    /// The most a percentage discount takes off.
    pub cap: Option<Money>,
}

impl From<DomainDiscount> for Discount {
    fn from(d: DomainDiscount) -> Self {
        match d {
            DomainDiscount::Fixed(m) => Self {
                fixed: Some(m.into()),
                percent_bp: None,
                cap: None,
            },
            DomainDiscount::Percent { bp, max } => Self {
                fixed: None,
                percent_bp: Some(bp),
                cap: max.map(Money::from),
            },
        }
    }
}

/// The state of a wallet entry now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "holdfast_projections::models::coupons::WalletStatus")]
pub enum WalletStatus {
    /// Has unused claims, within the validity window.
    Active,
    /// Every claim is used on a booking.
    Used,
    /// Unused claims, but the validity window is over.
    Expired,
}

/// One campaign in a guest's wallet.
#[derive(Clone, Debug, SimpleObject)]
pub struct WalletEntry {
    /// The campaign.
    pub campaign_id: ID,
    /// Its business.
    pub tenant_id: ID,
    /// The code.
    pub code: String,
    /// What it takes off.
    pub discount: Discount,
    /// Redeemable until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Coupons of the campaign the guest claimed.
    pub claimed: u32,
    /// Claims not used on a booking.
    pub unused: u32,
    /// Claims standing redeemed.
    pub redeemed: u32,
    /// The entry's state now.
    pub status: WalletStatus,
}

impl From<Entry> for WalletEntry {
    fn from(e: Entry) -> Self {
        Self {
            campaign_id: ID(e.campaign_id),
            tenant_id: ID(e.tenant_id),
            code: e.code,
            discount: e.discount.into(),
            valid_until: e.valid_until,
            claimed: e.claimed,
            unused: e.unused,
            redeemed: e.redeemed,
            status: e.status.into(),
        }
    }
}

/// Whether a campaign still accepts claims.
// Queries and mutation payloads alike; serialised by variant name, as mutation payloads are
// stored for idempotent replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[graphql(remote = "holdfast_projections::models::coupons::CampaignState")]
pub enum CampaignState {
    /// Accepting claims.
    Active,
    /// Ended.
    Ended,
}

impl From<holdfast_domain::coupon::CampaignStatus> for CampaignState {
    fn from(status: holdfast_domain::coupon::CampaignStatus) -> Self {
        match status {
            holdfast_domain::coupon::CampaignStatus::Active => Self::Active,
            holdfast_domain::coupon::CampaignStatus::Ended => Self::Ended,
        }
    }
}

/// A campaign's counts.
#[derive(Clone, Debug, SimpleObject)]
pub struct CampaignStats {
    /// The campaign.
    pub campaign_id: ID,
    /// Its business.
    pub tenant_id: ID,
    /// The code.
    pub code: String,
    /// Coupons offered in all.
    pub total: u32,
    /// Coupons claimed.
    pub claimed: u32,
    /// Redemptions standing (restored ones excluded).
    pub redeemed: u32,
    /// Coupons left to claim (0 once ended).
    pub remaining: u32,
    /// Active or ended.
    pub status: CampaignState,
    /// Start of the validity window.
    pub valid_from: DateTime<Utc>,
    /// End of the validity window (exclusive).
    pub valid_until: DateTime<Utc>,
}

impl From<Stats> for CampaignStats {
    fn from(s: Stats) -> Self {
        Self {
            campaign_id: ID(s.campaign_id),
            tenant_id: ID(s.tenant_id),
            code: s.code,
            total: s.total,
            claimed: s.claimed,
            redeemed: s.redeemed,
            remaining: s.remaining,
            status: s.status.into(),
            valid_from: s.valid_from,
            valid_until: s.valid_until,
        }
    }
}
