//! Businesses (the Tenant aggregate): `onboardBusiness` (a signed-in account becomes its
//! owner), `updateBusiness`, `inviteOperator` (a one-time link through the outbox),
//! `acceptInvitation`, `revokeInvitation`, `changeMemberRole`, `removeMember`, and an admin's
//! `suspendBusiness` / `reinstateBusiness`. Each runs once per idempotency key, its events and
//! the key's record in one commit ([`super::once_on`]).
//!
//! Who may: the Tenant aggregate decides from the acting account (`by`): owners manage; a
//! member may leave; an admin (`by = None`) may do anything an owner may, and suspend.
//! Operators whose token an outside provider signed act as that business's admin-less
//! operators: they are not members here, so only an admin or an owner manages membership.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use holdfast_domain::common::{AccountId, Currency, InvitationId, TenantId};
use holdfast_domain::tenant::{
    Branding, BusinessName, HexColour, InviteOperator, LogoRef, Onboard, ProfileUpdate, Role, Slug,
    Tenant, TenantCommand, TenantStatus, parse_time_zone,
};
use holdfast_engine::notify::{NotificationKind, OutboxStore};
use holdfast_engine::{EngineError, Principal, tenants};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::account::{identity, own_account};
use super::{Caller, once_on};
use crate::error::{ApiError, OrApi};
use crate::schema::types::parse_id;

/// Where the site's invitation page is.
pub const INVITATION_PATH: &str = "/account/accept-invitation";
/// How long an invitation works.
pub const INVITATION_DAYS: i64 = 14;

/// A role within a business.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "BusinessRole")]
pub enum BusinessRole {
    /// Manages the business and its members.
    Owner,
    /// Runs the day: listings, inventories, bookings.
    Operator,
}

impl From<BusinessRole> for Role {
    fn from(r: BusinessRole) -> Self {
        match r {
            BusinessRole::Owner => Role::Owner,
            BusinessRole::Operator => Role::Operator,
        }
    }
}

/// Whether a business takes bookings.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusinessStatus {
    /// Takes bookings.
    Active,
    /// Suspended by an admin: takes no bookings; its data stays.
    Suspended,
}

/// What a business mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct BusinessPayload {
    /// The business.
    pub tenant_id: ID,
    /// Its address on the booking site.
    pub slug: String,
    /// Whether it takes bookings.
    pub status: BusinessStatus,
    /// How many members it has.
    pub members: u32,
    /// The invitation this mutation sent or touched, if any.
    pub invitation_id: Option<ID>,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

/// What `onboardBusiness` needs.
#[derive(InputObject, Clone, Debug)]
pub struct OnboardBusinessInput {
    /// 1–100 characters.
    pub name: String,
    /// The booking site's address (`/b/<slug>`): 3–40 of a–z, 0–9, `-`.
    pub slug: String,
    /// An IANA time zone (`Asia/Seoul`): the business's local times.
    pub time_zone: String,
    /// ISO 4217 (`KRW`).
    pub currency: String,
    /// A brand colour, `#rrggbb`.
    pub brand_colour: Option<String>,
    /// A logo (an uploaded image's reference).
    pub logo: Option<String>,
    /// The address guests reach the business at.
    pub contact_email: Option<String>,
    /// The phone guests reach the business at.
    pub contact_phone: Option<String>,
}

/// What `updateBusiness` changes (omitted fields stay).
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateBusinessInput {
    /// A new name.
    pub name: Option<String>,
    /// A new slug (the old address stops working).
    pub slug: Option<String>,
    /// A new time zone.
    pub time_zone: Option<String>,
    /// A new currency.
    pub currency: Option<String>,
    /// A new brand colour (with `logo`, replaces the branding).
    pub brand_colour: Option<String>,
    /// A new logo.
    pub logo: Option<String>,
    /// A new contact address (empty: none).
    pub contact_email: Option<String>,
    /// A new contact phone (empty: none).
    pub contact_phone: Option<String>,
}

pub(super) fn field<T, E: std::fmt::Display>(
    name: &str,
    parsed: Result<T, E>,
) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::invalid(format!("{name}: {e}")))
}

fn branding(colour: Option<&str>, logo: Option<&str>) -> Result<Branding, ApiError> {
    Ok(Branding {
        colour: colour
            .map(|c| field("input.brandColour", HexColour::parse(c)))
            .transpose()?,
        logo: logo
            .map(|l| field("input.logo", LogoRef::parse(l)))
            .transpose()?,
    })
}

