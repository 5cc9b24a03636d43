//! Checks of a campaign definition (at creation) and of a patch (later).
//!
//! Policy: every problem is reported at once, one `causes` entry each, naming the field or the
//! unknown id; nothing is stored when anything is wrong. References are checked against the
//! warehouse now; generation checks again, because the warehouse may change in between.

use attest_domain::campaign::CampaignStatus;
use attest_domain::certification::{
    AccessConstraint, Campaign, CampaignDefinition, CampaignScope, NamedReviewer,
};
use attest_domain::{AccessProfileId, AccessType, EntitlementId, RoleId};
use attest_store::{Store, StoreError};
use chrono::{DateTime, Utc};

use super::{identity_exists, CampaignPatch, EngineError};

/// Longest campaign name, in characters.
const MAX_NAME_CHARS: usize = 255;

/// Checks a new campaign's definition and returns it with its name trimmed.
pub(super) async fn validate_new(
    store: &dyn Store,
    mut definition: CampaignDefinition,
) -> Result<CampaignDefinition, EngineError> {
    let mut causes = Vec::new();
    definition.name = definition.name.trim().to_owned();
    check_name(&definition.name, &mut causes);
    check_scope(store, &definition.scope, &mut causes).await?;
    super::filters::check_campaign_filter(store, &mut definition.filter, &mut causes).await?;
    if causes.is_empty() {
        Ok(definition)
    } else {
        Err(EngineError::Invalid {
            message: "the campaign definition is invalid".to_owned(),
            causes,
        })
    }
}

fn check_name(name: &str, causes: &mut Vec<String>) {
    let chars = name.chars().count();
    if chars == 0 {
        causes.push("name is required".to_owned());
    } else if chars > MAX_NAME_CHARS {
        causes.push(format!(
            "name must be at most {MAX_NAME_CHARS} characters, got {chars}"
        ));
    }
}

async fn check_scope(
    store: &dyn Store,
    scope: &CampaignScope,
    causes: &mut Vec<String>,
) -> Result<(), StoreError> {
    match scope {
        CampaignScope::Manager => {}
        CampaignScope::SourceOwner { source_ids, .. } => {
            check_sources(
                store,
                "sourceOwnerCampaignInfo.sourceIds",
                source_ids,
                causes,
            )
            .await?
        }
        CampaignScope::MachineAccount { source_ids } => {
            check_sources(
                store,
                "machineAccountCampaignInfo.sourceIds",
                source_ids,
                causes,
            )
            .await?
        }
        CampaignScope::Search {
            query,
            identity_ids,
            access_constraints,
            reviewer,
            ..
        } => {
            const INFO: &str = "searchCampaignInfo";
            match (query, identity_ids) {
                (Some(_), Some(_)) => causes.push(format!(
                    "{INFO}: set exactly one of query and identityIds, not both"
                )),
                (None, None) => {
                    causes.push(format!("{INFO}: one of query and identityIds is required"))
                }
                (Some(q), None) => check_query(&format!("{INFO}.query"), q, causes),
                (None, Some(ids)) if ids.is_empty() => {
                    causes.push(format!("{INFO}.identityIds must not be empty"))
                }
                (None, Some(ids)) => {
                    for id in ids {
                        if !identity_exists(store, id).await? {
                            causes
                                .push(format!("{INFO}.identityIds: identity {id} does not exist"));
                        }
                    }
                }
            }
            for (i, constraint) in access_constraints.iter().enumerate() {
                check_constraint(store, i, constraint, causes).await?;
            }
            check_reviewer(store, &format!("{INFO}.reviewer"), reviewer, causes).await?;
        }
        CampaignScope::RoleComposition {
            role_ids,
            query,
            reviewer,
            remediator,
            ..
        } => {
            const INFO: &str = "roleCompositionCampaignInfo";
            if role_ids.is_some() && query.is_some() {
                causes.push(format!(
                    "{INFO}: set at most one of roleIds and query, not both"
                ));
            }
            if let Some(ids) = role_ids {
                if ids.is_empty() {
                    causes.push(format!("{INFO}.roleIds must not be empty"));
                }
                for id in ids {
                    if store.role(id).await?.is_none() {
                        causes.push(format!("{INFO}.roleIds: role {id} does not exist"));
                    }
                }
            }
            if let Some(q) = query {
                check_query(&format!("{INFO}.query"), q, causes);
            }
            if let Some(reviewer) = reviewer {
                check_reviewer(store, &format!("{INFO}.reviewer"), reviewer, causes).await?;
            }
            if !identity_exists(store, remediator).await? {
                causes.push(format!(
                    "{INFO}.remediatorRef: identity {remediator} does not exist"
                ));
            }
        }
    }
    Ok(())
}

