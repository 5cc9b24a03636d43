//! The demo bundle read back as the importer would: every file present with the contract's
//! columns, every reference resolving, and the organisation looking like a real company.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use attest_domain::hierarchy::find_manager_loops;
use attest_domain::values::{parse_bool, parse_time, split_list};
use attest_domain::{AccessType, Origin};
use attest_engine::demo::{
    reference_instant, write_demo_bundle, DemoError, DemoOptions, DemoSummary, MIN_IDENTITIES,
};
use chrono::Duration;

/// The contract's columns of each file (CONTRACTS.md, "Data bundle").
const CONTRACT: &[(&str, &[&str])] = &[
    (
        "identities.csv",
        &[
            "id",
            "name",
            "displayName",
            "email",
            "managerId",
            "department",
            "title",
            "location",
            "lifecycleState",
            "active",
        ],
    ),
    (
        "sources.csv",
        &["id", "name", "description", "ownerId", "type"],
    ),
    (
        "entitlements.csv",
        &[
            "id",
            "sourceId",
            "name",
            "attribute",
            "value",
            "description",
            "privileged",
            "ownerId",
        ],
    ),
    (
        "access_profiles.csv",
        &[
            "id",
            "name",
            "description",
            "sourceId",
            "ownerId",
            "entitlementIds",
        ],
    ),
    (
        "roles.csv",
        &[
            "id",
            "name",
            "description",
            "ownerId",
            "accessProfileIds",
            "entitlementIds",
            "privileged",
        ],
    ),
    (
        "accounts.csv",
        &[
            "id",
            "sourceId",
            "nativeIdentity",
            "name",
            "identityId",
            "machine",
            "ownerId",
            "disabled",
            "locked",
            "lastUsed",
        ],
    ),
    (
        "assignments.csv",
        &[
            "identityId",
            "accountId",
            "accessType",
            "accessId",
            "origin",
            "grantedAt",
        ],
    ),
    (
        "governance_groups.csv",
        &["id", "name", "description", "ownerId", "memberIds"],
    ),
    ("permissions.csv", &["entitlementId", "target", "rights"]),
];

