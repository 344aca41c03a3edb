//! Why a tenant command, or one of its values, was refused.

use super::aggregate::{InvitationStatus, TenantStatus};
use crate::common::{AccountId, InvitationId};

/// A value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The name is empty, too long or has a control character.
    #[error("a business name is 1 to {max} characters without control characters ({length} given)")]
    InvalidName {
        /// Characters given (after trimming).
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The slug breaks a rule of its shape.
    #[error("`{input}` is not a valid slug: {rule}")]
    InvalidSlug {
        /// What was given (truncated).
        input: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The slug is one of the site's own words.
    #[error("`{slug}` is reserved")]
    ReservedSlug {
        /// The slug.
        slug: String,
    },
    /// Not `#rrggbb`.
    #[error("`{input}` is not a colour of the form #rrggbb")]
    InvalidColour {
        /// What was given (truncated).
        input: String,
    },
    /// Not a photo-store key.
    #[error("`{input}` is not a logo reference")]
    InvalidLogo {
        /// What was given (truncated).
        input: String,
    },
    /// Not 64 hex digits.
    #[error("not a digest (64 hex digits)")]
    InvalidDigest,
    /// Not an IANA time zone.
    #[error("`{name}` is not an IANA time zone")]
    UnknownTimeZone {
        /// What was given (truncated).
        name: String,
    },
}

/// A tenant command that breaks a rule. One variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// `Onboard` on a business that exists (with different contents).
    #[error("business already onboarded")]
    AlreadyOnboarded,
    /// Any other command before `Onboard`.
    #[error("business not onboarded")]
    NotOnboarded,
    /// The business is suspended: it takes no new members or invitations.
    #[error("the business is suspended")]
    Suspended,
    /// `Reinstate` on a business that is not suspended.
    #[error("the business is not suspended (it is {status:?})")]
    NotSuspended {
        /// Its status.
        status: TenantStatus,
    },
    /// `Suspend` with another reason while suspended.
    #[error("already suspended: {reason}")]
    AlreadySuspended {
        /// The reason in force.
        reason: String,
    },
    /// The suspension reason is empty or longer than 500 characters.
    #[error("a suspension reason is 1 to 500 characters")]
    InvalidReason,
    /// Only an owner may invite, change roles or remove members.
    #[error("account {account} is not an owner of this business")]
    NotAnOwner {
        /// Who asked.
        account: AccountId,
    },
    /// The account is not a member.
    #[error("account {account} is not a member of this business")]
    NotAMember {
        /// The account.
        account: AccountId,
    },
    /// The account (or the address invited) is a member already.
    #[error("already a member of this business")]
    AlreadyAMember,
    /// The address has a pending invitation already (revoke it to send another).
    #[error("invitation {invitation} to this address is still pending")]
    AlreadyInvited {
        /// The pending invitation.
        invitation: InvitationId,
    },
    /// An invitation id used twice for different invitations.
    #[error("invitation {invitation} exists with other contents")]
    InvitationIdTaken {
        /// The invitation.
        invitation: InvitationId,
    },
    /// No such invitation.
    #[error("no invitation {invitation}")]
    NoSuchInvitation {
        /// The invitation.
        invitation: InvitationId,
    },
    /// The invitation was accepted or revoked already.
    #[error("invitation {invitation} is {status:?}")]
    InvitationClosed {
        /// The invitation.
        invitation: InvitationId,
        /// Its status.
        status: InvitationStatus,
    },
    /// The invitation's time ran out.
    #[error("invitation {invitation} has expired")]
    InvitationExpired {
        /// The invitation.
        invitation: InvitationId,
    },
    /// The token presented is not the invitation's (or was sent to another address).
    #[error("this link does not open invitation {invitation}")]
    WrongInvitationToken {
        /// The invitation.
        invitation: InvitationId,
    },
    /// The invitation's expiry is not after now, or more than 30 days away.
    #[error("an invitation expires within 30 days from now")]
    InvalidExpiry,
    /// The change would leave the business without an owner.
    #[error("a business keeps at least one owner")]
    LastOwner,
}
