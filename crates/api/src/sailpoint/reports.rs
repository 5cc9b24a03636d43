//! SailPoint campaign reports: `GET /campaigns/{id}/reports`,
//! `POST /campaigns/{id}/run-report/{type}` and `GET`/`PUT /campaigns/reports-configuration`,
//! in every family that publishes them (the versioned ones and `/campaigns/v1`); and the
//! download of a finished report by its result id, `GET /reports/{taskResultId}?fileFormat=csv`
//! (the versioned families and `/reports/v1`), which is where SailPoint's SDKs download a
//! report (`ReportsDataExtractionApi.get_report`, 2.x `get_report_v1`).
//!
//! Policy: shapes only. The engine decides who may do what (`campaigns/reports.rs`): ORG_ADMIN
//! and CERT_ADMIN read or set the configuration; they and REPORT_ADMIN run, list and download
//! reports (the spec's `x-sailpoint-userLevels` of `startCampaignReport` and
//! `getCampaignReports`). The same file is also at the native `GET /api/v1/reports/{id}`.

use attest_domain::certification::CampaignId;
use attest_domain::report::{ReportId, ReportRun, ReportStatus, ReportType};
use attest_domain::Authority;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::params::query_params;
use super::{mirror_enum, parse_body, timestamp};
use crate::auth::{require_any, Authenticated};
use crate::native::reports::csv_response;
use crate::{ApiError, AppState};

/// Who may run and list a campaign's reports.
pub const REPORT_READERS: &[Authority] = &[
    Authority::OrgAdmin,
    Authority::CertAdmin,
    Authority::ReportAdmin,
];

/// Who may read or set the reports configuration.
pub const REPORT_MANAGERS: &[Authority] = &[Authority::OrgAdmin, Authority::CertAdmin];

/// The report routes, relative to the campaigns resource root (`/v3/campaigns`,
/// `/campaigns/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/reports-configuration",
            get(get_campaign_reports_config)
                .put(set_campaign_reports_config)
                .route_layer(require_any(REPORT_MANAGERS)),
        )
        .route(
            "/{id}/reports",
            get(get_campaign_reports).route_layer(require_any(REPORT_READERS)),
        )
        .route(
            "/{id}/run-report/{type}",
            post(start_campaign_report).route_layer(require_any(REPORT_READERS)),
        )
}

/// The download routes, relative to the reports resource root (`/v3/reports`, `/reports/v1`).
pub fn download_routes() -> Router<AppState> {
    Router::new().route(
        "/{id}",
        get(get_report_file).route_layer(require_any(REPORT_READERS)),
    )
}

/// `GET /reports/{taskResultId}?fileFormat=csv[&name=...]`: the CSV of a finished campaign
/// report. `fileFormat` is required; Attest writes campaign reports as CSV only, so `pdf` is a
/// 400 saying so. `name` names the downloaded file (`.csv` is added); `auditable` is accepted
/// and ignored (every download is already an authenticated, logged request).
pub async fn get_report_file(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = query_params(&uri)?;
    match params.get("fileFormat").map(String::as_str) {
        Some("csv") => {}
        Some("pdf") => {
            return Err(ApiError::BadRequest {
                message: "Campaign reports are written as CSV only.".to_owned(),
                causes: vec!["fileFormat: \"pdf\" is not available; use \"csv\"".to_owned()],
            })
        }
        Some(other) => {
            return Err(ApiError::BadRequest {
                message: "The fileFormat parameter is invalid.".to_owned(),
                causes: vec![format!("fileFormat: \"{other}\" is not one of csv, pdf")],
            })
        }
        None => {
            return Err(ApiError::BadRequest {
                message: "The fileFormat parameter is required.".to_owned(),
                causes: vec!["fileFormat: required (csv)".to_owned()],
            })
        }
    }
    if let Some(auditable) = params.get("auditable") {
        if auditable != "true" && auditable != "false" {
            return Err(ApiError::BadRequest {
                message: "The auditable parameter is invalid.".to_owned(),
                causes: vec![format!("auditable: \"{auditable}\" is not true or false")],
            });
        }
    }
    let (run, chunks) = state.campaigns.report_file(&caller, &ReportId(id)).await?;
    let filename = match params.get("name") {
        Some(name) if !name.trim().is_empty() => format!("{name}.csv"),
        _ => format!(
            "{}-{}.csv",
            run.campaign_id,
            run.report_type.as_str().to_ascii_lowercase()
        ),
    };
    Ok(csv_response(&filename, chunks))
}

