//! The embedded identity provider: accounts ([`holdfast_engine::accounts`]) behind the
//! `signUp`/`signIn`/`refreshSession`/… mutations, minting the short-lived access tokens the
//! API verifies ([`crate::auth`]) beside rotating refresh tokens.
//!
//! It is on when the deployment signs its own tokens (HS256: a configured secret, or the
//! embedded default's development secret). A deployment that trusts an outside identity
//! provider (an RS256 public key, or JWKS) has it off: the provider signs people in, and
//! these mutations answer `INVALID_STATE`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_engine::accounts::{AccountError, Accounts, RefreshToken};
use holdfast_eventstore::EventStore;
use sha2::Sha256;

use crate::auth::{KeyError, Role, Secret, TokenIssuer};

/// How long an access token lives.
pub const ACCESS_TOKEN_MINUTES: i64 = 15;

/// The embedded identity provider.
pub struct Identity {
    /// The account store.
    pub accounts: Accounts,
    issuer: TokenIssuer,
    /// The site's public address, which links in messages start with (no trailing `/`).
    pub public_url: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Why the identity provider could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The signing key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The account store.
    #[error(transparent)]
    Accounts(#[from] AccountError),
}

/// Who a session is, as a token says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOf {
    /// The account.
    pub account: holdfast_domain::common::AccountId,
    /// Its guest.
    pub guest: GuestId,
    /// The business an operator's session acts for.
    pub tenant: Option<TenantId>,
}

/// A signed-in session as the client gets it.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The bearer token (a JWT, [`ACCESS_TOKEN_MINUTES`] long).
    pub access_token: String,
    /// When it stops working.
    pub access_expires_at: DateTime<Utc>,
    /// The refresh token (used once).
    pub refresh: RefreshToken,
}

impl Identity {
    /// The identity provider over `store`, signing HS256 access tokens with `secret`. Address
    /// digests are keyed with a key derived from the secret.
    ///
    /// # Errors
    ///
    /// [`IdentityError`].
    pub fn hs256(
        store: &EventStore,
        secret: &Secret,
        public_url: impl Into<String>,
    ) -> Result<Arc<Self>, IdentityError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose())
            .expect("HMAC takes a key of any length");
        mac.update(b"holdfast/accounts/email-digest");
        let key = Secret::new(mac.finalize().into_bytes().as_slice());
        Ok(Arc::new(Self {
            accounts: Accounts::new(store, key)?,
            issuer: TokenIssuer::hs256(secret),
            public_url: public_url.into().trim_end_matches('/').to_owned(),
        }))
    }

    /// The access token of `session` next to its refresh token.
    ///
    /// # Errors
    ///
    /// [`KeyError`] (the key cannot sign).
    pub fn tokens(&self, session: SessionOf, refresh: RefreshToken) -> Result<Tokens, KeyError> {
        let ttl = Duration::minutes(ACCESS_TOKEN_MINUTES);
        let access_token = match session.tenant {
            Some(tenant) => self.issuer.mint(
                Role::Operator,
                &session.account.to_string(),
                Some(tenant),
                ttl,
            )?,
            None => self
                .issuer
                .mint(Role::Guest, &session.guest.to_string(), None, ttl)?,
        };
        Ok(Tokens {
            access_token,
            access_expires_at: Utc::now() + ttl,
            refresh,
        })
    }

    /// A link into the site (`path` starts with `/`).
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }
}
