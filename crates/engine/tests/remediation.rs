//! Remediation delivery on real stores (SQLite always, PostgreSQL when configured) and a real
//! HTTP receiver on loopback, with the test clock: orders wait for apply-decisions, are sent
//! signed with the order as idempotency key, retried with the shared backoff (never by
//! sleeping: the clock is moved), fail at once on a 4xx, give up after the last attempt, and
//! resume after a restart from what the database holds.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use attest_domain::campaign::{CommentRequirement, Decision};
use attest_domain::certification::*;
use attest_domain::remediation::Secret;
use attest_domain::*;
use attest_engine::campaigns::remediation::SinkRequest;
use attest_engine::campaigns::Campaigns;
use attest_engine::credentials::Caller;
use attest_engine::import::{import_bundle, NoProgress};
use attest_engine::webhook;
use attest_store::campaigns::{ItemDecision, ListQuery};
use attest_store::remediation::RemediationOrderQuery;
use attest_store::Store;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};

const SECRET: &str = "remediation-secret-0123";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap()
}

/// boss reviews alice and bob (MANAGER campaign); both hold `ad` groups through accounts.
fn write_bundle(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "identities.csv",
            "id,name,managerId\nboss,boss,\nalice,alice,boss\nbob,bob,boss\n",
        ),
        ("sources.csv", "id,name,ownerId\nad,Directory,boss\n"),
        (
            "entitlements.csv",
            "id,sourceId,name,attribute,value\n\
             g1,ad,Group one,memberOf,grp-1\n\
             g2,ad,Group two,memberOf,grp-2\n",
        ),
        (
            "accounts.csv",
            "id,sourceId,nativeIdentity,identityId\nalice-ad,ad,u-alice,alice\nbob-ad,ad,u-bob,bob\n",
        ),
        (
            "assignments.csv",
            "identityId,accountId,accessType,accessId,origin\n\
             alice,alice-ad,ENTITLEMENT,g1,MANUAL\n\
             bob,bob-ad,ENTITLEMENT,g1,MANUAL\n\
             bob,bob-ad,ENTITLEMENT,g2,MANUAL\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn caller(id: &str, authorities: &[Authority]) -> Caller {
    Caller {
        identity_id: id.into(),
        client_id: ClientId(format!("client-{id}")),
        authorities: authorities.to_vec(),
        expires_at: start() + Duration::days(365),
    }
}

fn admin() -> Caller {
    caller("boss", &[Authority::CertAdmin])
}

fn all() -> ListQuery {
    ListQuery {
        filter: None,
        sort: Vec::new(),
        limit: 250,
        offset: 0,
        count: true,
    }
}

/// What the receiver saw of one request, checked as it arrived.
#[derive(Debug, Clone)]
struct Seen {
    key: String,
    access_id: String,
    signature_ok: bool,
    timestamp: i64,
}

/// A loopback receiver: for each request, `answer(access id, attempt number of that key)`
/// gives the status. It verifies the signature against the body and `now`.
async fn receiver(
    clock: ManualClock,
    answer: fn(&str, usize) -> u16,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let log = seen.clone();
    let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
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
            let timestamp = signature
                .split(',')
                .find_map(|p| p.strip_prefix("t="))
                .and_then(|t| t.parse().ok())
                .unwrap_or_default();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let key = header(webhook::IDEMPOTENCY_HEADER);
            assert_eq!(json["orderId"], key.as_str(), "the key is the order");
            let access_id = json["accessId"].as_str().unwrap().to_owned();
            let mut log = log.lock().unwrap();
            let attempt = log.iter().filter(|s| s.key == key).count() + 1;
            log.push(Seen {
                key,
                access_id: access_id.clone(),
                signature_ok,
                timestamp,
            });
            StatusCode::from_u16(answer(&access_id, attempt)).unwrap()
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

struct World {
    backend: &'static str,
    store: Arc<dyn Store>,
    clock: ManualClock,
    engine: Campaigns,
    campaign: CampaignId,
}

/// Every backend with the bundle imported and a campaign whose three items boss revoked and
/// signed off.
async fn worlds() -> Vec<World> {
    let mut worlds = Vec::new();
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        let clock = ManualClock::new(start());
        import_bundle(store.as_ref(), &clock, dir.path(), Arc::new(NoProgress))
            .await
            .unwrap();
        let engine = Campaigns::new(Arc::clone(&store), Arc::new(clock.clone()));
        let definition = CampaignDefinition {
            name: "Quarterly".to_owned(),
            description: None,
            deadline: Some(start() + Duration::days(30)),
            scope: CampaignScope::Manager,
            email_notification_enabled: false,
            auto_revoke_allowed: false,
            recommendations_enabled: false,
            mandatory_comment_requirement: CommentRequirement::NoDecisions,
            sunset_comments_required: false,
            filter: None,
        };
        let campaign = engine.create(&admin(), definition).await.unwrap();
        engine.run_due_tasks().await.unwrap();
        engine.activate(&admin(), &campaign.id).await.unwrap();
        engine.run_due_tasks().await.unwrap();
        let certs = engine
            .certifications(&admin(), false, &all())
            .await
            .unwrap();
        assert_eq!(certs.items.len(), 1, "{backend}");
        let cert = &certs.items[0];
        let boss = caller("boss", &[]);
        let items = engine.items(&boss, &cert.id, None, &all()).await.unwrap();
        let decisions = items
            .items
            .items
            .iter()
            .map(|i| ItemDecision {
                item_id: i.id,
                decision: Decision::Revoke,
                comments: Some("left the team".to_owned()),
                proposed_end_date: None,
            })
            .collect();
        engine.decide(&boss, &cert.id, decisions).await.unwrap();
        engine.sign_off(&boss, &cert.id).await.unwrap();
        worlds.push(World {
            backend,
            store,
            clock,
            engine,
            campaign: campaign.id,
        });
    }
    worlds
}

