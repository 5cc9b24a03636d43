//! The importer on real stores (SQLite always, PostgreSQL when configured): a good bundle
//! loads, every kind of bad row is refused with its `file:line: reason`, a refused import
//! leaves the warehouse exactly as it was, and a re-import is an upsert that drops vanished
//! assignments.

use std::path::Path;
use std::sync::Arc;

use attest_domain::*;
use attest_engine::import::{import_bundle, ImportError, ImportReport, NoProgress};
use attest_store::Store;
use chrono::TimeZone;

fn clock() -> ManualClock {
    ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap())
}

/// A small but complete bundle; tests overwrite single files to break it.
fn write_bundle(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "identities.csv",
            "id,name,displayName,email,managerId,department,title,location,lifecycleState,active,costCenter\n\
             ceo,ceo,Cora CEO,ceo@x.test,,Exec,CEO,Berlin,active,true,CC-1\n\
             alice,alice,Alice A,alice@x.test,ceo,IT,Head of IT,Berlin,active,true,CC-2\n\
             bob,bob,Bob B,bob@x.test,alice,IT,Engineer,Paris,leaver,false,\n",
        ),
        ("sources.csv", "id,name,description,ownerId,type\nad,Active Directory,Corp directory,alice,Active Directory\n"),
        (
            "entitlements.csv",
            "id,sourceId,name,attribute,value,description,privileged,ownerId\n\
             admins,ad,Domain Admins,memberOf,CN=Domain Admins,,true,alice\n\
             users,ad,Domain Users,memberOf,CN=Domain Users,,false,\n",
        ),
        ("permissions.csv", "entitlementId,target,rights\nadmins,dc01,full\nusers,share://home,\"read,write\"\n"),
        ("access_profiles.csv", "id,name,description,sourceId,ownerId,entitlementIds\nap1,AD basics,,ad,alice,users;admins\n"),
        ("roles.csv", "id,name,description,ownerId,accessProfileIds,entitlementIds,privileged\nr1,IT staff,,alice,ap1,users,false\n"),
        (
            "accounts.csv",
            "id,sourceId,nativeIdentity,name,identityId,machine,ownerId,disabled,locked,lastUsed\n\
             bob-ad,ad,CN=bob,bob,bob,false,,false,false,2026-10-01T10:00:00Z\n\
             svc-backup,ad,CN=svc-backup,svc-backup,,true,alice,false,false,2026-01-01T00:00:00Z\n\
             orphan,ad,CN=old,old,,false,,true,false,\n",
        ),
        ("governance_groups.csv", "id,name,description,ownerId,memberIds\ngg1,IT reviewers,,alice,alice;bob\n"),
        (
            "assignments.csv",
            "identityId,accountId,accessType,accessId,origin,grantedAt\n\
             bob,bob-ad,ENTITLEMENT,users,ROLE_MODEL,2025-01-01T00:00:00Z\n\
             bob,,ROLE,r1,REQUEST,\n\
             ,svc-backup,ENTITLEMENT,admins,MANUAL,\n\
             ,orphan,ACCESS_PROFILE,ap1,DISCOVERED,\n\
             alice,,ENTITLEMENT,admins,,\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

async fn import(store: &Arc<dyn Store>, dir: &Path) -> Result<ImportReport, ImportError> {
    import_bundle(store.as_ref(), &clock(), dir, Arc::new(NoProgress)).await
}

/// Imports `dir` expecting refusal; returns the problems as `file:line: reason` strings.
async fn refused(store: &Arc<dyn Store>, dir: &Path) -> Vec<String> {
    match import(store, dir).await {
        Err(ImportError::Invalid { issues, .. }) => {
            issues.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected a refused import, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_bundle_loads_with_counts_per_file() {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        let report = import(&store, dir.path()).await.unwrap();
        let lines: Vec<String> = report.files.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "identities.csv: 3 rows (3 added, 0 updated)",
                "sources.csv: 1 rows (1 added, 0 updated)",
                "entitlements.csv: 2 rows (2 added, 0 updated)",
                "permissions.csv: 2 rows (2 added, 0 updated)",
                "access_profiles.csv: 1 rows (1 added, 0 updated)",
                "roles.csv: 1 rows (1 added, 0 updated)",
                "accounts.csv: 3 rows (3 added, 0 updated)",
                "governance_groups.csv: 1 rows (1 added, 0 updated)",
                "assignments.csv: 5 rows (5 added, 0 updated, 0 removed)",
            ],
            "{backend}"
        );
        let bob = store.identity(&"bob".into()).await.unwrap().unwrap();
        assert!(!bob.active, "{backend}");
        assert_eq!(bob.manager_id, Some("alice".into()));
        assert!(
            bob.attributes.is_empty(),
            "empty attribute cells are not stored"
        );
        let ceo = store.identity(&"ceo".into()).await.unwrap().unwrap();
        assert_eq!(
            ceo.attributes.get("costCenter").map(String::as_str),
            Some("CC-1")
        );
        let perms = store
            .entitlement_permissions(&"users".into())
            .await
            .unwrap();
        assert_eq!(perms[0].rights, "read,write");
        let ap = store.access_profile(&"ap1".into()).await.unwrap().unwrap();
        assert_eq!(
            ap.entitlement_ids,
            vec![EntitlementId::from("users"), "admins".into()]
        );
        let svc = store.account(&"svc-backup".into()).await.unwrap().unwrap();
        assert_eq!(svc.kind(), AccountKind::Machine);
        let alice = store
            .assignments_of_identity(&"alice".into())
            .await
            .unwrap();
        assert_eq!(alice[0].origin, Origin::Manual, "origin defaults to MANUAL");
    }
}

/// Each case rewrites one file and expects exactly these problems.
async fn assert_refused(file: &str, content: &[u8], expected: &[&str]) {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        std::fs::write(dir.path().join(file), content).unwrap();
        assert_eq!(refused(&store, dir.path()).await, expected, "{backend}");
        assert_eq!(
            store.warehouse_counts().await.unwrap(),
            WarehouseCounts::default(),
            "{backend}: nothing written"
        );
    }
}

