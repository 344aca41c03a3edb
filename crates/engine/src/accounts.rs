//! Accounts of the people who run businesses: sign-up, sign-in, refresh tokens, forgetting.
//!
//! Personal data stays out of the event log: an account's e-mail address and password hash
//! live in the `accounts` table, events name the account by id and the address by its keyed
//! digest ([`Accounts::email_digest`]), so forgetting a person ([`Accounts::forget`]) is
//! deleting their row and their tokens.
//!
//! - **Passwords**: Argon2id (the `argon2` crate, RustCrypto; its default parameters are
//!   OWASP's: 19 MiB, 2 passes), hashed and verified off the async threads. 10 to 128
//!   characters.
//! - **Sign-in failures** say one thing, [`AccountError::InvalidCredentials`], whether the
//!   address has no account or the password is wrong, and take the same time: an unknown
//!   address is verified against a fixed dummy hash. Failures are counted per address digest
//!   (also for addresses with no account); the first [`FREE_FAILURES`] in a row are free, the
//!   next locks the address for 30 s, doubling with each further failure up to an hour
//!   ([`AccountError::Locked`]); a success clears the count.
//! - **Refresh tokens** are 32 random bytes (hex), only their SHA-256 is stored. A sign-in
//!   starts a family; a refresh uses its token up and issues the next of the family. A used
//!   token presented again is a replay (a stolen token, or a client that lost the answer):
//!   the whole family is revoked ([`AccountError::RefreshReused`]). Signing out everywhere
//!   revokes every token of the account. An operator's session names the business it acts
//!   for; a refresh keeps it.
//! - **One-time links** (e-mail verification, password reset) are 32 random bytes too, only
//!   their SHA-256 kept, used once, expiring ([`VERIFY_LIFETIME_HOURS`],
//!   [`RESET_LIFETIME_MINUTES`]). A reset ends every session of the account. The link goes out
//!   as a notification through the outbox ([`crate::notify::store::OutboxStore::enqueue_message`]),
//!   naming the account by id, never by address.

use std::time::Duration as StdDuration;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use holdfast_domain::common::{AccountId, GuestId, TenantId};
use holdfast_domain::tenant::Digest;
use holdfast_eventstore::sql::Sql;
use holdfast_eventstore::{Arg, Db, EventStore, EventStoreError};
use sha2::{Digest as _, Sha256};

use crate::error::{EngineError, ErrorCode};
use crate::secret::Secret;

/// Failed sign-ins in a row before an address is locked.
pub const FREE_FAILURES: i64 = 5;
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK: StdDuration = StdDuration::from_secs(30);
/// The longest lock.
pub const LONGEST_LOCK: StdDuration = StdDuration::from_secs(3600);
/// How long a refresh token lives.
pub const REFRESH_LIFETIME_DAYS: i64 = 30;
/// The shortest password, in characters.
pub const PASSWORD_MIN: usize = 10;
/// The longest password, in characters (hashing is costly: no megabyte passwords).
pub const PASSWORD_MAX: usize = 128;
/// How long an e-mail verification link works.
pub const VERIFY_LIFETIME_HOURS: i64 = 72;
/// How long a password reset link works.
pub const RESET_LIFETIME_MINUTES: i64 = 60;
/// The longest e-mail address (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// Why an account operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Not an address we can send to.
    #[error("not a valid e-mail address")]
    InvalidEmail,
    /// Too short or too long.
    #[error("a password is {min} to {max} characters")]
    InvalidPassword {
        /// The shortest.
        min: usize,
        /// The longest.
        max: usize,
    },
    /// An account with this address exists.
    #[error("an account with this e-mail address exists")]
    EmailTaken,
    /// No such account, or the wrong password (never said apart).
    #[error("wrong e-mail address or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for this address.
    #[error("too many failed sign-ins; try again in {retry_after_seconds} s")]
    Locked {
        /// Seconds until the next try is taken.
        retry_after_seconds: i64,
    },
    /// The refresh token is unknown, expired or revoked.
    #[error("the session has ended; sign in again")]
    RefreshInvalid,
    /// The refresh token was used before: its whole family is revoked.
    #[error("this session was used from elsewhere and has been ended; sign in again")]
    RefreshReused,
    /// A verification or reset link is unknown, used or expired.
    #[error("this link is invalid or has expired; ask for a new one")]
    LinkInvalid,
    /// The store failed.
    #[error("account store: {0}")]
    Store(String),
}

