//! Query fields, one module per aggregate.

pub mod account;
pub mod admin;
pub mod booking;
pub mod coupon;
pub mod inventory;
pub mod listing;
pub mod notification;
pub mod operator_lists;
pub mod service;
pub mod tenant;
