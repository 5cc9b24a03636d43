//! What the SQLite campaign tables promise beyond the conformance suite: the audit log cannot
//! be changed or emptied even by SQL that bypasses the store.

use std::sync::atomic::{AtomicU32, Ordering};

use attest_domain::certification::{Actor, AuditEvent};
use attest_store::{CampaignStore, PoolConfig};
use attest_store_sqlite::SqliteStore;
use chrono::{TimeZone, Utc};

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

fn fresh_url() -> String {
    let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "attest-sqlite-campaigns-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    format!("sqlite://{}", dir.join("attest.db").display())
}

#[tokio::test]
async fn audit_events_refuse_update_and_delete_from_any_connection() {
    let url = fresh_url();
    let store = SqliteStore::open(&url, &PoolConfig::default())
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let event = AuditEvent {
        at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        actor: Actor::system(),
        action: "campaign.created".into(),
        campaign_id: Some("c1".into()),
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({}),
    };
    store
        .append_audit(std::slice::from_ref(&event))
        .await
        .expect("append");

    let raw = sqlx::SqlitePool::connect(&url)
        .await
        .expect("raw connection");
    for sql in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ] {
        let refused = sqlx::query(sql).execute(&raw).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only"),
            "{sql}: {refused}"
        );
    }
    raw.close().await;
    let events = store.audit_events(&"c1".into(), 10, 0).await.expect("read");
    assert_eq!(events, vec![event]);
}

fn item(id: i64) -> attest_domain::certification::ReviewItem {
    use attest_domain::certification::*;
    ReviewItem {
        id: ReviewItemId(id),
        certification_id: "cert".into(),
        campaign_id: "camp".into(),
        identity_summary_id: IdentitySummaryId(1),
        identity_id: Some("bob".into()),
        account_id: None,
        role_id: None,
        holder_name: "Bob".into(),
        access_type: ItemAccessType::Entitlement,
        access_id: "e1".into(),
        access_name: "Group e1".into(),
        source_id: None,
        source_name: None,
        origin: attest_domain::Origin::Manual,
        granted_at: None,
        recommendation: None,
        recommendation_reasons: vec!["a reason".into()],
        decision: None,
        comments: None,
        proposed_end_date: None,
        decided_by: None,
        decided_at: None,
        reassigned_from: None,
        reassignment_reason: None,
    }
}

#[tokio::test]
async fn items_round_trip_with_and_without_decisions() {
    let store = SqliteStore::open(&fresh_url(), &PoolConfig::default())
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let fresh = item(1);
    let mut decided = item(2);
    decided.decision = Some(attest_domain::campaign::Decision::Revoke);
    decided.comments = Some("gone".into());
    decided.decided_by = Some("alice".into());
    decided.decided_at = Some(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    decided.reassigned_from = Some("other".into());
    decided.reassignment_reason = Some("moved".into());
    store
        .insert_items(std::slice::from_ref(&fresh))
        .await
        .expect("fresh batch");
    store
        .insert_items(std::slice::from_ref(&decided))
        .await
        .expect("decided batch");
    for expected in [fresh, decided] {
        let read = store
            .item(&"cert".into(), expected.id)
            .await
            .expect("read")
            .expect("present");
        assert_eq!(read, expected);
    }
}
