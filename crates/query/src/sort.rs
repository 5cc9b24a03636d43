//! The `sorters` collection parameter: `type,-modified` sorts by `type` ascending, then by
//! `modified` descending.
//!
//! Policy: parsing ([`parse_sorters`]) checks only the syntax: comma-separated field names,
//! each optionally prefixed with `-`, whitespace allowed around items and after the `-`; a
//! blank value means "no sorting". Naming a field twice is an error, since the second mention
//! could never take effect. Checking the fields against what an endpoint can sort by
//! ([`validate_sorters`] with a [`SortSpec`]) is separate and reports every unsupported field.
//! Field names are matched case-sensitively. Positions are 0-based character offsets.

use std::fmt;

use crate::filter::is_field_path;

/// One sort criterion.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortKey {
    /// The field to sort by, e.g. `created`.
    pub field: String,
    /// Whether the order is descending (written with a `-` prefix).
    pub descending: bool,
}

impl SortKey {
    /// Ascending order on `field`.
    pub fn ascending(field: impl Into<String>) -> Self {
        SortKey {
            field: field.into(),
            descending: false,
        }
    }

    /// Descending order on `field`.
    pub fn descending(field: impl Into<String>) -> Self {
        SortKey {
            field: field.into(),
            descending: true,
        }
    }
}

/// Renders the key as it is written in `sorters`: `-created` or `name`.
impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        f.write_str(&self.field)
    }
}

/// The fields one endpoint can sort by, declared as a constant next to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    fields: &'static [&'static str],
}

impl SortSpec {
    /// A spec allowing sorting by `fields`.
    pub const fn new(fields: &'static [&'static str]) -> Self {
        SortSpec { fields }
    }

    /// The sortable fields.
    pub const fn fields(&self) -> &'static [&'static str] {
        self.fields
    }

    /// Parses `input` and checks it against this spec. A syntax error is the only error
    /// returned; otherwise every unsupported field is.
    ///
    /// ```
    /// use attest_query::{SortKey, SortSpec};
    ///
    /// const CAMPAIGN_SORTERS: SortSpec = SortSpec::new(&["name", "created"]);
    /// assert_eq!(
    ///     CAMPAIGN_SORTERS.parse("-created, name").unwrap(),
    ///     [SortKey::descending("created"), SortKey::ascending("name")]
    /// );
    /// let refused = CAMPAIGN_SORTERS.parse("owner").unwrap_err();
    /// assert_eq!(
    ///     refused[0].to_string(),
    ///     "sort field \"owner\" is not supported; supported sort fields are name, created"
    /// );
    /// ```
    pub fn parse(&self, input: &str) -> Result<Vec<SortKey>, Vec<SortError>> {
        let keys = parse_sorters(input).map_err(|error| vec![error])?;
        validate_sorters(&keys, self)?;
        Ok(keys)
    }
}

/// Why a `sorters` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortError {
    /// Two commas in a row, or a leading or trailing comma.
    #[error(
        "empty sort field at position {position}; sorters is a comma-separated list of field \
         names, each optionally prefixed with \"-\" for descending order"
    )]
    EmptyField {
        /// Where the missing field should be.
        position: usize,
    },
    /// An item that is not a field name with an optional `-`.
    #[error(
        "invalid sort field \"{field}\" at position {position}; expected a field name such as \
         created, optionally prefixed with \"-\" for descending order"
    )]
    InvalidField {
        /// The item as written, without surrounding whitespace.
        field: String,
        /// Where it starts.
        position: usize,
    },
    /// The same field appears twice.
    #[error("sort field \"{field}\" at position {position} is already listed")]
    DuplicateField {
        /// The field.
        field: String,
        /// Where the second mention starts.
        position: usize,
    },
    /// The endpoint cannot sort by this field.
    #[error(
        "sort field \"{field}\" is not supported; supported sort fields are {}",
        if .supported.is_empty() { "none".to_owned() } else { .supported.join(", ") }
    )]
    UnsupportedField {
        /// The field.
        field: String,
        /// The fields the endpoint can sort by.
        supported: Vec<&'static str>,
    },
}

/// Parses a `sorters` value into sort keys, most significant first.
///
/// A blank value yields no keys.
pub fn parse_sorters(input: &str) -> Result<Vec<SortKey>, SortError> {
    let mut keys: Vec<SortKey> = Vec::new();
    if input.trim().is_empty() {
        return Ok(keys);
    }
    let mut offset = 0;
    for piece in input.split(',') {
        let position = offset + piece.chars().take_while(|c| c.is_whitespace()).count();
        offset += piece.chars().count() + 1;
        let item = piece.trim();
        if item.is_empty() {
            return Err(SortError::EmptyField { position });
        }
        let (descending, field) = match item.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, item),
        };
        if !is_field_path(field) {
            return Err(SortError::InvalidField {
                field: item.to_owned(),
                position,
            });
        }
        if keys.iter().any(|key| key.field == field) {
            return Err(SortError::DuplicateField {
                field: field.to_owned(),
                position,
            });
        }
        keys.push(SortKey {
            field: field.to_owned(),
            descending,
        });
    }
    Ok(keys)
}

