//! The requests the process builds: waitlist candidates and re-booking requests.

use super::*;

fn range(from: &str, to: &str) -> DateRange {
    DateRange::new(d(from), d(to)).unwrap()
}

#[test]
fn a_waitlisted_stay_is_offered_every_run_of_nights_inside_the_wanted_dates() {
    let p = policy(hotel());
    let got = p.waitlist_requests(range("2026-12-20", "2026-12-24"), None, 3, 100);
    assert_eq!(
        got,
        vec![
            RequestedSlots::Stay {
                range: range("2026-12-20", "2026-12-23")
            },
            RequestedSlots::Stay {
                range: range("2026-12-21", "2026-12-24")
            },
        ]
    );
    assert!(
        p.waitlist_requests(range("2026-12-20", "2026-12-22"), None, 3, 100)
            .is_empty()
    );
    assert_eq!(
        p.waitlist_requests(range("2026-12-01", "2026-12-31"), None, 1, 5)
            .len(),
        5
    );
}

#[test]
fn a_waitlisted_table_is_offered_at_the_wanted_time_or_at_any_start_of_the_grid() {
    let p = policy(restaurant());
    let wanted = range("2026-12-24", "2026-12-26");
    assert_eq!(
        p.waitlist_requests(wanted, Some(t("19:00")), 1, 100),
        vec![
            RequestedSlots::TimeSlots {
                first: slot("2026-12-24T19:00"),
                count: 1
            },
            RequestedSlots::TimeSlots {
                first: slot("2026-12-25T19:00"),
                count: 1
            },
        ]
    );
    let any = p.waitlist_requests(wanted, None, 1, 100);
    // 17:00..=21:30 every 30 minutes: 10 starts a day, two days, earliest first.
    assert_eq!(any.len(), 20);
    assert_eq!(
        any[0],
        RequestedSlots::TimeSlots {
            first: slot("2026-12-24T17:00"),
            count: 1
        }
    );
    assert_eq!(
        any[10],
        RequestedSlots::TimeSlots {
            first: slot("2026-12-25T17:00"),
            count: 1
        }
    );
}

#[test]
fn a_waitlisted_event_is_offered_one_date_at_a_time() {
    let p = policy(PolicySpec::dated_event(t("19:30")));
    let wanted = range("2026-12-24", "2026-12-26");
    assert_eq!(
        p.waitlist_requests(wanted, None, 1, 100),
        vec![
            RequestedSlots::Event {
                date: d("2026-12-24")
            },
            RequestedSlots::Event {
                date: d("2026-12-25")
            },
        ]
    );
    assert!(p.waitlist_requests(wanted, None, 2, 100).is_empty());
    assert!(p.waitlist_requests(wanted, None, 0, 100).is_empty());
}

#[test]
fn a_bookings_slots_become_the_request_that_asks_for_them_again() {
    let nights = [slot("2026-12-20"), slot("2026-12-21"), slot("2026-12-22")];
    assert_eq!(
        policy(hotel()).request_for_slots(&nights),
        Some(RequestedSlots::Stay {
            range: range("2026-12-20", "2026-12-23")
        })
    );
    // Nights with a gap are not one stay.
    assert_eq!(
        policy(hotel()).request_for_slots(&[slot("2026-12-20"), slot("2026-12-22")]),
        None
    );
    assert_eq!(
        policy(restaurant())
            .request_for_slots(&[slot("2026-12-24T19:00"), slot("2026-12-24T19:30")]),
        Some(RequestedSlots::TimeSlots {
            first: slot("2026-12-24T19:00"),
            count: 2
        })
    );
    assert_eq!(
        policy(PolicySpec::dated_event(t("19:30"))).request_for_slots(&[slot("2026-12-24")]),
        Some(RequestedSlots::Event {
            date: d("2026-12-24")
        })
    );
    assert_eq!(policy(hotel()).request_for_slots(&[]), None);
}
