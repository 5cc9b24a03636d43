//! Campaign templates and their schedules on real stores (SQLite always, PostgreSQL when
//! configured), driven by the manual clock: each due occurrence generates exactly one
//! campaign, also with several engines ticking at once on one store, also after a restart
//! (a new engine on the same store), and also across daylight-saving changes.

use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, CommentRequirement};
use attest_domain::certification::*;
use attest_domain::schedule::{Schedule, ScheduleType, Selector, SelectorType};
use attest_domain::template::TemplateId;
use attest_domain::*;
use attest_engine::campaigns::{Campaigns, EngineError, TemplateDraft};
use attest_engine::credentials::Caller;
use attest_engine::import::{import_bundle, NoProgress};
use attest_store::campaigns::ListQuery;
use attest_store::Store;
use chrono::{DateTime, Duration, Utc};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// One backend with a small organisation, an engine and its clock.
struct World {
    backend: &'static str,
    store: Arc<dyn Store>,
    clock: ManualClock,
    engine: Campaigns,
}

async fn worlds(start: &str) -> Vec<World> {
    let mut worlds = Vec::new();
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("identities.csv"),
            "id,name,managerId\nboss,boss,\nadm,adm,boss\nann,ann,boss\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sources.csv"),
            "id,name,ownerId\nad,Active Directory,boss\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("entitlements.csv"),
            "id,sourceId,name\nusers,ad,Domain Users\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("assignments.csv"),
            "identityId,accessType,accessId\nann,ENTITLEMENT,users\nadm,ENTITLEMENT,users\n",
        )
        .unwrap();
        let clock = ManualClock::new(utc(start));
        import_bundle(store.as_ref(), &clock, dir.path(), Arc::new(NoProgress))
            .await
            .unwrap();
        let engine = Campaigns::new(Arc::clone(&store), Arc::new(clock.clone()));
        worlds.push(World {
            backend,
            store,
            clock,
            engine,
        });
    }
    worlds
}

fn admin() -> Caller {
    Caller {
        identity_id: "adm".into(),
        client_id: ClientId("client-adm".to_owned()),
        authorities: vec![Authority::CertAdmin],
        expires_at: utc("2099-01-01T00:00:00Z"),
    }
}

fn reviewer() -> Caller {
    Caller {
        authorities: Vec::new(),
        identity_id: "ann".into(),
        ..admin()
    }
}

fn draft(campaign_name: &str) -> TemplateDraft {
    TemplateDraft {
        name: "Manager review".to_owned(),
        description: "Every manager reviews their reports".to_owned(),
        deadline_duration: Some("P14D".to_owned()),
        campaign: CampaignDefinition {
            name: campaign_name.to_owned(),
            description: Some("Generated on %F".to_owned()),
            deadline: None,
            scope: CampaignScope::Manager,
            email_notification_enabled: false,
            auto_revoke_allowed: false,
            recommendations_enabled: true,
            mandatory_comment_requirement: CommentRequirement::NoDecisions,
            sunset_comments_required: true,
            filter: None,
        },
    }
}

fn list(values: &[&str]) -> Selector {
    Selector {
        selector_type: SelectorType::List,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        interval: None,
    }
}

/// Every day of the week at `hours`, in `tz`.
fn daily(hours: &[&str], tz: &str) -> Schedule {
    Schedule {
        schedule_type: ScheduleType::Weekly,
        months: None,
        days: Some(Selector {
            selector_type: SelectorType::Range,
            values: vec!["1".to_owned(), "7".to_owned()],
            interval: None,
        }),
        hours: list(hours),
        expiration: None,
        time_zone_id: Some(tz.to_owned()),
    }
}

fn all() -> ListQuery {
    ListQuery {
        filter: None,
        sort: Vec::new(),
        limit: 250,
        offset: 0,
        count: true,
    }
}

async fn campaigns(world: &World) -> Vec<Campaign> {
    world.store.list_campaigns(&all()).await.unwrap().items
}

