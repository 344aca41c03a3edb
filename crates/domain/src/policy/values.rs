//! The small value types a [`super::BookingPolicy`] is made of: what a slot is, when the
//! booking window opens, party sizes and closed days.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use super::error::PolicyError;

/// What one unit of capacity of the listing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlotKind {
    /// A hotel night. A night is named by its arrival date; the stay starts at `check_in` on the
    /// arrival date and ends at `check_out` on the departure date (both local).
    Night {
        /// Local check-in time on the arrival date.
        check_in: NaiveTime,
        /// Local check-out time on the departure date.
        check_out: NaiveTime,
    },
    /// A restaurant table time: slots start every `minutes` from `first_start` while the start
    /// is not after `last_start`, each lasting `minutes`.
    TimeSlot {
        /// Slot length and grid step, 5..=1440.
        minutes: u32,
        /// Local start of the first slot of a day.
        first_start: NaiveTime,
        /// Local start of the last slot of a day (need not lie on the grid; it is a bound).
        last_start: NaiveTime,
    },
    /// A dated event (a concert, a ticket product): one slot per date, starting at `starts_at`.
    DatedEvent {
        /// Local start time on the event date.
        starts_at: NaiveTime,
    },
}

impl SlotKind {
    /// Shortest allowed time slot, in minutes.
    pub const MIN_SLOT_MINUTES: u32 = 5;
    /// Longest allowed time slot, in minutes (a day).
    pub const MAX_SLOT_MINUTES: u32 = 1_440;

    /// The start times of a day's time slots, in order (empty for other kinds).
    pub fn grid(&self) -> Vec<NaiveTime> {
        match *self {
            SlotKind::TimeSlot {
                minutes,
                first_start,
                last_start,
            } if minutes > 0 => {
                let first = minute_of_day(first_start);
                let last = minute_of_day(last_start);
                (first..=last)
                    .step_by(minutes as usize)
                    .filter_map(time_of_minute)
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The most slots one booking could cover: unbounded (`u32::MAX`) for nights, a day's grid
    /// for time slots, one for a dated event.
    pub fn max_consecutive(&self) -> u32 {
        match self {
            SlotKind::Night { .. } => u32::MAX,
            SlotKind::TimeSlot { .. } => u32::try_from(self.grid().len()).unwrap_or(u32::MAX),
            SlotKind::DatedEvent { .. } => 1,
        }
    }
}

/// Minutes since local midnight (seconds are ignored).
pub(crate) fn minute_of_day(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

/// The time `m` minutes after midnight, if `m` is within the day.
pub(crate) fn time_of_minute(m: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(m / 60, m % 60, 0)
}

/// Whether `t` is a whole minute (no seconds, no fraction, no leap second).
pub(crate) fn is_whole_minute(t: NaiveTime) -> bool {
    t.second() == 0 && t.nanosecond() == 0
}

/// When bookings for a slot open: at local time `at` on the slot's local date minus
/// `days_before` days. `{ days_before: 0, at: 18:00 }` is "same-day bookings open at 18:00".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WindowOpening {
    /// Days before the slot's date (0 = the same day).
    pub days_before: u32,
    /// Local time of day at which the window opens.
    pub at: NaiveTime,
}

/// A number of guests, 1..=10 000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PartySize(u32);

impl PartySize {
    /// The largest party any listing may take.
    pub const MAX: u32 = 10_000;

    /// A party of 1..=[`Self::MAX`] guests.
    pub fn parse(value: u32) -> Result<Self, PolicyError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(PolicyError::PartySizeOutOfBounds { value })
        }
    }

    /// The number of guests.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for PartySize {
    type Error = PolicyError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<PartySize> for u32 {
    fn from(value: PartySize) -> Self {
        value.0
    }
}

/// The party sizes a listing accepts, `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPartySizeRange", into = "RawPartySizeRange")]
pub struct PartySizeRange {
    min: PartySize,
    max: PartySize,
}

#[derive(Serialize, Deserialize)]
struct RawPartySizeRange {
    min: u32,
    max: u32,
}

impl PartySizeRange {
    /// Exactly one guest.
    pub const ONE: Self = Self {
        min: PartySize(1),
        max: PartySize(1),
    };

    /// A range with `1 <= min <= max <= 10 000`.
    pub fn new(min: u32, max: u32) -> Result<Self, PolicyError> {
        let (lo, hi) = (PartySize::parse(min)?, PartySize::parse(max)?);
        if lo > hi {
            return Err(PolicyError::PartySizeRangeReversed { min, max });
        }
        Ok(Self { min: lo, max: hi })
    }

    /// Smallest accepted party.
    pub fn min(&self) -> u32 {
        self.min.get()
    }

    /// Largest accepted party.
    pub fn max(&self) -> u32 {
        self.max.get()
    }

    /// Whether `size` is accepted.
    pub fn contains(&self, size: PartySize) -> bool {
        self.min <= size && size <= self.max
    }
}

impl TryFrom<RawPartySizeRange> for PartySizeRange {
    type Error = PolicyError;
    fn try_from(raw: RawPartySizeRange) -> Result<Self, Self::Error> {
        Self::new(raw.min, raw.max)
    }
}

impl From<PartySizeRange> for RawPartySizeRange {
    fn from(r: PartySizeRange) -> Self {
        Self {
            min: r.min(),
            max: r.max(),
        }
    }
}

/// Days on which something is closed: every listed weekday, plus specific local dates.
///
/// [`super::BookingPolicy::new`] normalises it: weekdays Monday first and dates ascending, both
/// without repeats, so two equal sets compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ClosedDays {
    /// Weekdays closed every week.
    #[serde(default)]
    pub weekdays: Vec<Weekday>,
    /// Specific closed dates.
    #[serde(default)]
    pub dates: Vec<NaiveDate>,
}

impl ClosedDays {
    /// Nothing closed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Closed on these weekdays.
    pub fn weekdays(weekdays: impl IntoIterator<Item = Weekday>) -> Self {
        Self {
            weekdays: weekdays.into_iter().collect(),
            dates: Vec::new(),
        }
    }

    /// Whether `date` is closed.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.weekdays.contains(&date.weekday()) || self.dates.binary_search(&date).is_ok()
    }

    /// Whether nothing is closed.
    pub fn is_empty(&self) -> bool {
        self.weekdays.is_empty() && self.dates.is_empty()
    }

    pub(crate) fn normalised(mut self) -> Self {
        self.weekdays.sort_by_key(Weekday::num_days_from_monday);
        self.weekdays.dedup();
        self.dates.sort_unstable();
        self.dates.dedup();
        self
    }
}

/// Serde for a [`chrono::Duration`] stored as whole minutes (policies only hold whole minutes).
pub(crate) mod minutes {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_minutes())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let m = i64::deserialize(d)?;
        Duration::try_minutes(m).ok_or_else(|| D::Error::custom("duration out of range"))
    }
}
