//! Decide calls that arrive together share one write transaction (group commit): counters,
//! summaries, audit events and refusals stay exactly as if the calls ran one after the other.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, CommentRequirement, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_sqlite::SqliteStore;
use chrono::{DateTime, TimeZone, Utc};

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

async fn open() -> SqliteStore {
    let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("attest-sqlite-decide-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let url = format!("sqlite://{}", dir.join("attest.db").display());
    let store = SqliteStore::open(&url, &PoolConfig::default())
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    store
}

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, day, 9, 0, 0)
        .single()
        .expect("valid date")
}

fn event(action: &str, campaign: &str, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        actor: Actor::system(),
        action: action.into(),
        campaign_id: Some(campaign.into()),
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({}),
    }
}

fn task(id: &str, target: &str, created: DateTime<Utc>) -> Task {
    Task {
        id: id.into(),
        task_type: TaskType::CampaignCreate,
        target_type: TaskTarget::Campaign,
        target_id: target.into(),
        status: TaskStatus::Queued,
        errors: Vec::new(),
        payload: serde_json::json!({}),
        reassignment_trail: Vec::new(),
        attempts: 0,
        created,
        run_after: created,
    }
}

fn campaign(id: &str) -> Campaign {
    Campaign {
        id: id.into(),
        definition: CampaignDefinition {
            name: format!("campaign {id}"),
            description: None,
            deadline: Some(t(28)),
            scope: CampaignScope::Manager,
            email_notification_enabled: false,
            auto_revoke_allowed: false,
            recommendations_enabled: false,
            mandatory_comment_requirement: CommentRequirement::NoDecisions,
            sunset_comments_required: false,
            filter: None,
        },
        status: CampaignStatus::Pending,
        owner: "owner".into(),
        created: t(1),
        modified: t(1),
        activated: None,
        completed: None,
        alerts: Vec::new(),
        counts: CampaignCounts::default(),
        source_ids: Vec::new(),
    }
}

