//! SailPoint certification summaries: a certification's decision counters, its identity
//! summaries (one per holder) and its access summaries (one per distinct access item of a
//! type), under `/certifications/{id}/...` in every family (v1: the `certification-summaries`
//! service, same paths and shapes).
//!
//! Policy: counters are read from what the store maintains with each decision, never by
//! scanning a certification — except when the decision summary is narrowed to some identity
//! summaries (`filters=identitySummary.id in (...)`), where only those holders' items are
//! read and tallied. Visibility is the engine's: administrators, and each reviewer for their
//! own certifications.

use std::collections::HashMap;

use attest_domain::campaign::Decision;
use attest_domain::certification::{
    CertificationCounts, CertificationId, IdentitySummary, IdentitySummaryId, ItemAccessType,
    TypeCounts,
};
use attest_query::{FieldSpec, FieldType, FilterSpec, Op, SortSpec, MAX_LIMIT};
use attest_store::campaigns::ListQuery;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::sailpoint::certifications::{path_params, AccessDetails, AccessSummaryOut, NO_SORTERS};
use crate::sailpoint::params::{list_query, page_headers, query_map, Collection};
use crate::{ApiError, AppState};

/// The summary routes, relative to a `/certifications` segment.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{id}/decision-summary", get(get_decision_summary))
        .route("/{id}/identity-summaries", get(list_identity_summaries))
        .route(
            "/{id}/identity-summaries/{identitySummaryId}",
            get(get_identity_summary),
        )
        .route("/{id}/access-summaries/{type}", get(list_access_summaries))
}

/// `GET /certifications/{id}/decision-summary` filters.
pub const DECISION_SUMMARY_FILTERS: FilterSpec = FilterSpec::new(&[FieldSpec::new(
    "identitySummary.id",
    FieldType::String,
    &[Op::Eq, Op::In],
)]);

/// `GET /certifications/{id}/identity-summaries` filters.
pub const IDENTITY_SUMMARY_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
    FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq, Op::Ne]),
    FieldSpec::new("name", FieldType::String, &[Op::Eq, Op::Sw]),
]);

/// `GET /certifications/{id}/identity-summaries` sorters.
pub const IDENTITY_SUMMARY_SORTERS: SortSpec = SortSpec::new(&["name"]);

/// `GET /certifications/{id}/access-summaries/{type}` filters.
pub const ACCESS_SUMMARY_FILTERS: FilterSpec = FilterSpec::new(&[
    FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq, Op::Ne]),
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

/// `GET /certifications/{id}/access-summaries/{type}` sorters.
pub const ACCESS_SUMMARY_SORTERS: SortSpec = SortSpec::new(&["access.name"]);

/// SailPoint's `CertificationIdentitySummary`: one holder in a certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificationIdentitySummaryOut {
    /// The summary's id.
    pub id: String,
    /// The holder's name.
    pub name: String,
    /// The holder's identity id (the account or role id for holders that are not
    /// identities).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub identity_id: Option<String>,
    /// Every item of this holder is decided.
    pub completed: bool,
}

impl From<&IdentitySummary> for CertificationIdentitySummaryOut {
    fn from(summary: &IdentitySummary) -> Self {
        let holder = summary
            .identity_id
            .as_ref()
            .map(|i| i.0.clone())
            .or_else(|| summary.account_id.as_ref().map(|a| a.0.clone()))
            .or_else(|| summary.role_id.as_ref().map(|r| r.0.clone()));
        CertificationIdentitySummaryOut {
            id: summary.id.to_string(),
            name: summary.name.clone(),
            identity_id: holder,
            completed: summary.completed(),
        }
    }
}

