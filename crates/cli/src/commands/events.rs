//! `holdfast events export|import|as-of`: the analysts' view of the log.
//!
//! - `export`: streams the log in order (batches of [`BATCH`] through `EventLog::read`, written
//!   as they arrive — never the whole log in memory), filtered by aggregate type, id, event type
//!   and a recorded-at window `[--since, --until)`, as JSON lines or CSV with the fixed columns
//!   [`COLUMNS`]. A progress spinner on stderr when writing to `--out`.
//! - `import FILE`: appends a JSON-lines file (one [`StoredEventRecord`] per line, as `export
//!   --format jsonl` or `fixtures/history/events.jsonl` write them; `position` is ignored) with plain SQL
//!   INSERTs that keep each event's `recorded_at`, one transaction per [`BATCH`] lines, in file
//!   order (so log order is file order). Refuses a store that already has events unless
//!   `--force` (then sequences that collide fail the batch).
//! - `as-of TYPE ID --at INSTANT`: the aggregate's state (JSON) after applying, with the
//!   domain's own `apply`, its events recorded at or before the instant.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use cqrs_es::Aggregate;
use holdfast_domain::booking::Booking;
use holdfast_domain::coupon::CouponCampaign;
use holdfast_domain::inventory::Inventory;
use holdfast_domain::listing::Listing;
use holdfast_eventstore::{
    EventStore, Position, RawEvent, StoredEvent, StoredEventRecord, format_instant,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::settings::StoreArgs;

/// Events per read of the log and per import transaction.
pub const BATCH: usize = 1_000;

/// The export's columns, in order.
pub const COLUMNS: [&str; 9] = [
    "position",
    "recorded_at",
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "event_type",
    "event_version",
    "payload",
    "metadata",
];

/// Arguments of `holdfast events`.
#[derive(Args)]
pub struct EventsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: EventsCommand,
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Write the log (or a filtered part of it) in log order, as JSON lines or CSV.
    Export(ExportArgs),
    /// Append a JSON-lines event file to an empty store, keeping each event's recorded_at.
    Import(ImportArgs),
    /// Print an aggregate's state as of an instant (JSON).
    AsOf(AsOfArgs),
}

/// The aggregate types, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AggregateKind {
    /// `Listing`.
    Listing,
    /// `Inventory`.
    Inventory,
    /// `Booking`.
    Booking,
    /// `Coupon` (campaigns).
    Coupon,
}

impl AggregateKind {
    /// The stored `aggregate_type`.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Listing => Listing::TYPE,
            Self::Inventory => Inventory::TYPE,
            Self::Booking => Booking::TYPE,
            Self::Coupon => CouponCampaign::TYPE,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Args)]
struct ExportArgs {
    /// Only events of this aggregate type.
    #[arg(long = "type", value_enum)]
    aggregate_type: Option<AggregateKind>,
    /// Only events of this aggregate id.
    #[arg(long)]
    id: Option<String>,
    /// Only events of this event type (e.g. BookingConfirmed).
    #[arg(long)]
    event_type: Option<String>,
    /// Only events recorded at or after this instant (RFC 3339, or YYYY-MM-DD = 00:00 UTC).
    #[arg(long, value_parser = parse_instant)]
    since: Option<DateTime<Utc>>,
    /// Only events recorded before this instant (RFC 3339, or YYYY-MM-DD = 00:00 UTC).
    #[arg(long, value_parser = parse_instant)]
    until: Option<DateTime<Utc>>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write to this file (with a progress spinner on stderr) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ImportArgs {
    /// A JSON-lines file of stored events.
    file: PathBuf,
    /// Import even if the store already has events.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct AsOfArgs {
    /// The aggregate type.
    #[arg(value_enum)]
    aggregate_type: AggregateKind,
    /// The aggregate id.
    id: String,
    /// The instant (RFC 3339, or YYYY-MM-DD = 00:00 UTC): events recorded at or before it count.
    #[arg(long, value_parser = parse_instant)]
    at: DateTime<Utc>,
}

/// Parses an instant: RFC 3339 (`2026-03-01T09:30:00Z`, `…+09:00`) or a date (00:00 UTC).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(format!(
        "`{text}` is not an instant (expected RFC 3339 like 2026-03-01T09:30:00Z, or YYYY-MM-DD)"
    ))
}

/// Runs the subcommand.
pub async fn run(args: EventsArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    store.migrate().await?;
    match args.command {
        EventsCommand::Export(a) => export(&store, a).await,
        EventsCommand::Import(a) => import(&store, a).await,
        EventsCommand::AsOf(a) => as_of(&store, a).await,
    }
}

