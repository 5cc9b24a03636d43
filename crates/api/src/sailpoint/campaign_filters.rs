//! Campaign filters: `/campaign-filters` (in `/v3`, `/v2024`, `/v2025`, `/v2026`) and
//! `/campaign-filters/v1`: create, list, read, update and bulk delete.
//!
//! Policy: this module turns SailPoint's `CampaignFilterDetails` into an engine
//! [`FilterDraft`], reporting every shape problem at once (one cause per field, named by its
//! path in the body: `criteriaList[0].children[1].type`), and filters back into the same
//! shape. Rules (lengths, required properties, the composite limits, read-only system
//! filters, who may do what) are the engine's and the domain's.
//!
//! SailPoint's v3 to v2026 specifications name the update operation's path parameter
//! `filterId` (a known upstream defect; the v1 specification says `id`); the URL is the same,
//! so one route serves both. SDKs generated from those specifications (sailpoint 1.4.x) leave
//! the path template unfilled and send `/campaign-filters/{id}` literally; the update then
//! takes the filter's id from the body, which their model requires.

use std::collections::HashMap;

use attest_domain::campaign_filter::{
    CampaignFilter, CampaignFilterId, CriteriaOperation, CriteriaType, Criterion, FilterMode,
};
use attest_domain::Authority;
use attest_engine::campaigns::FilterDraft;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::params::query_params;
use super::{count32, parse_body};
use crate::auth::{require_any, Authenticated};
use crate::{ApiError, AppState};

/// Who may see and manage campaign filters.
pub const FILTER_MANAGERS: &[Authority] = &[Authority::OrgAdmin, Authority::CertAdmin];

/// The most filters one list call returns (SailPoint's `limit` maximum and default).
pub const MAX_LIMIT: u32 = 250;

/// The routes under `/campaign-filters` (and of `/campaign-filters/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(list_campaign_filters)
                .merge(post(create_campaign_filter))
                .route_layer(require_any(FILTER_MANAGERS)),
        )
        .route(
            "/delete",
            post(delete_campaign_filters).route_layer(require_any(FILTER_MANAGERS)),
        )
        .route(
            "/{id}",
            get(get_campaign_filter)
                .merge(post(update_campaign_filter))
                .route_layer(require_any(FILTER_MANAGERS)),
        )
}

// ---- wire types ----

/// SailPoint's `CampaignFilterDetails` as a client sends it (create and update). `id`,
/// `owner` and `isSystemFilter` are set by Attest: they are accepted (the SDK's model
/// requires them) and ignored, except that a client cannot create a system filter.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignFilterDetailsIn {
    /// Ignored on create; on update, when set, it must be the id in the path.
    pub id: Option<String>,
    /// Display name (required, at most 255 characters).
    pub name: Option<String>,
    /// Description (at most 2,000 characters).
    pub description: Option<String>,
    /// Ignored: the owner is the creator.
    pub owner: Option<String>,
    /// `INCLUSION` or `EXCLUSION` (required).
    pub mode: Option<String>,
    /// The criteria (at least one), all of which must match.
    pub criteria_list: Option<Vec<CriteriaIn>>,
    /// Must not be `true`: only Attest ships system filters.
    pub is_system_filter: Option<bool>,
}

/// One criterion as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CriteriaIn {
    /// `CriteriaType` (required).
    #[serde(rename = "type")]
    pub criteria_type: Option<String>,
    /// `Operation`: EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH, ENDS_WITH; AND or OR for
    /// COMPOSITE.
    pub operation: Option<String>,
    /// The property compared (see `docs/campaign-filters.md`).
    pub property: Option<String>,
    /// The value compared with.
    pub value: Option<String>,
    /// Inverts the result.
    pub negate_result: Option<bool>,
    /// Kept and echoed.
    pub short_circuit: Option<bool>,
    /// Kept and echoed.
    pub record_child_matches: Option<bool>,
    /// The client's id for the criterion.
    pub id: Option<String>,
    /// Kept and echoed.
    pub suppress_matched_items: Option<bool>,
    /// Children of a COMPOSITE criterion (criteria objects).
    #[schema(value_type = Option<Vec<Object>>)]
    pub children: Option<Vec<CriteriaIn>>,
}

/// SailPoint's `CampaignFilterDetails`, as Attest answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignFilterDetailsOut {
    /// The filter's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description (left out when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// The creator's display name (`Attest` for system filters).
    pub owner: Option<String>,
    /// `INCLUSION` or `EXCLUSION`.
    pub mode: FilterModeWire,
    /// The criteria.
    pub criteria_list: Vec<CriteriaOut>,
    /// Whether Attest ships it (read-only).
    pub is_system_filter: bool,
}

