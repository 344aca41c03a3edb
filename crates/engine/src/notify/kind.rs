//! Which events become notifications, and what they say.
//!
//! | kind | from |
//! |---|---|
//! | `confirmed` | `BookingConfirmed` |
//! | `cancelled` | `BookingCancelled`, `BookingOfferDeclined` |
//! | `offered` | `BookingOffered` (a waitlist offer) |
//! | `expired` | `BookingExpired` (`data.what = "hold"`), `BookingOfferExpired` (`"offer"`) |
//! | `refunded` | `BookingRefunded` |
//! | `rejected` | `BookingRejected` |
//! | `late_payment` | `BookingLatePaymentReceived` |
//! | `waitlisted` | `BookingWaitlisted` (`data.wanted_from`, `data.wanted_to`: local dates) |
//! | `reminder` | `BookingReminded` (`Upcoming`): the booking starts soon |
//! | `hold_expiring` | `BookingReminded` (`HoldExpiring`): an unpaid hold runs out soon |
//!
//! A notification's id is its source event's stable id, `<booking id>:<sequence>`: the same
//! event always gives the same id, which is what receivers deduplicate on
//! (`Holdfast-Event-Id`). The payload:
//!
//! ```json
//! {"id": "01J…:7", "kind": "confirmed", "event_type": "BookingConfirmed",
//!  "occurred_at": "2030-01-07T09:00:00Z", "position": "1234.56",
//!  "booking_id": "…", "tenant_id": "…", "listing_id": "…", "inventory_id": "…", "guest_id": "…",
//!  "data": { … per kind: slots, starts_at, totals, refund amounts, expiries … }}
//! ```
//!
//! Amounts are `{"amount_minor": 1250, "currency": "EUR"}`; instants RFC 3339 UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use cqrs_es::Aggregate;
use holdfast_domain::booking::{Booking, BookingEvent, BookingKeys, Reminder};
use holdfast_eventstore::{Position, StoredEvent};
use serde::Serialize;
use serde_json::{Value, json};

use super::NotifyError;

/// What a notification tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// The booking is paid and confirmed.
    Confirmed,
    /// The booking was cancelled (also a declined waitlist offer).
    Cancelled,
    /// A waitlisted guest is offered slots, until an expiry.
    Offered,
    /// A hold or an offer ran out.
    Expired,
    /// Money was given back.
    Refunded,
    /// Placement failed.
    Rejected,
    /// A payment arrived that can no longer confirm the booking (a refund is due).
    LatePayment,
    /// A guest joined a waitlist.
    Waitlisted,
    /// A confirmed booking starts soon (the worker's reminder).
    Reminder,
    /// An unpaid hold runs out soon.
    HoldExpiring,
    /// An account's e-mail verification link (no source event: see
    /// [`super::store::OutboxStore::enqueue_message`]).
    VerifyEmail,
    /// An account's password reset link (no source event).
    ResetPassword,
    /// An invitation to join a business (no source event: the link carries a secret).
    Invitation,
    /// Watched sold-out slots freed up (`WatchAlerted`).
    AvailabilityAlert,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 14] = [
        Self::Confirmed,
        Self::Cancelled,
        Self::Offered,
        Self::Expired,
        Self::Refunded,
        Self::Rejected,
        Self::LatePayment,
        Self::Waitlisted,
        Self::Reminder,
        Self::HoldExpiring,
        Self::VerifyEmail,
        Self::ResetPassword,
        Self::Invitation,
        Self::AvailabilityAlert,
    ];

    /// The wire name (`late_payment`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Offered => "offered",
            Self::Expired => "expired",
            Self::Refunded => "refunded",
            Self::Rejected => "rejected",
            Self::LatePayment => "late_payment",
            Self::Waitlisted => "waitlisted",
            Self::Reminder => "reminder",
            Self::HoldExpiring => "hold_expiring",
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::Invitation => "invitation",
            Self::AvailabilityAlert => "availability_alert",
        }
    }
}

impl NotificationKind {
    /// The kinds a guest may turn off: what a booking does not need to reach them (a
    /// confirmation, a cancellation, a rejection, money moving always do; so do account
    /// messages).
    pub const OPTIONAL: [NotificationKind; 6] = [
        Self::Waitlisted,
        Self::Offered,
        Self::Expired,
        Self::Reminder,
        Self::HoldExpiring,
        Self::AvailabilityAlert,
    ];

    /// Whether a guest may turn this kind off.
    pub fn optional(self) -> bool {
        Self::OPTIONAL.contains(&self)
    }

