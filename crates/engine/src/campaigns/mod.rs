//! The certification engine: campaigns from creation to completion, reviewers' decisions,
//! reassignment, sign-off and provisioning orders, with the background worker that runs
//! generation, activation, completion, deletion and asynchronous reassignment as
//! certification tasks.
//!
//! Policy: every rule that needs storage lives here (authorization included: who may manage
//! campaigns, who may see a certification). The API façades translate wire shapes into these
//! calls and [`EngineError`]s into their own error bodies; they never decide anything.
//!
//! Layout:
//! - this module: the façade [`Campaigns`], one method per use case, each checking the
//!   caller's rights first (`access`), then the request (`definition`, `decisions`),
//!   then writing through the store in one transaction (with its task and audit events);
//! - `generation`: scope → review items, reviewers and recommendations, streamed in pages;
//! - `worker`: the task loop (claim under a lease, run, record, retry with backoff).
//!
//! Choices where the vendors are silent (kept here so the façades and docs can cite them):
//! - **Who may act on a certification.** Its reviewer (or a member of its reviewing governance
//!   group) and campaign administrators (CERT_ADMIN, ORG_ADMIN) may decide, reassign and sign
//!   off; the audit log records who did. REPORT_ADMIN sees every certification and changes
//!   none (403). Anybody else is told the certification does not exist (404), never shown data.
//! - **Governance-group reviewers.** A certification reviewed by a group has
//!   `reviewer_group` set, and `reviewer` is the group's owner (or, without one, its first
//!   member) so that lists and e-mails have one person to name; every member may act on it.
//!   Items held by a member of the group are not reviewed by the group: they go to that
//!   member's manager (else the campaign owner), recorded as an automatic reassignment. A
//!   reviewer has one certification per campaign (the stores rely on it), so when that manager
//!   is the group's representative, whose certification is the group's, the item goes to the
//!   campaign owner instead.
//! - **Self-review.** An item whose reviewer would be its holder is generated into the
//!   certification of the holder's manager (else the campaign owner), with `reassigned_from`
//!   naming the certification it would have been in and `reassignment_reason` saying why; the
//!   receiving certification's `reassignment` records the same. When the natural reviewer has
//!   no other item, that certification is never created, and `reassigned_from` keeps its id as
//!   a record of where the item would have gone.
//! - **Completion.** When the last certification is signed off, the campaign moves to
//!   COMPLETING in the same call and a COMPLETE_CAMPAIGN task finishes it. An administrator
//!   may complete an ACTIVE campaign once it is past due (a campaign without a deadline is
//!   never "not yet due"), also as a COMPLETE_CAMPAIGN task.
//! - **Deletion** is synchronous (the store removes campaigns in one transaction) and allowed in
//!   every status; audit events and provisioning orders are kept. Unknown ids refuse the whole
//!   call, naming them, and nothing is deleted.

mod access;
mod decisions;
mod definition;
mod filters;
mod generation;
pub mod remediation;
mod reports;
mod scheduler;
mod templates;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;

use attest_domain::campaign::{CampaignEvent, CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::template::TemplateId;
use attest_domain::{Authority, Clock, EntitlementId, Identity, IdentityId, Permission};
use attest_store::campaigns::{
    CertificationRefusal, CertificationScope, ItemDecision, ItemPage, ListQuery, OrderQuery, Page,
    ReassignTarget,
};
use attest_store::templates::{ScheduleAdvance, ScheduledRun};
use attest_store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::Notify;

use crate::credentials::Caller;

pub use filters::FilterDraft;
pub use reports::{
    identity_attribute, Sheet, BATCH as REPORT_BATCH, CHUNK_BYTES as REPORT_CHUNK_BYTES,
    MAX_ATTRIBUTE_COLUMNS, STANDARD_IDENTITY_ATTRIBUTES,
};
pub use templates::TemplateDraft;
pub use worker::{MAX_ATTEMPTS, TASK_LEASE_SECONDS};

/// Most decisions one decide call may carry (SailPoint's limit).
pub const MAX_DECISIONS_PER_CALL: usize = 250;
/// Most items or identities one synchronous reassignment may move.
pub const MAX_SYNC_REASSIGN: usize = 50;
/// Most items or identities one asynchronous reassignment may move.
pub const MAX_ASYNC_REASSIGN: usize = 500;
/// Most certifications one administrator reassignment may move.
pub const MAX_ADMIN_REASSIGN: usize = 250;

/// Why an engine call was refused or failed. Messages are English sentences fit for API
/// clients (they never contain secrets or SQL).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is invalid: a field, a parameter or a state that forbids the action.
    /// `causes` name each offending field or item (shown as SailPoint `causes`).
    #[error("{message}")]
    Invalid {
        /// What was wrong overall.
        message: String,
        /// One entry per offending field or item.
        causes: Vec<String>,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such object, or one the caller may not see (the message names the kind and id).
    #[error("{0}")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shorthand for engine results.
pub type EngineResult<T> = Result<T, EngineError>;

/// A JSON Patch on a campaign, already reduced to the fields it touches. `None` leaves a
/// field alone; for nullable fields, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignPatch {
    /// `/name`.
    pub name: Option<String>,
    /// `/description`.
    pub description: Option<Option<String>>,
    /// `/deadline`.
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// `/recommendationsEnabled`.
    pub recommendations_enabled: Option<bool>,
    /// `/emailNotificationEnabled`.
    pub email_notification_enabled: Option<bool>,
    /// `/autoRevokeAllowed`.
    pub auto_revoke_allowed: Option<bool>,
    /// Every wire path the patch touched, e.g. `["/name", "/deadline"]` — including ones that
    /// are not patchable at all, so the engine can refuse them by name.
    pub touched: Vec<String>,
}

/// The certification engine. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Campaigns {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    settled: Arc<SettledCampaigns>,
    known: Arc<KnownCertifications>,
    remediation: remediation::delivery::ClientCell,
    triggers: crate::triggers::Triggers,
}