/// One criterion as Attest answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CriteriaOut {
    /// `CriteriaType`.
    #[serde(rename = "type")]
    pub criteria_type: CriteriaTypeWire,
    /// `Operation`.
    pub operation: Option<OperationWire>,
    /// The property compared (`null` for COMPOSITE).
    pub property: Option<String>,
    /// The value compared with (`null` for COMPOSITE).
    pub value: Option<String>,
    /// Inverts the result.
    pub negate_result: bool,
    /// As given.
    pub short_circuit: bool,
    /// As given.
    pub record_child_matches: bool,
    /// The client's id for the criterion, if it gave one.
    pub id: Option<String>,
    /// As given.
    pub suppress_matched_items: bool,
    /// Children of a COMPOSITE criterion (empty for others).
    #[schema(value_type = Vec<Object>)]
    pub children: Vec<CriteriaOut>,
}

/// The body of `GET /campaign-filters`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignFilterListOut {
    /// The page of filters (system filters first, then by creation).
    pub items: Vec<CampaignFilterDetailsOut>,
    /// How many filters the whole list holds (with or without system filters, as asked).
    pub count: i32,
}

/// SailPoint's filter `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum FilterModeWire {
    /// Only matching items are reviewed.
    #[serde(rename = "INCLUSION")]
    Inclusion,
    /// Matching items are left out.
    #[serde(rename = "EXCLUSION")]
    Exclusion,
}

/// SailPoint's `CriteriaType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CriteriaTypeWire {
    /// `COMPOSITE`
    Composite,
    /// `ROLE`
    Role,
    /// `IDENTITY`
    Identity,
    /// `IDENTITY_ATTRIBUTE`
    IdentityAttribute,
    /// `ENTITLEMENT`
    Entitlement,
    /// `ACCESS_PROFILE`
    AccessProfile,
    /// `SOURCE`
    Source,
    /// `ACCOUNT`
    Account,
    /// `AGGREGATED_ENTITLEMENT`
    AggregatedEntitlement,
    /// `INVALID_CERTIFIABLE_ENTITY`
    InvalidCertifiableEntity,
    /// `INVALID_CERTIFIABLE_BUNDLE`
    InvalidCertifiableBundle,
}

/// SailPoint's `Operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationWire {
    /// `EQUALS`
    Equals,
    /// `NOT_EQUALS`
    NotEquals,
    /// `CONTAINS`
    Contains,
    /// `STARTS_WITH`
    StartsWith,
    /// `ENDS_WITH`
    EndsWith,
    /// `AND`
    And,
    /// `OR`
    Or,
}

impl From<FilterMode> for FilterModeWire {
    fn from(mode: FilterMode) -> Self {
        match mode {
            FilterMode::Inclusion => FilterModeWire::Inclusion,
            FilterMode::Exclusion => FilterModeWire::Exclusion,
        }
    }
}

fn type_wire(kind: CriteriaType) -> CriteriaTypeWire {
    use CriteriaType as T;
    use CriteriaTypeWire as W;
    match kind {
        T::Composite => W::Composite,
        T::Role => W::Role,
        T::Identity => W::Identity,
        T::IdentityAttribute => W::IdentityAttribute,
        T::Entitlement => W::Entitlement,
        T::AccessProfile => W::AccessProfile,
        T::Source => W::Source,
        T::Account => W::Account,
        T::AggregatedEntitlement => W::AggregatedEntitlement,
        T::InvalidCertifiableEntity => W::InvalidCertifiableEntity,
        T::InvalidCertifiableBundle => W::InvalidCertifiableBundle,
    }
}

fn operation_wire(operation: CriteriaOperation) -> OperationWire {
    use CriteriaOperation as O;
    use OperationWire as W;
    match operation {
        O::Equals => W::Equals,
        O::NotEquals => W::NotEquals,
        O::Contains => W::Contains,
        O::StartsWith => W::StartsWith,
        O::EndsWith => W::EndsWith,
        O::And => W::And,
        O::Or => W::Or,
    }
}

