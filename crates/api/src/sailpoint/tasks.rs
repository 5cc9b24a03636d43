//! Certification tasks: `/certification-tasks` (and `/certification-tasks/v1`), the pending
//! background jobs a client polls (generation, activation, completion, reassignment), and the
//! deprecated beta per-certification task routes `/beta/certifications/{id}/tasks/{taskId}`
//! and `/beta/certifications/{id}/tasks-pending`.
//!
//! Policy: open to every authenticated caller; the engine decides which tasks a caller may
//! see (administrators all, reviewers those of their certifications). The list is SailPoint's
//! *pending* list: whatever the filter, only QUEUED and IN_PROGRESS tasks are listed.

use attest_domain::certification::{
    CertificationId, ReassignmentTrail, Task, TaskId, TaskStatus, TaskTarget, TaskType,
};
use attest_query::{FieldSpec, FieldType, Filter, FilterSpec, Op, SortSpec, Value};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::params::{list_query, page_headers, query_params, Collection};
use super::{mirror_enum, timestamp, ErrorMessageOut};
use crate::auth::Authenticated;
use crate::{ApiError, AppState};

/// The task routes, relative to the resource root (`/v3/certification-tasks`,
/// `/certification-tasks/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list_pending_tasks))
        .route("/{id}", get(get_task))
}

/// The deprecated beta routes under `/beta/certifications` (relative to that segment).
pub fn beta_certification_routes() -> Router<AppState> {
    Router::new()
        .route("/{id}/tasks/{taskId}", get(get_certification_task))
        .route("/{id}/tasks-pending", get(list_certification_pending_tasks))
}

mirror_enum!(
    /// The kind of a certification task.
    TaskTypeWire mirrors TaskType {
        Reassign => "REASSIGN",
        AdminReassign => "ADMIN_REASSIGN",
        CompleteCertification => "COMPLETE_CERTIFICATION",
        FinishCertification => "FINISH_CERTIFICATION",
        CompleteCampaign => "COMPLETE_CAMPAIGN",
        ActivateCampaign => "ACTIVATE_CAMPAIGN",
        CampaignCreate => "CAMPAIGN_CREATE",
        CampaignDelete => "CAMPAIGN_DELETE",
        CampaignReport => "CAMPAIGN_REPORT",
    }
);

mirror_enum!(
    /// What a task works on.
    TaskTargetWire mirrors TaskTarget {
        Certification => "CERTIFICATION",
        Campaign => "CAMPAIGN",
    }
);

mirror_enum!(
    /// Where a task is.
    TaskStatusWire mirrors TaskStatus {
        Queued => "QUEUED",
        InProgress => "IN_PROGRESS",
        Success => "SUCCESS",
        Error => "ERROR",
    }
);

/// One step of a reassignment's trail (SailPoint's `ReassignmentTrailDTO`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReassignmentTrailOut {
    /// The previous reviewer.
    pub previous_owner: String,
    /// The new reviewer.
    pub new_owner: String,
    /// `AUTOMATIC_REASSIGNMENT` or `MANUAL_REASSIGNMENT`.
    pub reassignment_type: String,
}

impl ReassignmentTrailOut {
    fn of(trail: &ReassignmentTrail) -> Self {
        ReassignmentTrailOut {
            previous_owner: trail.previous_owner.clone(),
            new_owner: trail.new_owner.clone(),
            reassignment_type: trail.reassignment_type.clone(),
        }
    }
}

/// SailPoint's `CertificationTask` (the beta family's lacks `reassignmentTrailDTOs`; it is
/// served there too).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificationTaskOut {
    /// The task id.
    pub id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub task_type: TaskTypeWire,
    /// What it works on.
    pub target_type: TaskTargetWire,
    /// The campaign or certification id.
    pub target_id: String,
    /// Where it is.
    pub status: TaskStatusWire,
    /// Why it failed.
    pub errors: Vec<ErrorMessageOut>,
    /// What a reassignment moved where.
    #[serde(rename = "reassignmentTrailDTOs")]
    pub reassignment_trail_dtos: Vec<ReassignmentTrailOut>,
    /// Created.
    #[serde(serialize_with = "timestamp::serialize")]
    pub created: DateTime<Utc>,
}

impl From<&Task> for CertificationTaskOut {
    fn from(task: &Task) -> Self {
        CertificationTaskOut::of(task)
    }
}

impl CertificationTaskOut {
    /// The wire shape of `task`.
    pub fn of(task: &Task) -> Self {
        CertificationTaskOut {
            id: task.id.0.clone(),
            task_type: task.task_type.into(),
            target_type: task.target_type.into(),
            target_id: task.target_id.clone(),
            status: task.status.into(),
            errors: task
                .errors
                .iter()
                .map(|e| ErrorMessageOut::english(e.clone()))
                .collect(),
            reassignment_trail_dtos: task
                .reassignment_trail
                .iter()
                .map(ReassignmentTrailOut::of)
                .collect(),
            created: task.created,
        }
    }
}

