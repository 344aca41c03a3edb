//! `holds`: clients place and confirm bookings (one unit of one date each) on many
//! inventories for a bounded time. A booking is one transaction: `placeBooking` then
//! `confirmPayment`. Baseline: pgbench one-row INSERT transactions at the same client count.
//! Cost ([`crate::cost`]): Postgres commits and CPU time (server, Postgres, DynamoDB Local) per
//! confirmed booking; the conflicts on each node (given several `--url`s: a cluster).
//!
//! Check: once the calendar has applied the last write, every inventory's allocated units
//! equal its confirmed bookings and nothing is left held — give or take the requests that
//! failed transiently (those may or may not have taken effect, so they widen the bounds) — and
//! no slot has more held + allocated than its capacity.
//!
//! `--write-path-only` measures a server that runs no projectors (`holdfast serve
//! --no-workers`): only the command path. The calendar is then never written, so the same
//! check reads each inventory's counters from the log instead (its events folded into the
//! aggregate, as the server does).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use clap::Args;
use cqrs_es::Aggregate;
use holdfast_domain::common::TenantId;
use holdfast_domain::inventory::{Inventory, InventoryEvent};
use holdfast_eventstore::EventStore;
use serde_json::json;

use crate::baseline;
use crate::client::{Answer, Api, key};
use crate::cost::{CostArgs, Meter};
use crate::error::{BenchError, Context};
use crate::setup::{self, CONFIRM_PAYMENT, PLACE_BOOKING, SlotCounts, day, text};
use crate::stats::{Report, Row, Tally, number};
use crate::{LoadArgs, ServerArgs};

/// Arguments of `holdfast-bench holds`.
#[derive(Args)]
pub struct HoldsArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    shape: HoldsShape,
    /// Skip the pgbench baseline (no ratio is printed).
    #[arg(long)]
    no_baseline: bool,
    /// The pgbench binary (default: on PATH, else /usr/lib/postgresql/*/bin/pgbench).
    #[arg(long)]
    pgbench: Option<PathBuf>,
    /// The server runs no projectors (`holdfast serve --no-workers`): measure the command path
    /// alone, check against the log instead of the calendar.
    #[arg(long)]
    write_path_only: bool,
    #[command(flatten)]
    cost: CostArgs,
}

/// What the holds load books on.
#[derive(Args, Clone, Debug)]
pub struct HoldsShape {
    /// Inventories (each its own aggregate, so clients rarely contend).
    #[arg(long, default_value_t = 64)]
    pub inventories: usize,
    /// Dates offered on each inventory.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Units per date (large enough never to sell out).
    #[arg(long, default_value_t = 100_000)]
    pub capacity: u32,
}

/// The listing and inventories a holds load books on.
pub struct HoldsWorld {
    /// The operator who confirms payments.
    pub operator: String,
    /// The listing.
    pub listing: String,
    /// Its inventories.
    pub inventories: Vec<String>,
    /// First date offered.
    pub from: NaiveDate,
    /// Dates offered.
    pub days: u32,
}

impl HoldsWorld {
    /// Creates it through the API.
    pub async fn create(api: &Api, shape: &HoldsShape) -> Result<Self, BenchError> {
        let operator = api.operator(TenantId::new())?;
        let listing = setup::listing(api, &operator, "Bench hall").await?;
        let from = setup::first_date(api).await?;
        let to = from + Duration::days(i64::from(shape.days.max(1)));
        let mut inventories = Vec::with_capacity(shape.inventories);
        for _ in 0..shape.inventories.max(1) {
            let (id, _) =
                setup::inventory(api, &operator, &listing, (from, to), shape.capacity).await?;
            inventories.push(id);
        }
        Ok(Self {
            operator,
            listing,
            inventories,
            from,
            days: shape.days.max(1),
        })
    }

    fn last_date(&self) -> NaiveDate {
        self.from + Duration::days(i64::from(self.days) - 1)
    }
}

/// What a holds load did.
#[derive(Default)]
pub struct HoldsOutcome {
    /// Bookings (place + confirm), latency of both.
    pub bookings: Tally,
    /// `placeBooking` alone.
    pub place: Tally,
    /// `confirmPayment` alone.
    pub confirm: Tally,
    /// Per inventory: (confirmed bookings, failed requests that may have taken effect).
    pub per_inventory: HashMap<String, (i64, i64)>,
    /// The latest consistency token seen.
    pub token: Option<String>,
    /// Wall time.
    pub seconds: f64,
}