mirror_enum!(
    /// SailPoint's `ReportType`.
    ReportTypeWire mirrors ReportType {
        CampaignCompositionReport => "CAMPAIGN_COMPOSITION_REPORT",
        CampaignRemediationStatusReport => "CAMPAIGN_REMEDIATION_STATUS_REPORT",
        CampaignStatusReport => "CAMPAIGN_STATUS_REPORT",
        CertificationSignoffReport => "CERTIFICATION_SIGNOFF_REPORT",
    }
);

mirror_enum!(
    /// The `status` of a `ReportResultReference` (the values Attest uses).
    ReportResultStatusWire mirrors ReportStatus {
        Pending => "PENDING",
        Success => "SUCCESS",
        Error => "ERROR",
    }
);

/// The `type` of a `ReportResultReference`: always `REPORT_RESULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum ReportResultTypeWire {
    /// `REPORT_RESULT`
    #[serde(rename = "REPORT_RESULT")]
    ReportResult,
}

/// SailPoint's `CampaignReport`: the latest run of one report type.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CampaignReport)]
pub struct CampaignReportOut {
    /// Always `REPORT_RESULT`.
    #[serde(rename = "type")]
    pub result_type: ReportResultTypeWire,
    /// The report result id; its CSV is at `GET /api/v1/reports/{id}` once `status` is
    /// `SUCCESS`.
    pub id: String,
    /// The report's name.
    pub name: String,
    /// PENDING while it is written, then SUCCESS or ERROR.
    pub status: ReportResultStatusWire,
    /// The kind of report.
    pub report_type: ReportTypeWire,
    /// When the report last read the campaign (the moment it shows); absent until it ran.
    #[serde(
        serialize_with = "timestamp::serialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = String, format = DateTime, required = false)]
    pub last_run_at: Option<DateTime<Utc>>,
}

impl CampaignReportOut {
    /// The wire shape of a run.
    pub fn of(run: &ReportRun) -> Self {
        CampaignReportOut {
            result_type: ReportResultTypeWire::ReportResult,
            id: run.id.0.clone(),
            name: run.report_type.title().to_owned(),
            status: run.status.into(),
            report_type: run.report_type.into(),
            last_run_at: run.last_run_at,
        }
    }
}

/// SailPoint's `CampaignReportsConfig`, both ways.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CampaignReportsConfig)]
pub struct CampaignReportsConfigInOut {
    /// Identity attributes added as columns to every campaign report and the campaign CSV
    /// (`null` or absent: none).
    #[serde(default)]
    pub identity_attribute_columns: Option<Vec<String>>,
}

/// `GET /campaigns/{id}/reports`: the latest run of each report type run for the campaign.
pub async fn get_campaign_reports(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<CampaignReportOut>>, ApiError> {
    let runs = state
        .campaigns
        .campaign_reports(&caller, &CampaignId(id))
        .await?;
    Ok(Json(runs.iter().map(CampaignReportOut::of).collect()))
}

/// `POST /campaigns/{id}/run-report/{type}`: starts a run in the background. 202 with the
/// run's `CampaignReport` (status PENDING); poll `GET /campaigns/{id}/reports`.
pub async fn start_campaign_report(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, report_type)): Path<(String, String)>,
) -> Result<(StatusCode, Json<CampaignReportOut>), ApiError> {
    let Some(report_type) = ReportTypeWire::parse(&report_type) else {
        return Err(ApiError::BadRequest {
            message: "The report type is invalid.".to_owned(),
            causes: vec![format!(
                "type: \"{report_type}\" is not one of {}",
                ReportTypeWire::SPELLINGS.join(", ")
            )],
        });
    };
    let run = state
        .campaigns
        .run_report(&caller, &CampaignId(id), report_type.into())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CampaignReportOut::of(&run))))
}

/// `GET /campaigns/reports-configuration`.
pub async fn get_campaign_reports_config(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<CampaignReportsConfigInOut>, ApiError> {
    let columns = state.campaigns.reports_config(&caller).await?;
    Ok(Json(CampaignReportsConfigInOut {
        identity_attribute_columns: Some(columns),
    }))
}

/// `PUT /campaigns/reports-configuration`: replaces the columns; each must be a standard
/// identity field or an attribute some identity has (400 naming the offending entries).
pub async fn set_campaign_reports_config(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<Json<CampaignReportsConfigInOut>, ApiError> {
    let config: CampaignReportsConfigInOut = parse_body(&body)?;
    let columns = state
        .campaigns
        .set_reports_config(
            &caller,
            config.identity_attribute_columns.unwrap_or_default(),
        )
        .await?;
    Ok(Json(CampaignReportsConfigInOut {
        identity_attribute_columns: Some(columns),
    }))
}
