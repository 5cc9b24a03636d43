//! Decide calls on PostgreSQL that arrive together share one transaction (group commit):
//! counters, summaries, audit events, answers and refusals stay exactly as if the calls ran one
//! after the other, across certifications and campaigns. Skipped without
//! ATTEST_TEST_DATABASE_URL.

use std::sync::Arc;

use attest_domain::campaign::Decision;
use attest_domain::certification::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_postgres::PostgresStore;
use attest_testing::campaigns::{active_certification, t};

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
    let (one, one_items) = active_certification(&*store, "one", 60, 6).await;
    let (two, two_items) = active_certification(&*store, "two", 60, 6).await;
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
