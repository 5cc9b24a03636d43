//! Certification campaigns: `/campaigns` (and `/campaigns/v1`): list, create, read, patch,
//! delete, activate, complete, and the administrator's reassignment of certifications.
//!
//! Policy: this module turns SailPoint's `Campaign` wire shape into a
//! [`CampaignDefinition`] (checking every field of the shape and reporting every problem at
//! once, one cause per field) and campaigns back into `SlimCampaign`/`Campaign`. Whether the
//! campaign may be created, changed, activated or completed, and by whom, is the engine's
//! decision ([`attest_engine::campaigns::Campaigns`]). `run-remediation-scan`, reports and
//! templates are not served here.

use std::collections::HashMap;

use attest_domain::campaign::{CampaignStatus, CampaignType, CommentRequirement, Decision};
use attest_domain::certification::{
    AccessConstraint, AlertLevel, Campaign, CampaignAlert, CampaignDefinition, CampaignId,
    CampaignScope, CertificationId, CorrelatedStatus, FilterRef, NamedReviewer, SearchType,
};
use attest_domain::{AccessType, Authority, GovernanceGroupId, IdentityId};
use attest_engine::campaigns::CampaignPatch;
use attest_query::{FieldSpec, FieldType, FilterSpec, Op, SortSpec};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::certifications::IdentityRefTypeWire;
use super::params::{list_query, page_headers, query_params, Collection};
use super::tasks::CertificationTaskOut;
use super::{
    count32, mirror_enum, parse_body, parse_optional_body, timestamp, Detail, ErrorMessageOut,
};
use crate::auth::{require_any, Authenticated};
use crate::{ApiError, AppState};

/// Who may read campaigns: administrators and auditors.
pub const CAMPAIGN_READERS: &[Authority] = &[
    Authority::OrgAdmin,
    Authority::CertAdmin,
    Authority::ReportAdmin,
];

/// Who may create and change campaigns.
pub const CAMPAIGN_MANAGERS: &[Authority] = &[Authority::OrgAdmin, Authority::CertAdmin];

/// The longest campaign name accepted (the domain's limit).
pub const MAX_NAME_CHARS: usize = 255;

/// The most access constraints a SEARCH campaign may have (the spec's `maxItems`).
pub const MAX_ACCESS_CONSTRAINTS: usize = 1000;

/// The most certifications one admin reassignment may move (the spec's `maxItems`).
pub const MAX_REASSIGN_CERTIFICATIONS: usize = 250;

/// The campaign routes, relative to the resource root (`/v3/campaigns`, `/campaigns/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(list_campaigns)
                .route_layer(require_any(CAMPAIGN_READERS))
                .merge(post(create_campaign).route_layer(require_any(CAMPAIGN_MANAGERS))),
        )
        .route(
            "/delete",
            post(delete_campaigns).route_layer(require_any(CAMPAIGN_MANAGERS)),
        )
        .route(
            "/{id}",
            get(get_campaign)
                .route_layer(require_any(CAMPAIGN_READERS))
                .merge(
                    axum::routing::patch(update_campaign)
                        .route_layer(require_any(CAMPAIGN_MANAGERS)),
                ),
        )
        .route(
            "/{id}/activate",
            post(activate_campaign).route_layer(require_any(CAMPAIGN_MANAGERS)),
        )
        .route(
            "/{id}/complete",
            post(complete_campaign).route_layer(require_any(CAMPAIGN_MANAGERS)),
        )
        .route(
            "/{id}/reassign",
            post(reassign_certifications).route_layer(require_any(CAMPAIGN_MANAGERS)),
        )
        .route(
            "/{id}/run-remediation-scan",
            post(super::remediation_scan::start_campaign_remediation_scan)
                .route_layer(require_any(CAMPAIGN_READERS)),
        )
}

// ---- wire enums ----

mirror_enum!(
    /// A campaign's type.
    CampaignTypeWire mirrors CampaignType {
        Manager => "MANAGER",
        SourceOwner => "SOURCE_OWNER",
        Search => "SEARCH",
        RoleComposition => "ROLE_COMPOSITION",
        MachineAccount => "MACHINE_ACCOUNT",
    }
);

mirror_enum!(
    /// A campaign's status.
    CampaignStatusWire mirrors CampaignStatus {
        Pending => "PENDING",
        Staged => "STAGED",
        Canceling => "CANCELING",
        Activating => "ACTIVATING",
        Active => "ACTIVE",
        Completing => "COMPLETING",
        Completed => "COMPLETED",
        Error => "ERROR",
        Archived => "ARCHIVED",
    }
);

mirror_enum!(
    /// Whether a campaign covers identities' access or uncorrelated accounts'.
    CorrelatedStatusWire mirrors CorrelatedStatus {
        Correlated => "CORRELATED",
        Uncorrelated => "UNCORRELATED",
    }
);

mirror_enum!(
    /// Which decisions need a comment.
    CommentRequirementWire mirrors CommentRequirement {
        AllDecisions => "ALL_DECISIONS",
        RevokeOnlyDecisions => "REVOKE_ONLY_DECISIONS",
        NoDecisions => "NO_DECISIONS",
    }
);

mirror_enum!(
    /// Severity of a campaign alert.
    AlertLevelWire mirrors AlertLevel {
        Error => "ERROR",
        Warn => "WARN",
        Info => "INFO",
    }
);

mirror_enum!(
    /// Whether a SEARCH campaign selects identities or access.
    SearchTypeWire mirrors SearchType {
        Identity => "IDENTITY",
        Access => "ACCESS",
    }
);

mirror_enum!(
    /// The kind of access an access constraint names.
    AccessConstraintTypeWire mirrors AccessType {
        Entitlement => "ENTITLEMENT",
        AccessProfile => "ACCESS_PROFILE",
        Role => "ROLE",
    }
);

mirror_enum!(
    /// What completing a campaign does with undecided items.
    AutoCompleteActionWire mirrors Decision {
        Approve => "APPROVE",
        Revoke => "REVOKE",
    }
);

/// Who a named reviewer is: an identity or a governance group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ReviewerTypeWire {
    /// `IDENTITY`
    #[serde(rename = "IDENTITY")]
    Identity,
    /// `GOVERNANCE_GROUP`
    #[serde(rename = "GOVERNANCE_GROUP")]
    GovernanceGroup,
}

/// The `type` of a campaign filter reference: always `CAMPAIGN_FILTER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum CampaignFilterTypeWire {
    /// `CAMPAIGN_FILTER`
    #[serde(rename = "CAMPAIGN_FILTER")]
    CampaignFilter,
}

/// The `type` of a source reference: always `SOURCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum SourceRefTypeWire {
    /// `SOURCE`
    #[serde(rename = "SOURCE")]
    Source,
}

/// Who reviews a MACHINE_ACCOUNT campaign: always `ACCOUNT_OWNER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum MachineReviewerTypeWire {
    /// `ACCOUNT_OWNER`
    #[serde(rename = "ACCOUNT_OWNER")]
    AccountOwner,
}

/// An access constraint's operator: any access of the type, or the listed ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ConstraintOperatorWire {
    /// `ALL`
    #[serde(rename = "ALL")]
    All,
    /// `SELECTED`
    #[serde(rename = "SELECTED")]
    Selected,
}

// ---- list and read ----

/// `filters` of the campaign list: `id` (eq, in), `name` (eq, sw), `status` (eq, in).
pub const CAMPAIGN_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("name", FieldType::String, &[Op::Eq, Op::Sw]),
    FieldSpec::new(
        "status",
        FieldType::Enum(CampaignStatusWire::SPELLINGS),
        &[Op::Eq, Op::In],
    ),
]);

