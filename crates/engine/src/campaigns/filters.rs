//! Campaign filters: their administration (create, list, read, update, bulk delete) and their
//! application when a campaign generates.
//!
//! Policy:
//! - Only campaign administrators (ORG_ADMIN, CERT_ADMIN) see or change filters; every
//!   change is one store transaction with its audit event (`campaign_filter.created`,
//!   `.updated`, `.deleted`).
//! - System filters (shipped by the migrations) are read-only: an update or delete naming
//!   one is refused (400) and changes nothing.
//! - A bulk delete is all or nothing: an unknown id is a 404 naming it, a system filter a 400
//!   naming it, and nothing is deleted in either case.
//! - A campaign names its filter by id; the id is checked when the campaign is created, and the
//!   filter is read again when it generates. A filter deleted in between makes the generation
//!   fail (the campaign goes to ERROR with an alert naming the filter): a campaign never
//!   silently reviews more than was asked.
//! - At generation the criteria are compiled once per campaign and evaluated in memory on each
//!   page of candidates. The records a criterion needs beyond what a candidate carries (holder
//!   identities, entitlements, accounts) are read once per page, in the page's read stage, by
//!   batch reads, and only for the kinds the filter's criteria name: never per item.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use attest_domain::campaign_filter::{
    validate_criteria, CampaignFilter, CampaignFilterId, CompiledFilter, CriteriaType, Criterion,
    FilterMode, FilterSubject, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};
use attest_domain::certification::*;
use attest_domain::{Account, AccountId, Entitlement, EntitlementId, Identity, IdentityId};
use attest_store::campaign_filters::FilterDeletion;
use attest_store::campaigns::Candidate;
use attest_store::{Store, StoreError};
use serde_json::json;

use super::worker::Failure;
use super::{access, actor_of, audit_event, new_id, Campaigns, EngineError, EngineResult};
use crate::credentials::Caller;

/// A filter as a client writes it, on creation or update. Shapes and enum spellings were
/// checked by the façade; the engine checks the rest (names, lengths, criteria rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterDraft {
    /// Display name (required, at most 255 characters).
    pub name: Option<String>,
    /// Description (at most 2,000 characters).
    pub description: Option<String>,
    /// INCLUSION or EXCLUSION (required).
    pub mode: Option<FilterMode>,
    /// The criteria (at least one).
    pub criteria: Vec<Criterion>,
}

/// A validated draft.
struct Checked {
    name: String,
    description: Option<String>,
    mode: FilterMode,
    criteria: Vec<Criterion>,
}

fn check(draft: FilterDraft) -> EngineResult<Checked> {
    let mut causes = Vec::new();
    let name = draft.name.as_deref().map(str::trim).unwrap_or_default();
    let chars = name.chars().count();
    if chars == 0 {
        causes.push("name: is required".to_owned());
    } else if chars > MAX_NAME_CHARS {
        causes.push(format!(
            "name: must be at most {MAX_NAME_CHARS} characters, got {chars}"
        ));
    }
    if let Some(description) = &draft.description {
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            causes.push(format!(
                "description: must be at most {MAX_DESCRIPTION_CHARS} characters, got {chars}"
            ));
        }
    }
    if draft.mode.is_none() {
        causes.push("mode: is required (INCLUSION or EXCLUSION)".to_owned());
    }
    causes.extend(validate_criteria(&draft.criteria));
    match draft.mode {
        Some(mode) if causes.is_empty() => Ok(Checked {
            name: name.to_owned(),
            description: draft.description,
            mode,
            criteria: draft.criteria,
        }),
        _ => Err(EngineError::Invalid {
            message: "The campaign filter is invalid.".to_owned(),
            causes,
        }),
    }
}

fn filter_audit(
    caller: &Caller,
    at: chrono::DateTime<chrono::Utc>,
    action: &str,
    filter: &CampaignFilter,
) -> AuditEvent {
    audit_event(
        &actor_of(caller),
        at,
        action,
        None,
        None,
        json!({ "filterId": filter.id, "name": filter.name, "mode": filter.mode.as_str() }),
    )
}

fn not_found(id: &CampaignFilterId) -> EngineError {
    EngineError::NotFound(format!("campaign filter {id} not found"))
}

fn read_only(id: &CampaignFilterId, name: &str) -> EngineError {
    EngineError::Invalid {
        message: format!(
            "campaign filter {id} ({name}) is a system filter shipped with Attest and cannot be changed or deleted"
        ),
        causes: vec![format!(
            "id: {id} is a system filter (read-only); create a filter of your own with its criteria instead"
        )],
    }
}

