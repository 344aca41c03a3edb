//! Holdfast's read side.
//!
//! - [`dynamo`]: the DynamoDB client built from settings (AWS default chain, or a local
//!   endpoint such as DynamoDB Local), with a reachability check that fails in one clear line.
//! - [`store`]: the [`store::ReadStore`] trait (items, patches at log positions, generations,
//!   aliases, checkpoints) and its implementations: DynamoDB ([`store::dynamo::DynamoStore`])
//!   and memory ([`store::memory::MemoryStore`]).
//! - [`projection`]: the [`projection::Projection`] trait, event → patches, one per read model.
//! - [`runtime`]: projectors (tail → patches → store → checkpoint), leases, status and lag,
//!   consistency waits, blue-green rebuild and verification.
//! - [`models`]: the four read models (calendar, search, bookings, coupons) as projections,
//!   with their typed query functions over any read store.
//!
//! Projectors, read-model stores and rebuilds are built on the ordered log of
//! `holdfast-eventstore` (see DESIGN.md, "Projections").

pub mod dynamo;
pub mod models;
pub mod projection;
pub mod runtime;
pub mod store;