/// `sorters` of the campaign list.
pub const CAMPAIGN_SORTERS: SortSpec = SortSpec::new(&["name", "created"]);

/// The collection parameters of the campaign list.
pub const CAMPAIGN_COLLECTION: Collection = Collection {
    filters: &CAMPAIGN_FILTERS,
    sorters: &CAMPAIGN_SORTERS,
};

/// `GET /campaigns`: campaigns matching the collection parameters, SLIM unless
/// `detail=FULL`; `X-Total-Count` when `count=true`.
pub async fn list_campaigns(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<CampaignView>>), ApiError> {
    let params = query_params(&uri)?;
    let detail = Detail::parse(params.get("detail").map(String::as_str));
    let query = list_query(&params, &CAMPAIGN_COLLECTION);
    let (detail, query) = match (detail, query) {
        (Ok(detail), Ok(query)) => (detail, query),
        (detail, query) => return Err(merge_errors(detail.err(), query.err())),
    };
    let page = state.campaigns.campaigns(&caller, &query).await?;
    let mut names = Names::new(&state);
    let mut views = Vec::with_capacity(page.items.len());
    for campaign in &page.items {
        views.push(CampaignView::of(campaign, detail, &mut names).await?);
    }
    Ok((page_headers(&page), Json(views)))
}

/// Joins two refusals of the same request into one 400 with every cause.
fn merge_errors(first: Option<ApiError>, second: Option<ApiError>) -> ApiError {
    let mut causes = Vec::new();
    for error in [first, second].into_iter().flatten() {
        match error {
            ApiError::BadRequest { causes: more, .. } => causes.extend(more),
            other => return other,
        }
    }
    ApiError::BadRequest {
        message: "The query parameters are invalid.".to_owned(),
        causes,
    }
}

/// `GET /campaigns/{id}`: one campaign, SLIM unless `detail=FULL`.
pub async fn get_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Json<CampaignView>, ApiError> {
    let params = query_params(&uri)?;
    let detail = Detail::parse(params.get("detail").map(String::as_str))?;
    let campaign = state.campaigns.campaign(&caller, &CampaignId(id)).await?;
    let mut names = Names::new(&state);
    Ok(Json(CampaignView::of(&campaign, detail, &mut names).await?))
}

// ---- create ----

/// `POST /campaigns`: validates the body, creates the campaign (PENDING; generation runs in
/// the background) and answers 202 with its full representation.
pub async fn create_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<CampaignOut>), ApiError> {
    let input: CampaignIn = parse_body(&body)?;
    let definition = input
        .into_definition()
        .map_err(|causes| ApiError::BadRequest {
            message: "The campaign is invalid.".to_owned(),
            causes,
        })?;
    let campaign = state.campaigns.create(&caller, definition).await?;
    let mut names = Names::new(&state);
    let out = CampaignOut::of(&campaign, &mut names).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// A campaign as a client creates it: SailPoint's `Campaign` shape. Read-only fields (`id`,
/// `status`, `created`, ...) are ignored when sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignIn {
    /// The campaign name (1–255 characters). Required.
    pub name: Option<String>,
    /// The description. Required.
    pub description: Option<String>,
    /// When reviews are due (RFC 3339).
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub deadline: Option<String>,
    /// `MANAGER`, `SOURCE_OWNER`, `SEARCH`, `ROLE_COMPOSITION` or `MACHINE_ACCOUNT`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<CampaignTypeWire>)]
    pub campaign_type: Option<String>,
    /// Send e-mail to reviewers (default false).
    pub email_notification_enabled: Option<bool>,
    /// Undecided items may be revoked at completion (default false).
    pub auto_revoke_allowed: Option<bool>,
    /// Show recommendations (default false).
    pub recommendations_enabled: Option<bool>,
    /// `CORRELATED` (default) or `UNCORRELATED` (SOURCE_OWNER campaigns only).
    #[schema(value_type = Option<CorrelatedStatusWire>)]
    pub correlated_status: Option<String>,
    /// The campaign filter applied at generation.
    pub filter: Option<CampaignFilterRefIn>,
    /// Comments are required on sunset date changes (default true).
    pub sunset_comments_required: Option<bool>,
    /// Required for SOURCE_OWNER campaigns, refused for the others.
    pub source_owner_campaign_info: Option<SourceOwnerCampaignInfoIn>,
    /// Required for SEARCH campaigns, refused for the others.
    pub search_campaign_info: Option<SearchCampaignInfoIn>,
    /// Required for ROLE_COMPOSITION campaigns, refused for the others.
    pub role_composition_campaign_info: Option<RoleCompositionCampaignInfoIn>,
    /// Required for MACHINE_ACCOUNT campaigns, refused for the others.
    pub machine_account_campaign_info: Option<MachineAccountCampaignInfoIn>,
    /// `ALL_DECISIONS`, `REVOKE_ONLY_DECISIONS` or `NO_DECISIONS` (default).
    #[schema(value_type = Option<CommentRequirementWire>)]
    pub mandatory_comment_requirement: Option<String>,
}

/// The campaign filter of a new campaign.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignFilterRefIn {
    /// The filter's id. Required.
    pub id: Option<String>,
    /// `CAMPAIGN_FILTER` (the only kind).
    #[serde(rename = "type")]
    pub filter_type: Option<String>,
    /// The filter's name.
    pub name: Option<String>,
}

/// `sourceOwnerCampaignInfo`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceOwnerCampaignInfoIn {
    /// The sources to review (at least one).
    pub source_ids: Option<Vec<String>>,
}

/// `machineAccountCampaignInfo`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineAccountCampaignInfoIn {
    /// The sources whose machine accounts are reviewed (at least one).
    pub source_ids: Option<Vec<String>>,
    /// `ACCOUNT_OWNER` (the only kind).
    pub reviewer_type: Option<String>,
}

/// A reviewer named by a campaign: an identity or a governance group.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewerRefIn {
    /// `IDENTITY` or `GOVERNANCE_GROUP`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<ReviewerTypeWire>)]
    pub reviewer_type: Option<String>,
    /// Its id. Required.
    pub id: Option<String>,
    /// Its name (ignored).
    pub name: Option<String>,
}

/// `searchCampaignInfo`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchCampaignInfoIn {
    /// `IDENTITY` or `ACCESS`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<SearchTypeWire>)]
    pub search_type: Option<String>,
    /// Free text kept with the search.
    pub description: Option<String>,
    /// Who reviews every certification. Required by Attest.
    pub reviewer: Option<ReviewerRefIn>,
    /// Deprecated (v2024 and later): the reviewing identity's id, when `reviewer` is absent.
    pub reviewer_id: Option<String>,
    /// A filter selecting identities; exactly one of `query` and `identityIds`.
    pub query: Option<String>,
    /// The identities to review; exactly one of `query` and `identityIds`.
    pub identity_ids: Option<Vec<String>>,
    /// Identities must hold at least one of these (at most 1000).
    pub access_constraints: Option<Vec<AccessConstraintIn>>,
}

/// One access constraint of a SEARCH campaign.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessConstraintIn {
    /// `ENTITLEMENT`, `ACCESS_PROFILE` or `ROLE`. Required.
    #[serde(rename = "type")]
    #[schema(value_type = Option<AccessConstraintTypeWire>)]
    pub access_type: Option<String>,
    /// The access ids (`SELECTED` only).
    pub ids: Option<Vec<String>>,
    /// `ALL` or `SELECTED`. Required.
    #[schema(value_type = Option<ConstraintOperatorWire>)]
    pub operator: Option<String>,
}

