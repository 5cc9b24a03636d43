//! PostgreSQL-specific stories: several nodes sharing one database, connection failures, and
//! the import path's COPY and staging tables. Skipped without ATTEST_TEST_DATABASE_URL, except
//! those that need no server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use attest_domain::*;
use attest_store::*;
use attest_store_postgres::PostgresStore;
use chrono::{TimeZone, Utc};

fn t(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0)
        .single()
        .expect("valid date")
}

/// A URL for a new, empty schema, or `None` (after saying so) when no server is configured.
async fn fresh_schema_url() -> Option<String> {
    attest_testing::fresh_postgres_url().await
}

/// One "node": a store of its own on `url`.
async fn node(url: &str, pool: PoolConfig) -> Arc<PostgresStore> {
    Arc::new(PostgresStore::open(url, &pool).await.expect("open store"))
}

async fn migrated_node(url: &str) -> Arc<PostgresStore> {
    let store = node(url, PoolConfig::default()).await;
    store.migrate().await.expect("migrate");
    store
}

fn identity(id: &str, manager: Option<&str>) -> Identity {
    Identity {
        id: id.into(),
        name: format!("user.{id}"),
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

fn role(id: &str) -> Role {
    Role {
        id: id.into(),
        name: id.to_owned(),
        description: None,
        owner_id: None,
        access_profile_ids: vec![],
        entitlement_ids: vec![],
        privileged: false,
    }
}

fn held(line: u64, identity: &str, role: &str, origin: Origin) -> StagedAssignment {
    StagedAssignment {
        line,
        assignment: Assignment {
            identity_id: Some(identity.into()),
            account_id: None,
            access_type: AccessType::Role,
            access_id: role.to_owned(),
            origin,
            granted_at: Some(t(1)),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_all_migrate() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(node(&url, PoolConfig::default()).await);
    }
    let results = futures::future::join_all(nodes.iter().map(|n| n.migrate())).await;
    for result in results {
        result.expect("every node's migrate succeeds");
    }
    nodes[0].migrate().await.expect("and again");
    assert_eq!(
        nodes[3].warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_from_two_nodes_are_serialised() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let a = migrated_node(&url).await;
    let b = migrated_node(&url).await;
    let mut first = a.begin_import(t(1)).await.unwrap();
    first
        .upsert_identities(&[identity("from-a", None)])
        .await
        .unwrap();
    let second = tokio::spawn(async move {
        let mut tx = b.begin_import(t(2)).await.unwrap();
        let seen = tx.existing_ids(RecordKind::Identity).await.unwrap();
        tx.rollback().await.unwrap();
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "node b's import must wait for node a's"
    );
    first.commit().await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, ["from-a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installations_in_other_schemas_import_independently() {
    let (Some(one), Some(other)) = (fresh_schema_url().await, fresh_schema_url().await) else {
        return;
    };
    let one = migrated_node(&one).await;
    let other = migrated_node(&other).await;
    let held_open = one.begin_import(t(1)).await.unwrap();
    let tx = tokio::time::timeout(Duration::from_secs(5), other.begin_import(t(1)))
        .await
        .expect("an import in another schema does not wait")
        .unwrap();
    tx.rollback().await.unwrap();
    held_open.rollback().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_agree_on_one_token_signing_key() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let a = migrated_node(&url).await;
    let b = migrated_node(&url).await;
    let (ka, kb) = tokio::join!(a.token_signing_key(&[1; 32]), b.token_signing_key(&[2; 32]));
    let (ka, kb) = (ka.unwrap(), kb.unwrap());
    assert_eq!(ka, kb);
    assert!(ka == vec![1; 32] || ka == vec![2; 32]);
}

/// The staging and difference tables are per transaction; a connection that ran an import
/// (committed or rolled back) runs the next one cleanly, cached statements and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_imports_on_one_connection() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let pool = PoolConfig {
        max_connections: 1,
        ..PoolConfig::default()
    };
    let store = node(&url, pool).await;
    store.migrate().await.unwrap();

    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[identity("a", None), identity("b", Some("a"))])
        .await
        .unwrap();
    tx.upsert_roles(&[role("r1"), role("r2")]).await.unwrap();
    tx.stage_assignments(&[
        held(2, "a", "r1", Origin::Manual),
        held(3, "b", "r1", Origin::Manual),
    ])
    .await
    .unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    assert_eq!(
        tx.merge_assignments().await.unwrap(),
        AssignmentMerge {
            added: 2,
            updated: 0,
            removed: 0
        }
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin_import(t(2)).await.unwrap();
    tx.stage_assignments(&[held(2, "a", "r2", Origin::Manual)])
        .await
        .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.rollback().await.unwrap();

    let mut tx = store.begin_import(t(3)).await.unwrap();
    tx.stage_assignments(&[
        held(2, "a", "r1", Origin::RoleModel),
        held(3, "b", "r2", Origin::Manual),
    ])
    .await
    .unwrap();
    tx.stage_assignments(&[held(4, "b", "r2", Origin::Request)])
        .await
        .unwrap();
    let dups = tx.duplicate_assignments().await.unwrap();
    assert_eq!(
        dups,
        vec![DuplicateLine {
            line: 4,
            first_line: 3
        }]
    );
    tx.rollback().await.unwrap();

    let mut tx = store.begin_import(t(4)).await.unwrap();
    tx.stage_assignments(&[
        held(2, "a", "r1", Origin::RoleModel),
        held(3, "b", "r2", Origin::Manual),
    ])
    .await
    .unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    assert_eq!(
        tx.merge_assignments().await.unwrap(),
        AssignmentMerge {
            added: 1,
            updated: 1,
            removed: 1
        }
    );
    // A second merge in the same import finds nothing left to do.
    assert_eq!(
        tx.merge_assignments().await.unwrap(),
        AssignmentMerge {
            added: 0,
            updated: 2,
            removed: 0
        }
    );
    tx.commit().await.unwrap();

    let a = store.assignments_of_identity(&"a".into()).await.unwrap();
    assert_eq!((a.len(), a[0].origin), (1, Origin::RoleModel));
    let b = store.assignments_of_identity(&"b".into()).await.unwrap();
    assert_eq!(
        b.iter().map(|x| x.access_id.as_str()).collect::<Vec<_>>(),
        ["r2"]
    );
}

/// Text that COPY's text format treats specially, and more, survives staging unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_keeps_awkward_text_intact() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let store = migrated_node(&url).await;
    let awkward = [
        "tab\there",
        "new\nline",
        "carriage\rreturn",
        "back\\slash",
        "\\N",
        "\\.",
        "comma,\"quote\"",
        "ünïcødé ✓",
    ];
    let mut tx = store.begin_import(t(1)).await.unwrap();
    let people: Vec<Identity> = awkward.iter().map(|id| identity(id, None)).collect();
    tx.upsert_identities(&people).await.unwrap();
    tx.upsert_roles(&awkward.iter().map(|id| role(id)).collect::<Vec<_>>())
        .await
        .unwrap();
    let mut granted = held(2, "x", "x", Origin::Discovered).assignment;
    granted.granted_at = Some(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap()
            + chrono::Duration::microseconds(123_456),
    );
    let rows: Vec<StagedAssignment> = awkward
        .iter()
        .enumerate()
        .map(|(i, id)| StagedAssignment {
            line: i as u64 + 2,
            assignment: Assignment {
                identity_id: Some((*id).into()),
                access_id: (*id).to_owned(),
                ..granted.clone()
            },
        })
        .collect();
    tx.stage_assignments(&rows).await.unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    assert_eq!(
        tx.merge_assignments().await.unwrap().added,
        awkward.len() as u64
    );
    tx.commit().await.unwrap();
    for row in &rows {
        let id = row.assignment.identity_id.clone().unwrap();
        assert_eq!(
            store.assignments_of_identity(&id).await.unwrap(),
            vec![row.assignment.clone()]
        );
    }
}

fn account(id: &str, source: &str, identity: Option<&str>) -> Account {
    Account {
        id: id.into(),
        source_id: source.into(),
        native_identity: id.to_owned(),
        name: None,
        identity_id: identity.map(Into::into),
        machine: false,
        owner_id: None,
        disabled: false,
        locked: false,
        last_used: None,
    }
}

fn source(id: &str) -> Source {
    Source {
        id: id.into(),
        name: id.to_owned(),
        description: None,
        owner_id: None,
        source_type: None,
    }
}

/// A reference that keeps its foreign key (a manager) is checked at commit: a dangling one
/// fails the commit and leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dangling_manager_fails_the_commit() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let store = migrated_node(&url).await;
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[identity("orphan", Some("nobody"))])
        .await
        .unwrap();
    let err = tx.commit().await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "got {err:?}");
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );
}

