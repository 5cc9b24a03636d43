//! Campaign filters on real stores (SQLite always, PostgreSQL when configured): their
//! administration (who may, validation, read-only system filters, all-or-nothing deletes) and
//! their application at generation, INCLUSION and EXCLUSION, with criteria on identity
//! attributes, the identity, entitlements, access profiles, roles, sources and accounts, each
//! checked against what the small hand-built warehouse below makes predictable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, CommentRequirement};
use attest_domain::campaign_filter::{
    CampaignFilterId, CriteriaOperation, CriteriaType, Criterion, FilterMode,
};
use attest_domain::certification::*;
use attest_domain::*;
use attest_engine::campaigns::{Campaigns, EngineError, FilterDraft};
use attest_engine::credentials::Caller;
use attest_engine::import::{import_bundle, NoProgress};
use attest_store::campaigns::ListQuery;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()
}

/// Managers: ceo ← alice ← {bob, carol}; ceo ← {dave, adm}. Bob is a leaver (inactive).
/// A MANAGER campaign over it reviews six items:
/// alice reviews (bob, users) through account bob-ad, (bob, r1) a role, (carol, users) without
/// account; ceo reviews (alice, admins) through alice-ad (privileged), (dave, payroll) on
/// Workday, (adm, old) on Legacy App.
fn write_bundle(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "identities.csv",
            "id,name,displayName,email,managerId,department,title,location,lifecycleState,active,costCenter\n\
             ceo,ceo,Cora CEO,ceo@x.test,,Exec,CEO,Berlin,active,true,100\n\
             alice,alice,Alice A,alice@x.test,ceo,IT,Head of IT,Berlin,active,true,200\n\
             bob,bob,Bob B,bob@x.test,alice,IT,Engineer,Paris,leaver,false,200\n\
             carol,carol,Carol C,carol@x.test,alice,IT,Engineer,Paris,active,true,210\n\
             dave,dave,Dave D,dave@x.test,ceo,HR,HR lead,Berlin,active,true,300\n\
             adm,adm,Ada Admin,adm@x.test,ceo,Security,Admin,Berlin,active,true,100\n",
        ),
        (
            "sources.csv",
            "id,name,description,ownerId,type\n\
             ad,Active Directory,,alice,Directory\n\
             hr,Workday,,dave,HR\n\
             legacy,Legacy App,,adm,App\n",
        ),
        (
            "entitlements.csv",
            "id,sourceId,name,attribute,value,description,privileged,ownerId\n\
             admins,ad,Domain Admins,memberOf,CN=Domain Admins,,true,alice\n\
             users,ad,Domain Users,memberOf,CN=Domain Users,,false,\n\
             payroll,hr,Payroll,role,payroll,,false,\n\
             old,legacy,Old access,role,old,,false,\n",
        ),
        (
            "access_profiles.csv",
            "id,name,description,sourceId,ownerId,entitlementIds\nap1,AD basics,,ad,alice,users;admins\n",
        ),
        (
            "roles.csv",
            "id,name,description,ownerId,accessProfileIds,entitlementIds,privileged\n\
             r1,IT staff,,alice,ap1,users,false\n",
        ),
        (
            "accounts.csv",
            "id,sourceId,nativeIdentity,name,identityId,machine,ownerId,disabled,locked,lastUsed\n\
             bob-ad,ad,CN=bob,bob,bob,false,,false,false,2026-10-01T10:00:00Z\n\
             alice-ad,ad,CN=alice,alice,alice,false,,false,false,\n\
             svc-backup,ad,CN=svc-backup,svc-backup,,true,carol,false,false,\n\
             orphan,ad,CN=old,old,,false,,true,false,\n\
             stray,ad,CN=stray,stray,,false,,false,false,\n",
        ),
        (
            "assignments.csv",
            "identityId,accountId,accessType,accessId,origin,grantedAt\n\
             bob,bob-ad,ENTITLEMENT,users,ROLE_MODEL,2025-01-01T00:00:00Z\n\
             bob,,ROLE,r1,REQUEST,\n\
             carol,,ENTITLEMENT,users,DISCOVERED,\n\
             alice,alice-ad,ENTITLEMENT,admins,MANUAL,\n\
             dave,,ENTITLEMENT,payroll,MANUAL,\n\
             adm,,ENTITLEMENT,old,MANUAL,\n\
             ceo,,ENTITLEMENT,users,MANUAL,\n\
             ,svc-backup,ENTITLEMENT,admins,MANUAL,\n\
             ,orphan,ACCESS_PROFILE,ap1,DISCOVERED,\n\
             ,orphan,ENTITLEMENT,users,DISCOVERED,\n\
             ,stray,ENTITLEMENT,users,DISCOVERED,\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

struct World {
    backend: &'static str,
    clock: ManualClock,
    engine: Campaigns,
}

async fn worlds() -> Vec<World> {
    let mut worlds = Vec::new();
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(dir.path());
        let clock = ManualClock::new(start());
        import_bundle(store.as_ref(), &clock, dir.path(), Arc::new(NoProgress))
            .await
            .unwrap();
        let engine = Campaigns::new(Arc::clone(&store), Arc::new(clock.clone()));
        worlds.push(World {
            backend,
            clock,
            engine,
        });
    }
    worlds
}

