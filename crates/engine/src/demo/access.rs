//! Who holds what: the per-identity access plan, account names and activity, and the
//! accounts that belong to no identity (machine and uncorrelated accounts).
//!
//! Policy: a plan is made for one identity at a time and written out at once, so memory
//! stays flat however many assignments the bundle holds. Origins follow how the access
//! came to be: what a role grants (birthright, job role, and everything inside a held role)
//! is `ROLE_MODEL`; the rest is `REQUEST` or `MANUAL`; a small share found on a source
//! without any grant is `DISCOVERED`. Times are counted in whole days before the reference
//! instant and never reach it.

use attest_domain::Origin;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{Catalog, Item, NativeStyle};
use super::names::{FIRST_NAMES, LAST_NAMES};
use super::org::*;
use super::REFERENCE_UNIX;

/// One planned assignment of an identity.
#[derive(Clone, Copy)]
pub(super) struct Grant {
    pub item: Item,
    pub origin: Origin,
    /// When it was granted, in seconds since the Unix epoch (always before the reference).
    pub at: i64,
}

/// The identity that administers the demo: the CISO, always `E000002`.
pub(super) const ADMIN_INDEX: u32 = 1;

/// Plans the access of one identity into `out` (cleared first).
pub(super) fn plan_identity(
    org: &Org,
    cat: &Catalog,
    index: u32,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Grant>,
) {
    out.clear();
    let p = &org.people[index as usize];
    // Grants fall between the hire date and the leaving date (or yesterday).
    let end = if p.active { 0 } else { p.leave_days };
    let hire = p.hire_days.max(end);
    let between = |rng: &mut ChaCha8Rng| office_time(rng.gen_range(end..=hire), rng);
    let onboarding = office_time(hire.saturating_sub(rng.gen_range(0..=2)).max(end), rng);

    grant_role(
        cat,
        out,
        cat.birthright[p.dept],
        Origin::RoleModel,
        onboarding,
    );
    if p.depth <= 1 {
        grant_role(cat, out, cat.leadership, Origin::RoleModel, onboarding);
    }
    if p.is_manager() {
        let when = between(rng);
        grant_role(cat, out, cat.people_manager, Origin::RoleModel, when);
    }
    if let Some(role) = p.job_role.and_then(|name| cat.role_named(name)) {
        if rng.gen_bool(0.8) {
            let when = office_time(hire.saturating_sub(rng.gen_range(0..=30)).max(end), rng);
            grant_role(cat, out, role, Origin::RoleModel, when);
        } else {
            // Not yet in the role model: the same access was requested piece by piece.
            for a in cat.roles[role].access_profiles.clone() {
                let when = between(rng);
                push(out, Item::AccessProfile(a), Origin::Request, when);
            }
        }
    }

    if index == ADMIN_INDEX {
        if let Some(role) = cat.role_named("Identity Administrator") {
            let when = between(rng);
            grant_role(cat, out, role, Origin::Request, when);
        }
    } else {
        let privileged = &cat.privileged_pool[p.dept];
        let rate = if matches!(p.dept, SECURITY | IT | ENGINEERING) {
            0.06
        } else {
            0.01
        };
        if !privileged.is_empty() && rng.gen_bool(rate) {
            let role = privileged[rng.gen_range(0..privileged.len())];
            let when = between(rng);
            grant_role(cat, out, role, Origin::Request, when);
        }
    }

    let pool = &cat.request_pool[p.dept];
    if !pool.is_empty() {
        for _ in 0..draw(rng, &[33, 36, 20, 11]) {
            let item = pool[rng.gen_range(0..pool.len())];
            let when = between(rng);
            push_item(cat, out, item, Origin::Request, when);
        }
        for _ in 0..draw(rng, &[58, 32, 10]) {
            let item = pool[rng.gen_range(0..pool.len())];
            let when = between(rng);
            push_item(cat, out, item, Origin::Manual, when);
        }
    }

    // Staff lists: a manager of managers keeps one, and adds their reports by hand.
    for holder in [p.manager, Some(index)].into_iter().flatten() {
        if let Some(list) = cat.staff_list.get(&holder) {
            let when = between(rng);
            push(out, Item::Entitlement(*list), Origin::Manual, when);
        }
    }

    let discovered = draw(rng, &[64, 31, 5]);
    if discovered > 0 {
        let sources = account_sources(cat, out);
        for _ in 0..discovered {
            let source = &cat.sources[sources[rng.gen_range(0..sources.len())]];
            let e = source.entitlements[rng.gen_range(0..source.entitlements.len())];
            let when = between(rng);
            push(out, Item::Entitlement(e), Origin::Discovered, when);
        }
    }
}

