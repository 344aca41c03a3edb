//! The booking's rules: [`Booking`]'s [`Decide::decide`] turns a command into events or a typed
//! error, synchronously and without touching state (so the rules are property-testable).
//!
//! - `placement.rs`: request, hold, coupon, rejection, hold expiry;
//! - `payment.rs`: payments (confirming and late) and refunds;
//! - `lifecycle.rs`: cancellation, check-in, no-show;
//! - `waitlist.rs`: joining the waitlist, offers;
//! - `reminders.rs`: the reminders the worker sends ahead of a start or a hold's expiry.
//!
//! Idempotency: a command repeating what already happened (same request, same hold expiry,
//! same payment or refund reference, a second cancel/check-in/expiry) returns no events; a
//! conflicting repeat is a typed error.

mod lifecycle;
mod payment;
mod placement;
mod reminders;
mod waitlist;

pub use lifecycle::DEFAULT_CHECK_IN_LEAD;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::aggregate::Booking;
use super::commands::BookingCommand;
use super::error::BookingError;
use super::events::BookingEvent;
use super::status::BookingStatus;
use super::values::{PricedLine, Quantity, Totals};
use crate::common::{DateRange, Money, Slot};
use crate::decide::Decide;
use crate::services::DomainServices;

/// The most slots one booking may hold.
pub const MAX_SLOTS: usize = DateRange::MAX_DAYS as usize;

impl Decide for Booking {
    /// Every business rule: the events `command` produces against this state, or why it is
    /// refused. Reads the clock from `services`; never mutates `self`.
    fn decide(
        &self,
        command: BookingCommand,
        services: &DomainServices,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let now = services.clock.now();
        match command {
            BookingCommand::RequestBooking(cmd) => self.request(cmd, now),
            BookingCommand::MarkHeld { hold_expires_at } => self.mark_held(hold_expires_at, now),
            BookingCommand::ApplyCoupon {
                campaign_id,
                code,
                discount,
            } => self.apply_coupon(campaign_id, code, discount, now),
            BookingCommand::ApplyPoints { tenant_id, points } => {
                self.apply_points(tenant_id, points, now)
            }
            BookingCommand::RejectBooking { reason } => self.reject(reason, now),
            BookingCommand::ConfirmPayment {
                provider,
                reference,
                amount,
                paid_at,
            } => self.confirm_payment(provider, reference, amount, paid_at, now),
            BookingCommand::ExpireHold => self.expire_hold(now),
            BookingCommand::CancelBooking { by, reason } => self.cancel(by, reason, now),
            BookingCommand::RecordRefund { reference, amount } => {
                self.record_refund(reference, amount, now)
            }
            BookingCommand::CheckIn { opens_at } => self.check_in(opens_at, now),
            BookingCommand::MarkNoShow { no_show_refund_bp } => {
                self.mark_no_show(no_show_refund_bp, now)
            }
            BookingCommand::JoinWaitlist(cmd) => self.join_waitlist(cmd, now),
            BookingCommand::OfferSlot(cmd) => self.offer(cmd, now),
            BookingCommand::AcceptOffer { hold_expires_at } => {
                self.accept_offer(hold_expires_at, now)
            }
            BookingCommand::DeclineOffer => self.decline_offer(now),
            BookingCommand::ExpireOffer => self.expire_offer(now),
            BookingCommand::Remind { reminder } => self.remind(reminder, now),
        }
    }
}

impl Booking {
    /// The status of an existing booking.
    fn existing(&self) -> Result<BookingStatus, BookingError> {
        self.status.ok_or(BookingError::NotFound)
    }

    /// Checks that a command taking the booking to `to` may run in the current status, one of
    /// `sources`. When the state machine has the edge but another command takes it (only
    /// around offers), the error says so rather than claiming the edge does not exist.
    fn require(
        &self,
        sources: &[BookingStatus],
        to: BookingStatus,
    ) -> Result<BookingStatus, BookingError> {
        let from = self.existing()?;
        if sources.contains(&from) {
            Ok(from)
        } else if from.can_transition_to(to) {
            Err(if from == BookingStatus::Offered {
                BookingError::OfferPending
            } else {
                BookingError::NoPendingOffer { status: from }
            })
        } else {
            Err(BookingError::IllegalTransition { from, to })
        }
    }

