//! `bookingChanged(id)`: one booking, as the bookings read model shows it after each of its
//! events. For the booking's guest, an operator of its tenant, or an admin; anyone else is
//! told `NOT_FOUND` (as the booking query does: a booking's existence is not revealed), an
//! anonymous caller `UNAUTHENTICATED`.

use async_graphql::{Context, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;
use holdfast_domain::booking::{BookingStatus, Totals};
use holdfast_domain::common::{BookingId, GuestId, TenantId};
use holdfast_eventstore::Position;
use holdfast_projections::models::bookings::{BookingView, doc_key};
use holdfast_projections::store::Table;

use super::{ChangeKind, applied, feed, join, last_event};
use crate::error::ApiError;
use crate::schema::context::{authenticated, state};
use holdfast_engine::Engine;
use holdfast_engine::Principal;
use holdfast_engine::consistency;
use holdfast_engine::feed::{FeedItem, Subscription as FeedSubscription};

/// Subscription fields about bookings.
#[derive(Default)]
pub struct BookingSubscription;

/// A booking as the bookings read model shows it.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct BookingChange {
    /// Whether this is the starting state, one event's change, or a re-sync.
    pub kind: ChangeKind,
    /// The booking.
    pub id: ID,
    /// Its status.
    pub status: crate::schema::types::booking::BookingStatus,
    /// What it costs (null until priced, e.g. while waitlisted).
    pub totals: Option<BookingChangeTotals>,
    /// The event behind a `CHANGE` (`BookingHeld`, `BookingPaymentReceived`,
    /// `BookingConfirmed`, …); null for `SNAPSHOT` and `RESYNC`.
    pub event: Option<String>,
    /// When the event behind a `CHANGE` was recorded; null for `SNAPSHOT` and `RESYNC`, which
    /// show the state as of `consistencyToken`.
    pub updated_at: Option<DateTime<Utc>>,
    /// The log position this state includes (a consistency token for queries).
    pub consistency_token: String,
}

/// A booking's totals, in minor units of one currency.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct BookingChangeTotals {
    /// Sum of the priced lines.
    pub subtotal_minor: i64,
    /// The coupon's discount.
    pub discount_minor: i64,
    /// What the guest pays.
    pub total_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Totals> for BookingChangeTotals {
    fn from(t: Totals) -> Self {
        Self {
            subtotal_minor: t.subtotal.amount_minor,
            discount_minor: t.discount.amount_minor,
            total_minor: t.total.amount_minor,
            currency: t.total.currency.as_str().to_owned(),
        }
    }
}

/// Whether `principal` may see a booking of `guest` at `tenant`.
fn may_see(principal: &Principal, view: &BookingView) -> bool {
    let guest = GuestId::parse(&view.guest_id).ok();
    let tenant = TenantId::parse(&view.tenant_id).ok();
    guest.is_some_and(|g| principal.is_guest_or_admin(g))
        || tenant.is_some_and(|t| principal.operates(t))
        || principal.is_admin()
}