/// `roleCompositionCampaignInfo`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleCompositionCampaignInfoIn {
    /// Overrides the role owners as reviewer.
    pub reviewer: Option<ReviewerRefIn>,
    /// The roles; at most one of `roleIds` and `query` (neither: every role).
    pub role_ids: Option<Vec<String>>,
    /// Who carries out revocations (`type: IDENTITY`). Required.
    pub remediator_ref: Option<ReviewerRefIn>,
    /// A filter over roles; at most one of `roleIds` and `query`.
    pub query: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// Collects the problems of one request body, one cause per problem.
#[derive(Debug, Default)]
struct Causes(Vec<String>);

impl Causes {
    fn push(&mut self, field: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{field}: {problem}"));
    }

    /// Parses an enum field; absent is `None` without complaint.
    fn spelling<T>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: fn(&str) -> Option<T>,
        spellings: &[&str],
    ) -> Option<T> {
        let value = value?;
        let parsed = parse(value);
        if parsed.is_none() {
            self.push(
                field,
                format!("\"{value}\" is not one of {}", spellings.join(", ")),
            );
        }
        parsed
    }

    /// A list of ids that must be present and non-empty, without blank ids.
    fn ids(&mut self, field: &str, ids: Option<&Vec<String>>) -> Option<Vec<String>> {
        match ids {
            None => {
                self.push(field, "is required");
                None
            }
            Some(ids) if ids.is_empty() => {
                self.push(field, "must list at least one id");
                None
            }
            Some(ids) => self.non_blank(field, ids),
        }
    }

    /// The ids, refusing blank ones.
    fn non_blank(&mut self, field: &str, ids: &[String]) -> Option<Vec<String>> {
        let mut ok = true;
        for (index, id) in ids.iter().enumerate() {
            if id.trim().is_empty() {
                self.push(&format!("{field}[{index}]"), "must not be blank");
                ok = false;
            }
        }
        ok.then(|| ids.to_vec())
    }

    /// A required, non-blank string.
    fn required(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        match value {
            None => {
                self.push(field, "is required");
                None
            }
            Some(v) if v.trim().is_empty() => {
                self.push(field, "must not be blank");
                None
            }
            Some(v) => Some(v.to_owned()),
        }
    }
}

/// Parses a client's date-time.
fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The problem text of an unparsable date-time.
fn not_a_date_time(text: &str) -> String {
    format!("\"{text}\" is not an RFC 3339 date-time such as 2026-01-02T03:04:05.678Z")
}

impl CampaignIn {
    /// The definition this body asks for, or every problem found (one cause per field, each
    /// starting with the field's path, e.g. `searchCampaignInfo.reviewer.id: is required`).
    pub fn into_definition(self) -> Result<CampaignDefinition, Vec<String>> {
        let mut causes = Causes::default();
        let name = causes.required("name", self.name.as_deref());
        if let Some(name) = &name {
            if name.chars().count() > MAX_NAME_CHARS {
                causes.push(
                    "name",
                    format!("must be at most {MAX_NAME_CHARS} characters"),
                );
            }
        }
        if self.description.is_none() {
            causes.push("description", "is required");
        }
        let deadline = self.deadline.as_deref().and_then(|text| {
            let parsed = parse_date_time(text);
            if parsed.is_none() {
                causes.push("deadline", not_a_date_time(text));
            }
            parsed
        });
        let campaign_type = match self.campaign_type.as_deref() {
            None => {
                causes.push("type", "is required");
                None
            }
            some => causes.spelling(
                "type",
                some,
                CampaignTypeWire::parse,
                CampaignTypeWire::SPELLINGS,
            ),
        }
        .map(CampaignType::from);
        let correlated = causes
            .spelling(
                "correlatedStatus",
                self.correlated_status.as_deref(),
                CorrelatedStatusWire::parse,
                CorrelatedStatusWire::SPELLINGS,
            )
            .map(CorrelatedStatus::from);
        let comment_requirement = causes
            .spelling(
                "mandatoryCommentRequirement",
                self.mandatory_comment_requirement.as_deref(),
                CommentRequirementWire::parse,
                CommentRequirementWire::SPELLINGS,
            )
            .map(CommentRequirement::from)
            .unwrap_or_default();
        let filter = self.filter.as_ref().and_then(|filter| {
            if let Some(kind) = filter.filter_type.as_deref() {
                if kind != "CAMPAIGN_FILTER" {
                    causes.push(
                        "filter.type",
                        format!("\"{kind}\" is not one of CAMPAIGN_FILTER"),
                    );
                }
            }
            causes
                .required("filter.id", filter.id.as_deref())
                .map(|id| FilterRef {
                    id,
                    name: filter.name.clone(),
                })
        });

        // Each info object belongs to exactly one type.
        let infos = [
            (
                "sourceOwnerCampaignInfo",
                CampaignType::SourceOwner,
                self.source_owner_campaign_info.is_some(),
            ),
            (
                "searchCampaignInfo",
                CampaignType::Search,
                self.search_campaign_info.is_some(),
            ),
            (
                "roleCompositionCampaignInfo",
                CampaignType::RoleComposition,
                self.role_composition_campaign_info.is_some(),
            ),
            (
                "machineAccountCampaignInfo",
                CampaignType::MachineAccount,
                self.machine_account_campaign_info.is_some(),
            ),
        ];
        if let Some(campaign_type) = campaign_type {
            for (field, owner, present) in infos {
                if present && owner != campaign_type {
                    causes.push(
                        field,
                        format!("must be set only if the campaign type is {owner}"),
                    );
                }
            }
            if correlated == Some(CorrelatedStatus::Uncorrelated)
                && campaign_type != CampaignType::SourceOwner
            {
                causes.push(
                    "correlatedStatus",
                    "only SOURCE_OWNER campaigns can be UNCORRELATED",
                );
            }
        }
        let scope = campaign_type.and_then(|campaign_type| match campaign_type {
            CampaignType::Manager => Some(CampaignScope::Manager),
            CampaignType::SourceOwner => source_owner_scope(
                self.source_owner_campaign_info.as_ref(),
                correlated.unwrap_or_default(),
                &mut causes,
            ),
            CampaignType::Search => search_scope(self.search_campaign_info.as_ref(), &mut causes),
            CampaignType::RoleComposition => {
                role_composition_scope(self.role_composition_campaign_info.as_ref(), &mut causes)
            }
            CampaignType::MachineAccount => {
                machine_account_scope(self.machine_account_campaign_info.as_ref(), &mut causes)
            }
        });

        match (name, scope) {
            (Some(name), Some(scope)) if causes.0.is_empty() => Ok(CampaignDefinition {
                name,
                description: self.description,
                deadline,
                scope,
                email_notification_enabled: self.email_notification_enabled.unwrap_or(false),
                auto_revoke_allowed: self.auto_revoke_allowed.unwrap_or(false),
                recommendations_enabled: self.recommendations_enabled.unwrap_or(false),
                mandatory_comment_requirement: comment_requirement,
                sunset_comments_required: self.sunset_comments_required.unwrap_or(true),
                filter,
            }),
            _ => Err(causes.0),
        }
    }
}

fn source_owner_scope(
    info: Option<&SourceOwnerCampaignInfoIn>,
    correlated: CorrelatedStatus,
    causes: &mut Causes,
) -> Option<CampaignScope> {
    let Some(info) = info else {
        causes.push(
            "sourceOwnerCampaignInfo",
            "is required for SOURCE_OWNER campaigns",
        );
        return None;
    };
    let source_ids = causes.ids(
        "sourceOwnerCampaignInfo.sourceIds",
        info.source_ids.as_ref(),
    )?;
    Some(CampaignScope::SourceOwner {
        source_ids: source_ids.into_iter().map(Into::into).collect(),
        correlated,
    })
}

