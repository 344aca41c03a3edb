//! The rules of a business.

use chrono::{DateTime, Duration, Utc};

use super::aggregate::{InvitationStatus, Role, Tenant, TenantState, TenantStatus};
use super::commands::{InviteOperator, Onboard, ProfileUpdate, TenantCommand};
use super::error::TenantError;
use super::events::TenantEvent;
use super::values::Digest;
use crate::common::{AccountId, InvitationId};
use crate::decide::Decide;
use crate::services::DomainServices;

/// The longest an invitation stays open.
pub const INVITATION_MAX_DAYS: i64 = 30;
/// The longest suspension reason, in characters.
pub const REASON_MAX: usize = 500;

impl Decide for Tenant {
    fn decide(
        &self,
        command: TenantCommand,
        services: &DomainServices,
    ) -> Result<Vec<TenantEvent>, TenantError> {
        let now = services.clock.now();
        if let TenantCommand::Onboard(onboard) = command {
            return onboarded(self.state(), *onboard, now);
        }
        let state = self.state().ok_or(TenantError::NotOnboarded)?;
        match command {
            TenantCommand::Onboard(_) => unreachable!("decided above"),
            TenantCommand::UpdateProfile(update) => Ok(update_profile(state, *update, now)),
            TenantCommand::Invite(invite) => invite_operator(state, *invite, now),
            TenantCommand::AcceptInvitation {
                invitation_id,
                token,
                email,
                account,
            } => accept(state, invitation_id, &token, email, account, now),
            TenantCommand::RevokeInvitation { invitation_id, by } => {
                revoke(state, invitation_id, by, now)
            }
            TenantCommand::ChangeRole { account, role, by } => {
                change_role(state, account, role, by, now)
            }
            TenantCommand::RemoveMember { account, by } => remove(state, account, by, now),
            TenantCommand::Suspend { reason } => suspend(state, &reason, now),
            TenantCommand::Reinstate => match state.status {
                TenantStatus::Suspended => Ok(vec![TenantEvent::TenantReinstated {
                    tenant_id: state.tenant_id,
                    at: now,
                }]),
                status => Err(TenantError::NotSuspended { status }),
            },
            TenantCommand::SetPointsProgram { terms } => {
                if state.points == terms {
                    return Ok(vec![]);
                }
                Ok(vec![TenantEvent::TenantPointsProgramSet {
                    tenant_id: state.tenant_id,
                    terms,
                    at: now,
                }])
            }
        }
    }
}

fn onboarded(
    state: Option<&TenantState>,
    o: Onboard,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    if let Some(existing) = state {
        // The same sign-up again (a retry): nothing new.
        let same = existing.tenant_id == o.tenant_id
            && existing.name == o.name
            && existing.slug == o.slug
            && existing.time_zone == o.time_zone
            && existing.currency == o.currency
            && existing.branding == o.branding
            && existing.role_of(o.owner) == Some(Role::Owner);
        return if same {
            Ok(vec![])
        } else {
            Err(TenantError::AlreadyOnboarded)
        };
    }
    Ok(vec![TenantEvent::TenantOnboarded {
        tenant_id: o.tenant_id,
        name: o.name,
        slug: o.slug,
        time_zone: o.time_zone,
        currency: o.currency,
        branding: o.branding,
        owner: o.owner,
        owner_email: o.owner_email,
        at: now,
    }])
}

fn update_profile(state: &TenantState, u: ProfileUpdate, now: DateTime<Utc>) -> Vec<TenantEvent> {
    let name = u.name.unwrap_or_else(|| state.name.clone());
    let slug = u.slug.unwrap_or_else(|| state.slug.clone());
    let time_zone = u.time_zone.unwrap_or(state.time_zone);
    let currency = u.currency.unwrap_or(state.currency);
    let branding = u.branding.unwrap_or_else(|| state.branding.clone());
    let unchanged = name == state.name
        && slug == state.slug
        && time_zone == state.time_zone
        && currency == state.currency
        && branding == state.branding;
    if unchanged {
        return vec![];
    }
    vec![TenantEvent::TenantProfileUpdated {
        tenant_id: state.tenant_id,
        name,
        slug,
        time_zone,
        currency,
        branding,
        at: now,
    }]
}

/// `Ok` if `by` may manage members: a platform admin (`None`) or an owner.
fn owner_or_admin(state: &TenantState, by: Option<AccountId>) -> Result<(), TenantError> {
    match by {
        None => Ok(()),
        Some(account) if state.role_of(account) == Some(Role::Owner) => Ok(()),
        Some(account) => Err(TenantError::NotAnOwner { account }),
    }
}