/// SailPoint's `IdentityCertDecisionSummary`: decisions made, approved and revoked, by access
/// type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCertDecisionSummaryOut {
    /// Entitlement decisions made.
    #[schema(format = Int32)]
    pub entitlement_decisions_made: i64,
    /// Access-profile decisions made.
    #[schema(format = Int32)]
    pub access_profile_decisions_made: i64,
    /// Role decisions made.
    #[schema(format = Int32)]
    pub role_decisions_made: i64,
    /// Account decisions made.
    #[schema(format = Int32)]
    pub account_decisions_made: i64,
    /// Entitlement decisions in all.
    #[schema(format = Int32)]
    pub entitlement_decisions_total: i64,
    /// Access-profile decisions in all.
    #[schema(format = Int32)]
    pub access_profile_decisions_total: i64,
    /// Role decisions in all.
    #[schema(format = Int32)]
    pub role_decisions_total: i64,
    /// Account decisions in all.
    #[schema(format = Int32)]
    pub account_decisions_total: i64,
    /// Entitlements approved.
    #[schema(format = Int32)]
    pub entitlements_approved: i64,
    /// Entitlements revoked.
    #[schema(format = Int32)]
    pub entitlements_revoked: i64,
    /// Access profiles approved.
    #[schema(format = Int32)]
    pub access_profiles_approved: i64,
    /// Access profiles revoked.
    #[schema(format = Int32)]
    pub access_profiles_revoked: i64,
    /// Roles approved.
    #[schema(format = Int32)]
    pub roles_approved: i64,
    /// Roles revoked.
    #[schema(format = Int32)]
    pub roles_revoked: i64,
    /// Accounts approved.
    #[schema(format = Int32)]
    pub accounts_approved: i64,
    /// Accounts revoked.
    #[schema(format = Int32)]
    pub accounts_revoked: i64,
}

impl From<&CertificationCounts> for IdentityCertDecisionSummaryOut {
    fn from(counts: &CertificationCounts) -> Self {
        let (e, p, r, a) = (
            &counts.entitlements,
            &counts.access_profiles,
            &counts.roles,
            &counts.accounts,
        );
        IdentityCertDecisionSummaryOut {
            entitlement_decisions_made: e.decided,
            access_profile_decisions_made: p.decided,
            role_decisions_made: r.decided,
            account_decisions_made: a.decided,
            entitlement_decisions_total: e.total,
            access_profile_decisions_total: p.total,
            role_decisions_total: r.total,
            account_decisions_total: a.total,
            entitlements_approved: e.approved,
            entitlements_revoked: e.revoked,
            access_profiles_approved: p.approved,
            access_profiles_revoked: p.revoked,
            roles_approved: r.approved,
            roles_revoked: r.revoked,
            accounts_approved: a.approved,
            accounts_revoked: a.revoked,
        }
    }
}

/// Counts one item into `counts`.
fn tally(
    counts: &mut CertificationCounts,
    access_type: ItemAccessType,
    decision: Option<Decision>,
) {
    let of_type: &mut TypeCounts = match access_type {
        ItemAccessType::Entitlement => &mut counts.entitlements,
        ItemAccessType::AccessProfile => &mut counts.access_profiles,
        ItemAccessType::Role => &mut counts.roles,
        ItemAccessType::Account => &mut counts.accounts,
    };
    of_type.total += 1;
    match decision {
        None => {}
        Some(Decision::Approve) => {
            of_type.decided += 1;
            of_type.approved += 1;
        }
        Some(Decision::Revoke) => {
            of_type.decided += 1;
            of_type.revoked += 1;
        }
    }
}

/// `GET /certifications/{id}/decision-summary`: the certification's counters, or those of
/// the identity summaries a filter names.
pub async fn get_decision_summary(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<IdentityCertDecisionSummaryOut>, ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let params = query_map(query)?;
    let list = list_query(
        &params,
        &Collection {
            filters: &DECISION_SUMMARY_FILTERS,
            sorters: &NO_SORTERS,
        },
    )?;
    let Some(filter) = list.filter else {
        let certification = state.campaigns.decision_summary(&caller, &id).await?;
        return Ok(Json(IdentityCertDecisionSummaryOut::from(
            &certification.counts,
        )));
    };
    // Narrowed to some holders: tally their items, a page at a time.
    let mut counts = CertificationCounts::default();
    let mut page_query = ListQuery {
        filter: Some(filter),
        sort: Vec::new(),
        limit: MAX_LIMIT,
        offset: 0,
        count: false,
    };
    loop {
        let page = state.campaigns.item_list(&caller, &id, &page_query).await?;
        for item in &page.items {
            tally(&mut counts, item.access_type, item.decision);
        }
        if page.items.len() < page_query.limit as usize {
            break;
        }
        page_query.offset += page.items.len() as u64;
    }
    Ok(Json(IdentityCertDecisionSummaryOut::from(&counts)))
}

