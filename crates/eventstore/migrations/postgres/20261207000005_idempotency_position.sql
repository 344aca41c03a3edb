-- The consistency token of a request's answer (crates/engine/src/idempotency.rs): the log
-- position (`tx.index`) of the last event the request wrote, stored with the answer in the
-- transaction that committed both (EventStore::commit), so a replay answers the first token
-- too. NULL on rows written before this migration and on answers that wrote no event.
ALTER TABLE idempotency_keys ADD COLUMN position text;