impl std::fmt::Debug for Campaigns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaigns").finish_non_exhaustive()
    }
}

impl Campaigns {
    /// A service over `store`, reading time from `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let triggers = crate::triggers::Triggers::new(store.clone(), clock.clone());
        Campaigns {
            store,
            clock,
            wake: Arc::new(Notify::new()),
            // Campaigns are few; certifications are one per reviewer of every running campaign.
            settled: Arc::new(SettledCampaigns::new(4096)),
            known: Arc::new(KnownCertifications::new(65_536)),
            remediation: Default::default(),
            triggers,
        }
    }

    // ---- campaigns (ORG_ADMIN / CERT_ADMIN manage; REPORT_ADMIN reads) ----

    /// Validates and stores a campaign (PENDING) and enqueues its generation.
    pub async fn create(
        &self,
        caller: &Caller,
        definition: CampaignDefinition,
    ) -> EngineResult<Campaign> {
        access::require_manage(caller)?;
        let created = self
            .insert_new_campaign(
                caller.identity_id.clone(),
                &actor_of(caller),
                definition,
                None,
                json!({}),
            )
            .await?;
        created.ok_or_else(|| invalid("the campaign was not created".to_owned()))
    }

    /// The one path every new campaign takes (created by a caller, or generated from a
    /// template now or by its schedule): validates the definition, stores the PENDING campaign
    /// with its CAMPAIGN_CREATE task and `campaign.created` audit event (whose detail gets
    /// `detail`'s fields), and wakes the worker. With `claim`, the campaign is written only
    /// if its schedule occurrence was not claimed before; `None` means it was.
    pub(crate) async fn insert_new_campaign(
        &self,
        owner: IdentityId,
        actor: &Actor,
        definition: CampaignDefinition,
        claim: Option<(TemplateId, DateTime<Utc>, ScheduleAdvance)>,
        detail: serde_json::Value,
    ) -> EngineResult<Option<Campaign>> {
        let definition = definition::validate_new(self.store.as_ref(), definition).await?;
        let now = self.clock.now();
        let id = CampaignId(new_id());
        let campaign = Campaign {
            id: id.clone(),
            status: CampaignStatus::Pending,
            owner,
            created: now,
            modified: now,
            activated: None,
            completed: None,
            alerts: Vec::new(),
            counts: CampaignCounts::default(),
            source_ids: Vec::new(),
            definition,
        };
        let task = self.new_task(
            TaskType::CampaignCreate,
            TaskTarget::Campaign,
            id.as_str(),
            json!({}),
            Vec::new(),
        );
        let mut audit_detail = json!({
            "name": campaign.definition.name,
            "type": campaign.definition.scope.campaign_type().as_str(),
            "taskId": task.id,
        });
        if let (Some(all), Some(extra)) = (audit_detail.as_object_mut(), detail.as_object()) {
            all.extend(extra.clone());
        }
        let audit = audit_event(
            actor,
            now,
            "campaign.created",
            Some(&id),
            None,
            audit_detail,
        );
        match claim {
            None => self.store.insert_campaign(&campaign, &task, &audit).await?,
            Some((template_id, occurrence, advance)) => {
                let run = ScheduledRun {
                    template_id,
                    occurrence,
                    campaign_id: id.clone(),
                };
                let claimed = self
                    .store
                    .insert_scheduled_campaign(&run, &campaign, &task, &audit, advance)
                    .await?;
                if !claimed {
                    return Ok(None);
                }
            }
        }
        self.wake.notify_one();
        Ok(Some(campaign))
    }

    /// One campaign.
    pub async fn campaign(&self, caller: &Caller, id: &CampaignId) -> EngineResult<Campaign> {
        access::require_read(caller)?;
        self.load_campaign(id).await
    }

    /// Campaigns matching `query`.
    pub async fn campaigns(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> EngineResult<Page<Campaign>> {
        access::require_read(caller)?;
        Ok(self.store.list_campaigns(query).await?)
    }

    /// Applies a patch, refusing fields the campaign's status does not allow.
    pub async fn patch(
        &self,
        caller: &Caller,
        id: &CampaignId,
        patch: CampaignPatch,
    ) -> EngineResult<Campaign> {
        access::require_manage(caller)?;
        let campaign = self.load_campaign(id).await?;
        let now = self.clock.now();
        let updated = definition::apply_patch(&campaign, &patch, now)?;
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign.updated",
            Some(id),
            None,
            json!({ "paths": patch.touched }),
        );
        let stored = self
            .store
            .update_campaign_definition(id, campaign.status, &updated, now, &audit)
            .await?;
        if !stored {
            return Err(changed_concurrently(id));
        }
        self.load_campaign(id).await
    }

    /// STAGED → ACTIVATING (deadline must be in the future); activation runs as a task.
    pub async fn activate(&self, caller: &Caller, id: &CampaignId) -> EngineResult<()> {
        access::require_manage(caller)?;
        let campaign = self.load_campaign(id).await?;
        let next = campaign
            .status
            .after(CampaignEvent::ActivationRequested)
            .map_err(|_| {
                invalid(format!(
                    "campaign {id} is {}: only a STAGED campaign can be activated",
                    campaign.status
                ))
            })?;
        let now = self.clock.now();
        if let Some(deadline) = campaign.definition.deadline {
            if deadline <= now {
                return Err(EngineError::Invalid {
                    message: format!(
                        "campaign {id} cannot be activated: its deadline {} has passed",
                        deadline.to_rfc3339()
                    ),
                    causes: vec!["deadline must be in the future".to_owned()],
                });
            }
        }
        let task = self.new_task(
            TaskType::ActivateCampaign,
            TaskTarget::Campaign,
            id.as_str(),
            json!({}),
            Vec::new(),
        );
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign.activation_requested",
            Some(id),
            None,
            json!({ "taskId": task.id }),
        );
        let moved = self
            .store
            .transition_campaign(id, campaign.status, next, now, &[], Some(&task), &audit)
            .await?;
        if !moved {
            return Err(changed_concurrently(id));
        }
        self.wake.notify_one();
        Ok(())
    }

    /// ACTIVE → COMPLETING; undecided items get `action`; runs as a task.
    ///
    /// The campaign must be ACTIVE and past its deadline (SailPoint: completion by an
    /// administrator is for campaigns that are past due); REVOKE needs `autoRevokeAllowed`.
    pub async fn complete(
        &self,
        caller: &Caller,
        id: &CampaignId,
        action: Decision,
    ) -> EngineResult<()> {
        access::require_manage(caller)?;
        let campaign = self.load_campaign(id).await?;
        let next = campaign
            .status
            .after(CampaignEvent::CompletionRequested)
            .map_err(|_| {
                invalid(format!(
                    "campaign {id} is {}: only an ACTIVE campaign can be completed",
                    campaign.status
                ))
            })?;
        let now = self.clock.now();
        if let Some(deadline) = campaign.definition.deadline {
            if now <= deadline {
                return Err(invalid(format!(
                    "campaign {id} is not past due: it can be completed by an administrator only after its deadline {}",
                    deadline.to_rfc3339()
                )));
            }
        }
        if action == Decision::Revoke && !campaign.definition.auto_revoke_allowed {
            return Err(EngineError::Invalid {
                message: format!(
                    "campaign {id} does not allow automatic revocation, so undecided items cannot be revoked at completion"
                ),
                causes: vec![
                    "autoCompleteAction REVOKE needs a campaign with autoRevokeAllowed true".to_owned(),
                ],
            });
        }
        let actor = actor_of(caller);
        let task = self.new_task(
            TaskType::CompleteCampaign,
            TaskTarget::Campaign,
            id.as_str(),
            json!({ "action": action.as_str(), "actor": actor }),
            Vec::new(),
        );
        let audit = audit_event(
            &actor,
            now,
            "campaign.completion_requested",
            Some(id),
            None,
            json!({ "action": action.as_str(), "taskId": task.id }),
        );
        let moved = self
            .store
            .transition_campaign(id, campaign.status, next, now, &[], Some(&task), &audit)
            .await?;
        if !moved {
            return Err(changed_concurrently(id));
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Deletes campaigns (unknown ids are named in the error; nothing is deleted then).
    ///
    /// Deletion is synchronous: when this returns, the campaigns and everything in them are
    /// gone (audit events and provisioning orders stay).
    pub async fn delete(&self, caller: &Caller, ids: &[CampaignId]) -> EngineResult<()> {
        access::require_manage(caller)?;
        if ids.is_empty() {
            return Err(invalid("name at least one campaign to delete".to_owned()));
        }
        let mut unique: Vec<CampaignId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        let mut unknown = Vec::new();
        let mut found = Vec::new();
        for id in &unique {
            match self.store.campaign(id).await? {
                Some(c) => found.push(c),
                None => unknown.push(id.to_string()),
            }
        }
        if !unknown.is_empty() {
            return Err(EngineError::NotFound(format!(
                "campaign{} not found: {}; nothing was deleted",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", ")
            )));
        }
        let now = self.clock.now();
        let actor = actor_of(caller);
        let audits: Vec<AuditEvent> = found
            .iter()
            .map(|c| {
                audit_event(
                    &actor,
                    now,
                    "campaign.deleted",
                    Some(&c.id),
                    None,
                    json!({ "name": c.definition.name, "status": c.status.as_str() }),
                )
            })
            .collect();
        self.store.delete_campaigns(&unique, &audits).await?;
        Ok(())
    }

    /// Moves whole certifications of a campaign to another reviewer, as an ADMIN_REASSIGN task.
    pub async fn admin_reassign(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
        certifications: &[CertificationId],
        to: &attest_domain::IdentityId,
        reason: &str,
    ) -> EngineResult<Task> {
        access::require_manage(caller)?;
        let stored = self.load_campaign(campaign).await?;
        if !matches!(
            stored.status,
            CampaignStatus::Staged | CampaignStatus::Active
        ) {
            return Err(invalid(format!(
                "campaign {campaign} is {}: certifications can be reassigned only while it is STAGED or ACTIVE",
                stored.status
            )));
        }
        let mut causes = Vec::new();
        if certifications.is_empty() || certifications.len() > MAX_ADMIN_REASSIGN {
            causes.push(format!(
                "certificationIds must hold 1 to {MAX_ADMIN_REASSIGN} ids, got {}",
                certifications.len()
            ));
        }
        if reason.trim().is_empty() {
            causes.push("reason is required".to_owned());
        }
        if self.store.identity(to).await?.is_none() {
            causes.push(format!("reassignTo: identity {to} does not exist"));
        }
        let mut trail = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in certifications {
            if !seen.insert(id) {
                causes.push(format!("certification {id} is named more than once"));
                continue;
            }
            match self.store.certification(id).await? {
                Some(c) if c.campaign_id == *campaign => {
                    if c.phase == CertificationPhase::Signed {
                        causes.push(format!("certification {id} is signed off and read-only"));
                    } else if c.reviewer == *to {
                        causes.push(format!("certification {id} is already reviewed by {to}"));
                    } else {
                        trail.push(ReassignmentTrail {
                            previous_owner: c.reviewer.to_string(),
                            new_owner: to.to_string(),
                            reassignment_type: "MANUAL_REASSIGNMENT".to_owned(),
                        });
                    }
                }
                _ => causes.push(format!("certification {id} is not in campaign {campaign}")),
            }
        }
        if !causes.is_empty() {
            return Err(EngineError::Invalid {
                message: "the reassignment was refused; nothing was changed".to_owned(),
                causes,
            });
        }
        let actor = actor_of(caller);
        let task = self.new_task(
            TaskType::AdminReassign,
            TaskTarget::Campaign,
            campaign.as_str(),
            json!({
                "certificationIds": certifications,
                "reassignTo": to,
                "reason": reason,
                "actor": actor,
            }),
            trail,
        );
        let audit = audit_event(
            &actor,
            self.clock.now(),
            "campaign.reassignment_requested",
            Some(campaign),
            None,
            json!({
                "certificationIds": certifications,
                "reassignTo": to,
                "reason": reason,
                "taskId": task.id,
            }),
        );
        self.store.insert_task(&task, Some(&audit)).await?;
        self.wake.notify_one();
        Ok(task)
    }

    // ---- certifications (administrators, report readers, and each reviewer for their own) ----

    /// Certifications the caller may see (`reviewer_only`: only those the caller reviews, as
    /// `reviewer-identity=me` asks).
    pub async fn certifications(
        &self,
        caller: &Caller,
        reviewer_only: bool,
        query: &ListQuery,
    ) -> EngineResult<Page<Certification>> {
        if access::reads_everything(caller) {
            let scope = if reviewer_only {
                CertificationScope::ReviewedBy(caller.identity_id.clone())
            } else {
                CertificationScope::All
            };
            return Ok(self.store.list_certifications(&scope, query).await?);
        }
        // A reviewer sees a certification once its campaign is activated.
        let query = access::and_also(query, access::not_staged());
        let scope = CertificationScope::ReviewedBy(caller.identity_id.clone());
        Ok(self.store.list_certifications(&scope, &query).await?)
    }

    /// One certification the caller may see.
    pub async fn certification(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<Certification> {
        Ok(self.visible_certification(caller, id).await?.0)
    }

    /// Items of a certification, optionally narrowed to some access ids.
    pub async fn items(
        &self,
        caller: &Caller,
        id: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> EngineResult<ItemPage> {
        // Read with the page, and checked before any of it leaves.
        let page = self
            .store
            .item_page(id, access_ids, query)
            .await?
            .ok_or_else(|| certification_not_found(id))?;
        self.check_visible(caller, &page.certification).await?;
        Ok(page)
    }

    /// The items of a certification the caller may see, without what showing them needs (for
    /// tallies over them).
    pub async fn item_list(
        &self,
        caller: &Caller,
        id: &CertificationId,
        query: &ListQuery,
    ) -> EngineResult<Page<ReviewItem>> {
        self.visible_certification(caller, id).await?;
        Ok(self.store.list_items(id, None, query).await?)
    }

    /// Permissions of an item's entitlement (empty for other access kinds), filtered in memory
    /// on `target` and `rights` (a list: the rights split on `,` and `;`), case-insensitively.
    pub async fn item_permissions(
        &self,
        caller: &Caller,
        id: &CertificationId,
        item: ReviewItemId,
        query: &ListQuery,
    ) -> EngineResult<Page<Permission>> {
        self.visible_certification(caller, id).await?;
        let stored = self.store.item(id, item).await?.ok_or_else(|| {
            EngineError::NotFound(format!("item {item} not found in certification {id}"))
        })?;
        let all = if stored.access_type == ItemAccessType::Entitlement {
            self.store
                .entitlement_permissions(&EntitlementId(stored.access_id.clone()))
                .await?
        } else {
            Vec::new()
        };
        let all: Vec<Permission> = match &query.filter {
            Some(filter) => all
                .into_iter()
                .filter(|p| attest_query::filter_matches(filter, &access::PermissionRecord(p)))
                .collect(),
            None => all,
        };
        let total = query.count.then_some(all.len() as u64);
        let items = all
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(query.limit as usize)
            .collect();
        Ok(Page { items, total })
    }

    /// Applies 1–250 decisions atomically (checked against the comment requirement).
    ///
    /// The campaign's comment requirement comes from [`Campaigns::settled_campaign`]; that the
    /// campaign is still ACTIVE is checked again by the store inside the decision's own
    /// transaction, so a decision never lands in a campaign that has moved on.
    ///
    /// A certification is read once: after that, the engine remembers its campaign (which
    /// never changes) and who reviews it directly. The store checks in the decision's
    /// transaction that the certification is still there, ACTIVE, in an ACTIVE campaign, and,
    /// for a caller deciding as its reviewer, still reviewed by them; one that is not is
    /// forgotten here and looked up again.
    pub async fn decide(
        &self,
        caller: &Caller,
        id: &CertificationId,
        decisions: Vec<ItemDecision>,
    ) -> EngineResult<Certification> {
        if let Some(known) = self.known.get(id) {
            let as_reviewer = known.reviewer.as_ref() == Some(&caller.identity_id);
            if as_reviewer || caller.has(Authority::CertAdmin) {
                match self
                    .apply_decisions(caller, id, &known.campaign, as_reviewer, &decisions)
                    .await?
                {
                    Err(CertificationRefusal::NotFound) => self.known.forget(id),
                    outcome => return outcome.map_err(|r| refusal(id, r)),
                }
            }
        }
        let certification = self.actable_certification(caller, id).await?;
        let known = KnownCertification {
            campaign: certification.campaign_id,
            reviewer: certification
                .reviewer_group
                .is_none()
                .then_some(certification.reviewer),
        };
        self.known.put(id.clone(), known.clone());
        let as_reviewer = known.reviewer.as_ref() == Some(&caller.identity_id);
        let outcome = self
            .apply_decisions(caller, id, &known.campaign, as_reviewer, &decisions)
            .await?;
        outcome.map_err(|r| refusal(id, r))
    }

    /// Checks `decisions` against the comment requirement of `campaign` (which must be ACTIVE)
    /// and has the store apply them, as the certification's reviewer when `as_reviewer`.
    async fn apply_decisions(
        &self,
        caller: &Caller,
        id: &CertificationId,
        campaign: &CampaignId,
        as_reviewer: bool,
        decisions: &[ItemDecision],
    ) -> EngineResult<Result<Certification, CertificationRefusal>> {
        let campaign = self.decidable_campaign(id, campaign).await?;
        let now = self.clock.now();
        decisions::check_decisions(&campaign.definition, decisions, now)?;
        let actor = actor_of(caller);
        let outcome = if as_reviewer {
            let reviewer = &caller.identity_id;
            self.store
                .decide_as_reviewer(id, reviewer, decisions, &actor, now)
                .await?
        } else {
            self.store.decide(id, decisions, &actor, now).await?
        };
        Ok(outcome)
    }

    /// The settled campaign `campaign` of certification `id`, which must be ACTIVE as far as
    /// the engine knows (the store checks again when it writes).
    async fn decidable_campaign(
        &self,
        id: &CertificationId,
        campaign: &CampaignId,
    ) -> EngineResult<Arc<Campaign>> {
        let campaign = self
            .settled_campaign(campaign)
            .await?
            .ok_or_else(|| certification_not_found(id))?;
        require_active(id, &campaign)?;
        Ok(campaign)
    }

    /// Reassigns up to 50 items or identities now.
    pub async fn reassign(
        &self,
        caller: &Caller,
        id: &CertificationId,
        targets: Vec<ReassignTarget>,
        to: &attest_domain::IdentityId,
        reason: &str,
    ) -> EngineResult<Certification> {
        let certification = self.actable_certification(caller, id).await?;
        self.open_campaign_of(&certification).await?;
        decisions::check_reassign(
            self.store.as_ref(),
            &certification,
            &targets,
            to,
            reason,
            MAX_SYNC_REASSIGN,
        )
        .await?;
        let outcome = self
            .store
            .reassign(
                id,
                &targets,
                to,
                reason,
                &actor_of(caller),
                self.clock.now(),
            )
            .await?;
        outcome.map_err(|r| refusal(id, r))
    }

    /// Reassigns up to 500 items or identities as a REASSIGN task.
    pub async fn reassign_async(
        &self,
        caller: &Caller,
        id: &CertificationId,
        targets: Vec<ReassignTarget>,
        to: &attest_domain::IdentityId,
        reason: &str,
    ) -> EngineResult<Task> {
        let certification = self.actable_certification(caller, id).await?;
        self.open_campaign_of(&certification).await?;
        decisions::check_reassign(
            self.store.as_ref(),
            &certification,
            &targets,
            to,
            reason,
            MAX_ASYNC_REASSIGN,
        )
        .await?;
        let actor = actor_of(caller);
        let trail = vec![ReassignmentTrail {
            previous_owner: certification.reviewer.to_string(),
            new_owner: to.to_string(),
            reassignment_type: "MANUAL_REASSIGNMENT".to_owned(),
        }];
        let task = self.new_task(
            TaskType::Reassign,
            TaskTarget::Certification,
            id.as_str(),
            json!({
                "targets": worker::targets_to_json(&targets),
                "reassignTo": to,
                "reason": reason,
                "actor": actor,
            }),
            trail,
        );
        let audit = audit_event(
            &actor,
            self.clock.now(),
            "certification.reassignment_requested",
            Some(&certification.campaign_id),
            Some(id),
            json!({
                "targets": worker::targets_to_json(&targets),
                "reassignTo": to,
                "reason": reason,
                "taskId": task.id,
            }),
        );
        self.store.insert_task(&task, Some(&audit)).await?;
        self.wake.notify_one();
        Ok(task)
    }

    /// Signs a certification off; completes the campaign when it was the last one.
    pub async fn sign_off(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<Certification> {
        let certification = self.actable_certification(caller, id).await?;
        let campaign = self.open_campaign_of(&certification).await?;
        let actor = actor_of(caller);
        let now = self.clock.now();
        let (signed, outcome) = self
            .store
            .sign_off(id, &actor, now)
            .await?
            .map_err(|r| refusal(id, r))?;
        if outcome.campaign_all_signed {
            self.request_completion(&campaign.id, Decision::Approve, &actor)
                .await?;
        }
        Ok(signed)
    }

    /// The identities that may act on a certification.
    pub async fn reviewers(
        &self,
        caller: &Caller,
        id: &CertificationId,
        query: &ListQuery,
    ) -> EngineResult<Page<Identity>> {
        self.visible_certification(caller, id).await?;
        Ok(self.store.certification_reviewers(id, query).await?)
    }

    // ---- summaries ----

    /// Decision counters of a certification (read from counters, never by scanning).
    pub async fn decision_summary(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<Certification> {
        Ok(self.visible_certification(caller, id).await?.0)
    }

    /// Identity summaries of a certification.
    pub async fn identity_summaries(
        &self,
        caller: &Caller,
        id: &CertificationId,
        query: &ListQuery,
    ) -> EngineResult<Page<IdentitySummary>> {
        self.visible_certification(caller, id).await?;
        Ok(self.store.list_identity_summaries(id, query).await?)
    }

    /// One identity summary.
    pub async fn identity_summary(
        &self,
        caller: &Caller,
        id: &CertificationId,
        summary: IdentitySummaryId,
    ) -> EngineResult<IdentitySummary> {
        self.visible_certification(caller, id).await?;
        self.store
            .identity_summary(id, summary)
            .await?
            .ok_or_else(|| {
                EngineError::NotFound(format!(
                    "identity summary {summary} not found in certification {id}"
                ))
            })
    }

    /// Distinct access items of one type in a certification.
    pub async fn access_summaries(
        &self,
        caller: &Caller,
        id: &CertificationId,
        access_type: ItemAccessType,
        query: &ListQuery,
    ) -> EngineResult<Page<ReviewItem>> {
        self.visible_certification(caller, id).await?;
        Ok(self
            .store
            .list_access_summaries(id, access_type, query)
            .await?)
    }

    // ---- tasks ----

    /// One certification task (administrators, or the reviewer of its certification).
    pub async fn task(&self, caller: &Caller, id: &TaskId) -> EngineResult<Task> {
        let not_found = || EngineError::NotFound(format!("task {id} not found"));
        let task = self.store.task(id).await?.ok_or_else(not_found)?;
        if task.task_type == TaskType::CampaignReport {
            // Report runs are followed through the campaign's report list.
            return Err(not_found());
        }
        if access::reads_everything(caller) {
            return Ok(task);
        }
        let reviews = task.target_type == TaskTarget::Certification
            && self
                .store
                .is_reviewer(
                    &CertificationId(task.target_id.clone()),
                    &caller.identity_id,
                )
                .await?;
        if reviews {
            Ok(task)
        } else {
            Err(not_found())
        }
    }

    /// Certification tasks matching `query`.
    ///
    /// Administrators and report readers list every task; anybody else lists the tasks of the
    /// certifications they review (SailPoint: "only certification tasks you are authorized to
    /// review will be returned"), whatever else the filter says.
    pub async fn tasks(&self, caller: &Caller, query: &ListQuery) -> EngineResult<Page<Task>> {
        // Report runs are followed through the campaign's report list, not as certification
        // tasks (their kind is not one the SailPoint task endpoints know).
        let query = &access::and_also(query, access::certification_task_types());
        if access::reads_everything(caller) {
            return Ok(self.store.list_tasks(query).await?);
        }
        let mine = self.reviewed_certification_ids(caller).await?;
        if mine.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                total: query.count.then_some(0),
            });
        }
        let query = access::and_also(query, access::target_in(mine));
        Ok(self.store.list_tasks(&query).await?)
    }

    /// Ids of the certifications a (non-administrator) caller reviews and may see.
    async fn reviewed_certification_ids(&self, caller: &Caller) -> EngineResult<Vec<String>> {
        const PAGE: u32 = 1_000;
        let scope = CertificationScope::ReviewedBy(caller.identity_id.clone());
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let query = ListQuery {
                filter: Some(access::not_staged()),
                sort: Vec::new(),
                limit: PAGE,
                offset,
                count: false,
            };
            let page = self.store.list_certifications(&scope, &query).await?;
            let n = page.items.len();
            ids.extend(page.items.into_iter().map(|c| c.id.0));
            if n < PAGE as usize {
                return Ok(ids);
            }
            offset += PAGE as u64;
        }
    }

    /// QUEUED / IN_PROGRESS tasks of a certification (beta `tasks-pending`).
    pub async fn pending_tasks(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<Vec<Task>> {
        self.visible_certification(caller, id).await?;
        Ok(self.store.tasks_of(id.as_str(), true).await?)
    }

    // ---- remediation ----

    /// Provisioning orders (ORG_ADMIN / CERT_ADMIN).
    pub async fn orders(
        &self,
        caller: &Caller,
        query: &OrderQuery,
    ) -> EngineResult<Page<ProvisioningOrder>> {
        access::require_manage(caller)?;
        Ok(self.store.list_orders(query).await?)
    }

    /// Audit events of a campaign, oldest first (administrators and report readers).
    pub async fn audit_events(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
        limit: u32,
        offset: u64,
    ) -> EngineResult<Vec<AuditEvent>> {
        access::require_read(caller)?;
        Ok(self.store.audit_events(campaign, limit, offset).await?)
    }

    // ---- worker ----

    /// Runs due tasks until `shutdown` resolves: claims one under a lease, runs it, records
    /// the outcome, retries failures with backoff. Several workers (and nodes) may run at once.
    pub async fn run_worker(
        &self,
        worker_id: String,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) {
        worker::run_worker(self, worker_id, shutdown).await
    }

    /// Runs every task that is due now, one after another, and returns how many ran (tests
    /// and the benchmark drive the engine with this instead of a background worker).
    pub async fn run_due_tasks(&self) -> EngineResult<usize> {
        worker::run_due_tasks(self).await
    }

    /// Event trigger subscriptions and delivery; the worker of [`Campaigns::run_worker`]
    /// delivers their events.
    pub fn triggers(&self) -> &crate::triggers::Triggers {
        &self.triggers
    }

    // ---- helpers ----

    /// A campaign for what no longer changes once it is ACTIVE: its whole definition but the
    /// `deadline` (name, description, scope, comment requirement, switches). Campaigns read
    /// ACTIVE, COMPLETING or COMPLETED are kept in memory and answered from there, so their
    /// `status`, counters and deadline may be stale: use it to render and to check decisions
    /// against the comment requirement, never to decide what state a campaign is in.
    pub async fn settled_campaign(&self, id: &CampaignId) -> EngineResult<Option<Arc<Campaign>>> {
        if let Some(campaign) = self.settled.get(id) {
            return Ok(Some(campaign));
        }
        let Some(campaign) = self.store.campaign(id).await? else {
            return Ok(None);
        };
        let campaign = Arc::new(campaign);
        if matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Completing | CampaignStatus::Completed
        ) {
            self.settled.put(campaign.id.clone(), Arc::clone(&campaign));
        }
        Ok(Some(campaign))
    }

    async fn load_campaign(&self, id: &CampaignId) -> EngineResult<Campaign> {
        self.store
            .campaign(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("campaign {id} not found")))
    }

    /// The certification, if the caller may see it, and whether the caller reviews it.
    async fn visible_certification(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<(Certification, bool)> {
        let certification = self
            .store
            .certification(id)
            .await?
            .ok_or_else(|| certification_not_found(id))?;
        let reviews = self.check_visible(caller, &certification).await?;
        Ok((certification, reviews))
    }

    /// Refuses, as not found, a certification the caller may not see; says whether the caller
    /// reviews it.
    async fn check_visible(
        &self,
        caller: &Caller,
        certification: &Certification,
    ) -> EngineResult<bool> {
        // The reviewer is on the row; only a governance group's membership needs the store.
        let reviews = certification.reviewer == caller.identity_id
            || (certification.reviewer_group.is_some()
                && self
                    .store
                    .is_reviewer(&certification.id, &caller.identity_id)
                    .await?);
        let readable = access::reads_everything(caller)
            || (reviews && certification.phase != CertificationPhase::Staged);
        if readable {
            Ok(reviews)
        } else {
            Err(certification_not_found(&certification.id))
        }
    }

    /// The certification, if the caller may change it (its reviewer or an administrator).
    async fn actable_certification(
        &self,
        caller: &Caller,
        id: &CertificationId,
    ) -> EngineResult<Certification> {
        let (certification, reviews) = self.visible_certification(caller, id).await?;
        if reviews || caller.has(Authority::CertAdmin) {
            Ok(certification)
        } else {
            Err(EngineError::Forbidden(format!(
                "only the reviewer of certification {id} or a campaign administrator can change it"
            )))
        }
    }

    /// The campaign of a certification, which must be ACTIVE for reviewers' work.
    async fn open_campaign_of(&self, certification: &Certification) -> EngineResult<Campaign> {
        let campaign = self.load_campaign(&certification.campaign_id).await?;
        require_active(&certification.id, &campaign)?;
        Ok(campaign)
    }

    /// ACTIVE → COMPLETING with its COMPLETE_CAMPAIGN task; a no-op when another call moved
    /// the campaign first.
    async fn request_completion(
        &self,
        id: &CampaignId,
        action: Decision,
        actor: &Actor,
    ) -> EngineResult<()> {
        let next = CampaignStatus::Active
            .after(CampaignEvent::CompletionRequested)
            .map_err(|e| invalid(e.to_string()))?;
        let now = self.clock.now();
        let task = self.new_task(
            TaskType::CompleteCampaign,
            TaskTarget::Campaign,
            id.as_str(),
            json!({ "action": action.as_str(), "actor": actor }),
            Vec::new(),
        );
        let audit = audit_event(
            actor,
            now,
            "campaign.completion_requested",
            Some(id),
            None,
            json!({ "reason": "every certification is signed off", "taskId": task.id }),
        );
        let moved = self
            .store
            .transition_campaign(
                id,
                CampaignStatus::Active,
                next,
                now,
                &[],
                Some(&task),
                &audit,
            )
            .await?;
        if moved {
            self.wake.notify_one();
        }
        Ok(())
    }

    fn new_task(
        &self,
        task_type: TaskType,
        target_type: TaskTarget,
        target_id: &str,
        payload: serde_json::Value,
        reassignment_trail: Vec<ReassignmentTrail>,
    ) -> Task {
        let now = self.clock.now();
        Task {
            id: TaskId(new_id()),
            task_type,
            target_type,
            target_id: target_id.to_owned(),
            status: TaskStatus::Queued,
            errors: Vec::new(),
            payload,
            reassignment_trail,
            attempts: 0,
            created: now,
            run_after: now,
        }
    }
}