async fn occurrences(world: &World, id: &TemplateId) -> Vec<String> {
    world
        .store
        .scheduled_runs(id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.occurrence.to_rfc3339())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_occurrence_generates_exactly_one_campaign() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let template = world
            .engine
            .create_template(&admin(), draft("Review %Y-%m-%d %H:%M %Z"))
            .await
            .unwrap();
        assert!(!template.scheduled);
        world
            .engine
            .set_template_schedule(&admin(), &template.id, daily(&["9"], "Europe/Berlin"))
            .await
            .unwrap();
        assert!(
            world
                .engine
                .template(&admin(), &template.id)
                .await
                .unwrap()
                .scheduled
        );
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 0, "{b}");

        // 09:00 in Berlin (CET) is 08:00 UTC.
        world.clock.set(utc("2026-11-02T07:59:59Z"));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 0, "{b}");
        world.clock.set(utc("2026-11-02T08:00:00Z"));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 1, "{b}");
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 0, "{b}");
        world.clock.advance(Duration::minutes(30));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 0, "{b}");

        let generated = campaigns(&world).await;
        assert_eq!(generated.len(), 1, "{b}");
        let campaign = &generated[0];
        assert_eq!(
            campaign.definition.name, "Review 2026-11-02 09:00 CET",
            "{b}"
        );
        assert_eq!(
            campaign.definition.description.as_deref(),
            Some("Generated on 2026-11-02")
        );
        assert_eq!(
            campaign.definition.deadline,
            Some(utc("2026-11-16T08:00:00Z"))
        );
        assert_eq!(campaign.owner, IdentityId::from("adm"));
        assert_eq!(campaign.status, CampaignStatus::Pending);
        // The normal creation path: generation runs as the campaign's task.
        world.engine.run_due_tasks().await.unwrap();
        let staged = world.store.campaign(&campaign.id).await.unwrap().unwrap();
        assert_eq!(staged.status, CampaignStatus::Staged, "{b}");
        let audit = world.store.audit_events(&campaign.id, 10, 0).await.unwrap();
        assert_eq!(audit[0].action, "campaign.created");
        assert_eq!(audit[0].actor, Actor::system());
        assert_eq!(audit[0].detail["templateId"], template.id.as_str());
        assert_eq!(audit[0].detail["occurrence"], "2026-11-02T08:00:00+00:00");

        // The next day's occurrence is the next campaign.
        world.clock.set(utc("2026-11-03T08:00:00Z"));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 1, "{b}");
        assert_eq!(campaigns(&world).await.len(), 2, "{b}");
        assert_eq!(
            occurrences(&world, &template.id).await,
            ["2026-11-02T08:00:00+00:00", "2026-11-03T08:00:00+00:00"]
        );

        // Deleting the schedule stops it; deleting the template keeps its campaigns.
        world
            .engine
            .delete_template_schedule(&admin(), &template.id)
            .await
            .unwrap();
        world.clock.set(utc("2026-11-05T08:00:00Z"));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 0, "{b}");
        world
            .engine
            .delete_template(&admin(), &template.id)
            .await
            .unwrap();
        assert_eq!(campaigns(&world).await.len(), 2, "{b}");
        assert!(matches!(
            world.engine.template(&admin(), &template.id).await,
            Err(EngineError::NotFound(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_carries_on_and_runs_the_latest_missed_occurrence_once() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let template = world
            .engine
            .create_template(&admin(), draft("Review %F"))
            .await
            .unwrap();
        world
            .engine
            .set_template_schedule(&admin(), &template.id, daily(&["12"], "UTC"))
            .await
            .unwrap();
        world.clock.set(utc("2026-11-02T12:00:00Z"));
        assert_eq!(world.engine.run_due_schedules().await.unwrap(), 1, "{b}");

        // Every node is down for three and a half days: 3rd, 4th and 5th at noon are missed.
        world.clock.set(utc("2026-11-06T00:00:00Z"));
        let restarted = Campaigns::new(Arc::clone(&world.store), Arc::new(world.clock.clone()));
        assert_eq!(restarted.run_due_schedules().await.unwrap(), 1, "{b}");
        assert_eq!(restarted.run_due_schedules().await.unwrap(), 0, "{b}");
        let again = Campaigns::new(Arc::clone(&world.store), Arc::new(world.clock.clone()));
        assert_eq!(again.run_due_schedules().await.unwrap(), 0, "{b}");
        assert_eq!(
            occurrences(&world, &template.id).await,
            ["2026-11-02T12:00:00+00:00", "2026-11-05T12:00:00+00:00"]
        );
        let latest = world
            .store
            .scheduled_runs(&template.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        let audit = world
            .store
            .audit_events(&latest.campaign_id, 10, 0)
            .await
            .unwrap();
        assert_eq!(audit[0].detail["missedOccurrencesSkipped"], 2, "{b}");
        // The schedule goes on from stored state.
        world.clock.set(utc("2026-11-06T12:00:00Z"));
        assert_eq!(again.run_due_schedules().await.unwrap(), 1, "{b}");
        assert_eq!(campaigns(&world).await.len(), 3, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn engines_ticking_at_once_on_one_store_generate_one_campaign_per_occurrence() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let mut templates = Vec::new();
        for _ in 0..3 {
            let template = world
                .engine
                .create_template(&admin(), draft("Review %F %H"))
                .await
                .unwrap();
            world
                .engine
                .set_template_schedule(&admin(), &template.id, daily(&["8", "9", "10"], "UTC"))
                .await
                .unwrap();
            templates.push(template);
        }
        // Four nodes: engines of their own over the same database, as `attest serve` on four
        // machines would have.
        let nodes: Vec<Campaigns> = (0..4)
            .map(|_| Campaigns::new(Arc::clone(&world.store), Arc::new(world.clock.clone())))
            .collect();
        let mut total = 0;
        for hour in ["08", "09", "10"] {
            world.clock.set(utc(&format!("2026-11-02T{hour}:00:00Z")));
            let ticks: Vec<_> = nodes
                .iter()
                .cloned()
                .map(|node| tokio::spawn(async move { node.run_due_schedules().await.unwrap() }))
                .collect();
            let mut generated = 0;
            for tick in ticks {
                generated += tick.await.unwrap();
            }
            assert_eq!(generated, 3, "{b}: one campaign per template at {hour}:00");
            total += generated;
        }
        assert_eq!(campaigns(&world).await.len(), total, "{b}");
        for template in &templates {
            assert_eq!(
                occurrences(&world, &template.id).await,
                [
                    "2026-11-02T08:00:00+00:00",
                    "2026-11-02T09:00:00+00:00",
                    "2026-11-02T10:00:00+00:00"
                ],
                "{b}"
            );
        }
    }
}

/// Moves the clock in half-hour steps to `until`, ticking at each step.
async fn walk(world: &World, until: &str) {
    let until = utc(until);
    while world.clock.now() < until {
        world.clock.advance(Duration::minutes(30));
        world.engine.run_due_schedules().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daylight_saving_changes_neither_skip_nor_repeat_occurrences() {
    for world in worlds("2026-03-07T00:00:00Z").await {
        let b = world.backend;
        // New York springs forward on 2026-03-08: 02:00 does not exist, 03:00 is the first
        // instant after the gap, and both hours fall on it that day.
        let spring = world
            .engine
            .create_template(&admin(), draft("Spring %c"))
            .await
            .unwrap();
        world
            .engine
            .set_template_schedule(&admin(), &spring.id, daily(&["2", "3"], "America/New_York"))
            .await
            .unwrap();
        // Berlin falls back on 2026-10-25: 02:00 happens twice and runs once.
        let fall = world
            .engine
            .create_template(&admin(), draft("Fall %c"))
            .await
            .unwrap();
        walk(&world, "2026-03-09T12:00:00Z").await;
        assert_eq!(
            occurrences(&world, &spring.id).await,
            [
                "2026-03-07T07:00:00+00:00",
                "2026-03-07T08:00:00+00:00",
                "2026-03-08T07:00:00+00:00",
                "2026-03-09T06:00:00+00:00",
                "2026-03-09T07:00:00+00:00"
            ],
            "{b}"
        );
        world
            .engine
            .delete_template_schedule(&admin(), &spring.id)
            .await
            .unwrap();
        world.clock.set(utc("2026-10-24T12:00:00Z"));
        world
            .engine
            .set_template_schedule(&admin(), &fall.id, daily(&["2"], "Europe/Berlin"))
            .await
            .unwrap();
        walk(&world, "2026-10-26T12:00:00Z").await;
        assert_eq!(
            occurrences(&world, &fall.id).await,
            ["2026-10-25T00:00:00+00:00", "2026-10-26T01:00:00+00:00"],
            "{b}"
        );
        assert_eq!(campaigns(&world).await.len(), 7, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_schedules_stop() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let template = world
            .engine
            .create_template(&admin(), draft("Review %F"))
            .await
            .unwrap();
        let mut schedule = daily(&["12"], "UTC");
        schedule.expiration = Some(utc("2026-11-03T12:00:00Z"));
        world
            .engine
            .set_template_schedule(&admin(), &template.id, schedule.clone())
            .await
            .unwrap();
        walk(&world, "2026-11-06T00:00:00Z").await;
        assert_eq!(
            occurrences(&world, &template.id).await,
            ["2026-11-02T12:00:00+00:00", "2026-11-03T12:00:00+00:00"],
            "{b}"
        );
        let stored = world
            .store
            .template_schedule(&template.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.next_due, None, "{b}");
        assert_eq!(
            world
                .engine
                .template_schedule(&admin(), &template.id)
                .await
                .unwrap(),
            schedule
        );
        // A schedule set after its expiration is kept but never occurs.
        world
            .engine
            .set_template_schedule(&admin(), &template.id, schedule)
            .await
            .unwrap();
        walk(&world, "2026-11-08T00:00:00Z").await;
        assert_eq!(occurrences(&world, &template.id).await.len(), 2, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_checked_like_campaigns_and_only_administrators_use_them() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let mut bad = draft("Review %q");
        bad.name = " ".to_owned();
        bad.deadline_duration = Some("two weeks".to_owned());
        bad.campaign.scope = CampaignScope::SourceOwner {
            source_ids: vec!["nowhere".into()],
            correlated: CorrelatedStatus::Correlated,
        };
        let Err(EngineError::Invalid { causes, .. }) =
            world.engine.create_template(&admin(), bad).await
        else {
            panic!("{b}: a bad template was accepted");
        };
        let text = causes.join("\n");
        for expected in [
            "name: is required",
            "deadlineDuration: \"two weeks\"",
            "campaign.name: \"%q\"",
            "campaign.sourceOwnerCampaignInfo.sourceIds: source nowhere does not exist",
        ] {
            assert!(
                text.contains(expected),
                "{b}: {expected} missing from {text}"
            );
        }
        assert!(matches!(
            world.engine.create_template(&reviewer(), draft("x")).await,
            Err(EngineError::Forbidden(_))
        ));

        let template = world
            .engine
            .create_template(&admin(), draft("Review %B %Y"))
            .await
            .unwrap();
        assert!(matches!(
            world.engine.template(&reviewer(), &template.id).await,
            Err(EngineError::Forbidden(_))
        ));
        let mut bad_schedule = daily(&["25"], "Mars/Base");
        bad_schedule.days = None;
        let Err(EngineError::Invalid { causes, .. }) = world
            .engine
            .set_template_schedule(&admin(), &template.id, bad_schedule)
            .await
        else {
            panic!("{b}: a bad schedule was accepted");
        };
        assert_eq!(causes.len(), 3, "{b}: {causes:?}");
        assert!(matches!(
            world.engine.template_schedule(&admin(), &template.id).await,
            Err(EngineError::NotFound(_))
        ));

        // Generate now: placeholders in the schedule's time zone, owned by the caller.
        world
            .engine
            .set_template_schedule(&admin(), &template.id, daily(&["12"], "Asia/Tokyo"))
            .await
            .unwrap();
        world.clock.set(utc("2026-11-30T16:00:00Z")); // 1 December in Tokyo
        let campaign = world
            .engine
            .generate_from_template(&admin(), &template.id)
            .await
            .unwrap();
        assert_eq!(campaign.definition.name, "Review December 2026", "{b}");
        assert_eq!(campaign.owner, IdentityId::from("adm"));
        assert_eq!(
            campaign.definition.deadline,
            Some(utc("2026-12-14T16:00:00Z"))
        );

        // Patching replaces the definition, checked again.
        let mut changed = draft("Quarterly %Y");
        changed.deadline_duration = None;
        changed.campaign.deadline = Some(utc("2027-01-31T00:00:00Z"));
        let updated = world
            .engine
            .update_template(&admin(), &template.id, changed)
            .await
            .unwrap();
        assert_eq!(updated.campaign.name, "Quarterly %Y");
        assert_eq!(updated.modified, Some(utc("2026-11-30T16:00:00Z")));
        assert!(updated.scheduled);
        let second = world
            .engine
            .generate_from_template(&admin(), &template.id)
            .await
            .unwrap();
        assert_eq!(second.definition.name, "Quarterly 2026");
        assert_eq!(
            second.definition.deadline,
            Some(utc("2027-01-31T00:00:00Z"))
        );
    }
}

/// The loop `attest serve` runs ([`Campaigns::run_scheduler`]): it generates a due occurrence
/// on its own and stops when asked. The clock is moved, not waited for; the test waits only
/// for the loop's next tick (a few milliseconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_loop_generates_due_occurrences_and_stops_when_asked() {
    for world in worlds("2026-11-02T06:00:00Z").await {
        let b = world.backend;
        let template = world
            .engine
            .create_template(&admin(), draft("Loop %F %H:%M %Z"))
            .await
            .unwrap();
        world
            .engine
            .set_template_schedule(&admin(), &template.id, daily(&["9"], "UTC"))
            .await
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let engine = world.engine.clone();
        let scheduler = tokio::spawn(async move {
            engine
                .run_scheduler(std::time::Duration::from_millis(5), async {
                    let _ = stopped.await;
                })
                .await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(campaigns(&world).await.is_empty(), "{b}: not due yet");
        world.clock.set(utc("2026-11-02T09:00:00Z"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while campaigns(&world).await.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{b}: the loop did not generate"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // More ticks on the same occurrence add nothing.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let generated = campaigns(&world).await;
        assert_eq!(generated.len(), 1, "{b}");
        assert_eq!(
            generated[0].definition.name, "Loop 2026-11-02 09:00 UTC",
            "{b}"
        );
        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), scheduler)
            .await
            .expect("the scheduler stops when asked")
            .unwrap();
    }
}
