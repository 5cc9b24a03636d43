//! Campaign storage under concurrency, on PostgreSQL only: several nodes (stores with pools of
//! their own) on one database, racing for tasks, ids, decisions, reassignments and status
//! changes. SQLite has one writer and cannot show any of this. Also the list fields the API
//! asked for after the conformance suite was written. Skipped without ATTEST_TEST_DATABASE_URL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::*;
use attest_store_postgres::PostgresStore;
use attest_testing::campaigns::{active_certification, event, t, task};
use chrono::Duration;

/// Two migrated nodes on a fresh schema, or `None` when no server is configured.
async fn two_nodes() -> Option<(Arc<PostgresStore>, Arc<PostgresStore>)> {
    two_nodes_at().await.map(|(_, a, b)| (a, b))
}

/// [`two_nodes`] with the schema's URL.
async fn two_nodes_at() -> Option<(String, Arc<PostgresStore>, Arc<PostgresStore>)> {
    let url = attest_testing::fresh_postgres_url().await?;
    let pool = PoolConfig {
        max_connections: 8,
        ..PoolConfig::default()
    };
    let a = Arc::new(PostgresStore::open(&url, &pool).await.expect("open node a"));
    a.migrate().await.expect("migrate");
    let b = Arc::new(PostgresStore::open(&url, &pool).await.expect("open node b"));
    Some((url, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_never_share_a_task() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let tasks = 60;
    for n in 0..tasks {
        let created = t(1) + Duration::seconds(n);
        a.insert_task(&task(&format!("task-{n:03}"), "c", created), None)
            .await
            .unwrap();
    }
    let now = t(2);
    let mut workers = Vec::new();
    for w in 0..8 {
        let node = if w % 2 == 0 { a.clone() } else { b.clone() };
        workers.push(tokio::spawn(async move {
            let mut claimed = Vec::new();
            let name = format!("worker-{w}");
            while let Some(task) = node
                .claim_task(&name, now, now + Duration::minutes(5))
                .await
                .unwrap()
            {
                assert_eq!(task.status, TaskStatus::InProgress);
                assert_eq!(task.attempts, 1);
                claimed.push(task.id);
            }
            claimed
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let distinct: BTreeSet<&TaskId> = all.iter().collect();
    assert_eq!(all.len(), tasks as usize, "every task claimed exactly once");
    assert_eq!(distinct.len(), tasks as usize);

    // Leases hold until they expire; then exactly one claimer gets the task again.
    assert!(a
        .claim_task("late", now + Duration::minutes(4), t(3))
        .await
        .unwrap()
        .is_none());
    let after_expiry = now + Duration::minutes(5);
    let (x, y) = tokio::join!(
        a.claim_task("x", after_expiry, after_expiry + Duration::minutes(5)),
        b.claim_task("y", after_expiry, after_expiry + Duration::minutes(5)),
    );
    let (x, y) = (x.unwrap().unwrap(), y.unwrap().unwrap());
    assert_ne!(x.id, y.id);
    assert_eq!((x.attempts, y.attempts), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_allocations_never_overlap() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let mut callers = Vec::new();
    for c in 0..16 {
        let node = if c % 2 == 0 { a.clone() } else { b.clone() };
        callers.push(tokio::spawn(async move {
            let mut ranges = Vec::new();
            for round in 0..20 {
                let n = 1 + ((c * 7 + round * 13) % 50) as i64;
                let first = node.allocate_ids(n).await.unwrap();
                ranges.push((first, n));
            }
            ranges
        }));
    }
    let mut ranges = Vec::new();
    for c in callers {
        ranges.extend(c.await.unwrap());
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        let (first, n) = pair[0];
        assert!(
            first + n <= pair[1].0,
            "ranges {:?} and {:?} overlap",
            pair[0],
            pair[1]
        );
    }
    assert!(ranges[0].0 >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decisions_keep_counters_exact() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_racing_transitions_wins_and_audit_is_append_only() {
    let Some((url, a, b)) = two_nodes_at().await else {
        return;
    };
    let (cert, items) = active_certification(&*a, "cas", 10, 2).await;
    // The reviewer revokes one item while the campaign is still ACTIVE (decisions are refused
    // once it is not).
    a.decide(
        &cert,
        &[ItemDecision {
            item_id: items[0],
            decision: Decision::Revoke,
            comments: None,
            proposed_end_date: None,
        }],
        &Actor::system(),
        t(6),
    )
    .await
    .unwrap()
    .unwrap();
    // Two nodes move the same campaign at once: exactly one compare-and-set succeeds.
    let move_it = |node: Arc<PostgresStore>| async move {
        node.transition_campaign(
            &"cas".into(),
            CampaignStatus::Active,
            CampaignStatus::Completing,
            t(6),
            &[],
            None,
            &event("campaign.completing", "cas", t(6)),
        )
        .await
        .unwrap()
    };
    let (x, y) = tokio::join!(move_it(a.clone()), move_it(b.clone()));
    assert!(x ^ y, "exactly one transition wins");

    // Completion on both nodes at once: one completes, the other finds nothing to do, and
    // every revocation (one by the reviewer, nine automatic) is ordered once. A decision now
    // is refused: the campaign is COMPLETING.
    let late = a
        .decide(
            &cert,
            &[ItemDecision {
                item_id: items[1],
                decision: Decision::Approve,
                comments: None,
                proposed_end_date: None,
            }],
            &Actor::system(),
            t(6),
        )
        .await
        .unwrap();
    assert_eq!(
        late.unwrap_err(),
        CertificationRefusal::CampaignNotActive(CampaignStatus::Completing)
    );
    let complete = |node: Arc<PostgresStore>| async move {
        node.complete_campaign(
            &"cas".into(),
            Decision::Revoke,
            t(7),
            &event("campaign.completed", "cas", t(7)),
        )
        .await
        .unwrap()
    };
    let (x, y) = tokio::join!(complete(a.clone()), complete(b.clone()));
    assert!(x ^ y, "exactly one completion wins");
    let orders = a
        .list_orders(&OrderQuery {
            campaign_id: Some("cas".into()),
            status: None,
            limit: 100,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(orders.total, Some(10));
    let distinct: BTreeMap<ReviewItemId, usize> =
        orders.items.iter().fold(BTreeMap::new(), |mut m, o| {
            *m.entry(o.item_id).or_default() += 1;
            m
        });
    assert!(distinct.values().all(|n| *n == 1));
    let done = a.campaign(&"cas".into()).await.unwrap().unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.items_decided, 10);
    assert_eq!(done.counts.certifications_completed, 1);

    assert!(orders
        .items
        .iter()
        .any(|o| o.reason.as_deref()
            == Some("revoked automatically when the campaign was completed")));

    // The audit log refuses rewriting, even by SQL straight to the table.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    for sql in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let refused = sqlx::query(sql).execute(&mut conn).await;
        assert!(refused.is_err(), "{sql} must be refused");
    }
    assert!(!a
        .audit_events(&"cas".into(), 100, 0)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_reassigning_to_the_same_new_reviewer_share_one_certification() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (cert, items) = active_certification(&*a, "share", 40, 4).await;
    let reassign = |node: Arc<PostgresStore>, ids: Vec<ReviewItemId>| {
        let cert = cert.clone();
        async move {
            let targets: Vec<ReassignTarget> = ids.into_iter().map(ReassignTarget::Item).collect();
            node.reassign(
                &cert,
                &targets,
                &"newbie".into(),
                "load balancing",
                &Actor::system(),
                t(5),
            )
            .await
            .unwrap()
            .unwrap()
        }
    };
    let (x, y) = tokio::join!(
        reassign(a.clone(), items[..10].to_vec()),
        reassign(b.clone(), items[10..20].to_vec())
    );
    let after_both = a.certification(&x.id).await.unwrap().unwrap();
    assert_eq!(x.id, y.id, "one certification per reviewer and campaign");
    assert_eq!(after_both.counts.entitlements.total, 20);
    assert_eq!(after_both.counts.identities_total, 4);
    let source = a.certification(&cert).await.unwrap().unwrap();
    assert_eq!(source.counts.entitlements.total, 20);
    let campaign = a.campaign(&"share".into()).await.unwrap().unwrap();
    assert_eq!(campaign.counts.certifications_total, 2);
    assert_eq!(campaign.counts.items_total, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opposite_reassignments_do_not_deadlock() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (first, items) = active_certification(&*a, "swap", 40, 4).await;
    let second = a
        .reassign(
            &first,
            &[ReassignTarget::Identity("holder1".into())],
            &"other".into(),
            "split",
            &Actor::system(),
            t(5),
        )
        .await
        .unwrap()
        .unwrap()
        .id;
    // Node a keeps moving items from the first certification to the second while node b moves
    // them back; each call locks both certifications, always in id order.
    let shuttle = |node: Arc<PostgresStore>, from: CertificationId, to: IdentityId| {
        let items = items.clone();
        async move {
            for round in 0..10 {
                let mine = node
                    .list_items(
                        &from,
                        None,
                        &ListQuery {
                            filter: None,
                            sort: Vec::new(),
                            limit: 3,
                            offset: round % 2,
                            count: false,
                        },
                    )
                    .await
                    .unwrap()
                    .items;
                let targets: Vec<ReassignTarget> = mine
                    .iter()
                    .filter(|i| items.contains(&i.id))
                    .map(|i| ReassignTarget::Item(i.id))
                    .collect();
                // An item the other node moved meanwhile is refused; that is fine here.
                let _ = node
                    .reassign(&from, &targets, &to, "shuttle", &Actor::system(), t(6))
                    .await
                    .expect("no deadlock or database error");
            }
        }
    };
    tokio::join!(
        shuttle(a.clone(), first.clone(), "other".into()),
        shuttle(b.clone(), second.clone(), "reviewer".into()),
    );
    let one = a.certification(&first).await.unwrap().unwrap();
    let two = a.certification(&second).await.unwrap().unwrap();
    assert_eq!(
        one.counts.entitlements.total + two.counts.entitlements.total,
        40
    );
    for cert in [&one, &two] {
        let summaries = a
            .list_identity_summaries(
                &cert.id,
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
        assert_eq!(summaries.total, Some(cert.counts.identities_total as u64));
        let listed: i64 = summaries.items.iter().map(|s| s.items_total).sum();
        assert_eq!(listed, cert.counts.entitlements.total);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_summaries_filter_on_completion_and_certifications_on_type() {
    let Some((a, _)) = two_nodes().await else {
        return;
    };
    let (cert, items) = active_certification(&*a, "lists", 6, 2).await;
    a.decide(
        &cert,
        &[ItemDecision {
            item_id: items[0],
            decision: Decision::Approve,
            comments: None,
            proposed_end_date: None,
        }],
        &Actor::system(),
        t(5),
    )
    .await
    .unwrap()
    .unwrap();
    let query = |filter: &str| ListQuery {
        filter: Some(attest_query::parse_filter(filter).unwrap()),
        sort: Vec::new(),
        limit: 50,
        offset: 0,
        count: true,
    };
    let done = a
        .list_access_summaries(
            &cert,
            ItemAccessType::Entitlement,
            &query("completed eq true"),
        )
        .await
        .unwrap();
    assert_eq!(done.total, Some(1));
    assert_eq!(done.items[0].id, items[0]);
    let open = a
        .list_access_summaries(
            &cert,
            ItemAccessType::Entitlement,
            &query("completed eq false"),
        )
        .await
        .unwrap();
    assert_eq!(open.total, Some(5));
    let by_type = a
        .list_certifications(
            &CertificationScope::All,
            &query(r#"campaign.campaignType in ("MANAGER", "SEARCH")"#),
        )
        .await
        .unwrap();
    assert_eq!(by_type.total, Some(1));
    let none = a
        .list_certifications(
            &CertificationScope::All,
            &query(r#"campaign.campaignType eq "SEARCH""#),
        )
        .await
        .unwrap();
    assert_eq!(none.total, Some(0));
}
