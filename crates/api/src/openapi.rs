//! `GET /openapi.json`: an OpenAPI 3.1 document of everything Attest serves, generated from
//! the code.
//!
//! Policy:
//!
//! - The SailPoint operations are listed once, in [`SAILPOINT_OPERATIONS`] (method, path
//!   relative to the resource, operationId, parameters, request and response types), and
//!   [`document`] expands each row into one path item per URL family that serves it
//!   ([`Api`]). The tests check that table against the real router both ways, and against
//!   SailPoint's published specification (vendored under `vendor/sailpoint-specs/`).
//! - Every schema comes from a `utoipa::ToSchema` derive on the `*In`/`*Out` wire type the
//!   handler really reads or writes; nothing here is hand-written JSON, so the document follows
//!   the structs. Two wire types that share a name must have the same shape (descriptions
//!   aside): [`schema_conflicts`] lists the ones that do not, and a test keeps it empty.
//! - Error bodies are described by the types below ([`ErrorResponseOut`],
//!   [`UnauthorizedOut`], ...); a test renders every [`ApiError`](crate::ApiError) in every
//!   family and checks the bodies against them.
//! - The document is public, like `/health`: it says what the API looks like, nothing about
//!   the data.
//!
//! # Operation ids
//!
//! SailPoint's own operationIds, made unique per family the way SailPoint's SDKs do: `/v3`
//! keeps the plain id (`getCampaign`), the other versioned families append `_<family>`
//! (`getCampaign_v2024`, `getCampaign_beta`), and the service-versioned families append `V1`
//! (`getCampaignV1`), which is SailPoint's own id there. Each operation is also tagged with
//! its family.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use attest_engine::credentials::TOKEN_SCOPE;
use attest_query::{FilterSpec, SortSpec};
use axum::Json;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, Content, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, PathsBuilder,
    Ref, RefOr, Required, Schema,
};
use utoipa::ToSchema;

use crate::native::event_subscriptions::{
    EventDeliveryOut, EventSubscriptionIn, EventSubscriptionOut,
};
use crate::native::orders::ProvisioningOrderOut;
use crate::native::remediation::{
    ApplyDecisionsIn, ApplyDecisionsOut, MarkOrdersDoneIn, MarkOrdersDoneOut, RemediationSinkIn,
    RemediationSinkOut,
};
use crate::sailpoint::campaign_filters::{
    CampaignFilterDetailsIn, CampaignFilterDetailsOut, CampaignFilterListOut,
};
use crate::sailpoint::campaigns::{
    AcceptedOut, ActivateCampaignOptionsIn, AdminReviewReassignIn, CampaignCompleteOptionsIn,
    CampaignIn, CampaignOut, CampaignView, CampaignsDeleteIn, JsonPatchOperationIn,
    SlimCampaignOut, CAMPAIGN_FILTERS, CAMPAIGN_SORTERS,
};
use crate::sailpoint::certifications::CampaignReferenceOut;
use crate::sailpoint::certifications::{
    AccessReviewItemOut, AccessSummaryOut, IdentityCertificationOut, IdentityReferenceOut,
    PermissionOut, ReviewDecisionIn, ReviewReassignIn, BETA_CERTIFICATION_FILTERS,
    CERTIFICATION_FILTERS, CERTIFICATION_SORTERS, ITEM_FILTERS, ITEM_SORTERS, PERMISSION_FILTERS,
    REVIEWER_FILTERS, REVIEWER_SORTERS,
};
use crate::sailpoint::reports::{CampaignReportOut, CampaignReportsConfigInOut};
use crate::sailpoint::summaries::{
    CertificationIdentitySummaryOut, IdentityCertDecisionSummaryOut, ACCESS_SUMMARY_FILTERS,
    ACCESS_SUMMARY_SORTERS, DECISION_SUMMARY_FILTERS, IDENTITY_SUMMARY_FILTERS,
    IDENTITY_SUMMARY_SORTERS,
};
use crate::sailpoint::tasks::{TASK_FILTERS, TASK_SORTERS};
use crate::sailpoint::templates::{
    CampaignTemplateIn, CampaignTemplateOut, ScheduleIn, ScheduleOut, TEMPLATE_FILTERS,
    TEMPLATE_SORTERS,
};
use crate::sailpoint::{tasks, ErrorMessageOut};

// ---- error bodies ----

/// SailPoint's `ErrorResponseDto`: the body of every SailPoint error but 401 and 429.
#[derive(Debug, Clone, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponseOut {
    /// The fine-grained code, e.g. `400.1 Bad Request Content`.
    pub detail_code: String,
    /// The request id, to quote when reporting a problem.
    pub tracking_id: String,
    /// The generic reason, in English.
    pub messages: Vec<ErrorMessageOut>,
    /// The specific reasons (one per invalid field, for instance).
    pub causes: Vec<ErrorMessageOut>,
}

/// The body of a SailPoint 401: `{"error": "<reason>"}`.
#[derive(Debug, Clone, ToSchema)]
pub struct UnauthorizedOut {
    /// Why the credentials were refused.
    pub error: String,
}

/// The body of a SailPoint 429: `{"message": " Rate Limit Exceeded "}` (with `Retry-After`).
#[derive(Debug, Clone, ToSchema)]
pub struct RateLimitedOut {
    /// Always ` Rate Limit Exceeded `.
    pub message: String,
}

/// The error of Attest's own API.
#[derive(Debug, Clone, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NativeErrorOut {
    /// What went wrong.
    pub error: NativeErrorDetailOut,
    /// The request id.
    pub request_id: String,
}

/// The `error` member of [`NativeErrorOut`].
#[derive(Debug, Clone, ToSchema)]
pub struct NativeErrorDetailOut {
    /// The HTTP status.
    pub status: u16,
    /// `bad_request`, `unauthenticated`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `conflict`, `rate_limited` or `internal`.
    pub code: String,
    /// What went wrong, in one sentence.
    pub message: String,
    /// The individual problems of a 400.
    pub details: Vec<String>,
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, ToSchema)]
pub struct OAuthErrorOut {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `unauthorized_client`,
    /// `slow_down` or `server_error`.
    pub error: String,
    /// Why.
    pub error_description: String,
}

// ---- the operation table ----

/// One URL family of SailPoint's certification API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// `/v3`.
    V3,
    /// `/v2024`.
    V2024,
    /// `/v2025`.
    V2025,
    /// `/v2026`.
    V2026,
    /// `/beta`.
    Beta,
    /// The service-versioned families: `/campaigns/v1`, `/certifications/v1`,
    /// `/certification-tasks/v1`.
    V1,
}