#[tokio::test]
async fn unknown_references_are_refused() {
    assert_refused(
        "accounts.csv",
        b"id,sourceId,nativeIdentity,identityId\nacc1,nowhere,n1,bob\nacc2,ad,n2,nobody\n",
        &[
            "accounts.csv:2: sourceId \"nowhere\" names no source",
            "accounts.csv:3: identityId \"nobody\" names no identity",
            // The assignments that used the accounts this file no longer defines:
            "assignments.csv:2: accountId \"bob-ad\" names no account",
            "assignments.csv:4: accountId \"svc-backup\" names no account",
            "assignments.csv:5: accountId \"orphan\" names no account",
        ],
    )
    .await;
    assert_refused(
        "assignments.csv",
        b"identityId,accountId,accessType,accessId\nbob,,ROLE,ap1\nbob,,ACCESS_PROFILE,ap1\n,,ROLE,r1\n",
        &[
            "assignments.csv:2: accessId \"ap1\" names no role",
            "assignments.csv:4: an assignment needs an identityId, an accountId, or both",
        ],
    )
    .await;
}

#[tokio::test]
async fn duplicate_ids_and_duplicate_assignments_are_refused() {
    assert_refused(
        "sources.csv",
        b"id,name\nad,AD\nad,AD again\n",
        &["sources.csv:3: duplicate id \"ad\" (first on line 2)"],
    )
    .await;
    assert_refused(
        "assignments.csv",
        b"identityId,accountId,accessType,accessId,origin\nbob,,ROLE,r1,REQUEST\nbob,,ROLE,r1,MANUAL\n",
        &["assignments.csv:3: duplicate assignment (same holder, account, access type and access id as line 2)"],
    )
    .await;
    assert_refused(
        "roles.csv",
        b"id,name,entitlementIds\nr1,IT,users;users\n",
        &["roles.csv:2: entitlementIds lists \"users\" twice"],
    )
    .await;
}