fn machine_account_scope(
    info: Option<&MachineAccountCampaignInfoIn>,
    causes: &mut Causes,
) -> Option<CampaignScope> {
    let Some(info) = info else {
        causes.push(
            "machineAccountCampaignInfo",
            "is required for MACHINE_ACCOUNT campaigns",
        );
        return None;
    };
    if let Some(kind) = info.reviewer_type.as_deref() {
        if kind != "ACCOUNT_OWNER" {
            causes.push(
                "machineAccountCampaignInfo.reviewerType",
                format!("\"{kind}\" is not one of ACCOUNT_OWNER"),
            );
        }
    }
    let source_ids = causes.ids(
        "machineAccountCampaignInfo.sourceIds",
        info.source_ids.as_ref(),
    )?;
    Some(CampaignScope::MachineAccount {
        source_ids: source_ids.into_iter().map(Into::into).collect(),
    })
}

/// A named reviewer (`IDENTITY` or `GOVERNANCE_GROUP`; `identity_only` for remediators).
fn named_reviewer(
    field: &str,
    reviewer: &ReviewerRefIn,
    identity_only: bool,
    causes: &mut Causes,
) -> Option<NamedReviewer> {
    let id = causes.required(&format!("{field}.id"), reviewer.id.as_deref());
    let kind = match reviewer.reviewer_type.as_deref() {
        None => {
            causes.push(&format!("{field}.type"), "is required");
            None
        }
        Some("IDENTITY") => Some(ReviewerTypeWire::Identity),
        Some("GOVERNANCE_GROUP") if !identity_only => Some(ReviewerTypeWire::GovernanceGroup),
        Some(other) => {
            let allowed = if identity_only {
                "IDENTITY"
            } else {
                "IDENTITY, GOVERNANCE_GROUP"
            };
            causes.push(
                &format!("{field}.type"),
                format!("\"{other}\" is not one of {allowed}"),
            );
            None
        }
    };
    match (kind?, id?) {
        (ReviewerTypeWire::Identity, id) => Some(NamedReviewer::Identity(IdentityId(id))),
        (ReviewerTypeWire::GovernanceGroup, id) => {
            Some(NamedReviewer::GovernanceGroup(GovernanceGroupId(id)))
        }
    }
}

fn search_scope(info: Option<&SearchCampaignInfoIn>, causes: &mut Causes) -> Option<CampaignScope> {
    const FIELD: &str = "searchCampaignInfo";
    let Some(info) = info else {
        causes.push(FIELD, "is required for SEARCH campaigns");
        return None;
    };
    let search_type = match info.search_type.as_deref() {
        None => {
            causes.push("searchCampaignInfo.type", "is required");
            None
        }
        some => causes.spelling(
            "searchCampaignInfo.type",
            some,
            SearchTypeWire::parse,
            SearchTypeWire::SPELLINGS,
        ),
    }
    .map(SearchType::from);
    let reviewer = match (&info.reviewer, &info.reviewer_id) {
        (Some(reviewer), _) => {
            named_reviewer("searchCampaignInfo.reviewer", reviewer, false, causes)
        }
        (None, Some(id)) if !id.trim().is_empty() => {
            Some(NamedReviewer::Identity(IdentityId(id.clone())))
        }
        _ => {
            causes.push(
                "searchCampaignInfo.reviewer",
                "is required: name the identity or governance group that reviews the campaign",
            );
            None
        }
    };
    let query = info.query.clone().filter(|q| !q.trim().is_empty());
    let identity_ids = match (&query, &info.identity_ids) {
        (Some(_), Some(_)) => {
            causes.push(
                "searchCampaignInfo",
                "only one of query and identityIds may be set",
            );
            None
        }
        (None, None) => {
            causes.push(
                "searchCampaignInfo",
                "one of query or identityIds must be set",
            );
            None
        }
        (None, Some(ids)) => causes
            .ids("searchCampaignInfo.identityIds", Some(ids))
            .map(|ids| ids.into_iter().map(IdentityId).collect::<Vec<_>>()),
        (Some(_), None) => None,
    };
    let constraints = info.access_constraints.as_deref().unwrap_or_default();
    if constraints.len() > MAX_ACCESS_CONSTRAINTS {
        causes.push(
            "searchCampaignInfo.accessConstraints",
            format!("must have at most {MAX_ACCESS_CONSTRAINTS} items"),
        );
    }
    let mut access_constraints = Vec::with_capacity(constraints.len());
    for (index, constraint) in constraints.iter().enumerate() {
        let field = format!("searchCampaignInfo.accessConstraints[{index}]");
        if let Some(constraint) = access_constraint(&field, constraint, causes) {
            access_constraints.push(constraint);
        }
    }
    Some(CampaignScope::Search {
        search_type: search_type?,
        query,
        identity_ids,
        access_constraints,
        reviewer: reviewer?,
        description: info.description.clone(),
    })
}

fn access_constraint(
    field: &str,
    constraint: &AccessConstraintIn,
    causes: &mut Causes,
) -> Option<AccessConstraint> {
    let access_type = match constraint.access_type.as_deref() {
        None => {
            causes.push(&format!("{field}.type"), "is required");
            None
        }
        some => causes.spelling(
            &format!("{field}.type"),
            some,
            AccessConstraintTypeWire::parse,
            AccessConstraintTypeWire::SPELLINGS,
        ),
    };
    let ids = match constraint.operator.as_deref() {
        None => {
            causes.push(&format!("{field}.operator"), "is required");
            None
        }
        Some("ALL") => {
            if constraint.ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
                causes.push(
                    &format!("{field}.ids"),
                    "must not be set when operator is ALL",
                );
                None
            } else {
                Some(None)
            }
        }
        Some("SELECTED") => causes
            .ids(&format!("{field}.ids"), constraint.ids.as_ref())
            .map(Some),
        Some(other) => {
            causes.push(
                &format!("{field}.operator"),
                format!("\"{other}\" is not one of ALL, SELECTED"),
            );
            None
        }
    };
    Some(AccessConstraint {
        access_type: access_type?.into(),
        ids: ids?,
    })
}

fn role_composition_scope(
    info: Option<&RoleCompositionCampaignInfoIn>,
    causes: &mut Causes,
) -> Option<CampaignScope> {
    let Some(info) = info else {
        causes.push(
            "roleCompositionCampaignInfo",
            "is required for ROLE_COMPOSITION campaigns",
        );
        return None;
    };
    let remediator = match &info.remediator_ref {
        None => {
            causes.push("roleCompositionCampaignInfo.remediatorRef", "is required");
            None
        }
        Some(remediator) => named_reviewer(
            "roleCompositionCampaignInfo.remediatorRef",
            remediator,
            true,
            causes,
        ),
    };
    let reviewer = match &info.reviewer {
        None => Some(None),
        Some(reviewer) => named_reviewer(
            "roleCompositionCampaignInfo.reviewer",
            reviewer,
            false,
            causes,
        )
        .map(Some),
    };
    let query = info.query.clone().filter(|q| !q.trim().is_empty());
    let role_ids = match (&info.role_ids, &query) {
        (Some(_), Some(_)) => {
            causes.push(
                "roleCompositionCampaignInfo",
                "only one of roleIds and query may be set",
            );
            None
        }
        (Some(ids), None) => causes
            .ids("roleCompositionCampaignInfo.roleIds", Some(ids))
            .map(|ids| Some(ids.into_iter().map(Into::into).collect())),
        (None, _) => Some(None),
    };
    let remediator = match remediator? {
        NamedReviewer::Identity(id) => id,
        // `named_reviewer` with `identity_only` never returns a group.
        NamedReviewer::GovernanceGroup(_) => return None,
    };
    Some(CampaignScope::RoleComposition {
        role_ids: role_ids?,
        query,
        reviewer: reviewer?,
        remediator,
        description: info.description.clone(),
    })
}

