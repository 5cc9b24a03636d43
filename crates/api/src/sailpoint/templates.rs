//! Campaign templates and their schedules: `/campaign-templates` (and `/campaign-templates/v1`):
//! create, list, read, JSON-Patch, delete, generate a campaign now, and the schedule's get, set
//! and delete.
//!
//! Policy: this module translates SailPoint's `CampaignTemplate` and `Schedule` shapes; the
//! template's `campaign` is read with the campaign endpoints' own reader ([`CampaignIn`]), so a
//! template accepts exactly what `POST /campaigns` accepts, and every problem is one cause
//! prefixed `campaign.`. Placeholders, schedules and who may do what are the engine's
//! ([`attest_engine::campaigns::Campaigns`]). A patch is applied (RFC 6902, every operation) to
//! the template's patchable document (`name`, `description`, `deadlineDuration`, `campaign`),
//! and the result is checked as a new template is.

use attest_domain::campaign::CampaignStatus;
use attest_domain::certification::{
    Campaign, CampaignDefinition, CampaignId, CampaignScope, CorrelatedStatus,
};
use attest_domain::schedule::{Schedule, ScheduleType, Selector, SelectorType};
use attest_domain::template::{CampaignTemplate, TemplateId};
use attest_engine::campaigns::TemplateDraft;
use attest_query::{FieldSpec, FieldType, FilterSpec, Op, SortSpec};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::campaigns::{CampaignIn, CampaignOut, Names, CAMPAIGN_MANAGERS};
use super::certifications::{CampaignRefTypeWire, CampaignReferenceOut};
use super::params::{list_query, page_headers, query_params, Collection};
use super::{parse_body, timestamp};
use crate::auth::{require_any, Authenticated};
use crate::{ApiError, AppState};

/// The template routes, relative to the resource root (`/v3/campaign-templates`,
/// `/campaign-templates/v1`). Every operation is for ORG_ADMIN and CERT_ADMIN (the spec's
/// `x-sailpoint-userLevels`).
pub fn routes() -> Router<AppState> {
    let managers = || require_any(CAMPAIGN_MANAGERS);
    Router::new()
        .route(
            "/",
            get(list_templates)
                .post(create_template)
                .route_layer(managers()),
        )
        .route(
            "/{id}",
            get(get_template)
                .patch(patch_template)
                .delete(delete_template)
                .route_layer(managers()),
        )
        .route(
            "/{id}/generate",
            post(generate_campaign).route_layer(managers()),
        )
        .route(
            "/{id}/schedule",
            get(get_schedule)
                .put(set_schedule)
                .delete(delete_schedule)
                .route_layer(managers()),
        )
}

// ---- list and read ----

const STRING_OPS: &[Op] = &[
    Op::Eq,
    Op::Ge,
    Op::Gt,
    Op::In,
    Op::Le,
    Op::Lt,
    Op::Ne,
    Op::Sw,
];

/// `filters` of the template list: `id` and `name` with eq, ge, gt, in, le, lt, ne, sw.
pub const TEMPLATE_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, STRING_OPS),
    FieldSpec::new("name", FieldType::String, STRING_OPS),
]);

/// `sorters` of the template list: name, created, modified.
pub const TEMPLATE_SORTERS: SortSpec = SortSpec::new(&["name", "created", "modified"]);

/// The collection parameters of the template list.
pub const TEMPLATE_COLLECTION: Collection = Collection {
    filters: &TEMPLATE_FILTERS,
    sorters: &TEMPLATE_SORTERS,
};

/// `GET /campaign-templates`: templates matching the collection parameters;
/// `X-Total-Count` when `count=true`.
pub async fn list_templates(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<CampaignTemplateOut>>), ApiError> {
    let params = query_params(&uri)?;
    let query = list_query(&params, &TEMPLATE_COLLECTION)?;
    let page = state.campaigns.templates(&caller, &query).await?;
    let mut names = Names::new(&state);
    let mut out = Vec::with_capacity(page.items.len());
    for template in &page.items {
        out.push(CampaignTemplateOut::of(template, &state, &mut names).await?);
    }
    Ok((page_headers(&page), Json(out)))
}

