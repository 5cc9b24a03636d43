//! Measures a large import on SQLite: 100,000 identities and 1,000,000 assignments, imported
//! into a fresh database and then re-imported unchanged, timing each storage step.
//!
//! Run in release mode: `cargo run -p attest-store-sqlite --release --example import_benchmark`
//! (optional arguments: identities, then assignments per identity, then the directory).

use std::collections::BTreeMap;
use std::time::Instant;

use attest_domain::*;
use attest_store::{AssignmentMerge, ImportStore, PoolConfig, StagedAssignment, WarehouseStore};
use attest_store_sqlite::SqliteStore;
use chrono::{TimeZone, Utc};

/// Rows per `stage_assignments` call, as the importer streams them.
const STAGE_BATCH: usize = 10_000;
/// Rows per `upsert_identities` call.
const IDENTITY_BATCH: usize = 10_000;
const ROLES: usize = 20;
const ENTITLEMENTS: usize = 200;

fn identity(i: usize) -> Identity {
    Identity {
        id: format!("id{i:06}").into(),
        name: format!("user.{i}"),
        display_name: Some(format!("User {i}")),
        email: Some(format!("user{i}@example.com")),
        // A tree of fan-out 10; managers often come after their reports in the file.
        manager_id: (i > 0).then(|| format!("id{:06}", (i * 7919 % 100_003) % i.max(1)).into()),
        department: Some(format!("Dept {}", i % 50)),
        title: Some("Engineer".into()),
        location: Some("Berlin".into()),
        lifecycle_state: Some("active".into()),
        active: i % 97 != 0,
        attributes: BTreeMap::from([("costCenter".to_owned(), format!("CC-{}", i % 300))]),
    }
}

fn assignments(identities: usize, per_identity: usize) -> Vec<StagedAssignment> {
    let granted = Utc.with_ymd_and_hms(2025, 6, 1, 8, 0, 0).unwrap();
    let mut rows = Vec::with_capacity(identities * per_identity);
    for i in 0..identities {
        for k in 0..per_identity {
            // per_identity distinct items out of ROLES + ENTITLEMENTS.
            let item = (i * 31 + k * 11) % (ROLES + ENTITLEMENTS);
            let (access_type, access_id) = if item < ROLES {
                (AccessType::Role, format!("role{item:03}"))
            } else {
                (AccessType::Entitlement, format!("ent{:03}", item - ROLES))
            };
            rows.push(StagedAssignment {
                line: rows.len() as u64 + 2,
                assignment: Assignment {
                    identity_id: Some(format!("id{i:06}").into()),
                    account_id: None,
                    access_type,
                    access_id,
                    origin: if k % 3 == 0 {
                        Origin::RoleModel
                    } else {
                        Origin::Manual
                    },
                    granted_at: Some(granted + chrono::Duration::seconds((i * 10 + k) as i64)),
                },
            });
        }
    }
    rows
}

