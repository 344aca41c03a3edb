-- A lease on a running request's idempotency key; see the Postgres migration. RFC 3339 UTC
-- text with milliseconds from SQLite's clock (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')).
ALTER TABLE idempotency_keys ADD COLUMN lease_until text;
