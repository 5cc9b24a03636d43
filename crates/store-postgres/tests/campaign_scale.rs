//! Campaign storage at benchmark scale on PostgreSQL: a MANAGER campaign of 1,000,000 items
//! over 100,000 identities (each manager has 25 reports holding 10 assignments, so a
//! certification holds 250 items), generated and activated the way the engine does it, then
//! decided by four concurrent clients 250 items per call, with list latencies measured.
//!
//! Ignored by default (it takes minutes); run in release mode against a scratch server:
//!
//! ```text
//! ATTEST_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/attest_test \
//!     cargo test --release -p attest-store-postgres --test campaign_scale -- --ignored --nocapture
//! ```
//!
//! Prints the time of each step and checks the targets: generation + activation within 30 s,
//! decisions at 10,000 items/s or more, item pages p99 within 20 ms, summaries p99 within 10 ms.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use attest_domain::campaign::{CampaignStatus, CommentRequirement, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_postgres::PostgresStore;
use chrono::{DateTime, TimeZone, Utc};

const IDENTITIES: usize = 100_000;
const REPORTS: usize = 25;
const PER_IDENTITY: usize = 10;
const PAGE: u32 = 20_000;

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, day, 9, 0, 0)
        .single()
        .expect("valid date")
}

fn event(action: &str, campaign: &str) -> AuditEvent {
    AuditEvent {
        at: t(2),
        actor: Actor::system(),
        action: action.into(),
        campaign_id: Some(campaign.into()),
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({}),
    }
}

async fn load_warehouse(store: &PostgresStore) {
    let people: Vec<Identity> = (0..IDENTITIES)
        .map(|i| Identity {
            id: IdentityId(format!("id{i:06}")),
            name: format!("user.{i:06}"),
            display_name: Some(format!("User {i}")),
            email: None,
            manager_id: (i > 0).then(|| IdentityId(format!("id{:06}", (i - 1) / REPORTS))),
            department: None,
            title: None,
            location: None,
            lifecycle_state: None,
            active: i % 97 != 0,
            attributes: BTreeMap::new(),
        })
        .collect();
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&people).await.unwrap();
    tx.upsert_sources(&[Source {
        id: "ad".into(),
        name: "AD".into(),
        description: None,
        owner_id: Some("id000000".into()),
        source_type: None,
    }])
    .await
    .unwrap();
    let entitlements: Vec<Entitlement> = (0..PER_IDENTITY)
        .map(|k| Entitlement {
            id: EntitlementId(format!("ent{k}")),
            source_id: "ad".into(),
            name: format!("Group {k}"),
            attribute: None,
            value: None,
            description: None,
            privileged: false,
            owner_id: None,
        })
        .collect();
    tx.upsert_entitlements(&entitlements).await.unwrap();
    let mut rows = Vec::with_capacity(IDENTITIES * PER_IDENTITY);
    for i in 0..IDENTITIES {
        for k in 0..PER_IDENTITY {
            let line = rows.len() as u64 + 2;
            rows.push(StagedAssignment {
                line,
                assignment: Assignment {
                    identity_id: Some(IdentityId(format!("id{i:06}"))),
                    account_id: None,
                    access_type: AccessType::Entitlement,
                    access_id: format!("ent{k}"),
                    origin: Origin::ALL[(i + k) % Origin::ALL.len()],
                    granted_at: Some(t(1)),
                },
            });
        }
    }
    for chunk in rows.chunks(50_000) {
        tx.stage_assignments(chunk).await.unwrap();
    }
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
}

