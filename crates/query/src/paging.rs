//! The paging collection parameters `limit`, `offset` and `count`.
//!
//! Policy, following SailPoint's list endpoints: `limit` defaults to [`DEFAULT_LIMIT`] and may
//! be anything from 0 to [`MAX_LIMIT`] (0 returns no records, which with `count=true` fetches
//! only the total); `offset` is record-based, starts at 0 and defaults to 0; `count` defaults to
//! `false` and must be `true` or `false` (in any ASCII case). A parameter that is present must
//! be well-formed: an empty value, a sign, or surrounding whitespace is an error, never a
//! silent default. Every malformed parameter is reported, each error naming its parameter.

/// `limit` when the request does not give one.
pub const DEFAULT_LIMIT: u32 = 250;

/// The largest `limit` a list endpoint accepts.
pub const MAX_LIMIT: u32 = 250;

/// The largest `offset` accepted: the largest value a SQL `OFFSET` (a signed 64-bit integer)
/// can hold.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// Which window of a collection to return, and whether to count the whole collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Paging {
    /// The most records to return, `0..=MAX_LIMIT`.
    pub limit: u32,
    /// How many records to skip from the start of the (filtered, sorted) collection.
    pub offset: u64,
    /// Whether to report the collection's total size (SailPoint's `X-Total-Count` header).
    pub count: bool,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            limit: DEFAULT_LIMIT,
            offset: 0,
            count: false,
        }
    }
}

impl Paging {
    /// Reads the three parameters from their raw query-string values (`None` when absent).
    ///
    /// ```
    /// use attest_query::Paging;
    ///
    /// let paging = Paging::parse(Some("20"), Some("40"), None).unwrap();
    /// assert_eq!((paging.limit, paging.offset, paging.count), (20, 40, false));
    ///
    /// let errors = Paging::parse(Some("500"), None, Some("yes")).unwrap_err();
    /// assert_eq!(errors[0].to_string(), "limit must be an integer from 0 to 250, got \"500\"");
    /// assert_eq!(errors[1].to_string(), "count must be true or false, got \"yes\"");
    /// ```
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        count: Option<&str>,
    ) -> Result<Paging, Vec<PagingError>> {
        let mut paging = Paging::default();
        let mut errors = Vec::new();
        if let Some(raw) = limit {
            match parse_unsigned(raw).filter(|&n| n <= u64::from(MAX_LIMIT)) {
                Some(n) => paging.limit = u32::try_from(n).unwrap_or(MAX_LIMIT),
                None => errors.push(PagingError::InvalidLimit { value: raw.into() }),
            }
        }
        if let Some(raw) = offset {
            match parse_unsigned(raw).filter(|&n| n <= MAX_OFFSET) {
                Some(n) => paging.offset = n,
                None => errors.push(PagingError::InvalidOffset { value: raw.into() }),
            }
        }
        if let Some(raw) = count {
            if raw.eq_ignore_ascii_case("true") {
                paging.count = true;
            } else if raw.eq_ignore_ascii_case("false") {
                paging.count = false;
            } else {
                errors.push(PagingError::InvalidCount { value: raw.into() });
            }
        }
        if errors.is_empty() {
            Ok(paging)
        } else {
            Err(errors)
        }
    }
}

/// A malformed paging parameter. `Display` is the user-facing cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    /// `limit` is not an integer from 0 to [`MAX_LIMIT`].
    #[error("limit must be an integer from 0 to {MAX_LIMIT}, got \"{value}\"")]
    InvalidLimit {
        /// The value as received.
        value: String,
    },
    /// `offset` is not an integer from 0 to [`MAX_OFFSET`].
    #[error("offset must be an integer from 0 to {MAX_OFFSET}, got \"{value}\"")]
    InvalidOffset {
        /// The value as received.
        value: String,
    },
    /// `count` is not `true` or `false`.
    #[error("count must be true or false, got \"{value}\"")]
    InvalidCount {
        /// The value as received.
        value: String,
    },
}

impl PagingError {
    /// The query parameter at fault: `"limit"`, `"offset"` or `"count"`.
    pub fn parameter(&self) -> &'static str {
        match self {
            PagingError::InvalidLimit { .. } => "limit",
            PagingError::InvalidOffset { .. } => "offset",
            PagingError::InvalidCount { .. } => "count",
        }
    }
}

/// Plain ASCII digits as a `u64`; no sign, no whitespace, no overflow.
fn parse_unsigned(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_absent() {
        let paging = Paging::parse(None, None, None).unwrap();
        assert_eq!(paging, Paging::default());
        assert_eq!(
            paging,
            Paging {
                limit: 250,
                offset: 0,
                count: false
            }
        );
    }

    #[test]
    fn accepts_the_documented_range() {
        for (raw, limit) in [("0", 0), ("1", 1), ("250", 250), ("0020", 20)] {
            assert_eq!(Paging::parse(Some(raw), None, None).unwrap().limit, limit);
        }
        let paging = Paging::parse(Some("20"), Some("4"), Some("true")).unwrap();
        assert_eq!(
            paging,
            Paging {
                limit: 20,
                offset: 4,
                count: true
            }
        );
        assert_eq!(
            Paging::parse(None, Some("9223372036854775807"), None)
                .unwrap()
                .offset,
            MAX_OFFSET
        );
    }

    #[test]
    fn count_ignores_ascii_case() {
        for (raw, count) in [
            ("true", true),
            ("TRUE", true),
            ("False", false),
            ("false", false),
        ] {
            assert_eq!(Paging::parse(None, None, Some(raw)).unwrap().count, count);
        }
    }

    #[test]
    fn refuses_bad_limits() {
        for raw in [
            "251",
            "-1",
            "",
            " 10",
            "+10",
            "ten",
            "2.5",
            "99999999999999999999999",
        ] {
            assert_eq!(
                Paging::parse(Some(raw), None, None),
                Err(vec![PagingError::InvalidLimit { value: raw.into() }]),
                "{raw:?}"
            );
        }
        assert_eq!(
            Paging::parse(Some("251"), None, None).unwrap_err()[0].to_string(),
            "limit must be an integer from 0 to 250, got \"251\""
        );
    }

    #[test]
    fn refuses_bad_offsets() {
        for raw in ["-1", "", "x", "9223372036854775808"] {
            assert_eq!(
                Paging::parse(None, Some(raw), None),
                Err(vec![PagingError::InvalidOffset { value: raw.into() }]),
                "{raw:?}"
            );
        }
        assert_eq!(
            Paging::parse(None, Some("-1"), None).unwrap_err()[0].to_string(),
            "offset must be an integer from 0 to 9223372036854775807, got \"-1\""
        );
    }

    #[test]
    fn refuses_bad_counts() {
        for raw in ["yes", "1", "", "t"] {
            assert_eq!(
                Paging::parse(None, None, Some(raw)),
                Err(vec![PagingError::InvalidCount { value: raw.into() }]),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn reports_every_bad_parameter_by_name() {
        let errors = Paging::parse(Some("x"), Some("y"), Some("z")).unwrap_err();
        let parameters: Vec<_> = errors.iter().map(PagingError::parameter).collect();
        assert_eq!(parameters, ["limit", "offset", "count"]);
    }
}
