//! `rebuild`: rebuild every read model (blue-green, as `holdfast projections rebuild --all`
//! does: build a new generation from the start of the log, verify it against the log, catch
//! up, switch readers, drop the old) from a log of `--events` events (an empty database is
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
    // Seconds spent in each phase, over the four read models.
    let mut phases: Vec<(RebuildPhase, f64)> = Vec::new();
    for projection in all_projections() {
        let table = projection.table();
        let last_phase = std::sync::Mutex::new(None);
        let changes = std::sync::Mutex::new(Vec::new());
        let t0 = Instant::now();
        let progress = |p: &RebuildProgress| {
            let mut last = last_phase.lock().unwrap_or_else(|e| e.into_inner());
            if *last != Some(p.phase) {
                *last = Some(p.phase);
                changes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((p.phase, t0.elapsed().as_secs_f64()));
                if p.phase != RebuildPhase::Done {
                    eprintln!(
                        "rebuild {table}: {:?} at {:.1} s ({} events so far)",
                        p.phase,
                        t0.elapsed().as_secs_f64(),
                        p.events
                    );
                }
            }
        };
        let done = Rebuilder::new(projection, Arc::clone(&store), events.clone())
            .run(progress)
            .await?;
        let seconds = t0.elapsed().as_secs_f64();
        let changes = changes.into_inner().unwrap_or_else(|e| e.into_inner());
        for (i, (phase, at)) in changes.iter().enumerate() {
            let until = changes.get(i + 1).map_or(seconds, |next| next.1);
            match phases.iter_mut().find(|(p, _)| p == phase) {
                Some((_, total)) => *total += until - at,
                None => phases.push((*phase, until - at)),
            }
        }
        items += done.verify.checked as u64;
        applied += done.events;
        clean &= done.verify.is_clean() && store.alias(table).await? == Some(done.generation);
        rows.push(Row::rate(
            format!(
                "  {table}: {} events → {} items",
                number(done.events as f64),
                number(done.verify.checked as f64)
            ),
            1,
            done.verify.checked as u64,
            seconds,
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
        "events applied: {} in {:.1} s ({} events/s over the four read models)",
        number(applied as f64),
        seconds,
        number(applied as f64 / seconds.max(1e-9))
    ));
    report.notes.push(format!(
        "where the time went (four read models): {}",
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
