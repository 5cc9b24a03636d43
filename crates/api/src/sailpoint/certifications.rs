//! SailPoint certifications: one reviewer's worklist, its access review items, decisions,
//! reassignment, sign-off, reviewers and item permissions (`/v3/certifications/...` and the
//! same under every other family).
//!
//! Policy: every route is open to any authenticated caller; the engine decides what the caller
//! may see and do (administrators everything, reviewers their own certifications). Handlers
//! validate the wire shape — every problem of a body is reported at once, each cause naming
//! the element and field (`decisions[3].decision: ...`) — and translate records into
//! SailPoint's shapes. Where a family's shape differs (beta's certification list and its
//! reassignment task), the union of fields is served when it is harmless and the family is
//! branched on otherwise (see [`is_beta`]). Warehouse details of an access item (the
//! entitlement's attribute, owner, permissions, an access profile's entitlements, ...) are
//! read from the store at rendering time, once per request, in one batch per kind of record
//! ([`AccessDetails`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use attest_domain::campaign::Decision;
use attest_domain::certification::{
    Campaign, CampaignId, CampaignScope, Certification, CertificationId, IdentitySummary,
    IdentitySummaryId, ItemAccessType, ReviewItem, ReviewItemId,
};
use attest_domain::{
    AccessProfile, AccessProfileId, Account, AccountId, Authority, Entitlement, EntitlementId,
    GovernanceGroupId, Identity, IdentityId, Permission, Role, RoleId,
};
use attest_query::{FieldSpec, FieldType, Filter, FilterSpec, Op, SortSpec, Value};
use attest_store::campaigns::{ItemDecision, ItemPage, ListQuery, ReassignTarget};
use attest_store::Store;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Map;
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::sailpoint::campaigns::{
    CampaignTypeWire, CommentRequirementWire, CorrelatedStatusWire, ReviewerTypeWire,
};
use crate::sailpoint::catalog::{AccessCatalog, Records, Rendered};
use crate::sailpoint::params::{list_query, page_headers, query_map, Collection};
use crate::sailpoint::summaries::CertificationIdentitySummaryOut;
use crate::sailpoint::tasks::{CertificationTaskOut, IdentityCertificationTaskOut};
use crate::sailpoint::{mirror_enum, parse_body};
use crate::{ApiError, AppState};
use attest_engine::campaigns::Campaigns;

/// The certification routes, relative to a `/certifications` segment (the list is `/`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list_certifications))
        .route("/{id}", get(get_certification))
        .route("/{id}/access-review-items", get(list_access_review_items))
        .route("/{id}/decide", post(decide_items))
        .route("/{id}/reassign", post(reassign_items))
        .route("/{id}/reassign-async", post(reassign_items_async))
        .route("/{id}/sign-off", post(sign_off_certification))
        .route("/{id}/reviewers", get(list_reviewers))
        .route(
            "/{id}/access-review-items/{itemId}/permissions",
            get(list_item_permissions),
        )
}

/// Who may name another reviewer in `reviewer-identity`.
const ADMINISTRATORS: &[Authority] = &[
    Authority::OrgAdmin,
    Authority::CertAdmin,
    Authority::ReportAdmin,
];

/// Most decisions one decide call takes.
pub const MAX_DECISIONS: usize = 250;
/// Most targets one synchronous reassignment takes.
pub const MAX_REASSIGN: usize = 50;
/// Most targets one asynchronous reassignment takes.
pub const MAX_REASSIGN_ASYNC: usize = 500;

/// `GET /certifications` filters (v3, v2024–v2026, v1).
pub const CERTIFICATION_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("campaign.id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("phase", FieldType::Enum(PHASES), &[Op::Eq]),
    FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq]),
]);

/// `GET /beta/certifications` filters: beta spells the campaign `campaignRef`. Its
/// `campaignRef.campaignType` is not offered (the store cannot filter on it yet).
pub const BETA_CERTIFICATION_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("phase", FieldType::Enum(PHASES), &[Op::Eq]),
    FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq, Op::Ne]),
    FieldSpec::new("campaignRef.id", FieldType::String, &[Op::Eq, Op::In]),
]);

/// `GET /certifications` sorters.
pub const CERTIFICATION_SORTERS: SortSpec = SortSpec::new(&["name", "due", "signed"]);

const PHASES: &[&str] = &["STAGED", "ACTIVE", "SIGNED"];
const ITEM_TYPES: &[&str] = &["ENTITLEMENT", "ACCESS_PROFILE", "ROLE", "ACCOUNT"];

/// `GET /certifications/{id}/access-review-items` filters.
pub const ITEM_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("type", FieldType::Enum(ITEM_TYPES), &[Op::Eq]),
    FieldSpec::new("access.type", FieldType::Enum(ITEM_TYPES), &[Op::Eq]),
    FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq, Op::Ne]),
    FieldSpec::new("identitySummary.id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("identitySummary.name", FieldType::String, &[Op::Eq, Op::Sw]),
    FieldSpec::new("access.id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("access.name", FieldType::String, &[Op::Eq, Op::Sw]),
    FieldSpec::new(
        "entitlement.sourceName",
        FieldType::String,
        &[Op::Eq, Op::Sw],
    ),
    FieldSpec::new(
        "accessProfile.sourceName",
        FieldType::String,
        &[Op::Eq, Op::Sw],
    ),
]);

/// `GET /certifications/{id}/access-review-items` sorters.
pub const ITEM_SORTERS: SortSpec = SortSpec::new(&[
    "identitySummary.name",
    "access.name",
    "access.type",
    "entitlement.sourceName",
    "accessProfile.sourceName",
]);

/// `GET /certifications/{id}/reviewers` filters.
pub const REVIEWER_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("name", FieldType::String, &[Op::Eq, Op::Sw]),
    FieldSpec::new("email", FieldType::String, &[Op::Eq, Op::Sw]),
]);

/// `GET /certifications/{id}/reviewers` sorters.
pub const REVIEWER_SORTERS: SortSpec = SortSpec::new(&["name", "email"]);

/// `GET /certifications/{id}/access-review-items/{itemId}/permissions` filters: one `and` or
/// `or` between a target and a rights condition.
pub const PERMISSION_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("target", FieldType::String, &[Op::Eq, Op::Sw]),
    FieldSpec::new("rights", FieldType::String, &[Op::Ca]),
])
.with_composites(&[attest_query::Composite::And, attest_query::Composite::Or]);

/// For lists that declare no sorters (permissions, the decision summary).
pub const NO_SORTERS: SortSpec = SortSpec::new(&[]);

// ---- shared request helpers ----

/// Whether the request came through the beta family, whose shapes differ in places.
pub fn is_beta(uri: &Uri) -> bool {
    let path = uri.path();
    path == "/beta" || path.starts_with("/beta/")
}

/// The path parameters; a malformed path segment is a SailPoint 400.
pub fn path_params<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(value)| value)
        .map_err(|rejection| ApiError::BadRequest {
            message: "The path is invalid.".to_owned(),
            causes: vec![rejection.body_text()],
        })
}

/// `filter` and `extra`, both required.
fn and_filter(filter: Option<Filter>, extra: Filter) -> Filter {
    match filter {
        None => extra,
        Some(filter) => Filter::And(vec![filter, extra]),
    }
}

/// Renames filter fields (beta's `campaignRef.id` is the store's `campaign.id`).
fn rename_fields(filter: Filter, rename: &dyn Fn(&str) -> Option<&'static str>) -> Filter {
    let field_name = |field: String| rename(&field).map(str::to_owned).unwrap_or(field);
    match filter {
        Filter::Compare { field, op, value } => Filter::Compare {
            field: field_name(field),
            op,
            value,
        },
        Filter::Present(field) => Filter::Present(field_name(field)),
        Filter::IsNull(field) => Filter::IsNull(field_name(field)),
        Filter::And(operands) => Filter::And(
            operands
                .into_iter()
                .map(|f| rename_fields(f, rename))
                .collect(),
        ),
        Filter::Or(operands) => Filter::Or(
            operands
                .into_iter()
                .map(|f| rename_fields(f, rename))
                .collect(),
        ),
        Filter::Not(operand) => Filter::Not(Box::new(rename_fields(*operand, rename))),
    }
}

fn item_not_found(certification: &str, item: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Access review item {item} not found in certification {certification}."
    ))
}

// ---- wire enums ----

mirror_enum!(
    /// A certification's phase.
    CertificationPhaseWire mirrors attest_domain::certification::CertificationPhase {
        Staged => "STAGED",
        Active => "ACTIVE",
        Signed => "SIGNED",
    }
);

mirror_enum!(
    /// A reviewer's decision on an item.
    CertificationDecisionWire mirrors attest_domain::campaign::Decision {
        Approve => "APPROVE",
        Revoke => "REVOKE",
    }
);