impl AccountError {
    fn store(e: impl std::fmt::Display) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<EventStoreError> for AccountError {
    fn from(e: EventStoreError) -> Self {
        Self::store(e)
    }
}

impl From<AccountError> for EngineError {
    fn from(e: AccountError) -> Self {
        let code = match &e {
            AccountError::InvalidEmail | AccountError::InvalidPassword { .. } => {
                ErrorCode::InvalidInput
            }
            AccountError::EmailTaken => ErrorCode::AlreadyExists,
            AccountError::InvalidCredentials
            | AccountError::RefreshInvalid
            | AccountError::RefreshReused => ErrorCode::Unauthenticated,
            AccountError::LinkInvalid => ErrorCode::InvalidInput,
            AccountError::Locked { .. } => ErrorCode::Conflict,
            AccountError::Store(_) => ErrorCode::Unavailable,
        };
        EngineError::new(code, e.to_string())
    }
}

/// An account, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account.
    pub id: AccountId,
    /// The guest this person books as.
    pub guest: GuestId,
    /// The normalised address.
    pub email: String,
    /// When the address was proven to be theirs.
    pub email_verified_at: Option<DateTime<Utc>>,
}

/// Who a refresh token's session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account: AccountId,
    /// Its guest.
    pub guest: GuestId,
    /// The business an operator's session acts for (`None`: a guest's session).
    pub tenant: Option<TenantId>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Proving the address.
    VerifyEmail,
    /// Choosing a new password.
    ResetPassword,
}

impl LinkPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail => Duration::hours(VERIFY_LIFETIME_HOURS),
            Self::ResetPassword => Duration::minutes(RESET_LIFETIME_MINUTES),
        }
    }
}

/// A refresh token as the client gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// The token (64 hex digits); only its digest is stored.
    pub token: String,
    /// The family (one per sign-in).
    pub family: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The account store.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    key: Secret,
    /// A hash of a password nobody has, verified when the address has no account, so that
    /// both failures take the same time.
    dummy: String,
}

/// Normalises and checks an e-mail address: trimmed, lower-case, one `@`, a local part of 1–64
/// characters, a domain with a dot and no empty label, no spaces or control characters, at most
/// [`EMAIL_MAX`] characters. (Deliverability is proven by the verification mail, not here.)
///
/// # Errors
///
/// [`AccountError::InvalidEmail`].
pub fn normalise_email(input: &str) -> Result<String, AccountError> {
    let email = input.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err(AccountError::InvalidEmail);
    };
    let ok = email.chars().count() <= EMAIL_MAX
        && !local.is_empty()
        && local.chars().count() <= 64
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(AccountError::InvalidEmail)
    }
}

