//! `export`: the real `holdfast events export --out FILE` (the `holdfast` binary, as a child
//! process: `--holdfast PATH`, else the `holdfast` next to this binary, else on `PATH`) of a
//! log of `--events` events (an empty database is filled first, see [`crate::seed`]), timed
//! from spawn to exit. Reference (no target, for the analysis): Postgres streaming the
//! same rows in the same order with `COPY … TO STDOUT`.
//!
//! Check: the file has one JSON line per event.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use futures::StreamExt;
use sqlx::postgres::PgPoolCopyExt;

use crate::error::{BenchError, Context};
use crate::seed;
use crate::settings::StoreArgs;
use crate::stats::{Report, Row, number};

/// Arguments of `holdfast-bench export`.
#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Events in the log (an empty store is filled with this many).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Where the export is written (deleted afterwards; default: a temporary file).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The `holdfast` binary whose export is measured (default: the one next to this binary,
    /// as cargo builds them, else `holdfast` on PATH).
    #[arg(long, env = "HOLDFAST_BENCH_HOLDFAST")]
    holdfast: Option<PathBuf>,
}

/// The `holdfast` binary: `explicit`, else the one in this executable's directory (cargo puts
/// both in `target/<profile>/`), else the first on `PATH`.
pub fn find_holdfast(explicit: Option<&Path>) -> Result<PathBuf, BenchError> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let name = format!("holdfast{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(&name))
                .collect()
        })
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(on_path)
        .find(|candidate| candidate.is_file())
        .context(
            "the holdfast binary is neither next to holdfast-bench nor on PATH: build it (cargo build --release -p holdfast-cli) or pass --holdfast PATH (HOLDFAST_BENCH_HOLDFAST)",
        )
}

/// Runs the scenario.
pub async fn run(args: ExportArgs) -> Result<Report, BenchError> {
    let store = args.store.open().await?;
    let total = seed::ensure(&store, args.events).await?;
    let pool = store.pg_pool().context("Postgres only")?.clone();
    let out = args.out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("holdfast-bench-export-{}.jsonl", ulid::Ulid::new()))
    });

    // Reference: Postgres alone, the same rows in log order.
    let started = Instant::now();
    let mut stream = pool
        .copy_out_raw(
            "COPY (SELECT tx_id, global_position, recorded_at, aggregate_type, aggregate_id,
                          sequence, event_type, event_version, payload, metadata
                     FROM events ORDER BY tx_id, global_position) TO STDOUT",
        )
        .await?;
    let mut bytes = 0usize;
    while let Some(chunk) = stream.next().await {
        bytes += chunk?.len();
    }
    let copy_seconds = started.elapsed().as_secs_f64();

    let exe = find_holdfast(args.holdfast.as_deref())?;
    let started = Instant::now();
    let output = tokio::process::Command::new(&exe)
        .args(["events", "export", "--format", "jsonl", "--out"])
        .arg(&out)
        .env("HOLDFAST_DATABASE_URL", &args.store.database_url)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        let _ = std::fs::remove_file(&out);
        return Err(BenchError::failed(format!(
            "events export failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let lines = std::io::BufReader::new(std::fs::File::open(&out)?)
        .lines()
        .try_fold(0u64, |n, line| line.map(|_| n + 1))?;
    if args.out.is_none() {
        let _ = std::fs::remove_file(&out);
    }

    let mut report = Report::new(format!(
        "export — `holdfast events export --format jsonl --out FILE` of {} events",
        number(total as f64)
    ));
    report.rows.push(Row::rate(
        format!(
            "events export → JSONL ({:.0} MB, whole process)",
            size as f64 / 1e6
        ),
        1,
        lines,
        seconds,
        "events/s",
    ));
    report.rows.push(Row::rate(
        format!(
            "reference: Postgres COPY of the same rows in log order ({:.0} MB)",
            bytes as f64 / 1e6
        ),
        1,
        total,
        copy_seconds,
        "rows/s",
    ));
    let rate = lines as f64 / seconds.max(1e-9);
    let copy_rate = total as f64 / copy_seconds.max(1e-9);
    let ratio = rate / copy_rate.max(1e-9);
    report.target(
        "events/s ÷ Postgres COPY rows/s",
        format!("{ratio:.2}× ({} vs {})", number(rate), number(copy_rate)),
        "≥ 0.5×",
        ratio >= 0.5,
    );
    report.check(
        lines == total,
        format!(
            "one line per event ({} lines, {} events)",
            number(lines as f64),
            number(total as f64)
        ),
    );
    Ok(report)
}
