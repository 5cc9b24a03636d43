//! `attest import DIR`: loads a data bundle into the identity warehouse, all or nothing.
//!
//! Policy (CONTRACTS.md, "Data bundle"): every row is validated; any problem anywhere rejects
//! the whole import with `file:line: reason` messages and leaves the warehouse exactly as it
//! was. A re-import is an upsert: records are added or updated by id and never deleted, while
//! the relationships a present file describes are replaced by it (assignments that are no
//! longer listed are removed; `permissions.csv` replaces every permission; an access profile's,
//! role's or group's lists are replaced by its row). A file absent from the bundle leaves its
//! part of the warehouse untouched.
//!
//! Two halves run side by side: a blocking thread reads and validates the CSV files
//! (the `parse` module) and streams validated batches through a bounded channel to this async half,
//! which writes them inside one [`ImportTx`]. Memory therefore does not grow with the number
//! of assignments.

mod parse;
mod table;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use attest_domain::*;
use attest_store::{ImportTx, RecordKind, StagedAssignment, Store, StoreError};

use parse::{Existing, Ids, Parser, BUNDLE_FILES};

/// At most this many problems are listed; the rest are counted.
pub const MAX_REPORTED_ISSUES: usize = 1_000;

/// One problem in a bundle, shown as `file:line: reason` (or `file: reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    /// The bundle file, e.g. `identities.csv`.
    pub file: String,
    /// The 1-based line (the header is line 1), when the problem has one.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl ImportIssue {
    /// A problem at a line.
    pub fn at(file: &str, line: u64, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            reason: reason.into(),
        }
    }

    /// A problem with a whole file.
    pub fn file(file: &str, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// Why an import was refused or failed. In every case nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bundle has problems; each is listed.
    #[error("the bundle was refused: {} problem(s) found", .issues.len() as u64 + .more)]
    Invalid {
        /// The problems, in file order then line order (at most [`MAX_REPORTED_ISSUES`]).
        issues: Vec<ImportIssue>,
        /// How many more problems were found but not listed.
        more: u64,
    },
    /// The bundle folder cannot be read.
    #[error("cannot read bundle folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Storage failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did to one file's part of the warehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The bundle file.
    pub file: &'static str,
    /// Rows read.
    pub rows: u64,
    /// Records that were new.
    pub added: u64,
    /// Records that existed and were updated.
    pub updated: u64,
    /// Records removed because the file no longer lists them (assignments only).
    pub removed: u64,
}

impl FileReport {
    fn rows(file: &'static str, rows: u64) -> Self {
        Self {
            file,
            rows,
            added: 0,
            updated: 0,
            removed: 0,
        }
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} rows ({} added, {} updated",
            self.file, self.rows, self.added, self.updated
        )?;
        if self.file == "assignments.csv" {
            write!(f, ", {} removed", self.removed)?;
        }
        f.write_str(")")
    }
}

/// What a successful import did, file by file in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// One entry per file present in the bundle.
    pub files: Vec<FileReport>,
}

impl ImportReport {
    /// The report for one file, if the bundle had it.
    pub fn file(&self, name: &str) -> Option<&FileReport> {
        self.files.iter().find(|f| f.file == name)
    }
}

