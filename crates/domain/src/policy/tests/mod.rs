//! Policy tests: the local-time rules, the four scenarios the issue names, one test per
//! violation and per construction error, and properties.

mod construction;
mod local_time;
mod properties;
mod requests;
mod scenarios;
mod violations;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::*;
use crate::common::{DateRange, Slot};

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(super) fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

pub(super) fn slot(s: &str) -> Slot {
    Slot::parse(s).unwrap()
}

pub(super) fn party(n: u32) -> PartySize {
    PartySize::parse(n).unwrap()
}

/// A hotel: check-in 15:00, check-out 11:00, 1..=30 nights, parties 1..=4.
pub(super) fn hotel() -> PolicySpec {
    PolicySpec::nightly(t("15:00"), t("11:00"))
}

/// A restaurant: 30-minute slots 17:00..=21:30, parties 1..=8.
pub(super) fn restaurant() -> PolicySpec {
    PolicySpec::time_slots(30, t("17:00"), t("21:30"))
}

pub(super) fn policy(spec: PolicySpec) -> BookingPolicy {
    BookingPolicy::new(spec).unwrap()
}

pub(super) fn stay(from: &str, to: &str) -> BookingRequest {
    BookingRequest {
        slots: RequestedSlots::Stay {
            range: DateRange::new(d(from), d(to)).unwrap(),
        },
        party_size: party(2),
        guest_active_bookings: 0,
    }
}

pub(super) fn table(first: &str, count: u32) -> BookingRequest {
    BookingRequest {
        slots: RequestedSlots::TimeSlots {
            first: slot(first),
            count,
        },
        party_size: party(2),
        guest_active_bookings: 0,
    }
}

pub(super) fn event(date: &str) -> BookingRequest {
    BookingRequest {
        slots: RequestedSlots::Event { date: d(date) },
        party_size: party(2),
        guest_active_bookings: 0,
    }
}
