//! The stories every storage backend must pass, run the same way on SQLite and PostgreSQL.
//!
//! A backend's test file invokes [`conformance_tests!`](crate::conformance_tests) with a
//! factory that opens a fresh, empty store (or `None` when that database is not configured,
//! in which case each test says it was skipped). Each story is a plain `async fn` here so that
//! failures point at the story by name.

use std::collections::{BTreeMap, BTreeSet};
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
            campaigns_are_stored_listed_and_moved,
            candidates_follow_each_scope,
            generation_and_activation_write_counters,
            decisions_update_counters_atomically,
            reassignment_moves_items_and_counters,
            sign_off_and_completion_write_orders,
            tasks_are_claimed_under_a_lease,
            allocated_ids_never_repeat,
            deleting_campaigns_keeps_the_audit_trail,
            batch_reads_match_single_reads,
            warehouse_version_moves_with_each_import,
            item_pages_hold_what_their_items_need,
            decisions_as_reviewer_check_the_reviewer,
            report_reads_page_through_one_campaign,
            report_runs_and_files_are_kept_and_replaced,
            event_subscriptions_are_stored_replaced_and_deleted,
            announced_changes_fill_the_outbox_and_deliveries_are_leased,
            templates_are_stored_listed_patched_and_deleted,
            schedules_are_set_due_advanced_and_deleted,
            an_occurrence_is_claimed_once,
            remediation_sinks_are_stored_and_removed,
            remediation_orders_are_released_claimed_and_recorded,
            remediation_scans_verify_orders_against_the_warehouse,
            // Campaign filters (issue 4).
            campaign_filters_ship_system_filters,
            campaign_filters_are_stored_listed_updated_and_deleted,
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

// ---- campaigns ----
//
// The campaign stories build a small organisation through the import API, then walk campaigns
// through the `CampaignStore` trait only, doing by hand what the engine's generation does
// (group candidates by reviewer, allocate ids, count), so every backend is held to the same
// meaning of candidates, counters, reassignment, sign-off and completion.

use crate::campaigns::*;
use attest_domain::campaign::{CampaignStatus, CommentRequirement, Decision};
use attest_domain::certification::*;

/// ceo manages alice and dave; alice manages bob and carol. Source `ad` (owner ceo) holds
/// entitlements e1, e2 and access profile ap1 (with e1); role r1 (owner dave) holds ap1 and
/// e2. Assignments: bob e1 (through account bob-ad), bob e2 (DISCOVERED), carol e1,
/// carol r1 (ROLE_MODEL), alice e2, dave ap1; uncorrelated account `orphan` holds e1;
/// machine account `svc` (owner carol) holds e2.
async fn load_review_org(store: &Arc<dyn Store>) {
    let mut tx = store.begin_import(t(1)).await.unwrap();
    let mut carol = identity("carol", Some("alice"));
    carol.active = false;
    tx.upsert_identities(&[
        identity("ceo", None),
        identity("alice", Some("ceo")),
        identity("bob", Some("alice")),
        carol,
        identity("dave", Some("ceo")),
    ])
    .await
    .unwrap();
    tx.upsert_sources(&[source("ad", "ceo")]).await.unwrap();
    tx.upsert_entitlements(&[
        entitlement("e1", "ad", false),
        entitlement("e2", "ad", true),
    ])
    .await
    .unwrap();
    tx.upsert_access_profiles(&[AccessProfile {
        id: "ap1".into(),
        name: "AD basics".into(),
        description: None,
        source_id: Some("ad".into()),
        owner_id: None,
        entitlement_ids: vec!["e1".into()],
    }])
    .await
    .unwrap();
    tx.upsert_roles(&[Role {
        id: "r1".into(),
        name: "Engineer".into(),
        description: None,
        owner_id: Some("dave".into()),
        access_profile_ids: vec!["ap1".into()],
        entitlement_ids: vec!["e2".into()],
        privileged: false,
    }])
    .await
    .unwrap();
    let mut svc = account("svc", "ad", None);
    svc.machine = true;
    svc.owner_id = Some("carol".into());
    tx.upsert_accounts(&[
        account("bob-ad", "ad", Some("bob")),
        account("orphan", "ad", None),
        svc,
    ])
    .await
    .unwrap();
    let mut discovered = assignment(Some("bob"), None, AccessType::Entitlement, "e2");
    discovered.origin = Origin::Discovered;
    let mut modelled = assignment(Some("carol"), None, AccessType::Role, "r1");
    modelled.origin = Origin::RoleModel;
    let rows = [
        assignment(Some("bob"), Some("bob-ad"), AccessType::Entitlement, "e1"),
        discovered,
        assignment(Some("carol"), None, AccessType::Entitlement, "e1"),
        modelled,
        assignment(Some("alice"), None, AccessType::Entitlement, "e2"),
        assignment(Some("dave"), None, AccessType::AccessProfile, "ap1"),
        assignment(None, Some("orphan"), AccessType::Entitlement, "e1"),
        assignment(None, Some("svc"), AccessType::Entitlement, "e2"),
    ];
    let staged_rows: Vec<StagedAssignment> = rows
        .into_iter()
        .zip(2..)
        .map(|(a, line)| staged(line, a))
        .collect();
    tx.stage_assignments(&staged_rows).await.unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
}

fn campaign_definition(name: &str, scope: CampaignScope) -> CampaignDefinition {
    CampaignDefinition {
        name: name.into(),
        description: Some("quarterly review".into()),
        deadline: Some(t(28)),
        scope,
        email_notification_enabled: false,
        auto_revoke_allowed: true,
        recommendations_enabled: true,
        mandatory_comment_requirement: CommentRequirement::NoDecisions,
        sunset_comments_required: false,
        filter: None,
    }
}

fn new_campaign(id: &str, name: &str, created: DateTime<Utc>) -> Campaign {
    Campaign {
        id: id.into(),
        definition: campaign_definition(name, CampaignScope::Manager),
        status: CampaignStatus::Pending,
        owner: "ceo".into(),
        created,
        modified: created,
        activated: None,
        completed: None,
        alerts: Vec::new(),
        counts: CampaignCounts::default(),
        source_ids: Vec::new(),
    }
}

fn task(id: &str, task_type: TaskType, target: &str, created: DateTime<Utc>) -> Task {
    Task {
        id: id.into(),
        task_type,
        target_type: TaskTarget::Campaign,
        target_id: target.into(),
        status: TaskStatus::Queued,
        errors: Vec::new(),
        payload: serde_json::json!({ "note": "conformance" }),
        reassignment_trail: Vec::new(),
        attempts: 0,
        created,
        run_after: created,
    }
}

fn event(action: &str, campaign: &str, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        actor: Actor {
            identity_id: Some("ceo".into()),
            client_id: Some("client-1".into()),
        },
        action: action.into(),
        campaign_id: Some(campaign.into()),
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({ "story": action }),
    }
}

fn actor(id: &str) -> Actor {
    Actor {
        identity_id: Some(id.into()),
        client_id: None,
    }
}

/// Every candidate of a scope, read in pages of `page` and checked to arrive in strictly
/// increasing cursor order.
async fn all_candidates(
    store: &Arc<dyn Store>,
    scope: &CandidateScope,
    page: u32,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut after = None;
    loop {
        let batch = store.candidates(scope, after, page).await.unwrap();
        assert!(batch.len() <= page as usize);
        if batch.is_empty() {
            break;
        }
        for c in &batch {
            if let Some(prev) = out.last() {
                assert!(c.cursor > prev.cursor, "cursors must increase: {scope:?}");
            }
            out.push(c.clone());
        }
        after = out.last().map(|c| c.cursor);
    }
    out
}

fn page_query(limit: u32) -> ListQuery {
    ListQuery {
        filter: None,
        sort: Vec::new(),
        limit,
        offset: 0,
        count: true,
    }
}

fn filtered(filter: &str, sort: &[SortKey]) -> ListQuery {
    ListQuery {
        filter: Some(attest_query::parse_filter(filter).unwrap()),
        sort: sort.to_vec(),
        limit: 50,
        offset: 0,
        count: true,
    }
}

use attest_query::SortKey;

/// Generates a MANAGER campaign the way the engine does: one certification per reviewer
/// (the candidate's manager), one identity summary per holder, one item per candidate.
/// Returns the certifications by reviewer.
async fn generate_manager_campaign(
    store: &Arc<dyn Store>,
    campaign: &Campaign,
) -> BTreeMap<String, Certification> {
    let candidates = all_candidates(store, &CandidateScope::Manager, 2).await;
    store.clear_generated(&campaign.id).await.unwrap();
    let mut certs: BTreeMap<String, Certification> = BTreeMap::new();
    let mut summaries: BTreeMap<(String, String), IdentitySummary> = BTreeMap::new();
    let first_item = store.allocate_ids(candidates.len() as i64).await.unwrap();
    let mut items = Vec::new();
    for (n, c) in candidates.iter().enumerate() {
        let reviewer = c.natural_reviewer.clone().unwrap();
        let holder = c.identity_id.clone().unwrap();
        if !certs.contains_key(reviewer.as_str()) {
            let person = store.identity(&reviewer).await.unwrap().unwrap();
            let number = certs.len() + 1;
            let name = person.display_name.clone().unwrap();
            certs.insert(
                reviewer.0.clone(),
                Certification {
                    // 32 hex digits, unique per campaign (two campaigns may be generated).
                    id: format!(
                        "{:0>16}{number:016x}",
                        campaign
                            .id
                            .as_str()
                            .bytes()
                            .take(8)
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    )
                    .into(),
                    campaign_id: campaign.id.clone(),
                    campaign_name: campaign.definition.name.clone(),
                    campaign_type: campaign.definition.scope.campaign_type(),
                    name: format!("{} - {}", campaign.definition.name, name),
                    reviewer: reviewer.clone(),
                    reviewer_name: name,
                    reviewer_email: person.email.clone(),
                    reviewer_group: None,
                    phase: CertificationPhase::Staged,
                    due: None,
                    signed: None,
                    created: t(2),
                    modified: t(2),
                    reassignment: None,
                    counts: CertificationCounts::default(),
                },
            );
        }
        let cert = certs.get_mut(reviewer.as_str()).unwrap();
        let key = (reviewer.0.clone(), holder.0.clone());
        if !summaries.contains_key(&key) {
            let id = store.allocate_ids(1).await.unwrap();
            summaries.insert(
                key.clone(),
                IdentitySummary {
                    id: IdentitySummaryId(id),
                    certification_id: cert.id.clone(),
                    identity_id: Some(holder.clone()),
                    account_id: None,
                    role_id: None,
                    name: c.holder_name.clone(),
                    items_total: 0,
                    items_decided: 0,
                },
            );
            cert.counts.identities_total += 1;
        }
        let summary = summaries.get_mut(&key).unwrap();
        summary.items_total += 1;
        match c.access_type {
            ItemAccessType::Entitlement => cert.counts.entitlements.total += 1,
            ItemAccessType::AccessProfile => cert.counts.access_profiles.total += 1,
            ItemAccessType::Role => cert.counts.roles.total += 1,
            ItemAccessType::Account => cert.counts.accounts.total += 1,
        }
        items.push(ReviewItem {
            id: ReviewItemId(first_item + n as i64),
            certification_id: cert.id.clone(),
            campaign_id: campaign.id.clone(),
            identity_summary_id: summary.id,
            identity_id: Some(holder),
            account_id: c.account_id.clone(),
            role_id: None,
            holder_name: c.holder_name.clone(),
            access_type: c.access_type,
            access_id: c.access_id.clone(),
            access_name: c.access_name.clone(),
            source_id: c.source_id.clone(),
            source_name: c.source_name.clone(),
            origin: c.origin,
            granted_at: c.granted_at,
            recommendation: (c.origin == Origin::Discovered).then_some(Decision::Revoke),
            recommendation_reasons: if c.origin == Origin::Discovered {
                vec!["not granted by any policy or request".into()]
            } else {
                Vec::new()
            },
            decision: None,
            comments: None,
            proposed_end_date: None,
            decided_by: None,
            decided_at: None,
            reassigned_from: None,
            reassignment_reason: None,
        });
    }
    // Two batches, as generation writes them.
    let (a, b) = items.split_at(items.len() / 2);
    store.insert_items(a).await.unwrap();
    store.insert_items(b).await.unwrap();
    let result = GenerationResult {
        certifications: certs.values().cloned().collect(),
        identity_summaries: summaries.values().cloned().collect(),
        counts: CampaignCounts {
            certifications_total: certs.len() as i64,
            certifications_completed: 0,
            items_total: items.len() as i64,
            items_decided: 0,
            identities_total: summaries.len() as i64,
        },
        source_ids: vec!["ad".into()],
        alerts: vec![CampaignAlert {
            level: AlertLevel::Warn,
            message: "ceo has no manager and was left out".into(),
        }],
    };
    assert!(store
        .finish_generation(
            &campaign.id,
            &result,
            t(3),
            &event("campaign.generated", campaign.id.as_str(), t(3))
        )
        .await
        .unwrap());
    certs
}

/// Creates, generates and activates a MANAGER campaign on the review organisation; returns
/// the certifications by reviewer id (as stored after activation).
async fn active_manager_campaign(
    store: &Arc<dyn Store>,
    id: &str,
) -> BTreeMap<String, Certification> {
    load_review_org(store).await;
    let campaign = new_campaign(id, "Q1 access review", t(2));
    store
        .insert_campaign(
            &campaign,
            &task(&format!("{id}-create"), TaskType::CampaignCreate, id, t(2)),
            &event("campaign.created", id, t(2)),
        )
        .await
        .unwrap();
    let generated = generate_manager_campaign(store, &campaign).await;
    assert!(store
        .transition_campaign(
            &campaign.id,
            CampaignStatus::Staged,
            CampaignStatus::Activating,
            t(4),
            &[],
            None,
            &event("campaign.activating", id, t(4)),
        )
        .await
        .unwrap());
    assert!(store
        .finish_activation(&campaign.id, t(4), &event("campaign.activated", id, t(4)))
        .await
        .unwrap());
    let mut out = BTreeMap::new();
    for (reviewer, cert) in generated {
        out.insert(
            reviewer,
            store.certification(&cert.id).await.unwrap().unwrap(),
        );
    }
    out
}

