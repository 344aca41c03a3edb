//! The four scenarios the issue asks for by name.

use chrono::{Duration, Weekday};

use super::*;

/// The bingsu shop in Seoul: hourly slots 19:00..=21:00, same-day bookings open at 18:00.
fn bingsu_shop() -> BookingPolicy {
    let mut spec = PolicySpec::time_slots(60, t("19:00"), t("21:00"));
    spec.opens = Some(WindowOpening {
        days_before: 0,
        at: t("18:00"),
    });
    policy(spec)
}

#[test]
fn same_day_opening_at_18_00_seoul_rejects_17_59_and_accepts_18_00() {
    let p = bingsu_shop();
    let seoul = tz("Asia/Seoul");
    let request = table("2026-07-15T19:00", 1);
    // 17:59 KST = 08:59 UTC; the window opens at 18:00 KST = 09:00 UTC.
    assert_eq!(
        p.evaluate(&request, at("2026-07-15T08:59:00Z"), seoul),
        Err(PolicyViolation::WindowNotOpen {
            opens_at: at("2026-07-15T09:00:00Z")
        })
    );
    assert_eq!(
        p.evaluate(&request, at("2026-07-15T08:59:59.999Z"), seoul),
        Err(PolicyViolation::WindowNotOpen {
            opens_at: at("2026-07-15T09:00:00Z")
        })
    );
    let ok = p
        .evaluate(&request, at("2026-07-15T09:00:00Z"), seoul)
        .unwrap();
    assert_eq!(ok.slots, vec![slot("2026-07-15T19:00")]);
    assert_eq!(ok.starts_at, at("2026-07-15T10:00:00Z"));
    assert_eq!(ok.ends_at, at("2026-07-15T11:00:00Z"));
    assert_eq!(ok.hold_expires_at, at("2026-07-15T09:15:00Z"));
    // Tomorrow's slots are not open today even after 18:00.
    assert_eq!(
        p.evaluate(
            &table("2026-07-16T19:00", 1),
            at("2026-07-15T09:30:00Z"),
            seoul
        ),
        Err(PolicyViolation::WindowNotOpen {
            opens_at: at("2026-07-16T09:00:00Z")
        })
    );
}

#[test]
fn a_stay_across_spring_forward_counts_local_nights_and_real_instants() {
    let p = policy(hotel());
    let berlin = tz("Europe/Berlin");
    let ok = p
        .evaluate(
            &stay("2026-03-28", "2026-03-31"),
            at("2026-03-01T00:00:00Z"),
            berlin,
        )
        .unwrap();
    assert_eq!(
        ok.slots,
        vec![slot("2026-03-28"), slot("2026-03-29"), slot("2026-03-30")]
    );
    // Check-in 15:00 CET (+1), check-out 11:00 CEST (+2).
    assert_eq!(ok.starts_at, at("2026-03-28T14:00:00Z"));
    assert_eq!(ok.ends_at, at("2026-03-31T09:00:00Z"));
    assert_eq!(ok.ends_at - ok.starts_at, Duration::hours(67));
}

#[test]
fn a_stay_across_fall_back_counts_local_nights_and_real_instants() {
    let p = policy(hotel());
    let berlin = tz("Europe/Berlin");
    let ok = p
        .evaluate(
            &stay("2026-10-24", "2026-10-27"),
            at("2026-10-01T00:00:00Z"),
            berlin,
        )
        .unwrap();
    assert_eq!(ok.slots.len(), 3);
    // Check-in 15:00 CEST (+2), check-out 11:00 CET (+1).
    assert_eq!(ok.starts_at, at("2026-10-24T13:00:00Z"));
    assert_eq!(ok.ends_at, at("2026-10-27T10:00:00Z"));
    assert_eq!(ok.ends_at - ok.starts_at, Duration::hours(69));
}

#[test]
fn min_lead_is_real_elapsed_time_across_spring_forward() {
    let mut spec = hotel();
    spec.min_lead = Duration::hours(24);
    let p = policy(spec);
    let berlin = tz("Europe/Berlin");
    let request = stay("2026-03-29", "2026-03-30");
    // Check-in 2026-03-29 15:00 CEST = 13:00 UTC. "15:00 the day before" (14:00 UTC) is only
    // 23 real hours ahead.
    assert_eq!(
        p.evaluate(&request, at("2026-03-28T14:00:00Z"), berlin),
        Err(PolicyViolation::LeadTimeTooShort {
            earliest: at("2026-03-29T14:00:00Z")
        })
    );
    assert!(
        p.evaluate(&request, at("2026-03-28T13:00:00Z"), berlin)
            .is_ok()
    );
}

