//! Properties of evaluation and of the local-time rules.

use chrono::{Days, Duration, Weekday};
use proptest::prelude::*;

use super::*;
use crate::policy::values::{minute_of_day, time_of_minute};

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "Asia/Seoul",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Havana",
];

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES).prop_map(tz)
}

fn minute_time() -> impl Strategy<Value = NaiveTime> {
    (0u32..1_440).prop_map(|m| time_of_minute(m).unwrap())
}

fn slot_kind() -> impl Strategy<Value = SlotKind> {
    prop_oneof![
        (minute_time(), minute_time()).prop_map(|(check_in, check_out)| SlotKind::Night {
            check_in,
            check_out
        }),
        (5u32..=240, 0u32..1_440, 0u32..1_440).prop_map(|(minutes, a, b)| {
            SlotKind::TimeSlot {
                minutes,
                first_start: time_of_minute(a.min(b)).unwrap(),
                last_start: time_of_minute(a.max(b)).unwrap(),
            }
        }),
        minute_time().prop_map(|starts_at| SlotKind::DatedEvent { starts_at }),
    ]
}

prop_compose! {
    fn valid_policy()(
        kind in slot_kind(),
        min_stay in 1u32..=4,
        extra_stay in 0u32..=10,
        opens in prop::option::of((0u32..=30, minute_time())),
        lead_minutes in 0i64..=(72 * 60),
        max_advance_days in 0u32..=400,
        party in (1u32..=6, 0u32..=6),
        buffer in 0u32..=90,
        closed in prop::collection::vec(0u8..7, 0..3),
        blackout_offsets in prop::collection::vec((0u64..120, 1u64..5), 0..3),
        cap in prop::option::of(1u32..=3),
        hold_minutes in 1i64..=120,
    ) -> BookingPolicy {
        let mut spec = PolicySpec::nightly(t("15:00"), t("11:00"));
        spec.slot_kind = kind;
        let reachable = kind.max_consecutive();
        spec.min_stay = min_stay.min(reachable);
        spec.max_stay = (spec.min_stay + extra_stay).min(3_700);
        spec.opens = opens.map(|(days_before, at)| WindowOpening { days_before, at });
        spec.min_lead = Duration::minutes(lead_minutes);
        spec.max_advance_days = max_advance_days;
        spec.party_size = PartySizeRange::new(party.0, party.0 + party.1).unwrap();
        spec.buffer_minutes = if matches!(kind, SlotKind::TimeSlot { .. }) { buffer } else { 0 };
        spec.closed_to_arrival = ClosedDays::weekdays(
            closed.into_iter().map(|n| Weekday::try_from(n).unwrap()),
        );
        let base = d("2026-01-01");
        spec.blackout = blackout_offsets
            .into_iter()
            .map(|(o, len)| {
                let from = base.checked_add_days(Days::new(o * 7)).unwrap();
                DateRange::new(from, from.checked_add_days(Days::new(len)).unwrap()).unwrap()
            })
            .collect();
        spec.per_guest_active_cap = cap;
        spec.hold_duration = Duration::minutes(hold_minutes);
        BookingPolicy::new(spec).unwrap()
    }
}

/// `now` between 2026-01-01 and the end of 2027, to the second.
fn now() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..(2 * 366 * 86_400)).prop_map(|s| at("2026-01-01T00:00:00Z") + Duration::seconds(s))
}

