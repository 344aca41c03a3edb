//! [`BookingsProjection`]: booking events → the booking document and its day-sheet entry.

use chrono::{DateTime, SecondsFormat, Utc};
use holdfast_domain::booking::{BookingEvent, BookingKeys, BookingStatus, Reminder};
use holdfast_domain::common::Slot;
use holdfast_eventstore::StoredEvent;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    created_partition, day_partition, doc_key, guest_partition, guests_partition,
    waitlist_partition,
};
use crate::models::{decode, money};
use crate::projection::{Projection, ProjectionError};
use crate::store::{Attrs, GSI1_PK, GSI1_SK, Key, Patch, Table};

/// Projects booking events into [`Table::Bookings`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BookingsProjection;

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn instant(at: &DateTime<Utc>) -> Value {
    json!(at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

fn slots_json(slots: &[Slot]) -> Value {
    Value::Array(slots.iter().map(|s| json!(s.to_string())).collect())
}

/// Builds the patches of one event: the document's attributes, and the day-sheet entry when
/// the event carries slots.
struct Patches {
    keys: BookingKeys,
    doc: Attrs,
    day: Option<(Vec<Slot>, bool)>,
    /// The waitlist entry: `Some(true)` while waiting or offered, `Some(false)` once it left.
    waitlist: Option<bool>,
    /// The business's guest index: `Some(at)` when the booking was created.
    guest_seen: Option<String>,
}

impl Patches {
    fn new(keys: &BookingKeys) -> Self {
        let mut doc = Attrs::new();
        doc.insert("booking_id".into(), json!(keys.booking_id.to_string()));
        doc.insert("tenant_id".into(), json!(keys.tenant_id.to_string()));
        doc.insert("listing_id".into(), json!(keys.listing_id.to_string()));
        doc.insert("inventory_id".into(), json!(keys.inventory_id.to_string()));
        doc.insert("guest_id".into(), json!(keys.guest_id.to_string()));
        Self {
            keys: *keys,
            doc,
            day: None,
            waitlist: None,
            guest_seen: None,
        }
    }

    /// The booking is (`true`) or is no longer (`false`) on its inventory's waitlist.
    fn waitlisted(&mut self, live: bool) -> &mut Self {
        self.waitlist = Some(live);
        self
    }

    fn set(&mut self, name: &str, value: Value) -> &mut Self {
        self.doc.insert(name.to_owned(), value);
        self
    }

    fn status(&mut self, status: BookingStatus) -> &mut Self {
        self.set("status", to_json(&status))
    }

    /// The booking was created at `at`: the by-guest index entry.
    fn created(&mut self, at: &DateTime<Utc>) -> &mut Self {
        let at_text = at.to_rfc3339_opts(SecondsFormat::Micros, true);
        self.guest_seen = Some(at_text.clone());
        self.set("created_at", json!(at_text));
        self.set(
            GSI1_PK,
            json!(guest_partition(&self.keys.guest_id.to_string())),
        );
        let sk = format!("{at_text}#{}", self.keys.booking_id);
        self.set(GSI1_SK, json!(sk))
    }

    /// The event carries the booking's slots; `live` says whether it stays on the day sheet.
    fn slots(&mut self, slots: &[Slot], live: bool) -> &mut Self {
        if !slots.is_empty() {
            self.set("slots", slots_json(slots));
            self.day = Some((slots.to_vec(), live));
        }
        self
    }

    fn finish(self) -> Vec<Patch> {
        let mut patches = Vec::with_capacity(2);
        if let Some((slots, live)) = &self.day
            && let Some(first) = slots.iter().min()
        {
            let first_text = first.to_string();
            let date = first.date.format("%Y-%m-%d").to_string();
            let mut day = Attrs::new();
            for name in [
                "booking_id",
                "tenant_id",
                "listing_id",
                "inventory_id",
                "guest_id",
                "status",
                "slots",
                "party_size",
                "quantity",
                "starts_at",
                "ends_at",
                "created_at",
                "totals",
            ] {
                if let Some(v) = self.doc.get(name) {
                    day.insert(name.to_owned(), v.clone());
                }
            }
            day.insert("first_slot".into(), json!(first_text));
            day.insert("deleted".into(), json!(!live));
            patches.push(Patch::set(
                Key::new(
                    day_partition(&self.keys.tenant_id.to_string(), &date),
                    format!("{first_text}#{}", self.keys.booking_id),
                ),
                day,
            ));
        }
        if let Some(live) = self.waitlist {
            let mut entry = Attrs::new();
            for name in [
                "booking_id",
                "tenant_id",
                "listing_id",
                "inventory_id",
                "guest_id",
                "status",
                "party_size",
                "quantity",
                "wanted",
                "wanted_time",
                "slot_count",
                "waitlisted_at",
                "offer_expires_at",
            ] {
                if let Some(v) = self.doc.get(name) {
                    entry.insert(name.to_owned(), v.clone());
                }
            }
            entry.insert("deleted".into(), json!(!live));
            patches.push(Patch::set(
                Key::new(
                    waitlist_partition(&self.keys.inventory_id.to_string()),
                    self.keys.booking_id.to_string(),
                ),
                entry,
            ));
        }
        if let Some(at) = &self.guest_seen {
            // The business's bookings by when they were made (UTC date partitions).
            patches.push(Patch::set(
                Key::new(
                    created_partition(
                        &self.keys.tenant_id.to_string(),
                        at.get(..10).unwrap_or_default(),
                    ),
                    format!("{at}#{}", self.keys.booking_id),
                ),
                crate::models::attrs([
                    ("booking_id", json!(self.keys.booking_id.to_string())),
                    ("created_at", json!(at)),
                ]),
            ));
            patches.push(Patch::set(
                Key::new(
                    guests_partition(&self.keys.tenant_id.to_string()),
                    self.keys.guest_id.to_string(),
                ),
                crate::models::attrs([
                    ("guest_id", json!(self.keys.guest_id.to_string())),
                    ("tenant_id", json!(self.keys.tenant_id.to_string())),
                    ("last_booking_id", json!(self.keys.booking_id.to_string())),
                    ("last_booked_at", json!(at)),
                ]),
            ));
        }
        patches.push(Patch::set(
            doc_key(&self.keys.booking_id.to_string()),
            self.doc,
        ));
        patches
    }
}

impl Projection for BookingsProjection {
    fn table(&self) -> Table {
        Table::Bookings
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        if event.aggregate_type != "Booking" {
            return Ok(Vec::new());
        }
        let decoded: BookingEvent = decode(event)?;
        let mut p = Patches::new(decoded.keys());
        match &decoded {
            BookingEvent::BookingRequested {
                party_size,
                quantity,
                slots,
                lines,
                starts_at,
                ends_at,
                totals,
                requested_at,
                status,
                ..
            } => {
                p.created(requested_at)
                    .set("requested_at", instant(requested_at))
                    .set("party_size", json!(party_size.get()))
                    .set("quantity", json!(quantity.get()))
                    .set("lines", to_json(lines))
                    .set("starts_at", instant(starts_at))
                    .set("ends_at", instant(ends_at))
                    .set("totals", to_json(totals))
                    .status(*status)
                    .slots(slots, true);
            }
            BookingEvent::BookingHeld {
                slots,
                starts_at,
                hold_expires_at,
                held_at,
                status,
                ..
            } => {
                p.set("starts_at", instant(starts_at))
                    .set("hold_expires_at", instant(hold_expires_at))
                    .set("held_at", instant(held_at))
                    .status(*status)
                    .slots(slots, true);
            }
            BookingEvent::BookingCouponApplied {
                coupon,
                totals,
                applied_at,
                ..
            } => {
                p.set("coupon", to_json(coupon))
                    .set("totals", to_json(totals))
                    .set("coupon_applied_at", instant(applied_at));
            }
            BookingEvent::BookingPointsApplied { points, totals, .. } => {
                p.set("points", to_json(points))
                    .set("totals", to_json(totals));
            }
            BookingEvent::BookingRejected {
                slots,
                reason,
                rejected_at,
                status,
                ..
            } => {
                p.set("rejection", to_json(reason))
                    .set("rejected_at", instant(rejected_at))
                    .status(*status)
                    .slots(slots, false);
            }
            BookingEvent::BookingPaymentReceived {
                payment,
                total_paid,
                ..
            } => {
                p.set("last_payment", to_json(payment))
                    .set("total_paid", money(*total_paid));
            }
            BookingEvent::BookingConfirmed {
                party_size,
                quantity,
                slots,
                starts_at,
                ends_at,
                totals,
                confirmed_at,
                status,
                ..
            } => {
                p.set("party_size", json!(party_size.get()))
                    .set("quantity", json!(quantity.get()))
                    .set("starts_at", instant(starts_at))
                    .set("ends_at", instant(ends_at))
                    .set("totals", to_json(totals))
                    .set("confirmed_at", instant(confirmed_at))
                    .status(*status)
                    .slots(slots, true);
            }
            BookingEvent::BookingLatePaymentReceived {
                payment,
                status,
                refund_due,
                total_paid,
                received_at,
                ..
            } => {
                p.set("last_payment", to_json(payment))
                    .set("refund_due", money(*refund_due))
                    .set("total_paid", money(*total_paid))
                    .set("late_payment_at", instant(received_at))
                    .status(*status);
            }
            BookingEvent::BookingExpired {
                slots,
                hold_expires_at,
                expired_at,
                status,
                ..
            } => {
                p.set("hold_expires_at", instant(hold_expires_at))
                    .set("expired_at", instant(expired_at))
                    .status(*status)
                    .slots(slots, false);
            }
            BookingEvent::BookingCancelled {
                slots,
                starts_at,
                cancellation,
                total_paid,
                refund_due,
                status,
                ..
            } => {
                p.set("cancellation", to_json(cancellation))
                    .set("cancelled_at", instant(&cancellation.at))
                    .status(*status);
                if let Some(at) = starts_at {
                    p.set("starts_at", instant(at));
                }
                if let Some(paid) = total_paid {
                    p.set("total_paid", money(*paid));
                }
                if let Some(due) = refund_due {
                    p.set("refund_due", money(*due));
                }
                if matches!(
                    cancellation.from,
                    BookingStatus::Waitlisted | BookingStatus::Offered
                ) {
                    p.waitlisted(false);
                }
                let live = matches!(
                    cancellation.from,
                    BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::NoShow
                );
                p.slots(slots, live);
            }
            BookingEvent::BookingRefunded {
                refund,
                total_refunded,
                total_paid,
                ..
            } => {
                p.set("last_refund", to_json(refund))
                    .set("total_refunded", money(*total_refunded))
                    .set("total_paid", money(*total_paid));
            }
            BookingEvent::BookingCheckedIn {
                slots,
                starts_at,
                checked_in_at,
                status,
                ..
            } => {
                p.set("starts_at", instant(starts_at))
                    .set("checked_in_at", instant(checked_in_at))
                    .status(*status)
                    .slots(slots, true);
            }
            BookingEvent::BookingMarkedNoShow {
                slots,
                starts_at,
                no_show_refund_bp,
                retained,
                refund_due,
                marked_at,
                status,
                ..
            } => {
                p.set("starts_at", instant(starts_at))
                    .set("no_show_refund_bp", json!(no_show_refund_bp))
                    .set("retained", money(*retained))
                    .set("refund_due", money(*refund_due))
                    .set("no_show_at", instant(marked_at))
                    .status(*status)
                    .slots(slots, true);
            }
            BookingEvent::BookingWaitlisted {
                party_size,
                quantity,
                wanted,
                time,
                slot_count,
                waitlisted_at,
                status,
                ..
            } => {
                p.created(waitlisted_at)
                    .set("waitlisted_at", instant(waitlisted_at))
                    .set("party_size", json!(party_size.get()))
                    .set("quantity", json!(quantity.get()))
                    .set("wanted", to_json(wanted))
                    .set("wanted_time", to_json(time))
                    .set("slot_count", json!(slot_count))
                    .status(*status)
                    .waitlisted(true);
            }
            BookingEvent::BookingOffered {
                slots,
                lines,
                starts_at,
                ends_at,
                totals,
                offer_expires_at,
                offered_at,
                status,
                ..
            } => {
                p.set("lines", to_json(lines))
                    .set("starts_at", instant(starts_at))
                    .set("ends_at", instant(ends_at))
                    .set("totals", to_json(totals))
                    .set("offer_expires_at", instant(offer_expires_at))
                    .set("offered_at", instant(offered_at))
                    .status(*status)
                    .slots(slots, true)
                    .waitlisted(true);
            }
            BookingEvent::BookingOfferAccepted { accepted_at, .. } => {
                p.set("offer_accepted_at", instant(accepted_at))
                    .waitlisted(false);
            }
            BookingEvent::BookingOfferDeclined {
                slots,
                declined_at,
                status,
                ..
            } => {
                p.set("offer_declined_at", instant(declined_at))
                    .status(*status)
                    .slots(slots, false)
                    .waitlisted(false);
            }
            BookingEvent::BookingOfferExpired {
                slots,
                offer_expires_at,
                expired_at,
                status,
                ..
            } => {
                p.set("offer_expires_at", instant(offer_expires_at))
                    .set("expired_at", instant(expired_at))
                    .status(*status)
                    .slots(slots, false)
                    .waitlisted(false);
            }
            BookingEvent::BookingReminded {
                reminder,
                reminded_at,
                ..
            } => {
                let field = match reminder {
                    Reminder::Upcoming => "reminded_at",
                    Reminder::HoldExpiring => "hold_warned_at",
                };
                p.set(field, instant(reminded_at));
            }
        }
        Ok(p.finish())
    }
}