/// Hears how far an import has come (for a progress bar). Called from the reading thread.
pub trait Progress: Send + Sync {
    /// A file of `bytes` bytes is being read.
    fn file_started(&self, _file: &str, _bytes: u64) {}
    /// The current file has been read up to byte `position`.
    fn advanced(&self, _position: u64) {}
    /// The current file has been read.
    fn file_finished(&self, _file: &str) {}
    /// A step after reading has begun (checking duplicates, merging, committing).
    fn step(&self, _what: &str) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A batch of validated records on its way to the writer.
pub(crate) enum Batch {
    Identities(Vec<Identity>),
    Sources(Vec<Source>),
    Entitlements(Vec<Entitlement>),
    ClearPermissions,
    Permissions(Vec<Permission>),
    AccessProfiles(Vec<AccessProfile>),
    Roles(Vec<Role>),
    Accounts(Vec<Account>),
    GovernanceGroups(Vec<GovernanceGroup>),
    Assignments(Vec<StagedAssignment>),
}

/// Imports the bundle in `dir`. See the module documentation for the rules.
pub async fn import_bundle(
    store: &dyn Store,
    clock: &dyn Clock,
    dir: &Path,
    progress: Arc<dyn Progress>,
) -> Result<ImportReport, ImportError> {
    check_folder(dir)?;
    let mut tx = store.begin_import(clock.now()).await?;
    let existing = load_existing(tx.as_mut()).await?;

    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(4);
    let parser = Parser::new(dir, existing, sender, Arc::clone(&progress));
    let reading = tokio::task::spawn_blocking(move || parser.run());

    let mut write_error = None;
    while let Some(batch) = receiver.recv().await {
        if let Err(e) = write_batch(tx.as_mut(), batch).await {
            write_error = Some(e);
            break;
        }
    }
    drop(receiver);
    let outcome = match reading.await {
        Ok(outcome) => outcome,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    if let Some(e) = write_error {
        tx.rollback().await?;
        return Err(e.into());
    }
    if !outcome.issues.is_empty() {
        tx.rollback().await?;
        return Err(ImportError::Invalid {
            issues: outcome.issues,
            more: outcome.more_issues,
        });
    }

    let mut report = ImportReport {
        files: outcome.files,
    };
    if outcome.staged_assignments {
        progress.step("checking assignments for duplicates");
        let duplicates = tx.duplicate_assignments().await?;
        if !duplicates.is_empty() {
            tx.rollback().await?;
            let more = duplicates.len().saturating_sub(MAX_REPORTED_ISSUES) as u64;
            let issues = duplicates
                .iter()
                .take(MAX_REPORTED_ISSUES)
                .map(|d| {
                    ImportIssue::at(
                        "assignments.csv",
                        d.line,
                        format!(
                            "duplicate assignment (same holder, account, access type and access id as line {})",
                            d.first_line
                        ),
                    )
                })
                .collect();
            return Err(ImportError::Invalid { issues, more });
        }
        progress.step("merging assignments");
        let merge = tx.merge_assignments().await?;
        if let Some(f) = report
            .files
            .iter_mut()
            .find(|f| f.file == "assignments.csv")
        {
            f.added = merge.added;
            f.updated = merge.updated;
            f.removed = merge.removed;
        }
    }
    progress.step("committing");
    tx.commit().await?;
    Ok(report)
}

/// Refuses a folder that is missing, lacks `identities.csv`, or holds a CSV file that is not
/// part of the bundle format (most likely a misspelt name whose data would be ignored).
fn check_folder(dir: &Path) -> Result<(), ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ImportError::Folder {
        path: dir.to_owned(),
        source,
    })?;
    let mut issues = Vec::new();
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        if name.to_ascii_lowercase().ends_with(".csv") && !BUNDLE_FILES.contains(&name.as_str()) {
            issues.push(ImportIssue::file(
                name,
                format!(
                    "not a bundle file (expected one of {})",
                    BUNDLE_FILES.join(", ")
                ),
            ));
        }
    }
    if !names.iter().any(|n| n == "identities.csv") {
        issues.insert(
            0,
            ImportIssue::file("identities.csv", "file is missing (it is required)"),
        );
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Invalid { issues, more: 0 })
    }
}

async fn load_existing(tx: &mut dyn ImportTx) -> Result<Existing, StoreError> {
    let mut ids = HashMap::new();
    for kind in [
        RecordKind::Identity,
        RecordKind::Source,
        RecordKind::Entitlement,
        RecordKind::AccessProfile,
        RecordKind::Role,
        RecordKind::Account,
        RecordKind::GovernanceGroup,
    ] {
        ids.insert(kind, Ids::stored(tx.existing_ids(kind).await?));
    }
    let managers = tx
        .existing_managers()
        .await?
        .into_iter()
        .map(|(i, m)| (i.0, m.0))
        .collect();
    Ok(Existing { ids, managers })
}

async fn write_batch(tx: &mut dyn ImportTx, batch: Batch) -> Result<(), StoreError> {
    match batch {
        Batch::Identities(b) => tx.upsert_identities(&b).await,
        Batch::Sources(b) => tx.upsert_sources(&b).await,
        Batch::Entitlements(b) => tx.upsert_entitlements(&b).await,
        Batch::ClearPermissions => tx.clear_permissions().await,
        Batch::Permissions(b) => tx.insert_permissions(&b).await,
        Batch::AccessProfiles(b) => tx.upsert_access_profiles(&b).await,
        Batch::Roles(b) => tx.upsert_roles(&b).await,
        Batch::Accounts(b) => tx.upsert_accounts(&b).await,
        Batch::GovernanceGroups(b) => tx.upsert_governance_groups(&b).await,
        Batch::Assignments(b) => tx.stage_assignments(&b).await,
    }
}
