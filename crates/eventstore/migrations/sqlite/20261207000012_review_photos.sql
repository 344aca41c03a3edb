-- Review photos' owners; see the Postgres migration.
CREATE TABLE review_photos
(
    photo_id     text    NOT NULL PRIMARY KEY,
    booking_id   text    NOT NULL,
    guest_id     text    NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    widths       text    NOT NULL,
    content_type text    NOT NULL,
    uploaded_at  text    NOT NULL
) STRICT;
CREATE INDEX review_photos_booking ON review_photos (booking_id);
CREATE INDEX review_photos_guest ON review_photos (guest_id);