impl Api {
    /// Every family.
    pub const ALL: [Api; 6] = [
        Api::V3,
        Api::V2024,
        Api::V2025,
        Api::V2026,
        Api::Beta,
        Api::V1,
    ];

    /// Its name, as in SailPoint's spec file names (`v3`, `beta`, `v1`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Api::V3 => "v3",
            Api::V2024 => "v2024",
            Api::V2025 => "v2025",
            Api::V2026 => "v2026",
            Api::Beta => "beta",
            Api::V1 => "v1",
        }
    }

    /// The operationId of `base` in this family (see the module documentation).
    pub fn operation_id(self, base: &str) -> String {
        match self {
            Api::V3 => base.to_owned(),
            Api::V1 => format!("{base}V1"),
            other => format!("{base}_{}", other.name()),
        }
    }

    /// The full path of `path` (relative to `resource`) in this family.
    pub fn path(self, resource: Resource, path: &str) -> String {
        match self {
            Api::V1 => format!("{}{path}", resource.service_prefix()),
            versioned => format!("/{}{}{path}", versioned.name(), resource.segment()),
        }
    }
}

/// The families an operation is served in.
pub type Families = &'static [Api];

/// Every family.
pub const EVERY_FAMILY: Families = &Api::ALL;
/// Every family but beta.
pub const NOT_BETA: Families = &[Api::V3, Api::V2024, Api::V2025, Api::V2026, Api::V1];
/// Beta only.
pub const BETA_ONLY: Families = &[Api::Beta];

/// A SailPoint resource: the segment it lives under in the versioned families, and its
/// service-versioned prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/campaigns`, `/campaigns/v1`.
    Campaigns,
    /// `/certifications`, `/certifications/v1`.
    Certifications,
    /// `/certification-tasks`, `/certification-tasks/v1`.
    CertificationTasks,
    /// `/campaign-templates`, `/campaign-templates/v1`.
    CampaignTemplates,
    /// `/campaign-filters`, `/campaign-filters/v1`.
    CampaignFilters,
    /// `/reports`, `/reports/v1` (downloads of campaign report results).
    Reports,
}

impl Resource {
    /// The segment under a versioned prefix (`/v3/campaigns`).
    pub const fn segment(self) -> &'static str {
        match self {
            Resource::Campaigns => "/campaigns",
            Resource::Certifications => "/certifications",
            Resource::CertificationTasks => "/certification-tasks",
            Resource::CampaignTemplates => "/campaign-templates",
            Resource::CampaignFilters => "/campaign-filters",
            Resource::Reports => "/reports",
        }
    }

    /// The service-versioned prefix (`/campaigns/v1`).
    pub const fn service_prefix(self) -> &'static str {
        match self {
            Resource::Campaigns => "/campaigns/v1",
            Resource::Certifications => "/certifications/v1",
            Resource::CertificationTasks => "/certification-tasks/v1",
            Resource::CampaignTemplates => "/campaign-templates/v1",
            Resource::CampaignFilters => "/campaign-filters/v1",
            Resource::Reports => "/reports/v1",
        }
    }
}

/// An HTTP method of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name (`GET`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    fn http(self) -> HttpMethod {
        match self {
            Method::Get => HttpMethod::Get,
            Method::Post => HttpMethod::Post,
            Method::Patch => HttpMethod::Patch,
            Method::Put => HttpMethod::Put,
            Method::Delete => HttpMethod::Delete,
        }
    }
}

/// Registers a wire type's schema and every schema it refers to; returns its name.
pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> String;

/// The [`SchemaFn`] of `T`.
pub fn component<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    let name = T::name().into_owned();
    out.push((name.clone(), T::schema()));
    T::schemas(out);
    name
}

/// A JSON body: one `T`, or an array of them; or none.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// One object.
    One(SchemaFn),
    /// An array.
    Array(SchemaFn),
    /// An array of strings (e.g. the ids of a bulk delete).
    Strings,
    /// No body (a 204).
    Empty,
    /// A CSV file (`text/csv; charset=utf-8`), streamed.
    Csv,
}

