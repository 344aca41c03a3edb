//! The **Coupon** campaign aggregate: a code, a discount and the rules of who may use it when;
//! guests claim coupons first come, first served, redeem one per booking, and get it back when
//! the booking is cancelled if the campaign says so.
//!
//! - [`terms`] holds [`CampaignTerms`], [`CouponCode`], [`Discount`] (with [`Discount::amount_for`]);
//! - [`commands`] holds [`CouponCommand`];
//! - [`events`] holds [`CouponEvent`], carrying tenant, campaign, guest and resulting counts;
//! - [`error`] holds [`CouponError`], one variant per broken rule;
//! - `aggregate` / `decide` hold the state ([`CouponCampaign`]) and the rules (its
//!   [`Decide`](crate::Decide) impl).

mod aggregate;
pub mod commands;
mod decide;
pub mod error;
pub mod events;
pub mod terms;

#[cfg(test)]
mod tests;

pub use aggregate::{Campaign, CampaignStatus, CouponCampaign, GuestClaims, Redemption};
pub use commands::CouponCommand;
pub use error::{CouponCodeError, CouponError};
pub use events::{CouponEvent, EndReason};
pub use terms::{CampaignTerms, CouponCode, Discount};