// ---- patch ----

/// One JSON Patch operation (RFC 6902) of `PATCH /campaigns/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct JsonPatchOperationIn {
    /// `add`, `replace` or `remove` (`move`, `copy` and `test` are refused).
    pub op: String,
    /// The field, e.g. `/deadline`.
    pub path: String,
    /// The new value (absent for `remove`; `null` clears a nullable field).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
    /// `move`/`copy` source (refused).
    pub from: Option<String>,
}

/// Deserializes a field that is present (even as `null`) into `Some`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The fields of SailPoint's `Campaign`: a patch path naming one of these is passed to the
/// engine (which refuses the ones the status does not allow, by name); any other path is
/// refused here as unknown.
const CAMPAIGN_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "deadline",
    "type",
    "emailNotificationEnabled",
    "autoRevokeAllowed",
    "recommendationsEnabled",
    "status",
    "correlatedStatus",
    "created",
    "totalCertifications",
    "completedCertifications",
    "alerts",
    "modified",
    "filter",
    "sunsetCommentsRequired",
    "sourceOwnerCampaignInfo",
    "searchCampaignInfo",
    "roleCompositionCampaignInfo",
    "machineAccountCampaignInfo",
    "sourcesWithOrphanEntitlements",
    "mandatoryCommentRequirement",
];

/// Reduces a JSON Patch to a [`CampaignPatch`], or every problem with it.
pub fn campaign_patch(operations: &[JsonPatchOperationIn]) -> Result<CampaignPatch, Vec<String>> {
    let mut patch = CampaignPatch::default();
    let mut causes = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        let at = format!("[{index}]");
        let removing = match operation.op.as_str() {
            "add" | "replace" => false,
            "remove" => true,
            other => {
                causes.push(format!(
                    "{at}.op: \"{other}\" is not supported; supported operations are add, replace, remove"
                ));
                continue;
            }
        };
        let field = operation.path.strip_prefix('/').unwrap_or("");
        let top = field.split('/').next().unwrap_or("");
        if !CAMPAIGN_FIELDS.contains(&top) {
            causes.push(format!(
                "{at}.path: \"{}\" does not name a campaign field",
                operation.path
            ));
            continue;
        }
        if !patch.touched.contains(&operation.path) {
            patch.touched.push(operation.path.clone());
        }
        let value = if removing {
            None
        } else {
            match &operation.value {
                Some(value) => Some(value),
                None => {
                    causes.push(format!("{at}.value: is required for {}", operation.op));
                    continue;
                }
            }
        };
        // Fields outside the six patchable ones are left to the engine, which names them.
        let problem = match (field, value) {
            ("name", None) => Some("name cannot be removed".to_owned()),
            ("name", Some(Value::String(name))) => {
                if name.trim().is_empty() {
                    Some("name must not be blank".to_owned())
                } else if name.chars().count() > MAX_NAME_CHARS {
                    Some(format!("name must be at most {MAX_NAME_CHARS} characters"))
                } else {
                    patch.name = Some(name.clone());
                    None
                }
            }
            ("description", None | Some(Value::Null)) => {
                patch.description = Some(None);
                None
            }
            ("description", Some(Value::String(text))) => {
                patch.description = Some(Some(text.clone()));
                None
            }
            ("deadline", None | Some(Value::Null)) => {
                patch.deadline = Some(None);
                None
            }
            ("deadline", Some(Value::String(text))) => match parse_date_time(text) {
                Some(at) => {
                    patch.deadline = Some(Some(at));
                    None
                }
                None => Some(format!("deadline: {}", not_a_date_time(text))),
            },
            ("recommendationsEnabled" | "emailNotificationEnabled" | "autoRevokeAllowed", None) => {
                Some(format!("{field} cannot be removed"))
            }
            ("recommendationsEnabled", Some(Value::Bool(b))) => {
                patch.recommendations_enabled = Some(*b);
                None
            }
            ("emailNotificationEnabled", Some(Value::Bool(b))) => {
                patch.email_notification_enabled = Some(*b);
                None
            }
            ("autoRevokeAllowed", Some(Value::Bool(b))) => {
                patch.auto_revoke_allowed = Some(*b);
                None
            }
            ("name" | "description" | "deadline", Some(_)) => {
                Some(format!("{field} must be a string"))
            }
            (
                "recommendationsEnabled" | "emailNotificationEnabled" | "autoRevokeAllowed",
                Some(_),
            ) => Some(format!("{field} must be a boolean")),
            _ => None,
        };
        if let Some(problem) = problem {
            causes.push(format!("{at}.value: {problem}"));
        }
    }
    if causes.is_empty() {
        Ok(patch)
    } else {
        Err(causes)
    }
}

/// `PATCH /campaigns/{id}`: applies a JSON Patch (`application/json-patch+json`) and answers
/// with the campaign's new SLIM representation.
pub async fn update_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<SlimCampaignOut>, ApiError> {
    let operations: Vec<JsonPatchOperationIn> = parse_body(&body)?;
    let patch = campaign_patch(&operations).map_err(|causes| ApiError::BadRequest {
        message: "The patch is invalid.".to_owned(),
        causes,
    })?;
    let campaign = state
        .campaigns
        .patch(&caller, &CampaignId(id), patch)
        .await?;
    Ok(Json(SlimCampaignOut::of(&campaign)))
}

// ---- lifecycle ----

/// Body of `POST /campaigns/delete`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CampaignsDeleteIn {
    /// The campaigns to delete (at least one).
    pub ids: Option<Vec<String>>,
}

/// An empty JSON object: the body of SailPoint's 202 answers.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct AcceptedOut {}

/// `POST /campaigns/delete`: deletes the listed campaigns (none when an id is unknown).
pub async fn delete_campaigns(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    let input: CampaignsDeleteIn = parse_body(&body)?;
    let mut causes = Causes::default();
    let ids = causes.ids("ids", input.ids.as_ref());
    let Some(ids) = ids.filter(|_| causes.0.is_empty()) else {
        return Err(ApiError::BadRequest {
            message: "The delete request is invalid.".to_owned(),
            causes: causes.0,
        });
    };
    let ids: Vec<CampaignId> = ids.into_iter().map(CampaignId).collect();
    state.campaigns.delete(&caller, &ids).await?;
    Ok((StatusCode::ACCEPTED, Json(AcceptedOut {})))
}

/// Body of `POST /campaigns/{id}/activate` (optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivateCampaignOptionsIn {
    /// The caller's time zone as an ISO 8601 offset: `Z`, `±hh:mm`, `±hhmm` or `±hh`
    /// (default `Z`). Checked; activation itself runs in UTC.
    pub time_zone: Option<String>,
}

/// Whether `zone` is an ISO 8601 UTC designator or offset (`Z`, `±hh:mm`, `±hhmm`, `±hh`).
pub fn is_iso_offset(zone: &str) -> bool {
    if zone == "Z" {
        return true;
    }
    let Some(rest) = zone.strip_prefix('+').or_else(|| zone.strip_prefix('-')) else {
        return false;
    };
    let digits: String = match rest.len() {
        2 | 4 => rest.to_owned(),
        5 if rest.as_bytes()[2] == b':' => rest.replace(':', ""),
        _ => return false,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let hours: u32 = digits[..2].parse().unwrap_or(99);
    let minutes: u32 = match &digits[2..] {
        "" => 0,
        minutes => minutes.parse().unwrap_or(99),
    };
    hours <= 14 && minutes < 60
}

/// `POST /campaigns/{id}/activate`: STAGED → ACTIVATING (the deadline must be in the future);
/// activation runs in the background. 202 `{}`.
pub async fn activate_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    let options: ActivateCampaignOptionsIn = parse_optional_body(&body)?.unwrap_or_default();
    if let Some(zone) = options.time_zone.as_deref() {
        if !is_iso_offset(zone) {
            return Err(ApiError::BadRequest {
                message: "The activation options are invalid.".to_owned(),
                causes: vec![format!(
                    "timeZone: \"{zone}\" is not an ISO 8601 offset such as Z, +02:00, -0500 or +05"
                )],
            });
        }
    }
    state.campaigns.activate(&caller, &CampaignId(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(AcceptedOut {})))
}

