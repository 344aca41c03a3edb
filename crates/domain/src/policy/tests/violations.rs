//! One given/when/then test per [`PolicyViolation`], plus evaluation details (buffers, ends).

use chrono::Duration;

use super::*;

fn now() -> DateTime<Utc> {
    at("2026-06-01T00:00:00Z")
}

fn berlin() -> Tz {
    tz("Europe/Berlin")
}

#[test]
fn it_should_not_offer_a_slot_off_the_grid() {
    let p = policy(restaurant());
    for off in ["2026-06-10T18:10", "2026-06-10T16:30", "2026-06-10T22:00"] {
        assert_eq!(
            p.evaluate(&table(off, 1), now(), berlin()),
            Err(PolicyViolation::SlotNotOffered { slot: slot(off) }),
            "{off}"
        );
    }
    // A time slot without a time is not on the grid either.
    assert_eq!(
        p.evaluate(&table("2026-06-10", 1), now(), berlin()),
        Err(PolicyViolation::SlotNotOffered {
            slot: slot("2026-06-10")
        })
    );
}

#[test]
fn it_should_not_offer_a_request_of_another_kind() {
    let restaurant = policy(restaurant());
    assert_eq!(
        restaurant.evaluate(&stay("2026-06-10", "2026-06-11"), now(), berlin()),
        Err(PolicyViolation::SlotNotOffered {
            slot: slot("2026-06-10")
        })
    );
    let hotel = policy(hotel());
    assert_eq!(
        hotel.evaluate(&table("2026-06-10T18:00", 1), now(), berlin()),
        Err(PolicyViolation::SlotNotOffered {
            slot: slot("2026-06-10T18:00")
        })
    );
    assert_eq!(
        hotel.evaluate(&event("2026-06-10"), now(), berlin()),
        Err(PolicyViolation::SlotNotOffered {
            slot: slot("2026-06-10")
        })
    );
}

#[test]
fn it_should_not_run_consecutive_slots_past_the_last_start() {
    let p = policy(restaurant().stays(1, 4));
    assert_eq!(
        p.evaluate(&table("2026-06-10T21:00", 3), now(), berlin()),
        Err(PolicyViolation::ConsecutiveSlotsUnavailable {
            first: slot("2026-06-10T21:00"),
            requested: 3,
            available: 2
        })
    );
    let ok = p
        .evaluate(&table("2026-06-10T21:00", 2), now(), berlin())
        .unwrap();
    assert_eq!(
        ok.slots,
        vec![slot("2026-06-10T21:00"), slot("2026-06-10T21:30")]
    );
    // 21:30 CEST + 30 min = 22:00 CEST = 20:00 UTC.
    assert_eq!(ok.ends_at, at("2026-06-10T20:00:00Z"));
}

#[test]
fn it_should_not_accept_a_party_outside_the_range() {
    let p = policy(hotel().parties(2, 4));
    for n in [1, 5] {
        let mut request = stay("2026-06-10", "2026-06-11");
        request.party_size = party(n);
        assert_eq!(
            p.evaluate(&request, now(), berlin()),
            Err(PolicyViolation::PartySizeOutOfRange {
                requested: n,
                min: 2,
                max: 4
            })
        );
    }
}

#[test]
fn it_should_not_accept_a_stay_too_short() {
    let p = policy(hotel().stays(2, 5));
    assert_eq!(
        p.evaluate(&stay("2026-06-10", "2026-06-11"), now(), berlin()),
        Err(PolicyViolation::StayTooShort { nights: 1, min: 2 })
    );
    // Zero consecutive time slots is too short too.
    let r = policy(restaurant());
    assert_eq!(
        r.evaluate(&table("2026-06-10T18:00", 0), now(), berlin()),
        Err(PolicyViolation::StayTooShort { nights: 0, min: 1 })
    );
}

#[test]
fn it_should_not_accept_a_stay_too_long() {
    let p = policy(hotel().stays(1, 5));
    assert_eq!(
        p.evaluate(&stay("2026-06-10", "2026-06-16"), now(), berlin()),
        Err(PolicyViolation::StayTooLong { nights: 6, max: 5 })
    );
    let r = policy(restaurant().stays(1, 2));
    assert_eq!(
        r.evaluate(&table("2026-06-10T18:00", u32::MAX), now(), berlin()),
        Err(PolicyViolation::StayTooLong {
            nights: u32::MAX,
            max: 2
        })
    );
}

