//! Attest's own API.

use attest_domain::Authority;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn me_describes_the_caller() {
    each_store(|app| async move {
        let pat = app
            .pat("alice", &[Authority::ReportAdmin, Authority::CertAdmin])
            .await;
        let token = app
            .credentials
            .issue_token(&pat.client_id.0, &pat.client_secret)
            .await
            .unwrap()
            .access_token;
        let response = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            json!({
                "identityId": "alice",
                "clientId": pat.client_id.0,
                "authorities": ["CERT_ADMIN", "REPORT_ADMIN"],
                "expiresAt": "2026-03-02T10:00:00Z",
                "name": "alice",
                "displayName": "alice (display)",
                "email": "alice@example.com",
            })
        );
    })
    .await;
}
