//! Attest's own API, under `/api/v1`: administration and introspection that the vendor
//! APIs have no place for.
//!
//! Policy: JSON in camelCase; every route needs a bearer token (the family router is wrapped
//! in [`crate::auth::authenticate`]) and declares any authority it requires next to its
//! path. Errors use the native body of [`crate::error`]:
//! `{"error": {"status", "code", "message", "details"}, "requestId"}`.
//! Handlers hold no rules: they call the store or the engine and translate shapes.

pub mod me;
pub mod orders;
pub mod reports;
pub mod warehouse;

use attest_domain::Authority;
use axum::routing::get;
use axum::Router;

use crate::auth::require_any;
use crate::AppState;

/// Where the native API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Who may read warehouse-wide figures: administrators and auditors.
pub const WAREHOUSE_READERS: &[Authority] = &[
    Authority::OrgAdmin,
    Authority::CertAdmin,
    Authority::ReportAdmin,
];

/// Who may read provisioning orders: the administrators who carry revocations out.
pub const ORDER_READERS: &[Authority] = &[Authority::OrgAdmin, Authority::CertAdmin];

/// Who may download campaign reports and the campaign CSV: administrators and auditors.
pub const REPORT_READERS: &[Authority] = &[
    Authority::OrgAdmin,
    Authority::CertAdmin,
    Authority::ReportAdmin,
];

/// The native routes, each with its authority requirement (none: any valid token).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me::get_me))
        .route(
            "/warehouse/summary",
            get(warehouse::get_warehouse_summary).route_layer(require_any(WAREHOUSE_READERS)),
        )
        .route(
            "/provisioning-orders",
            get(orders::list_provisioning_orders).route_layer(require_any(ORDER_READERS)),
        )
        .route(
            "/reports/{id}",
            get(reports::download_report).route_layer(require_any(REPORT_READERS)),
        )
        .route(
            "/campaigns/{id}/review-items.csv",
            get(reports::download_campaign_csv).route_layer(require_any(REPORT_READERS)),
        )
}