/// An assignment's identity and account have no foreign key: the merge checks them and
/// refuses the first staged row (by line) that refers to a missing one, on a first merge into
/// an empty table and on a later one alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merge_refuses_a_dangling_assignment() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let store = migrated_node(&url).await;
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[identity("a", None)]).await.unwrap();
    tx.upsert_roles(&[role("r1")]).await.unwrap();
    tx.stage_assignments(&[
        held(2, "a", "r1", Origin::Manual),
        held(3, "ghost", "r1", Origin::Manual),
    ])
    .await
    .unwrap();
    let err = tx.merge_assignments().await.unwrap_err();
    let StoreError::Database(message) = &err else {
        panic!("got {err:?}");
    };
    assert!(
        message.contains("line 3") && message.contains("identity \"ghost\""),
        "the first dangling line and its reference are named: {message}"
    );
    drop(tx);
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );

    // Once assignments are stored the merge takes its other path; the check still applies,
    // here to an account.
    let mut tx = store.begin_import(t(2)).await.unwrap();
    tx.upsert_identities(&[identity("a", None)]).await.unwrap();
    tx.upsert_roles(&[role("r1")]).await.unwrap();
    tx.stage_assignments(&[held(2, "a", "r1", Origin::Manual)])
        .await
        .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_import(t(3)).await.unwrap();
    let mut on_account = held(3, "a", "r1", Origin::Manual);
    on_account.assignment.account_id = Some("no-such-account".into());
    tx.stage_assignments(&[held(2, "a", "r1", Origin::Manual), on_account])
        .await
        .unwrap();
    let err = tx.merge_assignments().await.unwrap_err();
    assert!(
        err.to_string().contains("line 3")
            && err.to_string().contains("account \"no-such-account\""),
        "got {err}"
    );
    tx.rollback().await.unwrap();
    assert_eq!(store.warehouse_counts().await.unwrap().assignments, 1);
}

