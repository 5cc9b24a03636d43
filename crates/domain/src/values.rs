//! Parsing of the data bundle's cell values: booleans, times and lists.
//!
//! The bundle is strict on purpose: `true`/`false` only, RFC 3339 times only, so that a
//! misread spreadsheet export is refused instead of silently becoming `false` or midnight.

use chrono::{DateTime, Utc};

/// Why a cell's value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not `true` or `false`.
    #[error("bad boolean \"{0}\" (expected true or false)")]
    Boolean(String),
    /// Not an RFC 3339 time.
    #[error("bad time \"{0}\" (expected RFC 3339, e.g. 2026-01-31T09:00:00Z)")]
    Time(String),
}

/// Parses a bundle boolean: exactly `true` or `false` (an empty cell is handled by the caller).
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(ValueError::Boolean(other.to_owned())),
    }
}

/// Parses an RFC 3339 time and normalises it to UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, ValueError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ValueError::Time(s.to_owned()))
}

/// Splits a list cell on `;`, trimming blanks and dropping empty parts.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_strict() {
        assert_eq!(parse_bool("true"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        for bad in ["TRUE", "yes", "1", "t", " true"] {
            assert!(parse_bool(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn times_are_rfc3339_and_normalised() {
        let t = parse_time("2026-03-01T10:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T08:00:00+00:00");
        for bad in ["2026-03-01", "yesterday", "2026-13-01T00:00:00Z"] {
            assert!(parse_time(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn lists_split_on_semicolons() {
        assert_eq!(split_list(" a; b;;c ").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(split_list("").count(), 0);
    }
}
