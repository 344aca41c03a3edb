//! Mutation fields, one module per aggregate, merged into `MutationRoot`.
//!
//! Every mutation:
//! 1. needs a bearer token (`UNAUTHENTICATED` otherwise) and checks the role it needs
//!    (a guest on an operator mutation is `FORBIDDEN`);
//! 2. parses its input into domain newtypes at the edge (`INVALID_INPUT` naming the field);
//! 3. runs **once per idempotency key** ([`holdfast_engine::idempotency`]): the key is scoped to the
//!    caller, and the request hash covers the field name and every argument but the key. A
//!    command commits its events and the key's record (hash, answer, token) in **one
//!    transaction** ([`once_on`]; placement, payment and cancellation through the booking
//!    process' one-commit steps; `acceptOffer` too, but for an offer made before offers held
//!    its units). Only `retryNotification`, which is no aggregate's command, writes the key
//!    before it runs and the answer after ([`once`]);
//! 4. authorises against the aggregate's tenant, read from the event store: an operator of
//!    another tenant is `FORBIDDEN`; an aggregate that does not exist is `NOT_FOUND`;
//! 5. returns a payload with the ids, the new status where relevant, and `consistencyToken`
//!    (pass it to a query to read this write).
//!
//! Ids of created aggregates (listing, inventory, campaign, waitlist entry, booking) derive
//! from the caller's scope and the idempotency key, so even a request whose outcome was never
//! recorded (a crash mid-way) re-creates nothing on retry: the domain sees the same id and
//! treats an identical create as a no-op.

pub mod account;
pub mod booking;
pub mod calendar;
pub mod coupon;
pub mod inventory;
pub mod listing;
pub mod notification;
pub mod points;
pub mod review;
pub mod tenant;
pub mod watch;

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
use holdfast_engine::idempotency::{
    self, Claim, IdempotencyKey, IdempotencyStore, Ran, Tokened, run_claimed,
};
use holdfast_engine::ids::derived_ulid;
use holdfast_engine::process::one_commit::dispatch_once_with;

pub use account::AccountMutation;
pub use booking::BookingMutation;
pub use calendar::CalendarMutation;
pub use coupon::CouponMutation;
pub use inventory::InventoryMutation;
pub use listing::ListingMutation;
pub use notification::NotificationMutation;
pub use points::{PointsMutation, PointsQuery};
pub use review::ReviewMutation;
pub use tenant::TenantMutation;
pub use watch::{WatchMutation, WatchQuery, WatchSubscription};

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

/// Runs one command once per `(caller, key)` in **one commit**: the command's events and the
/// key's record (request hash and answer) go into the aggregate's group-commit batch together
/// (see [`holdfast_engine::process::one_commit::dispatch_once`]).
///
/// `command` first reads what it needs and checks the caller (authorization, `NOT_FOUND`),
/// then gives the command to send to aggregate `id`; a refusal there is recorded alone. The
/// answer is `answer(state after the command)`, or the command's refusal. A repeat of the key
/// re-runs `command`, finds the key taken when it commits, writes nothing, and answers the
/// first answer with its first token. A client that gives up mid-way leaves no half-done
/// key behind: the command commits with its record or not at all.
pub async fn once_on<A, T, F>(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    dispatcher: &holdfast_engine::dispatch::Dispatcher<A>,
    id: String,
    command: F,
    answer: impl Fn(&A) -> Result<T, EngineError> + Send + Sync + 'static,
) -> Result<T, ApiError>
where
    A: holdfast_domain::Decide + 'static,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Clone + Send + 'static,
    A::Services: Send + Sync + 'static,
    EngineError: From<A::Error> + From<holdfast_engine::dispatch::DispatchError<A::Error>>,
    T: Tokened + Clone + Send + 'static,
    F: Future<Output = Result<A::Command, ApiError>>,
{
    once_on_with(ctx, caller, dispatcher, id, command, answer, |_, _| {
        Ok(Vec::new())
    })
    .await
}

/// [`once_on`], with other aggregates' events in the same commit (see
/// `holdfast_engine::process::one_commit::dispatch_once_with`).
pub async fn once_on_with<A, T, F>(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    dispatcher: &holdfast_engine::dispatch::Dispatcher<A>,
    id: String,
    command: F,
    answer: impl Fn(&A) -> Result<T, EngineError> + Send + Sync + 'static,
    streams: impl Fn(
        &A,
        Result<(), &A::Error>,
    ) -> Result<Vec<holdfast_eventstore::StreamAppend>, String>
    + Send
    + Sync
    + 'static,
) -> Result<T, ApiError>
where
    A: holdfast_domain::Decide + 'static,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Clone + Send + 'static,
    A::Services: Send + Sync + 'static,
    EngineError: From<A::Error> + From<holdfast_engine::dispatch::DispatchError<A::Error>>,
    T: Tokened + Clone + Send + 'static,
    F: Future<Output = Result<A::Command, ApiError>>,
{
    let claim = claim(ctx, caller)?;
    let ran = async {
        let command = match command.await {
            Ok(command) => command,
            Err(e) => return Ran::Unrecorded(Err(e.0)),
        };
        dispatch_once_with(
            dispatcher,
            &id,
            command,
            caller.metadata(),
            &claim,
            move |state: &A, outcome| {
                Some(match outcome {
                    Ok(()) => answer(state),
                    Err(e) => Err(EngineError::from(e.clone())),
                })
            },
            streams,
        )
        .await
    };
    run_claimed(&caller.state.store, &claim, ran)
        .await
        .map_err(ApiError)
}

/// [`Tokened`] for payloads whose token is their `consistency_token` field.
macro_rules! tokened {
    ($($payload:ty),+ $(,)?) => {$(
        impl holdfast_engine::idempotency::Tokened for $payload {
            fn token(&self) -> Option<holdfast_eventstore::Position> {
                self.consistency_token
                    .as_deref()
                    .and_then(|t| t.parse().ok())
            }

            // A payload of nothing but its token has nothing else to keep.
            #[allow(clippy::needless_update)]
            fn with_token(self, token: Option<holdfast_eventstore::Position>) -> Self {
                Self {
                    consistency_token: holdfast_engine::consistency::token(token),
                    ..self
                }
            }
        }
    )+};
}

tokened!(
    listing::ListingPayload,
    inventory::InventoryPayload,
    coupon::CampaignPayload,
    booking::BookingPayload,
    tenant::BusinessPayload,
    review::ReviewPayload,
    points::AdjustedPoints,
    points::PointsProgramPayload,
    watch::WatchView,
);

/// Runs `request` once per `(caller, key)` with the key's row written before it runs and its
/// answer after (three commits; see [`holdfast_engine::idempotency::run`]). Only for what is
/// not a command of an aggregate (retrying a notification); commands use [`once_on`].
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
