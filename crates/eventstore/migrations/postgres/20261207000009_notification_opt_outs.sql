-- The kinds of notification a guest turned off (only kinds a booking does not need can be:
-- crates/engine/src/notify/kind.rs, NotificationKind::OPTIONAL). Every guest-facing sink
-- (e-mail, SMS) reads it when it sends.
CREATE TABLE notification_opt_outs
(
    guest_id   text        NOT NULL,
    kind       text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (guest_id, kind)
);