impl Campaigns {
    /// Creates a filter owned by the caller (its owner is shown as the caller's display name).
    pub async fn create_filter(
        &self,
        caller: &Caller,
        draft: FilterDraft,
    ) -> EngineResult<CampaignFilter> {
        access::require_manage(caller)?;
        let checked = check(draft)?;
        let owner = match self.store.identity(&caller.identity_id).await? {
            Some(identity) => identity.display_name.unwrap_or(identity.name),
            None => caller.identity_id.to_string(),
        };
        let now = self.clock.now();
        let filter = CampaignFilter {
            id: CampaignFilterId(new_id()),
            name: checked.name,
            description: checked.description,
            owner: Some(owner),
            owner_id: Some(caller.identity_id.clone()),
            mode: checked.mode,
            criteria: checked.criteria,
            system: false,
            created: now,
            modified: now,
        };
        let audit = filter_audit(caller, now, "campaign_filter.created", &filter);
        self.store.insert_campaign_filter(&filter, &audit).await?;
        Ok(filter)
    }

    /// One filter.
    pub async fn filter(
        &self,
        caller: &Caller,
        id: &CampaignFilterId,
    ) -> EngineResult<CampaignFilter> {
        access::require_manage(caller)?;
        self.store
            .campaign_filter(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// A page of filters (system filters first unless left out) and the total.
    pub async fn filters(
        &self,
        caller: &Caller,
        include_system: bool,
        limit: u32,
        offset: u64,
    ) -> EngineResult<(Vec<CampaignFilter>, u64)> {
        access::require_manage(caller)?;
        Ok(self
            .store
            .list_campaign_filters(include_system, limit, offset)
            .await?)
    }

    /// Replaces a user filter's name, description, mode and criteria.
    pub async fn update_filter(
        &self,
        caller: &Caller,
        id: &CampaignFilterId,
        draft: FilterDraft,
    ) -> EngineResult<CampaignFilter> {
        access::require_manage(caller)?;
        let existing = self
            .store
            .campaign_filter(id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if existing.system {
            return Err(read_only(id, &existing.name));
        }
        let checked = check(draft)?;
        let now = self.clock.now();
        let updated = CampaignFilter {
            name: checked.name,
            description: checked.description,
            mode: checked.mode,
            criteria: checked.criteria,
            modified: now,
            ..existing
        };
        let audit = filter_audit(caller, now, "campaign_filter.updated", &updated);
        if !self.store.update_campaign_filter(&updated, &audit).await? {
            // Deleted meanwhile.
            return Err(not_found(id));
        }
        Ok(updated)
    }

    /// Deletes every listed filter, or none when one is unknown (404) or a system filter (400).
    pub async fn delete_filters(
        &self,
        caller: &Caller,
        ids: &[CampaignFilterId],
    ) -> EngineResult<()> {
        access::require_manage(caller)?;
        let mut unique: Vec<CampaignFilterId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        if unique.is_empty() {
            return Err(EngineError::Invalid {
                message: "The delete request is invalid.".to_owned(),
                causes: vec!["body: list at least one campaign filter id".to_owned()],
            });
        }
        let now = self.clock.now();
        let actor = actor_of(caller);
        let audits: Vec<AuditEvent> = unique
            .iter()
            .map(|id| {
                audit_event(
                    &actor,
                    now,
                    "campaign_filter.deleted",
                    None,
                    None,
                    json!({ "filterId": id }),
                )
            })
            .collect();
        let list = |ids: &[CampaignFilterId]| {
            ids.iter()
                .map(CampaignFilterId::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.store.delete_campaign_filters(&unique, &audits).await? {
            FilterDeletion::Deleted(_) => Ok(()),
            FilterDeletion::Unknown(unknown) => Err(EngineError::NotFound(format!(
                "campaign filter{} not found: {}; nothing was deleted",
                if unknown.len() == 1 { "" } else { "s" },
                list(&unknown)
            ))),
            FilterDeletion::System(system) => Err(EngineError::Invalid {
                message: format!(
                    "system filters cannot be deleted: {}; nothing was deleted",
                    list(&system)
                ),
                causes: system
                    .iter()
                    .map(|id| format!("body: {id} is a system filter (read-only)"))
                    .collect(),
            }),
        }
    }
}

/// Checks the filter a new campaign names, and writes the stored filter's name into the
/// reference (the name a client sends is not trusted).
pub(super) async fn check_campaign_filter(
    store: &dyn Store,
    filter: &mut Option<FilterRef>,
    causes: &mut Vec<String>,
) -> Result<(), StoreError> {
    if let Some(reference) = filter {
        match store
            .campaign_filter(&CampaignFilterId(reference.id.clone()))
            .await?
        {
            Some(found) => reference.name = Some(found.name),
            None => causes.push(format!(
                "filter.id: campaign filter {} does not exist",
                reference.id
            )),
        }
    }
    Ok(())
}

// ---- applying a filter at generation ----

/// Which records a filter's criteria read beyond what a candidate carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Needs {
    /// The holder identities (IDENTITY by name/displayName/email, IDENTITY_ATTRIBUTE).
    pub identities: bool,
    /// The items' entitlements (ENTITLEMENT by attribute, value, description, privileged).
    pub entitlements: bool,
    /// The items' accounts (ACCOUNT by anything but id).
    pub accounts: bool,
}

/// The records of one page of candidates that the filter needs, read with the page.
#[derive(Debug, Default)]
pub(super) struct PageFacts {
    /// Entitlements of the page's entitlement items, by id.
    pub entitlements: HashMap<EntitlementId, Entitlement>,
    /// Accounts, by id.
    pub accounts: HashMap<AccountId, Account>,
}

impl Needs {
    /// Reads what a page needs: the holders' ids go into `identity_ids` (read with the
    /// page's reviewers), entitlements and accounts are read here, one batch each.
    pub async fn read(
        self,
        store: &dyn Store,
        page: &[Candidate],
        identity_ids: &mut HashSet<IdentityId>,
    ) -> Result<PageFacts, StoreError> {
        let mut facts = PageFacts::default();
        if self.identities {
            identity_ids.extend(page.iter().filter_map(|c| c.identity_id.clone()));
        }
        if self.entitlements {
            let ids: HashSet<EntitlementId> = page
                .iter()
                .filter(|c| c.access_type == ItemAccessType::Entitlement)
                .map(|c| EntitlementId(c.access_id.clone()))
                .collect();
            if !ids.is_empty() {
                let ids: Vec<EntitlementId> = ids.into_iter().collect();
                for e in store.entitlements(&ids).await? {
                    facts.entitlements.insert(e.id.clone(), e);
                }
            }
        }
        if self.accounts {
            let ids: HashSet<AccountId> =
                page.iter().filter_map(|c| c.account_id.clone()).collect();
            if !ids.is_empty() {
                let ids: Vec<AccountId> = ids.into_iter().collect();
                for a in store.accounts(&ids).await? {
                    facts.accounts.insert(a.id.clone(), a);
                }
            }
        }
        Ok(facts)
    }
}

/// A campaign's filter during generation: compiled once, with counts for the alert.
pub(super) struct ItemFilter {
    id: CampaignFilterId,
    name: String,
    mode: FilterMode,
    compiled: CompiledFilter,
    /// What its criteria read.
    pub needs: Needs,
    /// Candidates of the scope it was asked about.
    seen: u64,
    /// Of those, how many it kept.
    kept: u64,
}

impl ItemFilter {
    /// The filter a campaign names, compiled; `None` without one. A filter deleted since the
    /// campaign was created fails the generation.
    pub async fn resolve(
        store: &dyn Store,
        campaign: &Campaign,
    ) -> Result<Option<ItemFilter>, Failure> {
        let Some(reference) = &campaign.definition.filter else {
            return Ok(None);
        };
        let id = CampaignFilterId(reference.id.clone());
        let Some(filter) = store.campaign_filter(&id).await? else {
            return Err(Failure::Fatal(format!(
                "The campaign's filter {}({id}) no longer exists: it was deleted after the campaign was created, so the campaign was not generated (it would have reviewed more than was asked). Create the campaign again with an existing filter, or without one.",
                reference
                    .name
                    .as_deref()
                    .map(|n| format!("{n} "))
                    .unwrap_or_default()
            )));
        };
        let compiled = CompiledFilter::new(&filter);
        let mut needs = Needs::default();
        for (kind, property) in compiled.leaves() {
            match kind {
                CriteriaType::IdentityAttribute => needs.identities = true,
                CriteriaType::Identity if property != "id" => needs.identities = true,
                CriteriaType::Entitlement
                    if matches!(
                        property,
                        "attribute" | "value" | "description" | "privileged"
                    ) =>
                {
                    needs.entitlements = true
                }
                CriteriaType::Account if property != "id" => needs.accounts = true,
                _ => {}
            }
        }
        Ok(Some(ItemFilter {
            id,
            name: filter.name,
            mode: filter.mode,
            compiled,
            needs,
            seen: 0,
            kept: 0,
        }))
    }

    /// Whether the candidate stays in the campaign.
    pub fn keeps(
        &mut self,
        candidate: &Candidate,
        holders: &HashMap<&IdentityId, &Identity>,
        facts: &PageFacts,
    ) -> bool {
        let subject = Subject {
            c: candidate,
            holder: candidate
                .identity_id
                .as_ref()
                .and_then(|id| holders.get(id).copied()),
            entitlement: if candidate.access_type == ItemAccessType::Entitlement {
                facts
                    .entitlements
                    .get(&EntitlementId(candidate.access_id.clone()))
            } else {
                None
            },
            account: candidate
                .account_id
                .as_ref()
                .and_then(|id| facts.accounts.get(id)),
        };
        let keep = self.compiled.keeps(&subject);
        self.seen += 1;
        if keep {
            self.kept += 1;
        }
        keep
    }

    /// Why generation stops when the filter left nothing (`None` when it left something, or
    /// the scope itself was empty).
    pub fn emptied(&self) -> Option<String> {
        (self.seen > 0 && self.kept == 0).then(|| {
            format!(
                "The campaign's scope is empty after its filter: {} ({}, {}) left none of the {} item{} of the scope.",
                self.name,
                self.id,
                self.mode,
                self.seen,
                if self.seen == 1 { "" } else { "s" }
            )
        })
    }

    /// The INFO alert telling what the filter did.
    pub fn alert(&self) -> CampaignAlert {
        CampaignAlert {
            level: AlertLevel::Info,
            message: format!(
                "Campaign filter {} ({}, {}) kept {} of the {} item{} of the scope.",
                self.name,
                self.id,
                self.mode,
                self.kept,
                self.seen,
                if self.seen == 1 { "" } else { "s" }
            ),
        }
    }
}

/// One candidate as the criteria see it.
struct Subject<'a> {
    c: &'a Candidate,
    holder: Option<&'a Identity>,
    entitlement: Option<&'a Entitlement>,
    account: Option<&'a Account>,
}

fn text(value: Option<&str>) -> Option<Cow<'_, str>> {
    Some(Cow::Borrowed(value.unwrap_or("")))
}

fn flag(value: bool) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(if value { "true" } else { "false" }))
}

