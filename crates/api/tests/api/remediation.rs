//! Remediation end to end over the HTTP API, on real HTTP receivers the tests start on
//! loopback: per-source sinks (`/api/v1/sources/{id}/remediation-sink`), apply-decisions,
//! delivery to a signed webhook (signature, timestamp, idempotency key, retries with backoff
//! and `Retry-After`, failure with the reason) and to a SCIM 2.0 service (PATCH removing the
//! group membership; failures recorded), manual orders (list, CSV, mark done), every status
//! shown by `GET /api/v1/provisioning-orders`, and the remediation scan after a re-import in
//! every SailPoint family. Delivery and scans run through the engine's worker step with the
//! test clock: nothing sleeps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use attest_domain::{Authority, Clock, ManualClock};
use attest_engine::webhook;
use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::campaigns::{create, manager_campaign};
use crate::certifications::{items, my_certification};
use crate::support::*;

const SECRET: &str = "remediation-test-secret-0123";
const SCIM_TOKEN: &str = "scim-bearer-token-42";

/// The bundle: boss manages alice and bob. Source `ad` (groups `grp-1`, `grp-2`, `grp-3`, an
/// access profile `ap1`) and source `hr` (entitlement `h1`), each identity with accounts.
/// A MANAGER campaign gives boss six items; `assignments` replaces the default assignments.
fn write_bundle(dir: &std::path::Path, assignments: &[&str]) {
    let mut assignment_rows = String::from("identityId,accountId,accessType,accessId,origin\n");
    for row in assignments {
        assignment_rows.push_str(row);
        assignment_rows.push('\n');
    }
    let files = [
        (
            "identities.csv",
            "id,name,managerId\nadmin,admin,\nboss,boss,\nalice,alice,boss\nbob,bob,boss\n",
        ),
        (
            "sources.csv",
            "id,name,ownerId\nad,Directory,boss\nhr,HR system,boss\n",
        ),
        (
            "entitlements.csv",
            "id,sourceId,name,attribute,value\n\
             g1,ad,Group one,memberOf,grp-1\n\
             g2,ad,Group two,memberOf,grp-2\n\
             g3,ad,Group three,memberOf,grp-3\n\
             h1,hr,Payroll,role,payroll\n",
        ),
        (
            "access_profiles.csv",
            "id,name,sourceId,entitlementIds\nap1,Directory bundle,ad,g2\n",
        ),
        (
            "accounts.csv",
            "id,sourceId,nativeIdentity,identityId\n\
             alice-ad,ad,u-alice,alice\nbob-ad,ad,u-bob,bob\nalice-hr,hr,hr-alice,alice\n",
        ),
        ("assignments.csv", assignment_rows.as_str()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Every assignment of the bundle, keyed `holder/access`.
const ALL: &[&str] = &[
    "alice,alice-ad,ENTITLEMENT,g1,MANUAL",
    "alice,alice-ad,ENTITLEMENT,g3,MANUAL",
    "alice,alice-hr,ENTITLEMENT,h1,MANUAL",
    "bob,bob-ad,ENTITLEMENT,g1,MANUAL",
    "bob,bob-ad,ENTITLEMENT,g2,MANUAL",
    "bob,bob-ad,ACCESS_PROFILE,ap1,MANUAL",
];

async fn import(app: &TestApp, assignments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path(), assignments);
    attest_engine::import::import_bundle(
        app.store.as_ref(),
        &app.clock,
        dir.path(),
        Arc::new(attest_engine::import::NoProgress),
    )
    .await
    .expect("import the remediation bundle");
}

struct Scenario {
    admin: String,
    boss: String,
    campaign: String,
}

/// Imports the bundle and runs a MANAGER campaign in which boss revokes all six items and
/// signs off: six provisioning orders, held.
async fn revoked_campaign(app: &TestApp) -> Scenario {
    import(app, ALL).await;
    let admin = app.token_for("admin", &[Authority::CertAdmin]).await;
    let boss = app.token_for("boss", &[]).await;
    let campaign = create(app, &admin, &manager_campaign("remediation")).await;
    app.run_tasks().await;
    let response = app
        .post(
            &format!("/v3/campaigns/{campaign}/activate"),
            &admin,
            &Value::Null,
        )
        .await;
    assert_eq!(response.status, 202, "{}", response.body);
    app.run_tasks().await;
    let cert = my_certification(app, &boss).await;
    let all = items(app, &boss, &cert, "").await;
    assert_eq!(all.len(), 6);
    let decisions: Vec<Value> = all
        .iter()
        .map(|i| {
            // A comment that a spreadsheet would run, to show the CSV neutralises it.
            let comment = if i["accessSummary"]["access"]["id"] == "g1"
                && i["identitySummary"]["identityId"] == "alice"
            {
                "=HYPERLINK(\"http://evil.test\")"
            } else {
                "no longer needed"
            };
            json!({"id": i["id"], "decision": "REVOKE", "bulk": false, "comments": comment})
        })
        .collect();
    let response = app
        .post(
            &format!("/v3/certifications/{cert}/decide"),
            &boss,
            &Value::Array(decisions),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let response = app
        .post(
            &format!("/v3/certifications/{cert}/sign-off"),
            &boss,
            &Value::Null,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    app.run_tasks().await;
    Scenario {
        admin,
        boss,
        campaign,
    }
}

/// The campaign's orders as the orders endpoint shows them, keyed `identity/access`.
async fn orders(app: &TestApp, s: &Scenario, extra: &str) -> BTreeMap<String, Value> {
    let response = app
        .get(
            &format!(
                "/api/v1/provisioning-orders?campaignId={}{extra}",
                s.campaign
            ),
            Some(&s.admin),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    response
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                format!(
                    "{}/{}",
                    o["identityId"].as_str().unwrap(),
                    o["accessId"].as_str().unwrap()
                ),
                o.clone(),
            )
        })
        .collect()
}

/// The problems a native 400 lists (`{"error": {"details": [...]}}`).
fn details(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .unwrap_or_else(|| panic!("no details in {body}"))
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"))
        .parse()
        .unwrap()
}

fn statuses(orders: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    orders
        .iter()
        .map(|(k, o)| (k.clone(), o["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn run_delivery(app: &TestApp) -> usize {
    app.campaigns
        .run_due_remediation()
        .await
        .expect("run due remediation")
}

async fn put_sink(app: &TestApp, token: &str, source: &str, body: &Value) -> TestResponse {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/sources/{source}/remediation-sink"),
        token,
        body,
    )
    .await
}

// ---- a webhook receiver on loopback -----------------------------------------------------

/// One request the receiver saw, checked as it arrived.
#[derive(Debug, Clone)]
struct Delivery {
    key: String,
    access_id: String,
    attempt: i64,
    signature_ok: bool,
    timestamp: i64,
    content_type: String,
    event: String,
    body: Value,
}

/// How the receiver answers: `(status, Retry-After)` for an order (the request's JSON body)
/// and the attempt number (1, 2, ...) of its idempotency key.
type Answer = fn(&Value, usize) -> (u16, Option<&'static str>);

/// Starts a receiver on `127.0.0.1:0` that verifies each request's signature against the body
/// and the test clock, as a real receiver would.
async fn webhook_receiver(
    clock: ManualClock,
    answer: Answer,
) -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let seen = Arc::new(Mutex::new(Vec::<Delivery>::new()));
    let log = seen.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let log = log.clone();
        let clock = clock.clone();
        async move {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let signature = header(webhook::SIGNATURE_HEADER);
            let signature_ok = webhook::verify(
                SECRET.as_bytes(),
                &signature,
                &body,
                clock.now(),
                Duration::seconds(webhook::DEFAULT_TOLERANCE_SECONDS),
            )
            .is_ok();
            // Another secret must not verify: the signature depends on it.
            assert!(webhook::verify(
                b"another-secret-entirely",
                &signature,
                &body,
                clock.now(),
                Duration::seconds(webhook::DEFAULT_TOLERANCE_SECONDS),
            )
            .is_err());
            let timestamp = signature
                .split(',')
                .find_map(|p| p.strip_prefix("t="))
                .and_then(|t| t.parse().ok())
                .unwrap_or_default();
            let json: Value = serde_json::from_slice(&body).unwrap();
            let key = header(webhook::IDEMPOTENCY_HEADER);
            let access_id = json["accessId"].as_str().unwrap().to_owned();
            let mut log = log.lock().unwrap();
            let attempt = log.iter().filter(|d| d.key == key).count() + 1;
            log.push(Delivery {
                key,
                access_id: access_id.clone(),
                attempt: json["attempt"].as_i64().unwrap_or_default(),
                signature_ok,
                timestamp,
                content_type: header("content-type"),
                event: header("attest-event"),
                body: json,
            });
            let (status, retry_after) = answer(&log.last().unwrap().body, attempt);
            let mut response = StatusCode::from_u16(status).unwrap().into_response();
            if let Some(value) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, value.parse().unwrap());
            }
            response
        }
    };
    let app = axum::Router::new().route("/hooks/attest", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/attest", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_sink_signs_retries_with_backoff_and_fails_with_the_reason() {
    each_store(|app| async move {
        let s = revoked_campaign(&app).await;

        let (url, seen) = webhook_receiver(app.clock.clone(), answer_by_holder).await;

        // The sink: validated field by field, administrators only, the secret never shown.
        let sink_uri = "/api/v1/sources/ad/remediation-sink";
        let response = app.get(sink_uri, Some(&s.admin)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["type"], "MANUAL");
        assert_eq!(response.body["configured"], false);
        assert_eq!(app.get(sink_uri, Some(&s.boss)).await.status, 403);
        let response = put_sink(
            &app,
            &s.boss,
            "ad",
            &json!({"type": "WEBHOOK", "url": url, "secret": SECRET}),
        )
        .await;
        assert_eq!(response.status, 403);
        let response = put_sink(
            &app,
            &s.admin,
            "nowhere",
            &json!({"type": "WEBHOOK", "url": url, "secret": SECRET}),
        )
        .await;
        assert_eq!(response.status, 404, "{}", response.body);
        let response = put_sink(
            &app,
            &s.admin,
            "ad",
            &json!({"type": "WEBHOOK", "url": "ftp://files.test/x", "secret": "short"}),
        )
        .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(
            details(&response.body),
            [
                "url must be an http or https URL with a host, got \"ftp://files.test/x\"",
                "secret must be at least 16 characters long",
            ]
        );
        let response = put_sink(
            &app,
            &s.admin,
            "ad",
            &json!({"type": "WEBHOOK", "url": url, "secret": SECRET, "colour": "red"}),
        )
        .await;
        assert_eq!(response.status, 400, "{}", response.body);
        let response = put_sink(
            &app,
            &s.admin,
            "ad",
            &json!({"type": "WEBHOOK", "url": url, "secret": SECRET}),
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["type"], "WEBHOOK");
        assert_eq!(response.body["url"], url.as_str());
        assert_eq!(response.body["secretSet"], true);
        assert_eq!(response.body["configured"], true);
        assert!(
            !response.body.to_string().contains(SECRET),
            "{}",
            response.body
        );
        let read = app.get(sink_uri, Some(&s.admin)).await;
        assert_eq!(read.body, response.body);

        // Six orders, all held: PENDING, not released; ad's go to the webhook, hr's are manual.
        let listed = orders(&app, &s, "").await;
        assert_eq!(listed.len(), 6);
        for (key, o) in &listed {
            assert_eq!(o["status"], "PENDING", "{key}");
            assert_eq!(o["released"], false, "{key}");
            let sink = if key.ends_with("/h1") {
                "MANUAL"
            } else {
                "WEBHOOK"
            };
            assert_eq!(o["sink"], sink, "{key}");
        }
        assert_eq!(run_delivery(&app).await, 0, "held orders are not delivered");
        assert!(seen.lock().unwrap().is_empty());

        // Apply decisions: administrators only; named orders must be held orders of the
        // campaign; then one order, then the rest.
        let apply = format!("/api/v1/campaigns/{}/apply-decisions", s.campaign);
        assert_eq!(app.post(&apply, &s.boss, &Value::Null).await.status, 403);
        let response = app
            .post(&apply, &s.admin, &json!({"orderIds": ["nope"]}))
            .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(
            details(&response.body),
            ["orderIds: order nope was not found"]
        );
        let response = app
            .post(
                "/api/v1/campaigns/missing/apply-decisions",
                &s.admin,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 404, "{}", response.body);
        let first = listed["alice/g1"]["id"].as_str().unwrap().to_owned();
        let response = app
            .post(&apply, &s.admin, &json!({"orderIds": [first]}))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.body,
            json!({"campaignId": s.campaign, "released": 1, "orderIds": [first]})
        );
        let response = app
            .post(&apply, &s.admin, &json!({"orderIds": [first]}))
            .await;
        assert_eq!(response.status, 400, "released twice: {}", response.body);
        let response = app.post(&apply, &s.admin, &Value::Null).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["released"], 5);
        let listed = orders(&app, &s, "&released=true").await;
        assert_eq!(listed.len(), 6);
        assert!(listed.values().all(|o| o["releasedBy"] == "admin"));

        // Round one: five webhook attempts (hr's order waits for a person).
        let t0 = app.clock.now();
        assert_eq!(run_delivery(&app).await, 5);
        let listed = orders(&app, &s, "").await;
        assert_eq!(
            statuses(&listed),
            expect(&[
                ("alice/g1", "PENDING"),
                ("alice/g3", "SENT"),
                ("alice/h1", "PENDING"),
                ("bob/ap1", "SENT"),
                ("bob/g1", "PENDING"),
                ("bob/g2", "FAILED"),
            ])
        );
        let failed = &listed["bob/g2"];
        assert_eq!(failed["lastError"], "HTTP 422 Unprocessable Entity");
        assert_eq!(failed["attempts"], 1);
        assert_eq!(failed["nextAttemptAt"], Value::Null);
        // 429 with Retry-After: 120 s is longer than the backoff, so it is honoured.
        let throttled = &listed["alice/g1"];
        assert_eq!(throttled["lastError"], "HTTP 429 Too Many Requests");
        assert_eq!(
            time(&throttled["nextAttemptAt"]),
            t0 + Duration::seconds(120)
        );
        // 503: the shared backoff, 30 s with equal jitter (15 to 30 s).
        let unavailable = &listed["bob/g1"];
        assert_eq!(unavailable["lastError"], "HTTP 503 Service Unavailable");
        let next = time(&unavailable["nextAttemptAt"]);
        assert!(
            next >= t0 + Duration::seconds(15) && next < t0 + Duration::seconds(30),
            "{next}"
        );
        assert_eq!(time(&listed["bob/ap1"]["sentAt"]), t0);
        assert_eq!(listed["alice/h1"]["attempts"], 0);

        // Nothing is due until the clock moves.
        assert_eq!(run_delivery(&app).await, 0);
        app.clock.set(t0 + Duration::seconds(30));
        assert_eq!(
            run_delivery(&app).await,
            1,
            "bob's g1 is due, alice's is not"
        );
        app.clock.set(t0 + Duration::seconds(120));
        assert_eq!(run_delivery(&app).await, 1);
        let listed = orders(&app, &s, "").await;
        for key in ["alice/g1", "bob/g1"] {
            assert_eq!(listed[key]["status"], "SENT", "{key}");
            assert_eq!(listed[key]["attempts"], 2, "{key}");
            assert_eq!(listed[key]["lastError"], Value::Null, "{key}");
        }
        assert_eq!(
            time(&listed["alice/g1"]["sentAt"]),
            t0 + Duration::seconds(120)
        );
        // The status filter shows each state, the failure with its reason.
        let failed = orders(&app, &s, "&status=FAILED").await;
        assert_eq!(failed.keys().collect::<Vec<_>>(), ["bob/g2"]);
        assert_eq!(orders(&app, &s, "&status=SENT").await.len(), 4);
        let manual = orders(&app, &s, "&sink=MANUAL").await;
        assert_eq!(manual.keys().collect::<Vec<_>>(), ["alice/h1"]);

        // What the receiver saw: seven signed requests, one key per order, stable across
        // retries, timestamps from the clock at each attempt.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 7, "{seen:#?}");
        assert!(seen.iter().all(|d| d.signature_ok), "{seen:#?}");
        assert!(seen.iter().all(|d| d.content_type == "application/json"));
        assert!(seen.iter().all(|d| d.event == "remediation.order"));
        for (key, o) in &listed {
            let id = o["id"].as_str().unwrap();
            let mine: Vec<&Delivery> = seen.iter().filter(|d| d.key == id).collect();
            let expected = match key.as_str() {
                "alice/h1" => 0,
                "alice/g1" | "bob/g1" => 2,
                _ => 1,
            };
            assert_eq!(mine.len(), expected, "{key}");
            for (n, d) in mine.iter().enumerate() {
                assert_eq!(d.attempt, n as i64 + 1, "{key}");
                assert_eq!(d.body["orderId"], id);
                assert_eq!(d.body["action"], "REVOKE");
                assert_eq!(d.body["campaignId"], s.campaign.as_str());
                assert_eq!(d.body["sourceId"], "ad");
                assert_eq!(d.body["identityId"], o["identityId"]);
            }
        }
        let alice: Vec<i64> = seen
            .iter()
            .filter(|d| d.access_id == "g1" && d.body["identityId"] == "alice")
            .map(|d| d.timestamp)
            .collect();
        assert_eq!(
            alice,
            [t0.timestamp(), (t0 + Duration::seconds(120)).timestamp()]
        );
    })
    .await;
}

