//! **Recurring series** (issue 21, first part): when a series' occurrences fall. A guest asks
//! for "every Tuesday 19:00 for 8 weeks" or "every month on the 1st until June" as an RFC 5545
//! `RRULE` (expanded by the `rrule` crate) from a first local date and time, in the listing's
//! time zone: each occurrence keeps its local wall-clock time across daylight-saving changes.
//!
//! The subset accepted ([`occurrences`]): `FREQ` daily, weekly or monthly; `INTERVAL`, `BYDAY`,
//! `BYMONTHDAY`, `BYSETPOS`; an end (`COUNT` or `UNTIL`, [`SeriesError::NoEnd`]); at most
//! [`MAX_OCCURRENCES`]; no time-of-day parts (the first occurrence's time is every
//! occurrence's); the first occurrence must exist on the local clock (not in a DST gap).

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rrule::{Frequency, RRule, Unvalidated};

/// The most occurrences one series has.
pub const MAX_OCCURRENCES: u16 = 52;

/// The longest rule text accepted.
pub const MAX_RULE_CHARS: usize = 200;

/// Why a series' rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    /// Not a rule of the accepted subset (the parser's words).
    #[error("not a recurrence rule this accepts: {0}")]
    InvalidRule(String),
    /// A frequency other than daily, weekly or monthly.
    #[error("a series repeats daily, weekly or monthly")]
    UnsupportedFrequency,
    /// Time-of-day parts (`BYHOUR`, `BYMINUTE`, `BYSECOND`).
    #[error("a series keeps its first occurrence's time: no BYHOUR, BYMINUTE or BYSECOND")]
    TimeParts,
    /// Neither `COUNT` nor `UNTIL`.
    #[error("a series needs an end: COUNT or UNTIL")]
    NoEnd,
    /// More than [`MAX_OCCURRENCES`].
    #[error("a series has at most {max} occurrences", max = MAX_OCCURRENCES)]
    TooMany,
    /// The first occurrence's local time does not exist (a daylight-saving gap).
    #[error("{0} does not exist on the local clock (a daylight-saving change)")]
    NoSuchLocalTime(NaiveDateTime),
}

/// The local date-times of a series starting at `first` (local, in `zone`) under `rule` (an
/// `RRULE` value such as `FREQ=WEEKLY;BYDAY=TU;COUNT=8`), in order. Occurrences that fall in a
/// daylight-saving gap are left out (they do not exist on the local clock).
///
/// # Errors
///
/// [`SeriesError`] for a rule outside the subset, with no end, or with too many occurrences.
pub fn occurrences(
    rule: &str,
    first: NaiveDateTime,
    zone: Tz,
) -> Result<Vec<NaiveDateTime>, SeriesError> {
    let rule = rule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    if rule.len() > MAX_RULE_CHARS || rule.contains(['\n', '\r']) || rule.contains("DTSTART") {
        return Err(SeriesError::InvalidRule(
            "one RRULE value, without DTSTART".to_owned(),
        ));
    }
    let parsed: RRule<Unvalidated> = rule
        .parse()
        .map_err(|e: rrule::RRuleError| SeriesError::InvalidRule(e.to_string()))?;
    if !matches!(
        parsed.get_freq(),
        Frequency::Daily | Frequency::Weekly | Frequency::Monthly
    ) {
        return Err(SeriesError::UnsupportedFrequency);
    }
    if !parsed.get_by_hour().is_empty()
        || !parsed.get_by_minute().is_empty()
        || !parsed.get_by_second().is_empty()
    {
        return Err(SeriesError::TimeParts);
    }
    if parsed.get_count().is_none() && parsed.get_until().is_none() {
        return Err(SeriesError::NoEnd);
    }
    if parsed
        .get_count()
        .is_some_and(|c| c > u32::from(MAX_OCCURRENCES))
    {
        return Err(SeriesError::TooMany);
    }
    let start = rrule::Tz::Tz(zone)
        .from_local_datetime(&first)
        .earliest()
        .ok_or(SeriesError::NoSuchLocalTime(first))?;
    let set = parsed
        .build(start)
        .map_err(|e| SeriesError::InvalidRule(e.to_string()))?;
    let all = set.all(MAX_OCCURRENCES + 1);
    if all.dates.len() > usize::from(MAX_OCCURRENCES) {
        return Err(SeriesError::TooMany);
    }
    Ok(all
        .dates
        .into_iter()
        .map(|d| d.naive_local())
        .filter(|local| {
            // A wall-clock time in a gap is shifted by the expansion: leave it out.
            local.time() == first.time()
        })
        .collect())
}

#[cfg(test)]
mod tests;