impl HoldsOutcome {
    fn merge(&mut self, other: HoldsOutcome) {
        self.bookings.merge(other.bookings);
        self.place.merge(other.place);
        self.confirm.merge(other.confirm);
        for (inventory, (c, h)) in other.per_inventory {
            let entry = self.per_inventory.entry(inventory).or_default();
            entry.0 += c;
            entry.1 += h;
        }
        if let Some(t) = other.token {
            self.token = setup::later(self.token.take(), &t);
        }
    }
}

/// Runs `clients` booking clients on `world` until `duration` has passed.
pub async fn run_load(
    api: &Api,
    world: &Arc<HoldsWorld>,
    clients: usize,
    duration: std::time::Duration,
) -> Result<HoldsOutcome, BenchError> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients.max(1) {
        let api = api.clone();
        let world = world.clone();
        let (_, guest) = api.guest()?;
        tasks.push(tokio::spawn(async move {
            let mut out = HoldsOutcome::default();
            let mut rng = fastrand::Rng::with_seed(client as u64);
            while Instant::now() < deadline {
                book(&api, &world, &guest, &mut rng, &mut out).await;
            }
            out
        }));
    }
    let mut total = HoldsOutcome::default();
    for task in tasks {
        total.merge(task.await.context("a bench client panicked")?);
    }
    total.seconds = started.elapsed().as_secs_f64();
    Ok(total)
}

/// Starts `rate` bookings a second for `duration` (open loop: each starts on schedule, whether
/// or not the earlier ones have been answered, as independent guests would), each as a new
/// guest; returns once every booking started has been answered.
pub async fn run_open_loop(
    api: &Api,
    world: &Arc<HoldsWorld>,
    rate: f64,
    duration: std::time::Duration,
) -> Result<HoldsOutcome, BenchError> {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs_f64(1.0 / rate));
    let mut tasks = tokio::task::JoinSet::new();
    let mut total = HoldsOutcome::default();
    let mut seed = 0u64;
    while started.elapsed() < duration {
        ticks.tick().await;
        seed += 1;
        let (api, world) = (api.clone(), world.clone());
        let (_, guest) = api.guest()?;
        tasks.spawn(async move {
            let mut out = HoldsOutcome::default();
            book(
                &api,
                &world,
                &guest,
                &mut fastrand::Rng::with_seed(seed),
                &mut out,
            )
            .await;
            out
        });
        // Collect what has finished, so that a long run keeps few results in the set.
        while let Some(done) = tasks.try_join_next() {
            total.merge(done.context("a bench booking panicked")?);
        }
    }
    while let Some(done) = tasks.join_next().await {
        total.merge(done.context("a bench booking panicked")?);
    }
    total.seconds = started.elapsed().as_secs_f64();
    Ok(total)
}

/// Books one unit of a random date on a random inventory of `world` as `guest` (place, then
/// confirm as the operator); records what happened in `out`.
pub async fn book(
    api: &Api,
    world: &HoldsWorld,
    guest: &str,
    rng: &mut fastrand::Rng,
    out: &mut HoldsOutcome,
) {
    let inventory = &world.inventories[rng.usize(..world.inventories.len())];
    let date = world.from + Duration::days(i64::from(rng.u32(..world.days)));
    let t0 = Instant::now();
    let placed = api
        .call(
            Some(guest),
            PLACE_BOOKING,
            json!({"key": key(), "input": {"listingId": world.listing,
                "inventoryId": inventory, "eventDate": day(date), "partySize": 1}}),
        )
        .await;
    out.place.record(t0.elapsed(), placed.outcome());
    let Answer::Data(placed) = placed else {
        out.bookings.record(t0.elapsed(), placed.outcome());
        out.per_inventory.entry(inventory.clone()).or_default().1 += 1;
        return;
    };
    let booking = text(&placed, "/placeBooking/bookingId").unwrap_or_default();
    let total = placed["placeBooking"]["totals"]["totalMinor"]
        .as_i64()
        .unwrap_or(0);
    if let Some(t) = text(&placed, "/placeBooking/consistencyToken") {
        out.token = setup::later(out.token.take(), &t);
    }
    let t1 = Instant::now();
    let confirmed = api
        .call(
            Some(&world.operator),
            CONFIRM_PAYMENT,
            json!({"key": key(), "input": {"bookingId": booking, "provider": "bench",
                "reference": key(), "amount": {"amountMinor": total, "currency": "KRW"}}}),
        )
        .await;
    out.confirm.record(t1.elapsed(), confirmed.outcome());
    out.bookings.record(t0.elapsed(), confirmed.outcome());
    let entry = out.per_inventory.entry(inventory.clone()).or_default();
    match &confirmed {
        Answer::Data(data) if data["confirmPayment"]["status"].as_str() == Some("CONFIRMED") => {
            entry.0 += 1;
            if let Some(t) = text(data, "/confirmPayment/consistencyToken") {
                out.token = setup::later(out.token.take(), &t);
            }
        }
        // Failed, or answered without confirming: may or may not have allocated.
        _ => entry.1 += 1,
    }
}