impl World {
    async fn orders(&self) -> BTreeMap<String, attest_domain::remediation::RemediationOrder> {
        let query = RemediationOrderQuery {
            campaign_id: Some(self.campaign.clone()),
            limit: 50,
            ..RemediationOrderQuery::default()
        };
        self.engine
            .remediation_orders(&admin(), &query)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|o| {
                let key = format!(
                    "{}/{}",
                    o.order.identity_id.as_ref().unwrap(),
                    o.order.access_id
                );
                (key, o)
            })
            .collect()
    }

    async fn webhook(&self, url: &str) {
        self.engine
            .put_remediation_sink(
                &admin(),
                &"ad".into(),
                &SinkRequest {
                    kind: Some("WEBHOOK".to_owned()),
                    url: Some(url.to_owned()),
                    secret: Some(Secret(SECRET.to_owned())),
                    ..SinkRequest::default()
                },
            )
            .await
            .unwrap();
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_orders_are_sent_signed_and_retried_with_backoff() {
    for w in worlds().await {
        let b = w.backend;
        // g1 orders fail twice with 503 then succeed; g2 is refused for good with a 422.
        let (url, seen) = receiver(w.clock.clone(), |access, attempt| match access {
            "g2" => 422,
            _ if attempt <= 2 => 503,
            _ => 204,
        })
        .await;
        w.webhook(&url).await;

        // Held: nothing is sent before the decisions are applied.
        assert_eq!(w.engine.run_due_remediation().await.unwrap(), 0, "{b}");
        assert!(seen.lock().unwrap().is_empty(), "{b}");
        let released = w
            .engine
            .apply_campaign_decisions(&admin(), &w.campaign, None)
            .await
            .unwrap();
        assert_eq!(released.released.len(), 3, "{b}");

        // Round 1: three attempts; g2 fails at once, the g1 orders wait for their retry.
        let t0 = w.clock.now();
        assert_eq!(w.engine.run_due_remediation().await.unwrap(), 3, "{b}");
        let orders = w.orders().await;
        let g2 = &orders["bob/g2"];
        assert_eq!(g2.order.status, OrderStatus::Failed, "{b}");
        assert_eq!(
            g2.delivery.last_error.as_deref(),
            Some("HTTP 422 Unprocessable Entity"),
            "{b}"
        );
        assert_eq!(g2.delivery.attempts, 1, "{b}");
        for key in ["alice/g1", "bob/g1"] {
            let o = &orders[key];
            assert_eq!(o.order.status, OrderStatus::Pending, "{b} {key}");
            assert_eq!(o.delivery.attempts, 1, "{b} {key}");
            assert_eq!(
                o.delivery.last_error.as_deref(),
                Some("HTTP 503 Service Unavailable"),
                "{b} {key}"
            );
            // The shared policy: 30 s backoff with equal jitter, so 15 to 30 s.
            let next = o.delivery.next_attempt_at.unwrap();
            assert!(
                next >= t0 + Duration::seconds(15) && next < t0 + Duration::seconds(30),
                "{b} {key}: {next}"
            );
        }
        // Not due yet: nothing is sent however often the worker looks.
        assert_eq!(w.engine.run_due_remediation().await.unwrap(), 0, "{b}");

        // A restart: a new engine over the same database picks the schedule up.
        let restarted = Campaigns::new(w.store.clone(), Arc::new(w.clock.clone()));
        w.advance(Duration::seconds(30));
        assert_eq!(restarted.run_due_remediation().await.unwrap(), 2, "{b}");
        let orders = w.orders().await;
        let t1 = w.clock.now();
        for key in ["alice/g1", "bob/g1"] {
            let o = &orders[key];
            assert_eq!(o.delivery.attempts, 2, "{b} {key}");
            let next = o.delivery.next_attempt_at.unwrap();
            assert!(
                next >= t1 + Duration::seconds(30) && next < t1 + Duration::seconds(60),
                "{b} {key}: {next}"
            );
        }
        w.advance(Duration::seconds(60));
        assert_eq!(restarted.run_due_remediation().await.unwrap(), 2, "{b}");
        let orders = w.orders().await;
        for key in ["alice/g1", "bob/g1"] {
            let o = &orders[key];
            assert_eq!(o.order.status, OrderStatus::Sent, "{b} {key}");
            assert_eq!(o.delivery.attempts, 3, "{b} {key}");
            assert_eq!(o.delivery.sent_at, Some(w.clock.now()), "{b} {key}");
            assert_eq!(o.delivery.last_error, None, "{b} {key}");
        }
        assert_eq!(w.engine.run_due_remediation().await.unwrap(), 0, "{b}");

        // What the receiver saw: 7 signed requests, keyed by order, dated by the test clock.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 7, "{b}");
        assert!(seen.iter().all(|s| s.signature_ok), "{b}: {seen:?}");
        assert_eq!(
            seen.iter().filter(|s| s.access_id == "g2").count(),
            1,
            "{b}: a 4xx is not retried"
        );
        assert_eq!(seen[0].timestamp, t0.timestamp(), "{b}");
        assert_eq!(seen[6].timestamp, w.clock.now().timestamp(), "{b}");
        let alice = &orders["alice/g1"];
        assert_eq!(
            seen.iter()
                .filter(|s| s.key == alice.order.id.as_str())
                .count(),
            3,
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_gives_up_after_the_last_attempt_with_the_reason() {
    for w in worlds().await {
        let b = w.backend;
        let (url, seen) = receiver(w.clock.clone(), |_, _| 503).await;
        w.webhook(&url).await;
        let orders = w.orders().await;
        let one = orders["alice/g1"].order.id.clone();
        w.engine
            .apply_campaign_decisions(&admin(), &w.campaign, Some(std::slice::from_ref(&one)))
            .await
            .unwrap();
        let policy = webhook::RetryPolicy::default();
        let mut attempts = 0;
        for _ in 0..20 {
            attempts += w.engine.run_due_remediation().await.unwrap();
            w.advance(Duration::hours(1));
        }
        let order = w.orders().await.remove("alice/g1").unwrap();
        assert_eq!(order.order.status, OrderStatus::Failed, "{b}");
        assert_eq!(
            u32::try_from(order.delivery.attempts).unwrap(),
            policy.max_attempts,
            "{b}"
        );
        assert_eq!(attempts, order.delivery.attempts as usize, "{b}");
        assert_eq!(
            order.delivery.last_error.as_deref(),
            Some(
                format!(
                    "gave up after {} attempts; the last one failed: HTTP 503 Service Unavailable",
                    policy.max_attempts
                )
                .as_str()
            ),
            "{b}"
        );
        assert_eq!(seen.lock().unwrap().len(), attempts, "{b}");
        // The other two orders were never released, so never sent.
        assert!(seen.lock().unwrap().iter().all(|s| s.key == one.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_decisions_and_mark_done_check_what_they_are_given() {
    for w in worlds().await {
        let b = w.backend;
        let orders = w.orders().await;
        let alice = orders["alice/g1"].order.id.clone();
        // Reviewers may not apply decisions or configure sinks.
        let reviewer = caller("alice", &[]);
        assert!(matches!(
            w.engine
                .apply_campaign_decisions(&reviewer, &w.campaign, None)
                .await,
            Err(attest_engine::campaigns::EngineError::Forbidden(_))
        ));
        // Unknown orders and unknown campaigns are named.
        match w
            .engine
            .apply_campaign_decisions(&admin(), &w.campaign, Some(&["nope".into()]))
            .await
        {
            Err(attest_engine::campaigns::EngineError::Invalid { causes, .. }) => {
                assert_eq!(causes, ["orderIds: order nope was not found"], "{b}")
            }
            other => panic!("{b}: {other:?}"),
        }
        assert!(matches!(
            w.engine
                .apply_campaign_decisions(&admin(), &"missing".into(), None)
                .await,
            Err(attest_engine::campaigns::EngineError::NotFound(_))
        ));
        // A held order cannot be marked done.
        match w.engine.mark_orders_done(&admin(), std::slice::from_ref(&alice), None).await {
            Err(attest_engine::campaigns::EngineError::Invalid { causes, .. }) => assert_eq!(
                causes,
                [format!(
                    "orderIds: order {alice} has not been released (apply the campaign's decisions first)"
                )],
                "{b}"
            ),
            other => panic!("{b}: {other:?}"),
        }
        // Without a sink the orders are manual: released, never sent, then marked done.
        w.engine
            .apply_campaign_decisions(&admin(), &w.campaign, None)
            .await
            .unwrap();
        assert_eq!(w.engine.run_due_remediation().await.unwrap(), 0, "{b}");
        let done = w
            .engine
            .mark_orders_done(
                &admin(),
                std::slice::from_ref(&alice),
                Some("removed in AD"),
            )
            .await
            .unwrap();
        assert_eq!(done, std::slice::from_ref(&alice), "{b}");
        let order = w.orders().await.remove("alice/g1").unwrap();
        assert_eq!(order.order.status, OrderStatus::Done, "{b}");
        assert_eq!(order.delivery.done_by, Some("boss".into()), "{b}");
        let audit = w.store.audit_events(&w.campaign, 100, 0).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "campaign.decisions_applied"),
            "{b}"
        );
        assert!(
            audit
                .iter()
                .any(|e| e.action == "order.done" && e.detail["comment"] == "removed in AD"),
            "{b}"
        );
    }
}
