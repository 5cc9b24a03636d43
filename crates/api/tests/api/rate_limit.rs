//! A client that calls too fast gets 429 with `Retry-After`, in its family's dialect, and is
//! served again once its bucket refills (time moved with the manual clock, no sleeping).

use attest_api::rate_limit::{RateLimit, RateLimiter};
use chrono::Duration;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_client_over_its_limit_gets_429_until_its_bucket_refills() {
    let store = attest_testing::sqlite_store().await;
    let app = TestApp::with_rate_limiter(
        store,
        RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 2,
        }),
    )
    .await;
    // These tokens come straight from the credentials service, not through `/oauth/token`.
    let token = app.token("alice", &[]).await;
    let other = app.token("bob", &[]).await;

    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);
    assert_eq!(
        app.get("/v3/certifications/none", Some(&token))
            .await
            .status,
        404
    );

    let limited = app.get("/v3/certifications/none", Some(&token)).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body, json!({"message": " Rate Limit Exceeded "}));
    assert_eq!(limited.headers["retry-after"], "1");

    let native = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(native.status, 429);
    assert_eq!(native.body["error"]["code"], "rate_limited");

    let okta = app.get("/governance/api/v1/campaigns", Some(&token)).await;
    assert_eq!(okta.status, 429);
    assert_eq!(okta.body["errorCode"], "E0000047");

    // Another client is not held back by the first one.
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.status, 200);

    app.clock.advance(Duration::seconds(1));
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);
}

#[tokio::test]
async fn token_requests_for_one_client_id_are_limited_too() {
    let store = attest_testing::sqlite_store().await;
    let app = TestApp::with_rate_limiter(
        store,
        RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 2,
        }),
    )
    .await;
    app.add_identity("alice").await;
    let form = "grant_type=client_credentials&client_id=guess&client_secret=wrong";
    assert_eq!(app.post_token("", Some(form)).await.status, 401);
    assert_eq!(app.post_token("", Some(form)).await.status, 401);
    let limited = app.post_token("", Some(form)).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"], "slow_down");
    assert_eq!(limited.headers["retry-after"], "1");
}
