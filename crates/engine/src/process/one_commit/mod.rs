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

mod place;
mod steps;

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
    dispatch_once_with(dispatcher, id, command, metadata, claim, answer, |_, _| {
        Ok(Vec::new())
    })
    .await
}

/// [`dispatch_once`], with other aggregates' events (`streams`, decided from the aggregate's
/// state after the command and its outcome, each guarded by its own sequence) in the same
/// commit.
pub async fn dispatch_once_with<A, T>(
    dispatcher: &crate::dispatch::Dispatcher<A>,
    id: &str,
    command: A::Command,
    metadata: std::collections::HashMap<String, String>,
    claim: &Claim,
    answer: impl Fn(&A, Result<(), &A::Error>) -> Option<Result<T, EngineError>> + Send + Sync + 'static,
    streams: impl Fn(&A, Result<(), &A::Error>) -> Result<Vec<StreamAppend>, String>
    + Send
    + Sync
    + 'static,
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
            let streams = streams(state, outcome)?;
            *last.lock().unwrap_or_else(|e| e.into_inner()) = answer;
            Ok(Attached { streams, record })
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
