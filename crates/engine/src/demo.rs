//! The demo organisation generator behind `attest demo-data DIR --identities N --seed S`.
//!
//! It writes a complete data bundle (the nine files of CONTRACTS.md, "Data bundle") for a
//! believable company: a CEO and eleven departments with heads, directors and managers
//! (spans of five to fifteen, so about one identity in ten manages), titles that fit each
//! department and level, offices, a few percent of leavers, twenty-five sources with owners,
//! entitlements (some privileged) with permissions, access profiles, birthright and job roles,
//! correlated, uncorrelated and machine accounts, about ten assignments per identity of every
//! origin and access type, and governance groups.
//!
//! Policy:
//! - **Deterministic.** The same identities and seed give byte-identical files. All randomness
//!   comes from [`ChaCha8Rng`] seeded with the seed (one stream per concern, so that a change to
//!   one concern does not reshuffle the others); no hash-map order ever reaches the output; and
//!   the wall clock is never read: every time is counted back from [`REFERENCE_INSTANT`].
//! - **Consistent.** Every reference resolves, ids are unique per file, assignment keys are
//!   unique, and managers precede their reports, so the importer accepts the bundle as is.
//! - **Streaming.** Identities are kept in memory (a few dozen bytes each); accounts and
//!   assignments are planned one identity at a time and written straight to buffered files,
//!   so a million assignments never sit in memory.
//! - **Who is who.** `E000001` is the CEO, the only identity without a manager. `E000002` is
//!   the Chief Information Security Officer, head of Security, who holds the Identity
//!   Administrator role: [`DemoSummary::admin_identity_id`] names them as the identity to give
//!   administrator authorities to. `E000003` .. `E000012` head IT, Engineering, Product, Sales,
//!   Marketing, Support, Operations, Finance, HR and Legal, in that order (an organisation
//!   of fewer than twelve leaves the last departments without a head, and without people).
//! - **Never** reads the wall clock, the environment or anything outside the arguments, and
//!   never writes anywhere but the nine bundle files in the given folder.

mod access;
mod catalog;
mod names;
mod org;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use attest_domain::{AccessType, Origin, WarehouseCounts};
use chrono::{DateTime, SecondsFormat, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use access::*;
use catalog::{Catalog, Item};
use org::*;

/// The instant every generated time is counted back from, so that output never depends on
/// when it was generated. Generated times always lie strictly before it.
pub const REFERENCE_INSTANT: &str = "2026-10-01T00:00:00Z";

/// [`REFERENCE_INSTANT`] as seconds since the Unix epoch.
const REFERENCE_UNIX: i64 = 1_790_812_800;

/// The smallest organisation the generator makes: a CEO and nine department heads.
pub const MIN_IDENTITIES: u32 = 10;

/// [`REFERENCE_INSTANT`] as a time.
pub fn reference_instant() -> DateTime<Utc> {
    DateTime::from_timestamp(REFERENCE_UNIX, 0).unwrap_or_default()
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// How many identities (people); at least [`MIN_IDENTITIES`].
    pub identities: u32,
    /// The seed: the same options always give the same bundle.
    pub seed: u64,
}

/// How many rows each file of the written bundle holds, and whom to make administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Rows per file, which are also the warehouse's counts after importing the bundle into an
    /// empty database.
    pub rows: WarehouseCounts,
    /// The identity to give administrator authorities to in a demo: the CISO, `E000002`.
    pub admin_identity_id: String,
}

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Creating the folder or a file, or flushing a file, failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Writing a CSV row failed.
    #[error("cannot write {}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// What the CSV writer said.
        source: csv::Error,
    },
    /// Fewer identities were asked for than the organisation's skeleton needs.
    #[error("a demo organisation needs at least {MIN_IDENTITIES} identities, got {0}")]
    TooSmall(u32),
}

