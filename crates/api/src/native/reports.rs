//! CSV downloads: a finished campaign report (`GET /api/v1/reports/{id}`) and the campaign CSV
//! (`GET /api/v1/campaigns/{id}/review-items.csv`).
//!
//! Policy: the body is a stream, batch by batch from the engine (stored chunks of a report run,
//! or keyset pages of the campaign's items for the campaign CSV), never a buffer of the whole
//! file. Failing part way through (storage gone) ends the body early with an error, which
//! HTTP clients see as a broken transfer; the cause is logged. ORG_ADMIN, CERT_ADMIN and
//! REPORT_ADMIN may download (the engine checks).

use attest_domain::certification::CampaignId;
use attest_domain::report::ReportId;
use attest_engine::campaigns::EngineError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::{Stream, TryStreamExt};

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::AppState;

/// The media type of every download.
pub const CSV_MEDIA_TYPE: &str = "text/csv; charset=utf-8";

/// A streamed CSV download named `filename` (kept to safe characters).
pub(crate) fn csv_response(
    filename: &str,
    body: impl Stream<Item = Result<Vec<u8>, EngineError>> + Send + 'static,
) -> Response {
    let body = body.inspect_err(|e| {
        tracing::error!(error = %e, "a CSV download failed part way; the transfer is cut short");
    });
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", safe(filename)))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(CSV_MEDIA_TYPE),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Keeps a file name to safe characters (ids are hex already; this is a belt).
fn safe(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

/// `GET /api/v1/reports/{id}`: the CSV of a finished report run (the `id` of a SailPoint
/// `CampaignReport`). 400 while the run is not SUCCESS, 404 for an unknown id.
pub async fn download_report(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (run, chunks) = state.campaigns.report_file(&caller, &ReportId(id)).await?;
    let filename = safe(&format!(
        "{}-{}.csv",
        run.campaign_id,
        run.report_type.as_str().to_ascii_lowercase()
    ));
    Ok(csv_response(&filename, chunks))
}

/// `GET /api/v1/campaigns/{id}/review-items.csv`: every item of the campaign with holder,
/// access, source, reviewer, recommendation, decision, comment and decision time (and the
/// configured identity attribute columns), as the data is now.
pub async fn download_campaign_csv(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let campaign = CampaignId(id);
    let body = state.campaigns.campaign_csv(&caller, &campaign).await?;
    let filename = safe(&format!("{campaign}-review-items.csv"));
    Ok(csv_response(&filename, body))
}