fn payload_of(
    id: TenantId,
    tenant: &Tenant,
    invitation: Option<InvitationId>,
) -> Result<BusinessPayload, EngineError> {
    let state = tenant
        .state()
        .ok_or_else(|| EngineError::not_found("business"))?;
    Ok(BusinessPayload {
        tenant_id: ID(id.to_string()),
        slug: state.slug.as_str().to_owned(),
        status: match state.status {
            TenantStatus::Active => BusinessStatus::Active,
            TenantStatus::Suspended => BusinessStatus::Suspended,
        },
        members: u32::try_from(state.members.len()).unwrap_or(u32::MAX),
        invitation_id: invitation.map(|i| ID(i.to_string())),
        consistency_token: None,
    })
}

/// The account acting: `None` for an admin (the aggregate lets admins manage), else the
/// caller's account (`NOT_FOUND` when the token names no account here).
async fn acting(ctx: &Context<'_>) -> Result<Option<AccountId>, ApiError> {
    match ctx.data_opt::<Principal>() {
        Some(Principal::Admin { .. }) => Ok(None),
        _ => Ok(Some(own_account(ctx, identity(ctx)?).await?.id)),
    }
}

/// Runs `command` on business `tenant` once per key.
async fn on_business(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    tenant: TenantId,
    command: TenantCommand,
    invitation: Option<InvitationId>,
) -> Result<BusinessPayload, ApiError> {
    once_on(
        ctx,
        caller,
        &caller.state.commands.tenants,
        tenant.to_string(),
        async { Ok(command) },
        move |t| payload_of(tenant, t, invitation),
    )
    .await
}

fn tenant_arg(id: &ID) -> Result<TenantId, ApiError> {
    parse_id("tenantId", id, TenantId::parse)
}

/// Business mutations.
#[derive(Default)]
pub struct TenantMutation;

#[Object]
impl TenantMutation {
    /// Onboards a business; the signed-in account becomes its owner (sign in again with its
    /// `tenantId` for an operator's session). `ALREADY_EXISTS` when the slug is taken;
    /// `INVALID_INPUT` names a bad field.
    async fn onboard_business(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: OnboardBusinessInput,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let identity = identity(ctx)?;
        let owner = own_account(ctx, identity).await?;
        let slug = field("input.slug", Slug::parse(&input.slug))?;
        let contact = tenants::Contact::parse(
            input.contact_email.as_deref(),
            input.contact_phone.as_deref(),
        )
        .or_api()?;
        let command = Onboard {
            tenant_id: TenantId(caller.derived_id("tenant")),
            name: field("input.name", BusinessName::parse(&input.name))?,
            slug: slug.clone(),
            time_zone: field("input.timeZone", parse_time_zone(&input.time_zone))?,
            currency: field("input.currency", Currency::parse(&input.currency))?,
            branding: branding(input.brand_colour.as_deref(), input.logo.as_deref())?,
            owner: owner.id,
            owner_email: identity.accounts.email_digest(&owner.email),
        };
        let tenant = command.tenant_id;
        let db = caller.state.store.db();
        tenants::claim_slug(db, &slug, tenant, caller.now())
            .await
            .or_api()?;
        let done = once_on(
            ctx,
            &caller,
            &caller.state.commands.tenants,
            tenant.to_string(),
            async { Ok(TenantCommand::Onboard(Box::new(command))) },
            move |t| payload_of(tenant, t, None),
        )
        .await;
        if done.is_ok() {
            tenants::set_contact(db, tenant, &contact, caller.now())
                .await
                .or_api()?;
        } else {
            // Refused (or not done): give the slug back unless the business exists with it.
            let now = caller
                .state
                .commands
                .tenants
                .load(&tenant.to_string())
                .await;
            if now.map(|t| t.state().is_none()).unwrap_or(false) {
                tenants::release_slug(db, &slug, tenant).await.or_api()?;
            }
        }
        Ok(done?)
    }

