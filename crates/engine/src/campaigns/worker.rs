//! The certification-task worker: claims due tasks under a lease, runs them, records the
//! outcome.
//!
//! Policy:
//! - Tasks are rows of the store's outbox, written in the same transaction as the change that
//!   needs them. Any number of workers (in any number of processes) may run: the store hands
//!   each task to one of them, under a lease of [`TASK_LEASE_SECONDS`]; a task whose worker
//!   died is claimed again when its lease expires.
//! - Every task is idempotent: it first checks that its target is still in the status that
//!   asked for it (a task for a campaign that moved on or was deleted succeeds doing nothing),
//!   and generation clears whatever an interrupted run wrote before starting again.
//! - Storage failures are retried with exponential backoff (2 s, 4 s, 8 s, ...) up to
//!   [`MAX_ATTEMPTS`] attempts; a task that cannot succeed (an empty scope, a missing
//!   reviewer, a refused reassignment) fails at once. When generation, activation or
//!   completion fails for good, the campaign moves to ERROR with the reason as an alert.
//!   Storage errors are logged in full; task and alert messages only say that storage failed.
//! - A run longer than the lease (generation of a very large campaign on a slow database) could
//!   be claimed a second time; the lease is long enough for a million-item campaign.

use attest_domain::campaign::{CampaignEvent, CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::IdentityId;
use attest_store::campaigns::ReassignTarget;
use attest_store::StoreError;
use chrono::Duration;
use serde_json::{json, Value};

use super::{audit_event, generation, new_id, Campaigns, EngineError, EngineResult};

/// How long a claimed task is reserved for its worker, in seconds.
pub const TASK_LEASE_SECONDS: i64 = 600;

/// How many times a task is attempted before storage failures make it fail for good.
pub const MAX_ATTEMPTS: i32 = 5;

/// How long the worker sleeps when no task is due and nothing woke it.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a task did not succeed.
#[derive(Debug)]
pub(super) enum Failure {
    /// Storage failed; worth another attempt.
    Retry(StoreError),
    /// The task cannot succeed; the message says why, in English.
    Fatal(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Retry(e)
    }
}

/// Result of running one task: the reassignment trail to record on success.
type TaskResult = Result<Vec<ReassignmentTrail>, Failure>;

pub(super) async fn run_due_tasks(engine: &Campaigns) -> EngineResult<usize> {
    let worker = format!("inline-{}", &new_id()[..8]);
    let mut ran = 0;
    loop {
        let now = engine.clock.now();
        let lease_until = now + Duration::seconds(TASK_LEASE_SECONDS);
        let Some(task) = engine.store.claim_task(&worker, now, lease_until).await? else {
            return Ok(ran);
        };
        run_task(engine, task).await.map_err(EngineError::Store)?;
        ran += 1;
    }
}

pub(super) async fn run_worker(
    engine: &Campaigns,
    worker_id: String,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    tracing::info!(worker = %worker_id, "certification task worker started");
    // Event deliveries run beside the tasks, so a slow receiver never holds up a campaign.
    let (stop_events, events_stopped) = tokio::sync::oneshot::channel::<()>();
    let triggers = engine.triggers().clone();
    let events = tokio::spawn({
        let worker_id = worker_id.clone();
        async move {
            let stop = async move {
                let _ = events_stopped.await;
            };
            triggers.run_worker(worker_id, stop).await
        }
    });
    loop {
        let now = engine.clock.now();
        let lease_until = now + Duration::seconds(TASK_LEASE_SECONDS);
        match engine.store.claim_task(&worker_id, now, lease_until).await {
            Ok(Some(task)) => {
                let id = task.id.clone();
                if let Err(e) = run_task(engine, task).await {
                    tracing::error!(task = %id, error = %e, "could not record a task's outcome; it will be claimed again when its lease expires");
                }
                // Look for the next task at once, unless asked to stop.
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = std::future::ready(()) => continue,
                }
            }
            Ok(None) => {
                // No task is due: deliver released provisioning orders and run remediation
                // scans (`remediation::delivery`).
                if let Err(e) = super::remediation::delivery::run_due(engine, &worker_id).await {
                    tracing::warn!(error = %e, "remediation delivery failed; it resumes next round");
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming a certification task failed"),
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = engine.wake.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
    let _ = stop_events.send(());
    let _ = events.await;
    tracing::info!(worker = %worker_id, "certification task worker stopped");
}

/// Runs one claimed task and records its outcome.
async fn run_task(engine: &Campaigns, task: Task) -> Result<(), StoreError> {
    let outcome = execute(engine, &task).await;
    let store = engine.store.as_ref();
    match outcome {
        Ok(trail) => {
            store
                .finish_task(&task.id, TaskStatus::Success, &[], &trail, None)
                .await
        }
        Err(Failure::Retry(e)) if task.attempts < MAX_ATTEMPTS => {
            let delay = Duration::seconds(1 << task.attempts.clamp(1, 8));
            tracing::warn!(task = %task.id, kind = %task.task_type, attempt = task.attempts, error = %e, "certification task failed; retrying");
            let message = format!(
                "attempt {} failed because storage failed; retrying",
                task.attempts
            );
            store
                .finish_task(
                    &task.id,
                    TaskStatus::Queued,
                    &[message],
                    &[],
                    Some(engine.clock.now() + delay),
                )
                .await
        }
        Err(Failure::Retry(e)) => {
            tracing::error!(task = %task.id, kind = %task.task_type, error = %e, "certification task failed for good");
            let message = format!(
                "{} failed: storage kept failing after {} attempts (see the server log)",
                task.task_type, task.attempts
            );
            fail(engine, &task, message).await
        }
        Err(Failure::Fatal(message)) => {
            tracing::info!(task = %task.id, kind = %task.task_type, %message, "certification task failed");
            fail(engine, &task, message).await
        }
    }
}

/// Records a task's failure, moving its campaign to ERROR when the task was generating,
/// activating or completing it.
async fn fail(engine: &Campaigns, task: &Task, message: String) -> Result<(), StoreError> {
    let store = engine.store.as_ref();
    let moves_campaign = matches!(
        task.task_type,
        TaskType::CampaignCreate | TaskType::ActivateCampaign | TaskType::CompleteCampaign
    );
    if moves_campaign {
        let id = CampaignId(task.target_id.clone());
        if let Some(campaign) = store.campaign(&id).await? {
            if task.task_type == TaskType::CampaignCreate {
                store.clear_generated(&id).await?;
            }
            if let Ok(next) = campaign.status.after(CampaignEvent::Failed) {
                let now = engine.clock.now();
                let alert = CampaignAlert {
                    level: AlertLevel::Error,
                    message: message.clone(),
                };
                let audit = audit_event(
                    &Actor::system(),
                    now,
                    "campaign.failed",
                    Some(&id),
                    None,
                    json!({ "taskId": task.id, "taskType": task.task_type.as_str(), "message": message }),
                );
                store
                    .transition_campaign(&id, campaign.status, next, now, &[alert], None, &audit)
                    .await?;
            }
        }
    }
    if task.task_type == TaskType::CampaignReport {
        super::reports::fail_report(engine, task, &message).await?;
    }
    store
        .finish_task(&task.id, TaskStatus::Error, &[message], &[], None)
        .await
}

async fn execute(engine: &Campaigns, task: &Task) -> TaskResult {
    match task.task_type {
        TaskType::CampaignCreate => {
            generation::generate(engine, &CampaignId(task.target_id.clone())).await?;
            Ok(Vec::new())
        }
        TaskType::ActivateCampaign => activate(engine, task).await,
        TaskType::CompleteCampaign => complete(engine, task).await,
        TaskType::Reassign => reassign(engine, task).await,
        TaskType::AdminReassign => admin_reassign(engine, task).await,
        TaskType::CampaignDelete => delete(engine, task).await,
        TaskType::CampaignReport => {
            super::reports::run_report_task(engine, task).await?;
            Ok(Vec::new())
        }
        TaskType::CompleteCertification | TaskType::FinishCertification => {
            Err(Failure::Fatal(format!(
                "{} tasks are not run by this version of Attest",
                task.task_type
            )))
        }
    }
}

async fn activate(engine: &Campaigns, task: &Task) -> TaskResult {
    let id = CampaignId(task.target_id.clone());
    let store = engine.store.as_ref();
    let Some(campaign) = store.campaign(&id).await? else {
        return Ok(Vec::new());
    };
    if campaign.status != CampaignStatus::Activating {
        return Ok(Vec::new());
    }
    // The transition is checked here; the store performs it.
    campaign
        .status
        .after(CampaignEvent::Activated)
        .map_err(|e| Failure::Fatal(e.to_string()))?;
    let now = engine.clock.now();
    let audit = audit_event(
        &Actor::system(),
        now,
        "campaign.activated",
        Some(&id),
        None,
        json!({ "taskId": task.id, "certifications": campaign.counts.certifications_total }),
    );
    store.finish_activation(&id, now, &audit).await?;
    Ok(Vec::new())
}

async fn complete(engine: &Campaigns, task: &Task) -> TaskResult {
    let id = CampaignId(task.target_id.clone());
    let store = engine.store.as_ref();
    let Some(campaign) = store.campaign(&id).await? else {
        return Ok(Vec::new());
    };
    if campaign.status != CampaignStatus::Completing {
        return Ok(Vec::new());
    }
    campaign
        .status
        .after(CampaignEvent::Completed)
        .map_err(|e| Failure::Fatal(e.to_string()))?;
    let requested = task
        .payload
        .get("action")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Decision>().ok())
        .unwrap_or(Decision::Approve);
    // REVOKE only when the campaign allows it (the store applies the same rule).
    let action = if requested == Decision::Revoke && !campaign.definition.auto_revoke_allowed {
        Decision::Approve
    } else {
        requested
    };
    let now = engine.clock.now();
    let audit = audit_event(
        &payload_actor(task),
        now,
        "campaign.completed",
        Some(&id),
        None,
        json!({ "taskId": task.id, "action": action.as_str() }),
    );
    store.complete_campaign(&id, action, now, &audit).await?;
    Ok(Vec::new())
}

async fn reassign(engine: &Campaigns, task: &Task) -> TaskResult {
    let id = CertificationId(task.target_id.clone());
    let (to, reason) = reassign_to(task)?;
    let targets = task
        .payload
        .get("targets")
        .map(targets_from_json)
        .ok_or_else(|| Failure::Fatal("the task names no targets".to_owned()))?
        .map_err(Failure::Fatal)?;
    let refused = engine
        .store
        .reassign(
            &id,
            &targets,
            &to,
            &reason,
            &payload_actor(task),
            engine.clock.now(),
        )
        .await?;
    match refused {
        Ok(_) => Ok(task.reassignment_trail.clone()),
        Err(r) => Err(Failure::Fatal(format!(
            "reassignment of certification {id} refused: {r}"
        ))),
    }
}

async fn admin_reassign(engine: &Campaigns, task: &Task) -> TaskResult {
    let id = CampaignId(task.target_id.clone());
    let (to, reason) = reassign_to(task)?;
    let certifications: Vec<CertificationId> = task
        .payload
        .get("certificationIds")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| Failure::Fatal(format!("the task's certificationIds are unreadable: {e}")))?
        .unwrap_or_default();
    let refused = engine
        .store
        .reassign_certifications(
            &id,
            &certifications,
            &to,
            &reason,
            &payload_actor(task),
            engine.clock.now(),
        )
        .await?;
    match refused {
        Ok(_) => Ok(task.reassignment_trail.clone()),
        Err(r) => Err(Failure::Fatal(format!(
            "reassignment of certifications in campaign {id} refused: {r}"
        ))),
    }
}

async fn delete(engine: &Campaigns, task: &Task) -> TaskResult {
    let ids: Vec<CampaignId> = match task.payload.get("campaignIds") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| Failure::Fatal(format!("the task's campaignIds are unreadable: {e}")))?,
        None => vec![CampaignId(task.target_id.clone())],
    };
    let now = engine.clock.now();
    let audits: Vec<AuditEvent> = ids
        .iter()
        .map(|id| {
            audit_event(
                &payload_actor(task),
                now,
                "campaign.deleted",
                Some(id),
                None,
                json!({ "taskId": task.id }),
            )
        })
        .collect();
    engine.store.delete_campaigns(&ids, &audits).await?;
    Ok(Vec::new())
}