/// One file, read back: its header and rows, with cells looked up by column name.
struct Rows {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Rows {
    fn read(dir: &Path, file: &str) -> Rows {
        let mut reader =
            csv::Reader::from_path(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader.records().map(|r| r.unwrap()).collect();
        Rows { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Every row's cell in `column`.
    fn column<'a>(&'a self, column: &str) -> impl Iterator<Item = &'a str> + 'a {
        let c = self.col(column);
        self.rows.iter().map(move |r| &r[c])
    }

    /// The ids of `column`, checked unique.
    fn unique_ids(&self, file: &str, column: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        for id in self.column(column) {
            assert!(!id.is_empty(), "{file}: empty {column}");
            assert!(
                seen.insert(id.to_owned()),
                "{file}: duplicate {column} {id}"
            );
        }
        seen
    }
}

/// What the checks found, for the tests' own assertions.
#[derive(Debug, Default)]
struct Stats {
    identities: usize,
    managers: usize,
    inactive: usize,
    max_span: usize,
    mean_span: f64,
    sources: usize,
    entitlements: usize,
    privileged_entitlements: usize,
    privileged_roles: usize,
    permissions: usize,
    machine_accounts: usize,
    uncorrelated_accounts: usize,
    correlated_accounts: usize,
    stale_accounts: usize,
    never_used_accounts: usize,
    disabled_accounts: usize,
    assignments: usize,
    origins: HashMap<Origin, usize>,
    access_types: HashMap<AccessType, usize>,
    departments: HashSet<String>,
    titles: HashSet<String>,
}

fn generate(dir: &Path, identities: u32, seed: u64) -> DemoSummary {
    write_demo_bundle(dir, &DemoOptions { identities, seed }).expect("demo bundle is written")
}

/// Reads the bundle back and checks every rule the importer enforces.
fn check_bundle(dir: &Path, summary: &DemoSummary) -> Stats {
    let mut stats = Stats::default();
    let files: HashMap<&str, Rows> = CONTRACT
        .iter()
        .map(|(file, columns)| {
            let rows = Rows::read(dir, file);
            for c in *columns {
                assert!(
                    rows.header.iter().any(|h| h == c),
                    "{file} lacks column {c}"
                );
            }
            if *file != "identities.csv" {
                assert_eq!(rows.header.len(), columns.len(), "{file} has extra columns");
            }
            (*file, rows)
        })
        .collect();
    let reference = reference_instant();

    // Identities and the manager hierarchy.
    let people = &files["identities.csv"];
    for extra in ["costCenter", "employeeType"] {
        assert!(people.header.iter().any(|h| h == extra));
    }
    let identity_ids = people.unique_ids("identities.csv", "id");
    people.unique_ids("identities.csv", "name");
    people.unique_ids("identities.csv", "email");
    let (id, mgr, act, life) = (
        people.col("id"),
        people.col("managerId"),
        people.col("active"),
        people.col("lifecycleState"),
    );
    let mut manager_of = HashMap::new();
    let mut reports: HashMap<&str, usize> = HashMap::new();
    let mut active_ids = HashSet::new();
    for r in &people.rows {
        if &r[id] == "E000001" {
            assert_eq!(&r[mgr], "", "the CEO has no manager");
        } else {
            assert!(
                identity_ids.contains(&r[mgr]),
                "{}: manager {} unknown",
                &r[id],
                &r[mgr]
            );
            manager_of.insert(r[id].to_owned(), r[mgr].to_owned());
            *reports.entry(&r[mgr]).or_default() += 1;
        }
        let active = parse_bool(&r[act]).unwrap();
        assert_eq!(&r[life], if active { "active" } else { "leaver" });
        if active {
            active_ids.insert(r[id].to_owned());
        } else {
            stats.inactive += 1;
        }
    }
    assert!(find_manager_loops(&manager_of).is_empty(), "manager loop");
    stats.identities = people.rows.len();
    stats.managers = reports.len();
    stats.max_span = reports
        .iter()
        .filter(|(m, _)| **m != "E000001")
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    stats.mean_span = (stats.identities - 1) as f64 / stats.managers as f64;
    stats.departments = people.column("department").map(str::to_owned).collect();
    stats.titles = people.column("title").map(str::to_owned).collect();
    let ceo = &people.rows[0];
    assert_eq!(&ceo[people.col("title")], "Chief Executive Officer");
    let admin = people
        .rows
        .iter()
        .find(|r| r[id] == *summary.admin_identity_id)
        .expect("the admin is an identity");
    assert_eq!(&admin[people.col("department")], "Security");
    assert_eq!(
        &admin[people.col("title")],
        "Chief Information Security Officer"
    );
    assert!(active_ids.contains(&summary.admin_identity_id));
    let is_identity = |what: &str, v: &str| {
        assert!(identity_ids.contains(v), "{what}: unknown identity {v:?}");
    };

    // Sources, entitlements, permissions.
    let sources = &files["sources.csv"];
    let source_ids = sources.unique_ids("sources.csv", "id");
    sources
        .column("ownerId")
        .for_each(|o| is_identity("source owner", o));
    sources.column("type").for_each(|t| assert!(!t.is_empty()));
    stats.sources = source_ids.len();

    let ents = &files["entitlements.csv"];
    let ent_ids = ents.unique_ids("entitlements.csv", "id");
    let mut ent_source = HashMap::new();
    for r in &ents.rows {
        let source = &r[ents.col("sourceId")];
        assert!(source_ids.contains(source), "entitlement source {source}");
        is_identity("entitlement owner", &r[ents.col("ownerId")]);
        if parse_bool(&r[ents.col("privileged")]).unwrap() {
            stats.privileged_entitlements += 1;
        }
        ent_source.insert(r[ents.col("id")].to_owned(), source.to_owned());
    }
    stats.entitlements = ent_ids.len();

    let perms = &files["permissions.csv"];
    let mut perm_keys = HashSet::new();
    for r in &perms.rows {
        assert!(ent_ids.contains(&r[0]), "permission of unknown {}", &r[0]);
        assert!(!r[perms.col("target")].is_empty() && !r[perms.col("rights")].is_empty());
        let key = (
            r[perms.col("entitlementId")].to_owned(),
            r[perms.col("target")].to_owned(),
        );
        assert!(perm_keys.insert(key), "duplicate permission");
    }
    stats.permissions = perms.rows.len();

    // Access profiles and roles.
    let aps = &files["access_profiles.csv"];
    let ap_ids = aps.unique_ids("access_profiles.csv", "id");
    let mut ap_source = HashMap::new();
    for r in &aps.rows {
        let source = &r[aps.col("sourceId")];
        assert!(source_ids.contains(source));
        is_identity("access profile owner", &r[aps.col("ownerId")]);
        let members: Vec<&str> = split_list(&r[aps.col("entitlementIds")]).collect();
        assert!(!members.is_empty());
        for e in members {
            assert_eq!(
                ent_source.get(e).map(String::as_str),
                Some(source),
                "{e} of another source"
            );
        }
        ap_source.insert(r[aps.col("id")].to_owned(), source.to_owned());
    }
    let roles = &files["roles.csv"];
    let role_ids = roles.unique_ids("roles.csv", "id");
    for r in &roles.rows {
        is_identity("role owner", &r[roles.col("ownerId")]);
        for a in split_list(&r[roles.col("accessProfileIds")]) {
            assert!(ap_ids.contains(a), "role holds unknown {a}");
        }
        for e in split_list(&r[roles.col("entitlementIds")]) {
            assert!(ent_ids.contains(e), "role holds unknown {e}");
        }
        if parse_bool(&r[roles.col("privileged")]).unwrap() {
            stats.privileged_roles += 1;
        }
    }

    // Accounts.
    let accounts = &files["accounts.csv"];
    let account_ids = accounts.unique_ids("accounts.csv", "id");
    let mut account_of: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut natives = HashSet::new();
    let stale = reference - Duration::days(90);
    for r in &accounts.rows {
        let (account, source, identity) = (
            &r[accounts.col("id")],
            &r[accounts.col("sourceId")],
            &r[accounts.col("identityId")],
        );
        assert!(source_ids.contains(source));
        assert!(
            natives.insert((
                source.to_owned(),
                r[accounts.col("nativeIdentity")].to_owned()
            )),
            "duplicate native identity {}",
            &r[accounts.col("nativeIdentity")]
        );
        let machine = parse_bool(&r[accounts.col("machine")]).unwrap();
        let owner = &r[accounts.col("ownerId")];
        if machine {
            assert_eq!(identity, "", "machine accounts are not correlated");
            is_identity("machine account owner", owner);
            stats.machine_accounts += 1;
        } else if identity.is_empty() {
            assert_eq!(owner, "");
            stats.uncorrelated_accounts += 1;
        } else {
            is_identity("account identity", identity);
            stats.correlated_accounts += 1;
        }
        if parse_bool(&r[accounts.col("disabled")]).unwrap() {
            stats.disabled_accounts += 1;
        }
        parse_bool(&r[accounts.col("locked")]).unwrap();
        match &r[accounts.col("lastUsed")] {
            "" => stats.never_used_accounts += 1,
            t => {
                let t = parse_time(t).unwrap();
                assert!(t < reference, "lastUsed {t} after the reference instant");
                if t < stale {
                    stats.stale_accounts += 1;
                }
            }
        }
        account_of.insert(account, (source, identity));
    }

    // Assignments.
    let assignments = &files["assignments.csv"];
    let (ci, ca, ct, cx, co, cg) = (
        assignments.col("identityId"),
        assignments.col("accountId"),
        assignments.col("accessType"),
        assignments.col("accessId"),
        assignments.col("origin"),
        assignments.col("grantedAt"),
    );
    let mut keys = HashSet::new();
    let mut holders = HashSet::new();
    for r in &assignments.rows {
        let (identity, account) = (&r[ci], &r[ca]);
        assert!(
            !identity.is_empty() || !account.is_empty(),
            "assignment without holder"
        );
        if !identity.is_empty() {
            is_identity("assignment holder", identity);
            holders.insert(identity.to_owned());
        }
        let account_source = if account.is_empty() {
            None
        } else {
            assert!(account_ids.contains(account), "unknown account {account}");
            let (source, owner) = account_of[account];
            if !identity.is_empty() {
                assert_eq!(owner, identity, "account {account} is not {identity}'s");
            }
            Some(source)
        };
        let access_type: AccessType = r[ct].parse().unwrap();
        let access_id = &r[cx];
        let item_source = match access_type {
            AccessType::Entitlement => ent_source.get(access_id),
            AccessType::AccessProfile => ap_source.get(access_id),
            AccessType::Role => {
                assert!(role_ids.contains(access_id), "unknown role {access_id}");
                assert!(!identity.is_empty(), "roles are held by identities");
                None
            }
        };
        if access_type != AccessType::Role {
            let item_source =
                item_source.unwrap_or_else(|| panic!("unknown {access_type} {access_id}"));
            if let Some(account_source) = account_source {
                assert_eq!(
                    account_source, item_source,
                    "{access_id} held through another source's account"
                );
            }
        }
        let origin: Origin = r[co].parse().unwrap();
        let granted = parse_time(&r[cg]).unwrap();
        assert!(granted < reference);
        assert!(
            keys.insert((
                identity.to_owned(),
                account.to_owned(),
                access_type,
                access_id.to_owned()
            )),
            "duplicate assignment {identity}/{account}/{access_type}/{access_id}"
        );
        *stats.origins.entry(origin).or_default() += 1;
        *stats.access_types.entry(access_type).or_default() += 1;
    }
    stats.assignments = assignments.rows.len();
    assert_eq!(
        holders.len(),
        identity_ids.len(),
        "every identity holds access"
    );

    // Governance groups.
    let groups = &files["governance_groups.csv"];
    groups.unique_ids("governance_groups.csv", "id");
    for r in &groups.rows {
        is_identity("group owner", &r[groups.col("ownerId")]);
        let members: Vec<&str> = split_list(&r[groups.col("memberIds")]).collect();
        assert!(!members.is_empty());
        members
            .into_iter()
            .for_each(|m| is_identity("group member", m));
    }

    // The summary counts what was written.
    for (file, count) in summary.rows.per_bundle_file() {
        assert_eq!(
            files[file].rows.len() as u64,
            count,
            "summary count of {file}"
        );
    }
    stats
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    CONTRACT
        .iter()
        .map(|(file, _)| (file.to_string(), std::fs::read(dir.join(file)).unwrap()))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let first = generate(a.path(), 500, 7);
    let second = generate(b.path(), 500, 7);
    generate(c.path(), 500, 8);
    assert_eq!(first, second);
    assert!(
        read_all(a.path()) == read_all(b.path()),
        "same seed, different bytes"
    );
    let (x, z) = (read_all(a.path()), read_all(c.path()));
    assert_ne!(x[0], z[0], "another seed gives other identities");
    assert_ne!(x[6], z[6], "another seed gives other assignments");
}

#[test]
fn a_small_organisation_is_consistent_and_realistic() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(dir.path(), 2000, 1);
    let stats = check_bundle(dir.path(), &summary);

    assert_eq!(stats.identities, 2000);
    assert!(stats.max_span <= 15, "span {}", stats.max_span);
    assert!(
        (7.0..=13.0).contains(&stats.mean_span),
        "mean span {}",
        stats.mean_span
    );
    let inactive = stats.inactive as f64 / stats.identities as f64;
    assert!(
        (0.01..=0.06).contains(&inactive),
        "inactive share {inactive}"
    );
    for d in [
        "Engineering",
        "Sales",
        "Finance",
        "HR",
        "IT",
        "Legal",
        "Marketing",
        "Operations",
        "Support",
        "Security",
    ] {
        assert!(stats.departments.contains(d), "department {d}");
    }
    for t in [
        "Senior Software Engineer",
        "Engineering Manager",
        "VP Engineering",
        "Director of Engineering",
        "Account Executive",
        "Chief Financial Officer",
    ] {
        assert!(stats.titles.contains(t), "title {t}");
    }

    assert!(stats.sources >= 20);
    let privileged = stats.privileged_entitlements as f64 / stats.entitlements as f64;
    assert!(
        (0.03..=0.15).contains(&privileged),
        "privileged share {privileged}"
    );
    assert!(stats.privileged_roles > 0);
    assert!(
        stats.permissions >= 100,
        "{} permissions",
        stats.permissions
    );

    assert!(stats.machine_accounts >= 20);
    assert!(stats.uncorrelated_accounts >= 5);
    assert!(
        stats.correlated_accounts >= 5 * stats.identities,
        "several accounts each"
    );
    assert!(
        stats.stale_accounts > 0 && stats.never_used_accounts > 0 && stats.disabled_accounts > 0
    );

    for origin in Origin::ALL {
        assert!(
            stats.origins.get(origin).copied().unwrap_or(0) > 0,
            "no {origin}"
        );
    }
    for access_type in AccessType::ALL {
        assert!(
            stats.access_types.get(access_type).copied().unwrap_or(0) > 0,
            "no {access_type}"
        );
    }
    let discovered = stats.origins[&Origin::Discovered] as f64 / stats.assignments as f64;
    assert!(
        (0.02..=0.06).contains(&discovered),
        "discovered share {discovered}"
    );
    let role_model = stats.origins[&Origin::RoleModel] as f64 / stats.assignments as f64;
    assert!(role_model > 0.5, "role-model share {role_model}");
}

#[test]
fn tiny_organisations_are_consistent() {
    for identities in MIN_IDENTITIES..=MIN_IDENTITIES + 20 {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(dir.path(), identities, u64::from(identities));
        let stats = check_bundle(dir.path(), &summary);
        assert_eq!(stats.identities, identities as usize);
        assert_eq!(summary.admin_identity_id, "E000002");
    }
}

#[test]
fn fewer_than_the_minimum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = write_demo_bundle(
        dir.path(),
        &DemoOptions {
            identities: 3,
            seed: 1,
        },
    )
    .unwrap_err();
    assert!(matches!(err, DemoError::TooSmall(3)), "{err}");
}

#[test]
fn twenty_thousand_identities_hold_about_ten_assignments_each() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(dir.path(), 20_000, 42);
    let stats = check_bundle(dir.path(), &summary);
    let per_identity = stats.assignments as f64 / stats.identities as f64;
    assert!(
        (9.0..=11.0).contains(&per_identity),
        "{per_identity} assignments per identity"
    );
    let managers = stats.managers as f64 / stats.identities as f64;
    assert!(
        (0.08..=0.12).contains(&managers),
        "manager share {managers}"
    );
    assert!(stats.max_span <= 15);
}

/// The size the contract is sized for; slow without optimisations, so run it with
/// `cargo test --release -p attest-engine --test demo_data -- --ignored`.
#[test]
#[ignore = "slow in debug builds"]
fn a_hundred_thousand_identities_hold_about_a_million_assignments() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let summary = generate(dir.path(), 100_000, 1);
    println!(
        "100,000 identities written in {:?}: {summary:?}",
        started.elapsed()
    );
    let stats = check_bundle(dir.path(), &summary);
    assert!(
        (900_000..=1_100_000).contains(&stats.assignments),
        "{} assignments",
        stats.assignments
    );
    let managers = stats.managers as f64 / stats.identities as f64;
    assert!(
        (0.08..=0.12).contains(&managers),
        "manager share {managers}"
    );
}
