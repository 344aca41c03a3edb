//! Mutation fields, one module per aggregate, merged into `MutationRoot`.
//!
//! Every mutation:
//! 1. needs a bearer token (`UNAUTHENTICATED` otherwise) and checks the role it needs
//!    (a guest on an operator mutation is `FORBIDDEN`);
//! 2. parses its input into domain newtypes at the edge (`INVALID_INPUT` naming the field);
//! 3. runs **once per idempotency key** ([`holdfast_engine::idempotency`]): the key is scoped to the
//!    caller, and the request hash covers the field name and every argument but the key;
//! 4. authorises against the aggregate's tenant, read from the event store: an operator of
//!    another tenant is `FORBIDDEN`; an aggregate that does not exist is `NOT_FOUND`;
//! 5. returns a payload with the ids, the new status where relevant, and `consistencyToken`
//!    (pass it to a query to read this write).
//!
//! Ids of created aggregates (listing, inventory, campaign, waitlist entry, booking) derive
//! from the caller's scope and the idempotency key, so even a request whose outcome was never
//! recorded (a crash mid-way) re-creates nothing on retry: the domain sees the same id and
//! treats an identical create as a no-op.

pub mod booking;
pub mod coupon;
pub mod inventory;
pub mod listing;
pub mod notification;

use std::collections::HashMap;
use std::future::Future;

use async_graphql::Context;
use chrono::{DateTime, Utc};
use holdfast_domain::common::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use ulid::Ulid;

use super::context::{authenticated, state};
use crate::error::{ApiError, EngineError};
use holdfast_engine::Engine;
use holdfast_engine::Principal;
use holdfast_engine::idempotency::{self, Claim, IdempotencyKey, IdempotencyStore};
use holdfast_engine::ids::derived_ulid;

pub use booking::BookingMutation;
pub use coupon::CouponMutation;
pub use inventory::InventoryMutation;
pub use listing::ListingMutation;
pub use notification::NotificationMutation;

/// The name of the argument every mutation takes.
pub const KEY_ARGUMENT: &str = "idempotencyKey";

/// The caller of a mutation: state, principal, idempotency scope and key.
pub struct Caller<'a> {
    /// The application state.
    pub state: &'a Engine,
    /// Who asks.
    pub principal: &'a Principal,
    /// The idempotency scope of the principal.
    pub scope: String,
    /// The validated key.
    pub key: IdempotencyKey,
}

impl<'a> Caller<'a> {
    /// The authenticated caller with a valid key.
    pub fn new(ctx: &Context<'a>, key: &str) -> Result<Self, ApiError> {
        let principal = authenticated(ctx)?;
        Ok(Self {
            state: state(ctx),
            principal,
            scope: idempotency::scope(principal),
            key: IdempotencyKey::parse(key)?,
        })
    }

    /// The clock's instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.services.clock.now()
    }

    /// Command metadata (principal and key).
    pub fn metadata(&self) -> HashMap<String, String> {
        holdfast_engine::process::metadata(&self.scope, self.key.as_str())
    }

    /// A ULID derived from the scope, the key and `kind` (deterministic: see the module docs).
    pub fn derived_id(&self, kind: &str) -> Ulid {
        derived_ulid(&[
            kind.as_bytes(),
            b"\0",
            self.scope.as_bytes(),
            b"\0",
            self.key.as_str().as_bytes(),
            b"\0",
        ])
    }

    /// `FORBIDDEN` unless an operator or an admin.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self.principal {
            Principal::Operator { .. } | Principal::Admin { .. } => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// `FORBIDDEN` unless a guest (admins act for guests only through their own tools).
    pub fn require_guest(&self) -> Result<holdfast_domain::common::GuestId, ApiError> {
        match self.principal {
            Principal::Guest { guest } => Ok(*guest),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// `FORBIDDEN` unless the caller operates `tenant`.
    pub fn authorize(&self, tenant: TenantId) -> Result<(), ApiError> {
        if self.principal.operates(tenant) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The tenant a new aggregate belongs to: an operator's own (giving another is
    /// `FORBIDDEN`); an admin must name one (`INVALID_INPUT` otherwise).
    pub fn tenant_for_new(&self, asked: Option<TenantId>) -> Result<TenantId, ApiError> {
        match (self.principal, asked) {
            (Principal::Operator { tenant, .. }, None) => Ok(*tenant),
            (Principal::Operator { tenant, .. }, Some(asked)) if *tenant == asked => Ok(asked),
            (Principal::Admin { .. }, Some(asked)) => Ok(asked),
            (Principal::Admin { .. }, None) => Err(ApiError::invalid(
                "input.tenantId: an admin must say which tenant",
            )),
            _ => Err(ApiError::forbidden()),
        }
    }
}

/// The arguments of the current field, but the idempotency key, as JSON.
fn arguments(ctx: &Context<'_>) -> Result<serde_json::Value, ApiError> {
    let mut map = serde_json::Map::new();
    let arguments = ctx
        .field()
        .arguments()
        .map_err(|e| ApiError::invalid(e.message))?;
    for (name, value) in arguments {
        if name.as_str() == KEY_ARGUMENT {
            continue;
        }
        let json = value.into_json().map_err(ApiError::internal)?;
        map.insert(name.to_string(), json);
    }
    Ok(serde_json::Value::Object(map))
}

/// The claim of a mutation that records its key and answer in its own commit (see
/// [`holdfast_engine::idempotency::run_claimed`]); the request hash is the same as [`once`]'s.
pub fn claim(ctx: &Context<'_>, caller: &Caller<'_>) -> Result<Claim, ApiError> {
    Ok(Claim {
        scope: caller.scope.clone(),
        key: caller.key.clone(),
        request_hash: idempotency::request_hash(ctx.field().name(), &arguments(ctx)?),
        now: caller.now(),
    })
}

/// Runs `request` once per `(caller, key)` (see [`holdfast_engine::idempotency`]).
pub async fn once<T, E, F>(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    request: F,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned,
    E: Into<EngineError>,
    F: Future<Output = Result<T, E>>,
{
    let hash = idempotency::request_hash(ctx.field().name(), &arguments(ctx)?);
    idempotency::run(
        &IdempotencyStore::new(&caller.state.store),
        &caller.scope,
        &caller.key,
        &hash,
        caller.now(),
        async { request.await.map_err(Into::into) },
    )
    .await
    .map_err(ApiError)
}
