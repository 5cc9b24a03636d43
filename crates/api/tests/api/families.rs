//! Every API family answers in its own dialect: 401 without a valid token, its 404 with one,
//! for every path under its prefix; paths outside every family get the native 404.

use serde_json::{json, Value};

use crate::support::*;

fn sailpoint_message(text: &str) -> Value {
    json!({"locale": "en-US", "localeOrigin": "DEFAULT", "text": text})
}

#[tokio::test]
async fn sailpoint_families_answer_401_then_their_404() {
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        for prefix in attest_api::sailpoint::PREFIXES {
            for path in [format!("{prefix}/nothing/here/at/all"), format!("{prefix}/campaigns-of-old/abc/decide")] {
                let response = app.get(&path, None).await;
                assert_eq!(response.status, 401, "{path}");
                assert_eq!(
                    response.body,
                    json!({"error": "Missing or malformed Authorization header"}),
                    "{path}"
                );

                let response = app.get(&path, Some(&token)).await;
                assert_eq!(response.status, 404, "{path}");
                assert_eq!(
                    response.body,
                    json!({
                        "detailCode": "404 Not found",
                        "trackingId": response.request_id(),
                        "messages": [sailpoint_message(
                            "The server did not find a current representation for the target resource."
                        )],
                        "causes": [sailpoint_message(&format!("No resource at {path}."))],
                    }),
                    "{path}"
                );
            }
        }
        // The bare prefix belongs to the family too.
        assert_eq!(app.get("/v3", None).await.status, 401);
    })
    .await;
}

#[tokio::test]
async fn okta_family_answers_401_then_its_404() {
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        let response = app.get("/governance/api/v1/campaigns", None).await;
        assert_eq!(response.status, 401);
        assert_eq!(
            response.body,
            json!({
                "errorCode": "E0000004",
                "errorSummary": "Authentication failed.",
                "errorLink": "E0000004",
                "errorId": response.request_id(),
                "errorCauses": [],
            })
        );

        let response = app.get("/governance/api/v1/reviews/r1", Some(&token)).await;
        assert_eq!(response.status, 404);
        assert_eq!(
            response.body,
            json!({
                "errorCode": "E0000007",
                "errorSummary": "Resource not found exception.",
                "errorLink": "E0000007",
                "errorId": response.request_id(),
                "errorCauses": [],
            })
        );
    })
    .await;
}

#[tokio::test]
async fn native_family_and_global_fallback() {
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        let response = app.get("/api/v1/nothing-here", None).await;
        assert_eq!(response.status, 401);
        assert_eq!(
            response.body,
            json!({
                "error": {
                    "status": 401,
                    "code": "unauthenticated",
                    "message": "Missing or malformed Authorization header",
                    "details": [],
                },
                "requestId": response.request_id(),
            })
        );

        let response = app.get("/api/v1/nothing-here", Some(&token)).await;
        assert_eq!(response.status, 404);
        assert_eq!(response.body["error"]["code"], "not_found");

        // Outside every family: the native 404, no token needed.
        for path in ["/nowhere", "/v3x/campaigns", "/governance/api/v2/campaigns"] {
            let response = app.get(path, None).await;
            assert_eq!(response.status, 404, "{path}");
            assert_eq!(
                response.body,
                json!({
                    "error": {
                        "status": 404,
                        "code": "not_found",
                        "message": format!("No resource at {path}."),
                        "details": [],
                    },
                    "requestId": response.request_id(),
                }),
                "{path}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_wrong_method_gets_a_405_body_in_the_family_dialect() {
    use axum::body::Body;
    use axum::http::{header, Method, Request};
    each_store(|app| async move {
        let token = app.token("alice", &[]).await;
        let delete_me = Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = app.send(delete_me).await;
        assert_eq!(response.status, 405);
        assert_eq!(response.body["error"]["code"], "method_not_allowed");
        assert_eq!(response.body["error"]["message"], "DELETE is not supported on /api/v1/me.");

        let get_token = Request::builder().method(Method::GET).uri("/oauth/token").body(Body::empty()).unwrap();
        let response = app.send(get_token).await;
        assert_eq!(response.status, 405);
        assert_eq!(
            response.body,
            json!({"error": "invalid_request", "error_description": "GET is not supported on /oauth/token."})
        );

        let post_health = Request::builder().method(Method::POST).uri("/health").body(Body::empty()).unwrap();
        let response = app.send(post_health).await;
        assert_eq!(response.status, 405);
        assert_eq!(response.body["error"]["code"], "method_not_allowed");
    })
    .await;
}
