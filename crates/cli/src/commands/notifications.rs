//! `holdfast notifications list|retry`: the notifications outbox's deliveries, read from the
//! event store's database.
//!
//! - `list [--status pending|delivered|dead] [--tenant ID] [--sink NAME] [--limit N]
//!   [--after CURSOR] [--json]`: deliveries in log order, one per line (or JSON lines); when
//!   more remain, the last line says which `--after` continues.
//! - `retry NOTIFICATION_ID [--sink NAME]`: sends a dead notification again (its dead
//!   deliveries go back to pending with attempts reset); exit 2 when none is dead.

use anyhow::{Context, bail};
use chrono::{SecondsFormat, Utc};
use clap::{Args, Subcommand, ValueEnum};
use holdfast_engine::notify::{Delivery, DeliveryFilter, DeliveryStatus, ListCursor, OutboxStore};
use serde_json::json;

use crate::settings::StoreArgs;

/// Arguments of `holdfast notifications`.
#[derive(Args)]
pub struct NotificationsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: NotificationsCommand,
}

#[derive(Subcommand)]
enum NotificationsCommand {
    /// List deliveries (oldest event first).
    List(ListArgs),
    /// Send a dead-lettered notification again.
    Retry(RetryArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Status {
    Pending,
    Delivered,
    Dead,
}

impl From<Status> for DeliveryStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => DeliveryStatus::Pending,
            Status::Delivered => DeliveryStatus::Delivered,
            Status::Dead => DeliveryStatus::Dead,
        }
    }
}

#[derive(Args)]
struct ListArgs {
    /// Only deliveries in this status.
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// Only this tenant's.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this sink's (`log`, `webhook:<host>/<hash>`).
    #[arg(long)]
    sink: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Continue after this cursor (printed by the previous page).
    #[arg(long)]
    after: Option<String>,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RetryArgs {
    /// The notification (`<booking id>:<sequence>`).
    notification_id: String,
    /// Only its delivery to this sink.
    #[arg(long)]
    sink: Option<String>,
}

/// Runs `holdfast notifications`.
pub async fn run(args: NotificationsArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let outbox = OutboxStore::new(&store);
    match args.command {
        NotificationsCommand::List(list) => {
            let after = list
                .after
                .as_deref()
                .map(|a| {
                    ListCursor::parse(a)
                        .with_context(|| format!("--after `{a}` is not a cursor of this listing"))
                })
                .transpose()?;
            let filter = DeliveryFilter {
                status: list.status.map(Into::into),
                tenant_id: list.tenant.clone(),
                sink: list.sink.clone(),
                notification_id: None,
            };
            let limit = list.limit.clamp(1, 10_000);
            let mut rows = outbox
                .list(&filter, after.as_ref(), limit + 1)
                .await
                .context("cannot read the notification deliveries")?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            for row in &rows {
                if list.json {
                    println!("{}", as_json(row));
                } else {
                    println!("{}", as_line(row));
                }
            }
            if rows.is_empty() {
                eprintln!("no deliveries");
            }
            if more && let Some(last) = rows.last() {
                eprintln!("more: --after {}", ListCursor::after(last));
            }
            Ok(())
        }
        NotificationsCommand::Retry(retry) => {
            let retried = outbox
                .retry(&retry.notification_id, retry.sink.as_deref(), Utc::now())
                .await
                .context("cannot retry the notification")?;
            if retried.is_empty() {
                bail!(
                    "no dead delivery of notification {}{} (see `holdfast notifications list --status dead`)",
                    retry.notification_id,
                    retry
                        .sink
                        .as_deref()
                        .map(|s| format!(" to {s}"))
                        .unwrap_or_default()
                );
            }
            for d in &retried {
                println!("retrying {} → {}", d.notification_id, d.sink);
            }
            Ok(())
        }
    }
}

fn instant(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn as_line(d: &Delivery) -> String {
    let when = match d.status {
        DeliveryStatus::Delivered => d.delivered_at.map(instant).unwrap_or_default(),
        _ => instant(d.next_attempt_at),
    };
    format!(
        "{}\t{}\t{}\t{}\tattempts={}\t{}\t{}",
        d.notification_id,
        d.kind,
        d.sink,
        d.status.as_str(),
        d.attempts,
        when,
        d.last_error.as_deref().unwrap_or("")
    )
}

fn as_json(d: &Delivery) -> serde_json::Value {
    json!({
        "notification_id": d.notification_id,
        "kind": d.kind.as_str(),
        "sink": d.sink,
        "status": d.status.as_str(),
        "attempts": d.attempts,
        "tenant_id": d.tenant_id,
        "booking_id": d.booking_id,
        "next_attempt_at": instant(d.next_attempt_at),
        "delivered_at": d.delivered_at.map(instant),
        "last_error": d.last_error,
        "position": d.position.to_string(),
        "cursor": ListCursor::after(d).to_string(),
        "payload": d.payload,
    })
}
