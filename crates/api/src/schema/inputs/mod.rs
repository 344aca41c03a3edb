//! GraphQL input types of the mutations, one module per aggregate, and the parsers that turn
//! raw input into the domain's newtypes **at the edge**: any bad value is `INVALID_INPUT` with
//! a message that starts with the field's path (`input.stay.to: …`), never a panic.
//!
//! Dates are `String`s `YYYY-MM-DD`, times of day `HH:MM`, instants RFC 3339, parsed here so
//! that a malformed value gets a typed `INVALID_INPUT` (a scalar's own parse error would carry
//! no code). Integers are taken as 64-bit and range-checked here for the same reason.
//!
//! - [`money`] — `MoneyInput`;
//! - [`listing`] — listing creation and details, location, `CategoryInput`;
//! - [`policy`] — the booking policy;
//! - [`inventory`] — inventory definition and slot selections;
//! - [`booking`] — placement, payment, cancellation, waitlist;
//! - [`coupon`] — campaigns and discounts.

pub mod booking;
pub mod coupon;
pub mod inventory;
pub mod listing;
pub mod money;
pub mod policy;

use std::fmt::Display;

use async_graphql::ID;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use holdfast_domain::common::{DateRange, Slot};

use crate::error::ApiError;

/// `INVALID_INPUT` for `field`.
pub fn field_error(field: &str, problem: impl Display) -> ApiError {
    ApiError::invalid(format!("{field}: {problem}"))
}

/// Parses an id with one of the domain's id newtypes (`parse` of `ListingId`, …).
pub fn parse_id<T, E: Display>(
    field: &str,
    id: &ID,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(id.as_str()).map_err(|e| field_error(field, e))
}

/// The earliest and latest years a date may have (a booking system has no business further).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn check_year(field: &str, year: i32) -> Result<(), ApiError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(field_error(
            field,
            format!("year {year} is outside {}..={}", YEARS.start(), YEARS.end()),
        ))
    }
}

/// A local date, exactly `YYYY-MM-DD`, years 1970..=9999.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    let shown: String = text.chars().take(32).collect();
    if text.len() != 10 {
        return Err(field_error(
            field,
            format!("`{shown}` is not a date (YYYY-MM-DD)"),
        ));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| field_error(field, format!("`{shown}` is not a date (YYYY-MM-DD)")))?;
    check_year(field, date.year())?;
    Ok(date)
}

/// A local time of day, exactly `HH:MM`.
pub fn parse_time(field: &str, text: &str) -> Result<NaiveTime, ApiError> {
    let shown: String = text.chars().take(32).collect();
    if text.len() != 5 {
        return Err(field_error(
            field,
            format!("`{shown}` is not a time (HH:MM)"),
        ));
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| field_error(field, format!("`{shown}` is not a time (HH:MM)")))
}

/// An instant in RFC 3339 (`2030-01-07T09:00:00Z`), years 1970..=9999.
pub fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let shown: String = text.chars().take(40).collect();
    if text.len() > 40 {
        return Err(field_error(field, "not an RFC 3339 instant"));
    }
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| field_error(field, format!("`{shown}` is not an RFC 3339 instant")))?
        .to_utc();
    check_year(field, at.year())?;
    Ok(at)
}

/// A slot: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
pub fn parse_slot(field: &str, text: &str) -> Result<Slot, ApiError> {
    match text.split_once('T') {
        None => Ok(Slot::day(parse_date(field, text)?)),
        Some((date, time)) => Ok(Slot::at(parse_date(field, date)?, parse_time(field, time)?)),
    }
}

/// A half-open date range `[from, to)`, non-empty and at most `DateRange::MAX_DAYS` long.
pub fn parse_range(field: &str, from: &str, to: &str) -> Result<DateRange, ApiError> {
    let from = parse_date(&format!("{field}.from"), from)?;
    let to = parse_date(&format!("{field}.to"), to)?;
    DateRange::new(from, to).map_err(|e| field_error(field, e))
}

/// An integer in `min..=max`, as a `u32`.
pub fn parse_u32(field: &str, value: i64, min: u32, max: u32) -> Result<u32, ApiError> {
    match u32::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(field_error(
            field,
            format!("must be {min}..={max}, got {value}"),
        )),
    }
}

/// Text of at most `max` characters (checked before anything else looks at it).
pub fn bounded_text<'t>(field: &str, text: &'t str, max: usize) -> Result<&'t str, ApiError> {
    // Bytes bound characters from above: a cheap check first, an exact one only if needed.
    if text.len() > max && text.chars().count() > max {
        return Err(field_error(
            field,
            format!("at most {max} characters, got {}", text.chars().count()),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn hostile_dates_are_invalid_input_naming_the_field() {
        for bad in [
            "10000-01-01",
            "2030-02-30",
            "2030-1-1",
            "",
            "+2030-01-01",
            "1969-12-31",
        ] {
            let e = parse_date("input.stay.from", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad}");
            assert!(e.message.starts_with("input.stay.from: "), "{}", e.message);
        }
        assert!(parse_range("input.stay", "2030-01-02", "2030-01-01").is_err());
        assert!(parse_u32("input.partySize", -1, 1, 10).is_err());
        assert!(parse_u32("input.partySize", i64::MAX, 1, 10).is_err());
        assert!(parse_time("t", "24:00").is_err());
        assert!(parse_instant("t", "10000-01-01T00:00:00Z").is_err());
        assert_eq!(
            parse_slot("s", "2030-01-07T18:00").unwrap().to_string(),
            "2030-01-07T18:00"
        );
    }
}
