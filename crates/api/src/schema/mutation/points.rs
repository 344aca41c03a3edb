//! Points over GraphQL: a business's programme (`setPointsProgram`, its operators), a guest's
//! account and history (`pointsAccount`: the guest themselves, the business's operators, admins)
//! and operator adjustments with a reason (`adjustPoints`). Spending is `placeBooking`'s
//! `points`; earning, giving back and expiring are the booking worker's
//! (see `holdfast_engine::points`).
//!
//! Refusals: `FORBIDDEN` for anyone else, `INVALID_INPUT` naming a bad field, `POINTS_REJECTED`
//! for a deduction past the balance, `ALREADY_EXISTS` for a key reused with other points.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_domain::points::{
    LotSource, PLATFORM, PointsAccount, PointsCommand, PointsEvent, PointsTerms,
    SetPlatformProgram, account_id,
};
use holdfast_domain::tenant::TenantCommand;
use holdfast_engine::EngineError;
use serde::{Deserialize, Serialize};

use super::tenant::field;
use super::{Caller, once_on};
use crate::error::{ApiError, OrApi};
use crate::schema::context::{authenticated, state};
use crate::schema::types::parse_id;

/// A points programme's terms.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct PointsTermsInput {
    /// The share of what guests pay that they earn, in basis points (500 = 5 %), 1–10,000.
    pub earn_bp: i32,
    /// How many days points last, 1–3,650.
    pub expire_days: i32,
}

/// A business's points programme.
#[derive(SimpleObject, Clone, Copy, Debug, Serialize, Deserialize)]
pub struct PointsProgram {
    /// The share of what guests pay that they earn, in basis points.
    pub earn_bp: i32,
    /// How many days points last after they are earned.
    pub expire_days: i32,
}

impl From<PointsTerms> for PointsProgram {
    fn from(t: PointsTerms) -> Self {
        Self {
            earn_bp: i32::try_from(t.earn_bp).unwrap_or(i32::MAX),
            expire_days: i32::try_from(t.expire_days).unwrap_or(i32::MAX),
        }
    }
}

/// What `setPointsProgram` did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct PointsProgramPayload {
    /// The business.
    pub tenant_id: ID,
    /// Its programme now (null: none).
    pub program: Option<PointsProgram>,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

/// An operator's correction of a guest's points.
#[derive(InputObject, Clone, Debug)]
pub struct AdjustPointsInput {
    /// The business whose programme.
    pub tenant_id: ID,
    /// The guest.
    pub guest_id: ID,
    /// Points to grant (positive) or deduct (negative, never past the balance).
    pub points: i64,
    /// Why (1–200 characters), shown to the guest in their history.
    pub reason: String,
}

/// What happened to points, in a history.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsEntryKind {
    /// Earned on a completed booking.
    Earned,
    /// Paid part of a booking.
    Spent,
    /// Given back when a booking was cancelled, expired or rejected.
    Restored,
    /// Expired unused.
    Expired,
    /// Granted or deducted by the business.
    Adjusted,
}

/// One line of a points history.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct PointsEntry {
    /// What happened.
    pub kind: PointsEntryKind,
    /// Points in (positive) or out (negative).
    pub points: i64,
    /// The booking concerned, if any.
    pub booking_id: Option<ID>,
    /// The business's reason, for an adjustment.
    pub reason: Option<String>,
    /// When earned or granted points expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Points earned together, with their expiry.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct PointsLot {
    /// The booking that earned them (null for a grant).
    pub booking_id: Option<ID>,
    /// How many were earned or granted.
    pub points: i64,
    /// How many are left.
    pub remaining: i64,
    /// When what is left expires.
    pub expires_at: DateTime<Utc>,
}

/// A guest's points in one business's programme.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct PointsAccountView {
    /// The business.
    pub tenant_id: ID,
    /// The guest.
    pub guest_id: ID,
    /// The business's programme (null: it runs none; points earned before stay until they
    /// expire).
    pub program: Option<PointsProgram>,
    /// Points usable now.
    pub balance: i64,
    /// The soonest expiry of usable points, if any.
    pub next_expiry: Option<DateTime<Utc>>,
    /// Lots with points left, soonest to expire first.
    pub lots: Vec<PointsLot>,
    /// Everything that happened, newest first.
    pub history: Vec<PointsEntry>,
    /// Pass to a query to read this write (adjustments).
    pub consistency_token: Option<String>,
}

fn signed(points: u64) -> i64 {
    i64::try_from(points).unwrap_or(i64::MAX)
}

