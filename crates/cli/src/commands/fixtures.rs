//! `holdfast fixtures load [DIR]`: load demo tenants, listings, inventories and coupon campaigns
//! (idempotent). The recorded event history (`fixtures/history/events.jsonl`) is written by
//! `holdfast-bench generate-history`, not by this binary.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use holdfast_domain::services::DomainServices;
use holdfast_engine::fixtures::FixtureSet;
use holdfast_engine::fixtures::load::load_set;

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
            let report = load_set(&store, &set, start, &DomainServices::system()).await?;
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
    }
}
