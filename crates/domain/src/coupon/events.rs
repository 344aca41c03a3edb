//! What happened to a coupon campaign. Every event carries the tenant, the campaign, the guest
//! and the resulting counts, so the wallet and campaign-stats read models need no history.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::terms::{CampaignTerms, CouponCode, Discount};
use crate::common::{BookingId, CampaignId, GuestId, ListingId, Money, TenantId};

/// Why a campaign ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// An operator ended it before its window closed.
    Operator,
    /// Its validity window was over.
    WindowClosed,
}

/// An event of the [`CouponCampaign`](super::CouponCampaign) aggregate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CouponEvent {
    /// The campaign was created.
    CouponCampaignCreated {
        /// The campaign.
        campaign_id: CampaignId,
        /// Its business.
        tenant_id: TenantId,
        /// Its terms, validated and canonical.
        terms: CampaignTerms,
        /// When.
        created_at: DateTime<Utc>,
    },
    /// A guest claimed a coupon.
    CouponClaimed {
        /// The campaign.
        campaign_id: CampaignId,
        /// Its business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The code (for the wallet).
        code: CouponCode,
        /// The discount (for the wallet).
        discount: Discount,
        /// Until when it can be redeemed (for the wallet).
        valid_until: DateTime<Utc>,
        /// When.
        claimed_at: DateTime<Utc>,
        /// Coupons of this campaign the guest has claimed, this one included.
        guest_claims: u32,
        /// Claims of the guest not used on a booking, after this one.
        guest_unused: u32,
        /// Coupons claimed in all, after this one.
        claimed: u32,
        /// Coupons left to claim.
        remaining: u32,
    },
    /// A guest used a claim on a booking.
    CouponRedeemed {
        /// The campaign.
        campaign_id: CampaignId,
        /// Its business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The booking.
        booking_id: BookingId,
        /// The listing booked.
        listing_id: ListingId,
        /// The code.
        code: CouponCode,
        /// The subtotal before the discount.
        subtotal: Money,
        /// The amount taken off (0 ≤ discount ≤ subtotal).
        discount: Money,
        /// When.
        redeemed_at: DateTime<Utc>,
        /// Claims of the guest not used on a booking, after this redemption.
        guest_unused: u32,
        /// Redemptions standing in all (restored ones excluded), after this one.
        redeemed: u32,
    },
    /// A cancelled booking's coupon went back to its guest as an unused claim.
    CouponRestored {
        /// The campaign.
        campaign_id: CampaignId,
        /// Its business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The cancelled booking.
        booking_id: BookingId,
        /// The discount the booking had received.
        discount: Money,
        /// When.
        restored_at: DateTime<Utc>,
        /// Claims of the guest not used on a booking, after the restore.
        guest_unused: u32,
        /// Redemptions standing in all, after the restore.
        redeemed: u32,
    },
    /// The campaign stopped accepting claims.
    CouponCampaignEnded {
        /// The campaign.
        campaign_id: CampaignId,
        /// Its business.
        tenant_id: TenantId,
        /// When.
        ended_at: DateTime<Utc>,
        /// Why.
        reason: EndReason,
        /// Coupons claimed in all.
        claimed: u32,
        /// Redemptions standing.
        redeemed: u32,
    },
}

impl CouponEvent {
    /// The campaign the event belongs to.
    pub fn campaign_id(&self) -> CampaignId {
        match self {
            Self::CouponCampaignCreated { campaign_id, .. }
            | Self::CouponClaimed { campaign_id, .. }
            | Self::CouponRedeemed { campaign_id, .. }
            | Self::CouponRestored { campaign_id, .. }
            | Self::CouponCampaignEnded { campaign_id, .. } => *campaign_id,
        }
    }
}

impl DomainEvent for CouponEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CouponCampaignCreated { .. } => "CouponCampaignCreated",
            Self::CouponClaimed { .. } => "CouponClaimed",
            Self::CouponRedeemed { .. } => "CouponRedeemed",
            Self::CouponRestored { .. } => "CouponRestored",
            Self::CouponCampaignEnded { .. } => "CouponCampaignEnded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
