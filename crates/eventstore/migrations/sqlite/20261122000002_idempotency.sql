-- Idempotency keys of API mutations (crates/api/src/idempotency.rs); see the Postgres migration.
-- `response` is JSON text; `created_at` RFC 3339 UTC text from the application clock.
CREATE TABLE idempotency_keys
(
    principal    text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    response     text,
    created_at   text NOT NULL,
    PRIMARY KEY (principal, key)
) STRICT;

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