fn caller(id: &str, authorities: &[Authority]) -> Caller {
    Caller {
        identity_id: id.into(),
        client_id: ClientId(format!("client-{id}")),
        authorities: authorities.to_vec(),
        expires_at: start() + Duration::days(365),
    }
}

fn admin() -> Caller {
    caller("adm", &[Authority::CertAdmin])
}

fn definition(
    name: &str,
    scope: CampaignScope,
    filter: Option<&CampaignFilterId>,
) -> CampaignDefinition {
    CampaignDefinition {
        name: name.to_owned(),
        description: None,
        deadline: Some(start() + Duration::days(30)),
        scope,
        email_notification_enabled: false,
        auto_revoke_allowed: false,
        recommendations_enabled: false,
        mandatory_comment_requirement: CommentRequirement::NoDecisions,
        sunset_comments_required: false,
        filter: filter.map(|id| FilterRef {
            id: id.to_string(),
            name: Some("whatever the client says".to_owned()),
        }),
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

fn leaf(kind: CriteriaType, op: CriteriaOperation, property: &str, value: &str) -> Criterion {
    Criterion {
        kind,
        operation: Some(op),
        property: Some(property.to_owned()),
        value: Some(value.to_owned()),
        negate_result: false,
        short_circuit: false,
        record_child_matches: false,
        id: None,
        suppress_matched_items: false,
        children: Vec::new(),
    }
}

fn any_of(children: Vec<Criterion>) -> Criterion {
    Criterion {
        kind: CriteriaType::Composite,
        operation: Some(CriteriaOperation::Or),
        property: None,
        value: None,
        children,
        ..leaf(CriteriaType::Composite, CriteriaOperation::Or, "", "")
    }
}

fn draft(name: &str, mode: FilterMode, criteria: Vec<Criterion>) -> FilterDraft {
    FilterDraft {
        name: Some(name.to_owned()),
        description: Some(format!("{name} (test)")),
        mode: Some(mode),
        criteria,
    }
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(h, a)| (h.to_string(), a.to_string()))
        .collect()
}

fn invalid_causes<T: std::fmt::Debug>(result: Result<T, EngineError>) -> (String, Vec<String>) {
    match result {
        Err(EngineError::Invalid { message, causes }) => (message, causes),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

use CriteriaOperation::*;
use CriteriaType::*;

impl World {
    async fn filter(
        &self,
        name: &str,
        mode: FilterMode,
        criteria: Vec<Criterion>,
    ) -> CampaignFilterId {
        self.engine
            .create_filter(&admin(), draft(name, mode, criteria))
            .await
            .unwrap()
            .id
    }

    /// Creates the campaign and runs its generation.
    async fn generate(&self, definition: CampaignDefinition) -> Campaign {
        let created = self.engine.create(&admin(), definition).await.unwrap();
        self.engine.run_due_tasks().await.unwrap();
        let campaign = self.engine.campaign(&admin(), &created.id).await.unwrap();
        assert_ne!(campaign.status, CampaignStatus::Pending, "{}", self.backend);
        campaign
    }

    /// (holder, access id) of every item, per reviewer.
    async fn layout(&self, campaign: &Campaign) -> BTreeMap<String, BTreeSet<(String, String)>> {
        assert_eq!(
            campaign.status,
            CampaignStatus::Staged,
            "{}: {:?}",
            self.backend,
            campaign.alerts
        );
        let query = ListQuery {
            filter: Some(
                attest_query::parse_filter(&format!("campaign.id eq \"{}\"", campaign.id)).unwrap(),
            ),
            ..all()
        };
        let certs = self
            .engine
            .certifications(&admin(), false, &query)
            .await
            .unwrap()
            .items;
        let mut layout = BTreeMap::new();
        for cert in certs {
            let entry: &mut BTreeSet<(String, String)> =
                layout.entry(cert.reviewer.to_string()).or_default();
            let items = self
                .engine
                .items(&admin(), &cert.id, None, &all())
                .await
                .unwrap()
                .items
                .items;
            for item in items {
                let holder = item
                    .identity_id
                    .as_ref()
                    .map(ToString::to_string)
                    .or(item.account_id.as_ref().map(ToString::to_string))
                    .or(item.role_id.as_ref().map(ToString::to_string))
                    .unwrap_or_default();
                entry.insert((holder, item.access_id.clone()));
            }
        }
        layout
    }

    /// The MANAGER campaign's items under a new filter, as one flat set.
    async fn managed(
        &self,
        mode: FilterMode,
        criteria: Vec<Criterion>,
    ) -> BTreeSet<(String, String)> {
        let id = self.filter("f", mode, criteria).await;
        let campaign = self
            .generate(definition("Managers", CampaignScope::Manager, Some(&id)))
            .await;
        self.layout(&campaign)
            .await
            .into_values()
            .flatten()
            .collect()
    }
}

fn every_managed_item() -> BTreeSet<(String, String)> {
    set(&[
        ("bob", "users"),
        ("bob", "r1"),
        ("carol", "users"),
        ("alice", "admins"),
        ("dave", "payroll"),
        ("adm", "old"),
    ])
}

// ---------------------------------------------------------------------------------------------
// Application at generation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn inclusion_on_an_identity_attribute_keeps_only_matching_holders_and_says_so() {
    for w in worlds().await {
        let id = w
            .filter(
                "IT only",
                FilterMode::Inclusion,
                vec![leaf(IdentityAttribute, Equals, "department", "it")],
            )
            .await;
        let campaign = w
            .generate(definition("IT managers", CampaignScope::Manager, Some(&id)))
            .await;
        assert_eq!(
            w.layout(&campaign).await,
            BTreeMap::from([
                (
                    "alice".to_owned(),
                    set(&[("bob", "users"), ("bob", "r1"), ("carol", "users")])
                ),
                ("ceo".to_owned(), set(&[("alice", "admins")])),
            ]),
            "{}",
            w.backend
        );
        assert_eq!(campaign.counts.items_total, 4, "{}", w.backend);
        // The reference holds the stored filter's name, not the client's.
        let reference = campaign.definition.filter.as_ref().unwrap();
        assert_eq!(reference.id, id.as_str());
        assert_eq!(reference.name.as_deref(), Some("IT only"));
        let info = campaign
            .alerts
            .iter()
            .find(|a| a.level == AlertLevel::Info && a.message.contains("IT only"))
            .unwrap_or_else(|| panic!("{}: {:?}", w.backend, campaign.alerts));
        assert!(
            info.message.contains("kept 4 of the 6 items"),
            "{}: {}",
            w.backend,
            info.message
        );

        // An imported (non-standard) attribute, with STARTS_WITH / ENDS_WITH.
        assert_eq!(
            w.managed(
                FilterMode::Inclusion,
                vec![leaf(IdentityAttribute, EndsWith, "costCenter", "10")]
            )
            .await,
            set(&[("carol", "users")]),
            "{}",
            w.backend
        );
        assert_eq!(
            w.managed(
                FilterMode::Inclusion,
                vec![leaf(IdentityAttribute, StartsWith, "location", "PAR")]
            )
            .await,
            set(&[("bob", "users"), ("bob", "r1"), ("carol", "users")]),
            "{}",
            w.backend
        );
    }
}

#[tokio::test]
async fn exclusion_drops_what_matches_entitlements_sources_and_identities() {
    for w in worlds().await {
        let without = |pairs: &[(&str, &str)]| {
            let mut items = every_managed_item();
            for pair in set(pairs) {
                assert!(items.remove(&pair), "{pair:?}");
            }
            items
        };
        // Privileged entitlements (read from the catalogue, not carried by the candidate).
        assert_eq!(
            w.managed(
                FilterMode::Exclusion,
                vec![leaf(Entitlement, Equals, "privileged", "TRUE")]
            )
            .await,
            without(&[("alice", "admins")]),
            "{}",
            w.backend
        );
        // An entitlement's value: role items have no entitlement and stay.
        assert_eq!(
            w.managed(
                FilterMode::Exclusion,
                vec![leaf(Entitlement, Contains, "value", "cn=domain")]
            )
            .await,
            without(&[("bob", "users"), ("carol", "users"), ("alice", "admins")]),
            "{}",
            w.backend
        );
        // A source, by name.
        assert_eq!(
            w.managed(
                FilterMode::Exclusion,
                vec![leaf(Source, NotEquals, "name", "Active Directory")]
            )
            .await,
            without(&[("dave", "payroll"), ("adm", "old")]),
            "{}",
            w.backend
        );
        // The holder identity, by display name.
        assert_eq!(
            w.managed(
                FilterMode::Exclusion,
                vec![leaf(Identity, StartsWith, "displayName", "Bob")]
            )
            .await,
            without(&[("bob", "users"), ("bob", "r1")]),
            "{}",
            w.backend
        );
    }
}

#[tokio::test]
async fn roles_accounts_and_access_profiles_are_criteria_too() {
    for w in worlds().await {
        assert_eq!(
            w.managed(
                FilterMode::Inclusion,
                vec![leaf(Role, Equals, "name", "it staff")]
            )
            .await,
            set(&[("bob", "r1")]),
            "{}",
            w.backend
        );
        // Access held through an account whose native identity starts with CN=.
        assert_eq!(
            w.managed(
                FilterMode::Inclusion,
                vec![leaf(Account, StartsWith, "nativeIdentity", "cn=")]
            )
            .await,
            set(&[("bob", "users"), ("alice", "admins")]),
            "{}",
            w.backend
        );

        // An uncorrelated source campaign: the disabled orphan account holds ap1 and users, the
        // enabled stray account users.
        let plain = w
            .generate(definition(
                "AD orphans",
                CampaignScope::SourceOwner {
                    source_ids: vec!["ad".into()],
                    correlated: CorrelatedStatus::Uncorrelated,
                },
                None,
            ))
            .await;
        let everything: BTreeSet<_> = w.layout(&plain).await.into_values().flatten().collect();
        assert!(
            everything.contains(&("orphan".into(), "ap1".into())),
            "{everything:?}"
        );
        assert!(
            everything.contains(&("orphan".into(), "users".into())),
            "{everything:?}"
        );
        let id = w
            .filter(
                "No AD basics",
                FilterMode::Exclusion,
                vec![leaf(AccessProfile, Equals, "name", "AD Basics")],
            )
            .await;
        let filtered = w
            .generate(definition(
                "AD orphans, no profiles",
                CampaignScope::SourceOwner {
                    source_ids: vec!["ad".into()],
                    correlated: CorrelatedStatus::Uncorrelated,
                },
                Some(&id),
            ))
            .await;
        let kept: BTreeSet<_> = w.layout(&filtered).await.into_values().flatten().collect();
        let mut expected = everything.clone();
        expected.remove(&("orphan".to_owned(), "ap1".to_owned()));
        assert_eq!(kept, expected, "{}", w.backend);

        // The disabled-account system filter leaves out everything held through `orphan`.
        let system = CampaignFilterId("a77e57f1000000000000000000000002".to_owned());
        let filtered = w
            .generate(definition(
                "AD orphans, enabled",
                CampaignScope::SourceOwner {
                    source_ids: vec!["ad".into()],
                    correlated: CorrelatedStatus::Uncorrelated,
                },
                Some(&system),
            ))
            .await;
        let kept: BTreeSet<_> = w.layout(&filtered).await.into_values().flatten().collect();
        let expected: BTreeSet<_> = everything
            .iter()
            .filter(|(holder, _)| holder != "orphan")
            .cloned()
            .collect();
        assert!(!expected.is_empty() && expected.len() < everything.len());
        assert_eq!(kept, expected, "{}", w.backend);
    }
}

#[tokio::test]
async fn composites_and_negation_combine_and_system_filters_apply() {
    for w in worlds().await {
        // (HR or an admin entitlement) and not dave.
        let mut not_dave = leaf(Identity, Equals, "name", "dave");
        not_dave.negate_result = true;
        let or = any_of(vec![
            leaf(IdentityAttribute, Equals, "department", "HR"),
            leaf(Entitlement, Contains, "name", "admins"),
        ]);
        assert_eq!(
            w.managed(FilterMode::Inclusion, vec![or.clone()]).await,
            set(&[("dave", "payroll"), ("alice", "admins")]),
            "{}",
            w.backend
        );
        assert_eq!(
            w.managed(FilterMode::Inclusion, vec![or, not_dave]).await,
            set(&[("alice", "admins")]),
            "{}",
            w.backend
        );

        // "Exclude inactive identities" ships with Attest: bob is a leaver.
        let system = CampaignFilterId("a77e57f1000000000000000000000003".to_owned());
        let campaign = w
            .generate(definition("Active", CampaignScope::Manager, Some(&system)))
            .await;
        let kept: BTreeSet<_> = w.layout(&campaign).await.into_values().flatten().collect();
        let mut expected = every_managed_item();
        expected.remove(&("bob".to_owned(), "users".to_owned()));
        expected.remove(&("bob".to_owned(), "r1".to_owned()));
        assert_eq!(kept, expected, "{}", w.backend);
        assert_eq!(
            campaign.definition.filter.unwrap().name.as_deref(),
            Some("Exclude inactive identities")
        );
    }
}

#[tokio::test]
async fn a_filter_that_leaves_nothing_or_has_gone_fails_the_generation_by_name() {
    for w in worlds().await {
        let id = w
            .filter(
                "Nobody at all",
                FilterMode::Inclusion,
                vec![leaf(IdentityAttribute, Equals, "department", "Sales")],
            )
            .await;
        let campaign = w
            .generate(definition("Empty", CampaignScope::Manager, Some(&id)))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Error, "{}", w.backend);
        let alert = campaign
            .alerts
            .iter()
            .find(|a| a.level == AlertLevel::Error)
            .unwrap();
        assert!(
            alert.message.contains("Nobody at all")
                && alert.message.contains("left none of the 6 items"),
            "{}: {}",
            w.backend,
            alert.message
        );

        // Deleted between creation and generation.
        let id = w
            .filter(
                "Short-lived",
                FilterMode::Exclusion,
                vec![leaf(Source, Equals, "id", "hr")],
            )
            .await;
        let created = w
            .engine
            .create(
                &admin(),
                definition("Orphaned", CampaignScope::Manager, Some(&id)),
            )
            .await
            .unwrap();
        w.engine
            .delete_filters(&admin(), std::slice::from_ref(&id))
            .await
            .unwrap();
        w.engine.run_due_tasks().await.unwrap();
        let campaign = w.engine.campaign(&admin(), &created.id).await.unwrap();
        assert_eq!(campaign.status, CampaignStatus::Error, "{}", w.backend);
        assert!(
            campaign.alerts.iter().any(|a| a.level == AlertLevel::Error
                && a.message.contains("no longer exists")
                && a.message.contains(id.as_str())),
            "{}: {:?}",
            w.backend,
            campaign.alerts
        );
    }
}

#[tokio::test]
async fn a_campaign_naming_an_unknown_filter_is_refused_naming_it() {
    for w in worlds().await {
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        "Nope",
                        CampaignScope::Manager,
                        Some(&CampaignFilterId(
                            "0123456789abcdef0123456789abcdef".to_owned(),
                        )),
                    ),
                )
                .await,
        );
        assert_eq!(
            causes,
            ["filter.id: campaign filter 0123456789abcdef0123456789abcdef does not exist"],
            "{}",
            w.backend
        );
        // Nothing was created.
        assert_eq!(
            w.engine
                .campaigns(&admin(), &all())
                .await
                .unwrap()
                .items
                .len(),
            0,
            "{}",
            w.backend
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn administrators_create_list_update_and_delete_filters() {
    for w in worlds().await {
        let org_admin = caller("ceo", &[Authority::OrgAdmin]);
        let created = w
            .engine
            .create_filter(
                &org_admin,
                draft(
                    "  Finance  ",
                    FilterMode::Inclusion,
                    vec![leaf(IdentityAttribute, Equals, "department", "Finance")],
                ),
            )
            .await
            .unwrap();
        assert_eq!(created.name, "Finance", "names are trimmed");
        assert_eq!(created.owner.as_deref(), Some("Cora CEO"));
        assert_eq!(created.owner_id, Some("ceo".into()));
        assert!(!created.system);
        assert_eq!(created.id.as_str().len(), 32);
        let read = w.engine.filter(&admin(), &created.id).await.unwrap();
        assert_eq!(read, created, "{}", w.backend);

        // System filters first, then by creation; the total follows includeSystemFilters.
        w.clock.advance(Duration::minutes(1));
        let second = w
            .filter(
                "Second",
                FilterMode::Exclusion,
                vec![leaf(Role, Equals, "id", "r1")],
            )
            .await;
        let (page, total) = w.engine.filters(&admin(), true, 250, 0).await.unwrap();
        assert_eq!(total, 5, "{}", w.backend);
        let ids: Vec<&str> = page.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "a77e57f1000000000000000000000001",
                "a77e57f1000000000000000000000002",
                "a77e57f1000000000000000000000003",
                created.id.as_str(),
                second.as_str()
            ],
            "{}",
            w.backend
        );
        assert!(page[..3]
            .iter()
            .all(|f| f.system && f.owner.as_deref() == Some("Attest")));
        let (page, total) = w.engine.filters(&admin(), false, 1, 1).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, second);
        let (page, total) = w.engine.filters(&admin(), true, 0, 0).await.unwrap();
        assert!(page.is_empty());
        assert_eq!(total, 5);

        // Update replaces the definition and keeps identity and owner.
        let updated = w
            .engine
            .update_filter(
                &admin(),
                &created.id,
                draft(
                    "Finance and HR",
                    FilterMode::Exclusion,
                    vec![any_of(vec![
                        leaf(IdentityAttribute, Equals, "department", "Finance"),
                        leaf(IdentityAttribute, Equals, "department", "HR"),
                    ])],
                ),
            )
            .await
            .unwrap();
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.owner.as_deref(), Some("Cora CEO"));
        assert_eq!(updated.mode, FilterMode::Exclusion);
        assert_eq!(updated.created, created.created);
        assert_eq!(
            w.engine.filter(&admin(), &created.id).await.unwrap(),
            updated
        );

        // System filters are read-only.
        let system = CampaignFilterId("a77e57f1000000000000000000000001".to_owned());
        let (message, _) = invalid_causes(
            w.engine
                .update_filter(
                    &admin(),
                    &system,
                    draft(
                        "Mine now",
                        FilterMode::Inclusion,
                        vec![leaf(Source, Equals, "id", "ad")],
                    ),
                )
                .await,
        );
        assert!(message.contains("system filter"), "{message}");
        let (message, causes) = invalid_causes(
            w.engine
                .delete_filters(&admin(), &[second.clone(), system.clone()])
                .await,
        );
        assert!(message.contains("nothing was deleted"), "{message}");
        assert_eq!(
            causes,
            [format!("body: {system} is a system filter (read-only)")]
        );

        // Unknown ids: 404 naming them, nothing deleted.
        let unknown = CampaignFilterId("ffffffffffffffffffffffffffffffff".to_owned());
        match w
            .engine
            .delete_filters(&admin(), &[second.clone(), unknown.clone()])
            .await
        {
            Err(EngineError::NotFound(message)) => {
                assert!(message.contains(unknown.as_str()), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(w.engine.filter(&admin(), &second).await.is_ok());
        assert!(matches!(
            w.engine
                .update_filter(
                    &admin(),
                    &unknown,
                    draft(
                        "x",
                        FilterMode::Inclusion,
                        vec![leaf(Source, Equals, "id", "ad")]
                    )
                )
                .await,
            Err(EngineError::NotFound(_))
        ));

        // Delete both, twice named: gone.
        w.engine
            .delete_filters(
                &admin(),
                &[second.clone(), created.id.clone(), second.clone()],
            )
            .await
            .unwrap();
        assert!(matches!(
            w.engine.filter(&admin(), &second).await,
            Err(EngineError::NotFound(_))
        ));
        let (_, total) = w.engine.filters(&admin(), false, 250, 0).await.unwrap();
        assert_eq!(total, 0, "{}", w.backend);
    }
}

#[tokio::test]
async fn only_campaign_administrators_see_or_change_filters() {
    for w in worlds().await {
        let id = w
            .filter(
                "Mine",
                FilterMode::Inclusion,
                vec![leaf(Source, Equals, "id", "ad")],
            )
            .await;
        for outsider in [
            caller("bob", &[]),
            caller("dave", &[Authority::ReportAdmin]),
        ] {
            let forbidden = |r: Result<(), EngineError>| {
                assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}")
            };
            forbidden(w.engine.filter(&outsider, &id).await.map(drop));
            forbidden(w.engine.filters(&outsider, true, 10, 0).await.map(drop));
            forbidden(
                w.engine
                    .create_filter(
                        &outsider,
                        draft(
                            "x",
                            FilterMode::Inclusion,
                            vec![leaf(Source, Equals, "id", "ad")],
                        ),
                    )
                    .await
                    .map(drop),
            );
            forbidden(
                w.engine
                    .update_filter(
                        &outsider,
                        &id,
                        draft(
                            "x",
                            FilterMode::Inclusion,
                            vec![leaf(Source, Equals, "id", "ad")],
                        ),
                    )
                    .await
                    .map(drop),
            );
            forbidden(
                w.engine
                    .delete_filters(&outsider, std::slice::from_ref(&id))
                    .await,
            );
        }
        assert!(w.engine.filter(&admin(), &id).await.is_ok());
    }
}

