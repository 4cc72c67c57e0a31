//! [`Timestamp`]: the `ts` of a push payload, written the way Go writes a
//! `time.Time` (RFC 3339 with nanoseconds, trailing zeros dropped, `Z` for
//! UTC) and read back from any RFC 3339 text with a `Z` or numeric offset.
//!
//! It does not do calendars, time zones or leap seconds: a timestamp is a
//! count of seconds and nanoseconds since the Unix epoch, years 0000–9999
//! (the range Go can marshal).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::TimestampError;

/// Seconds from the Unix epoch to 0000-01-01T00:00:00Z.
const MIN_SECS: i64 = -62_167_219_200;
/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = 253_402_300_799;
const SECS_PER_DAY: i64 = 86_400;

/// A point in time with nanosecond precision, years 0000–9999, in UTC.
///
/// ```
/// use push_core::Timestamp;
///
/// let ts: Timestamp = "2024-01-02T03:04:05.678+01:00".parse()?;
/// assert_eq!(ts.to_string(), "2024-01-02T02:04:05.678Z");
/// assert_eq!(ts.unix_millis(), 1_704_161_045_678);
/// # Ok::<(), push_core::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// A timestamp `secs` seconds and `nanos` nanoseconds after the epoch.
    pub fn from_unix(secs: i64, nanos: u32) -> Result<Self, TimestampError> {
        if nanos >= 1_000_000_000 || !(MIN_SECS..=MAX_SECS).contains(&secs) {
            return Err(TimestampError::OutOfRange);
        }
        Ok(Self { secs, nanos })
    }

    /// A timestamp `millis` milliseconds after the epoch.
    pub fn from_unix_millis(millis: i64) -> Result<Self, TimestampError> {
        let nanos = u32::try_from(millis.rem_euclid(1000) * 1_000_000)
            .map_err(|_| TimestampError::OutOfRange)?;
        Self::from_unix(millis.div_euclid(1000), nanos)
    }

    /// The current time (the epoch if the clock is outside 0000–9999).
    pub fn now() -> Self {
        Self::try_from(SystemTime::now()).unwrap_or(Self::UNIX_EPOCH)
    }

    /// Whole seconds since the epoch (negative before it).
    pub fn unix_secs(self) -> i64 {
        self.secs
    }

    /// Nanoseconds past [`unix_secs`](Self::unix_secs), below one billion.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since the epoch, rounded down.
    pub fn unix_millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let since = Duration::new(self.secs.unsigned_abs(), 0);
        let whole = if self.secs >= 0 { UNIX_EPOCH + since } else { UNIX_EPOCH - since };
        whole + Duration::from_nanos(u64::from(self.nanos))
    }
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = TimestampError;

    fn try_from(time: SystemTime) -> Result<Self, TimestampError> {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => {
                let secs =
                    i64::try_from(after.as_secs()).map_err(|_| TimestampError::OutOfRange)?;
                Self::from_unix(secs, after.subsec_nanos())
            }
            Err(before) => {
                let before = before.duration();
                let secs =
                    i64::try_from(before.as_secs()).map_err(|_| TimestampError::OutOfRange)?;
                match before.subsec_nanos() {
                    0 => Self::from_unix(-secs, 0),
                    nanos => Self::from_unix(-secs - 1, 1_000_000_000 - nanos),
                }
            }
        }
    }
}

impl fmt::Display for Timestamp {
    /// Go's `time.RFC3339Nano` layout in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(SECS_PER_DAY);
        let of_day = self.secs.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute, second) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}")?;
        if self.nanos != 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, TimestampError> {
        parse(text).map_err(|reason| TimestampError::Parse { input: text.to_owned(), reason })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn parse(text: &str) -> Result<Timestamp, &'static str> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return Err("too short for RFC 3339");
    }
    let expect = |at: usize, what: &[u8]| {
        if what.contains(&bytes[at]) { Ok(()) } else { Err("misplaced separator") }
    };
    expect(4, b"-")?;
    expect(7, b"-")?;
    expect(10, b"Tt")?;
    expect(13, b":")?;
    expect(16, b":")?;
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    let hour = digits(&bytes[11..13])?;
    let minute = digits(&bytes[14..16])?;
    let second = digits(&bytes[17..19])?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time of day out of range");
    }
    let mut rest = &bytes[19..];
    let mut nanos = 0;
    if let Some((b'.', tail)) = rest.split_first() {
        let len = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return Err("fraction must have 1 to 9 digits");
        }
        nanos = digits(&tail[..len])? * 10_i64.pow(9 - len as u32);
        rest = &tail[len..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (hours, minutes) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err("expected `Z` or a `+hh:mm` offset at the end"),
    };
    let days = days_from_civil(year, month, day);
    let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    let nanos = u32::try_from(nanos).map_err(|_| "fraction out of range")?;
    Timestamp::from_unix(secs, nanos).map_err(|_| "outside years 0000-9999")
}

fn digits(bytes: &[u8]) -> Result<i64, &'static str> {
    bytes.iter().try_fold(0_i64, |acc, b| {
        if b.is_ascii_digit() {
            Ok(acc * 10 + i64::from(b - b'0'))
        } else {
            Err("expected a digit")
        }
    })
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests;
