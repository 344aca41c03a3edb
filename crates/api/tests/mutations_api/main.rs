//! The GraphQL mutations over HTTP on `spawn_app()` (real Postgres, DynamoDB Local, live
//! projectors, a controlled clock). One test binary, one module per concern:
//!
//! - `storm`: 200 concurrent placements on 50 seats;
//! - `policy`: the same-day 18:00 opening rule in Seoul;
//! - `back_office`: an inventory's waitlist and a business's guests;
//! - `calendar`: iCalendar feeds (a guest's, an inventory's) and one booking's `.ics`;
//! - `dashboard`: a business's figures over dates, each exact;
//! - `content`: the whole description and the booking policy read back, in words too;
//! - `idempotency`: retries return the first result and append nothing;
//! - `retries`: every kind of mutation retried after client timeouts takes effect once per key;
//! - `compensation`: a refused coupon takes no hold and rejects the booking;
//! - `hostile`: bad input is `INVALID_INPUT` naming the field, never a 5xx;
//! - `lifecycle`: every mutation's success path;
//! - `one_commit`: a mutation is one transaction (events of both aggregates and the key);
//! - `embedded`: the same on SQLite and in-memory read models;
//! - `accounts`: sign-up, sign-in, lockout, refresh rotation, reset, hostile input;
//! - `businesses`: onboarding, invitations, membership, suspension;
//! - `photos`: uploads checked, resized, served, removed (object_store on the filesystem);
//! - `profiles`: who sees a guest's profile, and forgetting a guest;
//! - `auth`: every refusal (anonymous, guest on operator mutations, other tenant, other guest).

#[path = "../support/mod.rs"]
mod support;

mod fixtures;

mod accounts;
mod auth;
mod back_office;
mod businesses;
mod calendar;
mod compensation;
mod content;
mod dashboard;
mod embedded;
mod hostile;
mod idempotency;
mod lifecycle;
mod loyalty_matrix;
mod one_commit;
mod photos;
mod policy;
mod profiles;
mod retries;
mod reviews;
mod storm;
mod support_verify;
