//! `holdfast-bench <scenario>`: load a running `holdfast serve` (or the stores) the way `pgbench`
//! loads Postgres, check the result is correct, and print one table: throughput, p50/p99/max
//! latency, errors by code, and the ratio to a baseline measured in the same run. Also
//! `holdfast-bench generate-history`, which writes the recorded event history
//! (`fixtures/history/events.jsonl`). None of it ships in the `holdfast` binary.
//!
//! Speed is judged only here (never by timed tests): these machines are noisy, so every figure
//! is printed next to a baseline taken a moment before, on the same machine.
//!
//! - `holds` ([`holds`]): place + confirm bookings on many inventories; baseline: pgbench
//!   one-row inserts at the same client count ([`baseline::pgbench`]).
//! - `storm` ([`storm`]): thousands of guests race for one slot; exactly its capacity is held.
//! - `coupons` ([`coupons`]): claims race for a campaign; exactly its quantity is issued.
//! - `lag` ([`lag`]): projection lag (commit → visible in the calendar) under `holds` load,
//!   closed loop or at an offered rate (`--rate`).
//! - `query` ([`query`]): a month of availability over GraphQL vs the same DynamoDB `Query`.
//! - `rebuild` ([`rebuild`]): rebuild every read model from a large log; baseline: raw
//!   `BatchWriteItem` items/s to the same DynamoDB ([`baseline::batch_write`]).
//! - `export` ([`export`]): `holdfast events export` (the `holdfast` binary, as a child
//!   process) of a large log to JSON lines.
//! - `generate-history` ([`history`]): the deterministic history, as JSON lines.
//! - `delay-proxy` ([`proxy`]): a TCP forwarder that delays each request (the `lag` scenario
//!   with DynamoDB calls as slow as the real service's).
//!
//! Given several `--url`s (the nodes of one cluster), the API scenarios send their requests to
//! the nodes in turn. `holds`, `storm` and `coupons` also report what the run cost ([`cost`]):
//! Postgres commits, CPU time of the server, Postgres and DynamoDB Local, conflicts per node.
//!
//! The shared parts: [`client`] (GraphQL over HTTP, tokens, per-request outcomes), [`stats`]
//! (latency summaries, the printed table), [`setup`] (listings, inventories, campaigns made
//! through the API itself), [`seed`] (a large valid log: id-remapped copies of the generated
//! history), [`settings`] (the flags and `HOLDFAST_*` variables shared with `holdfast`),
//! [`error`] ([`BenchError`]; a failed check is [`BenchError::CheckFailed`], exit status 1).

pub mod baseline;
pub mod client;
pub mod cost;
pub mod coupons;
pub mod error;
pub mod export;
pub mod history;
pub mod holds;
pub mod lag;
pub mod proxy;
pub mod query;
pub mod rebuild;
pub mod seed;
pub mod settings;
pub mod setup;
pub mod stats;
pub mod storm;

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

pub use error::{BenchError, Context};

use settings::{AuthArgs, ReadSideArgs, StoreArgs};

/// How to reach the running server.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs {
    /// The server's base URL; several (repeated, or comma-separated) for the nodes of one
    /// cluster, which then get the requests in turn (round-robin).
    #[arg(
        long,
        env = "HOLDFAST_BENCH_URL",
        default_value = "http://127.0.0.1:8080",
        value_delimiter = ','
    )]
    pub url: Vec<String>,
    /// The server's token secret (the bench mints its own tokens).
    #[command(flatten)]
    pub auth: AuthArgs,
    /// The server's event store (the `holds` baseline runs pgbench on its Postgres).
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

/// What `holdfast-bench` runs: a scenario, or the history generator.
#[derive(Subcommand)]
pub enum Command {
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
    /// A TCP forwarder adding a delay to every request (DynamoDB Local with a real round trip).
    DelayProxy(proxy::DelayProxyArgs),
    /// Write the deterministic event history (fixtures/history/events.jsonl) to a file.
    GenerateHistory(GenerateHistoryArgs),
}

/// Arguments of `holdfast-bench generate-history`.
#[derive(Args)]
pub struct GenerateHistoryArgs {
    /// Where to write the JSONL history.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the random choices.
    #[arg(long, default_value_t = history::HistoryOptions::default().seed)]
    pub seed: u64,
    /// First day of the history (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, default_value = "2026-01-05")]
    pub start: NaiveDate,
    /// Days of booking traffic.
    #[arg(long, default_value_t = history::HistoryOptions::default().days)]
    pub days: u32,
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

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date (expected YYYY-MM-DD)"))
}

/// Runs `command`: a scenario prints its table (and fails with [`BenchError::CheckFailed`] if
/// a check failed); `generate-history` writes its file.
pub async fn run(command: Command) -> Result<(), BenchError> {
    let report = match command {
        Command::Holds(a) => holds::run(a).await?,
        Command::Storm(a) => storm::run(a).await?,
        Command::Coupons(a) => coupons::run(a).await?,
        Command::Lag(a) => lag::run(a).await?,
        Command::Query(a) => query::run(a).await?,
        Command::Rebuild(a) => rebuild::run(a).await?,
        Command::Export(a) => export::run(a).await?,
        Command::GenerateHistory(a) => return generate_history(a),
        Command::DelayProxy(a) => return proxy::run(a).await,
    };
    print!("{}", report.render());
    report.into_result()
}

/// `generate-history`: the history of the embedded demo set, written to `args.out`.
pub fn generate_history(args: GenerateHistoryArgs) -> Result<(), BenchError> {
    let set = holdfast_engine::fixtures::FixtureSet::embedded()?;
    let events = history::generate(
        &set,
        history::HistoryOptions {
            seed: args.seed,
            start: args.start,
            days: args.days,
        },
    )?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    history::write_jsonl(&events, file)?;
    println!("wrote {} events to {}", events.len(), args.out.display());
    Ok(())
}

/// The DynamoDB client and store of `side`, for the scenarios that talk to DynamoDB themselves.
pub fn dynamo_store(
    read_side: &ReadSideArgs,
    side: &holdfast_engine::ReadSide,
) -> Result<
    (
        aws_sdk_dynamodb::Client,
        std::sync::Arc<holdfast_projections::store::dynamo::DynamoStore>,
    ),
    BenchError,
> {
    match side {
        holdfast_engine::ReadSide::DynamoDb { client, store, .. } => {
            Ok((client.clone(), store.clone()))
        }
        holdfast_engine::ReadSide::InMemory(_) => Err(BenchError::failed(format!(
            "this scenario needs DynamoDB: pass --dynamodb-endpoint (HOLDFAST_DYNAMODB_ENDPOINT) and the server's --table-prefix ({})",
            read_side.table_prefix
        ))),
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
