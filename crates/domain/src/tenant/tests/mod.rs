//! Tenant tests: given/when/then per command and per rejection, values, and a property of the
//! membership invariants.

mod members;
mod onboarding;
mod points;
mod properties;
mod suspension;
mod values;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::common::{AccountId, Currency, InvitationId, TenantId};
use crate::services::{DomainServices, FixedClock};
use crate::testing::TestFramework;

pub(super) type TenantTest = TestFramework<Tenant>;

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The tests' "now".
pub(super) fn now() -> DateTime<Utc> {
    at("2026-07-01T09:00:00Z")
}

pub(super) fn test() -> TenantTest {
    TestFramework::with(DomainServices::with_clock(FixedClock::new(now())))
}

pub(super) fn tenant_id() -> TenantId {
    TenantId::parse("01JZ0000000000000000000002").unwrap()
}

pub(super) fn account(n: u8) -> AccountId {
    AccountId::parse(&format!("01JZ00000000000000000000A{n}")).unwrap()
}

pub(super) fn invitation(n: u8) -> InvitationId {
    InvitationId::parse(&format!("01JZ00000000000000000000C{n}")).unwrap()
}

/// A digest standing for `what` (an address or a token).
pub(super) fn digest(what: &str) -> Digest {
    let mut hex = String::new();
    for b in what.bytes().cycle().take(32) {
        hex.push_str(&format!("{b:02x}"));
    }
    Digest::parse(&hex).unwrap()
}

pub(super) fn onboard() -> Onboard {
    Onboard {
        tenant_id: tenant_id(),
        name: BusinessName::parse("Mia's Bingsu").unwrap(),
        slug: Slug::parse("mia-bingsu").unwrap(),
        time_zone: chrono_tz::Asia::Seoul,
        currency: Currency::parse("KRW").unwrap(),
        branding: Branding {
            colour: Some(HexColour::parse("#FF6600").unwrap()),
            logo: None,
        },
        owner: account(1),
        owner_email: digest("mia@example.com"),
    }
}

pub(super) fn onboarded() -> TenantEvent {
    let o = onboard();
    TenantEvent::TenantOnboarded {
        tenant_id: o.tenant_id,
        name: o.name,
        slug: o.slug,
        time_zone: o.time_zone,
        currency: o.currency,
        branding: o.branding,
        owner: o.owner,
        owner_email: o.owner_email,
        at: at("2026-06-01T00:00:00Z"),
    }
}

/// An invitation of `email` as `role`, by the owner, open for 7 days.
pub(super) fn invite(n: u8, email: &str, role: Role) -> InviteOperator {
    InviteOperator {
        invitation_id: invitation(n),
        email: digest(email),
        role,
        token: digest(&format!("token-{n}")),
        expires_at: now() + Duration::days(7),
        invited_by: Some(account(1)),
    }
}

/// The event of [`invite`], recorded at `at`.
pub(super) fn invited(n: u8, email: &str, role: Role, at: DateTime<Utc>) -> TenantEvent {
    let i = invite(n, email, role);
    TenantEvent::OperatorInvited {
        tenant_id: tenant_id(),
        invitation_id: i.invitation_id,
        email: i.email,
        role: i.role,
        token: i.token,
        expires_at: i.expires_at,
        invited_by: i.invited_by,
        at,
    }
}

/// `account(k)` joined through invitation `n` of `email`.
pub(super) fn joined(n: u8, k: u8, email: &str, role: Role) -> TenantEvent {
    TenantEvent::InvitationAccepted {
        tenant_id: tenant_id(),
        invitation_id: invitation(n),
        account: account(k),
        email: digest(email),
        role,
        at: now() - Duration::hours(1),
    }
}

pub(super) fn accept(n: u8, k: u8, email: &str) -> TenantCommand {
    TenantCommand::AcceptInvitation {
        invitation_id: invitation(n),
        token: digest(&format!("token-{n}")),
        email: digest(email),
        account: account(k),
    }
}
