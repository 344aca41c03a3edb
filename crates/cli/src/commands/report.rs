//! `holdfast report occupancy --listing L --from D --to D [--format table|csv|svg]`: per slot of
//! each of the listing's inventories, from the log alone.
//!
//! The log is read once, in order; the listing's `Inventory` events are folded with the domain's
//! `apply` into each inventory's final state, and its `Booking` events into each booking's.
//! For every slot whose date lies in `[--from, --to)`:
//! - `capacity`, `held`, `allocated`: the inventory's counters at the end of the log;
//! - `occupancy` = `allocated / capacity` (confirmed units only; holds are shown apart);
//! - `revenue`: the sum of the priced line amounts for that slot of the bookings that stand
//!   confirmed at the end of the log (Confirmed, CheckedIn or NoShow) — gross, before coupon
//!   discounts, in the inventory's currency minor units.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use cqrs_es::Aggregate;
use holdfast_domain::booking::{Booking, BookingEvent, BookingStatus};
use holdfast_domain::common::{ListingId, Slot};
use holdfast_domain::inventory::{Inventory, InventoryEvent};
use holdfast_domain::listing::{Listing, ListingEvent};

use super::events::for_each_event;
use super::fixtures::parse_date;
use crate::settings::StoreArgs;

/// Arguments of `holdfast report`.
#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Capacity, held, allocated, occupancy and revenue per slot of a listing's inventories.
    Occupancy(OccupancyArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Svg,
}

#[derive(Args)]
struct OccupancyArgs {
    /// The listing (ULID).
    #[arg(long)]
    listing: String,
    /// First date (YYYY-MM-DD, inclusive).
    #[arg(long, value_parser = parse_date)]
    from: NaiveDate,
    /// End date (YYYY-MM-DD, exclusive).
    #[arg(long, value_parser = parse_date)]
    to: NaiveDate,
    /// Output: an aligned table, CSV, or an SVG heatmap (slots × inventories).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The inventory.
    pub inventory_id: String,
    /// Its name.
    pub inventory: String,
    /// The slot.
    pub slot: Slot,
    /// Units offered.
    pub capacity: u32,
    /// Units held.
    pub held: u32,
    /// Units allocated.
    pub allocated: u32,
    /// Gross revenue of standing confirmed bookings, minor units.
    pub revenue_minor: i64,
    /// The currency.
    pub currency: String,
}

impl Row {
    /// `allocated / capacity` in percent (0 without capacity).
    pub fn occupancy_pct(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            f64::from(self.allocated) * 100.0 / f64::from(self.capacity)
        }
    }
}

/// Runs the subcommand.
pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let ReportCommand::Occupancy(a) = args.command;
    let listing = ListingId::parse(&a.listing).context("--listing")?;
    if a.from >= a.to {
        bail!("--from {} must be before --to {}", a.from, a.to);
    }
    let store = args.store.open().await?;
    store.migrate().await?;
    let (name, rows) = occupancy(&store, listing, a.from, a.to).await?;
    let text = match a.format {
        Format::Table => table(&rows),
        Format::Csv => csv(&rows)?,
        Format::Svg => svg(&name, a.from, a.to, &rows),
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(())
}