/// Where [`check`] reads each inventory's counters.
pub enum Counters {
    /// The calendar read model, once it has applied the run's last write.
    Calendar,
    /// The log: each inventory's events folded into the aggregate (no projector needed).
    Log(EventStore),
}

impl Counters {
    /// The counters of every slot of `inventory`.
    async fn slots(
        &self,
        api: &Api,
        world: &HoldsWorld,
        inventory: &str,
        token: Option<&str>,
    ) -> Result<Vec<SlotCounts>, BenchError> {
        match self {
            Counters::Calendar => {
                setup::calendar(api, inventory, (world.from, world.last_date()), token).await
            }
            Counters::Log(store) => {
                let folded = fold_inventory(store, inventory).await?;
                Ok(folded
                    .slots()
                    .values()
                    .map(|s| SlotCounts {
                        capacity: i64::from(s.capacity),
                        held: i64::from(s.held),
                        allocated: i64::from(s.allocated),
                    })
                    .collect())
            }
        }
    }
}

/// The inventory `id` as its events in the log make it.
async fn fold_inventory(store: &EventStore, id: &str) -> Result<Inventory, BenchError> {
    let mut inventory = Inventory::default();
    let mut after = 0;
    loop {
        let page = store
            .aggregate_events(Inventory::TYPE, id, after, 1_000)
            .await?;
        let Some(last) = page.last() else {
            return Ok(inventory);
        };
        after = last.sequence;
        for event in page {
            let decoded: InventoryEvent =
                serde_json::from_value(event.payload).with_context(|| {
                    format!("inventory {id}: event {} does not decode", event.sequence)
                })?;
            inventory.apply(decoded);
        }
    }
}

/// Checks each inventory's counters (from `counters`) against what the clients were told;
/// adds the checks to `report`.
pub async fn check(
    api: &Api,
    world: &HoldsWorld,
    outcome: &HoldsOutcome,
    counters: &Counters,
    report: &mut Report,
) -> Result<(), BenchError> {
    let (mut allocated_ok, mut held_ok, mut capacity_ok) = (true, true, true);
    let (mut allocated_sum, mut confirmed_sum, mut held_sum) = (0i64, 0i64, 0i64);
    for inventory in &world.inventories {
        let slots = counters
            .slots(api, world, inventory, outcome.token.as_deref())
            .await?;
        let allocated: i64 = slots.iter().map(|s| s.allocated).sum();
        let held: i64 = slots.iter().map(|s| s.held).sum();
        let (confirmed, uncertain) = outcome
            .per_inventory
            .get(inventory)
            .copied()
            .unwrap_or_default();
        allocated_sum += allocated;
        confirmed_sum += confirmed;
        held_sum += held;
        allocated_ok &= confirmed <= allocated && allocated <= confirmed + uncertain;
        held_ok &= held <= uncertain;
        capacity_ok &= slots
            .iter()
            .all(|s: &SlotCounts| s.held + s.allocated <= s.capacity);
    }
    let failed: i64 = outcome.per_inventory.values().map(|(_, u)| u).sum();
    report.check(
        allocated_ok,
        format!(
            "allocated units = confirmed bookings on every inventory ({} allocated, {} confirmed, {} failed requests)",
            number(allocated_sum as f64),
            number(confirmed_sum as f64),
            number(failed as f64)
        ),
    );
    report.check(
        held_ok,
        format!(
            "no unit left held beyond failed requests ({} held)",
            number(held_sum as f64)
        ),
    );
    report.check(capacity_ok, "held + allocated <= capacity on every slot");
    Ok(())
}