impl From<&Criterion> for CriteriaOut {
    fn from(c: &Criterion) -> Self {
        CriteriaOut {
            criteria_type: type_wire(c.kind),
            operation: c.operation.map(operation_wire),
            property: c.property.clone(),
            value: c.value.clone(),
            negate_result: c.negate_result,
            short_circuit: c.short_circuit,
            record_child_matches: c.record_child_matches,
            id: c.id.clone(),
            suppress_matched_items: c.suppress_matched_items,
            children: c.children.iter().map(CriteriaOut::from).collect(),
        }
    }
}

impl From<CampaignFilter> for CampaignFilterDetailsOut {
    fn from(f: CampaignFilter) -> Self {
        CampaignFilterDetailsOut {
            id: f.id.0,
            name: f.name,
            description: f.description,
            owner: f.owner,
            mode: f.mode.into(),
            criteria_list: f.criteria.iter().map(CriteriaOut::from).collect(),
            is_system_filter: f.system,
        }
    }
}

// ---- reading a body ----

/// Problems found in a body, one `field: problem` each.
#[derive(Default)]
struct Causes(Vec<String>);

impl Causes {
    fn push(&mut self, field: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{field}: {problem}"));
    }

    fn spelling<T: std::str::FromStr>(
        &mut self,
        field: &str,
        value: Option<&str>,
        spellings: &[&str],
    ) -> Option<T> {
        let value = value?;
        let parsed = value.parse().ok();
        if parsed.is_none() {
            self.push(
                field,
                format!("\"{value}\" is not one of {}", spellings.join(", ")),
            );
        }
        parsed
    }
}

const TYPES: &[&str] = &[
    "COMPOSITE",
    "ROLE",
    "IDENTITY",
    "IDENTITY_ATTRIBUTE",
    "ENTITLEMENT",
    "ACCESS_PROFILE",
    "SOURCE",
    "ACCOUNT",
    "AGGREGATED_ENTITLEMENT",
    "INVALID_CERTIFIABLE_ENTITY",
    "INVALID_CERTIFIABLE_BUNDLE",
];
const OPERATIONS: &[&str] = &[
    "EQUALS",
    "NOT_EQUALS",
    "CONTAINS",
    "STARTS_WITH",
    "ENDS_WITH",
    "AND",
    "OR",
];

fn criterion(input: &CriteriaIn, at: &str, causes: &mut Causes) -> Option<Criterion> {
    let kind = match input.criteria_type.as_deref() {
        None => {
            causes.push(&format!("{at}.type"), "is required");
            None
        }
        some => causes.spelling::<CriteriaType>(&format!("{at}.type"), some, TYPES),
    };
    let operation = causes.spelling::<CriteriaOperation>(
        &format!("{at}.operation"),
        input.operation.as_deref(),
        OPERATIONS,
    );
    let operation_ok = input.operation.is_none() || operation.is_some();
    let children: Vec<Option<Criterion>> = input
        .children
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, child)| criterion(child, &format!("{at}.children[{i}]"), causes))
        .collect();
    let children: Option<Vec<Criterion>> = children.into_iter().collect();
    let (kind, children) = (kind?, children?);
    operation_ok.then(|| Criterion {
        kind,
        operation,
        property: input.property.clone(),
        value: input.value.clone(),
        negate_result: input.negate_result.unwrap_or(false),
        short_circuit: input.short_circuit.unwrap_or(false),
        record_child_matches: input.record_child_matches.unwrap_or(false),
        id: input.id.clone(),
        suppress_matched_items: input.suppress_matched_items.unwrap_or(false),
        children,
    })
}

/// The draft a body describes, or a 400 naming every shape problem.
fn draft(input: CampaignFilterDetailsIn) -> Result<FilterDraft, ApiError> {
    let mut causes = Causes::default();
    if input.is_system_filter == Some(true) {
        causes.push(
            "isSystemFilter",
            "must be false: only Attest ships system filters",
        );
    }
    let mode =
        causes.spelling::<FilterMode>("mode", input.mode.as_deref(), &["INCLUSION", "EXCLUSION"]);
    let criteria: Vec<Option<Criterion>> = input
        .criteria_list
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| criterion(c, &format!("criteriaList[{i}]"), &mut causes))
        .collect();
    if !causes.0.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The campaign filter is invalid.".to_owned(),
            causes: causes.0,
        });
    }
    Ok(FilterDraft {
        name: input.name,
        description: input.description,
        mode,
        criteria: criteria.into_iter().flatten().collect(),
    })
}

// ---- handlers ----

