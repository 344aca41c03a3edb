-- A lease on a running request's idempotency key (crates/api/src/idempotency.rs): while the
-- request runs it renews `lease_until` (the database's clock) every few seconds. A row with no
-- outcome whose lease ran out belongs to a request that died with its process (kill -9, a
-- crash) or whose client hung up; a retry takes it over at once instead of waiting for the
-- in-flight timeout. NULL on rows written before this migration.
ALTER TABLE idempotency_keys ADD COLUMN lease_until timestamptz;