#[tokio::test]
async fn manager_loops_are_refused() {
    assert_refused(
        "identities.csv",
        b"id,name,managerId\nceo,ceo,\nalice,alice,bob\nbob,bob,alice\nme,me,me\n",
        &[
            "identities.csv:3: manager loop: alice -> bob -> alice",
            "identities.csv:4: manager loop: bob -> alice -> bob",
            "identities.csv:5: manager loop: me -> me",
        ],
    )
    .await;
}

#[tokio::test]
async fn bad_values_are_refused() {
    assert_refused(
        "accounts.csv",
        b"id,sourceId,nativeIdentity,identityId,machine,lastUsed\n\
          bob-ad,ad,n,bob,yes,2026-10-01\n\
          svc-backup,ad,n2,,TRUE,\n\
          orphan,ad,n3,,false,\n",
        &[
            "accounts.csv:2: machine: bad boolean \"yes\" (expected true or false)",
            "accounts.csv:2: lastUsed: bad time \"2026-10-01\" (expected RFC 3339, e.g. 2026-01-31T09:00:00Z)",
            "accounts.csv:3: machine: bad boolean \"TRUE\" (expected true or false)",
        ],
    )
    .await;
    assert_refused(
        "assignments.csv",
        b"identityId,accessType,accessId,origin\nbob,GROUP,users,MANUAL\nbob,ENTITLEMENT,users,GIFT\n",
        &[
            "assignments.csv:2: accessType: unknown value \"GROUP\" (expected one of ENTITLEMENT, ACCESS_PROFILE, ROLE)",
            "assignments.csv:3: origin: unknown value \"GIFT\" (expected one of ROLE_MODEL, REQUEST, MANUAL, DISCOVERED)",
        ],
    )
    .await;
}

#[tokio::test]
async fn malformed_files_are_refused() {
    assert_refused(
        "sources.csv",
        b"id,description\nad,x\n",
        &["sources.csv:1: missing required column \"name\""],
    )
    .await;
    assert_refused(
        "sources.csv",
        b"id,name,owner\nad,AD,alice\n",
        &["sources.csv:1: unknown column \"owner\" (expected columns: id, name, description, ownerId, type)"],
    )
    .await;
    assert_refused(
        "sources.csv",
        b"id,name,type\nad,AD\nad2,AD2,x,extra\n",
        &[
            "sources.csv:2: wrong number of columns: expected 3, found 2",
            "sources.csv:3: wrong number of columns: expected 3, found 4",
            // The source was not defined, so what refers to it fails too:
            "entitlements.csv:2: sourceId \"ad\" names no source",
            "entitlements.csv:3: sourceId \"ad\" names no source",
            "access_profiles.csv:2: sourceId \"ad\" names no source",
            "accounts.csv:2: sourceId \"ad\" names no source",
            "accounts.csv:3: sourceId \"ad\" names no source",
            "accounts.csv:4: sourceId \"ad\" names no source",
        ],
    )
    .await;
    assert_refused(
        "governance_groups.csv",
        b"id,name,description\ngg1,IT \xff reviewers,x\n",
        &["governance_groups.csv:2: invalid UTF-8 in column \"name\""],
    )
    .await;
    assert_refused(
        "governance_groups.csv",
        b"id,name\ngg1,\n",
        &["governance_groups.csv:2: empty value in required column \"name\""],
    )
    .await;
}

#[tokio::test]
async fn folder_problems_are_refused() {
    let store = attest_testing::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    std::fs::rename(
        dir.path().join("assignments.csv"),
        dir.path().join("assignment.csv"),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("identities.csv")).unwrap();
    let problems = refused(&store, dir.path()).await;
    assert_eq!(problems.len(), 2);
    assert_eq!(
        problems[0],
        "identities.csv: file is missing (it is required)"
    );
    assert!(problems[1]
        .starts_with("assignment.csv: not a bundle file (expected one of identities.csv,"));
    let missing = import(&store, &dir.path().join("nope")).await.unwrap_err();
    assert!(matches!(missing, ImportError::Folder { .. }), "{missing:?}");
}