/// The sources an identity has accounts on: the core ones and those of its access.
pub(super) fn account_sources(cat: &Catalog, plan: &[Grant]) -> Vec<usize> {
    let mut sources: Vec<usize> = cat.core_sources.clone();
    sources.extend(plan.iter().filter_map(|g| cat.source_of(g.item)));
    sources.sort_unstable();
    sources.dedup();
    sources
}

/// Adds a role and, under `ROLE_MODEL`, what it grants.
fn grant_role(cat: &Catalog, out: &mut Vec<Grant>, role: usize, origin: Origin, at: i64) {
    push(out, Item::Role(role), origin, at);
    let rec = &cat.roles[role];
    for a in &rec.access_profiles {
        push(out, Item::AccessProfile(*a), Origin::RoleModel, at);
    }
    for e in &rec.entitlements {
        push(out, Item::Entitlement(*e), Origin::RoleModel, at);
    }
}

/// Adds any item; a role brings its contents.
fn push_item(cat: &Catalog, out: &mut Vec<Grant>, item: Item, origin: Origin, at: i64) {
    match item {
        Item::Role(r) => grant_role(cat, out, r, origin, at),
        other => push(out, other, origin, at),
    }
}

/// Adds one item unless the identity holds it already (the first grant wins).
fn push(out: &mut Vec<Grant>, item: Item, origin: Origin, at: i64) {
    if !out.iter().any(|g| g.item == item) {
        out.push(Grant { item, origin, at });
    }
}

/// A moment during office hours, `days_ago` whole days before the reference day (0: the day
/// before the reference instant), in seconds since the Unix epoch.
pub(super) fn office_time(days_ago: u32, rng: &mut ChaCha8Rng) -> i64 {
    let day = REFERENCE_UNIX - (i64::from(days_ago) + 1) * 86_400;
    day + rng.gen_range(8 * 3600..18 * 3600)
}

/// Draws a count: `weights[k]` is the weight of `k`.
fn draw(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (k, w) in weights.iter().enumerate() {
        if x < *w {
            return k;
        }
        x -= w;
    }
    weights.len() - 1
}

/// How an identity's account looks on a source: (native identity, account name).
pub(super) fn identity_account_names(style: NativeStyle, p: &Person, id: &str) -> (String, String) {
    let email = format!("{}@example.com", p.login);
    match style {
        NativeStyle::AdDn => (
            format!(
                "CN={},OU={},OU=Staff,DC=corp,DC=example,DC=com",
                p.login, DEPARTMENTS[p.dept].name
            ),
            p.login.clone(),
        ),
        NativeStyle::Email => (email.clone(), email),
        NativeStyle::Login => (p.login.clone(), p.login.clone()),
        NativeStyle::SapUser => {
            let (initial, last) = p.initial_and_last();
            let last: String = last.chars().take(5).collect();
            let number = id.trim_start_matches('E');
            let user = format!("{initial}{last}{number}").to_ascii_uppercase();
            (user.clone(), user)
        }
        NativeStyle::OracleUser => {
            let user = p.login.replace('.', "_").to_ascii_uppercase();
            (user.clone(), user)
        }
        NativeStyle::EmployeeId => (id.to_owned(), p.display_name()),
        NativeStyle::GithubLogin => {
            let login = p.login.replace('.', "-");
            (login.clone(), login)
        }
    }
}

