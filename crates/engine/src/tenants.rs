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

/// How guests reach a business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Its contact address (normalised).
    pub email: Option<String>,
    /// Its contact phone.
    pub phone: Option<holdfast_domain::guest::Phone>,
}

impl Contact {
    /// A contact from given text (blank is none).
    ///
    /// # Errors
    ///
    /// `INVALID_INPUT` naming `contactEmail` or `contactPhone`.
    pub fn parse(email: Option<&str>, phone: Option<&str>) -> Result<Self, EngineError> {
        Ok(Self {
            email: crate::profiles::blank(email)
                .map(crate::accounts::normalise_email)
                .transpose()
                .map_err(|e| EngineError::invalid(format!("input.contactEmail: {e}")))?,
            phone: crate::profiles::blank(phone)
                .map(holdfast_domain::guest::Phone::parse)
                .transpose()
                .map_err(|e| EngineError::invalid(format!("input.contactPhone: {e}")))?,
        })
    }
}

/// Sets a business's contact (replacing it; an empty one deletes it).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn set_contact(
    db: &Db,
    tenant: TenantId,
    contact: &Contact,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    if contact.email.is_none() && contact.phone.is_none() {
        db.execute(
            "DELETE FROM tenant_contacts WHERE tenant_id = $1",
            &[tenant.to_string().into()],
        )
        .await
        .map_err(store)?;
        return Ok(());
    }
    db.execute(
        "INSERT INTO tenant_contacts (tenant_id, email, phone, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET email = excluded.email, phone = excluded.phone,
           updated_at = excluded.updated_at",
        &[
            tenant.to_string().into(),
            Arg::TextOrNull(contact.email.clone()),
            Arg::TextOrNull(contact.phone.as_ref().map(|p| p.as_str().to_owned())),
            Arg::At(now),
        ],
    )
    .await
    .map_err(store)?;
    Ok(())
}

/// A business's contact (empty when it gave none).
///
/// # Errors
///
/// `UNAVAILABLE` when the store fails.
pub async fn contact(db: &Db, tenant: TenantId) -> Result<Contact, EngineError> {
    let row: Option<(Option<String>, Option<String>)> = db
        .fetch_optional_as(
            "SELECT email, phone FROM tenant_contacts WHERE tenant_id = $1",
            &[tenant.to_string().into()],
        )
        .await
        .map_err(store)?;
    let Some((email, phone)) = row else {
        return Ok(Contact::default());
    };
    Ok(Contact {
        email,
        phone: phone
            .as_deref()
            .map(holdfast_domain::guest::Phone::parse)
            .transpose()
            .map_err(EngineError::internal)?,
    })
}