/// An ACTIVE campaign with one certification of `items` entitlement items over `holders`
/// holders (written through the trait, as generation would). Returns the certification and
/// its items' ids.
async fn active_certification(
    store: &SqliteStore,
    id: &str,
    items: usize,
    holders: usize,
) -> (CertificationId, Vec<ReviewItemId>) {
    let c = campaign(id);
    store
        .insert_campaign(
            &c,
            &task(&format!("{id}-create"), id, t(1)),
            &event("campaign.created", id, t(1)),
        )
        .await
        .unwrap();
    let cert_id = CertificationId(format!("{id:0>32}"));
    let first_summary = store.allocate_ids(holders as i64).await.unwrap();
    let first_item = store.allocate_ids(items as i64).await.unwrap();
    let mut summaries: Vec<IdentitySummary> = (0..holders)
        .map(|h| IdentitySummary {
            id: IdentitySummaryId(first_summary + h as i64),
            certification_id: cert_id.clone(),
            identity_id: Some(format!("holder{h}").into()),
            account_id: None,
            role_id: None,
            name: format!("Holder {h}"),
            items_total: 0,
            items_decided: 0,
        })
        .collect();
    let rows: Vec<ReviewItem> = (0..items)
        .map(|n| {
            let h = n % holders;
            summaries[h].items_total += 1;
            ReviewItem {
                id: ReviewItemId(first_item + n as i64),
                certification_id: cert_id.clone(),
                campaign_id: c.id.clone(),
                identity_summary_id: summaries[h].id,
                identity_id: summaries[h].identity_id.clone(),
                account_id: None,
                role_id: None,
                holder_name: summaries[h].name.clone(),
                access_type: ItemAccessType::Entitlement,
                access_id: format!("e{n}"),
                access_name: format!("Entitlement\t{n} \"quoted\" \\ back"),
                source_id: Some("src".into()),
                source_name: Some("Source".into()),
                origin: Origin::Manual,
                granted_at: Some(t(1)),
                recommendation: None,
                recommendation_reasons: vec!["a, \"b\"".into(), "{c}".into()],
                decision: None,
                comments: None,
                proposed_end_date: None,
                decided_by: None,
                decided_at: None,
                reassigned_from: None,
                reassignment_reason: None,
            }
        })
        .collect();
    store.insert_items(&rows).await.unwrap();
    let mut counts = CertificationCounts::default();
    counts.entitlements.total = items as i64;
    counts.identities_total = holders as i64;
    let cert = Certification {
        id: cert_id.clone(),
        campaign_id: c.id.clone(),
        campaign_name: c.definition.name.clone(),
        campaign_type: c.definition.scope.campaign_type(),
        name: format!("{} - reviewer", c.definition.name),
        reviewer: "reviewer".into(),
        reviewer_name: "Reviewer".into(),
        reviewer_email: None,
        reviewer_group: None,
        phase: CertificationPhase::Staged,
        due: None,
        signed: None,
        created: t(2),
        modified: t(2),
        reassignment: None,
        counts,
    };
    let result = GenerationResult {
        certifications: vec![cert],
        identity_summaries: summaries,
        counts: CampaignCounts {
            certifications_total: 1,
            certifications_completed: 0,
            items_total: items as i64,
            items_decided: 0,
            identities_total: holders as i64,
        },
        source_ids: vec!["src".into()],
        alerts: Vec::new(),
    };
    assert!(store
        .finish_generation(&c.id, &result, t(2), &event("campaign.generated", id, t(2)))
        .await
        .unwrap());
    assert!(store
        .transition_campaign(
            &c.id,
            CampaignStatus::Staged,
            CampaignStatus::Activating,
            t(3),
            &[],
            None,
            &event("campaign.activating", id, t(3)),
        )
        .await
        .unwrap());
    assert!(store
        .finish_activation(&c.id, t(3), &event("campaign.activated", id, t(3)))
        .await
        .unwrap());
    (cert_id, rows.iter().map(|r| r.id).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decide_calls_keep_counters_exact() {
    let a = Arc::new(open().await);
    let b = a.clone();
    let (cert, items) = active_certification(&a, "race", 400, 40).await;
    // Text that COPY and array literals treat specially survives the round trip.
    let first = a.item(&cert, items[0]).await.unwrap().unwrap();
    assert_eq!(first.access_name, "Entitlement\t0 \"quoted\" \\ back");
    assert_eq!(first.recommendation_reasons, ["a, \"b\"", "{c}"]);

    // Eight callers on two nodes: each decides its own slice in batches of 25, and every
    // caller also re-decides the first 50 items (overlapping), flipping approve/revoke.
    let mut callers = Vec::new();
    for c in 0..8usize {
        let node = if c % 2 == 0 { a.clone() } else { b.clone() };
        let cert = cert.clone();
        let mine: Vec<ReviewItemId> = items.iter().copied().skip(c).step_by(8).collect();
        let shared: Vec<ReviewItemId> = items[..50].to_vec();
        callers.push(tokio::spawn(async move {
            let who = Actor {
                identity_id: Some("reviewer".into()),
                client_id: None,
            };
            for batch in mine.chunks(25).chain(shared.chunks(25)) {
                let decisions: Vec<ItemDecision> = batch
                    .iter()
                    .map(|id| ItemDecision {
                        item_id: *id,
                        decision: if (id.0 + c as i64) % 3 == 0 {
                            Decision::Revoke
                        } else {
                            Decision::Approve
                        },
                        comments: Some(format!("caller {c}")),
                        proposed_end_date: None,
                    })
                    .collect();
                node.decide(&cert, &decisions, &who, t(5))
                    .await
                    .unwrap()
                    .unwrap();
                // A call naming an item of no certification is refused alone, whatever
                // calls share its transaction.
                let mut refused = decisions.clone();
                refused.push(ItemDecision {
                    item_id: ReviewItemId(999_999),
                    decision: Decision::Revoke,
                    comments: None,
                    proposed_end_date: None,
                });
                assert_eq!(
                    node.decide(&cert, &refused, &who, t(5)).await.unwrap(),
                    Err(CertificationRefusal::UnknownItem("999999".to_owned()))
                );
            }
        }));
    }
    for c in callers {
        c.await.unwrap();
    }

    let stored = a.certification(&cert).await.unwrap().unwrap();
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = a
            .list_items(
                &cert,
                None,
                &ListQuery {
                    filter: None,
                    sort: Vec::new(),
                    limit: 250,
                    offset,
                    count: false,
                },
            )
            .await
            .unwrap();
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u64;
        all.extend(page.items);
    }
    assert_eq!(all.len(), 400);
    let approved = all
        .iter()
        .filter(|i| i.decision == Some(Decision::Approve))
        .count() as i64;
    let revoked = all
        .iter()
        .filter(|i| i.decision == Some(Decision::Revoke))
        .count() as i64;
    let e = stored.counts.entitlements;
    assert_eq!(e.total, 400);
    assert_eq!(e.decided, 400);
    assert_eq!((e.approved, e.revoked), (approved, revoked));
    assert_eq!(approved + revoked, 400);
    assert_eq!(stored.counts.identities_completed, 40);
    let summaries = a
        .list_identity_summaries(
            &cert,
            &ListQuery {
                filter: None,
                sort: Vec::new(),
                limit: 100,
                offset: 0,
                count: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(summaries.total, Some(40));
    assert!(summaries
        .items
        .iter()
        .all(|s| s.items_total == 10 && s.items_decided == 10));
    let campaign = a.campaign(&"race".into()).await.unwrap().unwrap();
    assert_eq!(campaign.counts.items_decided, 400);
    // One audit event per decision: 400 own + 8 × 50 shared.
    let mut decided = 0;
    let mut offset = 0;
    loop {
        let events = a.audit_events(&"race".into(), 500, offset).await.unwrap();
        if events.is_empty() {
            break;
        }
        offset += events.len() as u64;
        decided += events.iter().filter(|e| e.action == "item.decided").count();
    }
    assert_eq!(decided, 800);
}