async fn items_of(store: &Arc<dyn Store>, cert: &CertificationId) -> Vec<ReviewItem> {
    store
        .list_items(cert, None, &page_query(250))
        .await
        .unwrap()
        .items
}

/// Campaigns read back as written; lists filter, sort, page and count; definition updates
/// and transitions are compare-and-set.
pub async fn campaigns_are_stored_listed_and_moved(store: Arc<dyn Store>) {
    for (id, name, day) in [
        ("c1", "Q1 review", 1),
        ("c2", "Q2 review", 2),
        ("c3", "Audit", 3),
    ] {
        let c = new_campaign(id, name, t(day));
        store
            .insert_campaign(
                &c,
                &task(&format!("{id}-t"), TaskType::CampaignCreate, id, t(day)),
                &event("campaign.created", id, t(day)),
            )
            .await
            .unwrap();
        assert_eq!(store.campaign(&id.into()).await.unwrap().unwrap(), c);
    }
    assert!(store.campaign(&"nope".into()).await.unwrap().is_none());

    let all = store.list_campaigns(&page_query(2)).await.unwrap();
    assert_eq!(all.total, Some(3));
    assert_eq!(
        all.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let q = filtered(
        r#"name sw "Q" and status eq "PENDING""#,
        &[SortKey::descending("name")],
    );
    let page = store.list_campaigns(&q).await.unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(
        page.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c2", "c1"]
    );
    let q = filtered(
        r#"created gt "2026-03-01T12:00:00Z" and not (id in ("c3"))"#,
        &[],
    );
    assert_eq!(store.list_campaigns(&q).await.unwrap().items.len(), 1);
    let q = filtered(
        r#"name co "review" or type eq "SEARCH""#,
        &[SortKey::ascending("created")],
    );
    let page = store.list_campaigns(&q).await.unwrap();
    assert_eq!(
        page.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );

    // Compare-and-set on the definition and the status.
    let mut def = campaign_definition("Q1 review (renamed)", CampaignScope::Manager);
    def.deadline = Some(t(30));
    assert!(!store
        .update_campaign_definition(
            &"c1".into(),
            CampaignStatus::Staged,
            &def,
            t(5),
            &event("campaign.updated", "c1", t(5))
        )
        .await
        .unwrap());
    assert!(store
        .update_campaign_definition(
            &"c1".into(),
            CampaignStatus::Pending,
            &def,
            t(5),
            &event("campaign.updated", "c1", t(5))
        )
        .await
        .unwrap());
    let c1 = store.campaign(&"c1".into()).await.unwrap().unwrap();
    assert_eq!(c1.definition, def);
    assert_eq!(c1.modified, t(5));
    let alert = CampaignAlert {
        level: AlertLevel::Error,
        message: "generation failed".into(),
    };
    assert!(store
        .transition_campaign(
            &"c1".into(),
            CampaignStatus::Pending,
            CampaignStatus::Error,
            t(6),
            std::slice::from_ref(&alert),
            None,
            &event("campaign.failed", "c1", t(6))
        )
        .await
        .unwrap());
    assert!(!store
        .transition_campaign(
            &"c1".into(),
            CampaignStatus::Pending,
            CampaignStatus::Staged,
            t(6),
            &[],
            None,
            &event("campaign.x", "c1", t(6))
        )
        .await
        .unwrap());
    let c1 = store.campaign(&"c1".into()).await.unwrap().unwrap();
    assert_eq!(c1.status, CampaignStatus::Error);
    assert_eq!(c1.alerts, vec![alert]);
    let actions: Vec<String> = store
        .audit_events(&"c1".into(), 10, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["campaign.created", "campaign.updated", "campaign.failed"]
    );
}

/// Each candidate scope selects what CONTRACTS.md says, with the facts generation needs.
pub async fn candidates_follow_each_scope(store: Arc<dyn Store>) {
    load_review_org(&store).await;
    let key = |c: &Candidate| {
        format!(
            "{}|{}|{}|{}|{}",
            c.identity_id.as_ref().map_or("-", |i| i.as_str()),
            c.account_id.as_ref().map_or("-", |i| i.as_str()),
            c.access_type,
            c.access_id,
            c.natural_reviewer.as_ref().map_or("-", |i| i.as_str()),
        )
    };
    let keys = |cs: &[Candidate]| {
        let mut k: Vec<String> = cs.iter().map(key).collect();
        k.sort();
        k
    };

    let manager = all_candidates(&store, &CandidateScope::Manager, 2).await;
    assert_eq!(
        keys(&manager),
        [
            "alice|-|ENTITLEMENT|e2|ceo",
            "bob|-|ENTITLEMENT|e2|alice",
            "bob|bob-ad|ENTITLEMENT|e1|alice",
            "carol|-|ENTITLEMENT|e1|alice",
            "carol|-|ROLE|r1|alice",
            "dave|-|ACCESS_PROFILE|ap1|ceo",
        ]
    );
    // Paging does not change the answer.
    assert_eq!(
        all_candidates(&store, &CandidateScope::Manager, 100).await,
        manager
    );
    let bob_e1 = manager
        .iter()
        .find(|c| c.access_id == "e1" && c.account_id.is_some())
        .unwrap();
    assert_eq!(bob_e1.holder_name, "User bob");
    assert_eq!(bob_e1.holder_active, Some(true));
    assert_eq!(bob_e1.holder_manager, Some("alice".into()));
    assert_eq!(bob_e1.access_name, "Group e1");
    assert_eq!(bob_e1.source_id, Some("ad".into()));
    assert_eq!(bob_e1.source_name.as_deref(), Some("Source ad"));
    assert_eq!(bob_e1.account_last_used, Some(t(1)));
    assert_eq!(bob_e1.granted_at, Some(t(2)));
    let carol_role = manager.iter().find(|c| c.access_id == "r1").unwrap();
    assert_eq!(carol_role.holder_active, Some(false));
    assert_eq!(carol_role.origin, Origin::RoleModel);
    assert_eq!(carol_role.access_name, "Engineer");
    assert_eq!(carol_role.source_id, None);
    let dave_ap = manager.iter().find(|c| c.access_id == "ap1").unwrap();
    assert_eq!(dave_ap.source_id, Some("ad".into()));

    let correlated = all_candidates(
        &store,
        &CandidateScope::SourceOwner {
            source_ids: vec!["ad".into()],
            correlated: CorrelatedStatus::Correlated,
        },
        3,
    )
    .await;
    assert_eq!(
        keys(&correlated),
        [
            "alice|-|ENTITLEMENT|e2|ceo",
            "bob|-|ENTITLEMENT|e2|ceo",
            "bob|bob-ad|ENTITLEMENT|e1|ceo",
            "carol|-|ENTITLEMENT|e1|ceo",
            "dave|-|ACCESS_PROFILE|ap1|ceo",
        ]
    );
    let elsewhere = all_candidates(
        &store,
        &CandidateScope::SourceOwner {
            source_ids: vec!["hr".into()],
            correlated: CorrelatedStatus::Correlated,
        },
        3,
    )
    .await;
    assert!(elsewhere.is_empty());

    let uncorrelated = all_candidates(
        &store,
        &CandidateScope::SourceOwner {
            source_ids: vec!["ad".into()],
            correlated: CorrelatedStatus::Uncorrelated,
        },
        1,
    )
    .await;
    assert_eq!(
        keys(&uncorrelated),
        ["-|orphan|ACCOUNT|orphan|ceo", "-|orphan|ENTITLEMENT|e1|ceo"]
    );
    let orphan = uncorrelated
        .iter()
        .find(|c| c.access_type == ItemAccessType::Account)
        .unwrap();
    assert_eq!(orphan.holder_name, "orphan");
    assert_eq!(orphan.origin, Origin::Discovered);
    assert_eq!(orphan.holder_active, None);

    let machine = all_candidates(
        &store,
        &CandidateScope::MachineAccounts(vec!["ad".into()]),
        1,
    )
    .await;
    assert_eq!(
        keys(&machine),
        ["-|svc|ACCOUNT|svc|carol", "-|svc|ENTITLEMENT|e2|carol"]
    );

    let chosen = all_candidates(
        &store,
        &CandidateScope::Identities(vec!["bob".into(), "dave".into()]),
        2,
    )
    .await;
    assert_eq!(
        keys(&chosen),
        [
            "bob|-|ENTITLEMENT|e2|-",
            "bob|bob-ad|ENTITLEMENT|e1|-",
            "dave|-|ACCESS_PROFILE|ap1|-",
        ]
    );

    let members = all_candidates(&store, &CandidateScope::RoleMembers(None), 1).await;
    assert_eq!(members.len(), 2);
    for m in &members {
        assert_eq!(m.role_id, Some("r1".into()));
        assert_eq!(m.holder_name, "Engineer");
        assert_eq!(m.natural_reviewer, Some("dave".into()));
        assert_eq!(m.origin, Origin::RoleModel);
        assert_eq!(m.identity_id, None);
    }
    let mut member_access: Vec<(ItemAccessType, &str)> = members
        .iter()
        .map(|m| (m.access_type, m.access_id.as_str()))
        .collect();
    member_access.sort();
    assert_eq!(
        member_access,
        [
            (ItemAccessType::Entitlement, "e2"),
            (ItemAccessType::AccessProfile, "ap1")
        ]
    );
    let none = all_candidates(
        &store,
        &CandidateScope::RoleMembers(Some(vec!["r9".into()])),
        5,
    )
    .await;
    assert!(none.is_empty());

    let page = store.identities_page(None, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    let (_, bob) = &page[1];
    assert_eq!(bob["name"], "user.bob");
    assert_eq!(bob["managerId"], "alice");
    assert_eq!(bob["active"], true);
    assert_eq!(bob["costCenter"], "CC-100");
    let rest = store
        .identities_page(Some(&"bob".into()), 10)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["carol", "ceo", "dave"]
    );
    assert_eq!(rest[0].1["active"], false);
}

/// Generation writes items, certifications, summaries and counters; activation opens the
/// certifications; generation cannot finish twice.
pub async fn generation_and_activation_write_counters(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "gen").await;
    let campaign = store.campaign(&"gen".into()).await.unwrap().unwrap();
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.activated, Some(t(4)));
    assert_eq!(
        campaign.counts,
        CampaignCounts {
            certifications_total: 2,
            certifications_completed: 0,
            items_total: 6,
            items_decided: 0,
            identities_total: 4,
        }
    );
    assert_eq!(campaign.source_ids, vec![SourceId::from("ad")]);
    assert_eq!(campaign.alerts.len(), 1);
    let alice = &certs["alice"];
    assert_eq!(alice.phase, CertificationPhase::Active);
    assert_eq!(alice.due, Some(t(28)));
    assert_eq!(alice.campaign_name, "Q1 access review");
    assert_eq!(alice.counts.entitlements.total, 3);
    assert_eq!(alice.counts.roles.total, 1);
    assert_eq!(alice.counts.identities_total, 2);
    assert_eq!(certs["ceo"].counts.access_profiles.total, 1);

    // Certification lists: scope, filter, sort, count.
    let all = store
        .list_certifications(&CertificationScope::All, &page_query(10))
        .await
        .unwrap();
    assert_eq!(all.total, Some(2));
    let mine = store
        .list_certifications(
            &CertificationScope::ReviewedBy("alice".into()),
            &page_query(10),
        )
        .await
        .unwrap();
    assert_eq!(mine.items, vec![alice.clone()]);
    let q = filtered(
        r#"campaign.id eq "gen" and completed eq false"#,
        &[SortKey::descending("reviewer.name")],
    );
    let page = store
        .list_certifications(&CertificationScope::All, &q)
        .await
        .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|c| c.reviewer.as_str())
            .collect::<Vec<_>>(),
        ["ceo", "alice"]
    );
    assert!(store.is_reviewer(&alice.id, &"alice".into()).await.unwrap());
    assert!(!store.is_reviewer(&alice.id, &"bob".into()).await.unwrap());
    let reviewers = store
        .certification_reviewers(&alice.id, &page_query(10))
        .await
        .unwrap();
    assert_eq!(
        reviewers
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["alice"]
    );

    // Items and summaries.
    let items = items_of(&store, &alice.id).await;
    assert_eq!(items.len(), 4);
    assert!(items
        .iter()
        .all(|i| i.decision.is_none() && i.campaign_id.as_str() == "gen"));
    let discovered = items
        .iter()
        .find(|i| i.origin == Origin::Discovered)
        .unwrap();
    assert_eq!(discovered.recommendation, Some(Decision::Revoke));
    assert_eq!(discovered.recommendation_reasons.len(), 1);
    assert_eq!(
        store.item(&alice.id, discovered.id).await.unwrap().as_ref(),
        Some(discovered)
    );
    assert!(store
        .item(&certs["ceo"].id, discovered.id)
        .await
        .unwrap()
        .is_none());
    let q = filtered(
        r#"identitySummary.identityId eq "carol" and access.type eq "ROLE""#,
        &[],
    );
    let roles = store.list_items(&alice.id, None, &q).await.unwrap();
    assert_eq!(roles.total, Some(1));
    assert_eq!(roles.items[0].access_id, "r1");
    let narrowed = store
        .list_items(&alice.id, Some(&["e1".to_owned()]), &page_query(10))
        .await
        .unwrap();
    assert_eq!(narrowed.total, Some(2));
    let q = filtered(
        r#"entitlement.sourceName eq "Source ad""#,
        &[
            SortKey::descending("access.name"),
            SortKey::ascending("identitySummary.name"),
        ],
    );
    let ents = store.list_items(&alice.id, None, &q).await.unwrap();
    assert_eq!(
        ents.items
            .iter()
            .map(|i| (i.access_id.as_str(), i.holder_name.as_str()))
            .collect::<Vec<_>>(),
        [("e2", "User bob"), ("e1", "User bob"), ("e1", "User carol")]
    );
    let access = store
        .list_access_summaries(&alice.id, ItemAccessType::Entitlement, &page_query(10))
        .await
        .unwrap();
    assert_eq!(
        access
            .items
            .iter()
            .map(|i| i.access_id.as_str())
            .collect::<Vec<_>>(),
        ["e1", "e2"]
    );
    let summaries = store
        .list_identity_summaries(&alice.id, &page_query(10))
        .await
        .unwrap();
    assert_eq!(summaries.total, Some(2));
    let bob = summaries
        .items
        .iter()
        .find(|s| s.identity_id == Some("bob".into()))
        .unwrap();
    assert_eq!(
        (bob.items_total, bob.items_decided, bob.name.as_str()),
        (2, 0, "User bob")
    );
    assert_eq!(
        store
            .identity_summary(&alice.id, bob.id)
            .await
            .unwrap()
            .as_ref(),
        Some(bob)
    );

    // Finishing generation or activation again finds the campaign moved on.
    let again = GenerationResult {
        certifications: Vec::new(),
        identity_summaries: Vec::new(),
        counts: CampaignCounts::default(),
        source_ids: Vec::new(),
        alerts: Vec::new(),
    };
    assert!(!store
        .finish_generation(&"gen".into(), &again, t(5), &event("x", "gen", t(5)))
        .await
        .unwrap());
    assert!(!store
        .finish_activation(&"gen".into(), t(5), &event("x", "gen", t(5)))
        .await
        .unwrap());
    assert_eq!(
        store
            .campaign(&"gen".into())
            .await
            .unwrap()
            .unwrap()
            .counts
            .items_total,
        6
    );
}