/// Reads the whole log in order, calling `each` on every event. A reader task fetches the next
/// batches (of [`READ_BATCH`]) while `each` works through the current one, so the database and
/// the formatting overlap instead of taking turns.
pub async fn for_each_event(
    store: &EventStore,
    each: impl FnMut(&StoredEvent) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for_each_batch(store, each, |_| {}).await
}

/// Events per read of the log when streaming it whole.
pub const READ_BATCH: usize = 5_000;

/// Like [`for_each_event`], also calling `after_batch` with the number of events of each batch
/// once it is done (for progress reporting).
pub async fn for_each_batch(
    store: &EventStore,
    each: impl FnMut(&StoredEvent) -> anyhow::Result<()>,
    after_batch: impl FnMut(usize),
) -> anyhow::Result<()> {
    let log = store.log();
    pipelined(
        move |after| {
            let log = log.clone();
            async move { log.read(after, READ_BATCH).await }
        },
        |e: &StoredEvent| e.position,
        each,
        after_batch,
    )
    .await
}

/// Reads batches with `read(after)` on a task of its own (one batch ahead) while `each` is
/// called on every row of the previous one, and `after_batch` after each batch.
async fn pipelined<T, R, Fut>(
    read: R,
    position: fn(&T) -> Position,
    mut each: impl FnMut(&T) -> anyhow::Result<()>,
    mut after_batch: impl FnMut(usize),
) -> anyhow::Result<()>
where
    T: Send + 'static,
    R: Fn(Position) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>, holdfast_eventstore::EventStoreError>> + Send,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(async move {
        let mut after = Position::START;
        loop {
            let batch = match read(after).await {
                Ok(batch) => batch,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let Some(last) = batch.last() else {
                return;
            };
            after = position(last);
            if tx.send(Ok(batch)).await.is_err() {
                return;
            }
        }
    });
    let result = async {
        while let Some(batch) = rx.recv().await {
            let batch = batch?;
            for row in &batch {
                each(row)?;
            }
            after_batch(batch.len());
        }
        Ok(())
    }
    .await;
    reader.abort();
    result
}

/// A value written with its `Display` (no intermediate `String`).
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    position: Shown<Position>,
    recorded_at: String,
    aggregate_type: &'a str,
    aggregate_id: &'a str,
    sequence: u64,
    event_type: &'a str,
    event_version: &'a str,
    payload: &'a serde_json::value::RawValue,
    metadata: &'a serde_json::value::RawValue,
}

/// Where export rows go (both buffer, so rows stream out as they are written).
enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(std::io::BufWriter<Box<dyn Write>>),
}

async fn export(store: &EventStore, args: ExportArgs) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(sink);
            w.write_record(COLUMNS)?;
            Sink::Csv(Box::new(w))
        }
        Format::Jsonl => Sink::Jsonl(std::io::BufWriter::with_capacity(1 << 20, sink)),
    };
    let bar = if args.out.is_some() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} events read, {msg} ({elapsed})")
                .context("progress bar template")?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let type_name = args.aggregate_type.map(AggregateKind::type_name);
    let written = std::cell::Cell::new(0u64);
    // Payload and metadata as stored text, written as they are (never parsed into a tree).
    let raw_store = store.clone();
    pipelined(
        move |after| {
            let store = raw_store.clone();
            async move { store.read_raw(after, READ_BATCH).await }
        },
        |e: &RawEvent| e.position,
        |e| {
            let keep = type_name.is_none_or(|t| e.aggregate_type == t)
                && args.id.as_deref().is_none_or(|id| e.aggregate_id == id)
                && args.event_type.as_deref().is_none_or(|t| e.event_type == t)
                && args.since.is_none_or(|s| e.recorded_at >= s)
                && args.until.is_none_or(|u| e.recorded_at < u);
            if !keep {
                return Ok(());
            }
            written.set(written.get() + 1);
            let row = JsonRow {
                position: Shown(e.position),
                recorded_at: format_instant(e.recorded_at),
                aggregate_type: &e.aggregate_type,
                aggregate_id: &e.aggregate_id,
                sequence: e.sequence,
                event_type: &e.event_type,
                event_version: &e.event_version,
                payload: &e.payload,
                metadata: &e.metadata,
            };
            match &mut out {
                Sink::Csv(w) => {
                    w.write_record([
                        e.position.to_string().as_str(),
                        &row.recorded_at,
                        row.aggregate_type,
                        row.aggregate_id,
                        &row.sequence.to_string(),
                        row.event_type,
                        row.event_version,
                        row.payload.get(),
                        row.metadata.get(),
                    ])?;
                }
                Sink::Jsonl(out) => {
                    serde_json::to_writer(&mut *out, &row)?;
                    out.write_all(b"\n")?;
                }
            }
            Ok(())
        },
        |n| {
            bar.inc(n as u64);
            bar.set_message(format!("{} written", written.get()));
        },
    )
    .await?;
    match &mut out {
        Sink::Csv(w) => w.flush()?,
        Sink::Jsonl(w) => w.flush()?,
    }
    bar.finish_and_clear();
    if let Some(path) = &args.out {
        eprintln!("exported {} events to {}", written.get(), path.display());
    }
    Ok(())
}

