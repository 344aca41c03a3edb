//! Series occurrences: weekly and monthly rules in a zone, across daylight-saving changes, and
//! every refusal.

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::*;

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
}

#[test]
fn every_tuesday_at_seven_for_eight_weeks_keeps_its_local_time_across_the_clock_change() {
    let berlin = chrono_tz::Europe::Berlin;
    // 2030-03-31 is the spring change in Berlin: 19:00 is 18:00 UTC before, 17:00 UTC after.
    let got = occurrences(
        "FREQ=WEEKLY;BYDAY=TU;COUNT=8",
        local("2030-03-12T19:00"),
        berlin,
    )
    .unwrap();
    assert_eq!(got.len(), 8);
    assert_eq!(got[0], local("2030-03-12T19:00"));
    assert_eq!(got[7], local("2030-04-30T19:00"));
    assert!(
        got.iter()
            .all(|d| d.format("%a %H:%M").to_string() == "Tue 19:00")
    );
    let utc: Vec<String> = got
        .iter()
        .map(|d| {
            berlin
                .from_local_datetime(d)
                .unwrap()
                .to_utc()
                .format("%H:%M")
                .to_string()
        })
        .collect();
    assert_eq!(&utc[..3], ["18:00", "18:00", "18:00"]);
    assert_eq!(&utc[3..], ["17:00", "17:00", "17:00", "17:00", "17:00"]);
}

#[test]
fn every_month_on_the_first_until_a_date() {
    let seoul = chrono_tz::Asia::Seoul;
    let got = occurrences(
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20300601T000000Z",
        local("2030-01-01T10:00"),
        seoul,
    )
    .unwrap();
    let days: Vec<NaiveDate> = got.iter().map(NaiveDateTime::date).collect();
    assert_eq!(
        days,
        (1..=5)
            .map(|m| NaiveDate::from_ymd_opt(2030, m, 1).unwrap())
            .collect::<Vec<_>>()
    );
}

#[test]
fn rules_outside_the_subset_are_refused_with_their_reason() {
    let seoul = chrono_tz::Asia::Seoul;
    let first = local("2030-01-01T10:00");
    for (rule, error) in [
        ("FREQ=WEEKLY", SeriesError::NoEnd),
        ("FREQ=HOURLY;COUNT=3", SeriesError::UnsupportedFrequency),
        ("FREQ=YEARLY;COUNT=3", SeriesError::UnsupportedFrequency),
        ("FREQ=DAILY;COUNT=53", SeriesError::TooMany),
        ("FREQ=DAILY;UNTIL=20310101T000000Z", SeriesError::TooMany),
        ("FREQ=DAILY;BYHOUR=9;COUNT=3", SeriesError::TimeParts),
    ] {
        assert_eq!(occurrences(rule, first, seoul), Err(error), "{rule}");
    }
    for rule in [
        "every tuesday",
        "",
        "DTSTART:20300101T000000Z\nRRULE:FREQ=DAILY;COUNT=3",
        &format!("FREQ=DAILY;COUNT=3;{}", "X".repeat(300)),
    ] {
        assert!(
            matches!(
                occurrences(rule, first, seoul),
                Err(SeriesError::InvalidRule(_))
            ),
            "{rule}"
        );
    }
    // 02:30 on 2030-03-31 does not exist in Berlin.
    assert_eq!(
        occurrences(
            "FREQ=DAILY;COUNT=2",
            local("2030-03-31T02:30"),
            chrono_tz::Europe::Berlin
        ),
        Err(SeriesError::NoSuchLocalTime(local("2030-03-31T02:30")))
    );
}

proptest! {
    /// Any weekly rule with a count: as many occurrences as counted (at most the limit), in
    /// order, a week or more apart, each at the first one's local time and weekday.
    #[test]
    fn weekly_series_are_ordered_and_keep_their_time(count in 1u32..=52, interval in 1u32..4, day in 1u32..28, hour in 8u32..22) {
        let first = NaiveDate::from_ymd_opt(2030, 1, day).unwrap().and_hms_opt(hour, 0, 0).unwrap();
        let rule = format!("FREQ=WEEKLY;INTERVAL={interval};COUNT={count}");
        let got = occurrences(&rule, first, chrono_tz::America::New_York).unwrap();
        prop_assert_eq!(got.len(), count as usize);
        prop_assert_eq!(got[0], first);
        for pair in got.windows(2) {
            prop_assert_eq!((pair[1].date() - pair[0].date()).num_days(), i64::from(7 * interval));
            prop_assert_eq!(pair[1].time(), first.time());
        }
    }
}
