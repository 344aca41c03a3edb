-- Reviews' words; see the Postgres migration.
CREATE TABLE review_texts
(
    booking_id text NOT NULL PRIMARY KEY,
    guest_id   text NOT NULL,
    text       text NOT NULL,
    reply      text,
    written_at text NOT NULL
) STRICT;
CREATE INDEX review_texts_guest ON review_texts (guest_id);
