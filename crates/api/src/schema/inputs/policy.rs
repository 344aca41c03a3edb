//! The booking policy as input: every rule of `holdfast_domain::policy::PolicySpec`, validated
//! by `BookingPolicy::new` after the edge has parsed dates, times and numbers.

use async_graphql::{InputObject, OneofObject};
use chrono::Duration;
use holdfast_domain::common::{CancellationPolicy, RefundTier};
use holdfast_domain::policy::{
    BookingPolicy, ClosedDays, PartySizeRange, PolicySpec, SlotKind, WindowOpening,
};

use super::{field_error, parse_date, parse_range, parse_time, parse_u32};
use crate::error::ApiError;

/// What one unit of capacity is.
#[derive(OneofObject, Clone, Debug)]
pub enum SlotKindInput {
    /// Hotel nights.
    Night(NightSlotsInput),
    /// Restaurant table times.
    TimeSlot(TimeSlotsInput),
    /// One dated event per date.
    DatedEvent(DatedEventInput),
}

/// Nights, named by their arrival date.
#[derive(InputObject, Clone, Debug)]
pub struct NightSlotsInput {
    /// Local check-in time (`HH:MM`).
    pub check_in: String,
    /// Local check-out time (`HH:MM`).
    pub check_out: String,
}

/// Time slots every `minutes` from `firstStart` to `lastStart`.
#[derive(InputObject, Clone, Debug)]
pub struct TimeSlotsInput {
    /// Slot length and grid step (5..=1440).
    pub minutes: i64,
    /// First start of a day (`HH:MM`).
    pub first_start: String,
    /// Last start of a day (`HH:MM`).
    pub last_start: String,
}

/// A dated event.
#[derive(InputObject, Clone, Debug)]
pub struct DatedEventInput {
    /// Local start time (`HH:MM`).
    pub starts_at: String,
}

/// When bookings for a slot open: `daysBefore` days before its date, at local time `at`.
#[derive(InputObject, Clone, Debug)]
pub struct WindowOpeningInput {
    /// Days before the slot's date (0 = the same day).
    pub days_before: i64,
    /// Local time (`HH:MM`), e.g. `18:00`.
    pub at: String,
}

/// Days of the week are the one `Weekday` enum, in and out.
pub use crate::schema::types::policy::Weekday as WeekdayInput;

/// Closed days: weekdays every week, plus specific dates.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ClosedDaysInput {
    /// Weekdays.
    #[graphql(default)]
    pub weekdays: Vec<WeekdayInput>,
    /// Dates (`YYYY-MM-DD`).
    #[graphql(default)]
    pub dates: Vec<String>,
}

