-- Secret calendar feed addresses (iCalendar, RFC 5545): one per guest (their bookings) and one
-- per inventory (an operator's). The token is the address's secret: a read-only capability a
-- calendar app polls with; resetting the feed replaces it (the old address stops working).
-- Forgetting a guest deletes theirs. crates/engine/src/calendar_feeds.rs.
CREATE TABLE calendar_feeds
(
    token      text        PRIMARY KEY,
    kind       text        NOT NULL,
    subject    text        NOT NULL,
    tenant_id  text        NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (kind, subject)
);