mirror_enum!(
    /// The kind of access an item certifies (a subset of SailPoint's `DtoType`).
    AccessTypeWire mirrors attest_domain::certification::ItemAccessType {
        Entitlement => "ENTITLEMENT",
        AccessProfile => "ACCESS_PROFILE",
        Role => "ROLE",
        Account => "ACCOUNT",
    }
);

/// The `type` of a campaign reference: always `CAMPAIGN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignRefTypeWire {
    /// A campaign.
    Campaign,
}

/// The `type` of a certification reference: always `CERTIFICATION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificationRefTypeWire {
    /// A certification.
    Certification,
}

/// The `type` of an identity reference: always `IDENTITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityRefTypeWire {
    /// An identity.
    Identity,
}

/// The `type` of an account (SailPoint's `DtoType`): always `ACCOUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountRefTypeWire {
    /// An account.
    Account,
}

// ---- certification shapes ----

/// SailPoint's `CampaignReference`: every field is required by the SDKs.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignReferenceOut {
    /// The campaign's id.
    pub id: String,
    /// The campaign's name.
    pub name: String,
    /// Always `CAMPAIGN`.
    #[serde(rename = "type")]
    pub kind: CampaignRefTypeWire,
    /// The campaign's type.
    pub campaign_type: CampaignTypeWire,
    /// The campaign's description (nullable).
    pub description: Option<String>,
    /// `UNCORRELATED` only for uncorrelated source-owner campaigns.
    pub correlated_status: CorrelatedStatusWire,
    /// Which decisions need a comment.
    pub mandatory_comment_requirement: CommentRequirementWire,
}

/// SailPoint's `Reviewer` (v3) / beta `Reviewer` (which requires type, id and name).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewerOut {
    /// The reviewer's id (an identity or a governance group).
    pub id: String,
    /// The reviewer's name.
    pub name: String,
    /// The reviewing identity's e-mail (null for groups).
    pub email: Option<String>,
    /// Identity or governance group.
    #[serde(rename = "type")]
    pub kind: ReviewerTypeWire,
    /// When the reviewing identity was created (not tracked: null).
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub created: Option<DateTime<Utc>>,
    /// When the reviewing identity was last modified (not tracked: null).
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub modified: Option<DateTime<Utc>>,
}

/// SailPoint's `CertificationReference`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificationReferenceOut {
    /// The certification's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Always `CERTIFICATION`.
    #[serde(rename = "type")]
    pub kind: CertificationRefTypeWire,
    /// Its reviewer.
    pub reviewer: ReviewerOut,
}

/// SailPoint's `Reassignment`: where a certification's items came from.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReassignmentOut {
    /// The certification the items came from.
    pub from: CertificationReferenceOut,
    /// The reason given.
    pub comment: String,
}

/// SailPoint's `IdentityCertificationDto`, with beta's `CertificationDto` fields
/// (`campaignRef`, `entitiesCompleted`, `entitiesTotal`) served alongside so the same body
/// satisfies both.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCertificationOut {
    /// The certification's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its campaign.
    pub campaign: CampaignReferenceOut,
    /// Its campaign (beta's name for the same reference).
    pub campaign_ref: CampaignReferenceOut,
    /// Every decision is made.
    pub completed: bool,
    /// Holders whose items are all decided.
    #[schema(format = Int32)]
    pub identities_completed: i64,
    /// Holders in the certification.
    #[schema(format = Int32)]
    pub identities_total: i64,
    /// Holders whose items are all decided (beta).
    #[schema(format = Int32)]
    pub entities_completed: i64,
    /// Holders in the certification (beta).
    #[schema(format = Int32)]
    pub entities_total: i64,
    /// Created.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize")]
    pub created: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize")]
    pub modified: DateTime<Utc>,
    /// Decisions made.
    #[schema(format = Int32)]
    pub decisions_made: i64,
    /// Decisions to make in all.
    #[schema(format = Int32)]
    pub decisions_total: i64,
    /// Due date (null when the campaign has no deadline).
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub due: Option<DateTime<Utc>>,
    /// Signed off (null until then).
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub signed: Option<DateTime<Utc>>,
    /// The reviewer.
    pub reviewer: ReviewerOut,
    /// Set when items were reassigned into it.
    pub reassignment: Option<ReassignmentOut>,
    /// Always false: failures are reported on the campaign.
    pub has_errors: bool,
    /// Always null.
    pub error_message: Option<String>,
    /// Phase.
    pub phase: CertificationPhaseWire,
}

// ---- access review item shapes ----

/// SailPoint's `IdentityReferenceWithNameAndEmail`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityReferenceOut {
    /// Always `IDENTITY`.
    #[serde(rename = "type")]
    pub kind: IdentityRefTypeWire,
    /// The identity's id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email: Option<String>,
}

impl IdentityReferenceOut {
    /// The reference to `identity`.
    pub fn of(identity: &Identity) -> Self {
        IdentityReferenceOut {
            kind: IdentityRefTypeWire::Identity,
            id: identity.id.0.clone(),
            name: identity
                .display_name
                .clone()
                .unwrap_or_else(|| identity.name.clone()),
            email: identity.email.clone(),
        }
    }
}

/// The owner of a machine account (`ReviewableEntitlementAccountOwner`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountOwnerOut {
    /// The owner identity's id.
    pub id: Option<String>,
    /// Always `IDENTITY`.
    #[serde(rename = "type")]
    pub kind: IdentityRefTypeWire,
    /// The owner's display name.
    pub display_name: Option<String>,
}

/// The account through which an entitlement is held (`ReviewableEntitlementAccount`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewableEntitlementAccountOut {
    /// The account's native identity on its source.
    pub native_identity: String,
    /// Disabled on the source.
    pub disabled: bool,
    /// Locked on the source.
    pub locked: bool,
    /// Always `ACCOUNT`.
    #[serde(rename = "type")]
    pub kind: AccountRefTypeWire,
    /// The account's id.
    pub id: Option<String>,
    /// The account's name.
    pub name: Option<String>,
    /// Not tracked: null.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub created: Option<DateTime<Utc>>,
    /// Not tracked: null.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub modified: Option<DateTime<Utc>>,
    /// Not computed: omitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, nullable = false)]
    pub activity_insights: Option<serde_json::Value>,
    /// Not tracked: null.
    pub description: Option<String>,
    /// Not tracked: null.
    pub governance_group_id: Option<String>,
    /// The owner of a machine account.
    pub owner: Option<AccountOwnerOut>,
}

/// SailPoint's `ReviewableEntitlement`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewableEntitlementOut {
    /// The entitlement's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Privileged.
    pub privileged: bool,
    /// Its owner.
    pub owner: Option<IdentityReferenceOut>,
    /// The attribute on the source (e.g. `memberOf`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attribute_name: Option<String>,
    /// The value of the attribute (e.g. a group DN).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attribute_value: Option<String>,
    /// Not tracked: null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source_schema_object_type: Option<String>,
    /// The source's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source_name: Option<String>,
    /// The source's type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source_type: Option<String>,
    /// The source's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source_id: Option<String>,
    /// The entitlement has permissions (see the item's `permissions`).
    pub has_permissions: bool,
    /// Always false.
    pub is_permission: bool,
    /// Always true: a reviewer may revoke it.
    pub revocable: bool,
    /// Always false.
    pub cloud_governed: bool,
    /// Always false.
    pub contains_data_access: bool,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub data_access: Option<serde_json::Value>,
    /// The account through which the holder has it (items only).
    pub account: Option<ReviewableEntitlementAccountOut>,
}

/// SailPoint's `ReviewableAccessProfile`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewableAccessProfileOut {
    /// The access profile's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// Whether any of its entitlements is privileged.
    pub privileged: bool,
    /// Always false.
    pub cloud_governed: bool,
    /// Not tracked: null.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    pub end_date: Option<DateTime<Utc>>,
    /// Its owner.
    pub owner: Option<IdentityReferenceOut>,
    /// Its entitlements.
    pub entitlements: Vec<ReviewableEntitlementOut>,
    /// Not tracked: omitted.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub created: Option<DateTime<Utc>>,
    /// Not tracked: omitted.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub modified: Option<DateTime<Utc>>,
}

/// SailPoint's `ReviewableRole`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewableRoleOut {
    /// The role's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// Privileged.
    pub privileged: bool,
    /// Its owner.
    pub owner: Option<IdentityReferenceOut>,
    /// Always true.
    pub revocable: bool,
    /// Not tracked: omitted.
    #[serde(serialize_with = "crate::sailpoint::timestamp::serialize_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub end_date: Option<DateTime<Utc>>,
    /// Its access profiles.
    pub access_profiles: Vec<ReviewableAccessProfileOut>,
    /// Its direct entitlements.
    pub entitlements: Vec<ReviewableEntitlementOut>,
}

/// `AccessSummary.access`: what is certified.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessSummaryAccessOut {
    /// The kind of access.
    #[serde(rename = "type")]
    pub kind: AccessTypeWire,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// SailPoint's `AccessSummary`: the access under review, with the detail object of its kind