/// Body of `POST /campaigns/{id}/complete` (optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignCompleteOptionsIn {
    /// `APPROVE` (default) or `REVOKE`: what undecided items become.
    #[schema(value_type = Option<AutoCompleteActionWire>)]
    pub auto_complete_action: Option<String>,
}

/// `POST /campaigns/{id}/complete`: ACTIVE → COMPLETING; undecided items get the action;
/// completion runs in the background. 202 `{}`.
pub async fn complete_campaign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    let options: CampaignCompleteOptionsIn = parse_optional_body(&body)?.unwrap_or_default();
    let mut causes = Causes::default();
    let action = causes
        .spelling(
            "autoCompleteAction",
            options.auto_complete_action.as_deref(),
            AutoCompleteActionWire::parse,
            AutoCompleteActionWire::SPELLINGS,
        )
        .map(Decision::from)
        .unwrap_or(Decision::Approve);
    if !causes.0.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The completion options are invalid.".to_owned(),
            causes: causes.0,
        });
    }
    state
        .campaigns
        .complete(&caller, &CampaignId(id), action)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(AcceptedOut {})))
}

/// Body of `POST /campaigns/{id}/reassign` (SailPoint's `AdminReviewReassign`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminReviewReassignIn {
    /// The certifications to move (1–250).
    pub certification_ids: Option<Vec<String>>,
    /// The new reviewer (`type: IDENTITY`).
    pub reassign_to: Option<ReviewerRefIn>,
    /// Why.
    pub reason: Option<String>,
}

/// `POST /campaigns/{id}/reassign`: moves whole certifications to another reviewer as an
/// ADMIN_REASSIGN task; 202 with the task.
pub async fn reassign_certifications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<CertificationTaskOut>), ApiError> {
    let input: AdminReviewReassignIn = parse_body(&body)?;
    let mut causes = Causes::default();
    let certifications = causes.ids("certificationIds", input.certification_ids.as_ref());
    if certifications
        .as_ref()
        .is_some_and(|ids| ids.len() > MAX_REASSIGN_CERTIFICATIONS)
    {
        causes.push(
            "certificationIds",
            format!("must have at most {MAX_REASSIGN_CERTIFICATIONS} items"),
        );
    }
    let to = match &input.reassign_to {
        None => {
            causes.push("reassignTo", "is required");
            None
        }
        Some(to) => named_reviewer("reassignTo", to, true, &mut causes),
    };
    let reason = causes.required("reason", input.reason.as_deref());
    let (Some(certifications), Some(NamedReviewer::Identity(to)), Some(reason)) =
        (certifications, to, reason)
    else {
        return Err(ApiError::BadRequest {
            message: "The reassignment is invalid.".to_owned(),
            causes: causes.0,
        });
    };
    if !causes.0.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The reassignment is invalid.".to_owned(),
            causes: causes.0,
        });
    }
    let certifications: Vec<CertificationId> =
        certifications.into_iter().map(CertificationId).collect();
    let task = state
        .campaigns
        .admin_reassign(&caller, &CampaignId(id), &certifications, &to, &reason)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CertificationTaskOut::of(&task))))
}

// ---- responses ----

/// SailPoint's `CampaignAlert`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignAlertOut {
    /// `ERROR`, `WARN` or `INFO`.
    pub level: AlertLevelWire,
    /// The message, in English.
    pub localizations: Vec<ErrorMessageOut>,
}

impl CampaignAlertOut {
    fn of(alert: &CampaignAlert) -> Self {
        CampaignAlertOut {
            level: alert.level.into(),
            localizations: vec![ErrorMessageOut::english(alert.message.clone())],
        }
    }
}

/// SailPoint's `SlimCampaign`. `description` is `null` when there is none (every family but
/// beta declares it required and nullable); `deadline` is left out when there is none (v3 and
/// beta declare it non-nullable, and every SDK accepts its absence).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlimCampaignOut {
    /// The campaign id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// When reviews are due (absent: no deadline).
    #[serde(
        serialize_with = "timestamp::serialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub deadline: Option<DateTime<Utc>>,
    /// Its type.
    #[serde(rename = "type")]
    pub campaign_type: CampaignTypeWire,
    /// E-mail notifications are on.
    pub email_notification_enabled: bool,
    /// Undecided items may be revoked at completion.
    pub auto_revoke_allowed: bool,
    /// Recommendations are shown.
    pub recommendations_enabled: bool,
    /// Where it is in its life.
    pub status: CampaignStatusWire,
    /// `UNCORRELATED` for SOURCE_OWNER campaigns over uncorrelated accounts, else `CORRELATED`.
    pub correlated_status: CorrelatedStatusWire,
    /// Created.
    #[serde(serialize_with = "timestamp::serialize")]
    pub created: DateTime<Utc>,
    /// Certifications in the campaign.
    pub total_certifications: i32,
    /// Certifications signed off.
    pub completed_certifications: i32,
    /// Errors and warnings accumulated so far.
    pub alerts: Vec<CampaignAlertOut>,
}

impl SlimCampaignOut {
    /// The SLIM shape of `campaign`.
    pub fn of(campaign: &Campaign) -> Self {
        let definition = &campaign.definition;
        let correlated_status = match &definition.scope {
            CampaignScope::SourceOwner { correlated, .. } => *correlated,
            _ => CorrelatedStatus::Correlated,
        };
        SlimCampaignOut {
            id: campaign.id.0.clone(),
            name: definition.name.clone(),
            description: definition.description.clone(),
            deadline: definition.deadline,
            campaign_type: definition.scope.campaign_type().into(),
            email_notification_enabled: definition.email_notification_enabled,
            auto_revoke_allowed: definition.auto_revoke_allowed,
            recommendations_enabled: definition.recommendations_enabled,
            status: campaign.status.into(),
            correlated_status: correlated_status.into(),
            created: campaign.created,
            total_certifications: count32(campaign.counts.certifications_total),
            completed_certifications: count32(campaign.counts.certifications_completed),
            alerts: campaign.alerts.iter().map(CampaignAlertOut::of).collect(),
        }
    }
}

/// The campaign filter of a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignFilterRefOut {
    /// The filter's id.
    pub id: String,
    /// Always `CAMPAIGN_FILTER`.
    #[serde(rename = "type")]
    pub filter_type: CampaignFilterTypeWire,
    /// Its name, as given (absent when none was).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// A reviewer reference, with the name of who it names (absent when that identity or group no
/// longer exists).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewerRefOut {
    /// `IDENTITY` or `GOVERNANCE_GROUP`.
    #[serde(rename = "type")]
    pub reviewer_type: ReviewerTypeWire,
    /// The id.
    pub id: String,
    /// The display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// A role composition campaign's `remediatorRef`: always an identity, with its name (absent
/// when that identity no longer exists).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemediatorRefOut {
    /// Always `IDENTITY`.
    #[serde(rename = "type")]
    pub remediator_type: IdentityRefTypeWire,
    /// The identity's id.
    pub id: String,
    /// Its display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// `sourceOwnerCampaignInfo`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceOwnerCampaignInfoOut {
    /// The sources.
    pub source_ids: Vec<String>,
}

