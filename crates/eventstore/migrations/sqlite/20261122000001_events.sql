-- The embedded event log (sqlite-es' tables, cqrs-es 0.5) plus a global order for tailing.
-- SQLite has one writer at a time: a transaction assigns positions while it holds the write
-- lock and no other writer can commit before it finishes, so position order IS commit order and
-- a reader never sees a gap that fills later. The position is a real column (not the implicit
-- rowid, which VACUUM may renumber), assigned by the trigger below as MAX + 1.
CREATE TABLE events
(
    aggregate_type  text                          NOT NULL,
    aggregate_id    text                          NOT NULL,
    sequence        integer CHECK (sequence >= 0) NOT NULL,
    event_type      text                          NOT NULL,
    event_version   text                          NOT NULL,
    payload         text                          NOT NULL,
    metadata        text                          NOT NULL,
    global_position integer,
    recorded_at     text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
) STRICT;

CREATE UNIQUE INDEX events_global_position ON events (global_position);
CREATE INDEX events_recorded_at ON events (recorded_at);

CREATE TRIGGER events_assign_position
    AFTER INSERT ON events
BEGIN
    UPDATE events
    SET global_position = (SELECT COALESCE(MAX(global_position), 0) + 1 FROM events)
    WHERE rowid = NEW.rowid;
END;

CREATE TABLE snapshots
(
    aggregate_type   text                                  NOT NULL,
    aggregate_id     text                                  NOT NULL,
    last_sequence    integer CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot integer CHECK (current_snapshot >= 0) NOT NULL,
    payload          text                                  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
) STRICT;
