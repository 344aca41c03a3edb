-- The booking process' side tables; see the Postgres migration for what each column means.
-- Instants are fixed-width RFC 3339 UTC text (sorts like time); `payload` is JSON text.
CREATE TABLE payment_webhook_events
(
    event_id    text NOT NULL PRIMARY KEY,
    event_type  text NOT NULL,
    booking_id  text,
    outcome     text CHECK (outcome IN ('processed', 'ignored', 'rejected')),
    code        text,
    received_at text NOT NULL
) STRICT;

CREATE TABLE notification_cursors
(
    sink       text    NOT NULL PRIMARY KEY,
    log_tx     integer NOT NULL,
    log_index  integer NOT NULL,
    updated_at text    NOT NULL
) STRICT;

CREATE TABLE notification_deliveries
(
    sink            text    NOT NULL,
    notification_id text    NOT NULL,
    tenant_id       text    NOT NULL,
    booking_id      text    NOT NULL,
    kind            text    NOT NULL,
    payload         text    NOT NULL,
    status          text    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at text    NOT NULL,
    last_error      text,
    created_at      text    NOT NULL,
    delivered_at    text,
    log_tx          integer NOT NULL,
    log_index       integer NOT NULL,
    PRIMARY KEY (sink, notification_id)
) STRICT;

CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX notification_deliveries_tenant ON notification_deliveries
    (tenant_id, status, log_tx, log_index, sink);
CREATE INDEX notification_deliveries_status ON notification_deliveries
    (status, log_tx, log_index, sink);