/// `machineAccountCampaignInfo`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineAccountCampaignInfoOut {
    /// The sources.
    pub source_ids: Vec<String>,
    /// Always `ACCOUNT_OWNER`.
    pub reviewer_type: MachineReviewerTypeWire,
}

/// One access constraint of a SEARCH campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessConstraintOut {
    /// The kind of access.
    #[serde(rename = "type")]
    pub access_type: AccessConstraintTypeWire,
    /// The ids (absent for `ALL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ids: Option<Vec<String>>,
    /// `ALL` or `SELECTED`.
    pub operator: ConstraintOperatorWire,
}

/// `searchCampaignInfo` (with v2024's deprecated `reviewerId` as well).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchCampaignInfoOut {
    /// `IDENTITY` or `ACCESS`.
    #[serde(rename = "type")]
    pub search_type: SearchTypeWire,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// Who reviews.
    pub reviewer: ReviewerRefOut,
    /// The reviewer's id (deprecated in favour of `reviewer`).
    pub reviewer_id: String,
    /// The identity filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub query: Option<String>,
    /// Or the identities.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub identity_ids: Option<Vec<String>>,
    /// Access constraints.
    pub access_constraints: Vec<AccessConstraintOut>,
}

/// `roleCompositionCampaignInfo`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleCompositionCampaignInfoOut {
    /// Overrides the role owners as reviewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reviewer: Option<ReviewerRefOut>,
    /// The roles (absent: every role, or those `query` selects).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub role_ids: Option<Vec<String>>,
    /// Who carries out revocations.
    pub remediator_ref: RemediatorRefOut,
    /// The role filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub query: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
}

/// A source with orphan entitlements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrphanSourceOut {
    /// The source id.
    pub id: String,
    /// Always `SOURCE`.
    #[serde(rename = "type")]
    pub source_type: SourceRefTypeWire,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
}

/// SailPoint's full `Campaign`: the SLIM fields and the definition. Optional parts are left
/// out when there are none (v3 and beta declare them non-nullable; every SDK accepts their
/// absence).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignOut {
    /// The SLIM fields.
    #[serde(flatten)]
    pub slim: SlimCampaignOut,
    /// Last changed.
    #[serde(serialize_with = "timestamp::serialize")]
    pub modified: DateTime<Utc>,
    /// The campaign filter applied at generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub filter: Option<CampaignFilterRefOut>,
    /// Comments are required on sunset date changes.
    pub sunset_comments_required: bool,
    /// SOURCE_OWNER campaigns.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source_owner_campaign_info: Option<SourceOwnerCampaignInfoOut>,
    /// SEARCH campaigns.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub search_campaign_info: Option<SearchCampaignInfoOut>,
    /// ROLE_COMPOSITION campaigns.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub role_composition_campaign_info: Option<RoleCompositionCampaignInfoOut>,
    /// MACHINE_ACCOUNT campaigns.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub machine_account_campaign_info: Option<MachineAccountCampaignInfoOut>,
    /// Sources with entitlements missing from the catalogue. Attest certifies only catalogued
    /// entitlements, so this is `[]` once the campaign is generated and absent (unknown) while
    /// it is PENDING.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sources_with_orphan_entitlements: Option<Vec<OrphanSourceOut>>,
    /// Which decisions need a comment.
    pub mandatory_comment_requirement: CommentRequirementWire,
}

