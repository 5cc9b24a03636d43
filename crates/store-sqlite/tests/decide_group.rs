//! Decide calls that arrive together share one write transaction (group commit): counters,
//! summaries, audit events and refusals stay exactly as if the calls ran one after the other.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use attest_domain::campaign::Decision;
use attest_domain::certification::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_sqlite::SqliteStore;
use attest_testing::campaigns::{active_certification, t};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decide_calls_keep_counters_exact() {
    let a = Arc::new(open().await);
    let b = a.clone();
    let (cert, items) = active_certification(&*a, "race", 400, 40).await;
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
