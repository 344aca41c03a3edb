//! Businesses' slugs: the booking site's address of a business (`/b/<slug>`) is unique. The
//! Tenant aggregate cannot see other businesses, so the engine claims a slug in
//! `tenant_slugs` before a command gives it to a business ([`claim_slug`]) and gives it back
//! if the command is refused or a later one replaces it ([`release_slug`]). Two businesses
//! asking for one slug at once: one claim wins, the other is `ALREADY_EXISTS`.

use chrono::{DateTime, Utc};
use holdfast_domain::common::TenantId;
use holdfast_domain::tenant::Slug;
use holdfast_eventstore::{Arg, Db};

use crate::error::{EngineError, ErrorCode};

/// Claims `slug` for `tenant`: `Ok` when it is free or already the tenant's.
///
/// # Errors
///
/// `ALREADY_EXISTS` when another business has it; `UNAVAILABLE` when the store fails.
pub async fn claim_slug(
    db: &Db,
    slug: &Slug,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    const CLAIM: &str = "INSERT INTO tenant_slugs (slug, tenant_id, claimed_at) VALUES ($1, $2, $3)
         ON CONFLICT (slug) DO NOTHING";
    db.execute(
        CLAIM,
        &[
            slug.as_str().into(),
            tenant.to_string().into(),
            Arg::At(now),
        ],
    )
    .await
    .map_err(store)?;
    match owner_of(db, slug).await? {
        Some(owner) if owner == tenant => Ok(()),
        _ => Err(EngineError::new(
            ErrorCode::AlreadyExists,
            format!("the address `{slug}` is taken; choose another"),
        )),
    }
}

/// Gives `slug` back if `tenant` holds it.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn release_slug(db: &Db, slug: &Slug, tenant: TenantId) -> Result<(), EngineError> {
    db.execute(
        "DELETE FROM tenant_slugs WHERE slug = $1 AND tenant_id = $2",
        &[slug.as_str().into(), tenant.to_string().into()],
    )
    .await
    .map_err(store)?;
    Ok(())
}

/// The business holding `slug`.
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn owner_of(db: &Db, slug: &Slug) -> Result<Option<TenantId>, EngineError> {
    let row: Option<(String,)> = db
        .fetch_optional_as(
            "SELECT tenant_id FROM tenant_slugs WHERE slug = $1",
            &[slug.as_str().into()],
        )
        .await
        .map_err(store)?;
    row.map(|(t,)| TenantId::parse(&t).map_err(EngineError::internal))
        .transpose()
}

fn store(e: holdfast_eventstore::EventStoreError) -> EngineError {
    tracing::warn!(error = %e, "tenant slugs");
    EngineError::new(ErrorCode::Unavailable, "the store is unavailable; retry")
}
