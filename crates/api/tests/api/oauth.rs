//! `POST /oauth/token`: the client-credentials grant, its errors, and what it never logs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use attest_domain::Authority;
use axum::body::Body;
use axum::http::{header, Request};
use base64::Engine;
use serde_json::json;

use crate::support::*;

fn form(client_id: &str, secret: &str) -> String {
    format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}")
}

#[tokio::test]
async fn form_and_query_tokens_open_the_api() {
    each_store(|app| async move {
        let pat = app.pat("alice", &[Authority::CertAdmin]).await;
        let params = form(&pat.client_id.0, &pat.client_secret);

        for (query, body) in [("", Some(params.as_str())), (params.as_str(), None)] {
            let response = app.post_token(query, body).await;
            assert_eq!(response.status, 200, "{:?}", response.body);
            assert_eq!(response.headers[header::CACHE_CONTROL], "no-store");
            let token = response.body["access_token"].as_str().unwrap().to_owned();
            assert_eq!(
                response.body,
                json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "scope": "sp:scopes:all",
                    "identity_id": "alice",
                    "authorities": ["CERT_ADMIN"],
                })
            );

            let me = app.get("/api/v1/me", Some(&token)).await;
            assert_eq!(me.status, 200, "{:?}", me.body);
            assert_eq!(me.body["identityId"], "alice");
            assert_eq!(me.body["clientId"], pat.client_id.0.as_str());
        }
    })
    .await;
}

#[tokio::test]
async fn body_parameters_win_over_query_parameters() {
    each_store(|app| async move {
        let pat = app.pat("alice", &[]).await;
        let good = form(&pat.client_id.0, &pat.client_secret);
        let bad = form(&pat.client_id.0, "wrong");
        assert_eq!(app.post_token(&bad, Some(&good)).await.status, 200);
        assert_eq!(app.post_token(&good, Some(&bad)).await.status, 401);
    })
    .await;
}

#[tokio::test]
async fn http_basic_client_authentication_is_accepted() {
    each_store(|app| async move {
        let pat = app.pat("alice", &[]).await;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", pat.client_id, pat.client_secret));
        let request = Request::post("/oauth/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Body::from("grant_type=client_credentials"))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        assert_eq!(response.body["identity_id"], "alice");
    })
    .await;
}

#[tokio::test]
async fn wrong_secret_and_unknown_client_are_invalid_client() {
    each_store(|app| async move {
        let pat = app.pat("alice", &[]).await;
        let invalid_client =
            json!({"error": "invalid_client", "error_description": "Bad credentials"});

        let wrong_secret = app
            .post_token("", Some(&form(&pat.client_id.0, "0123")))
            .await;
        assert_eq!(wrong_secret.status, 401);
        assert_eq!(wrong_secret.body, invalid_client);
        assert_eq!(wrong_secret.headers[header::CACHE_CONTROL], "no-store");

        let unknown = app
            .post_token("", Some(&form("nobody", &pat.client_secret)))
            .await;
        assert_eq!(unknown.status, 401);
        assert_eq!(unknown.body, invalid_client);
    })
    .await;
}

#[tokio::test]
async fn malformed_requests_are_oauth_400s() {
    each_store(|app| async move {
        let response = app.post_token("", Some("client_id=a&client_secret=b")).await;
        assert_eq!(response.status, 400);
        assert_eq!(response.body["error"], "invalid_request");
        assert!(response.body["error_description"].as_str().unwrap().contains("grant_type"));

        let response = app.post_token("", None).await;
        assert_eq!(response.status, 400);
        assert_eq!(response.body["error"], "invalid_request");

        let response = app
            .post_token("", Some("grant_type=password&client_id=a&client_secret=b"))
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body,
            json!({
                "error": "unsupported_grant_type",
                "error_description": "Only the client_credentials grant is supported, not \"password\".",
            })
        );

        let response = app.post_token("grant_type=client_credentials&client_id=a", None).await;
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body,
            json!({
                "error": "invalid_request",
                "error_description": "The client_id and client_secret parameters are required.",
            })
        );
    })
    .await;
}

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged at any level by this test binary from the first call on.
///
/// A global subscriber, because tracing caches per call site whether anyone listens: with
/// per-test (thread-scoped) subscribers, a test running in parallel can cache "no one" and
/// hide events from this one.
fn captured_logs() -> String {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        logs
    });
    String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned()
}

#[tokio::test]
async fn client_secrets_never_reach_the_logs() {
    captured_logs();
    let app = TestApp::new(attest_testing::sqlite_store().await).await;
    let pat = app.pat("alice", &[]).await;
    let params = form(&pat.client_id.0, &pat.client_secret);
    let wrong = form(&pat.client_id.0, "not-the-secret-3f9a");
    let requests = [
        ("secret-test-query", token_request(&params, None), 200),
        ("secret-test-form", token_request("", Some(&params)), 200),
        ("secret-test-wrong", token_request(&wrong, None), 401),
    ];
    for (id, mut request, status) in requests {
        request
            .headers_mut()
            .insert("x-request-id", id.parse().unwrap());
        assert_eq!(app.send(request).await.status, status);
    }

    let logs = captured_logs();
    for (id, status) in [("query", 200), ("form", 200), ("wrong", 401)] {
        let span = format!("path=/oauth/token request_id=secret-test-{id}}}");
        let end = format!("request finished status={status}");
        assert!(
            logs.lines().any(|l| l.contains(&span) && l.contains(&end)),
            "each request is logged with its path, id and status: {logs}"
        );
    }
    assert!(
        !logs.contains(&pat.client_secret),
        "a secret was logged: {logs}"
    );
    assert!(
        !logs.contains("not-the-secret-3f9a"),
        "a wrong secret was logged: {logs}"
    );
    assert!(
        !logs.contains("client_secret="),
        "a query string was logged: {logs}"
    );
}
