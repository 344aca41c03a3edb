-- Guests' notification opt-outs; see the Postgres migration.
CREATE TABLE notification_opt_outs
(
    guest_id   text NOT NULL,
    kind       text NOT NULL,
    created_at text NOT NULL,
    PRIMARY KEY (guest_id, kind)
) STRICT;
