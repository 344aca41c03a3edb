//! Why a coupon command was rejected: one variant per broken rule, carrying the facts.

use chrono::{DateTime, Utc};

use crate::common::{BookingId, CampaignId, Currency, GuestId, ListingId, Money};

/// A coupon code that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponCodeError {
    /// Shorter or longer than allowed.
    #[error("a coupon code has {min} to {max} characters, got {chars}")]
    Length {
        /// Characters given (after trimming).
        chars: usize,
        /// The minimum.
        min: usize,
        /// The maximum.
        max: usize,
    },
    /// A character other than A–Z, 0–9 and '-'.
    #[error("a coupon code may only contain A-Z, 0-9 and '-', got {found:?}")]
    InvalidCharacter {
        /// The first offending character.
        found: char,
    },
}

/// A rule of the [`CouponCampaign`](super::CouponCampaign) that a command would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    /// Any command but `CreateCampaign` before the campaign exists.
    #[error("the campaign has not been created")]
    NotCreated,
    /// `CreateCampaign` again, with different terms.
    #[error("campaign {campaign_id} already exists with other terms")]
    AlreadyCreated {
        /// The existing campaign.
        campaign_id: CampaignId,
    },
    /// A percentage outside 1..=10000 basis points.
    #[error("a percent discount is 1 to 10000 basis points, got {bp}")]
    PercentOutOfRange {
        /// The basis points given.
        bp: u32,
    },
    /// A fixed discount or a cap of zero or less.
    #[error("a discount amount must be positive, got {amount}")]
    NonPositiveDiscount {
        /// The amount given.
        amount: Money,
    },
    /// A negative minimum spend.
    #[error("the minimum spend must not be negative, got {min}")]
    NegativeMinSpend {
        /// The amount given.
        min: Money,
    },
    /// `valid_from` not before `valid_until`.
    #[error("the validity window is empty: from {valid_from} until {valid_until}")]
    EmptyValidityWindow {
        /// Start (inclusive).
        valid_from: DateTime<Utc>,
        /// End (exclusive).
        valid_until: DateTime<Utc>,
    },
    /// A campaign whose window is already over when created.
    #[error("the campaign would end at {valid_until}, which is not after now ({now})")]
    WindowAlreadyOver {
        /// End of the window.
        valid_until: DateTime<Utc>,
        /// The clock's now.
        now: DateTime<Utc>,
    },
    /// A total quantity of zero.
    #[error("a campaign needs a total quantity of at least 1")]
    ZeroTotalQuantity,
    /// A per-guest limit of zero.
    #[error("the per-guest limit must be at least 1")]
    ZeroPerGuestLimit,
    /// More listings than a campaign may name.
    #[error("a campaign may name at most {max} listings, got {count}")]
    TooManyListings {
        /// Distinct listings given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Two amounts (in the terms, or the subtotal against the terms) in different currencies.
    #[error("expected an amount in {expected}, got {got}")]
    CurrencyMismatch {
        /// The campaign's currency.
        expected: Currency,
        /// The currency given.
        got: Currency,
    },
    /// Claiming or redeeming before the window opens.
    #[error("the campaign starts at {starts_at}")]
    NotStarted {
        /// When it starts.
        starts_at: DateTime<Utc>,
    },
    /// Claiming or redeeming after the window closed.
    #[error("the campaign ended at {ended_at}")]
    Expired {
        /// When it ended.
        ended_at: DateTime<Utc>,
    },
    /// Every coupon has been claimed.
    #[error("all {total} coupons have been claimed")]
    Exhausted {
        /// The total quantity.
        total: u32,
    },
    /// The guest already holds as many claims as allowed.
    #[error("a guest may claim at most {limit} coupons of this campaign")]
    PerGuestLimitReached {
        /// The per-guest limit.
        limit: u32,
    },
    /// Claiming from a campaign the operator (or its schedule) ended.
    #[error("the campaign has ended")]
    CampaignEnded,
    /// Redeeming without an unused claim.
    #[error("guest {guest_id} has no unused coupon of this campaign")]
    NoUnusedClaim {
        /// The guest.
        guest_id: GuestId,
    },
    /// A subtotal below the minimum spend.
    #[error("minimum spend is {min}, the subtotal is {subtotal}")]
    MinSpendNotMet {
        /// The minimum.
        min: Money,
        /// The subtotal given.
        subtotal: Money,
    },
    /// A listing the campaign does not cover.
    #[error("the coupon does not apply to listing {listing_id}")]
    NotApplicableToListing {
        /// The listing.
        listing_id: ListingId,
    },
    /// A negative subtotal.
    #[error("the subtotal must not be negative, got {subtotal}")]
    NegativeSubtotal {
        /// The subtotal given.
        subtotal: Money,
    },
    /// A redemption for a booking that already redeemed with other details.
    #[error("booking {booking_id} already redeemed this coupon with other details")]
    RedemptionConflict {
        /// The booking.
        booking_id: BookingId,
    },
    /// Redeeming again for a booking whose redemption was restored (it was cancelled).
    #[error("booking {booking_id}'s redemption was already restored")]
    RedemptionAlreadyRestored {
        /// The booking.
        booking_id: BookingId,
    },
    /// Restoring a redemption on a campaign that does not restore on cancellation.
    #[error("this campaign does not restore coupons on cancellation")]
    RestoreNotAllowed,
    /// Restoring for a booking that never redeemed this coupon.
    #[error("booking {booking_id} did not redeem this coupon")]
    RedemptionNotFound {
        /// The booking.
        booking_id: BookingId,
    },
}
