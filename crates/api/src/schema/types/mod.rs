//! GraphQL types, one module per aggregate, plus what they share.
//!
//! - [`money`]: the one `Money { amountMinor, currency }` output object.
//! - [`notification`]: the outbox's deliveries, as operators see them.
//! - [`listing`], [`calendar`], [`booking`], [`coupon`], [`event`]: output types mirroring the
//!   read models' result types (camelCase), and their enums.
//! - Here: the `Date` scalar (`YYYY-MM-DD`), page sizes of connections ([`page_size`]) and id
//!   parsing ([`parse_id`]): a bad value is `INVALID_INPUT`.

pub mod account;
pub mod booking;
pub mod calendar;
pub mod coupon;
pub mod event;
pub mod listing;
pub mod money;
pub mod notification;
pub mod policy;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

use crate::error::ApiError;

/// Items a connection returns when `first` is not given.
pub const DEFAULT_PAGE: usize = 20;
/// The most items a connection returns per page (`first` above it is `INVALID_INPUT`).
pub const MAX_PAGE: usize = 100;

/// A calendar date, `YYYY-MM-DD` (local to the listing where it names a slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar date, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("`{s}` is not a date (YYYY-MM-DD)"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

/// The page size of a connection: `first` (default [`DEFAULT_PAGE`]), 1..=[`MAX_PAGE`].
pub fn page_size(first: Option<i32>) -> Result<usize, ApiError> {
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n >= 1 && n as usize <= MAX_PAGE => Ok(n as usize),
        Some(n) => Err(ApiError::invalid(format!(
            "first must be between 1 and {MAX_PAGE} (got {n})"
        ))),
    }
}

/// Complexity of a connection field: its page's nodes cost `child` each.
pub fn connection_complexity(child: usize, first: Option<i32>) -> usize {
    let n = first.map_or(DEFAULT_PAGE, |n| {
        usize::try_from(n).unwrap_or(1).clamp(1, MAX_PAGE)
    });
    n.saturating_mul(child).saturating_add(1)
}

/// Parses an id argument with a domain newtype's parser (`INVALID_INPUT` if malformed).
pub fn parse_id<T, E: std::fmt::Display>(
    argument: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(text).map_err(|e| ApiError::invalid(format!("{argument}: {e}")))
}