#[tokio::test]
async fn a_refused_reimport_leaves_the_warehouse_exactly_as_it_was() {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        import(&store, dir.path()).await.unwrap();
        let before = store.warehouse_counts().await.unwrap();
        let alice_before = store.identity(&"alice".into()).await.unwrap();
        // Valid changes to identities, then one bad assignment at the very end.
        std::fs::write(
            dir.path().join("identities.csv"),
            "id,name,displayName,managerId\nceo,ceo,Renamed,\nalice,alice,Renamed,ceo\nbob,bob,,alice\nnew,new,,ceo\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("assignments.csv"),
            "identityId,accessType,accessId\nnew,ROLE,r1\nnew,ROLE,r404\n",
        )
        .unwrap();
        assert_eq!(
            refused(&store, dir.path()).await,
            ["assignments.csv:3: accessId \"r404\" names no role"],
            "{backend}"
        );
        assert_eq!(store.warehouse_counts().await.unwrap(), before, "{backend}");
        assert_eq!(
            store.identity(&"alice".into()).await.unwrap(),
            alice_before,
            "{backend}"
        );
        assert!(
            store.identity(&"new".into()).await.unwrap().is_none(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn reimport_upserts_and_removes_vanished_assignments() {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        import(&store, dir.path()).await.unwrap();
        // Second bundle: only identities and assignments; bob changes manager, one new hire,
        // one assignment kept, one new, the rest gone.
        let second = tempfile::tempdir().unwrap();
        std::fs::write(
            second.path().join("identities.csv"),
            "id,name,managerId\nbob,bob,ceo\ndan,dan,bob\n",
        )
        .unwrap();
        std::fs::write(
            second.path().join("assignments.csv"),
            "identityId,accountId,accessType,accessId,origin\nbob,,ROLE,r1,ROLE_MODEL\ndan,,ENTITLEMENT,users,\n",
        )
        .unwrap();
        let report = import(&store, second.path()).await.unwrap();
        let lines: Vec<String> = report.files.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "identities.csv: 2 rows (1 added, 1 updated)",
                "assignments.csv: 2 rows (1 added, 1 updated, 4 removed)",
            ],
            "{backend}"
        );
        let counts = store.warehouse_counts().await.unwrap();
        assert_eq!(
            (counts.identities, counts.assignments, counts.sources),
            (4, 2, 1),
            "{backend}"
        );
        let bob = store.assignments_of_identity(&"bob".into()).await.unwrap();
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].origin, Origin::RoleModel);
        assert_eq!(
            store
                .identity(&"bob".into())
                .await
                .unwrap()
                .unwrap()
                .manager_id,
            Some("ceo".into())
        );
        // Records absent from the second bundle stay.
        assert!(store.identity(&"alice".into()).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn a_loop_through_stored_identities_is_refused() {
    let store = attest_testing::sqlite_store().await;
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    import(&store, dir.path()).await.unwrap();
    // alice is managed by ceo (stored); making ceo report to bob closes ceo -> bob -> alice -> ceo.
    let second = tempfile::tempdir().unwrap();
    std::fs::write(
        second.path().join("identities.csv"),
        "id,name,managerId\nceo,ceo,bob\n",
    )
    .unwrap();
    assert_eq!(
        refused(&store, second.path()).await,
        ["identities.csv:2: manager loop: ceo -> bob -> alice -> ceo"]
    );
}

#[tokio::test]
async fn the_demo_organisation_imports_cleanly() {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        let summary = attest_engine::demo::write_demo_bundle(
            dir.path(),
            &attest_engine::demo::DemoOptions {
                identities: 1500,
                seed: 7,
            },
        )
        .unwrap();
        let report = import(&store, dir.path()).await.unwrap();
        assert_eq!(
            report.file("assignments.csv").unwrap().rows,
            summary.rows.assignments,
            "{backend}"
        );
        let counts = store.warehouse_counts().await.unwrap();
        assert_eq!(counts, summary.rows, "{backend}");
        // Re-importing the same bundle changes nothing and removes nothing.
        let again = import(&store, dir.path()).await.unwrap();
        let assignments = again.file("assignments.csv").unwrap();
        assert_eq!(
            (assignments.added, assignments.removed),
            (0, 0),
            "{backend}"
        );
        assert_eq!(store.warehouse_counts().await.unwrap(), counts);
    }
}
