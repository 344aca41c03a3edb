//! The campaign's state and how events fold into it.

use std::collections::BTreeMap;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::CouponCommand;
use super::error::CouponError;
use super::events::CouponEvent;
use super::terms::CampaignTerms;
use crate::common::{BookingId, CampaignId, GuestId, ListingId, Money, TenantId};
use crate::services::DomainServices;

/// Who runs the campaign and on what terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its business.
    pub tenant_id: TenantId,
    /// Its terms.
    pub terms: CampaignTerms,
}

/// Whether the campaign still accepts claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Accepting claims (within its window).
    #[default]
    Active,
    /// Ended: no more claims; existing claims stay redeemable within the window.
    Ended,
}

/// One guest's claims: how many they claimed and how many stand redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GuestClaims {
    /// Coupons claimed (counts against the per-guest limit, never decreases).
    pub claimed: u32,
    /// Claims currently used on a booking (a restore gives one back).
    pub redeemed: u32,
}

impl GuestClaims {
    /// Claims not used on a booking.
    pub fn unused(&self) -> u32 {
        self.claimed.saturating_sub(self.redeemed)
    }
}

/// A claim used on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The guest.
    pub guest_id: GuestId,
    /// The listing booked.
    pub listing_id: ListingId,
    /// The subtotal before the discount.
    pub subtotal: Money,
    /// The amount taken off.
    pub discount: Money,
    /// Whether the booking was cancelled and the claim given back.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restored: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A coupon campaign: claims (first come, first served), redemptions, restores on cancel.
///
/// Invariants: `claimed <= total_quantity`, each guest's claims `<= per_guest_limit`,
/// `redeemed <= claimed` (overall and per guest).
///
/// Its stored aggregate type ([`Aggregate::TYPE`]) is `"Coupon"`, not the Rust name: the
/// design calls the aggregate *Coupon (a campaign)*, and every stored event row, export and
/// `eventHistory(aggregateType: COUPON)` carries that type, so it is never renamed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CouponCampaign {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    campaign: Option<Campaign>,
    #[serde(default)]
    status: CampaignStatus,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    guests: BTreeMap<GuestId, GuestClaims>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    redemptions: BTreeMap<BookingId, Redemption>,
    #[serde(default)]
    claimed: u32,
    #[serde(default)]
    redeemed: u32,
}

impl CouponCampaign {
    /// The campaign, once created.
    pub fn campaign(&self) -> Option<&Campaign> {
        self.campaign.as_ref()
    }

    /// Whether it still accepts claims.
    pub fn status(&self) -> CampaignStatus {
        self.status
    }

    /// Claims by guest.
    pub fn guests(&self) -> &BTreeMap<GuestId, GuestClaims> {
        &self.guests
    }

    /// One guest's claims (zero if they never claimed).
    pub fn guest(&self, guest_id: &GuestId) -> GuestClaims {
        self.guests.get(guest_id).copied().unwrap_or_default()
    }

    /// Redemptions by booking, restored ones included.
    pub fn redemptions(&self) -> &BTreeMap<BookingId, Redemption> {
        &self.redemptions
    }

    /// Coupons claimed in all.
    pub fn claimed(&self) -> u32 {
        self.claimed
    }

    /// Redemptions standing (restored ones excluded).
    pub fn redeemed(&self) -> u32 {
        self.redeemed
    }

    /// Coupons left to claim.
    pub fn remaining(&self) -> u32 {
        self.campaign
            .as_ref()
            .map_or(0, |c| c.terms.total_quantity.saturating_sub(self.claimed))
    }
}

impl Aggregate for CouponCampaign {
    /// `"Coupon"`: the stored type of every campaign event (see [`CouponCampaign`]).
    const TYPE: &'static str = "Coupon";
    type Command = CouponCommand;
    type Event = CouponEvent;
    type Error = CouponError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CouponEvent::CouponCampaignCreated {
                campaign_id,
                tenant_id,
                terms,
                ..
            } => {
                self.campaign = Some(Campaign {
                    campaign_id,
                    tenant_id,
                    terms,
                });
            }
            CouponEvent::CouponClaimed {
                guest_id,
                guest_claims,
                guest_unused,
                claimed,
                ..
            } => {
                let guest = self.guests.entry(guest_id).or_default();
                guest.claimed = guest_claims;
                guest.redeemed = guest_claims.saturating_sub(guest_unused);
                self.claimed = claimed;
            }
            CouponEvent::CouponRedeemed {
                guest_id,
                booking_id,
                listing_id,
                subtotal,
                discount,
                guest_unused,
                redeemed,
                ..
            } => {
                let guest = self.guests.entry(guest_id).or_default();
                guest.redeemed = guest.claimed.saturating_sub(guest_unused);
                self.redeemed = redeemed;
                self.redemptions.insert(
                    booking_id,
                    Redemption {
                        guest_id,
                        listing_id,
                        subtotal,
                        discount,
                        restored: false,
                    },
                );
            }
            CouponEvent::CouponRestored {
                guest_id,
                booking_id,
                guest_unused,
                redeemed,
                ..
            } => {
                let guest = self.guests.entry(guest_id).or_default();
                guest.redeemed = guest.claimed.saturating_sub(guest_unused);
                self.redeemed = redeemed;
                if let Some(r) = self.redemptions.get_mut(&booking_id) {
                    r.restored = true;
                }
            }
            CouponEvent::CouponCampaignEnded { .. } => self.status = CampaignStatus::Ended,
        }
    }
}
