//! The local-time conversion rules.

use super::*;

#[test]
fn an_ordinary_local_time_maps_to_its_instant() {
    let seoul = tz("Asia/Seoul");
    assert_eq!(
        local_date_time_to_utc(seoul, d("2026-07-15"), t("18:00")),
        Some(at("2026-07-15T09:00:00Z"))
    );
}

#[test]
fn a_local_time_in_the_spring_forward_gap_maps_to_the_first_instant_after_it() {
    // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    let berlin = tz("Europe/Berlin");
    for time in ["02:00", "02:30", "02:59"] {
        assert_eq!(
            local_date_time_to_utc(berlin, d("2026-03-29"), t(time)),
            Some(at("2026-03-29T01:00:00Z")),
            "{time}"
        );
    }
    // Just around the gap, nothing moves.
    assert_eq!(
        local_date_time_to_utc(berlin, d("2026-03-29"), t("01:59")),
        Some(at("2026-03-29T00:59:00Z"))
    );
    assert_eq!(
        local_date_time_to_utc(berlin, d("2026-03-29"), t("03:00")),
        Some(at("2026-03-29T01:00:00Z"))
    );
}

#[test]
fn an_ambiguous_fall_back_time_maps_to_the_earlier_instant() {
    // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:30 happens twice.
    let berlin = tz("Europe/Berlin");
    assert_eq!(
        local_date_time_to_utc(berlin, d("2026-10-25"), t("02:30")),
        Some(at("2026-10-25T00:30:00Z"))
    );
    assert_eq!(
        local_date_time_to_utc(berlin, d("2026-10-25"), t("03:00")),
        Some(at("2026-10-25T02:00:00Z"))
    );
}

#[test]
fn a_half_hour_gap_and_a_skipped_day_are_handled() {
    // Lord Howe moves by 30 minutes: 2026-10-04 02:00 -> 02:30 (+10:30 -> +11).
    let lord_howe = tz("Australia/Lord_Howe");
    assert_eq!(
        local_date_time_to_utc(lord_howe, d("2026-10-04"), t("02:10")),
        Some(at("2026-10-03T15:30:00Z"))
    );
    // Samoa skipped 2011-12-30 entirely: 2011-12-29 24:00 (-10) became 2011-12-31 00:00 (+14).
    let apia = tz("Pacific/Apia");
    assert_eq!(
        local_date_time_to_utc(apia, d("2011-12-30"), t("12:00")),
        Some(at("2011-12-30T10:00:00Z"))
    );
}

#[test]
fn the_local_date_follows_the_zone() {
    let now = at("2026-07-15T20:00:00Z");
    assert_eq!(local_date(tz("Asia/Seoul"), now), d("2026-07-16"));
    assert_eq!(local_date(tz("America/New_York"), now), d("2026-07-15"));
}

#[test]
fn a_time_beyond_any_real_date_is_none() {
    let far = NaiveDate::MAX.and_time(t("23:00"));
    assert_eq!(local_to_utc(tz("Etc/GMT+12"), far), None);
}
