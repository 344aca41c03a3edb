-- Which availability watches a guest started (the watches themselves are `Watch` aggregates
-- in the log): what `myWatches` lists. Only ids, nothing personal.
CREATE TABLE guest_watches
(
    watch_id   text        NOT NULL PRIMARY KEY,
    guest_id   text        NOT NULL,
    started_at timestamptz NOT NULL
);
CREATE INDEX guest_watches_guest ON guest_watches (guest_id, started_at);
