//! `holdfast projections status|rebuild|verify`: operate the DynamoDB read models.
//!
//! - `status`: per read model, the generation readers use, its checkpoint, and the lag in
//!   events and seconds behind the log.
//! - `rebuild [NAME…|--all]`: blue-green: build a new generation of each from position 0 while
//!   the old one serves — all of them in one pass of the log — verify each, switch readers, drop
//!   the old ones; a progress bar, events/s at the end.
//! - `verify [NAME…|--all]`: recompute from the log in memory and diff against DynamoDB; every
//!   difference is listed; exits non-zero when there is any.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use holdfast_projections::models::all_projections;
use holdfast_projections::projection::Projection;
use holdfast_projections::runtime::{
    Difference, RebuildPhase, RebuildProgress, Rebuilder, status::measure_lag, verify,
};
use holdfast_projections::store::{ReadStore, Table, TableRef};
use indicatif::{ProgressBar, ProgressStyle};

use crate::settings::{ReadSideArgs, StoreArgs};

/// `projections verify` found read models that differ from the log (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{count} differences between the read models and the log")]
pub struct VerifyDifferences {
    /// How many.
    pub count: usize,
}

/// Arguments of `holdfast projections`.
#[derive(Args)]
pub struct ProjectionsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    #[command(subcommand)]
    command: ProjectionsCommand,
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Generation, checkpoint and lag of every read model.
    Status,
    /// Rebuild read models into a new generation each (blue-green, all in one pass of the log)
    /// and switch readers to them.
    Rebuild(Selection),
    /// Recompute read models from the log and report every difference.
    Verify(Selection),
    /// Start read models over: point readers at a new, empty generation (the projectors refill
    /// it from position 0) and drop every older one. Readers see partial data until caught up;
    /// prefer `rebuild`, which switches only once the new generation is complete.
    Reset(ResetArgs),
}

#[derive(Args)]
struct ResetArgs {
    #[command(flatten)]
    selection: Selection,
    /// Confirm: without it nothing is changed.
    #[arg(long)]
    yes: bool,
}

#[derive(Args)]
struct Selection {
    /// Read models by name (calendar, search, bookings, coupons).
    names: Vec<String>,
    /// Every read model.
    #[arg(long, conflicts_with = "names")]
    all: bool,
}

impl Selection {
    fn projections(&self) -> anyhow::Result<Vec<Arc<dyn Projection>>> {
        if !self.all && self.names.is_empty() {
            bail!(
                "name the read models to use (calendar, search, bookings, coupons) or pass --all"
            );
        }
        let all = all_projections();
        if self.all {
            return Ok(all);
        }
        self.names
            .iter()
            .map(|name| {
                let table = Table::parse(name).with_context(|| {
                    format!("unknown read model `{name}`: expected calendar, search, bookings or coupons")
                })?;
                all.iter()
                    .find(|p| p.table() == table)
                    .cloned()
                    .with_context(|| format!("no projection for {table}"))
            })
            .collect()
    }
}

/// Runs the subcommand.
pub async fn run(args: ProjectionsArgs) -> anyhow::Result<()> {
    if !args.read_side.uses_dynamodb() {
        bail!(
            "the embedded default keeps read models in the server's memory and rebuilds them at every start; \
             to operate DynamoDB read models pass --dynamodb or --dynamodb-endpoint (HOLDFAST_DYNAMODB_ENDPOINT)"
        );
    }
    let events = args.store.open().await?;
    let read_store = args.read_side.connect().await?.store();
    match args.command {
        ProjectionsCommand::Status => status(&events, read_store.as_ref()).await,
        ProjectionsCommand::Rebuild(selection) => {
            rebuild(&events, read_store, selection.projections()?).await
        }
        ProjectionsCommand::Reset(args) => {
            let projections = args.selection.projections()?;
            if !args.yes {
                bail!(
                    "reset empties the read models readers use until the projectors refill them; pass --yes to confirm"
                );
            }
            for projection in projections {
                reset(read_store.as_ref(), projection.table()).await?;
            }
            Ok(())
        }
        ProjectionsCommand::Verify(selection) => {
            let mut total = 0;
            for projection in selection.projections()? {
                total += verify_one(&events, read_store.as_ref(), projection.as_ref()).await?;
            }
            if total > 0 {
                return Err(VerifyDifferences { count: total }.into());
            }
            Ok(())
        }
    }
}

