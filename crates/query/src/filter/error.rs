//! Filter syntax errors.
//!
//! Every error names what went wrong and where: positions are 0-based offsets in characters
//! (not bytes) into the `filters` value as received, after URL decoding. Messages are written
//! for the API caller, who sees them verbatim as a cause of a 400 response.

use std::fmt;

use super::ast::{write_quoted, Op};

/// Why a `filters` value is not a well-formed filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The filter is empty or only whitespace.
    #[error("the filter is empty")]
    Empty,
    /// A token appeared where the grammar allows something else.
    #[error("unexpected {found} at position {position}; expected {expected}")]
    Unexpected {
        /// What was there.
        found: Found,
        /// Where it starts.
        position: usize,
        /// What the grammar allows there, phrased for the caller.
        expected: &'static str,
    },
    /// A `"` opened a string that never closes.
    #[error("unterminated string starting at position {position}; add the closing \"")]
    UnterminatedString {
        /// Where the opening quote is.
        position: usize,
    },
    /// A backslash inside a string is not followed by a known escape.
    #[error(
        "invalid escape sequence \"{sequence}\" at position {position}; \
         supported escapes are \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\uXXXX"
    )]
    InvalidEscape {
        /// The offending sequence as written, starting with the backslash.
        sequence: String,
        /// Where the backslash is.
        position: usize,
    },
    /// A `\uXXXX` escape names half of a UTF-16 surrogate pair without the other half.
    #[error(
        "unpaired surrogate escape \"{sequence}\" at position {position}; \
         characters outside the Basic Multilingual Plane need a \\uD800-\\uDBFF \\uDC00-\\uDFFF pair"
    )]
    UnpairedSurrogate {
        /// The escape as written.
        sequence: String,
        /// Where its backslash is.
        position: usize,
    },
    /// A field name is not a dot-separated list of identifiers.
    #[error(
        "invalid field name \"{name}\" at position {position}; \
         field names are identifiers separated by dots, such as identity.id"
    )]
    InvalidFieldName {
        /// The name as written.
        name: String,
        /// Where it starts.
        position: usize,
    },
    /// `()` where a list of values was expected.
    #[error("empty list at position {position}; a list needs at least one value")]
    EmptyList {
        /// Where the `(` is.
        position: usize,
    },
    /// A list was given to an operator that takes one value.
    #[error("unexpected list at position {position}; operator \"{op}\" takes a single value")]
    ListNotAllowed {
        /// The operator.
        op: Op,
        /// Where the list's `(` is.
        position: usize,
    },
    /// A `)` closes nothing.
    #[error("unmatched \")\" at position {position}")]
    UnmatchedCloseParen {
        /// Where the `)` is.
        position: usize,
    },
    /// A `(` is never closed.
    #[error("unclosed \"(\" at position {position}; expected \")\" before the end of the filter")]
    UnclosedParen {
        /// Where the `(` is.
        position: usize,
    },
    /// Parentheses or `not`s nest deeper than [`MAX_NESTING`](super::MAX_NESTING).
    #[error(
        "the filter nests too deeply at position {position}; at most {limit} levels are allowed"
    )]
    TooDeep {
        /// Where the level that went over the limit starts.
        position: usize,
        /// The limit.
        limit: usize,
    },
}

impl ParseError {
    /// The character offset the error points at; `None` for [`ParseError::Empty`].
    pub fn position(&self) -> Option<usize> {
        match self {
            ParseError::Empty => None,
            ParseError::Unexpected { position, .. }
            | ParseError::UnterminatedString { position }
            | ParseError::InvalidEscape { position, .. }
            | ParseError::UnpairedSurrogate { position, .. }
            | ParseError::InvalidFieldName { position, .. }
            | ParseError::EmptyList { position }
            | ParseError::ListNotAllowed { position, .. }
            | ParseError::UnmatchedCloseParen { position }
            | ParseError::UnclosedParen { position }
            | ParseError::TooDeep { position, .. } => Some(*position),
        }
    }
}

/// The token an [`ParseError::Unexpected`] error found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// An unquoted word: a keyword, field name, number or bare value.
    Word(String),
    /// A quoted string, with escapes resolved.
    String(String),
    /// `(`.
    OpenParen,
    /// `)`.
    CloseParen,
    /// `,`.
    Comma,
    /// The end of the input.
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Word(word) => write!(f, "token \"{word}\""),
            Found::String(s) => {
                f.write_str("string ")?;
                write_quoted(f, s)
            }
            Found::OpenParen => f.write_str("\"(\""),
            Found::CloseParen => f.write_str("\")\""),
            Found::Comma => f.write_str("\",\""),
            Found::End => f.write_str("end of filter"),
        }
    }
}
