-- What guests wrote in their reviews and what businesses replied: kept beside the log, not in
-- it (the log's Review events carry a digest of each text), so forgetting a guest deletes their
-- words. One row per reviewed booking.
CREATE TABLE review_texts
(
    booking_id text        NOT NULL PRIMARY KEY,
    guest_id   text        NOT NULL,
    text       text        NOT NULL,
    reply      text,
    written_at timestamptz NOT NULL
);
CREATE INDEX review_texts_guest ON review_texts (guest_id);
