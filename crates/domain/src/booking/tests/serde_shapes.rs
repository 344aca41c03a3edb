//! JSON: every event round-trips; the stored shape of `BookingConfirmed` is pinned; the
//! newtypes refuse invalid values at the edge (including when deserialising).

use cqrs_es::DomainEvent;
use serde_json::json;

use super::*;
use crate::booking::BookingStatus::*;

/// One event of every kind.
fn every_event() -> Vec<BookingEvent> {
    let mut events = vec![
        requested(),
        held(),
        coupon_applied(3_000),
        BookingEvent::BookingRejected {
            booking: keys(),
            slots: slots(),
            reason: RejectionReason::PolicyViolation {
                rule: label("LEAD_TIME"),
            },
            coupon_to_restore: Some(coupon(3_000)),
            rejected_at: now(),
            status: Rejected,
        },
        payment_received(),
        confirmed_event(totals(30_000, 0)),
        BookingEvent::BookingLatePaymentReceived {
            booking: keys(),
            payment: payment("pi_2", eur(30_000)),
            status: Expired,
            refund_due: eur(30_000),
            total_paid: eur(30_000),
            received_at: now(),
        },
        BookingEvent::BookingExpired {
            booking: keys(),
            slots: slots(),
            hold_expires_at: hold_expiry(),
            coupon_to_restore: None,
            expired_at: hold_expiry(),
            status: Expired,
        },
        cancelled_event(
            Confirmed,
            CancelledBy::Operator,
            CancellationReason::ListingUnavailable,
            Some((30_000, 15_000)),
        ),
        BookingEvent::BookingRefunded {
            booking: keys(),
            refund: Refund {
                reference: label("re_1"),
                amount: eur(15_000),
                refunded_at: now(),
            },
            total_refunded: eur(15_000),
            total_paid: eur(30_000),
        },
        BookingEvent::BookingCheckedIn {
            booking: keys(),
            slots: slots(),
            starts_at: t(STARTS),
            checked_in_at: t(STARTS),
            status: CheckedIn,
        },
        BookingEvent::BookingMarkedNoShow {
            booking: keys(),
            slots: slots(),
            starts_at: t(STARTS),
            no_show_refund_bp: 2_500,
            retained: eur(22_500),
            refund_due: eur(7_500),
            marked_at: t(ENDS),
            status: NoShow,
        },
        waitlisted(),
        offered(),
        BookingEvent::BookingOfferAccepted {
            booking: keys(),
            accepted_at: now(),
        },
        BookingEvent::BookingOfferDeclined {
            booking: keys(),
            slots: slots(),
            declined_at: now(),
            status: Cancelled,
        },
        BookingEvent::BookingOfferExpired {
            booking: keys(),
            slots: slots(),
            offer_expires_at: offer_expiry(),
            expired_at: offer_expiry(),
            status: Expired,
        },
        BookingEvent::BookingReminded {
            booking: keys(),
            reminder: Reminder::HoldExpiring,
            party_size: PartySize::parse(2).unwrap(),
            total: eur(30_000),
            starts_at: t(STARTS),
            hold_expires_at: Some(hold_expiry()),
            reminded_at: now(),
        },
    ];
    // A time-slot booking, so `"2026-12-24T18:30"` slots are covered too.
    if let BookingEvent::BookingWaitlisted { time, .. } = &mut events[12] {
        *time = Some(NaiveTime::from_hms_opt(18, 30, 0).unwrap());
    }
    events
}

#[test]
fn every_event_round_trips_through_json() {
    let events = every_event();
    let names: std::collections::BTreeSet<_> = events.iter().map(|e| e.name()).collect();
    assert_eq!(names.len(), 18, "one of each kind");
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        let back: BookingEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
        assert_eq!(event.event_type(), event.name());
        assert_eq!(event.event_version(), "1.0");
        assert!(
            json.starts_with(&format!("{{\"{}\":", event.name())),
            "{json}"
        );
        assert_eq!(event.keys(), &keys());
    }
}

#[test]
fn booking_confirmed_json_shape_is_pinned() {
    let event = confirmed_event(totals(30_000, 3_000));
    let expected = json!({
        "BookingConfirmed": {
            "booking": {
                "booking_id": "01JF0000000000000000000001",
                "tenant_id": "01JF0000000000000000000002",
                "listing_id": "01JF0000000000000000000003",
                "inventory_id": "01JF0000000000000000000004",
                "guest_id": "01JF0000000000000000000005"
            },
            "party_size": 2,
            "quantity": 1,
            "slots": ["2026-12-24", "2026-12-25"],
            "starts_at": "2026-12-24T14:00:00Z",
            "ends_at": "2026-12-26T10:00:00Z",
            "totals": {
                "subtotal": {"amount_minor": 30000, "currency": "EUR"},
                "discount": {"amount_minor": 3000, "currency": "EUR"},
                "total": {"amount_minor": 27000, "currency": "EUR"}
            },
            "confirmed_at": "2026-12-01T10:00:00Z",
            "status": "Confirmed"
        }
    });
    assert_eq!(serde_json::to_value(&event).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<BookingEvent>(expected).unwrap(),
        event
    );
}

