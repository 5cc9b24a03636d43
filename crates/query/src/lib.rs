//! Attest's query languages: the SailPoint V3 standard collection parameters `filters`,
//! `sorters`, `limit`, `offset` and `count`.
//!
//! Policy: this crate is pure grammar. It turns query-string values into typed requests
//! ([`Filter`], [`SortKey`], [`Paging`]) and checks them against what one endpoint declares it
//! supports ([`FilterSpec`], [`SortSpec`]). It performs no I/O, knows nothing of HTTP, SQL or the
//! domain, and never decides a response body: every error it returns is a value whose
//! `Display` is a precise, user-facing sentence, ready to become one `causes` entry of a
//! SailPoint 400 `ErrorResponseDto` in the API crate. Endpoint specs themselves live with the
//! handlers that declare them, not here.
//!
//! The grammar follows SailPoint's "Standard Collection Parameters" page; where this crate is
//! deliberately more lenient (case-insensitive keywords, JSON-style string escapes), the module
//! that does it says so.

pub mod filter;
pub mod paging;
pub mod sort;

pub use filter::{
    matches as filter_matches, parse as parse_filter, validate as validate_filter, Composite,
    FieldSpec, FieldType, FieldValue, Filter, FilterRefusal, FilterSpec, Found, Number, Op,
    ParseError, Record, Value,
};
pub use paging::{Paging, PagingError, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
pub use sort::{parse_sorters, validate_sorters, SortError, SortKey, SortSpec};
