//! `GET /health`.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn health_reports_a_ready_database() {
    each_store(|app| async move {
        let response = app.get("/health", None).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            json!({
                "status": "ok",
                "database": {"backend": app.store.backend().as_str(), "ready": true},
                "version": env!("CARGO_PKG_VERSION"),
            })
        );
        assert!(is_generated_id(&response.request_id()));
    })
    .await;
}

#[tokio::test]
async fn health_reports_an_unavailable_database_with_503() {
    each_failing_store(|app, store| async move {
        store.break_down();
        let response = app.get("/health", None).await;
        assert_eq!(response.status, 503);
        assert_eq!(
            response.body,
            json!({
                "status": "unavailable",
                "database": {
                    "backend": app.store.backend().as_str(),
                    "ready": false,
                    "error": format!("database unavailable: {FAILURE_TEXT}"),
                },
                "version": env!("CARGO_PKG_VERSION"),
            })
        );
    })
    .await;
}
