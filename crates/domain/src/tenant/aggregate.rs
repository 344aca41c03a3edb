//! The business's state and how events fold into it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::TenantCommand;
use super::error::TenantError;
use super::events::TenantEvent;
use super::values::{Branding, BusinessName, Digest, Slug};
use crate::common::{AccountId, Currency, InvitationId, TenantId};
use crate::services::DomainServices;

/// Whether the business takes bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Open for business.
    #[default]
    Active,
    /// Suspended by a platform admin: no bookings, no new members; its data stays.
    Suspended,
}

/// What a member may do in the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything an operator may, plus the profile, members and invitations.
    Owner,
    /// Runs the business day to day: listings, inventories, bookings.
    Operator,
}

/// A member of the business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Their account.
    pub account: AccountId,
    /// Their role.
    pub role: Role,
    /// The digest of their address.
    pub email: Digest,
    /// Since when.
    pub joined_at: DateTime<Utc>,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent, not answered (it may have expired: see [`Invitation::expires_at`]).
    Pending,
    /// Accepted.
    Accepted,
    /// Withdrawn.
    Revoked,
}

/// An invitation to join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// The digest of the address invited.
    pub email: Digest,
    /// The role it gives.
    pub role: Role,
    /// The digest of its token.
    pub token: Digest,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who invited.
    pub invited_by: Option<AccountId>,
    /// Where it stands.
    pub status: InvitationStatus,
    /// Who accepted it.
    pub accepted_by: Option<AccountId>,
}

impl Invitation {
    /// Whether it can still be accepted at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status == InvitationStatus::Pending && now < self.expires_at
    }
}

/// An onboarded business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantState {
    /// The business.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: BusinessName,
    /// Its slug.
    pub slug: Slug,
    /// Its time zone.
    pub time_zone: Tz,
    /// Its currency.
    pub currency: Currency,
    /// Its branding.
    pub branding: Branding,
    /// Whether it takes bookings.
    pub status: TenantStatus,
    /// Why it is suspended.
    pub suspension: Option<String>,
    /// Its members.
    pub members: BTreeMap<AccountId, Member>,
    /// Every invitation it sent.
    pub invitations: BTreeMap<InvitationId, Invitation>,
    /// Its points programme, if it runs one.
    #[serde(default)]
    pub points: Option<crate::points::PointsTerms>,
}

impl TenantState {
    /// The member `account`'s role, if a member.
    pub fn role_of(&self, account: AccountId) -> Option<Role> {
        self.members.get(&account).map(|m| m.role)
    }

    /// How many owners it has.
    pub fn owners(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.role == Role::Owner)
            .count()
    }
}

/// A business using Holdfast (the **Tenant** aggregate).
///
/// Invariants: at least one owner once onboarded; one member per account; one pending,
/// unexpired invitation per address; no member or invitation is added while suspended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    state: Option<TenantState>,
}

impl Tenant {
    /// The business, once onboarded.
    pub fn state(&self) -> Option<&TenantState> {
        self.state.as_ref()
    }
}

impl Aggregate for Tenant {
    const TYPE: &'static str = "Tenant";
    type Command = TenantCommand;
    type Event = TenantEvent;
    type Error = TenantError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        if let TenantEvent::TenantOnboarded {
            tenant_id,
            name,
            slug,
            time_zone,
            currency,
            branding,
            owner,
            owner_email,
            at,
        } = event
        {
            let member = Member {
                account: owner,
                role: Role::Owner,
                email: owner_email,
                joined_at: at,
            };
            self.state = Some(TenantState {
                tenant_id,
                name,
                slug,
                time_zone,
                currency,
                branding,
                status: TenantStatus::Active,
                suspension: None,
                members: BTreeMap::from([(owner, member)]),
                invitations: BTreeMap::new(),
                points: None,
            });
            return;
        }
        let Some(state) = self.state.as_mut() else {
            return;
        };
        match event {
            TenantEvent::TenantOnboarded { .. } => {}
            TenantEvent::TenantProfileUpdated {
                name,
                slug,
                time_zone,
                currency,
                branding,
                ..
            } => {
                state.name = name;
                state.slug = slug;
                state.time_zone = time_zone;
                state.currency = currency;
                state.branding = branding;
            }
            TenantEvent::OperatorInvited {
                invitation_id,
                email,
                role,
                token,
                expires_at,
                invited_by,
                ..
            } => {
                state.invitations.insert(
                    invitation_id,
                    Invitation {
                        email,
                        role,
                        token,
                        expires_at,
                        invited_by,
                        status: InvitationStatus::Pending,
                        accepted_by: None,
                    },
                );
            }
            TenantEvent::InvitationAccepted {
                invitation_id,
                account,
                email,
                role,
                at,
                ..
            } => {
                if let Some(invitation) = state.invitations.get_mut(&invitation_id) {
                    invitation.status = InvitationStatus::Accepted;
                    invitation.accepted_by = Some(account);
                }
                state.members.insert(
                    account,
                    Member {
                        account,
                        role,
                        email,
                        joined_at: at,
                    },
                );
            }
            TenantEvent::InvitationRevoked { invitation_id, .. } => {
                if let Some(invitation) = state.invitations.get_mut(&invitation_id) {
                    invitation.status = InvitationStatus::Revoked;
                }
            }
            TenantEvent::MemberRoleChanged { account, role, .. } => {
                if let Some(member) = state.members.get_mut(&account) {
                    member.role = role;
                }
            }
            TenantEvent::MemberRemoved { account, .. } => {
                state.members.remove(&account);
            }
            TenantEvent::TenantSuspended { reason, .. } => {
                state.status = TenantStatus::Suspended;
                state.suspension = Some(reason);
            }
            TenantEvent::TenantReinstated { .. } => {
                state.status = TenantStatus::Active;
                state.suspension = None;
            }
            TenantEvent::TenantPointsProgramSet { terms, .. } => {
                state.points = terms;
            }
        }
    }
}