/// A new id: 32 lower-case hex digits, as SailPoint spells ids.
pub(crate) fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The audit actor for a caller.
fn actor_of(caller: &Caller) -> Actor {
    Actor {
        identity_id: Some(caller.identity_id.clone()),
        client_id: Some(caller.client_id.to_string()),
    }
}

fn audit_event(
    actor: &Actor,
    at: DateTime<Utc>,
    action: &str,
    campaign: Option<&CampaignId>,
    certification: Option<&CertificationId>,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.clone(),
        action: action.to_owned(),
        campaign_id: campaign.cloned(),
        certification_id: certification.cloned(),
        item_id: None,
        detail,
    }
}

fn invalid(message: String) -> EngineError {
    EngineError::Invalid {
        message,
        causes: Vec::new(),
    }
}

fn changed_concurrently(id: &CampaignId) -> EngineError {
    invalid(format!(
        "campaign {id} changed status while this request was handled; reload it and try again"
    ))
}

/// Turns a store's refusal of a certification write into an API error.
/// Certification `id` can be changed only while its campaign is ACTIVE.
fn require_active(id: &CertificationId, campaign: &Campaign) -> EngineResult<()> {
    if campaign.status == CampaignStatus::Active {
        Ok(())
    } else {
        Err(invalid(format!(
            "certification {id} cannot be changed: its campaign is {}, not ACTIVE",
            campaign.status
        )))
    }
}

