-- A guest's availability watches; see the Postgres migration.
CREATE TABLE guest_watches
(
    watch_id   text NOT NULL PRIMARY KEY,
    guest_id   text NOT NULL,
    started_at text NOT NULL
) STRICT;
CREATE INDEX guest_watches_guest ON guest_watches (guest_id, started_at);
