//! Points beside bookings: what a completed booking earns, what a booking that did not go
//! through gives back, and reading an account's history. The rules are the domain's
//! (`holdfast_domain::points`); spending happens inside the placement's one commit
//! ([`crate::process::one_commit`]); the booking worker earns, restores and expires from the log.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use holdfast_domain::booking::{Booking, BookingStatus};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_domain::points::platform::PLATFORM_PROGRAM_ID;
use holdfast_domain::points::{
    PLATFORM, PlatformProgram, PointsAccount, PointsCommand, PointsEvent, PointsTerms, account_id,
};
use holdfast_domain::tenant::Tenant;
use holdfast_eventstore::Position;

use crate::Engine;
use crate::error::EngineError;
use crate::idempotency::is_final;
use crate::process::current;

/// The share of a booking's points it gives back, in basis points, once it is over without
/// being used: all of them when it expired, was rejected or was cancelled before it was paid;
/// the cancellation's refund tier when a confirmed booking was cancelled. `None` while the
/// booking may still be used (or was).
pub fn restore_share(booking: &Booking) -> Option<u32> {
    match booking.status()? {
        BookingStatus::Expired | BookingStatus::Rejected => Some(10_000),
        BookingStatus::Cancelled => {
            let cancellation = booking.cancellation()?;
            if cancellation.from == BookingStatus::Confirmed {
                Some(match booking.starts_at() {
                    Some(start) => booking
                        .cancellation_policy()
                        .refund_bp(start, cancellation.at),
                    None => 10_000,
                })
            } else {
                Some(10_000)
            }
        }
        _ => None,
    }
}

/// Gives back `booking`'s points (its [`restore_share`]) if it spent some and is over unused.
/// Idempotent: a second call changes nothing. Returns the position written, if any.
///
/// # Errors
///
/// Transient store failures (final refusals — nothing spent, already given back — are `Ok`).
pub async fn restore(
    engine: &Engine,
    booking: &Booking,
    metadata: HashMap<String, String>,
) -> Result<Option<Position>, EngineError> {
    let (Some(points), Some(share_bp)) = (booking.points(), restore_share(booking)) else {
        return Ok(None);
    };
    let account = account_id(points.tenant_id, booking.keys().guest_id);
    let done = engine
        .commands
        .points
        .execute(
            &account,
            PointsCommand::Restore {
                booking_id: booking.keys().booking_id,
                share_bp,
            },
            metadata,
        )
        .await
        .map_err(EngineError::from);
    match done {
        Ok(c) => Ok(c.position),
        Err(e) if is_final(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `booking` is completed as of `now`: checked in, or confirmed and ended (a no-show,
/// a cancellation never).
pub fn completed(booking: &Booking, now: DateTime<Utc>) -> bool {
    match booking.status() {
        Some(BookingStatus::CheckedIn) => true,
        Some(BookingStatus::Confirmed) => booking.ends_at().is_some_and(|end| end <= now),
        _ => false,
    }
}

/// The platform-wide programme's terms, while it runs.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn platform_terms(engine: &Engine) -> Result<Option<PointsTerms>, EngineError> {
    let program: PlatformProgram = current(engine, PLATFORM_PROGRAM_ID).await?;
    Ok(program.terms())
}

/// What a completed `booking` earns in `owner`'s programme (its business's, or [`PLATFORM`]):
/// the programme's share of what was paid and kept (payments minus refunds), expiring the
/// programme's days from `now`. `None`: no programme, or nothing to earn.
pub async fn earning(
    engine: &Engine,
    owner: TenantId,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<Option<(String, PointsCommand)>, EngineError> {
    let keys = booking.keys();
    let terms = if owner == PLATFORM {
        platform_terms(engine).await?
    } else {
        let tenant: Tenant = current(engine, &owner.to_string()).await?;
        tenant.state().and_then(|t| t.points)
    };
    let Some(terms) = terms else {
        return Ok(None);
    };
    let paid = booking.total_paid().map_or(0, |m| m.amount_minor);
    let refunded = booking.total_refunded().map_or(0, |m| m.amount_minor);
    let points = terms.earned_on(paid.saturating_sub(refunded));
    if points == 0 {
        return Ok(None);
    }
    Ok(Some((
        account_id(owner, keys.guest_id),
        PointsCommand::Earn {
            tenant_id: owner,
            guest_id: keys.guest_id,
            booking_id: keys.booking_id,
            points,
            expires_at: now + Duration::days(i64::from(terms.expire_days)),
        },
    )))
}

/// One guest's account in one business's programme, with its history (oldest first).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn account(
    engine: &Engine,
    tenant: TenantId,
    guest: GuestId,
) -> Result<(PointsAccount, Vec<(PointsEvent, DateTime<Utc>)>), EngineError> {
    let id = account_id(tenant, guest);
    let account: PointsAccount = current(engine, &id).await?;
    let mut history = Vec::new();
    let mut after = 0;
    loop {
        let page = engine
            .store
            .aggregate_events(<PointsAccount as cqrs_es::Aggregate>::TYPE, &id, after, 500)
            .await
            .map_err(|e| EngineError::new(crate::error::ErrorCode::Unavailable, e.to_string()))?;
        let Some(last) = page.last() else { break };
        after = last.sequence;
        for stored in &page {
            let event: PointsEvent =
                serde_json::from_value(stored.payload.clone()).map_err(EngineError::internal)?;
            history.push((event, stored.recorded_at));
        }
    }
    Ok((account, history))
}