/// A query parameter an operation reads.
#[derive(Debug, Clone, Copy)]
pub enum Query {
    /// SailPoint's `filters`, with the fields and operators accepted.
    Filters(&'static FilterSpec),
    /// SailPoint's `sorters`, with the fields accepted.
    Sorters(&'static SortSpec),
    /// `limit`, `offset` and `count`.
    Paging,
    /// `?detail=SLIM|FULL` of the campaign endpoints.
    Detail,
    /// `reviewer-identity` (`me` or an identity id).
    ReviewerIdentity,
    /// Beta's misspelt `reviewer-identitiy`, accepted as `reviewer-identity`.
    ReviewerIdentityBeta,
    /// The campaign-filter list's `limit`, `start` and `includeSystemFilters`.
    FilterListing,
    /// One access-narrowing parameter of the review items list (`entitlements`,
    /// `access-profiles`, `roles`): comma-separated ids.
    AccessIds(&'static str),
    /// `fileFormat` (required) and `name` of a report download.
    FileFormat,
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub struct RequestBody {
    /// `application/json` or `application/json-patch+json`.
    pub content_type: &'static str,
    /// The shape.
    pub body: Body,
    /// Whether it may be left out.
    pub optional: bool,
}

/// One SailPoint operation, as [`SAILPOINT_OPERATIONS`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct SailPointOperation {
    /// The method.
    pub method: Method,
    /// The resource.
    pub resource: Resource,
    /// The path under the resource root (`""` for the root, `/{id}/activate`, ...).
    pub path: &'static str,
    /// SailPoint's operationId (as in `/v3`; see the module documentation).
    pub operation_id: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The families that serve it.
    pub families: Families,
    /// Its query parameters (path parameters come from `path`).
    pub query: &'static [Query],
    /// Its request body, if any.
    pub request: Option<RequestBody>,
    /// The success status.
    pub status: u16,
    /// The success body.
    pub response: Body,
}

impl SailPointOperation {
    /// The full paths (with their family) this operation is served at.
    pub fn paths(&self) -> impl Iterator<Item = (Api, String)> + '_ {
        self.families
            .iter()
            .map(|api| (*api, api.path(self.resource, self.path)))
    }

    /// The error statuses it may answer: 400, 401, 403, 429 and 500, and 404 when its path
    /// names an object.
    pub fn error_statuses(&self) -> &'static [u16] {
        if self.path.contains('{') {
            &[400, 401, 403, 404, 429, 500]
        } else {
            &[400, 401, 403, 429, 500]
        }
    }
}

const JSON: &str = "application/json";

const fn json(body: Body) -> Option<RequestBody> {
    Some(RequestBody {
        content_type: JSON,
        body,
        optional: false,
    })
}

const fn optional_json(body: Body) -> Option<RequestBody> {
    Some(RequestBody {
        content_type: JSON,
        body,
        optional: true,
    })
}

/// Every SailPoint operation Attest serves, once; [`document`] expands the rows into one path
/// item per family.
pub const SAILPOINT_OPERATIONS: &[SailPointOperation] = &[
    // ---- campaign templates ----
    SailPointOperation {
        method: Method::Post,
        resource: Resource::CampaignTemplates,
        path: "",
        operation_id: "createCampaignTemplate",
        summary: "Create a campaign template owned by the caller.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<CampaignTemplateIn>)),
        status: 200,
        response: Body::One(component::<CampaignTemplateOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CampaignTemplates,
        path: "",
        operation_id: "getCampaignTemplates",
        summary: "List campaign templates.",
        families: EVERY_FAMILY,
        query: &[
            Query::Paging,
            Query::Filters(&TEMPLATE_FILTERS),
            Query::Sorters(&TEMPLATE_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<CampaignTemplateOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CampaignTemplates,
        path: "/{id}",
        operation_id: "getCampaignTemplate",
        summary: "Get a campaign template.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignTemplateOut>),
    },
    SailPointOperation {
        method: Method::Patch,
        resource: Resource::CampaignTemplates,
        path: "/{id}",
        operation_id: "patchCampaignTemplate",
        summary: "Update a campaign template with a JSON Patch (name, description, deadlineDuration, campaign).",
        families: EVERY_FAMILY,
        query: &[],
        request: Some(RequestBody {
            content_type: "application/json-patch+json",
            body: Body::Array(component::<JsonPatchOperationIn>),
            optional: false,
        }),
        status: 200,
        response: Body::One(component::<CampaignTemplateOut>),
    },
    SailPointOperation {
        method: Method::Delete,
        resource: Resource::CampaignTemplates,
        path: "/{id}",
        operation_id: "deleteCampaignTemplate",
        summary: "Delete a campaign template and its schedule.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 204,
        response: Body::Empty,
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::CampaignTemplates,
        path: "/{id}/generate",
        operation_id: "startGenerateCampaignTemplate",
        summary: "Generate a campaign from the template now (date placeholders formatted).",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignReferenceOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CampaignTemplates,
        path: "/{id}/schedule",
        operation_id: "getCampaignTemplateSchedule",
        summary: "Get the template's schedule (404 when none is set).",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<ScheduleOut>),
    },
    SailPointOperation {
        method: Method::Put,
        resource: Resource::CampaignTemplates,
        path: "/{id}/schedule",
        operation_id: "setCampaignTemplateSchedule",
        summary: "Set or replace the template's schedule.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<ScheduleIn>)),
        status: 204,
        response: Body::Empty,
    },
    SailPointOperation {
        method: Method::Delete,
        resource: Resource::CampaignTemplates,
        path: "/{id}/schedule",
        operation_id: "deleteCampaignTemplateSchedule",
        summary: "Delete the template's schedule.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 204,
        response: Body::Empty,
    },
    // ---- campaigns ----
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Campaigns,
        path: "",
        operation_id: "getActiveCampaigns",
        summary: "List campaigns (SLIM unless detail=FULL).",
        families: EVERY_FAMILY,
        query: &[
            Query::Detail,
            Query::Paging,
            Query::Filters(&CAMPAIGN_FILTERS),
            Query::Sorters(&CAMPAIGN_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<CampaignView>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "",
        operation_id: "createCampaign",
        summary: "Create a campaign; it is generated in the background.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<CampaignIn>)),
        status: 202,
        response: Body::One(component::<CampaignOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/delete",
        operation_id: "deleteCampaigns",
        summary: "Delete campaigns.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<CampaignsDeleteIn>)),
        status: 202,
        response: Body::One(component::<AcceptedOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Campaigns,
        path: "/{id}",
        operation_id: "getCampaign",
        summary: "Read a campaign (SLIM unless detail=FULL).",
        families: EVERY_FAMILY,
        query: &[Query::Detail],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignView>),
    },
    SailPointOperation {
        method: Method::Patch,
        resource: Resource::Campaigns,
        path: "/{id}",
        operation_id: "updateCampaign",
        summary: "Change a campaign with a JSON Patch.",
        families: EVERY_FAMILY,
        query: &[],
        request: Some(RequestBody {
            content_type: "application/json-patch+json",
            body: Body::Array(component::<JsonPatchOperationIn>),
            optional: false,
        }),
        status: 200,
        response: Body::One(component::<SlimCampaignOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/{id}/activate",
        operation_id: "startCampaign",
        summary: "Activate a staged campaign.",
        families: EVERY_FAMILY,
        query: &[],
        request: optional_json(Body::One(component::<ActivateCampaignOptionsIn>)),
        status: 202,
        response: Body::One(component::<AcceptedOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/{id}/complete",
        operation_id: "completeCampaign",
        summary: "Complete an active campaign, deciding what is left.",
        families: EVERY_FAMILY,
        query: &[],
        request: optional_json(Body::One(component::<CampaignCompleteOptionsIn>)),
        status: 202,
        response: Body::One(component::<AcceptedOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/{id}/run-remediation-scan",
        operation_id: "startCampaignRemediationScan",
        summary: "Run the campaign's remediation scan: check every provisioning order against \
                  the warehouse (VERIFIED or STILL_PRESENT).",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 202,
        response: Body::One(component::<AcceptedOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/{id}/reassign",
        operation_id: "move",
        summary: "Move whole certifications to another reviewer.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<AdminReviewReassignIn>)),
        status: 202,
        response: Body::One(component::<tasks::CertificationTaskOut>),
    },
    // ---- campaign reports ----
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Campaigns,
        path: "/{id}/reports",
        operation_id: "getCampaignReports",
        summary: "The latest run of each report type run for a campaign.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::Array(component::<CampaignReportOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Campaigns,
        path: "/{id}/run-report/{type}",
        operation_id: "startCampaignReport",
        summary: "Run a campaign report in the background (its CSV: GET /api/v1/reports/{id}).",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 202,
        response: Body::One(component::<CampaignReportOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Campaigns,
        path: "/reports-configuration",
        operation_id: "getCampaignReportsConfig",
        summary: "The identity attribute columns campaign reports add.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignReportsConfigInOut>),
    },
    SailPointOperation {
        method: Method::Put,
        resource: Resource::Campaigns,
        path: "/reports-configuration",
        operation_id: "setCampaignReportsConfig",
        summary: "Replace the identity attribute columns campaign reports add.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<CampaignReportsConfigInOut>)),
        status: 200,
        response: Body::One(component::<CampaignReportsConfigInOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Reports,
        path: "/{taskResultId}",
        operation_id: "getReport",
        summary: "Download a finished campaign report (the id of a CampaignReport) as CSV.",
        families: EVERY_FAMILY,
        query: &[Query::FileFormat],
        request: None,
        status: 200,
        response: Body::Csv,
    },
    // ---- certifications ----
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "",
        operation_id: "listIdentityCertifications",
        summary: "List the certifications the caller may see.",
        families: NOT_BETA,
        query: &[
            Query::ReviewerIdentity,
            Query::Paging,
            Query::Filters(&CERTIFICATION_FILTERS),
            Query::Sorters(&CERTIFICATION_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "",
        operation_id: "listCertifications",
        summary: "List the certifications the caller may see (beta's filters).",
        families: BETA_ONLY,
        query: &[
            Query::ReviewerIdentity,
            Query::ReviewerIdentityBeta,
            Query::Paging,
            Query::Filters(&BETA_CERTIFICATION_FILTERS),
            Query::Sorters(&CERTIFICATION_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}",
        operation_id: "getIdentityCertification",
        summary: "Read a certification.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/access-review-items",
        operation_id: "listIdentityAccessReviewItems",
        summary: "List a certification's review items.",
        families: EVERY_FAMILY,
        query: &[
            Query::Paging,
            Query::Filters(&ITEM_FILTERS),
            Query::Sorters(&ITEM_SORTERS),
            Query::AccessIds("entitlements"),
            Query::AccessIds("access-profiles"),
            Query::AccessIds("roles"),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<AccessReviewItemOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Certifications,
        path: "/{id}/decide",
        operation_id: "makeIdentityDecision",
        summary: "Decide review items (1–250, all or none).",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::Array(component::<ReviewDecisionIn>)),
        status: 200,
        response: Body::One(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Certifications,
        path: "/{id}/reassign",
        operation_id: "reassignIdentityCertifications",
        summary: "Reassign up to 50 items or identities now.",
        families: EVERY_FAMILY,
        query: &[],
        request: json(Body::One(component::<ReviewReassignIn>)),
        status: 200,
        response: Body::One(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Certifications,
        path: "/{id}/reassign-async",
        operation_id: "submitReassignCertsAsync",
        summary: "Reassign up to 500 items or identities as a task.",
        families: NOT_BETA,
        query: &[],
        request: json(Body::One(component::<ReviewReassignIn>)),
        status: 200,
        response: Body::One(component::<tasks::CertificationTaskOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Certifications,
        path: "/{id}/reassign-async",
        operation_id: "submitReassignCertsAsync",
        summary: "Reassign up to 500 items or identities as a task (beta's task shape).",
        families: BETA_ONLY,
        query: &[],
        request: json(Body::One(component::<ReviewReassignIn>)),
        status: 200,
        response: Body::One(component::<tasks::IdentityCertificationTaskOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::Certifications,
        path: "/{id}/sign-off",
        operation_id: "signOffIdentityCertification",
        summary: "Sign a fully decided certification off.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<IdentityCertificationOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/reviewers",
        operation_id: "listCertificationReviewers",
        summary: "List the identities that may act on a certification.",
        families: EVERY_FAMILY,
        query: &[
            Query::Paging,
            Query::Filters(&REVIEWER_FILTERS),
            Query::Sorters(&REVIEWER_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<IdentityReferenceOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/access-review-items/{itemId}/permissions",
        operation_id: "getIdentityCertificationItemPermissions",
        summary: "List the permissions of a review item's entitlement.",
        families: EVERY_FAMILY,
        query: &[Query::Paging, Query::Filters(&PERMISSION_FILTERS)],
        request: None,
        status: 200,
        response: Body::Array(component::<PermissionOut>),
    },
    // ---- summaries ----
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/decision-summary",
        operation_id: "getIdentityDecisionSummary",
        summary: "Count a certification's decisions by access type.",
        families: EVERY_FAMILY,
        query: &[Query::Filters(&DECISION_SUMMARY_FILTERS)],
        request: None,
        status: 200,
        response: Body::One(component::<IdentityCertDecisionSummaryOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/identity-summaries",
        operation_id: "getIdentitySummaries",
        summary: "List the holders in a certification.",
        families: EVERY_FAMILY,
        query: &[
            Query::Paging,
            Query::Filters(&IDENTITY_SUMMARY_FILTERS),
            Query::Sorters(&IDENTITY_SUMMARY_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<CertificationIdentitySummaryOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/identity-summaries/{identitySummaryId}",
        operation_id: "getIdentitySummary",
        summary: "Read one holder of a certification.",
        families: EVERY_FAMILY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<CertificationIdentitySummaryOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/access-summaries/{type}",
        operation_id: "getIdentityAccessSummaries",
        summary: "List the access of one type under review in a certification.",
        families: EVERY_FAMILY,
        query: &[
            Query::Paging,
            Query::Filters(&ACCESS_SUMMARY_FILTERS),
            Query::Sorters(&ACCESS_SUMMARY_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<AccessSummaryOut>),
    },
    // ---- tasks ----
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CertificationTasks,
        path: "",
        operation_id: "getPendingCertificationTasks",
        summary: "List the pending (QUEUED, IN_PROGRESS) tasks the caller may see.",
        families: NOT_BETA,
        query: &[
            Query::ReviewerIdentity,
            Query::Paging,
            Query::Filters(&TASK_FILTERS),
            Query::Sorters(&TASK_SORTERS),
        ],
        request: None,
        status: 200,
        response: Body::Array(component::<tasks::CertificationTaskOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CertificationTasks,
        path: "/{id}",
        operation_id: "getCertificationTask",
        summary: "Read a task.",
        families: NOT_BETA,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<tasks::CertificationTaskOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/tasks/{taskId}",
        operation_id: "getIdentityCertificationTaskStatus",
        summary: "Read a task of a certification.",
        families: BETA_ONLY,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<tasks::IdentityCertificationTaskOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::Certifications,
        path: "/{id}/tasks-pending",
        operation_id: "getIdentityCertificationPendingTasks",
        summary: "List the pending tasks of a certification.",
        families: BETA_ONLY,
        query: &[],
        request: None,
        status: 200,
        response: Body::Array(component::<tasks::IdentityCertificationTaskOut>),
    },
    // ---- campaign filters (no beta) ----
    SailPointOperation {
        method: Method::Post,
        resource: Resource::CampaignFilters,
        path: "",
        operation_id: "createCampaignFilter",
        summary: "Create a campaign filter owned by the caller.",
        families: NOT_BETA,
        query: &[],
        request: json(Body::One(component::<CampaignFilterDetailsIn>)),
        status: 200,
        response: Body::One(component::<CampaignFilterDetailsOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CampaignFilters,
        path: "",
        operation_id: "listCampaignFilters",
        summary: "List campaign filters (system filters first unless left out).",
        families: NOT_BETA,
        query: &[Query::FilterListing],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignFilterListOut>),
    },
    SailPointOperation {
        method: Method::Get,
        resource: Resource::CampaignFilters,
        path: "/{id}",
        operation_id: "getCampaignFilterById",
        summary: "Read a campaign filter.",
        families: NOT_BETA,
        query: &[],
        request: None,
        status: 200,
        response: Body::One(component::<CampaignFilterDetailsOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::CampaignFilters,
        path: "/{id}",
        operation_id: "updateCampaignFilter",
        summary: "Replace a campaign filter's name, description, mode and criteria \
                  (SailPoint's v3-v2026 specifications call the path parameter `filterId`).",
        families: NOT_BETA,
        query: &[],
        request: json(Body::One(component::<CampaignFilterDetailsIn>)),
        status: 200,
        response: Body::One(component::<CampaignFilterDetailsOut>),
    },
    SailPointOperation {
        method: Method::Post,
        resource: Resource::CampaignFilters,
        path: "/delete",
        operation_id: "deleteCampaignFilters",
        summary: "Delete campaign filters (all or none).",
        families: NOT_BETA,
        query: &[],
        request: json(Body::Strings),
        status: 204,
        response: Body::Empty,
    },
];

// ---- the document ----

/// The name of the OAuth 2 client-credentials security scheme.
pub const OAUTH2_SCHEME: &str = "oauth2";
/// The name of the plain bearer-token security scheme.
pub const BEARER_SCHEME: &str = "bearer";

/// Where the document is served.
pub const PATH: &str = "/openapi.json";

/// The document (built once).
static DOCUMENT: LazyLock<(OpenApi, Vec<String>)> = LazyLock::new(build);

/// The OpenAPI document of everything Attest serves.
pub fn document() -> OpenApi {
    DOCUMENT.0.clone()
}

/// Wire types registered under one schema name with different shapes (descriptions aside):
/// each is a bug (one of them is described under the other's name). Empty when all is well.
pub fn schema_conflicts() -> Vec<String> {
    DOCUMENT.1.clone()
}

/// `GET /openapi.json`: the document, as JSON. No authentication.
pub async fn get_openapi() -> Json<&'static OpenApi> {
    Json(&DOCUMENT.0)
}

/// Collects schemas by name, noting names registered with different shapes.
#[derive(Default)]
struct Schemas {
    by_name: BTreeMap<String, RefOr<Schema>>,
    conflicts: Vec<String>,
}

impl Schemas {
    /// Registers `schema` and what it refers to; returns a reference to it.
    fn add(&mut self, schema: SchemaFn) -> RefOr<Schema> {
        let mut found = Vec::new();
        let name = schema(&mut found);
        for (other, shape) in found {
            self.insert(other, shape);
        }
        RefOr::Ref(Ref::from_schema_name(name))
    }

    fn insert(&mut self, name: String, schema: RefOr<Schema>) {
        match self.by_name.get(&name) {
            None => {
                self.by_name.insert(name, schema);
            }
            Some(existing) if shape_of(existing) == shape_of(&schema) => {}
            Some(existing) => {
                let message = format!(
                    "two wire types are named {name} but differ: {} vs {}",
                    shape_of(existing),
                    shape_of(&schema)
                );
                if !self.conflicts.contains(&message) {
                    self.conflicts.push(message);
                }
            }
        }
    }

    /// The schema of a body; `None` for [`Body::Empty`].
    fn body(&mut self, body: Body) -> Option<RefOr<Schema>> {
        match body {
            Body::One(schema) => Some(self.add(schema)),
            Body::Array(schema) => {
                let items = self.add(schema);
                Some(ArrayBuilder::new().items(items).build().into())
            }
            Body::Strings => Some(
                ArrayBuilder::new()
                    .items(string_schema().build())
                    .build()
                    .into(),
            ),
            Body::Empty => None,
            Body::Csv => Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Binary,
                    )))
                    .build()
                    .into(),
            ),
        }
    }
}

/// A schema as JSON without its descriptions (a description is a string; a property named
/// `description` is an object and stays).
fn shape_of(schema: &RefOr<Schema>) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("description").is_some_and(|d| d.is_string()) {
                    map.remove("description");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(schema).unwrap_or(serde_json::Value::Null);
    strip(&mut value);
    value
}

/// A SailPoint paging number: a non-negative `int32`, at most `maximum` when given.
fn int32_schema(maximum: Option<i32>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int32,
        )))
        .minimum(Some(0))
        .maximum(maximum)
}

fn query_parameter(
    name: &str,
    description: String,
    schema: impl Into<RefOr<Schema>>,
) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The OpenAPI parameters of one [`Query`].
fn query_parameters(query: Query) -> Vec<ParameterBuilder> {
    match query {
        Query::Filters(spec) => {
            let fields: Vec<String> = spec
                .fields()
                .iter()
                .map(|field| {
                    let ops: Vec<String> = field.ops().iter().map(ToString::to_string).collect();
                    format!("**{}**: *{}*", field.name(), ops.join(", "))
                })
                .collect();
            let composites: Vec<String> =
                spec.composites().iter().map(ToString::to_string).collect();
            vec![query_parameter(
                "filters",
                format!(
                    "Filter expression in SailPoint's standard syntax. Fields and operators: {}. \
                     Composites: {}.",
                    fields.join("; "),
                    if composites.is_empty() {
                        "none".to_owned()
                    } else {
                        composites.join(", ")
                    }
                ),
                string_schema(),
            )]
        }
        // An endpoint without sortable fields refuses every sorter: nothing to document.
        Query::Sorters(spec) if spec.fields().is_empty() => Vec::new(),
        Query::Sorters(spec) => vec![query_parameter(
            "sorters",
            format!(
                "Comma-separated sort fields, `-` for descending. Fields: {}.",
                spec.fields().join(", ")
            ),
            string_schema().format(Some(utoipa::openapi::SchemaFormat::Custom(
                "comma-separated".to_owned(),
            ))),
        )],
        Query::Paging => vec![
            query_parameter(
                "limit",
                "Most results to return (0–250, default 250).".to_owned(),
                int32_schema(Some(250)),
            ),
            query_parameter(
                "offset",
                "Results to skip (default 0).".to_owned(),
                int32_schema(None),
            ),
            query_parameter(
                "count",
                "When true, the total is sent in `X-Total-Count`.".to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
        ],
        Query::Detail => vec![query_parameter(
            "detail",
            "`SLIM` (the default) or `FULL` campaign representations.".to_owned(),
            string_schema().enum_values(Some(["SLIM", "FULL"])),
        )],
        Query::ReviewerIdentity => vec![query_parameter(
            "reviewer-identity",
            "`me`, or (administrators) a reviewer's identity id.".to_owned(),
            string_schema(),
        )],
        Query::ReviewerIdentityBeta => vec![query_parameter(
            "reviewer-identitiy",
            "Beta's spelling of `reviewer-identity`, accepted as it.".to_owned(),
            string_schema(),
        )],
        Query::FilterListing => vec![
            query_parameter(
                "limit",
                "Most filters to return (0–250, default 250).".to_owned(),
                int32_schema(Some(250)),
            ),
            query_parameter(
                "start",
                "Filters to skip (default 0).".to_owned(),
                int32_schema(None),
            ),
            query_parameter(
                "includeSystemFilters",
                "Whether the system filters Attest ships are listed and counted (default true)."
                    .to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
        ],
        Query::AccessIds(name) => vec![query_parameter(
            name,
            format!(
                "Comma-separated ids: only items of these {name}. At most one of entitlements, \
                 access-profiles and roles."
            ),
            string_schema(),
        )],
        Query::FileFormat => vec![
            query_parameter(
                "fileFormat",
                "`csv` (required; campaign reports are written as CSV only, `pdf` is a 400)."
                    .to_owned(),
                string_schema().enum_values(Some(["csv", "pdf"])),
            )
            .required(Required::True),
            query_parameter(
                "name",
                "The downloaded file's name, without `.csv`.".to_owned(),
                string_schema(),
            ),
            query_parameter(
                "auditable",
                "Accepted and ignored (every download is an authenticated, logged request)."
                    .to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
        ],
    }
}

/// The path parameters of `path` (`{id}` and the like), all required strings.
fn path_parameters(path: &str) -> Vec<ParameterBuilder> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(string_schema()))
        })
        .collect()
}

fn json_response(description: &str, schema: Option<RefOr<Schema>>) -> ResponseBuilder {
    let response = ResponseBuilder::new().description(description);
    match schema {
        Some(schema) => response.content(JSON, Content::new(Some(schema))),
        None => response,
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No content",
        202 => "Accepted",
        400 => "Bad request: the parameters or the body are invalid (every problem in `causes`).",
        401 => "Unauthorized: no valid bearer token.",
        403 => "Forbidden: the caller may not do this.",
        404 => "Not found.",
        429 => "Too many requests; see `Retry-After`.",
        500 => "Internal fault (opaque; logged with the tracking id).",
        503 => "Service unavailable.",
        _ => "Answer.",
    }
}

fn bearer_security() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new(OAUTH2_SCHEME, [TOKEN_SCOPE]),
        SecurityRequirement::new::<_, [&str; 0], &str>(BEARER_SCHEME, []),
    ]
}

/// One SailPoint operation in one family.
fn sailpoint_operation(
    schemas: &mut Schemas,
    operation: &SailPointOperation,
    api: Api,
    path: &str,
) -> PathItem {
    let mut builder = OperationBuilder::new()
        .operation_id(Some(api.operation_id(operation.operation_id)))
        .summary(Some(operation.summary))
        .tag(format!("SailPoint {}", api.name()))
        .securities(Some(bearer_security()));
    for parameter in path_parameters(path) {
        builder = builder.parameter(parameter);
    }
    for query in operation.query {
        for parameter in query_parameters(*query) {
            builder = builder.parameter(parameter);
        }
    }
    if let Some(request) = operation.request {
        let schema = schemas.body(request.body);
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .content(request.content_type, Content::new(schema))
                .required(Some(if request.optional {
                    Required::False
                } else {
                    Required::True
                }))
                .build(),
        ));
    }
    let success = schemas.body(operation.response);
    builder = builder.response(
        operation.status.to_string(),
        match operation.response {
            Body::Csv => ResponseBuilder::new()
                .description(status_text(operation.status))
                .content("text/csv; charset=utf-8", Content::new(success)),
            _ => json_response(status_text(operation.status), success),
        },
    );
    for status in operation.error_statuses() {
        let body = match status {
            401 => schemas.add(component::<UnauthorizedOut>),
            429 => schemas.add(component::<RateLimitedOut>),
            _ => schemas.add(component::<ErrorResponseOut>),
        };
        builder = builder.response(
            status.to_string(),
            json_response(status_text(*status), Some(body)),
        );
    }
    PathItem::new(operation.method.http(), builder)
}

/// A native (`/api/v1`), health or OAuth operation.
struct OtherOperation {
    method: Method,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    tag: &'static str,
    authenticated: bool,
    query: Vec<ParameterBuilder>,
    request: Option<(&'static str, Option<RefOr<Schema>>)>,
    responses: Vec<(u16, &'static str, Option<RefOr<Schema>>)>,
}

fn other_operations(schemas: &mut Schemas) -> Vec<OtherOperation> {
    let native_error = schemas.add(component::<NativeErrorOut>);
    let oauth_error = schemas.add(component::<OAuthErrorOut>);
    let native_errors = |extra: &[u16]| {
        let mut responses = vec![(401, status_text(401), Some(native_error.clone()))];
        for status in extra {
            responses.push((*status, status_text(*status), Some(native_error.clone())));
        }
        responses.push((429, status_text(429), Some(native_error.clone())));
        responses.push((500, status_text(500), Some(native_error.clone())));
        responses
    };
    let orders = schemas.body(Body::Array(component::<ProvisioningOrderOut>));
    let mut list_orders = vec![(200, "The orders, newest first.", orders)];
    list_orders.extend(native_errors(&[400, 403]));
    let mut me = vec![(
        200,
        "The token's identity, client and authorities (camelCase object).",
        None,
    )];
    me.extend(native_errors(&[]));
    let mut warehouse = vec![(
        200,
        "Record counts per kind (camelCase object of integers).",
        None,
    )];
    warehouse.extend(native_errors(&[403]));
    let sink = schemas.add(component::<RemediationSinkOut>);
    let mut get_sink = vec![(
        200,
        "The source's sink (type MANUAL, configured false, when none is); never its secret.",
        Some(sink.clone()),
    )];
    get_sink.extend(native_errors(&[403, 404]));
    let mut put_sink = vec![(200, "The sink as stored, without its secret.", Some(sink))];
    put_sink.extend(native_errors(&[400, 403, 404]));
    let mut delete_sink = vec![(204, "Removed: the source's orders are manual again.", None)];
    delete_sink.extend(native_errors(&[403, 404]));
    let mut apply = vec![(
        200,
        "The orders released now.",
        Some(schemas.add(component::<ApplyDecisionsOut>)),
    )];
    apply.extend(native_errors(&[400, 403, 404]));
    let mut done = vec![(
        200,
        "The orders marked done.",
        Some(schemas.add(component::<MarkOrdersDoneOut>)),
    )];
    done.extend(native_errors(&[400, 403]));
    let mut manual_csv = vec![(
        200,
        "text/csv: the released PENDING and FAILED orders of sources without a WEBHOOK or SCIM \
         sink, spreadsheet formulas neutralised.",
        None,
    )];
    manual_csv.extend(native_errors(&[400, 403]));
    let order_filters = || {
        vec![
            query_parameter(
                "campaignId",
                "Only the orders of this campaign.".to_owned(),
                string_schema(),
            ),
            query_parameter(
                "status",
                "Only orders in this status.".to_owned(),
                string_schema().enum_values(Some(
                    attest_domain::certification::OrderStatus::ALL
                        .iter()
                        .map(|s| s.as_str()),
                )),
            ),
            query_parameter(
                "sourceId",
                "Only the orders of this source.".to_owned(),
                string_schema(),
            ),
            query_parameter(
                "released",
                "Only released (`true`) or held (`false`) orders.".to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
            query_parameter(
                "sink",
                "Only orders whose source's sink is of this type (MANUAL includes sources \
                 without one)."
                    .to_owned(),
                string_schema().enum_values(Some(["WEBHOOK", "SCIM", "MANUAL"])),
            ),
            query_parameter(
                "limit",
                "Most results to return (0–250, default 250).".to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(250)),
            ),
            query_parameter(
                "offset",
                "Results to skip (default 0).".to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            ),
        ]
    };
    let remediation = vec![
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/sources/{id}/remediation-sink",
            operation_id: "getRemediationSink",
            summary: "Where the source's provisioning orders go (WEBHOOK, SCIM or MANUAL).",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: get_sink,
        },
        OtherOperation {
            method: Method::Put,
            path: "/api/v1/sources/{id}/remediation-sink",
            operation_id: "putRemediationSink",
            summary: "Configure the source's sink; secrets are write-only.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: Some((
                "application/json",
                Some(schemas.add(component::<RemediationSinkIn>)),
            )),
            responses: put_sink,
        },
        OtherOperation {
            method: Method::Delete,
            path: "/api/v1/sources/{id}/remediation-sink",
            operation_id: "deleteRemediationSink",
            summary: "Remove the source's sink (its orders become manual).",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: delete_sink,
        },
        OtherOperation {
            method: Method::Post,
            path: "/api/v1/campaigns/{id}/apply-decisions",
            operation_id: "applyCampaignDecisions",
            summary: "Release the campaign's held provisioning orders (all, or `orderIds`) for \
                      delivery.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: Some((
                "application/json",
                Some(schemas.add(component::<ApplyDecisionsIn>)),
            )),
            responses: apply,
        },
        OtherOperation {
            method: Method::Post,
            path: "/api/v1/provisioning-orders/mark-done",
            operation_id: "markProvisioningOrdersDone",
            summary: "Record that a person carried released orders out.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: Some((
                "application/json",
                Some(schemas.add(component::<MarkOrdersDoneIn>)),
            )),
            responses: done,
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/provisioning-orders/manual.csv",
            operation_id: "exportManualProvisioningOrders",
            summary: "The released orders waiting for a person, as CSV.",
            tag: "Native",
            authenticated: true,
            query: order_filters(),
            request: None,
            responses: manual_csv,
        },
    ];
    let mut report_file = vec![(
        200,
        "The report's CSV (text/csv; charset=utf-8), streamed.",
        None,
    )];
    report_file.extend(native_errors(&[400, 403, 404]));
    let mut campaign_csv = vec![(
        200,
        "The campaign CSV (text/csv; charset=utf-8), streamed.",
        None,
    )];
    campaign_csv.extend(native_errors(&[403, 404]));
    let mut operations = vec![
        OtherOperation {
            method: Method::Get,
            path: "/health",
            operation_id: "getHealth",
            summary: "Readiness: 200 when the database answers, 503 otherwise.",
            tag: "Health",
            authenticated: false,
            query: Vec::new(),
            request: None,
            responses: vec![
                (
                    200,
                    "Ready: `{status, database: {backend, ready}, version}`.",
                    None,
                ),
                (
                    503,
                    "Not ready: the same object, with `database.error`.",
                    None,
                ),
            ],
        },
        OtherOperation {
            method: Method::Post,
            path: "/oauth/token",
            operation_id: "issueToken",
            summary: "Exchange a personal access token's client id and secret for a bearer token \
                      (client_credentials; form body, query or HTTP Basic).",
            tag: "OAuth",
            authenticated: false,
            query: Vec::new(),
            request: Some(("application/x-www-form-urlencoded", None)),
            responses: vec![
                (
                    200,
                    "The token: `{access_token, token_type, expires_in, scope, identity_id, \
                     authorities}`.",
                    None,
                ),
                (
                    400,
                    "Invalid request or unsupported grant type.",
                    Some(oauth_error.clone()),
                ),
                (
                    401,
                    "Unknown client or wrong secret.",
                    Some(oauth_error.clone()),
                ),
                (429, status_text(429), Some(oauth_error.clone())),
                (500, status_text(500), Some(oauth_error)),
            ],
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/me",
            operation_id: "getMe",
            summary: "Who the bearer token says the caller is.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: me,
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/warehouse/summary",
            operation_id: "getWarehouseSummary",
            summary: "How many records of each kind the identity warehouse holds.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: warehouse,
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/provisioning-orders",
            operation_id: "listProvisioningOrders",
            summary: "The revocations that sign-off and completion produced, newest first.",
            tag: "Native",
            authenticated: true,
            query: order_filters(),
            request: None,
            responses: list_orders,
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/reports/{id}",
            operation_id: "downloadCampaignReport",
            summary: "Download a finished campaign report (the id of a SailPoint CampaignReport) \
                      as CSV.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: report_file,
        },
        OtherOperation {
            method: Method::Get,
            path: "/api/v1/campaigns/{id}/review-items.csv",
            operation_id: "downloadCampaignCsv",
            summary: "Download the campaign CSV: every item with holder, access, source, \
                      reviewer, recommendation, decision, comment and decision time.",
            tag: "Native",
            authenticated: true,
            query: Vec::new(),
            request: None,
            responses: campaign_csv,
        },
    ];
    operations.extend(remediation);
    operations.extend(event_subscription_operations(schemas, &native_errors));
    operations
}

/// One response of an operation: status, description and body schema.
type ResponseSpec = (u16, &'static str, Option<RefOr<Schema>>);

/// `/api/v1/event-subscriptions` (ORG_ADMIN only).
fn event_subscription_operations(
    schemas: &mut Schemas,
    native_errors: &dyn Fn(&[u16]) -> Vec<ResponseSpec>,
) -> Vec<OtherOperation> {
    let one = schemas.body(Body::One(component::<EventSubscriptionOut>));
    let many = schemas.body(Body::Array(component::<EventSubscriptionOut>));
    let input = schemas.body(Body::One(component::<EventSubscriptionIn>));
    let deliveries = schemas.body(Body::Array(component::<EventDeliveryOut>));
    let with = |first: ResponseSpec, errors: &[u16]| {
        let mut responses = vec![first];
        responses.extend(native_errors(errors));
        responses
    };
    const COLLECTION: &str = "/api/v1/event-subscriptions";
    const ONE: &str = "/api/v1/event-subscriptions/{id}";
    const DELIVERIES: &str = "/api/v1/event-subscriptions/{id}/deliveries";
    let operation =
        |method, path, operation_id, summary, query, request, responses| OtherOperation {
            method,
            path,
            operation_id,
            summary,
            tag: "Native",
            authenticated: true,
            query,
            request,
            responses,
        };
    vec![
        operation(
            Method::Get,
            COLLECTION,
            "listEventSubscriptions",
            "Every event trigger subscription, oldest first (secrets are never shown).",
            Vec::new(),
            None,
            with((200, "The subscriptions.", many), &[403]),
        ),
        operation(
            Method::Post,
            COLLECTION,
            "createEventSubscription",
            "Subscribes a URL to event triggers, with a write-only signing secret.",
            Vec::new(),
            Some((JSON, input.clone())),
            with((201, "The subscription.", one.clone()), &[400, 403]),
        ),
        operation(
            Method::Get,
            ONE,
            "getEventSubscription",
            "One subscription.",
            path_parameters(ONE),
            None,
            with((200, "The subscription.", one.clone()), &[403, 404]),
        ),
        operation(
            Method::Put,
            ONE,
            "putEventSubscription",
            "Replaces a subscription; an omitted secret keeps the current one.",
            path_parameters(ONE),
            Some((JSON, input)),
            with((200, "The subscription.", one), &[400, 403, 404]),
        ),
        operation(
            Method::Delete,
            ONE,
            "deleteEventSubscription",
            "Deletes a subscription and its deliveries.",
            path_parameters(ONE),
            None,
            with((204, "Deleted.", None), &[403, 404]),
        ),
        operation(
            Method::Get,
            DELIVERIES,
            "listEventDeliveries",
            "A subscription's most recent deliveries, newest first.",
            {
                let mut params = path_parameters(DELIVERIES);
                params.push(query_parameter(
                    "limit",
                    "Most deliveries to return (1–250, default 50).".to_owned(),
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1))
                        .maximum(Some(250)),
                ));
                params
            },
            None,
            with((200, "The deliveries.", deliveries), &[400, 403, 404]),
        ),
    ]
}

fn other_operation(operation: OtherOperation) -> PathItem {
    let mut builder = OperationBuilder::new()
        .operation_id(Some(operation.operation_id))
        .summary(Some(operation.summary))
        .tag(operation.tag);
    if operation.authenticated {
        builder = builder.securities(Some(bearer_security()));
    }
    for parameter in path_parameters(operation.path) {
        builder = builder.parameter(parameter);
    }
    for parameter in operation.query {
        builder = builder.parameter(parameter);
    }
    if let Some((content_type, schema)) = operation.request {
        let content = match schema {
            Some(schema) => Content::new(Some(schema)),
            None => Content::new(None::<RefOr<Schema>>),
        };
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .content(content_type, content)
                .build(),
        ));
    }
    for (status, description, schema) in operation.responses {
        builder = builder.response(status.to_string(), json_response(description, schema));
    }
    PathItem::new(operation.method.http(), builder)
}

fn build() -> (OpenApi, Vec<String>) {
    let mut schemas = Schemas::default();
    let mut paths = PathsBuilder::new();
    for operation in SAILPOINT_OPERATIONS {
        for (api, path) in operation.paths() {
            let item = sailpoint_operation(&mut schemas, operation, api, &path);
            paths = paths.path(path, item);
        }
    }
    for operation in other_operations(&mut schemas) {
        let path = operation.path;
        paths = paths.path(path, other_operation(operation));
    }
    // The document itself.
    paths = paths.path(
        PATH,
        PathItem::new(
            HttpMethod::Get,
            OperationBuilder::new()
                .operation_id(Some("getOpenApi"))
                .summary(Some("This document."))
                .tag("Meta")
                .response("200", json_response("The OpenAPI document.", None)),
        ),
    );
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas.by_name)
        .security_scheme(
            OAUTH2_SCHEME,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/oauth/token",
                    Scopes::one(
                        TOKEN_SCOPE,
                        "Every operation the token's authorities allow.",
                    ),
                ))],
                "A personal access token's client id and secret, exchanged at /oauth/token.",
            )),
        )
        .security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A token from /oauth/token, sent as `Authorization: Bearer`.",
                    ))
                    .build(),
            ),
        )
        .build();
    let info = InfoBuilder::new()
        .title("Attest")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Attest, a self-hosted access-certification service: its own API, and the \
             SailPoint Identity Security Cloud certification API in every family SailPoint \
             publishes it under (/v3, /v2024, /v2025, /v2026, /beta and the service-versioned \
             /campaigns/v1, /certifications/v1, /certification-tasks/v1).",
        ))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").build()))
        .build();
    let document = OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components))
        .build();
    (document, schemas.conflicts)
}
