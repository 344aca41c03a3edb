//! Coupon
