-- Photos guests upload for their reviews: the objects live in the photo store
-- (photos/<photo id>/…), these rows say whose they are. A review's event names its photos by
-- id; forgetting a guest deletes the objects and these rows, so the ids name nothing.
CREATE TABLE review_photos
(
    photo_id     text        NOT NULL PRIMARY KEY,
    booking_id   text        NOT NULL,
    guest_id     text        NOT NULL,
    width        bigint      NOT NULL,
    height       bigint      NOT NULL,
    widths       text        NOT NULL,
    content_type text        NOT NULL,
    uploaded_at  timestamptz NOT NULL
);
CREATE INDEX review_photos_booking ON review_photos (booking_id);
CREATE INDEX review_photos_guest ON review_photos (guest_id);
