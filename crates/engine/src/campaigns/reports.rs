//! Campaign reports and the campaign CSV: which columns each has, how rows are read and
//! written, who may run and read them, and the report task the worker runs.
//!
//! Policy (see `docs/reports.md`):
//! - **Bounded memory.** Every sheet is produced batch by batch ([`BATCH`] rows): a keyset-paged
//!   store read, one batch read of the identities the page names (holders, reviewers, signers;
//!   for the configured attribute columns and names), then the rows are written through one
//!   `csv::Writer` whose buffer is taken after each batch. Nothing holds more than a batch.
//! - **Runs are stored.** A report run is a certification task (`CAMPAIGN_REPORT`) that writes
//!   the CSV into the store in chunks of about [`CHUNK_BYTES`]; downloading a run streams its
//!   chunks back, so a report shows the campaign as it was when the run read it (its
//!   `lastRunAt`), which is what an auditor keeps as evidence. The campaign CSV is not run: it
//!   is streamed live from the data at download time.
//! - **Spreadsheet formulas are neutralised** in every cell ([`attest_domain::report::neutralise`]).
//! - **Provisioning orders are shown with their stored status**, spelled as the order's status
//!   is; no list of statuses is kept here.
//! - **Who.** ORG_ADMIN and CERT_ADMIN read and set the configuration; they and REPORT_ADMIN
//!   run reports (as the spec's `startCampaignReport` lists), list and download them, and
//!   download the campaign CSV; anyone else gets 403.

use std::collections::HashMap;
use std::sync::Arc;

use attest_domain::campaign::CampaignStatus;
use attest_domain::certification::*;
use attest_domain::report::{neutralise, ReportId, ReportRun, ReportStatus, ReportType};
use attest_domain::{Identity, IdentityId};
use attest_store::reports::{ReportCertificationRow, ReportItemRow};
use attest_store::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::Stream;
use serde_json::json;

use super::worker::Failure;
use super::{access, actor_of, audit_event, new_id, Campaigns, EngineError, EngineResult};
use crate::credentials::Caller;

/// Rows read and written per batch.
pub const BATCH: u32 = 5_000;

/// A stored report file is written in chunks of at least this many bytes (the last one
/// smaller).
pub const CHUNK_BYTES: usize = 1 << 20;

/// The identity fields every identity has, usable as report columns besides the extra
/// attributes of `identities.csv`.
pub const STANDARD_IDENTITY_ATTRIBUTES: &[&str] = &[
    "name",
    "displayName",
    "email",
    "department",
    "title",
    "location",
    "lifecycleState",
    "managerId",
    "active",
];

/// Most identity attribute columns a configuration may name.
pub const MAX_ATTRIBUTE_COLUMNS: usize = 50;

/// What a CSV download holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    /// One of the four SailPoint campaign reports.
    Report(ReportType),
    /// The campaign CSV of the Netwrix seed: every item with its decision.
    CampaignCsv,
}