/// `GET /campaign-templates/{id}`.
pub async fn get_template(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<CampaignTemplateOut>, ApiError> {
    let template = state.campaigns.template(&caller, &TemplateId(id)).await?;
    let mut names = Names::new(&state);
    Ok(Json(
        CampaignTemplateOut::of(&template, &state, &mut names).await?,
    ))
}

// ---- create ----

/// A campaign template as a client creates it (SailPoint's `CampaignTemplate`). Read-only
/// fields (`id`, `created`, `modified`, `scheduled`, `ownerRef`) are ignored when sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignTemplateIn {
    /// The template's name (1–255 characters; not the generated campaigns'). Required.
    pub name: Option<String>,
    /// The template's description. Required.
    pub description: Option<String>,
    /// ISO-8601 duration from generation to the generated campaign's deadline (`P2W`).
    pub deadline_duration: Option<String>,
    /// The campaign to generate, as `POST /campaigns` takes it; its name and description may
    /// hold date placeholders (`%Y`, `%B`, `%F`, ...). Required.
    pub campaign: Option<CampaignIn>,
}

impl CampaignTemplateIn {
    /// The engine's draft, or every problem of the shape (the engine checks the rest).
    pub fn into_draft(self) -> Result<TemplateDraft, Vec<String>> {
        let mut causes = Vec::new();
        if self.name.is_none() {
            causes.push("name: is required".to_owned());
        }
        if self.description.is_none() {
            causes.push("description: is required".to_owned());
        }
        let campaign = match self.campaign {
            None => {
                causes.push("campaign: is required".to_owned());
                None
            }
            Some(campaign) => match campaign.into_definition() {
                Ok(definition) => Some(definition),
                Err(more) => {
                    causes.extend(more.into_iter().map(|c| format!("campaign.{c}")));
                    None
                }
            },
        };
        match campaign {
            Some(campaign) if causes.is_empty() => Ok(TemplateDraft {
                name: self.name.unwrap_or_default(),
                description: self.description.unwrap_or_default(),
                deadline_duration: self.deadline_duration,
                campaign,
            }),
            _ => Err(causes),
        }
    }
}

fn invalid_template(causes: Vec<String>) -> ApiError {
    ApiError::BadRequest {
        message: "The campaign template is invalid.".to_owned(),
        causes,
    }
}