/// (the others null).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessSummaryOut {
    /// What is certified.
    pub access: AccessSummaryAccessOut,
    /// For entitlements.
    #[schema(value_type = Option<ReviewableEntitlementOut>)]
    pub entitlement: Option<ItemEntitlementOut>,
    /// For access profiles.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = Option<ReviewableAccessProfileOut>)]
    pub access_profile: Option<Arc<Rendered<ReviewableAccessProfileOut>>>,
    /// For roles.
    #[schema(value_type = Option<ReviewableRoleOut>)]
    pub role: Option<Arc<Rendered<ReviewableRoleOut>>>,
}

/// An item's entitlement: the shared rendering (whose `account` is null) and the holder's
/// account. Serialised as the shared JSON with the account put in its place, so that an item
/// page neither copies nor re-serialises an entitlement for each of its holders.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemEntitlementOut {
    /// The entitlement as the catalogue renders it, without an account.
    pub entitlement: Arc<Rendered<ReviewableEntitlementOut>>,
    /// The account through which the holder has it.
    pub account: Option<ReviewableEntitlementAccountOut>,
}

/// How a rendered entitlement without an account ends: `account` is its last field.
const NO_ACCOUNT_END: &str = "\"account\":null}";

impl Serialize for ItemEntitlementOut {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(account) = &self.account else {
            return self.entitlement.serialize(serializer);
        };
        let shared = self.entitlement.json();
        let spliced = match shared.strip_suffix(NO_ACCOUNT_END) {
            Some(head) => serde_json::to_string(account).and_then(|account| {
                let mut json = String::with_capacity(head.len() + account.len() + 12);
                json.push_str(head);
                json.push_str("\"account\":");
                json.push_str(&account);
                json.push('}');
                RawValue::from_string(json)
            }),
            None => Err(serde::ser::Error::custom("no account field to fill")),
        };
        match spliced {
            Ok(json) => json.serialize(serializer),
            // Not the shape expected: the entitlement is written field by field instead.
            Err(_) => {
                let mut whole = self.entitlement.value().clone();
                whole.account = Some(account.clone());
                whole.serialize(serializer)
            }
        }
    }
}

/// SailPoint's `AccessReviewItem`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewItemOut {
    /// The access under review.
    pub access_summary: AccessSummaryOut,
    /// The holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub identity_summary: Option<CertificationIdentitySummaryOut>,
    /// The item's id.
    pub id: String,
    /// A decision is made.
    pub completed: bool,
    /// Always false: Attest does not compare with earlier campaigns.
    pub new_access: bool,
    /// The decision so far (omitted while undecided).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub decision: Option<CertificationDecisionWire>,
    /// The reviewer's comment.
    pub comments: Option<String>,
}

/// SailPoint's `PermissionDto`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionOut {
    /// The rights the permission allows on the target.
    pub rights: Vec<String>,
    /// The object the rights apply to.
    pub target: String,
}

impl From<Permission> for PermissionOut {
    fn from(permission: Permission) -> Self {
        PermissionOut {
            rights: permission
                .rights
                .split([',', ';'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            target: permission.target,
        }
    }
}

// ---- request bodies ----

/// SailPoint's `ReviewDecision`: one element of a decide call's body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDecisionIn {
    /// The item's id.
    pub id: String,
    /// APPROVE or REVOKE.
    pub decision: CertificationDecisionWire,
    /// For revokes: when the access should end.
    pub proposed_end_date: Option<DateTime<Utc>>,
    /// Part of a bulk decision (required by the spec; informational).
    pub bulk: bool,
    /// The recommendation shown when deciding (accepted and ignored).
    #[schema(value_type = Option<Object>)]
    pub recommendation: Option<serde_json::Value>,
    /// The reviewer's comment.
    pub comments: Option<String>,
}

/// Reads the fields of one JSON object, recording a cause for each problem.
struct Fields<'a> {
    object: &'a Map<String, serde_json::Value>,
    path: String,
    causes: &'a mut Vec<String>,
}

impl Fields<'_> {
    fn cause(&mut self, field: &str, problem: impl std::fmt::Display) {
        self.causes
            .push(format!("{}.{field}: {problem}", self.path));
    }

    /// A required, non-empty string.
    fn required_string(&mut self, field: &str) -> Option<String> {
        match self.object.get(field) {
            None | Some(serde_json::Value::Null) => {
                self.cause(field, "is required");
                None
            }
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => {
                self.cause(field, "must not be empty");
                None
            }
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.cause(field, format!("must be a string, not {other}"));
                None
            }
        }
    }

    /// An optional string; `Err(())` when present with another type.
    fn optional_string(&mut self, field: &str) -> Result<Option<String>, ()> {
        match self.object.get(field) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => {
                self.cause(field, format!("must be a string, not {other}"));
                Err(())
            }
        }
    }
}

impl ReviewDecisionIn {
    /// Element `index` of a decide body, or `None` with its causes recorded.
    fn parse(index: usize, value: &serde_json::Value, causes: &mut Vec<String>) -> Option<Self> {
        let path = format!("decisions[{index}]");
        let Some(object) = value.as_object() else {
            causes.push(format!("{path}: must be a ReviewDecision object"));
            return None;
        };
        let mut fields = Fields {
            object,
            path,
            causes,
        };
        let id = fields.required_string("id");
        let decision = match object.get("decision") {
            None | Some(serde_json::Value::Null) => {
                fields.cause("decision", "is required (APPROVE or REVOKE)");
                None
            }
            Some(serde_json::Value::String(s)) => match CertificationDecisionWire::parse(s) {
                Some(decision) => Some(decision),
                None => {
                    fields.cause("decision", format!("\"{s}\" must be APPROVE or REVOKE"));
                    None
                }
            },
            Some(other) => {
                fields.cause("decision", format!("{other} must be APPROVE or REVOKE"));
                None
            }
        };
        let bulk = match object.get("bulk") {
            Some(serde_json::Value::Bool(b)) => Some(*b),
            None | Some(serde_json::Value::Null) => {
                fields.cause("bulk", "is required (true or false)");
                None
            }
            Some(other) => {
                fields.cause("bulk", format!("must be true or false, not {other}"));
                None
            }
        };
        let proposed_end_date = match fields.optional_string("proposedEndDate") {
            Ok(None) => Ok(None),
            Ok(Some(text)) => match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Ok(Some(at.with_timezone(&Utc))),
                Err(_) => {
                    fields.cause(
                        "proposedEndDate",
                        format!("\"{text}\" is not an RFC 3339 date-time such as 2026-01-02T03:04:05.678Z"),
                    );
                    Err(())
                }
            },
            Err(()) => Err(()),
        };
        if let (Some(CertificationDecisionWire::Approve), Ok(Some(_))) =
            (decision, &proposed_end_date)
        {
            fields.cause("proposedEndDate", "may only be set for REVOKE decisions");
        }
        let comments = fields.optional_string("comments");
        let recommendation = match object.get("recommendation") {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value @ serde_json::Value::Object(_)) => Ok(Some(value.clone())),
            Some(other) => {
                fields.cause(
                    "recommendation",
                    format!("must be a ReviewRecommendation object, not {other}"),
                );
                Err(())
            }
        };
        let valid_end_date = !matches!(
            (decision, &proposed_end_date),
            (Some(CertificationDecisionWire::Approve), Ok(Some(_)))
        );
        match (
            id,
            decision,
            bulk,
            proposed_end_date,
            comments,
            recommendation,
        ) {
            (
                Some(id),
                Some(decision),
                Some(bulk),
                Ok(proposed_end_date),
                Ok(comments),
                Ok(recommendation),
            ) if valid_end_date => Some(ReviewDecisionIn {
                id,
                decision,
                proposed_end_date,
                bulk,
                recommendation,
                comments,
            }),
            _ => None,
        }
    }
}

/// A decide body: 1–250 valid decisions on distinct items, or a 400 naming every problem.
pub fn parse_decisions(body: &Bytes) -> Result<Vec<ItemDecision>, ApiError> {
    let value: serde_json::Value = parse_body(body)?;
    let invalid = |causes: Vec<String>| ApiError::BadRequest {
        message: "The decisions are invalid.".to_owned(),
        causes,
    };
    let Some(elements) = value.as_array() else {
        return Err(invalid(vec![
            "decisions: the body must be an array of ReviewDecision objects".to_owned(),
        ]));
    };
    if elements.is_empty() {
        return Err(invalid(vec![
            "decisions: at least one decision is required".to_owned(),
        ]));
    }
    if elements.len() > MAX_DECISIONS {
        return Err(invalid(vec![format!(
            "decisions: at most {MAX_DECISIONS} decisions per request, got {}",
            elements.len()
        )]));
    }
    let mut causes = Vec::new();
    let mut decisions = Vec::with_capacity(elements.len());
    let mut seen: HashMap<ReviewItemId, usize> = HashMap::new();
    for (index, element) in elements.iter().enumerate() {
        let Some(decision) = ReviewDecisionIn::parse(index, element, &mut causes) else {
            continue;
        };
        let Ok(item_id) = decision.id.trim().parse::<ReviewItemId>() else {
            causes.push(format!(
                "decisions[{index}].id: \"{}\" is not an item of this certification",
                decision.id
            ));
            continue;
        };
        if let Some(first) = seen.insert(item_id, index) {
            causes.push(format!(
                "decisions[{index}].id: item {item_id} is already decided by decisions[{first}]"
            ));
            continue;
        }
        decisions.push(ItemDecision {
            item_id,
            decision: Decision::from(decision.decision),
            comments: decision.comments,
            proposed_end_date: decision.proposed_end_date,
        });
    }
    if causes.is_empty() {
        Ok(decisions)
    } else {
        Err(invalid(causes))
    }
}