impl FilterSubject for Subject<'_> {
    fn value(&self, kind: CriteriaType, property: &str) -> Option<Cow<'_, str>> {
        let c = self.c;
        match kind {
            CriteriaType::Identity | CriteriaType::IdentityAttribute => {
                let id = c.identity_id.as_ref()?;
                if property == "id" {
                    return text(Some(id.as_str()));
                }
                let Some(h) = self.holder else {
                    return text(None);
                };
                match property {
                    "name" => text(Some(&h.name)),
                    "displayName" => text(h.display_name.as_deref()),
                    "email" => text(h.email.as_deref()),
                    "managerId" => text(h.manager_id.as_ref().map(IdentityId::as_str)),
                    "department" => text(h.department.as_deref()),
                    "title" => text(h.title.as_deref()),
                    "location" => text(h.location.as_deref()),
                    "lifecycleState" => text(h.lifecycle_state.as_deref()),
                    "active" => flag(h.active),
                    other => text(h.attributes.get(other).map(String::as_str)),
                }
            }
            CriteriaType::Entitlement => {
                if c.access_type != ItemAccessType::Entitlement {
                    return None;
                }
                match property {
                    "id" => text(Some(&c.access_id)),
                    "name" => text(Some(&c.access_name)),
                    "sourceId" => text(c.source_id.as_ref().map(|s| s.as_str())),
                    "sourceName" => text(c.source_name.as_deref()),
                    "attribute" => text(self.entitlement.and_then(|e| e.attribute.as_deref())),
                    "value" => text(self.entitlement.and_then(|e| e.value.as_deref())),
                    "description" => text(self.entitlement.and_then(|e| e.description.as_deref())),
                    "privileged" => match self.entitlement {
                        Some(e) => flag(e.privileged),
                        None => text(None),
                    },
                    _ => text(None),
                }
            }
            CriteriaType::AccessProfile => {
                if c.access_type != ItemAccessType::AccessProfile {
                    return None;
                }
                match property {
                    "id" => text(Some(&c.access_id)),
                    "name" => text(Some(&c.access_name)),
                    _ => text(None),
                }
            }
            CriteriaType::Role => {
                let (id, name) = if c.access_type == ItemAccessType::Role {
                    (c.access_id.as_str(), c.access_name.as_str())
                } else {
                    (c.role_id.as_ref()?.as_str(), c.holder_name.as_str())
                };
                match property {
                    "id" => text(Some(id)),
                    "name" => text(Some(name)),
                    _ => text(None),
                }
            }
            CriteriaType::Source => {
                let id = c.source_id.as_ref()?;
                match property {
                    "id" => text(Some(id.as_str())),
                    "name" => text(c.source_name.as_deref()),
                    _ => text(None),
                }
            }
            CriteriaType::Account => {
                let id = c.account_id.as_ref()?;
                if property == "id" {
                    return text(Some(id.as_str()));
                }
                let Some(a) = self.account else {
                    return text(None);
                };
                match property {
                    "nativeIdentity" => text(Some(&a.native_identity)),
                    "name" => text(a.name.as_deref()),
                    "disabled" => flag(a.disabled),
                    "locked" => flag(a.locked),
                    "machine" => flag(a.machine),
                    _ => text(None),
                }
            }
            _ => None,
        }
    }
}
