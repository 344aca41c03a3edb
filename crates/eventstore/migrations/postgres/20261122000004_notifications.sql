-- The booking process' side tables (crates/api/src/webhooks, crates/api/src/notify).
--
-- payment_webhook_events: replay protection of `POST /webhooks/payments`. One row per provider
-- event id; `outcome` is NULL while its first delivery is being processed, then `processed`,
-- `ignored` (a type Holdfast does not act on) or `rejected` (a final refusal, `code` says why).
-- A later delivery of the same id answers `duplicate` and runs nothing. `received_at` is the
-- application clock's instant.
CREATE TABLE payment_webhook_events
(
    event_id    text        NOT NULL PRIMARY KEY,
    event_type  text        NOT NULL,
    booking_id  text,
    outcome     text CHECK (outcome IN ('processed', 'ignored', 'rejected')),
    code        text,
    received_at timestamptz NOT NULL
);

-- notification_cursors: per sink, the log position up to which notifications were enqueued.
-- Advanced in the same transaction as the deliveries it enqueued, so a restart neither loses
-- nor repeats a notification.
CREATE TABLE notification_cursors
(
    sink       text        NOT NULL PRIMARY KEY,
    log_tx     bigint      NOT NULL,
    log_index  bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- notification_deliveries: one row per (sink, notification). `notification_id` is stable per
-- source event (`<booking id>:<sequence>`), so enqueueing again is a no-op (ON CONFLICT DO
-- NOTHING). `status`: pending (to send at `next_attempt_at`), delivered (acknowledged with a
-- 2xx: never sent again) or dead (gave up after the maximum attempts; an operator may retry).
-- (log_tx, log_index) is the source event's log position: the order of listings.
CREATE TABLE notification_deliveries
(
    sink            text        NOT NULL,
    notification_id text        NOT NULL,
    tenant_id       text        NOT NULL,
    booking_id      text        NOT NULL,
    kind            text        NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    log_tx          bigint      NOT NULL,
    log_index       bigint      NOT NULL,
    PRIMARY KEY (sink, notification_id)
);

-- The sender's scan: pending deliveries by due time.
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE status = 'pending';
-- Operators' listings: per tenant and status, in log order.
CREATE INDEX notification_deliveries_tenant ON notification_deliveries
    (tenant_id, status, log_tx, log_index, sink);
-- Admins' listings: per status, in log order.
CREATE INDEX notification_deliveries_status ON notification_deliveries
    (status, log_tx, log_index, sink);
