//! Holdfast's read side.
//!
//! - [`store`]: the [`store::ReadStore`] trait (items, patches at log positions, generations,
//!   aliases, checkpoints) and its implementations: DynamoDB ([`store::dynamo::DynamoStore`],
//!   with the client built from settings — AWS default chain, or a local endpoint such as
//!   DynamoDB Local — and a reachability check that fails in one clear line) and memory
//!   ([`store::memory::MemoryStore`]).
//! - [`projection`]: the [`projection::Projection`] trait, event → patches, one per read model.
//! - [`runtime`]: projectors (tail → patches → store → checkpoint), leases, status and lag,
//!   consistency waits, blue-green rebuild and verification.
//! - [`models`]: the four read models (calendar, search, bookings, coupons) as projections,
//!   with their typed query functions over any read store.
//!
//! Projectors, read-model stores and rebuilds are built on the ordered log of
//! `holdfast-eventstore` (the README's "The read side" says how they fit together).

pub mod models;
pub mod projection;
pub mod runtime;
pub mod store;
