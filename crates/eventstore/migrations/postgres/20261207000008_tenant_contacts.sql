-- How guests reach a business (its contact address and phone): shown on its booking page.
-- Kept beside the log, not in it, so that a sole trader's own address or number can be erased
-- (a business's contact is often a person's).
CREATE TABLE tenant_contacts
(
    tenant_id  text        NOT NULL PRIMARY KEY,
    email      text,
    phone      text,
    updated_at timestamptz NOT NULL
);
