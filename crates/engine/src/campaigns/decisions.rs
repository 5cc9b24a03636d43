//! Checks of reviewers' writes before they reach the store: decisions and reassignments.
//!
//! Policy: a call is refused whole when any part of it is wrong, with one `causes` entry per
//! offending item, so that a reviewer's batch is never half applied. What only the store can
//! know atomically (that every item is in the certification, that it is ACTIVE) is checked
//! again there, in the transaction that writes.

use std::collections::HashSet;

use attest_domain::campaign::Decision;
use attest_domain::certification::{CampaignDefinition, Certification, IdentitySummaryId};
use attest_domain::IdentityId;
use attest_store::campaigns::{ItemDecision, ReassignTarget};
use attest_store::Store;
use chrono::{DateTime, Utc};

use super::{identity_exists, EngineError, MAX_DECISIONS_PER_CALL};

/// Checks a decide call: 1–250 decisions, each item once, comments as the campaign requires,
/// `proposedEndDate` only on REVOKE and in the future.
pub(super) fn check_decisions(
    definition: &CampaignDefinition,
    decisions: &[ItemDecision],
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    if decisions.is_empty() || decisions.len() > MAX_DECISIONS_PER_CALL {
        return Err(EngineError::Invalid {
            message: format!(
                "a decide call takes 1 to {MAX_DECISIONS_PER_CALL} decisions, got {}",
                decisions.len()
            ),
            causes: vec![format!(
                "the request body must hold 1 to {MAX_DECISIONS_PER_CALL} decisions"
            )],
        });
    }
    let mut seen = HashSet::new();
    let mut causes = Vec::new();
    for d in decisions {
        let item = d.item_id;
        if !seen.insert(item) {
            causes.push(format!(
                "item {item} is decided more than once in this call"
            ));
            continue;
        }
        if let Err(reason) = definition
            .mandatory_comment_requirement
            .check(d.decision, d.comments.as_deref())
        {
            causes.push(format!("item {item}: {reason}"));
        }
        if let Some(end) = d.proposed_end_date {
            if d.decision != Decision::Revoke {
                causes.push(format!(
                    "item {item}: proposedEndDate is allowed only with a REVOKE decision"
                ));
            } else if end <= now {
                causes.push(format!(
                    "item {item}: proposedEndDate {} is not in the future",
                    end.to_rfc3339()
                ));
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Invalid {
            message: "the decisions were refused; nothing was changed".to_owned(),
            causes,
        })
    }
}

/// Checks a reassignment: 1–`max` targets, each once, a reason, a new reviewer who exists,
/// is not the current one and does not hold any of the access being moved.
pub(super) async fn check_reassign(
    store: &dyn Store,
    certification: &Certification,
    targets: &[ReassignTarget],
    to: &IdentityId,
    reason: &str,
    max: usize,
) -> Result<(), EngineError> {
    let id = &certification.id;
    let mut causes = Vec::new();
    if targets.is_empty() || targets.len() > max {
        causes.push(format!(
            "reassign must name 1 to {max} items or identities, got {}",
            targets.len()
        ));
    }
    if reason.trim().is_empty() {
        causes.push("reason is required".to_owned());
    }
    if !identity_exists(store, to).await? {
        causes.push(format!("reassignTo: identity {to} does not exist"));
    } else if certification.reviewer == *to {
        causes.push(format!(
            "reassignTo: {to} already reviews certification {id}"
        ));
    }
    let mut seen = HashSet::new();
    for target in targets {
        if !seen.insert(describe(target)) {
            causes.push(format!("{} is named more than once", describe(target)));
            continue;
        }
        match target {
            ReassignTarget::Item(item) => match store.item(id, *item).await? {
                None => causes.push(format!("item {item} is not in certification {id}")),
                Some(found) if found.identity_id.as_ref() == Some(to) => causes.push(format!(
                    "item {item} is held by {to}, who cannot review their own access"
                )),
                Some(_) => {}
            },
            ReassignTarget::Identity(holder) => {
                let holder_identity = match holder.parse::<i64>() {
                    Ok(n) => match store.identity_summary(id, IdentitySummaryId(n)).await? {
                        Some(summary) => summary.identity_id,
                        None => Some(IdentityId(holder.clone())),
                    },
                    Err(_) => Some(IdentityId(holder.clone())),
                };
                if holder_identity.as_ref() == Some(to) {
                    causes.push(format!(
                        "identity {holder} cannot be reassigned to {to}: nobody reviews their own access"
                    ));
                }
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Invalid {
            message: "the reassignment was refused; nothing was changed".to_owned(),
            causes,
        })
    }
}

fn describe(target: &ReassignTarget) -> String {
    match target {
        ReassignTarget::Item(item) => format!("item {item}"),
        ReassignTarget::Identity(holder) => format!("identity {holder}"),
    }
}