/// An account's source, identity and owner have no foreign key either: the commit checks them
/// when the import wrote accounts, and a dangling one fails it and leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dangling_account_reference_fails_the_commit() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let store = migrated_node(&url).await;
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[identity("a", None)]).await.unwrap();
    tx.upsert_sources(&[source("s")]).await.unwrap();
    tx.upsert_accounts(&[
        account("acct-1", "s", Some("a")),
        account("acct-2", "no-such-source", Some("a")),
    ])
    .await
    .unwrap();
    let err = tx.commit().await.unwrap_err();
    let StoreError::Database(message) = &err else {
        panic!("got {err:?}");
    };
    assert!(
        message.contains("\"acct-2\"") && message.contains("source \"no-such-source\""),
        "the account and its missing source are named: {message}"
    );
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );

    let mut owned = account("acct-3", "s", None);
    owned.owner_id = Some("nobody".into());
    for (dangling, named) in [
        (
            account("acct-3", "s", Some("nobody")),
            "identity \"nobody\"",
        ),
        (owned, "owner \"nobody\""),
    ] {
        let mut tx = store.begin_import(t(2)).await.unwrap();
        tx.upsert_identities(&[identity("a", None)]).await.unwrap();
        tx.upsert_sources(&[source("s")]).await.unwrap();
        tx.upsert_accounts(&[account("acct-1", "s", Some("a")), dangling])
            .await
            .unwrap();
        let err = tx.commit().await.unwrap_err();
        assert!(err.to_string().contains(named), "got {err}");
    }
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_is_unavailable() {
    let Some(url) = fresh_schema_url().await else {
        return;
    };
    let pool = PoolConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(200),
    };
    let store = node(&url, pool).await;
    store.migrate().await.unwrap();
    let tx = store.begin_import(t(1)).await.unwrap();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    tx.rollback().await.unwrap();
    store.ping().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // Port 1 on the loopback interface: nothing listens there, the connection is refused.
    let pool = PoolConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(2),
    };
    let err = PostgresStore::open("postgres://attest@127.0.0.1:1/attest", &pool)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
    assert!(
        err.to_string().contains("refused"),
        "the reason is given: {err}"
    );
}

#[tokio::test]
async fn a_malformed_url_is_reported() {
    let err = PostgresStore::open("postgres://[::1", &PoolConfig::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid PostgreSQL URL"),
        "got {err}"
    );
}
