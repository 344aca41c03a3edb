//! The **Booking** aggregate (`TYPE = "Booking"`): one guest's reservation.
//!
//! - [`status`]: the state machine ([`BookingStatus`], its allowed edges);
//! - [`values`]: validated newtypes ([`PartySize`], [`Quantity`], [`Label`]) and the records a
//!   booking keeps (priced lines, totals, coupon, payments, refunds, cancellation);
//! - [`commands`], [`events`], [`error`]: what can be asked, what happened, why it was refused;
//! - [`aggregate`]: the state and the fold of its events; `decide/`: the rules (the
//!   [`Decide`](crate::Decide) impl).
//!
//! The booking depends only on `common` and `services`. The booking process (outside the
//! domain) validates the listing's policy and holds inventory, then sends this aggregate
//! commands carrying those facts: priced lines, the copied refund tiers, start/end instants
//! computed in the listing's time zone, hold and offer expiries.
//!
//! Design choices worth knowing:
//! - **Late payments are never refused**: a payment that cannot confirm the booking (it is
//!   Expired, Cancelled, Rejected, or already Confirmed by another payment…) is recorded as
//!   `BookingLatePaymentReceived` and owed back in full; see `decide/payment.rs`.
//! - **Accepting an offer** emits `BookingOfferAccepted` then `BookingHeld`, so there is one
//!   hold event whatever the path.
//! - **Check-in** opens at the caller's `opens_at`, or [`DEFAULT_CHECK_IN_LEAD`] (12 h) before
//!   the start, and closes at the end.
//! - **Reminders** (`Remind`): the booking worker's "starts soon" and "hold runs out soon"
//!   messages are facts of the booking (`BookingReminded`), so each is sent at most once per
//!   booking, whatever restarts the worker goes through.
//! - **Repeats** of what already happened return no events; conflicting repeats are errors.
//!   Every command in a terminal status is either such a no-op, a late payment / refund
//!   record, or refused with [`BookingError::IllegalTransition`] (coupon and refund commands,
//!   which move no status, use [`BookingError::CouponNotAllowed`] /
//!   [`BookingError::RefundNotAllowed`]).

pub mod aggregate;
pub mod commands;
mod decide;
pub mod error;
pub mod events;
pub mod status;
pub mod values;

#[cfg(test)]
mod tests;

pub use aggregate::Booking;
pub use commands::{BookingCommand, JoinWaitlist, OfferSlot, RequestBooking};
pub use decide::DEFAULT_CHECK_IN_LEAD;
pub use decide::MAX_SLOTS;
pub use error::BookingError;
pub use events::BookingEvent;
pub use status::BookingStatus;
pub use values::{
    AppliedCoupon, AppliedPoints, BookingKeys, BookingValueError, Cancellation, CancellationReason,
    CancelledBy, Label, PartySize, Payment, PricedLine, Quantity, Refund, RejectionReason,
    Reminder, StatusChange, Totals,
};
