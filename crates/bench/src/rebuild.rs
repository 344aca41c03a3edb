//! `rebuild`: rebuild every read model (blue-green, as `holdfast projections rebuild --all`
//! does: the four new generations built together in one pass of the log, each verified
//! against the log, caught up, readers switched, the old dropped) from a log of `--events` events (an empty database is
//! filled first, see [`crate::seed`]). Baseline: raw `BatchWriteItem` items/s into the same
//! DynamoDB endpoint, measured just before.
//!
//! Figure: items in the new generations ÷ the whole rebuild's time, against the raw batch
//! rate. Check: every new generation verified with no difference and readers switched to it.

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use holdfast_projections::models::all_projections;
use holdfast_projections::runtime::{RebuildPhase, RebuildProgress, Rebuilder};
use holdfast_projections::store::Table;

use crate::error::BenchError;
use crate::settings::{ReadSideArgs, StoreArgs};
use crate::stats::{Report, Row, number};
use crate::{baseline, dynamo_store, seed};

/// Arguments of `holdfast-bench rebuild`.
#[derive(Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    /// Events in the log (an empty store is filled with this many).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Items the raw BatchWriteItem baseline writes.
    #[arg(long, default_value_t = 100_000)]
    baseline_items: usize,
    /// Concurrent writers of the baseline.
    #[arg(long, default_value_t = 4)]
    writers: usize,
}

/// Runs the scenario.
pub async fn run(args: RebuildArgs) -> Result<Report, BenchError> {
    let events = args.store.open().await?;
    let total_events = seed::ensure(&events, args.events).await?;
    let side = args.read_side.connect().await?;
    let (client, _) = dynamo_store(&args.read_side, &side)?;
    let store = side.store();

    let raw = baseline::batch_write(
        &client,
        &args.read_side.table_prefix,
        args.baseline_items,
        args.writers,
    )
    .await?;

    let mut report = Report::new(format!(
        "rebuild — every read model from {} events (build, verify, catch up, switch)",
        number(total_events as f64)
    ));
    let started = Instant::now();
    let (mut items, mut applied, mut clean) = (0u64, 0u64, true);
    let mut rows = Vec::new();
    // When each table entered each phase (the four are rebuilt together, in one pass of the
    // log, as `holdfast projections rebuild --all` does).
    let changes: std::sync::Mutex<Vec<(Table, RebuildPhase, f64)>> = Default::default();
    let progress = |p: &RebuildProgress| {
        let mut changes = changes.lock().unwrap_or_else(|e| e.into_inner());
        let last = changes.iter().rev().find(|(t, _, _)| *t == p.table);
        if last.is_none_or(|(_, phase, _)| *phase != p.phase) {
            let at = started.elapsed().as_secs_f64();
            changes.push((p.table, p.phase, at));
            if p.phase != RebuildPhase::Done {
                eprintln!(
                    "rebuild {}: {:?} at {at:.1} s ({} events so far)",
                    p.table, p.phase, p.events
                );
            }
        }
    };
    let done = Rebuilder::many(all_projections(), Arc::clone(&store), events.clone())
        .run_all(progress)
        .await?;
    let seconds_all = started.elapsed().as_secs_f64();
    let changes = changes.into_inner().unwrap_or_else(|e| e.into_inner());
    // Seconds each table spent in each phase, summed over the four.
    let mut phases: Vec<(RebuildPhase, f64)> = Vec::new();
    for (i, (table, phase, at)) in changes.iter().enumerate() {
        let until = changes[i + 1..]
            .iter()
            .find(|(t, _, _)| t == table)
            .map_or(seconds_all, |next| next.2);
        match phases.iter_mut().find(|(p, _)| p == phase) {
            Some((_, total)) => *total += until - at,
            None => phases.push((*phase, until - at)),
        }
    }
    for report in &done {
        let table = report.table;
        items += report.verify.checked as u64;
        applied = applied.max(report.events);
        clean &= report.verify.is_clean() && store.alias(table).await? == Some(report.generation);
        rows.push(Row::rate(
            format!(
                "  {table}: {} events → {} items",
                number(report.events as f64),
                number(report.verify.checked as f64)
            ),
            1,
            report.verify.checked as u64,
            seconds_all,
            "items/s",
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    report.rows.push(Row::rate(
        "rebuild of every read model",
        1,
        items,
        seconds,
        "items/s",
    ));
    report.rows.extend(rows);
    report.rows.push(raw.row);
    let rate = items as f64 / seconds.max(1e-9);
    let ratio = rate / raw.items_per_second.max(1e-9);
    report.target(
        "rebuild items/s ÷ raw BatchWriteItem items/s",
        format!("{ratio:.2}×"),
        "≥ 0.6×",
        ratio >= 0.6,
    );
    report.notes.push(format!(
        "events read: {} in {:.1} s, one pass of the log for the four read models ({} events/s)",
        number(applied as f64),
        seconds,
        number(applied as f64 / seconds.max(1e-9))
    ));
    report.notes.push(format!(
        "where the time went (seconds in each phase, summed over the four read models): {}",
        phases
            .iter()
            .filter(|(p, _)| *p != RebuildPhase::Done)
            .map(|(p, s)| format!("{} {s:.1} s", phase_name(*p)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    report.check(
        clean,
        "every new generation verified against the log with no difference, readers switched",
    );
    Ok(report)
}

fn phase_name(phase: RebuildPhase) -> &'static str {
    match phase {
        RebuildPhase::Building => "build (fold the log in memory + BatchWriteItem bulk load)",
        RebuildPhase::Verifying => "verify (parallel scan + diff)",
        RebuildPhase::CatchingUp => "catch up",
        RebuildPhase::Switching => "switch + drop old generations",
        RebuildPhase::Done => "done",
    }
}