async fn import(
    store: &SqliteStore,
    label: &str,
    identities: &[Identity],
    staged: &[StagedAssignment],
) -> Result<AssignmentMerge, Box<dyn std::error::Error>> {
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let total = Instant::now();
    let mut tx = store.begin_import(t).await?;

    let step = Instant::now();
    for batch in identities.chunks(IDENTITY_BATCH) {
        tx.upsert_identities(batch).await?;
    }
    let source = Source {
        id: "ad".into(),
        name: "AD".into(),
        description: None,
        owner_id: Some("id000000".into()),
        source_type: None,
    };
    tx.upsert_sources(&[source]).await?;
    let entitlements: Vec<Entitlement> = (0..ENTITLEMENTS)
        .map(|e| Entitlement {
            id: format!("ent{e:03}").into(),
            source_id: "ad".into(),
            name: format!("Group {e}"),
            attribute: Some("memberOf".into()),
            value: None,
            description: None,
            privileged: e % 10 == 0,
            owner_id: None,
        })
        .collect();
    tx.upsert_entitlements(&entitlements).await?;
    let roles: Vec<Role> = (0..ROLES)
        .map(|r| Role {
            id: format!("role{r:03}").into(),
            name: format!("Role {r}"),
            description: None,
            owner_id: Some("id000000".into()),
            access_profile_ids: vec![],
            entitlement_ids: vec![
                format!("ent{:03}", r * 3).into(),
                format!("ent{:03}", r * 3 + 1).into(),
            ],
            privileged: false,
        })
        .collect();
    tx.upsert_roles(&roles).await?;
    let accounts: Vec<Account> = identities
        .iter()
        .map(|i| Account {
            id: format!("ad-{}", i.id).into(),
            source_id: "ad".into(),
            native_identity: format!("CN={},OU=Staff", i.name),
            name: Some(i.name.clone()),
            identity_id: Some(i.id.clone()),
            machine: false,
            owner_id: None,
            disabled: !i.active,
            locked: false,
            last_used: Some(t),
        })
        .collect();
    for batch in accounts.chunks(IDENTITY_BATCH) {
        tx.upsert_accounts(batch).await?;
    }
    let profiles: Vec<AccessProfile> = (0..ROLES + ENTITLEMENTS)
        .map(|p| AccessProfile {
            id: if p < ROLES {
                format!("role{p:03}")
            } else {
                format!("ent{:03}", p - ROLES)
            }
            .into(),
            name: format!("Profile {p}"),
            description: None,
            source_id: Some("ad".into()),
            owner_id: None,
            entitlement_ids: vec![format!("ent{:03}", p % ENTITLEMENTS).into()],
        })
        .collect();
    tx.upsert_access_profiles(&profiles).await?;
    let records = step.elapsed();

    let step = Instant::now();
    for batch in staged.chunks(STAGE_BATCH) {
        tx.stage_assignments(batch).await?;
    }
    let staging = step.elapsed();

    let step = Instant::now();
    let duplicates = tx.duplicate_assignments().await?;
    let duplicate_check = step.elapsed();
    assert!(duplicates.is_empty());

    let step = Instant::now();
    let merge = tx.merge_assignments().await?;
    let merging = step.elapsed();

    let step = Instant::now();
    tx.commit().await?;
    let commit = step.elapsed();

    println!(
        "{label:<10} records {:>6.2}s  stage {:>6.2}s  duplicates {:>6.2}s  merge {:>6.2}s  commit {:>6.2}s  total {:>6.2}s  ({merge:?})",
        records.as_secs_f64(),
        staging.as_secs_f64(),
        duplicate_check.as_secs_f64(),
        merging.as_secs_f64(),
        commit.as_secs_f64(),
        total.elapsed().as_secs_f64(),
    );
    Ok(merge)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let identities: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let per_identity: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("attest-import-benchmark-{}", std::process::id()))
        });
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("attest.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }

    let step = Instant::now();
    // Reports before their managers, so foreign keys stay unresolved until late in the batch.
    let people: Vec<Identity> = (0..identities).rev().map(identity).collect();
    let staged = assignments(identities, per_identity);
    println!(
        "generated {} identities and {} assignments in {:.2}s; database {}",
        people.len(),
        staged.len(),
        step.elapsed().as_secs_f64(),
        path.display()
    );

    let store = SqliteStore::open(
        &format!("sqlite://{}", path.display()),
        &PoolConfig::default(),
    )
    .await?;
    store.migrate().await?;
    let n = staged.len() as u64;
    let first = import(&store, "first", &people, &staged).await?;
    assert_eq!(
        first,
        AssignmentMerge {
            added: n,
            updated: 0,
            removed: 0
        }
    );
    let again = import(&store, "re-import", &people, &staged).await?;
    assert_eq!(
        again,
        AssignmentMerge {
            added: 0,
            updated: n,
            removed: 0
        }
    );
    // A quarter later: every tenth assignment dropped, every tenth changed, as many new.
    let changed: Vec<StagedAssignment> = staged
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 10 != 3)
        .map(|(n, s)| {
            let mut s = s.clone();
            if n % 10 == 5 {
                s.assignment.origin = Origin::Request;
            }
            s
        })
        .chain(staged.iter().step_by(10).map(|s| {
            let mut s = s.clone();
            s.line += staged.len() as u64;
            s.assignment.access_type = AccessType::AccessProfile;
            s
        }))
        .collect();
    let merge = import(&store, "changed", &people, &changed).await?;
    let added = staged.iter().step_by(10).count() as u64;
    let removed = staged.iter().skip(3).step_by(10).count() as u64;
    assert_eq!(
        merge,
        AssignmentMerge {
            added,
            updated: n - removed,
            removed
        }
    );

    let step = Instant::now();
    let counts = store.warehouse_counts().await?;
    println!("counts in {:.3}s: {counts:?}", step.elapsed().as_secs_f64());
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("database size {:.0} MiB", size as f64 / 1048576.0);
    attest_store::SystemStore::close(&store).await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
