//! Event triggers end to end: subscriptions managed over `/api/v1/event-subscriptions`, a
//! campaign's life (generated, activated, a certification signed off, ended) delivered as
//! signed webhooks to receivers the tests start on loopback, retries of a failing receiver,
//! and nothing for a disabled subscription. Time moves only through the test clock; the
//! worker is driven by calling it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use attest_domain::campaign::Decision;
use attest_domain::Authority;
use attest_domain::Clock;
use attest_engine::credentials::Caller;
use attest_engine::{triggers, webhook};
use axum::http::{HeaderMap, Method, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::certifications::{active_campaign, items, my_certification};
use crate::support::*;

const SECRET: &str = "a-very-secret-signing-key";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    idempotency_key: String,
    trigger: String,
    content_type: String,
    body: Vec<u8>,
}

/// A receiver on loopback answering the statuses of `script` in turn (the last repeats).
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Self {
        let seen = Arc::new(Mutex::new(Vec::<Received>::new()));
        let log = seen.clone();
        let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            let script = script.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut log = log.lock().unwrap();
                let status = script[log.len().min(script.len() - 1)];
                log.push(Received {
                    signature: header(webhook::SIGNATURE_HEADER),
                    idempotency_key: header(webhook::IDEMPOTENCY_HEADER),
                    trigger: header("attest-trigger"),
                    content_type: header("content-type"),
                    body: body.to_vec(),
                });
                StatusCode::from_u16(status).unwrap()
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, seen }
    }

    fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }
}

fn all_triggers() -> Value {
    json!([
        "idn:campaign-generated",
        "idn:campaign-activated",
        "idn:campaign-ended",
        "idn:certification-signed-off"
    ])
}

async fn subscribe(app: &TestApp, token: &str, url: &str, enabled: bool) -> String {
    let response = app
        .post(
            "/api/v1/event-subscriptions",
            token,
            &json!({"name": "audit bridge", "url": url, "triggers": all_triggers(),
                    "secret": SECRET, "enabled": enabled}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.body);
    response.body["id"].as_str().unwrap().to_owned()
}

/// Runs the event worker once, as `attest serve` does every second.
async fn deliver(app: &TestApp) -> usize {
    app.campaigns
        .triggers()
        .run_due("test-worker")
        .await
        .expect("event delivery round")
}

// ---- the vendor payload schemas ----

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor/sailpoint-specs/idn/v2024/schemas/trigger/example-input")
}

fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_norway::from_str(&text).unwrap()
}

/// Checks `value` against `schema` (from the file in `dir`): required fields present, types,
/// enums, nullability, following `$ref` and `allOf`. Returns every problem found.
fn check(schema: &Value, dir: &Path, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let path = dir.join(reference);
        let target = load_yaml(&path);
        check(&target, path.parent().unwrap(), value, at, problems);
        return;
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(part, dir, value, at, problems);
    }
    if value.is_null() {
        if schema.get("nullable") != Some(&Value::Bool(true)) && schema.get("type").is_some() {
            problems.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            problems.push(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    };
    if !type_ok {
        problems.push(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        if let Some(text) = value.as_str() {
            if chrono::DateTime::parse_from_rfc3339(text).is_err() {
                problems.push(format!("{at}: {text} is not a date-time"));
            }
        }
    }
    for field in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = field.as_str().unwrap();
        if value.get(field).is_none() {
            problems.push(format!("{at}.{field}: required but missing"));
        }
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            if let Some(inner) = value.get(name) {
                check(property, dir, inner, &format!("{at}.{name}"), problems);
            }
        }
    }
}

fn assert_matches_vendor_schema(file: &str, body: &Value) {
    let dir = spec_dir();
    let schema = load_yaml(&dir.join(file));
    let mut problems = Vec::new();
    check(&schema, &dir, body, "$", &mut problems);
    assert!(problems.is_empty(), "{file}: {problems:#?}\n{body:#}");
}