#[Subscription]
impl BookingSubscription {
    /// Booking `id`: first its current state (`SNAPSHOT`), then its state as of each of its
    /// events (held, payment received, confirmed, cancelled, …), yielded once the bookings
    /// read model has applied the event (`CHANGE`): every step shows, in log order, even when
    /// several land at once. For the booking's guest, its tenant's operators and admins; `NOT_FOUND` for
    /// anyone else and for unknown ids, `UNAUTHENTICATED` without a token.
    async fn booking_changed(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<BookingChange>> + use<>>
    {
        let principal = authenticated(ctx)?.clone();
        let booking_id = BookingId::parse(&id)
            .map_err(|_| ApiError::invalid("id is not a booking id"))?
            .to_string();
        let mut watch = Watch {
            state: state(ctx).clone(),
            feed: join(feed(ctx)).await?,
            booking: booking_id,
            synced: Position::START,
            status: BookingStatus::Requested,
            totals: None,
        };
        let Some(last) = last_event(&watch.state, "Booking", &watch.booking).await? else {
            return Err(ApiError::not_found("booking").into());
        };
        let from = watch.feed.from.max(last);
        let snapshot = match watch.read(from).await? {
            Some((view, at)) if may_see(&principal, &view) => {
                watch.adopt(&view, at);
                watch.item(ChangeKind::Snapshot, at, None)
            }
            _ => return Err(ApiError::not_found("booking").into()),
        };
        let first = futures::stream::once(async move { Ok(snapshot) });
        let rest = futures::stream::unfold(Some(watch), |watch| async move {
            let mut watch = watch?;
            match watch.next().await {
                Ok(Some(change)) => Some((Ok(change), Some(watch))),
                Ok(None) => None,
                Err(e) => Some((Err(e.into()), None)),
            }
        });
        Ok(futures::StreamExt::chain(first, rest))
    }
}

/// One subscriber's state.
struct Watch {
    state: Engine,
    feed: FeedSubscription,
    booking: String,
    /// Everything up to here is reflected in what was yielded.
    synced: Position,
    /// The status and totals last yielded: an event that does not change one keeps it.
    status: BookingStatus,
    totals: Option<Totals>,
}

/// The `status` and `totals` a booking event carries, if any. Booking events are stored
/// externally tagged (`{"BookingHeld": {…, "status": "Held"}}`, as the bookings projection
/// decodes them); status-changing events carry the resulting status, money-moving ones the
/// running totals.
fn carried(payload: &serde_json::Value) -> (Option<BookingStatus>, Option<Totals>) {
    let Some(fields) = payload.as_object().and_then(|o| o.values().next()) else {
        return (None, None);
    };
    let field = |name: &str| fields.get(name).cloned();
    (
        field("status").and_then(|v| serde_json::from_value(v).ok()),
        field("totals").and_then(|v| serde_json::from_value(v).ok()),
    )
}

impl Watch {
    /// The next change (`None`: the feed has shut down).
    async fn next(&mut self) -> Result<Option<BookingChange>, ApiError> {
        loop {
            match self.feed.next().await {
                FeedItem::Event(event) => {
                    if event.position <= self.synced
                        || event.aggregate_type != "Booking"
                        || event.aggregate_id != self.booking
                    {
                        continue;
                    }
                    // The state as of this event (folded from the event, so a burst of events
                    // shows every step), once the read model has it too: the token is then
                    // good for queries.
                    applied(&self.state, Table::Bookings, event.position).await?;
                    let (status, totals) = carried(&event.payload);
                    self.status = status.unwrap_or(self.status);
                    self.totals = totals.or(self.totals);
                    self.synced = event.position;
                    let mut item =
                        self.item(ChangeKind::Change, event.position, Some(event.recorded_at));
                    item.event = Some(event.event_type.clone());
                    return Ok(Some(item));
                }
                FeedItem::Lagged { upto } => {
                    // A booking never leaves the read model once there (soft deletion).
                    let (view, at) = self.read(upto).await?.ok_or_else(|| {
                        ApiError::internal("a watched booking left the read model")
                    })?;
                    self.adopt(&view, at);
                    return Ok(Some(self.item(ChangeKind::Resync, at, None)));
                }
                FeedItem::Closed => return Ok(None),
            }
        }
    }

    /// The booking once the bookings read model has applied `position`, with the position its
    /// item was last written at (it may be ahead of `position`).
    async fn read(&self, position: Position) -> Result<Option<(BookingView, Position)>, ApiError> {
        applied(&self.state, Table::Bookings, position).await?;
        let table = consistency::current(&self.state, Table::Bookings).await?;
        let store = self.state.read_side.store();
        let Some(item) = store
            .get(table, &doc_key(&self.booking))
            .await
            .map_err(|e| super::read_error(e.into()))?
        else {
            return Ok(None);
        };
        let attrs = serde_json::Value::Object(item.attrs.into_iter().collect());
        let view: BookingView = serde_json::from_value(attrs).map_err(|e| {
            ApiError::internal(format!("booking {} is malformed: {e}", self.booking))
        })?;
        Ok(Some((view, item.version.max(position))))
    }

    /// Takes the read model's state, which includes everything up to `position` (so later
    /// copies of those events from the feed are skipped: no step is shown twice or undone).
    fn adopt(&mut self, view: &BookingView, position: Position) {
        self.status = view.status;
        self.totals = view.totals;
        self.synced = self.synced.max(position);
    }

    fn item(
        &self,
        kind: ChangeKind,
        position: Position,
        at: Option<DateTime<Utc>>,
    ) -> BookingChange {
        BookingChange {
            kind,
            id: ID(self.booking.clone()),
            status: self.status.into(),
            totals: self.totals.map(BookingChangeTotals::from),
            event: None,
            updated_at: at,
            consistency_token: position.to_string(),
        }
    }
}
