//! Evaluating a [`BookingRequest`] against a [`BookingPolicy`].
//!
//! The rules are checked in this order, and the first broken one is reported:
//!
//! 1. shape: the request's kind matches the slot kind, and time slots lie on the grid
//!    ([`PolicyViolation::SlotNotOffered`], [`PolicyViolation::ConsecutiveSlotsUnavailable`]);
//! 2. length: nights or consecutive slots within `min_stay..=max_stay`;
//! 3. party size;
//! 4. blackout dates (every slot's date), closed to arrival (the first slot's date), closed to
//!    departure (a stay's departure date);
//! 5. time: the first slot's date not before today, every slot's date not after today +
//!    `max_advance_days` (local calendar), the start not before now, the booking window open,
//!    the start at least `min_lead` after now (real elapsed time);
//! 6. the guest's active-booking cap.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::booking_policy::BookingPolicy;
use super::error::PolicyViolation;
use super::local_time::{local_date, local_date_time_to_utc, local_to_utc};
use super::values::{PartySize, SlotKind};
use crate::common::{CancellationPolicy, DateRange, Slot};

/// Which slots a guest asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestedSlots {
    /// Nights from arrival (`from`) to departure (`to`, exclusive): for [`SlotKind::Night`].
    Stay {
        /// Arrival..departure.
        range: DateRange,
    },
    /// `count` consecutive time slots from `first`: for [`SlotKind::TimeSlot`].
    TimeSlots {
        /// The first slot (local date and start time).
        first: Slot,
        /// How many consecutive slots of that day's grid.
        count: u32,
    },
    /// One event date: for [`SlotKind::DatedEvent`].
    Event {
        /// The event's local date.
        date: NaiveDate,
    },
}

impl RequestedSlots {
    /// A representative slot of the request (its first), for error reports.
    pub fn first_slot(&self) -> Slot {
        match self {
            RequestedSlots::Stay { range } => Slot::day(range.from),
            RequestedSlots::TimeSlots { first, .. } => *first,
            RequestedSlots::Event { date } => Slot::day(*date),
        }
    }
}

/// A guest's request, as the booking process hands it to the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    /// The slots asked for.
    pub slots: RequestedSlots,
    /// The party.
    pub party_size: PartySize,
    /// The guest's active (held or confirmed, not yet over) bookings on this listing now.
    pub guest_active_bookings: u32,
}

/// What an accepted request resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedBooking {
    /// The slots booked, sorted and unique: exactly the nights, time slots or date asked for.
    pub slots: Vec<Slot>,
    /// Further time slots the booking's buffer blocks (see [`BookingPolicy::blocked_slots`]);
    /// the process holds them together with `slots`. Empty without a buffer.
    pub blocked: Vec<Slot>,
    /// The start instant: check-in on the arrival date, the first slot's start, the event's
    /// start.
    pub starts_at: DateTime<Utc>,
    /// The end instant: check-out on the departure date, the last time slot's start plus its
    /// length (real elapsed time), the local midnight ending the event date.
    pub ends_at: DateTime<Utc>,
    /// When a hold placed now expires.
    pub hold_expires_at: DateTime<Utc>,
    /// The policy version that accepted the request.
    pub policy_version: u32,
    /// The refund tiers in force, to copy into the booking.
    pub cancellation: CancellationPolicy,
}