#[test]
fn it_should_not_book_a_blacked_out_date() {
    let mut spec = PolicySpec::dated_event(t("20:00"));
    spec.blackout = vec![DateRange::new(d("2026-06-10"), d("2026-06-12")).unwrap()];
    let p = policy(spec);
    assert_eq!(
        p.evaluate(&event("2026-06-11"), now(), berlin()),
        Err(PolicyViolation::Blackout {
            date: d("2026-06-11")
        })
    );
    assert!(p.evaluate(&event("2026-06-12"), now(), berlin()).is_ok());
}

#[test]
fn it_should_not_arrive_on_a_closed_date() {
    let mut spec = restaurant();
    spec.closed_to_arrival.dates = vec![d("2026-06-10")];
    let p = policy(spec);
    assert_eq!(
        p.evaluate(&table("2026-06-10T18:00", 1), now(), berlin()),
        Err(PolicyViolation::ClosedToArrival {
            date: d("2026-06-10")
        })
    );
}

#[test]
fn it_should_not_depart_on_a_closed_day() {
    let mut spec = hotel();
    spec.closed_to_departure = ClosedDays::weekdays([chrono::Weekday::Sun]);
    let p = policy(spec);
    // 2026-06-14 is a Sunday.
    assert_eq!(
        p.evaluate(&stay("2026-06-12", "2026-06-14"), now(), berlin()),
        Err(PolicyViolation::ClosedToDeparture {
            date: d("2026-06-14")
        })
    );
    assert!(
        p.evaluate(&stay("2026-06-13", "2026-06-15"), now(), berlin())
            .is_ok()
    );
}

#[test]
fn it_should_not_book_the_past() {
    let p = policy(restaurant());
    // A past date.
    assert_eq!(
        p.evaluate(&table("2026-05-31T18:00", 1), now(), berlin()),
        Err(PolicyViolation::InPast {
            slot: slot("2026-05-31T18:00")
        })
    );
    // Today, but the slot already started: 18:00 CEST = 16:00 UTC.
    assert_eq!(
        p.evaluate(
            &table("2026-06-10T18:00", 1),
            at("2026-06-10T16:00:01Z"),
            berlin()
        ),
        Err(PolicyViolation::InPast {
            slot: slot("2026-06-10T18:00")
        })
    );
    // Exactly at the start, without a lead time, is still bookable.
    assert!(
        p.evaluate(
            &table("2026-06-10T18:00", 1),
            at("2026-06-10T16:00:00Z"),
            berlin()
        )
        .is_ok()
    );
}

#[test]
fn it_should_not_book_too_far_ahead() {
    let mut spec = hotel();
    spec.max_advance_days = 0;
    let p = policy(spec);
    // Today only: 2026-06-01 in Berlin (02:00 local).
    assert!(
        p.evaluate(&stay("2026-06-01", "2026-06-02"), now(), berlin())
            .is_ok()
    );
    assert_eq!(
        p.evaluate(&stay("2026-06-01", "2026-06-03"), now(), berlin()),
        Err(PolicyViolation::TooFarAhead {
            latest_date: d("2026-06-01")
        })
    );
    // Year 10000 and beyond is simply too far ahead.
    let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    let request = BookingRequest {
        slots: RequestedSlots::Stay {
            range: DateRange::new(far, far.succ_opt().unwrap()).unwrap(),
        },
        party_size: party(1),
        guest_active_bookings: 0,
    };
    assert!(matches!(
        p.evaluate(&request, now(), berlin()),
        Err(PolicyViolation::TooFarAhead { .. })
    ));
}

#[test]
fn it_should_not_book_before_the_window_opens() {
    let mut spec = hotel();
    spec.opens = Some(WindowOpening {
        days_before: 90,
        at: t("09:00"),
    });
    let p = policy(spec);
    // Opens 2026-06-01 09:00 CEST (07:00 UTC) for 2026-08-30.
    assert_eq!(
        p.evaluate(&stay("2026-08-30", "2026-08-31"), now(), berlin()),
        Err(PolicyViolation::WindowNotOpen {
            opens_at: at("2026-06-01T07:00:00Z")
        })
    );
    assert!(
        p.evaluate(
            &stay("2026-08-30", "2026-08-31"),
            at("2026-06-01T07:00:00Z"),
            berlin()
        )
        .is_ok()
    );
}

