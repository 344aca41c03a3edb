//! Cancellation, check-in and no-show.
//!
//! Check-in opens at the `opens_at` the caller computes (it knows the listing's time zone and
//! can pass, say, local midnight of the start day); without one it opens 12 hours before
//! `starts_at`, which covers "the local start day" for a start in the afternoon or evening
//! without any time-zone data in this aggregate. It closes at `ends_at`.
//!
//! A no-show keeps the coupon consumed (the guest booked and did not come); a cancellation
//! (from any status) hands it back via `coupon_to_restore`.

use chrono::{DateTime, Duration, Utc};

use crate::booking::aggregate::Booking;
use crate::booking::error::BookingError;
use crate::booking::events::BookingEvent;
use crate::booking::status::BookingStatus::*;
use crate::booking::values::{Cancellation, CancellationReason, CancelledBy};

/// How long before the start check-in opens when the caller does not say.
pub const DEFAULT_CHECK_IN_LEAD: Duration = Duration::hours(12);

impl Booking {
    /// What the guest cancelling at `now` would be refunded: the cancellation's own decision,
    /// not recorded. `Ok(None)`: nothing was paid (a hold, a waitlist entry) or it is cancelled
    /// already; `Err`: it cannot be cancelled (checked in, over, never placed).
    ///
    /// # Errors
    ///
    /// The refusal a cancellation would get.
    pub fn refund_if_cancelled(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::common::Money>, BookingError> {
        let events = self.cancel(CancelledBy::Guest, CancellationReason::GuestRequest, now)?;
        Ok(events.into_iter().find_map(|e| match e {
            BookingEvent::BookingCancelled { refund_due, .. } => refund_due,
            _ => None,
        }))
    }

    pub(super) fn cancel(
        &self,
        by: CancelledBy,
        reason: CancellationReason,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Cancelled) {
            return Ok(vec![]);
        }
        let from = self.require(
            &[Requested, Held, Waitlisted, Offered, Confirmed],
            Cancelled,
        )?;
        let (total_paid, refund_due) = if from == Confirmed {
            let paid = self.current_totals()?.total;
            let due = self
                .cancellation_policy
                .refund_for(paid, self.start(), now)
                .map_err(|_| BookingError::AmountOverflow)?;
            (Some(paid), Some(due))
        } else {
            (None, None)
        };
        Ok(vec![BookingEvent::BookingCancelled {
            booking: self.keys,
            slots: self.slots.clone(),
            starts_at: self.starts_at,
            cancellation: Cancellation {
                by,
                reason,
                from,
                at: now,
            },
            total_paid,
            refund_due,
            coupon_to_restore: self.coupon.clone(),
            status: Cancelled,
        }])
    }

    pub(super) fn check_in(
        &self,
        opens_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(CheckedIn) {
            return Ok(vec![]);
        }
        self.require(&[Confirmed], CheckedIn)?;
        let starts_at = self.start();
        let opens_at = match opens_at {
            Some(opens_at) if opens_at > starts_at => {
                return Err(BookingError::InvalidCheckInWindow {
                    opens_at,
                    starts_at,
                });
            }
            Some(opens_at) => opens_at,
            None => starts_at
                .checked_sub_signed(DEFAULT_CHECK_IN_LEAD)
                .unwrap_or(starts_at),
        };
        if now < opens_at {
            return Err(BookingError::TooEarlyToCheckIn { opens_at });
        }
        let ends_at = self.end();
        if now >= ends_at {
            return Err(BookingError::TooLateToCheckIn { ends_at });
        }
        Ok(vec![BookingEvent::BookingCheckedIn {
            booking: self.keys,
            slots: self.slots.clone(),
            starts_at,
            checked_in_at: now,
            status: CheckedIn,
        }])
    }

    pub(super) fn mark_no_show(
        &self,
        no_show_refund_bp: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(NoShow) {
            return if self.no_show_refund_bp == Some(no_show_refund_bp) {
                Ok(vec![])
            } else {
                Err(BookingError::IllegalTransition {
                    from: NoShow,
                    to: NoShow,
                })
            };
        }
        self.require(&[Confirmed], NoShow)?;
        if no_show_refund_bp > 10_000 {
            return Err(BookingError::InvalidRefundBasisPoints {
                bp: no_show_refund_bp,
            });
        }
        let starts_at = self.start();
        if now <= starts_at {
            return Err(BookingError::TooEarlyForNoShow { starts_at });
        }
        let paid = self.current_totals()?.total;
        let overflow = |_| BookingError::AmountOverflow;
        let refund_due = paid.percent_bp(no_show_refund_bp).map_err(overflow)?;
        let retained = paid.checked_sub(&refund_due).map_err(overflow)?;
        Ok(vec![BookingEvent::BookingMarkedNoShow {
            booking: self.keys,
            slots: self.slots.clone(),
            starts_at,
            no_show_refund_bp,
            retained,
            refund_due,
            marked_at: now,
            status: NoShow,
        }])
    }
}
