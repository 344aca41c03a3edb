//! Every business rule of a coupon campaign: a command and the current state in, events or a
//! typed error out. Pure and synchronous.

use chrono::{DateTime, Utc};

use super::aggregate::{Campaign, CampaignStatus, CouponCampaign};
use super::commands::CouponCommand;
use super::error::CouponError;
use super::events::{CouponEvent, EndReason};
use crate::common::{BookingId, GuestId, ListingId, Money};
use crate::decide::Decide;
use crate::services::DomainServices;

impl Decide for CouponCampaign {
    /// Decides what `command` does to this campaign: the events to record (none when it repeats
    /// what already happened), or the rule it breaks. Never changes `self`.
    fn decide(
        &self,
        command: CouponCommand,
        services: &DomainServices,
    ) -> Result<Vec<CouponEvent>, CouponError> {
        let now = services.clock.now();
        if let CouponCommand::CreateCampaign {
            campaign_id,
            tenant_id,
            terms,
        } = command
        {
            if let Some(existing) = self.campaign() {
                let same = existing.campaign_id == campaign_id
                    && existing.tenant_id == tenant_id
                    && terms.canonical() == existing.terms;
                return if same {
                    Ok(vec![])
                } else {
                    Err(CouponError::AlreadyCreated {
                        campaign_id: existing.campaign_id,
                    })
                };
            }
            return Ok(vec![CouponEvent::CouponCampaignCreated {
                campaign_id,
                tenant_id,
                terms: terms.validated(now)?,
                created_at: now,
            }]);
        }
        let campaign = self.campaign().ok_or(CouponError::NotCreated)?;
        match command {
            CouponCommand::CreateCampaign { .. } => Ok(vec![]), // handled above
            CouponCommand::ClaimCoupon { guest_id } => self.claim(campaign, guest_id, now),
            CouponCommand::RedeemCoupon {
                guest_id,
                booking_id,
                listing_id,
                subtotal,
            } => self.redeem(campaign, guest_id, booking_id, listing_id, subtotal, now),
            CouponCommand::RestoreCoupon { booking_id } => {
                self.restore(campaign, booking_id, now, true)
            }
            CouponCommand::UndoRedemption { booking_id } => {
                self.restore(campaign, booking_id, now, false)
            }
            CouponCommand::EndCampaign => Ok(match self.status() {
                CampaignStatus::Ended => vec![],
                CampaignStatus::Active => vec![CouponEvent::CouponCampaignEnded {
                    campaign_id: campaign.campaign_id,
                    tenant_id: campaign.tenant_id,
                    ended_at: now,
                    reason: if now >= campaign.terms.valid_until {
                        EndReason::WindowClosed
                    } else {
                        EndReason::Operator
                    },
                    claimed: self.claimed(),
                    redeemed: self.redeemed(),
                }],
            }),
        }
    }
}

impl CouponCampaign {
    fn within_window(campaign: &Campaign, now: DateTime<Utc>) -> Result<(), CouponError> {
        if now < campaign.terms.valid_from {
            return Err(CouponError::NotStarted {
                starts_at: campaign.terms.valid_from,
            });
        }
        if now >= campaign.terms.valid_until {
            return Err(CouponError::Expired {
                ended_at: campaign.terms.valid_until,
            });
        }
        Ok(())
    }

    fn claim(
        &self,
        campaign: &Campaign,
        guest_id: GuestId,
        now: DateTime<Utc>,
    ) -> Result<Vec<CouponEvent>, CouponError> {
        let terms = &campaign.terms;
        if self.status() == CampaignStatus::Ended {
            return Err(CouponError::CampaignEnded);
        }
        Self::within_window(campaign, now)?;
        if self.claimed() >= terms.total_quantity {
            return Err(CouponError::Exhausted {
                total: terms.total_quantity,
            });
        }
        let guest = self.guest(&guest_id);
        if guest.claimed >= terms.per_guest_limit {
            return Err(CouponError::PerGuestLimitReached {
                limit: terms.per_guest_limit,
            });
        }
        // Both below limits that fit in u32, so +1 cannot overflow.
        let claimed = self.claimed() + 1;
        Ok(vec![CouponEvent::CouponClaimed {
            campaign_id: campaign.campaign_id,
            tenant_id: campaign.tenant_id,
            guest_id,
            code: terms.code.clone(),
            discount: terms.discount,
            valid_until: terms.valid_until,
            claimed_at: now,
            guest_claims: guest.claimed + 1,
            guest_unused: guest.unused() + 1,
            claimed,
            remaining: terms.total_quantity - claimed,
        }])
    }

    fn redeem(
        &self,
        campaign: &Campaign,
        guest_id: GuestId,
        booking_id: BookingId,
        listing_id: ListingId,
        subtotal: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<CouponEvent>, CouponError> {
        let terms = &campaign.terms;
        if let Some(existing) = self.redemptions().get(&booking_id) {
            if existing.restored {
                return Err(CouponError::RedemptionAlreadyRestored { booking_id });
            }
            let same = existing.guest_id == guest_id
                && existing.listing_id == listing_id
                && existing.subtotal == subtotal;
            return if same {
                Ok(vec![])
            } else {
                Err(CouponError::RedemptionConflict { booking_id })
            };
        }
        Self::within_window(campaign, now)?;
        if !terms.applies_to(&listing_id) {
            return Err(CouponError::NotApplicableToListing { listing_id });
        }
        if let Some(expected) = terms.currency()
            && expected != subtotal.currency
        {
            return Err(CouponError::CurrencyMismatch {
                expected,
                got: subtotal.currency,
            });
        }
        if subtotal.amount_minor < 0 {
            return Err(CouponError::NegativeSubtotal { subtotal });
        }
        if let Some(min) = terms.min_spend
            && subtotal.amount_minor < min.amount_minor
        {
            return Err(CouponError::MinSpendNotMet { min, subtotal });
        }
        let guest = self.guest(&guest_id);
        if guest.unused() == 0 {
            return Err(CouponError::NoUnusedClaim { guest_id });
        }
        let discount = terms.discount.amount_for(subtotal)?;
        Ok(vec![CouponEvent::CouponRedeemed {
            campaign_id: campaign.campaign_id,
            tenant_id: campaign.tenant_id,
            guest_id,
            booking_id,
            listing_id,
            code: terms.code.clone(),
            subtotal,
            discount,
            redeemed_at: now,
            guest_unused: guest.unused() - 1,
            redeemed: self.redeemed().saturating_add(1),
        }])
    }

    fn restore(
        &self,
        campaign: &Campaign,
        booking_id: BookingId,
        now: DateTime<Utc>,
        is_cancellation: bool,
    ) -> Result<Vec<CouponEvent>, CouponError> {
        let redemption = self
            .redemptions()
            .get(&booking_id)
            .ok_or(CouponError::RedemptionNotFound { booking_id })?;
        if redemption.restored {
            return Ok(vec![]);
        }
        if is_cancellation && !campaign.terms.restore_on_cancel {
            return Err(CouponError::RestoreNotAllowed);
        }
        let guest = self.guest(&redemption.guest_id);
        Ok(vec![CouponEvent::CouponRestored {
            campaign_id: campaign.campaign_id,
            tenant_id: campaign.tenant_id,
            guest_id: redemption.guest_id,
            booking_id,
            discount: redemption.discount,
            restored_at: now,
            guest_unused: guest.unused().saturating_add(1),
            redeemed: self.redeemed().saturating_sub(1),
        }])
    }
}
