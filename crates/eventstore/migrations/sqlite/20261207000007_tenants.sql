-- Businesses' slugs and invitation addresses; see the Postgres migration.
CREATE TABLE tenant_slugs
(
    slug       text NOT NULL PRIMARY KEY,
    tenant_id  text NOT NULL,
    claimed_at text NOT NULL
) STRICT;
CREATE INDEX tenant_slugs_tenant ON tenant_slugs (tenant_id);

CREATE TABLE invitation_addresses
(
    invitation_id text NOT NULL PRIMARY KEY,
    tenant_id     text NOT NULL,
    email         text NOT NULL,
    created_at    text NOT NULL
) STRICT;
