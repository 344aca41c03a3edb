//! Payment confirmation and cancellation in one commit, and booking-only steps.

#[allow(clippy::wildcard_imports)]
use super::*;

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
    /// docs); a booking that redeemed a coupon or spent points is cancelled by the multi-step
    /// process.
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
        if booking.coupon().is_some()
            || booking.points().is_some()
            || booking.status() == Some(BookingStatus::Cancelled)
        {
            // The coupon's campaign and the points account are other aggregates (given back
            // after the cancellation commits; the worker finishes a crash's half-way restore);
            // an already cancelled booking may
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

    /// [`BookingSteps::accept_offer`] in one commit with its idempotency record: the worker
    /// held the offer's units when it made the offer, so accepting is the booking's command
    /// alone. An offer made before offers held (no hold yet), or a booking already held (a
    /// repeat under another key), takes the multi-step path and records its answer after.
    pub async fn accept_offer_once(
        &self,
        id: BookingId,
        claim: &Claim,
    ) -> Result<StepResult, EngineError> {
        let ran = async {
            let booking = match booking_for(self.engine(), id, 0).await {
                Ok((booking, _)) => booking,
                Err(e) => return Ran::Unrecorded(Err(e)),
            };
            if let Err(e) =
                crate::process::ensure_taking_bookings(self.engine(), booking.keys().tenant_id)
                    .await
            {
                return Ran::Unrecorded(Err(e));
            }
            if booking.status() == Some(BookingStatus::Offered) {
                match self.offer_terms(&booking).await {
                    Ok((hold_expires_at, true)) => {
                        let accept = BookingCommand::AcceptOffer { hold_expires_at };
                        if let Settled::Done(ran) = self.booking_alone(id, accept, claim).await {
                            return ran;
                        }
                    }
                    Ok((_, false)) => {}
                    Err(e) => return Ran::Unrecorded(Err(e)),
                }
            }
            Ran::Unrecorded(self.accept_offer(id).await)
        };
        self.once(claim, ran).await
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