impl Sheet {
    /// The fixed columns, before the identity attribute columns.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Sheet::Report(ReportType::CampaignCompositionReport) => &[
                "itemId",
                "certificationId",
                "reviewerId",
                "reviewerName",
                "holderIdentityId",
                "holderAccountId",
                "holderName",
                "accessType",
                "accessId",
                "accessName",
                "sourceId",
                "sourceName",
                "origin",
                "recommendation",
            ],
            Sheet::CampaignCsv => &[
                "itemId",
                "certificationId",
                "holderIdentityId",
                "holderAccountId",
                "holderName",
                "accessType",
                "accessId",
                "accessName",
                "sourceName",
                "reviewerId",
                "reviewerName",
                "recommendation",
                "decision",
                "comment",
                "decidedBy",
                "decisionTime",
            ],
            Sheet::Report(ReportType::CampaignStatusReport) => &[
                "certificationId",
                "certificationName",
                "reviewerId",
                "reviewerName",
                "reviewerEmail",
                "phase",
                "due",
                "itemsTotal",
                "itemsDecided",
                "itemsApproved",
                "itemsRevoked",
                "identitiesTotal",
                "identitiesCompleted",
                "percentComplete",
            ],
            Sheet::Report(ReportType::CampaignRemediationStatusReport) => &[
                "orderId",
                "certificationId",
                "itemId",
                "holderIdentityId",
                "holderAccountId",
                "holderName",
                "accessType",
                "accessId",
                "accessName",
                "sourceId",
                "decision",
                "reviewerId",
                "reviewerName",
                "comment",
                "due",
                "created",
                "status",
            ],
            Sheet::Report(ReportType::CertificationSignoffReport) => &[
                "certificationId",
                "certificationName",
                "reviewerId",
                "reviewerName",
                "phase",
                "signed",
                "signedById",
                "signedByName",
                "itemsTotal",
                "itemsApproved",
                "itemsRevoked",
            ],
        }
    }

    /// Whose attributes the identity attribute columns show: `holder.` (items, orders) or
    /// `reviewer.` (certifications).
    pub fn attribute_prefix(self) -> &'static str {
        match self {
            Sheet::Report(ReportType::CampaignStatusReport)
            | Sheet::Report(ReportType::CertificationSignoffReport) => "reviewer.",
            _ => "holder.",
        }
    }

    /// The whole header for `attributes`.
    pub fn header(self, attributes: &[String]) -> Vec<String> {
        let prefix = self.attribute_prefix();
        self.columns()
            .iter()
            .map(|c| (*c).to_owned())
            .chain(attributes.iter().map(|a| format!("{prefix}{a}")))
            .collect()
    }
}

