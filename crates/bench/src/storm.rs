//! `storm`: `--guests` guests (2,000) race for one dated slot of `--capacity` units (500), one
//! `placeBooking` each, all released at once (each guest's connection is opened beforehand,
//! so the race measures decisions, not TCP handshakes).
//!
//! Figures: decisions/s (every answer, held or sold out, over the time from the release to
//! the last answer) and the latency of each decision; Postgres commits per decision and, given
//! several `--url`s (a cluster, requests round-robin), the conflicts on each node
//! ([`crate::cost`]). Check: exactly `capacity` bookings held, every other answer `SOLD_OUT`,
//! and the calendar shows the slot full (held = capacity).

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use clap::Args;
use holdfast_domain::common::TenantId;
use serde_json::json;
use tokio::sync::Barrier;

use crate::ServerArgs;
use crate::client::{Answer, Api, key};
use crate::cost::{CostArgs, Meter};
use crate::error::{BenchError, Context};
use crate::setup::{self, PLACE_BOOKING, day, text};
use crate::stats::{Report, Row, Tally, millis, number};

/// Arguments of `holdfast-bench storm`.
#[derive(Args)]
pub struct StormArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Guests racing (one request each).
    #[arg(long, default_value_t = 2_000)]
    guests: usize,
    /// Units of the slot.
    #[arg(long, default_value_t = 500)]
    capacity: u32,
    #[command(flatten)]
    cost: CostArgs,
}

/// Runs the scenario.
pub async fn run(args: StormArgs) -> Result<Report, BenchError> {
    let api = Api::new(&args.server)?;
    api.wait_ready(std::time::Duration::from_secs(10)).await?;
    api.settle().await;
    let operator = api.operator(TenantId::new())?;
    let listing = setup::listing(&api, &operator, "Bench storm").await?;
    let date = setup::first_date(&api).await?;
    let (inventory, _) = setup::inventory(
        &api,
        &operator,
        &listing,
        (date, date + Duration::days(1)),
        args.capacity,
    )
    .await?;
    let guests = args.guests.max(1);
    let meter = Meter::start(&api, &args.server.store.database_url, &args.cost).await?;
    let barrier = Arc::new(Barrier::new(guests + 1));
    let mut tasks = Vec::with_capacity(guests);
    for _ in 0..guests {
        let (api, barrier) = (api.clone(), barrier.clone());
        let (_, token) = api.guest()?;
        let variables = json!({"key": key(), "input": {"listingId": listing,
            "inventoryId": inventory, "eventDate": day(date), "partySize": 1}});
        tasks.push(tokio::spawn(async move {
            // Open (and keep) this guest's connection before the race.
            let warm = api.call(None, "{ serverTime }", json!({})).await;
            barrier.wait().await;
            let t0 = Instant::now();
            let answer = api.call(Some(&token), PLACE_BOOKING, variables).await;
            (t0.elapsed(), Instant::now(), warm, answer)
        }));
    }
    barrier.wait().await;
    let released = Instant::now();
    let mut tally = Tally::default();
    let (mut held, mut last, mut token, mut warm_failures) = (0u64, released, None, 0u64);
    for task in tasks {
        let (latency, done, warm, answer) = task.await.context("a storm guest panicked")?;
        if matches!(warm, Answer::Error { .. }) {
            warm_failures += 1;
        }
        last = last.max(done);
        tally.record(latency, answer.outcome());
        if let Answer::Data(data) = &answer {
            if data["placeBooking"]["status"].as_str() == Some("HELD") {
                held += 1;
            }
            if let Some(t) = text(data, "/placeBooking/consistencyToken") {
                token = setup::later(token, &t);
            }
        }
    }
    let seconds = (last - released).as_secs_f64();
    let cost = meter.stop(&api).await?;
    let mut report = Report::new(format!(
        "storm — {guests} guests race for one slot of {} units (one placeBooking each, all at once{})",
        args.capacity,
        api.nodes_text()
    ));
    report.rows.push(Row::from_tally(
        "placeBooking decisions (held or sold out)",
        guests,
        &tally,
        seconds,
        "decisions/s",
    ));
    let decisions = tally.ops() as f64 / seconds.max(1e-9);
    let p99 = tally.summary().map(|s| s.p99).unwrap_or_default();
    report.target(
        "decisions/s",
        number(decisions),
        "≥ 2,000",
        decisions >= 2000.0,
    );
    report.target(
        "p99 decision latency",
        format!("{} ms", millis(p99)),
        "< 250 ms",
        p99 < std::time::Duration::from_millis(250),
    );
    let expected = u64::from(args.capacity).min(guests as u64);
    report.check(
        held == expected && tally.ok == expected,
        format!("exactly {expected} held (got {held})"),
    );
    let unexpected = tally.errors_except(&["SOLD_OUT"]);
    report.check(
        unexpected.is_empty() && tally.errors_of("SOLD_OUT") == guests as u64 - expected,
        format!(
            "every other answer SOLD_OUT ({} sold out, other errors: {unexpected:?})",
            tally.errors_of("SOLD_OUT")
        ),
    );
    let slots = setup::calendar(&api, &inventory, (date, date), token.as_deref()).await?;
    let shown = slots.first().copied().unwrap_or_default();
    report.check(
        slots.len() == 1
            && shown.held == i64::try_from(expected)?
            && shown.allocated == 0
            && shown.capacity == i64::from(args.capacity),
        format!(
            "the calendar shows {} held of {} (allocated {})",
            shown.held, shown.capacity, shown.allocated
        ),
    );
    cost.report_commits(&mut report, tally.ops(), "decision", None);
    cost.report_conflicts(&mut report);
    if warm_failures > 0 {
        report.notes.push(format!(
            "{warm_failures} guests could not open their connection before the race"
        ));
    }
    Ok(report)
}
