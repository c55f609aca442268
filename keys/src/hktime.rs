//! Time as the system reasons about it: instants in UTC, days in Hong Kong time.
//!
//! Hong Kong is UTC+08:00 all year (no daylight saving). The machine's local
//! time zone is never consulted.

use time::{
    Date, Duration, OffsetDateTime, Time, UtcOffset, format_description::well_known::Rfc3339,
    macros::offset,
};

use crate::Error;

/// Hong Kong's offset from UTC, all year.
pub const HK_OFFSET: UtcOffset = offset!(+8);

/// How far in the future a token's issue time may lie and still be accepted,
/// for clocks that disagree a little.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The last second of the Hong Kong calendar day of `at`, written at `+08:00`.
///
/// A code applied for at `at` is valid up to and including this second.
pub fn end_of_hk_day(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(HK_OFFSET)
        .replace_time(Time::MAX)
        .replace_nanosecond(0)
        .unwrap_or(at)
}

/// The Hong Kong calendar day of `at`.
pub fn hk_date(at: OffsetDateTime) -> Date {
    at.to_offset(HK_OFFSET).date()
}

/// A calendar date written `YYYY-MM-DD` (years 1000 to 9999).
///
/// # Errors
/// [`Error::InvalidDate`] for any other text or an impossible date.
pub fn parse_date(text: &str) -> Result<Date, Error> {
    let invalid = || Error::InvalidDate {
        input: text.chars().take(40).collect(),
    };
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped || bytes[0] == b'0' {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().map_err(|_| invalid());
    let month = time::Month::try_from(number(5..7)? as u8).map_err(|_| invalid())?;
    Date::from_calendar_date(i32::from(number(0..4)?), month, number(8..10)? as u8)
        .map_err(|_| invalid())
}

/// `date` as `YYYY-MM-DD`, the one way dates are written in files and bindings.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The current instant in whole seconds (tokens and trust lists carry
/// seconds). Binaries call this once and pass the result down: logic never
/// reads the clock itself.
pub fn now() -> OffsetDateTime {
    whole_seconds(OffsetDateTime::now_utc())
}

/// `at` without its fraction of a second.
pub fn whole_seconds(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

/// Parses an RFC 3339 timestamp, which must carry an explicit offset
/// (`Z` or `+08:00` ...); the result is in UTC.
///
/// # Errors
/// [`Error::InvalidTime`] naming what is wrong.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|reason| Error::InvalidTime {
            input: text.to_owned(),
            reason,
        })
}

/// RFC 3339 in UTC (`...Z`), how instants are stored and exchanged.
pub fn format_utc(at: OffsetDateTime) -> String {
    format_at(at.to_offset(UtcOffset::UTC))
}

/// RFC 3339 in Hong Kong time (`...+08:00`), how instants are shown.
pub fn format_hk(at: OffsetDateTime) -> String {
    format_at(at.to_offset(HK_OFFSET))
}

/// A time written by [`format_hk`] to the minute, as people read it:
/// `2026-11-30T18:05:00+08:00` as `2026-11-30 18:05`.
pub fn minute(hk: &str) -> String {
    hk.get(..16).unwrap_or(hk).replacen('T', " ", 1)
}

/// A Hong Kong wall-clock minute as a browser's `datetime-local` field
/// sends it, `2022-12-09T10:00`, or with seconds; `None` for other text.
pub fn parse_hk_minute(text: &str) -> Option<OffsetDateTime> {
    let (date, clock) = text.split_once('T')?;
    let date = parse_date(date).ok()?;
    let parts: Vec<&str> = clock.split(':').collect();
    let number = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u8>().ok())
            .flatten()
    };
    let (hour, minute, second) = match parts.as_slice() {
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(date.with_time(time).assume_offset(HK_OFFSET))
}

fn format_at(at: OffsetDateTime) -> String {
    // Formatting a whole-second time with a 4-digit year cannot fail.
    whole_seconds(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Seconds since the Unix epoch as the token's unsigned 32-bit field.
///
/// # Errors
/// [`Error::TimeOutOfRange`] before 1970 or after 2106-02-07.
pub fn to_u32_seconds(at: OffsetDateTime) -> Result<u32, Error> {
    u32::try_from(at.unix_timestamp()).map_err(|_| Error::TimeOutOfRange { at })
}

/// The instant a token's 32-bit seconds field names.
pub fn from_u32_seconds(seconds: u32) -> OffsetDateTime {
    // Every u32 is within the range `time` represents.
    OffsetDateTime::from_unix_timestamp(i64::from(seconds)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn dates_are_written_one_way_and_read_strictly() {
        let date = parse_date("2018-03-01").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format_date(date), "2018-03-01");
        assert_eq!(
            hk_date(datetime!(2022-12-10 16:30 UTC)).to_string(),
            "2022-12-11"
        );
        for bad in [
            "2018-3-01",
            "2018-02-30",
            "2018-13-01",
            "0999-01-01",
            "18-03-01",
            "2018/03/01",
            " 2018-03-01",
            "2018-03-01x",
            "２０１８-03-01",
            "",
        ] {
            assert!(
                matches!(parse_date(bad), Err(Error::InvalidDate { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn end_of_day_follows_the_hong_kong_calendar() {
        // 16:30 UTC is 00:30 the next day in Hong Kong.
        let at = datetime!(2022-12-10 16:30 UTC);
        assert_eq!(end_of_hk_day(at), datetime!(2022-12-11 23:59:59 +8));
        assert_eq!(format_hk(end_of_hk_day(at)), "2022-12-11T23:59:59+08:00");
        let at = datetime!(2022-12-10 15:59:59 UTC);
        assert_eq!(end_of_hk_day(at), datetime!(2022-12-10 23:59:59 +8));
    }

    #[test]
    fn parse_needs_an_offset() {
        assert!(parse_rfc3339("2022-12-10T09:00:00").is_err());
        assert_eq!(
            parse_rfc3339("2022-12-10T09:00:00+08:00").ok(),
            Some(datetime!(2022-12-10 01:00 UTC))
        );
    }

    #[test]
    fn a_browser_minute_is_hong_kong_time() {
        use time::macros::datetime;
        assert_eq!(
            parse_hk_minute("2022-12-09T10:00"),
            Some(datetime!(2022-12-09 02:00 UTC))
        );
        assert_eq!(
            parse_hk_minute("2022-12-09T00:30:15"),
            Some(datetime!(2022-12-08 16:30:15 UTC))
        );
        for bad in [
            "",
            "2022-12-09",
            "2022-12-09T25:00",
            "2022-12-09T1:00",
            "2022-02-30T10:00",
            "2022-12-09T10:00+08:00",
            "2022-12-09T10:00:00:00",
        ] {
            assert_eq!(parse_hk_minute(bad), None, "{bad}");
        }
    }

    #[test]
    fn u32_range() {
        assert!(to_u32_seconds(datetime!(1969-12-31 23:59:59 UTC)).is_err());
        assert!(to_u32_seconds(datetime!(2106-02-08 00:00 UTC)).is_err());
        let at = datetime!(2022-12-10 01:00 UTC);
        assert_eq!(to_u32_seconds(at).map(from_u32_seconds).ok(), Some(at));
    }
}