/// The value of identity attribute `key` (a standard field or an extra attribute).
pub fn identity_attribute(identity: &Identity, key: &str) -> Option<String> {
    match key {
        "name" => Some(identity.name.clone()),
        "displayName" => identity.display_name.clone(),
        "email" => identity.email.clone(),
        "department" => identity.department.clone(),
        "title" => identity.title.clone(),
        "location" => identity.location.clone(),
        "lifecycleState" => identity.lifecycle_state.clone(),
        "managerId" => identity.manager_id.as_ref().map(|m| m.0.clone()),
        "active" => Some(identity.active.to_string()),
        other => identity.attributes.get(other).cloned(),
    }
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a sheet's next page starts.
enum Cursor {
    Items {
        after: ReviewItemId,
        last: ReviewItemId,
    },
    Certifications(Option<CertificationId>),
    Orders(Option<(DateTime<Utc>, OrderId)>),
    Done,
}

/// Writes one sheet batch by batch; see the module policy.
pub struct SheetWriter {
    store: Arc<dyn Store>,
    campaign: CampaignId,
    sheet: Sheet,
    attributes: Vec<String>,
    cursor: Option<Cursor>,
    writer: csv::Writer<Vec<u8>>,
    rows: i64,
}

impl SheetWriter {
    fn new(
        store: Arc<dyn Store>,
        campaign: CampaignId,
        sheet: Sheet,
        attributes: Vec<String>,
    ) -> Self {
        SheetWriter {
            store,
            campaign,
            sheet,
            attributes,
            cursor: None,
            writer: csv::Writer::from_writer(Vec::with_capacity(1 << 16)),
            rows: 0,
        }
    }

    /// Data rows written so far.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// The next piece of the file (the header with the first page, then a page at a time);
    /// `None` once everything was written.
    pub async fn next_batch(&mut self) -> EngineResult<Option<Vec<u8>>> {
        let cursor = match self.cursor.take() {
            Some(Cursor::Done) => {
                self.cursor = Some(Cursor::Done);
                return Ok(None);
            }
            Some(cursor) => cursor,
            None => {
                let header = self.sheet.header(&self.attributes);
                self.record(header.iter().map(String::as_str))?;
                self.first_cursor().await?
            }
        };
        let next = match cursor {
            Cursor::Items { after, last } => self.items(after, last).await?,
            Cursor::Certifications(after) => self.certifications(after).await?,
            Cursor::Orders(after) => self.orders(after).await?,
            Cursor::Done => Cursor::Done,
        };
        self.cursor = Some(next);
        // The writer hands its bytes back only by value: take them and start a fresh one.
        let full = std::mem::replace(&mut self.writer, csv::Writer::from_writer(Vec::new()));
        let bytes = full.into_inner().map_err(write_failed)?;
        self.writer = csv::Writer::from_writer(Vec::with_capacity(bytes.len()));
        Ok(Some(bytes))
    }

    async fn first_cursor(&self) -> EngineResult<Cursor> {
        Ok(match self.sheet {
            Sheet::CampaignCsv | Sheet::Report(ReportType::CampaignCompositionReport) => {
                match self.store.campaign_item_span(&self.campaign).await? {
                    Some((first, last)) => Cursor::Items {
                        after: ReviewItemId(first.0 - 1),
                        last,
                    },
                    None => Cursor::Done,
                }
            }
            Sheet::Report(ReportType::CampaignStatusReport)
            | Sheet::Report(ReportType::CertificationSignoffReport) => Cursor::Certifications(None),
            Sheet::Report(ReportType::CampaignRemediationStatusReport) => Cursor::Orders(None),
        })
    }

    /// Writes one record, neutralising every cell.
    /// Only a cell that needs its leading `'` is copied; every other cell is written as it
    /// is (a million-row sheet makes no per-cell allocation).
    fn record<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> EngineResult<()> {
        for cell in cells {
            self.writer
                .write_field(neutralise(cell).as_bytes())
                .map_err(write_failed)?;
        }
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(write_failed)
    }

    /// The identities among `ids`, by id (one batch read; nothing when none is needed).
    async fn identities(
        &self,
        ids: Vec<IdentityId>,
    ) -> EngineResult<HashMap<IdentityId, Identity>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        Ok(self
            .store
            .identities(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect())
    }

    fn attribute_cells(&self, identity: Option<&Identity>) -> Vec<String> {
        self.attributes
            .iter()
            .map(|a| {
                identity
                    .and_then(|i| identity_attribute(i, a))
                    .unwrap_or_default()
            })
            .collect()
    }

    async fn items(&mut self, after: ReviewItemId, last: ReviewItemId) -> EngineResult<Cursor> {
        let page = self
            .store
            .report_items(&self.campaign, after, last, BATCH)
            .await?;
        let holders = if self.attributes.is_empty() {
            HashMap::new()
        } else {
            self.identities(page.iter().filter_map(|r| r.identity_id.clone()).collect())
                .await?
        };
        for row in &page {
            let attributes =
                self.attribute_cells(row.identity_id.as_ref().and_then(|i| holders.get(i)));
            let fixed = self.item_cells(row);
            self.record(
                fixed
                    .iter()
                    .map(|c| c.as_deref().unwrap_or(""))
                    .chain(attributes.iter().map(String::as_str)),
            )?;
            self.rows += 1;
        }
        Ok(match page.last() {
            Some(row) if page.len() == BATCH as usize => Cursor::Items {
                after: row.item_id,
                last,
            },
            _ => Cursor::Done,
        })
    }

    fn item_cells<'r>(&self, r: &'r ReportItemRow) -> Vec<Option<std::borrow::Cow<'r, str>>> {
        use std::borrow::Cow::{Borrowed, Owned};
        let s = |v: &'r str| Some(Borrowed(v));
        let o = |v: &'r Option<String>| v.as_deref().map(Borrowed);
        let id = || Some(Owned(r.item_id.to_string()));
        let holder = || r.identity_id.as_ref().map(|i| Borrowed(i.as_str()));
        match self.sheet {
            Sheet::CampaignCsv => vec![
                id(),
                s(r.certification_id.as_str()),
                holder(),
                o(&r.account_id),
                s(&r.holder_name),
                s(&r.access_type),
                s(&r.access_id),
                s(&r.access_name),
                o(&r.source_name),
                s(r.reviewer_id.as_str()),
                s(&r.reviewer_name),
                o(&r.recommendation),
                o(&r.decision),
                o(&r.comments),
                o(&r.decided_by),
                r.decided_at.as_ref().map(|t| Owned(time(t))),
            ],
            _ => vec![
                id(),
                s(r.certification_id.as_str()),
                s(r.reviewer_id.as_str()),
                s(&r.reviewer_name),
                holder(),
                o(&r.account_id),
                s(&r.holder_name),
                s(&r.access_type),
                s(&r.access_id),
                s(&r.access_name),
                o(&r.source_id),
                o(&r.source_name),
                s(&r.origin),
                o(&r.recommendation),
            ],
        }
    }

    async fn certifications(&mut self, after: Option<CertificationId>) -> EngineResult<Cursor> {
        let page = self
            .store
            .report_certifications(&self.campaign, after.as_ref(), BATCH)
            .await?;
        let people = self
            .identities(
                page.iter()
                    .flat_map(|r| [Some(r.certification.reviewer.clone()), r.signed_by.clone()])
                    .flatten()
                    .collect(),
            )
            .await?;
        for row in &page {
            let cells = self.certification_cells(row, &people);
            let attributes = self.attribute_cells(people.get(&row.certification.reviewer));
            self.record(cells.iter().chain(attributes.iter()).map(String::as_str))?;
            self.rows += 1;
        }
        Ok(match page.last() {
            Some(row) if page.len() == BATCH as usize => {
                Cursor::Certifications(Some(row.certification.id.clone()))
            }
            _ => Cursor::Done,
        })
    }

    fn certification_cells(
        &self,
        row: &ReportCertificationRow,
        people: &HashMap<IdentityId, Identity>,
    ) -> Vec<String> {
        let c = &row.certification;
        let counts = &c.counts;
        let kinds = [
            &counts.entitlements,
            &counts.access_profiles,
            &counts.roles,
            &counts.accounts,
        ];
        let total: i64 = kinds.iter().map(|k| k.total).sum();
        let decided: i64 = kinds.iter().map(|k| k.decided).sum();
        let approved: i64 = kinds.iter().map(|k| k.approved).sum();
        let revoked: i64 = kinds.iter().map(|k| k.revoked).sum();
        let opt_time = |t: &Option<DateTime<Utc>>| t.as_ref().map(time).unwrap_or_default();
        match self.sheet {
            Sheet::Report(ReportType::CertificationSignoffReport) => vec![
                c.id.0.clone(),
                c.name.clone(),
                c.reviewer.0.clone(),
                c.reviewer_name.clone(),
                c.phase.as_str().to_owned(),
                opt_time(&c.signed),
                row.signed_by
                    .as_ref()
                    .map(|s| s.0.clone())
                    .unwrap_or_default(),
                row.signed_by
                    .as_ref()
                    .and_then(|s| people.get(s))
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                total.to_string(),
                approved.to_string(),
                revoked.to_string(),
            ],
            _ => vec![
                c.id.0.clone(),
                c.name.clone(),
                c.reviewer.0.clone(),
                c.reviewer_name.clone(),
                c.reviewer_email.clone().unwrap_or_default(),
                c.phase.as_str().to_owned(),
                opt_time(&c.due),
                total.to_string(),
                decided.to_string(),
                approved.to_string(),
                revoked.to_string(),
                c.counts.identities_total.to_string(),
                c.counts.identities_completed.to_string(),
                if total == 0 {
                    "100".to_owned()
                } else {
                    (decided * 100 / total).to_string()
                },
            ],
        }
    }

    async fn orders(&mut self, after: Option<(DateTime<Utc>, OrderId)>) -> EngineResult<Cursor> {
        let page = self
            .store
            .report_orders(
                &self.campaign,
                after.as_ref().map(|(t, id)| (*t, id)),
                BATCH,
            )
            .await?;
        let people = self
            .identities(
                page.iter()
                    .flat_map(|o| [o.identity_id.clone(), o.reviewer.clone()])
                    .flatten()
                    .collect(),
            )
            .await?;
        for o in &page {
            let reviewer_name = o
                .reviewer
                .as_ref()
                .and_then(|r| people.get(r))
                .map(|i| i.name.clone())
                .unwrap_or_default();
            let cells = order_cells(o, reviewer_name);
            let attributes =
                self.attribute_cells(o.identity_id.as_ref().and_then(|i| people.get(i)));
            self.record(cells.iter().chain(attributes.iter()).map(String::as_str))?;
            self.rows += 1;
        }
        Ok(match page.last() {
            Some(o) if page.len() == BATCH as usize => {
                Cursor::Orders(Some((o.created, o.id.clone())))
            }
            _ => Cursor::Done,
        })
    }
}