fn check_password(password: &str) -> Result<(), AccountError> {
    let length = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        Ok(())
    } else {
        Err(AccountError::InvalidPassword {
            min: PASSWORD_MIN,
            max: PASSWORD_MAX,
        })
    }
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AccountError::store)
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Runs a password hash or check on the blocking pool (it takes tens of milliseconds of CPU).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AccountError::store)
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The SHA-256 of a one-time token, as events carry it (an invitation's token).
pub fn secret_digest(token: &str) -> Digest {
    Digest::parse(&token_digest(token)).expect("64 hex digits")
}

/// A fresh one-time token: 32 random bytes (OS random), hex.
pub fn new_token() -> String {
    hex::encode(random_bytes())
}

/// How long an address stays locked after `failures` failures in a row: none for the first
/// [`FREE_FAILURES`], then [`FIRST_LOCK`], doubling, at most [`LONGEST_LOCK`].
pub fn lock_for(failures: i64) -> Option<StdDuration> {
    if failures <= FREE_FAILURES {
        return None;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES - 1)
        .unwrap_or(u32::MAX)
        .min(16);
    Some(
        FIRST_LOCK
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(LONGEST_LOCK),
    )
}

const INSERT_ACCOUNT: &str = "INSERT INTO accounts
       (account_id, guest_id, email, email_digest, password_hash, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING";
const ACCOUNT_COLUMNS: &str = "SELECT account_id, guest_id, email, email_verified_at FROM accounts";
const HASH_BY_EMAIL: &str =
    "SELECT account_id, guest_id, email_verified_at, password_hash FROM accounts WHERE email = $1";
const FAILURES: &str =
    "SELECT failures, locked_until FROM sign_in_failures WHERE email_digest = $1";
const RECORD_FAILURE: &str = "INSERT INTO sign_in_failures (email_digest, failures, locked_until)
     VALUES ($1, 1, NULL)
     ON CONFLICT (email_digest) DO UPDATE SET failures = sign_in_failures.failures + 1
     RETURNING failures";
const SET_LOCK: &str = "UPDATE sign_in_failures SET locked_until = $2 WHERE email_digest = $1";
const CLEAR_FAILURES: &str = "DELETE FROM sign_in_failures WHERE email_digest = $1";
const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens
       (token_digest, account_id, family_id, tenant_id, issued_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
const REFRESH_BY_DIGEST: &str = "SELECT r.account_id, a.guest_id, r.family_id, r.tenant_id,
              r.expires_at, r.used_at, r.revoked_at
       FROM refresh_tokens r JOIN accounts a ON a.account_id = r.account_id
       WHERE r.token_digest = $1";
const USE_REFRESH: &str = "UPDATE refresh_tokens SET used_at = $2
      WHERE token_digest = $1 AND used_at IS NULL AND revoked_at IS NULL";
const REVOKE_FAMILY: &str = "UPDATE refresh_tokens SET revoked_at = $2
      WHERE family_id = $1 AND revoked_at IS NULL";
const FAMILY_REVOKED: &str =
    "SELECT count(*) FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL";
const LIVE_SESSIONS: &str = "SELECT count(DISTINCT family_id) FROM refresh_tokens
      WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2";
const REVOKE_ACCOUNT: &str = "UPDATE refresh_tokens SET revoked_at = $2
      WHERE account_id = $1 AND revoked_at IS NULL";
const INSERT_LINK: &str = "INSERT INTO account_links
       (token_digest, account_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
const USE_LINK: &str = "UPDATE account_links SET used_at = $3
      WHERE token_digest = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
      RETURNING account_id";
const VERIFY: &str = "UPDATE accounts SET email_verified_at = $2
      WHERE account_id = $1 AND email_verified_at IS NULL";
const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2 WHERE account_id = $1
      RETURNING email_digest";

/// Deletes everything kept about one person, in one transaction: their account (with its
/// refresh tokens and one-time links), failed sign-ins under their address, their profile,
/// their notification opt-outs, their calendar feed, the messages queued to them, their
/// reviews' words and their review photos' rows. Bookings and other events keep naming the guest by id,
/// which names no one once these rows are gone. Returns whether anything was there.
///
/// # Errors
///
/// [`AccountError::Store`].
pub async fn forget_guest(db: &Db, guest: GuestId) -> Result<bool, AccountError> {
    const STATEMENTS: [&str; 10] = [
        "DELETE FROM sign_in_failures
          WHERE email_digest IN (SELECT email_digest FROM accounts WHERE guest_id = $1)",
        "DELETE FROM notification_deliveries
          WHERE account_id IN (SELECT account_id FROM accounts WHERE guest_id = $1)",
        "DELETE FROM refresh_tokens
          WHERE account_id IN (SELECT account_id FROM accounts WHERE guest_id = $1)",
        "DELETE FROM account_links
          WHERE account_id IN (SELECT account_id FROM accounts WHERE guest_id = $1)",
        "DELETE FROM accounts WHERE guest_id = $1",
        "DELETE FROM guest_profiles WHERE guest_id = $1",
        "DELETE FROM notification_opt_outs WHERE guest_id = $1",
        "DELETE FROM calendar_feeds WHERE kind = 'guest' AND subject = $1",
        // Their reviews' words (the ratings stay in the log, naming no one).
        "DELETE FROM review_texts WHERE guest_id = $1",
        // Their review photos' owners (the objects are deleted first, by `Engine::forget_guest`).
        "DELETE FROM review_photos WHERE guest_id = $1",
    ];
    let id = guest.to_string();
    let mut tx = db.begin().await?;
    let mut deleted = 0;
    for sql in STATEMENTS {
        deleted += tx.execute(Sql::from(sql), &[id.as_str().into()]).await?;
    }
    tx.commit().await?;
    Ok(deleted > 0)
}

fn account_from(
    id: &str,
    guest: &str,
    email: String,
    verified: Option<DateTime<Utc>>,
) -> Result<Account, AccountError> {
    Ok(Account {
        id: AccountId::parse(id).map_err(AccountError::store)?,
        guest: GuestId::parse(guest).map_err(AccountError::store)?,
        email,
        email_verified_at: verified,
    })
}

impl Accounts {
    /// The accounts of `store`'s database; address digests are keyed with `key`.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`] if the dummy hash cannot be made (never with the default
    /// parameters).
    pub fn new(store: &EventStore, key: Secret) -> Result<Self, AccountError> {
        Ok(Self {
            db: store.db().clone(),
            key,
            dummy: hash_password("no one has this password")?,
        })
    }

    /// The keyed digest of a normalised address (what events and read models carry).
    pub fn email_digest(&self, email: &str) -> Digest {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose())
            .expect("HMAC takes a key of any length");
        mac.update(email.as_bytes());
        Digest::parse(&hex::encode(mac.finalize().into_bytes())).expect("64 hex digits")
    }

    /// Creates an account (and the guest id its bookings will carry).
    ///
    /// # Errors
    ///
    /// [`AccountError::InvalidEmail`], [`AccountError::InvalidPassword`],
    /// [`AccountError::EmailTaken`], [`AccountError::Store`].
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, AccountError> {
        let email = normalise_email(email)?;
        check_password(password)?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let account = Account {
            id: AccountId::new(),
            guest: GuestId::new(),
            email,
            email_verified_at: None,
        };
        let digest = self.email_digest(&account.email);
        let inserted = self
            .db
            .execute(
                INSERT_ACCOUNT,
                &[
                    account.id.to_string().into(),
                    account.guest.to_string().into(),
                    account.email.as_str().into(),
                    digest.as_str().into(),
                    hash.into(),
                    Arg::At(now),
                ],
            )
            .await?;
        if inserted == 1 {
            Ok(account)
        } else {
            Err(AccountError::EmailTaken)
        }
    }

    /// An account by id.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, AccountError> {
        self.find("account_id", &id.to_string()).await
    }

    /// The account whose bookings carry `guest`, if the guest has one.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn account_of_guest(&self, guest: GuestId) -> Result<Option<Account>, AccountError> {
        self.find("guest_id", &guest.to_string()).await
    }

    /// The account of an address, if there is one.
    ///
    /// # Errors
    ///
    /// [`AccountError::InvalidEmail`], [`AccountError::Store`].
    pub async fn by_email(&self, email: &str) -> Result<Option<Account>, AccountError> {
        let email = normalise_email(email)?;
        self.find("email", &email).await
    }

    async fn find(&self, column: &str, value: &str) -> Result<Option<Account>, AccountError> {
        let sql = format!("{ACCOUNT_COLUMNS} WHERE {column} = $1");
        let Some(row) = self
            .db
            .fetch_optional(sql.as_str(), &[value.into()])
            .await?
        else {
            return Ok(None);
        };
        let id: String = row.get("account_id")?;
        let guest: String = row.get("guest_id")?;
        account_from(
            &id,
            &guest,
            row.get("email")?,
            row.optional_instant("email_verified_at")?,
        )
        .map(Some)
    }

    /// Checks an address and password; the account on success.
    ///
    /// # Errors
    ///
    /// [`AccountError::InvalidCredentials`] (no account, wrong password, malformed input —
    /// never said apart), [`AccountError::Locked`], [`AccountError::Store`].
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, AccountError> {
        let Ok(email) = normalise_email(email) else {
            return Err(AccountError::InvalidCredentials);
        };
        let digest = self.email_digest(&email);
        if let Some(row) = self
            .db
            .fetch_optional(FAILURES, &[digest.as_str().into()])
            .await?
            && let Some(until) = row.optional_instant("locked_until")?
            && until > now
        {
            return Err(AccountError::Locked {
                retry_after_seconds: (until - now).num_seconds().max(1),
            });
        }
        let row = self
            .db
            .fetch_optional(HASH_BY_EMAIL, &[email.as_str().into()])
            .await?;
        let (found, hash) = match row {
            Some(row) => {
                let id: String = row.get("account_id")?;
                let guest: String = row.get("guest_id")?;
                let account = account_from(
                    &id,
                    &guest,
                    email.clone(),
                    row.optional_instant("email_verified_at")?,
                )?;
                (Some(account), row.get::<String>("password_hash")?)
            }
            None => (None, self.dummy.clone()),
        };
        let password = password.to_owned();
        let matches = blocking(move || {
            check_password(&password).is_ok() && password_matches(&password, &hash)
        })
        .await?;
        match found {
            Some(account) if matches => {
                self.db
                    .execute(CLEAR_FAILURES, &[digest.as_str().into()])
                    .await?;
                Ok(account)
            }
            _ => {
                self.record_failure(&digest, now).await?;
                Err(AccountError::InvalidCredentials)
            }
        }
    }

    async fn record_failure(
        &self,
        digest: &Digest,
        now: DateTime<Utc>,
    ) -> Result<(), AccountError> {
        let (failures,): (i64,) = self
            .db
            .fetch_optional_as(RECORD_FAILURE, &[digest.as_str().into()])
            .await?
            .ok_or_else(|| AccountError::store("the failure count was not returned"))?;
        if let Some(lock) = lock_for(failures) {
            let until = now + Duration::from_std(lock).map_err(AccountError::store)?;
            self.db
                .execute(SET_LOCK, &[digest.as_str().into(), Arg::At(until)])
                .await?;
        }
        Ok(())
    }

    /// Starts a session's refresh family for `account` (after a sign-in), acting for
    /// `tenant` if it is an operator's session.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn start_session(
        &self,
        account: AccountId,
        tenant: Option<TenantId>,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, AccountError> {
        let family = new_token();
        self.issue(account, family, tenant, now).await
    }

    async fn issue(
        &self,
        account: AccountId,
        family: String,
        tenant: Option<TenantId>,
        now: DateTime<Utc>,
    ) -> Result<RefreshToken, AccountError> {
        let token = new_token();
        let expires_at = now + Duration::days(REFRESH_LIFETIME_DAYS);
        self.db
            .execute(
                INSERT_REFRESH,
                &[
                    token_digest(&token).into(),
                    account.to_string().into(),
                    family.as_str().into(),
                    Arg::TextOrNull(tenant.map(|t| t.to_string())),
                    Arg::At(now),
                    Arg::At(expires_at),
                ],
            )
            .await?;
        Ok(RefreshToken {
            token,
            family,
            expires_at,
        })
    }

    /// Uses `token` up and issues the next of its family; whose session it is.
    ///
    /// # Errors
    ///
    /// [`AccountError::RefreshInvalid`] (unknown, expired, revoked),
    /// [`AccountError::RefreshReused`] (used before: the family is revoked now),
    /// [`AccountError::Store`].
    pub async fn refresh(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(Session, RefreshToken), AccountError> {
        let digest = token_digest(token);
        let Some(row) = self
            .db
            .fetch_optional(REFRESH_BY_DIGEST, &[digest.as_str().into()])
            .await?
        else {
            return Err(AccountError::RefreshInvalid);
        };
        let account: String = row.get("account_id")?;
        let guest: String = row.get("guest_id")?;
        let family: String = row.get("family_id")?;
        let tenant: Option<String> = row.get("tenant_id")?;
        if row.optional_instant("revoked_at")?.is_some() || row.instant("expires_at")? <= now {
            return Err(AccountError::RefreshInvalid);
        }
        let used = row.optional_instant("used_at")?.is_some()
            || self
                .db
                .execute(USE_REFRESH, &[digest.as_str().into(), Arg::At(now)])
                .await?
                == 0;
        if used {
            // A replay (or the loser of two concurrent uses): end the whole session.
            self.db
                .execute(REVOKE_FAMILY, &[family.as_str().into(), Arg::At(now)])
                .await?;
            return Err(AccountError::RefreshReused);
        }
        let session = Session {
            account: AccountId::parse(&account).map_err(AccountError::store)?,
            guest: GuestId::parse(&guest).map_err(AccountError::store)?,
            tenant: tenant
                .as_deref()
                .map(TenantId::parse)
                .transpose()
                .map_err(AccountError::store)?,
        };
        let next = self
            .issue(session.account, family.clone(), session.tenant, now)
            .await?;
        // A replay of this token racing this refresh may have revoked the family before the
        // next token existed: then the session is over for it too.
        let (revoked,): (i64,) = self
            .db
            .fetch_optional_as(FAMILY_REVOKED, &[family.as_str().into()])
            .await?
            .unwrap_or((0,));
        if revoked > 0 {
            self.db
                .execute(REVOKE_FAMILY, &[family.as_str().into(), Arg::At(now)])
                .await?;
            return Err(AccountError::RefreshReused);
        }
        Ok((session, next))
    }

    /// Ends one session (the family of `token`), e.g. signing out on this device. Unknown
    /// tokens are ignored.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn end_session(&self, token: &str, now: DateTime<Utc>) -> Result<(), AccountError> {
        let digest = token_digest(token);
        if let Some(row) = self
            .db
            .fetch_optional(REFRESH_BY_DIGEST, &[digest.as_str().into()])
            .await?
        {
            let family: String = row.get("family_id")?;
            self.db
                .execute(REVOKE_FAMILY, &[family.into(), Arg::At(now)])
                .await?;
        }
        Ok(())
    }

    /// Ends every session of `account`: every refresh token is revoked. Returns how many
    /// sessions were still live.
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn sign_out_everywhere(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<u64, AccountError> {
        let id = account.to_string();
        let (live,): (i64,) = self
            .db
            .fetch_optional_as(LIVE_SESSIONS, &[id.as_str().into(), Arg::At(now)])
            .await?
            .unwrap_or((0,));
        self.db
            .execute(REVOKE_ACCOUNT, &[id.into(), Arg::At(now)])
            .await?;
        Ok(u64::try_from(live).unwrap_or(0))
    }

    /// A new one-time link token for `account` (what goes into the link; only its digest is
    /// kept).
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn create_link(
        &self,
        account: AccountId,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<String, AccountError> {
        let token = new_token();
        self.db
            .execute(
                INSERT_LINK,
                &[
                    token_digest(&token).into(),
                    account.to_string().into(),
                    purpose.as_str().into(),
                    Arg::At(now),
                    Arg::At(now + purpose.lifetime()),
                ],
            )
            .await?;
        Ok(token)
    }

    /// Uses a one-time link up: the account it was for.
    async fn use_link(
        &self,
        token: &str,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<AccountId, AccountError> {
        if token.len() != 64 {
            return Err(AccountError::LinkInvalid);
        }
        let row: Option<(String,)> = self
            .db
            .fetch_optional_as(
                USE_LINK,
                &[
                    token_digest(token).into(),
                    purpose.as_str().into(),
                    Arg::At(now),
                ],
            )
            .await?;
        let (id,) = row.ok_or(AccountError::LinkInvalid)?;
        AccountId::parse(&id).map_err(AccountError::store)
    }

    /// Proves an address with a verification link's token.
    ///
    /// # Errors
    ///
    /// [`AccountError::LinkInvalid`], [`AccountError::Store`].
    pub async fn verify_email(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountId, AccountError> {
        let account = self.use_link(token, LinkPurpose::VerifyEmail, now).await?;
        self.db
            .execute(VERIFY, &[account.to_string().into(), Arg::At(now)])
            .await?;
        Ok(account)
    }

    /// The account a reset link should go to, with a fresh reset token — `None` when the
    /// address has no account (the caller answers the same either way).
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn request_password_reset(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Account, String)>, AccountError> {
        let Ok(email) = normalise_email(email) else {
            return Ok(None);
        };
        let Some(account) = self.find("email", &email).await? else {
            return Ok(None);
        };
        let token = self
            .create_link(account.id, LinkPurpose::ResetPassword, now)
            .await?;
        Ok(Some((account, token)))
    }

    /// Sets a new password with a reset link's token; every session of the account ends and
    /// its failed sign-ins are forgotten.
    ///
    /// # Errors
    ///
    /// [`AccountError::InvalidPassword`], [`AccountError::LinkInvalid`],
    /// [`AccountError::Store`].
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountId, AccountError> {
        check_password(password)?;
        let account = self
            .use_link(token, LinkPurpose::ResetPassword, now)
            .await?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let digest: Option<(String,)> = self
            .db
            .fetch_optional_as(SET_PASSWORD, &[account.to_string().into(), hash.into()])
            .await?;
        if let Some((digest,)) = digest {
            self.db.execute(CLEAR_FAILURES, &[digest.into()]).await?;
        }
        self.sign_out_everywhere(account, now).await?;
        Ok(account)
    }

    /// Forgets `account`'s person: everything [`forget_guest`] deletes. Its ids stay in the
    /// log (they name no one once these rows are gone).
    ///
    /// # Errors
    ///
    /// [`AccountError::Store`].
    pub async fn forget(&self, account: AccountId) -> Result<(), AccountError> {
        if let Some(found) = self.account(account).await? {
            forget_guest(&self.db, found.guest).await?;
        }
        Ok(())
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes
}
