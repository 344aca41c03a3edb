//! What the worker does for one booking, decided from the booking's own stream (the
//! tracker only says which bookings to look at). Every step is idempotent, so running a rule
//! twice — after a restart, or because the tracker was behind — changes nothing the second time.
//!
//! 1. **Deadlines**: a `Held` booking past its hold expiry → `ExpireHold`; an `Offered` one past
//!    its offer expiry → `ExpireOffer`; a hold whose booking never recorded it (`Requested` or
//!    `Waitlisted`: the process stopped half-way) past the hold's expiry → the hold is released
//!    and a `Requested` booking rejected as `Abandoned`; a `Requested` booking that never held
//!    anything is rejected as `Abandoned` after [`super::WorkerOptions::abandon_after`].
//!    Before that, **reminders**: a `Held` booking inside its hold-warning window gets
//!    `Remind(HoldExpiring)`, a `Confirmed` one inside its reminder window
//!    `Remind(Upcoming)` (see [`super::Reminders`]; the aggregate keeps each to once).
//! 2. **Inventory**: an `Expired`, `Cancelled` or `Rejected` booking whose hold or allocation
//!    the inventory still has gets it released.
//! 3. **Coupons**: the redemption of a booking that never went through (rejected, expired,
//!    cancelled before payment) is undone; a cancelled confirmed booking's coupon is restored if
//!    its campaign says so.
//! 4. **Late payments**: a payment that reached an `Expired` booking is rechecked: if the slots
//!    can still be held, a new booking of the same guest, slots and party is placed and confirmed
//!    with that payment, and the transfer is recorded on the expired booking as a refund
//!    (`late-payment-N-transfer`); otherwise the payment is refunded (`late-payment-N-refund`).
//!    Never an overbooking: the new booking goes through the inventory's capacity check.
//! 5. **Refunds**: whatever the rules made owed back (cancellation tiers, no-show share, late
//!    payments; the whole payment when the system cancelled because the process failed) is
//!    refunded (`auto-refund-N`), which the notification outbox announces as `refunded`.
//! 6. **Points**: a booking that spent points and is over unused (expired, rejected, cancelled)
//!    gives them back — all of them, or a confirmed booking's cancellation refund share; a
//!    completed booking (checked in, or confirmed and ended) earns its business's programme
//!    share of what was paid and kept, once.
//! 7. **Points expiry**: an account whose lot reached its expiry has what is left expired.
//! 8. **Availability watches**: whenever an inventory with live watches changes (a hold placed
//!    or released, an allocation released, capacity set, slots opened or closed) or a watch's
//!    dates pass, each watch is compared with it: an armed watch whose quantity is free again
//!    alerts (once), an alerted one whose slots sold out again re-arms, a past one expires.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_domain::booking::{
    Booking, BookingCommand, BookingStatus, CancellationReason, CancelledBy, Label,
    RejectionReason, Reminder,
};
use holdfast_domain::common::{BookingId, Money};
use holdfast_domain::coupon::CouponCommand;
use holdfast_domain::inventory::{InventoryCommand, ReleaseReason};
use holdfast_domain::listing::Listing;

use super::tracker::{Reminders, Tracker};
use crate::Engine;
use crate::error::{EngineError, ErrorCode};
use crate::idempotency::is_final;
use crate::process::lifecycle::{BookingSteps, PaymentReport};
use crate::process::{PlaceBooking, PlaceBookingRequest, current};

/// The idempotency scope the worker's commands are recorded under.
pub const SCOPE: &str = "system:booking-worker";

/// The metadata of a worker command.
pub(super) fn metadata(step: &str, id: BookingId) -> HashMap<String, String> {
    crate::process::metadata(SCOPE, &format!("worker:{step}:{id}"))
}

fn label(s: &str) -> Result<Label, EngineError> {
    Label::parse(s).map_err(EngineError::internal)
}

/// The rules, on the application's stores and clock.
pub(super) struct Rules<'a> {
    pub(super) state: &'a Engine,
    pub(super) abandon_after: chrono::Duration,
    pub(super) reminders: Reminders,
}