#[test]
fn min_lead_is_real_elapsed_time_across_fall_back() {
    let mut spec = hotel();
    spec.min_lead = Duration::hours(25);
    let p = policy(spec);
    let berlin = tz("Europe/Berlin");
    let request = stay("2026-10-25", "2026-10-26");
    // Check-in 2026-10-25 15:00 CET = 14:00 UTC; 15:00 CEST the day before is 25 real hours.
    assert!(
        p.evaluate(&request, at("2026-10-24T13:00:00Z"), berlin)
            .is_ok()
    );
    assert_eq!(
        p.evaluate(&request, at("2026-10-24T13:01:00Z"), berlin),
        Err(PolicyViolation::LeadTimeTooShort {
            earliest: at("2026-10-25T14:01:00Z")
        })
    );
}

#[test]
fn min_stay_with_closed_to_arrival() {
    let mut spec = hotel().stays(3, 14);
    spec.closed_to_arrival = ClosedDays::weekdays([Weekday::Sat]);
    let p = policy(spec);
    let now = at("2026-07-01T00:00:00Z");
    let berlin = tz("Europe/Berlin");
    // Saturday arrival, long enough: still closed to arrival.
    assert_eq!(
        p.evaluate(&stay("2026-08-01", "2026-08-05"), now, berlin),
        Err(PolicyViolation::ClosedToArrival {
            date: d("2026-08-01")
        })
    );
    // Sunday arrival, too short.
    assert_eq!(
        p.evaluate(&stay("2026-08-02", "2026-08-04"), now, berlin),
        Err(PolicyViolation::StayTooShort { nights: 2, min: 3 })
    );
    // Sunday arrival, long enough, departing on a Saturday (only arrival is closed).
    let ok = p
        .evaluate(&stay("2026-08-02", "2026-08-08"), now, berlin)
        .unwrap();
    assert_eq!(ok.slots.len(), 6);
    // Length is checked before closed days: a short stay on a closed day reports the length.
    assert_eq!(
        p.evaluate(&stay("2026-08-01", "2026-08-02"), now, berlin),
        Err(PolicyViolation::StayTooShort { nights: 1, min: 3 })
    );
}

#[test]
fn a_stay_over_feb_29_counts_the_extra_night() {
    let p = policy(hotel().stays(2, 30));
    let utc = tz("UTC");
    let ok = p
        .evaluate(
            &stay("2028-02-28", "2028-03-01"),
            at("2028-01-01T00:00:00Z"),
            utc,
        )
        .unwrap();
    assert_eq!(ok.slots, vec![slot("2028-02-28"), slot("2028-02-29")]);
    // The same dates in 2027 are one night, below the minimum of two.
    assert_eq!(
        p.evaluate(
            &stay("2027-02-28", "2027-03-01"),
            at("2027-01-01T00:00:00Z"),
            utc
        ),
        Err(PolicyViolation::StayTooShort { nights: 1, min: 2 })
    );
}

#[test]
fn max_advance_reaches_across_feb_29() {
    let mut spec = hotel();
    spec.max_advance_days = 30;
    let p = policy(spec);
    let seoul = tz("Asia/Seoul");
    // 2028-02-01 + 30 days = 2028-03-02 (2028 is a leap year; 2027 would give 03-03).
    let now = at("2028-02-01T03:00:00Z");
    assert!(
        p.evaluate(&stay("2028-03-01", "2028-03-03"), now, seoul)
            .is_ok()
    );
    assert_eq!(
        p.evaluate(&stay("2028-03-01", "2028-03-04"), now, seoul),
        Err(PolicyViolation::TooFarAhead {
            latest_date: d("2028-03-02")
        })
    );
    let now_2027 = at("2027-02-01T03:00:00Z");
    assert!(
        p.evaluate(&stay("2027-03-02", "2027-03-04"), now_2027, seoul)
            .is_ok()
    );
}

#[test]
fn a_blackout_on_feb_29() {
    let mut spec = hotel();
    spec.blackout = vec![DateRange::new(d("2028-02-29"), d("2028-03-01")).unwrap()];
    let p = policy(spec);
    let now = at("2028-01-01T00:00:00Z");
    let utc = tz("UTC");
    assert_eq!(
        p.evaluate(&stay("2028-02-27", "2028-03-02"), now, utc),
        Err(PolicyViolation::Blackout {
            date: d("2028-02-29")
        })
    );
    // Departing on the blacked-out date is fine: no night is held on it.
    assert!(
        p.evaluate(&stay("2028-02-27", "2028-02-29"), now, utc)
            .is_ok()
    );
    assert!(
        p.evaluate(&stay("2028-03-01", "2028-03-02"), now, utc)
            .is_ok()
    );
}
