//! What can be asked of a business.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::aggregate::Role;
use super::values::{Branding, BusinessName, Digest, Slug};
use crate::common::{AccountId, Currency, InvitationId, TenantId};

/// A business signs up: its profile and its first owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboard {
    /// The new business.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: BusinessName,
    /// Its address on the booking site.
    pub slug: Slug,
    /// Where it is (the local time its guests see).
    pub time_zone: Tz,
    /// What it charges in.
    pub currency: Currency,
    /// How it looks.
    pub branding: Branding,
    /// The account that signed it up, its first owner.
    pub owner: AccountId,
    /// The digest of the owner's e-mail address.
    pub owner_email: Digest,
}

/// A change of profile: the fields given replace the current ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    /// A new name.
    pub name: Option<BusinessName>,
    /// A new slug (the engine checks it is free).
    pub slug: Option<Slug>,
    /// A new time zone.
    pub time_zone: Option<Tz>,
    /// A new currency.
    pub currency: Option<Currency>,
    /// A new branding (replaces the whole branding).
    pub branding: Option<Branding>,
}

/// An owner invites someone by e-mail to join as `role`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteOperator {
    /// The new invitation.
    pub invitation_id: InvitationId,
    /// The digest of the address it goes to.
    pub email: Digest,
    /// The role it gives.
    pub role: Role,
    /// The digest of its one-time token (the link carries the token).
    pub token: Digest,
    /// When it stops working (at most 30 days from now).
    pub expires_at: DateTime<Utc>,
    /// Who invites (`None`: a platform admin).
    pub invited_by: Option<AccountId>,
}

/// A command to a business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TenantCommand {
    /// Creates the business.
    Onboard(Box<Onboard>),
    /// Changes its profile.
    UpdateProfile(Box<ProfileUpdate>),
    /// Sends an invitation.
    Invite(Box<InviteOperator>),
    /// The invited person, signed in as `account` with the address whose digest is `email`,
    /// opens the link carrying the token whose digest is `token`.
    AcceptInvitation {
        /// The invitation.
        invitation_id: InvitationId,
        /// The digest of the token presented.
        token: Digest,
        /// The digest of the acceptor's address.
        email: Digest,
        /// The acceptor.
        account: AccountId,
    },
    /// Withdraws a pending invitation.
    RevokeInvitation {
        /// The invitation.
        invitation_id: InvitationId,
        /// Who revokes (`None`: a platform admin).
        by: Option<AccountId>,
    },
    /// Gives a member another role.
    ChangeRole {
        /// The member.
        account: AccountId,
        /// The new role.
        role: Role,
        /// Who changes it (`None`: a platform admin).
        by: Option<AccountId>,
    },
    /// Removes a member (an owner removing someone, or a member leaving: `by == account`).
    RemoveMember {
        /// The member.
        account: AccountId,
        /// Who removes (`None`: a platform admin).
        by: Option<AccountId>,
    },
    /// A platform admin suspends the business: it takes no bookings; its data stays.
    Suspend {
        /// Why (1–500 characters), shown to its operators.
        reason: String,
    },
    /// A platform admin lifts the suspension.
    Reinstate,
    /// An owner starts, changes or (`None`) ends the business's points programme.
    SetPointsProgram {
        /// The terms (`None`: no programme; points already earned stay until they expire).
        terms: Option<crate::points::PointsTerms>,
    },
}
