//! The booking process' side doors, on real services: the payments webhook
//! (`POST /webhooks/payments`) and the notifications outbox.
//!
//! - `payments_webhook`: signed deliveries confirm a held booking; bad or stale signatures,
//!   replays, malformed bodies, unknown bookings and a disabled endpoint are refused with a code.
//! - `outbox`: a receiver failing 3 times then succeeding gets each notification exactly once;
//!   dead-lettering, operator visibility and retry; restarts and a second instance send nothing
//!   twice; the embedded shape (SQLite); with the booking worker, the offer and its expiry.
//! - `email`: e-mail through a real SMTP server on loopback, in the guest's language, once
//!   each, across a refusing server and a restart mid-send.
//! - `reminders`: the booking worker's reminder before the start and warning before a hold
//!   runs out, by e-mail, once each across worker restarts; opt-outs honoured.
//! - `store_contract`: the outbox and replay tables behave the same on Postgres and SQLite.

#[path = "../support/mod.rs"]
mod support;

#[path = "../mutations_api/fixtures.rs"]
mod fixtures;

mod receiver;

mod email;
mod outbox;
mod payments_webhook;
mod reminders;
mod store_contract;