/// The kind of a `ReassignReference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReassignTypeWire {
    /// A role-composition target (a role's summary; moved like an identity summary).
    TargetSummary,
    /// One item.
    Item,
    /// Every item of one holder.
    IdentitySummary,
}

/// SailPoint's `ReassignReference`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct ReassignReferenceIn {
    /// The item's or identity summary's id.
    pub id: String,
    /// What `id` names.
    #[serde(rename = "type")]
    pub kind: ReassignTypeWire,
}

/// SailPoint's `ReviewReassign`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewReassignIn {
    /// What to move.
    pub reassign: Vec<ReassignReferenceIn>,
    /// The identity that receives it.
    pub reassign_to: String,
    /// Why.
    pub reason: String,
}

impl ReviewReassignIn {
    /// Reads a reassign body with at most `max` entries, or a 400 naming every problem.
    fn parse(body: &Bytes, max: usize, hint: &str) -> Result<Self, ApiError> {
        let value: serde_json::Value = parse_body(body)?;
        let invalid = |causes: Vec<String>| ApiError::BadRequest {
            message: "The reassignment is invalid.".to_owned(),
            causes,
        };
        let Some(object) = value.as_object() else {
            return Err(invalid(vec![
                "body: must be a ReviewReassign object".to_owned()
            ]));
        };
        let mut causes = Vec::new();
        let reassign = match object.get("reassign") {
            None | Some(serde_json::Value::Null) => {
                causes.push("reassign: is required".to_owned());
                Vec::new()
            }
            Some(serde_json::Value::Array(entries)) if entries.is_empty() => {
                causes.push("reassign: at least one item or identity is required".to_owned());
                Vec::new()
            }
            Some(serde_json::Value::Array(entries)) if entries.len() > max => {
                causes.push(format!(
                    "reassign: at most {max} entries per request, got {}{hint}",
                    entries.len()
                ));
                Vec::new()
            }
            Some(serde_json::Value::Array(entries)) => entries
                .iter()
                .enumerate()
                .filter_map(|(index, entry)| reassign_reference(index, entry, &mut causes))
                .collect(),
            Some(other) => {
                causes.push(format!("reassign: must be an array, not {other}"));
                Vec::new()
            }
        };
        let mut fields = Fields {
            object,
            path: String::new(),
            causes: &mut causes,
        };
        let reassign_to = fields.required_string("reassignTo");
        let reason = fields.required_string("reason");
        // Top-level fields have no element path: drop the leading dot.
        for cause in causes.iter_mut() {
            if let Some(rest) = cause.strip_prefix('.') {
                *cause = rest.to_owned();
            }
        }
        match (reassign_to, reason) {
            (Some(reassign_to), Some(reason)) if causes.is_empty() => Ok(ReviewReassignIn {
                reassign,
                reassign_to,
                reason,
            }),
            _ => Err(invalid(causes)),
        }
    }

    /// The engine's targets (item ids must be item ids).
    fn targets(&self) -> Result<Vec<ReassignTarget>, ApiError> {
        let mut causes = Vec::new();
        let mut targets = Vec::with_capacity(self.reassign.len());
        for (index, reference) in self.reassign.iter().enumerate() {
            match reference.kind {
                ReassignTypeWire::Item => match reference.id.trim().parse::<ReviewItemId>() {
                    Ok(item) => targets.push(ReassignTarget::Item(item)),
                    Err(_) => causes.push(format!(
                        "reassign[{index}].id: \"{}\" is not an item of this certification",
                        reference.id
                    )),
                },
                ReassignTypeWire::IdentitySummary | ReassignTypeWire::TargetSummary => {
                    targets.push(ReassignTarget::Identity(reference.id.clone()))
                }
            }
        }
        if causes.is_empty() {
            Ok(targets)
        } else {
            Err(ApiError::BadRequest {
                message: "The reassignment is invalid.".to_owned(),
                causes,
            })
        }
    }
}

fn reassign_reference(
    index: usize,
    value: &serde_json::Value,
    causes: &mut Vec<String>,
) -> Option<ReassignReferenceIn> {
    let path = format!("reassign[{index}]");
    let Some(object) = value.as_object() else {
        causes.push(format!("{path}: must be a ReassignReference object"));
        return None;
    };
    let mut fields = Fields {
        object,
        path,
        causes,
    };
    let id = fields.required_string("id");
    let kind = match object.get("type") {
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "ITEM" => Some(ReassignTypeWire::Item),
            "IDENTITY_SUMMARY" => Some(ReassignTypeWire::IdentitySummary),
            "TARGET_SUMMARY" => Some(ReassignTypeWire::TargetSummary),
            _ => {
                fields.cause(
                    "type",
                    format!("\"{s}\" must be ITEM, IDENTITY_SUMMARY or TARGET_SUMMARY"),
                );
                None
            }
        },
        None | Some(serde_json::Value::Null) => {
            fields.cause("type", "is required (ITEM or IDENTITY_SUMMARY)");
            None
        }
        Some(other) => {
            fields.cause(
                "type",
                format!("{other} must be ITEM, IDENTITY_SUMMARY or TARGET_SUMMARY"),
            );
            None
        }
    };
    Some(ReassignReferenceIn {
        id: id?,
        kind: kind?,
    })
}

// ---- rendering ----

/// Renders certifications, remembering the campaigns, groups and certifications it looked up
/// so a page costs one lookup per distinct campaign.
pub struct CertificationRenderer<'a> {
    store: &'a dyn Store,
    engine: &'a Campaigns,
    campaigns: HashMap<CampaignId, Option<Arc<Campaign>>>,
    groups: HashMap<GovernanceGroupId, Option<String>>,
}

