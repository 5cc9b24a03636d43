//! How domain values are spelled in SQLite columns, in both directions.
//!
//! Policy: every value that is not a plain string, integer or boolean goes through this module,
//! so the stored form is decided in one place. Times are TEXT in one fixed-width RFC 3339 form
//! (UTC, nine fractional digits, `Z`): it round-trips a `DateTime<Utc>` exactly and sorts
//! chronologically as text. Decoding never panics: a value that does not parse is
//! [`StoreError::Corrupt`].

use std::collections::BTreeMap;
use std::str::FromStr;

use attest_store::{StoreError, StoreResult};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Row, Sqlite, Type};

use crate::error::corrupt;

/// The stored form of a time: `2026-03-02T09:00:00.000000000Z`.
pub(crate) fn encode_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Parses a stored time.
pub(crate) fn decode_time(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|e| corrupt(&format!("time {text:?}"), e))
}

/// Parses an optional stored time.
pub(crate) fn decode_opt_time(text: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
    text.as_deref().map(decode_time).transpose()
}

/// The stored form of an identity's attributes: one JSON object of strings.
pub(crate) fn encode_attributes(attributes: &BTreeMap<String, String>) -> StoreResult<String> {
    serde_json::to_string(attributes)
        .map_err(|e| StoreError::Database(format!("cannot encode attributes: {e}")))
}

/// Parses stored attributes.
pub(crate) fn decode_attributes(text: &str) -> StoreResult<BTreeMap<String, String>> {
    serde_json::from_str(text).map_err(|e| corrupt("identity attributes", e))
}

/// Parses a stored contract spelling (access type, origin, ...).
/// Decodes a row read as one `json_array(...)` of its columns (see `ITEM_JSON` in
/// `campaigns/rows.rs` for why) into a tuple struct whose fields follow the columns' order.
pub(crate) fn decode_columns<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// [`decode_columns`] of the row's column `column`.
pub(crate) fn get_columns<T: serde::de::DeserializeOwned>(
    row: &SqliteRow,
    column: &str,
    what: &str,
) -> StoreResult<T> {
    decode_columns(what, &get::<String>(row, column)?)
}

pub(crate) fn decode_enum<T>(what: &str, text: &str) -> StoreResult<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| corrupt(what, e))
}

/// Reads one column of a row, mapping a missing column or an undecodable value to
/// [`StoreError::Corrupt`] with the column's name.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, column: &str) -> StoreResult<T>
where
    T: Decode<'r, Sqlite> + Type<Sqlite>,
{
    row.try_get(column)
        .map_err(|e| corrupt(&format!("column {column}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_round_trip_and_sort_as_text() {
        let whole = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let later = whole + chrono::Duration::nanoseconds(1);
        let much_later = whole + chrono::Duration::milliseconds(500);
        assert_eq!(encode_time(&whole), "2026-03-02T09:00:00.000000000Z");
        for t in [whole, later, much_later] {
            assert_eq!(decode_time(&encode_time(&t)).unwrap(), t);
        }
        assert!(encode_time(&whole) < encode_time(&later));
        assert!(encode_time(&later) < encode_time(&much_later));
    }

    #[test]
    fn bad_values_are_corrupt_not_panics() {
        assert!(matches!(
            decode_time("yesterday"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            decode_attributes("[1]"),
            Err(StoreError::Corrupt(_))
        ));
        let bad: StoreResult<attest_domain::Origin> = decode_enum("origin", "GIFT");
        assert!(matches!(bad, Err(StoreError::Corrupt(_))));
    }
}
