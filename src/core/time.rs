//! Time helpers: the vault stores Unix seconds and shows RFC 3339 / dates.

use chrono::{DateTime, NaiveDate, Utc};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

/// Now, as RFC 3339 in UTC with second precision.
pub fn now_rfc3339() -> String {
    format_rfc3339(now_unix())
}

/// Formats Unix seconds as RFC 3339 in UTC.
pub fn format_rfc3339(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// Formats Unix seconds as a calendar date (UTC).
pub fn format_date(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// Parses `YYYY-MM-DD` into Unix seconds at the end of that day (UTC), so an
/// entry "expires on" a date stays valid through it.
pub fn parse_date_end_of_day(text: &str) -> Result<i64, String> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date in the form YYYY-MM-DD"))?;
    let end = date
        .and_hms_opt(23, 59, 59)
        .ok_or_else(|| format!("{text:?} is not a valid date"))?;
    Ok(end.and_utc().timestamp())
}

/// Parses an RFC 3339 timestamp into Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_date_end_of_day("2030-01-31").unwrap();
        assert_eq!(format_date(t), "2030-01-31");
        assert_eq!(format_rfc3339(t), "2030-01-31T23:59:59Z");
        assert_eq!(parse_rfc3339("2030-01-31T23:59:59Z"), Some(t));
        assert!(parse_date_end_of_day("31/01/2030").is_err());
    }
}
