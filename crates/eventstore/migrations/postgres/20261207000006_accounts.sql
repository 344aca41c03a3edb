-- Accounts and guest profiles. Personal data (an e-mail address, a password hash, a name, a
-- phone number) lives in these tables and never in the event log: events name an account by
-- id, a guest by id and an address by its keyed digest, so forgetting a person is deleting
-- their rows (crates/engine/src/accounts.rs, crates/engine/src/profiles.rs).
CREATE TABLE accounts
(
    account_id        text        NOT NULL PRIMARY KEY,
    -- The guest this person books as (their bookings' guest id).
    guest_id          text        NOT NULL UNIQUE,
    -- Normalised: trimmed, lower-case.
    email             text        NOT NULL UNIQUE,
    -- HMAC-SHA256 of `email` under the server's key (what events carry).
    email_digest      text        NOT NULL UNIQUE,
    -- Argon2id, PHC string (algorithm, parameters, salt and hash).
    password_hash     text        NOT NULL,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL
);

-- Consecutive failed sign-ins per address digest (also for addresses with no account, so that
-- a lockout says nothing about whether an account exists).
CREATE TABLE sign_in_failures
(
    email_digest text        NOT NULL PRIMARY KEY,
    failures     bigint      NOT NULL,
    locked_until timestamptz
);

-- Refresh tokens: only their SHA-256 is kept. Each sign-in starts a family; each refresh uses
-- one token up and issues the next of its family. A used token presented again is a replay:
-- the whole family is revoked. `tenant_id`: the business an operator's session acts for
-- (NULL: a guest's session).
CREATE TABLE refresh_tokens
(
    token_digest text        NOT NULL PRIMARY KEY,
    account_id   text        NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    family_id    text        NOT NULL,
    tenant_id    text,
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

-- One-time links (e-mail verification, password reset): only the token's SHA-256 is kept.
CREATE TABLE account_links
(
    token_digest text        NOT NULL PRIMARY KEY,
    account_id   text        NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    purpose      text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX account_links_account ON account_links (account_id);

-- Guest profiles: what operators see beside a booking of their business, and the guest edits.
CREATE TABLE guest_profiles
(
    guest_id   text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    phone      text,
    email      text,
    language   text        NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Messages to an account (verification and reset links) go through the outbox as deliveries
-- with no source event; `account_id` lets forgetting the account delete them.
ALTER TABLE notification_deliveries ADD COLUMN account_id text;
CREATE INDEX notification_deliveries_account ON notification_deliveries (account_id)
    WHERE account_id IS NOT NULL;
