//! The hot mutations in **one commit each**: placing a booking, confirming its payment,
//! cancelling it. Each decides the booking's events in memory and attaches them — with the
//! request's idempotency record (key, hash, answer) — to the inventory command in the
//! inventory's group-commit batch ([`crate::dispatch::Attached`]), so that a batch of 200
//! placements on a hot slot is one transaction, and a mutation never leaves one aggregate
//! changed without the other: no compensation between our own aggregates.
//!
//! - **Placement**: `RequestBooking` + `MarkHeld` on the booking (and its coupon, below) and
//!   `PlaceHold` on the inventory; if the inventory refuses (`SOLD_OUT`, `SLOT_UNAVAILABLE`), the booking's
//!   `Requested` + `Rejected` and the refusal as the key's answer commit instead.
//! - **Confirmation**: `ConfirmPayment` on the booking and `ConfirmHold` on the inventory; if
//!   the hold is gone, the payment and a system cancellation (`ProcessFailed`, refund owed)
//!   commit with the inventory's refusal as the answer.
//! - **Cancellation**: `CancelBooking` and the release of the hold or allocation.
//!
//! **Guards.** The booking is decided on the state the booking dispatcher has cached — or, for
//! a placement, on a new booking at sequence 0 when nothing is cached (no read) — and the
//! commit is guarded by that sequence: if the booking moved meanwhile, the attached stream
//! conflicts, the cache entry is dropped and the step runs again on a fresh load (at most
//! [`ATTEMPTS`] times, then `CONFLICT`, retryable). A refusal decided on cached state is
//! confirmed on a fresh load before it is answered.
//!
//! **Coupons**: a placement with a coupon decides `RedeemCoupon` (after `ClaimCoupon` when the
//! guest holds no unused claim) on the campaign as cached and attaches the campaign's events,
//! guarded by its sequence, with the booking's `Requested` + `CouponApplied` + `Held`: the hold,
//! the redemption and the booking commit together or not at all. A coupon refused (confirmed on a
//! fresh load) commits the booking `Requested` + `Rejected` (`COUPON_REJECTED`) with no hold.
//!
//! **What still takes several commits**: cancelling a booking that redeemed a coupon (the
//! compensating steps of [`super::lifecycle`]), and resuming a booking a crash left `Requested`
//! (written before placements were one commit).

use std::sync::Arc;

use holdfast_domain::Decide;
use holdfast_domain::booking::{Booking, BookingCommand, BookingStatus};
use holdfast_domain::common::BookingId;
use holdfast_domain::inventory::{Inventory, InventoryCommand, InventoryError};
use holdfast_eventstore::{Position, StreamAppend};

use super::lifecycle::{BookingSteps, PaymentReport, StepResult};
use super::metadata;
use super::place_booking::{PlaceBooking, PlaceBookingRequest, PlacedBooking};
use crate::Engine;
use crate::dispatch::{Attached, Attachment, DispatchError, serialize};
use crate::error::{EngineError, ErrorCode};
use crate::idempotency::{self, Claim, Ran, Tokened};

/// Attempts of a step whose booking moved under it.
pub const ATTEMPTS: u32 = 4;

/// A booking's next events, decided in memory, to attach to an inventory command.
#[derive(Clone)]
struct BookingPlan {
    id: BookingId,
    /// The sequence the booking was at.
    sequence: usize,
    /// Its state after the events.
    state: Booking,
    stream: Option<StreamAppend>,
}

impl BookingPlan {
    /// Decides `commands` in order on `booking` (at `sequence`).
    fn decide(
        engine: &Engine,
        id: BookingId,
        booking: &Booking,
        sequence: usize,
        commands: Vec<BookingCommand>,
        metadata: &std::collections::HashMap<String, String>,
    ) -> Result<Self, EngineError> {
        let key = id.to_string();
        let mut state = booking.clone();
        let mut events = Vec::new();
        for command in commands {
            for event in state.decide(command, &engine.services)? {
                let serialized =
                    serialize::<Booking>(&key, sequence + events.len() + 1, &event, metadata)
                        .map_err(EngineError::from)?;
                events.push(serialized);
                cqrs_es::Aggregate::apply(&mut state, event);
            }
        }
        let stream = (!events.is_empty()).then(|| StreamAppend {
            aggregate_type: <Booking as cqrs_es::Aggregate>::TYPE.to_owned(),
            aggregate_id: key,
            events,
            snapshot: None,
        });
        Ok(Self {
            id,
            sequence,
            state,
            stream,
        })
    }

