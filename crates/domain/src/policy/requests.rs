//! Requests the booking process builds on its own: the candidate requests a waitlist entry
//! could be offered, and the request that re-books the slots of an existing booking (a late
//! payment's recheck). Both go through [`BookingPolicy::evaluate`] like a guest's request.

use chrono::{Days, NaiveTime};

use super::booking_policy::BookingPolicy;
use super::evaluate::RequestedSlots;
use super::values::SlotKind;
use crate::common::{DateRange, Slot};

impl BookingPolicy {
    /// The requests a waitlist entry would accept, earliest first: `slot_count` nights inside
    /// `wanted`, or `slot_count` consecutive time slots on a wanted date (at `time` if given,
    /// else from every start of the day's grid), or one event date. At most `limit`.
    pub fn waitlist_requests(
        &self,
        wanted: DateRange,
        time: Option<NaiveTime>,
        slot_count: u32,
        limit: usize,
    ) -> Vec<RequestedSlots> {
        let mut out = Vec::new();
        if slot_count == 0 {
            return out;
        }
        match &self.rules().slot_kind {
            SlotKind::Night { .. } => {
                for from in wanted.dates() {
                    let Some(to) = from.checked_add_days(Days::new(u64::from(slot_count))) else {
                        break;
                    };
                    if to > wanted.to {
                        break;
                    }
                    if let Ok(range) = DateRange::new(from, to) {
                        out.push(RequestedSlots::Stay { range });
                    }
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            kind @ SlotKind::TimeSlot { .. } => {
                let starts = time.map_or_else(|| kind.grid(), |t| vec![t]);
                'dates: for date in wanted.dates() {
                    for start in &starts {
                        out.push(RequestedSlots::TimeSlots {
                            first: Slot::at(date, *start),
                            count: slot_count,
                        });
                        if out.len() >= limit {
                            break 'dates;
                        }
                    }
                }
            }
            SlotKind::DatedEvent { .. } => {
                if slot_count == 1 {
                    out.extend(
                        wanted
                            .dates()
                            .take(limit)
                            .map(|date| RequestedSlots::Event { date }),
                    );
                }
            }
        }
        out
    }

    /// The request that asks again for exactly `slots` (sorted, as a booking stores them), or
    /// `None` if they cannot be one request of this policy's slot kind.
    pub fn request_for_slots(&self, slots: &[Slot]) -> Option<RequestedSlots> {
        let first = *slots.first()?;
        let count = u32::try_from(slots.len()).ok()?;
        match self.rules().slot_kind {
            SlotKind::Night { .. } => {
                let last = slots.last()?.date;
                let to = last.checked_add_days(Days::new(1))?;
                let range = DateRange::new(first.date, to).ok()?;
                (range.days() == i64::from(count)).then_some(RequestedSlots::Stay { range })
            }
            SlotKind::TimeSlot { .. } => {
                first.time?;
                Some(RequestedSlots::TimeSlots { first, count })
            }
            SlotKind::DatedEvent { .. } => {
                (count == 1).then_some(RequestedSlots::Event { date: first.date })
            }
        }
    }
}
