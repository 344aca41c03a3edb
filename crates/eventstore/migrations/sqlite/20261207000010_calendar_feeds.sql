-- Secret calendar feed addresses; see the Postgres migration.
CREATE TABLE calendar_feeds
(
    token      text NOT NULL PRIMARY KEY,
    kind       text NOT NULL,
    subject    text NOT NULL,
    tenant_id  text NOT NULL,
    created_at text NOT NULL,
    UNIQUE (kind, subject)
) STRICT;
