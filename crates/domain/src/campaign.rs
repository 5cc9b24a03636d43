//! The rules of a certification campaign that need no storage: its lifecycle, what may be
//! changed in which status, when a comment is required, what is recommended, and who reviews
//! an item that would otherwise be reviewed by its own holder.
//!
//! Policy: these functions decide; the engine stores and orchestrates; the API façades only
//! translate. Spellings of the enums are the SailPoint wire spellings (CONTRACTS.md and
//! `shared/specs/sailpoint`), since that is the richest vocabulary the façades need.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::IdentityId;
use crate::warehouse::{wire_enum, Origin};

/// What a campaign reviews and who reviews it (CONTRACTS.md, "Meaning of the data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignType {
    /// Each manager reviews their direct reports' access.
    Manager,
    /// Each source owner reviews the access on their sources.
    SourceOwner,
    /// A named reviewer reviews the identities a query or a list selects.
    Search,
    /// Role owners review what their roles contain.
    RoleComposition,
    /// Owners review their machine accounts and those accounts' access.
    MachineAccount,
}

wire_enum!(CampaignType {
    Manager => "MANAGER",
    SourceOwner => "SOURCE_OWNER",
    Search => "SEARCH",
    RoleComposition => "ROLE_COMPOSITION",
    MachineAccount => "MACHINE_ACCOUNT",
});

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    /// Created; its certifications are being generated.
    Pending,
    /// Generated: reviewable counts are known; not yet visible to reviewers.
    Staged,
    /// Being deleted before it was ever activated.
    Canceling,
    /// Being activated.
    Activating,
    /// Reviewers are working.
    Active,
    /// Being completed (auto-decisions, remediation orders).
    Completing,
    /// Done; read-only.
    Completed,
    /// Generation, activation or completion failed; the reason is in the campaign's alerts.
    Error,
    /// Kept only for the record.
    Archived,
}

wire_enum!(CampaignStatus {
    Pending => "PENDING",
    Staged => "STAGED",
    Canceling => "CANCELING",
    Activating => "ACTIVATING",
    Active => "ACTIVE",
    Completing => "COMPLETING",
    Completed => "COMPLETED",
    Error => "ERROR",
    Archived => "ARCHIVED",
});

/// Something that moves a campaign from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignEvent {
    /// The generation job finished: certifications and items exist.
    Generated,
    /// An administrator asked for activation.
    ActivationRequested,
    /// The activation job finished.
    Activated,
    /// Every certification was signed off, or an administrator completed the campaign.
    CompletionRequested,
    /// The completion job finished.
    Completed,
    /// A background job failed.
    Failed,
    /// An administrator deleted a campaign that was never activated.
    CancelRequested,
    /// The campaign was completed long enough ago to be archived.
    Archived,
}

/// A transition the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a campaign in status {from} cannot {}", event_verb(*.event))]
pub struct TransitionError {
    /// The status the campaign is in.
    pub from: CampaignStatus,
    /// What was attempted.
    pub event: CampaignEvent,
}

fn event_verb(event: CampaignEvent) -> &'static str {
    match event {
        CampaignEvent::Generated => "finish generating",
        CampaignEvent::ActivationRequested => "be activated",
        CampaignEvent::Activated => "finish activating",
        CampaignEvent::CompletionRequested => "be completed",
        CampaignEvent::Completed => "finish completing",
        CampaignEvent::Failed => "fail",
        CampaignEvent::CancelRequested => "be deleted",
        CampaignEvent::Archived => "be archived",
    }
}

impl CampaignStatus {
    /// The status after `event`, or why the event is not allowed now.
    ///
    /// ```text
    /// PENDING --Generated--> STAGED --ActivationRequested--> ACTIVATING --Activated--> ACTIVE
    /// ACTIVE --CompletionRequested--> COMPLETING --Completed--> COMPLETED --Archived--> ARCHIVED
    /// PENDING | ACTIVATING | COMPLETING --Failed--> ERROR
    /// PENDING | STAGED | ERROR --CancelRequested--> CANCELING
    /// ```
    pub fn after(self, event: CampaignEvent) -> Result<CampaignStatus, TransitionError> {
        use CampaignEvent as E;
        use CampaignStatus as S;
        let next = match (self, event) {
            (S::Pending, E::Generated) => S::Staged,
            (S::Staged, E::ActivationRequested) => S::Activating,
            (S::Activating, E::Activated) => S::Active,
            (S::Active, E::CompletionRequested) => S::Completing,
            (S::Completing, E::Completed) => S::Completed,
            (S::Completed, E::Archived) => S::Archived,
            (S::Pending | S::Activating | S::Completing, E::Failed) => S::Error,
            (S::Pending | S::Staged | S::Error, E::CancelRequested) => S::Canceling,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(next)
    }

    /// The campaign fields a JSON Patch may change in this status (SailPoint's rule: several
    /// fields while STAGED, only the deadline while ACTIVE, nothing otherwise).
    pub fn patchable_fields(self) -> &'static [&'static str] {
        match self {
            CampaignStatus::Staged => &[
                "name",
                "description",
                "recommendationsEnabled",
                "deadline",
                "emailNotificationEnabled",
                "autoRevokeAllowed",
            ],
            CampaignStatus::Active => &["deadline"],
            _ => &[],
        }
    }
}