/// `POST /campaign-templates`: creates a template owned by the caller; 200 with it.
pub async fn create_template(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<Json<CampaignTemplateOut>, ApiError> {
    let input: CampaignTemplateIn = parse_body(&body)?;
    let draft = input.into_draft().map_err(invalid_template)?;
    let template = state.campaigns.create_template(&caller, draft).await?;
    let mut names = Names::new(&state);
    Ok(Json(
        CampaignTemplateOut::of(&template, &state, &mut names).await?,
    ))
}

// ---- patch ----

/// The fields a patch may change (the spec's "patchable" list).
const PATCHABLE: &[&str] = &["name", "description", "deadlineDuration", "campaign"];

/// The read-only fields of `CampaignTemplate`, refused by name in a patch.
const READ_ONLY: &[&str] = &["id", "created", "modified", "scheduled", "ownerRef"];

/// Checks that every path (and `from`) of `patch` is under a patchable field.
fn check_patch_paths(patch: &json_patch::Patch) -> Result<(), Vec<String>> {
    let mut causes = Vec::new();
    for (index, operation) in patch.0.iter().enumerate() {
        let mut pointers = vec![("path", operation.path())];
        match operation {
            json_patch::PatchOperation::Move(op) => pointers.push(("from", &op.from)),
            json_patch::PatchOperation::Copy(op) => pointers.push(("from", &op.from)),
            _ => {}
        }
        for (name, pointer) in pointers {
            let top = pointer.first().map(|t| t.decoded().into_owned());
            match top.as_deref() {
                Some(field) if PATCHABLE.contains(&field) => {}
                Some(field) if READ_ONLY.contains(&field) => causes.push(format!(
                    "[{index}].{name}: \"{}\" is read-only; patchable fields are {}",
                    pointer.as_str(),
                    PATCHABLE.join(", ")
                )),
                _ => causes.push(format!(
                    "[{index}].{name}: \"{}\" does not name a patchable field ({})",
                    pointer.as_str(),
                    PATCHABLE.join(", ")
                )),
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(causes)
    }
}

/// `PATCH /campaign-templates/{id}`: applies a JSON Patch (`application/json-patch+json`) to
/// the template's patchable fields and answers with the new template.
pub async fn patch_template(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CampaignTemplateOut>, ApiError> {
    let patch: json_patch::Patch = parse_body(&body)?;
    check_patch_paths(&patch).map_err(|causes| ApiError::BadRequest {
        message: "The patch is invalid.".to_owned(),
        causes,
    })?;
    let id = TemplateId(id);
    let current = state.campaigns.template(&caller, &id).await?;
    let mut names = Names::new(&state);
    let out = CampaignTemplateOut::of(&current, &state, &mut names).await?;
    let mut document = Value::Object(Map::from_iter([
        ("name".to_owned(), Value::String(out.name)),
        ("description".to_owned(), Value::String(out.description)),
        (
            "deadlineDuration".to_owned(),
            out.deadline_duration.map_or(Value::Null, Value::String),
        ),
        ("campaign".to_owned(), out.campaign),
    ]));
    json_patch::patch(&mut document, &patch).map_err(|e| ApiError::BadRequest {
        message: "The patch cannot be applied to the campaign template.".to_owned(),
        causes: vec![format!(
            "[{}].path: \"{}\": {}",
            e.operation,
            e.path.as_str(),
            e.kind
        )],
    })?;
    let input: CampaignTemplateIn =
        serde_json::from_value(document).map_err(|e| ApiError::BadRequest {
            message: "The patched campaign template is not valid.".to_owned(),
            causes: vec![format!("body: {e}")],
        })?;
    let draft = input.into_draft().map_err(invalid_template)?;
    let template = state.campaigns.update_template(&caller, &id, draft).await?;
    Ok(Json(
        CampaignTemplateOut::of(&template, &state, &mut names).await?,
    ))
}

/// `DELETE /campaign-templates/{id}`: deletes the template and its schedule (campaigns it
/// generated stay); 204.
pub async fn delete_template(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .campaigns
        .delete_template(&caller, &TemplateId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- generate ----

/// `POST /campaign-templates/{id}/generate`: generates a campaign from the template now (its
/// generation then runs in the background, as for any new campaign); 200 with a reference.
pub async fn generate_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<CampaignReferenceOut>, ApiError> {
    let campaign = state
        .campaigns
        .generate_from_template(&caller, &TemplateId(id))
        .await?;
    let definition = &campaign.definition;
    let correlated = match &definition.scope {
        CampaignScope::SourceOwner { correlated, .. } => *correlated,
        _ => CorrelatedStatus::Correlated,
    };
    Ok(Json(CampaignReferenceOut {
        id: campaign.id.0.clone(),
        name: definition.name.clone(),
        kind: CampaignRefTypeWire::Campaign,
        campaign_type: definition.scope.campaign_type().into(),
        description: definition.description.clone(),
        correlated_status: correlated.into(),
        mandatory_comment_requirement: definition.mandatory_comment_requirement.into(),
    }))
}

// ---- schedule ----

/// `months`, `days` or `hours` of a schedule as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelectorIn {
    /// `LIST` or `RANGE`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<SelectorTypeWire>)]
    pub selector_type: Option<String>,
    /// The values, as strings (`"1"`, `"L"`, `"L-1"`, `"--12-31"`, `"2026-12-31"`). Required.
    pub values: Option<Vec<String>>,
    /// Step between values (at least 1).
    pub interval: Option<i64>,
}

/// SailPoint's `Schedule` as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleIn {
    /// `WEEKLY`, `MONTHLY`, `ANNUALLY` or `CALENDAR`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<ScheduleTypeWire>)]
    pub schedule_type: Option<String>,
    /// ANNUALLY only: the months (1-12).
    pub months: Option<SelectorIn>,
    /// The days (meaning depends on `type`). Required.
    pub days: Option<SelectorIn>,
    /// The hours (0-23). Required.
    pub hours: Option<SelectorIn>,
    /// No occurrence after this instant (RFC 3339).
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expiration: Option<String>,
    /// An IANA time zone (`America/Chicago`) or a Java short id (`CST`); absent: UTC.
    pub time_zone_id: Option<String>,
}

/// A schedule's cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScheduleTypeWire {
    /// `WEEKLY`
    Weekly,
    /// `MONTHLY`
    Monthly,
    /// `ANNUALLY`
    Annually,
    /// `CALENDAR`
    Calendar,
}

/// Whether a selector lists values or gives a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelectorTypeWire {
    /// `LIST`
    List,
    /// `RANGE`
    Range,
}

fn selector(field: &str, input: Option<SelectorIn>, causes: &mut Vec<String>) -> Option<Selector> {
    let input = input?;
    let selector_type = match input.selector_type.as_deref() {
        None => {
            causes.push(format!("{field}.type: is required (LIST or RANGE)"));
            None
        }
        Some("LIST") => Some(SelectorType::List),
        Some("RANGE") => Some(SelectorType::Range),
        Some(other) => {
            causes.push(format!(
                "{field}.type: \"{other}\" is not one of LIST, RANGE"
            ));
            None
        }
    };
    if input.values.is_none() {
        causes.push(format!("{field}.values: is required"));
    }
    Some(Selector {
        selector_type: selector_type?,
        values: input.values?,
        interval: input.interval,
    })
}

impl ScheduleIn {
    /// The domain schedule, or every problem of the shape (the meaning of each value is
    /// checked by the engine, which names the field too).
    pub fn into_schedule(self) -> Result<Schedule, Vec<String>> {
        let mut causes = Vec::new();
        let schedule_type = match self.schedule_type.as_deref() {
            None => {
                causes.push("type: is required (WEEKLY, MONTHLY, ANNUALLY or CALENDAR)".to_owned());
                None
            }
            Some("WEEKLY") => Some(ScheduleType::Weekly),
            Some("MONTHLY") => Some(ScheduleType::Monthly),
            Some("ANNUALLY") => Some(ScheduleType::Annually),
            Some("CALENDAR") => Some(ScheduleType::Calendar),
            Some(other) => {
                causes.push(format!(
                    "type: \"{other}\" is not one of WEEKLY, MONTHLY, ANNUALLY, CALENDAR"
                ));
                None
            }
        };
        if self.hours.is_none() {
            causes.push("hours: is required".to_owned());
        }
        if self.days.is_none() {
            causes.push("days: is required".to_owned());
        }
        let months = selector("months", self.months, &mut causes);
        let days = selector("days", self.days, &mut causes);
        let hours = selector("hours", self.hours, &mut causes);
        let expiration = match self.expiration.as_deref() {
            None => None,
            Some(text) => match DateTime::parse_from_rfc3339(text) {
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(_) => {
                    causes.push(format!(
                        "expiration: \"{text}\" is not an RFC 3339 date-time such as 2027-01-01T00:00:00Z"
                    ));
                    None
                }
            },
        };
        match (schedule_type, hours) {
            (Some(schedule_type), Some(hours)) if causes.is_empty() => Ok(Schedule {
                schedule_type,
                months,
                days,
                hours,
                expiration,
                time_zone_id: self.time_zone_id,
            }),
            _ => Err(causes),
        }
    }
}

/// A selector as served.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelectorOut {
    /// `LIST` or `RANGE`.
    #[serde(rename = "type")]
    pub selector_type: SelectorTypeWire,
    /// The values, as set.
    pub values: Vec<String>,
    /// The step, when one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub interval: Option<i64>,
}

impl SelectorOut {
    fn of(selector: &Selector) -> Self {
        SelectorOut {
            selector_type: match selector.selector_type {
                SelectorType::List => SelectorTypeWire::List,
                SelectorType::Range => SelectorTypeWire::Range,
            },
            values: selector.values.clone(),
            interval: selector.interval,
        }
    }
}

/// SailPoint's `Schedule` as served: what was set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleOut {
    /// The cadence.
    #[serde(rename = "type")]
    pub schedule_type: ScheduleTypeWire,
    /// ANNUALLY only (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub months: Option<SelectorOut>,
    /// The days.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub days: Option<SelectorOut>,
    /// The hours.
    pub hours: SelectorOut,
    /// No occurrence after this instant (absent: none).
    #[serde(
        serialize_with = "timestamp::serialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub expiration: Option<DateTime<Utc>>,
    /// The time zone as set (absent: UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub time_zone_id: Option<String>,
}

