//! Holdfast's application: everything between the transports and the domain, with no HTTP or
//! GraphQL type. Adapters (the GraphQL API, HTTP routes, webhooks, the CLI) hold an
//! [`Engine`] and map its [`EngineError`] to their transport in one function each.
//!
//! - [`Engine`] ([`engine`]): built from [`EngineSettings`] by [`Engine::start`] (migrations,
//!   the demo, the read side, projectors, booking worker and outbox as configured), stopped
//!   by [`Engine::stop`]; [`Engine::readiness`] for health checks.
//! - The command side: [`commands`] (one dispatcher per aggregate) over [`dispatch`] (group
//!   commit per aggregate id, an aggregate cache validated by sequence); [`idempotency`]
//!   (keys, leases, stored answers); [`ids`]: ids derived from requests (retries find them).
//! - [`process`]: steps spanning aggregates (placement, payment, cancellation, offers);
//!   [`worker`]: the booking worker (expiries, waitlist, late payments, refunds).
//! - [`notify`]: the notifications outbox; [`signature`]: the `Holdfast-Signature` HMAC
//!   scheme it and [`payments`] (payment providers' signed reports) use.
//! - The read side: [`read_side`] (memory or DynamoDB), [`read_models`] (reads through the
//!   alias cache, retried across a rebuild), [`consistency`] (read-your-writes tokens),
//!   [`feed`] (the change feed live subscriptions follow).
//! - [`error`]: [`EngineError`] and its stable [`ErrorCode`]s; [`principal`]: who is asking;
//!   [`secret`]: key material that never prints; [`fixtures`]: the demo businesses.

pub mod accounts;
pub mod calendar;
mod commands;
pub mod consistency;
pub mod dashboard;
pub mod dispatch;
mod engine;
mod error;
pub mod feed;
pub mod fixtures;
pub mod idempotency;
pub mod ids;
pub mod notify;
pub mod payments;
pub mod photos;
pub mod points;
mod principal;
pub mod process;
pub mod profiles;
pub mod read_models;
mod read_side;
pub mod reviews;
mod secret;
pub mod signature;
pub mod tenants;
pub mod turns;
pub mod watches;
pub mod worker;

pub use commands::Commands;
pub use engine::{
    Dependency, Engine, EngineSettings, OutboxSettings, ProjectorReadiness, Readiness, StartError,
};
pub use error::{EngineError, ErrorCode};
pub use principal::Principal;
pub use read_side::{ReadSide, ReadSideSettings};
pub use secret::Secret;
