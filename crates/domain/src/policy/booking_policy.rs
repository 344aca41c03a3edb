//! [`PolicySpec`] (the rules as given) and [`BookingPolicy`] (the rules validated, normalised and
//! versioned).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::PolicyError;
use super::values::{
    ClosedDays, PartySizeRange, SlotKind, WindowOpening, is_whole_minute, minutes,
};
use crate::common::{CancellationPolicy, DateRange};

/// A listing's booking rules as given, before validation. Every field is public so the API
/// layer can fill it in; only [`BookingPolicy::new`] turns it into rules that are enforced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySpec {
    /// What one slot is (night, time slot, dated event).
    pub slot_kind: SlotKind,
    /// When bookings for a slot open; `None` = as soon as the slot is within `max_advance_days`.
    pub opens: Option<WindowOpening>,
    /// Minimum real time between booking and the start, 0..=365 days, whole minutes.
    #[serde(rename = "min_lead_minutes", with = "minutes")]
    pub min_lead: Duration,
    /// How many local days ahead of today the last slot of a booking may lie (0 = today only).
    pub max_advance_days: u32,
    /// Fewest nights (or consecutive time slots) per booking, at least 1.
    pub min_stay: u32,
    /// Most nights (or consecutive time slots) per booking.
    pub max_stay: u32,
    /// Days on which no booking may start (its first slot's date).
    #[serde(default)]
    pub closed_to_arrival: ClosedDays,
    /// Days on which no stay may end (its departure date); nights only.
    #[serde(default)]
    pub closed_to_departure: ClosedDays,
    /// Party sizes accepted.
    pub party_size: PartySizeRange,
    /// Minutes kept free after a time slot ends; time slots only (see
    /// [`BookingPolicy::blocked_slots`]).
    #[serde(default)]
    pub buffer_minutes: u32,
    /// Date ranges in which no slot may be booked.
    #[serde(default)]
    pub blackout: Vec<DateRange>,
    /// The most active bookings one guest may hold on this listing.
    #[serde(default)]
    pub per_guest_active_cap: Option<u32>,
    /// How long a hold lasts before it expires, 1 minute..=7 days, whole minutes.
    #[serde(rename = "hold_duration_minutes", with = "minutes")]
    pub hold_duration: Duration,
    /// How long a waitlist offer stays open before it passes to the next guest, 1 minute..=7
    /// days, whole minutes (never past the offered start). Absent in policies stored before it
    /// existed: 24 hours.
    #[serde(
        rename = "offer_duration_minutes",
        with = "minutes",
        default = "default_offer_duration"
    )]
    pub offer_duration: Duration,
    /// The no-show rule: the share of the amount paid still refunded when the operator marks
    /// a guest as a no-show, in basis points (0 = nothing back, the default).
    #[serde(default)]
    pub no_show_refund_bp: u32,
    /// Refund tiers copied into each booking.
    pub cancellation: CancellationPolicy,
}

impl PolicySpec {
    /// Hotel defaults: 1..=30 nights, parties of 1..=4, bookable a year ahead, no lead time,
    /// 15-minute holds, non-refundable.
    pub fn nightly(check_in: NaiveTime, check_out: NaiveTime) -> Self {
        Self::with_kind(SlotKind::Night {
            check_in,
            check_out,
        })
        .stays(1, 30)
        .parties(1, 4)
    }

    /// Restaurant defaults: one slot per booking, parties of 1..=8, bookable 60 days ahead.
    pub fn time_slots(minutes: u32, first_start: NaiveTime, last_start: NaiveTime) -> Self {
        let mut spec = Self::with_kind(SlotKind::TimeSlot {
            minutes,
            first_start,
            last_start,
        })
        .stays(1, 1)
        .parties(1, 8);
        spec.max_advance_days = 60;
        spec
    }

    /// Event defaults: one date per booking, parties of 1..=10.
    pub fn dated_event(starts_at: NaiveTime) -> Self {
        Self::with_kind(SlotKind::DatedEvent { starts_at })
            .stays(1, 1)
            .parties(1, 10)
    }

    fn with_kind(slot_kind: SlotKind) -> Self {
        Self {
            slot_kind,
            opens: None,
            min_lead: Duration::zero(),
            max_advance_days: 365,
            min_stay: 1,
            max_stay: 1,
            closed_to_arrival: ClosedDays::none(),
            closed_to_departure: ClosedDays::none(),
            party_size: PartySizeRange::ONE,
            buffer_minutes: 0,
            blackout: Vec::new(),
            per_guest_active_cap: None,
            hold_duration: Duration::minutes(15),
            offer_duration: default_offer_duration(),
            no_show_refund_bp: 0,
            cancellation: CancellationPolicy::non_refundable(),
        }
    }

