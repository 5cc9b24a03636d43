//! Request ids: echoed, generated when absent, and the id in every error body.

use axum::body::Body;
use axum::http::Request;

use crate::support::*;

const CLIENT_ID: &str = "b21b1f7ce4da4d639f2c62a57171b427";

fn with_request_id(uri: &str, id: &str) -> Request<Body> {
    Request::get(uri)
        .header("x-request-id", id)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_client_request_id_is_echoed_and_tracks_errors() {
    each_store(|app| async move {
        let response = app.send(with_request_id("/v3/campaigns", CLIENT_ID)).await;
        assert_eq!(response.request_id(), CLIENT_ID);
        assert_eq!(response.status, 401);

        let token = app.token("alice", &[]).await;
        let mut request = with_request_id("/certifications/v1/certifications/x", CLIENT_ID);
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let response = app.send(request).await;
        assert_eq!(response.status, 404);
        assert_eq!(response.request_id(), CLIENT_ID);
        assert_eq!(response.body["trackingId"], CLIENT_ID);

        let response = app
            .send(with_request_id("/governance/api/v1/campaigns", "req-42"))
            .await;
        assert_eq!(response.request_id(), "req-42");
        assert_eq!(response.body["errorId"], "req-42");

        let response = app.send(with_request_id("/nowhere", "req-43")).await;
        assert_eq!(response.body["requestId"], "req-43");
    })
    .await;
}

#[tokio::test]
async fn request_ids_are_generated_when_absent_or_unusable() {
    each_store(|app| async move {
        let response = app.get("/beta/campaigns", None).await;
        let id = response.request_id();
        assert!(is_generated_id(&id), "{id}");

        let token = app.token("alice", &[]).await;
        let response = app.get("/beta/campaigns", Some(&token)).await;
        assert!(is_generated_id(&response.request_id()));
        assert_eq!(response.body["trackingId"], response.request_id());
        assert_ne!(response.request_id(), id, "each request gets its own id");

        let too_long = "a".repeat(200);
        let response = app.send(with_request_id("/health", &too_long)).await;
        assert!(is_generated_id(&response.request_id()));
    })
    .await;
}
