//! The stories every storage backend must pass, run the same way on SQLite and PostgreSQL.
//!
//! A backend's test file invokes [`conformance_tests!`](crate::conformance_tests) with a
//! factory that opens a fresh, empty store (or `None` when that database is not configured,
//! in which case each test says it was skipped). Each story is a plain `async fn` here so that
//! failures point at the story by name.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use attest_domain::*;
use chrono::{DateTime, TimeZone, Utc};

use crate::*;

/// Generates one `#[tokio::test]` per conformance story for a backend.
///
/// `$factory` is a path to `async fn() -> Option<Arc<dyn Store>>` returning a fresh, migrated,
/// empty store, or `None` to skip (the reason is printed by the factory).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@each $factory;
            fresh_store_is_empty_and_healthy,
            migrations_are_idempotent,
            import_round_trips_every_record_kind,
            rollback_leaves_nothing,
            dropping_an_import_rolls_it_back,
            forward_references_resolve_at_commit,
            reimport_updates_records_and_replaces_lists,
            merge_adds_updates_and_removes_assignments,
            duplicate_assignments_are_found_with_lines,
            large_batches_are_chunked,
            permissions_are_replaced_whole,
            existing_ids_and_managers_are_reported,
            imports_are_serialised,
            api_clients_are_stored_and_unique,
            token_signing_key_is_created_once,
        );
    };
    (@each $factory:path; $($story:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() {
                match $factory().await {
                    Some(store) => $crate::conformance::$story(store).await,
                    None => eprintln!("skipped: {}", stringify!($story)),
                }
            }
        )+
    };
}

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
}

/// An identity with the given manager and a couple of attributes.
pub fn identity(id: &str, manager: Option<&str>) -> Identity {
    Identity {
        id: id.into(),
        name: format!("user.{id}"),
        display_name: Some(format!("User {id}")),
        email: Some(format!("{id}@example.com")),
        manager_id: manager.map(Into::into),
        department: Some("Engineering".into()),
        title: Some("Engineer".into()),
        location: Some("Berlin".into()),
        lifecycle_state: Some("active".into()),
        active: true,
        attributes: BTreeMap::from([
            ("costCenter".to_owned(), "CC-100".to_owned()),
            ("employeeType".to_owned(), "employee".to_owned()),
        ]),
    }
}

fn source(id: &str, owner: &str) -> Source {
    Source {
        id: id.into(),
        name: format!("Source {id}"),
        description: Some("a source".into()),
        owner_id: Some(owner.into()),
        source_type: Some("Active Directory".into()),
    }
}

fn entitlement(id: &str, source: &str, privileged: bool) -> Entitlement {
    Entitlement {
        id: id.into(),
        source_id: source.into(),
        name: format!("Group {id}"),
        attribute: Some("memberOf".into()),
        value: Some(format!("CN={id},OU=Groups")),
        description: None,
        privileged,
        owner_id: None,
    }
}

fn account(id: &str, source: &str, identity: Option<&str>) -> Account {
    Account {
        id: id.into(),
        source_id: source.into(),
        native_identity: format!("CN={id}"),
        name: Some(id.to_owned()),
        identity_id: identity.map(Into::into),
        machine: false,
        owner_id: None,
        disabled: false,
        locked: false,
        last_used: Some(t(1)),
    }
}

fn assignment(
    identity: Option<&str>,
    account: Option<&str>,
    ty: AccessType,
    access: &str,
) -> Assignment {
    Assignment {
        identity_id: identity.map(Into::into),
        account_id: account.map(Into::into),
        access_type: ty,
        access_id: access.into(),
        origin: Origin::Manual,
        granted_at: Some(t(2)),
    }
}

fn staged(line: u64, a: Assignment) -> StagedAssignment {
    StagedAssignment {
        line,
        assignment: a,
    }
}