fn entry(event: &PointsEvent, at: DateTime<Utc>) -> PointsEntry {
    let booking = |b: &holdfast_domain::common::BookingId| Some(ID(b.to_string()));
    let (kind, points, booking_id, reason, expires_at) = match event {
        PointsEvent::PointsEarned {
            booking_id,
            points,
            expires_at,
            ..
        } => (
            PointsEntryKind::Earned,
            signed(*points),
            booking(booking_id),
            None,
            Some(*expires_at),
        ),
        PointsEvent::PointsSpent {
            booking_id, points, ..
        } => (
            PointsEntryKind::Spent,
            -signed(*points),
            booking(booking_id),
            None,
            None,
        ),
        PointsEvent::PointsRestored {
            booking_id, points, ..
        } => (
            PointsEntryKind::Restored,
            signed(*points),
            booking(booking_id),
            None,
            None,
        ),
        PointsEvent::PointsExpired { points, .. } => {
            (PointsEntryKind::Expired, -signed(*points), None, None, None)
        }
        PointsEvent::PointsAdjusted {
            points,
            reason,
            expires_at,
            ..
        } => (
            PointsEntryKind::Adjusted,
            *points,
            None,
            Some(reason.clone()),
            (*points > 0).then_some(*expires_at),
        ),
    };
    PointsEntry {
        kind,
        points,
        booking_id,
        reason,
        expires_at,
        at,
    }
}

/// The account of `guest` in `tenant`'s programme as a guest or operator reads it.
async fn view(
    engine: &holdfast_engine::Engine,
    tenant: TenantId,
    guest: GuestId,
) -> Result<PointsAccountView, ApiError> {
    let (account, history) = holdfast_engine::points::account(engine, tenant, guest)
        .await
        .or_api()?;
    let now = engine.services.clock.now();
    let program = terms_of(engine, tenant).await?.map(PointsProgram::from);
    let mut lots: Vec<PointsLot> = account
        .state()
        .map(|s| {
            s.lots
                .iter()
                .filter(|l| l.remaining > 0 && l.expires_at > now)
                .map(|l| PointsLot {
                    booking_id: match &l.source {
                        LotSource::Booking(b) => Some(ID(b.to_string())),
                        LotSource::Adjustment(_) => None,
                    },
                    points: signed(l.points),
                    remaining: signed(l.remaining),
                    expires_at: l.expires_at,
                })
                .collect()
        })
        .unwrap_or_default();
    lots.sort_by_key(|l| l.expires_at);
    Ok(PointsAccountView {
        tenant_id: ID(if tenant == PLATFORM {
            "platform".to_owned()
        } else {
            tenant.to_string()
        }),
        guest_id: ID(guest.to_string()),
        program,
        balance: signed(account.balance(now)),
        next_expiry: lots.first().map(|l| l.expires_at),
        lots,
        history: history.iter().rev().map(|(e, at)| entry(e, *at)).collect(),
        consistency_token: None,
    })
}

/// `tenantId` of a points programme: a business's id, or `platform` for the platform-wide one.
fn program_owner(field: &str, id: &ID) -> Result<TenantId, ApiError> {
    if id.as_str() == "platform" {
        Ok(PLATFORM)
    } else {
        parse_id(field, id, TenantId::parse)
    }
}

/// Checked terms (`None`: no programme), or `INVALID_INPUT` naming `terms`.
fn parse_terms(terms: Option<PointsTermsInput>) -> Result<Option<PointsTerms>, ApiError> {
    terms
        .map(|t| {
            let bp = u32::try_from(t.earn_bp).unwrap_or(0);
            let days = u32::try_from(t.expire_days).unwrap_or(0);
            field("terms", PointsTerms::new(bp, days))
        })
        .transpose()
}

/// The terms of `owner`'s programme (a business's, or the platform's), while it runs.
async fn terms_of(
    engine: &holdfast_engine::Engine,
    owner: TenantId,
) -> Result<Option<PointsTerms>, ApiError> {
    if owner == PLATFORM {
        return holdfast_engine::points::platform_terms(engine)
            .await
            .or_api();
    }
    Ok(engine
        .commands
        .tenants
        .load(&owner.to_string())
        .await
        .or_api()?
        .state()
        .and_then(|t| t.points))
}

/// Points queries.
#[derive(Default)]
pub struct PointsQuery;