fn admin_caller() -> Caller {
    Caller {
        identity_id: "admin".into(),
        client_id: "admin-client".into(),
        authorities: vec![Authority::CertAdmin],
        expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn a_campaign_life_is_delivered_as_four_signed_events() {
    each_store(|app| async move {
        let receiver = Receiver::start(vec![204]).await;
        let silent = Receiver::start(vec![204]).await;
        // The subscriptions exist before the campaign; the organisation is imported by
        // `active_campaign`, so the administrator's token comes from a PAT of its own.
        let root = app.add_identity("root").await;
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let active = subscribe(&app, &org_admin, &receiver.url, true).await;
        let disabled = subscribe(&app, &org_admin, &silent.url, false).await;

        let (tokens, campaign) = active_campaign(&app).await;
        assert_eq!(deliver(&app).await, 2);

        // mgr1 decides everything and signs off.
        let cert = my_certification(&app, &tokens.mgr1).await;
        let decisions: Vec<Value> = items(&app, &tokens.mgr1, &cert, "")
            .await
            .iter()
            .map(|i| json!({"id": i["id"], "decision": "APPROVE", "bulk": true}))
            .collect();
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &Value::Array(decisions),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/sign-off"),
                &tokens.mgr1,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);

        // After the deadline the administrator completes the campaign; the worker ends it.
        app.clock.advance(Duration::days(31));
        app.campaigns
            .complete(
                &admin_caller(),
                &campaign.as_str().into(),
                Decision::Approve,
            )
            .await
            .unwrap();
        app.run_tasks().await;
        assert_eq!(deliver(&app).await, 2);
        assert_eq!(deliver(&app).await, 0, "each event is delivered once");

        let received = receiver.received();
        let triggers: Vec<&str> = received.iter().map(|r| r.trigger.as_str()).collect();
        assert_eq!(
            triggers,
            [
                "idn:campaign-generated",
                "idn:campaign-activated",
                "idn:certification-signed-off",
                "idn:campaign-ended"
            ]
        );
        let schemas = [
            "CampaignGenerated.yaml",
            "CampaignActivated.yaml",
            "CertificationSignedOff.yaml",
            "CampaignEnded.yaml",
        ];
        let mut keys = Vec::new();
        for (request, schema) in received.iter().zip(schemas) {
            assert_eq!(request.content_type, "application/json");
            // The signature verifies with the subscription's secret, at the clock's time.
            webhook::verify(
                SECRET.as_bytes(),
                &request.signature,
                &request.body,
                app.clock.now(),
                Duration::days(40),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", request.trigger));
            assert_eq!(
                webhook::verify(
                    b"not-the-secret",
                    &request.signature,
                    &request.body,
                    app.clock.now(),
                    Duration::days(40)
                ),
                Err(webhook::VerifyError::Mismatch)
            );
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_matches_vendor_schema(schema, &body);
            keys.push(request.idempotency_key.clone());
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 4, "one idempotency key per delivery");

        let generated: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(generated["campaign"]["id"], campaign.as_str());
        assert_eq!(generated["campaign"]["status"], "STAGED");
        assert_eq!(generated["campaign"]["name"], "Q1 manager review");
        assert_eq!(generated["campaign"]["type"], "MANAGER");
        assert_eq!(generated["campaign"]["campaignOwner"]["id"], "admin");
        let activated: Value = serde_json::from_slice(&received[1].body).unwrap();
        assert_eq!(activated["campaign"]["status"], "ACTIVE");
        let signed: Value = serde_json::from_slice(&received[2].body).unwrap();
        assert_eq!(signed["certification"]["id"], cert.as_str());
        assert_eq!(signed["certification"]["phase"], "SIGNED");
        assert_eq!(
            signed["certification"]["campaignRef"]["id"],
            campaign.as_str()
        );
        assert_eq!(signed["certification"]["reviewer"]["id"], "mgr1");
        assert_eq!(signed["certification"]["completed"], true);
        let ended: Value = serde_json::from_slice(&received[3].body).unwrap();
        assert_eq!(ended["campaign"]["status"], "COMPLETED");

        // The disabled subscription got nothing, and has no deliveries. (The clock moved past
        // the first token's life.)
        assert!(silent.received().is_empty());
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let response = app
            .get(
                &format!("/api/v1/event-subscriptions/{disabled}/deliveries"),
                Some(&org_admin),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body, json!([]));

        // The active one lists four delivered events, newest first.
        let response = app
            .get(
                &format!("/api/v1/event-subscriptions/{active}/deliveries"),
                Some(&org_admin),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let listed = response.body.as_array().unwrap();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[0]["trigger"], "idn:campaign-ended");
        for delivery in listed {
            assert_eq!(delivery["status"], "DELIVERED");
            assert_eq!(delivery["attempts"], 1);
            assert_eq!(delivery["lastStatus"], 204);
        }
    })
    .await;
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_backoff_and_the_same_key() {
    each_store(|app| async move {
        // Fails twice (503, then 429), then accepts.
        let receiver = Receiver::start(vec![503, 429, 200]).await;
        let root = app.add_identity("root").await;
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let response = app
            .post(
                "/api/v1/event-subscriptions",
                &org_admin,
                &json!({"name": "flaky", "url": receiver.url,
                        "triggers": ["idn:campaign-generated"], "secret": SECRET}),
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.body);
        let id = response.body["id"].as_str().unwrap().to_owned();
        let deliveries = format!("/api/v1/event-subscriptions/{id}/deliveries");

        active_campaign(&app).await;
        assert_eq!(deliver(&app).await, 1);
        let listed = app.get(&deliveries, Some(&org_admin)).await.body;
        assert_eq!(listed[0]["status"], "PENDING", "{listed}");
        assert_eq!(listed[0]["attempts"], 1);
        assert_eq!(listed[0]["lastStatus"], 503);
        assert_eq!(listed[0]["lastError"], "HTTP 503 Service Unavailable");
        let next =
            chrono::DateTime::parse_from_rfc3339(listed[0]["nextAttemptAt"].as_str().unwrap())
                .unwrap();
        let policy = app.campaigns.triggers().policy();
        let waited = next.with_timezone(&Utc) - app.clock.now();
        assert!(
            waited >= policy.backoff(1) / 2 && waited <= policy.backoff(1),
            "{waited}"
        );

        // Not due yet: nothing is sent.
        assert_eq!(deliver(&app).await, 0);
        app.clock.advance(policy.backoff(1));
        assert_eq!(deliver(&app).await, 1);
        let listed = app.get(&deliveries, Some(&org_admin)).await.body;
        assert_eq!(listed[0]["status"], "PENDING");
        assert_eq!(listed[0]["lastStatus"], 429);
        app.clock.advance(policy.backoff(2));
        assert_eq!(deliver(&app).await, 1);
        let listed = app.get(&deliveries, Some(&org_admin)).await.body;
        assert_eq!(listed[0]["status"], "DELIVERED", "{listed}");
        assert_eq!(listed[0]["attempts"], 3);
        assert_eq!(listed[0]["lastError"], Value::Null);

        let received = receiver.received();
        assert_eq!(received.len(), 3);
        assert!(received
            .iter()
            .all(|r| r.idempotency_key == received[0].idempotency_key));
        assert_eq!(received[0].body, received[2].body);
        // Each attempt is signed at its own time.
        assert_ne!(received[0].signature, received[2].signature);
        assert_eq!(
            listed[0]["idempotencyKey"],
            received[0].idempotency_key.as_str()
        );
    })
    .await;
}

#[tokio::test]
async fn events_and_deliveries_survive_a_restart_and_a_dead_sender() {
    each_store(|app| async move {
        let receiver = Receiver::start(vec![200]).await;
        let root = app.add_identity("root").await;
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let id = subscribe(&app, &org_admin, &receiver.url, true).await;
        active_campaign(&app).await;

        // A node fans the two events out and claims the first delivery, then dies before
        // sending it (its lease is never released).
        let clock: Arc<dyn attest_domain::Clock> = Arc::new(app.clock.clone());
        let events = app.store.pending_events(10).await.unwrap();
        assert_eq!(events.len(), 2);
        for event in &events {
            let created = app
                .store
                .fan_out_event(event.id, Some("{\"campaign\":{}}"), app.clock.now())
                .await
                .unwrap();
            assert_eq!(created, Some(1));
        }
        let lease = app.clock.now() + Duration::seconds(triggers::DELIVERY_LEASE_SECONDS);
        let claimed = app
            .store
            .claim_delivery("dead-node", app.clock.now(), lease)
            .await
            .unwrap()
            .expect("a due delivery");
        assert!(receiver.received().is_empty());

        // A fresh service over the same database (a restarted node) sends what is due, but
        // not the leased delivery until its lease has run out.
        let restarted = triggers::Triggers::new(app.store.clone(), clock);
        assert_eq!(restarted.run_due("new-node").await.unwrap(), 1);
        assert_eq!(restarted.run_due("new-node").await.unwrap(), 0);
        app.clock
            .advance(Duration::seconds(triggers::DELIVERY_LEASE_SECONDS + 1));
        assert_eq!(restarted.run_due("new-node").await.unwrap(), 1);
        assert_eq!(restarted.run_due("new-node").await.unwrap(), 0);
        // The dead node's late outcome is refused.
        let late = attest_store::events::DeliveryResult {
            status: attest_store::events::DeliveryStatus::Failed,
            next_attempt_at: None,
            error: Some("late".into()),
            http_status: None,
            at: app.clock.now(),
        };
        assert!(!app
            .store
            .finish_delivery(claimed.delivery.id, "dead-node", &late)
            .await
            .unwrap());

        let received = receiver.received();
        assert_eq!(received.len(), 2);
        let listed = app
            .get(
                &format!("/api/v1/event-subscriptions/{id}/deliveries"),
                Some(&org_admin),
            )
            .await
            .body;
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed.iter().all(|d| d["status"] == "DELIVERED"),
            "{listed:?}"
        );
        let retried = listed
            .iter()
            .find(|d| d["id"] == claimed.delivery.id.to_string().as_str())
            .unwrap();
        assert_eq!(retried["attempts"], 2);
    })
    .await;
}

#[tokio::test]
async fn a_receiver_that_refuses_for_good_is_not_retried() {
    each_store(|app| async move {
        let receiver = Receiver::start(vec![410]).await;
        let root = app.add_identity("root").await;
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let id = subscribe(&app, &org_admin, &receiver.url, true).await;
        active_campaign(&app).await;
        assert_eq!(deliver(&app).await, 2);
        app.clock.advance(Duration::days(1));
        assert_eq!(deliver(&app).await, 0);
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let listed = app
            .get(
                &format!("/api/v1/event-subscriptions/{id}/deliveries"),
                Some(&org_admin),
            )
            .await
            .body;
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        for delivery in listed.as_array().unwrap() {
            assert_eq!(delivery["status"], "FAILED");
            assert_eq!(delivery["lastError"], "HTTP 410 Gone");
            assert_eq!(delivery["nextAttemptAt"], Value::Null);
        }
        assert_eq!(receiver.received().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn subscriptions_are_managed_by_org_admins_and_never_show_their_secret() {
    each_store(|app| async move {
        let root = app.add_identity("root").await;
        let org_admin = app.token(&root.0, &[Authority::OrgAdmin]).await;
        let cert_admin = app.token_for("root", &[Authority::CertAdmin]).await;
        let nobody = app.token_for("root", &[]).await;

        let created = app
            .post(
                "/api/v1/event-subscriptions",
                &org_admin,
                &json!({"name": "  hook  ", "url": "https://hooks.example.com/attest",
                        "triggers": ["idn:campaign-ended", "idn:campaign-activated"],
                        "secret": SECRET}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(created.body["name"], "hook");
        assert_eq!(created.body["enabled"], true);
        assert_eq!(
            created.body["triggers"],
            json!(["idn:campaign-activated", "idn:campaign-ended"])
        );
        let one = format!("/api/v1/event-subscriptions/{id}");

        // Only ORG_ADMIN: others get the native 403.
        for token in [&cert_admin, &nobody] {
            for (method, uri) in [
                (Method::GET, "/api/v1/event-subscriptions".to_owned()),
                (Method::GET, one.clone()),
                (Method::DELETE, one.clone()),
                (Method::GET, format!("{one}/deliveries")),
            ] {
                let response = app.send(get_with(method.clone(), &uri, token)).await;
                assert_eq!(response.status, 403, "{method} {uri}");
                assert_eq!(response.body["error"]["code"], "forbidden");
            }
            let response = app
                .post("/api/v1/event-subscriptions", token, &json!({}))
                .await;
            assert_eq!(response.status, 403);
        }
        assert_eq!(app.get("/api/v1/event-subscriptions", None).await.status, 401);

        // Bad input names every field, in the native body.
        let response = app
            .post(
                "/api/v1/event-subscriptions",
                &org_admin,
                &json!({"name": "", "url": "ftp://example.com/", "triggers": ["idn:nope"],
                        "secret": "short"}),
            )
            .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(response.body["error"]["code"], "bad_request");
        let details: Vec<&str> = response.body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(details.len(), 4, "{details:?}");
        assert!(details[0].starts_with("name"));
        assert!(details[1].starts_with("url"));
        assert!(details[2].starts_with("triggers"));
        assert!(details[3].starts_with("secret"));
        let response = app
            .post(
                "/api/v1/event-subscriptions",
                &org_admin,
                &json!({"name": "x", "url": "https://a.example/", "triggers": ["idn:campaign-ended"]}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(response.body["error"]["details"], json!(["secret is required"]));
        let response = app
            .post("/api/v1/event-subscriptions", &org_admin, &json!({"nmae": "typo"}))
            .await;
        assert_eq!(response.status, 400);

        // Replace keeps the secret when none is given, and can disable.
        let replaced = app
            .send_json(
                Method::PUT,
                &one,
                &org_admin,
                &json!({"name": "renamed", "url": "http://127.0.0.1:9/x",
                        "triggers": ["idn:certification-signed-off"], "enabled": false}),
            )
            .await;
        assert_eq!(replaced.status, 200, "{}", replaced.body);
        assert_eq!(replaced.body["enabled"], false);
        assert_eq!(replaced.body["name"], "renamed");
        let stored = app.store.subscription(&id).await.unwrap().unwrap();
        assert_eq!(stored.secret, SECRET);
        let rotated = app
            .send_json(
                Method::PUT,
                &one,
                &org_admin,
                &json!({"name": "renamed", "url": "http://127.0.0.1:9/x",
                        "triggers": ["idn:certification-signed-off"],
                        "secret": "another-long-secret"}),
            )
            .await;
        assert_eq!(rotated.status, 200);
        assert_eq!(rotated.body["enabled"], true);
        assert_eq!(
            app.store.subscription(&id).await.unwrap().unwrap().secret,
            "another-long-secret"
        );

        // No response ever carries the secret.
        let list = app.get("/api/v1/event-subscriptions", Some(&org_admin)).await;
        let got = app.get(&one, Some(&org_admin)).await;
        for body in [&created.body, &replaced.body, &rotated.body, &list.body, &got.body] {
            let text = body.to_string();
            assert!(!text.contains(SECRET) && !text.contains("another-long-secret"));
            assert!(!text.contains("\"secret\""), "{text}");
        }
        assert_eq!(list.body.as_array().unwrap().len(), 1);

        // Delete; then 404s in the native body.
        let response = app.send(get_with(Method::DELETE, &one, &org_admin)).await;
        assert_eq!(response.status, 204);
        for (method, uri) in [
            (Method::GET, one.clone()),
            (Method::DELETE, one.clone()),
            (Method::GET, format!("{one}/deliveries")),
        ] {
            let response = app.send(get_with(method.clone(), &uri, &org_admin)).await;
            assert_eq!(response.status, 404, "{method} {uri}");
            assert_eq!(response.body["error"]["code"], "not_found");
        }
        let response = app
            .send_json(Method::PUT, &one, &org_admin, &json!({"name": "x"}))
            .await;
        assert_eq!(response.status, 404);
    })
    .await;
}

/// A request with `method`, a bearer token and no body.
fn get_with(method: Method, uri: &str, token: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap()
}
