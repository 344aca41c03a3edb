//! One test per [`PolicyError`], normalisation, and the stored JSON shape.

use chrono::{Duration, Weekday};
use serde_json::json;

use super::*;
use crate::common::{CancellationPolicy, RefundTier};

fn rejects(spec: PolicySpec, expected: PolicyError) {
    assert_eq!(BookingPolicy::new(spec), Err(expected));
}

#[test]
fn it_should_reject_slot_lengths_out_of_range() {
    for minutes in [0, 4, 1_441] {
        rejects(
            PolicySpec::time_slots(minutes, t("17:00"), t("21:00")),
            PolicyError::SlotMinutesOutOfRange {
                minutes,
                min: 5,
                max: 1_440,
            },
        );
    }
    assert!(BookingPolicy::new(PolicySpec::time_slots(1_440, t("00:00"), t("00:00"))).is_ok());
}

#[test]
fn it_should_reject_a_first_start_after_the_last() {
    rejects(
        PolicySpec::time_slots(30, t("21:00"), t("17:00")),
        PolicyError::FirstStartAfterLastStart {
            first_start: t("21:00"),
            last_start: t("17:00"),
        },
    );
}

#[test]
fn it_should_reject_times_with_seconds() {
    let odd = NaiveTime::from_hms_opt(15, 0, 30).unwrap();
    rejects(
        PolicySpec::nightly(odd, t("11:00")),
        PolicyError::TimeNotWholeMinute {
            field: "check_in",
            time: odd,
        },
    );
    let mut spec = hotel();
    spec.opens = Some(WindowOpening {
        days_before: 0,
        at: odd,
    });
    rejects(
        spec,
        PolicyError::TimeNotWholeMinute {
            field: "opens.at",
            time: odd,
        },
    );
}

#[test]
fn it_should_reject_durations_with_seconds() {
    let mut spec = hotel();
    spec.hold_duration = Duration::seconds(90);
    rejects(
        spec,
        PolicyError::DurationNotWholeMinutes {
            field: "hold_duration",
        },
    );
}

#[test]
fn it_should_reject_durations_out_of_range() {
    let mut spec = hotel();
    spec.min_lead = Duration::minutes(-1);
    rejects(
        spec,
        PolicyError::DurationOutOfRange {
            field: "min_lead",
            minutes: -1,
            min_minutes: 0,
            max_minutes: 365 * 24 * 60,
        },
    );
    for hold in [Duration::zero(), Duration::days(8)] {
        let mut spec = hotel();
        spec.hold_duration = hold;
        rejects(
            spec,
            PolicyError::DurationOutOfRange {
                field: "hold_duration",
                minutes: hold.num_minutes(),
                min_minutes: 1,
                max_minutes: 7 * 24 * 60,
            },
        );
    }
}

#[test]
fn it_should_reject_day_counts_too_large() {
    let mut spec = hotel();
    spec.max_advance_days = u32::MAX;
    rejects(
        spec,
        PolicyError::DaysTooLarge {
            field: "max_advance_days",
            days: u32::MAX,
            max: 3_700,
        },
    );
    let mut spec = hotel();
    spec.opens = Some(WindowOpening {
        days_before: 3_701,
        at: t("09:00"),
    });
    rejects(
        spec,
        PolicyError::DaysTooLarge {
            field: "opens.days_before",
            days: 3_701,
            max: 3_700,
        },
    );
}

#[test]
fn it_should_reject_a_min_stay_of_zero() {
    rejects(hotel().stays(0, 3), PolicyError::MinStayZero);
}

#[test]
fn it_should_reject_reversed_stay_bounds() {
    rejects(
        hotel().stays(5, 3),
        PolicyError::StayBoundsReversed { min: 5, max: 3 },
    );
}

#[test]
fn it_should_reject_a_max_stay_too_large() {
    rejects(
        hotel().stays(1, 3_701),
        PolicyError::MaxStayTooLarge {
            max: 3_701,
            limit: 3_700,
        },
    );
}

#[test]
fn it_should_reject_a_min_stay_the_slot_kind_cannot_reach() {
    rejects(
        PolicySpec::dated_event(t("20:00")).stays(2, 2),
        PolicyError::MinStayUnreachable {
            min_stay: 2,
            max_possible: 1,
        },
    );
    // 17:00..=21:30 every 30 minutes is ten slots.
    rejects(
        restaurant().stays(11, 11),
        PolicyError::MinStayUnreachable {
            min_stay: 11,
            max_possible: 10,
        },
    );
}

