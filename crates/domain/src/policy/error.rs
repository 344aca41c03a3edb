//! Why a policy could not be built ([`PolicyError`]) and why a request broke a policy
//! ([`PolicyViolation`]).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::common::{Slot, SlotError};

/// A booking policy (or one of its values) that cannot exist. One variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A time slot shorter than 5 or longer than 1440 minutes.
    #[error("time slots must last {min}..={max} minutes, got {minutes}")]
    SlotMinutesOutOfRange {
        /// The requested length.
        minutes: u32,
        /// Shortest allowed.
        min: u32,
        /// Longest allowed.
        max: u32,
    },
    /// The first slot of the day starts after the last one.
    #[error("first slot start {first_start} is after the last slot start {last_start}")]
    FirstStartAfterLastStart {
        /// First start.
        first_start: NaiveTime,
        /// Last start.
        last_start: NaiveTime,
    },
    /// A time of day with seconds (policies work in whole minutes).
    #[error("{field} must be a whole minute, got {time}")]
    TimeNotWholeMinute {
        /// Which field.
        field: &'static str,
        /// The time given.
        time: NaiveTime,
    },
    /// A duration with seconds (policies work in whole minutes).
    #[error("{field} must be a whole number of minutes")]
    DurationNotWholeMinutes {
        /// Which field.
        field: &'static str,
    },
    /// A duration outside its bounds.
    #[error("{field} must be {min_minutes}..={max_minutes} minutes, got {minutes}")]
    DurationOutOfRange {
        /// Which field.
        field: &'static str,
        /// The duration given, in whole minutes (truncated).
        minutes: i64,
        /// Lower bound.
        min_minutes: i64,
        /// Upper bound.
        max_minutes: i64,
    },
    /// A day count (window opening, advance) larger than the limit.
    #[error("{field} must be at most {max} days, got {days}")]
    DaysTooLarge {
        /// Which field.
        field: &'static str,
        /// The count given.
        days: u32,
        /// The limit.
        max: u32,
    },
    /// `min_stay` of zero: every booking covers at least one slot.
    #[error("min_stay must be at least 1")]
    MinStayZero,
    /// `min_stay` above `max_stay`.
    #[error("min_stay {min} is above max_stay {max}")]
    StayBoundsReversed {
        /// Minimum.
        min: u32,
        /// Maximum.
        max: u32,
    },
    /// `max_stay` above the most one command may cover.
    #[error("max_stay {max} exceeds the limit of {limit}")]
    MaxStayTooLarge {
        /// The maximum given.
        max: u32,
        /// The limit.
        limit: u32,
    },
    /// `min_stay` more than the slot kind can ever offer in one booking (a day's time slots, one
    /// event date).
    #[error("min_stay {min_stay} can never be met: at most {max_possible} consecutive slots")]
    MinStayUnreachable {
        /// Minimum given.
        min_stay: u32,
        /// The most consecutive slots this kind offers.
        max_possible: u32,
    },
    /// A party size outside 1..=10 000.
    #[error("party size must be 1..=10000, got {value}")]
    PartySizeOutOfBounds {
        /// The size given.
        value: u32,
    },
    /// Party size range with `min > max`.
    #[error("party size min {min} is above max {max}")]
    PartySizeRangeReversed {
        /// Minimum.
        min: u32,
        /// Maximum.
        max: u32,
    },
    /// A buffer longer than a day.
    #[error("buffer of {buffer_minutes} minutes exceeds {max}")]
    BufferTooLarge {
        /// The buffer given.
        buffer_minutes: u32,
        /// The limit.
        max: u32,
    },
    /// A buffer on a listing that has no time slots.
    #[error("a buffer of {buffer_minutes} minutes only applies to time slots")]
    BufferWithoutTimeSlots {
        /// The buffer given.
        buffer_minutes: u32,
    },
    /// Closed-to-departure days on a listing without nights (nothing departs).
    #[error("closed-to-departure days only apply to nights")]
    ClosedToDepartureWithoutNights,
    /// More specific dates or blackout ranges than allowed.
    #[error("{field} has {count} entries, at most {max}")]
    TooManyEntries {
        /// Which field.
        field: &'static str,
        /// Entries given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A blackout range that is empty, reversed or too long.
    #[error("invalid blackout range: {0}")]
    InvalidBlackout(SlotError),
    /// A per-guest cap of zero (nobody could ever book).
    #[error("a per-guest active booking cap must be at least 1")]
    GuestCapZero,
    /// A no-show refund share above 100 %.
    #[error("a no-show refund share of {bp} basis points is above 10000 (100 %)")]
    NoShowRefundTooLarge {
        /// The share given.
        bp: u32,
    },
}