impl BookingPolicy {
    /// Checks `request` made at `now` against every rule, in the listing's time zone `tz`, and
    /// resolves it to the slots to hold and its start and end instants.
    pub fn evaluate(
        &self,
        request: &BookingRequest,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<ResolvedBooking, PolicyViolation> {
        let rules = self.rules();
        let slots = self.requested_slots(&request.slots)?;
        let (Some(&first), Some(&last)) = (slots.first(), slots.last()) else {
            // requested_slots enforces min_stay >= 1, so this is never reached.
            return Err(PolicyViolation::StayTooShort {
                nights: 0,
                min: rules.min_stay,
            });
        };

        if !rules.party_size.contains(request.party_size) {
            return Err(PolicyViolation::PartySizeOutOfRange {
                requested: request.party_size.get(),
                min: rules.party_size.min(),
                max: rules.party_size.max(),
            });
        }

        if let Some(date) = slots
            .iter()
            .map(|s| s.date)
            .find(|d| rules.blackout.iter().any(|r| r.contains(*d)))
        {
            return Err(PolicyViolation::Blackout { date });
        }
        if rules.closed_to_arrival.contains(first.date) {
            return Err(PolicyViolation::ClosedToArrival { date: first.date });
        }
        if let RequestedSlots::Stay { range } = &request.slots
            && rules.closed_to_departure.contains(range.to)
        {
            return Err(PolicyViolation::ClosedToDeparture { date: range.to });
        }

        let (starts_at, ends_at) = self.check_time(&request.slots, first, last, now, tz)?;

        if let Some(cap) = rules.per_guest_active_cap
            && request.guest_active_bookings >= cap
        {
            return Err(PolicyViolation::GuestCapReached {
                active: request.guest_active_bookings,
                cap,
            });
        }

        Ok(ResolvedBooking {
            blocked: self.blocked_slots(&slots),
            slots,
            starts_at,
            ends_at,
            hold_expires_at: self.hold_expires_at(now),
            policy_version: self.version(),
            cancellation: rules.cancellation.clone(),
        })
    }

    /// The local start of `slot`: check-in for a night, its time for a time slot, the event's
    /// start time for an event date.
    pub fn local_start_time(&self, slot: Slot) -> NaiveTime {
        match self.rules().slot_kind {
            SlotKind::Night { check_in, .. } => check_in,
            SlotKind::TimeSlot { .. } => slot.time.unwrap_or(NaiveTime::MIN),
            SlotKind::DatedEvent { starts_at } => starts_at,
        }
    }

    /// The instant `slot` starts in `tz` (see [`local_to_utc`] for gaps and overlaps).
    pub fn slot_starts_at(&self, slot: Slot, tz: Tz) -> Option<DateTime<Utc>> {
        local_date_time_to_utc(tz, slot.date, self.local_start_time(slot))
    }

    /// The slots a time-slot booking blocks beyond its own: with `last` its last slot starting
    /// at local wall-clock time `s` and slots `minutes` long, every grid slot (of that date or,
    /// past midnight, the next) starting strictly after `s` and strictly before
    /// `s + minutes + buffer_minutes`. With slots every `minutes`, that is the next
    /// `ceil(buffer / minutes)` slots of the grid; none without a buffer. Blocking is decided on
    /// the local wall clock, as slots are local labels. Each blocked slot takes one unit of
    /// capacity, like a booked one, so the buffer is kept on every table/unit the booking uses.
    /// Empty for nights and events, and for `slots` that are not time slots.
    pub fn blocked_slots(&self, slots: &[Slot]) -> Vec<Slot> {
        let SlotKind::TimeSlot { minutes, .. } = self.rules().slot_kind else {
            return Vec::new();
        };
        let buffer = self.rules().buffer_minutes;
        let Some(last) = slots.last() else {
            return Vec::new();
        };
        let Some(time) = last.time else {
            return Vec::new();
        };
        if buffer == 0 {
            return Vec::new();
        }
        let start = last.date.and_time(time);
        let end = start + Duration::minutes(i64::from(minutes) + i64::from(buffer));
        let grid = self.rules().slot_kind.grid();
        let mut blocked = Vec::new();
        for date in [Some(last.date), last.date.succ_opt()]
            .into_iter()
            .flatten()
        {
            for &t in &grid {
                let at = date.and_time(t);
                if at > start && at < end {
                    blocked.push(Slot::at(date, t));
                }
            }
        }
        blocked
    }

    /// Everything a time-slot request takes: its own `count` slots from `first` followed by the
    /// slots its buffer blocks ([`Self::blocked_slots`]).
    pub fn occupied_slots(&self, first: Slot, count: u32) -> Result<Vec<Slot>, PolicyViolation> {
        let mut slots = self.requested_slots(&RequestedSlots::TimeSlots { first, count })?;
        let blocked = self.blocked_slots(&slots);
        slots.extend(blocked);
        Ok(slots)
    }

    fn check_length(&self, count: u32) -> Result<(), PolicyViolation> {
        let rules = self.rules();
        if count < rules.min_stay {
            return Err(PolicyViolation::StayTooShort {
                nights: count,
                min: rules.min_stay,
            });
        }
        if count > rules.max_stay {
            return Err(PolicyViolation::StayTooLong {
                nights: count,
                max: rules.max_stay,
            });
        }
        Ok(())
    }

    /// The slots a request names, after checking its shape and length.
    fn requested_slots(&self, request: &RequestedSlots) -> Result<Vec<Slot>, PolicyViolation> {
        let kind = self.rules().slot_kind;
        match (kind, request) {
            (SlotKind::Night { .. }, RequestedSlots::Stay { range }) => {
                let nights = u32::try_from(range.days().max(0)).unwrap_or(u32::MAX);
                self.check_length(nights)?;
                Ok(range.dates().map(Slot::day).collect())
            }
            (SlotKind::TimeSlot { .. }, RequestedSlots::TimeSlots { first, count }) => {
                let grid = kind.grid();
                let position = first
                    .time
                    .and_then(|t| grid.iter().position(|g| *g == t))
                    .ok_or(PolicyViolation::SlotNotOffered { slot: *first })?;
                self.check_length(*count)?;
                let available = u32::try_from(grid.len() - position).unwrap_or(u32::MAX);
                if *count > available {
                    return Err(PolicyViolation::ConsecutiveSlotsUnavailable {
                        first: *first,
                        requested: *count,
                        available,
                    });
                }
                Ok(grid[position..]
                    .iter()
                    .take(*count as usize)
                    .map(|t| Slot::at(first.date, *t))
                    .collect())
            }
            (SlotKind::DatedEvent { .. }, RequestedSlots::Event { date }) => {
                self.check_length(1)?;
                Ok(vec![Slot::day(*date)])
            }
            _ => Err(PolicyViolation::SlotNotOffered {
                slot: request.first_slot(),
            }),
        }
    }

    /// Past, advance, window and lead-time rules; returns the start and end instants.
    fn check_time(
        &self,
        request: &RequestedSlots,
        first: Slot,
        last: Slot,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), PolicyViolation> {
        let rules = self.rules();
        let today = local_date(tz, now);
        if first.date < today {
            return Err(PolicyViolation::InPast { slot: first });
        }
        let latest_date = today
            .checked_add_days(Days::new(u64::from(rules.max_advance_days)))
            .unwrap_or(NaiveDate::MAX);
        if last.date > latest_date {
            return Err(PolicyViolation::TooFarAhead { latest_date });
        }

        let unrepresentable = |slot| PolicyViolation::UnrepresentableTime { slot };
        let starts_at = self
            .slot_starts_at(first, tz)
            .ok_or(unrepresentable(first))?;
        if starts_at < now {
            return Err(PolicyViolation::InPast { slot: first });
        }

        if let Some(opens) = rules.opens {
            let opening_date = first
                .date
                .checked_sub_days(Days::new(u64::from(opens.days_before)))
                .unwrap_or(NaiveDate::MIN);
            let opens_at =
                local_to_utc(tz, opening_date.and_time(opens.at)).ok_or(unrepresentable(first))?;
            if now < opens_at {
                return Err(PolicyViolation::WindowNotOpen { opens_at });
            }
        }

        if starts_at - now < rules.min_lead {
            return Err(PolicyViolation::LeadTimeTooShort {
                earliest: now + rules.min_lead,
            });
        }

        let ends_at = match (rules.slot_kind, request) {
            (SlotKind::Night { check_out, .. }, RequestedSlots::Stay { range }) => {
                local_date_time_to_utc(tz, range.to, check_out)
            }
            (SlotKind::TimeSlot { minutes, .. }, _) => self
                .slot_starts_at(last, tz)
                .map(|s| s + Duration::minutes(i64::from(minutes))),
            _ => last
                .date
                .succ_opt()
                .and_then(|d| local_date_time_to_utc(tz, d, NaiveTime::MIN)),
        }
        .ok_or(unrepresentable(last))?;
        Ok((starts_at, ends_at))
    }
}
