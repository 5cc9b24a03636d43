//! Bearer tokens: missing, malformed, tampered, expired; and authorities.

use attest_domain::Authority;
use axum::body::Body;
use axum::http::{header, Request};
use chrono::Duration;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn expired_tokens_get_sailpoints_jwt_expired_401() {
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        app.clock.advance(TTL - Duration::seconds(1));
        assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);

        app.clock.advance(Duration::seconds(1));
        let response = app.get("/v3/campaigns", Some(&token)).await;
        assert_eq!(response.status, 401);
        assert_eq!(
            response.body,
            json!({"error": "JWT validation failed: JWT is expired"})
        );
        assert_eq!(
            response.headers[header::WWW_AUTHENTICATE],
            "Bearer realm=\"attest\""
        );

        let response = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(response.status, 401);
        assert_eq!(response.body["error"]["code"], "unauthenticated");
        assert_eq!(
            response.body["error"]["message"],
            "JWT validation failed: JWT is expired"
        );
    })
    .await;
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_refused() {
    each_store(|app| async move {
        let token = app.token("alice", &[Authority::OrgAdmin]).await;
        // Flip the first character of the signature.
        let (rest, signature) = token.rsplit_once('.').unwrap();
        let first = signature.chars().next().unwrap();
        let flipped = if first == 'A' { 'B' } else { 'A' };
        let tampered = format!("{rest}.{flipped}{}", &signature[1..]);
        // Or change the claims (and keep the old signature).
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = "eyJzdWIiOiJtYWxsb3J5In0";
        let forged = parts.join(".");

        for bad in [tampered.as_str(), forged.as_str(), "not-a-jwt"] {
            let response = app.get("/beta/campaigns", Some(bad)).await;
            assert_eq!(response.status, 401, "{bad}");
            assert_eq!(
                response.body,
                json!({"error": "JWT validation failed: invalid token"})
            );
        }

        // A token from another deployment (another signing key) is just as foreign.
        let other = TestApp::new(attest_testing::sqlite_store().await).await;
        let foreign = other.token("alice", &[Authority::OrgAdmin]).await;
        assert_eq!(app.get("/api/v1/me", Some(&foreign)).await.status, 401);
    })
    .await;
}

#[tokio::test]
async fn missing_or_malformed_authorization_headers_are_401() {
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        let missing = json!({"error": "Missing or malformed Authorization header"});

        assert_eq!(app.get("/v3/campaigns", None).await.body, missing);
        for value in [
            format!("Basic {token}"),
            "Bearer".to_owned(),
            format!("Token {token}"),
        ] {
            let request = Request::get("/v3/campaigns")
                .header(header::AUTHORIZATION, value.clone())
                .body(Body::empty())
                .unwrap();
            let response = app.send(request).await;
            assert_eq!(response.status, 401, "{value}");
            assert_eq!(response.body, missing, "{value}");
        }
        // The scheme is case-insensitive (RFC 7235).
        let request = Request::get("/api/v1/me")
            .header(header::AUTHORIZATION, format!("bearer {token}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn a_reviewer_may_not_read_the_warehouse_summary() {
    each_store(|app| async move {
        let token = app.token("rita", &[]).await;
        let response = app.get("/api/v1/warehouse/summary", Some(&token)).await;
        assert_eq!(response.status, 403);
        assert_eq!(
            response.body,
            json!({
                "error": {
                    "status": 403,
                    "code": "forbidden",
                    "message": "This operation requires one of the authorities ORG_ADMIN, CERT_ADMIN, REPORT_ADMIN.",
                    "details": [],
                },
                "requestId": response.request_id(),
            })
        );
    })
    .await;
}

#[tokio::test]
async fn administrators_and_auditors_read_the_warehouse_summary() {
    each_store(|app| async move {
        for (id, authority) in [
            ("carl", Authority::CertAdmin),
            ("rose", Authority::ReportAdmin),
            ("olga", Authority::OrgAdmin),
        ] {
            let token = app.token(id, &[authority]).await;
            let response = app.get("/api/v1/warehouse/summary", Some(&token)).await;
            assert_eq!(response.status, 200, "{authority}: {:?}", response.body);
        }
        let token = app.token("cara", &[Authority::CertAdmin]).await;
        let response = app.get("/api/v1/warehouse/summary", Some(&token)).await;
        assert_eq!(
            response.body,
            json!({
                "identities": 4,
                "sources": 0,
                "entitlements": 0,
                "accessProfiles": 0,
                "roles": 0,
                "accounts": 0,
                "assignments": 0,
                "governanceGroups": 0,
                "permissions": 0,
            })
        );
    })
    .await;
}