/// One rng stream per concern (see the module's policy).
mod stream {
    pub const ORG: u64 = 1;
    pub const CATALOG: u64 = 2;
    pub const ACCESS: u64 = 3;
    pub const SERVICE_ACCOUNTS: u64 = 4;
    pub const GROUPS: u64 = 5;
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The identity every demo organisation makes its administrator (the CISO), whatever its
/// size and seed.
pub fn admin_identity_id() -> String {
    identity_id(ADMIN_INDEX)
}

/// Writes the demo bundle into `dir` (created if missing; existing bundle files are replaced)
/// and returns the row counts.
pub fn write_demo_bundle(dir: &Path, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    if opts.identities < MIN_IDENTITIES {
        return Err(DemoError::TooSmall(opts.identities));
    }
    std::fs::create_dir_all(dir).map_err(|source| DemoError::Io {
        path: dir.to_owned(),
        source,
    })?;

    let n = opts.identities as usize;
    let org = Org::generate(n, &mut rng_for(opts.seed, stream::ORG));
    let cat = Catalog::build(&org, &mut rng_for(opts.seed, stream::CATALOG));
    let ids: Vec<String> = (0..n as u32).map(identity_id).collect();

    let identities = write_identities(dir, &org, &ids)?;
    let (sources, entitlements, access_profiles, roles, permissions) =
        write_catalog(dir, &cat, &ids)?;
    let governance_groups =
        write_governance_groups(dir, &org, &ids, &mut rng_for(opts.seed, stream::GROUPS))?;
    let (accounts, assignments) = write_access(dir, &org, &cat, &ids, opts.seed)?;

    Ok(DemoSummary {
        rows: WarehouseCounts {
            identities,
            sources,
            entitlements,
            access_profiles,
            roles,
            accounts,
            assignments,
            governance_groups,
            permissions,
        },
        admin_identity_id: admin_identity_id(),
    })
}

/// A bundle file being written.
struct Table {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    rows: u64,
}

impl Table {
    fn create(dir: &Path, file: &str, header: &[&str]) -> Result<Table, DemoError> {
        let path = dir.join(file);
        let out = File::create(&path).map_err(|source| DemoError::Io {
            path: path.clone(),
            source,
        })?;
        let writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(BufWriter::with_capacity(1 << 18, out));
        let mut table = Table {
            path,
            writer,
            rows: 0,
        };
        table.write(header)?;
        table.rows = 0;
        Ok(table)
    }

    fn write<I, T>(&mut self, record: I) -> Result<(), DemoError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(record)
            .map_err(|source| DemoError::Csv {
                path: self.path.clone(),
                source,
            })?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<u64, DemoError> {
        self.writer.flush().map_err(|source| DemoError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.rows)
    }
}

/// `2026-03-01T09:00:00Z`.
fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn write_identities(dir: &Path, org: &Org, ids: &[String]) -> Result<u64, DemoError> {
    let mut t = Table::create(
        dir,
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
            "costCenter",
            "employeeType",
            "hireDate",
        ],
    )?;
    for (g, p) in org.people.iter().enumerate() {
        let dept = &DEPARTMENTS[p.dept];
        let hire_date =
            DateTime::from_timestamp(REFERENCE_UNIX - i64::from(p.hire_days) * 86_400, 0)
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default();
        t.write([
            ids[g].as_str(),
            &p.login,
            &p.display_name(),
            &format!("{}@example.com", p.login),
            p.manager.map(|m| ids[m as usize].as_str()).unwrap_or(""),
            dept.name,
            p.title,
            names::LOCATIONS[p.location].0,
            if p.active { "active" } else { "leaver" },
            bool_text(p.active),
            &format!("CC-{}-{}", dept.code, 100 + u32::from(p.branch)),
            p.employee_type,
            &hire_date,
        ])?;
    }
    t.finish()
}

type CatalogCounts = (u64, u64, u64, u64, u64);