/// `POST /campaign-filters`: creates a filter owned by the caller; 200 with it.
pub async fn create_campaign_filter(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<Json<CampaignFilterDetailsOut>, ApiError> {
    let input: CampaignFilterDetailsIn = parse_body(&body)?;
    let draft = draft(input)?;
    let filter = state.campaigns.create_filter(&caller, draft).await?;
    Ok(Json(filter.into()))
}

/// `GET /campaign-filters`: `limit` (0–250, default 250), `start` (default 0) and
/// `includeSystemFilters` (default true).
pub async fn list_campaign_filters(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<Json<CampaignFilterListOut>, ApiError> {
    let params: HashMap<String, String> = query_params(&uri)?;
    let mut causes = Vec::new();
    let limit = match params.get("limit") {
        None => MAX_LIMIT,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(n) if n <= MAX_LIMIT => n,
            _ => {
                causes.push(format!(
                    "limit: must be an integer from 0 to {MAX_LIMIT}, got \"{raw}\""
                ));
                MAX_LIMIT
            }
        },
    };
    let start = match params.get("start") {
        None => 0,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(n) => u64::from(n),
            Err(_) => {
                causes.push(format!(
                    "start: must be an integer from 0 to {}, got \"{raw}\"",
                    u32::MAX
                ));
                0
            }
        },
    };
    let include_system = match params.get("includeSystemFilters").map(String::as_str) {
        None => true,
        Some(raw) if raw.eq_ignore_ascii_case("true") => true,
        Some(raw) if raw.eq_ignore_ascii_case("false") => false,
        Some(raw) => {
            causes.push(format!(
                "includeSystemFilters: must be true or false, got \"{raw}\""
            ));
            true
        }
    };
    if !causes.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The collection parameters are invalid.".to_owned(),
            causes,
        });
    }
    let (filters, total) = state
        .campaigns
        .filters(&caller, include_system, limit, start)
        .await?;
    Ok(Json(CampaignFilterListOut {
        items: filters.into_iter().map(Into::into).collect(),
        count: count32(i64::try_from(total).unwrap_or(i64::MAX)),
    }))
}

/// `GET /campaign-filters/{id}`.
pub async fn get_campaign_filter(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<CampaignFilterDetailsOut>, ApiError> {
    let filter = state
        .campaigns
        .filter(&caller, &CampaignFilterId(id))
        .await?;
    Ok(Json(filter.into()))
}

/// Path segments that are an SDK's unfilled path template rather than an id (see
/// [`update_campaign_filter`]).
const UNFILLED_TEMPLATES: &[&str] = &["{id}", "{filterId}"];

/// `POST /campaign-filters/{id}`: replaces the filter's name, description, mode and criteria.
pub async fn update_campaign_filter(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CampaignFilterDetailsOut>, ApiError> {
    let input: CampaignFilterDetailsIn = parse_body(&body)?;
    let given = input.id.as_deref().filter(|given| !given.is_empty());
    // SailPoint's v3-v2026 specifications name the path parameter `filterId` in a path written
    // `/campaign-filters/{id}`, so the SDKs generated from them (sailpoint 1.4.x) never fill
    // it in and send the template itself; their model requires `id` in the body, so that is
    // the filter meant.
    let id = if UNFILLED_TEMPLATES.contains(&id.as_str()) {
        match given {
            Some(given) => given.to_owned(),
            None => {
                return Err(ApiError::BadRequest {
                    message: "The campaign filter is invalid.".to_owned(),
                    causes: vec![format!(
                        "id: the path names no filter (\"{id}\"), so the body's id is required"
                    )],
                })
            }
        }
    } else {
        id
    };
    if let Some(given) = given {
        if given != id {
            return Err(ApiError::BadRequest {
                message: "The campaign filter is invalid.".to_owned(),
                causes: vec![format!("id: \"{given}\" is not the id in the path ({id})")],
            });
        }
    }
    let draft = draft(input)?;
    let filter = state
        .campaigns
        .update_filter(&caller, &CampaignFilterId(id), draft)
        .await?;
    Ok(Json(filter.into()))
}

/// `POST /campaign-filters/delete`: a JSON array of ids; 204, or nothing deleted when one is
/// unknown (404) or a system filter (400).
pub async fn delete_campaign_filters(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let ids: Vec<String> = parse_body(&body)?;
    let blank: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| id.trim().is_empty())
        .map(|(i, _)| format!("body[{i}]: must not be blank"))
        .collect();
    if !blank.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The delete request is invalid.".to_owned(),
            causes: blank,
        });
    }
    let ids: Vec<CampaignFilterId> = ids.into_iter().map(CampaignFilterId).collect();
    state.campaigns.delete_filters(&caller, &ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
