//! The reliability and security suite, against the real `holdfast` binary on real Postgres and
//! DynamoDB Local. Smoke-sized in the normal test run (`./scripts/test`, CI); full-sized with
//! `scripts/reliability --full` (`HOLDFAST_RELIABILITY=full`). Every scenario writes a report
//! section (see `support::report`); `scripts/reliability` merges them. docs/RELIABILITY.md
//! explains each scenario and holds the figures of a full run.
//!
//! - `crash`: `kill -9` of the server under booking load, restarts, invariants from the log;
//! - `dynamodb_outage`: a dedicated DynamoDB Local stopped under load, the projector catching up;
//! - `postgres_restart`: a dedicated Postgres restarted and stopped under load;
//! - `idempotency`: every mutation retried with its key after random client timeouts;
//! - `isolation`: the authorization matrix of subscriptions and the admin event history;
//! - `hostile`: hand-written hostile requests; `fuzz`: schemathesis on the GraphQL schema.

mod load;
mod support;

mod crash;
mod fuzz;
mod outages;