fn write_catalog(dir: &Path, cat: &Catalog, ids: &[String]) -> Result<CatalogCounts, DemoError> {
    let id = |person: u32| ids[person as usize].as_str();

    let mut t = Table::create(
        dir,
        "sources.csv",
        &["id", "name", "description", "ownerId", "type"],
    )?;
    for s in &cat.sources {
        t.write([
            s.id.as_str(),
            s.spec.name,
            s.spec.description,
            id(s.owner),
            s.spec.source_type,
        ])?;
    }
    let sources = t.finish()?;

    let mut t = Table::create(
        dir,
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
    )?;
    let mut p = Table::create(
        dir,
        "permissions.csv",
        &["entitlementId", "target", "rights"],
    )?;
    for e in &cat.entitlements {
        let source = &cat.sources[e.source];
        t.write([
            e.id.as_str(),
            &source.id,
            &e.name,
            source.spec.attribute,
            &e.value,
            &e.description,
            bool_text(e.privileged),
            id(e.owner),
        ])?;
        for (target, rights) in &e.permissions {
            p.write([e.id.as_str(), target, rights])?;
        }
    }
    let entitlements = t.finish()?;
    let permissions = p.finish()?;

    let ent_ids = |list: &[usize]| -> String {
        list.iter()
            .map(|e| cat.entitlements[*e].id.as_str())
            .collect::<Vec<_>>()
            .join(";")
    };
    let mut t = Table::create(
        dir,
        "access_profiles.csv",
        &[
            "id",
            "name",
            "description",
            "sourceId",
            "ownerId",
            "entitlementIds",
        ],
    )?;
    for a in &cat.access_profiles {
        t.write([
            a.id.as_str(),
            &a.name,
            &a.description,
            &cat.sources[a.source].id,
            id(a.owner),
            &ent_ids(&a.entitlements),
        ])?;
    }
    let access_profiles = t.finish()?;

    let mut t = Table::create(
        dir,
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
    )?;
    for r in &cat.roles {
        let aps = r
            .access_profiles
            .iter()
            .map(|a| cat.access_profiles[*a].id.as_str())
            .collect::<Vec<_>>()
            .join(";");
        t.write([
            r.id.as_str(),
            &r.name,
            &r.description,
            id(r.owner),
            &aps,
            &ent_ids(&r.entitlements),
            bool_text(r.privileged),
        ])?;
    }
    let roles = t.finish()?;
    Ok((sources, entitlements, access_profiles, roles, permissions))
}

fn write_governance_groups(
    dir: &Path,
    org: &Org,
    ids: &[String],
    rng: &mut ChaCha8Rng,
) -> Result<u64, DemoError> {
    let mut t = Table::create(
        dir,
        "governance_groups.csv",
        &["id", "name", "description", "ownerId", "memberIds"],
    )?;
    let active_in = |depts: &[usize]| -> Vec<u32> {
        depts
            .iter()
            .flat_map(|d| org.active_members[*d].iter().copied())
            .collect()
    };
    let managers_in = |depts: &[usize]| -> Vec<u32> {
        depts
            .iter()
            .flat_map(|d| org.managers[*d].iter().copied())
            .filter(|m| org.people[*m as usize].active)
            .collect()
    };
    let heads =
        |depts: &[usize]| -> Vec<u32> { depts.iter().filter_map(|d| org.heads[*d]).collect() };

    let mut sox = heads(&[FINANCE, LEGAL, SECURITY, IT]);
    sox.extend(active_in(&[FINANCE]).choose_multiple(rng, 3).copied());
    let mut groups: Vec<(String, String, u32, Vec<u32>)> = Vec::new();
    let mut add =
        |name: &str, description: &str, owner: u32, mut members: Vec<u32>, limit: usize| {
            if members.len() > limit {
                members = members.choose_multiple(rng, limit).copied().collect();
            }
            members.sort_unstable();
            members.dedup();
            if members.is_empty() {
                members.push(owner);
            }
            groups.push((name.to_owned(), description.to_owned(), owner, members));
        };
    let all_heads: Vec<u32> = std::iter::once(0)
        .chain(heads(&(0..HEADED).collect::<Vec<_>>()))
        .collect();
    add(
        "Executive Leadership Team",
        "The CEO and the department heads",
        0,
        all_heads,
        usize::MAX,
    );
    add(
        "Security Reviewers",
        "Reviews privileged access and security-sensitive campaigns",
        org.head_or_ceo(SECURITY),
        active_in(&[SECURITY]),
        8,
    );
    add(
        "Identity & Access Administrators",
        "Run the access certification programme",
        org.head_or_ceo(SECURITY),
        active_in(&[SECURITY, IT]),
        6,
    );
    add(
        "Finance Controllers",
        "Review access to financial systems (SOX scope)",
        org.head_or_ceo(FINANCE),
        managers_in(&[FINANCE]),
        8,
    );
    add(
        "SOX Compliance Committee",
        "Oversees controls over financial reporting",
        org.head_or_ceo(FINANCE),
        sox,
        usize::MAX,
    );
    add(
        "HR Business Partners",
        "Review access to worker data",
        org.head_or_ceo(HR),
        active_in(&[HR]),
        8,
    );
    add(
        "Change Advisory Board",
        "Approves production changes",
        org.head_or_ceo(IT),
        managers_in(&[IT, ENGINEERING]),
        10,
    );
    add(
        "Data Privacy Council",
        "Reviews access to personal data",
        org.head_or_ceo(LEGAL),
        active_in(&[LEGAL, SECURITY]),
        6,
    );
    for (d, dept) in DEPARTMENTS.iter().enumerate().take(HEADED) {
        add(
            &format!("{} Access Reviewers", dept.name),
            &format!("Managers who review access in {}", dept.name),
            org.head_or_ceo(d),
            managers_in(&[d]),
            10,
        );
    }

    for (i, (name, description, owner, members)) in groups.iter().enumerate() {
        let members = members
            .iter()
            .map(|m| ids[*m as usize].as_str())
            .collect::<Vec<_>>()
            .join(";");
        t.write([
            format!("GG-{:03}", i + 1).as_str(),
            name,
            description,
            &ids[*owner as usize],
            &members,
        ])?;
    }
    t.finish()
}

