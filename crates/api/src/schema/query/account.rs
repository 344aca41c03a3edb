//! `me` (the signed-in person: account, address, profile) and `guestProfile` (a guest's own,
//! or any for an admin). Operators see a guest's profile only beside a booking of their
//! business (`Booking.guest`, `DaySheetEntry.guest`).

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use holdfast_domain::common::{AccountId, GuestId};
use holdfast_engine::Principal;

use crate::error::{ApiError, OrApi};
use crate::identity::Identity;
use crate::schema::context::{authenticated, state};
use crate::schema::types::account::{GuestProfileGql, Me};
use crate::schema::types::parse_id;

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in person (`UNAUTHENTICATED` without a token). A guest's profile; their
    /// account's address when the account is kept here.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let principal = authenticated(ctx)?;
        let identity = ctx.data_opt::<Arc<Identity>>();
        let account = match (identity, principal) {
            (Some(identity), Principal::Guest { guest }) => {
                identity.accounts.account_of_guest(*guest).await.or_api()?
            }
            (Some(identity), Principal::Operator { sub, .. } | Principal::Admin { sub }) => {
                match AccountId::parse(sub) {
                    Ok(id) => identity.accounts.account(id).await.or_api()?,
                    Err(_) => None,
                }
            }
            _ => None,
        };
        let guest = match (principal, &account) {
            (Principal::Guest { guest }, _) => Some(*guest),
            (_, Some(account)) => Some(account.guest),
            _ => None,
        };
        let profile = match guest {
            Some(guest) => state(ctx).profiles.get(guest).await.or_api()?,
            None => None,
        };
        Ok(Me {
            account_id: account.as_ref().map(|a| ID(a.id.to_string())),
            guest_id: guest.map(|g| ID(g.to_string())),
            email: account.as_ref().map(|a| a.email.clone()),
            email_verified: account
                .as_ref()
                .is_some_and(|a| a.email_verified_at.is_some()),
            profile: profile.map(Into::into),
        })
    }

    /// The calling guest's notification preferences (guests only).
    async fn my_notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::schema::types::account::NotificationPreference>> {
        let Principal::Guest { guest } = authenticated(ctx)? else {
            return Err(ApiError::forbidden().into());
        };
        let off = holdfast_engine::notify::preferences::OptOuts::new(&state(ctx).store)
            .off(*guest)
            .await
            .or_api()?;
        Ok(crate::schema::types::account::preferences(&off))
    }

    /// A guest's profile: the guest themselves or an admin (`NOT_FOUND` for anyone else, as
    /// for a guest with no profile).
    async fn guest_profile(&self, ctx: &Context<'_>, guest_id: ID) -> Result<GuestProfileGql> {
        let guest = parse_id("guestId", &guest_id, GuestId::parse)?;
        if !authenticated(ctx)?.is_guest_or_admin(guest) {
            return Err(ApiError::not_found("guest profile").into());
        }
        Ok(state(ctx)
            .profiles
            .get(guest)
            .await
            .or_api()?
            .ok_or_else(|| ApiError::not_found("guest profile"))?
            .into())
    }
}
