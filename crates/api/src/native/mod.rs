//! Attest's own API, under `/api/v1`: administration and introspection that the vendor
//! APIs have no place for.
//!
//! Policy: JSON in camelCase; every route needs a bearer token (the family router is wrapped
//! in [`crate::auth::authenticate`]) and declares any authority it requires next to its
//! path. Errors use the native body of [`crate::error`]:
//! `{"error": {"status", "code", "message", "details"}, "requestId"}`.
//! Handlers hold no rules: they call the store or the engine and translate shapes.

pub mod event_subscriptions;
pub mod me;
pub mod orders;
pub mod remediation;
pub mod reports;
pub mod warehouse;

use attest_domain::Authority;
use axum::routing::{get, post};
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

/// Who may manage event trigger subscriptions: the tenant administrator only (a subscription
/// sends campaign data to any URL).
pub const EVENT_SUBSCRIPTION_MANAGERS: &[Authority] = &[Authority::OrgAdmin];
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
        .route(
            "/provisioning-orders/manual.csv",
            get(remediation::export_manual_orders).route_layer(require_any(ORDER_READERS)),
        )
        .route(
            "/provisioning-orders/mark-done",
            post(remediation::mark_orders_done).route_layer(require_any(ORDER_READERS)),
        )
        .route(
            "/campaigns/{id}/apply-decisions",
            post(remediation::apply_decisions).route_layer(require_any(ORDER_READERS)),
        )
        .route(
            "/sources/{id}/remediation-sink",
            get(remediation::get_remediation_sink)
                .put(remediation::put_remediation_sink)
                .delete(remediation::delete_remediation_sink)
                .route_layer(require_any(ORDER_READERS)),
        )
        .merge(event_subscription_routes())
}

/// `/event-subscriptions`: ORG_ADMIN only.
fn event_subscription_routes() -> Router<AppState> {
    use event_subscriptions::*;
    Router::new()
        .route(
            "/event-subscriptions",
            get(list_event_subscriptions).post(create_event_subscription),
        )
        .route(
            "/event-subscriptions/{id}",
            get(get_event_subscription)
                .put(put_event_subscription)
                .delete(delete_event_subscription),
        )
        .route(
            "/event-subscriptions/{id}/deliveries",
            get(list_event_deliveries),
        )
        .route_layer(require_any(EVENT_SUBSCRIPTION_MANAGERS))
}
