//! One module per command.

pub mod demo_data;
pub mod import;
pub mod migrate;
pub mod pat;
pub mod serve;
