//! The command side: one [`Dispatcher`] per aggregate, sharing one set of per-aggregate locks.

use std::sync::Arc;

use holdfast_domain::booking::Booking;
use holdfast_domain::coupon::CouponCampaign;
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::Listing;
use holdfast_domain::services::DomainServices;
use holdfast_eventstore::EventStore;

use crate::dispatch::{Dispatcher, RetryPolicy, StripedLocks};

/// Inventories have long streams (every hold and release): snapshot every this many events.
pub const INVENTORY_SNAPSHOT_EVERY: usize = 100;

/// Dispatchers of every aggregate.
pub struct Commands {
    /// Listings.
    pub listings: Dispatcher<Listing>,
    /// Inventories (snapshotted).
    pub inventories: Dispatcher<Inventory>,
    /// Bookings.
    pub bookings: Dispatcher<Booking>,
    /// Coupon campaigns (snapshotted: hot campaigns get thousands of claims).
    pub coupons: Dispatcher<CouponCampaign>,
}

impl Commands {
    /// Dispatchers on `store` with `services` (the clock).
    pub fn new(store: &EventStore, services: &DomainServices) -> Self {
        let locks = Arc::new(StripedLocks::new(1024));
        let retry = RetryPolicy::default();
        Self {
            listings: Dispatcher::new(store, services.clone(), None, locks.clone(), retry),
            inventories: Dispatcher::new(
                store,
                services.clone(),
                Some(INVENTORY_SNAPSHOT_EVERY),
                locks.clone(),
                retry,
            ),
            bookings: Dispatcher::new(store, services.clone(), None, locks.clone(), retry),
            coupons: Dispatcher::new(
                store,
                services.clone(),
                Some(INVENTORY_SNAPSHOT_EVERY),
                locks,
                retry,
            ),
        }
    }
}
