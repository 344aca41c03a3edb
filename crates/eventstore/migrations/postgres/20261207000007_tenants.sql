-- Businesses' addresses on the booking site: one slug, one business. The engine claims a slug
-- here before the Tenant aggregate takes it (onboarding, a change of slug) and releases the old
-- one after; the log stays the source of truth for which slug a business has.
CREATE TABLE tenant_slugs
(
    slug       text        NOT NULL PRIMARY KEY,
    tenant_id  text        NOT NULL,
    claimed_at timestamptz NOT NULL
);
CREATE INDEX tenant_slugs_tenant ON tenant_slugs (tenant_id);

-- The address an invitation was sent to (the event carries its digest only): what the e-mail
-- sink sends to. Deleted once the invitation is accepted or revoked.
CREATE TABLE invitation_addresses
(
    invitation_id text        NOT NULL PRIMARY KEY,
    tenant_id     text        NOT NULL,
    email         text        NOT NULL,
    created_at    timestamptz NOT NULL
);