/// Decisions are atomic, keep every counter exact, and are audited one by one.
pub async fn decisions_update_counters_atomically(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "dec").await;
    let alice = &certs["alice"];
    let items = items_of(&store, &alice.id).await;
    let decision = |item: &ReviewItem, d: Decision| ItemDecision {
        item_id: item.id,
        decision: d,
        comments: Some("checked".into()),
        proposed_end_date: None,
    };
    let foreign = items_of(&store, &certs["ceo"].id).await[0].id;

    // An unknown item refuses the whole batch, naming the item.
    let refused = store
        .decide(
            &alice.id,
            &[
                decision(&items[0], Decision::Approve),
                ItemDecision {
                    item_id: foreign,
                    decision: Decision::Approve,
                    comments: None,
                    proposed_end_date: None,
                },
            ],
            &actor("alice"),
            t(5),
        )
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(CertificationRefusal::UnknownItem(foreign.to_string()))
    );
    assert_eq!(
        store
            .certification(&alice.id)
            .await
            .unwrap()
            .unwrap()
            .counts
            .items_decided(),
        0
    );
    assert_eq!(
        store
            .item(&alice.id, items[0].id)
            .await
            .unwrap()
            .unwrap()
            .decision,
        None
    );
    assert_eq!(
        store
            .decide(&"missing".into(), &[], &actor("alice"), t(5))
            .await
            .unwrap(),
        Err(CertificationRefusal::NotFound)
    );

    // Decide every item of bob: approve one, revoke the other.
    let bobs: Vec<&ReviewItem> = items
        .iter()
        .filter(|i| i.identity_id == Some("bob".into()))
        .collect();
    let mut revoke = decision(bobs[1], Decision::Revoke);
    revoke.proposed_end_date = Some(t(20));
    let cert = store
        .decide(
            &alice.id,
            &[decision(bobs[0], Decision::Approve), revoke],
            &actor("alice"),
            t(5),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.counts.items_decided(), 2);
    assert_eq!(cert.counts.entitlements.decided, 2);
    assert_eq!(cert.counts.entitlements.approved, 1);
    assert_eq!(cert.counts.entitlements.revoked, 1);
    assert_eq!(cert.counts.identities_completed, 1);
    let stored = store.item(&alice.id, bobs[1].id).await.unwrap().unwrap();
    assert_eq!(stored.decision, Some(Decision::Revoke));
    assert_eq!(stored.comments.as_deref(), Some("checked"));
    assert_eq!(stored.proposed_end_date, Some(t(20)));
    assert_eq!(stored.decided_by, Some("alice".into()));
    assert_eq!(stored.decided_at, Some(t(5)));

    // Re-deciding changes approved/revoked, never decided.
    let cert = store
        .decide(
            &alice.id,
            &[decision(bobs[1], Decision::Approve)],
            &actor("alice"),
            t(6),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cert.counts.entitlements.decided, 2);
    assert_eq!(cert.counts.entitlements.approved, 2);
    assert_eq!(cert.counts.entitlements.revoked, 0);
    assert_eq!(cert.counts.identities_completed, 1);
    assert_eq!(
        store
            .item(&alice.id, bobs[1].id)
            .await
            .unwrap()
            .unwrap()
            .proposed_end_date,
        None
    );
    let campaign = store.campaign(&"dec".into()).await.unwrap().unwrap();
    assert_eq!(campaign.counts.items_decided, 2);

    // Summaries and filters see the decisions.
    let summaries = store
        .list_identity_summaries(&alice.id, &filtered("completed eq true", &[]))
        .await
        .unwrap();
    assert_eq!(summaries.items.len(), 1);
    assert_eq!(summaries.items[0].identity_id, Some("bob".into()));
    assert_eq!(summaries.items[0].items_decided, 2);
    let open = store
        .list_items(&alice.id, None, &filtered("completed eq false", &[]))
        .await
        .unwrap();
    assert_eq!(open.total, Some(2));

    let decided: Vec<AuditEvent> = store
        .audit_events(&"dec".into(), 100, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "item.decided")
        .collect();
    assert_eq!(decided.len(), 3);
    assert_eq!(decided[2].item_id, Some(bobs[1].id));
    assert_eq!(decided[2].actor, actor("alice"));
}

