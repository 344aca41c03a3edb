//! The command side: one [`Dispatcher`] per aggregate (group commit per aggregate id, an
//! aggregate cache validated by sequence; see [`crate::dispatch`]).

use holdfast_domain::booking::Booking;
use holdfast_domain::coupon::CouponCampaign;
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::Listing;
use holdfast_domain::points::{PlatformProgram, PointsAccount};
use holdfast_domain::review::Review;
use holdfast_domain::services::DomainServices;
use holdfast_domain::tenant::Tenant;
use holdfast_domain::watch::Watch;
use holdfast_eventstore::EventStore;

use crate::dispatch::{DispatchOptions, Dispatcher};

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
    /// Businesses.
    pub tenants: Dispatcher<Tenant>,
    /// Reviews (one per booking, keyed by its id).
    pub reviews: Dispatcher<Review>,
    /// Guests' points accounts (one per business and guest, `<tenant>:<guest>`).
    pub points: Dispatcher<PointsAccount>,
    /// Guests' availability watches.
    pub watches: Dispatcher<Watch>,
    /// The platform-wide points programme (one aggregate, `platform`).
    pub platform: Dispatcher<PlatformProgram>,
}

impl Commands {
    /// Dispatchers on `store` with `services` (the clock).
    pub fn new(store: &EventStore, services: &DomainServices) -> Self {
        let plain = DispatchOptions::default();
        let snapshotted = DispatchOptions {
            snapshot_every: Some(INVENTORY_SNAPSHOT_EVERY),
            ..plain
        };
        Self {
            listings: Dispatcher::new(store, services.clone(), plain),
            inventories: Dispatcher::new(store, services.clone(), snapshotted),
            bookings: Dispatcher::new(store, services.clone(), plain),
            coupons: Dispatcher::new(store, services.clone(), snapshotted),
            tenants: Dispatcher::new(store, services.clone(), plain),
            reviews: Dispatcher::new(store, services.clone(), plain),
            points: Dispatcher::new(store, services.clone(), plain),
            watches: Dispatcher::new(store, services.clone(), plain),
            platform: Dispatcher::new(store, services.clone(), plain),
        }
    }
}
