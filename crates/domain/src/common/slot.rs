//! Slots: the unit of capacity of an inventory, in the listing's local time.
//!
//! - a **night** is the local date the guest arrives on (`2026-12-24` = the night of the 24th);
//! - a **time slot** is a local date and start time (`2026-12-24T18:30`);
//! - a **dated event** is a local date (`2026-12-24`).
//!
//! A [`Slot`] serialises as that text, so it can key a JSON map and sorts chronologically.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// Why a slot or a range was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// Not `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    #[error("`{0}` is not a slot (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)")]
    Malformed(String),
    /// `to` is not after `from`.
    #[error("empty or reversed date range: from {from} to {to}")]
    EmptyRange {
        /// First date (inclusive).
        from: NaiveDate,
        /// End date (exclusive).
        to: NaiveDate,
    },
    /// The range spans more days than any command may touch at once.
    #[error("date range of {days} days exceeds the maximum of {max}")]
    RangeTooLong {
        /// Days asked for.
        days: i64,
        /// The limit.
        max: i64,
    },
}

/// One slot: a local date, with a start time for time-slot inventories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slot {
    /// Local date (of the night, the event, or the time slot).
    pub date: NaiveDate,
    /// Local start time, for time slots only (whole minutes).
    pub time: Option<NaiveTime>,
}

impl Slot {
    /// A night or a dated event.
    pub fn day(date: NaiveDate) -> Self {
        Self { date, time: None }
    }

    /// A time slot starting at `time` (seconds are dropped).
    pub fn at(date: NaiveDate, time: NaiveTime) -> Self {
        let time = time
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(time);
        Self {
            date,
            time: Some(time),
        }
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    pub fn parse(s: &str) -> Result<Self, SlotError> {
        let malformed = || SlotError::Malformed(s.chars().take(64).collect());
        match s.split_once('T') {
            None => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Self::day)
                .map_err(|_| malformed()),
            Some((d, t)) => {
                let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| malformed())?;
                let time = NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| malformed())?;
                Ok(Self::at(date, time))
            }
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.time {
            None => write!(f, "{}", self.date.format("%Y-%m-%d")),
            Some(t) => write!(f, "{}T{}", self.date.format("%Y-%m-%d"), t.format("%H:%M")),
        }
    }
}

impl FromStr for Slot {
    type Err = SlotError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Slot {
    type Error = SlotError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slot> for String {
    fn from(value: Slot) -> Self {
        value.to_string()
    }
}

/// A half-open range of local dates `[from, to)`: for a stay, arrival to departure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    /// First date (inclusive).
    pub from: NaiveDate,
    /// End date (exclusive).
    pub to: NaiveDate,
}

impl DateRange {
    /// The most days one command may cover (a little over ten years).
    pub const MAX_DAYS: i64 = 3_700;

    /// A non-empty range of at most [`Self::MAX_DAYS`] days.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, SlotError> {
        let days = (to - from).num_days();
        if days <= 0 {
            return Err(SlotError::EmptyRange { from, to });
        }
        if days > Self::MAX_DAYS {
            return Err(SlotError::RangeTooLong {
                days,
                max: Self::MAX_DAYS,
            });
        }
        Ok(Self { from, to })
    }

    /// Number of days (nights of a stay).
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    /// Every date in the range, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..self.days().max(0) as u64).filter_map(|i| self.from.checked_add_days(Days::new(i)))
    }

    /// Whether `date` lies in `[from, to)`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date < self.to
    }

    /// Whether the two ranges share at least one date.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.from < other.to && other.from < self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn slots_round_trip_and_sort_chronologically() {
        let night = Slot::parse("2028-02-29").unwrap();
        let dinner = Slot::parse("2028-02-29T18:30").unwrap();
        assert_eq!(night.to_string(), "2028-02-29");
        assert_eq!(dinner.to_string(), "2028-02-29T18:30");
        assert!(night < dinner);
        assert_eq!(
            serde_json::to_string(&dinner).unwrap(),
            "\"2028-02-29T18:30\""
        );
        assert_eq!(
            serde_json::from_str::<Slot>("\"2028-02-29T18:30\"").unwrap(),
            dinner
        );
    }

    #[test]
    fn it_should_reject_malformed_slots() {
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-01-01T25:00",
            "tomorrow",
            "10000-01-01",
        ] {
            assert!(
                matches!(Slot::parse(bad), Err(SlotError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn it_should_reject_reversed_empty_and_huge_ranges() {
        assert!(matches!(
            DateRange::new(d("2026-01-02"), d("2026-01-01")),
            Err(SlotError::EmptyRange { .. })
        ));
        assert!(matches!(
            DateRange::new(d("2026-01-01"), d("2026-01-01")),
            Err(SlotError::EmptyRange { .. })
        ));
        assert!(matches!(
            DateRange::new(d("2026-01-01"), d("2046-01-01")),
            Err(SlotError::RangeTooLong { .. })
        ));
    }

    #[test]
    fn a_range_lists_its_dates_across_feb_29() {
        let r = DateRange::new(d("2028-02-28"), d("2028-03-02")).unwrap();
        let dates: Vec<_> = r.dates().map(|x| x.to_string()).collect();
        assert_eq!(dates, ["2028-02-28", "2028-02-29", "2028-03-01"]);
        assert!(r.overlaps(&DateRange::new(d("2028-03-01"), d("2028-03-05")).unwrap()));
        assert!(!r.overlaps(&DateRange::new(d("2028-03-02"), d("2028-03-05")).unwrap()));
    }
}
