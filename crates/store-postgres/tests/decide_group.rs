//! Decide calls on PostgreSQL that arrive together share one transaction (group commit):
//! counters, summaries, audit events, answers and refusals stay exactly as if the calls ran one
//! after the other, across certifications and campaigns. Skipped without
//! ATTEST_TEST_DATABASE_URL.

use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, CommentRequirement, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_postgres::PostgresStore;
use chrono::{DateTime, TimeZone, Utc};

/// A migrated store on a fresh schema, or `None` when no server is configured.
async fn open() -> Option<PostgresStore> {
    let url = attest_testing::fresh_postgres_url().await?;
    let pool = PoolConfig {
        max_connections: 8,
        ..PoolConfig::default()
    };
    let store = PostgresStore::open(&url, &pool).await.expect("open");
    store.migrate().await.expect("migrate");
    Some(store)
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
    store: &PostgresStore,
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

fn decision(item: ReviewItemId, decision: Decision, comment: String) -> ItemDecision {
    ItemDecision {
        item_id: item,
        decision,
        comments: Some(comment),
        proposed_end_date: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_calls_answer_one_by_one_across_certifications() {
    let Some(store) = open().await else {
        eprintln!("skipped: ATTEST_TEST_DATABASE_URL is not set");
        return;
    };
    let store = Arc::new(store);
    let (one, one_items) = active_certification(&store, "one", 60, 6).await;
    let (two, two_items) = active_certification(&store, "two", 60, 6).await;
    let who = Actor {
        identity_id: Some("reviewer".into()),
        client_id: None,
    };
    // 24 single-item callers at once per certification (each item decided twice, once
    // approved then revoked by a later call), plus refused calls mixed in: unknown items, an
    // item of the other certification, a missing certification.
    let mut calls = Vec::new();
    for round in 0..2 {
        for n in 0..60usize {
            for (cert, items) in [(&one, &one_items), (&two, &two_items)] {
                let store = store.clone();
                let cert = cert.clone();
                let item = items[n];
                let who = who.clone();
                calls.push(tokio::spawn(async move {
                    let d = if round == 0 {
                        Decision::Approve
                    } else {
                        Decision::Revoke
                    };
                    let answer = store
                        .decide(&cert, &[decision(item, d, format!("r{round}"))], &who, t(5))
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(answer.id, cert);
                    answer
                }));
            }
            if n % 10 == 0 {
                let store = store.clone();
                let (one, two_item, who) = (one.clone(), two_items[n], who.clone());
                calls.push(tokio::spawn(async move {
                    assert_eq!(
                        store
                            .decide(
                                &one,
                                &[decision(two_item, Decision::Approve, "x".into())],
                                &who,
                                t(5)
                            )
                            .await
                            .unwrap(),
                        Err(CertificationRefusal::UnknownItem(two_item.to_string()))
                    );
                    assert_eq!(
                        store
                            .decide(
                                &"f".repeat(32).as_str().into(),
                                &[decision(two_item, Decision::Approve, "x".into())],
                                &who,
                                t(5)
                            )
                            .await
                            .unwrap(),
                        Err(CertificationRefusal::NotFound)
                    );
                    store.certification(&one).await.unwrap().unwrap()
                }));
            }
        }
        // The first round is complete before the second starts.
        for call in calls.drain(..) {
            let answer = call.await.unwrap();
            let e = answer.counts.entitlements;
            assert!(e.decided <= 60 && e.approved + e.revoked == e.decided);
        }
    }

    for (cert, campaign) in [(&one, "one"), (&two, "two")] {
        let stored = store.certification(cert).await.unwrap().unwrap();
        let e = stored.counts.entitlements;
        assert_eq!((e.total, e.decided, e.approved, e.revoked), (60, 60, 0, 60));
        assert_eq!(stored.counts.identities_completed, 6);
        let c = store.campaign(&campaign.into()).await.unwrap().unwrap();
        assert_eq!(c.counts.items_decided, 60);
        let events = store.audit_events(&campaign.into(), 500, 0).await.unwrap();
        assert_eq!(
            events.iter().filter(|e| e.action == "item.decided").count(),
            120
        );
        let summaries = store
            .list_identity_summaries(
                cert,
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
        assert!(summaries
            .items
            .iter()
            .all(|s| s.items_total == 10 && s.items_decided == 10));
    }

    // A call alone answers exactly what a read then shows, to the microsecond.
    let at = t(6) + chrono::Duration::nanoseconds(123_456_789);
    let answer = store
        .decide(
            &one,
            &[decision(one_items[0], Decision::Approve, "again".into())],
            &who,
            at,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, store.certification(&one).await.unwrap().unwrap());
    assert_eq!(answer.counts.entitlements.approved, 1);
    let item = store.item(&one, one_items[0]).await.unwrap().unwrap();
    assert_eq!(item.decision, Some(Decision::Approve));
    assert_eq!(item.comments.as_deref(), Some("again"));
}