/// A reviewer's decision on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Keep the access.
    Approve,
    /// Remove the access.
    Revoke,
}

wire_enum!(Decision {
    Approve => "APPROVE",
    Revoke => "REVOKE",
});

/// Which decisions must carry a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommentRequirement {
    /// Every decision.
    AllDecisions,
    /// Revocations only.
    RevokeOnlyDecisions,
    /// None.
    #[default]
    NoDecisions,
}

wire_enum!(CommentRequirement {
    AllDecisions => "ALL_DECISIONS",
    RevokeOnlyDecisions => "REVOKE_ONLY_DECISIONS",
    NoDecisions => "NO_DECISIONS",
});

impl CommentRequirement {
    /// Whether `decision` needs a comment under this requirement.
    pub fn requires_comment(self, decision: Decision) -> bool {
        match self {
            CommentRequirement::AllDecisions => true,
            CommentRequirement::RevokeOnlyDecisions => decision == Decision::Revoke,
            CommentRequirement::NoDecisions => false,
        }
    }

    /// Checks a decision's comment: `Err` says what is missing. A comment of blanks is none.
    pub fn check(self, decision: Decision, comment: Option<&str>) -> Result<(), String> {
        let has_comment = comment.is_some_and(|c| !c.trim().is_empty());
        if self.requires_comment(decision) && !has_comment {
            Err(format!(
                "a comment is required for {decision} decisions in this campaign ({self})"
            ))
        } else {
            Ok(())
        }
    }
}

/// An account is stale, and its access recommended for revocation, after this long unused.
pub const STALE_ACCOUNT_DAYS: i64 = 90;

/// What is known about an item when it is generated, for its recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecommendationFacts {
    /// How the assignment came to be.
    pub origin: Origin,
    /// Whether the holding identity is active; `None` when an account holds the access.
    pub holder_active: Option<bool>,
    /// When the account behind the access was last used, if known.
    pub account_last_used: Option<DateTime<Utc>>,
    /// When the campaign is generated.
    pub now: DateTime<Utc>,
}

/// A recommendation with its reasons (shown as the Recommended / Not Recommended icon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The recommended decision; `None` when nothing speaks for either.
    pub decision: Option<Decision>,
    /// Every reason found, revocation reasons first.
    pub reasons: Vec<String>,
}

/// The recommendation for an item (CONTRACTS.md, "Meaning of the data in a campaign").
///
/// Any reason to revoke outweighs a reason to approve: access granted by the role model but
/// held by a leaver is still recommended for revocation. All reasons found are listed.
pub fn recommend(facts: &RecommendationFacts) -> Recommendation {
    let mut revoke = Vec::new();
    let mut approve = Vec::new();
    match facts.origin {
        Origin::RoleModel => approve.push("granted by the role model".to_owned()),
        Origin::Discovered => revoke.push("not granted by any policy or request".to_owned()),
        Origin::Request | Origin::Manual => {}
    }
    if facts.holder_active == Some(false) {
        revoke.push("the holder is inactive".to_owned());
    }
    if let Some(last_used) = facts.account_last_used {
        let idle = facts.now - last_used;
        if idle > Duration::days(STALE_ACCOUNT_DAYS) {
            revoke.push(format!(
                "the account has not been used for {} days",
                idle.num_days()
            ));
        }
    }
    let decision = if !revoke.is_empty() {
        Some(Decision::Revoke)
    } else if !approve.is_empty() {
        Some(Decision::Approve)
    } else {
        None
    };
    revoke.extend(approve);
    Recommendation {
        decision,
        reasons: revoke,
    }
}

/// Who reviews an item, once nobody-reviews-their-own-access is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerChoice {
    /// The reviewer.
    pub reviewer: IdentityId,
    /// Set when the natural reviewer was the holder: who that was, so that the reassignment
    /// is recorded.
    pub reassigned_from: Option<IdentityId>,
}

