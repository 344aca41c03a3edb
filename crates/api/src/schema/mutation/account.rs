//! Accounts and guest profiles: `signUp`, `signIn`, `refreshSession`, `signOut`,
//! `signOutEverywhere`, `requestEmailVerification`, `verifyEmail`, `requestPasswordReset`,
//! `resetPassword`, `updateMyProfile`, `forgetGuest`.
//!
//! These take no idempotency key: a second `signUp` of an address is `ALREADY_EXISTS`, a
//! second sign-in is another session, a refresh token works once by design, and the rest set
//! a state (verified, forgotten, a profile) that repeating leaves as it is.
//!
//! Sign-in failures say one thing (`UNAUTHENTICATED`, "wrong e-mail address or password")
//! whether the address has an account or not, after the same work (an Argon2id check either
//! way); `requestPasswordReset` answers `true` for any address.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use holdfast_domain::common::{AccountId, GuestId, TenantId};
use holdfast_domain::guest::Language;
use holdfast_engine::accounts::{Account, LinkPurpose};
use holdfast_engine::notify::{NotificationKind, OutboxStore};
use holdfast_engine::profiles::ProfileInput;
use holdfast_engine::{Engine, Principal};
use serde_json::json;

use crate::error::{ApiError, ErrorCode, OrApi};
use crate::identity::{Identity, SessionOf};
use crate::schema::context::{authenticated, state};
use crate::schema::types::account::{AuthSession, GuestProfileGql, GuestProfileInput, SignUpInput};
use crate::schema::types::parse_id;

/// Where the site's e-mail verification page is.
pub const VERIFY_PATH: &str = "/account/verify-email";
/// Where the site's password reset page is.
pub const RESET_PATH: &str = "/account/reset-password";

pub(crate) fn identity<'a>(ctx: &Context<'a>) -> Result<&'a Arc<Identity>, ApiError> {
    ctx.data_opt::<Arc<Identity>>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidState,
            "this deployment signs people in with its identity provider; accounts are not kept here",
        )
    })
}

pub(crate) fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    state(ctx).services.clock.now()
}

/// The account of the signed-in caller: a guest's (by guest id) or an operator's (by the
/// token's subject). `NOT_FOUND` when the token names no account here (a token an outside
/// provider or `holdfast token` minted).
pub(crate) async fn own_account(
    ctx: &Context<'_>,
    identity: &Identity,
) -> Result<Account, ApiError> {
    let found = match authenticated(ctx)? {
        Principal::Guest { guest } => identity.accounts.account_of_guest(*guest).await.or_api()?,
        Principal::Operator { sub, .. } | Principal::Admin { sub } => match AccountId::parse(sub) {
            Ok(id) => identity.accounts.account(id).await.or_api()?,
            Err(_) => None,
        },
        Principal::Anonymous => None,
    };
    found.ok_or_else(|| ApiError::not_found("account"))
}

/// Makes a one-time link for `account` and queues it as a message through the outbox.
async fn send_link(
    engine: &Engine,
    identity: &Identity,
    account: &Account,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let token = identity
        .accounts
        .create_link(account.id, purpose, now)
        .await
        .or_api()?;
    queue_link(engine, identity, account, purpose, &token, now).await
}

/// Queues the link with `token` to `account` as a message through the outbox.
async fn queue_link(
    engine: &Engine,
    identity: &Identity,
    account: &Account,
    purpose: LinkPurpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (kind, path) = match purpose {
        LinkPurpose::VerifyEmail => (NotificationKind::VerifyEmail, VERIFY_PATH),
        LinkPurpose::ResetPassword => (NotificationKind::ResetPassword, RESET_PATH),
    };
    let language = engine
        .profiles
        .get(account.guest)
        .await
        .or_api()?
        .map(|p| p.language)
        .unwrap_or_default();
    OutboxStore::new(&engine.store)
        .enqueue_message(
            Some(&account.id.to_string()),
            kind,
            json!({
                "link": identity.link(path, token),
                "language": language.as_str(),
                "guest_id": account.guest.to_string(),
                "expires_in_minutes": match purpose {
                    LinkPurpose::VerifyEmail => holdfast_engine::accounts::VERIFY_LIFETIME_HOURS * 60,
                    LinkPurpose::ResetPassword => holdfast_engine::accounts::RESET_LIFETIME_MINUTES,
                },
            }),
            now,
        )
        .await.or_api()?;
    Ok(())
}

