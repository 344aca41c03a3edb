//! Accounts, sessions and guest profiles as clients see them.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use holdfast_domain::guest::Language;
use holdfast_engine::profiles::{GuestProfile as Profile, ProfileInput};

use crate::identity::{SessionOf, Tokens};

/// A language the product speaks to guests in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Language")]
pub enum LanguageGql {
    /// Korean.
    Ko,
    /// English.
    En,
}

impl From<Language> for LanguageGql {
    fn from(l: Language) -> Self {
        match l {
            Language::Ko => Self::Ko,
            Language::En => Self::En,
        }
    }
}

impl From<LanguageGql> for Language {
    fn from(l: LanguageGql) -> Self {
        match l {
            LanguageGql::Ko => Self::Ko,
            LanguageGql::En => Self::En,
        }
    }
}

/// A signed-in session: a short-lived bearer token and the refresh token that gets the next.
#[derive(SimpleObject, Clone, Debug)]
pub struct AuthSession {
    /// The bearer token for `Authorization: Bearer …` (15 minutes).
    pub access_token: String,
    /// When the bearer token stops working.
    pub access_token_expires_at: DateTime<Utc>,
    /// Pass to `refreshSession` for the next pair; it works once (a second use ends the
    /// session everywhere it was used).
    pub refresh_token: String,
    /// When the refresh token stops working.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The account.
    pub account_id: ID,
    /// The guest id the account's bookings carry.
    pub guest_id: ID,
    /// The business an operator's session acts for (null: a guest's session).
    pub tenant_id: Option<ID>,
}

impl AuthSession {
    /// The session `tokens` were minted for.
    pub fn new(session: SessionOf, tokens: Tokens) -> Self {
        Self {
            access_token: tokens.access_token,
            access_token_expires_at: tokens.access_expires_at,
            refresh_token: tokens.refresh.token,
            refresh_token_expires_at: tokens.refresh.expires_at,
            account_id: ID(session.account.to_string()),
            guest_id: ID(session.guest.to_string()),
            tenant_id: session.tenant.map(|t| ID(t.to_string())),
        }
    }
}

/// A guest's contact details (the guest's own, or beside a booking of the operator's
/// business).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "GuestProfile")]
pub struct GuestProfileGql {
    /// The guest.
    pub guest_id: ID,
    /// What to call them.
    pub name: String,
    /// Phone (digits, maybe a leading +).
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// The language to speak to them in.
    pub language: LanguageGql,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Profile> for GuestProfileGql {
    fn from(p: Profile) -> Self {
        Self {
            guest_id: ID(p.guest.to_string()),
            name: p.name.as_str().to_owned(),
            phone: p.phone.map(|p| p.as_str().to_owned()),
            email: p.email,
            language: p.language.into(),
            updated_at: p.updated_at,
        }
    }
}

/// A guest's contact details as given.
#[derive(InputObject, Clone, Debug)]
pub struct GuestProfileInput {
    /// 1–100 characters.
    pub name: String,
    /// 7–15 digits, maybe a leading + (spaces, dashes, dots, brackets ignored).
    pub phone: Option<String>,
    /// An e-mail address.
    pub email: Option<String>,
    /// The language to speak to them in.
    pub language: LanguageGql,
}

impl From<&GuestProfileInput> for ProfileInput {
    fn from(i: &GuestProfileInput) -> Self {
        Self {
            name: i.name.clone(),
            phone: i.phone.clone(),
            email: i.email.clone(),
            language: Language::from(i.language).as_str().to_owned(),
        }
    }
}

/// What `signUp` needs.
#[derive(InputObject, Clone, Debug)]
pub struct SignUpInput {
    /// The address to sign in with (a verification link goes there).
    pub email: String,
    /// 10–128 characters.
    pub password: String,
    /// What to call them.
    pub name: String,
    /// Phone, optional.
    pub phone: Option<String>,
    /// The language to speak to them in (Korean when not given).
    pub language: Option<LanguageGql>,
}

/// The signed-in person.
#[derive(SimpleObject, Clone, Debug)]
pub struct Me {
    /// Their account (null for a guest whose token an outside provider signed).
    pub account_id: Option<ID>,
    /// The guest id their bookings carry (null for an operator or admin with no account
    /// here).
    pub guest_id: Option<ID>,
    /// The address they sign in with.
    pub email: Option<String>,
    /// Whether the address was proven theirs.
    pub email_verified: bool,
    /// Their contact details.
    pub profile: Option<GuestProfileGql>,
}

/// Whether a guest gets one kind of notification by e-mail and SMS.
#[derive(SimpleObject, Clone, Debug)]
pub struct NotificationPreference {
    /// The kind.
    pub kind: crate::schema::types::notification::NotificationKindGql,
    /// Whether the guest may turn it off (a booking needs the others).
    pub optional: bool,
    /// Whether the guest gets it.
    pub enabled: bool,
}

/// A guest's preferences, every booking kind, given what they turned off.
pub fn preferences(
    off: &[holdfast_engine::notify::NotificationKind],
) -> Vec<NotificationPreference> {
    holdfast_engine::notify::NotificationKind::ALL
        .into_iter()
        .filter(|k| !k.is_account_message())
        .map(|k| NotificationPreference {
            kind: k.into(),
            optional: k.optional(),
            enabled: !off.contains(&k),
        })
        .collect()
}