    /// Changes a business's name, slug, time zone, currency or branding (owners, admins).
    async fn update_business(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        input: UpdateBusinessInput,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = tenant_arg(&tenant_id)?;
        let by = acting(ctx).await?;
        let current = caller
            .state
            .commands
            .tenants
            .load(&tenant.to_string())
            .await
            .or_api()?;
        let Some(state) = current.state() else {
            return Err(ApiError::not_found("business").into());
        };
        if let Some(account) = by
            && state.role_of(account) != Some(Role::Owner)
        {
            return Err(ApiError::forbidden().into());
        }
        let old_slug = state.slug.clone();
        let update = ProfileUpdate {
            name: input
                .name
                .as_deref()
                .map(|n| field("input.name", BusinessName::parse(n)))
                .transpose()?,
            slug: input
                .slug
                .as_deref()
                .map(|s| field("input.slug", Slug::parse(s)))
                .transpose()?,
            time_zone: input
                .time_zone
                .as_deref()
                .map(|z| field("input.timeZone", parse_time_zone(z)))
                .transpose()?,
            currency: input
                .currency
                .as_deref()
                .map(|c| field("input.currency", Currency::parse(c)))
                .transpose()?,
            branding: if input.brand_colour.is_some() || input.logo.is_some() {
                Some(branding(
                    input.brand_colour.as_deref(),
                    input.logo.as_deref(),
                )?)
            } else {
                None
            },
        };
        let db = caller.state.store.db();
        let contact = if input.contact_email.is_some() || input.contact_phone.is_some() {
            let current = tenants::contact(db, tenant).await.or_api()?;
            let given = tenants::Contact::parse(
                input.contact_email.as_deref(),
                input.contact_phone.as_deref(),
            )
            .or_api()?;
            Some(tenants::Contact {
                email: match &input.contact_email {
                    Some(_) => given.email,
                    None => current.email,
                },
                phone: match &input.contact_phone {
                    Some(_) => given.phone,
                    None => current.phone,
                },
            })
        } else {
            None
        };
        let new_slug = update.slug.clone().filter(|s| *s != old_slug);
        if let Some(slug) = &new_slug {
            tenants::claim_slug(db, slug, tenant, caller.now())
                .await
                .or_api()?;
        }
        let done = on_business(
            ctx,
            &caller,
            tenant,
            TenantCommand::UpdateProfile(Box::new(update)),
            None,
        )
        .await;
        if let Some(slug) = &new_slug {
            let now = caller
                .state
                .commands
                .tenants
                .load(&tenant.to_string())
                .await;
            let holds = now.ok().and_then(|t| t.state().map(|s| s.slug.clone()));
            // Release whichever slug the business no longer has.
            if holds.as_ref() == Some(slug) {
                tenants::release_slug(db, &old_slug, tenant)
                    .await
                    .or_api()?;
            } else {
                tenants::release_slug(db, slug, tenant).await.or_api()?;
            }
        }
        if let (Ok(_), Some(contact)) = (&done, &contact) {
            tenants::set_contact(db, tenant, contact, caller.now())
                .await
                .or_api()?;
        }
        Ok(done?)
    }

    /// Invites someone by e-mail to join as `role` (owners, admins): a one-time link goes
    /// out through the outbox, valid for 14 days. `INVALID_STATE` while an invitation to the
    /// address is pending.
    async fn invite_operator(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        email: String,
        role: BusinessRole,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let identity = identity(ctx)?;
        let tenant = tenant_arg(&tenant_id)?;
        let by = acting(ctx).await?;
        let address = holdfast_engine::accounts::normalise_email(&email)
            .map_err(|e| ApiError::invalid(format!("email: {e}")))?;
        let invitation = InvitationId(caller.derived_id("invitation"));
        // A fresh token per attempt: a retry of the key answers the first invitation, and only
        // the committed token's digest is kept (the link is sent only for that one, below).
        let token = holdfast_engine::accounts::new_token();
        let expires_at: DateTime<Utc> = caller.now() + Duration::days(INVITATION_DAYS);
        let command = TenantCommand::Invite(Box::new(InviteOperator {
            invitation_id: invitation,
            email: identity.accounts.email_digest(&address),
            role: role.into(),
            token: holdfast_engine::accounts::secret_digest(&token),
            expires_at,
            invited_by: by,
        }));
        let done = on_business(ctx, &caller, tenant, command, Some(invitation)).await?;
        // Send the link only if this attempt's token is the one kept (a replay of the key
        // answers the first result and sends nothing).
        let business = caller
            .state
            .commands
            .tenants
            .load(&tenant.to_string())
            .await
            .or_api()?;
        let kept = business
            .state()
            .and_then(|s| s.invitations.get(&invitation))
            .is_some_and(|i| i.token == holdfast_engine::accounts::secret_digest(&token));
        if kept {
            caller
                .state
                .store
                .db()
                .execute(
                    "INSERT INTO invitation_addresses (invitation_id, tenant_id, email, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (invitation_id) DO NOTHING",
                    &[
                        invitation.to_string().into(),
                        tenant.to_string().into(),
                        address.as_str().into(),
                        holdfast_eventstore::Arg::At(caller.now()),
                    ],
                )
                .await
                .map_err(ApiError::internal)?;
            let link = format!(
                "{}{INVITATION_PATH}?tenant={tenant}&invitation={invitation}&token={token}",
                identity.public_url
            );
            OutboxStore::new(&caller.state.store)
                .enqueue_message(
                    None,
                    NotificationKind::Invitation,
                    json!({"link": link, "tenant_id": tenant.to_string(),
                           "invitation_id": invitation.to_string(),
                           "business": business.state().map(|s| s.name.as_str().to_owned()),
                           "expires_at": expires_at}),
                    caller.now(),
                )
                .await
                .or_api()?;
        }
        Ok(done)
    }

