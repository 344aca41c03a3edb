//! What can be asked of a coupon campaign.

use serde::{Deserialize, Serialize};

use super::terms::CampaignTerms;
use crate::common::{BookingId, CampaignId, GuestId, ListingId, Money, TenantId};

/// A request to a [`CouponCampaign`](super::CouponCampaign).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponCommand {
    /// Creates the campaign. Repeating it with the same terms changes nothing.
    CreateCampaign {
        /// The campaign's id (its stream id).
        campaign_id: CampaignId,
        /// The business running it.
        tenant_id: TenantId,
        /// Its terms (validated when decided).
        terms: CampaignTerms,
    },
    /// A guest claims one coupon, first come, first served.
    ClaimCoupon {
        /// The guest.
        guest_id: GuestId,
    },
    /// A guest uses one unused claim on a booking. Repeating it for the same booking changes
    /// nothing.
    RedeemCoupon {
        /// The guest.
        guest_id: GuestId,
        /// The booking it is applied to.
        booking_id: BookingId,
        /// The listing booked.
        listing_id: ListingId,
        /// The booking's subtotal before the discount.
        subtotal: Money,
    },
    /// Gives the coupon used by a cancelled booking back to its guest (if the campaign allows it).
    RestoreCoupon {
        /// The cancelled booking.
        booking_id: BookingId,
    },
    /// Gives the coupon of a booking that never went through (its placement was rejected or
    /// abandoned, its hold or offer expired) back to its guest, whatever `restore_on_cancel`
    /// says: the guest never received what the coupon paid for.
    UndoRedemption {
        /// The booking that never went through.
        booking_id: BookingId,
    },
    /// Stops claims: by the operator, or by the scheduler once the window is over.
    EndCampaign,
}
