//! Campaign reports: the four SailPoint report types, a run of one of them, and the
//! spreadsheet-formula neutralisation every report cell goes through.
//!
//! Policy: plain data and one pure rule ([`neutralise`]). Which columns a report has and how
//! its rows are read live in the engine (`attest_engine::reports`); the stores keep runs and
//! their finished files.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::certification::{CampaignId, TaskId};
use crate::ids::string_id;
use crate::warehouse::wire_enum;

string_id!(
    /// Identifies one run of a campaign report (SailPoint's report result id): 32 lower-case
    /// hex digits.
    ReportId
);

/// The kind of a campaign report, with SailPoint's `ReportType` spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportType {
    /// Every review item: holder, access, source, reviewer.
    CampaignCompositionReport,
    /// Every provisioning order of the campaign with its status.
    CampaignRemediationStatusReport,
    /// Progress per certification (reviewer).
    CampaignStatusReport,
    /// Who signed each certification off, and when.
    CertificationSignoffReport,
}

wire_enum!(ReportType {
    CampaignCompositionReport => "CAMPAIGN_COMPOSITION_REPORT",
    CampaignRemediationStatusReport => "CAMPAIGN_REMEDIATION_STATUS_REPORT",
    CampaignStatusReport => "CAMPAIGN_STATUS_REPORT",
    CertificationSignoffReport => "CERTIFICATION_SIGNOFF_REPORT",
});

impl ReportType {
    /// The report's human-readable name (SailPoint's `name` of the report result).
    pub fn title(self) -> &'static str {
        match self {
            ReportType::CampaignCompositionReport => "Campaign Composition Report",
            ReportType::CampaignRemediationStatusReport => "Campaign Remediation Status Report",
            ReportType::CampaignStatusReport => "Campaign Status Report",
            ReportType::CertificationSignoffReport => "Certification Signoff Report",
        }
    }
}

/// Where a report run is, with SailPoint's `ReportResultReference.status` spellings (Attest
/// uses PENDING, SUCCESS and ERROR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportStatus {
    /// Queued or being written.
    Pending,
    /// Finished; the file can be downloaded.
    Success,
    /// Failed; see the run's error.
    Error,
}

wire_enum!(ReportStatus {
    Pending => "PENDING",
    Success => "SUCCESS",
    Error => "ERROR",
});

/// The latest run of one report type for one campaign. Running a type again replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRun {
    /// Its id (the report result id clients download by).
    pub id: ReportId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The kind.
    pub report_type: ReportType,
    /// Status.
    pub status: ReportStatus,
    /// The task that writes it.
    pub task_id: TaskId,
    /// When it was asked for.
    pub requested: DateTime<Utc>,
    /// When its data was read (the moment the report shows), once it ran.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Data rows in the finished file (the header not counted).
    pub rows: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A cell as it is written into a report: text that a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so that
/// opening an exported report never runs what someone typed into a comment or an attribute
/// (OWASP "CSV injection"). Everything else is written as it is.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for cell in [
            "=1+1",
            "+33 1 23",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn other_cells_are_left_alone() {
        for cell in [
            "",
            "jane",
            "a=b",
            " =1",
            "'=1",
            "2026-12-03T10:00:00Z",
            "\nx",
        ] {
            assert!(
                matches!(neutralise(cell), Cow::Borrowed(c) if c == cell),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn report_types_have_the_spec_spellings() {
        let spelled: Vec<_> = ReportType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "CAMPAIGN_COMPOSITION_REPORT",
                "CAMPAIGN_REMEDIATION_STATUS_REPORT",
                "CAMPAIGN_STATUS_REPORT",
                "CERTIFICATION_SIGNOFF_REPORT"
            ]
        );
        assert_eq!(
            "CAMPAIGN_STATUS_REPORT".parse::<ReportType>().unwrap(),
            ReportType::CampaignStatusReport
        );
    }
}
