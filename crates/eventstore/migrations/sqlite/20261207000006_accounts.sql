-- Accounts and guest profiles; see the Postgres migration for what each column means.
-- Instants are fixed-width RFC 3339 UTC text (sorts like time).
CREATE TABLE accounts
(
    account_id        text NOT NULL PRIMARY KEY,
    guest_id          text NOT NULL UNIQUE,
    email             text NOT NULL UNIQUE,
    email_digest      text NOT NULL UNIQUE,
    password_hash     text NOT NULL,
    email_verified_at text,
    created_at        text NOT NULL
) STRICT;

CREATE TABLE sign_in_failures
(
    email_digest text    NOT NULL PRIMARY KEY,
    failures     integer NOT NULL,
    locked_until text
) STRICT;

CREATE TABLE refresh_tokens
(
    token_digest text NOT NULL PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    family_id    text NOT NULL,
    tenant_id    text,
    issued_at    text NOT NULL,
    expires_at   text NOT NULL,
    used_at      text,
    revoked_at   text
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

CREATE TABLE account_links
(
    token_digest text NOT NULL PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at   text NOT NULL,
    expires_at   text NOT NULL,
    used_at      text
) STRICT;
CREATE INDEX account_links_account ON account_links (account_id);

CREATE TABLE guest_profiles
(
    guest_id   text NOT NULL PRIMARY KEY,
    name       text NOT NULL,
    phone      text,
    email      text,
    language   text NOT NULL,
    updated_at text NOT NULL
) STRICT;

ALTER TABLE notification_deliveries ADD COLUMN account_id text;
CREATE INDEX notification_deliveries_account ON notification_deliveries (account_id)
    WHERE account_id IS NOT NULL;
