//! `holdfast bench <scenario>`: load a running server (or the stores) the way `pgbench` loads
//! Postgres, check the result is correct, and print one table: throughput, p50/p99/max latency,
//! errors by code, and the ratio to a baseline measured in the same run.
//!
//! Speed is judged only here (never by timed tests): these machines are noisy, so every figure
//! is printed next to a baseline taken a moment before, on the same machine.
//!
//! - `holds` ([`holds`]): place + confirm bookings on many inventories; baseline: pgbench
//!   one-row inserts at the same client count ([`baseline::pgbench`]).
//! - `storm` ([`storm`]): thousands of guests race for one slot; exactly its capacity is held.
//! - `coupons` ([`coupons`]): claims race for a campaign; exactly its quantity is issued.
//! - `lag` ([`lag`]): projection lag (commit → visible in the calendar) under `holds` load.
//! - `query` ([`query`]): a month of availability over GraphQL vs the same DynamoDB `Query`.
//! - `rebuild` ([`rebuild`]): rebuild every read model from a large log; baseline: raw
//!   `BatchWriteItem` items/s to the same DynamoDB ([`baseline::batch_write`]).
//! - `export` ([`export`]): `holdfast events export` of a large log to JSON lines.
//!
//! The shared parts: [`client`] (GraphQL over HTTP, tokens, per-request outcomes), [`stats`]
//! (latency summaries, the printed table), [`setup`] (listings, inventories, campaigns made
//! through the API itself), [`history`] (a large valid log: id-remapped copies of the
//! generated history).

mod baseline;
mod client;
mod coupons;
mod export;
mod history;
mod holds;
mod lag;
mod query;
mod rebuild;
mod setup;
mod stats;
mod storm;

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::settings::{AuthArgs, ReadSideArgs, StoreArgs};

/// A correctness check failed (exit status 1): the figures of such a run mean nothing.
#[derive(Debug, thiserror::Error)]
#[error("benchmark check failed: {0}")]
pub struct CheckFailed(pub String);

/// Arguments of `holdfast bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    scenario: Scenario,
}

/// How to reach the running server.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs {
    /// The server's base URL.
    #[arg(
        long,
        env = "HOLDFAST_BENCH_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Load shape shared by the scenarios that run for a bounded time.
#[derive(Args, Clone, Debug)]
pub struct LoadArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// How long to run (e.g. 20s, 1m).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,
}

#[derive(Subcommand)]
enum Scenario {
    /// Place + confirm bookings on many inventories; baseline: pgbench one-row inserts.
    Holds(holds::HoldsArgs),
    /// Guests race for one slot; exactly its capacity must be held.
    Storm(storm::StormArgs),
    /// Claims race for one campaign; exactly its quantity must be issued.
    Coupons(coupons::CouponsArgs),
    /// Projection lag (commit → visible in the calendar read model) under holds load.
    Lag(lag::LagArgs),
    /// A month of availability over GraphQL vs a direct DynamoDB Query of the same items.
    Query(query::QueryArgs),
    /// Rebuild every read model from a large log; baseline: raw BatchWriteItem items/s.
    Rebuild(rebuild::RebuildArgs),
    /// `holdfast events export` of a large log to JSON lines.
    Export(export::ExportArgs),
}

/// Parses `500ms`, `20s`, `2m` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 20s, 2m)"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s or m")),
    };
    if !(seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err(format!("`{text}`: must be positive and at most a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs the scenario and prints its table.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let report = match args.scenario {
        Scenario::Holds(a) => holds::run(a).await?,
        Scenario::Storm(a) => storm::run(a).await?,
        Scenario::Coupons(a) => coupons::run(a).await?,
        Scenario::Lag(a) => lag::run(a).await?,
        Scenario::Query(a) => query::run(a).await?,
        Scenario::Rebuild(a) => rebuild::run(a).await?,
        Scenario::Export(a) => export::run(a).await?,
    };
    print!("{}", report.render());
    report.into_result()
}

/// The read side arguments, for the scenarios that talk to DynamoDB themselves.
pub fn dynamo_store(
    read_side: &ReadSideArgs,
    side: &holdfast_engine::ReadSide,
) -> anyhow::Result<(
    aws_sdk_dynamodb::Client,
    std::sync::Arc<holdfast_projections::store::dynamo::DynamoStore>,
)> {
    match side {
        holdfast_engine::ReadSide::DynamoDb { client, store, .. } => {
            Ok((client.clone(), store.clone()))
        }
        holdfast_engine::ReadSide::InMemory(_) => anyhow::bail!(
            "this scenario needs DynamoDB: pass --dynamodb-endpoint (HOLDFAST_DYNAMODB_ENDPOINT) and the server's --table-prefix ({})",
            read_side.table_prefix
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0s", "x", "3h", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