    /// Sets `min_stay` and `max_stay` (builder style; validated by [`BookingPolicy::new`]).
    pub fn stays(mut self, min: u32, max: u32) -> Self {
        self.min_stay = min;
        self.max_stay = max;
        self
    }

    /// Sets the party size range, keeping the old one if invalid (validate with
    /// [`PartySizeRange::new`] first to see why).
    pub fn parties(mut self, min: u32, max: u32) -> Self {
        if let Ok(r) = PartySizeRange::new(min, max) {
            self.party_size = r;
        }
        self
    }
}

/// Validated, normalised booking rules with the version the listing gave them (1 at creation,
/// bumped by every change). Build with [`BookingPolicy::new`]; deserialising validates again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BookingPolicyRecord", into = "BookingPolicyRecord")]
pub struct BookingPolicy {
    version: u32,
    rules: PolicySpec,
}

/// The stored shape: `{ "version": 3, "rules": { … } }`.
#[derive(Serialize, Deserialize)]
struct BookingPolicyRecord {
    version: u32,
    rules: PolicySpec,
}

impl TryFrom<BookingPolicyRecord> for BookingPolicy {
    type Error = PolicyError;
    fn try_from(r: BookingPolicyRecord) -> Result<Self, Self::Error> {
        Ok(Self::new(r.rules)?.with_version(r.version))
    }
}

impl From<BookingPolicy> for BookingPolicyRecord {
    fn from(p: BookingPolicy) -> Self {
        Self {
            version: p.version,
            rules: p.rules,
        }
    }
}

impl BookingPolicy {
    /// Longest minimum lead time (a year).
    pub const MAX_LEAD: Duration = Duration::days(365);
    /// Longest hold.
    pub const MAX_HOLD: Duration = Duration::days(7);
    /// Longest waitlist offer.
    pub const MAX_OFFER: Duration = Duration::days(7);
    /// Most days of advance or of window opening (as far as one [`DateRange`] reaches).
    pub const MAX_DAYS: u32 = DateRange::MAX_DAYS as u32;
    /// Most specific closed dates, and most blackout ranges.
    pub const MAX_ENTRIES: usize = 1_000;
    /// Longest buffer (a day).
    pub const MAX_BUFFER_MINUTES: u32 = 1_440;

    /// Validates and normalises `spec` into version 1 of a policy.
    pub fn new(spec: PolicySpec) -> Result<Self, PolicyError> {
        let rules = validate(spec)?;
        Ok(Self { version: 1, rules })
    }

    /// The same rules under another version number (the listing assigns versions).
    pub(crate) fn with_version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// The version the listing gave these rules.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The validated, normalised rules.
    pub fn rules(&self) -> &PolicySpec {
        &self.rules
    }

    /// When a hold placed at `now` expires.
    pub fn hold_expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_add_signed(self.rules.hold_duration)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// When a waitlist offer made at `now` for slots starting at `starts_at` expires: after the
    /// offer duration, but never after the start (`None` if the start is not after `now`).
    pub fn offer_expires_at(
        &self,
        now: DateTime<Utc>,
        starts_at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let full = now
            .checked_add_signed(self.rules.offer_duration)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires = full.min(starts_at);
        (expires > now).then_some(expires)
    }
}

/// The offer duration of policies stored before it existed.
fn default_offer_duration() -> Duration {
    Duration::hours(24)
}

fn check_whole_minute(field: &'static str, t: NaiveTime) -> Result<(), PolicyError> {
    if is_whole_minute(t) {
        Ok(())
    } else {
        Err(PolicyError::TimeNotWholeMinute { field, time: t })
    }
}

fn check_duration(
    field: &'static str,
    d: Duration,
    min: Duration,
    max: Duration,
) -> Result<(), PolicyError> {
    if d < min || d > max {
        return Err(PolicyError::DurationOutOfRange {
            field,
            minutes: d.num_minutes(),
            min_minutes: min.num_minutes(),
            max_minutes: max.num_minutes(),
        });
    }
    if d.subsec_nanos() != 0 || d.num_seconds() % 60 != 0 {
        return Err(PolicyError::DurationNotWholeMinutes { field });
    }
    Ok(())
}

fn check_days(field: &'static str, days: u32) -> Result<(), PolicyError> {
    if days > BookingPolicy::MAX_DAYS {
        return Err(PolicyError::DaysTooLarge {
            field,
            days,
            max: BookingPolicy::MAX_DAYS,
        });
    }
    Ok(())
}