#[tokio::test]
async fn bad_filters_are_refused_naming_each_field() {
    for w in worlds().await {
        let mut bad = leaf(Entitlement, Equals, "colour", "");
        bad.children = vec![leaf(Role, Equals, "id", "r1")];
        let (message, causes) = invalid_causes(
            w.engine
                .create_filter(
                    &admin(),
                    FilterDraft {
                        name: Some("   ".to_owned()),
                        description: Some("d".repeat(2001)),
                        mode: None,
                        criteria: vec![bad],
                    },
                )
                .await,
        );
        assert_eq!(message, "The campaign filter is invalid.");
        assert_eq!(
            causes,
            [
                "name: is required",
                "description: must be at most 2000 characters, got 2001",
                "mode: is required (INCLUSION or EXCLUSION)",
                "criteriaList[0].children: only a COMPOSITE criterion has children",
                "criteriaList[0].property: \"colour\" is not a property of ENTITLEMENT criteria (one of id, name, attribute, value, description, privileged, sourceId, sourceName)",
                "criteriaList[0].value: is required for a ENTITLEMENT criterion",
            ],
            "{}",
            w.backend
        );
        let (_, causes) = invalid_causes(
            w.engine
                .create_filter(
                    &admin(),
                    draft("No criteria", FilterMode::Inclusion, Vec::new()),
                )
                .await,
        );
        assert_eq!(causes, ["criteriaList: at least one criterion is required"]);
        let (_, total) = w.engine.filters(&admin(), false, 250, 0).await.unwrap();
        assert_eq!(total, 0, "{}: nothing was stored", w.backend);
    }
}