impl<'a> CertificationRenderer<'a> {
    /// A renderer reading from `state`'s store and engine.
    pub fn new(state: &'a AppState) -> Self {
        CertificationRenderer {
            store: state.store.as_ref(),
            engine: &state.campaigns,
            campaigns: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    /// The campaign's settled definition (all a certification shows of its campaign), from
    /// the engine's memory once the campaign is ACTIVE.
    async fn campaign(&mut self, id: &CampaignId) -> Result<Option<&Campaign>, ApiError> {
        if !self.campaigns.contains_key(id) {
            let campaign = self.engine.settled_campaign(id).await?;
            self.campaigns.insert(id.clone(), campaign);
        }
        Ok(self.campaigns.get(id).and_then(Option::as_deref))
    }

    async fn reviewer(&mut self, certification: &Certification) -> Result<ReviewerOut, ApiError> {
        if let Some(group) = &certification.reviewer_group {
            if !self.groups.contains_key(group) {
                let name = self.store.governance_group(group).await?.map(|g| g.name);
                self.groups.insert(group.clone(), name);
            }
            let name = self.groups.get(group).cloned().flatten();
            return Ok(ReviewerOut {
                id: group.0.clone(),
                name: name.unwrap_or_else(|| certification.reviewer_name.clone()),
                email: None,
                kind: ReviewerTypeWire::GovernanceGroup,
                created: None,
                modified: None,
            });
        }
        Ok(ReviewerOut {
            id: certification.reviewer.0.clone(),
            name: certification.reviewer_name.clone(),
            email: certification.reviewer_email.clone(),
            kind: ReviewerTypeWire::Identity,
            created: None,
            modified: None,
        })
    }

    /// The reference to a certification's campaign.
    async fn campaign_reference(
        &mut self,
        certification: &Certification,
    ) -> Result<CampaignReferenceOut, ApiError> {
        let campaign = self.campaign(&certification.campaign_id).await?;
        let (description, correlated, comments) = match campaign {
            Some(campaign) => (
                campaign.definition.description.clone(),
                match &campaign.definition.scope {
                    CampaignScope::SourceOwner { correlated, .. } => (*correlated).into(),
                    _ => CorrelatedStatusWire::Correlated,
                },
                campaign.definition.mandatory_comment_requirement.into(),
            ),
            None => (
                None,
                CorrelatedStatusWire::Correlated,
                CommentRequirementWire::NoDecisions,
            ),
        };
        Ok(CampaignReferenceOut {
            id: certification.campaign_id.0.clone(),
            name: certification.campaign_name.clone(),
            kind: CampaignRefTypeWire::Campaign,
            campaign_type: certification.campaign_type.into(),
            description,
            correlated_status: correlated,
            mandatory_comment_requirement: comments,
        })
    }

    async fn reassignment(
        &mut self,
        certification: &Certification,
    ) -> Result<Option<ReassignmentOut>, ApiError> {
        let Some(record) = &certification.reassignment else {
            return Ok(None);
        };
        let from = self.store.certification(&record.from_certification).await?;
        let reference = match from {
            Some(from) => CertificationReferenceOut {
                id: from.id.0.clone(),
                name: from.name.clone(),
                kind: CertificationRefTypeWire::Certification,
                reviewer: self.reviewer(&from).await?,
            },
            None => {
                // The certification the items came from is gone (merged or deleted): name
                // its reviewer from the warehouse.
                let identity = self.store.identity(&record.from_reviewer).await?;
                CertificationReferenceOut {
                    id: record.from_certification.0.clone(),
                    name: record.from_certification.0.clone(),
                    kind: CertificationRefTypeWire::Certification,
                    reviewer: ReviewerOut {
                        id: record.from_reviewer.0.clone(),
                        name: identity
                            .as_ref()
                            .map(|i| i.display_name.clone().unwrap_or_else(|| i.name.clone()))
                            .unwrap_or_else(|| record.from_reviewer.0.clone()),
                        email: identity.and_then(|i| i.email),
                        kind: ReviewerTypeWire::Identity,
                        created: None,
                        modified: None,
                    },
                }
            }
        };
        Ok(Some(ReassignmentOut {
            from: reference,
            comment: record.comment.clone(),
        }))
    }

    /// The wire shape of one certification.
    pub async fn render(
        &mut self,
        certification: &Certification,
    ) -> Result<IdentityCertificationOut, ApiError> {
        let campaign = self.campaign_reference(certification).await?;
        let reviewer = self.reviewer(certification).await?;
        let reassignment = self.reassignment(certification).await?;
        let counts = &certification.counts;
        let decisions_made = counts.items_decided();
        let decisions_total = counts.items_total();
        Ok(IdentityCertificationOut {
            id: certification.id.0.clone(),
            name: certification.name.clone(),
            campaign_ref: campaign.clone(),
            campaign,
            completed: decisions_made >= decisions_total,
            identities_completed: counts.identities_completed,
            identities_total: counts.identities_total,
            entities_completed: counts.identities_completed,
            entities_total: counts.identities_total,
            created: certification.created,
            modified: certification.modified,
            decisions_made,
            decisions_total,
            due: certification.due,
            signed: certification.signed,
            reviewer,
            reassignment,
            has_errors: false,
            error_message: None,
            phase: certification.phase.into(),
        })
    }
}

/// Renders one certification.
async fn render_certification(
    state: &AppState,
    certification: &Certification,
) -> Result<IdentityCertificationOut, ApiError> {
    CertificationRenderer::new(state)
        .render(certification)
        .await
}

/// Reads the warehouse records behind access items, once each per request and in one batch
/// per kind, and renders SailPoint's access detail objects.
///
/// [`AccessDetails::load`] reads what a whole page of items needs (its roles, then their
/// access profiles, then every entitlement, account, source and owner involved: a fixed
/// number of store calls whatever the page size, none at all for what the shared
/// [`AccessCatalog`] already holds at the current warehouse version);
/// [`AccessDetails::access_summary`] then renders from what is loaded, loading on its own only
/// what is missing.
pub struct AccessDetails<'a> {
    store: &'a dyn Store,
    catalog: &'a AccessCatalog,
    /// The warehouse version this request reads at, once it has asked.
    version: Option<u64>,
    /// What this request uses of the catalogue (taken from the shared one or read).
    records: Records,
    accounts: HashMap<AccountId, Option<ReviewableEntitlementAccountOut>>,
    /// Accounts read already (with the page they belong to), taken by `load` instead of
    /// asking the store.
    read_accounts: Option<HashMap<AccountId, Account>>,
}

/// Ids to read in one batch: each once, and only those not loaded yet.
struct Wanted<T> {
    seen: HashSet<T>,
    ids: Vec<T>,
}

impl<T: Clone + Eq + std::hash::Hash> Wanted<T> {
    fn new() -> Self {
        Wanted {
            seen: HashSet::new(),
            ids: Vec::new(),
        }
    }

    /// Adds `id` unless `loaded` says it is loaded already or it was added before.
    fn add(&mut self, id: &T, loaded: bool) {
        if !loaded && self.seen.insert(id.clone()) {
            self.ids.push(id.clone());
        }
    }
}

/// Takes `id` from the shared map into the request's, if the shared one has it; says whether
/// the request's map has it now.
fn take_shared<K, V>(
    local: &mut HashMap<K, Option<V>>,
    shared: &HashMap<K, Option<V>>,
    id: &K,
) -> bool
where
    K: Clone + Eq + std::hash::Hash,
    V: Clone,
{
    if local.contains_key(id) {
        return true;
    }
    match shared.get(id) {
        Some(found) => {
            local.insert(id.clone(), found.clone());
            true
        }
        None => false,
    }
}

/// Copies what `ids` name from the request's map into the shared one.
fn share<K, V>(shared: &mut HashMap<K, Option<V>>, local: &HashMap<K, Option<V>>, ids: &[K])
where
    K: Clone + Eq + std::hash::Hash,
    V: Clone,
{
    for id in ids {
        if let Some(found) = local.get(id) {
            shared.insert(id.clone(), found.clone());
        }
    }
}

impl<'a> AccessDetails<'a> {
    /// A reader over `state`'s store and shared catalogue.
    pub fn new(state: &'a AppState) -> Self {
        AccessDetails {
            store: state.store.as_ref(),
            catalog: &state.access_catalog,
            version: None,
            records: Records::default(),
            accounts: HashMap::new(),
            read_accounts: None,
        }
    }

    /// Takes the warehouse version and the accounts that were read with a page of items
    /// ([`attest_store::CampaignStore::item_page`]), so that `load` asks the store for neither:
    /// an account not among `accounts` is one the warehouse no longer holds.
    pub fn read_with(&mut self, version: u64, accounts: Vec<Account>) {
        self.read_at(version);
        self.read_accounts = Some(
            accounts
                .into_iter()
                .map(|account| (account.id.clone(), account))
                .collect(),
        );
    }

    /// Reads at `version` from now on (the shared catalogue emptied if it held another).
    fn read_at(&mut self, version: u64) -> u64 {
        self.catalog.sync(version);
        self.version = Some(version);
        version
    }

