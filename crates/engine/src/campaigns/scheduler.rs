//! The template scheduler: finds schedule occurrences that are due by the injected clock and
//! generates one campaign for each.
//!
//! Policy (operators' view in `docs/campaign-templates.md`):
//! - **Stored state only.** Each schedule row holds `next_due`, the next occurrence not yet
//!   handled, computed from the stored schedule. A tick reads the rows whose `next_due` has
//!   come; nothing is remembered between ticks, so a restarted node, or another node, carries
//!   on from the same rows.
//! - **Exactly one campaign per occurrence.** The campaign is inserted together with a claim
//!   keyed by (template id, occurrence instant) and the move of `next_due`, in one transaction
//!   (`TemplateStore::insert_scheduled_campaign`). A node that finds the occurrence claimed
//!   writes nothing and only makes sure `next_due` has moved on.
//! - **Missed occurrences.** When every node was down across several occurrences, the most
//!   recent of them generates one campaign (with its own occurrence instant as the claim), and
//!   the earlier ones are skipped: a review that several missed runs would each have started
//!   is wanted once, and as of now. The audit event says how many were skipped.
//! - **A template that cannot generate** (its campaign names a source that has since been
//!   removed, ...) skips the occurrence: an audit event `campaign_template.generation_failed`
//!   records why, a warning is logged, and the schedule moves on to its next occurrence.
//! - **Storage failures** leave `next_due` where it was, so the next tick tries again.

use attest_domain::certification::Actor;
use attest_domain::template::generated_definition;
use attest_store::templates::{ScheduleAdvance, StoredSchedule};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{audit_event, Campaigns, EngineError, EngineResult};

/// How many due schedules one tick handles; the rest wait for the next tick.
const DUE_PER_TICK: u32 = 50;

/// Runs [`tick`] every `interval` until `shutdown` completes. `attest serve` runs this beside
/// the task worker on every node; the campaigns it inserts wake the worker.
pub(super) async fn run_scheduler(
    engine: &Campaigns,
    interval: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    tracing::info!(?interval, "campaign template scheduler started");
    loop {
        tick(engine).await;
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("campaign template scheduler stopped");
}

/// One pass of the scheduler: failures are logged, not returned.
pub(super) async fn tick(engine: &Campaigns) {
    if let Err(e) = run_due_schedules(engine).await {
        tracing::warn!(error = %e, "the campaign template scheduler failed; it will try again");
    }
}

/// Generates the campaigns of every due occurrence; returns how many this call generated.
pub(super) async fn run_due_schedules(engine: &Campaigns) -> EngineResult<usize> {
    let now = engine.clock.now();
    let due = engine.store.due_schedules(now, DUE_PER_TICK).await?;
    let mut generated = 0;
    for stored in &due {
        if occur(engine, stored, now).await? {
            generated += 1;
        }
    }
    Ok(generated)
}

/// Handles the due occurrence of one schedule; true when this call generated its campaign.
async fn occur(
    engine: &Campaigns,
    stored: &StoredSchedule,
    now: DateTime<Utc>,
) -> EngineResult<bool> {
    let id = &stored.template_id;
    let Some(first) = stored.next_due else {
        return Ok(false);
    };
    let occurrences = match stored.schedule.compile() {
        Ok(occurrences) => occurrences,
        Err(causes) => {
            // Only a schedule written by another version could fail here; stop it.
            tracing::warn!(template = %id, ?causes, "a stored schedule is invalid; it is stopped");
            let stop = ScheduleAdvance {
                revision: stored.revision,
                next: None,
            };
            engine.store.advance_schedule(id, stop).await?;
            return Ok(false);
        }
    };
    let occurrence = occurrences.latest_until(first, now).unwrap_or(first);
    let skipped = count_between(&occurrences, first, occurrence);
    let advance = ScheduleAdvance {
        revision: stored.revision,
        next: occurrences.next_after(now.max(occurrence)),
    };
    let Some(template) = engine.store.template(id).await? else {
        // Deleted meanwhile (with its schedule); nothing to do.
        return Ok(false);
    };
    let definition = generated_definition(&template, now, occurrences.time_zone());
    let detail = json!({
        "templateId": id,
        "occurrence": occurrence.to_rfc3339(),
        "missedOccurrencesSkipped": skipped,
    });
    let claim = Some((id.clone(), occurrence, advance));
    match engine
        .insert_new_campaign(
            template.owner.clone(),
            &Actor::system(),
            definition,
            claim,
            detail,
        )
        .await
    {
        Ok(Some(campaign)) => {
            tracing::info!(template = %id, campaign = %campaign.id, %occurrence, skipped, "generated a scheduled campaign");
            Ok(true)
        }
        Ok(None) => {
            // Another node (or an earlier pass) generated this occurrence.
            engine.store.advance_schedule(id, advance).await?;
            Ok(false)
        }
        Err(EngineError::Invalid { message, causes }) => {
            tracing::warn!(template = %id, %occurrence, %message, ?causes, "a scheduled occurrence could not generate its campaign; skipped");
            let audit = audit_event(
                &Actor::system(),
                now,
                "campaign_template.generation_failed",
                None,
                None,
                json!({
                    "templateId": id,
                    "occurrence": occurrence.to_rfc3339(),
                    "message": message,
                    "causes": causes,
                }),
            );
            engine
                .store
                .append_audit(std::slice::from_ref(&audit))
                .await?;
            engine.store.advance_schedule(id, advance).await?;
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// How many occurrences lie in `[first, last)` (the ones a catch-up skips).
fn count_between(
    occurrences: &attest_domain::schedule::Occurrences,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> u64 {
    let mut n = 0;
    let mut cursor = first - chrono::Duration::nanoseconds(1);
    while let Some(at) = occurrences.next_after(cursor) {
        if at >= last || n >= 1_000_000 {
            break;
        }
        n += 1;
        cursor = at;
    }
    n
}