/// Checks parsed sort keys against what an endpoint can sort by, reporting every unsupported
/// field in order.
pub fn validate_sorters(keys: &[SortKey], spec: &SortSpec) -> Result<(), Vec<SortError>> {
    let refusals: Vec<_> = keys
        .iter()
        .filter(|key| !spec.fields.contains(&key.field.as_str()))
        .map(|key| SortError::UnsupportedField {
            field: key.field.clone(),
            supported: spec.fields.to_vec(),
        })
        .collect();
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMPAIGNS: SortSpec = SortSpec::new(&["name", "created", "deadline"]);

    fn err(input: &str) -> String {
        parse_sorters(input).unwrap_err().to_string()
    }

    #[test]
    fn parses_ascending_and_descending_keys_in_order() {
        assert_eq!(
            parse_sorters("type,-modified").unwrap(),
            [SortKey::ascending("type"), SortKey::descending("modified")]
        );
        assert_eq!(
            parse_sorters("-identity.name").unwrap(),
            [SortKey::descending("identity.name")]
        );
    }

    #[test]
    fn tolerates_whitespace() {
        assert_eq!(
            parse_sorters("  name , - created\t,deadline ").unwrap(),
            [
                SortKey::ascending("name"),
                SortKey::descending("created"),
                SortKey::ascending("deadline"),
            ]
        );
    }

    #[test]
    fn blank_means_no_sorting() {
        assert_eq!(parse_sorters("").unwrap(), []);
        assert_eq!(parse_sorters("  ").unwrap(), []);
    }

    #[test]
    fn keys_render_as_written() {
        let rendered: Vec<String> = parse_sorters("name, -created")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(rendered, ["name", "-created"]);
    }

    #[test]
    fn empty_items_are_refused_with_their_position() {
        assert_eq!(
            parse_sorters("name,,created"),
            Err(SortError::EmptyField { position: 5 })
        );
        assert_eq!(
            parse_sorters("name,"),
            Err(SortError::EmptyField { position: 5 })
        );
        assert_eq!(
            parse_sorters(",name"),
            Err(SortError::EmptyField { position: 0 })
        );
        assert_eq!(
            err("name, ,x"),
            "empty sort field at position 6; sorters is a comma-separated list of field names, \
             each optionally prefixed with \"-\" for descending order"
        );
    }

    #[test]
    fn malformed_items_are_named() {
        for (input, field, position) in [
            ("-", "-", 0),
            ("--name", "--name", 0),
            ("name, +created", "+created", 6),
            ("na me", "na me", 0),
            ("név", "név", 0),
            // Positions count characters: the ideographic space is one character, three bytes.
            ("\u{3000}name,1x", "1x", 6),
        ] {
            assert_eq!(
                parse_sorters(input),
                Err(SortError::InvalidField {
                    field: field.into(),
                    position
                }),
                "{input}"
            );
        }
        assert_eq!(
            err("name, +created"),
            "invalid sort field \"+created\" at position 6; expected a field name such as \
             created, optionally prefixed with \"-\" for descending order"
        );
    }

    #[test]
    fn duplicates_are_refused() {
        assert_eq!(
            parse_sorters("name,-name"),
            Err(SortError::DuplicateField {
                field: "name".into(),
                position: 5
            })
        );
        assert_eq!(
            err("name,-name"),
            "sort field \"name\" at position 5 is already listed"
        );
    }

    #[test]
    fn validation_reports_every_unsupported_field() {
        let keys = parse_sorters("owner,name,-status").unwrap();
        let refusals = validate_sorters(&keys, &CAMPAIGNS).unwrap_err();
        let messages: Vec<String> = refusals.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "sort field \"owner\" is not supported; supported sort fields are name, created, deadline",
                "sort field \"status\" is not supported; supported sort fields are name, created, deadline",
            ]
        );
        assert_eq!(validate_sorters(&keys[1..2], &CAMPAIGNS), Ok(()));
    }

    #[test]
    fn spec_parse_combines_both_steps() {
        assert_eq!(
            CAMPAIGNS.parse("-deadline").unwrap(),
            [SortKey::descending("deadline")]
        );
        assert_eq!(
            CAMPAIGNS.parse("name,,x").unwrap_err(),
            [SortError::EmptyField { position: 5 }]
        );
        assert_eq!(CAMPAIGNS.parse("x,y").unwrap_err().len(), 2);
        assert_eq!(CAMPAIGNS.fields(), &["name", "created", "deadline"]);
        let nothing = SortSpec::new(&[]);
        assert_eq!(
            nothing.parse("name").unwrap_err()[0].to_string(),
            "sort field \"name\" is not supported; supported sort fields are none"
        );
    }
}