/// Loads a small, complete organisation in one import and commits it.
async fn load_small_org(store: &Arc<dyn Store>) {
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[
        identity("ceo", None),
        identity("alice", Some("ceo")),
        identity("bob", Some("alice")),
    ])
    .await
    .unwrap();
    tx.upsert_sources(&[source("ad", "ceo")]).await.unwrap();
    tx.upsert_entitlements(&[
        entitlement("admins", "ad", true),
        entitlement("users", "ad", false),
    ])
    .await
    .unwrap();
    tx.upsert_access_profiles(&[AccessProfile {
        id: "ap1".into(),
        name: "AD basics".into(),
        description: None,
        source_id: Some("ad".into()),
        owner_id: Some("alice".into()),
        entitlement_ids: vec!["users".into(), "admins".into()],
    }])
    .await
    .unwrap();
    tx.upsert_roles(&[Role {
        id: "r1".into(),
        name: "Engineer".into(),
        description: Some("birthright".into()),
        owner_id: Some("ceo".into()),
        access_profile_ids: vec!["ap1".into()],
        entitlement_ids: vec!["users".into()],
        privileged: false,
    }])
    .await
    .unwrap();
    let mut machine = account("svc", "ad", None);
    machine.machine = true;
    machine.owner_id = Some("alice".into());
    machine.last_used = None;
    tx.upsert_accounts(&[
        account("bob-ad", "ad", Some("bob")),
        account("orphan", "ad", None),
        machine,
    ])
    .await
    .unwrap();
    tx.upsert_governance_groups(&[GovernanceGroup {
        id: "gg1".into(),
        name: "Reviewers".into(),
        description: None,
        owner_id: Some("ceo".into()),
        member_ids: vec!["bob".into(), "alice".into()],
    }])
    .await
    .unwrap();
    tx.clear_permissions().await.unwrap();
    tx.insert_permissions(&[
        Permission {
            entitlement_id: "admins".into(),
            target: "share://b".into(),
            rights: "read,write".into(),
        },
        Permission {
            entitlement_id: "admins".into(),
            target: "share://a".into(),
            rights: "read".into(),
        },
    ])
    .await
    .unwrap();
    tx.stage_assignments(&[
        staged(
            2,
            assignment(
                Some("bob"),
                Some("bob-ad"),
                AccessType::Entitlement,
                "users",
            ),
        ),
        staged(3, assignment(Some("bob"), None, AccessType::Role, "r1")),
        staged(
            4,
            assignment(None, Some("orphan"), AccessType::Entitlement, "admins"),
        ),
        staged(
            5,
            assignment(None, Some("svc"), AccessType::AccessProfile, "ap1"),
        ),
    ])
    .await
    .unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    let merge = tx.merge_assignments().await.unwrap();
    assert_eq!(
        merge,
        AssignmentMerge {
            added: 4,
            updated: 0,
            removed: 0
        }
    );
    tx.commit().await.unwrap();
}

/// A new store answers a ping and holds nothing.
pub async fn fresh_store_is_empty_and_healthy(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(
        store.warehouse_counts().await.unwrap(),
        WarehouseCounts::default()
    );
    assert!(store.identity(&"nobody".into()).await.unwrap().is_none());
}

/// Running migrations again changes nothing and keeps data.
pub async fn migrations_are_idempotent(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.warehouse_counts().await.unwrap().identities, 3);
}