/// How an account that belongs to no identity looks on a source, from its login.
pub(super) fn other_account_names(style: NativeStyle, login: &str, ou: &str) -> String {
    match style {
        NativeStyle::AdDn => format!("CN={login},OU={ou},DC=corp,DC=example,DC=com"),
        NativeStyle::Email => format!("{login}@example.com"),
        NativeStyle::SapUser | NativeStyle::OracleUser => {
            login.replace(['-', '.'], "_").to_ascii_uppercase()
        }
        NativeStyle::Login | NativeStyle::EmployeeId | NativeStyle::GithubLogin => login.to_owned(),
    }
}

/// How an account stands on its source.
pub(super) struct AccountState {
    pub disabled: bool,
    pub locked: bool,
    /// When it was last used, in seconds since the Unix epoch; `None`: never.
    pub last_used: Option<i64>,
}

impl AccountState {
    fn new(
        disabled: bool,
        locked: bool,
        last_used_days_ago: Option<u32>,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        AccountState {
            disabled,
            locked,
            last_used: last_used_days_ago.map(|d| office_time(d, rng)),
        }
    }
}

/// The state of a correlated account: leavers' accounts are mostly disabled and idle since
/// they left; about one active account in ten has not been used for over 90 days.
pub(super) fn identity_account_state(p: &Person, rng: &mut ChaCha8Rng) -> AccountState {
    if !p.active {
        let last_used = if rng.gen_bool(0.1) {
            None
        } else {
            Some((p.leave_days + rng.gen_range(0..=20)).min(p.hire_days))
        };
        let (disabled, locked) = (rng.gen_bool(0.7), rng.gen_bool(0.03));
        AccountState::new(disabled, locked, last_used, rng)
    } else {
        let r: f64 = rng.gen();
        let last_used = if r < 0.04 {
            None
        } else if r < 0.80 {
            Some(rng.gen_range(0..=30))
        } else if r < 0.91 {
            Some(rng.gen_range(31..=88))
        } else {
            Some(rng.gen_range(91..=400))
        };
        let (disabled, locked) = (rng.gen_bool(0.015), rng.gen_bool(0.006));
        AccountState::new(disabled, locked, last_used.map(|d| d.min(p.hire_days)), rng)
    }
}

/// A service account template: source key, login and what it holds.
pub(super) struct MachineSpec {
    pub source: &'static str,
    pub login: &'static str,
    pub entitlements: &'static [&'static str],
}

const fn svc(
    source: &'static str,
    login: &'static str,
    entitlements: &'static [&'static str],
) -> MachineSpec {
    MachineSpec {
        source,
        login,
        entitlements,
    }
}