async fn import(store: &EventStore, args: ImportArgs) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    if !args.force && store.log().head().await? != Position::START {
        bail!(
            "the event store already has events; import only into an empty store, or pass --force to append anyway"
        );
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut total = 0usize;
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", args.file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: StoredEventRecord = serde_json::from_str(&line).with_context(|| {
            format!(
                "{} line {}: not a stored event",
                args.file.display(),
                number + 1
            )
        })?;
        batch.push(event);
        if batch.len() == BATCH {
            total += insert_batch(store, &batch).await?;
            batch.clear();
        }
    }
    total += insert_batch(store, &batch).await?;
    println!("imported {total} events from {}", args.file.display());
    Ok(())
}

async fn insert_batch(store: &EventStore, batch: &[StoredEventRecord]) -> anyhow::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let context = |e: &StoredEventRecord| {
        format!(
            "cannot insert {} {} #{} (already there? import into an empty store)",
            e.aggregate_type, e.aggregate_id, e.sequence
        )
    };
    if let Some(pool) = store.pg_pool() {
        let mut tx = pool.begin().await?;
        for e in batch {
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8)",
            )
            .bind(&e.aggregate_type)
            .bind(&e.aggregate_id)
            .bind(i64::try_from(e.sequence)?)
            .bind(&e.event_type)
            .bind(&e.event_version)
            .bind(e.payload.to_string())
            .bind(e.metadata.to_string())
            .bind(e.recorded_at)
            .execute(&mut *tx)
            .await
            .with_context(|| context(e))?;
        }
        tx.commit().await?;
    } else if let Some(pool) = store.sqlite_pool() {
        let mut tx = pool.begin().await?;
        for e in batch {
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .bind(&e.aggregate_type)
            .bind(&e.aggregate_id)
            .bind(i64::try_from(e.sequence)?)
            .bind(&e.event_type)
            .bind(&e.event_version)
            .bind(e.payload.to_string())
            .bind(e.metadata.to_string())
            .bind(e.recorded_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .execute(&mut *tx)
            .await
            .with_context(|| context(e))?;
        }
        tx.commit().await?;
    }
    Ok(batch.len())
}

/// Folds the events of one aggregate recorded at or before `at` with the domain's `apply`.
/// `Ok(None)` if it has events but none that early; an error if it has none at all.
pub async fn replay_as_of<A>(
    store: &EventStore,
    id: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<A>>
where
    A: Aggregate + Default,
{
    let mut aggregate = A::default();
    let (mut seen, mut applied) = (0usize, 0usize);
    for_each_event(store, |e| {
        if e.aggregate_type != A::TYPE || e.aggregate_id != id {
            return Ok(());
        }
        seen += 1;
        if e.recorded_at <= at {
            let event: A::Event = serde_json::from_value(e.payload.clone()).with_context(|| {
                format!(
                    "{} {id} #{}: cannot decode its payload",
                    A::TYPE,
                    e.sequence
                )
            })?;
            aggregate.apply(event);
            applied += 1;
        }
        Ok(())
    })
    .await?;
    if seen == 0 {
        bail!("no {} with id `{id}` in the event log", A::TYPE);
    }
    Ok((applied > 0).then_some(aggregate))
}

async fn as_of(store: &EventStore, args: AsOfArgs) -> anyhow::Result<()> {
    let (id, at) = (args.id.as_str(), args.at);
    let state = match args.aggregate_type {
        AggregateKind::Listing => json(replay_as_of::<Listing>(store, id, at).await?)?,
        AggregateKind::Inventory => json(replay_as_of::<Inventory>(store, id, at).await?)?,
        AggregateKind::Booking => json(replay_as_of::<Booking>(store, id, at).await?)?,
        AggregateKind::Coupon => json(replay_as_of::<CouponCampaign>(store, id, at).await?)?,
    };
    writeln!(std::io::stdout().lock(), "{state}")?;
    Ok(())
}

fn json<T: Serialize>(value: Option<T>) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&value)?)
}