/// One row of `accounts.csv`, before it gets its id.
struct AccountRow<'a> {
    source_id: &'a str,
    native: &'a str,
    name: &'a str,
    /// The correlated identity; empty for machine and uncorrelated accounts.
    identity: &'a str,
    machine: bool,
    /// The owner of a machine account; empty otherwise.
    owner: &'a str,
    state: AccountState,
}

/// The writers of the two big files.
struct AccessTables {
    accounts: Table,
    assignments: Table,
    next_account: u64,
}

impl AccessTables {
    /// Writes an account and returns its new id.
    fn account(&mut self, row: AccountRow<'_>) -> Result<String, DemoError> {
        self.next_account += 1;
        let id = format!("ACC-{:07}", self.next_account);
        let last_used = row.state.last_used.map(rfc3339).unwrap_or_default();
        self.accounts.write([
            id.as_str(),
            row.source_id,
            row.native,
            row.name,
            row.identity,
            bool_text(row.machine),
            row.owner,
            bool_text(row.state.disabled),
            bool_text(row.state.locked),
            &last_used,
        ])?;
        Ok(id)
    }

    fn assignment(
        &mut self,
        cat: &Catalog,
        identity: &str,
        account: &str,
        item: Item,
        origin: Origin,
        granted: &str,
    ) -> Result<(), DemoError> {
        let (access_type, access_id) = match item {
            Item::Entitlement(e) => (AccessType::Entitlement, &cat.entitlements[e].id),
            Item::AccessProfile(a) => (AccessType::AccessProfile, &cat.access_profiles[a].id),
            Item::Role(r) => (AccessType::Role, &cat.roles[r].id),
        };
        self.assignments.write([
            identity,
            account,
            access_type.as_str(),
            access_id,
            origin.as_str(),
            granted,
        ])
    }
}

