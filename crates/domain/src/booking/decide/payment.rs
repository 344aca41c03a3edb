//! Payments and refunds.
//!
//! A payment on a Held booking for exactly the total confirms it. A payment that arrives when
//! it can no longer confirm the booking — the booking is already Confirmed (a second charge),
//! CheckedIn, NoShow, Expired, Cancelled or Rejected — is **not** refused: refusing would leave
//! money taken by the provider with no trace in the booking. It is recorded as
//! `BookingLatePaymentReceived`, the whole amount becomes refund due, and the status does not
//! move (terminal statuses have no way back). The booking process then refunds it, or, if it
//! can still place the guest, places a *new* booking and records the transfer here as a refund.
//! A payment before the booking is Held (Requested, Waitlisted, Offered) is an
//! `IllegalTransition`: the process never takes payment before the hold, and the provider's
//! retry lands once the hold is recorded.
//!
//! The hold's expiry is enforced by `ExpireHold` alone: a payment that reaches a booking still
//! Held after its expiry instant (the expiry scheduler has not run yet) confirms it. If the
//! inventory released the units meanwhile, the process cannot allocate: it cancels the booking
//! (`System`, `ProcessFailed`) — `refund_due` then follows the copied tiers — and records a
//! refund of the whole payment, which `RecordRefund` allows (up to what was paid).
//!
//! Refunds are recorded after a cancellation, a no-show, an expiry or rejection, or on any
//! booking with a late payment; cumulative refunds never exceed cumulative payments (an
//! operator may refund more than the tiers made due, as goodwill, but never more than paid).

use chrono::{DateTime, Utc};

use crate::booking::aggregate::Booking;
use crate::booking::error::BookingError;
use crate::booking::events::BookingEvent;
use crate::booking::status::BookingStatus::*;
use crate::booking::values::{Label, Payment, Refund};
use crate::common::Money;

impl Booking {
    pub(super) fn confirm_payment(
        &self,
        provider: Label,
        reference: Label,
        amount: Money,
        paid_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let status = self.existing()?;
        let known = self
            .payment
            .iter()
            .chain(&self.late_payments)
            .find(|p| p.reference == reference);
        if let Some(known) = known {
            return if known.provider == provider && known.amount == amount {
                Ok(vec![])
            } else {
                Err(BookingError::PaymentReferenceConflict { reference })
            };
        }
        if matches!(status, Requested | Waitlisted | Offered) {
            return Err(BookingError::IllegalTransition {
                from: status,
                to: Confirmed,
            });
        }
        self.same_currency(&amount)?;
        if amount.amount_minor < 0 {
            return Err(BookingError::NegativeAmount { amount });
        }
        let total_paid = match self.total_paid {
            None => amount,
            Some(paid) => paid
                .checked_add(&amount)
                .map_err(|_| BookingError::AmountOverflow)?,
        };
        let payment = Payment {
            provider,
            reference,
            amount,
            paid_at,
        };
        if status != Held {
            return Ok(vec![BookingEvent::BookingLatePaymentReceived {
                booking: self.keys,
                payment,
                status,
                refund_due: amount,
                total_paid,
                received_at: now,
            }]);
        }
        let totals = self.current_totals()?;
        if amount != totals.total {
            return Err(BookingError::PaymentAmountMismatch {
                expected: totals.total,
                got: amount,
            });
        }
        Ok(vec![
            BookingEvent::BookingPaymentReceived {
                booking: self.keys,
                payment,
                total_paid,
            },
            BookingEvent::BookingConfirmed {
                booking: self.keys,
                party_size: self.party_size,
                quantity: self.quantity,
                slots: self.slots.clone(),
                starts_at: self.start(),
                ends_at: self.end(),
                totals,
                confirmed_at: now,
                status: Confirmed,
            },
        ])
    }

    pub(super) fn record_refund(
        &self,
        reference: Label,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let status = self.existing()?;
        if let Some(known) = self.refunds.iter().find(|r| r.reference == reference) {
            return if known.amount == amount {
                Ok(vec![])
            } else {
                Err(BookingError::RefundReferenceConflict { reference })
            };
        }
        let refundable = matches!(status, Cancelled | NoShow | Expired | Rejected)
            || !self.late_payments.is_empty();
        if !refundable {
            return Err(BookingError::RefundNotAllowed { status });
        }
        if amount.amount_minor <= 0 {
            return Err(BookingError::RefundNotPositive { amount });
        }
        self.same_currency(&amount)?;
        let exceeds = || BookingError::RefundExceedsPaid {
            paid: self.total_paid,
            already_refunded: self.total_refunded,
            requested: amount,
        };
        let paid = self.total_paid.ok_or_else(exceeds)?;
        let total_refunded = match self.total_refunded {
            None => amount,
            Some(refunded) => refunded.checked_add(&amount).map_err(|_| exceeds())?,
        };
        if total_refunded.amount_minor > paid.amount_minor {
            return Err(exceeds());
        }
        Ok(vec![BookingEvent::BookingRefunded {
            booking: self.keys,
            refund: Refund {
                reference,
                amount,
                refunded_at: now,
            },
            total_refunded,
            total_paid: paid,
        }])
    }
}
