//! Attest's services: the use cases that the command line and the API façades call.
//!
//! Policy: the engine holds the rules that need storage (reference checks across files,
//! credential verification); pure rules live in `attest-domain`. It talks to storage only
//! through `attest-store` traits and never knows which database is behind them.

pub mod campaigns;
pub mod credentials;
pub mod demo;
pub mod import;
pub mod triggers;
pub mod webhook;