fn reassign_to(task: &Task) -> Result<(IdentityId, String), Failure> {
    let to = task
        .payload
        .get("reassignTo")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::Fatal("the task names no new reviewer".to_owned()))?;
    let reason = task
        .payload
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok((IdentityId::from(to), reason.to_owned()))
}

/// Who asked for the task (stored in its payload), or the system.
fn payload_actor(task: &Task) -> Actor {
    task.payload
        .get("actor")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(Actor::system)
}

/// Reassignment targets as stored in a task's payload.
pub(super) fn targets_to_json(targets: &[ReassignTarget]) -> Value {
    Value::Array(
        targets
            .iter()
            .map(|t| match t {
                ReassignTarget::Item(id) => json!({ "type": "ITEM", "id": id.to_string() }),
                ReassignTarget::Identity(id) => json!({ "type": "IDENTITY_SUMMARY", "id": id }),
            })
            .collect(),
    )
}

fn targets_from_json(value: &Value) -> Result<Vec<ReassignTarget>, String> {
    let list = value
        .as_array()
        .ok_or_else(|| "the task's targets are not a list".to_owned())?;
    list.iter()
        .map(|t| {
            let id = t
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| "a task target has no id".to_owned())?;
            match t.get("type").and_then(Value::as_str) {
                Some("ITEM") => id
                    .parse::<ReviewItemId>()
                    .map(ReassignTarget::Item)
                    .map_err(|_| format!("item id {id} is not a number")),
                Some("IDENTITY_SUMMARY") => Ok(ReassignTarget::Identity(id.to_owned())),
                other => Err(format!("unknown task target type {other:?}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_through_the_payload() {
        let targets = vec![
            ReassignTarget::Item(ReviewItemId(42)),
            ReassignTarget::Identity("alice".to_owned()),
        ];
        assert_eq!(
            targets_from_json(&targets_to_json(&targets)).unwrap(),
            targets
        );
        assert!(targets_from_json(&json!([{ "type": "ITEM", "id": "x" }])).is_err());
    }
}