/// Generation as the engine does it: page candidates, group by reviewer, write items per page.
async fn generate(store: &PostgresStore, campaign: &Campaign) -> (Vec<CertificationId>, usize) {
    let mut certs: HashMap<IdentityId, Certification> = HashMap::new();
    let mut summaries: HashMap<(IdentityId, IdentityId), IdentitySummary> = HashMap::new();
    let mut after = None;
    let mut total = 0usize;
    let (mut reading, mut writing) = (Duration::ZERO, Duration::ZERO);
    loop {
        let step = Instant::now();
        let page = store
            .candidates(&CandidateScope::Manager, after, PAGE)
            .await
            .unwrap();
        reading += step.elapsed();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| c.cursor);
        let new_holders = page
            .iter()
            .filter(|c| {
                let key = (
                    c.natural_reviewer.clone().unwrap(),
                    c.identity_id.clone().unwrap(),
                );
                !summaries.contains_key(&key)
            })
            .count();
        let mut next_summary = store
            .allocate_ids(new_holders as i64 + page.len() as i64)
            .await
            .unwrap();
        let mut items = Vec::with_capacity(page.len());
        for c in &page {
            let reviewer = c.natural_reviewer.clone().unwrap();
            let holder = c.identity_id.clone().unwrap();
            let cert = certs
                .entry(reviewer.clone())
                .or_insert_with(|| Certification {
                    id: CertificationId(format!("{:032x}", certs_len_hint(&reviewer))),
                    campaign_id: campaign.id.clone(),
                    campaign_name: campaign.definition.name.clone(),
                    campaign_type: campaign.definition.scope.campaign_type(),
                    name: format!("{} - {}", campaign.definition.name, reviewer),
                    reviewer: reviewer.clone(),
                    reviewer_name: reviewer.0.clone(),
                    reviewer_email: None,
                    reviewer_group: None,
                    phase: CertificationPhase::Staged,
                    due: None,
                    signed: None,
                    created: t(2),
                    modified: t(2),
                    reassignment: None,
                    counts: CertificationCounts::default(),
                });
            cert.counts.entitlements.total += 1;
            let summary = summaries
                .entry((reviewer.clone(), holder.clone()))
                .or_insert_with(|| {
                    cert.counts.identities_total += 1;
                    let id = next_summary;
                    next_summary += 1;
                    IdentitySummary {
                        id: IdentitySummaryId(id),
                        certification_id: cert.id.clone(),
                        identity_id: Some(holder.clone()),
                        account_id: None,
                        role_id: None,
                        name: c.holder_name.clone(),
                        items_total: 0,
                        items_decided: 0,
                    }
                });
            summary.items_total += 1;
            let id = next_summary;
            next_summary += 1;
            items.push(ReviewItem {
                id: ReviewItemId(id),
                certification_id: cert.id.clone(),
                campaign_id: campaign.id.clone(),
                identity_summary_id: summary.id,
                identity_id: Some(holder),
                account_id: None,
                role_id: None,
                holder_name: c.holder_name.clone(),
                access_type: c.access_type,
                access_id: c.access_id.clone(),
                access_name: c.access_name.clone(),
                source_id: c.source_id.clone(),
                source_name: c.source_name.clone(),
                origin: c.origin,
                granted_at: c.granted_at,
                recommendation: None,
                recommendation_reasons: Vec::new(),
                decision: None,
                comments: None,
                proposed_end_date: None,
                decided_by: None,
                decided_at: None,
                reassigned_from: None,
                reassignment_reason: None,
            });
        }
        total += items.len();
        let step = Instant::now();
        store.insert_items(&items).await.unwrap();
        writing += step.elapsed();
    }
    println!("  candidates read in {reading:?}, items written in {writing:?}");
    let step = Instant::now();
    let result = GenerationResult {
        certifications: certs.values().cloned().collect(),
        identity_summaries: summaries.values().cloned().collect(),
        counts: CampaignCounts {
            certifications_total: certs.len() as i64,
            certifications_completed: 0,
            items_total: total as i64,
            items_decided: 0,
            identities_total: summaries.len() as i64,
        },
        source_ids: vec!["ad".into()],
        alerts: Vec::new(),
    };
    assert!(store
        .finish_generation(&campaign.id, &result, t(2), &event("generated", "big"))
        .await
        .unwrap());
    println!("  finish_generation in {:?}", step.elapsed());
    (certs.values().map(|c| c.id.clone()).collect(), total)
}

