//! The `filters` collection parameter: its syntax tree, parser, canonical rendering and
//! per-endpoint validation.
//!
//! ```text
//! filter     := or_expr
//! or_expr    := and_expr ( "or" and_expr )*
//! and_expr   := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" or_expr ")" | "pr" field | field "isnull" | field op operand
//! op         := eq | ne | gt | ge | lt | le | co | sw | in | ca
//! operand    := scalar | "(" scalar ( "," scalar )* ")"     -- a list only for in and ca
//! scalar     := "quoted string" | number | true | false | null | bare-token
//! field      := identifier ( "." identifier )*
//! ```
//!
//! Policy:
//! - Parsing ([`parse`]) knows the grammar and nothing of any endpoint; it fails on the first
//!   syntax error with the character offset and the offending token. Checking what an endpoint
//!   supports ([`validate`] against a [`FilterSpec`]) is a separate pass that reports every
//!   refusal at once, because each becomes one `causes` entry of a SailPoint 400.
//! - Precedence is `not` > `and` > `or`, as SailPoint documents; parentheses group.
//! - Keywords (`and`, `or`, `not`, `pr`, `isnull`, the operators, `true`, `false`, `null`) are
//!   matched case-insensitively. SailPoint documents lowercase only and rejects `EQ`; accepting
//!   it here is a deliberate leniency that never changes the meaning of a lowercase filter.
//! - Strings take JSON-style escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
//!   `\uXXXX` with surrogate pairs); SailPoint documents only `\"` and `\\`.
//! - An unquoted token that is not a number or keyword (for example a timestamp such as
//!   `2026-01-01T00:00:00Z`) becomes a [`Value::String`]; whether it fits the field is the
//!   validator's call, not the parser's. [`Filter`]'s `Display` always quotes strings, so the
//!   canonical rendering re-parses to the same tree.
//! - [`matches()`] evaluates a filter in memory against any [`Record`] (see its module for the
//!   comparison rules); the stores translate list filters to SQL instead.
//! - `ca` accepts a single value or a list; the parser always stores a list, so consumers see
//!   one shape.

mod ast;
mod error;
mod eval;
mod lexer;
mod parser;
mod validate;

pub use ast::{Filter, Number, Op, Value};
pub use error::{Found, ParseError};
pub use eval::{matches, FieldValue, Record};
pub(crate) use parser::is_field_path;
pub use parser::{parse, MAX_NESTING};
pub use validate::{validate, Composite, FieldSpec, FieldType, FilterRefusal, FilterSpec};