impl ClosedDaysInput {
    fn parse(&self, field: &str) -> Result<ClosedDays, ApiError> {
        if self.dates.len() > BookingPolicy::MAX_ENTRIES {
            return Err(field_error(
                &format!("{field}.dates"),
                format!("at most {} dates", BookingPolicy::MAX_ENTRIES),
            ));
        }
        Ok(ClosedDays {
            weekdays: self.weekdays.iter().map(|w| (*w).into()).collect(),
            dates: self
                .dates
                .iter()
                .map(|d| parse_date(&format!("{field}.dates"), d))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Party sizes accepted, `min..=max` (1..=10 000).
#[derive(InputObject, Clone, Debug)]
pub struct PartySizeRangeInput {
    /// Smallest party.
    pub min: i64,
    /// Largest party.
    pub max: i64,
}

/// A date range `[from, to)` (`YYYY-MM-DD`).
#[derive(InputObject, Clone, Debug)]
pub struct BlackoutInput {
    /// First date.
    pub from: String,
    /// End date (exclusive).
    pub to: String,
}

/// A refund tier: cancelling at least `minNoticeHours` before the start refunds `refundBp`.
#[derive(InputObject, Clone, Debug)]
pub struct RefundTierInput {
    /// Hours of notice.
    pub min_notice_hours: i64,
    /// Refund in basis points of what was paid (10 000 = 100 %).
    pub refund_bp: i64,
}

/// A listing's booking rules.
#[derive(InputObject, Clone, Debug)]
pub struct BookingPolicyInput {
    /// What one slot is.
    pub slot_kind: SlotKindInput,
    /// When bookings open; none = as soon as within `maxAdvanceDays`.
    pub opens: Option<WindowOpeningInput>,
    /// Least time between booking and start, in minutes.
    #[graphql(default)]
    pub min_lead_minutes: i64,
    /// How many local days ahead the last slot may lie.
    #[graphql(default = 365)]
    pub max_advance_days: i64,
    /// Fewest nights or consecutive slots.
    #[graphql(default = 1)]
    pub min_stay: i64,
    /// Most nights or consecutive slots.
    #[graphql(default = 1)]
    pub max_stay: i64,
    /// Days on which no booking may start.
    #[graphql(default)]
    pub closed_to_arrival: ClosedDaysInput,
    /// Days on which no stay may end (nights only).
    #[graphql(default)]
    pub closed_to_departure: ClosedDaysInput,
    /// Party sizes accepted.
    pub party_size: PartySizeRangeInput,
    /// Minutes kept free after a time slot (time slots only).
    #[graphql(default)]
    pub buffer_minutes: i64,
    /// Date ranges in which nothing may be booked.
    #[graphql(default)]
    pub blackout: Vec<BlackoutInput>,
    /// The most active bookings one guest may hold on the listing.
    pub per_guest_active_cap: Option<i64>,
    /// How long a hold lasts, in minutes (1..=10080).
    #[graphql(default = 15)]
    pub hold_duration_minutes: i64,
    /// How long a waitlist offer stays open, in minutes (1..=10080; never past the start).
    #[graphql(default = 1440)]
    pub offer_duration_minutes: i64,
    /// The no-show rule: share of the payment refunded to a no-show, basis points (0..=10000).
    #[graphql(default)]
    pub no_show_refund_bp: i64,
    /// Refund tiers (none = non-refundable).
    #[graphql(default)]
    pub cancellation: Vec<RefundTierInput>,
}

const BIG: u32 = u32::MAX;

impl BookingPolicyInput {
    /// Parses and validates the rules (`INVALID_INPUT` naming the field or the rule).
    pub fn parse(&self, field: &str) -> Result<PolicySpec, ApiError> {
        let f = |name: &str| format!("{field}.{name}");
        let slot_kind = match &self.slot_kind {
            SlotKindInput::Night(n) => SlotKind::Night {
                check_in: parse_time(&f("slotKind.night.checkIn"), &n.check_in)?,
                check_out: parse_time(&f("slotKind.night.checkOut"), &n.check_out)?,
            },
            SlotKindInput::TimeSlot(t) => SlotKind::TimeSlot {
                minutes: parse_u32(&f("slotKind.timeSlot.minutes"), t.minutes, 5, 1_440)?,
                first_start: parse_time(&f("slotKind.timeSlot.firstStart"), &t.first_start)?,
                last_start: parse_time(&f("slotKind.timeSlot.lastStart"), &t.last_start)?,
            },
            SlotKindInput::DatedEvent(d) => SlotKind::DatedEvent {
                starts_at: parse_time(&f("slotKind.datedEvent.startsAt"), &d.starts_at)?,
            },
        };
        let opens = self
            .opens
            .as_ref()
            .map(|o| {
                Ok::<_, ApiError>(WindowOpening {
                    days_before: parse_u32(&f("opens.daysBefore"), o.days_before, 0, BIG)?,
                    at: parse_time(&f("opens.at"), &o.at)?,
                })
            })
            .transpose()?;
        let minutes = |name: &str, value: i64, max: i64| {
            if (0..=max).contains(&value) {
                Ok(Duration::minutes(value))
            } else {
                Err(field_error(&f(name), format!("must be 0..={max} minutes")))
            }
        };
        let party_size = PartySizeRange::new(
            parse_u32(&f("partySize.min"), self.party_size.min, 1, BIG)?,
            parse_u32(&f("partySize.max"), self.party_size.max, 1, BIG)?,
        )
        .map_err(|e| field_error(&f("partySize"), e))?;
        if self.blackout.len() > BookingPolicy::MAX_ENTRIES || self.cancellation.len() > 64 {
            return Err(field_error(
                field,
                "too many blackout ranges or refund tiers",
            ));
        }
        let tiers = self
            .cancellation
            .iter()
            .map(|t| {
                Ok::<_, ApiError>(RefundTier {
                    min_notice_hours: parse_u32(
                        &f("cancellation.minNoticeHours"),
                        t.min_notice_hours,
                        0,
                        BIG,
                    )?,
                    refund_bp: parse_u32(&f("cancellation.refundBp"), t.refund_bp, 0, 10_000)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = PolicySpec {
            slot_kind,
            opens,
            min_lead: minutes("minLeadMinutes", self.min_lead_minutes, 366 * 24 * 60)?,
            max_advance_days: parse_u32(&f("maxAdvanceDays"), self.max_advance_days, 0, BIG)?,
            min_stay: parse_u32(&f("minStay"), self.min_stay, 0, BIG)?,
            max_stay: parse_u32(&f("maxStay"), self.max_stay, 0, BIG)?,
            closed_to_arrival: self.closed_to_arrival.parse(&f("closedToArrival"))?,
            closed_to_departure: self.closed_to_departure.parse(&f("closedToDeparture"))?,
            party_size,
            buffer_minutes: parse_u32(&f("bufferMinutes"), self.buffer_minutes, 0, BIG)?,
            blackout: self
                .blackout
                .iter()
                .map(|b| parse_range(&f("blackout"), &b.from, &b.to))
                .collect::<Result<_, _>>()?,
            per_guest_active_cap: self
                .per_guest_active_cap
                .map(|c| parse_u32(&f("perGuestActiveCap"), c, 0, BIG))
                .transpose()?,
            hold_duration: minutes(
                "holdDurationMinutes",
                self.hold_duration_minutes,
                8 * 24 * 60,
            )?,
            offer_duration: minutes(
                "offerDurationMinutes",
                self.offer_duration_minutes,
                8 * 24 * 60,
            )?,
            no_show_refund_bp: parse_u32(&f("noShowRefundBp"), self.no_show_refund_bp, 0, 10_000)?,
            cancellation: CancellationPolicy::new(tiers)
                .map_err(|e| field_error(&f("cancellation"), e))?,
        };
        // The domain's own validation, reported at the edge with the rule broken.
        BookingPolicy::new(spec.clone()).map_err(|e| {
            let mut error = ApiError::from(e);
            error.message = format!("{field}: {}", error.message);
            error
        })?;
        Ok(spec)
    }
}
