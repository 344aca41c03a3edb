//! `lag`: projection lag under `holds` load. While the holds load runs — `--clients` closed-loop
//! clients (saturation), or with `--rate` an open-loop offered load of that many bookings a
//! second (each started on schedule, answered or not, by a new guest) — a probe
//! places a booking every `--probe-every` on an inventory of its own and, as soon as the
//! mutation answers, reads the calendar with the mutation's consistency token: the server
//! answers once the calendar projector has applied that commit. The time from the mutation's
//! answer to the read's answer is the lag (commit → visible), measured from the outside; it
//! includes one read round trip, shown on its own (a plain read of the same slot right after).
//! The server waits at most 5 s for a token; a probe asks again after a `TIMEOUT` (for two
//! minutes in all), so a lag longer than that is measured, not reported as an error.
//!
//! Targets: p99 < 250 ms at a fixed offered load; < 500 ms when every DynamoDB call of the
//! server is delayed (`--dynamodb-delay-ms`, which says what `holdfast-bench delay-proxy` in
//! front of DynamoDB adds — the bench cannot see it).

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use clap::Args;
use serde_json::json;

use crate::client::{Answer, Api, key};
use crate::error::{BenchError, Context};
use crate::holds::{self, HoldsShape, HoldsWorld};
use crate::setup::{self, AVAILABILITY, PLACE_BOOKING, day, text};
use crate::stats::{Report, Row, Tally, millis, number};
use crate::{LoadArgs, ServerArgs, parse_duration};

/// Arguments of `holdfast-bench lag`.
#[derive(Args)]
pub struct LagArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    shape: HoldsShape,
    /// Pause between two probes.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    probe_every: std::time::Duration,
    /// Offer this many bookings a second (open loop) instead of running `--clients`
    /// closed-loop clients.
    #[arg(long, value_parser = parse_rate)]
    rate: Option<f64>,
    /// The delay a `delay-proxy` adds to each of the server's DynamoDB calls (for the title and
    /// the target; 0: none).
    #[arg(long, default_value_t = 0)]
    dynamodb_delay_ms: u64,
}

/// Parses a positive rate (per second).
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= 100_000.0 => Ok(rate),
        _ => Err(format!(
            "`{text}`: a rate is a number of bookings a second, above 0"
        )),
    }
}