/// Reassignment moves items and holders, keeps decisions, and adjusts both certifications.
pub async fn reassignment_moves_items_and_counters(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "re").await;
    let alice = &certs["alice"];
    let items = items_of(&store, &alice.id).await;
    let bob_items: Vec<&ReviewItem> = items
        .iter()
        .filter(|i| i.identity_id == Some("bob".into()))
        .collect();
    store
        .decide(
            &alice.id,
            &[ItemDecision {
                item_id: bob_items[0].id,
                decision: Decision::Revoke,
                comments: None,
                proposed_end_date: None,
            }],
            &actor("alice"),
            t(5),
        )
        .await
        .unwrap()
        .unwrap();

    // Unknown targets are refused, nothing moves.
    assert_eq!(
        store
            .reassign(
                &alice.id,
                &[ReassignTarget::Item(ReviewItemId(999_999))],
                &"dave".into(),
                "x",
                &actor("alice"),
                t(6)
            )
            .await
            .unwrap(),
        Err(CertificationRefusal::UnknownItem("999999".into()))
    );
    assert_eq!(
        store
            .reassign(
                &alice.id,
                &[ReassignTarget::Identity("dave".into())],
                &"dave".into(),
                "x",
                &actor("alice"),
                t(6)
            )
            .await
            .unwrap(),
        Err(CertificationRefusal::UnknownIdentity("dave".into()))
    );

    // One decided item of bob goes to dave, who has no certification yet.
    let dave = store
        .reassign(
            &alice.id,
            &[ReassignTarget::Item(bob_items[0].id)],
            &"dave".into(),
            "dave owns e1",
            &actor("alice"),
            t(6),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dave.reviewer, IdentityId::from("dave"));
    assert_eq!(dave.reviewer_name, "User dave");
    assert_eq!(dave.phase, CertificationPhase::Active);
    assert_eq!(dave.due, Some(t(28)));
    assert_eq!(dave.campaign_id.as_str(), "re");
    assert_eq!(
        dave.reassignment,
        Some(ReassignmentRecord {
            from_certification: alice.id.clone(),
            from_reviewer: "alice".into(),
            comment: "dave owns e1".into(),
        })
    );
    assert_eq!(dave.counts.items_total(), 1);
    assert_eq!(dave.counts.entitlements.revoked, 1);
    assert_eq!(dave.counts.identities_total, 1);
    assert_eq!(dave.counts.identities_completed, 1);
    let moved = store
        .item(&dave.id, bob_items[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.decision, Some(Decision::Revoke));
    assert_eq!(moved.reassigned_from, Some(alice.id.clone()));
    assert_eq!(moved.reassignment_reason.as_deref(), Some("dave owns e1"));
    assert!(store
        .item(&alice.id, bob_items[0].id)
        .await
        .unwrap()
        .is_none());
    let after = store.certification(&alice.id).await.unwrap().unwrap();
    assert_eq!(after.counts.items_total(), 3);
    assert_eq!(after.counts.items_decided(), 0);
    assert_eq!(after.counts.entitlements.revoked, 0);
    assert_eq!(after.counts.identities_total, 2);
    let bob_summary = store
        .list_identity_summaries(&alice.id, &filtered(r#"identityId eq "bob""#, &[]))
        .await
        .unwrap()
        .items;
    assert_eq!(
        (bob_summary[0].items_total, bob_summary[0].items_decided),
        (1, 0)
    );
    let dave_summaries = store
        .list_identity_summaries(&dave.id, &page_query(10))
        .await
        .unwrap();
    assert_eq!(dave_summaries.items.len(), 1);
    assert_eq!(dave_summaries.items[0].identity_id, Some("bob".into()));
    assert_eq!(moved.identity_summary_id, dave_summaries.items[0].id);

    // All of carol's items go to ceo's existing certification; her summary moves along.
    let ceo = store
        .reassign(
            &alice.id,
            &[ReassignTarget::Identity("carol".into())],
            &"ceo".into(),
            "conflict",
            &actor("alice"),
            t(7),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ceo.id, certs["ceo"].id);
    assert_eq!(ceo.counts.items_total(), 4);
    assert_eq!(ceo.counts.roles.total, 1);
    assert_eq!(ceo.counts.identities_total, 3);
    let after = store.certification(&alice.id).await.unwrap().unwrap();
    assert_eq!(after.counts.items_total(), 1);
    assert_eq!(after.counts.identities_total, 1);
    assert_eq!(
        store
            .list_items(
                &ceo.id,
                None,
                &filtered(r#"identitySummary.identityId eq "carol""#, &[])
            )
            .await
            .unwrap()
            .total,
        Some(2)
    );

    let campaign = store.campaign(&"re".into()).await.unwrap().unwrap();
    assert_eq!(campaign.counts.items_total, 6);
    assert_eq!(campaign.counts.items_decided, 1);
    assert_eq!(campaign.counts.certifications_total, 3);

    // A signed certification is read-only.
    let sign = store
        .sign_off(&dave.id, &actor("dave"), t(8))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sign.0.phase, CertificationPhase::Signed);
    assert_eq!(
        store
            .reassign(
                &dave.id,
                &[ReassignTarget::Item(bob_items[0].id)],
                &"ceo".into(),
                "x",
                &actor("dave"),
                t(9)
            )
            .await
            .unwrap(),
        Err(CertificationRefusal::NotActive(CertificationPhase::Signed))
    );

    // An administrator moves alice's whole certification into ceo's.
    let merged = store
        .reassign_certifications(
            &"re".into(),
            std::slice::from_ref(&alice.id),
            &"ceo".into(),
            "alice left",
            &actor("ceo"),
            t(9),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(merged.id, ceo.id);
    assert_eq!(merged.counts.items_total(), 5);
    assert!(store.certification(&alice.id).await.unwrap().is_none());
    assert_eq!(
        store
            .campaign(&"re".into())
            .await
            .unwrap()
            .unwrap()
            .counts
            .certifications_total,
        2
    );
}

/// Sign-off waits for every decision, then writes one order per revoke; completion decides
/// the rest, signs everything and orders every revoke once.
pub async fn sign_off_and_completion_write_orders(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "so").await;
    let alice = &certs["alice"];
    assert_eq!(
        store
            .sign_off(&alice.id, &actor("alice"), t(5))
            .await
            .unwrap(),
        Err(CertificationRefusal::Undecided(4))
    );
    let items = items_of(&store, &alice.id).await;
    let decisions: Vec<ItemDecision> = items
        .iter()
        .enumerate()
        .map(|(n, i)| ItemDecision {
            item_id: i.id,
            decision: if n == 0 {
                Decision::Revoke
            } else {
                Decision::Approve
            },
            comments: Some(format!("item {n}")),
            proposed_end_date: (n == 0).then(|| t(25)),
        })
        .collect();
    store
        .decide(&alice.id, &decisions, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    let (signed, outcome) = store
        .sign_off(&alice.id, &actor("alice"), t(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed.phase, CertificationPhase::Signed);
    assert_eq!(signed.signed, Some(t(6)));
    assert_eq!(
        outcome,
        SignOffOutcome {
            orders_created: 1,
            campaign_all_signed: false,
        }
    );
    assert_eq!(
        store
            .sign_off(&alice.id, &actor("alice"), t(6))
            .await
            .unwrap(),
        Err(CertificationRefusal::NotActive(CertificationPhase::Signed))
    );
    assert_eq!(
        store
            .decide(&alice.id, &decisions[..1], &actor("alice"), t(6))
            .await
            .unwrap(),
        Err(CertificationRefusal::NotActive(CertificationPhase::Signed))
    );
    let orders = store
        .list_orders(&OrderQuery {
            campaign_id: Some("so".into()),
            status: None,
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 1);
    let order = &orders.items[0];
    assert_eq!(order.item_id, items[0].id);
    assert_eq!(order.due, t(25));
    assert_eq!(order.reason.as_deref(), Some("item 0"));
    assert_eq!(order.reviewer, Some("alice".into()));
    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(order.decision, Decision::Revoke);
    assert_eq!(order.certification_id, alice.id);
    assert_eq!(
        store
            .campaign(&"so".into())
            .await
            .unwrap()
            .unwrap()
            .counts
            .certifications_completed,
        1
    );

    // Completion with auto-revoke: ceo's two undecided items are revoked and ordered.
    assert!(!store
        .complete_campaign(
            &"so".into(),
            Decision::Revoke,
            t(7),
            &event("campaign.completed", "so", t(7))
        )
        .await
        .unwrap());
    assert!(store
        .transition_campaign(
            &"so".into(),
            CampaignStatus::Active,
            CampaignStatus::Completing,
            t(7),
            &[],
            Some(&task("so-complete", TaskType::CompleteCampaign, "so", t(7))),
            &event("campaign.completing", "so", t(7))
        )
        .await
        .unwrap());
    assert!(store
        .complete_campaign(
            &"so".into(),
            Decision::Revoke,
            t(8),
            &event("campaign.completed", "so", t(8))
        )
        .await
        .unwrap());
    let campaign = store.campaign(&"so".into()).await.unwrap().unwrap();
    assert_eq!(campaign.status, CampaignStatus::Completed);
    assert_eq!(campaign.completed, Some(t(8)));
    assert_eq!(campaign.counts.items_decided, 6);
    assert_eq!(campaign.counts.certifications_completed, 2);
    let ceo = store
        .certification(&certs["ceo"].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ceo.phase, CertificationPhase::Signed);
    assert_eq!(ceo.signed, Some(t(8)));
    assert_eq!(ceo.counts.items_decided(), 2);
    assert_eq!(
        ceo.counts.entitlements.revoked + ceo.counts.access_profiles.revoked,
        2
    );
    assert_eq!(ceo.counts.identities_completed, 2);
    let alice_after = store.certification(&alice.id).await.unwrap().unwrap();
    assert_eq!(alice_after.signed, Some(t(6)));
    let orders = store
        .list_orders(&OrderQuery {
            campaign_id: Some("so".into()),
            status: Some(OrderStatus::Pending),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(orders.total, Some(3));
    let auto: Vec<&ProvisioningOrder> = orders
        .items
        .iter()
        .filter(|o| o.reviewer.is_none())
        .collect();
    assert_eq!(auto.len(), 2);
    assert!(auto.iter().all(|o| o.due == t(8) && o.reason.is_some()));
    assert!(!store
        .complete_campaign(
            &"so".into(),
            Decision::Revoke,
            t(9),
            &event("campaign.completed", "so", t(9))
        )
        .await
        .unwrap());
    let summaries = store
        .list_identity_summaries(&certs["ceo"].id, &filtered("completed eq false", &[]))
        .await
        .unwrap();
    assert_eq!(summaries.total, Some(0));
}

/// Tasks are claimed oldest first under a lease, retried, finished, listed.
pub async fn tasks_are_claimed_under_a_lease(store: Arc<dyn Store>) {
    let first = task("t1", TaskType::CampaignCreate, "c1", t(1));
    let mut later = task("t2", TaskType::ActivateCampaign, "c1", t(2));
    later.run_after = t(10);
    let mut other = task("t3", TaskType::Reassign, "cert-1", t(3));
    other.target_type = TaskTarget::Certification;
    store.insert_task(&first, None).await.unwrap();
    store
        .insert_task(&later, Some(&event("task.queued", "c1", t(2))))
        .await
        .unwrap();
    store.insert_task(&other, None).await.unwrap();
    assert_eq!(store.task(&"t1".into()).await.unwrap().unwrap(), first);

    let claimed = store.claim_task("w1", t(4), t(5)).await.unwrap().unwrap();
    assert_eq!(claimed.id.as_str(), "t1");
    assert_eq!(claimed.status, TaskStatus::InProgress);
    assert_eq!(claimed.attempts, 1);
    let claimed = store.claim_task("w2", t(4), t(5)).await.unwrap().unwrap();
    assert_eq!(claimed.id.as_str(), "t3");
    assert!(store.claim_task("w2", t(4), t(5)).await.unwrap().is_none());
    // w1 died: its lease runs out and the task is claimed again.
    let again = store.claim_task("w2", t(6), t(7)).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.attempts), ("t1", 2));
    store
        .finish_task(
            &"t1".into(),
            TaskStatus::Queued,
            &["timeout".into()],
            &[],
            Some(t(8)),
        )
        .await
        .unwrap();
    let retried = store.task(&"t1".into()).await.unwrap().unwrap();
    assert_eq!(
        (retried.status, retried.run_after),
        (TaskStatus::Queued, t(8))
    );
    assert_eq!(retried.errors, vec!["timeout".to_owned()]);
    assert!(
        store
            .claim_task("w2", t(7), t(9))
            .await
            .unwrap()
            .map(|t| t.id.0)
            != Some("t1".into())
    );
    let trail = ReassignmentTrail {
        previous_owner: "alice".into(),
        new_owner: "dave".into(),
        reassignment_type: "MANUAL_REASSIGNMENT".into(),
    };
    store
        .finish_task(
            &"t3".into(),
            TaskStatus::Success,
            &[],
            std::slice::from_ref(&trail),
            None,
        )
        .await
        .unwrap();
    let done = store.task(&"t3".into()).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.reassignment_trail.clone()),
        (TaskStatus::Success, vec![trail])
    );

    let of_c1 = store.tasks_of("c1", false).await.unwrap();
    assert_eq!(
        of_c1.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t2", "t1"]
    );
    let pending = store.tasks_of("cert-1", true).await.unwrap();
    assert!(pending.is_empty());
    let listed = store
        .list_tasks(&filtered(
            r#"targetId eq "c1" and status eq "QUEUED""#,
            &[SortKey::descending("type")],
        ))
        .await
        .unwrap();
    assert_eq!(listed.total, Some(2));
    assert_eq!(
        listed
            .items
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["t1", "t2"]
    );
    assert!(store.task(&"none".into()).await.unwrap().is_none());
}

/// Concurrent allocations never overlap.
pub async fn allocated_ids_never_repeat(store: Arc<dyn Store>) {
    let mut handles = Vec::new();
    for n in 1..=8_i64 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut ranges = Vec::new();
            for _ in 0..5 {
                let first = store.allocate_ids(n * 10).await.unwrap();
                ranges.push((first, first + n * 10));
            }
            ranges
        }));
    }
    let mut ranges = Vec::new();
    for h in handles {
        ranges.extend(h.await.unwrap());
    }
    ranges.sort();
    assert!(ranges[0].0 >= 1);
    for pair in ranges.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "ranges overlap: {pair:?}");
    }
}