/// The cells of one row of the remediation status report, in the order of
/// `Sheet::columns(Report(CampaignRemediationStatusReport))`. To add a column (the order's
/// delivery or verification state, say), add its name there and its cell here, from the
/// order as the store returns it.
fn order_cells(o: &ProvisioningOrder, reviewer_name: String) -> Vec<String> {
    vec![
        o.id.0.clone(),
        o.certification_id.0.clone(),
        o.item_id.to_string(),
        o.identity_id
            .as_ref()
            .map(|i| i.0.clone())
            .unwrap_or_default(),
        o.account_id
            .as_ref()
            .map(|a| a.0.clone())
            .unwrap_or_default(),
        o.holder_name.clone(),
        o.access_type.as_str().to_owned(),
        o.access_id.clone(),
        o.access_name.clone(),
        o.source_id
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_default(),
        o.decision.as_str().to_owned(),
        o.reviewer.as_ref().map(|r| r.0.clone()).unwrap_or_default(),
        reviewer_name,
        o.reason.clone().unwrap_or_default(),
        time(&o.due),
        time(&o.created),
        o.status.as_str().to_owned(),
    ]
}

fn write_failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Store(attest_store::StoreError::Database(format!(
        "cannot write a CSV row: {e}"
    )))
}

/// A stream of a sheet's bytes, batch by batch.
fn stream_of(writer: SheetWriter) -> impl Stream<Item = EngineResult<Vec<u8>>> + Send + 'static {
    futures::stream::try_unfold(writer, |mut writer| async move {
        Ok(writer.next_batch().await?.map(|bytes| (bytes, writer)))
    })
}

