-- The event log. Columns up to `metadata` are postgres-es' own (cqrs-es 0.5), unchanged, so its
-- repository reads and writes them as it always does. The last three give the log a gap-safe
-- global order for tailing (see EventLog::read):
--   global_position  allocated at insert time (NOT commit order: a slower transaction can hold a
--                    smaller number and commit later);
--   tx_id            the inserting transaction's 64-bit id; a reader only returns transactions
--                    older than every transaction still running (pg_snapshot_xmin), ordered by
--                    (tx_id, global_position), so nothing committed later can sort before what
--                    it already returned;
--   recorded_at      commit-ish wall time, for analysts (as-of queries, exports).
CREATE TABLE events
(
    aggregate_type  text                         NOT NULL,
    aggregate_id    text                         NOT NULL,
    sequence        bigint CHECK (sequence >= 0) NOT NULL,
    event_type      text                         NOT NULL,
    event_version   text                         NOT NULL,
    payload         json                         NOT NULL,
    metadata        json                         NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- The reader's order and its `(tx_id, global_position) > ($tx, $pos)` range scan.
CREATE UNIQUE INDEX events_log_order ON events (tx_id, global_position);
-- Analysts' time-bounded exports.
CREATE INDEX events_recorded_at ON events (recorded_at);

-- postgres-es' snapshot table, unchanged.
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- Wake tailers within milliseconds: one notification per committing transaction that appended
-- events (NOTIFY is delivered at commit and folded per transaction). Tailers also poll, so a
-- lost notification only costs latency.
CREATE FUNCTION holdfast_notify_events() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('holdfast_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify
    AFTER INSERT ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION holdfast_notify_events();
