//! Local wall-clock time to instants, in a listing's time zone, with explicit rules for the
//! two DST edge cases:
//!
//! - a local time that **does not exist** (the spring-forward gap, e.g. 02:30 in Berlin on
//!   2026-03-29) maps to the **first instant after the gap** (03:00 CEST = 01:00 UTC);
//! - a local time that **happens twice** (the fall-back overlap, e.g. 02:30 in Berlin on
//!   2026-10-25) maps to the **earlier** instant (02:30 CEST = 00:30 UTC).
//!
//! Durations (lead time, hold expiry, a time slot's length) are always real elapsed time, added
//! to instants; dates (nights, advance days, window opening days) are always counted on the
//! local calendar.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The longest gap searched for (the largest real one, Samoa in 2011, skipped a whole day).
const MAX_GAP_MINUTES: i64 = 2 * 24 * 60;

/// The instant of local wall-clock time `local` in `tz`: the unique instant if there is one, the
/// earlier of two in a fall-back overlap, the first instant after the gap in a spring-forward
/// gap. `None` only far outside any real date (beyond what `chrono` can represent).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.to_utc()),
        LocalResult::Ambiguous(a, b) => Some(a.to_utc().min(b.to_utc())),
        LocalResult::None => first_instant_after_gap(tz, local),
    }
}

/// The instant at which local time `time` happens on local `date` in `tz` (see
/// [`local_to_utc`]).
pub fn local_date_time_to_utc(
    tz: Tz,
    date: NaiveDate,
    time: chrono::NaiveTime,
) -> Option<DateTime<Utc>> {
    local_to_utc(tz, date.and_time(time))
}

/// The local calendar date in `tz` at instant `at`.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// `local` lies in a gap: walk the wall clock forward a minute at a time to the first local time
/// that exists (at most a minute past the gap's end), then back a second at a time to the
/// transition itself, the first instant whose local time is not before `local`.
fn first_instant_after_gap(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let start = local.with_second(0)?.with_nanosecond(0)?;
    for step in 1..=MAX_GAP_MINUTES {
        let probe = start.checked_add_signed(Duration::minutes(step))?;
        let found = match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => t.to_utc(),
            LocalResult::Ambiguous(a, b) => a.to_utc().min(b.to_utc()),
            LocalResult::None => continue,
        };
        let mut t = found;
        for _ in 0..60 {
            let Some(prev) = t.checked_sub_signed(Duration::seconds(1)) else {
                break;
            };
            if prev.with_timezone(&tz).naive_local() >= local {
                t = prev;
            } else {
                break;
            }
        }
        return Some(t);
    }
    None
}