/// A request near `now`'s date, mostly of the policy's kind and within its stay and party
/// ranges, on or off the grid (so that a good share of cases evaluates Ok).
fn request_for(
    policy: &BookingPolicy,
    now: DateTime<Utc>,
) -> impl Strategy<Value = BookingRequest> + use<> {
    let rules = policy.rules().clone();
    let today = now.date_naive();
    let date = (0u64..40).prop_map(move |o| today.checked_add_days(Days::new(o)).unwrap());
    let stay = rules.min_stay..=rules.max_stay.min(rules.min_stay + 12);
    let stays = prop_oneof![9 => stay.clone(), 1 => 0u32..=20];
    let matching = match rules.slot_kind {
        SlotKind::Night { .. } => (date.clone(), stays)
            .prop_map(|(from, n)| RequestedSlots::Stay {
                range: DateRange {
                    from,
                    to: from.checked_add_days(Days::new(u64::from(n))).unwrap(),
                },
            })
            .boxed(),
        SlotKind::TimeSlot { .. } => {
            let grid = rules.slot_kind.grid();
            (
                date.clone(),
                0..grid.len(),
                stays,
                prop::bool::weighted(0.1),
                0u32..1_440,
            )
                .prop_map(
                    move |(d, i, count, off_grid, m)| RequestedSlots::TimeSlots {
                        first: Slot::at(
                            d,
                            if off_grid {
                                time_of_minute(m).unwrap()
                            } else {
                                grid[i]
                            },
                        ),
                        count,
                    },
                )
                .boxed()
        }
        SlotKind::DatedEvent { .. } => date
            .clone()
            .prop_map(|date| RequestedSlots::Event { date })
            .boxed(),
    };
    let any_kind = prop_oneof![
        date.clone().prop_map(|from| RequestedSlots::Stay {
            range: DateRange {
                from,
                to: from.succ_opt().unwrap()
            },
        }),
        date.clone().prop_map(|d| RequestedSlots::TimeSlots {
            first: Slot::at(d, t("18:00")),
            count: 1
        }),
        date.prop_map(|date| RequestedSlots::Event { date }),
    ];
    let slots = prop_oneof![9 => matching, 1 => any_kind];
    let parties = prop_oneof![
        9 => rules.party_size.min()..=rules.party_size.max(),
        1 => 1u32..=12,
    ];
    (slots, parties, 0u32..=4).prop_map(|(slots, p, active)| BookingRequest {
        slots,
        party_size: party(p),
        guest_active_bookings: active,
    })
}

fn expected_slots(policy: &BookingPolicy, request: &BookingRequest) -> Vec<Slot> {
    match (&request.slots, policy.rules().slot_kind) {
        (RequestedSlots::Stay { range }, _) => range.dates().map(Slot::day).collect(),
        (RequestedSlots::TimeSlots { first, count }, SlotKind::TimeSlot { minutes, .. }) => {
            let start = minute_of_day(first.time.unwrap());
            (0..*count)
                .map(|k| Slot::at(first.date, time_of_minute(start + k * minutes).unwrap()))
                .collect()
        }
        (RequestedSlots::Event { date }, _) => vec![Slot::day(*date)],
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn accepted_requests_resolve_to_exactly_the_requested_slots(
        zone in zone(),
        (policy, now, request) in (valid_policy(), now())
            .prop_flat_map(|(p, n)| (Just(p.clone()), Just(n), request_for(&p, n))),
    ) {
        if let Ok(ok) = policy.evaluate(&request, now, zone) {
            let rules = policy.rules();
            prop_assert_eq!(&ok.slots, &expected_slots(&policy, &request));
            prop_assert!(ok.slots.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
            let n = ok.slots.len() as u32;
            prop_assert!(rules.min_stay <= n && n <= rules.max_stay);
            prop_assert!(ok.starts_at >= now + rules.min_lead);
            prop_assert!(ok.ends_at > ok.starts_at);
            prop_assert_eq!(ok.hold_expires_at, now + rules.hold_duration);
            prop_assert!(ok.blocked.iter().all(|b| !ok.slots.contains(b)));
            prop_assert!(ok.blocked.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn evaluation_never_panics_on_any_dates(
        policy in valid_policy(),
        zone in zone(),
        now in now(),
        from in -400_000i64..400_000,
        len in 0i64..5_000,
        count in 0u32..=u32::MAX,
    ) {
        let base = d("2026-01-01");
        let from = base.checked_add_signed(Duration::days(from)).unwrap_or(base);
        let to = from.checked_add_signed(Duration::days(len)).unwrap_or(from);
        for slots in [
            RequestedSlots::Stay { range: DateRange { from, to } },
            RequestedSlots::TimeSlots { first: Slot::at(from, t("18:00")), count },
            RequestedSlots::Event { date: to },
        ] {
            let request = BookingRequest { slots, party_size: party(2), guest_active_bookings: 0 };
            let _ = policy.evaluate(&request, now, zone);
        }
    }

    #[test]
    fn local_times_map_to_the_first_instant_not_before_them(
        zone in zone(),
        seconds in 0i64..(3 * 366 * 86_400),
    ) {
        let local = (at("2026-01-01T00:00:00Z") + Duration::seconds(seconds)).naive_utc();
        let instant = local_to_utc(zone, local).unwrap();
        let seen = instant.with_timezone(&zone).naive_local();
        prop_assert!(seen >= local);
        // Nothing earlier shows `local` or later: the instant is the first such.
        let before = (instant - Duration::seconds(1)).with_timezone(&zone).naive_local();
        prop_assert!(before < local || seen == local);
    }

    #[test]
    fn policies_round_trip_through_json(policy in valid_policy()) {
        let json = serde_json::to_string(&policy).unwrap();
        prop_assert_eq!(serde_json::from_str::<BookingPolicy>(&json).unwrap(), policy);
    }
}