#[Object]
impl PointsQuery {
    /// The platform-wide points programme, if one runs (public).
    async fn platform_points_program(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<PointsProgram>> {
        Ok(terms_of(state(ctx), PLATFORM)
            .await?
            .map(PointsProgram::from))
    }

    /// A guest's points in a business's programme (`tenantId: "platform"`: the platform-wide
    /// one): the guest themselves (`guestId` may be left out), the business's operators (the
    /// platform's: admins only), admins (`FORBIDDEN` for anyone else).
    async fn points_account(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
        guest_id: Option<ID>,
    ) -> async_graphql::Result<PointsAccountView> {
        let who = authenticated(ctx)?;
        let tenant = program_owner("tenantId", &tenant_id)?;
        let guest = match (&guest_id, who) {
            (Some(id), _) => parse_id("guestId", id, GuestId::parse)?,
            (None, holdfast_engine::Principal::Guest { guest }) => *guest,
            (None, _) => return Err(ApiError::invalid("guestId: give the guest").into()),
        };
        if !(who.is_guest_or_admin(guest) || who.operates(tenant)) {
            return Err(ApiError::forbidden().into());
        }
        Ok(view(state(ctx), tenant, guest).await?)
    }
}

/// Points mutations.
#[derive(Default)]
pub struct PointsMutation;

#[Object]
impl PointsMutation {
    /// Starts, changes or (`terms: null`) ends a business's points programme (its operators
    /// and admins). Points already earned stay until they expire.
    async fn set_points_program(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        terms: Option<PointsTermsInput>,
    ) -> async_graphql::Result<PointsProgramPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = parse_id("tenantId", &tenant_id, TenantId::parse)?;
        caller.authorize(tenant)?;
        let terms = parse_terms(terms)?;
        Ok(once_on(
            ctx,
            &caller,
            &caller.state.commands.tenants,
            tenant.to_string(),
            async { Ok(TenantCommand::SetPointsProgram { terms }) },
            move |t| {
                let state = t
                    .state()
                    .ok_or_else(|| EngineError::not_found("business"))?;
                Ok(PointsProgramPayload {
                    tenant_id: ID(tenant.to_string()),
                    program: state.points.map(PointsProgram::from),
                    consistency_token: None,
                })
            },
        )
        .await?)
    }

    /// Starts, changes or (`terms: null`) ends the platform-wide points programme (admins):
    /// every business's completed bookings earn in it besides their own, and its points are
    /// spent at any business (`placeBooking(input: {points, pointsFrom: PLATFORM})`).
    async fn set_platform_points_program(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        terms: Option<PointsTermsInput>,
    ) -> async_graphql::Result<PointsProgramPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        if !caller.principal.is_admin() {
            return Err(ApiError::forbidden().into());
        }
        let terms = parse_terms(terms)?;
        Ok(once_on(
            ctx,
            &caller,
            &caller.state.commands.platform,
            holdfast_domain::points::platform::PLATFORM_PROGRAM_ID.to_owned(),
            async { Ok(SetPlatformProgram { terms }) },
            |p| {
                Ok(PointsProgramPayload {
                    tenant_id: ID("platform".to_owned()),
                    program: p.terms().map(PointsProgram::from),
                    consistency_token: None,
                })
            },
        )
        .await?)
    }

    /// Grants or deducts a guest's points, with a reason (the business's operators and
    /// admins; `tenantId: "platform"`: admins). A grant lasts the programme's days (365
    /// without a programme).
    async fn adjust_points(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: AdjustPointsInput,
    ) -> async_graphql::Result<PointsAccountView> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = program_owner("input.tenantId", &input.tenant_id)?;
        let guest = parse_id("input.guestId", &input.guest_id, GuestId::parse)?;
        caller.authorize(tenant)?;
        if input.points == 0 || input.points.unsigned_abs() > holdfast_domain::points::MAX_POINTS {
            return Err(
                ApiError::invalid("input.points: not zero, at most 10^12 either way").into(),
            );
        }
        if tenant != PLATFORM
            && caller
                .state
                .commands
                .tenants
                .load(&tenant.to_string())
                .await
                .or_api()?
                .state()
                .is_none()
        {
            return Err(ApiError::not_found("business").into());
        }
        let days = terms_of(caller.state, tenant)
            .await?
            .map_or(365, |t| t.expire_days);
        let command = PointsCommand::Adjust {
            tenant_id: tenant,
            guest_id: guest,
            // The key names the adjustment: a retry is the same adjustment.
            adjustment_id: caller.derived_id("points-adjustment").to_string(),
            points: input.points,
            reason: input.reason.clone(),
            expires_at: caller.now() + Duration::days(i64::from(days)),
        };
        let account = account_id(tenant, guest);
        let done = once_on(
            ctx,
            &caller,
            &caller.state.commands.points,
            account,
            async { Ok(command) },
            |_: &PointsAccount| {
                Ok(AdjustedPoints {
                    consistency_token: None,
                })
            },
        )
        .await
        .map_err(|mut e| {
            if e.code == holdfast_engine::ErrorCode::InvalidInput {
                e.0.message = format!("input: {}", e.0.message);
            }
            e
        })?;
        let mut view = view(caller.state, tenant, guest).await?;
        view.consistency_token = done.consistency_token;
        Ok(view)
    }
}

/// The recorded answer of `adjustPoints` (the account is read afresh for the reply).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdjustedPoints {
    /// The adjustment's log position.
    pub consistency_token: Option<String>,
}
