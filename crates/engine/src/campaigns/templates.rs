//! Campaign templates and their schedules: create, read, list, update, delete, generate now,
//! and the schedule's get, set and delete.
//!
//! Policy: a template's campaign is checked exactly as a new campaign is (`definition`), plus
//! its date placeholders; a campaign generated from a template, now or by the schedule, takes
//! the one creation path ([`Campaigns::insert_new_campaign`]), so generation, activation,
//! tasks and audit behave as for any campaign. Only administrators (ORG_ADMIN, CERT_ADMIN)
//! see or change templates. The scheduler itself is in `scheduler`.

use attest_domain::certification::{Campaign, CampaignDefinition};
use attest_domain::schedule::{Schedule, Tz};
use attest_domain::template::{
    check_placeholders, generated_definition, CampaignTemplate, DeadlineDuration, TemplateId,
};
use attest_store::campaigns::{ListQuery, Page};
use serde_json::json;

use super::{
    access, actor_of, audit_event, definition, new_id, Campaigns, EngineError, EngineResult,
};
use crate::credentials::Caller;

/// Longest template name, in characters.
const MAX_NAME_CHARS: usize = 255;

/// What an administrator sets on a template (on creation, or the whole template after a
/// patch).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDraft {
    /// The template's name.
    pub name: String,
    /// The template's description.
    pub description: String,
    /// ISO-8601 duration from generation to the generated campaign's deadline.
    pub deadline_duration: Option<String>,
    /// The campaign to generate (name and description may hold date placeholders).
    pub campaign: CampaignDefinition,
}

fn template_not_found(id: &TemplateId) -> EngineError {
    EngineError::NotFound(format!("campaign template {id} not found"))
}

impl Campaigns {
    /// Checks a draft: its own fields, then its campaign as campaign creation checks one, with
    /// every cause of the campaign prefixed by `campaign.`.
    async fn validate_draft(&self, mut draft: TemplateDraft) -> EngineResult<TemplateDraft> {
        let mut causes = Vec::new();
        draft.name = draft.name.trim().to_owned();
        let chars = draft.name.chars().count();
        if chars == 0 {
            causes.push("name: is required".to_owned());
        } else if chars > MAX_NAME_CHARS {
            causes.push(format!(
                "name: must be at most {MAX_NAME_CHARS} characters, got {chars}"
            ));
        }
        if let Some(duration) = &draft.deadline_duration {
            if let Err(e) = DeadlineDuration::parse(duration) {
                causes.push(format!("deadlineDuration: {e}"));
            }
        }
        if let Err(e) = check_placeholders(&draft.campaign.name) {
            causes.push(format!("campaign.name: {e}"));
        }
        if let Some(description) = &draft.campaign.description {
            if let Err(e) = check_placeholders(description) {
                causes.push(format!("campaign.description: {e}"));
            }
        }
        match definition::validate_new(self.store.as_ref(), draft.campaign.clone()).await {
            Ok(checked) => draft.campaign = checked,
            Err(EngineError::Invalid { causes: more, .. }) => {
                causes.extend(more.into_iter().map(|c| format!("campaign.{c}")));
            }
            Err(other) => return Err(other),
        }
        if causes.is_empty() {
            Ok(draft)
        } else {
            Err(EngineError::Invalid {
                message: "the campaign template is invalid".to_owned(),
                causes,
            })
        }
    }