/// Runs the scenario.
pub async fn run(args: HoldsArgs) -> Result<Report, BenchError> {
    let api = Api::new(&args.server)?;
    api.wait_ready(std::time::Duration::from_secs(10)).await?;
    let projectors = api.runs_projectors().await?;
    let counters = match (args.write_path_only, projectors) {
        (false, true) => Counters::Calendar,
        (true, false) => Counters::Log(args.server.store.open().await?),
        (true, true) => {
            return Err(BenchError::failed(
                "--write-path-only measures servers without projectors (`holdfast serve --no-workers`), but a node's /readyz lists projectors",
            ));
        }
        (false, false) => {
            return Err(BenchError::failed(
                "no node runs projectors (`holdfast serve --no-workers`?), so the calendar would never show the bookings: pass --write-path-only",
            ));
        }
    };
    api.settle().await;
    let world = Arc::new(HoldsWorld::create(&api, &args.shape).await?);
    api.settle().await;
    let clients = args.load.clients.max(1);
    let mut report = Report::new(format!(
        "holds{} — place + confirm one unit on {} inventories × {} dates, {} clients, {:.0} s{}",
        if args.write_path_only {
            " --write-path-only (projectors off)"
        } else {
            ""
        },
        world.inventories.len(),
        world.days,
        clients,
        args.load.duration.as_secs_f64(),
        api.nodes_text(),
    ));
    let baseline = if args.no_baseline {
        None
    } else {
        let binary = baseline::find_pgbench(args.pgbench.as_deref())?;
        Some(
            baseline::pgbench(
                &binary,
                &args.server.store.database_url,
                clients,
                args.load.duration.as_secs().max(1),
            )
            .await?,
        )
    };
    let meter = Meter::start(&api, &args.server.store.database_url, &args.cost).await?;
    let outcome = run_load(&api, &world, clients, args.load.duration).await?;
    let cost = meter.stop(&api).await?;
    report.rows.push(Row::from_tally(
        "bookings (placeBooking + confirmPayment)",
        clients,
        &outcome.bookings,
        outcome.seconds,
        "bookings/s",
    ));
    report.rows.push(Row::from_tally(
        "  placeBooking",
        clients,
        &outcome.place,
        outcome.seconds,
        "req/s",
    ));
    report.rows.push(Row::from_tally(
        "  confirmPayment",
        clients,
        &outcome.confirm,
        outcome.seconds,
        "req/s",
    ));
    let bookings_per_second = outcome.bookings.ok as f64 / outcome.seconds.max(1e-9);
    if let Some(b) = &baseline {
        report.rows.push(Row::rate(
            "pgbench one-row INSERT (same Postgres)",
            clients,
            b.transactions,
            b.transactions as f64 / b.tps.max(1e-9),
            "tps",
        ));
        let ratio = bookings_per_second / b.tps;
        let goal = if args.write_path_only { 0.15 } else { 0.05 };
        report.target(
            "confirmed bookings/s ÷ pgbench tps",
            format!("{ratio:.3}×"),
            format!("≥ {goal}×"),
            ratio >= goal,
        );
        report.notes.push(format!(
            "baseline: `{}` (mean latency {:.2} ms)",
            b.command, b.latency_ms
        ));
    }
    report.notes.push(format!(
        "confirmed bookings/s: {} (each is 2 mutations: ~{} mutations/s)",
        number(bookings_per_second),
        number(2.0 * bookings_per_second)
    ));
    let confirmed = u64::try_from(outcome.per_inventory.values().map(|(c, _)| c).sum::<i64>())?;
    let (mode, limit) = if args.write_path_only {
        ("command path, no projectors", 2.0)
    } else {
        ("projectors, worker and outbox running", 5.0)
    };
    cost.report_commits(
        &mut report,
        confirmed,
        &format!("confirmed booking ({mode})"),
        Some(limit),
    );
    if let Some(commits) = cost.commits {
        report.check(
            commits >= i64::try_from(confirmed)?,
            format!(
                "the server's database counted at least one commit per confirmed booking ({} commits, {} confirmed)",
                number(commits as f64),
                number(confirmed as f64)
            ),
        );
    }
    cost.report_cpu(&mut report, confirmed, "confirmed booking");
    cost.report_conflicts(&mut report);
    check(&api, &world, &outcome, &counters, &mut report).await?;
    Ok(report)
}
