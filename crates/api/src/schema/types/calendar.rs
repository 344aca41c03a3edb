//! The availability calendar's output type.

use async_graphql::SimpleObject;
use chrono::NaiveTime;
use holdfast_projections::models::calendar::CalendarDay as Day;

use super::Date;
use super::money::Money;

/// One slot of an inventory's calendar.
#[derive(Clone, Debug, SimpleObject)]
pub struct CalendarDay {
    /// The slot's text (`2026-12-24` or `2026-12-24T18:30`).
    pub slot: String,
    /// Its local date.
    pub date: Date,
    /// Its local start time (`HH:MM:SS`), for time slots.
    pub time: Option<NaiveTime>,
    /// Units offered.
    pub capacity: u32,
    /// Units held by unconfirmed bookings.
    pub held: u32,
    /// Units allocated to confirmed bookings.
    pub allocated: u32,
    /// Units a new hold could take (0 when closed).
    pub available: u32,
    /// Unit price, if set.
    pub price: Option<Money>,
    /// Whether new holds are refused.
    pub closed: bool,
}

impl From<Day> for CalendarDay {
    fn from(d: Day) -> Self {
        Self {
            slot: d.slot,
            date: Date(d.date),
            time: d.time,
            capacity: d.capacity,
            held: d.held,
            allocated: d.allocated,
            available: d.available,
            price: d.price.map(Money::from),
            closed: d.closed,
        }
    }
}
