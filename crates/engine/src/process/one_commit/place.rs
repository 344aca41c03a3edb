//! Placement in one commit: the booking, the hold, the coupon and the key's record.

#[allow(clippy::wildcard_imports)]
use super::*;

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
            super::super::place_booking::booking_id_for(request.guest, &request.idempotency_key);
        // Placements spending one guest's points take turns on their account (see
        // `crate::turns`): a storm of them commits one after another instead of conflicting.
        let _turn = match (request.points, self.account_of(request).await) {
            (Some(_), Ok(Some(account))) => {
                Some(crate::turns::turn(format!("points\0{account}")).await)
            }
            (Some(_), Err(e)) => return Err(e),
            _ => None,
        };
        let ran = attempts(|n| self.place_attempt(request, claim, booking_id, n));
        idempotency::run_claimed(&engine.store, claim, ran).await
    }

    /// The points account a placement spends from (its listing's business and the guest).
    async fn account_of(
        &self,
        request: &PlaceBookingRequest,
    ) -> Result<Option<String>, EngineError> {
        let listing: holdfast_domain::listing::Listing =
            crate::process::current(self.engine(), &request.listing_id.to_string()).await?;
        Ok(listing.state().map(|l| {
            holdfast_domain::points::account_id(points_owner(request, l.tenant_id), request.guest)
        }))
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
        let points = match PointsPlan::decide(engine, request, &placement, &metadata, attempt).await
        {
            Ok(points) => points,
            Err(NoCoupon::Retry) => return Settled::Retry,
            // Refused (more than the balance): nothing is written; the refusal is the answer.
            Err(NoCoupon::Failed(e) | NoCoupon::Refused(e)) => {
                return Settled::Done(Ran::Unrecorded(Err(e)));
            }
        };
        let mut held_commands = vec![requested.clone()];
        held_commands.extend(coupon.as_ref().map(|c| c.apply.clone()));
        held_commands.extend(points.as_ref().map(|p| p.apply.clone()));
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
        // After the coupon and the points, as the booking decided them.
        let totals = held.state.totals().unwrap_or_else(|| placement.totals());
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
                let reason = super::super::place_booking::rejection_reason(&cause);
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
        if let Some(points) = &points {
            accepted_streams.push(points.stream.clone());
            tags.push(points.tag());
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
        match (&answer, &points) {
            (Ok(_), Some(points)) => points.remember(engine),
            (Err(DispatchError::Conflict { .. }), Some(points)) => {
                engine.commands.points.forget(&points.account);
            }
            _ => {}
        }
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
                let reason =
                    super::super::place_booking::rejection_reason(&EngineError::from(e.clone()));
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

/// A placement's coupon, decided on the campaign as cached (the commit guards its sequence).
#[derive(Clone)]
struct CouponPlan {
    campaign_id: holdfast_domain::common::CampaignId,
    state: holdfast_domain::coupon::CouponCampaign,
    sequence: usize,
    stream: StreamAppend,
    apply: BookingCommand,
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
        placement: &super::super::place_booking::Placement,
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
    let reason = super::super::place_booking::rejection_reason(&cause);
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

/// Whose programme a placement's points are: the platform's, or the listing's business's.
fn points_owner(
    request: &PlaceBookingRequest,
    business: holdfast_domain::common::TenantId,
) -> holdfast_domain::common::TenantId {
    if request.points_from_platform {
        holdfast_domain::points::PLATFORM
    } else {
        business
    }
}

/// A placement's points, decided on the guest's account as cached (the commit guards its
/// sequence): `Spend` on the account and the booking's `ApplyPoints`, in the same commit as
/// the hold.
#[derive(Clone)]
struct PointsPlan {
    account: String,
    state: holdfast_domain::points::PointsAccount,
    sequence: usize,
    stream: StreamAppend,
    apply: BookingCommand,
}

impl PointsPlan {
    fn tag(&self) -> String {
        format!("points\0{}", self.account)
    }

    async fn decide(
        engine: &crate::Engine,
        request: &PlaceBookingRequest,
        placement: &super::super::place_booking::Placement,
        metadata: &std::collections::HashMap<String, String>,
        attempt: u32,
    ) -> Result<Option<Self>, NoCoupon> {
        use holdfast_domain::points::{PointsAccount, PointsCommand, account_id};
        let Some(points) = request.points else {
            return Ok(None);
        };
        let tenant_id = points_owner(request, placement.tenant_id());
        let account = account_id(tenant_id, request.guest);
        let dispatcher = &engine.commands.points;
        if attempt > 0 {
            dispatcher.forget(&account);
        }
        let (before, sequence) = dispatcher
            .cached(&account)
            .await
            .map_err(|e| NoCoupon::Failed(EngineError::from(e)))?;
        let spend = PointsCommand::Spend {
            booking_id: placement.booking_id(),
            points,
        };
        let events = match before.decide(spend, &engine.services) {
            Ok(events) => events,
            // Decided on a cached account: confirm a refusal on a fresh load first.
            Err(_) if attempt == 0 => return Err(NoCoupon::Retry),
            Err(e) => return Err(NoCoupon::Refused(EngineError::from(e))),
        };
        if events.is_empty() {
            // Spent for this booking already (an earlier attempt's commit): retry from it.
            return Err(NoCoupon::Failed(EngineError::new(
                ErrorCode::Conflict,
                "these points were spent for the booking already; retry",
            )));
        }
        let mut state: PointsAccount = before;
        let mut serialized = Vec::new();
        for event in events {
            serialized.push(
                serialize::<PointsAccount>(
                    &account,
                    sequence + serialized.len() + 1,
                    &event,
                    metadata,
                )
                .map_err(|e| NoCoupon::Failed(EngineError::from(e)))?,
            );
            cqrs_es::Aggregate::apply(&mut state, event);
        }
        Ok(Some(Self {
            stream: StreamAppend {
                aggregate_type: <PointsAccount as cqrs_es::Aggregate>::TYPE.to_owned(),
                aggregate_id: account.clone(),
                events: serialized,
                snapshot: None,
            },
            account,
            state,
            sequence,
            apply: BookingCommand::ApplyPoints { tenant_id, points },
        }))
    }

    fn remember(&self, engine: &crate::Engine) {
        engine.commands.points.remember(
            &self.account,
            self.state.clone(),
            self.sequence + self.stream.events.len(),
        );
    }
}