/// Runs the scenario.
pub async fn run(args: LagArgs) -> Result<Report, BenchError> {
    let api = Api::new(&args.server)?;
    api.wait_ready(std::time::Duration::from_secs(10)).await?;
    api.settle().await;
    let world = Arc::new(HoldsWorld::create(&api, &args.shape).await?);
    let from = world.from;
    let to = from + Duration::days(i64::from(world.days));
    let (probe_inventory, _) =
        setup::inventory(&api, &world.operator, &world.listing, (from, to), 1_000_000).await?;
    api.settle().await;
    let clients = args.load.clients.max(1);
    let duration = args.load.duration;

    let probe = {
        let (api, world) = (api.clone(), world.clone());
        let (_, guest) = api.guest()?;
        let every = args.probe_every;
        tokio::spawn(async move {
            let deadline = Instant::now() + duration;
            let (mut lag, mut plain, mut place) =
                (Tally::default(), Tally::default(), Tally::default());
            let mut rng = fastrand::Rng::with_seed(7);
            while Instant::now() < deadline {
                let date = day(world.from + Duration::days(i64::from(rng.u32(..world.days))));
                let t0 = Instant::now();
                let placed = api
                    .call(
                        Some(&guest),
                        PLACE_BOOKING,
                        json!({"key": key(), "input": {"listingId": world.listing,
                            "inventoryId": probe_inventory, "eventDate": date, "partySize": 1}}),
                    )
                    .await;
                place.record(t0.elapsed(), placed.outcome());
                let token = match &placed {
                    Answer::Data(data) => text(data, "/placeBooking/consistencyToken"),
                    Answer::Error { .. } => None,
                };
                if let Some(token) = token {
                    let committed = Instant::now();
                    // The server waits 5 s at most for a token; a lag beyond that is asked
                    // again (for two minutes), so that it is measured rather than cut off.
                    let mut seen = None;
                    for _ in 0..24 {
                        let answer = api
                            .call(
                                None,
                                AVAILABILITY,
                                json!({"id": probe_inventory, "from": date, "to": date, "token": token}),
                            )
                            .await;
                        let timed_out = answer.outcome() == Err("TIMEOUT");
                        seen = Some(answer);
                        if !timed_out {
                            break;
                        }
                    }
                    if let Some(seen) = seen {
                        lag.record(committed.elapsed(), seen.outcome());
                    }
                    let t2 = Instant::now();
                    let read = api
                        .call(
                            None,
                            AVAILABILITY,
                            json!({"id": probe_inventory, "from": date, "to": date}),
                        )
                        .await;
                    plain.record(t2.elapsed(), read.outcome());
                }
                tokio::time::sleep(every).await;
            }
            (lag, plain, place)
        })
    };
    let outcome = match args.rate {
        Some(rate) => holds::run_open_loop(&api, &world, rate, duration).await?,
        None => holds::run_load(&api, &world, clients, duration).await?,
    };
    let (lag, plain, place) = probe.await.context("the lag probe panicked")?;

    let load = match args.rate {
        Some(rate) => format!("{} bookings/s offered", number(rate)),
        None => format!("{clients} clients"),
    };
    let delayed = match args.dynamodb_delay_ms {
        0 => String::new(),
        ms => format!(", every DynamoDB call delayed {ms} ms by delay-proxy"),
    };
    let mut report = Report::new(format!(
        "lag — commit → visible in the calendar read model, under holds load ({load}, {:.0} s{delayed})",
        duration.as_secs_f64()
    ));
    report.rows.push(Row::from_tally(
        "lag: mutation answered → read with its token answered",
        1,
        &lag,
        outcome.seconds,
        "probes/s",
    ));
    report.rows.push(Row::from_tally(
        "  plain availability read right after (no token)",
        1,
        &plain,
        outcome.seconds,
        "reads/s",
    ));
    report.rows.push(Row::from_tally(
        "  probe placeBooking",
        1,
        &place,
        outcome.seconds,
        "req/s",
    ));
    report.rows.push(Row::from_tally(
        "holds load: bookings (place + confirm)",
        if args.rate.is_some() { 0 } else { clients },
        &outcome.bookings,
        outcome.seconds,
        "bookings/s",
    ));
    let p99 = lag.summary().map(|s| s.p99).unwrap_or_default();
    let limit = if args.dynamodb_delay_ms > 0 { 500 } else { 250 };
    report.target(
        "p99 lag",
        format!("{} ms", millis(p99)),
        format!("< {limit} ms"),
        lag.ops() > 0 && p99 < std::time::Duration::from_millis(limit),
    );
    if let Some(rate) = args.rate {
        let answered = outcome.bookings.ok as f64 / outcome.seconds.max(1e-9);
        report.notes.push(format!(
            "offered {} bookings/s (open loop, clients column 0: one new guest per booking), {} started, {} confirmed/s over {:.1} s{}",
            number(rate),
            number(outcome.bookings.ops() as f64),
            number(answered),
            outcome.seconds,
            if answered < 0.9 * rate {
                " — the server did not keep up: this is saturation, not the offered load"
            } else {
                ""
            }
        ));
    }
    report.check(
        lag.ops() > 0 && lag.errors.is_empty(),
        format!(
            "every probe's commit became visible ({} probes, errors: {:?})",
            lag.ops(),
            lag.errors
        ),
    );
    holds::check(
        &api,
        &world,
        &outcome,
        &holds::Counters::Calendar,
        &mut report,
    )
    .await?;
    Ok(report)
}