fn check_entries(field: &'static str, count: usize) -> Result<(), PolicyError> {
    if count > BookingPolicy::MAX_ENTRIES {
        return Err(PolicyError::TooManyEntries {
            field,
            count,
            max: BookingPolicy::MAX_ENTRIES,
        });
    }
    Ok(())
}

fn validate_kind(kind: &SlotKind) -> Result<(), PolicyError> {
    match *kind {
        SlotKind::Night {
            check_in,
            check_out,
        } => {
            check_whole_minute("check_in", check_in)?;
            check_whole_minute("check_out", check_out)
        }
        SlotKind::TimeSlot {
            minutes,
            first_start,
            last_start,
        } => {
            if !(SlotKind::MIN_SLOT_MINUTES..=SlotKind::MAX_SLOT_MINUTES).contains(&minutes) {
                return Err(PolicyError::SlotMinutesOutOfRange {
                    minutes,
                    min: SlotKind::MIN_SLOT_MINUTES,
                    max: SlotKind::MAX_SLOT_MINUTES,
                });
            }
            check_whole_minute("first_start", first_start)?;
            check_whole_minute("last_start", last_start)?;
            if first_start > last_start {
                return Err(PolicyError::FirstStartAfterLastStart {
                    first_start,
                    last_start,
                });
            }
            Ok(())
        }
        SlotKind::DatedEvent { starts_at } => check_whole_minute("starts_at", starts_at),
    }
}

fn validate(mut spec: PolicySpec) -> Result<PolicySpec, PolicyError> {
    validate_kind(&spec.slot_kind)?;
    let is_night = matches!(spec.slot_kind, SlotKind::Night { .. });
    let is_time_slot = matches!(spec.slot_kind, SlotKind::TimeSlot { .. });

    if let Some(opens) = spec.opens {
        check_days("opens.days_before", opens.days_before)?;
        check_whole_minute("opens.at", opens.at)?;
    }
    check_duration(
        "min_lead",
        spec.min_lead,
        Duration::zero(),
        BookingPolicy::MAX_LEAD,
    )?;
    check_days("max_advance_days", spec.max_advance_days)?;
    check_duration(
        "hold_duration",
        spec.hold_duration,
        Duration::minutes(1),
        BookingPolicy::MAX_HOLD,
    )?;
    check_duration(
        "offer_duration",
        spec.offer_duration,
        Duration::minutes(1),
        BookingPolicy::MAX_OFFER,
    )?;

    if spec.no_show_refund_bp > 10_000 {
        return Err(PolicyError::NoShowRefundTooLarge {
            bp: spec.no_show_refund_bp,
        });
    }
    if spec.min_stay == 0 {
        return Err(PolicyError::MinStayZero);
    }
    if spec.min_stay > spec.max_stay {
        return Err(PolicyError::StayBoundsReversed {
            min: spec.min_stay,
            max: spec.max_stay,
        });
    }
    if spec.max_stay > BookingPolicy::MAX_DAYS {
        return Err(PolicyError::MaxStayTooLarge {
            max: spec.max_stay,
            limit: BookingPolicy::MAX_DAYS,
        });
    }
    let max_possible = spec.slot_kind.max_consecutive();
    if spec.min_stay > max_possible {
        return Err(PolicyError::MinStayUnreachable {
            min_stay: spec.min_stay,
            max_possible,
        });
    }

    if spec.buffer_minutes > BookingPolicy::MAX_BUFFER_MINUTES {
        return Err(PolicyError::BufferTooLarge {
            buffer_minutes: spec.buffer_minutes,
            max: BookingPolicy::MAX_BUFFER_MINUTES,
        });
    }
    if spec.buffer_minutes > 0 && !is_time_slot {
        return Err(PolicyError::BufferWithoutTimeSlots {
            buffer_minutes: spec.buffer_minutes,
        });
    }
    if !is_night && !spec.closed_to_departure.is_empty() {
        return Err(PolicyError::ClosedToDepartureWithoutNights);
    }
    check_entries(
        "closed_to_arrival.dates",
        spec.closed_to_arrival.dates.len(),
    )?;
    check_entries(
        "closed_to_departure.dates",
        spec.closed_to_departure.dates.len(),
    )?;
    check_entries("blackout", spec.blackout.len())?;
    for r in &spec.blackout {
        DateRange::new(r.from, r.to).map_err(PolicyError::InvalidBlackout)?;
    }
    if spec.per_guest_active_cap == Some(0) {
        return Err(PolicyError::GuestCapZero);
    }

    spec.closed_to_arrival = spec.closed_to_arrival.normalised();
    spec.closed_to_departure = spec.closed_to_departure.normalised();
    spec.blackout.sort_by_key(|r| (r.from, r.to));
    spec.blackout.dedup();
    Ok(spec)
}