/// Every record kind reads back exactly as written.
pub async fn import_round_trips_every_record_kind(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let counts = store.warehouse_counts().await.unwrap();
    assert_eq!(
        counts,
        WarehouseCounts {
            identities: 3,
            sources: 1,
            entitlements: 2,
            access_profiles: 1,
            roles: 1,
            accounts: 3,
            assignments: 4,
            governance_groups: 1,
            permissions: 2,
        }
    );
    assert_eq!(
        store.identity(&"alice".into()).await.unwrap().unwrap(),
        identity("alice", Some("ceo"))
    );
    assert_eq!(
        store.source(&"ad".into()).await.unwrap().unwrap(),
        source("ad", "ceo")
    );
    assert_eq!(
        store.entitlement(&"admins".into()).await.unwrap().unwrap(),
        entitlement("admins", "ad", true)
    );
    let perms = store
        .entitlement_permissions(&"admins".into())
        .await
        .unwrap();
    assert_eq!(
        perms.iter().map(|p| p.target.as_str()).collect::<Vec<_>>(),
        ["share://a", "share://b"]
    );
    assert_eq!(perms[1].rights, "read,write");
    let ap = store.access_profile(&"ap1".into()).await.unwrap().unwrap();
    assert_eq!(
        ap.entitlement_ids,
        vec![EntitlementId::from("users"), "admins".into()]
    );
    assert_eq!(ap.source_id, Some("ad".into()));
    let role = store.role(&"r1".into()).await.unwrap().unwrap();
    assert_eq!(role.access_profile_ids, vec![AccessProfileId::from("ap1")]);
    assert_eq!(role.entitlement_ids, vec![EntitlementId::from("users")]);
    assert_eq!(role.description.as_deref(), Some("birthright"));
    let svc = store.account(&"svc".into()).await.unwrap().unwrap();
    assert_eq!(svc.kind(), AccountKind::Machine);
    assert_eq!(svc.owner_id, Some("alice".into()));
    assert_eq!(svc.last_used, None);
    assert_eq!(
        store.account(&"bob-ad".into()).await.unwrap().unwrap(),
        account("bob-ad", "ad", Some("bob"))
    );
    let gg = store
        .governance_group(&"gg1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gg.member_ids, vec![IdentityId::from("bob"), "alice".into()]);
    let bobs = store.assignments_of_identity(&"bob".into()).await.unwrap();
    assert_eq!(
        bobs,
        vec![
            assignment(
                Some("bob"),
                Some("bob-ad"),
                AccessType::Entitlement,
                "users"
            ),
            assignment(Some("bob"), None, AccessType::Role, "r1"),
        ]
    );
    let orphan = store
        .assignments_of_account(&"orphan".into())
        .await
        .unwrap();
    assert_eq!(
        orphan,
        vec![assignment(
            None,
            Some("orphan"),
            AccessType::Entitlement,
            "admins"
        )]
    );
    assert_eq!(
        store.direct_reports(&"ceo".into()).await.unwrap(),
        vec![IdentityId::from("alice")]
    );
}

/// A rolled-back import leaves the store exactly as it was.
pub async fn rollback_leaves_nothing(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let before = store.warehouse_counts().await.unwrap();
    let mut tx = store.begin_import(t(3)).await.unwrap();
    let mut renamed = identity("alice", Some("ceo"));
    renamed.display_name = Some("Changed".into());
    tx.upsert_identities(&[renamed, identity("zed", None)])
        .await
        .unwrap();
    tx.clear_permissions().await.unwrap();
    tx.stage_assignments(&[staged(
        2,
        assignment(Some("zed"), None, AccessType::Role, "r1"),
    )])
    .await
    .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(store.warehouse_counts().await.unwrap(), before);
    assert_eq!(
        store.identity(&"alice".into()).await.unwrap().unwrap(),
        identity("alice", Some("ceo"))
    );
    assert!(store.identity(&"zed".into()).await.unwrap().is_none());
}

/// An import dropped without commit (an early return, a panic) is rolled back, and the store
/// can start the next import.
pub async fn dropping_an_import_rolls_it_back(store: Arc<dyn Store>) {
    {
        let mut tx = store.begin_import(t(1)).await.unwrap();
        tx.upsert_identities(&[identity("ghost", None)])
            .await
            .unwrap();
    }
    let mut tx = tokio::time::timeout(Duration::from_secs(10), store.begin_import(t(2)))
        .await
        .expect("a dropped import must release the write lock")
        .unwrap();
    tx.upsert_identities(&[identity("real", None)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(store.identity(&"ghost".into()).await.unwrap().is_none());
    assert!(store.identity(&"real".into()).await.unwrap().is_some());
}

/// A manager, owner or account that arrives in a later batch than its referrer is fine.
pub async fn forward_references_resolve_at_commit(store: Arc<dyn Store>) {
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&[identity("report", Some("boss"))])
        .await
        .unwrap();
    tx.upsert_identities(&[identity("boss", None)])
        .await
        .unwrap();
    tx.stage_assignments(&[staged(
        2,
        assignment(Some("report"), Some("acct"), AccessType::Entitlement, "e"),
    )])
    .await
    .unwrap();
    tx.upsert_sources(&[source("s", "boss")]).await.unwrap();
    tx.upsert_entitlements(&[entitlement("e", "s", false)])
        .await
        .unwrap();
    tx.upsert_accounts(&[account("acct", "s", Some("report"))])
        .await
        .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.warehouse_counts().await.unwrap().assignments, 1);
    assert_eq!(
        store
            .identity(&"report".into())
            .await
            .unwrap()
            .unwrap()
            .manager_id,
        Some("boss".into())
    );
}

/// Re-importing updates fields, replaces attribute maps and member lists, keeps the rest.
pub async fn reimport_updates_records_and_replaces_lists(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let mut tx = store.begin_import(t(5)).await.unwrap();
    let mut bob = identity("bob", Some("ceo"));
    bob.active = false;
    bob.title = None;
    bob.attributes = BTreeMap::from([("badge".to_owned(), "42".to_owned())]);
    tx.upsert_identities(&[bob.clone()]).await.unwrap();
    tx.upsert_access_profiles(&[AccessProfile {
        id: "ap1".into(),
        name: "AD basics v2".into(),
        description: Some("now smaller".into()),
        source_id: None,
        owner_id: None,
        entitlement_ids: vec!["admins".into()],
    }])
    .await
    .unwrap();
    tx.upsert_roles(&[Role {
        id: "r1".into(),
        name: "Engineer".into(),
        description: None,
        owner_id: None,
        access_profile_ids: vec![],
        entitlement_ids: vec!["admins".into(), "users".into()],
        privileged: true,
    }])
    .await
    .unwrap();
    tx.upsert_governance_groups(&[GovernanceGroup {
        id: "gg1".into(),
        name: "Reviewers".into(),
        description: None,
        owner_id: None,
        member_ids: vec!["ceo".into()],
    }])
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.identity(&"bob".into()).await.unwrap().unwrap(), bob);
    assert_eq!(
        store.identity(&"alice".into()).await.unwrap().unwrap(),
        identity("alice", Some("ceo"))
    );
    let ap = store.access_profile(&"ap1".into()).await.unwrap().unwrap();
    assert_eq!(
        (ap.name.as_str(), ap.entitlement_ids.len(), ap.source_id),
        ("AD basics v2", 1, None)
    );
    let role = store.role(&"r1".into()).await.unwrap().unwrap();
    assert!(role.privileged && role.access_profile_ids.is_empty());
    assert_eq!(
        role.entitlement_ids,
        vec![EntitlementId::from("admins"), "users".into()]
    );
    let gg = store
        .governance_group(&"gg1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gg.member_ids, vec![IdentityId::from("ceo")]);
    assert_eq!(
        store.direct_reports(&"ceo".into()).await.unwrap(),
        vec![IdentityId::from("alice"), "bob".into()]
    );
    // Assignments were not staged in this import, so they are untouched.
    assert_eq!(store.warehouse_counts().await.unwrap().assignments, 4);
}

/// The staged assignments become the whole truth: new ones added, kept ones updated, the
/// rest removed, and the counts say so.
pub async fn merge_adds_updates_and_removes_assignments(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let mut tx = store.begin_import(t(6)).await.unwrap();
    let mut kept = assignment(Some("bob"), None, AccessType::Role, "r1");
    kept.origin = Origin::RoleModel;
    kept.granted_at = Some(t(7));
    tx.stage_assignments(&[
        staged(2, kept.clone()),
        staged(
            3,
            assignment(Some("alice"), None, AccessType::Entitlement, "admins"),
        ),
        staged(
            4,
            assignment(None, Some("orphan"), AccessType::Entitlement, "admins"),
        ),
    ])
    .await
    .unwrap();
    let merge = tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        merge,
        AssignmentMerge {
            added: 1,
            updated: 2,
            removed: 2
        }
    );
    assert_eq!(
        store.assignments_of_identity(&"bob".into()).await.unwrap(),
        vec![kept]
    );
    assert_eq!(
        store
            .assignments_of_identity(&"alice".into())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .assignments_of_account(&"svc".into())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.warehouse_counts().await.unwrap().assignments, 3);
}

