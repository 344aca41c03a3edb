//! The terms of a campaign: its code, its discount and the rules of who may use it, when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{CouponCodeError, CouponError};
use crate::common::{Currency, ListingId, Money};

/// A coupon code: 3 to 32 characters of A–Z, 0–9 and '-', stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CouponCode(String);

impl CouponCode {
    /// The shortest code.
    pub const MIN_CHARS: usize = 3;
    /// The longest code.
    pub const MAX_CHARS: usize = 32;

    /// Trims, upper-cases and validates a code.
    pub fn parse(s: &str) -> Result<Self, CouponCodeError> {
        let code = s.trim().to_ascii_uppercase();
        if let Some(found) = code
            .chars()
            .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(CouponCodeError::InvalidCharacter { found });
        }
        let chars = code.len(); // ASCII only from here
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(CouponCodeError::Length {
                chars,
                min: Self::MIN_CHARS,
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(code))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CouponCode {
    type Error = CouponCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CouponCode> for String {
    fn from(value: CouponCode) -> Self {
        value.0
    }
}

/// What a coupon takes off a subtotal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// A fixed amount off (never more than the subtotal).
    Fixed(Money),
    /// A share of the subtotal, optionally capped.
    Percent {
        /// Basis points (1..=10000; 10000 = 100 %).
        bp: u32,
        /// The most it may take off.
        max: Option<Money>,
    },
}

impl Discount {
    /// Checks the discount is well formed: a positive fixed amount or cap, 1..=10000 bp.
    pub fn validate(&self) -> Result<(), CouponError> {
        match self {
            Discount::Fixed(amount) if amount.amount_minor <= 0 => {
                Err(CouponError::NonPositiveDiscount { amount: *amount })
            }
            Discount::Percent { bp, .. } if !(1..=10_000).contains(bp) => {
                Err(CouponError::PercentOutOfRange { bp: *bp })
            }
            Discount::Percent {
                max: Some(amount), ..
            } if amount.amount_minor <= 0 => {
                Err(CouponError::NonPositiveDiscount { amount: *amount })
            }
            _ => Ok(()),
        }
    }

    /// The currency the discount is expressed in, if any (a percent without cap has none).
    pub fn currency(&self) -> Option<Currency> {
        match self {
            Discount::Fixed(m) => Some(m.currency),
            Discount::Percent { max, .. } => max.map(|m| m.currency),
        }
    }

    /// The amount taken off `subtotal`: never negative, never more than the subtotal, a percent
    /// capped by its `max`. Rejects a malformed discount, a negative subtotal or another currency.
    pub fn amount_for(&self, subtotal: Money) -> Result<Money, CouponError> {
        self.validate()?;
        if let Some(expected) = self.currency()
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
        let amount = match self {
            Discount::Fixed(fixed) => fixed.amount_minor.min(subtotal.amount_minor),
            Discount::Percent { bp, max } => {
                // bp <= 10 000, so the share never exceeds the subtotal and cannot overflow.
                let share = subtotal
                    .percent_bp(*bp)
                    .map_or(subtotal.amount_minor, |m| m.amount_minor);
                let capped = max.map_or(share, |m| share.min(m.amount_minor));
                capped.min(subtotal.amount_minor)
            }
        };
        Ok(Money::new(amount.max(0), subtotal.currency))
    }
}

/// Everything an operator decides when creating a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTerms {
    /// The code guests type or are given.
    pub code: CouponCode,
    /// What it takes off.
    pub discount: Discount,
    /// The least subtotal it applies to.
    pub min_spend: Option<Money>,
    /// Start of the validity window (inclusive).
    pub valid_from: DateTime<Utc>,
    /// End of the validity window (exclusive).
    pub valid_until: DateTime<Utc>,
    /// How many coupons may be claimed in all.
    pub total_quantity: u32,
    /// How many coupons one guest may claim.
    pub per_guest_limit: u32,
    /// The listings it applies to; empty means every listing of the tenant.
    pub applicable_listings: Vec<ListingId>,
    /// Whether cancelling a booking gives its coupon back to the guest.
    pub restore_on_cancel: bool,
}

impl CampaignTerms {
    /// The most listings a campaign may name.
    pub const MAX_LISTINGS: usize = 1_000;

    /// The currency of the campaign's amounts (discount, cap, minimum spend), if it has any.
    pub fn currency(&self) -> Option<Currency> {
        self.discount
            .currency()
            .or(self.min_spend.map(|m| m.currency))
    }

    /// Whether the coupon applies to `listing`.
    pub fn applies_to(&self, listing: &ListingId) -> bool {
        self.applicable_listings.is_empty()
            || self.applicable_listings.binary_search(listing).is_ok()
    }

    /// The same terms in canonical form: listings sorted and deduplicated.
    pub fn canonical(mut self) -> Self {
        self.applicable_listings.sort();
        self.applicable_listings.dedup();
        self
    }

    /// Validates the terms and puts them in [canonical form](Self::canonical).
    pub fn validated(self, now: DateTime<Utc>) -> Result<Self, CouponError> {
        let this = self.canonical();
        this.validate(now)?;
        Ok(this)
    }

    fn validate(&self, now: DateTime<Utc>) -> Result<(), CouponError> {
        self.discount.validate()?;
        if let Some(min) = self.min_spend {
            if min.amount_minor < 0 {
                return Err(CouponError::NegativeMinSpend { min });
            }
            if let Some(expected) = self.discount.currency()
                && expected != min.currency
            {
                return Err(CouponError::CurrencyMismatch {
                    expected,
                    got: min.currency,
                });
            }
        }
        if self.valid_from >= self.valid_until {
            return Err(CouponError::EmptyValidityWindow {
                valid_from: self.valid_from,
                valid_until: self.valid_until,
            });
        }
        if self.valid_until <= now {
            return Err(CouponError::WindowAlreadyOver {
                valid_until: self.valid_until,
                now,
            });
        }
        if self.total_quantity == 0 {
            return Err(CouponError::ZeroTotalQuantity);
        }
        if self.per_guest_limit == 0 {
            return Err(CouponError::ZeroPerGuestLimit);
        }
        if self.applicable_listings.len() > Self::MAX_LISTINGS {
            return Err(CouponError::TooManyListings {
                count: self.applicable_listings.len(),
                max: Self::MAX_LISTINGS,
            });
        }
        Ok(())
    }
}
