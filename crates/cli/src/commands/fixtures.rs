//! `holdfast fixtures load [DIR]`: load demo tenants, listings, inventories and coupon campaigns
//! (idempotent); `holdfast fixtures generate-history --out FILE` (hidden): write the recorded
//! event history that `fixtures/history/events.jsonl` is.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use holdfast_engine::fixtures::FixtureSet;
use holdfast_engine::fixtures::load::load_set;

use crate::fixtures::history::{self, HistoryOptions};
use crate::settings::StoreArgs;

/// Arguments of `holdfast fixtures`.
#[derive(Args)]
pub struct FixturesArgs {
    #[command(subcommand)]
    command: FixturesCommand,
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Load a fixture set (default: fixtures/demo, or the demo set built into the binary when
    /// that folder is absent). Loading again appends nothing.
    Load(LoadArgs),
    /// Write the deterministic event history (fixtures/history/events.jsonl) to a file.
    #[command(hide = true)]
    GenerateHistory(GenerateArgs),
}

#[derive(Args)]
struct LoadArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A folder of fixture TOML files (see fixtures/README.md).
    dir: Option<PathBuf>,
    /// The date seasons and coupon windows start from (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_parser = parse_date)]
    start: Option<NaiveDate>,
}

#[derive(Args)]
struct GenerateArgs {
    /// Where to write the JSONL history.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the random choices.
    #[arg(long, default_value_t = HistoryOptions::default().seed)]
    seed: u64,
    /// First day of the history (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, default_value = "2026-01-05")]
    start: NaiveDate,
    /// Days of booking traffic.
    #[arg(long, default_value_t = HistoryOptions::default().days)]
    days: u32,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date (expected YYYY-MM-DD)"))
}

/// Runs the subcommand.
pub async fn run(args: FixturesArgs) -> anyhow::Result<()> {
    match args.command {
        FixturesCommand::Load(args) => {
            let set = match &args.dir {
                Some(dir) => FixtureSet::read_dir(dir)?,
                None if PathBuf::from("fixtures/demo").is_dir() => {
                    FixtureSet::read_dir("fixtures/demo".as_ref())?
                }
                None => FixtureSet::embedded()?,
            };
            let store = args.store.open().await?;
            store.migrate().await?;
            let start = args.start.unwrap_or_else(|| Utc::now().date_naive());
            let report = load_set(&store, &set, start).await?;
            println!(
                "fixtures: {} loaded, {} already present",
                report.loaded.len(),
                report.skipped.len()
            );
            for name in &report.loaded {
                println!("  loaded  {name}");
            }
            for name in &report.skipped {
                println!("  present {name}");
            }
            Ok(())
        }
        FixturesCommand::GenerateHistory(args) => {
            let set = FixtureSet::embedded()?;
            let events = history::generate(
                &set,
                HistoryOptions {
                    seed: args.seed,
                    start: args.start,
                    days: args.days,
                },
            )?;
            let file = std::fs::File::create(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?;
            let mut out = std::io::BufWriter::new(file);
            for event in &events {
                serde_json::to_writer(&mut out, event)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            println!("wrote {} events to {}", events.len(), args.out.display());
            Ok(())
        }
    }
}