/// Audit events are appended and survive everything else, including deleting the campaign;
/// deleting a campaign removes everything in it except its orders and audit trail.
pub async fn deleting_campaigns_keeps_the_audit_trail(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "del").await;
    let alice = &certs["alice"];
    let items = items_of(&store, &alice.id).await;
    let decisions: Vec<ItemDecision> = items
        .iter()
        .map(|i| ItemDecision {
            item_id: i.id,
            decision: Decision::Revoke,
            comments: None,
            proposed_end_date: None,
        })
        .collect();
    store
        .decide(&alice.id, &decisions, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    store
        .sign_off(&alice.id, &actor("alice"), t(6))
        .await
        .unwrap()
        .unwrap();
    let mut reassign = task("del-re", TaskType::Reassign, alice.id.as_str(), t(6));
    reassign.target_type = TaskTarget::Certification;
    store.insert_task(&reassign, None).await.unwrap();
    store
        .append_audit(&[event("access.refused", "del", t(6))])
        .await
        .unwrap();
    let before = store.audit_events(&"del".into(), 1000, 0).await.unwrap();
    assert!(before.len() >= 5 + items.len());
    assert_eq!(before.last().unwrap().action, "access.refused");
    assert_eq!(before[0], event("campaign.created", "del", t(2)));
    assert_eq!(
        store.audit_events(&"del".into(), 2, 1).await.unwrap(),
        before[1..3].to_vec()
    );

    let deleted = store
        .delete_campaigns(
            &["del".into(), "unknown".into()],
            &[event("campaign.deleted", "del", t(7))],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert!(store.campaign(&"del".into()).await.unwrap().is_none());
    assert!(store.certification(&alice.id).await.unwrap().is_none());
    assert!(store.item(&alice.id, items[0].id).await.unwrap().is_none());
    assert_eq!(
        store
            .list_items(&alice.id, None, &page_query(10))
            .await
            .unwrap()
            .total,
        Some(0)
    );
    assert!(store
        .tasks_of(alice.id.as_str(), false)
        .await
        .unwrap()
        .is_empty());
    assert!(store.tasks_of("del", false).await.unwrap().is_empty());
    let after = store.audit_events(&"del".into(), 1000, 0).await.unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(after.last().unwrap().action, "campaign.deleted");
    let orders = store
        .list_orders(&OrderQuery {
            campaign_id: Some("del".into()),
            status: None,
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 4);

    // A regenerated campaign starts from nothing.
    let c = new_campaign("del2", "again", t(8));
    store
        .insert_campaign(
            &c,
            &task("del2-t", TaskType::CampaignCreate, "del2", t(8)),
            &event("campaign.created", "del2", t(8)),
        )
        .await
        .unwrap();
    let first = generate_manager_campaign(&store, &c).await;
    assert_eq!(first.len(), 2);
    assert_eq!(
        store
            .campaign(&"del2".into())
            .await
            .unwrap()
            .unwrap()
            .counts
            .items_total,
        6
    );
}

/// The batch reads answer what the one-record reads answer, for the ids that exist, each once.
pub async fn batch_reads_match_single_reads(store: Arc<dyn Store>) {
    load_small_org(&store).await;
    fn sorted<T: Clone, K: Ord>(mut v: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
        v.sort_by_key(|x| key(x));
        v
    }

    let identities = store
        .identities(&["bob".into(), "nobody".into(), "ceo".into(), "bob".into()])
        .await
        .unwrap();
    assert_eq!(
        sorted(identities, |i| i.id.0.clone()),
        vec![
            store.identity(&"bob".into()).await.unwrap().unwrap(),
            store.identity(&"ceo".into()).await.unwrap().unwrap(),
        ]
    );
    assert!(store.identities(&[]).await.unwrap().is_empty());

    assert_eq!(
        store.sources(&["ad".into(), "gone".into()]).await.unwrap(),
        vec![source("ad", "ceo")]
    );

    let entitlements = store
        .entitlements(&["users".into(), "admins".into(), "gone".into()])
        .await
        .unwrap();
    assert_eq!(
        sorted(entitlements, |e| e.id.0.clone()),
        vec![
            entitlement("admins", "ad", true),
            entitlement("users", "ad", false),
        ]
    );
    assert_eq!(
        store
            .entitlements_with_permissions(&["users".into(), "admins".into(), "admins".into()])
            .await
            .unwrap(),
        vec![EntitlementId::from("admins")]
    );

    assert_eq!(
        store
            .access_profiles(&["ap1".into(), "gone".into(), "ap1".into()])
            .await
            .unwrap(),
        vec![store.access_profile(&"ap1".into()).await.unwrap().unwrap()]
    );
    let roles = store.roles(&["r1".into()]).await.unwrap();
    assert_eq!(
        roles,
        vec![store.role(&"r1".into()).await.unwrap().unwrap()]
    );
    assert_eq!(
        roles[0].access_profile_ids,
        vec![AccessProfileId::from("ap1")]
    );
    assert!(store.roles(&["gone".into()]).await.unwrap().is_empty());

    let accounts = store
        .accounts(&["svc".into(), "bob-ad".into(), "gone".into()])
        .await
        .unwrap();
    assert_eq!(
        sorted(accounts, |a| a.id.0.clone()),
        vec![
            store.account(&"bob-ad".into()).await.unwrap().unwrap(),
            store.account(&"svc".into()).await.unwrap().unwrap(),
        ]
    );
}

/// The warehouse version changes when an import commits, and not when one is rolled back or
/// when campaigns are written.
pub async fn warehouse_version_moves_with_each_import(store: Arc<dyn Store>) {
    let empty = store.warehouse_version().await.unwrap();
    load_small_org(&store).await;
    let first = store.warehouse_version().await.unwrap();
    assert_ne!(first, empty);
    let mut tx = store.begin_import(t(5)).await.unwrap();
    tx.upsert_identities(&[identity("dave", Some("ceo"))])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(store.warehouse_version().await.unwrap(), first);
    let mut tx = store.begin_import(t(6)).await.unwrap();
    tx.upsert_identities(&[identity("dave", Some("ceo"))])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let second = store.warehouse_version().await.unwrap();
    assert_ne!(second, first);
    assert_eq!(store.warehouse_version().await.unwrap(), second);
}

/// An item page is what the separate reads give: the certification, the list (filtered,
/// sorted, narrowed, paged and counted), the items' identity summaries and accounts, and the
/// warehouse version; a certification that does not exist has no page.
pub async fn item_pages_hold_what_their_items_need(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "pages").await;
    let alice = &certs["alice"];
    let queries = [
        page_query(250),
        filtered(
            "completed eq false",
            &[
                SortKey::ascending("identitySummary.name"),
                SortKey::descending("access.name"),
            ],
        ),
        ListQuery {
            offset: 1,
            limit: 2,
            count: false,
            ..filtered(r#"access.type eq "ENTITLEMENT""#, &[])
        },
        ListQuery {
            offset: 100,
            ..page_query(10)
        },
    ];
    let narrowings: [Option<&[String]>; 2] = [None, Some(&["e1".to_owned()])];
    let mut saw_accounts = false;
    for query in &queries {
        for narrowed in narrowings {
            let page = store
                .item_page(&alice.id, narrowed, query)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&page.certification, alice);
            let items = store.list_items(&alice.id, narrowed, query).await.unwrap();
            assert_eq!(page.items, items, "{query:?} {narrowed:?}");
            let mut summaries = Vec::new();
            for id in items
                .items
                .iter()
                .map(|i| i.identity_summary_id)
                .collect::<BTreeSet<_>>()
            {
                summaries.push(
                    store
                        .identity_summary(&alice.id, id)
                        .await
                        .unwrap()
                        .unwrap(),
                );
            }
            let mut got = page.summaries.clone();
            got.sort_by_key(|s| s.id);
            assert_eq!(got, summaries);
            let account_ids: Vec<AccountId> = items
                .items
                .iter()
                .filter_map(|i| i.account_id.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut expected = store.accounts(&account_ids).await.unwrap();
            expected.sort_by(|a, b| a.id.cmp(&b.id));
            let mut got = page.accounts.clone();
            got.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(got, expected);
            saw_accounts |= !got.is_empty();
            assert_eq!(
                page.warehouse_version,
                store.warehouse_version().await.unwrap()
            );
        }
    }
    assert!(saw_accounts, "the story's items name accounts");
    assert!(store
        .item_page(&CertificationId::from("nobody"), None, &page_query(10))
        .await
        .unwrap()
        .is_none());
}

/// A decision made as the certification's reviewer is refused as not found, and writes
/// nothing, when someone else reviews it; made by its reviewer, it is applied as any other.
pub async fn decisions_as_reviewer_check_the_reviewer(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "rev").await;
    let alice = &certs["alice"];
    assert_eq!(alice.reviewer, IdentityId::from("alice"));
    let items = items_of(&store, &alice.id).await;
    let decision = [ItemDecision {
        item_id: items[0].id,
        decision: Decision::Approve,
        comments: Some("checked".into()),
        proposed_end_date: None,
    }];
    let refused = store
        .decide_as_reviewer(&alice.id, &"ceo".into(), &decision, &actor("ceo"), t(5))
        .await
        .unwrap();
    assert_eq!(refused, Err(CertificationRefusal::NotFound));
    let unchanged = store.certification(&alice.id).await.unwrap().unwrap();
    assert_eq!(unchanged.counts.items_decided(), 0);
    let applied = store
        .decide_as_reviewer(&alice.id, &"alice".into(), &decision, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.counts.items_decided(), 1);

    // Once the campaign is no longer ACTIVE, nothing is decided, whoever asks.
    assert!(store
        .transition_campaign(
            &alice.campaign_id,
            CampaignStatus::Active,
            CampaignStatus::Completing,
            t(6),
            &[],
            None,
            &event("campaign.completing", alice.campaign_id.as_str(), t(6)),
        )
        .await
        .unwrap());
    let alice_actor = actor("alice");
    let late = [
        store
            .decide(&alice.id, &decision, &alice_actor, t(6))
            .await
            .unwrap(),
        store
            .decide_as_reviewer(&alice.id, &alice.reviewer, &decision, &alice_actor, t(6))
            .await
            .unwrap(),
    ];
    for refused in late {
        assert_eq!(
            refused,
            Err(CertificationRefusal::CampaignNotActive(
                CampaignStatus::Completing
            ))
        );
    }
}

// ---- campaign templates and schedules ----

fn template(id: &str, name: &str, created: DateTime<Utc>) -> template::CampaignTemplate {
    template::CampaignTemplate {
        id: id.into(),
        name: name.into(),
        description: format!("{name} template"),
        owner: "ceo".into(),
        created,
        modified: None,
        deadline_duration: Some("P2W".into()),
        campaign: campaign_definition("Review %Y-%m", CampaignScope::Manager),
        scheduled: false,
    }
}

fn weekly_schedule() -> schedule::Schedule {
    schedule::Schedule {
        schedule_type: schedule::ScheduleType::Weekly,
        months: None,
        days: Some(schedule::Selector {
            selector_type: schedule::SelectorType::List,
            values: vec!["2".into()],
            interval: None,
        }),
        hours: schedule::Selector {
            selector_type: schedule::SelectorType::List,
            values: vec!["9".into()],
            interval: None,
        },
        expiration: None,
        time_zone_id: Some("Europe/Berlin".into()),
    }
}

/// Templates read back as written (with `scheduled` from the schedule table); lists filter,
/// sort, page and count; updates replace the definition; deletion takes the schedule along.
pub async fn templates_are_stored_listed_patched_and_deleted(store: Arc<dyn Store>) {
    for (id, name, day) in [
        ("t1", "Quarterly", 1),
        ("t2", "Annual", 2),
        ("t3", "Monthly", 3),
    ] {
        store
            .insert_template(
                &template(id, name, t(day)),
                &event("template.created", id, t(day)),
            )
            .await
            .unwrap();
    }
    let t1 = store.template(&"t1".into()).await.unwrap().unwrap();
    assert_eq!(t1, template("t1", "Quarterly", t(1)));
    assert!(store.template(&"nope".into()).await.unwrap().is_none());

    let all = store.list_templates(&page_query(10)).await.unwrap();
    let ids: Vec<&str> = all.items.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2", "t3"]);
    assert_eq!(all.total, Some(3));
    let by_name = store
        .list_templates(&filtered(
            r#"name sw "Q" or id eq "t3""#,
            &[SortKey::descending("name")],
        ))
        .await
        .unwrap();
    let ids: Vec<&str> = by_name.items.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t1", "t3"]);
    assert_eq!(by_name.total, Some(2));
    let ranged = store
        .list_templates(&filtered(r#"id ge "t2" and name ne "Monthly""#, &[]))
        .await
        .unwrap();
    assert_eq!(ranged.items.len(), 1);
    assert_eq!(ranged.items[0].id.as_str(), "t2");
    let mut second = page_query(1);
    second.offset = 1;
    second.sort = vec![SortKey::ascending("name")];
    let page = store.list_templates(&second).await.unwrap();
    assert_eq!(page.items[0].id.as_str(), "t3");
    assert_eq!(page.total, Some(3));

    let mut changed = t1.clone();
    changed.name = "Quarterly (new)".into();
    changed.deadline_duration = None;
    changed.campaign.description = None;
    changed.modified = Some(t(5));
    assert!(store
        .update_template(&changed, &event("template.updated", "t1", t(5)))
        .await
        .unwrap());
    assert_eq!(
        store.template(&"t1".into()).await.unwrap().unwrap(),
        changed
    );
    let mut ghost = changed.clone();
    ghost.id = "ghost".into();
    assert!(!store
        .update_template(&ghost, &event("template.updated", "ghost", t(5)))
        .await
        .unwrap());

    assert!(store
        .set_template_schedule(
            &"t1".into(),
            &weekly_schedule(),
            Some(t(10)),
            t(5),
            &event("schedule.set", "t1", t(5))
        )
        .await
        .unwrap());
    assert!(
        store
            .template(&"t1".into())
            .await
            .unwrap()
            .unwrap()
            .scheduled
    );
    assert!(store
        .delete_template(&"t1".into(), &event("template.deleted", "t1", t(6)))
        .await
        .unwrap());
    assert!(store.template(&"t1".into()).await.unwrap().is_none());
    assert!(store
        .template_schedule(&"t1".into())
        .await
        .unwrap()
        .is_none());
    assert!(store.due_schedules(t(28), 10).await.unwrap().is_empty());
    assert!(!store
        .delete_template(&"t1".into(), &event("template.deleted", "t1", t(6)))
        .await
        .unwrap());
}

/// A schedule is set (revision 1, then 2 when replaced), found due once `next_due` has come,
/// moved on only at its current revision, and deleted.
pub async fn schedules_are_set_due_advanced_and_deleted(store: Arc<dyn Store>) {
    store
        .insert_template(
            &template("t1", "Weekly", t(1)),
            &event("template.created", "t1", t(1)),
        )
        .await
        .unwrap();
    assert!(!store
        .set_template_schedule(
            &"none".into(),
            &weekly_schedule(),
            Some(t(3)),
            t(1),
            &event("schedule.set", "none", t(1))
        )
        .await
        .unwrap());
    assert!(store
        .set_template_schedule(
            &"t1".into(),
            &weekly_schedule(),
            Some(t(3)),
            t(1),
            &event("schedule.set", "t1", t(1))
        )
        .await
        .unwrap());
    let stored = store
        .template_schedule(&"t1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.schedule, weekly_schedule());
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.next_due, Some(t(3)));
    assert_eq!(stored.set_at, t(1));

    assert!(store.due_schedules(t(2), 10).await.unwrap().is_empty());
    let due = store.due_schedules(t(3), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].template_id.as_str(), "t1");

    let mut replaced = weekly_schedule();
    replaced.time_zone_id = Some("UTC".into());
    assert!(store
        .set_template_schedule(
            &"t1".into(),
            &replaced,
            Some(t(4)),
            t(2),
            &event("schedule.set", "t1", t(2))
        )
        .await
        .unwrap());
    let stored = store
        .template_schedule(&"t1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.schedule, replaced);
    // A scheduler that read revision 1 does not move revision 2.
    let stale = templates::ScheduleAdvance {
        revision: 1,
        next: Some(t(20)),
    };
    assert!(!store.advance_schedule(&"t1".into(), stale).await.unwrap());
    let current = templates::ScheduleAdvance {
        revision: 2,
        next: Some(t(11)),
    };
    assert!(store.advance_schedule(&"t1".into(), current).await.unwrap());
    assert_eq!(
        store
            .template_schedule(&"t1".into())
            .await
            .unwrap()
            .unwrap()
            .next_due,
        Some(t(11))
    );
    // A schedule that will not occur again is never due.
    let done = templates::ScheduleAdvance {
        revision: 2,
        next: None,
    };
    assert!(store.advance_schedule(&"t1".into(), done).await.unwrap());
    assert!(store.due_schedules(t(28), 10).await.unwrap().is_empty());

    assert!(store
        .delete_template_schedule(&"t1".into(), &event("schedule.deleted", "t1", t(5)))
        .await
        .unwrap());
    assert!(store
        .template_schedule(&"t1".into())
        .await
        .unwrap()
        .is_none());
    assert!(
        !store
            .template(&"t1".into())
            .await
            .unwrap()
            .unwrap()
            .scheduled
    );
    assert!(!store
        .delete_template_schedule(&"t1".into(), &event("schedule.deleted", "t1", t(5)))
        .await
        .unwrap());
}

/// A scheduled campaign is written with its claim and the schedule's move; a second campaign
/// for the same occurrence, from any number of concurrent callers, writes nothing.
pub async fn an_occurrence_is_claimed_once(store: Arc<dyn Store>) {
    store
        .insert_template(
            &template("t1", "Weekly", t(1)),
            &event("template.created", "t1", t(1)),
        )
        .await
        .unwrap();
    assert!(store
        .set_template_schedule(
            &"t1".into(),
            &weekly_schedule(),
            Some(t(3)),
            t(1),
            &event("schedule.set", "t1", t(1))
        )
        .await
        .unwrap());
    let attempts = (0..6).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let id = format!("gen{i}");
            let campaign = new_campaign(&id, "Review 2026-03", t(3));
            let run = templates::ScheduledRun {
                template_id: "t1".into(),
                occurrence: t(3),
                campaign_id: id.as_str().into(),
            };
            store
                .insert_scheduled_campaign(
                    &run,
                    &campaign,
                    &task(&format!("{id}-create"), TaskType::CampaignCreate, &id, t(3)),
                    &event("campaign.created", &id, t(3)),
                    templates::ScheduleAdvance {
                        revision: 1,
                        next: Some(t(10)),
                    },
                )
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        if attempt.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one campaign per occurrence");
    let runs = store.scheduled_runs(&"t1".into()).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].occurrence, t(3));
    let campaigns = store.list_campaigns(&page_query(50)).await.unwrap();
    assert_eq!(campaigns.total, Some(1));
    assert_eq!(campaigns.items[0].id, runs[0].campaign_id);
    assert_eq!(
        store
            .tasks_of(runs[0].campaign_id.as_str(), true)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .template_schedule(&"t1".into())
            .await
            .unwrap()
            .unwrap()
            .next_due,
        Some(t(10))
    );
    // The next occurrence is claimed on its own.
    let next = templates::ScheduledRun {
        template_id: "t1".into(),
        occurrence: t(10),
        campaign_id: "gen-next".into(),
    };
    assert!(store
        .insert_scheduled_campaign(
            &next,
            &new_campaign("gen-next", "Review 2026-03", t(10)),
            &task(
                "gen-next-create",
                TaskType::CampaignCreate,
                "gen-next",
                t(10)
            ),
            &event("campaign.created", "gen-next", t(10)),
            templates::ScheduleAdvance {
                revision: 1,
                next: Some(t(17))
            },
        )
        .await
        .unwrap());
    assert_eq!(store.scheduled_runs(&"t1".into()).await.unwrap().len(), 2);
}
// ---- remediation (issue 4: sinks, apply decisions, delivery, manual completion, scans) ----

use crate::remediation::RemediationOrderQuery;
use attest_domain::remediation::*;

fn order_query(campaign: &str) -> RemediationOrderQuery {
    RemediationOrderQuery {
        campaign_id: Some(campaign.into()),
        limit: 50,
        ..RemediationOrderQuery::default()
    }
}

/// Every revoke of alice's certification signed off: four held orders (bob's e1 through
/// bob-ad, bob's e2, carol's e1, carol's role r1), keyed by holder and access.
async fn signed_revocations(store: &Arc<dyn Store>, id: &str) -> BTreeMap<String, OrderId> {
    let certs = active_manager_campaign(store, id).await;
    let alice = &certs["alice"];
    let decisions: Vec<ItemDecision> = items_of(store, &alice.id)
        .await
        .iter()
        .map(|i| ItemDecision {
            item_id: i.id,
            decision: Decision::Revoke,
            comments: Some("not needed".into()),
            proposed_end_date: None,
        })
        .collect();
    store
        .decide(&alice.id, &decisions, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    store
        .sign_off(&alice.id, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    let orders = store
        .list_remediation_orders(&order_query(id))
        .await
        .unwrap();
    assert_eq!(orders.total, Some(4));
    orders
        .items
        .iter()
        .map(|o| {
            let holder = o.order.identity_id.as_ref().unwrap().as_str().to_owned();
            (
                format!("{holder}/{}", o.order.access_id),
                o.order.id.clone(),
            )
        })
        .collect()
}

fn webhook_sink(source: &str, at: DateTime<Utc>) -> RemediationSink {
    RemediationSink {
        source_id: source.into(),
        target: SinkTarget::Webhook {
            url: "https://hooks.example.test/attest".into(),
            secret: Secret("0123456789abcdef".into()),
        },
        updated: at,
        updated_by: Some("ceo".into()),
    }
}

/// A source's sink is stored with its secret, replaced whole, and removed once.
pub async fn remediation_sinks_are_stored_and_removed(store: Arc<dyn Store>) {
    let ad = SourceId::from("ad");
    assert_eq!(store.remediation_sink(&ad).await.unwrap(), None);
    let webhook = webhook_sink("ad", t(2));
    store
        .put_remediation_sink(&webhook, &event("sink", "none", t(2)))
        .await
        .unwrap();
    assert_eq!(store.remediation_sink(&ad).await.unwrap(), Some(webhook));
    let scim = RemediationSink {
        source_id: ad.clone(),
        target: SinkTarget::Scim {
            base_url: "https://scim.example.test/v2".into(),
            token: Secret("bearer-token".into()),
        },
        updated: t(3),
        updated_by: None,
    };
    store
        .put_remediation_sink(&scim, &event("sink", "none", t(3)))
        .await
        .unwrap();
    assert_eq!(store.remediation_sink(&ad).await.unwrap(), Some(scim));
    let manual = RemediationSink {
        source_id: "crm".into(),
        target: SinkTarget::Manual,
        updated: t(3),
        updated_by: None,
    };
    store
        .put_remediation_sink(&manual, &event("sink", "none", t(3)))
        .await
        .unwrap();
    assert_eq!(
        store.remediation_sink(&"crm".into()).await.unwrap(),
        Some(manual)
    );
    assert!(store
        .delete_remediation_sink(&ad, &event("sink", "none", t(4)))
        .await
        .unwrap());
    assert!(!store
        .delete_remediation_sink(&ad, &event("sink", "none", t(4)))
        .await
        .unwrap());
    assert_eq!(store.remediation_sink(&ad).await.unwrap(), None);
}

/// Orders wait until released; released orders of sources with a WEBHOOK or SCIM sink are
/// claimed one worker at a time under a lease, each claim counting an attempt; outcomes are
/// recorded only by the lease holder, retries wait for their time, an expired lease lets
/// another worker take the order, and released orders are marked done by hand.
pub async fn remediation_orders_are_released_claimed_and_recorded(store: Arc<dyn Store>) {
    let orders = signed_revocations(&store, "rm").await;
    let campaign = CampaignId::from("rm");
    let list = store
        .list_remediation_orders(&order_query("rm"))
        .await
        .unwrap();
    for o in &list.items {
        assert_eq!(o.order.status, OrderStatus::Pending);
        assert_eq!(o.delivery.released_at, None);
        assert_eq!(o.delivery.sink, Some(SinkKind::Manual));
        assert_eq!(o.delivery.attempts, 0);
    }
    let now = t(6);
    let lease = |at: DateTime<Utc>| at + chrono::Duration::minutes(2);
    store
        .put_remediation_sink(&webhook_sink("ad", t(5)), &event("sink", "rm", t(5)))
        .await
        .unwrap();
    // Nothing is delivered before an administrator releases it.
    assert!(store
        .claim_order("w0", now, lease(now))
        .await
        .unwrap()
        .is_none());

    let (a, b, c, d) = (
        orders["bob/e1"].clone(),
        orders["bob/e2"].clone(),
        orders["carol/e1"].clone(),
        orders["carol/r1"].clone(),
    );
    let released = store
        .release_orders(
            &campaign,
            Some(&[a.clone(), b.clone(), c.clone()]),
            Some(&"ceo".into()),
            now,
            &event("campaign.decisions_applied", "rm", now),
        )
        .await
        .unwrap();
    let mut expected = vec![a.clone(), b.clone(), c.clone()];
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(released, expected);
    // Releasing again releases nothing; another campaign's id releases nothing.
    assert!(store
        .release_orders(
            &campaign,
            Some(std::slice::from_ref(&a)),
            None,
            now,
            &event("x", "rm", now)
        )
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .release_orders(&"other".into(), None, None, now, &event("x", "other", now))
        .await
        .unwrap()
        .is_empty());
    let held = RemediationOrderQuery {
        released: Some(false),
        ..order_query("rm")
    };
    let held = store.list_remediation_orders(&held).await.unwrap();
    assert_eq!(held.total, Some(1));
    assert_eq!(held.items[0].order.id, d);
    let webhook = RemediationOrderQuery {
        sink: Some(SinkKind::Webhook),
        ..order_query("rm")
    };
    // Role r1 has no source, so carol's role order stays manual.
    assert_eq!(
        store.list_remediation_orders(&webhook).await.unwrap().total,
        Some(3)
    );
    let a_now = store.remediation_order(&a).await.unwrap().unwrap();
    assert_eq!(a_now.delivery.released_at, Some(now));
    assert_eq!(a_now.delivery.released_by, Some("ceo".into()));
    assert_eq!(a_now.delivery.next_attempt_at, Some(now));
    assert!(store
        .remediation_order(&"nope".into())
        .await
        .unwrap()
        .is_none());

    // Three workers each get a different order; a fourth gets none.
    let mut claimed = Vec::new();
    for worker in ["w1", "w2", "w3"] {
        let got = store
            .claim_order(worker, now, lease(now))
            .await
            .unwrap()
            .expect("a due order");
        assert_eq!(got.order.delivery.attempts, 1);
        assert_eq!(got.sink, webhook_sink("ad", t(5)));
        claimed.push((worker, got.order.order.id.clone()));
    }
    let ids: BTreeSet<&OrderId> = claimed.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 3);
    assert!(store
        .claim_order("w4", now, lease(now))
        .await
        .unwrap()
        .is_none());

    let (first, second, third) = (
        claimed[0].1.clone(),
        claimed[1].1.clone(),
        claimed[2].1.clone(),
    );
    // Only the lease holder records.
    let retry = DeliveryOutcome::Retry {
        error: "HTTP 503 Service Unavailable".into(),
        retry_at: t(7),
    };
    assert!(!store
        .record_delivery(&first, "w9", &retry, SinkKind::Webhook, now)
        .await
        .unwrap());
    assert!(store
        .record_delivery(&first, "w1", &retry, SinkKind::Webhook, now)
        .await
        .unwrap());
    assert!(store
        .record_delivery(
            &second,
            "w2",
            &DeliveryOutcome::Sent,
            SinkKind::Webhook,
            now
        )
        .await
        .unwrap());
    let retried = store.remediation_order(&first).await.unwrap().unwrap();
    assert_eq!(retried.order.status, OrderStatus::Pending);
    assert_eq!(
        retried.delivery.last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    assert_eq!(retried.delivery.next_attempt_at, Some(t(7)));
    let sent = store.remediation_order(&second).await.unwrap().unwrap();
    assert_eq!(sent.order.status, OrderStatus::Sent);
    assert_eq!(sent.delivery.sent_at, Some(now));
    assert_eq!(sent.delivery.next_attempt_at, None);

    // w3 died: once its lease has run out, w5 takes the order; w3's late answer is ignored.
    let later = now + chrono::Duration::hours(1);
    let again = store
        .claim_order("w5", later, lease(later))
        .await
        .unwrap()
        .expect("the order whose lease ran out");
    assert_eq!(again.order.order.id, third);
    assert_eq!(again.order.delivery.attempts, 2);
    assert!(!store
        .record_delivery(
            &third,
            "w3",
            &DeliveryOutcome::Sent,
            SinkKind::Webhook,
            later
        )
        .await
        .unwrap());
    let failed = DeliveryOutcome::Failed("HTTP 404 Not Found".into());
    assert!(store
        .record_delivery(&third, "w5", &failed, SinkKind::Webhook, later)
        .await
        .unwrap());
    let third_now = store.remediation_order(&third).await.unwrap().unwrap();
    assert_eq!(third_now.order.status, OrderStatus::Failed);
    assert_eq!(
        third_now.delivery.last_error.as_deref(),
        Some("HTTP 404 Not Found")
    );
    // The retry is not due before its time, then it is, with its attempts counted.
    assert!(store
        .claim_order("w6", later, lease(later))
        .await
        .unwrap()
        .is_none());
    let due = store
        .claim_order("w6", t(7), lease(t(7)))
        .await
        .unwrap()
        .expect("the retry is due");
    assert_eq!(due.order.order.id, first);
    assert_eq!(due.order.delivery.attempts, 2);
    assert!(store
        .record_delivery(
            &first,
            "w6",
            &DeliveryOutcome::Sent,
            SinkKind::Webhook,
            t(7)
        )
        .await
        .unwrap());
    let status = |status| RemediationOrderQuery {
        status: Some(status),
        ..order_query("rm")
    };
    assert_eq!(
        store
            .list_remediation_orders(&status(OrderStatus::Sent))
            .await
            .unwrap()
            .total,
        Some(2)
    );

    // Done by hand: released orders only, once.
    let done = store
        .mark_orders_done(
            &[third.clone(), d.clone(), "nope".into()],
            Some(&"ceo".into()),
            t(8),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(done, vec![third.clone()]);
    let third_done = store.remediation_order(&third).await.unwrap().unwrap();
    assert_eq!(third_done.order.status, OrderStatus::Done);
    assert_eq!(third_done.delivery.done_at, Some(t(8)));
    assert_eq!(third_done.delivery.done_by, Some("ceo".into()));
    assert!(store
        .mark_orders_done(&[third], None, t(9), &[])
        .await
        .unwrap()
        .is_empty());
    // The orders' own list shows the same statuses.
    let plain = store
        .list_orders(&OrderQuery {
            campaign_id: Some("rm".into()),
            status: Some(OrderStatus::Done),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(plain.total, Some(1));
}

/// A scan checks every order of the campaign against the warehouse: gone is VERIFIED, present
/// is STILL_PRESENT for released orders and stays PENDING for held ones; scans are claimed
/// like tasks and may be queued again.
pub async fn remediation_scans_verify_orders_against_the_warehouse(store: Arc<dyn Store>) {
    let orders = signed_revocations(&store, "sc").await;
    let campaign = CampaignId::from("sc");
    let (a, b, c, d) = (
        orders["bob/e1"].clone(),
        orders["bob/e2"].clone(),
        orders["carol/e1"].clone(),
        orders["carol/r1"].clone(),
    );
    store
        .release_orders(
            &campaign,
            Some(&[a.clone(), b.clone(), c.clone()]),
            None,
            t(6),
            &event("campaign.decisions_applied", "sc", t(6)),
        )
        .await
        .unwrap();
    // The source removed bob's e1 (held through bob-ad); the rest is still there.
    let mut tx = store.begin_import(t(9)).await.unwrap();
    let mut discovered = assignment(Some("bob"), None, AccessType::Entitlement, "e2");
    discovered.origin = Origin::Discovered;
    let mut modelled = assignment(Some("carol"), None, AccessType::Role, "r1");
    modelled.origin = Origin::RoleModel;
    let rows = [
        discovered,
        assignment(Some("carol"), None, AccessType::Entitlement, "e1"),
        modelled,
        assignment(Some("alice"), None, AccessType::Entitlement, "e2"),
        assignment(Some("dave"), None, AccessType::AccessProfile, "ap1"),
        assignment(None, Some("orphan"), AccessType::Entitlement, "e1"),
        assignment(None, Some("svc"), AccessType::Entitlement, "e2"),
    ];
    let staged_rows: Vec<StagedAssignment> = rows
        .into_iter()
        .zip(2..)
        .map(|(a, line)| staged(line, a))
        .collect();
    tx.stage_assignments(&staged_rows).await.unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();

    let lease = t(10) + chrono::Duration::minutes(10);
    assert!(store
        .claim_remediation_scan("w1", t(10), lease)
        .await
        .unwrap()
        .is_none());
    for _ in 0..2 {
        store
            .request_remediation_scan(&campaign, t(10), &event("scan", "sc", t(10)))
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .claim_remediation_scan("w1", t(10), lease)
            .await
            .unwrap(),
        Some(campaign.clone())
    );
    assert!(store
        .claim_remediation_scan("w2", t(10), lease)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .run_remediation_scan(&campaign, "w2", t(10))
            .await
            .unwrap(),
        None
    );
    let outcome = store
        .run_remediation_scan(&campaign, "w1", t(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        outcome,
        ScanOutcome {
            verified: 1,
            still_present: 2,
            held: 1,
        }
    );
    let status_of = |id: OrderId| {
        let store = store.clone();
        async move { store.remediation_order(&id).await.unwrap().unwrap() }
    };
    let verified = status_of(a.clone()).await;
    assert_eq!(verified.order.status, OrderStatus::Verified);
    assert_eq!(verified.delivery.scanned_at, Some(t(10)));
    assert_eq!(status_of(b).await.order.status, OrderStatus::StillPresent);
    assert_eq!(status_of(c).await.order.status, OrderStatus::StillPresent);
    let held = status_of(d.clone()).await;
    assert_eq!(held.order.status, OrderStatus::Pending);
    assert_eq!(held.delivery.scanned_at, Some(t(10)));
    // A verified order is not delivered any more.
    store
        .put_remediation_sink(&webhook_sink("ad", t(10)), &event("sink", "sc", t(10)))
        .await
        .unwrap();
    assert!(store
        .claim_order("w1", t(11), t(11) + chrono::Duration::minutes(2))
        .await
        .unwrap()
        .is_none());

    // Done, the scan is not claimed again until it is asked for again; a failed run is
    // queued again for later.
    assert!(store
        .claim_remediation_scan("w1", t(11), t(11) + chrono::Duration::minutes(10))
        .await
        .unwrap()
        .is_none());
    store
        .request_remediation_scan(&campaign, t(12), &event("scan", "sc", t(12)))
        .await
        .unwrap();
    let lease = t(12) + chrono::Duration::minutes(10);
    assert!(store
        .claim_remediation_scan("w3", t(12), lease)
        .await
        .unwrap()
        .is_some());
    store
        .retry_remediation_scan(&campaign, "w3", "storage failed", t(13))
        .await
        .unwrap();
    assert!(store
        .claim_remediation_scan("w3", t(12), lease)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .claim_remediation_scan("w4", t(13), t(13) + chrono::Duration::minutes(10))
        .await
        .unwrap()
        .is_some());
}

// ---------------------------------------------------------------------------------------
// Campaign filters (issue 4)
// ---------------------------------------------------------------------------------------

fn filter_event(action: &str, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor("ceo"),
        action: action.into(),
        campaign_id: None,
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({ "story": action }),
    }
}

fn user_filter(id: &str, name: &str, at: DateTime<Utc>) -> campaign_filter::CampaignFilter {
    use campaign_filter::*;
    CampaignFilter {
        id: id.into(),
        name: name.into(),
        description: Some(format!("{name} described")),
        owner: Some("Cora CEO".into()),
        owner_id: Some("ceo".into()),
        mode: FilterMode::Inclusion,
        criteria: vec![Criterion {
            kind: CriteriaType::Composite,
            operation: Some(CriteriaOperation::Or),
            property: None,
            value: None,
            negate_result: true,
            short_circuit: true,
            record_child_matches: false,
            id: Some("c1".into()),
            suppress_matched_items: false,
            children: vec![Criterion {
                kind: CriteriaType::IdentityAttribute,
                operation: Some(CriteriaOperation::StartsWith),
                property: Some("department".into()),
                value: Some("Fin".into()),
                negate_result: false,
                short_circuit: false,
                record_child_matches: true,
                id: None,
                suppress_matched_items: true,
                children: Vec::new(),
            }],
        }],
        system: false,
        created: at,
        modified: at,
    }
}

/// A fresh database holds the system filters Attest ships, and only those.
pub async fn campaign_filters_ship_system_filters(store: Arc<dyn Store>) {
    let (all, total) = store.list_campaign_filters(true, 250, 0).await.unwrap();
    assert_eq!(total, campaign_filters::SYSTEM_FILTER_IDS.len() as u64);
    let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, campaign_filters::SYSTEM_FILTER_IDS);
    for filter in &all {
        assert!(filter.system, "{filter:?}");
        assert_eq!(filter.owner.as_deref(), Some("Attest"));
        assert_eq!(filter.mode, campaign_filter::FilterMode::Exclusion);
        assert!(
            campaign_filter::validate_criteria(&filter.criteria).is_empty(),
            "{filter:?}"
        );
    }
    let (none, total) = store.list_campaign_filters(false, 250, 0).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(total, 0);
}

/// Filters round-trip whole; lists page with totals; updates and deletes leave system filters
/// alone; a bulk delete naming an unknown or system filter deletes nothing.
pub async fn campaign_filters_are_stored_listed_updated_and_deleted(store: Arc<dyn Store>) {
    use campaign_filter::*;
    use campaign_filters::FilterDeletion;
    let system = campaign_filters::SYSTEM_FILTER_IDS.len() as u64;
    let first = user_filter("f1", "First", t(1));
    let second = user_filter("f2", "Second", t(2));
    store
        .insert_campaign_filter(&first, &filter_event("campaign_filter.created", t(1)))
        .await
        .unwrap();
    store
        .insert_campaign_filter(&second, &filter_event("campaign_filter.created", t(2)))
        .await
        .unwrap();
    let again = store
        .insert_campaign_filter(&first, &filter_event("campaign_filter.created", t(2)))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        store.campaign_filter(&"f1".into()).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.campaign_filter(&"nope".into()).await.unwrap(), None);

    // Lists: system filters first, then by creation; totals cover the whole collection.
    let (page, total) = store.list_campaign_filters(true, 2, system).await.unwrap();
    assert_eq!(total, system + 2);
    assert_eq!(page, vec![first.clone(), second.clone()]);
    let (page, total) = store.list_campaign_filters(false, 1, 1).await.unwrap();
    assert_eq!((page, total), (vec![second.clone()], 2));
    let (page, total) = store.list_campaign_filters(false, 10, 5).await.unwrap();
    assert_eq!((page.len(), total), (0, 2));

    // Updates replace what may change; system filters and unknown ids are left alone.
    let mut changed = first.clone();
    changed.name = "First, renamed".into();
    changed.description = None;
    changed.mode = FilterMode::Exclusion;
    changed.criteria = changed.criteria[0].children.clone();
    changed.modified = t(3);
    assert!(store
        .update_campaign_filter(&changed, &filter_event("campaign_filter.updated", t(3)))
        .await
        .unwrap());
    assert_eq!(
        store.campaign_filter(&"f1".into()).await.unwrap(),
        Some(changed.clone())
    );
    let system_id = CampaignFilterId::from(campaign_filters::SYSTEM_FILTER_IDS[0]);
    let shipped = store.campaign_filter(&system_id).await.unwrap().unwrap();
    let mut forged = changed.clone();
    forged.id = system_id.clone();
    assert!(!store
        .update_campaign_filter(&forged, &filter_event("campaign_filter.updated", t(3)))
        .await
        .unwrap());
    assert_eq!(
        store.campaign_filter(&system_id).await.unwrap(),
        Some(shipped)
    );
    forged.id = "nope".into();
    assert!(!store
        .update_campaign_filter(&forged, &filter_event("campaign_filter.updated", t(3)))
        .await
        .unwrap());

    // Bulk deletes are all or nothing.
    let audit = [filter_event("campaign_filter.deleted", t(4))];
    assert_eq!(
        store
            .delete_campaign_filters(&["f1".into(), "gone".into()], &audit)
            .await
            .unwrap(),
        FilterDeletion::Unknown(vec!["gone".into()])
    );
    assert_eq!(
        store
            .delete_campaign_filters(&["f1".into(), system_id.clone()], &audit)
            .await
            .unwrap(),
        FilterDeletion::System(vec![system_id.clone()])
    );
    assert_eq!(
        store.list_campaign_filters(false, 10, 0).await.unwrap().1,
        2
    );
    assert_eq!(
        store
            .delete_campaign_filters(&["f1".into(), "f2".into()], &audit)
            .await
            .unwrap(),
        FilterDeletion::Deleted(2)
    );
    assert_eq!(
        store.list_campaign_filters(true, 10, 0).await.unwrap().1,
        system
    );
}

// ---- event triggers (subscriptions, the event outbox, deliveries) ----

fn subscription(id: &str, triggers: &[&str], enabled: bool) -> crate::events::EventSubscription {
    crate::events::EventSubscription {
        id: id.into(),
        name: format!("hook {id}"),
        url: format!("https://hooks.example.com/{id}"),
        triggers: triggers.iter().map(|t| t.to_string()).collect(),
        secret: format!("secret-{id}"),
        enabled,
        created: t(1),
        modified: t(1),
    }
}

/// Subscriptions are stored with their triggers and secret, replaced whole, and deleted.
pub async fn event_subscriptions_are_stored_replaced_and_deleted(store: Arc<dyn Store>) {
    let a = subscription("a", &["idn:campaign-activated", "idn:campaign-ended"], true);
    store.insert_subscription(&a).await.unwrap();
    assert!(matches!(
        store.insert_subscription(&a).await,
        Err(StoreError::Conflict(_))
    ));
    let mut b = subscription("b", &["idn:certification-signed-off"], false);
    b.created = t(2);
    store.insert_subscription(&b).await.unwrap();
    assert_eq!(store.subscription("a").await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.subscriptions().await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(store.subscription("nope").await.unwrap(), None);

    let mut changed = a.clone();
    changed.name = "renamed".into();
    changed.triggers = vec!["idn:campaign-generated".into()];
    changed.secret = "rotated".into();
    changed.enabled = false;
    changed.modified = t(3);
    assert!(store.update_subscription(&changed).await.unwrap());
    assert_eq!(
        store.subscription("a").await.unwrap(),
        Some(changed.clone())
    );
    assert!(!store
        .update_subscription(&subscription("nope", &[], true))
        .await
        .unwrap());

    assert!(store.delete_subscription("a").await.unwrap());
    assert!(!store.delete_subscription("a").await.unwrap());
    assert_eq!(store.subscriptions().await.unwrap(), vec![b]);
    // The secret never shows in the Debug form.
    assert!(!format!("{changed:?}").contains("rotated"));
}

/// The announced state changes put events in the outbox in their own transaction (and only
/// those that committed); fan-out makes one delivery per enabled subscription, once; deliveries
/// are claimed under a lease, retried when due, and recorded.
pub async fn announced_changes_fill_the_outbox_and_deliveries_are_leased(store: Arc<dyn Store>) {
    use crate::events::{DeliveryResult, DeliveryStatus};
    store
        .insert_subscription(&subscription(
            "on",
            &["idn:campaign-generated", "idn:campaign-activated"],
            true,
        ))
        .await
        .unwrap();
    store
        .insert_subscription(&subscription("off", &["idn:campaign-activated"], false))
        .await
        .unwrap();
    store
        .insert_subscription(&subscription("other", &["idn:campaign-ended"], true))
        .await
        .unwrap();

    let certs = active_manager_campaign(&store, "evt").await;
    // A refused compare-and-set writes no audit event, so no event either.
    assert!(!store
        .transition_campaign(
            &"evt".into(),
            CampaignStatus::Staged,
            CampaignStatus::Activating,
            t(5),
            &[],
            None,
            &event("campaign.activated", "evt", t(5)),
        )
        .await
        .unwrap());
    let events = store.pending_events(100).await.unwrap();
    let triggers: Vec<&str> = events.iter().map(|e| e.trigger_id.as_str()).collect();
    assert_eq!(
        triggers,
        ["idn:campaign-generated", "idn:campaign-activated"]
    );
    assert!(events
        .iter()
        .all(|e| e.campaign_id.as_deref() == Some("evt")));
    assert_eq!(events[1].occurred, t(4));
    assert!(events[0].id < events[1].id);

    // Sign-off announces the certification.
    let alice = &certs["alice"];
    let items = items_of(&store, &alice.id).await;
    let decisions: Vec<ItemDecision> = items
        .iter()
        .map(|i| ItemDecision {
            item_id: i.id,
            decision: Decision::Approve,
            comments: None,
            proposed_end_date: None,
        })
        .collect();
    store
        .decide(&alice.id, &decisions, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    store
        .sign_off(&alice.id, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    let events = store.pending_events(100).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].trigger_id, "idn:certification-signed-off");
    assert_eq!(
        events[2].certification_id.as_deref(),
        Some(alice.id.as_str())
    );

    // Fan-out: one delivery per enabled subscription to the trigger, once.
    let activated = &events[1];
    assert_eq!(
        store
            .fan_out_event(activated.id, Some(r#"{"campaign":{}}"#), t(6))
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        store
            .fan_out_event(activated.id, Some("{}"), t(6))
            .await
            .unwrap(),
        None
    );
    // An event whose subject is gone is dispatched with no delivery.
    assert_eq!(
        store.fan_out_event(events[0].id, None, t(6)).await.unwrap(),
        Some(0)
    );
    let left: Vec<i64> = store
        .pending_events(100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, [events[2].id]);

    // Claimed once under a lease; nothing else is due.
    assert_eq!(store.claim_delivery("w0", t(5), t(5)).await.unwrap(), None);
    let claimed = store
        .claim_delivery("w1", t(6), t(7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.url, "https://hooks.example.com/on");
    assert_eq!(claimed.secret, "secret-on");
    assert_eq!(claimed.delivery.attempts, 1);
    assert_eq!(claimed.delivery.body, r#"{"campaign":{}}"#);
    assert_eq!(claimed.delivery.trigger_id, "idn:campaign-activated");
    assert_eq!(claimed.delivery.status, DeliveryStatus::Pending);
    assert_eq!(store.claim_delivery("w2", t(6), t(7)).await.unwrap(), None);
    let id = claimed.delivery.id;

    // A retryable failure: pending again, due later; another worker cannot record it.
    let retry = DeliveryResult {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(t(8)),
        error: Some("HTTP 503 Service Unavailable".into()),
        http_status: Some(503),
        at: t(6),
    };
    assert!(!store.finish_delivery(id, "w2", &retry).await.unwrap());
    assert!(store.finish_delivery(id, "w1", &retry).await.unwrap());
    assert_eq!(store.claim_delivery("w2", t(7), t(7)).await.unwrap(), None);
    // A lease that expires without an outcome is claimed again.
    let again = store
        .claim_delivery("w2", t(8), t(9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.delivery.attempts, 2);
    assert_eq!(again.delivery.last_status, Some(503));
    let third = store
        .claim_delivery("w3", t(9), t(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.delivery.attempts, 3);
    let delivered = DeliveryResult {
        status: DeliveryStatus::Delivered,
        next_attempt_at: None,
        error: None,
        http_status: Some(204),
        at: t(9),
    };
    assert!(!store.finish_delivery(id, "w2", &delivered).await.unwrap());
    assert!(store.finish_delivery(id, "w3", &delivered).await.unwrap());
    assert_eq!(
        store.claim_delivery("w4", t(20), t(21)).await.unwrap(),
        None
    );

    let listed = store.deliveries("on", 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, DeliveryStatus::Delivered);
    assert_eq!(listed[0].attempts, 3);
    assert_eq!(listed[0].last_status, Some(204));
    assert_eq!(listed[0].last_error, None);
    assert_eq!(listed[0].last_attempt_at, Some(t(9)));
    assert!(store.deliveries("off", 10).await.unwrap().is_empty());

    // A disabled subscription's pending delivery waits; deleting removes its deliveries.
    store
        .insert_subscription(&subscription(
            "late",
            &["idn:certification-signed-off"],
            true,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .fan_out_event(events[2].id, Some("{}"), t(10))
            .await
            .unwrap(),
        Some(1)
    );
    let mut late = store.subscription("late").await.unwrap().unwrap();
    late.enabled = false;
    store.update_subscription(&late).await.unwrap();
    assert_eq!(
        store.claim_delivery("w5", t(11), t(12)).await.unwrap(),
        None
    );
    assert!(store.delete_subscription("late").await.unwrap());
    assert!(store.deliveries("late", 10).await.unwrap().is_empty());
}

// ---- campaign reports ----

use crate::reports::ReportItemRow;
use attest_domain::report::{ReportId, ReportRun, ReportStatus, ReportType};

/// Every report item of a campaign, read `limit` at a time as the engine does.
async fn all_report_items(
    store: &Arc<dyn Store>,
    campaign: &CampaignId,
    limit: u32,
) -> Vec<ReportItemRow> {
    let Some((first, last)) = store.campaign_item_span(campaign).await.unwrap() else {
        return Vec::new();
    };
    let mut after = ReviewItemId(first.0 - 1);
    let mut out = Vec::new();
    loop {
        let page = store
            .report_items(campaign, after, last, limit)
            .await
            .unwrap();
        assert!(page.len() <= limit as usize);
        let full = page.len() == limit as usize;
        if let Some(row) = page.last() {
            after = row.item_id;
        }
        out.extend(page);
        if !full {
            return out;
        }
    }
}

/// The reads reports stream from: items in id order within the campaign's span, only that
/// campaign's, with their reviewer and decision; certifications with who signed them;
/// provisioning orders; each keyset-paged exactly.
pub async fn report_reads_page_through_one_campaign(store: Arc<dyn Store>) {
    let certs = active_manager_campaign(&store, "rp").await;
    // A second campaign over the same organisation, whose items must never show.
    let other = new_campaign("rp2", "Other review", t(3));
    store
        .insert_campaign(
            &other,
            &task("rp2-create", TaskType::CampaignCreate, "rp2", t(3)),
            &event("campaign.created", "rp2", t(3)),
        )
        .await
        .unwrap();
    generate_manager_campaign(&store, &other).await;

    let mut expected: Vec<ReviewItem> = Vec::new();
    for cert in certs.values() {
        expected.extend(items_of(&store, &cert.id).await);
    }
    expected.sort_by_key(|i| i.id);
    assert!(expected.len() >= 3);
    assert_eq!(
        store.campaign_item_span(&"nothing".into()).await.unwrap(),
        None
    );
    for limit in [1, 2, 1000] {
        let rows = all_report_items(&store, &"rp".into(), limit).await;
        let ids: Vec<ReviewItemId> = rows.iter().map(|r| r.item_id).collect();
        let want: Vec<ReviewItemId> = expected.iter().map(|i| i.id).collect();
        assert_eq!(ids, want, "limit {limit}");
    }

    let alice = &certs["alice"];
    let first = items_of(&store, &alice.id).await[0].clone();
    store
        .decide(
            &alice.id,
            &[ItemDecision {
                item_id: first.id,
                decision: Decision::Revoke,
                comments: Some("=not needed".into()),
                proposed_end_date: None,
            }],
            &actor("alice"),
            t(5),
        )
        .await
        .unwrap()
        .unwrap();
    let rows = all_report_items(&store, &"rp".into(), 1000).await;
    for (row, item) in rows.iter().zip(&expected) {
        let cert = certs
            .values()
            .find(|c| c.id == item.certification_id)
            .unwrap();
        assert_eq!(row.certification_id, item.certification_id);
        assert_eq!(row.reviewer_id, cert.reviewer);
        assert_eq!(row.reviewer_name, cert.reviewer_name);
        assert_eq!(row.identity_id, item.identity_id);
        assert_eq!(
            row.account_id,
            item.account_id.as_ref().map(|a| a.0.clone())
        );
        assert_eq!(row.holder_name, item.holder_name);
        assert_eq!(row.access_type, item.access_type.as_str());
        assert_eq!(row.access_id, item.access_id);
        assert_eq!(row.access_name, item.access_name);
        assert_eq!(row.source_id, item.source_id.as_ref().map(|s| s.0.clone()));
        assert_eq!(row.source_name, item.source_name);
        assert_eq!(row.origin, item.origin.as_str());
        assert_eq!(
            row.recommendation,
            item.recommendation.map(|r| r.as_str().to_owned())
        );
    }
    let decided = rows.iter().find(|r| r.item_id == first.id).unwrap();
    assert_eq!(decided.decision.as_deref(), Some("REVOKE"));
    assert_eq!(decided.comments.as_deref(), Some("=not needed"));
    assert_eq!(decided.decided_by.as_deref(), Some("alice"));
    assert_eq!(decided.decided_at, Some(t(5)));
    assert!(rows
        .iter()
        .filter(|r| r.item_id != first.id)
        .all(|r| r.decision.is_none() && r.decided_at.is_none()));

    // Certifications, one page at a time, each with who signed it.
    let rest: Vec<ItemDecision> = items_of(&store, &alice.id)
        .await
        .iter()
        .filter(|i| i.id != first.id)
        .map(|i| ItemDecision {
            item_id: i.id,
            decision: Decision::Approve,
            comments: None,
            proposed_end_date: None,
        })
        .collect();
    store
        .decide(&alice.id, &rest, &actor("alice"), t(5))
        .await
        .unwrap()
        .unwrap();
    store
        .sign_off(&alice.id, &actor("ceo"), t(6))
        .await
        .unwrap()
        .unwrap();
    let mut seen = Vec::new();
    let mut after: Option<CertificationId> = None;
    loop {
        let page = store
            .report_certifications(&"rp".into(), after.as_ref(), 1)
            .await
            .unwrap();
        let Some(row) = page.first() else { break };
        assert_eq!(page.len(), 1);
        after = Some(row.certification.id.clone());
        seen.push(row.clone());
    }
    let mut want: Vec<CertificationId> = certs.values().map(|c| c.id.clone()).collect();
    want.sort();
    assert_eq!(
        seen.iter()
            .map(|r| r.certification.id.clone())
            .collect::<Vec<_>>(),
        want
    );
    for row in &seen {
        if row.certification.id == alice.id {
            assert_eq!(row.certification.phase, CertificationPhase::Signed);
            assert_eq!(row.signed_by, Some("ceo".into()), "the actor who signed");
        } else {
            assert_eq!(row.signed_by, None);
        }
    }

    // Orders of the campaign, keyset-paged on (created, id).
    let orders = store.report_orders(&"rp".into(), None, 10).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].item_id, first.id);
    assert_eq!(orders[0].status.as_str(), "PENDING");
    let after_last = store
        .report_orders(&"rp".into(), Some((orders[0].created, &orders[0].id)), 10)
        .await
        .unwrap();
    assert!(after_last.is_empty());
    assert!(store
        .report_orders(&"rp2".into(), None, 10)
        .await
        .unwrap()
        .is_empty());
}

fn report_run(id: &str, campaign: &str, report_type: ReportType, at: DateTime<Utc>) -> ReportRun {
    ReportRun {
        id: ReportId(id.into()),
        campaign_id: campaign.into(),
        report_type,
        status: ReportStatus::Pending,
        task_id: format!("{id}-task").into(),
        requested: at,
        last_run_at: None,
        rows: None,
        error: None,
    }
}

/// The reports configuration, report runs with their task, chunked files, outcomes that only
/// a PENDING run takes, and a new run of a type replacing the old one and its file.
pub async fn report_runs_and_files_are_kept_and_replaced(store: Arc<dyn Store>) {
    load_review_org(&store).await;
    assert_eq!(store.reports_config().await.unwrap(), Vec::<String>::new());
    let columns = vec!["costCenter".to_owned(), "department".to_owned()];
    store
        .set_reports_config(&columns, &event("reports.configured", "x", t(2)))
        .await
        .unwrap();
    assert_eq!(store.reports_config().await.unwrap(), columns);
    store
        .set_reports_config(&[], &event("reports.configured", "x", t(2)))
        .await
        .unwrap();
    assert!(store.reports_config().await.unwrap().is_empty());
    assert_eq!(
        store.identity_attribute_names().await.unwrap(),
        ["costCenter", "employeeType"]
    );

    let run = report_run("r1", "camp", ReportType::CampaignStatusReport, t(3));
    let mut run_task = task("r1-task", TaskType::CampaignReport, "camp", t(3));
    run_task.payload = serde_json::json!({ "reportId": "r1" });
    store
        .start_report(
            &run,
            &run_task,
            &event("campaign.report_requested", "camp", t(3)),
        )
        .await
        .unwrap();
    assert_eq!(
        store.campaign_reports(&"camp".into()).await.unwrap(),
        std::slice::from_ref(&run)
    );
    assert_eq!(store.report_run(&run.id).await.unwrap(), Some(run.clone()));
    let queued = store.task(&run_task.id).await.unwrap().unwrap();
    assert_eq!(queued.task_type, TaskType::CampaignReport);

    let big = vec![b'x'; 300_000];
    store.append_report_chunk(&run.id, 0, &big).await.unwrap();
    store
        .append_report_chunk(&run.id, 1, b"tail\n")
        .await
        .unwrap();
    assert_eq!(store.report_chunk(&run.id, 0).await.unwrap(), Some(big));
    assert_eq!(
        store.report_chunk(&run.id, 1).await.unwrap().as_deref(),
        Some(&b"tail\n"[..])
    );
    assert_eq!(store.report_chunk(&run.id, 2).await.unwrap(), None);
    // An interrupted run starts its file again.
    store.clear_report_file(&run.id).await.unwrap();
    assert_eq!(store.report_chunk(&run.id, 0).await.unwrap(), None);
    store.append_report_chunk(&run.id, 0, b"h\n").await.unwrap();

    assert!(store
        .finish_report(&run.id, ReportStatus::Success, t(4), Some(7), None)
        .await
        .unwrap());
    assert!(!store
        .finish_report(&run.id, ReportStatus::Error, t(5), None, Some("late"))
        .await
        .unwrap());
    let done = store.report_run(&run.id).await.unwrap().unwrap();
    assert_eq!(done.status, ReportStatus::Success);
    assert_eq!(done.last_run_at, Some(t(4)));
    assert_eq!(done.rows, Some(7));
    assert_eq!(done.error, None);

    // Another type is a second entry; the same type again replaces the run and its file.
    let other = report_run("r2", "camp", ReportType::CampaignCompositionReport, t(5));
    store
        .start_report(
            &other,
            &task("r2-task", TaskType::CampaignReport, "camp", t(5)),
            &event("campaign.report_requested", "camp", t(5)),
        )
        .await
        .unwrap();
    let again = report_run("r3", "camp", ReportType::CampaignStatusReport, t(6));
    store
        .start_report(
            &again,
            &task("r3-task", TaskType::CampaignReport, "camp", t(6)),
            &event("campaign.report_requested", "camp", t(6)),
        )
        .await
        .unwrap();
    assert_eq!(store.report_run(&run.id).await.unwrap(), None);
    assert_eq!(store.report_chunk(&run.id, 0).await.unwrap(), None);
    let listed = store.campaign_reports(&"camp".into()).await.unwrap();
    assert_eq!(
        listed,
        [other.clone(), again.clone()],
        "one per type, in type order"
    );
    assert!(store
        .finish_report(
            &again.id,
            ReportStatus::Error,
            t(7),
            None,
            Some("storage kept failing")
        )
        .await
        .unwrap());
    let failed = store.report_run(&again.id).await.unwrap().unwrap();
    assert_eq!(failed.error.as_deref(), Some("storage kept failing"));
    assert!(store
        .campaign_reports(&"elsewhere".into())
        .await
        .unwrap()
        .is_empty());
}
