//! Ad-hoc measurement of the PostgreSQL import path at benchmark scale: 100,000 identities and
//! 1,000,000 assignments (10 per identity over 10 roles and 10 entitlements), imported three
//! times into a fresh schema: a first load, a re-import of the same data, and a re-import in
//! which 10% of the assignments changed origin, 5% are gone and 5% moved to other items (so
//! 10% are removed and 5% added).
//!
//! Run in release mode against a scratch database:
//!
//! ```text
//! ATTEST_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p attest-store-postgres --example pg_import_1m_assignments
//! ```
//!
//! Prints the time of each step. Only the store is measured (no CSV parsing, no validation).

use std::collections::BTreeMap;
use std::time::Instant;

use attest_domain::*;
use attest_store::{StagedAssignment, Store};
use chrono::{TimeZone, Utc};

const IDENTITIES: usize = 100_000;
const ITEMS: usize = 10;
/// Rows per `stage_assignments` call, as an importer reading a CSV would batch them.
const STAGE_BATCH: usize = 50_000;

fn identities() -> Vec<Identity> {
    (0..IDENTITIES)
        .map(|i| Identity {
            id: IdentityId(format!("id{i:06}")),
            name: format!("user.{i:06}"),
            display_name: Some(format!("User {i}")),
            email: Some(format!("user.{i:06}@example.com")),
            manager_id: (i > 0).then(|| IdentityId(format!("id{:06}", (i - 1) / 10))),
            department: Some(format!("Dept {}", i % 50)),
            title: Some("Engineer".into()),
            location: Some("Berlin".into()),
            lifecycle_state: Some("active".into()),
            active: i % 97 != 0,
            attributes: BTreeMap::from([("costCenter".to_owned(), format!("CC-{}", i % 100))]),
        })
        .collect()
}

fn assignments() -> Vec<StagedAssignment> {
    let granted = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single();
    let mut out = Vec::with_capacity(IDENTITIES * ITEMS);
    for i in 0..IDENTITIES {
        for k in 0..ITEMS {
            let (access_type, access_id) = if k % 2 == 0 {
                (AccessType::Role, format!("role{}", (i + k) % ITEMS))
            } else {
                (AccessType::Entitlement, format!("ent{}", (i + k) % ITEMS))
            };
            let line = out.len() as u64 + 2;
            out.push(StagedAssignment {
                line,
                assignment: Assignment {
                    identity_id: Some(IdentityId(format!("id{i:06}"))),
                    account_id: None,
                    access_type,
                    access_id,
                    origin: Origin::ALL[(i + k) % Origin::ALL.len()],
                    granted_at: granted,
                },
            });
        }
    }
    out
}

/// The same assignments with 10% of them changed, 5% left out and 5% moved to another item.
fn changed(rows: &[StagedAssignment]) -> Vec<StagedAssignment> {
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        let mut a = row.assignment.clone();
        match n % 20 {
            0 | 1 => {
                a.origin = if a.origin == Origin::Discovered {
                    Origin::Manual
                } else {
                    Origin::Discovered
                }
            }
            2 => continue,
            3 => a.access_id = format!("{}-new", a.access_id),
            _ => {}
        }
        out.push(StagedAssignment {
            line: out.len() as u64 + 2,
            assignment: a,
        });
    }
    out
}

async fn import(store: &dyn Store, label: &str, people: &[Identity], rows: &[StagedAssignment]) {
    let t = |day| {
        Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0)
            .single()
            .expect("valid date")
    };
    let all = Instant::now();
    let mut tx = store.begin_import(t(1)).await.expect("begin import");

    let step = Instant::now();
    tx.upsert_identities(people).await.expect("identities");
    tx.upsert_sources(&[Source {
        id: "ad".into(),
        name: "AD".into(),
        description: None,
        owner_id: Some("id000000".into()),
        source_type: None,
    }])
    .await
    .expect("sources");
    // Every item twice: `ent3` and `ent3-new` (the latter used by the changed data).
    let items: Vec<(usize, &str)> = (0..ITEMS).flat_map(|k| [(k, ""), (k, "-new")]).collect();
    let entitlements: Vec<Entitlement> = items
        .iter()
        .map(|&(k, suffix)| Entitlement {
            id: EntitlementId(format!("ent{k}{suffix}")),
            source_id: "ad".into(),
            name: format!("Group {k}"),
            attribute: None,
            value: None,
            description: None,
            privileged: k == 0,
            owner_id: None,
        })
        .collect();
    tx.upsert_entitlements(&entitlements)
        .await
        .expect("entitlements");
    let roles: Vec<Role> = items
        .iter()
        .map(|&(k, suffix)| Role {
            id: RoleId(format!("role{k}{suffix}")),
            name: format!("Role {k}"),
            description: None,
            owner_id: Some("id000000".into()),
            access_profile_ids: vec![],
            entitlement_ids: vec![EntitlementId(format!("ent{k}"))],
            privileged: false,
        })
        .collect();
    tx.upsert_roles(&roles).await.expect("roles");
    let records = step.elapsed();

    let step = Instant::now();
    for batch in rows.chunks(STAGE_BATCH) {
        tx.stage_assignments(batch).await.expect("stage");
    }
    let staging = step.elapsed();

    let step = Instant::now();
    let dups = tx.duplicate_assignments().await.expect("duplicates");
    assert!(dups.is_empty());
    let duplicates = step.elapsed();

    let step = Instant::now();
    let merge = tx.merge_assignments().await.expect("merge");
    let merging = step.elapsed();

    let step = Instant::now();
    tx.commit().await.expect("commit");
    let commit = step.elapsed();

    println!(
        "{label}: records {records:.2?}, staging {staging:.2?}, duplicate check {duplicates:.2?}, \
         merge {merging:.2?} ({merge:?}), commit {commit:.2?}, total {:.2?}",
        all.elapsed()
    );
}

#[tokio::main]
async fn main() {
    let Some(store) = attest_testing::postgres_store().await else {
        eprintln!("set ATTEST_TEST_DATABASE_URL to run this measurement");
        std::process::exit(2);
    };
    let step = Instant::now();
    let people = identities();
    let rows = assignments();
    println!(
        "generated {} identities and {} assignments in {:.2?}",
        people.len(),
        rows.len(),
        step.elapsed()
    );

    import(store.as_ref(), "first import", &people, &rows).await;
    import(store.as_ref(), "re-import (same data)", &people, &rows).await;
    let rows = changed(&rows);
    import(
        store.as_ref(),
        "re-import (10% changed, 10% removed, 5% added)",
        &people,
        &rows,
    )
    .await;

    let counts = store.warehouse_counts().await.expect("counts");
    println!(
        "stored: {} identities, {} assignments",
        counts.identities, counts.assignments
    );
}