/// Whether `account` may act for `tenant`: a member of the business, which must exist.
async fn member_of(
    engine: &Engine,
    tenant: TenantId,
    account: AccountId,
) -> Result<bool, ApiError> {
    let business = engine
        .commands
        .tenants
        .load(&tenant.to_string())
        .await
        .map_err(ApiError::internal)?;
    Ok(business.state().and_then(|s| s.role_of(account)).is_some())
}

async fn start(
    identity: &Identity,
    session: SessionOf,
    now: DateTime<Utc>,
) -> Result<AuthSession, ApiError> {
    let refresh = identity
        .accounts
        .start_session(session.account, session.tenant, now)
        .await
        .or_api()?;
    let tokens = identity
        .tokens(session, refresh)
        .map_err(ApiError::internal)?;
    Ok(AuthSession::new(session, tokens))
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and its guest profile, sends a verification link to the address,
    /// and signs in. `INVALID_INPUT` names a bad field (nothing is created);
    /// `ALREADY_EXISTS` when the address has an account.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<AuthSession> {
        let identity = identity(ctx)?;
        let engine = state(ctx);
        let now = now(ctx);
        let profile = ProfileInput {
            name: input.name.clone(),
            phone: input.phone.clone(),
            email: Some(input.email.clone()),
            language: Language::from(
                input
                    .language
                    .unwrap_or(crate::schema::types::account::LanguageGql::Ko),
            )
            .as_str()
            .to_owned(),
        };
        // Every field is checked before anything is kept.
        profile.check(GuestId::new(), now).or_api()?;
        let account = identity
            .accounts
            .sign_up(&input.email, &input.password, now)
            .await
            .or_api()?;
        engine
            .profiles
            .put(account.guest, &profile, now)
            .await
            .or_api()?;
        send_link(engine, identity, &account, LinkPurpose::VerifyEmail, now)
            .await
            .or_api()?;
        let session = SessionOf {
            account: account.id,
            guest: account.guest,
            tenant: None,
        };
        Ok(start(identity, session, now).await.or_api()?)
    }

    /// Signs in with an address and password: a guest's session, or — with `tenantId` — an
    /// operator's session for that business (`FORBIDDEN` unless a member of it).
    /// `UNAUTHENTICATED` for a wrong address or password (never said apart); `CONFLICT`
    /// while the address is locked after repeated failures.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        tenant_id: Option<ID>,
    ) -> async_graphql::Result<AuthSession> {
        let identity = identity(ctx)?;
        let engine = state(ctx);
        let tenant = tenant_id
            .as_ref()
            .map(|t| parse_id("tenantId", t, TenantId::parse))
            .transpose()?;
        let account = identity
            .accounts
            .sign_in(&email, &password, now(ctx))
            .await
            .or_api()?;
        if let Some(tenant) = tenant
            && !member_of(engine, tenant, account.id).await.or_api()?
        {
            return Err(ApiError::forbidden().into());
        }
        let session = SessionOf {
            account: account.id,
            guest: account.guest,
            tenant,
        };
        Ok(start(identity, session, now(ctx)).await.or_api()?)
    }

    /// The next access and refresh tokens for a refresh token (which is used up).
    /// `UNAUTHENTICATED` for an unknown, expired or revoked token; for a token used before,
    /// the whole session is ended. An operator's session that no longer belongs to the
    /// business is ended too (`FORBIDDEN`).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthSession> {
        let identity = identity(ctx)?;
        let now = now(ctx);
        let (session, refresh) = identity
            .accounts
            .refresh(&refresh_token, now)
            .await
            .or_api()?;
        if let Some(tenant) = session.tenant
            && !member_of(state(ctx), tenant, session.account)
                .await
                .or_api()?
        {
            identity
                .accounts
                .end_session(&refresh.token, now)
                .await
                .or_api()?;
            return Err(ApiError::forbidden().into());
        }
        let session = SessionOf {
            account: session.account,
            guest: session.guest,
            tenant: session.tenant,
        };
        let tokens = identity
            .tokens(session, refresh)
            .map_err(ApiError::internal)?;
        Ok(AuthSession::new(session, tokens))
    }

    /// Ends the session of a refresh token (signing out on this device). Always `true`.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .accounts
            .end_session(&refresh_token, now(ctx))
            .await
            .or_api()?;
        Ok(true)
    }

    /// Ends every session of the caller's account; how many were live. Access tokens already
    /// issued run out within 15 minutes.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let identity = identity(ctx)?;
        let account = own_account(ctx, identity).await.or_api()?;
        let ended = identity
            .accounts
            .sign_out_everywhere(account.id, now(ctx))
            .await
            .or_api()?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }

    /// Sends the caller a new verification link. `INVALID_STATE` when already verified.
    async fn request_email_verification(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let identity = identity(ctx)?;
        let account = own_account(ctx, identity).await.or_api()?;
        if account.email_verified_at.is_some() {
            return Err(
                ApiError::new(ErrorCode::InvalidState, "this address is verified already").into(),
            );
        }
        send_link(
            state(ctx),
            identity,
            &account,
            LinkPurpose::VerifyEmail,
            now(ctx),
        )
        .await
        .or_api()?;
        Ok(true)
    }

    /// Proves an address with the token of its verification link (no sign-in needed).
    /// `INVALID_INPUT` for an unknown, used or expired token.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<bool> {
        identity(ctx)?
            .accounts
            .verify_email(&token, now(ctx))
            .await
            .or_api()?;
        Ok(true)
    }

    /// Sends a password reset link to the address if it has an account. Always `true` (it
    /// says nothing about whether the address has an account).
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let identity = identity(ctx)?;
        let now = now(ctx);
        if let Some((account, token)) = identity
            .accounts
            .request_password_reset(&email, now)
            .await
            .or_api()?
        {
            let purpose = LinkPurpose::ResetPassword;
            queue_link(state(ctx), identity, &account, purpose, &token, now)
                .await
                .or_api()?;
        }
        Ok(true)
    }

    /// Sets a new password with the token of a reset link; every session of the account
    /// ends. `INVALID_INPUT` for a bad password or an unknown, used or expired token.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        identity(ctx)?
            .accounts
            .reset_password(&token, &new_password, now(ctx))
            .await
            .or_api()?;
        Ok(true)
    }

    /// Sets the calling guest's contact details (guests only). `INVALID_INPUT` names a bad
    /// field; nothing changes then.
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: GuestProfileInput,
    ) -> async_graphql::Result<GuestProfileGql> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let engine = state(ctx);
        let kept = engine
            .profiles
            .put(*guest, &ProfileInput::from(&input), now(ctx))
            .await
            .or_api()?;
        Ok(kept.into())
    }

    /// Turns one kind of notification on or off for the calling guest (e-mail and SMS; guests
    /// only). `INVALID_INPUT` to turn off a kind a booking needs (confirmed, cancelled,
    /// rejected, refunded, late payment). Returns every preference.
    async fn set_notification_preference(
        &self,
        ctx: &Context<'_>,
        kind: crate::schema::types::notification::NotificationKindGql,
        enabled: bool,
    ) -> async_graphql::Result<Vec<crate::schema::types::account::NotificationPreference>> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let kind = NotificationKind::from(kind);
        if kind.is_account_message() {
            return Err(ApiError::invalid("kind: not a booking's notification").into());
        }
        let opt_outs = holdfast_engine::notify::preferences::OptOuts::new(&state(ctx).store);
        opt_outs
            .set(*guest, kind, enabled, now(ctx))
            .await
            .or_api()?;
        let off = opt_outs.off(*guest).await.or_api()?;
        Ok(crate::schema::types::account::preferences(&off))
    }

    /// Forgets a guest: their profile, account, sessions, queued messages, reviews' words and
    /// review photos are deleted;
    /// their bookings stay, naming no one. The guest themselves or an admin (`FORBIDDEN` for
    /// anyone else). `true` when something was kept about them.
    async fn forget_guest(&self, ctx: &Context<'_>, guest_id: ID) -> async_graphql::Result<bool> {
        let guest = parse_id("guestId", &guest_id, GuestId::parse)?;
        if !authenticated(ctx)?.is_guest_or_admin(guest) {
            return Err(ApiError::forbidden().into());
        }
        // Their review photos' objects first: if a deletion fails, the rows still name them
        // and forgetting again finishes the job.
        let photos = holdfast_engine::reviews::photos_of_guest(state(ctx).store.db(), guest)
            .await
            .or_api()?;
        if !photos.is_empty() {
            let store = ctx
                .data_opt::<std::sync::Arc<holdfast_engine::photos::PhotoStore>>()
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unavailable,
                        "this server keeps no photos; cannot delete them",
                    )
                })?;
            for photo in &photos {
                store
                    .delete(&photo.photo_id, &photo.widths)
                    .await
                    .map_err(|e| ApiError(holdfast_engine::EngineError::from(e)))?;
            }
        }
        Ok(state(ctx).forget_guest(guest).await.or_api()?)
    }
}