/// A request that breaks the policy. One variant per rule, carrying the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PolicyViolation {
    /// The slot is not offered: off the time grid, outside first..last start, or a request
    /// whose kind does not match the listing's slot kind.
    #[error("slot {slot} is not offered")]
    SlotNotOffered {
        /// The slot asked for.
        slot: Slot,
    },
    /// Fewer consecutive time slots remain that day than were asked for.
    #[error("{requested} consecutive slots from {first} asked, only {available} offered")]
    ConsecutiveSlotsUnavailable {
        /// First slot asked for.
        first: Slot,
        /// Slots asked for.
        requested: u32,
        /// Slots offered from `first` to the day's last start.
        available: u32,
    },
    /// Party size outside the listing's range.
    #[error("party of {requested} outside {min}..={max}")]
    PartySizeOutOfRange {
        /// Party asked for.
        requested: u32,
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
    },
    /// Fewer nights (or consecutive slots) than the minimum.
    #[error("{nights} nights/slots, minimum {min}")]
    StayTooShort {
        /// Nights or slots asked for.
        nights: u32,
        /// Minimum.
        min: u32,
    },
    /// More nights (or consecutive slots) than the maximum.
    #[error("{nights} nights/slots, maximum {max}")]
    StayTooLong {
        /// Nights or slots asked for.
        nights: u32,
        /// Maximum.
        max: u32,
    },
    /// A slot's date lies in a blackout.
    #[error("{date} is blacked out")]
    Blackout {
        /// The first blacked-out date of the request.
        date: NaiveDate,
    },
    /// Arrival (the first slot's date) on a closed-to-arrival day.
    #[error("closed to arrival on {date}")]
    ClosedToArrival {
        /// The arrival date.
        date: NaiveDate,
    },
    /// Departure on a closed-to-departure day.
    #[error("closed to departure on {date}")]
    ClosedToDeparture {
        /// The departure date.
        date: NaiveDate,
    },
    /// The booking would start before now.
    #[error("slot {slot} is in the past")]
    InPast {
        /// The first slot asked for.
        slot: Slot,
    },
    /// A slot lies beyond the last bookable date.
    #[error("bookable up to {latest_date} only")]
    TooFarAhead {
        /// The last local date that may be booked today.
        latest_date: NaiveDate,
    },
    /// The booking window for this slot has not opened yet.
    #[error("bookings open at {opens_at}")]
    WindowNotOpen {
        /// The instant the window opens.
        opens_at: DateTime<Utc>,
    },
    /// The start is too close to now.
    #[error("too short notice: earliest bookable start is {earliest}")]
    LeadTimeTooShort {
        /// The earliest start instant bookable now (now + minimum lead).
        earliest: DateTime<Utc>,
    },
    /// The guest already holds as many active bookings as allowed.
    #[error("guest has {active} active bookings, cap {cap}")]
    GuestCapReached {
        /// The guest's active bookings.
        active: u32,
        /// The cap.
        cap: u32,
    },
    /// The slot's local time cannot be turned into an instant (far outside any real date).
    #[error("slot {slot} cannot be placed in time")]
    UnrepresentableTime {
        /// The slot.
        slot: Slot,
    },
}
