-- Businesses' contacts; see the Postgres migration.
CREATE TABLE tenant_contacts
(
    tenant_id  text NOT NULL PRIMARY KEY,
    email      text,
    phone      text,
    updated_at text NOT NULL
) STRICT;
