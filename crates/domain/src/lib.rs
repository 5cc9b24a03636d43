//! The domain of Attest: the identity warehouse's types, the authorities a caller may hold,
//! the injected clock, and the rules that need no I/O (cell parsing, manager-loop detection).
//!
//! Policy: this crate never performs I/O, never reads the wall clock except through
//! [`clock::SystemClock`], and knows nothing of HTTP or SQL. Every other crate builds on it.

pub mod auth;
pub mod campaign;
pub mod campaign_filter;
pub mod certification;
pub mod clock;
pub mod hierarchy;
pub mod ids;
pub mod remediation;
pub mod report;
pub mod schedule;
pub mod template;
pub mod values;
pub mod warehouse;

pub use auth::{Authority, AuthorityParseError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::*;
pub use warehouse::*;