    fn tag(&self) -> String {
        format!("booking\0{}", self.id)
    }

    fn next_sequence(&self) -> usize {
        self.sequence + self.stream.as_ref().map_or(0, |s| s.events.len())
    }

    /// Caches the booking's state after a commit carried this plan.
    fn remember(&self, engine: &Engine) {
        if self.stream.is_some() {
            engine.commands.bookings.remember(
                &self.id.to_string(),
                self.state.clone(),
                self.next_sequence(),
            );
        }
    }
}

/// What an inventory command attaches: `ok` when the inventory accepts it, `refused` (given
/// the refusal) otherwise, each with the answer recorded under the claim's key.
fn attachment<T, S, R, Ok, No>(
    claim: &Claim,
    tags: Vec<String>,
    ok: Ok,
    refused: No,
) -> Attachment<Inventory>
where
    T: serde::Serialize,
    S: IntoIterator<Item = StreamAppend>,
    R: IntoIterator<Item = StreamAppend>,
    Ok: Fn() -> (S, Result<T, EngineError>) + Send + Sync + 'static,
    No: Fn(&InventoryError) -> (R, Result<T, EngineError>) + Send + Sync + 'static,
{
    let claim = claim.clone();
    let mut tags = tags;
    tags.push(claim.tag());
    Attachment {
        tags,
        attach: Arc::new(move |_, outcome| {
            let (streams, answer): (Vec<StreamAppend>, _) = match outcome {
                Ok(_) => {
                    let (s, a) = ok();
                    (s.into_iter().collect(), a)
                }
                Err(e) => {
                    let (s, a) = refused(e);
                    (s.into_iter().collect(), a)
                }
            };
            Ok(Attached {
                streams,
                record: Some(claim.record(&answer).map_err(|e| e.message)?),
            })
        }),
    }
}

/// How the dispatcher's answer to an attached inventory command ends the step.
enum Settled<T> {
    Done(Ran<T>),
    /// The booking moved: load it again and retry.
    Retry,
}

fn settle<T>(
    engine: &Engine,
    answer: Result<crate::dispatch::Committed, DispatchError<InventoryError>>,
    accepted: &BookingPlan,
    refused: &BookingPlan,
    ok: impl FnOnce(Option<holdfast_eventstore::Position>) -> Result<T, EngineError>,
    no: impl FnOnce(InventoryError) -> Result<T, EngineError>,
) -> Settled<T> {
    match answer {
        Ok(committed) => {
            accepted.remember(engine);
            Settled::Done(Ran::Recorded(ok(committed.position)))
        }
        Err(DispatchError::Rejected(e)) => {
            refused.remember(engine);
            Settled::Done(Ran::Recorded(no(e)))
        }
        Err(DispatchError::KeyTaken) => Settled::Done(Ran::Replay),
        Err(DispatchError::Conflict { .. }) => {
            engine.commands.bookings.forget(&accepted.id.to_string());
            Settled::Retry
        }
        Err(e) => Settled::Done(Ran::Unrecorded(Err(EngineError::from(e)))),
    }
}

