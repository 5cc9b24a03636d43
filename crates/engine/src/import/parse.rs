//! The blocking half of an import: reads each bundle file in dependency order, validates every
//! row, and sends validated records in batches to the writer.
//!
//! Policy: once any problem is found nothing more is sent (the import will be rolled back), but
//! reading goes on so that one run reports every problem in the bundle. Memory is bounded by the
//! number of records other records can refer to (ids of identities, accounts, access items),
//! never by the number of assignments, which stream through in fixed-size batches.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use attest_domain::hierarchy::find_manager_loops;
use attest_domain::values::{parse_bool, parse_time, split_list};
use attest_domain::*;
use attest_store::{RecordKind, StagedAssignment};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Sender;

use super::table::{opt, req, Column, Opened, Table};
use super::{Batch, FileReport, ImportIssue, Progress, MAX_REPORTED_ISSUES};

/// Records per batch for the small files.
const RECORD_BATCH: usize = 1_000;
/// Assignments per batch.
const ASSIGNMENT_BATCH: usize = 5_000;

const IDENTITY_COLUMNS: &[Column] = &[
    req("id"),
    req("name"),
    opt("displayName"),
    opt("email"),
    opt("managerId"),
    opt("department"),
    opt("title"),
    opt("location"),
    opt("lifecycleState"),
    opt("active"),
];
const SOURCE_COLUMNS: &[Column] = &[
    req("id"),
    req("name"),
    opt("description"),
    opt("ownerId"),
    opt("type"),
];
const ENTITLEMENT_COLUMNS: &[Column] = &[
    req("id"),
    req("sourceId"),
    req("name"),
    opt("attribute"),
    opt("value"),
    opt("description"),
    opt("privileged"),
    opt("ownerId"),
];
const ACCESS_PROFILE_COLUMNS: &[Column] = &[
    req("id"),
    req("name"),
    opt("description"),
    opt("sourceId"),
    opt("ownerId"),
    opt("entitlementIds"),
];
const ROLE_COLUMNS: &[Column] = &[
    req("id"),
    req("name"),
    opt("description"),
    opt("ownerId"),
    opt("accessProfileIds"),
    opt("entitlementIds"),
    opt("privileged"),
];
const ACCOUNT_COLUMNS: &[Column] = &[
    req("id"),
    req("sourceId"),
    req("nativeIdentity"),
    opt("name"),
    opt("identityId"),
    opt("machine"),
    opt("ownerId"),
    opt("disabled"),
    opt("locked"),
    opt("lastUsed"),
];
const ASSIGNMENT_COLUMNS: &[Column] = &[
    opt("identityId"),
    opt("accountId"),
    req("accessType"),
    req("accessId"),
    opt("origin"),
    opt("grantedAt"),
];
const GROUP_COLUMNS: &[Column] = &[
    req("id"),
    req("name"),
    opt("description"),
    opt("ownerId"),
    opt("memberIds"),
];
const PERMISSION_COLUMNS: &[Column] = &[req("entitlementId"), req("target"), req("rights")];

/// Every file a bundle may hold, in the order they are read (referenced before referring).
pub(crate) const BUNDLE_FILES: &[&str] = &[
    "identities.csv",
    "sources.csv",
    "entitlements.csv",
    "permissions.csv",
    "access_profiles.csv",
    "roles.csv",
    "accounts.csv",
    "governance_groups.csv",
    "assignments.csv",
];

/// The ids of one record kind: those stored before the import and those the bundle defines.
///
/// One map serves both, valued with the bundle line that introduced the id, or
/// [`Ids::STORED`] for an id only the warehouse has: half the memory of two sets, which
/// matters for the hundreds of thousands of accounts of a large organisation.
#[derive(Default)]
pub(crate) struct Ids {
    lines: HashMap<Box<str>, u32>,
}

impl Ids {
    /// The value of an id that is stored but not (yet) in the bundle.
    const STORED: u32 = 0;

    /// The ids already stored.
    pub fn stored(ids: Vec<String>) -> Self {
        let mut lines = HashMap::with_capacity(ids.len());
        for id in ids {
            lines.insert(id.into_boxed_str(), Self::STORED);
        }
        Self { lines }
    }