/// The listing's name and the report's rows, by inventory (in order of definition) and slot.
pub async fn occupancy(
    store: &holdfast_eventstore::EventStore,
    listing: ListingId,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<(String, Vec<Row>)> {
    let mut listing_state = Listing::default();
    let mut found = false;
    let mut inventories: Vec<(String, Inventory)> = Vec::new();
    let mut bookings: BTreeMap<String, Booking> = BTreeMap::new();
    let listing_text = listing.to_string();
    for_each_event(store, |e| {
        let decode = || {
            format!(
                "{} {} #{}: cannot decode",
                e.aggregate_type, e.aggregate_id, e.sequence
            )
        };
        match e.aggregate_type.as_str() {
            t if t == Listing::TYPE && e.aggregate_id == listing_text => {
                let event: ListingEvent =
                    serde_json::from_value(e.payload.clone()).with_context(decode)?;
                listing_state.apply(event);
                found = true;
            }
            t if t == Inventory::TYPE => {
                let event: InventoryEvent =
                    serde_json::from_value(e.payload.clone()).with_context(decode)?;
                let position = inventories.iter().position(|(id, _)| *id == e.aggregate_id);
                match (position, &event) {
                    (Some(i), _) => inventories[i].1.apply(event),
                    (None, InventoryEvent::InventoryDefined { listing_id, .. })
                        if *listing_id == listing =>
                    {
                        let mut inventory = Inventory::default();
                        inventory.apply(event);
                        inventories.push((e.aggregate_id.clone(), inventory));
                    }
                    _ => {}
                }
            }
            t if t == Booking::TYPE => {
                let event: BookingEvent =
                    serde_json::from_value(e.payload.clone()).with_context(decode)?;
                if event.keys().listing_id == listing {
                    bookings
                        .entry(e.aggregate_id.clone())
                        .or_default()
                        .apply(event);
                }
            }
            _ => {}
        }
        Ok(())
    })
    .await?;
    let Some(state) = listing_state.state().filter(|_| found) else {
        bail!("no listing `{listing}` in the event log");
    };
    // Revenue per (inventory, slot) from bookings standing confirmed.
    let mut revenue: BTreeMap<(String, Slot), i64> = BTreeMap::new();
    for booking in bookings.values() {
        if matches!(
            booking.status(),
            Some(BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::NoShow)
        ) {
            for line in booking.lines() {
                *revenue
                    .entry((booking.keys().inventory_id.to_string(), line.slot))
                    .or_default() += line.amount.amount_minor;
            }
        }
    }
    let mut rows = Vec::new();
    for (id, inventory) in &inventories {
        let Some(def) = inventory.definition() else {
            continue;
        };
        for (slot, s) in inventory.slots() {
            if slot.date < from || slot.date >= to {
                continue;
            }
            rows.push(Row {
                inventory_id: id.clone(),
                inventory: def.name.as_str().to_owned(),
                slot: *slot,
                capacity: s.capacity,
                held: s.held,
                allocated: s.allocated,
                revenue_minor: revenue.get(&(id.clone(), *slot)).copied().unwrap_or(0),
                currency: def.currency.to_string(),
            });
        }
    }
    Ok((state.details.name.as_str().to_owned(), rows))
}

fn table(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.inventory.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = format!(
        "{:<width$}  {:<16}  {:>8}  {:>6}  {:>9}  {:>9}  {:>14}\n",
        "inventory", "slot", "capacity", "held", "allocated", "occupancy", "revenue"
    );
    let (mut capacity, mut allocated, mut revenue) = (0u64, 0u64, 0i64);
    for r in rows {
        capacity += u64::from(r.capacity);
        allocated += u64::from(r.allocated);
        revenue += r.revenue_minor;
        let _ = writeln!(
            out,
            "{:<width$}  {:<16}  {:>8}  {:>6}  {:>9}  {:>8.1}%  {:>10} {}",
            r.inventory,
            r.slot.to_string(),
            r.capacity,
            r.held,
            r.allocated,
            r.occupancy_pct(),
            r.revenue_minor,
            r.currency
        );
    }
    let pct = if capacity == 0 {
        0.0
    } else {
        allocated as f64 * 100.0 / capacity as f64
    };
    let currency = rows.first().map_or("", |r| r.currency.as_str());
    let _ = writeln!(
        out,
        "{:<width$}  {:<16}  {:>8}  {:>6}  {:>9}  {:>8.1}%  {:>10} {}",
        "total",
        format!("{} slots", rows.len()),
        capacity,
        rows.iter().map(|r| u64::from(r.held)).sum::<u64>(),
        allocated,
        pct,
        revenue,
        currency
    );
    out
}

fn csv(rows: &[Row]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "inventory_id",
        "inventory",
        "slot",
        "capacity",
        "held",
        "allocated",
        "occupancy_pct",
        "revenue_minor",
        "currency",
    ])?;
    for r in rows {
        w.write_record([
            r.inventory_id.clone(),
            r.inventory.clone(),
            r.slot.to_string(),
            r.capacity.to_string(),
            r.held.to_string(),
            r.allocated.to_string(),
            format!("{:.1}", r.occupancy_pct()),
            r.revenue_minor.to_string(),
            r.currency.clone(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Light (0 %) to dark blue (100 %).
fn colour(pct: f64) -> String {
    let t = (pct / 100.0).clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(240.0, 8.0),
        mix(244.0, 48.0),
        mix(255.0, 107.0)
    )
}

fn svg(name: &str, from: NaiveDate, to: NaiveDate, rows: &[Row]) -> String {
    const CELL_W: usize = 14;
    const CELL_H: usize = 22;
    const LEFT: usize = 200;
    const TOP: usize = 90;
    let mut inventories: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !inventories.iter().any(|(id, _)| *id == r.inventory_id) {
            inventories.push((&r.inventory_id, &r.inventory));
        }
    }
    let mut slots: Vec<Slot> = rows.iter().map(|r| r.slot).collect();
    slots.sort();
    slots.dedup();
    let width = LEFT + slots.len() * CELL_W + 20;
    let height = TOP + inventories.len() * CELL_H + 20;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    );
    let _ = writeln!(
        out,
        "  <title>Occupancy of {} from {from} to {to}</title>",
        escape(name)
    );
    let _ = writeln!(
        out,
        "  <text x=\"10\" y=\"20\" font-size=\"14\">Occupancy: {} ({from} – {to}, allocated / capacity)</text>",
        escape(name)
    );
    for (i, slot) in slots.iter().enumerate() {
        let x = LEFT + i * CELL_W + CELL_W / 2;
        let _ = writeln!(
            out,
            "  <text class=\"slot\" x=\"{x}\" y=\"{}\" transform=\"rotate(-60 {x} {})\">{slot}</text>",
            TOP - 6,
            TOP - 6
        );
    }
    for (row_index, (id, inventory)) in inventories.iter().enumerate() {
        let y = TOP + row_index * CELL_H;
        let _ = writeln!(
            out,
            "  <text class=\"inventory\" x=\"10\" y=\"{}\">{}</text>",
            y + CELL_H / 2 + 4,
            escape(inventory)
        );
        for r in rows.iter().filter(|r| r.inventory_id == *id) {
            let column = slots.binary_search(&r.slot).unwrap_or(0);
            let _ = writeln!(
                out,
                "  <rect class=\"cell\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {}: {}/{} allocated, {} held ({:.1}%), revenue {} {}</title></rect>",
                LEFT + column * CELL_W,
                CELL_W - 1,
                CELL_H - 1,
                colour(r.occupancy_pct()),
                escape(inventory),
                r.slot,
                r.allocated,
                r.capacity,
                r.held,
                r.occupancy_pct(),
                r.revenue_minor,
                r.currency
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