    /// Rejects an amount in another currency than the booking's (if it has one yet).
    fn same_currency(&self, amount: &Money) -> Result<(), BookingError> {
        match self.currency {
            Some(expected) if expected != amount.currency => Err(BookingError::CurrencyMismatch {
                expected,
                got: amount.currency,
            }),
            _ => Ok(()),
        }
    }

    /// The start instant; always set in the statuses that read it (Requested onwards, Offered).
    fn start(&self) -> DateTime<Utc> {
        self.starts_at.unwrap_or_default()
    }

    /// The end instant; always set where read.
    fn end(&self) -> DateTime<Utc> {
        self.ends_at.unwrap_or_default()
    }

    /// The totals; always set where read (Requested onwards, Offered).
    fn current_totals(&self) -> Result<Totals, BookingError> {
        self.totals.ok_or(BookingError::NoSlots)
    }
}

/// Slots and lines validated and sorted, with their totals.
struct Priced {
    slots: Vec<Slot>,
    lines: Vec<PricedLine>,
    totals: Totals,
}

/// `starts_at < ends_at`.
fn check_span(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), BookingError> {
    if starts_at < ends_at {
        Ok(())
    } else {
        Err(BookingError::InvalidTimeSpan { starts_at, ends_at })
    }
}

/// Sorts slots and lines; checks slots are non-empty, bounded and unique, lines match slots
/// one-to-one, every line's quantity is the booking's, prices are non-negative, amounts are
/// `unit × quantity`, and everything is in one currency; sums the subtotal.
fn price(
    mut slots: Vec<Slot>,
    mut lines: Vec<PricedLine>,
    quantity: Quantity,
) -> Result<Priced, BookingError> {
    if slots.is_empty() {
        return Err(BookingError::NoSlots);
    }
    if slots.len() > MAX_SLOTS {
        return Err(BookingError::TooManySlots {
            got: slots.len(),
            max: MAX_SLOTS,
        });
    }
    slots.sort();
    if let Some(pair) = slots.windows(2).find(|p| p[0] == p[1]) {
        return Err(BookingError::DuplicateSlot { slot: pair[0] });
    }
    lines.sort_by_key(|line| line.slot);
    let wanted: BTreeSet<Slot> = slots.iter().copied().collect();
    let mut priced = BTreeSet::new();
    let mut unexpected = Vec::new();
    for line in &lines {
        if !wanted.contains(&line.slot) || !priced.insert(line.slot) {
            unexpected.push(line.slot);
        }
    }
    let unpriced: Vec<Slot> = slots
        .iter()
        .filter(|s| !priced.contains(*s))
        .copied()
        .collect();
    if !unpriced.is_empty() || !unexpected.is_empty() {
        return Err(BookingError::LinesDoNotMatchSlots {
            unpriced,
            unexpected,
        });
    }
    let currency = lines[0].unit_price.currency;
    let mut subtotal = Money::zero(currency);
    for line in &lines {
        for money in [&line.unit_price, &line.amount] {
            if money.currency != currency {
                return Err(BookingError::CurrencyMismatch {
                    expected: currency,
                    got: money.currency,
                });
            }
        }
        if line.unit_price.amount_minor < 0 {
            return Err(BookingError::NegativeAmount {
                amount: line.unit_price,
            });
        }
        if line.quantity != quantity {
            return Err(BookingError::LineQuantityMismatch {
                slot: line.slot,
                expected: quantity,
                got: line.quantity,
            });
        }
        let expected = line
            .unit_price
            .checked_mul(i64::from(quantity.get()))
            .map_err(|_| BookingError::AmountOverflow)?;
        if line.amount != expected {
            return Err(BookingError::LineAmountMismatch {
                slot: line.slot,
                expected,
                got: line.amount,
            });
        }
        subtotal = subtotal
            .checked_add(&line.amount)
            .map_err(|_| BookingError::AmountOverflow)?;
    }
    Ok(Priced {
        slots,
        lines,
        totals: Totals {
            subtotal,
            discount: Money::zero(currency),
            total: subtotal,
        },
    })
}

/// Slots and lines sorted the way a booking stores them, for comparing a retried command.
fn sorted(mut slots: Vec<Slot>, mut lines: Vec<PricedLine>) -> (Vec<Slot>, Vec<PricedLine>) {
    slots.sort();
    lines.sort_by_key(|line| line.slot);
    (slots, lines)
}
