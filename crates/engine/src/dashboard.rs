//! A business's figures over local dates (`businessDashboard`): from the read models, so it
//! answers at once however long the log is.
//!
//! - **bookings**: bookings starting on those dates that stand confirmed (Confirmed,
//!   CheckedIn, NoShow) — the day sheets' entries;
//! - **revenue** (per currency): their totals after discounts; **gross revenue**: before
//!   discounts (what `holdfast report occupancy` sums, there per slot date, here by start date);
//! - **cancellations**: confirmed bookings cancelled; **no-shows**;
//! - **lead time**: from request to start, in days (median and mean);
//! - **occupancy**: units allocated over units offered on every slot of the business's
//!   inventories on those dates (the calendars; the report's `allocated / capacity`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use holdfast_domain::booking::BookingStatus;
use holdfast_projections::models::bookings::{DaySheetEntry, bookings_between};
use holdfast_projections::models::calendar::calendar;
use holdfast_projections::store::Table;

use crate::Engine;
use crate::error::EngineError;
use crate::read_models::{listings_of_tenant, read};

/// A business's figures over dates (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Bookings standing confirmed.
    pub bookings: u32,
    /// Confirmed bookings cancelled.
    pub cancellations: u32,
    /// Guests who did not come.
    pub no_shows: u32,
    /// Revenue after discounts, minor units by currency.
    pub revenue: BTreeMap<String, i64>,
    /// Revenue before discounts, minor units by currency.
    pub gross_revenue: BTreeMap<String, i64>,
    /// Median days from request to start.
    pub lead_time_median_days: Option<f64>,
    /// Mean days from request to start.
    pub lead_time_mean_days: Option<f64>,
    /// Units offered on the dates' slots.
    pub units_offered: u64,
    /// Units allocated to confirmed bookings there.
    pub units_allocated: u64,
}

impl Figures {
    /// `units_allocated / units_offered` (0 with nothing offered).
    pub fn occupancy(&self) -> f64 {
        if self.units_offered == 0 {
            0.0
        } else {
            self.units_allocated as f64 / self.units_offered as f64
        }
    }

    fn add(&mut self, e: &DaySheetEntry, lead_days: &mut Vec<f64>) {
        match e.status {
            BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::NoShow => {
                self.bookings += 1;
                if e.status == BookingStatus::NoShow {
                    self.no_shows += 1;
                }
                if let Some(t) = e.totals {
                    let currency = t.total.currency.as_str().to_owned();
                    *self.revenue.entry(currency.clone()).or_default() += t.total.amount_minor;
                    *self.gross_revenue.entry(currency).or_default() += t.subtotal.amount_minor;
                }
                if let (Some(created), Some(start)) = (e.created_at, e.starts_at) {
                    lead_days.push((start - created).num_seconds() as f64 / 86_400.0);
                }
            }
            BookingStatus::Cancelled => self.cancellations += 1,
            _ => {}
        }
    }
}

/// The figures of `tenant_id` over local dates `from..=to` (at most 92 days).
///
/// # Errors
///
/// `INVALID_INPUT` for a reversed or too long range; the read models' errors.
pub async fn figures(
    engine: &Engine,
    tenant_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    token: Option<&str>,
) -> Result<Figures, EngineError> {
    // Bad input is refused before anything is read.
    holdfast_projections::models::bookings::check_range(from, to)?;
    let mut figures = Figures::default();
    let mut lead_days = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after.clone();
        let page = read(engine, Table::Bookings, token, |store, table| {
            let cursor = cursor.clone();
            async move {
                bookings_between(
                    store.as_ref(),
                    table,
                    tenant_id,
                    from,
                    to,
                    100,
                    cursor.as_deref(),
                    |_| true,
                )
                .await
            }
        })
        .await?;
        for e in &page.items {
            figures.add(e, &mut lead_days);
        }
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    lead_days.sort_by(f64::total_cmp);
    if !lead_days.is_empty() {
        let n = lead_days.len();
        figures.lead_time_mean_days = Some(lead_days.iter().sum::<f64>() / n as f64);
        figures.lead_time_median_days = Some(if n % 2 == 1 {
            lead_days[n / 2]
        } else {
            (lead_days[n / 2 - 1] + lead_days[n / 2]) / 2.0
        });
    }
    // Every inventory of every listing of the business, every status.
    let mut inventories = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after.clone();
        let page = read(engine, Table::Search, None, |store, table| {
            let cursor = cursor.clone();
            async move {
                listings_of_tenant(
                    store.as_ref(),
                    table,
                    tenant_id,
                    None,
                    100,
                    cursor.as_deref(),
                )
                .await
            }
        })
        .await?;
        for listing in &page.items {
            inventories.extend(listing.inventory_ids.iter().cloned());
        }
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    for inventory in &inventories {
        let inventory = inventory.as_str();
        let days = read(engine, Table::Calendar, token, |store, table| async move {
            calendar(store.as_ref(), table, inventory, from, to).await
        })
        .await?;
        for day in days {
            figures.units_offered += u64::from(day.capacity);
            figures.units_allocated += u64::from(day.allocated);
        }
    }
    Ok(figures)
}