fn write_access(
    dir: &Path,
    org: &Org,
    cat: &Catalog,
    ids: &[String],
    seed: u64,
) -> Result<(u64, u64), DemoError> {
    let mut t = AccessTables {
        accounts: Table::create(
            dir,
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
        )?,
        assignments: Table::create(
            dir,
            "assignments.csv",
            &[
                "identityId",
                "accountId",
                "accessType",
                "accessId",
                "origin",
                "grantedAt",
            ],
        )?,
        next_account: 0,
    };

    // People: plan, then write their accounts and assignments.
    let mut rng = rng_for(seed, stream::ACCESS);
    let mut plan = Vec::new();
    let mut accounts: Vec<(usize, String)> = Vec::new();
    for (g, p) in org.people.iter().enumerate() {
        plan_identity(org, cat, g as u32, &mut rng, &mut plan);
        accounts.clear();
        for s in account_sources(cat, &plan) {
            let source = &cat.sources[s];
            let (native, name) = identity_account_names(source.spec.native_style, p, &ids[g]);
            let state = identity_account_state(p, &mut rng);
            let id = t.account(AccountRow {
                source_id: &source.id,
                native: &native,
                name: &name,
                identity: &ids[g],
                machine: false,
                owner: "",
                state,
            })?;
            accounts.push((s, id));
        }
        for grant in &plan {
            let account = match cat.source_of(grant.item) {
                Some(s) => accounts
                    .iter()
                    .find(|(a, _)| *a == s)
                    .map(|(_, id)| id.as_str())
                    .unwrap_or(""),
                None => "",
            };
            let granted = rfc3339(grant.at);
            t.assignment(cat, &ids[g], account, grant.item, grant.origin, &granted)?;
        }
    }

    // Machine accounts: a round of every template, then more as the organisation grows.
    let mut rng = rng_for(seed, stream::SERVICE_ACCOUNTS);
    let machines = MACHINE_ACCOUNTS.len().max(org.people.len() / 100);
    for k in 0..machines {
        let spec = &MACHINE_ACCOUNTS[k % MACHINE_ACCOUNTS.len()];
        let round = k / MACHINE_ACCOUNTS.len();
        let login = if round == 0 {
            spec.login.to_owned()
        } else {
            format!("{}-{:02}", spec.login, round + 1)
        };
        let s = cat.source_named(spec.source);
        let source = &cat.sources[s];
        let owner = if rng.gen_bool(0.3) {
            source.owner
        } else {
            org.member_of(source.spec.owner_dept, &mut rng)
        };
        let native = other_account_names(source.spec.native_style, &login, "Service Accounts");
        let state = machine_account_state(&mut rng);
        let account = t.account(AccountRow {
            source_id: &source.id,
            native: &native,
            name: &login,
            identity: "",
            machine: true,
            owner: &ids[owner as usize],
            state,
        })?;
        let mut held: Vec<usize> = spec
            .entitlements
            .iter()
            .filter_map(|e| cat.entitlement_named(s, e))
            .collect();
        // Now and then the aggregation finds more than anyone granted.
        if rng.gen_bool(0.15) {
            let extra = source.entitlements[rng.gen_range(0..source.entitlements.len())];
            if !held.contains(&extra) {
                held.push(extra);
            }
        }
        for (i, e) in held.iter().enumerate() {
            let origin = if i == spec.entitlements.len() {
                Origin::Discovered
            } else {
                orphan_origin(&mut rng, 0.0)
            };
            let granted = rfc3339(office_time(rng.gen_range(30..=1500), &mut rng));
            t.assignment(cat, "", &account, Item::Entitlement(*e), origin, &granted)?;
        }
    }

    // Uncorrelated accounts: test, temporary and leftover accounts nobody claims.
    let orphans = 5.max(org.people.len() / 200);
    for k in 0..orphans {
        let key = UNCORRELATED_SOURCES[rng.gen_range(0..UNCORRELATED_SOURCES.len())];
        let source = &cat.sources[cat.source_named(key)];
        let login = uncorrelated_login(k as u64 + 1, &mut rng);
        let native = other_account_names(source.spec.native_style, &login, "Unmanaged");
        let state = uncorrelated_account_state(&mut rng);
        let account = t.account(AccountRow {
            source_id: &source.id,
            native: &native,
            name: &login,
            identity: "",
            machine: false,
            owner: "",
            state,
        })?;
        let count = rng.gen_range(1..=3).min(source.entitlements.len());
        let held: Vec<usize> = source
            .entitlements
            .choose_multiple(&mut rng, count)
            .copied()
            .collect();
        for e in held {
            let origin = orphan_origin(&mut rng, 0.5);
            let granted = rfc3339(office_time(rng.gen_range(120..=2000), &mut rng));
            t.assignment(cat, "", &account, Item::Entitlement(e), origin, &granted)?;
        }
    }

    Ok((t.accounts.finish()?, t.assignments.finish()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_instant_matches_its_text() {
        let parsed = attest_domain::values::parse_time(REFERENCE_INSTANT).unwrap();
        assert_eq!(reference_instant(), parsed);
        assert_eq!(rfc3339(REFERENCE_UNIX), REFERENCE_INSTANT);
    }

    #[test]
    fn the_catalogue_resolves_every_name() {
        // Catalog::build panics on a name in the tables that names nothing.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let org = Org::generate(200, &mut rng);
        let cat = Catalog::build(&org, &mut rng);
        assert!(cat.sources.len() >= 20);
        for spec in MACHINE_ACCOUNTS {
            let s = cat.source_named(spec.source);
            for e in spec.entitlements {
                assert!(
                    cat.entitlement_named(s, e).is_some(),
                    "machine account {} holds unknown {e}",
                    spec.login
                );
            }
        }
        for key in UNCORRELATED_SOURCES {
            cat.source_named(key);
        }
        for d in DEPARTMENTS.iter() {
            for t in d.ic_titles {
                if let Some(role) = t.job_role {
                    assert!(
                        cat.role_named(role).is_some(),
                        "title {} implies unknown {role}",
                        t.title
                    );
                }
            }
        }
    }

    #[test]
    fn too_small_is_refused() {
        let dir = std::env::temp_dir().join("attest-demo-too-small-never-created");
        let err = write_demo_bundle(
            &dir,
            &DemoOptions {
                identities: MIN_IDENTITIES - 1,
                seed: 1,
            },
        )
        .unwrap_err();
        assert!(matches!(err, DemoError::TooSmall(9)));
        assert!(!dir.exists());
    }
}