    /// Whether this is a message to an account rather than about a booking.
    pub fn is_account_message(self) -> bool {
        matches!(
            self,
            Self::VerifyEmail | Self::ResetPassword | Self::Invitation
        )
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotificationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown notification kind `{s}`"))
    }
}

/// One notification, built from one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// `<booking id>:<sequence>` of the source event.
    pub id: String,
    /// What it tells.
    pub kind: NotificationKind,
    /// The booking's tenant.
    pub tenant_id: String,
    /// The booking.
    pub booking_id: String,
    /// The source event's log position.
    pub position: Position,
    /// The JSON sent to sinks.
    pub payload: Value,
}

/// The stable id of a stored event: `<aggregate id>:<sequence>`.
pub fn notification_id(event: &StoredEvent) -> String {
    format!("{}:{}", event.aggregate_id, event.sequence)
}

fn instant(at: &DateTime<Utc>) -> Value {
    json!(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// An availability alert (`WatchAlerted`): the watch's id stands where a booking's would (the
/// payload's `watch_id`; `booking_id` is null), `data` says what freed up.
fn from_watch_event(event: &StoredEvent) -> Result<Option<Notification>, NotifyError> {
    use holdfast_domain::watch::WatchEvent;
    let decoded: WatchEvent =
        serde_json::from_value(event.payload.clone()).map_err(|e| NotifyError::Decode {
            event_type: event.event_type.clone(),
            position: event.position.to_string(),
            reason: e.to_string(),
        })?;
    let WatchEvent::WatchAlerted {
        watch_id,
        terms,
        free,
        alert,
        at,
        ..
    } = decoded
    else {
        return Ok(None);
    };
    let (Some(first), Some(last)) = (terms.slots.first(), terms.slots.last()) else {
        return Ok(None);
    };
    let id = notification_id(event);
    let payload = json!({
        "id": id,
        "kind": NotificationKind::AvailabilityAlert.as_str(),
        "event_type": event.event_type,
        "occurred_at": instant(&at),
        "position": event.position.to_string(),
        "booking_id": null,
        "watch_id": watch_id,
        "tenant_id": terms.tenant_id.to_string(),
        "listing_id": terms.listing_id.to_string(),
        "inventory_id": terms.inventory_id.to_string(),
        "guest_id": terms.guest_id.to_string(),
        "data": {"wanted_from": first.date.to_string(), "wanted_to": last.date.to_string(),
                 "time": first.time.map(|t| t.format("%H:%M").to_string()),
                 "slots": value(&terms.slots), "party_size": terms.party_size,
                 "quantity": terms.quantity, "free": free, "alert": alert,
                 "starts_at": instant(&terms.expires_at)},
    });
    Ok(Some(Notification {
        id,
        kind: NotificationKind::AvailabilityAlert,
        tenant_id: terms.tenant_id.to_string(),
        booking_id: watch_id,
        position: event.position,
        payload,
    }))
}

/// The notification `event` gives, if any. Events of other aggregates, and booking events no
/// one is notified of, give `None`; a booking event that does not decode is an error (the
/// outbox stops rather than skip a notification silently).
pub fn from_event(event: &StoredEvent) -> Result<Option<Notification>, NotifyError> {
    if event.aggregate_type == holdfast_domain::watch::Watch::TYPE {
        return from_watch_event(event);
    }
    if event.aggregate_type != Booking::TYPE {
        return Ok(None);
    }
    let decoded: BookingEvent =
        serde_json::from_value(event.payload.clone()).map_err(|e| NotifyError::Decode {
            event_type: event.event_type.clone(),
            position: event.position.to_string(),
            reason: e.to_string(),
        })?;
    use BookingEvent as E;
    use NotificationKind as K;
    let (kind, at, data) = match &decoded {
        E::BookingConfirmed {
            party_size,
            quantity,
            slots,
            starts_at,
            ends_at,
            totals,
            confirmed_at,
            ..
        } => (
            K::Confirmed,
            confirmed_at,
            json!({"slots": value(slots), "starts_at": instant(starts_at),
                   "ends_at": instant(ends_at), "party_size": party_size.get(),
                   "quantity": quantity.get(), "totals": value(totals)}),
        ),
        E::BookingCancelled {
            slots,
            starts_at,
            cancellation,
            total_paid,
            refund_due,
            ..
        } => (
            K::Cancelled,
            &cancellation.at,
            json!({"slots": value(slots), "starts_at": starts_at.as_ref().map(instant),
                   "by": value(&cancellation.by), "reason": value(&cancellation.reason),
                   "from": value(&cancellation.from), "total_paid": value(total_paid),
                   "refund_due": value(refund_due)}),
        ),
        E::BookingOfferDeclined {
            slots, declined_at, ..
        } => (
            K::Cancelled,
            declined_at,
            json!({"slots": value(slots), "by": "Guest", "reason": "OfferDeclined",
                   "from": "Offered", "total_paid": null, "refund_due": null}),
        ),
        E::BookingOffered {
            slots,
            starts_at,
            ends_at,
            totals,
            offer_expires_at,
            offered_at,
            ..
        } => (
            K::Offered,
            offered_at,
            json!({"slots": value(slots), "starts_at": instant(starts_at),
                   "ends_at": instant(ends_at), "totals": value(totals),
                   "offer_expires_at": instant(offer_expires_at)}),
        ),
        E::BookingExpired {
            slots,
            hold_expires_at,
            expired_at,
            ..
        } => (
            K::Expired,
            expired_at,
            json!({"what": "hold", "slots": value(slots),
                   "expires_at": instant(hold_expires_at)}),
        ),
        E::BookingOfferExpired {
            slots,
            offer_expires_at,
            expired_at,
            ..
        } => (
            K::Expired,
            expired_at,
            json!({"what": "offer", "slots": value(slots),
                   "expires_at": instant(offer_expires_at)}),
        ),
        E::BookingRefunded {
            refund,
            total_refunded,
            total_paid,
            ..
        } => (
            K::Refunded,
            &refund.refunded_at,
            json!({"reference": refund.reference.as_str(), "amount": value(&refund.amount),
                   "total_refunded": value(total_refunded), "total_paid": value(total_paid)}),
        ),
        E::BookingRejected {
            slots,
            reason,
            rejected_at,
            ..
        } => (
            K::Rejected,
            rejected_at,
            json!({"slots": value(slots), "reason": value(reason)}),
        ),
        E::BookingLatePaymentReceived {
            payment,
            status,
            refund_due,
            total_paid,
            received_at,
            ..
        } => (
            K::LatePayment,
            received_at,
            json!({"payment": value(payment), "booking_status": value(status),
                   "refund_due": value(refund_due), "total_paid": value(total_paid)}),
        ),
        E::BookingWaitlisted {
            party_size,
            wanted,
            time,
            waitlisted_at,
            ..
        } => (
            K::Waitlisted,
            waitlisted_at,
            json!({"wanted_from": wanted.from.to_string(),
                   "wanted_to": wanted.to.pred_opt().unwrap_or(wanted.to).to_string(),
                   "time": time.map(|t| t.format("%H:%M").to_string()),
                   "party_size": party_size.get()}),
        ),
        E::BookingReminded {
            reminder,
            party_size,
            total,
            starts_at,
            hold_expires_at,
            reminded_at,
            ..
        } => (
            match reminder {
                Reminder::Upcoming => K::Reminder,
                Reminder::HoldExpiring => K::HoldExpiring,
            },
            reminded_at,
            json!({"starts_at": instant(starts_at), "party_size": party_size.get(),
                   "total": value(total),
                   "expires_at": hold_expires_at.as_ref().map(instant)}),
        ),
        _ => return Ok(None),
    };
    let keys: &BookingKeys = decoded.keys();
    let id = notification_id(event);
    let payload = json!({
        "id": id,
        "kind": kind.as_str(),
        "event_type": event.event_type,
        "occurred_at": instant(at),
        "position": event.position.to_string(),
        "booking_id": keys.booking_id.to_string(),
        "tenant_id": keys.tenant_id.to_string(),
        "listing_id": keys.listing_id.to_string(),
        "inventory_id": keys.inventory_id.to_string(),
        "guest_id": keys.guest_id.to_string(),
        "data": data,
    });
    Ok(Some(Notification {
        id,
        kind,
        tenant_id: keys.tenant_id.to_string(),
        booking_id: keys.booking_id.to_string(),
        position: event.position,
        payload,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in NotificationKind::ALL {
            assert_eq!(kind.as_str().parse::<NotificationKind>(), Ok(kind));
        }
        assert!("nope".parse::<NotificationKind>().is_err());
    }

    #[test]
    fn other_aggregates_give_nothing_and_garbage_is_an_error() {
        let mut event = StoredEvent {
            position: Position::new(0, 3),
            aggregate_type: "Inventory".into(),
            aggregate_id: "x".into(),
            sequence: 1,
            event_type: "InventoryDefined".into(),
            event_version: "1.0".into(),
            payload: json!({}),
            metadata: json!({}),
            recorded_at: Utc::now(),
        };
        assert_eq!(from_event(&event).unwrap(), None);
        event.aggregate_type = Booking::TYPE.into();
        event.event_type = "BookingConfirmed".into();
        assert!(matches!(
            from_event(&event),
            Err(NotifyError::Decode { .. })
        ));
    }
}