/// `GET /certifications/{id}/identity-summaries`.
pub async fn list_identity_summaries(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<CertificationIdentitySummaryOut>>), ApiError> {
    let id = CertificationId::from(path_params(path)?);
    let params = query_map(query)?;
    let list = list_query(
        &params,
        &Collection {
            filters: &IDENTITY_SUMMARY_FILTERS,
            sorters: &IDENTITY_SUMMARY_SORTERS,
        },
    )?;
    let page = state
        .campaigns
        .identity_summaries(&caller, &id, &list)
        .await?;
    let out = page
        .items
        .iter()
        .map(CertificationIdentitySummaryOut::from)
        .collect();
    Ok((page_headers(&page), Json(out)))
}

/// `GET /certifications/{id}/identity-summaries/{identitySummaryId}`.
pub async fn get_identity_summary(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<CertificationIdentitySummaryOut>, ApiError> {
    let (id, summary) = path_params(path)?;
    let Ok(summary_id) = summary.trim().parse::<IdentitySummaryId>() else {
        return Err(ApiError::NotFound(format!(
            "Identity summary {summary} not found in certification {id}."
        )));
    };
    let summary = state
        .campaigns
        .identity_summary(&caller, &CertificationId::from(id), summary_id)
        .await?;
    Ok(Json(CertificationIdentitySummaryOut::from(&summary)))
}

/// `GET /certifications/{id}/access-summaries/{type}`: one summary per distinct access item
/// of the type (ROLE, ACCESS_PROFILE or ENTITLEMENT).
pub async fn list_access_summaries(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<AccessSummaryOut>>), ApiError> {
    let (id, kind) = path_params(path)?;
    let access_type = match kind.as_str() {
        "ROLE" => ItemAccessType::Role,
        "ACCESS_PROFILE" => ItemAccessType::AccessProfile,
        "ENTITLEMENT" => ItemAccessType::Entitlement,
        other => {
            return Err(ApiError::BadRequest {
                message: "The access type is invalid.".to_owned(),
                causes: vec![format!(
                    "type: \"{other}\" must be ROLE, ACCESS_PROFILE or ENTITLEMENT"
                )],
            })
        }
    };
    let params = query_map(query)?;
    let list = list_query(
        &params,
        &Collection {
            filters: &ACCESS_SUMMARY_FILTERS,
            sorters: &ACCESS_SUMMARY_SORTERS,
        },
    )?;
    let page = state
        .campaigns
        .access_summaries(&caller, &CertificationId::from(id), access_type, &list)
        .await?;
    let mut details = AccessDetails::new(&state);
    let mut out = Vec::with_capacity(page.items.len());
    for item in &page.items {
        out.push(details.access_summary(item, false).await?);
    }
    Ok((page_headers(&page), Json(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_by_type_and_decision() {
        let mut counts = CertificationCounts::default();
        tally(
            &mut counts,
            ItemAccessType::Entitlement,
            Some(Decision::Approve),
        );
        tally(
            &mut counts,
            ItemAccessType::Entitlement,
            Some(Decision::Revoke),
        );
        tally(&mut counts, ItemAccessType::Entitlement, None);
        tally(&mut counts, ItemAccessType::Role, Some(Decision::Revoke));
        let out = IdentityCertDecisionSummaryOut::from(&counts);
        assert_eq!(out.entitlement_decisions_total, 3);
        assert_eq!(out.entitlement_decisions_made, 2);
        assert_eq!(out.entitlements_approved, 1);
        assert_eq!(out.entitlements_revoked, 1);
        assert_eq!(out.role_decisions_made, 1);
        assert_eq!(out.roles_revoked, 1);
        assert_eq!(out.account_decisions_total, 0);
    }
}
