//! `business(slug | id)`: a business's public face (name, address, time zone, currency,
//! branding, whether it takes bookings) — what the booking site shows, for anyone. Its members
//! are for its owners and admins (`members`).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use holdfast_domain::common::TenantId;
use holdfast_domain::tenant::{Role, Slug, TenantStatus};
use holdfast_engine::tenants;

use crate::error::{ApiError, OrApi};
use crate::schema::context::{principal, state};
use crate::schema::mutation::tenant::{BusinessRole, BusinessStatus};
use crate::schema::types::parse_id;

/// A member of a business.
#[derive(SimpleObject, Clone, Debug)]
pub struct BusinessMember {
    /// Their account.
    pub account_id: ID,
    /// Their role.
    pub role: BusinessRole,
    /// When they joined.
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

/// A business as the booking site shows it.
#[derive(SimpleObject, Clone, Debug)]
pub struct Business {
    /// The business.
    pub tenant_id: ID,
    /// Its name.
    pub name: String,
    /// Its address on the booking site.
    pub slug: String,
    /// Its IANA time zone (the zone of its local times).
    pub time_zone: String,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// Its brand colour, `#rrggbb`.
    pub brand_colour: Option<String>,
    /// Its logo reference.
    pub logo: Option<String>,
    /// Whether it takes bookings.
    pub status: BusinessStatus,
    /// The address guests reach it at.
    pub contact_email: Option<String>,
    /// The phone guests reach it at.
    pub contact_phone: Option<String>,
    /// Its members (its owners and admins see them; empty for anyone else).
    pub members: Vec<BusinessMember>,
    /// Its points programme, if it runs one (public: guests see what they earn).
    pub points_program: Option<crate::schema::mutation::points::PointsProgram>,
}

/// Business queries.
#[derive(Default)]
pub struct TenantQuery;

#[Object]
impl TenantQuery {
    /// A business by its slug or its id (one of them; `NOT_FOUND` when none has it).
    async fn business(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        tenant_id: Option<ID>,
    ) -> Result<Business> {
        let engine = state(ctx);
        let tenant = match (slug, tenant_id) {
            (Some(slug), None) => {
                let slug = Slug::parse(&slug).map_err(|_| ApiError::not_found("business"))?;
                tenants::owner_of(engine.store.db(), &slug)
                    .await
                    .or_api()?
                    .ok_or_else(|| ApiError::not_found("business"))?
            }
            (None, Some(id)) => parse_id("tenantId", &id, TenantId::parse)?,
            _ => {
                return Err(ApiError::invalid("give one of slug and tenantId").into());
            }
        };
        let business = engine
            .commands
            .tenants
            .load(&tenant.to_string())
            .await
            .or_api()?;
        let state = business
            .state()
            .ok_or_else(|| ApiError::not_found("business"))?;
        let who = principal(ctx);
        let sees_members = who.is_admin()
            || match who {
                holdfast_engine::Principal::Operator { tenant: t, sub } if *t == tenant => {
                    holdfast_domain::common::AccountId::parse(sub)
                        .ok()
                        .and_then(|a| state.role_of(a))
                        == Some(Role::Owner)
                }
                _ => false,
            };
        let contact = tenants::contact(engine.store.db(), tenant).await.or_api()?;
        Ok(Business {
            contact_email: contact.email,
            contact_phone: contact.phone.map(|p| p.as_str().to_owned()),
            tenant_id: ID(tenant.to_string()),
            name: state.name.as_str().to_owned(),
            slug: state.slug.as_str().to_owned(),
            time_zone: state.time_zone.name().to_owned(),
            currency: state.currency.to_string(),
            brand_colour: state
                .branding
                .colour
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            logo: state.branding.logo.as_ref().map(|l| l.as_str().to_owned()),
            status: match state.status {
                TenantStatus::Active => BusinessStatus::Active,
                TenantStatus::Suspended => BusinessStatus::Suspended,
            },
            points_program: state.points.map(Into::into),
            members: if sees_members {
                state
                    .members
                    .values()
                    .map(|m| BusinessMember {
                        account_id: ID(m.account.to_string()),
                        role: match m.role {
                            Role::Owner => BusinessRole::Owner,
                            Role::Operator => BusinessRole::Operator,
                        },
                        joined_at: m.joined_at,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        })
    }
}