    /// Reads every warehouse record that rendering `items` needs and is not loaded yet: one
    /// store call per kind of record (roles, access profiles, entitlements and which of them
    /// have permissions, accounts when `with_account`, sources, owners), not one per item, and
    /// none for records the shared catalogue holds.
    pub async fn load(&mut self, items: &[ReviewItem], with_account: bool) -> Result<(), ApiError> {
        let version = match self.version {
            Some(version) => version,
            None => self.read_at(self.store.warehouse_version().await?),
        };
        let mut role_ids = Wanted::new();
        let mut profile_ids = Wanted::new();
        let mut entitlement_ids = Wanted::new();
        let mut account_ids = Wanted::new();
        let records = &mut self.records;
        self.catalog.read(version, |shared| {
            for item in items {
                let id = &item.access_id;
                match item.access_type {
                    ItemAccessType::Entitlement => {
                        let loaded =
                            take_shared(&mut records.entitlements, &shared.entitlements, id);
                        entitlement_ids.add(&EntitlementId::from(id.as_str()), loaded);
                    }
                    ItemAccessType::AccessProfile => {
                        let loaded =
                            take_shared(&mut records.access_profiles, &shared.access_profiles, id);
                        profile_ids.add(&AccessProfileId::from(id.as_str()), loaded);
                    }
                    ItemAccessType::Role => {
                        let loaded = take_shared(&mut records.roles, &shared.roles, id);
                        role_ids.add(&RoleId::from(id.as_str()), loaded);
                    }
                    ItemAccessType::Account => {}
                }
            }
        });
        if with_account {
            for item in items {
                if let (ItemAccessType::Entitlement, Some(account)) =
                    (item.access_type, &item.account_id)
                {
                    account_ids.add(account, self.accounts.contains_key(account));
                }
            }
        }

        // Containers first, so their members join the batches below.
        let roles = if role_ids.ids.is_empty() {
            Vec::new()
        } else {
            self.store.roles(&role_ids.ids).await?
        };
        let profiles = {
            for role in &roles {
                for profile in &role.access_profile_ids {
                    let loaded = self.records.access_profiles.contains_key(profile.as_str());
                    profile_ids.add(profile, loaded);
                }
            }
            let records = &mut self.records;
            self.catalog.read(version, |shared| {
                profile_ids.ids.retain(|id| {
                    !take_shared(&mut records.access_profiles, &shared.access_profiles, &id.0)
                });
            });
            if profile_ids.ids.is_empty() {
                Vec::new()
            } else {
                self.store.access_profiles(&profile_ids.ids).await?
            }
        };
        let members = roles
            .iter()
            .flat_map(|r| &r.entitlement_ids)
            .chain(profiles.iter().flat_map(|p| &p.entitlement_ids));
        for entitlement in members {
            let loaded = self.records.entitlements.contains_key(entitlement.as_str());
            entitlement_ids.add(entitlement, loaded);
        }
        let records = &mut self.records;
        self.catalog.read(version, |shared| {
            entitlement_ids
                .ids
                .retain(|id| !take_shared(&mut records.entitlements, &shared.entitlements, &id.0));
        });
        let (entitlements, with_permissions) = if entitlement_ids.ids.is_empty() {
            (Vec::new(), HashSet::new())
        } else {
            let entitlements = self.store.entitlements(&entitlement_ids.ids).await?;
            let with_permissions: HashSet<EntitlementId> = self
                .store
                .entitlements_with_permissions(&entitlement_ids.ids)
                .await?
                .into_iter()
                .collect();
            (entitlements, with_permissions)
        };
        let accounts = if account_ids.ids.is_empty() {
            Vec::new()
        } else if let Some(read) = &mut self.read_accounts {
            account_ids
                .ids
                .iter()
                .filter_map(|id| read.remove(id))
                .collect()
        } else {
            self.store.accounts(&account_ids.ids).await?
        };

        // Then what those records refer to: sources and owners.
        let mut source_ids = Wanted::new();
        let mut owner_ids = Wanted::new();
        let owners = entitlements
            .iter()
            .filter_map(|e| e.owner_id.as_ref())
            .chain(profiles.iter().filter_map(|p| p.owner_id.as_ref()))
            .chain(roles.iter().filter_map(|r| r.owner_id.as_ref()))
            .chain(
                accounts
                    .iter()
                    .filter(|a| a.machine)
                    .filter_map(|a| a.owner_id.as_ref()),
            );
        let records = &mut self.records;
        self.catalog.read(version, |shared| {
            for entitlement in &entitlements {
                let id = &entitlement.source_id;
                let loaded = take_shared(&mut records.sources, &shared.sources, id);
                source_ids.add(id, loaded);
            }
            for owner in owners {
                let loaded = take_shared(&mut records.identities, &shared.identities, owner);
                owner_ids.add(owner, loaded);
            }
        });
        if !source_ids.ids.is_empty() {
            for id in &source_ids.ids {
                self.records.sources.insert(id.clone(), None);
            }
            for source in self.store.sources(&source_ids.ids).await? {
                self.records
                    .sources
                    .insert(source.id, Some((source.name, source.source_type)));
            }
        }
        if !owner_ids.ids.is_empty() {
            for id in &owner_ids.ids {
                self.records.identities.insert(id.clone(), None);
            }
            for identity in self.store.identities(&owner_ids.ids).await? {
                let reference = IdentityReferenceOut::of(&identity);
                self.records.identities.insert(identity.id, Some(reference));
            }
        }

        // Render, members before their containers. Ids asked for and not found are
        // remembered as missing.
        for id in &entitlement_ids.ids {
            self.records.entitlements.insert(id.0.clone(), None);
        }
        for entitlement in entitlements {
            let has_permissions = with_permissions.contains(&entitlement.id);
            let rendered = self.render_entitlement(entitlement, has_permissions);
            self.records
                .entitlements
                .insert(rendered.id.clone(), Some(Arc::new(Rendered::new(rendered))));
        }
        for id in &profile_ids.ids {
            self.records.access_profiles.insert(id.0.clone(), None);
        }
        for profile in profiles {
            let rendered = self.render_access_profile(profile);
            self.records
                .access_profiles
                .insert(rendered.id.clone(), Some(Arc::new(Rendered::new(rendered))));
        }
        for id in &role_ids.ids {
            self.records.roles.insert(id.0.clone(), None);
        }
        for role in roles {
            let rendered = self.render_role(role);
            self.records
                .roles
                .insert(rendered.id.clone(), Some(Arc::new(Rendered::new(rendered))));
        }
        for id in account_ids.ids {
            self.accounts.insert(id, None);
        }
        for account in accounts {
            let id = account.id.clone();
            let rendered = self.render_account(account);
            self.accounts.insert(id, Some(rendered));
        }

        // What was read here is shared with the requests that come after.
        let records = &self.records;
        let read_anything = !(role_ids.ids.is_empty()
            && profile_ids.ids.is_empty()
            && entitlement_ids.ids.is_empty()
            && source_ids.ids.is_empty()
            && owner_ids.ids.is_empty());
        if read_anything {
            self.catalog.write(version, |shared| {
                let entitlements: Vec<String> =
                    entitlement_ids.ids.into_iter().map(|i| i.0).collect();
                share(
                    &mut shared.entitlements,
                    &records.entitlements,
                    &entitlements,
                );
                let profiles: Vec<String> = profile_ids.ids.into_iter().map(|i| i.0).collect();
                share(
                    &mut shared.access_profiles,
                    &records.access_profiles,
                    &profiles,
                );
                let roles: Vec<String> = role_ids.ids.into_iter().map(|i| i.0).collect();
                share(&mut shared.roles, &records.roles, &roles);
                share(&mut shared.sources, &records.sources, &source_ids.ids);
                share(&mut shared.identities, &records.identities, &owner_ids.ids);
            });
        }
        Ok(())
    }

    /// A loaded owner's reference.
    fn owner(&self, id: Option<&IdentityId>) -> Option<IdentityReferenceOut> {
        id.and_then(|id| self.records.identities.get(id).cloned().flatten())
    }

    /// An entitlement, without account; its source and owner are loaded.
    fn render_entitlement(
        &self,
        entitlement: Entitlement,
        has_permissions: bool,
    ) -> ReviewableEntitlementOut {
        let (source_name, source_type) = match self.records.sources.get(&entitlement.source_id) {
            Some(Some((name, kind))) => (Some(name.clone()), kind.clone()),
            _ => (None, None),
        };
        ReviewableEntitlementOut {
            owner: self.owner(entitlement.owner_id.as_ref()),
            id: entitlement.id.0,
            name: entitlement.name,
            description: entitlement.description,
            privileged: entitlement.privileged,
            attribute_name: entitlement.attribute,
            attribute_value: entitlement.value,
            source_schema_object_type: None,
            source_name,
            source_type,
            source_id: Some(entitlement.source_id.0),
            has_permissions,
            is_permission: false,
            revocable: true,
            cloud_governed: false,
            contains_data_access: false,
            data_access: None,
            account: None,
        }
    }

    /// The loaded entitlements among `ids`, in that order (those the warehouse no longer has
    /// are left out).
    fn loaded_entitlements(&self, ids: &[EntitlementId]) -> Vec<ReviewableEntitlementOut> {
        ids.iter()
            .filter_map(|id| match self.records.entitlements.get(id.as_str()) {
                Some(Some(entitlement)) => Some(entitlement.value().clone()),
                _ => None,
            })
            .collect()
    }

    /// An access profile; its entitlements and owner are loaded.
    fn render_access_profile(&self, profile: AccessProfile) -> ReviewableAccessProfileOut {
        let entitlements = self.loaded_entitlements(&profile.entitlement_ids);
        ReviewableAccessProfileOut {
            owner: self.owner(profile.owner_id.as_ref()),
            id: profile.id.0,
            name: profile.name,
            description: profile.description,
            privileged: entitlements.iter().any(|e| e.privileged),
            cloud_governed: false,
            end_date: None,
            entitlements,
            created: None,
            modified: None,
        }
    }

    /// A role; its access profiles, entitlements and owner are loaded.
    fn render_role(&self, role: Role) -> ReviewableRoleOut {
        let access_profiles = role
            .access_profile_ids
            .iter()
            .filter_map(|id| match self.records.access_profiles.get(id.as_str()) {
                Some(Some(profile)) => Some(profile.value().clone()),
                _ => None,
            })
            .collect();
        ReviewableRoleOut {
            owner: self.owner(role.owner_id.as_ref()),
            entitlements: self.loaded_entitlements(&role.entitlement_ids),
            id: role.id.0,
            name: role.name,
            description: role.description,
            privileged: role.privileged,
            revocable: true,
            end_date: None,
            access_profiles,
        }
    }

    /// An account; the owner of a machine account is loaded.
    fn render_account(&self, account: Account) -> ReviewableEntitlementAccountOut {
        let owner = match (&account.owner_id, account.machine) {
            (Some(owner), true) => Some(AccountOwnerOut {
                id: Some(owner.0.clone()),
                kind: IdentityRefTypeWire::Identity,
                display_name: self.owner(Some(owner)).map(|r| r.name),
            }),
            _ => None,
        };
        ReviewableEntitlementAccountOut {
            native_identity: account.native_identity,
            disabled: account.disabled,
            locked: account.locked,
            kind: AccountRefTypeWire::Account,
            id: Some(account.id.0),
            name: account.name,
            created: None,
            modified: None,
            activity_insights: None,
            description: None,
            governance_group_id: None,
            owner,
        }
    }

