//! Value types shared by every aggregate.

pub mod ids;
pub mod money;
pub mod slot;

pub use ids::{BookingId, CampaignId, GuestId, InventoryId, ListingId, TenantId};
pub use money::{Currency, Money, MoneyError};
pub use slot::{DateRange, Slot, SlotError};
pub mod cancellation;
pub use cancellation::{CancellationPolicy, CancellationPolicyError, RefundTier};