fn refusal(id: &CertificationId, refusal: CertificationRefusal) -> EngineError {
    match refusal {
        CertificationRefusal::NotFound => certification_not_found(id),
        CertificationRefusal::NotActive(CertificationPhase::Signed) => {
            invalid(format!("certification {id} is signed off and read-only"))
        }
        CertificationRefusal::NotActive(phase) => invalid(format!(
            "certification {id} is {phase}: it can be changed only while ACTIVE"
        )),
        CertificationRefusal::CampaignNotActive(status) => invalid(format!(
            "certification {id} cannot be changed: its campaign is {status}, not ACTIVE"
        )),
        CertificationRefusal::UnknownItem(item) => {
            let cause = format!("item {item} is not in certification {id}");
            EngineError::Invalid {
                message: cause.clone(),
                causes: vec![cause],
            }
        }
        CertificationRefusal::UnknownIdentity(identity) => {
            let cause = format!("identity {identity} is not in certification {id}");
            EngineError::Invalid {
                message: cause.clone(),
                causes: vec![cause],
            }
        }
        CertificationRefusal::Undecided(n) => {
            let message = if n == 1 {
                "1 item is undecided".to_owned()
            } else {
                format!("{n} items are undecided")
            };
            EngineError::Invalid {
                causes: vec![format!(
                    "certification {id} cannot be signed off: {message}"
                )],
                message,
            }
        }
    }
}