impl Campaigns {
    /// The identity attribute columns reports add (ORG_ADMIN / CERT_ADMIN).
    pub async fn reports_config(&self, caller: &Caller) -> EngineResult<Vec<String>> {
        access::require_manage(caller)?;
        Ok(self.store.reports_config().await?)
    }

    /// Replaces the identity attribute columns after checking that each names a standard
    /// identity field or an attribute some identity of the warehouse has, once.
    pub async fn set_reports_config(
        &self,
        caller: &Caller,
        columns: Vec<String>,
    ) -> EngineResult<Vec<String>> {
        access::require_manage(caller)?;
        let known = self.store.identity_attribute_names().await?;
        let mut causes = Vec::new();
        if columns.len() > MAX_ATTRIBUTE_COLUMNS {
            causes.push(format!(
                "identityAttributeColumns: at most {MAX_ATTRIBUTE_COLUMNS} columns"
            ));
        }
        for (i, column) in columns.iter().enumerate() {
            let field = format!("identityAttributeColumns[{i}]");
            if column.trim().is_empty() {
                causes.push(format!("{field}: must not be empty"));
            } else if columns[..i].contains(column) {
                causes.push(format!("{field}: {column:?} is named twice"));
            } else if !STANDARD_IDENTITY_ATTRIBUTES.contains(&column.as_str())
                && known.binary_search(column).is_err()
            {
                causes.push(format!(
                    "{field}: {column:?} is not an identity attribute of the warehouse"
                ));
            }
        }
        if !causes.is_empty() {
            return Err(EngineError::Invalid {
                message: "identityAttributeColumns names columns that cannot be reported"
                    .to_owned(),
                causes,
            });
        }
        let audit = audit_event(
            &actor_of(caller),
            self.clock.now(),
            "reports.configured",
            None,
            None,
            json!({ "identityAttributeColumns": columns }),
        );
        self.store.set_reports_config(&columns, &audit).await?;
        Ok(columns)
    }

    /// The latest run of each report type run for a campaign (administrators and report
    /// readers).
    pub async fn campaign_reports(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
    ) -> EngineResult<Vec<ReportRun>> {
        access::require_read(caller)?;
        self.load_campaign(campaign).await?;
        Ok(self.store.campaign_reports(campaign).await?)
    }