fn invite_operator(
    state: &TenantState,
    i: InviteOperator,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    if let Some(existing) = state.invitations.get(&i.invitation_id) {
        // The same invitation again (a retry): nothing new.
        let same = existing.email == i.email
            && existing.role == i.role
            && existing.token == i.token
            && existing.expires_at == i.expires_at
            && existing.invited_by == i.invited_by;
        return if same {
            Ok(vec![])
        } else {
            Err(TenantError::InvitationIdTaken {
                invitation: i.invitation_id,
            })
        };
    }
    if state.status == TenantStatus::Suspended {
        return Err(TenantError::Suspended);
    }
    owner_or_admin(state, i.invited_by)?;
    if i.expires_at <= now || i.expires_at > now + Duration::days(INVITATION_MAX_DAYS) {
        return Err(TenantError::InvalidExpiry);
    }
    if state.members.values().any(|m| m.email == i.email) {
        return Err(TenantError::AlreadyAMember);
    }
    if let Some((id, _)) = state
        .invitations
        .iter()
        .find(|(_, inv)| inv.email == i.email && inv.is_open(now))
    {
        return Err(TenantError::AlreadyInvited { invitation: *id });
    }
    Ok(vec![TenantEvent::OperatorInvited {
        tenant_id: state.tenant_id,
        invitation_id: i.invitation_id,
        email: i.email,
        role: i.role,
        token: i.token,
        expires_at: i.expires_at,
        invited_by: i.invited_by,
        at: now,
    }])
}

fn accept(
    state: &TenantState,
    invitation_id: InvitationId,
    token: &Digest,
    email: Digest,
    account: AccountId,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    let invitation =
        state
            .invitations
            .get(&invitation_id)
            .ok_or(TenantError::NoSuchInvitation {
                invitation: invitation_id,
            })?;
    // The token and the address are checked before anything is said about the invitation's
    // state, so a wrong link learns nothing.
    if &invitation.token != token || invitation.email != email {
        return Err(TenantError::WrongInvitationToken {
            invitation: invitation_id,
        });
    }
    match invitation.status {
        // Accepted by this account already (a retry): nothing new.
        InvitationStatus::Accepted if invitation.accepted_by == Some(account) => return Ok(vec![]),
        InvitationStatus::Pending => {}
        status => {
            return Err(TenantError::InvitationClosed {
                invitation: invitation_id,
                status,
            });
        }
    }
    if now >= invitation.expires_at {
        return Err(TenantError::InvitationExpired {
            invitation: invitation_id,
        });
    }
    if state.status == TenantStatus::Suspended {
        return Err(TenantError::Suspended);
    }
    if state.members.contains_key(&account) {
        return Err(TenantError::AlreadyAMember);
    }
    Ok(vec![TenantEvent::InvitationAccepted {
        tenant_id: state.tenant_id,
        invitation_id,
        account,
        email,
        role: invitation.role,
        at: now,
    }])
}

fn revoke(
    state: &TenantState,
    invitation_id: InvitationId,
    by: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    owner_or_admin(state, by)?;
    let invitation =
        state
            .invitations
            .get(&invitation_id)
            .ok_or(TenantError::NoSuchInvitation {
                invitation: invitation_id,
            })?;
    match invitation.status {
        InvitationStatus::Revoked => Ok(vec![]),
        InvitationStatus::Accepted => Err(TenantError::InvitationClosed {
            invitation: invitation_id,
            status: InvitationStatus::Accepted,
        }),
        InvitationStatus::Pending => Ok(vec![TenantEvent::InvitationRevoked {
            tenant_id: state.tenant_id,
            invitation_id,
            at: now,
        }]),
    }
}

fn change_role(
    state: &TenantState,
    account: AccountId,
    role: Role,
    by: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    owner_or_admin(state, by)?;
    let current = state
        .role_of(account)
        .ok_or(TenantError::NotAMember { account })?;
    if current == role {
        return Ok(vec![]);
    }
    if current == Role::Owner && state.owners() == 1 {
        return Err(TenantError::LastOwner);
    }
    Ok(vec![TenantEvent::MemberRoleChanged {
        tenant_id: state.tenant_id,
        account,
        role,
        at: now,
    }])
}

fn remove(
    state: &TenantState,
    account: AccountId,
    by: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    if by != Some(account) {
        owner_or_admin(state, by)?;
    }
    let role = state
        .role_of(account)
        .ok_or(TenantError::NotAMember { account })?;
    if role == Role::Owner && state.owners() == 1 {
        return Err(TenantError::LastOwner);
    }
    Ok(vec![TenantEvent::MemberRemoved {
        tenant_id: state.tenant_id,
        account,
        at: now,
    }])
}

fn suspend(
    state: &TenantState,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TenantEvent>, TenantError> {
    let reason = reason.trim();
    let length = reason.chars().count();
    if length == 0 || length > REASON_MAX || reason.chars().any(char::is_control) {
        return Err(TenantError::InvalidReason);
    }
    match (&state.status, &state.suspension) {
        (TenantStatus::Suspended, Some(current)) if current == reason => Ok(vec![]),
        (TenantStatus::Suspended, current) => Err(TenantError::AlreadySuspended {
            reason: current.clone().unwrap_or_default(),
        }),
        (TenantStatus::Active, _) => Ok(vec![TenantEvent::TenantSuspended {
            tenant_id: state.tenant_id,
            reason: reason.to_owned(),
            at: now,
        }]),
    }
}