async fn check_sources(
    store: &dyn Store,
    field: &str,
    source_ids: &[attest_domain::SourceId],
    causes: &mut Vec<String>,
) -> Result<(), StoreError> {
    if source_ids.is_empty() {
        causes.push(format!("{field} must name at least one source"));
    }
    for id in source_ids {
        if store.source(id).await?.is_none() {
            causes.push(format!("{field}: source {id} does not exist"));
        }
    }
    Ok(())
}

fn check_query(field: &str, query: &str, causes: &mut Vec<String>) {
    if query.trim().is_empty() {
        causes.push(format!("{field} must not be empty"));
    } else if let Err(e) = attest_query::parse_filter(query) {
        causes.push(format!("{field} is not a valid filter: {e}"));
    }
}

async fn check_reviewer(
    store: &dyn Store,
    field: &str,
    reviewer: &NamedReviewer,
    causes: &mut Vec<String>,
) -> Result<(), StoreError> {
    match reviewer {
        NamedReviewer::Identity(id) => {
            if !identity_exists(store, id).await? {
                causes.push(format!("{field}: identity {id} does not exist"));
            }
        }
        NamedReviewer::GovernanceGroup(id) => match store.governance_group(id).await? {
            None => causes.push(format!("{field}: governance group {id} does not exist")),
            Some(group) if group.owner_id.is_none() && group.member_ids.is_empty() => {
                causes.push(format!(
                    "{field}: governance group {id} has neither an owner nor members, so nobody could review"
                ))
            }
            Some(_) => {}
        },
    }
    Ok(())
}

async fn check_constraint(
    store: &dyn Store,
    index: usize,
    constraint: &AccessConstraint,
    causes: &mut Vec<String>,
) -> Result<(), StoreError> {
    let field = format!("searchCampaignInfo.accessConstraints[{index}]");
    let Some(ids) = &constraint.ids else {
        return Ok(());
    };
    if ids.is_empty() {
        causes.push(format!(
            "{field}.ids must name at least one id when the operator is SELECTED"
        ));
    }
    for id in ids {
        let exists = match constraint.access_type {
            AccessType::Entitlement => store
                .entitlement(&EntitlementId(id.clone()))
                .await?
                .is_some(),
            AccessType::AccessProfile => store
                .access_profile(&AccessProfileId(id.clone()))
                .await?
                .is_some(),
            AccessType::Role => store.role(&RoleId(id.clone())).await?.is_some(),
        };
        if !exists {
            let kind = match constraint.access_type {
                AccessType::Entitlement => "entitlement",
                AccessType::AccessProfile => "access profile",
                AccessType::Role => "role",
            };
            causes.push(format!("{field}.ids: {kind} {id} does not exist"));
        }
    }
    Ok(())
}

/// The definition after `patch`, or every reason the patch is refused. `touched` paths must be
/// patchable in the campaign's status ([`CampaignStatus::patchable_fields`]).
pub(super) fn apply_patch(
    campaign: &Campaign,
    patch: &CampaignPatch,
    now: DateTime<Utc>,
) -> Result<CampaignDefinition, EngineError> {
    let allowed = campaign.status.patchable_fields();
    let ever_patchable = CampaignStatus::Staged.patchable_fields();
    let mut causes = Vec::new();
    if patch.touched.is_empty() {
        causes.push("the patch changes nothing".to_owned());
    }
    for path in &patch.touched {
        let field = path.trim_start_matches('/');
        if !ever_patchable.contains(&field) {
            causes.push(format!("{path} cannot be patched"));
        } else if !allowed.contains(&field) {
            causes.push(format!(
                "{path} cannot be changed while the campaign is {}",
                campaign.status
            ));
        }
    }
    let mut definition = campaign.definition.clone();
    if let Some(name) = &patch.name {
        definition.name = name.trim().to_owned();
        check_name(&definition.name, &mut causes);
    }
    if let Some(description) = &patch.description {
        definition.description = description.clone();
    }
    if let Some(deadline) = patch.deadline {
        if let Some(d) = deadline {
            if d <= now {
                causes.push(format!(
                    "/deadline must be in the future, got {}",
                    d.to_rfc3339()
                ));
            }
        }
        definition.deadline = deadline;
    }
    if let Some(v) = patch.recommendations_enabled {
        definition.recommendations_enabled = v;
    }
    if let Some(v) = patch.email_notification_enabled {
        definition.email_notification_enabled = v;
    }
    if let Some(v) = patch.auto_revoke_allowed {
        definition.auto_revoke_allowed = v;
    }
    if causes.is_empty() {
        Ok(definition)
    } else {
        Err(EngineError::Invalid {
            message: format!("the patch of campaign {} was refused", campaign.id),
            causes,
        })
    }
}