/// Applies "nobody reviews their own access": when the natural reviewer holds the item, it
/// goes to the reviewer's own manager, or, without one, to the campaign owner.
pub fn reviewer_for(
    natural: &IdentityId,
    holder: Option<&IdentityId>,
    natural_manager: Option<&IdentityId>,
    campaign_owner: &IdentityId,
) -> ReviewerChoice {
    if holder != Some(natural) {
        return ReviewerChoice {
            reviewer: natural.clone(),
            reassigned_from: None,
        };
    }
    let reviewer = match natural_manager {
        Some(manager) if manager != natural => manager.clone(),
        _ => campaign_owner.clone(),
    };
    ReviewerChoice {
        reviewer,
        reassigned_from: Some(natural.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const ALL_EVENTS: [CampaignEvent; 8] = [
        CampaignEvent::Generated,
        CampaignEvent::ActivationRequested,
        CampaignEvent::Activated,
        CampaignEvent::CompletionRequested,
        CampaignEvent::Completed,
        CampaignEvent::Failed,
        CampaignEvent::CancelRequested,
        CampaignEvent::Archived,
    ];

    #[test]
    fn the_documented_happy_path_reaches_completed() {
        let mut status = CampaignStatus::Pending;
        for event in [
            CampaignEvent::Generated,
            CampaignEvent::ActivationRequested,
            CampaignEvent::Activated,
            CampaignEvent::CompletionRequested,
            CampaignEvent::Completed,
        ] {
            status = status.after(event).unwrap();
        }
        assert_eq!(status, CampaignStatus::Completed);
    }

    #[test]
    fn refused_transitions_say_why() {
        let err = CampaignStatus::Active
            .after(CampaignEvent::ActivationRequested)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a campaign in status ACTIVE cannot be activated"
        );
        assert!(CampaignStatus::Active
            .after(CampaignEvent::CancelRequested)
            .is_err());
    }

    proptest! {
        /// Walking any sequence of events never leaves the documented diagram: terminal states
        /// accept only their documented exits, and a refused event changes nothing.
        #[test]
        fn the_lifecycle_follows_its_diagram(events in proptest::collection::vec(0usize..8, 0..40)) {
            let mut status = CampaignStatus::Pending;
            for i in events {
                let event = ALL_EVENTS[i];
                match status.after(event) {
                    Ok(next) => {
                        prop_assert_ne!(next, CampaignStatus::Pending, "nothing returns to PENDING");
                        if status == CampaignStatus::Completed {
                            prop_assert_eq!(next, CampaignStatus::Archived);
                        }
                        prop_assert!(status != CampaignStatus::Archived && status != CampaignStatus::Canceling);
                        status = next;
                    }
                    Err(e) => prop_assert_eq!(e.from, status),
                }
            }
        }
    }

    #[test]
    fn patchable_fields_follow_the_status() {
        assert!(CampaignStatus::Staged.patchable_fields().contains(&"name"));
        assert_eq!(CampaignStatus::Active.patchable_fields(), ["deadline"]);
        assert!(CampaignStatus::Completed.patchable_fields().is_empty());
    }

    #[test]
    fn comment_requirements() {
        use CommentRequirement as C;
        assert!(C::AllDecisions.check(Decision::Approve, None).is_err());
        assert!(C::AllDecisions
            .check(Decision::Approve, Some("  "))
            .is_err());
        assert!(C::AllDecisions.check(Decision::Approve, Some("ok")).is_ok());
        assert!(C::RevokeOnlyDecisions
            .check(Decision::Approve, None)
            .is_ok());
        assert_eq!(
            C::RevokeOnlyDecisions
                .check(Decision::Revoke, None)
                .unwrap_err(),
            "a comment is required for REVOKE decisions in this campaign (REVOKE_ONLY_DECISIONS)"
        );
        assert!(C::NoDecisions.check(Decision::Revoke, None).is_ok());
    }

    fn facts(origin: Origin) -> RecommendationFacts {
        RecommendationFacts {
            origin,
            holder_active: Some(true),
            account_last_used: None,
            now: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn recommendations_follow_the_contract() {
        let r = recommend(&facts(Origin::RoleModel));
        assert_eq!(r.decision, Some(Decision::Approve));
        assert_eq!(r.reasons, ["granted by the role model"]);
        let r = recommend(&facts(Origin::Discovered));
        assert_eq!(r.decision, Some(Decision::Revoke));
        assert_eq!(r.reasons, ["not granted by any policy or request"]);
        assert_eq!(recommend(&facts(Origin::Request)).decision, None);
        assert!(recommend(&facts(Origin::Manual)).reasons.is_empty());
    }

    #[test]
    fn revocation_reasons_outweigh_the_role_model() {
        let mut f = facts(Origin::RoleModel);
        f.holder_active = Some(false);
        f.account_last_used = Some(f.now - Duration::days(120));
        let r = recommend(&f);
        assert_eq!(r.decision, Some(Decision::Revoke));
        assert_eq!(
            r.reasons,
            [
                "the holder is inactive",
                "the account has not been used for 120 days",
                "granted by the role model"
            ]
        );
        // Exactly 90 days is not yet stale; an account-held item has no holder activity.
        let mut f = facts(Origin::Manual);
        f.holder_active = None;
        f.account_last_used = Some(f.now - Duration::days(STALE_ACCOUNT_DAYS));
        assert_eq!(recommend(&f).decision, None);
    }

    #[test]
    fn nobody_reviews_their_own_access() {
        let (alice, bob, owner) = (
            IdentityId::from("alice"),
            IdentityId::from("bob"),
            IdentityId::from("owner"),
        );
        let choice = reviewer_for(&alice, Some(&bob), None, &owner);
        assert_eq!(
            (choice.reviewer, choice.reassigned_from),
            (alice.clone(), None)
        );
        let choice = reviewer_for(&alice, Some(&alice), Some(&bob), &owner);
        assert_eq!(
            (choice.reviewer, choice.reassigned_from.clone()),
            (bob, Some(alice.clone()))
        );
        let choice = reviewer_for(&alice, Some(&alice), None, &owner);
        assert_eq!(choice.reviewer, owner);
        assert_eq!(choice.reassigned_from, Some(alice));
    }
}
