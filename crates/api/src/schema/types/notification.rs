//! Notification deliveries as operators see them (`notificationDeliveries`,
//! `retryNotification`).

use async_graphql::{Enum, ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use holdfast_engine::notify::{Delivery, DeliveryStatus, NotificationKind};

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "NotificationDeliveryStatus")]
pub enum DeliveryStatusGql {
    /// Waiting to be sent at `nextAttemptAt`.
    Pending,
    /// Acknowledged by the sink (2xx); never sent again.
    Delivered,
    /// Given up after the maximum attempts; `retryNotification` sends it again.
    Dead,
}

impl From<DeliveryStatus> for DeliveryStatusGql {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Dead => Self::Dead,
        }
    }
}

impl From<DeliveryStatusGql> for DeliveryStatus {
    fn from(s: DeliveryStatusGql) -> Self {
        match s {
            DeliveryStatusGql::Pending => Self::Pending,
            DeliveryStatusGql::Delivered => Self::Delivered,
            DeliveryStatusGql::Dead => Self::Dead,
        }
    }
}

/// What a notification tells.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "NotificationKind")]
pub enum NotificationKindGql {
    /// The booking is paid and confirmed.
    Confirmed,
    /// The booking was cancelled (or a waitlist offer declined).
    Cancelled,
    /// A waitlisted guest is offered slots.
    Offered,
    /// A hold or an offer ran out.
    Expired,
    /// Money was given back.
    Refunded,
    /// Placement failed.
    Rejected,
    /// A payment arrived that can no longer confirm the booking.
    LatePayment,
    /// A guest joined a waitlist.
    Waitlisted,
    /// A confirmed booking starts soon (sent a configurable time before the start).
    Reminder,
    /// An unpaid hold runs out soon.
    HoldExpiring,
    /// An account's e-mail verification link.
    VerifyEmail,
    /// An account's password reset link.
    ResetPassword,
    /// An invitation to join a business.
    Invitation,
    /// Watched sold-out places freed up.
    AvailabilityAlert,
}

impl From<NotificationKindGql> for NotificationKind {
    fn from(k: NotificationKindGql) -> Self {
        NotificationKind::ALL
            .into_iter()
            .find(|n| NotificationKindGql::from(*n) == k)
            .expect("every GraphQL kind is a kind")
    }
}

impl From<NotificationKind> for NotificationKindGql {
    fn from(k: NotificationKind) -> Self {
        match k {
            NotificationKind::Confirmed => Self::Confirmed,
            NotificationKind::Cancelled => Self::Cancelled,
            NotificationKind::Offered => Self::Offered,
            NotificationKind::Expired => Self::Expired,
            NotificationKind::Refunded => Self::Refunded,
            NotificationKind::Rejected => Self::Rejected,
            NotificationKind::LatePayment => Self::LatePayment,
            NotificationKind::Waitlisted => Self::Waitlisted,
            NotificationKind::Reminder => Self::Reminder,
            NotificationKind::HoldExpiring => Self::HoldExpiring,
            NotificationKind::VerifyEmail => Self::VerifyEmail,
            NotificationKind::ResetPassword => Self::ResetPassword,
            NotificationKind::Invitation => Self::Invitation,
            NotificationKind::AvailabilityAlert => Self::AvailabilityAlert,
        }
    }
}

/// One notification's delivery to one sink.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(complex)]
pub struct NotificationDelivery {
    /// The sink: `log`, or `webhook:<host>/<hash of its URL>`.
    pub sink: String,
    /// The notification's id (`<booking id>:<sequence>`; the `Holdfast-Event-Id` header).
    pub notification_id: String,
    /// What it tells.
    pub kind: NotificationKindGql,
    /// The booking's tenant.
    pub tenant_id: ID,
    /// The booking.
    pub booking_id: ID,
    /// Where it stands.
    pub status: DeliveryStatusGql,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is (or was last) due.
    pub next_attempt_at: DateTime<Utc>,
    /// What went wrong at the last failed attempt.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When the sink acknowledged it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The source event's log position.
    pub position: String,
    /// The JSON sent.
    pub payload: Json<serde_json::Value>,
}

#[async_graphql::ComplexObject]
impl NotificationDelivery {
    /// The booking guest's contact details, read when asked (never stored with the delivery):
    /// for operators of the booking's business and admins; null for anyone else, for messages
    /// that are no booking's, and for a guest with no profile or one who was forgotten.
    async fn guest(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::account::GuestProfileGql>> {
        let Ok(tenant) = holdfast_domain::common::TenantId::parse(&self.tenant_id) else {
            return Ok(None);
        };
        if !crate::schema::context::principal(ctx).operates(tenant) {
            return Ok(None);
        }
        let Some(guest) = self
            .payload
            .0
            .get("guest_id")
            .and_then(serde_json::Value::as_str)
            .and_then(|g| holdfast_domain::common::GuestId::parse(g).ok())
        else {
            return Ok(None);
        };
        use crate::error::OrApi;
        Ok(crate::schema::context::state(ctx)
            .profiles
            .get(guest)
            .await
            .or_api()?
            .map(Into::into))
    }
}

impl From<Delivery> for NotificationDelivery {
    fn from(d: Delivery) -> Self {
        Self {
            sink: d.sink,
            notification_id: d.notification_id,
            kind: d.kind.into(),
            tenant_id: ID(d.tenant_id),
            booking_id: ID(d.booking_id),
            status: d.status.into(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            position: d.position.to_string(),
            payload: Json(shown(d.kind, d.payload)),
        }
    }
}

/// What a listing shows of a payload: a message to an account carries a one-time link, which
/// only its addressee may see (an admin listing deliveries could otherwise take over the
/// account); the link is hidden, the rest shown.
fn shown(kind: NotificationKind, mut payload: serde_json::Value) -> serde_json::Value {
    if kind.is_account_message()
        && let Some(link) = payload.get_mut("link")
    {
        *link = serde_json::Value::String("(hidden: a one-time link)".into());
    }
    payload
}