/// Duplicate keys are reported with both lines, whatever the origin or grant time.
pub async fn duplicate_assignments_are_found_with_lines(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let mut tx = store.begin_import(t(6)).await.unwrap();
    let mut again = assignment(Some("bob"), None, AccessType::Role, "r1");
    again.origin = Origin::Discovered;
    tx.stage_assignments(&[
        staged(2, assignment(Some("bob"), None, AccessType::Role, "r1")),
        staged(
            3,
            assignment(Some("bob"), Some("bob-ad"), AccessType::Role, "r1"),
        ),
        staged(4, assignment(None, Some("bob-ad"), AccessType::Role, "r1")),
    ])
    .await
    .unwrap();
    tx.stage_assignments(&[
        staged(5, again),
        staged(6, assignment(Some("bob"), None, AccessType::Role, "r1")),
    ])
    .await
    .unwrap();
    let dups = tx.duplicate_assignments().await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        dups,
        vec![
            DuplicateLine {
                line: 5,
                first_line: 2
            },
            DuplicateLine {
                line: 6,
                first_line: 2
            }
        ]
    );
}

/// One call with more rows than a statement can bind is split by the backend.
pub async fn large_batches_are_chunked(store: Arc<dyn Store>) {
    const N: usize = 12_000;
    let identities: Vec<Identity> = (0..N)
        .map(|i| identity(&format!("i{i:05}"), None))
        .collect();
    let mut tx = store.begin_import(t(1)).await.unwrap();
    tx.upsert_identities(&identities).await.unwrap();
    tx.upsert_roles(&[Role {
        id: "r".into(),
        name: "r".into(),
        description: None,
        owner_id: None,
        access_profile_ids: vec![],
        entitlement_ids: vec![],
        privileged: false,
    }])
    .await
    .unwrap();
    let rows: Vec<StagedAssignment> = (0..N)
        .map(|i| {
            staged(
                i as u64 + 2,
                assignment(Some(&format!("i{i:05}")), None, AccessType::Role, "r"),
            )
        })
        .collect();
    tx.stage_assignments(&rows).await.unwrap();
    assert!(tx.duplicate_assignments().await.unwrap().is_empty());
    assert_eq!(tx.merge_assignments().await.unwrap().added, N as u64);
    tx.commit().await.unwrap();
    let counts = store.warehouse_counts().await.unwrap();
    assert_eq!(
        (counts.identities, counts.assignments),
        (N as u64, N as u64)
    );
}

