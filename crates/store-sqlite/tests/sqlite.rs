//! What the SQLite backend promises beyond the conformance suite: the file it creates, its
//! journal mode and pools, and how the single writer behaves when an import fails or waits.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use attest_domain::*;
use attest_store::*;
use attest_store_sqlite::SqliteStore;
use chrono::{TimeZone, Utc};

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

/// A fresh directory for one test's database file.
fn fresh_dir() -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("attest-sqlite-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

fn url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("attest.db").display())
}

async fn migrated_store(pool: PoolConfig) -> SqliteStore {
    let store = SqliteStore::open(&url(&fresh_dir()), &pool)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    store
}

fn at(nanos: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::nanoseconds(nanos.into())
}

fn identity(id: &str, manager: Option<&str>) -> Identity {
    Identity {
        id: id.into(),
        name: id.to_owned(),
        display_name: None,
        email: None,
        manager_id: manager.map(Into::into),
        department: None,
        title: None,
        location: None,
        lifecycle_state: None,
        active: true,
        attributes: BTreeMap::new(),
    }
}

fn role_assignment(line: u64, identity: &str) -> StagedAssignment {
    StagedAssignment {
        line,
        assignment: Assignment {
            identity_id: Some(identity.into()),
            account_id: None,
            access_type: AccessType::Role,
            access_id: "r".into(),
            origin: Origin::Manual,
            granted_at: None,
        },
    }
}

fn role() -> Role {
    Role {
        id: "r".into(),
        name: "r".into(),
        description: None,
        owner_id: None,
        access_profile_ids: vec![],
        entitlement_ids: vec![],
        privileged: false,
    }
}

#[tokio::test]
async fn open_creates_the_file_in_wal_mode_with_one_writer() {
    let dir = fresh_dir();
    let file = dir.join("attest.db");
    assert!(!file.exists());
    // Two readers: within the bound of twice the cores on any machine.
    let pool = PoolConfig {
        max_connections: 2,
        ..PoolConfig::default()
    };
    let store = SqliteStore::open(&url(&dir), &pool).await.unwrap();
    assert!(file.exists(), "open creates the database file");
    let diagnostics = store.diagnostics().await.unwrap();
    assert_eq!(diagnostics.journal_mode, "wal");
    assert!(diagnostics.foreign_keys);
    assert_eq!(diagnostics.writer_connections, 1);
    assert_eq!(diagnostics.reader_connections, 2);
    assert_eq!(store.backend(), Backend::Sqlite);
    // Opening does not migrate.
    assert!(store.warehouse_counts().await.is_err());
    store.migrate().await.unwrap();
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );
    store.close().await;
}

#[tokio::test]
async fn a_file_that_cannot_be_created_is_unavailable() {
    let missing = fresh_dir().join("no/such/dir/attest.db");
    let err = SqliteStore::open(
        &format!("sqlite://{}", missing.display()),
        &PoolConfig::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_neither_wait_for_an_import_nor_see_it() {
    let store = migrated_store(PoolConfig::default()).await;
    let mut tx = store.begin_import(at(0)).await.unwrap();
    tx.upsert_identities(&[identity("pending", None)])
        .await
        .unwrap();
    let counts = tokio::time::timeout(Duration::from_secs(2), store.warehouse_counts())
        .await
        .expect("a read must not wait for the writer")
        .unwrap();
    assert_eq!(counts.identities, 0);
    assert!(store.identity(&"pending".into()).await.unwrap().is_none());
    tx.commit().await.unwrap();
    assert!(store.identity(&"pending".into()).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_refused_by_a_foreign_key_rolls_back_and_frees_the_writer() {
    let store = migrated_store(PoolConfig::default()).await;
    let mut tx = store.begin_import(at(0)).await.unwrap();
    tx.upsert_identities(&[identity("orphan", Some("nobody"))])
        .await
        .unwrap();
    let err = tx.commit().await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "got {err:?}");

    let mut tx = tokio::time::timeout(Duration::from_secs(10), store.begin_import(at(1)))
        .await
        .expect("a failed commit must release the writer")
        .unwrap();
    assert!(tx
        .existing_ids(RecordKind::Identity)
        .await
        .unwrap()
        .is_empty());
    tx.upsert_identities(&[identity("real", None)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.warehouse_counts().await.unwrap().identities, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_longer_than_the_acquire_timeout_for_the_writer_is_unavailable() {
    let pool = PoolConfig {
        acquire_timeout: Duration::from_millis(200),
        ..PoolConfig::default()
    };
    let store = migrated_store(pool).await;
    let held = store.begin_import(at(0)).await.unwrap();
    let err = store
        .begin_import(at(1))
        .await
        .err()
        .expect("the writer is busy");
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    let err = store
        .record_client_use(&"c".into(), at(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    held.rollback().await.unwrap();
    store
        .begin_import(at(2))
        .await
        .unwrap()
        .rollback()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_assignments_never_leak_into_the_next_import() {
    let store = migrated_store(PoolConfig::default()).await;
    let mut tx = store.begin_import(at(0)).await.unwrap();
    tx.upsert_identities(&[identity("a", None), identity("b", None)])
        .await
        .unwrap();
    tx.upsert_roles(&[role()]).await.unwrap();
    tx.stage_assignments(&[role_assignment(2, "a"), role_assignment(3, "b")])
        .await
        .unwrap();
    tx.duplicate_assignments().await.unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();

    // Staged, then dropped without commit.
    {
        let mut tx = store.begin_import(at(1)).await.unwrap();
        tx.stage_assignments(&[role_assignment(2, "a"), role_assignment(3, "a")])
            .await
            .unwrap();
    }
    // Staged, then rolled back.
    let mut tx = store.begin_import(at(2)).await.unwrap();
    tx.stage_assignments(&[role_assignment(2, "b")])
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    // The writer connection is reused: its staging table must start empty.
    let mut tx = store.begin_import(at(3)).await.unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    tx.stage_assignments(&[role_assignment(2, "b")])
        .await
        .unwrap();
    let merge = tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        merge,
        AssignmentMerge {
            added: 0,
            updated: 1,
            removed: 1
        }
    );
    assert_eq!(store.warehouse_counts().await.unwrap().assignments, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_keep_every_nanosecond() {
    let store = migrated_store(PoolConfig::default()).await;
    let mut tx = store.begin_import(at(0)).await.unwrap();
    tx.upsert_identities(&[identity("a", None)]).await.unwrap();
    tx.upsert_roles(&[role()]).await.unwrap();
    let mut staged = role_assignment(2, "a");
    staged.assignment.granted_at = Some(at(123_456_789));
    tx.stage_assignments(std::slice::from_ref(&staged))
        .await
        .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
    let stored = store.assignments_of_identity(&"a".into()).await.unwrap();
    assert_eq!(stored, vec![staged.assignment]);
}
