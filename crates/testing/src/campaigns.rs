//! Campaign fixtures for backend tests that the conformance suite cannot express (concurrency
//! and multi-node stories): a campaign, its task and audit events, and an ACTIVE certification
//! written through the `CampaignStore` trait as generation would.

use attest_domain::campaign::{CampaignStatus, CommentRequirement};
use attest_domain::certification::*;
use attest_domain::Origin;
use attest_store::campaigns::GenerationResult;
use attest_store::CampaignStore;
use chrono::{DateTime, TimeZone, Utc};

/// A time on day `day` of April 2026, 09:00 UTC.
pub fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, day, 9, 0, 0)
        .single()
        .expect("valid date")
}

/// A system audit event on a campaign.
pub fn event(action: &str, campaign: &str, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        actor: Actor::system(),
        action: action.into(),
        campaign_id: Some(campaign.into()),
        certification_id: None,
        item_id: None,
        detail: serde_json::json!({}),
    }
}

/// A queued CAMPAIGN_CREATE task.
pub fn task(id: &str, target: &str, created: DateTime<Utc>) -> Task {
    Task {
        id: id.into(),
        task_type: TaskType::CampaignCreate,
        target_type: TaskTarget::Campaign,
        target_id: target.into(),
        status: TaskStatus::Queued,
        errors: Vec::new(),
        payload: serde_json::json!({}),
        reassignment_trail: Vec::new(),
        attempts: 0,
        created,
        run_after: created,
    }
}

/// A PENDING MANAGER campaign due on day 28.
pub fn campaign(id: &str) -> Campaign {
    Campaign {
        id: id.into(),
        definition: CampaignDefinition {
            name: format!("campaign {id}"),
            description: None,
            deadline: Some(t(28)),
            scope: CampaignScope::Manager,
            email_notification_enabled: false,
            auto_revoke_allowed: false,
            recommendations_enabled: false,
            mandatory_comment_requirement: CommentRequirement::NoDecisions,
            sunset_comments_required: false,
            filter: None,
        },
        status: CampaignStatus::Pending,
        owner: "owner".into(),
        created: t(1),
        modified: t(1),
        activated: None,
        completed: None,
        alerts: Vec::new(),
        counts: CampaignCounts::default(),
        source_ids: Vec::new(),
    }
}

/// An ACTIVE campaign with one certification of `items` entitlement items over `holders`
/// holders (written through the trait, as generation would). Returns the certification and
/// its items' ids.
pub async fn active_certification<S: CampaignStore + ?Sized>(
    store: &S,
    id: &str,
    items: usize,
    holders: usize,
) -> (CertificationId, Vec<ReviewItemId>) {
    let c = campaign(id);
    store
        .insert_campaign(
            &c,
            &task(&format!("{id}-create"), id, t(1)),
            &event("campaign.created", id, t(1)),
        )
        .await
        .unwrap();
    let cert_id = CertificationId(format!("{id:0>32}"));
    let first_summary = store.allocate_ids(holders as i64).await.unwrap();
    let first_item = store.allocate_ids(items as i64).await.unwrap();
    let mut summaries: Vec<IdentitySummary> = (0..holders)
        .map(|h| IdentitySummary {
            id: IdentitySummaryId(first_summary + h as i64),
            certification_id: cert_id.clone(),
            identity_id: Some(format!("holder{h}").into()),
            account_id: None,
            role_id: None,
            name: format!("Holder {h}"),
            items_total: 0,
            items_decided: 0,
        })
        .collect();
    let rows: Vec<ReviewItem> = (0..items)
        .map(|n| {
            let h = n % holders;
            summaries[h].items_total += 1;
            ReviewItem {
                id: ReviewItemId(first_item + n as i64),
                certification_id: cert_id.clone(),
                campaign_id: c.id.clone(),
                identity_summary_id: summaries[h].id,
                identity_id: summaries[h].identity_id.clone(),
                account_id: None,
                role_id: None,
                holder_name: summaries[h].name.clone(),
                access_type: ItemAccessType::Entitlement,
                access_id: format!("e{n}"),
                access_name: format!("Entitlement\t{n} \"quoted\" \\ back"),
                source_id: Some("src".into()),
                source_name: Some("Source".into()),
                origin: Origin::Manual,
                granted_at: Some(t(1)),
                recommendation: None,
                recommendation_reasons: vec!["a, \"b\"".into(), "{c}".into()],
                decision: None,
                comments: None,
                proposed_end_date: None,
                decided_by: None,
                decided_at: None,
                reassigned_from: None,
                reassignment_reason: None,
            }
        })
        .collect();
    store.insert_items(&rows).await.unwrap();
    let mut counts = CertificationCounts::default();
    counts.entitlements.total = items as i64;
    counts.identities_total = holders as i64;
    let cert = Certification {
        id: cert_id.clone(),
        campaign_id: c.id.clone(),
        campaign_name: c.definition.name.clone(),
        campaign_type: c.definition.scope.campaign_type(),
        name: format!("{} - reviewer", c.definition.name),
        reviewer: "reviewer".into(),
        reviewer_name: "Reviewer".into(),
        reviewer_email: None,
        reviewer_group: None,
        phase: CertificationPhase::Staged,
        due: None,
        signed: None,
        created: t(2),
        modified: t(2),
        reassignment: None,
        counts,
    };
    let result = GenerationResult {
        certifications: vec![cert],
        identity_summaries: summaries,
        counts: CampaignCounts {
            certifications_total: 1,
            certifications_completed: 0,
            items_total: items as i64,
            items_decided: 0,
            identities_total: holders as i64,
        },
        source_ids: vec!["src".into()],
        alerts: Vec::new(),
    };
    assert!(store
        .finish_generation(&c.id, &result, t(2), &event("campaign.generated", id, t(2)))
        .await
        .unwrap());
    assert!(store
        .transition_campaign(
            &c.id,
            CampaignStatus::Staged,
            CampaignStatus::Activating,
            t(3),
            &[],
            None,
            &event("campaign.activating", id, t(3)),
        )
        .await
        .unwrap());
    assert!(store
        .finish_activation(&c.id, t(3), &event("campaign.activated", id, t(3)))
        .await
        .unwrap());
    (cert_id, rows.iter().map(|r| r.id).collect())
}
