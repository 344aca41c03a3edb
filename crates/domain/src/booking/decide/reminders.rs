//! Reminders: "your booking starts soon" (Confirmed, before the start) and "your hold runs out
//! soon" (Held, before the hold's expiry). The worker picks the moment; the aggregate makes
//! each happen at most once, and never after its deadline.

use chrono::{DateTime, Utc};

use crate::booking::aggregate::Booking;
use crate::booking::error::BookingError;
use crate::booking::events::BookingEvent;
use crate::booking::values::Reminder;

impl Booking {
    pub(super) fn remind(
        &self,
        reminder: Reminder,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let status = self.existing()?;
        if self.reminded_at(reminder).is_some() {
            return Ok(vec![]);
        }
        if status != reminder.status() {
            return Err(BookingError::NotRemindable { reminder, status });
        }
        let (deadline, hold_expires_at) = match reminder {
            Reminder::Upcoming => (self.start(), None),
            Reminder::HoldExpiring => {
                let at = self.hold_expires_at.unwrap_or_default();
                (at, Some(at))
            }
        };
        if now >= deadline {
            return Err(BookingError::ReminderTooLate { reminder, deadline });
        }
        Ok(vec![BookingEvent::BookingReminded {
            booking: self.keys,
            reminder,
            party_size: self.party_size,
            total: self.current_totals()?.total,
            starts_at: self.start(),
            hold_expires_at,
            reminded_at: now,
        }])
    }
}
