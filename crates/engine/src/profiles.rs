//! Guest profiles: name, phone, e-mail and preferred language, kept in the `guest_profiles`
//! table of the event store's database, referenced by guest id and never copied into the event
//! log or a read model. Readers join them in when they show a booking
//! ([`Profiles::many`]); forgetting a guest ([`crate::accounts::forget_guest`]) deletes the
//! row, after which every booking still counts and still adds up, naming no one.
//!
//! Who may read a profile is the caller's business (the API's rule: the guest, an operator of
//! a business the guest booked with — only beside that business's bookings — or an admin).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_domain::common::GuestId;
use holdfast_domain::guest::{ContactError, GuestName, Language, Phone};
use holdfast_eventstore::{Arg, Db, DbRow, EventStore, EventStoreError};

use crate::accounts::{AccountError, normalise_email};
use crate::error::{EngineError, ErrorCode};

/// Why a profile could not be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A detail is not valid.
    #[error("{field}: {reason}")]
    Invalid {
        /// Which field (`name`, `phone`, `email`, `language`).
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store failed.
    #[error("profile store: {0}")]
    Store(String),
}

impl From<EventStoreError> for ProfileError {
    fn from(e: EventStoreError) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<ProfileError> for EngineError {
    fn from(e: ProfileError) -> Self {
        let code = match e {
            ProfileError::Invalid { .. } => ErrorCode::InvalidInput,
            ProfileError::Store(_) => ErrorCode::Unavailable,
        };
        EngineError::new(code, e.to_string())
    }
}

/// A guest's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestProfile {
    /// The guest.
    pub guest: GuestId,
    /// What to call them.
    pub name: GuestName,
    /// How to reach them by phone.
    pub phone: Option<Phone>,
    /// How to reach them by e-mail (normalised).
    pub email: Option<String>,
    /// The language to speak to them in.
    pub language: Language,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A profile as given (unchecked text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileInput {
    /// The name.
    pub name: String,
    /// The phone number, if any.
    pub phone: Option<String>,
    /// The e-mail address, if any.
    pub email: Option<String>,
    /// The language tag (`ko`, `en`).
    pub language: String,
}

impl ProfileInput {
    /// Checks every field, saying which one is wrong.
    ///
    /// # Errors
    ///
    /// [`ProfileError::Invalid`].
    pub fn check(&self, guest: GuestId, now: DateTime<Utc>) -> Result<GuestProfile, ProfileError> {
        let invalid = |field| {
            move |e: ContactError| ProfileError::Invalid {
                field,
                reason: e.to_string(),
            }
        };
        Ok(GuestProfile {
            guest,
            name: GuestName::parse(&self.name).map_err(invalid("name"))?,
            phone: blank(self.phone.as_deref())
                .map(Phone::parse)
                .transpose()
                .map_err(invalid("phone"))?,
            email: blank(self.email.as_deref())
                .map(normalise_email)
                .transpose()
                .map_err(|e: AccountError| ProfileError::Invalid {
                    field: "email",
                    reason: e.to_string(),
                })?,
            language: Language::parse(&self.language).map_err(invalid("language"))?,
            updated_at: now,
        })
    }
}

/// A given text with content, trimmed (`None` for absent or blank).
pub(crate) fn blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

const UPSERT: &str =
    "INSERT INTO guest_profiles (guest_id, name, phone, email, language, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (guest_id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
       email = excluded.email, language = excluded.language, updated_at = excluded.updated_at";
const SELECT: &str =
    "SELECT guest_id, name, phone, email, language, updated_at FROM guest_profiles";
/// The most guests [`Profiles::many`] asks for in one statement.
const CHUNK: usize = 200;

/// The profile store.
#[derive(Clone)]
pub struct Profiles {
    db: Db,
}

fn profile_from(row: &DbRow) -> Result<GuestProfile, ProfileError> {
    let corrupt = |e: &dyn std::fmt::Display| ProfileError::Store(format!("guest_profiles: {e}"));
    let guest: String = row.get("guest_id")?;
    let name: String = row.get("name")?;
    let phone: Option<String> = row.get("phone")?;
    let language: String = row.get("language")?;
    Ok(GuestProfile {
        guest: GuestId::parse(&guest).map_err(|e| corrupt(&e))?,
        name: GuestName::parse(&name).map_err(|e| corrupt(&e))?,
        phone: phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(|e| corrupt(&e))?,
        email: row.get("email")?,
        language: Language::parse(&language).map_err(|e| corrupt(&e))?,
        updated_at: row.instant("updated_at")?,
    })
}

impl Profiles {
    /// The profiles of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    /// Creates or replaces a guest's profile.
    ///
    /// # Errors
    ///
    /// [`ProfileError::Invalid`], [`ProfileError::Store`].
    pub async fn put(
        &self,
        guest: GuestId,
        input: &ProfileInput,
        now: DateTime<Utc>,
    ) -> Result<GuestProfile, ProfileError> {
        let profile = input.check(guest, now)?;
        self.db
            .execute(
                UPSERT,
                &[
                    guest.to_string().into(),
                    profile.name.as_str().into(),
                    Arg::TextOrNull(profile.phone.as_ref().map(|p| p.as_str().to_owned())),
                    Arg::TextOrNull(profile.email.clone()),
                    profile.language.as_str().into(),
                    Arg::At(now),
                ],
            )
            .await?;
        Ok(profile)
    }

    /// A guest's profile, if they have one.
    ///
    /// # Errors
    ///
    /// [`ProfileError::Store`].
    pub async fn get(&self, guest: GuestId) -> Result<Option<GuestProfile>, ProfileError> {
        let sql = format!("{SELECT} WHERE guest_id = $1");
        self.db
            .fetch_optional(sql.as_str(), &[guest.to_string().into()])
            .await?
            .as_ref()
            .map(profile_from)
            .transpose()
    }

    /// The profiles of `guests` that have one (one statement per 200 guests).
    ///
    /// # Errors
    ///
    /// [`ProfileError::Store`].
    pub async fn many(
        &self,
        guests: &[GuestId],
    ) -> Result<HashMap<GuestId, GuestProfile>, ProfileError> {
        let mut unique: Vec<String> = guests.iter().map(ToString::to_string).collect();
        unique.sort();
        unique.dedup();
        let mut found = HashMap::new();
        for chunk in unique.chunks(CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{SELECT} WHERE guest_id IN ({})", placeholders.join(", "));
            let args: Vec<Arg> = chunk.iter().map(|g| g.as_str().into()).collect();
            for row in self.db.fetch_all(sql.as_str(), &args).await? {
                let profile = profile_from(&row)?;
                found.insert(profile.guest, profile);
            }
        }
        Ok(found)
    }
}