/// `clear_permissions` then `insert_permissions` replaces the whole set.
pub async fn permissions_are_replaced_whole(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let mut tx = store.begin_import(t(6)).await.unwrap();
    tx.clear_permissions().await.unwrap();
    tx.insert_permissions(&[Permission {
        entitlement_id: "users".into(),
        target: "share://c".into(),
        rights: "read".into(),
    }])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(store
        .entitlement_permissions(&"admins".into())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .entitlement_permissions(&"users".into())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.warehouse_counts().await.unwrap().permissions, 1);
}

/// The importer learns which ids and manager links exist already.
pub async fn existing_ids_and_managers_are_reported(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let mut tx = store.begin_import(t(6)).await.unwrap();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(tx.existing_ids(RecordKind::Identity).await.unwrap()),
        ["alice", "bob", "ceo"]
    );
    assert_eq!(tx.existing_ids(RecordKind::Source).await.unwrap(), ["ad"]);
    assert_eq!(
        sorted(tx.existing_ids(RecordKind::Entitlement).await.unwrap()),
        ["admins", "users"]
    );
    assert_eq!(
        tx.existing_ids(RecordKind::AccessProfile).await.unwrap(),
        ["ap1"]
    );
    assert_eq!(tx.existing_ids(RecordKind::Role).await.unwrap(), ["r1"]);
    assert_eq!(
        sorted(tx.existing_ids(RecordKind::Account).await.unwrap()),
        ["bob-ad", "orphan", "svc"]
    );
    assert_eq!(
        tx.existing_ids(RecordKind::GovernanceGroup).await.unwrap(),
        ["gg1"]
    );
    let mut managers = tx.existing_managers().await.unwrap();
    managers.sort();
    assert_eq!(
        managers,
        vec![
            (IdentityId::from("alice"), IdentityId::from("ceo")),
            ("bob".into(), "alice".into())
        ]
    );
    tx.rollback().await.unwrap();
}

/// A second import waits for the first to finish instead of interleaving with it.
pub async fn imports_are_serialised(store: Arc<dyn Store>) {
    let mut first = store.begin_import(t(1)).await.unwrap();
    first
        .upsert_identities(&[identity("first", None)])
        .await
        .unwrap();
    let other = Arc::clone(&store);
    let second = tokio::spawn(async move {
        let mut tx = other.begin_import(t(2)).await.unwrap();
        let seen = tx.existing_ids(RecordKind::Identity).await.unwrap();
        tx.rollback().await.unwrap();
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second import must wait for the first"
    );
    first.commit().await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        seen,
        ["first"],
        "the second import sees the first one's committed data"
    );
}

/// API clients are stored with their hash and authorities; client ids are unique.
pub async fn api_clients_are_stored_and_unique(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    let client = ApiClient {
        client_id: "c0ffee".into(),
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        identity_id: "alice".into(),
        authorities: vec![Authority::OrgAdmin, Authority::ReportAdmin],
        name: "ci".into(),
        created_at: t(3),
    };
    store.insert_api_client(&client).await.unwrap();
    assert_eq!(
        store.api_client(&"c0ffee".into()).await.unwrap().unwrap(),
        client
    );
    assert!(store.api_client(&"nope".into()).await.unwrap().is_none());
    let err = store.insert_api_client(&client).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
    store
        .record_client_use(&"c0ffee".into(), t(4))
        .await
        .unwrap();
    let reviewer = ApiClient {
        client_id: "r".into(),
        authorities: vec![],
        ..client
    };
    store.insert_api_client(&reviewer).await.unwrap();
    assert!(store
        .api_client(&"r".into())
        .await
        .unwrap()
        .unwrap()
        .authorities
        .is_empty());
}

/// The first candidate key is kept; later candidates get the stored one back.
pub async fn token_signing_key_is_created_once(store: Arc<dyn Store>) {
    let first = store.token_signing_key(&[1; 32]).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    let second = store.token_signing_key(&[2; 32]).await.unwrap();
    assert_eq!(second, vec![1; 32]);
}