impl Rules<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.state.services.clock.now()
    }

    async fn on_booking(
        &self,
        id: BookingId,
        step: &str,
        command: BookingCommand,
    ) -> Result<(), EngineError> {
        self.state
            .commands
            .bookings
            .execute(&id.to_string(), command, metadata(step, id))
            .await?;
        Ok(())
    }

    /// Releases the hold (or allocation) the tracker says the inventory has for `id`. A
    /// refusal means it is already gone (a race with another step): done.
    async fn release(
        &self,
        tracker: &Tracker,
        id: BookingId,
        reason: ReleaseReason,
    ) -> Result<(), EngineError> {
        let Some(hold) = tracker.hold(&id).copied() else {
            return Ok(());
        };
        let command = if hold.expires_at.is_some() {
            InventoryCommand::ReleaseHold {
                booking_id: id,
                reason,
            }
        } else {
            InventoryCommand::ReleaseAllocation { booking_id: id }
        };
        let released = self
            .state
            .commands
            .inventories
            .execute(
                &hold.inventory_id.to_string(),
                command,
                metadata("release", id),
            )
            .await
            .map_err(EngineError::from);
        match released {
            Ok(_) => {
                tracing::info!(booking_id = %id, ?reason, "worker released a hold");
                Ok(())
            }
            Err(e) if is_final(&e) => {
                tracing::debug!(booking_id = %id, error = ?e, "hold already gone");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Runs every rule for one booking. `Err` only for transient failures (retry later).
    pub(super) async fn booking(
        &self,
        tracker: &mut Tracker,
        id: BookingId,
    ) -> Result<(), EngineError> {
        // The engine's cached state when it is at least as recent as the last event the
        // tracker folded (this node placed or changed the booking: no read), else a read.
        let key = id.to_string();
        let cached = tracker.booking(&id).and_then(|b| {
            let sequence = usize::try_from(b.sequence).ok()?;
            self.state.commands.bookings.cached_at_least(&key, sequence)
        });
        let booking: Booking = match cached {
            Some(booking) => booking,
            None => current(self.state, &key).await?,
        };
        let now = self.now();
        let hold_expiry = tracker.hold(&id).and_then(|h| h.expires_at);
        let Some(status) = booking.status() else {
            // A hold with no booking at all: release it once it has expired.
            match hold_expiry {
                Some(at) if at <= now => self.release(tracker, id, ReleaseReason::Expired).await?,
                Some(at) => tracker.recheck_at(id, at),
                None => {}
            }
            return Ok(());
        };
        match status {
            BookingStatus::Held => match booking.hold_expires_at() {
                Some(at) if at <= now => {
                    self.final_ok(self.on_booking(id, "expire-hold", BookingCommand::ExpireHold))
                        .await?;
                    tracing::info!(booking_id = %id, "hold expired");
                }
                Some(at) => {
                    let lead = self.reminders.before_hold_expiry;
                    let since = booking.held_at().unwrap_or(at);
                    self.remind(tracker, &booking, Reminder::HoldExpiring, lead, since, at)
                        .await?;
                    tracker.recheck_at(id, at);
                }
                None => {}
            },
            BookingStatus::Offered => match booking.offer_expires_at() {
                Some(at) if at <= now => {
                    self.final_ok(self.on_booking(id, "expire-offer", BookingCommand::ExpireOffer))
                        .await?;
                    tracing::info!(booking_id = %id, "offer expired");
                }
                Some(at) => tracker.recheck_at(id, at),
                None => {}
            },
            BookingStatus::Requested | BookingStatus::Waitlisted => {
                self.abandoned(tracker, &booking, status, hold_expiry, now)
                    .await?;
            }
            BookingStatus::Expired | BookingStatus::Cancelled | BookingStatus::Rejected => {
                let reason = match status {
                    BookingStatus::Expired => ReleaseReason::Expired,
                    BookingStatus::Cancelled => ReleaseReason::Cancelled,
                    _ => ReleaseReason::Failed,
                };
                self.release(tracker, id, reason).await?;
            }
            BookingStatus::Confirmed => {
                if let (Some(start), Some(since)) = (booking.starts_at(), booking.confirmed_at()) {
                    let lead = self.reminders.before_start;
                    self.remind(tracker, &booking, Reminder::Upcoming, lead, since, start)
                        .await?;
                }
            }
            BookingStatus::CheckedIn | BookingStatus::NoShow => {}
        }
        self.coupon(tracker, &booking).await?;
        self.points(tracker, &booking).await?;
        self.money(tracker, &booking).await?;
        tracker.forget_if_finished(&id);
        Ok(())
    }

    /// Sends `reminder` once its window (`lead` before `deadline`) has opened, if it opened
    /// after `since` (the booking became Held or Confirmed inside it: no reminder) and none
    /// was sent; schedules a look when it opens otherwise. A refusal (too late, the booking
    /// moved on) is final: nothing to send.
    async fn remind(
        &self,
        tracker: &mut Tracker,
        booking: &Booking,
        reminder: Reminder,
        lead: Option<chrono::Duration>,
        since: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let id = booking.keys().booking_id;
        if booking.reminded_at(reminder).is_some() {
            return Ok(());
        }
        let Some(opens) = Reminders::due(lead, since, deadline) else {
            return Ok(());
        };
        let now = self.now();
        if now < opens {
            tracker.recheck_at(id, opens);
        } else if now < deadline {
            let step = match reminder {
                Reminder::Upcoming => "remind",
                Reminder::HoldExpiring => "warn-hold",
            };
            self.final_ok(self.on_booking(id, step, BookingCommand::Remind { reminder }))
                .await?;
            tracing::info!(booking_id = %id, %reminder, "guest reminded");
        }
        Ok(())
    }

    /// A final refusal means another step got there first (the booking moved on): done.
    async fn final_ok(
        &self,
        step: impl std::future::Future<Output = Result<(), EngineError>>,
    ) -> Result<(), EngineError> {
        match step.await {
            Err(e) if is_final(&e) => {
                tracing::debug!(error = ?e, "worker step refused; the booking moved on");
                Ok(())
            }
            other => other,
        }
    }

    /// Rule 1 for a booking whose process stopped before it recorded its hold.
    async fn abandoned(
        &self,
        tracker: &mut Tracker,
        booking: &Booking,
        status: BookingStatus,
        hold_expiry: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let id = booking.keys().booking_id;
        let requested_at = booking.history().first().map(|c| c.at);
        let give_up_at = match (hold_expiry, status) {
            (Some(at), _) => Some(at),
            (None, BookingStatus::Requested) => {
                requested_at.and_then(|at| at.checked_add_signed(self.abandon_after))
            }
            (None, _) => None,
        };
        match give_up_at {
            Some(at) if at <= now => {
                self.release(tracker, id, ReleaseReason::Expired).await?;
                if status == BookingStatus::Requested {
                    self.final_ok(self.on_booking(
                        id,
                        "abandon",
                        BookingCommand::RejectBooking {
                            reason: RejectionReason::Abandoned,
                        },
                    ))
                    .await?;
                    tracing::warn!(booking_id = %id, "placement abandoned half-way; released");
                }
            }
            Some(at) => tracker.recheck_at(id, at),
            None => {}
        }
        Ok(())
    }

    /// Rule 3: coupons of bookings that did not go through.
    async fn coupon(&self, tracker: &mut Tracker, booking: &Booking) -> Result<(), EngineError> {
        let id = booking.keys().booking_id;
        let Some(campaign) = tracker.redemption(&id) else {
            return Ok(());
        };
        let command = match booking.status() {
            Some(BookingStatus::Expired | BookingStatus::Rejected) => {
                CouponCommand::UndoRedemption { booking_id: id }
            }
            Some(BookingStatus::Cancelled) => {
                if booking
                    .cancellation()
                    .is_some_and(|c| c.from == BookingStatus::Confirmed)
                {
                    CouponCommand::RestoreCoupon { booking_id: id }
                } else {
                    CouponCommand::UndoRedemption { booking_id: id }
                }
            }
            _ => return Ok(()),
        };
        let done = self
            .state
            .commands
            .coupons
            .execute(&campaign.to_string(), command, metadata("coupon", id))
            .await
            .map_err(EngineError::from);
        match done {
            Ok(_) => Ok(()),
            Err(e) if is_final(&e) => {
                // The campaign keeps it (restore_on_cancel = false), or it was given back.
                tracing::debug!(booking_id = %id, error = ?e, "coupon stays redeemed");
                tracker.redemption_kept(&id);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Rule 6: points. A booking over unused gives back what it spent (its refund share); a
    /// completed one earns its programme's share of what was paid and kept.
    async fn points(&self, tracker: &mut Tracker, booking: &Booking) -> Result<(), EngineError> {
        let id = booking.keys().booking_id;
        if tracker.spend(&id).is_some() {
            if crate::points::restore_share(booking).is_some() {
                crate::points::restore(self.state, booking, metadata("points-restore", id)).await?;
                tracker.spend_settled(&id);
            } else if !matches!(
                booking.status(),
                Some(BookingStatus::Requested | BookingStatus::Held | BookingStatus::Confirmed)
            ) {
                // Used (checked in, no-show): the points stay spent.
                tracker.spend_settled(&id);
            }
        }
        if tracker.earning(&id).is_some() {
            let now = self.state.services.clock.now();
            match booking.status() {
                Some(BookingStatus::Confirmed) if !crate::points::completed(booking, now) => {
                    if let Some(end) = booking.ends_at() {
                        tracker.recheck_at(id, end);
                    }
                }
                _ if crate::points::completed(booking, now) => {
                    // The platform's programme first: the business's `PointsEarned` is what
                    // settles the booking in the tracker, so a crash between the two earns the
                    // platform's again (a no-op) and then the business's.
                    let owners = [holdfast_domain::points::PLATFORM, booking.keys().tenant_id];
                    for owner in owners {
                        let Some((account, command)) =
                            crate::points::earning(self.state, owner, booking, now).await?
                        else {
                            continue;
                        };
                        let done = self
                            .state
                            .commands
                            .points
                            .execute(&account, command, metadata("points-earn", id))
                            .await
                            .map_err(EngineError::from);
                        match done {
                            Ok(_) => tracing::info!(booking_id = %id, %owner, "points earned"),
                            // Earned already (other points: a programme changed since).
                            Err(e) if is_final(&e) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    tracker.earning_settled(&id);
                }
                // Cancelled, no-show: nothing to earn.
                _ => tracker.earning_settled(&id),
            }
        }
        Ok(())
    }

    /// Rule 7: a points account with a lot past its expiry has what is left of it expired.
    pub(super) async fn expire_points(&self, account: &str) -> Result<(), EngineError> {
        let done = self
            .state
            .commands
            .points
            .execute(
                account,
                holdfast_domain::points::PointsCommand::Expire,
                crate::process::metadata(SCOPE, &format!("worker:points-expire:{account}")),
            )
            .await
            .map_err(EngineError::from);
        match done {
            Ok(_) => Ok(()),
            Err(e) if is_final(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Rule 8: an inventory's availability watches, compared with it as it is now (see
    /// [`crate::watches::check`]).
    pub(super) async fn watches(
        &self,
        inventory_id: holdfast_domain::common::InventoryId,
        watches: &[String],
    ) -> Result<(), EngineError> {
        let id = inventory_id.to_string();
        let inventories = &self.state.commands.inventories;
        inventories.forget(&id);
        let (inventory, sequence) = inventories.cached(&id).await.map_err(EngineError::from)?;
        let sequence = u64::try_from(sequence).unwrap_or(u64::MAX);
        for watch in watches {
            crate::watches::check(
                self.state,
                watch,
                &inventory,
                sequence,
                crate::process::metadata(SCOPE, &format!("worker:watch:{watch}:{sequence}")),
            )
            .await?;
        }
        Ok(())
    }

    /// Rules 4 and 5: late payments and refunds.
    async fn money(&self, tracker: &mut Tracker, booking: &Booking) -> Result<(), EngineError> {
        let id = booking.keys().booking_id;
        let Some(open) = tracker.booking(&id).map(|b| b.money_open) else {
            return Ok(());
        };
        if !open {
            return Ok(());
        }
        let mut booking = booking.clone();
        if booking.status() == Some(BookingStatus::Expired) {
            for n in 0..booking.late_payments().len() {
                if !late_payment_settled(&booking, n) {
                    self.recheck_late_payment(&booking, n).await?;
                }
            }
            booking = current(self.state, &id.to_string()).await?;
        }
        let outstanding = refund_owed(&booking);
        if let Some(amount) = outstanding.filter(|m| m.amount_minor > 0) {
            let reference = label(&format!("auto-refund-{}", booking.refunds().len() + 1))?;
            self.on_booking(
                id,
                "refund",
                BookingCommand::RecordRefund { reference, amount },
            )
            .await?;
            tracing::info!(booking_id = %id, amount = amount.amount_minor, "refunded");
        }
        tracker.money_settled(&id);
        Ok(())
    }

    /// Rule 4 for the `n`-th late payment of an expired booking.
    async fn recheck_late_payment(&self, old: &Booking, n: usize) -> Result<(), EngineError> {
        let keys = *old.keys();
        let payment = old.late_payments()[n].clone();
        let refund = |kind: &str| label(&format!("late-payment-{n}-{kind}"));
        let listing: Listing = current(self.state, &keys.listing_id.to_string()).await?;
        let request = listing
            .state()
            .and_then(|l| l.policy.request_for_slots(old.slots()));
        let placed = match request {
            Some(slots) => {
                PlaceBooking::new(self.state)
                    .place(&PlaceBookingRequest {
                        guest: keys.guest_id,
                        listing_id: keys.listing_id,
                        inventory_id: keys.inventory_id,
                        slots,
                        party_size: old.party_size(),
                        quantity: old.quantity(),
                        coupon: None,
                        points: None,
                        points_from_platform: false,
                        idempotency_key: format!("late-payment:{}:{n}", keys.booking_id),
                        scope: SCOPE.to_owned(),
                    })
                    .await
            }
            None => Err(EngineError::new(
                ErrorCode::InvalidState,
                "the booking's slots cannot be asked for again",
            )),
        };
        let transferred = match placed {
            Ok(placed) => {
                let new_id = placed.booking_id;
                let steps = BookingSteps::new(self.state, metadata("late-payment", new_id));
                let matches = placed.totals.map(|t| t.total) == Some(payment.amount);
                if placed.status == BookingStatus::Held && matches {
                    let confirmed = steps
                        .confirm_payment(
                            new_id,
                            PaymentReport {
                                provider: payment.provider.clone(),
                                reference: payment.reference.clone(),
                                amount: payment.amount,
                                paid_at: payment.paid_at,
                            },
                        )
                        .await;
                    if let Err(e) = confirmed
                        && !is_final(&e)
                    {
                        return Err(e);
                    }
                }
                let new: Booking = current(self.state, &new_id.to_string()).await?;
                if new.total_paid().is_some() {
                    // The payment now belongs to the new booking (which refunds it itself if
                    // the system had to cancel it).
                    true
                } else {
                    if matches!(
                        new.status(),
                        Some(BookingStatus::Held | BookingStatus::Requested)
                    ) {
                        let cancelled = steps
                            .cancel(
                                new_id,
                                CancelledBy::System,
                                CancellationReason::ProcessFailed,
                            )
                            .await;
                        if let Err(e) = cancelled
                            && !is_final(&e)
                        {
                            return Err(e);
                        }
                    }
                    false
                }
            }
            Err(e) if is_final(&e) => {
                tracing::info!(booking_id = %keys.booking_id, error = ?e, "late payment cannot be placed again; refunding");
                false
            }
            Err(e) => return Err(e),
        };
        let reference = refund(if transferred { "transfer" } else { "refund" })?;
        self.on_booking(
            keys.booking_id,
            "late-payment",
            BookingCommand::RecordRefund {
                reference,
                amount: payment.amount,
            },
        )
        .await?;
        tracing::info!(booking_id = %keys.booking_id, transferred, "late payment settled");
        Ok(())
    }
}

/// Whether the `n`-th late payment has been transferred or refunded.
fn late_payment_settled(booking: &Booking, n: usize) -> bool {
    let transfer = format!("late-payment-{n}-transfer");
    let refund = format!("late-payment-{n}-refund");
    booking
        .refunds()
        .iter()
        .any(|r| r.reference.as_str() == transfer || r.reference.as_str() == refund)
}

/// What is still owed back: what the rules made due, or — when the system cancelled because
/// the process failed after payment — everything paid.
pub(super) fn refund_owed(booking: &Booking) -> Option<Money> {
    let system_failure = booking.cancellation().is_some_and(|c| {
        c.by == CancelledBy::System && c.reason == CancellationReason::ProcessFailed
    });
    if system_failure && let Some(paid) = booking.total_paid() {
        let refunded = booking.total_refunded().map_or(0, |m| m.amount_minor);
        return Some(Money::new(
            paid.amount_minor.saturating_sub(refunded).max(0),
            paid.currency,
        ));
    }
    booking.refund_outstanding()
}