    /// The access summary of `item`; with `with_account`, an entitlement's detail names the
    /// account through which the holder has it (item lists do, access summaries do not).
    /// Records not loaded by [`AccessDetails::load`] are read now.
    pub async fn access_summary(
        &mut self,
        item: &ReviewItem,
        with_account: bool,
    ) -> Result<AccessSummaryOut, ApiError> {
        self.load(std::slice::from_ref(item), with_account).await?;
        let access = AccessSummaryAccessOut {
            kind: item.access_type.into(),
            id: item.access_id.clone(),
            name: item.access_name.clone(),
        };
        let mut summary = AccessSummaryOut {
            access,
            entitlement: None,
            access_profile: None,
            role: None,
        };
        match item.access_type {
            ItemAccessType::Entitlement => {
                let entitlement = match self.records.entitlements.get(&item.access_id) {
                    Some(Some(entitlement)) => Arc::clone(entitlement),
                    _ => Arc::new(Rendered::new(entitlement_from_item(item))),
                };
                let account = match (&item.account_id, with_account) {
                    (Some(account), true) => self.accounts.get(account).cloned().flatten(),
                    _ => None,
                };
                summary.entitlement = Some(ItemEntitlementOut {
                    entitlement,
                    account,
                });
            }
            ItemAccessType::AccessProfile => {
                let profile = self.records.access_profiles.get(&item.access_id);
                summary.access_profile = Some(match profile {
                    Some(Some(profile)) => Arc::clone(profile),
                    _ => Arc::new(Rendered::new(ReviewableAccessProfileOut {
                        id: item.access_id.clone(),
                        name: item.access_name.clone(),
                        description: None,
                        privileged: false,
                        cloud_governed: false,
                        end_date: None,
                        owner: None,
                        entitlements: Vec::new(),
                        created: None,
                        modified: None,
                    })),
                });
            }
            ItemAccessType::Role => {
                summary.role = Some(match self.records.roles.get(&item.access_id) {
                    Some(Some(role)) => Arc::clone(role),
                    _ => Arc::new(Rendered::new(ReviewableRoleOut {
                        id: item.access_id.clone(),
                        name: item.access_name.clone(),
                        description: None,
                        privileged: false,
                        owner: None,
                        revocable: true,
                        end_date: None,
                        access_profiles: Vec::new(),
                        entitlements: Vec::new(),
                    })),
                });
            }
            ItemAccessType::Account => {}
        }
        Ok(summary)
    }
}

/// An entitlement detail made from the item alone (the warehouse no longer has it).
fn entitlement_from_item(item: &ReviewItem) -> ReviewableEntitlementOut {
    ReviewableEntitlementOut {
        id: item.access_id.clone(),
        name: item.access_name.clone(),
        description: None,
        privileged: false,
        owner: None,
        attribute_name: None,
        attribute_value: None,
        source_schema_object_type: None,
        source_name: item.source_name.clone(),
        source_type: None,
        source_id: item.source_id.as_ref().map(|s| s.0.clone()),
        has_permissions: false,
        is_permission: false,
        revocable: true,
        cloud_governed: false,
        contains_data_access: false,
        data_access: None,
        account: None,
    }
}

// ---- handlers ----

/// `GET /certifications`: the certifications the caller may see; `reviewer-identity=me` (or
/// the caller's own id) narrows to those the caller reviews; administrators may name any
/// reviewer.
pub async fn list_certifications(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    OriginalUri(uri): OriginalUri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<IdentityCertificationOut>>), ApiError> {
    let params = query_map(query)?;
    let beta = is_beta(&uri);
    let filters = if beta {
        &BETA_CERTIFICATION_FILTERS
    } else {
        &CERTIFICATION_FILTERS
    };
    let mut list = list_query(
        &params,
        &Collection {
            filters,
            sorters: &CERTIFICATION_SORTERS,
        },
    )?;
    if beta {
        list.filter = list.filter.map(|f| {
            rename_fields(f, &|field| {
                (field == "campaignRef.id").then_some("campaign.id")
            })
        });
    }
    // Beta's spec spells the parameter `reviewer-identitiy`; accept both.
    let reviewer = params
        .get("reviewer-identity")
        .or_else(|| params.get("reviewer-identitiy"))
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let reviewer_only = match reviewer {
        None => false,
        Some("me") => true,
        Some(id) if id == caller.identity_id.as_str() => true,
        Some(id) if caller.has_any(ADMINISTRATORS) => {
            list.filter = Some(and_filter(
                list.filter.take(),
                Filter::Compare {
                    field: "reviewer.id".to_owned(),
                    op: Op::Eq,
                    value: Value::String(id.to_owned()),
                },
            ));
            false
        }
        Some(id) => {
            return Err(ApiError::Forbidden(format!(
                "reviewer-identity \"{id}\" is not you: only administrators may list another \
                 reviewer's certifications; use reviewer-identity=me."
            )))
        }
    };
    let page = state
        .campaigns
        .certifications(&caller, reviewer_only, &list)
        .await?;
    let mut renderer = CertificationRenderer::new(&state);
    let mut out = Vec::with_capacity(page.items.len());
    for certification in &page.items {
        out.push(renderer.render(certification).await?);
    }
    Ok((page_headers(&page), Json(out)))
}

/// `GET /certifications/{id}`.
pub async fn get_certification(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<IdentityCertificationOut>, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let certification = state.campaigns.certification(&caller, &id).await?;
    Ok(Json(render_certification(&state, &certification).await?))
}

/// The `entitlements`, `access-profiles` and `roles` parameters: at most one, a
/// comma-separated list of access ids, with the access type it names.
fn narrowing(
    params: &HashMap<String, String>,
) -> Result<Option<(ItemAccessType, Vec<String>)>, ApiError> {
    let given: Vec<(&str, ItemAccessType, &String)> = [
        ("entitlements", ItemAccessType::Entitlement),
        ("access-profiles", ItemAccessType::AccessProfile),
        ("roles", ItemAccessType::Role),
    ]
    .into_iter()
    .filter_map(|(name, kind)| params.get(name).map(|value| (name, kind, value)))
    .collect();
    match given.as_slice() {
        [] => Ok(None),
        [(name, kind, value)] => {
            let ids: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect();
            if ids.is_empty() {
                return Err(ApiError::BadRequest {
                    message: "The access narrowing parameter is invalid.".to_owned(),
                    causes: vec![format!("{name}: give at least one id, comma-separated")],
                });
            }
            Ok(Some((*kind, ids)))
        }
        several => Err(ApiError::BadRequest {
            message: "Only one of entitlements, access-profiles and roles may be given.".to_owned(),
            causes: vec![format!(
                "{}: only one of these parameters may be used at a time",
                several
                    .iter()
                    .map(|(name, _, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
        }),
    }
}

/// `GET /certifications/{id}/access-review-items`.
pub async fn list_access_review_items(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<AccessReviewItemOut>>), ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let params = query_map(query)?;
    let mut list = list_query(
        &params,
        &Collection {
            filters: &ITEM_FILTERS,
            sorters: &ITEM_SORTERS,
        },
    )?;
    let narrowed = narrowing(&params)?;
    let access_ids = match narrowed {
        None => None,
        Some((kind, ids)) => {
            // `entitlements=X` means entitlement X, not a role that happens to share its id.
            list.filter = Some(and_filter(
                list.filter.take(),
                Filter::Compare {
                    field: "access.type".to_owned(),
                    op: Op::Eq,
                    value: Value::String(kind.as_str().to_owned()),
                },
            ));
            Some(ids)
        }
    };
    let ItemPage {
        items: page,
        summaries,
        accounts,
        warehouse_version,
        ..
    } = state
        .campaigns
        .items(&caller, &id, access_ids.as_deref(), &list)
        .await?;
    let mut details = AccessDetails::new(&state);
    details.read_with(warehouse_version, accounts);
    details.load(&page.items, true).await?;
    let summaries: HashMap<IdentitySummaryId, IdentitySummary> = summaries
        .into_iter()
        .map(|summary| (summary.id, summary))
        .collect();
    let mut out = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let identity_summary = summaries
            .get(&item.identity_summary_id)
            .map(CertificationIdentitySummaryOut::from);
        out.push(AccessReviewItemOut {
            access_summary: details.access_summary(item, true).await?,
            identity_summary,
            id: item.id.to_string(),
            completed: item.decision.is_some(),
            new_access: false,
            decision: item.decision.map(Into::into),
            comments: item.comments.clone(),
        });
    }
    Ok((page_headers(&page), Json(out)))
}

/// `POST /certifications/{id}/decide`: 1–250 decisions, applied all or none.
pub async fn decide_items(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<IdentityCertificationOut>, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let decisions = parse_decisions(&body)?;
    let certification = state.campaigns.decide(&caller, &id, decisions).await?;
    Ok(Json(render_certification(&state, &certification).await?))
}

/// `POST /certifications/{id}/reassign`: up to 50 items or identities, now.
pub async fn reassign_items(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<IdentityCertificationOut>, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let request =
        ReviewReassignIn::parse(&body, MAX_REASSIGN, "; use reassign-async for up to 500")?;
    let targets = request.targets()?;
    let to = IdentityId::from(request.reassign_to.trim());
    let certification = state
        .campaigns
        .reassign(&caller, &id, targets, &to, &request.reason)
        .await?;
    Ok(Json(render_certification(&state, &certification).await?))
}

/// `POST /certifications/{id}/reassign-async`: up to 500 items or identities, as a task
/// (200 with the task, as every family's spec says; beta answers its own task shape).
pub async fn reassign_items_async(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    OriginalUri(uri): OriginalUri,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let request = ReviewReassignIn::parse(&body, MAX_REASSIGN_ASYNC, "")?;
    let targets = request.targets()?;
    let to = IdentityId::from(request.reassign_to.trim());
    let task = state
        .campaigns
        .reassign_async(&caller, &id, targets, &to, &request.reason)
        .await?;
    Ok(if is_beta(&uri) {
        let out = IdentityCertificationTaskOut::of(&task).ok_or_else(|| {
            ApiError::internal(format!(
                "reassign-async made a {} task of {} {}, not a REASSIGN of the certification",
                task.task_type, task.target_type, task.target_id
            ))
        })?;
        Json(out).into_response()
    } else {
        Json(CertificationTaskOut::of(&task)).into_response()
    })
}

/// `POST /certifications/{id}/sign-off`: refused while items are undecided.
pub async fn sign_off_certification(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<IdentityCertificationOut>, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let certification = state.campaigns.sign_off(&caller, &id).await?;
    Ok(Json(render_certification(&state, &certification).await?))
}

/// `GET /certifications/{id}/reviewers`: the identities that may act on it.
pub async fn list_reviewers(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<IdentityReferenceOut>>), ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let params = query_map(query)?;
    let list = list_query(
        &params,
        &Collection {
            filters: &REVIEWER_FILTERS,
            sorters: &REVIEWER_SORTERS,
        },
    )?;
    let page = state.campaigns.reviewers(&caller, &id, &list).await?;
    let out = page.items.iter().map(IdentityReferenceOut::of).collect();
    Ok((page_headers(&page), Json(out)))
}

/// `GET /certifications/{id}/access-review-items/{itemId}/permissions`.
pub async fn list_item_permissions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<PermissionOut>>), ApiError> {
    let (certification, item) = path_params(path)?;
    let params = query_map(query)?;
    let list: ListQuery = list_query(
        &params,
        &Collection {
            filters: &PERMISSION_FILTERS,
            sorters: &NO_SORTERS,
        },
    )?;
    let item_id = item
        .trim()
        .parse::<ReviewItemId>()
        .map_err(|_| item_not_found(&certification, &item))?;
    let page = state
        .campaigns
        .item_permissions(
            &caller,
            &CertificationId::from(certification),
            item_id,
            &list,
        )
        .await?;
    let headers = page_headers(&page);
    let out = page.items.into_iter().map(PermissionOut::from).collect();
    Ok((headers, Json(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_items_entitlement_is_the_shared_json_with_its_account() {
        let shared = ReviewableEntitlementOut {
            id: "e1".to_owned(),
            name: "Readers, \\all\\ \"quoted\"".to_owned(),
            // Text that looks like the end being replaced, inside a string.
            description: Some("{\"account\":null}".to_owned()),
            privileged: false,
            owner: None,
            attribute_name: Some("memberOf".to_owned()),
            attribute_value: None,
            source_schema_object_type: None,
            source_name: Some("AD".to_owned()),
            source_type: None,
            source_id: None,
            has_permissions: false,
            is_permission: false,
            revocable: true,
            cloud_governed: false,
            contains_data_access: false,
            data_access: None,
            account: None,
        };
        let account = ReviewableEntitlementAccountOut {
            native_identity: "CN=alice".to_owned(),
            disabled: false,
            locked: true,
            kind: AccountRefTypeWire::Account,
            id: Some("a1".to_owned()),
            name: Some("alice".to_owned()),
            created: None,
            modified: None,
            activity_insights: None,
            description: None,
            governance_group_id: None,
            owner: None,
        };
        let rendered = Arc::new(Rendered::new(shared.clone()));
        for account in [None, Some(account)] {
            let spliced = ItemEntitlementOut {
                entitlement: Arc::clone(&rendered),
                account: account.clone(),
            };
            let whole = ReviewableEntitlementOut {
                account,
                ..shared.clone()
            };
            assert_eq!(
                serde_json::to_string(&spliced).unwrap(),
                serde_json::to_string(&whole).unwrap()
            );
        }
    }

    fn causes(error: ApiError) -> Vec<String> {
        match error {
            ApiError::BadRequest { causes, .. } => causes,
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn decisions_are_validated_element_by_element() {
        let body = Bytes::from(
            serde_json::json!([
                {"id": "1", "decision": "APPROVE", "bulk": true},
                {"id": "2", "decision": "MAYBE", "bulk": true},
                {"id": "3", "decision": "REVOKE"},
                {"id": "1", "decision": "REVOKE", "bulk": false},
                {"id": "4", "decision": "APPROVE", "bulk": true, "proposedEndDate": "2026-05-01T00:00:00Z"},
                "nonsense",
            ])
            .to_string(),
        );
        assert_eq!(
            causes(parse_decisions(&body).unwrap_err()),
            [
                "decisions[1].decision: \"MAYBE\" must be APPROVE or REVOKE",
                "decisions[2].bulk: is required (true or false)",
                "decisions[3].id: item 1 is already decided by decisions[0]",
                "decisions[4].proposedEndDate: may only be set for REVOKE decisions",
                "decisions[5]: must be a ReviewDecision object",
            ]
        );
    }

    #[test]
    fn decisions_are_bounded() {
        let empty = Bytes::from_static(b"[]");
        assert_eq!(
            causes(parse_decisions(&empty).unwrap_err()),
            ["decisions: at least one decision is required"]
        );
        let many: Vec<_> = (0..251)
            .map(|i| serde_json::json!({"id": i.to_string(), "decision": "APPROVE", "bulk": true}))
            .collect();
        let body = Bytes::from(serde_json::Value::Array(many).to_string());
        assert_eq!(
            causes(parse_decisions(&body).unwrap_err()),
            ["decisions: at most 250 decisions per request, got 251"]
        );
        let ok = Bytes::from(
            serde_json::json!([{"id": "7", "decision": "REVOKE", "bulk": true,
                "proposedEndDate": "2026-05-01T00:00:00Z", "comments": "gone"}])
            .to_string(),
        );
        let decisions = parse_decisions(&ok).unwrap();
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].item_id, ReviewItemId(7));
        assert_eq!(decisions[0].decision, Decision::Revoke);
        assert_eq!(decisions[0].comments.as_deref(), Some("gone"));
    }

    #[test]
    fn reassignments_are_validated() {
        let body = Bytes::from(
            serde_json::json!({
                "reassign": [{"id": "1", "type": "ITEM"}, {"id": "x", "type": "GROUP"}],
                "reason": ""
            })
            .to_string(),
        );
        assert_eq!(
            causes(ReviewReassignIn::parse(&body, 50, "").unwrap_err()),
            [
                "reassign[1].type: \"GROUP\" must be ITEM, IDENTITY_SUMMARY or TARGET_SUMMARY",
                "reassignTo: is required",
                "reason: must not be empty",
            ]
        );
        let many: Vec<_> = (0..51)
            .map(|i| serde_json::json!({"id": i.to_string(), "type": "ITEM"}))
            .collect();
        let body = Bytes::from(
            serde_json::json!({"reassign": many, "reassignTo": "x", "reason": "r"}).to_string(),
        );
        assert_eq!(
            causes(ReviewReassignIn::parse(&body, 50, "; use reassign-async for up to 500").unwrap_err()),
            ["reassign: at most 50 entries per request, got 51; use reassign-async for up to 500"]
        );
    }

    #[test]
    fn narrowing_allows_one_parameter() {
        let mut params = HashMap::new();
        params.insert("entitlements".to_owned(), "e1, e2".to_owned());
        assert_eq!(
            narrowing(&params).unwrap(),
            Some((
                ItemAccessType::Entitlement,
                vec!["e1".to_owned(), "e2".to_owned()]
            ))
        );
        params.insert("roles".to_owned(), "r1".to_owned());
        assert!(narrowing(&params).is_err());
    }

    #[test]
    fn permission_rights_are_split() {
        let out = PermissionOut::from(Permission {
            entitlement_id: "e1".into(),
            target: "SYS.TABLE".into(),
            rights: "read, write;delete".into(),
        });
        assert_eq!(out.rights, ["read", "write", "delete"]);
    }
}