/// A stable number per reviewer for its certification id.
fn certs_len_hint(reviewer: &IdentityId) -> u64 {
    reviewer
        .0
        .trim_start_matches("id")
        .parse::<u64>()
        .unwrap_or(0)
        + 1
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark scale: minutes; run with --ignored in release mode"]
async fn million_item_manager_campaign() {
    let Some(url) = attest_testing::fresh_postgres_url().await else {
        return;
    };
    let pool = PoolConfig {
        max_connections: 10,
        ..PoolConfig::default()
    };
    let store = Arc::new(PostgresStore::open(&url, &pool).await.unwrap());
    store.migrate().await.unwrap();
    let step = Instant::now();
    load_warehouse(&store).await;
    println!("warehouse loaded in {:?}", step.elapsed());

    let campaign = Campaign {
        id: "big".into(),
        definition: CampaignDefinition {
            name: "Million".into(),
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
        owner: "id000000".into(),
        created: t(2),
        modified: t(2),
        activated: None,
        completed: None,
        alerts: Vec::new(),
        counts: CampaignCounts::default(),
        source_ids: Vec::new(),
    };
    let create = Task {
        id: "big-create".into(),
        task_type: TaskType::CampaignCreate,
        target_type: TaskTarget::Campaign,
        target_id: "big".into(),
        status: TaskStatus::Queued,
        errors: Vec::new(),
        payload: serde_json::json!({}),
        reassignment_trail: Vec::new(),
        attempts: 0,
        created: t(2),
        run_after: t(2),
    };
    store
        .insert_campaign(&campaign, &create, &event("created", "big"))
        .await
        .unwrap();
    let started = Instant::now();
    let (certs, total) = generate(&store, &campaign).await;
    println!("generation: {total} items in {:?}", started.elapsed());
    let step = Instant::now();
    assert!(store
        .transition_campaign(
            &campaign.id,
            CampaignStatus::Staged,
            CampaignStatus::Activating,
            t(3),
            &[],
            None,
            &event("activating", "big"),
        )
        .await
        .unwrap());
    assert!(store
        .finish_activation(&campaign.id, t(3), &event("activated", "big"))
        .await
        .unwrap());
    println!("activation in {:?}", step.elapsed());
    let generation_and_activation = started.elapsed();
    println!("generation + activation: {generation_and_activation:?} (target 30 s)");
    assert_eq!(total, IDENTITIES * PER_IDENTITY - PER_IDENTITY);

    // Lists: item pages and summaries of random certifications.
    let query = |limit| ListQuery {
        filter: None,
        sort: Vec::new(),
        limit,
        offset: 0,
        count: true,
    };
    let mut item_pages = Vec::new();
    let mut summary_pages = Vec::new();
    for (n, cert) in certs.iter().enumerate().take(300) {
        let step = Instant::now();
        let page = store
            .list_items(
                cert,
                None,
                &ListQuery {
                    offset: (n % 4) as u64 * 50,
                    ..query(50)
                },
            )
            .await
            .unwrap();
        item_pages.push(step.elapsed());
        assert!(!page.items.is_empty());
        let step = Instant::now();
        store
            .list_identity_summaries(cert, &query(25))
            .await
            .unwrap();
        summary_pages.push(step.elapsed());
    }
    let (items_p99, summaries_p99) = (p99(item_pages), p99(summary_pages));
    println!("items page p99 {items_p99:?} (target 20 ms), summaries p99 {summaries_p99:?} (target 10 ms)");

    // Decisions: four clients, 250 items per call.
    let step = Instant::now();
    let mut clients = Vec::new();
    let chosen: Vec<CertificationId> = certs.iter().take(200).cloned().collect();
    for c in 0..4 {
        let store = store.clone();
        let mine: Vec<CertificationId> = chosen.iter().skip(c).step_by(4).cloned().collect();
        clients.push(tokio::spawn(async move {
            let mut decided = 0usize;
            for cert in mine {
                let items = store
                    .list_items(&cert, None, &query(250))
                    .await
                    .unwrap()
                    .items;
                let decisions: Vec<ItemDecision> = items
                    .iter()
                    .map(|i| ItemDecision {
                        item_id: i.id,
                        decision: if i.id.0 % 5 == 0 {
                            Decision::Revoke
                        } else {
                            Decision::Approve
                        },
                        comments: Some("reviewed".into()),
                        proposed_end_date: None,
                    })
                    .collect();
                decided += decisions.len();
                store
                    .decide(&cert, &decisions, &Actor::system(), t(4))
                    .await
                    .unwrap()
                    .unwrap();
            }
            decided
        }));
    }
    let mut decided = 0;
    for c in clients {
        decided += c.await.unwrap();
    }
    let elapsed = step.elapsed();
    let rate = decided as f64 / elapsed.as_secs_f64();
    println!("decided {decided} items in {elapsed:?}: {rate:.0} items/s (target 10,000; includes reading each page)");
    let campaign = store.campaign(&"big".into()).await.unwrap().unwrap();
    assert_eq!(campaign.counts.items_decided, decided as i64);
}