/// Service accounts; past the first round each gets a numbered twin (`svc-backup-02`).
pub(super) const MACHINE_ACCOUNTS: &[MachineSpec] = &[
    svc("AD", "svc-backup", &["Backup Operators"]),
    svc("AD", "svc-sql", &["Server Operators"]),
    svc("AD", "svc-print", &["Printer Users"]),
    svc("AD", "svc-adconnect", &["Account Operators"]),
    svc("AD", "svc-scanner", &["FS-Company-Public"]),
    svc("AWS", "svc-terraform", &["Prod-Administrator"]),
    svc(
        "AWS",
        "svc-ci-deploy",
        &["Staging-Developer", "Prod-PowerUser"],
    ),
    svc("AWS", "svc-log-shipper", &["Log-Archive-ReadOnly"]),
    svc("KUBERNETES", "svc-argocd", &["cluster-admin"]),
    svc("KUBERNETES", "svc-prometheus", &["view"]),
    svc("GITHUB", "svc-release-bot", &["release-managers"]),
    svc("GITHUB", "svc-ci", &["engineering"]),
    svc("SNOWFLAKE", "svc-etl-nightly", &["DATA_ENGINEER"]),
    svc("SNOWFLAKE", "svc-tableau", &["ANALYST"]),
    svc("SNOWFLAKE", "svc-fivetran", &["SYSADMIN"]),
    svc(
        "ORACLE",
        "svc-batch",
        &["CONNECT", "FIN_WRITE", "ORDERS_WRITE"],
    ),
    svc("ORACLE", "svc-reporting", &["CONNECT", "FIN_READ"]),
    svc("SERVICENOW", "svc-discovery", &["asset"]),
    svc("SERVICENOW", "svc-integration", &["admin"]),
    svc("DATADOG", "svc-datadog-agent", &["Datadog Standard Role"]),
    svc("SAP", "svc-sap-rfc", &["SAP_ALL"]),
    svc("SAP", "svc-sap-batch", &["SAP_FI_GL_ACCOUNTANT"]),
    svc(
        "SALESFORCE",
        "svc-sfdc-integration",
        &["System Administrator"],
    ),
    svc("OKTA", "svc-okta-scim", &["Okta Super Admins"]),
    svc(
        "WORKDAY",
        "svc-workday-integration",
        &["Integration System User"],
    ),
    svc("JIRA", "svc-jira-automation", &["jira-software-users"]),
    svc("ZENDESK", "svc-zendesk-api", &["Agent"]),
    svc("PAGERDUTY", "svc-pagerduty-events", &["Responder"]),
];

/// Sources where leftover accounts with no owner pile up.
pub(super) const UNCORRELATED_SOURCES: &[&str] = &[
    "AD",
    "SALESFORCE",
    "ORACLE",
    "SAP",
    "GITHUB",
    "JIRA",
    "ZENDESK",
    "NETSUITE",
    "SNOWFLAKE",
    "CONFLUENCE",
];

/// A login for the `k`-th uncorrelated account (`k` from 1), unique by its number: test users,
/// temporary and training accounts, and accounts of people who left before the HR import.
pub(super) fn uncorrelated_login(k: u64, rng: &mut ChaCha8Rng) -> String {
    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())].to_ascii_lowercase();
    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())].to_ascii_lowercase();
    let initial = &first[..1];
    match rng.gen_range(0..7) {
        0 => format!("test.user{k}"),
        1 => format!("{initial}{last}{k}.old"),
        2 => format!("temp.{last}{k}"),
        3 => format!("contractor{k}"),
        4 => format!("training{k}"),
        5 => format!("former.{first}.{last}{k}"),
        _ => format!("admin.{last}{k}"),
    }
}

/// The state of a machine account: mostly busy, now and then abandoned.
pub(super) fn machine_account_state(rng: &mut ChaCha8Rng) -> AccountState {
    let r: f64 = rng.gen();
    let last_used = if r < 0.03 {
        None
    } else if r < 0.88 {
        Some(rng.gen_range(0..=2))
    } else {
        Some(rng.gen_range(91..=700))
    };
    let disabled = rng.gen_bool(0.03);
    AccountState::new(disabled, false, last_used, rng)
}

/// The state of an uncorrelated account: often disabled, mostly idle for months.
pub(super) fn uncorrelated_account_state(rng: &mut ChaCha8Rng) -> AccountState {
    let r: f64 = rng.gen();
    let last_used = if r < 0.15 {
        None
    } else if r < 0.4 {
        Some(rng.gen_range(0..=60))
    } else {
        Some(rng.gen_range(91..=900))
    };
    let (disabled, locked) = (rng.gen_bool(0.3), rng.gen_bool(0.05));
    AccountState::new(disabled, locked, last_used, rng)
}

/// The origin of access held by an account without an identity.
pub(super) fn orphan_origin(rng: &mut ChaCha8Rng, discovered_share: f64) -> Origin {
    let r: f64 = rng.gen();
    if r < discovered_share {
        Origin::Discovered
    } else if r < discovered_share + (1.0 - discovered_share) * 0.65 {
        Origin::Manual
    } else {
        Origin::Request
    }
}