    /// Starts a run of `report_type` for a campaign (ORG_ADMIN, CERT_ADMIN, REPORT_ADMIN):
    /// records it PENDING and enqueues its task, replacing the previous run of that type.
    pub async fn run_report(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
        report_type: ReportType,
    ) -> EngineResult<ReportRun> {
        access::require_read(caller)?;
        let found = self.load_campaign(campaign).await?;
        if matches!(
            found.status,
            CampaignStatus::Pending | CampaignStatus::Error
        ) {
            return Err(EngineError::Invalid {
                message: format!(
                    "campaign {campaign} is {}: reports need a generated campaign",
                    found.status.as_str()
                ),
                causes: vec![format!(
                    "id: campaign {campaign} is {}",
                    found.status.as_str()
                )],
            });
        }
        let now = self.clock.now();
        let run = ReportRun {
            id: ReportId(new_id()),
            campaign_id: campaign.clone(),
            report_type,
            status: ReportStatus::Pending,
            task_id: TaskId(new_id()),
            requested: now,
            last_run_at: None,
            rows: None,
            error: None,
        };
        let task = Task {
            id: run.task_id.clone(),
            task_type: TaskType::CampaignReport,
            target_type: TaskTarget::Campaign,
            target_id: campaign.0.clone(),
            status: TaskStatus::Queued,
            errors: Vec::new(),
            payload: json!({ "reportId": run.id, "reportType": report_type.as_str() }),
            reassignment_trail: Vec::new(),
            attempts: 0,
            created: now,
            run_after: now,
        };
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign.report_requested",
            Some(campaign),
            None,
            json!({ "reportId": run.id, "reportType": report_type.as_str(), "taskId": task.id }),
        );
        self.store.start_report(&run, &task, &audit).await?;
        self.wake.notify_one();
        Ok(run)
    }

    /// A finished report's CSV, streamed from its stored chunks (administrators and report
    /// readers). A run that is not finished is refused, naming its status.
    pub async fn report_file(
        &self,
        caller: &Caller,
        id: &ReportId,
    ) -> EngineResult<(
        ReportRun,
        impl Stream<Item = EngineResult<Vec<u8>>> + Send + 'static,
    )> {
        access::require_read(caller)?;
        let run = self
            .store
            .report_run(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("report {id} not found")))?;
        if run.status != ReportStatus::Success {
            return Err(EngineError::Invalid {
                message: format!(
                    "report {id} is {}; only a SUCCESS report has a file",
                    run.status
                ),
                causes: vec![format!("id: report {id} is {}", run.status)],
            });
        }
        let store = self.store.clone();
        let id = run.id.clone();
        let chunks = futures::stream::try_unfold(0i64, move |seq| {
            let store = store.clone();
            let id = id.clone();
            async move {
                Ok(store
                    .report_chunk(&id, seq)
                    .await?
                    .map(|bytes| (bytes, seq + 1)))
            }
        });
        Ok((run, chunks))
    }

    /// The campaign CSV (every item with holder, access, reviewer, recommendation, decision,
    /// comment and decision time, plus the configured identity attribute columns), streamed
    /// from the data as it is now (administrators and report readers).
    pub async fn campaign_csv(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
    ) -> EngineResult<impl Stream<Item = EngineResult<Vec<u8>>> + Send + 'static> {
        access::require_read(caller)?;
        self.load_campaign(campaign).await?;
        let attributes = self.store.reports_config().await?;
        Ok(stream_of(SheetWriter::new(
            self.store.clone(),
            campaign.clone(),
            Sheet::CampaignCsv,
            attributes,
        )))
    }
}