async fn reset(store: &dyn ReadStore, table: Table) -> anyhow::Result<()> {
    let old = store.generations(table).await?;
    let generation = old.iter().max().copied().unwrap_or(0) + 1;
    store.create_table(TableRef::new(table, generation)).await?;
    store.set_alias(table, generation).await?;
    for g in &old {
        store.drop_table(TableRef::new(table, *g)).await?;
    }
    println!("reset {table}: readers now use the empty generation {generation}; dropped {old:?}");
    Ok(())
}

async fn status(
    events: &holdfast_eventstore::EventStore,
    store: &dyn ReadStore,
) -> anyhow::Result<()> {
    println!(
        "{:<10} {:>10} {:>24} {:>12} {:>12}",
        "read model", "generation", "position", "lag events", "lag seconds"
    );
    for table in Table::ALL {
        let Some(generation) = store.alias(table).await? else {
            println!("{:<10} {:>10}", table.name(), "none");
            continue;
        };
        let position = store
            .checkpoint(TableRef::new(table, generation))
            .await?
            .unwrap_or_default();
        let lag = measure_lag(events, position).await?;
        println!(
            "{:<10} {:>10} {:>24} {:>12} {:>12.1}",
            table.name(),
            generation,
            position.to_string(),
            lag.events,
            lag.seconds
        );
    }
    Ok(())
}

async fn rebuild(
    events: &holdfast_eventstore::EventStore,
    store: Arc<dyn ReadStore>,
    projections: Vec<Arc<dyn Projection>>,
) -> anyhow::Result<()> {
    let names: Vec<&str> = projections.iter().map(|p| p.table().name()).collect();
    let names = names.join(", ");
    let total = measure_lag(events, holdfast_eventstore::Position::START)
        .await?
        .events;
    let bar = ProgressBar::new(total.max(1));
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} events {msg} ({elapsed})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_prefix(names.clone());
    bar.enable_steady_tick(Duration::from_millis(200));
    // Every table folds the same batches: the bar follows the furthest.
    let progress = |p: &RebuildProgress| {
        if p.events > bar.length().unwrap_or(0) {
            bar.set_length(p.events);
        }
        if p.events > bar.position() {
            bar.set_position(p.events);
        }
        let phase = match p.phase {
            RebuildPhase::Building => "building",
            RebuildPhase::Verifying => "verifying",
            RebuildPhase::CatchingUp => "catching up",
            RebuildPhase::Switching => "switching",
            RebuildPhase::Done => "done",
        };
        bar.set_message(format!(
            "{} g{} {phase} {:.0} events/s",
            p.table, p.generation, p.events_per_second
        ));
    };
    let reports = Rebuilder::many(projections, store, events.clone())
        .run_all(progress)
        .await
        .with_context(|| format!("rebuilding {names}"))?;
    bar.finish_and_clear();
    for report in reports {
        let seconds = report.elapsed.as_secs_f64();
        println!(
            "rebuilt {}: generation {} (was {}), {} events in {:.1} s = {:.0} events/s; verified {} items, {} differences; dropped {:?}",
            report.table,
            report.generation,
            report
                .old_generation
                .map_or("none".to_owned(), |g| g.to_string()),
            report.events,
            seconds,
            report.events as f64 / seconds.max(1e-9),
            report.verify.checked,
            report.verify.differences.len(),
            report.dropped,
        );
    }
    Ok(())
}

async fn verify_one(
    events: &holdfast_eventstore::EventStore,
    store: &dyn ReadStore,
    projection: &dyn Projection,
) -> anyhow::Result<usize> {
    let table = projection.table();
    let Some(generation) = store.alias(table).await? else {
        println!("{table}: no generation yet (nothing to verify)");
        return Ok(0);
    };
    let report = verify(store, events.log().as_ref(), projection, generation)
        .await
        .with_context(|| format!("verifying {table}"))?;
    println!(
        "{table} g{generation}: checked {} items up to {}, {} differences",
        report.checked,
        report.checkpoint,
        report.differences.len()
    );
    for difference in &report.differences {
        match difference {
            Difference::Missing { expected } => println!("  missing  {:?}", expected.key),
            Difference::Extra { actual } => println!("  extra    {:?}", actual.key),
            Difference::Different { actual, attrs, .. } => {
                println!("  differs  {:?} in {}", actual.key, attrs.join(", "));
            }
        }
    }
    Ok(report.differences.len())
}