impl CampaignOut {
    /// The full shape of `campaign`; reviewer and remediator names are looked up in `names`.
    pub async fn of(campaign: &Campaign, names: &mut Names<'_>) -> Result<Self, ApiError> {
        let definition = &campaign.definition;
        let mut out = CampaignOut {
            slim: SlimCampaignOut::of(campaign),
            modified: campaign.modified,
            filter: definition.filter.as_ref().map(|f| CampaignFilterRefOut {
                id: f.id.clone(),
                filter_type: CampaignFilterTypeWire::CampaignFilter,
                name: f.name.clone(),
            }),
            sunset_comments_required: definition.sunset_comments_required,
            source_owner_campaign_info: None,
            search_campaign_info: None,
            role_composition_campaign_info: None,
            machine_account_campaign_info: None,
            sources_with_orphan_entitlements: (campaign.status != CampaignStatus::Pending)
                .then(Vec::new),
            mandatory_comment_requirement: definition.mandatory_comment_requirement.into(),
        };
        match &definition.scope {
            CampaignScope::Manager => {}
            CampaignScope::SourceOwner { source_ids, .. } => {
                out.source_owner_campaign_info = Some(SourceOwnerCampaignInfoOut {
                    source_ids: source_ids.iter().map(|s| s.0.clone()).collect(),
                });
            }
            CampaignScope::MachineAccount { source_ids } => {
                out.machine_account_campaign_info = Some(MachineAccountCampaignInfoOut {
                    source_ids: source_ids.iter().map(|s| s.0.clone()).collect(),
                    reviewer_type: MachineReviewerTypeWire::AccountOwner,
                });
            }
            CampaignScope::Search {
                search_type,
                query,
                identity_ids,
                access_constraints,
                reviewer,
                description,
            } => {
                let reviewer = names.reviewer(reviewer).await?;
                out.search_campaign_info = Some(SearchCampaignInfoOut {
                    search_type: (*search_type).into(),
                    description: description.clone(),
                    reviewer_id: reviewer.id.clone(),
                    reviewer,
                    query: query.clone(),
                    identity_ids: identity_ids
                        .as_ref()
                        .map(|ids| ids.iter().map(|i| i.0.clone()).collect()),
                    access_constraints: access_constraints
                        .iter()
                        .map(|c| AccessConstraintOut {
                            access_type: c.access_type.into(),
                            ids: c.ids.clone(),
                            operator: if c.ids.is_some() {
                                ConstraintOperatorWire::Selected
                            } else {
                                ConstraintOperatorWire::All
                            },
                        })
                        .collect(),
                });
            }
            CampaignScope::RoleComposition {
                role_ids,
                query,
                reviewer,
                remediator,
                description,
            } => {
                let reviewer = match reviewer {
                    Some(reviewer) => Some(names.reviewer(reviewer).await?),
                    None => None,
                };
                let remediator_ref = RemediatorRefOut {
                    remediator_type: IdentityRefTypeWire::Identity,
                    id: remediator.0.clone(),
                    name: names.identity(remediator).await?,
                };
                out.role_composition_campaign_info = Some(RoleCompositionCampaignInfoOut {
                    reviewer,
                    role_ids: role_ids
                        .as_ref()
                        .map(|ids| ids.iter().map(|r| r.0.clone()).collect()),
                    remediator_ref,
                    query: query.clone(),
                    description: description.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// A campaign as the `detail` parameter asks: SLIM or FULL.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CampaignView {
    /// `detail=SLIM` (the default).
    Slim(SlimCampaignOut),
    /// `detail=FULL` (boxed: it is several times the SLIM shape).
    Full(Box<CampaignOut>),
}

impl CampaignView {
    /// `campaign` in the `detail` shape.
    pub async fn of(
        campaign: &Campaign,
        detail: Detail,
        names: &mut Names<'_>,
    ) -> Result<Self, ApiError> {
        Ok(match detail {
            Detail::Slim => CampaignView::Slim(SlimCampaignOut::of(campaign)),
            Detail::Full => CampaignView::Full(Box::new(CampaignOut::of(campaign, names).await?)),
        })
    }
}

/// Display names of identities and governance groups, looked up once per request.
pub struct Names<'a> {
    state: &'a AppState,
    identities: HashMap<String, Option<String>>,
    groups: HashMap<String, Option<String>>,
}

impl<'a> Names<'a> {
    /// An empty cache over the state's store.
    pub fn new(state: &'a AppState) -> Self {
        Names {
            state,
            identities: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    /// The display name (else the name) of an identity; `None` if it does not exist.
    pub async fn identity(&mut self, id: &IdentityId) -> Result<Option<String>, ApiError> {
        if let Some(name) = self.identities.get(&id.0) {
            return Ok(name.clone());
        }
        let name = self
            .state
            .store
            .identity(id)
            .await?
            .map(|i| i.display_name.unwrap_or(i.name));
        self.identities.insert(id.0.clone(), name.clone());
        Ok(name)
    }

    /// The name of a governance group; `None` if it does not exist.
    pub async fn group(&mut self, id: &GovernanceGroupId) -> Result<Option<String>, ApiError> {
        if let Some(name) = self.groups.get(&id.0) {
            return Ok(name.clone());
        }
        let name = self.state.store.governance_group(id).await?.map(|g| g.name);
        self.groups.insert(id.0.clone(), name.clone());
        Ok(name)
    }

    /// The wire reference of a named reviewer, with its name.
    pub async fn reviewer(&mut self, reviewer: &NamedReviewer) -> Result<ReviewerRefOut, ApiError> {
        Ok(match reviewer {
            NamedReviewer::Identity(id) => ReviewerRefOut {
                reviewer_type: ReviewerTypeWire::Identity,
                id: id.0.clone(),
                name: self.identity(id).await?,
            },
            NamedReviewer::GovernanceGroup(id) => ReviewerRefOut {
                reviewer_type: ReviewerTypeWire::GovernanceGroup,
                id: id.0.clone(),
                name: self.group(id).await?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn campaign_in(value: Value) -> CampaignIn {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_manager_campaign_needs_only_the_basics() {
        let definition = campaign_in(json!({
            "name": "Q1", "description": "quarterly", "type": "MANAGER",
            "deadline": "2026-04-01T00:00:00.000Z"
        }))
        .into_definition()
        .unwrap();
        assert_eq!(definition.scope, CampaignScope::Manager);
        assert!(definition.sunset_comments_required);
        assert_eq!(
            definition.mandatory_comment_requirement,
            CommentRequirement::NoDecisions
        );
    }

    #[test]
    fn every_problem_is_named() {
        let causes = campaign_in(json!({
            "type": "BOGUS", "deadline": "tomorrow", "mandatoryCommentRequirement": "SOME",
            "searchCampaignInfo": {"type": "IDENTITY"}
        }))
        .into_definition()
        .unwrap_err();
        assert_eq!(
            causes,
            [
                "name: is required",
                "description: is required",
                "deadline: \"tomorrow\" is not an RFC 3339 date-time such as 2026-01-02T03:04:05.678Z",
                "type: \"BOGUS\" is not one of MANAGER, SOURCE_OWNER, SEARCH, ROLE_COMPOSITION, MACHINE_ACCOUNT",
                "mandatoryCommentRequirement: \"SOME\" is not one of ALL_DECISIONS, REVOKE_ONLY_DECISIONS, NO_DECISIONS",
            ]
        );
    }

    #[test]
    fn search_campaigns_are_checked_deeply() {
        let causes = campaign_in(json!({
            "name": "S", "description": "d", "type": "SEARCH",
            "searchCampaignInfo": {
                "type": "IDENTITY",
                "query": "department eq \"Finance\"", "identityIds": ["a"],
                "reviewer": {"type": "ROBOT"},
                "accessConstraints": [{"type": "ROLE", "operator": "SELECTED", "ids": []}]
            },
            "sourceOwnerCampaignInfo": {"sourceIds": ["s"]}
        }))
        .into_definition()
        .unwrap_err();
        assert_eq!(
            causes,
            [
                "sourceOwnerCampaignInfo: must be set only if the campaign type is SOURCE_OWNER",
                "searchCampaignInfo.reviewer.id: is required",
                "searchCampaignInfo.reviewer.type: \"ROBOT\" is not one of IDENTITY, GOVERNANCE_GROUP",
                "searchCampaignInfo: only one of query and identityIds may be set",
                "searchCampaignInfo.accessConstraints[0].ids: must list at least one id",
            ]
        );
        let definition = campaign_in(json!({
            "name": "S", "description": null, "type": "SEARCH",
            "searchCampaignInfo": {
                "type": "ACCESS", "identityIds": ["a", "b"],
                "reviewer": {"type": "GOVERNANCE_GROUP", "id": "g1"},
                "accessConstraints": [{"type": "ENTITLEMENT", "operator": "ALL"}]
            }
        }))
        .into_definition();
        // `description` is required (it may not be null).
        assert_eq!(definition.unwrap_err(), ["description: is required"]);
    }

    #[test]
    fn role_composition_needs_an_identity_remediator() {
        let causes = campaign_in(json!({
            "name": "R", "description": "d", "type": "ROLE_COMPOSITION",
            "roleCompositionCampaignInfo": {
                "remediatorRef": {"type": "GOVERNANCE_GROUP", "id": "g"},
                "roleIds": ["r1"], "query": "name sw \"A\""
            }
        }))
        .into_definition()
        .unwrap_err();
        assert_eq!(
            causes,
            [
                "roleCompositionCampaignInfo.remediatorRef.type: \"GOVERNANCE_GROUP\" is not one of IDENTITY",
                "roleCompositionCampaignInfo: only one of roleIds and query may be set",
            ]
        );
    }

    fn op(value: Value) -> JsonPatchOperationIn {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn patches_reduce_to_fields() {
        let patch = campaign_patch(&[
            op(json!({"op": "replace", "path": "/name", "value": "New"})),
            op(json!({"op": "replace", "path": "/description", "value": null})),
            op(json!({"op": "add", "path": "/deadline", "value": "2026-05-01T00:00:00Z"})),
            op(json!({"op": "replace", "path": "/autoRevokeAllowed", "value": true})),
            op(json!({"op": "replace", "path": "/status", "value": "ACTIVE"})),
        ])
        .unwrap();
        assert_eq!(patch.name.as_deref(), Some("New"));
        assert_eq!(patch.description, Some(None));
        assert!(patch.deadline.unwrap().is_some());
        assert_eq!(patch.auto_revoke_allowed, Some(true));
        assert_eq!(
            patch.touched,
            [
                "/name",
                "/description",
                "/deadline",
                "/autoRevokeAllowed",
                "/status"
            ]
        );
    }

    #[test]
    fn bad_patches_name_each_operation() {
        let causes = campaign_patch(&[
            op(json!({"op": "copy", "from": "/name", "path": "/description"})),
            op(json!({"op": "replace", "path": "/owner", "value": "x"})),
            op(json!({"op": "replace", "path": "/name"})),
            op(json!({"op": "remove", "path": "/autoRevokeAllowed"})),
            op(json!({"op": "replace", "path": "/deadline", "value": 5})),
        ])
        .unwrap_err();
        assert_eq!(
            causes,
            [
                "[0].op: \"copy\" is not supported; supported operations are add, replace, remove",
                "[1].path: \"/owner\" does not name a campaign field",
                "[2].value: is required for replace",
                "[3].value: autoRevokeAllowed cannot be removed",
                "[4].value: deadline must be a string",
            ]
        );
    }

    #[test]
    fn iso_offsets() {
        for ok in ["Z", "+02:00", "-0500", "+05", "-12:30"] {
            assert!(is_iso_offset(ok), "{ok}");
        }
        for bad in [
            "",
            "UTC",
            "+2",
            "+02:0",
            "+25:00",
            "+02:60",
            "Europe/Paris",
            "+ab",
        ] {
            assert!(!is_iso_offset(bad), "{bad}");
        }
    }
}