    fn contains(&self, id: &str) -> bool {
        self.lines.contains_key(id)
    }
}

/// What the warehouse held when the import began.
pub(crate) struct Existing {
    pub ids: HashMap<RecordKind, Ids>,
    pub managers: HashMap<String, String>,
}

/// What the reading half reports when it is done.
pub(crate) struct ParseOutcome {
    pub issues: Vec<ImportIssue>,
    pub more_issues: u64,
    pub files: Vec<FileReport>,
    pub staged_assignments: bool,
}

pub(crate) struct Parser {
    dir: std::path::PathBuf,
    ids: HashMap<RecordKind, Ids>,
    managers: HashMap<String, String>,
    issues: Vec<ImportIssue>,
    more_issues: u64,
    sender: Sender<Batch>,
    /// Set when the writer has gone away (a storage error); reading stops.
    writer_gone: bool,
    progress: Arc<dyn Progress>,
    files: Vec<FileReport>,
    staged_assignments: bool,
    /// Kinds whose file was refused whole (a bad header): references to them are not checked,
    /// so one bad header does not bury the real problem under every row that refers to it.
    unreadable: HashSet<RecordKind>,
}

/// The record kind a file defines, if other files refer to its records.
fn file_kind(file: &str) -> Option<RecordKind> {
    Some(match file {
        "identities.csv" => RecordKind::Identity,
        "sources.csv" => RecordKind::Source,
        "entitlements.csv" => RecordKind::Entitlement,
        "access_profiles.csv" => RecordKind::AccessProfile,
        "roles.csv" => RecordKind::Role,
        "accounts.csv" => RecordKind::Account,
        "governance_groups.csv" => RecordKind::GovernanceGroup,
        _ => return None,
    })
}

fn kind_noun(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Identity => "identity",
        RecordKind::Source => "source",
        RecordKind::Entitlement => "entitlement",
        RecordKind::AccessProfile => "access profile",
        RecordKind::Role => "role",
        RecordKind::Account => "account",
        RecordKind::GovernanceGroup => "governance group",
    }
}

impl Parser {
    pub fn new(
        dir: &Path,
        existing: Existing,
        sender: Sender<Batch>,
        progress: Arc<dyn Progress>,
    ) -> Self {
        Self {
            dir: dir.to_owned(),
            ids: existing.ids,
            managers: existing.managers,
            issues: Vec::new(),
            more_issues: 0,
            sender,
            writer_gone: false,
            progress,
            files: Vec::new(),
            staged_assignments: false,
            unreadable: HashSet::new(),
        }
    }

    pub fn run(mut self) -> ParseOutcome {
        let steps: [fn(&mut Self, Table); 9] = [
            Self::read_identities,
            Self::read_sources,
            Self::read_entitlements,
            Self::read_permissions,
            Self::read_access_profiles,
            Self::read_roles,
            Self::read_accounts,
            Self::read_governance_groups,
            Self::read_assignments,
        ];
        let schemas: [(&[Column], bool); 9] = [
            (IDENTITY_COLUMNS, true),
            (SOURCE_COLUMNS, false),
            (ENTITLEMENT_COLUMNS, false),
            (PERMISSION_COLUMNS, false),
            (ACCESS_PROFILE_COLUMNS, false),
            (ROLE_COLUMNS, false),
            (ACCOUNT_COLUMNS, false),
            (GROUP_COLUMNS, false),
            (ASSIGNMENT_COLUMNS, false),
        ];
        for ((file, step), (columns, extra)) in BUNDLE_FILES.iter().zip(steps).zip(schemas) {
            if self.writer_gone {
                break;
            }
            let path = self.dir.join(file);
            if !path.exists() {
                continue;
            }
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let mut opened_issues = Vec::new();
            let opened = Table::open(&self.dir, file, columns, extra, &mut opened_issues);
            for issue in opened_issues {
                self.report(issue);
            }
            match opened {
                Ok(Opened::Table(table)) => {
                    self.progress.file_started(file, size);
                    step(&mut self, *table);
                    self.progress.file_finished(file);
                }
                Ok(Opened::Refused) => self.unreadable.extend(file_kind(file)),
                Err(e) => {
                    self.report(ImportIssue::file(file, format!("cannot read file: {e}")));
                    self.unreadable.extend(file_kind(file));
                }
            }
        }
        ParseOutcome {
            issues: self.issues,
            more_issues: self.more_issues,
            files: self.files,
            staged_assignments: self.staged_assignments,
        }
    }