/// alice's g1: 429 (Retry-After 120) then 204; bob's g1: 503 then 200; g2: 422; else 204.
fn answer_by_holder(order: &Value, attempt: usize) -> (u16, Option<&'static str>) {
    let holder = order["identityId"].as_str().unwrap_or_default();
    match (
        order["accessId"].as_str().unwrap_or_default(),
        holder,
        attempt,
    ) {
        ("g2", _, _) => (422, None),
        ("g1", "alice", 1) => (429, Some("120")),
        ("g1", "bob", 1) => (503, None),
        ("g1", "bob", _) => (200, None),
        _ => (204, None),
    }
}

// ---- a SCIM 2.0 service on loopback -----------------------------------------------------

/// What the SCIM service holds (group id → member user ids) and what it was sent.
#[derive(Debug, Default)]
struct ScimState {
    groups: BTreeMap<String, BTreeSet<String>>,
    requests: Vec<(String, String, String, Value)>,
}

/// Starts a SCIM service on `127.0.0.1:0` serving `PATCH /scim/v2/Groups/{id}` as RFC 7644
/// §3.5.2.2 says (a `remove` of `members[value eq "..."]`), with bearer authentication;
/// unknown groups are 404. Returns its base URL.
async fn scim_service(groups: &[(&str, &[&str])]) -> (String, Arc<Mutex<ScimState>>) {
    let state = Arc::new(Mutex::new(ScimState {
        groups: groups
            .iter()
            .map(|(g, members)| {
                (
                    (*g).to_owned(),
                    members.iter().map(|m| (*m).to_owned()).collect(),
                )
            })
            .collect(),
        requests: Vec::new(),
    }));
    let shared = state.clone();
    let patch_group = move |UrlPath(group): UrlPath<String>, headers: HeaderMap, body: Bytes| {
        let state = shared.clone();
        async move {
            let header = |name: header::HeaderName| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let mut state = state.lock().unwrap();
            state.requests.push((
                group.clone(),
                header(header::AUTHORIZATION),
                header(header::CONTENT_TYPE),
                body.clone(),
            ));
            if header(header::AUTHORIZATION) != format!("Bearer {SCIM_TOKEN}") {
                return StatusCode::UNAUTHORIZED;
            }
            if body["schemas"] != json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]) {
                return StatusCode::BAD_REQUEST;
            }
            let Some(members) = state.groups.get_mut(&group) else {
                return StatusCode::NOT_FOUND;
            };
            for op in body["Operations"].as_array().into_iter().flatten() {
                let path = op["path"].as_str().unwrap_or_default();
                let user = path
                    .strip_prefix("members[value eq \"")
                    .and_then(|p| p.strip_suffix("\"]"));
                match (op["op"].as_str(), user) {
                    (Some("remove"), Some(user)) => {
                        members.remove(user);
                    }
                    _ => return StatusCode::BAD_REQUEST,
                }
            }
            StatusCode::NO_CONTENT
        }
    };
    let app = axum::Router::new().route("/scim/v2/Groups/{id}", axum::routing::patch(patch_group));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_sink_removes_group_memberships_and_records_failures() {
    each_store(|app| async move {
        let s = revoked_campaign(&app).await;
        // grp-3 does not exist on the service: alice's g3 order fails with the 404.
        let (base_url, scim) = scim_service(&[
            ("grp-1", &["u-alice", "u-bob", "u-carol"]),
            ("grp-2", &["u-bob"]),
        ])
        .await;
        let response = put_sink(
            &app,
            &s.admin,
            "ad",
            &json!({"type": "SCIM", "baseUrl": base_url, "secret": SECRET}),
        )
        .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(
            details(&response.body),
            ["token is required", "secret is not used by SCIM sinks"]
        );
        let response = put_sink(
            &app,
            &s.admin,
            "ad",
            &json!({"type": "SCIM", "baseUrl": base_url, "token": SCIM_TOKEN}),
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["type"], "SCIM");
        assert_eq!(response.body["baseUrl"], base_url.as_str());
        assert_eq!(response.body["secretSet"], true);
        assert!(!response.body.to_string().contains(SCIM_TOKEN));

        let response = app
            .post(
                &format!("/api/v1/campaigns/{}/apply-decisions", s.campaign),
                &s.admin,
                &Value::Null,
            )
            .await;
        assert_eq!(response.body["released"], 6, "{}", response.body);
        assert_eq!(run_delivery(&app).await, 5);
        let listed = orders(&app, &s, "").await;
        assert_eq!(
            statuses(&listed),
            expect(&[
                ("alice/g1", "SENT"),
                ("alice/g3", "FAILED"),
                ("alice/h1", "PENDING"),
                ("bob/ap1", "FAILED"),
                ("bob/g1", "SENT"),
                ("bob/g2", "SENT"),
            ])
        );
        assert!(listed
            .iter()
            .all(|(k, o)| o["sink"] == if k.ends_with("/h1") { "MANUAL" } else { "SCIM" }));
        assert_eq!(listed["alice/g3"]["lastError"], "HTTP 404 Not Found");
        let reason = listed["bob/ap1"]["lastError"].as_str().unwrap();
        assert!(
            reason.starts_with("a SCIM sink carries ENTITLEMENT and ACCOUNT revocations"),
            "{reason}"
        );

        // The service: the memberships are gone, the others are untouched; each PATCH was a
        // PatchOp with the bearer token and the SCIM media type.
        {
            let scim = scim.lock().unwrap();
            assert_eq!(scim.groups["grp-1"], BTreeSet::from(["u-carol".to_owned()]));
            assert!(scim.groups["grp-2"].is_empty());
            let mut groups: Vec<&str> = scim.requests.iter().map(|r| r.0.as_str()).collect();
            groups.sort_unstable();
            assert_eq!(groups, ["grp-1", "grp-1", "grp-2", "grp-3"]);
            for (_, authorization, content_type, body) in &scim.requests {
                assert_eq!(authorization, &format!("Bearer {SCIM_TOKEN}"));
                assert_eq!(content_type, "application/scim+json");
                assert_eq!(body["Operations"].as_array().unwrap().len(), 1);
                assert_eq!(body["Operations"][0]["op"], "remove");
            }
        }

        // A wrong token: the service answers 401, the order fails with the reason at once.
        let response = put_sink(
            &app,
            &s.admin,
            "hr",
            &json!({"type": "SCIM", "baseUrl": base_url, "token": "not-the-token"}),
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(run_delivery(&app).await, 1);
        let listed = orders(&app, &s, "&sourceId=hr").await;
        assert_eq!(listed["alice/h1"]["status"], "FAILED");
        assert_eq!(listed["alice/h1"]["lastError"], "HTTP 401 Unauthorized");
        assert_eq!(listed["alice/h1"]["sink"], "SCIM");

        // Removing a sink makes the source manual again.
        let uri = "/api/v1/sources/hr/remediation-sink";
        let response = app
            .send_json(Method::DELETE, uri, &s.admin, &Value::Null)
            .await;
        assert_eq!(response.status, 204);
        let response = app
            .send_json(Method::DELETE, uri, &s.admin, &Value::Null)
            .await;
        assert_eq!(response.status, 404);
        assert_eq!(app.get(uri, Some(&s.admin)).await.body["type"], "MANUAL");
    })
    .await;
}

#[tokio::test]
async fn manual_orders_are_listed_exported_and_marked_done() {
    each_store(|app| async move {
        let s = revoked_campaign(&app).await;
        let csv_uri = format!(
            "/api/v1/provisioning-orders/manual.csv?campaignId={}",
            s.campaign
        );
        let header_line = attest_api::native::remediation::MANUAL_CSV_HEADER.join(",");

        // Held orders wait for apply-decisions: not in the export yet.
        let (status, headers, text) = app.get_text(&csv_uri, &s.admin).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(text, format!("{header_line}\n"));
        let (status, _, _) = app.get_text(&csv_uri, &s.boss).await;
        assert_eq!(status, 403);

        let response = app
            .post(
                &format!("/api/v1/campaigns/{}/apply-decisions", s.campaign),
                &s.admin,
                &json!({}),
            )
            .await;
        assert_eq!(response.body["released"], 6, "{}", response.body);
        assert_eq!(run_delivery(&app).await, 0, "manual orders are never sent");

        let listed = orders(&app, &s, "").await;
        assert!(listed
            .values()
            .all(|o| o["sink"] == "MANUAL" && o["status"] == "PENDING" && o["released"] == true));
        let (_, _, text) = app.get_text(&csv_uri, &s.admin).await;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 6, "{text}");
        let ids: BTreeSet<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(
            ids,
            listed.values().map(|o| o["id"].as_str().unwrap()).collect()
        );
        let alice_g1 = rows
            .iter()
            .find(|r| &r[0] == listed["alice/g1"]["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(&alice_g1[2], "PENDING");
        assert_eq!(&alice_g1[3], "ad");
        assert_eq!(&alice_g1[7], "ENTITLEMENT");
        assert_eq!(&alice_g1[8], "g1");
        assert_eq!(&alice_g1[9], "Group one");
        // The reviewer's comment would run as a formula in a spreadsheet: neutralised.
        assert_eq!(&alice_g1[10], "'=HYPERLINK(\"http://evil.test\")");
        let (_, _, text) = app
            .get_text(
                "/api/v1/provisioning-orders/manual.csv?sourceId=hr",
                &s.admin,
            )
            .await;
        assert_eq!(text.lines().count(), 2, "{text}");
        let (status, _, text) = app
            .get_text(
                "/api/v1/provisioning-orders/manual.csv?released=maybe",
                &s.admin,
            )
            .await;
        assert_eq!(status, 400, "{text}");

        // Marking done: validated, administrators only, then DONE with who and when.
        let mark = "/api/v1/provisioning-orders/mark-done";
        let response = app.post(mark, &s.admin, &json!({"comment": "x"})).await;
        assert_eq!(response.status, 400);
        assert_eq!(details(&response.body), ["orderIds is required"]);
        let done: Vec<&str> = ["alice/g1", "bob/g2"]
            .iter()
            .map(|k| listed[*k]["id"].as_str().unwrap())
            .collect();
        let response = app.post(mark, &s.boss, &json!({"orderIds": done})).await;
        assert_eq!(response.status, 403);
        let response = app
            .post(
                mark,
                &s.admin,
                &json!({"orderIds": [done[0], "missing-order"]}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            details(&response.body),
            ["orderIds: order missing-order was not found"]
        );
        app.clock.set(app.clock.now() + Duration::minutes(5));
        let response = app
            .post(
                mark,
                &s.admin,
                &json!({"orderIds": done, "comment": "removed by hand in AD"}),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let marked: BTreeSet<&str> = response.body["orderIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(marked, done.iter().copied().collect());
        let response = app
            .post(mark, &s.admin, &json!({"orderIds": [done[0]]}))
            .await;
        assert_eq!(
            details(&response.body),
            [format!("orderIds: order {} is already DONE", done[0])]
        );
        let finished = orders(&app, &s, "&status=DONE").await;
        assert_eq!(finished.keys().collect::<Vec<_>>(), ["alice/g1", "bob/g2"]);
        for o in finished.values() {
            assert_eq!(o["doneBy"], "admin");
            assert_eq!(time(&o["doneAt"]), app.clock.now());
        }
        let (_, _, text) = app.get_text(&csv_uri, &s.admin).await;
        assert_eq!(
            text.lines().count(),
            5,
            "done orders leave the export: {text}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_remediation_scan_after_a_re_import_verifies_what_is_gone() {
    each_store(|app| async move {
        let s = revoked_campaign(&app).await;
        let listed = orders(&app, &s, "").await;
        // Release everything but alice's h1, which stays held.
        let released: Vec<&str> = listed
            .iter()
            .filter(|(k, _)| k.as_str() != "alice/h1")
            .map(|(_, o)| o["id"].as_str().unwrap())
            .collect();
        let response = app
            .post(
                &format!("/api/v1/campaigns/{}/apply-decisions", s.campaign),
                &s.admin,
                &json!({"orderIds": released}),
            )
            .await;
        assert_eq!(response.body["released"], 5, "{}", response.body);
        let done = listed["bob/ap1"]["id"].as_str().unwrap();
        let response = app
            .post(
                "/api/v1/provisioning-orders/mark-done",
                &s.admin,
                &json!({"orderIds": [done]}),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);

        // The re-import: alice's g1, bob's g2 and alice's (held) h1 are gone.
        // Tokens live an hour: stay within it.
        app.clock.set(app.clock.now() + Duration::minutes(20));
        import(
            &app,
            &[
                "alice,alice-ad,ENTITLEMENT,g3,MANUAL",
                "bob,bob-ad,ENTITLEMENT,g1,MANUAL",
                "bob,bob-ad,ACCESS_PROFILE,ap1,MANUAL",
            ],
        )
        .await;

        // Who may start a scan, and of what.
        let scan = format!("/v3/campaigns/{}/run-remediation-scan", s.campaign);
        assert_eq!(app.post(&scan, &s.boss, &Value::Null).await.status, 403);
        let response = app
            .post(
                "/v3/campaigns/0000000000000000000000000000dead/run-remediation-scan",
                &s.admin,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 404, "{}", response.body);
        assert_eq!(response.body["detailCode"], "404 Not found");
        let auditor = app.token("auditor", &[Authority::ReportAdmin]).await;
        let response = app.post(&scan, &auditor, &Value::Null).await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(response.body, json!({}));
        // Nothing changes until the worker runs the scan.
        assert_eq!(
            statuses(&orders(&app, &s, "").await),
            statuses(&listed)
                .into_iter()
                .map(|(k, v)| if k == "bob/ap1" {
                    (k, "DONE".to_owned())
                } else {
                    (k, v)
                })
                .collect()
        );
        assert_eq!(run_delivery(&app).await, 1, "one scan");
        let scanned = orders(&app, &s, "").await;
        assert_eq!(
            statuses(&scanned),
            expect(&[
                ("alice/g1", "VERIFIED"),
                ("alice/g3", "STILL_PRESENT"),
                ("alice/h1", "VERIFIED"),
                ("bob/ap1", "STILL_PRESENT"),
                ("bob/g1", "STILL_PRESENT"),
                ("bob/g2", "VERIFIED"),
            ])
        );
        assert!(scanned
            .values()
            .all(|o| time(&o["scannedAt"]) == app.clock.now()));
        assert_eq!(orders(&app, &s, "&status=VERIFIED").await.len(), 3);
        assert_eq!(orders(&app, &s, "&status=STILL_PRESENT").await.len(), 3);
        assert_eq!(run_delivery(&app).await, 0, "a scan runs once per request");

        // The remediation status report shows what the scan found.
        let response = app
            .post(
                &format!(
                    "/v3/campaigns/{}/run-report/CAMPAIGN_REMEDIATION_STATUS_REPORT",
                    s.campaign
                ),
                &auditor,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        let report = response.body["id"].as_str().unwrap().to_owned();
        assert!(app.run_tasks().await >= 1);
        let (status, _, text) = app
            .get_text(&format!("/api/v1/reports/{report}"), &auditor)
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let (_, rows) = crate::reports::parse_csv(&text);
        let mut reported: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["accessId"].clone(), r["status"].clone()))
            .collect();
        reported.sort();
        let mut expected: Vec<(String, String)> = scanned
            .values()
            .map(|o| {
                (
                    o["accessId"].as_str().unwrap().to_owned(),
                    o["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        expected.sort();
        assert_eq!(reported, expected);
        assert!(reported.iter().any(|(_, s)| s == "VERIFIED"));
        assert!(reported.iter().any(|(_, s)| s == "STILL_PRESENT"));

        // The next import removes the rest; a scan started through each family verifies it.
        // Tokens live an hour: stay within it.
        app.clock.set(app.clock.now() + Duration::minutes(20));
        import(&app, &[]).await;
        for base in [
            "/v2024/campaigns",
            "/v2025/campaigns",
            "/v2026/campaigns",
            "/beta/campaigns",
            "/campaigns/v1",
        ] {
            let response = app
                .post(
                    &format!("{base}/{}/run-remediation-scan", s.campaign),
                    &s.admin,
                    &Value::Null,
                )
                .await;
            assert_eq!(response.status, 202, "{base}: {}", response.body);
        }
        assert_eq!(
            run_delivery(&app).await,
            1,
            "requests before the run make one scan"
        );
        let scanned = orders(&app, &s, "").await;
        assert!(
            scanned.values().all(|o| o["status"] == "VERIFIED"),
            "{scanned:#?}"
        );
        let audit = app
            .store
            .audit_events(&s.campaign.as_str().into(), 500, 0)
            .await
            .unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action == "campaign.remediation_scanned")
                .count(),
            2
        );
    })
    .await;
}
