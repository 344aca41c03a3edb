-- The consistency token of a request's answer; see the Postgres migration.
ALTER TABLE idempotency_keys ADD COLUMN position text;