/// The identity that must exist, or an `Invalid` cause naming it.
async fn identity_exists(store: &dyn Store, id: &IdentityId) -> Result<bool, StoreError> {
    Ok(store.identity(id).await?.is_some())
}

/// What the engine remembers of a certification for decisions (see [`Campaigns::decide`]).
#[derive(Clone)]
struct KnownCertification {
    /// Its campaign, which never changes.
    campaign: CampaignId,
    /// Who reviews it, when an identity does directly (not a governance group); only ever a
    /// premise, which the store checks again when it writes.
    reviewer: Option<IdentityId>,
}

/// Certifications read for decisions, by id.
type KnownCertifications = Remembered<CertificationId, KnownCertification>;

/// Campaigns whose definitions have settled (see [`Campaigns::settled_campaign`]), by id. A
/// campaign id is never reused, so an entry is never wrong about what it holds.
type SettledCampaigns = Remembered<CampaignId, Arc<Campaign>>;

/// A map the engine keeps across calls, shared by its clones; emptied when it reaches its
/// capacity, so that memory stays bounded.
struct Remembered<K, V> {
    map: std::sync::Mutex<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Eq + std::hash::Hash, V: Clone> Remembered<K, V> {
    fn new(capacity: usize) -> Self {
        Remembered {
            map: std::sync::Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, value);
    }

    fn forget(&self, key: &K) {
        self.lock().remove(key);
    }
}

/// The answer for a certification that does not exist or that the caller may not see.
fn certification_not_found(id: &CertificationId) -> EngineError {
    EngineError::NotFound(format!("certification {id} not found"))
}