    /// Accepts an invitation with its link's token, as the signed-in account the invitation
    /// was sent to (`FORBIDDEN` for another address or a wrong token).
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        invitation_id: ID,
        token: String,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let identity = identity(ctx)?;
        let tenant = tenant_arg(&tenant_id)?;
        let invitation = parse_id("invitationId", &invitation_id, InvitationId::parse)?;
        let account = own_account(ctx, identity).await?;
        let command = TenantCommand::AcceptInvitation {
            invitation_id: invitation,
            token: holdfast_engine::accounts::secret_digest(&token),
            email: identity.accounts.email_digest(&account.email),
            account: account.id,
        };
        let done = on_business(ctx, &caller, tenant, command, Some(invitation)).await?;
        forget_address(&caller, invitation).await?;
        Ok(done)
    }

    /// Withdraws a pending invitation (owners, admins).
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        invitation_id: ID,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = tenant_arg(&tenant_id)?;
        let invitation = parse_id("invitationId", &invitation_id, InvitationId::parse)?;
        let by = acting(ctx).await?;
        let command = TenantCommand::RevokeInvitation {
            invitation_id: invitation,
            by,
        };
        let done = on_business(ctx, &caller, tenant, command, Some(invitation)).await?;
        forget_address(&caller, invitation).await?;
        Ok(done)
    }

    /// Gives a member another role (owners, admins; a business keeps one owner at least).
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        account_id: ID,
        role: BusinessRole,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = tenant_arg(&tenant_id)?;
        let account = parse_id("accountId", &account_id, AccountId::parse)?;
        let by = acting(ctx).await?;
        let command = TenantCommand::ChangeRole {
            account,
            role: role.into(),
            by,
        };
        Ok(on_business(ctx, &caller, tenant, command, None).await?)
    }

    /// Removes a member (owners, admins), or leaves (a member removing themselves). Their
    /// operator sessions for the business end at their next refresh.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        account_id: ID,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        let tenant = tenant_arg(&tenant_id)?;
        let account = parse_id("accountId", &account_id, AccountId::parse)?;
        let by = acting(ctx).await?;
        let command = TenantCommand::RemoveMember { account, by };
        Ok(on_business(ctx, &caller, tenant, command, None).await?)
    }

    /// Suspends a business (admins): it takes no bookings until reinstated; its data, its
    /// bookings and its members stay.
    async fn suspend_business(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
        reason: String,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        if !caller.principal.is_admin() {
            return Err(ApiError::forbidden().into());
        }
        let tenant = tenant_arg(&tenant_id)?;
        let command = TenantCommand::Suspend { reason };
        Ok(on_business(ctx, &caller, tenant, command, None).await?)
    }

    /// Lifts a suspension (admins).
    async fn reinstate_business(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        tenant_id: ID,
    ) -> async_graphql::Result<BusinessPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        if !caller.principal.is_admin() {
            return Err(ApiError::forbidden().into());
        }
        let tenant = tenant_arg(&tenant_id)?;
        Ok(on_business(ctx, &caller, tenant, TenantCommand::Reinstate, None).await?)
    }
}

/// Deletes the address an invitation went to (it is accepted or revoked).
async fn forget_address(caller: &Caller<'_>, invitation: InvitationId) -> Result<(), ApiError> {
    caller
        .state
        .store
        .db()
        .execute(
            "DELETE FROM invitation_addresses WHERE invitation_id = $1",
            &[invitation.to_string().into()],
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}
