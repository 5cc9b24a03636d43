//! The HTTP surface end to end: every test drives the real router with `oneshot`, on SQLite
//! always and on PostgreSQL when `ATTEST_TEST_DATABASE_URL` is set (see
//! [`support::each_store`]). One test binary, many modules, so it links once.

mod support;

mod auth;
mod campaign_filters;
mod campaign_templates;
mod campaigns;
mod certifications;
mod event_triggers;
mod families;
mod health;
mod internal_errors;
mod native;
mod oauth;
mod openapi;
mod rate_limit;
mod remediation;
mod reports;
mod request_id;
mod summaries;
mod tasks;
