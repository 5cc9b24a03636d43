//! Faults on our side: logged, and answered with an opaque 500 that names the request.

use attest_domain::Authority;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn storage_failures_are_opaque_500s() {
    each_failing_store(|app, store| async move {
        let token = app.token("alice", &[Authority::CertAdmin]).await;
        store.break_down();
        for path in ["/api/v1/me", "/api/v1/warehouse/summary"] {
            let response = app.get(path, Some(&token)).await;
            assert_eq!(response.status, 500, "{path}");
            assert_eq!(
                response.body,
                json!({
                    "error": {
                        "status": 500,
                        "code": "internal",
                        "message": "An internal error occurred.",
                        "details": [],
                    },
                    "requestId": response.request_id(),
                }),
                "{path}"
            );
            assert!(!response.body.to_string().contains(FAILURE_TEXT));
        }
    })
    .await;
}

#[tokio::test]
async fn token_endpoint_storage_failures_are_opaque_server_errors() {
    each_failing_store(|app, store| async move {
        let pat = app.pat("alice", &[]).await;
        store.break_down();
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            pat.client_id, pat.client_secret
        );
        let response = app.post_token("", Some(&form)).await;
        assert_eq!(response.status, 500);
        assert_eq!(
            response.body,
            json!({"error": "server_error", "error_description": "An internal error occurred."})
        );
    })
    .await;
}
