//! Unit tests of [`Timestamp`] text conversion.

use super::*;

fn ts(text: &str) -> Timestamp {
    match text.parse() {
        Ok(ts) => ts,
        Err(e) => panic!("{text}: {e}"),
    }
}

#[test]
fn formats_like_go_rfc3339nano() {
    let cases = [
        (0, 0, "1970-01-01T00:00:00Z"),
        (1_704_164_645, 678_000_000, "2024-01-02T03:04:05.678Z"),
        (1_704_164_645, 1, "2024-01-02T03:04:05.000000001Z"),
        (951_782_400, 0, "2000-02-29T00:00:00Z"),
        (-1, 500_000_000, "1969-12-31T23:59:59.5Z"),
        (MIN_SECS, 0, "0000-01-01T00:00:00Z"),
        (MAX_SECS, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
        (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
    ];
    for (secs, nanos, text) in cases {
        let value = Timestamp::from_unix(secs, nanos).expect("in range");
        assert_eq!(value.to_string(), text);
        assert_eq!(ts(text), value, "{text} parses back");
    }
}

#[test]
fn offsets_and_lower_case_separators_are_read() {
    assert_eq!(ts("2024-01-02T05:04:05+02:00"), ts("2024-01-02T03:04:05Z"));
    assert_eq!(ts("2024-01-01T23:04:05-04:00"), ts("2024-01-02T03:04:05Z"));
    assert_eq!(ts("2024-01-02t03:04:05.1z"), ts("2024-01-02T03:04:05.100Z"));
}

#[test]
fn every_day_of_four_centuries_round_trips() {
    let start = days_from_civil(1900, 1, 1);
    for days in start..start + 146_097 {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
        assert!((1..=days_in_month(y, m)).contains(&d));
    }
}

#[test]
fn bad_text_names_the_problem() {
    let cases = [
        ("", "too short"),
        ("2024-01-02 03:04:05Z", "separator"),
        ("2024-13-02T03:04:05Z", "month"),
        ("2023-02-29T03:04:05Z", "day"),
        ("2024-01-02T24:00:00Z", "time of day"),
        ("2024-01-02T03:04:60Z", "time of day"),
        ("2024-01-02T03:04:05.Z", "fraction"),
        ("2024-01-02T03:04:05.1234567891Z", "fraction"),
        ("2024-01-02T03:04:05", "too short"),
        ("2024-01-02T03:04:05+0100", "offset"),
        ("2024-01-02T03:04:05+25:00", "offset out of range"),
        ("2024-01-02T03:04:05ZZ", "`Z`"),
        ("20x4-01-02T03:04:05Z", "digit"),
        ("0000-01-01T00:00:00+00:01", "0000-9999"),
    ];
    for (text, word) in cases {
        match text.parse::<Timestamp>() {
            Ok(v) => panic!("{text:?} parsed as {v}"),
            Err(e) => assert!(e.to_string().contains(word), "{text:?}: {e}"),
        }
    }
}

#[test]
fn out_of_range_values_are_refused() {
    assert!(Timestamp::from_unix(MAX_SECS + 1, 0).is_err());
    assert!(Timestamp::from_unix(MIN_SECS - 1, 0).is_err());
    assert!(Timestamp::from_unix(0, 1_000_000_000).is_err());
    assert!(Timestamp::from_unix_millis(i64::MAX).is_err());
}

#[test]
fn system_time_round_trips_both_sides_of_the_epoch() {
    for (secs, nanos) in [(5, 7), (-5, 7), (-5, 0), (0, 0)] {
        let value = Timestamp::from_unix(secs, nanos).expect("in range");
        assert_eq!(Timestamp::try_from(value.to_system_time()).expect("in range"), value);
    }
    assert_eq!(
        Timestamp::from_unix_millis(-1).expect("in range").to_string(),
        "1969-12-31T23:59:59.999Z"
    );
}