    /// Creates a template owned by the caller.
    pub async fn create_template(
        &self,
        caller: &Caller,
        draft: TemplateDraft,
    ) -> EngineResult<CampaignTemplate> {
        access::require_manage(caller)?;
        let draft = self.validate_draft(draft).await?;
        let now = self.clock.now();
        let template = CampaignTemplate {
            id: TemplateId(new_id()),
            name: draft.name,
            description: draft.description,
            owner: caller.identity_id.clone(),
            created: now,
            modified: None,
            deadline_duration: draft.deadline_duration,
            campaign: draft.campaign,
            scheduled: false,
        };
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign_template.created",
            None,
            None,
            json!({ "templateId": template.id, "name": template.name }),
        );
        self.store.insert_template(&template, &audit).await?;
        Ok(template)
    }

    /// One template.
    pub async fn template(
        &self,
        caller: &Caller,
        id: &TemplateId,
    ) -> EngineResult<CampaignTemplate> {
        access::require_manage(caller)?;
        self.load_template(id).await
    }

    async fn load_template(&self, id: &TemplateId) -> EngineResult<CampaignTemplate> {
        self.store
            .template(id)
            .await?
            .ok_or_else(|| template_not_found(id))
    }

    /// Templates matching `query`.
    pub async fn templates(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> EngineResult<Page<CampaignTemplate>> {
        access::require_manage(caller)?;
        Ok(self.store.list_templates(query).await?)
    }

    /// Replaces a template's name, description, deadline duration and campaign (the result of
    /// a patch), checked as on creation. Campaigns generated before keep what they were.
    pub async fn update_template(
        &self,
        caller: &Caller,
        id: &TemplateId,
        draft: TemplateDraft,
    ) -> EngineResult<CampaignTemplate> {
        access::require_manage(caller)?;
        let current = self.load_template(id).await?;
        let draft = self.validate_draft(draft).await?;
        let now = self.clock.now();
        let updated = CampaignTemplate {
            name: draft.name,
            description: draft.description,
            deadline_duration: draft.deadline_duration,
            campaign: draft.campaign,
            modified: Some(now),
            ..current
        };
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign_template.updated",
            None,
            None,
            json!({ "templateId": id }),
        );
        if !self.store.update_template(&updated, &audit).await? {
            return Err(template_not_found(id));
        }
        self.load_template(id).await
    }

    /// Deletes a template with its schedule (campaigns it generated stay).
    pub async fn delete_template(&self, caller: &Caller, id: &TemplateId) -> EngineResult<()> {
        access::require_manage(caller)?;
        let audit = audit_event(
            &actor_of(caller),
            self.clock.now(),
            "campaign_template.deleted",
            None,
            None,
            json!({ "templateId": id }),
        );
        if self.store.delete_template(id, &audit).await? {
            Ok(())
        } else {
            Err(template_not_found(id))
        }
    }

    /// Generates a campaign from the template now, owned by the caller: placeholders and the
    /// deadline are evaluated in the schedule's time zone (UTC when the template has none).
    pub async fn generate_from_template(
        &self,
        caller: &Caller,
        id: &TemplateId,
    ) -> EngineResult<Campaign> {
        access::require_manage(caller)?;
        let template = self.load_template(id).await?;
        let tz = match self.store.template_schedule(id).await? {
            Some(stored) => stored.schedule.tz().unwrap_or(Tz::UTC),
            None => Tz::UTC,
        };
        let definition = generated_definition(&template, self.clock.now(), tz);
        let created = self
            .insert_new_campaign(
                caller.identity_id.clone(),
                &actor_of(caller),
                definition,
                None,
                json!({ "templateId": id }),
            )
            .await
            .map_err(|e| match e {
                EngineError::Invalid { causes, .. } => EngineError::Invalid {
                    message: format!(
                        "campaign template {id} cannot generate a campaign: its campaign is no longer valid"
                    ),
                    causes: causes.into_iter().map(|c| format!("campaign.{c}")).collect(),
                },
                other => other,
            })?;
        created.ok_or_else(|| template_not_found(id))
    }

    /// The template's schedule (not found when the template has none).
    pub async fn template_schedule(
        &self,
        caller: &Caller,
        id: &TemplateId,
    ) -> EngineResult<Schedule> {
        access::require_manage(caller)?;
        self.load_template(id).await?;
        self.store
            .template_schedule(id)
            .await?
            .map(|stored| stored.schedule)
            .ok_or_else(|| EngineError::NotFound(format!("campaign template {id} has no schedule")))
    }

    /// Sets (or replaces) the template's schedule after checking every field; its first
    /// occurrence is the first one after now.
    pub async fn set_template_schedule(
        &self,
        caller: &Caller,
        id: &TemplateId,
        schedule: Schedule,
    ) -> EngineResult<()> {
        access::require_manage(caller)?;
        let occurrences = schedule.compile().map_err(|causes| EngineError::Invalid {
            message: "the schedule is invalid".to_owned(),
            causes,
        })?;
        self.load_template(id).await?;
        let now = self.clock.now();
        let next_due = occurrences.next_after(now);
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign_template.schedule_set",
            None,
            None,
            json!({
                "templateId": id,
                "type": schedule.schedule_type.as_str(),
                "nextDue": next_due.map(|d| d.to_rfc3339()),
            }),
        );
        if self
            .store
            .set_template_schedule(id, &schedule, next_due, now, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(template_not_found(id))
        }
    }

    /// Deletes the template's schedule (not found when it has none).
    pub async fn delete_template_schedule(
        &self,
        caller: &Caller,
        id: &TemplateId,
    ) -> EngineResult<()> {
        access::require_manage(caller)?;
        self.load_template(id).await?;
        let audit = audit_event(
            &actor_of(caller),
            self.clock.now(),
            "campaign_template.schedule_deleted",
            None,
            None,
            json!({ "templateId": id }),
        );
        if self.store.delete_template_schedule(id, &audit).await? {
            Ok(())
        } else {
            Err(EngineError::NotFound(format!(
                "campaign template {id} has no schedule"
            )))
        }
    }

    /// Generates the campaigns of every schedule occurrence that is due by the clock, one per
    /// occurrence however many engines share the store; returns how many this call generated.
    /// [`Campaigns::run_scheduler`] calls this every tick; tests call it after moving the clock.
    pub async fn run_due_schedules(&self) -> EngineResult<usize> {
        super::scheduler::run_due_schedules(self).await
    }

    /// Runs the scheduler until `shutdown` completes: every `interval`, the due occurrences
    /// become campaigns (see [`Campaigns::run_due_schedules`]). Any number of nodes may run it
    /// against one store; each occurrence still generates one campaign.
    pub async fn run_scheduler(
        &self,
        interval: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) {
        super::scheduler::run_scheduler(self, interval, shutdown).await
    }
}