/// The CAMPAIGN_REPORT task: writes the run's file in chunks and marks it SUCCESS. A run that
/// was replaced (or already finished) meanwhile is left alone; an interrupted run's chunks are
/// cleared first, so the task may run again.
pub(super) async fn run_report_task(engine: &Campaigns, task: &Task) -> Result<(), Failure> {
    let store = &engine.store;
    let Some(id) = task.payload.get("reportId").and_then(|v| v.as_str()) else {
        return Err(Failure::Fatal("the report task names no report".to_owned()));
    };
    let id = ReportId(id.to_owned());
    let Some(run) = store.report_run(&id).await? else {
        return Ok(());
    };
    if run.status != ReportStatus::Pending || run.task_id != task.id {
        return Ok(());
    }
    if store.campaign(&run.campaign_id).await?.is_none() {
        return Err(Failure::Fatal(format!(
            "campaign {} no longer exists",
            run.campaign_id
        )));
    }
    let ran_at = engine.clock.now();
    store.clear_report_file(&id).await?;
    let attributes = store.reports_config().await?;
    let mut writer = SheetWriter::new(
        store.clone(),
        run.campaign_id.clone(),
        Sheet::Report(run.report_type),
        attributes,
    );
    let mut buffer = Vec::with_capacity(CHUNK_BYTES + (1 << 16));
    let mut seq = 0;
    loop {
        let batch = match writer.next_batch().await {
            Ok(batch) => batch,
            Err(EngineError::Store(e)) => return Err(Failure::Retry(e)),
            Err(e) => return Err(Failure::Fatal(e.to_string())),
        };
        let finished = batch.is_none();
        if let Some(bytes) = batch {
            buffer.extend_from_slice(&bytes);
        }
        if buffer.len() >= CHUNK_BYTES || (finished && !buffer.is_empty()) {
            store.append_report_chunk(&id, seq, &buffer).await?;
            seq += 1;
            buffer.clear();
        }
        if finished {
            break;
        }
    }
    store
        .finish_report(
            &id,
            ReportStatus::Success,
            ran_at,
            Some(writer.rows()),
            None,
        )
        .await?;
    Ok(())
}

/// Records that a report task failed for good.
pub(super) async fn fail_report(
    engine: &Campaigns,
    task: &Task,
    message: &str,
) -> Result<(), attest_store::StoreError> {
    if let Some(id) = task.payload.get("reportId").and_then(|v| v.as_str()) {
        engine
            .store
            .finish_report(
                &ReportId(id.to_owned()),
                ReportStatus::Error,
                engine.clock.now(),
                None,
                Some(message),
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sheet_has_its_columns_and_the_attribute_columns() {
        let attrs = vec!["department".to_owned(), "costCenter".to_owned()];
        let csv = Sheet::CampaignCsv.header(&attrs);
        for column in [
            "holderName",
            "accessName",
            "sourceName",
            "reviewerName",
            "recommendation",
            "decision",
            "comment",
            "decisionTime",
        ] {
            assert!(csv.iter().any(|c| c == column), "{column}");
        }
        assert_eq!(
            &csv[csv.len() - 2..],
            ["holder.department", "holder.costCenter"]
        );
        let status = Sheet::Report(ReportType::CampaignStatusReport).header(&attrs);
        assert_eq!(status.last().unwrap(), "reviewer.costCenter");
        let remediation = Sheet::Report(ReportType::CampaignRemediationStatusReport).header(&[]);
        assert!(remediation.iter().any(|c| c == "status"));
        let signoff = Sheet::Report(ReportType::CertificationSignoffReport).header(&[]);
        assert!(signoff.iter().any(|c| c == "signedById"));
        assert!(signoff.iter().any(|c| c == "signed"));
    }

    #[test]
    fn attributes_come_from_standard_fields_or_extras() {
        let mut identity = Identity {
            id: IdentityId("i1".into()),
            name: "jane".into(),
            display_name: Some("Jane".into()),
            email: None,
            manager_id: Some(IdentityId("m".into())),
            department: Some("=cmd".into()),
            title: None,
            location: None,
            lifecycle_state: None,
            active: true,
            attributes: Default::default(),
        };
        identity.attributes.insert("costCenter".into(), "42".into());
        assert_eq!(
            identity_attribute(&identity, "displayName").as_deref(),
            Some("Jane")
        );
        assert_eq!(
            identity_attribute(&identity, "managerId").as_deref(),
            Some("m")
        );
        assert_eq!(
            identity_attribute(&identity, "costCenter").as_deref(),
            Some("42")
        );
        assert_eq!(identity_attribute(&identity, "email"), None);
        assert_eq!(
            identity_attribute(&identity, "active").as_deref(),
            Some("true")
        );
    }
}