impl ScheduleOut {
    /// The wire shape of `schedule`.
    pub fn of(schedule: &Schedule) -> Self {
        ScheduleOut {
            schedule_type: match schedule.schedule_type {
                ScheduleType::Weekly => ScheduleTypeWire::Weekly,
                ScheduleType::Monthly => ScheduleTypeWire::Monthly,
                ScheduleType::Annually => ScheduleTypeWire::Annually,
                ScheduleType::Calendar => ScheduleTypeWire::Calendar,
            },
            months: schedule.months.as_ref().map(SelectorOut::of),
            days: schedule.days.as_ref().map(SelectorOut::of),
            hours: SelectorOut::of(&schedule.hours),
            expiration: schedule.expiration,
            time_zone_id: schedule.time_zone_id.clone(),
        }
    }
}

/// `GET /campaign-templates/{id}/schedule`: the schedule; 404 when none is set.
pub async fn get_schedule(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<ScheduleOut>, ApiError> {
    let schedule = state
        .campaigns
        .template_schedule(&caller, &TemplateId(id))
        .await?;
    Ok(Json(ScheduleOut::of(&schedule)))
}

/// `PUT /campaign-templates/{id}/schedule`: sets (or replaces) the schedule; 204.
pub async fn set_schedule(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let input: ScheduleIn = parse_body(&body)?;
    let schedule = input
        .into_schedule()
        .map_err(|causes| ApiError::BadRequest {
            message: "The schedule is invalid.".to_owned(),
            causes,
        })?;
    state
        .campaigns
        .set_template_schedule(&caller, &TemplateId(id), schedule)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /campaign-templates/{id}/schedule`: removes the schedule; 204 (404 when none).
pub async fn delete_schedule(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .campaigns
        .delete_template_schedule(&caller, &TemplateId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- output ----

/// The owner of a template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateOwnerRefOut {
    /// The identity's id.
    pub id: String,
    /// Always `IDENTITY`.
    #[serde(rename = "type")]
    pub owner_type: super::certifications::IdentityRefTypeWire,
    /// Display name (else name); absent if the identity is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// E-mail, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
}

/// SailPoint's `CampaignTemplate` as served.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignTemplateOut {
    /// The template id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Created.
    #[serde(serialize_with = "timestamp::serialize")]
    pub created: DateTime<Utc>,
    /// Last patched (`null` until then).
    #[serde(serialize_with = "timestamp::serialize_option")]
    pub modified: Option<DateTime<Utc>>,
    /// Whether a schedule is set.
    pub scheduled: bool,
    /// Who created it; owner of the campaigns its schedule generates.
    pub owner_ref: TemplateOwnerRefOut,
    /// ISO-8601 duration from generation to the deadline, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub deadline_duration: Option<String>,
    /// The campaign to generate, in the `Campaign` shape; the fields a campaign gets when it
    /// exists (`id`, `status`, `created`, counts, ...) are `null`, as SailPoint writes them.
    #[schema(value_type = CampaignOut)]
    pub campaign: Value,
}

/// Fields of the served `Campaign` that only a real campaign has.
const CAMPAIGN_ONLY_FIELDS: &[&str] = &[
    "id",
    "status",
    "created",
    "modified",
    "totalCertifications",
    "completedCertifications",
    "alerts",
    "sourcesWithOrphanEntitlements",
];

impl CampaignTemplateOut {
    /// The wire shape of `template`.
    pub async fn of(
        template: &CampaignTemplate,
        state: &AppState,
        names: &mut Names<'_>,
    ) -> Result<Self, ApiError> {
        let owner = state.store.identity(&template.owner).await?;
        Ok(CampaignTemplateOut {
            id: template.id.0.clone(),
            name: template.name.clone(),
            description: template.description.clone(),
            created: template.created,
            modified: template.modified,
            scheduled: template.scheduled,
            owner_ref: TemplateOwnerRefOut {
                id: template.owner.0.clone(),
                owner_type: super::certifications::IdentityRefTypeWire::Identity,
                name: owner
                    .as_ref()
                    .map(|i| i.display_name.clone().unwrap_or_else(|| i.name.clone())),
                email: owner.and_then(|i| i.email),
            },
            deadline_duration: template.deadline_duration.clone(),
            campaign: template_campaign(template, names).await?,
        })
    }
}

/// The template's campaign in the `Campaign` shape, with the campaign-only fields `null`.
async fn template_campaign(
    template: &CampaignTemplate,
    names: &mut Names<'_>,
) -> Result<Value, ApiError> {
    let definition: CampaignDefinition = template.campaign.clone();
    let shell = Campaign {
        id: CampaignId(String::new()),
        definition,
        status: CampaignStatus::Pending,
        owner: template.owner.clone(),
        created: template.created,
        modified: template.modified.unwrap_or(template.created),
        activated: None,
        completed: None,
        alerts: Vec::new(),
        counts: Default::default(),
        source_ids: Vec::new(),
    };
    let out = CampaignOut::of(&shell, names).await?;
    let mut value = serde_json::to_value(out).map_err(|e| ApiError::Internal(Box::new(e)))?;
    if let Some(fields) = value.as_object_mut() {
        for field in CAMPAIGN_ONLY_FIELDS {
            fields.insert((*field).to_owned(), Value::Null);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn templates_need_name_description_and_campaign() {
        let input: CampaignTemplateIn = serde_json::from_value(json!({})).unwrap();
        let causes = input.into_draft().unwrap_err();
        assert_eq!(
            causes,
            [
                "name: is required",
                "description: is required",
                "campaign: is required"
            ]
        );
        let input: CampaignTemplateIn = serde_json::from_value(json!({
            "name": "t", "description": "d", "campaign": {"name": "c", "description": "x"}
        }))
        .unwrap();
        let causes = input.into_draft().unwrap_err();
        assert!(
            causes.iter().all(|c| c.starts_with("campaign.")),
            "{causes:?}"
        );
    }

    #[test]
    fn schedules_name_every_problem() {
        let input: ScheduleIn = serde_json::from_value(json!({
            "type": "DAILY",
            "days": {"type": "SET", "values": ["1"]},
            "expiration": "tomorrow"
        }))
        .unwrap();
        let causes = input.into_schedule().unwrap_err();
        assert_eq!(causes.len(), 4, "{causes:?}");
        assert!(causes[0].starts_with("type: \"DAILY\""));
        assert!(causes.iter().any(|c| c == "hours: is required"));
        assert!(causes.iter().any(|c| c.starts_with("days.type: \"SET\"")));
        assert!(causes.iter().any(|c| c.starts_with("expiration:")));
        let ok: ScheduleIn = serde_json::from_value(json!({
            "type": "MONTHLY",
            "days": {"type": "LIST", "values": ["L", "L-1"]},
            "hours": {"type": "LIST", "values": ["9"]},
            "timeZoneId": "Europe/Berlin"
        }))
        .unwrap();
        let schedule = ok.into_schedule().unwrap();
        assert!(schedule.compile().is_ok());
        let out = serde_json::to_value(ScheduleOut::of(&schedule)).unwrap();
        assert_eq!(out["days"]["values"], json!(["L", "L-1"]));
        assert_eq!(out["months"], Value::Null);
        assert_eq!(out["timeZoneId"], "Europe/Berlin");
    }

    #[test]
    fn patches_touch_only_patchable_fields() {
        let patch: json_patch::Patch = serde_json::from_value(json!([
            {"op": "replace", "path": "/description", "value": "x"},
            {"op": "replace", "path": "/campaign/filter/id", "value": "f"},
            {"op": "replace", "path": "/created", "value": "x"},
            {"op": "copy", "from": "/ownerRef/name", "path": "/name"},
            {"op": "add", "path": "/colour", "value": "x"}
        ]))
        .unwrap();
        let causes = check_patch_paths(&patch).unwrap_err();
        assert_eq!(causes.len(), 3, "{causes:?}");
        assert!(causes[0].starts_with("[2].path: \"/created\" is read-only"));
        assert!(causes[1].starts_with("[3].from: \"/ownerRef/name\" is read-only"));
        assert!(causes[2].starts_with("[4].path: \"/colour\" does not name"));
    }
}