#[test]
fn it_should_reject_party_sizes_out_of_bounds() {
    assert_eq!(
        PartySize::parse(0),
        Err(PolicyError::PartySizeOutOfBounds { value: 0 })
    );
    assert_eq!(
        PartySize::parse(10_001),
        Err(PolicyError::PartySizeOutOfBounds { value: 10_001 })
    );
    assert_eq!(PartySize::parse(10_000).map(PartySize::get), Ok(10_000));
    assert_eq!(
        PartySizeRange::new(0, 4),
        Err(PolicyError::PartySizeOutOfBounds { value: 0 })
    );
    assert!(serde_json::from_value::<PartySize>(json!(0)).is_err());
}

#[test]
fn it_should_reject_a_reversed_party_range() {
    assert_eq!(
        PartySizeRange::new(6, 2),
        Err(PolicyError::PartySizeRangeReversed { min: 6, max: 2 })
    );
    assert!(serde_json::from_value::<PartySizeRange>(json!({"min": 6, "max": 2})).is_err());
}

#[test]
fn it_should_reject_a_buffer_too_large() {
    let mut spec = restaurant();
    spec.buffer_minutes = 1_441;
    rejects(
        spec,
        PolicyError::BufferTooLarge {
            buffer_minutes: 1_441,
            max: 1_440,
        },
    );
}

#[test]
fn it_should_reject_a_buffer_without_time_slots() {
    let mut spec = hotel();
    spec.buffer_minutes = 30;
    rejects(
        spec,
        PolicyError::BufferWithoutTimeSlots { buffer_minutes: 30 },
    );
}

#[test]
fn it_should_reject_closed_to_departure_without_nights() {
    let mut spec = restaurant();
    spec.closed_to_departure = ClosedDays::weekdays([Weekday::Mon]);
    rejects(spec, PolicyError::ClosedToDepartureWithoutNights);
}

#[test]
fn it_should_reject_too_many_entries() {
    let mut spec = hotel();
    spec.closed_to_arrival.dates = d("2026-01-01").iter_days().take(1_001).collect();
    rejects(
        spec,
        PolicyError::TooManyEntries {
            field: "closed_to_arrival.dates",
            count: 1_001,
            max: 1_000,
        },
    );
    let mut spec = hotel();
    let one = DateRange::new(d("2026-01-01"), d("2026-01-02")).unwrap();
    spec.blackout = vec![one; 1_001];
    rejects(
        spec,
        PolicyError::TooManyEntries {
            field: "blackout",
            count: 1_001,
            max: 1_000,
        },
    );
}

#[test]
fn it_should_reject_an_invalid_blackout_range() {
    let mut spec = hotel();
    // DateRange's fields are public, so a reversed one can be built (or deserialised).
    spec.blackout = vec![DateRange {
        from: d("2026-01-05"),
        to: d("2026-01-01"),
    }];
    rejects(
        spec,
        PolicyError::InvalidBlackout(crate::common::SlotError::EmptyRange {
            from: d("2026-01-05"),
            to: d("2026-01-01"),
        }),
    );
}

#[test]
fn it_should_reject_a_guest_cap_of_zero() {
    let mut spec = hotel();
    spec.per_guest_active_cap = Some(0);
    rejects(spec, PolicyError::GuestCapZero);
}

#[test]
fn a_policy_is_normalised_and_starts_at_version_1() {
    let mut spec = hotel();
    spec.closed_to_arrival = ClosedDays {
        weekdays: vec![Weekday::Sun, Weekday::Mon, Weekday::Sun],
        dates: vec![d("2026-12-25"), d("2026-12-24"), d("2026-12-25")],
    };
    let p = policy(spec);
    assert_eq!(p.version(), 1);
    assert_eq!(
        p.rules().closed_to_arrival,
        ClosedDays {
            weekdays: vec![Weekday::Mon, Weekday::Sun],
            dates: vec![d("2026-12-24"), d("2026-12-25")],
        }
    );
    assert_eq!(
        p.hold_expires_at(at("2026-12-01T10:00:00Z")),
        at("2026-12-01T10:15:00Z")
    );
}

