//! Value types shared by every aggregate.

pub mod ids;
pub mod money;
pub mod slot;
pub(crate) mod text;

pub use ids::{
    AccountId, BookingId, CampaignId, GuestId, InventoryId, InvitationId, ListingId, TenantId,
};
pub use money::{Currency, Money, MoneyError};
pub use slot::{DateRange, Slot, SlotError};
pub mod cancellation;
pub use cancellation::{CancellationPolicy, CancellationPolicyError, RefundTier};