    fn report(&mut self, issue: ImportIssue) {
        if self.issues.len() < MAX_REPORTED_ISSUES {
            self.issues.push(issue);
        } else {
            self.more_issues += 1;
        }
    }

    fn failed(&self) -> bool {
        !self.issues.is_empty()
    }

    /// Sends a batch to the writer unless the import has already failed.
    fn send(&mut self, batch: Batch) {
        if self.failed() || self.writer_gone {
            return;
        }
        if self.sender.blocking_send(batch).is_err() {
            self.writer_gone = true;
        }
    }

    fn next_row(&mut self, t: &mut Table) -> bool {
        let mut found = Vec::new();
        let more = !self.writer_gone && t.next_row(&mut found);
        for issue in found {
            self.report(issue);
        }
        if t.line % 4096 == 0 {
            self.progress.advanced(t.position);
        }
        more
    }

    fn required(&mut self, t: &Table, column: &str) -> Option<String> {
        match t.get(column) {
            Some(v) => Some(v.to_owned()),
            None => {
                self.report(t.issue(format!("empty value in required column \"{column}\"")));
                None
            }
        }
    }

    fn text(t: &Table, column: &str) -> Option<String> {
        t.get(column).map(str::to_owned)
    }

    fn boolean(&mut self, t: &Table, column: &str, default: bool) -> bool {
        match t.get(column).map(parse_bool) {
            None => default,
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                self.report(t.issue(format!("{column}: {e}")));
                default
            }
        }
    }

    fn time(&mut self, t: &Table, column: &str) -> Option<DateTime<Utc>> {
        match t.get(column).map(parse_time) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                self.report(t.issue(format!("{column}: {e}")));
                None
            }
        }
    }

    fn known(&self, kind: RecordKind, id: &str) -> bool {
        self.unreadable.contains(&kind) || self.ids.get(&kind).is_some_and(|ids| ids.contains(id))
    }

    /// A reference to another record; reported when it names nothing.
    fn reference(&mut self, t: &Table, column: &str, kind: RecordKind) -> Option<String> {
        let value = t.get(column)?;
        if !self.known(kind, value) {
            self.report(t.issue(format!("{column} \"{value}\" names no {}", kind_noun(kind))));
        }
        Some(value.to_owned())
    }

    /// A reference in a required column: reported when empty or when it names nothing.
    fn required_reference(&mut self, t: &Table, column: &str, kind: RecordKind) -> Option<String> {
        self.required(t, column)?;
        self.reference(t, column, kind)
    }

    /// A `;`-separated list of references; each must resolve and appear once.
    fn reference_list(&mut self, t: &Table, column: &str, kind: RecordKind) -> Vec<String> {
        let Some(cell) = t.get(column) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for value in split_list(cell) {
            if out.iter().any(|v| v == value) {
                self.report(t.issue(format!("{column} lists \"{value}\" twice")));
                continue;
            }
            if !self.known(kind, value) {
                self.report(t.issue(format!("{column} \"{value}\" names no {}", kind_noun(kind))));
            }
            out.push(value.to_owned());
        }
        out
    }

    /// Records `id` as introduced by the current row; reports a duplicate within the file.
    /// Returns whether the record is new to the warehouse.
    fn claim_id(&mut self, t: &Table, kind: RecordKind, id: &str) -> Option<bool> {
        if id.contains('\u{1f}') {
            self.report(t.issue(format!("id \"{id}\" contains a control character")));
            return None;
        }
        let line = u32::try_from(t.line).unwrap_or(u32::MAX);
        let ids = self.ids.entry(kind).or_default();
        match ids.lines.get_mut(id) {
            Some(first) if *first != Ids::STORED => {
                let first = *first;
                self.report(t.issue(format!("duplicate id \"{id}\" (first on line {first})")));
                None
            }
            Some(stored) => {
                *stored = line;
                Some(false)
            }
            None => {
                ids.lines.insert(id.into(), line);
                Some(true)
            }
        }
    }

    fn finish_file(&mut self, file: &'static str, rows: u64, added: u64) {
        self.files.push(FileReport {
            file,
            rows,
            added,
            updated: rows - added,
            removed: 0,
        });
    }

    /// Adds `record` to `batch`, sending the batch when it is full.
    fn push<T>(&mut self, batch: &mut Vec<T>, record: T, size: usize, wrap: fn(Vec<T>) -> Batch) {
        batch.push(record);
        if batch.len() >= size {
            self.send(wrap(std::mem::replace(batch, Vec::with_capacity(size))));
        }
    }

    /// Reads a file of records that have ids: `parse_row` validates one row and builds its
    /// record (or returns `None` when a required value is missing); this claims the record's
    /// id, counts it as added or updated, and sends the records in batches.
    fn read_records<T>(
        &mut self,
        mut t: Table,
        kind: RecordKind,
        id_of: fn(&T) -> &str,
        wrap: fn(Vec<T>) -> Batch,
        mut parse_row: impl FnMut(&mut Self, &Table) -> Option<T>,
    ) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        let (mut rows, mut added) = (0, 0);
        while self.next_row(&mut t) {
            let Some(record) = parse_row(self, &t) else {
                continue;
            };
            let Some(new) = self.claim_id(&t, kind, id_of(&record)) else {
                continue;
            };
            rows += 1;
            added += u64::from(new);
            self.push(&mut batch, record, RECORD_BATCH, wrap);
        }
        if !batch.is_empty() {
            self.send(wrap(batch));
        }
        self.finish_file(t.file, rows, added);
    }

    fn read_identities(&mut self, t: Table) {
        let file = t.file;
        let extra = t.extra.clone();
        // (line, identity, manager): checked once the whole file is known.
        let mut manager_refs: Vec<(u64, String, String)> = Vec::new();
        self.read_records(
            t,
            RecordKind::Identity,
            |i: &Identity| i.id.as_str(),
            Batch::Identities,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let active = p.boolean(t, "active", true);
                let (id, name) = (id?, name?);
                let manager_id = Self::text(t, "managerId");
                if let Some(m) = &manager_id {
                    manager_refs.push((t.line, id.clone(), m.clone()));
                }
                let attributes = extra
                    .iter()
                    .filter(|(_, i)| !t.at(*i).is_empty())
                    .map(|(n, i)| (n.clone(), t.at(*i).to_owned()))
                    .collect();
                Some(Identity {
                    id: IdentityId(id),
                    name,
                    display_name: Self::text(t, "displayName"),
                    email: Self::text(t, "email"),
                    manager_id: manager_id.map(IdentityId),
                    department: Self::text(t, "department"),
                    title: Self::text(t, "title"),
                    location: Self::text(t, "location"),
                    lifecycle_state: Self::text(t, "lifecycleState"),
                    active,
                    attributes,
                })
            },
        );
        self.check_managers(file, manager_refs);
    }

    /// Checks that every manager exists and that no manager chain loops, counting the stored
    /// links of identities the bundle does not redefine.
    fn check_managers(&mut self, file: &str, manager_refs: Vec<(u64, String, String)>) {
        let mut lines: HashMap<String, u64> = HashMap::new();
        for (line, id, _) in &manager_refs {
            lines.insert(id.clone(), *line);
        }
        if let Some(ids) = self.ids.get(&RecordKind::Identity) {
            for (id, line) in &ids.lines {
                if *line != Ids::STORED {
                    self.managers.remove(&**id);
                }
            }
        }
        for (line, id, manager) in manager_refs {
            if !self.known(RecordKind::Identity, &manager) {
                self.report(ImportIssue::at(
                    file,
                    line,
                    format!("managerId \"{manager}\" names no identity"),
                ));
            } else {
                self.managers.insert(id, manager);
            }
        }
        let mut looped = find_manager_loops(&self.managers);
        looped.retain(|id| lines.contains_key(id));
        looped.sort_by_key(|id| lines[id]);
        for id in looped {
            let chain = self.loop_chain(&id);
            self.report(ImportIssue::at(
                file,
                lines[&id],
                format!("manager loop: {chain}"),
            ));
        }
        self.managers = HashMap::new();
    }

    /// Renders `a -> b -> ... -> a` for an identity on a loop (shortened for long loops).
    fn loop_chain(&self, start: &str) -> String {
        let mut chain = vec![start.to_owned()];
        let mut cur = start;
        while let Some(next) = self.managers.get(cur) {
            chain.push(next.clone());
            if next == start || chain.len() > 8 {
                break;
            }
            cur = next;
        }
        if chain.last().map(String::as_str) != Some(start) {
            chain.push("...".to_owned());
        }
        chain.join(" -> ")
    }

    fn read_sources(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::Source,
            |s: &Source| s.id.as_str(),
            Batch::Sources,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                Some(Source {
                    id: SourceId(id?),
                    name: name?,
                    description: Self::text(t, "description"),
                    owner_id: owner_id.map(IdentityId),
                    source_type: Self::text(t, "type"),
                })
            },
        );
    }

    fn read_entitlements(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::Entitlement,
            |e: &Entitlement| e.id.as_str(),
            Batch::Entitlements,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let source = p.required_reference(t, "sourceId", RecordKind::Source);
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                let privileged = p.boolean(t, "privileged", false);
                Some(Entitlement {
                    id: EntitlementId(id?),
                    source_id: SourceId(source?),
                    name: name?,
                    attribute: Self::text(t, "attribute"),
                    value: Self::text(t, "value"),
                    description: Self::text(t, "description"),
                    privileged,
                    owner_id: owner_id.map(IdentityId),
                })
            },
        );
    }

    fn read_permissions(&mut self, mut t: Table) {
        self.send(Batch::ClearPermissions);
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        let mut rows = 0;
        let mut seen: HashMap<(String, String), u64> = HashMap::new();
        while self.next_row(&mut t) {
            let entitlement = self.required_reference(&t, "entitlementId", RecordKind::Entitlement);
            let target = self.required(&t, "target");
            let rights = self.required(&t, "rights");
            let (Some(entitlement), Some(target), Some(rights)) = (entitlement, target, rights)
            else {
                continue;
            };
            if let Some(first) = seen.insert((entitlement.clone(), target.clone()), t.line) {
                self.report(t.issue(format!(
                    "duplicate permission: entitlement \"{entitlement}\" on target \"{target}\" (first on line {first})"
                )));
                continue;
            }
            rows += 1;
            let permission = Permission {
                entitlement_id: EntitlementId(entitlement),
                target,
                rights,
            };
            self.push(&mut batch, permission, RECORD_BATCH, Batch::Permissions);
        }
        if !batch.is_empty() {
            self.send(Batch::Permissions(batch));
        }
        // The file replaces every stored permission, so each row counts as added.
        self.finish_file(t.file, rows, rows);
    }

    fn read_access_profiles(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::AccessProfile,
            |a: &AccessProfile| a.id.as_str(),
            Batch::AccessProfiles,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let source_id = p.reference(t, "sourceId", RecordKind::Source);
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                let entitlements = p.reference_list(t, "entitlementIds", RecordKind::Entitlement);
                Some(AccessProfile {
                    id: AccessProfileId(id?),
                    name: name?,
                    description: Self::text(t, "description"),
                    source_id: source_id.map(SourceId),
                    owner_id: owner_id.map(IdentityId),
                    entitlement_ids: entitlements.into_iter().map(EntitlementId).collect(),
                })
            },
        );
    }

    fn read_roles(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::Role,
            |r: &Role| r.id.as_str(),
            Batch::Roles,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                let profiles = p.reference_list(t, "accessProfileIds", RecordKind::AccessProfile);
                let entitlements = p.reference_list(t, "entitlementIds", RecordKind::Entitlement);
                let privileged = p.boolean(t, "privileged", false);
                Some(Role {
                    id: RoleId(id?),
                    name: name?,
                    description: Self::text(t, "description"),
                    owner_id: owner_id.map(IdentityId),
                    access_profile_ids: profiles.into_iter().map(AccessProfileId).collect(),
                    entitlement_ids: entitlements.into_iter().map(EntitlementId).collect(),
                    privileged,
                })
            },
        );
    }

    fn read_accounts(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::Account,
            |a: &Account| a.id.as_str(),
            Batch::Accounts,
            |p, t| {
                let id = p.required(t, "id");
                let source = p.required_reference(t, "sourceId", RecordKind::Source);
                let native = p.required(t, "nativeIdentity");
                let identity_id = p.reference(t, "identityId", RecordKind::Identity);
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                let machine = p.boolean(t, "machine", false);
                let disabled = p.boolean(t, "disabled", false);
                let locked = p.boolean(t, "locked", false);
                let last_used = p.time(t, "lastUsed");
                Some(Account {
                    id: AccountId(id?),
                    source_id: SourceId(source?),
                    native_identity: native?,
                    name: Self::text(t, "name"),
                    identity_id: identity_id.map(IdentityId),
                    machine,
                    owner_id: owner_id.map(IdentityId),
                    disabled,
                    locked,
                    last_used,
                })
            },
        );
    }

    fn read_governance_groups(&mut self, t: Table) {
        self.read_records(
            t,
            RecordKind::GovernanceGroup,
            |g: &GovernanceGroup| g.id.as_str(),
            Batch::GovernanceGroups,
            |p, t| {
                let id = p.required(t, "id");
                let name = p.required(t, "name");
                let owner_id = p.reference(t, "ownerId", RecordKind::Identity);
                let members = p.reference_list(t, "memberIds", RecordKind::Identity);
                Some(GovernanceGroup {
                    id: GovernanceGroupId(id?),
                    name: name?,
                    description: Self::text(t, "description"),
                    owner_id: owner_id.map(IdentityId),
                    member_ids: members.into_iter().map(IdentityId).collect(),
                })
            },
        );
    }

    fn read_assignments(&mut self, mut t: Table) {
        let mut batch = Vec::with_capacity(ASSIGNMENT_BATCH);
        let mut rows = 0;
        self.staged_assignments = true;
        while self.next_row(&mut t) {
            let identity_id = self.reference(&t, "identityId", RecordKind::Identity);
            let account_id = self.reference(&t, "accountId", RecordKind::Account);
            if identity_id.is_none() && account_id.is_none() {
                self.report(t.issue("an assignment needs an identityId, an accountId, or both"));
            }
            let access_type = match t.get("accessType").map(str::parse::<AccessType>) {
                None => {
                    self.report(t.issue("empty value in required column \"accessType\""));
                    None
                }
                Some(Ok(v)) => Some(v),
                Some(Err(e)) => {
                    self.report(t.issue(format!("accessType: {e}")));
                    None
                }
            };
            let access_id = self.required(&t, "accessId");
            if let (Some(ty), Some(access)) = (access_type, &access_id) {
                let kind = match ty {
                    AccessType::Entitlement => RecordKind::Entitlement,
                    AccessType::AccessProfile => RecordKind::AccessProfile,
                    AccessType::Role => RecordKind::Role,
                };
                if !self.known(kind, access) {
                    self.report(t.issue(format!(
                        "accessId \"{access}\" names no {}",
                        kind_noun(kind)
                    )));
                }
            }
            let origin = match t.get("origin").map(str::parse::<Origin>) {
                None => Origin::Manual,
                Some(Ok(o)) => o,
                Some(Err(e)) => {
                    self.report(t.issue(format!("origin: {e}")));
                    Origin::Manual
                }
            };
            let granted_at = self.time(&t, "grantedAt");
            let (Some(access_type), Some(access_id)) = (access_type, access_id) else {
                continue;
            };
            if identity_id.is_none() && account_id.is_none() {
                continue;
            }
            rows += 1;
            let staged = StagedAssignment {
                line: t.line,
                assignment: Assignment {
                    identity_id: identity_id.map(IdentityId),
                    account_id: account_id.map(AccountId),
                    access_type,
                    access_id,
                    origin,
                    granted_at,
                },
            };
            self.push(&mut batch, staged, ASSIGNMENT_BATCH, Batch::Assignments);
        }
        if !batch.is_empty() {
            self.send(Batch::Assignments(batch));
        }
        // Added, updated and removed are known only after the merge.
        self.files.push(FileReport::rows(t.file, rows));
    }
}
