//! What happened to a business. No personal data: accounts by id, addresses and tokens by
//! digest.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::aggregate::Role;
use super::values::{Branding, BusinessName, Digest, Slug};
use crate::common::{AccountId, Currency, InvitationId, TenantId};

/// An event of the Tenant aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TenantEvent {
    /// The business signed up.
    TenantOnboarded {
        /// The business.
        tenant_id: TenantId,
        /// Its name.
        name: BusinessName,
        /// Its slug.
        slug: Slug,
        /// Its time zone.
        time_zone: Tz,
        /// Its currency.
        currency: Currency,
        /// Its branding.
        branding: Branding,
        /// Its first owner.
        owner: AccountId,
        /// The digest of the owner's address.
        owner_email: Digest,
        /// When.
        at: DateTime<Utc>,
    },
    /// Its profile changed (the whole profile after the change).
    TenantProfileUpdated {
        /// The business.
        tenant_id: TenantId,
        /// Its name.
        name: BusinessName,
        /// Its slug.
        slug: Slug,
        /// Its time zone.
        time_zone: Tz,
        /// Its currency.
        currency: Currency,
        /// Its branding.
        branding: Branding,
        /// When.
        at: DateTime<Utc>,
    },
    /// Someone was invited.
    OperatorInvited {
        /// The business.
        tenant_id: TenantId,
        /// The invitation.
        invitation_id: InvitationId,
        /// The digest of the address invited.
        email: Digest,
        /// The role it gives.
        role: Role,
        /// The digest of its token.
        token: Digest,
        /// When it stops working.
        expires_at: DateTime<Utc>,
        /// Who invited (`None`: a platform admin).
        invited_by: Option<AccountId>,
        /// When.
        at: DateTime<Utc>,
    },
    /// An invitation was accepted: a new member.
    InvitationAccepted {
        /// The business.
        tenant_id: TenantId,
        /// The invitation.
        invitation_id: InvitationId,
        /// The new member.
        account: AccountId,
        /// The digest of their address.
        email: Digest,
        /// Their role.
        role: Role,
        /// When.
        at: DateTime<Utc>,
    },
    /// A pending invitation was withdrawn.
    InvitationRevoked {
        /// The business.
        tenant_id: TenantId,
        /// The invitation.
        invitation_id: InvitationId,
        /// When.
        at: DateTime<Utc>,
    },
    /// A member's role changed.
    MemberRoleChanged {
        /// The business.
        tenant_id: TenantId,
        /// The member.
        account: AccountId,
        /// The new role.
        role: Role,
        /// When.
        at: DateTime<Utc>,
    },
    /// A member left or was removed.
    MemberRemoved {
        /// The business.
        tenant_id: TenantId,
        /// The former member.
        account: AccountId,
        /// When.
        at: DateTime<Utc>,
    },
    /// A platform admin suspended the business.
    TenantSuspended {
        /// The business.
        tenant_id: TenantId,
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The suspension was lifted.
    TenantReinstated {
        /// The business.
        tenant_id: TenantId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The points programme started, changed or (`None`) ended.
    TenantPointsProgramSet {
        /// The business.
        tenant_id: TenantId,
        /// The terms from now on.
        terms: Option<crate::points::PointsTerms>,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for TenantEvent {
    fn event_type(&self) -> String {
        match self {
            Self::TenantOnboarded { .. } => "TenantOnboarded",
            Self::TenantProfileUpdated { .. } => "TenantProfileUpdated",
            Self::OperatorInvited { .. } => "OperatorInvited",
            Self::InvitationAccepted { .. } => "InvitationAccepted",
            Self::InvitationRevoked { .. } => "InvitationRevoked",
            Self::MemberRoleChanged { .. } => "MemberRoleChanged",
            Self::MemberRemoved { .. } => "MemberRemoved",
            Self::TenantSuspended { .. } => "TenantSuspended",
            Self::TenantReinstated { .. } => "TenantReinstated",
            Self::TenantPointsProgramSet { .. } => "TenantPointsProgramSet",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
