-- Idempotency keys of API mutations (crates/api/src/idempotency.rs). One row per caller and key:
-- `response` is NULL while the first request runs, then holds its outcome (a payload or a typed
-- error) as JSON, which every retry gets back without executing anything. `created_at` is the
-- application clock's instant (keys expire 24 h after it, deleted when read).
CREATE TABLE idempotency_keys
(
    principal    text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (principal, key)
);

-- Sweeping expired keys.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