impl PlaceBooking<'_> {
    /// Places the booking in one commit with its idempotency record (see the module docs);
    /// a repeat of the key answers the first answer.
    pub async fn place_once(
        &self,
        request: &PlaceBookingRequest,
        claim: &Claim,
    ) -> Result<PlacedBooking, EngineError> {
        let engine = self.engine();
        let booking_id =
            super::place_booking::booking_id_for(request.guest, &request.idempotency_key);
        let ran = attempts(|n| self.place_attempt(request, claim, booking_id, n));
        idempotency::run_claimed(&engine.store, claim, ran).await
    }

    async fn place_attempt(
        &self,
        request: &PlaceBookingRequest,
        claim: &Claim,
        booking_id: BookingId,
        attempt: u32,
    ) -> Settled<PlacedBooking> {
        let engine = self.engine();
        let key = booking_id.to_string();
        // First as cached, or new (no read: the commit guards it); after a conflict, as stored
        // (a first attempt whose caller went away may have committed it).
        let (booking, sequence) = if attempt == 0 {
            engine.commands.bookings.assumed(&key)
        } else {
            engine.commands.bookings.forget(&key);
            match engine.commands.bookings.cached(&key).await {
                Ok(loaded) => loaded,
                Err(e) => return Settled::Done(Ran::Unrecorded(Err(EngineError::from(e)))),
            }
        };
        if booking.status().is_some() {
            // A repeat (answered from the booking, unless the key's record says otherwise), or
            // a booking left `Requested` by a crash of an earlier version, which the
            // multi-step process resumes.
            return Settled::Done(Ran::Unrecorded(self.place(request).await));
        }
        let placement = match self.prepare(request, booking_id).await {
            Ok(p) => p,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        let hold_expires_at = placement.hold_expires_at();
        let metadata = metadata(&request.scope, &request.idempotency_key);
        let requested = BookingCommand::RequestBooking(placement.request_command(request));
        let coupon = match CouponPlan::decide(engine, request, &placement, &metadata, attempt).await
        {
            Ok(coupon) => coupon,
            Err(NoCoupon::Retry) => return Settled::Retry,
            Err(NoCoupon::Failed(e)) => return Settled::Done(Ran::Unrecorded(Err(e))),
            Err(NoCoupon::Refused(cause)) => {
                return self
                    .reject_for_coupon(
                        claim, booking_id, &booking, sequence, requested, cause, &metadata,
                    )
                    .await;
            }
        };
        let mut held_commands = vec![requested.clone()];
        held_commands.extend(coupon.as_ref().map(|c| c.apply.clone()));
        held_commands.push(BookingCommand::MarkHeld { hold_expires_at });
        let plans = BookingPlan::decide(
            engine,
            booking_id,
            &booking,
            sequence,
            held_commands,
            &metadata,
        )
        .and_then(|held| {
            let requested_only = BookingPlan::decide(
                engine,
                booking_id,
                &booking,
                sequence,
                vec![requested],
                &metadata,
            )?;
            Ok((held, requested_only))
        });
        let (held, requested_only) = match plans {
            Ok(p) => p,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        let mut totals = placement.totals();
        if let Some(coupon) = &coupon {
            totals.discount = coupon.discount;
            totals.total = match totals.subtotal.checked_sub(&coupon.discount) {
                Ok(total) => total,
                Err(e) => return Settled::Done(Ran::Unrecorded(Err(EngineError::internal(e)))),
            };
        }
        let placed = PlacedBooking {
            booking_id,
            status: BookingStatus::Held,
            hold_expires_at: Some(hold_expires_at),
            totals: Some(totals),
            position: None,
        };
        let rejected = {
            let (engine_services, requested_only, metadata) = (
                engine.services.clone(),
                requested_only.clone(),
                metadata.clone(),
            );
            move |e: &InventoryError| {
                let cause = EngineError::from(e.clone());
                let reason = super::place_booking::rejection_reason(&cause);
                let stream = decide_more(
                    &engine_services,
                    &requested_only,
                    BookingCommand::RejectBooking { reason },
                    &metadata,
                )
                .map(|(_, s)| s)
                .unwrap_or_else(|_| requested_only.stream.clone());
                (stream, Err::<PlacedBooking, _>(cause))
            }
        };
        let mut accepted_streams: Vec<StreamAppend> = held.stream.iter().cloned().collect();
        let mut tags = vec![held.tag()];
        if let Some(coupon) = &coupon {
            accepted_streams.push(coupon.stream.clone());
            tags.push(coupon.tag());
        }
        let accepted_answer = placed.clone();
        let attach = attachment(
            claim,
            tags,
            move || (accepted_streams.clone(), Ok(accepted_answer.clone())),
            rejected.clone(),
        );
        let answer = engine
            .commands
            .inventories
            .execute_attached(
                &request.inventory_id.to_string(),
                placement.hold_command(request),
                metadata.clone(),
                attach,
            )
            .await;
        match (&answer, &coupon) {
            (Ok(_), Some(coupon)) => coupon.remember(engine),
            (Err(DispatchError::Conflict { .. }), Some(coupon)) => {
                engine
                    .commands
                    .coupons
                    .forget(&coupon.campaign_id.to_string());
            }
            _ => {}
        }
        // The rejected booking's state, for the cache.
        let refused_plan = match &answer {
            Err(DispatchError::Rejected(e)) => {
                let reason = super::place_booking::rejection_reason(&EngineError::from(e.clone()));
                decide_more(
                    &engine.services,
                    &requested_only,
                    BookingCommand::RejectBooking { reason },
                    &metadata,
                )
                .map(|(plan, _)| plan)
                .unwrap_or(requested_only)
            }
            _ => requested_only,
        };
        settle(
            engine,
            answer,
            &held,
            &refused_plan,
            |position| Ok(PlacedBooking { position, ..placed }),
            |e| Err(EngineError::from(e)),
        )
    }
}

impl PlaceBooking<'_> {
    /// The coupon was refused: the booking commits `Requested` + `Rejected` with the refusal as
    /// the key's answer, and no hold is taken.
    #[allow(clippy::too_many_arguments)]
    async fn reject_for_coupon(
        &self,
        claim: &Claim,
        booking_id: BookingId,
        booking: &Booking,
        sequence: usize,
        requested: BookingCommand,
        cause: EngineError,
        metadata: &std::collections::HashMap<String, String>,
    ) -> Settled<PlacedBooking> {
        let engine = self.engine();
        let prepared = BookingPlan::decide(
            engine,
            booking_id,
            booking,
            sequence,
            vec![requested],
            metadata,
        )
        .and_then(|requested_only| {
            reject_alone(engine, claim, &requested_only, cause.clone(), metadata)
        });
        let (plan, commit) = match prepared {
            Ok(c) => c,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        match engine.store.commit(&commit).await {
            Ok(_) => {
                plan.remember(engine);
                Settled::Done(Ran::Recorded(Err(cause)))
            }
            Err(holdfast_eventstore::CommitError::KeysTaken { .. }) => Settled::Done(Ran::Replay),
            Err(holdfast_eventstore::CommitError::Conflict { .. }) => {
                engine.commands.bookings.forget(&booking_id.to_string());
                Settled::Retry
            }
            Err(e) if e.is_transient() => Settled::Done(Ran::Unrecorded(Err(EngineError::new(
                ErrorCode::Unavailable,
                "the event store is unavailable; retry",
            )))),
            Err(e) => Settled::Done(Ran::Unrecorded(Err(EngineError::internal(e)))),
        }
    }
}

impl Tokened for PlacedBooking {
    fn token(&self) -> Option<Position> {
        self.position
    }

    fn with_token(self, position: Option<Position>) -> Self {
        Self { position, ..self }
    }
}

impl Tokened for StepResult {
    fn token(&self) -> Option<Position> {
        self.position
    }

    fn with_token(self, position: Option<Position>) -> Self {
        Self { position, ..self }
    }
}

/// `plan` followed by one more booking command: the plan after it and the stream to attach.
fn decide_more(
    services: &holdfast_domain::services::DomainServices,
    plan: &BookingPlan,
    command: BookingCommand,
    metadata: &std::collections::HashMap<String, String>,
) -> Result<(BookingPlan, Option<StreamAppend>), EngineError> {
    let mut state = plan.state.clone();
    let mut stream = plan.stream.clone();
    let key = plan.id.to_string();
    for event in state.decide(command, services)? {
        let next = plan.sequence + stream.as_ref().map_or(0, |s| s.events.len()) + 1;
        let serialized =
            serialize::<Booking>(&key, next, &event, metadata).map_err(EngineError::from)?;
        stream
            .get_or_insert_with(|| StreamAppend {
                aggregate_type: <Booking as cqrs_es::Aggregate>::TYPE.to_owned(),
                aggregate_id: key.clone(),
                events: Vec::new(),
                snapshot: None,
            })
            .events
            .push(serialized);
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    let next = BookingPlan {
        id: plan.id,
        sequence: plan.sequence,
        state,
        stream: stream.clone(),
    };
    Ok((next, stream))
}

/// The booking's state and sequence for a step: cached on the first attempt (the commit guards
/// it), loaded on a retry.
async fn booking_for(
    engine: &Engine,
    id: BookingId,
    attempt: u32,
) -> Result<(Booking, usize), EngineError> {
    let key = id.to_string();
    if attempt > 0 {
        engine.commands.bookings.forget(&key);
    }
    let (booking, sequence) = engine
        .commands
        .bookings
        .cached(&key)
        .await
        .map_err(EngineError::from)?;
    if booking.status().is_none() && attempt == 0 {
        // Cached before it existed (another node placed it): look again.
        engine.commands.bookings.forget(&key);
        return Box::pin(booking_for(engine, id, 1)).await;
    }
    if booking.status().is_none() {
        return Err(EngineError::not_found("booking"));
    }
    Ok((booking, sequence))
}

/// A step whose booking command was refused on the first attempt runs again on a fresh load
/// (the refusal may come from a stale cache); on a later attempt the refusal is the answer.
fn refused_or_retry<T>(e: EngineError, attempt: u32) -> Settled<T> {
    if attempt == 0 && idempotency::is_final(&e) {
        Settled::Retry
    } else {
        Settled::Done(Ran::Unrecorded(Err(e)))
    }
}

/// Runs `attempt` up to [`ATTEMPTS`] times, then answers `CONFLICT`.
async fn attempts<T, F, Fut>(mut attempt: F) -> Ran<T>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Settled<T>>,
{
    for n in 0..ATTEMPTS {
        match attempt(n).await {
            Settled::Done(ran) => return ran,
            Settled::Retry => {}
        }
    }
    Ran::Unrecorded(Err(EngineError::new(
        ErrorCode::Conflict,
        "the booking kept changing concurrently; retry",
    )))
}

impl BookingSteps<'_> {
    /// Runs `ran` with `claim`, answering a repeat with the first answer.
    async fn once(
        &self,
        claim: &Claim,
        ran: impl std::future::Future<Output = Ran<StepResult>>,
    ) -> Result<StepResult, EngineError> {
        idempotency::run_claimed(&self.engine().store, claim, ran).await
    }

    /// [`BookingSteps::confirm_payment`] in one commit with its idempotency record (see the
    /// module docs).
    pub async fn confirm_payment_once(
        &self,
        id: BookingId,
        payment: PaymentReport,
        claim: &Claim,
    ) -> Result<StepResult, EngineError> {
        let ran = attempts(|n| self.confirm_attempt(id, &payment, claim, n));
        self.once(claim, ran).await
    }

    async fn confirm_attempt(
        &self,
        id: BookingId,
        payment: &PaymentReport,
        claim: &Claim,
        attempt: u32,
    ) -> Settled<StepResult> {
        let engine = self.engine();
        let (booking, sequence) = match booking_for(engine, id, attempt).await {
            Ok(b) => b,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        let confirm = BookingCommand::ConfirmPayment {
            provider: payment.provider.clone(),
            reference: payment.reference.clone(),
            amount: payment.amount,
            paid_at: payment.paid_at,
        };
        let paid = match BookingPlan::decide(
            engine,
            id,
            &booking,
            sequence,
            vec![confirm.clone()],
            self.metadata(),
        ) {
            Ok(plan) => plan,
            Err(e) => return refused_or_retry(e, attempt),
        };
        if paid.stream.is_none() || paid.state.status() != Some(BookingStatus::Confirmed) {
            return self.booking_alone(id, confirm, claim).await;
        }
        let failed = match decide_more(
            &engine.services,
            &paid,
            BookingCommand::CancelBooking {
                by: holdfast_domain::booking::CancelledBy::System,
                reason: holdfast_domain::booking::CancellationReason::ProcessFailed,
            },
            self.metadata(),
        ) {
            Ok((plan, _)) => plan,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        let (ok, no) = (paid.clone(), failed.clone());
        let attach = attachment(
            claim,
            vec![paid.tag()],
            move || {
                (
                    ok.stream.clone(),
                    Ok(StepResult {
                        booking: ok.state.clone(),
                        position: None,
                    }),
                )
            },
            move |e| {
                tracing::error!(booking_id = %no.id, error = ?e, "paid, but the hold is gone");
                (
                    no.stream.clone(),
                    Err::<StepResult, _>(EngineError::from(e.clone())),
                )
            },
        );
        let answer = engine
            .commands
            .inventories
            .execute_attached(
                &booking.keys().inventory_id.to_string(),
                InventoryCommand::ConfirmHold { booking_id: id },
                self.metadata().clone(),
                attach,
            )
            .await;
        let booking = paid.state.clone();
        settle(
            engine,
            answer,
            &paid,
            &failed,
            |position| Ok(StepResult { booking, position }),
            |e| Err(EngineError::from(e)),
        )
    }

    /// [`BookingSteps::cancel`] in one commit with its idempotency record (see the module
    /// docs); a booking that redeemed a coupon is cancelled by the multi-step process.
    pub async fn cancel_once(
        &self,
        id: BookingId,
        by: holdfast_domain::booking::CancelledBy,
        reason: holdfast_domain::booking::CancellationReason,
        claim: &Claim,
    ) -> Result<StepResult, EngineError> {
        let ran = attempts(|n| self.cancel_attempt(id, by, reason, claim, n));
        self.once(claim, ran).await
    }

    async fn cancel_attempt(
        &self,
        id: BookingId,
        by: holdfast_domain::booking::CancelledBy,
        reason: holdfast_domain::booking::CancellationReason,
        claim: &Claim,
        attempt: u32,
    ) -> Settled<StepResult> {
        let engine = self.engine();
        let (booking, sequence) = match booking_for(engine, id, attempt).await {
            Ok(b) => b,
            Err(e) => return Settled::Done(Ran::Unrecorded(Err(e))),
        };
        let cancel = BookingCommand::CancelBooking { by, reason };
        let release = match booking.status() {
            Some(BookingStatus::Confirmed) => {
                Some(InventoryCommand::ReleaseAllocation { booking_id: id })
            }
            Some(BookingStatus::Held | BookingStatus::Requested) => {
                Some(InventoryCommand::ReleaseHold {
                    booking_id: id,
                    reason: holdfast_domain::inventory::ReleaseReason::Cancelled,
                })
            }
            _ => None,
        };
        if booking.coupon().is_some() || booking.status() == Some(BookingStatus::Cancelled) {
            // The coupon's campaign is another aggregate; an already cancelled booking may
            // still owe a release (cancelled by an earlier version, half-way).
            return Settled::Done(Ran::Unrecorded(self.cancel(id, by, reason).await));
        }
        let cancelled = match BookingPlan::decide(
            engine,
            id,
            &booking,
            sequence,
            vec![cancel.clone()],
            self.metadata(),
        ) {
            Ok(plan) => plan,
            Err(e) => return refused_or_retry(e, attempt),
        };
        let Some(release) = release.filter(|_| cancelled.stream.is_some()) else {
            return self.booking_alone(id, cancel, claim).await;
        };
        let answer_of = |plan: &BookingPlan| {
            (
                plan.stream.clone(),
                Ok(StepResult {
                    booking: plan.state.clone(),
                    position: None,
                }),
            )
        };
        let (ok, no) = (cancelled.clone(), cancelled.clone());
        // A refused release (the hold ran out, or was released already) leaves nothing to
        // give back: the booking is cancelled all the same.
        let attach = attachment(
            claim,
            vec![cancelled.tag()],
            move || answer_of(&ok),
            move |_| answer_of(&no),
        );
        let answer = engine
            .commands
            .inventories
            .execute_attached(
                &booking.keys().inventory_id.to_string(),
                release,
                self.metadata().clone(),
                attach,
            )
            .await;
        let booking = cancelled.state.clone();
        let refused_booking = booking.clone();
        settle(
            engine,
            answer,
            &cancelled,
            &cancelled,
            |position| Ok(StepResult { booking, position }),
            |_| {
                Ok(StepResult {
                    booking: refused_booking,
                    position: None,
                })
            },
        )
    }

    /// A booking command alone, with the request's record, through the booking's dispatcher.
    async fn booking_alone(
        &self,
        id: BookingId,
        command: BookingCommand,
        claim: &Claim,
    ) -> Settled<StepResult> {
        let engine = self.engine();
        Settled::Done(
            dispatch_once(
                &engine.commands.bookings,
                &id.to_string(),
                command,
                self.metadata().clone(),
                claim,
                |booking: &Booking, outcome| {
                    Some(match outcome {
                        Ok(()) => Ok(StepResult {
                            booking: booking.clone(),
                            position: None,
                        }),
                        Err(e) => Err(EngineError::from(e.clone())),
                    })
                },
            )
            .await,
        )
    }
}

/// Sends `command` to aggregate `id` with the request's idempotency record attached, in the
/// aggregate's group-commit batch: one commit for the command and its answer. `answer` gives
/// the request's answer from the aggregate's state after the command (unchanged if refused)
/// and its outcome; `None` records nothing for a refusal the caller will answer itself
/// ([`Ran::Unrecorded`]).
pub async fn dispatch_once<A, T>(
    dispatcher: &crate::dispatch::Dispatcher<A>,
    id: &str,
    command: A::Command,
    metadata: std::collections::HashMap<String, String>,
    claim: &Claim,
    answer: impl Fn(&A, Result<(), &A::Error>) -> Option<Result<T, EngineError>> + Send + Sync + 'static,
) -> Ran<T>
where
    A: holdfast_domain::Decide + 'static,
    A::Command: Clone + Send + Sync + 'static,
    A::Error: Send + 'static,
    A::Services: Send + Sync + 'static,
    EngineError: From<A::Error> + From<DispatchError<A::Error>>,
    T: Tokened + Clone + Send + 'static,
{
    let decided: Arc<std::sync::Mutex<Option<Result<T, EngineError>>>> = Arc::default();
    let (record_claim, last) = (claim.clone(), decided.clone());
    let attachment = Attachment {
        tags: vec![claim.tag()],
        attach: Arc::new(move |state: &A, outcome| {
            let answer = answer(state, outcome);
            let record = match &answer {
                Some(answer) => Some(record_claim.record(answer).map_err(|e| e.message)?),
                None => None,
            };
            *last.lock().unwrap_or_else(|e| e.into_inner()) = answer;
            Ok(Attached {
                streams: Vec::new(),
                record,
            })
        }),
    };
    let committed = dispatcher
        .execute_attached(id, command, metadata, attachment)
        .await;
    let answer = decided.lock().unwrap_or_else(|e| e.into_inner()).take();
    match (committed, answer) {
        (Ok(c), Some(Ok(answer))) => Ran::Recorded(Ok(answer.with_token(c.position))),
        (Err(DispatchError::Rejected(_)), Some(Err(e))) => Ran::Recorded(Err(e)),
        (Err(DispatchError::Rejected(e)), None) => Ran::Unrecorded(Err(EngineError::from(e))),
        (Err(DispatchError::KeyTaken), _) => Ran::Replay,
        (Err(e), _) => {
            Ran::Unrecorded(Err(<EngineError as From<DispatchError<A::Error>>>::from(e)))
        }
        (Ok(_), _) => Ran::Unrecorded(Err(EngineError::internal(
            "a committed command left no answer",
        ))),
    }
}

/// A placement's coupon, decided on the campaign as cached (the commit guards its sequence).
#[derive(Clone)]
struct CouponPlan {
    campaign_id: holdfast_domain::common::CampaignId,
    state: holdfast_domain::coupon::CouponCampaign,
    sequence: usize,
    stream: StreamAppend,
    apply: BookingCommand,
    discount: holdfast_domain::common::Money,
}

/// Why a coupon plan was not made.
enum NoCoupon {
    /// Refused on a state that may be stale: load again and retry.
    Retry,
    /// Refused (a final answer: the booking is rejected with it).
    Refused(EngineError),
    /// Failed transiently or unexpectedly.
    Failed(EngineError),
}

impl CouponPlan {
    fn tag(&self) -> String {
        format!("campaign\0{}", self.campaign_id)
    }

    /// `RedeemCoupon` (after `ClaimCoupon` when the guest holds no unused claim) on the
    /// campaign, and the booking's `ApplyCoupon` with the discount it gives.
    async fn decide(
        engine: &Engine,
        request: &PlaceBookingRequest,
        placement: &super::place_booking::Placement,
        metadata: &std::collections::HashMap<String, String>,
        attempt: u32,
    ) -> Result<Option<Self>, NoCoupon> {
        use holdfast_domain::coupon::{CouponCampaign, CouponCommand, CouponError};
        let Some(campaign_id) = request.coupon else {
            return Ok(None);
        };
        let id = campaign_id.to_string();
        let coupons = &engine.commands.coupons;
        if attempt > 0 {
            coupons.forget(&id);
        }
        let (campaign, sequence) = coupons
            .cached(&id)
            .await
            .map_err(|e| NoCoupon::Failed(EngineError::from(e)))?;
        let refused = |e: EngineError| {
            if attempt == 0 {
                NoCoupon::Retry
            } else {
                NoCoupon::Refused(e)
            }
        };
        let Some(terms) = campaign.campaign() else {
            return Err(refused(EngineError::from(CouponError::NotCreated)));
        };
        if terms.tenant_id != placement.tenant_id() {
            return Err(NoCoupon::Refused(EngineError::from(
                CouponError::NotApplicableToListing {
                    listing_id: request.listing_id,
                },
            )));
        }
        let code = holdfast_domain::booking::Label::parse(terms.terms.code.as_str())
            .map_err(|e| NoCoupon::Failed(EngineError::internal(e)))?;
        let redeem = CouponCommand::RedeemCoupon {
            guest_id: request.guest,
            booking_id: placement.booking_id(),
            listing_id: request.listing_id,
            subtotal: placement.totals().subtotal,
        };
        let commands = match campaign.decide(redeem.clone(), &engine.services) {
            Err(CouponError::NoUnusedClaim { .. }) => vec![
                CouponCommand::ClaimCoupon {
                    guest_id: request.guest,
                },
                redeem,
            ],
            _ => vec![redeem],
        };
        let mut state: CouponCampaign = campaign.clone();
        let mut events = Vec::new();
        for command in commands {
            let decided = state
                .decide(command, &engine.services)
                .map_err(|e| refused(EngineError::from(e)))?;
            for event in decided {
                let serialized =
                    serialize::<CouponCampaign>(&id, sequence + events.len() + 1, &event, metadata)
                        .map_err(|e| NoCoupon::Failed(EngineError::from(e)))?;
                events.push(serialized);
                cqrs_es::Aggregate::apply(&mut state, event);
            }
        }
        let discount = state
            .redemptions()
            .get(&placement.booking_id())
            .map(|r| r.discount)
            .ok_or_else(|| NoCoupon::Failed(EngineError::internal("redemption missing")))?;
        if events.is_empty() {
            // Redeemed for this booking already (an earlier version's half-way placement):
            // the multi-step process resumes such bookings.
            return Err(NoCoupon::Failed(EngineError::new(
                ErrorCode::Conflict,
                "this coupon was redeemed for the booking already; retry",
            )));
        }
        Ok(Some(Self {
            campaign_id,
            state,
            sequence,
            stream: StreamAppend {
                aggregate_type: <CouponCampaign as cqrs_es::Aggregate>::TYPE.to_owned(),
                aggregate_id: id,
                events,
                snapshot: None,
            },
            apply: BookingCommand::ApplyCoupon {
                campaign_id,
                code,
                discount,
            },
            discount,
        }))
    }

    fn remember(&self, engine: &Engine) {
        engine.commands.coupons.remember(
            &self.campaign_id.to_string(),
            self.state.clone(),
            self.sequence + self.stream.events.len(),
        );
    }
}

/// Commits the booking `Requested` + `Rejected` (the coupon was refused) with the refusal as
/// the key's answer: no hold is taken.
fn reject_alone(
    engine: &Engine,
    claim: &Claim,
    requested: &BookingPlan,
    cause: EngineError,
    metadata: &std::collections::HashMap<String, String>,
) -> Result<(BookingPlan, holdfast_eventstore::Commit), EngineError> {
    let reason = super::place_booking::rejection_reason(&cause);
    let (plan, stream) = decide_more(
        &engine.services,
        requested,
        BookingCommand::RejectBooking { reason },
        metadata,
    )?;
    let stream = stream.ok_or_else(|| EngineError::internal("a rejection wrote nothing"))?;
    let mut record = claim.record(&Err::<PlacedBooking, _>(cause))?;
    record.written = vec![(0, stream.events.len() - 1)];
    Ok((
        plan,
        holdfast_eventstore::Commit {
            streams: vec![stream],
            records: vec![record],
        },
    ))
}