/// `filters` of the task list: `id`, `targetId`, `type` and `status`, each with eq and in.
pub const TASK_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("targetId", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new(
        "type",
        FieldType::Enum(TaskTypeWire::SPELLINGS),
        &[Op::Eq, Op::In],
    ),
    FieldSpec::new(
        "status",
        FieldType::Enum(TaskStatusWire::SPELLINGS),
        &[Op::Eq, Op::In],
    ),
]);

/// The task list declares no sorters.
pub const TASK_SORTERS: SortSpec = SortSpec::new(&[]);

/// The collection parameters of the task list.
pub const TASK_COLLECTION: Collection = Collection {
    filters: &TASK_FILTERS,
    sorters: &TASK_SORTERS,
};

/// `status in ("QUEUED", "IN_PROGRESS")`: what makes a task pending.
fn pending_only() -> Filter {
    Filter::Compare {
        field: "status".to_owned(),
        op: Op::In,
        value: Value::List(vec![
            Value::String(TaskStatusWire::Queued.as_str().to_owned()),
            Value::String(TaskStatusWire::InProgress.as_str().to_owned()),
        ]),
    }
}

/// `GET /certification-tasks`: the pending tasks the caller may see, filtered. The
/// `reviewer-identity` parameter is accepted for compatibility and has no further effect: the
/// engine narrows a reviewer's list to the tasks of the certifications they review.
pub async fn list_pending_tasks(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<CertificationTaskOut>>), ApiError> {
    let params = query_params(&uri)?;
    let mut query = list_query(&params, &TASK_COLLECTION)?;
    query.filter = Some(match query.filter.take() {
        None => pending_only(),
        Some(filter) => Filter::And(vec![pending_only(), filter]),
    });
    let page = state.campaigns.tasks(&caller, &query).await?;
    let tasks = page.items.iter().map(CertificationTaskOut::of).collect();
    Ok((page_headers(&page), Json(tasks)))
}

/// `GET /certification-tasks/{id}`: one task.
pub async fn get_task(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<CertificationTaskOut>, ApiError> {
    let task = state.campaigns.task(&caller, &TaskId(id)).await?;
    Ok(Json(CertificationTaskOut::of(&task)))
}

/// The `type` of a beta `IdentityCertificationTask`: the only task that works on a
/// certification, a reassignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum CertificationTaskTypeWire {
    /// `REASSIGN`
    #[serde(rename = "REASSIGN")]
    Reassign,
}

/// The beta family's `IdentityCertificationTask`: a REASSIGN task of a certification.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCertificationTaskOut {
    /// The task id.
    pub id: String,
    /// The certification.
    pub certification_id: String,
    /// Its kind: always `REASSIGN`.
    #[serde(rename = "type")]
    pub task_type: CertificationTaskTypeWire,
    /// Where it is.
    pub status: TaskStatusWire,
    /// Why it failed.
    pub errors: Vec<String>,
}

impl IdentityCertificationTaskOut {
    /// The beta shape of a task of a certification; `None` for any task but a REASSIGN of a
    /// certification (beta has no shape for the others, and Attest makes no others).
    pub fn of(task: &Task) -> Option<Self> {
        if task.task_type != TaskType::Reassign || task.target_type != TaskTarget::Certification {
            return None;
        }
        Some(IdentityCertificationTaskOut {
            id: task.id.0.clone(),
            certification_id: task.target_id.clone(),
            task_type: CertificationTaskTypeWire::Reassign,
            status: task.status.into(),
            errors: task.errors.clone(),
        })
    }
}

/// `GET /beta/certifications/{id}/tasks/{taskId}`: one task of a certification (404 when the
/// task is not a reassignment of that certification).
pub async fn get_certification_task(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, task_id)): Path<(String, String)>,
) -> Result<Json<IdentityCertificationTaskOut>, ApiError> {
    let task = state.campaigns.task(&caller, &TaskId(task_id)).await?;
    match IdentityCertificationTaskOut::of(&task) {
        Some(out) if task.target_id == id => Ok(Json(out)),
        _ => Err(ApiError::NotFound(format!(
            "Task {} is not a task of certification {id}.",
            task.id
        ))),
    }
}

/// `GET /beta/certifications/{id}/tasks-pending`: the QUEUED and IN_PROGRESS tasks of a
/// certification.
pub async fn list_certification_pending_tasks(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<IdentityCertificationTaskOut>>, ApiError> {
    let tasks = state
        .campaigns
        .pending_tasks(&caller, &CertificationId(id))
        .await?;
    Ok(Json(
        tasks
            .iter()
            .filter_map(IdentityCertificationTaskOut::of)
            .collect(),
    ))
}