#[test]
fn booking_reminded_json_shape_is_pinned() {
    let event = BookingEvent::BookingReminded {
        booking: keys(),
        reminder: Reminder::Upcoming,
        party_size: PartySize::parse(2).unwrap(),
        total: eur(30_000),
        starts_at: t(STARTS),
        hold_expires_at: None,
        reminded_at: t("2026-12-23T14:00:00Z"),
    };
    let expected = json!({
        "BookingReminded": {
            "booking": {
                "booking_id": "01JF0000000000000000000001",
                "tenant_id": "01JF0000000000000000000002",
                "listing_id": "01JF0000000000000000000003",
                "inventory_id": "01JF0000000000000000000004",
                "guest_id": "01JF0000000000000000000005"
            },
            "reminder": "Upcoming",
            "party_size": 2,
            "total": {"amount_minor": 30000, "currency": "EUR"},
            "starts_at": "2026-12-24T14:00:00Z",
            "hold_expires_at": null,
            "reminded_at": "2026-12-23T14:00:00Z"
        }
    });
    assert_eq!(serde_json::to_value(&event).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<BookingEvent>(expected).unwrap(),
        event
    );
}

#[test]
fn booking_requested_json_shape_is_pinned() {
    let expected = json!({
        "BookingRequested": {
            "booking": {
                "booking_id": "01JF0000000000000000000001",
                "tenant_id": "01JF0000000000000000000002",
                "listing_id": "01JF0000000000000000000003",
                "inventory_id": "01JF0000000000000000000004",
                "guest_id": "01JF0000000000000000000005"
            },
            "party_size": 2,
            "quantity": 1,
            "slots": ["2026-12-24", "2026-12-25"],
            "lines": [
                {
                    "slot": "2026-12-24",
                    "unit_price": {"amount_minor": 15000, "currency": "EUR"},
                    "quantity": 1,
                    "amount": {"amount_minor": 15000, "currency": "EUR"}
                },
                {
                    "slot": "2026-12-25",
                    "unit_price": {"amount_minor": 15000, "currency": "EUR"},
                    "quantity": 1,
                    "amount": {"amount_minor": 15000, "currency": "EUR"}
                }
            ],
            "starts_at": "2026-12-24T14:00:00Z",
            "ends_at": "2026-12-26T10:00:00Z",
            "cancellation": [
                {"min_notice_hours": 72, "refund_bp": 10000},
                {"min_notice_hours": 24, "refund_bp": 5000}
            ],
            "totals": {
                "subtotal": {"amount_minor": 30000, "currency": "EUR"},
                "discount": {"amount_minor": 0, "currency": "EUR"},
                "total": {"amount_minor": 30000, "currency": "EUR"}
            },
            "requested_at": "2026-12-01T10:00:00Z",
            "status": "Requested"
        }
    });
    assert_eq!(serde_json::to_value(requested()).unwrap(), expected);
}

#[test]
fn reasons_serialise_as_codes() {
    assert_eq!(
        serde_json::to_value(RejectionReason::SoldOut).unwrap(),
        json!({"code": "SoldOut"})
    );
    assert_eq!(
        serde_json::to_value(RejectionReason::PolicyViolation {
            rule: label("MIN_STAY")
        })
        .unwrap(),
        json!({"code": "PolicyViolation", "rule": "MIN_STAY"})
    );
    assert_eq!(
        serde_json::to_value(CancellationReason::OfferDeclined).unwrap(),
        json!("OfferDeclined")
    );
    assert_eq!(
        serde_json::to_value(CancelledBy::Guest).unwrap(),
        json!("Guest")
    );
}

#[test]
fn commands_round_trip_through_json() {
    let commands = vec![
        BookingCommand::RequestBooking(request_cmd()),
        BookingCommand::JoinWaitlist(join_cmd(None, 2)),
        BookingCommand::OfferSlot(offer_cmd()),
        pay_cmd("pi_1", eur(30_000)),
        BookingCommand::mark_no_show(),
    ];
    for command in commands {
        let json = serde_json::to_value(&command).unwrap();
        assert_eq!(
            serde_json::from_value::<BookingCommand>(json).unwrap(),
            command
        );
    }
    // The no-show share defaults to nothing refunded.
    assert_eq!(
        serde_json::from_value::<BookingCommand>(json!({"MarkNoShow": {}})).unwrap(),
        BookingCommand::mark_no_show()
    );
}

#[test]
fn it_should_refuse_invalid_values_at_the_edge() {
    for bad in [0, -1, 10_001, i64::MAX, i64::MIN] {
        assert!(matches!(
            PartySize::parse(bad),
            Err(BookingValueError::PartySizeOutOfRange { got, min: 1, max: 10_000 }) if got == bad
        ));
        assert!(matches!(
            Quantity::parse(bad),
            Err(BookingValueError::QuantityOutOfRange { .. })
        ));
    }
    assert_eq!(PartySize::parse(10_000).unwrap().get(), 10_000);
    assert_eq!(Label::parse(""), Err(BookingValueError::EmptyLabel));
    assert_eq!(Label::parse(" pi_1"), Err(BookingValueError::LabelNotClean));
    assert_eq!(Label::parse("pi\n1"), Err(BookingValueError::LabelNotClean));
    assert_eq!(
        Label::parse(&"x".repeat(129)),
        Err(BookingValueError::LabelTooLong { len: 129, max: 128 })
    );
    assert!(Label::parse(&"é".repeat(128)).is_ok());
    // Deserialisation goes through the same checks.
    assert!(serde_json::from_value::<PartySize>(json!(0)).is_err());
    assert!(serde_json::from_value::<Quantity>(json!(1e20)).is_err());
    assert!(serde_json::from_value::<Label>(json!("")).is_err());
    let mut event = serde_json::to_value(requested()).unwrap();
    event["BookingRequested"]["party_size"] = json!(0);
    assert!(serde_json::from_value::<BookingEvent>(event).is_err());
}

#[test]
fn an_empty_booking_serialises_and_has_no_status() {
    let booking = Booking::default();
    assert_eq!(booking.status(), None);
    let json = serde_json::to_string(&booking).unwrap();
    assert_eq!(serde_json::from_str::<Booking>(&json).unwrap(), booking);
}