#[test]
fn a_policy_has_a_stable_json_shape() {
    let mut spec = PolicySpec::time_slots(30, t("17:00"), t("21:30"));
    spec.opens = Some(WindowOpening {
        days_before: 0,
        at: t("18:00"),
    });
    spec.min_lead = Duration::hours(2);
    spec.buffer_minutes = 15;
    spec.per_guest_active_cap = Some(3);
    spec.closed_to_arrival = ClosedDays::weekdays([Weekday::Mon]);
    spec.blackout = vec![DateRange::new(d("2028-02-29"), d("2028-03-01")).unwrap()];
    spec.cancellation = CancellationPolicy::new(vec![RefundTier {
        min_notice_hours: 24,
        refund_bp: 10_000,
    }])
    .unwrap();
    let p = policy(spec);
    let value = serde_json::to_value(&p).unwrap();
    assert_eq!(
        value,
        json!({
            "version": 1,
            "rules": {
                "slot_kind": {"kind": "time_slot", "minutes": 30,
                              "first_start": "17:00:00", "last_start": "21:30:00"},
                "opens": {"days_before": 0, "at": "18:00:00"},
                "min_lead_minutes": 120,
                "max_advance_days": 60,
                "min_stay": 1,
                "max_stay": 1,
                "closed_to_arrival": {"weekdays": ["Mon"], "dates": []},
                "closed_to_departure": {"weekdays": [], "dates": []},
                "party_size": {"min": 1, "max": 8},
                "buffer_minutes": 15,
                "blackout": [{"from": "2028-02-29", "to": "2028-03-01"}],
                "per_guest_active_cap": 3,
                "hold_duration_minutes": 15,
                "offer_duration_minutes": 1440,
                "no_show_refund_bp": 0,
                "cancellation": [{"min_notice_hours": 24, "refund_bp": 10000}]
            }
        })
    );
    assert_eq!(serde_json::from_value::<BookingPolicy>(value).unwrap(), p);
}

#[test]
fn a_policy_stored_before_offer_durations_existed_offers_for_24_hours() {
    let p = policy(hotel());
    let mut value = serde_json::to_value(&p).unwrap();
    value["rules"]
        .as_object_mut()
        .unwrap()
        .remove("offer_duration_minutes");
    let read = serde_json::from_value::<BookingPolicy>(value).unwrap();
    assert_eq!(read.rules().offer_duration, Duration::hours(24));
    assert_eq!(read, p);
}

#[test]
fn it_should_reject_offer_durations_out_of_range() {
    for offer in [Duration::zero(), Duration::days(8)] {
        let mut spec = hotel();
        spec.offer_duration = offer;
        rejects(
            spec,
            PolicyError::DurationOutOfRange {
                field: "offer_duration",
                minutes: offer.num_minutes(),
                min_minutes: 1,
                max_minutes: 7 * 24 * 60,
            },
        );
    }
}

#[test]
fn an_offer_expires_after_its_duration_but_never_after_the_start() {
    let mut spec = hotel();
    spec.offer_duration = Duration::minutes(90);
    let p = policy(spec);
    let now = "2026-12-01T10:00:00Z".parse().unwrap();
    let far: chrono::DateTime<chrono::Utc> = "2026-12-24T15:00:00Z".parse().unwrap();
    assert_eq!(
        p.offer_expires_at(now, far),
        Some(now + Duration::minutes(90))
    );
    let soon = now + Duration::minutes(30);
    assert_eq!(p.offer_expires_at(now, soon), Some(soon));
    assert_eq!(p.offer_expires_at(now, now), None);
}

#[test]
fn an_invalid_policy_cannot_be_deserialised() {
    let mut value = serde_json::to_value(policy(hotel())).unwrap();
    value["rules"]["min_stay"] = json!(0);
    assert!(serde_json::from_value::<BookingPolicy>(value).is_err());
}

#[test]
fn it_should_reject_a_no_show_refund_above_everything_paid() {
    let mut spec = hotel();
    spec.no_show_refund_bp = 10_001;
    rejects(spec, PolicyError::NoShowRefundTooLarge { bp: 10_001 });
    let mut spec = hotel();
    spec.no_show_refund_bp = 10_000;
    assert!(BookingPolicy::new(spec).is_ok());
}