#[test]
fn it_should_not_book_with_too_short_notice() {
    let mut spec = restaurant();
    spec.min_lead = Duration::hours(2);
    let p = policy(spec);
    // 18:00 CEST = 16:00 UTC; at 14:30 UTC only 90 minutes remain.
    assert_eq!(
        p.evaluate(
            &table("2026-06-10T18:00", 1),
            at("2026-06-10T14:30:00Z"),
            berlin()
        ),
        Err(PolicyViolation::LeadTimeTooShort {
            earliest: at("2026-06-10T16:30:00Z")
        })
    );
    assert!(
        p.evaluate(
            &table("2026-06-10T18:00", 1),
            at("2026-06-10T14:00:00Z"),
            berlin()
        )
        .is_ok()
    );
}

#[test]
fn it_should_not_exceed_the_guest_cap() {
    let mut spec = hotel();
    spec.per_guest_active_cap = Some(2);
    let p = policy(spec);
    let mut request = stay("2026-06-10", "2026-06-11");
    request.guest_active_bookings = 2;
    assert_eq!(
        p.evaluate(&request, now(), berlin()),
        Err(PolicyViolation::GuestCapReached { active: 2, cap: 2 })
    );
    request.guest_active_bookings = 1;
    assert!(p.evaluate(&request, now(), berlin()).is_ok());
}

#[test]
fn it_should_report_a_time_that_cannot_be_placed() {
    let mut spec = PolicySpec::dated_event(t("23:00"));
    spec.max_advance_days = 5;
    let p = policy(spec);
    // At the very end of representable time, 23:00 at UTC-12 on the last date is past it.
    let now = DateTime::<Utc>::MAX_UTC - Duration::days(2);
    let request = BookingRequest {
        slots: RequestedSlots::Event {
            date: NaiveDate::MAX,
        },
        party_size: party(1),
        guest_active_bookings: 0,
    };
    assert_eq!(
        p.evaluate(&request, now, tz("Etc/GMT+12")),
        Err(PolicyViolation::UnrepresentableTime {
            slot: Slot::day(NaiveDate::MAX)
        })
    );
}

#[test]
fn an_event_ends_at_the_local_midnight_after_its_date() {
    let p = policy(PolicySpec::dated_event(t("20:00")));
    let ok = p.evaluate(&event("2026-06-10"), now(), berlin()).unwrap();
    assert_eq!(ok.slots, vec![slot("2026-06-10")]);
    assert_eq!(ok.starts_at, at("2026-06-10T18:00:00Z"));
    assert_eq!(ok.ends_at, at("2026-06-10T22:00:00Z"));
    assert_eq!(ok.policy_version, 1);
}

#[test]
fn a_buffer_blocks_the_following_slots_within_length_plus_buffer() {
    let mut spec = PolicySpec::time_slots(15, t("17:00"), t("23:45"));
    spec.buffer_minutes = 20;
    let p = policy(spec);
    // 18:00 + 15 min + 20 min buffer = 18:35: the 18:15 and 18:30 slots are blocked.
    let ok = p
        .evaluate(&table("2026-06-10T18:00", 1), now(), berlin())
        .unwrap();
    assert_eq!(ok.slots, vec![slot("2026-06-10T18:00")]);
    assert_eq!(
        ok.blocked,
        vec![slot("2026-06-10T18:15"), slot("2026-06-10T18:30")]
    );
    assert_eq!(
        p.occupied_slots(slot("2026-06-10T18:00"), 1),
        Ok(vec![
            slot("2026-06-10T18:00"),
            slot("2026-06-10T18:15"),
            slot("2026-06-10T18:30")
        ])
    );
    // The last slot of the day blocks nothing that is not offered.
    assert_eq!(p.blocked_slots(&[slot("2026-06-10T23:45")]), vec![]);
    // No buffer, nothing blocked.
    let plain = policy(restaurant());
    assert_eq!(plain.blocked_slots(&[slot("2026-06-10T18:00")]), vec![]);
}

#[test]
fn a_buffer_crosses_midnight_onto_the_next_days_grid() {
    let mut spec = PolicySpec::time_slots(60, t("00:00"), t("23:00"));
    spec.buffer_minutes = 30;
    let p = policy(spec);
    assert_eq!(
        p.blocked_slots(&[slot("2026-06-10T23:00")]),
        vec![slot("2026-06-11T00:00")]
    );
}
