//! The certification engine on real stores (SQLite always, PostgreSQL when configured): every
//! campaign type generates what CONTRACTS.md says on a small hand-built warehouse, scopes that
//! cannot be reviewed fail with an alert, and a campaign walks from creation through
//! decisions, reassignment and sign-off to completion and provisioning orders, with the
//! authorization rules and the audit trail checked on the way.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use attest_domain::campaign::{CampaignStatus, CommentRequirement, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_engine::campaigns::{CampaignPatch, Campaigns, EngineError};
use attest_engine::credentials::Caller;
use attest_engine::import::{import_bundle, NoProgress};
use attest_store::campaigns::{ItemDecision, ListQuery, OrderQuery, ReassignTarget};
use attest_store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()
}

/// A small warehouse whose every campaign can be worked out by hand.
///
/// Managers: ceo ← alice ← {bob, carol}; ceo ← {dave, adm}. Sources: `ad` (owner alice),
/// `hr` (owner dave), `legacy` (no owner), `empty` (owner ceo, nothing on it).
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
             legacy,Legacy App,,,App\n\
             empty,Empty App,,ceo,App\n",
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
            "permissions.csv",
            "entitlementId,target,rights\nadmins,dc01,full\nusers,share://home,read\n",
        ),
        (
            "access_profiles.csv",
            "id,name,description,sourceId,ownerId,entitlementIds\nap1,AD basics,,ad,alice,users;admins\n",
        ),
        (
            "roles.csv",
            "id,name,description,ownerId,accessProfileIds,entitlementIds,privileged\n\
             r1,IT staff,,alice,ap1,users,false\n\
             r2,Payroll clerks,,,,payroll,false\n",
        ),
        (
            "accounts.csv",
            "id,sourceId,nativeIdentity,name,identityId,machine,ownerId,disabled,locked,lastUsed\n\
             bob-ad,ad,CN=bob,bob,bob,false,,false,false,2026-10-01T10:00:00Z\n\
             alice-ad,ad,CN=alice,alice,alice,false,,false,false,\n\
             svc-backup,ad,CN=svc-backup,svc-backup,,true,carol,false,false,2026-01-01T00:00:00Z\n\
             orphan,ad,CN=old,old,,false,,true,false,\n\
             svc-hr,hr,svc-hr,svc-hr,,true,,false,false,\n",
        ),
        (
            "governance_groups.csv",
            "id,name,description,ownerId,memberIds\ngg1,IT reviewers,,alice,alice;carol\n",
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
             ,orphan,ACCESS_PROFILE,ap1,DISCOVERED,\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// One backend with the hand-built warehouse, an engine and its clock.
struct World {
    backend: &'static str,
    store: Arc<dyn Store>,
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
            store,
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

fn reviewer(id: &str) -> Caller {
    caller(id, &[])
}

fn definition(name: &str, scope: CampaignScope) -> CampaignDefinition {
    CampaignDefinition {
        name: name.to_owned(),
        description: Some("test campaign".to_owned()),
        deadline: Some(start() + Duration::days(30)),
        scope,
        email_notification_enabled: false,
        auto_revoke_allowed: false,
        recommendations_enabled: true,
        mandatory_comment_requirement: CommentRequirement::NoDecisions,
        sunset_comments_required: false,
        filter: None,
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

fn filtered(filter: &str) -> ListQuery {
    ListQuery {
        filter: Some(attest_query::parse_filter(filter).unwrap()),
        ..all()
    }
}

impl World {
    /// Creates a campaign and runs its generation.
    async fn generate(&self, definition: CampaignDefinition) -> Campaign {
        let created = self.engine.create(&admin(), definition).await.unwrap();
        assert_eq!(created.status, CampaignStatus::Pending, "{}", self.backend);
        self.engine.run_due_tasks().await.unwrap();
        let campaign = self.engine.campaign(&admin(), &created.id).await.unwrap();
        if campaign.status == CampaignStatus::Pending {
            let tasks = self.engine.tasks(&admin(), &all()).await.unwrap();
            let errors: Vec<_> = tasks.items.iter().map(|t| &t.errors).collect();
            panic!("{}: generation did not finish: {errors:?}", self.backend);
        }
        campaign
    }

    /// Generates and activates a campaign.
    async fn activate(&self, definition: CampaignDefinition) -> Campaign {
        let campaign = self.generate(definition).await;
        assert_eq!(
            campaign.status,
            CampaignStatus::Staged,
            "{}: {:?}",
            self.backend,
            campaign.alerts
        );
        self.engine.activate(&admin(), &campaign.id).await.unwrap();
        let activating = self.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(activating.status, CampaignStatus::Activating);
        self.engine.run_due_tasks().await.unwrap();
        let active = self.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(active.status, CampaignStatus::Active, "{}", self.backend);
        active
    }

    async fn certifications(&self, campaign: &CampaignId) -> Vec<Certification> {
        let page = self
            .engine
            .certifications(
                &admin(),
                false,
                &filtered(&format!("campaign.id eq \"{campaign}\"")),
            )
            .await
            .unwrap();
        page.items
    }

    /// The certification of `reviewer` (an identity id) in the campaign.
    async fn certification_of(&self, campaign: &CampaignId, reviewer: &str) -> Certification {
        let certs = self.certifications(campaign).await;
        let mut mine: Vec<Certification> = certs
            .into_iter()
            .filter(|c| c.reviewer.as_str() == reviewer && c.reviewer_group.is_none())
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "{}: one certification for {reviewer}",
            self.backend
        );
        mine.remove(0)
    }

    async fn items(&self, certification: &CertificationId) -> Vec<ReviewItem> {
        self.engine
            .items(&admin(), certification, None, &all())
            .await
            .unwrap()
            .items
            .items
    }

    /// (holder, access id) of every item of the campaign, per reviewer.
    async fn layout(&self, campaign: &CampaignId) -> BTreeMap<String, BTreeSet<(String, String)>> {
        let mut layout = BTreeMap::new();
        for cert in self.certifications(campaign).await {
            let key = match &cert.reviewer_group {
                Some(group) => format!("{}@{group}", cert.reviewer),
                None => cert.reviewer.to_string(),
            };
            let entry: &mut BTreeSet<(String, String)> = layout.entry(key).or_default();
            for item in self.items(&cert.id).await {
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

    async fn error_alert(&self, definition: CampaignDefinition) -> String {
        let campaign = self.generate(definition).await;
        assert_eq!(campaign.status, CampaignStatus::Error, "{}", self.backend);
        assert!(self.certifications(&campaign.id).await.is_empty());
        let alert = campaign
            .alerts
            .iter()
            .find(|a| a.level == AlertLevel::Error)
            .expect("an ERROR alert");
        alert.message.clone()
    }
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(h, a)| (h.to_string(), a.to_string()))
        .collect()
}

fn invalid_causes(result: Result<impl std::fmt::Debug, EngineError>) -> (String, Vec<String>) {
    match result {
        Err(EngineError::Invalid { message, causes }) => (message, causes),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn source_scope(ids: &[&str], correlated: CorrelatedStatus) -> CampaignScope {
    CampaignScope::SourceOwner {
        source_ids: ids.iter().map(|s| SourceId::from(*s)).collect(),
        correlated,
    }
}

fn search(query: Option<&str>, ids: Option<&[&str]>, reviewer: NamedReviewer) -> CampaignScope {
    CampaignScope::Search {
        search_type: SearchType::Identity,
        query: query.map(str::to_owned),
        identity_ids: ids.map(|ids| ids.iter().map(|i| IdentityId::from(*i)).collect()),
        access_constraints: Vec::new(),
        reviewer,
        description: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Generation of each campaign type
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_manager_campaign_gives_each_manager_their_reports_access() {
    for w in worlds().await {
        let campaign = w
            .generate(definition("Q4 managers", CampaignScope::Manager))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        assert_eq!(
            campaign.counts,
            CampaignCounts {
                certifications_total: 2,
                certifications_completed: 0,
                items_total: 6,
                items_decided: 0,
                identities_total: 5,
            },
            "{}",
            w.backend
        );
        let layout = w.layout(&campaign.id).await;
        assert_eq!(
            layout,
            BTreeMap::from([
                (
                    "alice".to_owned(),
                    set(&[("bob", "users"), ("bob", "r1"), ("carol", "users")])
                ),
                (
                    "ceo".to_owned(),
                    set(&[("alice", "admins"), ("dave", "payroll"), ("adm", "old")])
                ),
            ]),
            "{}: the CEO has no manager, so her access is left out",
            w.backend
        );
        let alice = w.certification_of(&campaign.id, "alice").await;
        assert_eq!(alice.name, "Q4 managers - Alice A");
        assert_eq!(alice.phase, CertificationPhase::Staged);
        assert_eq!(alice.counts.entitlements.total, 2);
        assert_eq!(alice.counts.roles.total, 1);
        assert_eq!(alice.counts.identities_total, 2);
        assert_eq!(alice.due, campaign.definition.deadline);

        // Recommendations follow the contract: bob is a leaver, carol's access was discovered.
        let items = w.items(&alice.id).await;
        for item in &items {
            assert_eq!(item.recommendation, Some(Decision::Revoke), "{item:?}");
        }
        let bob_users = items
            .iter()
            .find(|i| i.access_id == "users" && i.identity_id == Some("bob".into()))
            .unwrap();
        assert_eq!(
            bob_users.recommendation_reasons,
            ["the holder is inactive", "granted by the role model"]
        );
        assert_eq!(bob_users.account_id, Some("bob-ad".into()));
        assert_eq!(bob_users.source_name.as_deref(), Some("Active Directory"));

        let summaries = w
            .engine
            .identity_summaries(&admin(), &alice.id, &all())
            .await
            .unwrap()
            .items;
        let by_holder: HashMap<String, i64> = summaries
            .iter()
            .map(|s| (s.identity_id.clone().unwrap().to_string(), s.items_total))
            .collect();
        assert_eq!(
            by_holder,
            HashMap::from([("bob".into(), 2), ("carol".into(), 1)])
        );
    }
}

#[tokio::test]
async fn recommendations_are_left_out_when_disabled() {
    for w in worlds().await {
        let mut def = definition("No hints", CampaignScope::Manager);
        def.recommendations_enabled = false;
        let campaign = w.generate(def).await;
        let alice = w.certification_of(&campaign.id, "alice").await;
        for item in w.items(&alice.id).await {
            assert_eq!(item.recommendation, None, "{}", w.backend);
            assert!(item.recommendation_reasons.is_empty());
        }
    }
}

#[tokio::test]
async fn a_source_owner_reviewing_their_own_access_is_replaced_by_their_manager() {
    for w in worlds().await {
        let campaign = w
            .generate(definition(
                "AD owners",
                source_scope(&["ad"], CorrelatedStatus::Correlated),
            ))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        let layout = w.layout(&campaign.id).await;
        assert_eq!(
            layout,
            BTreeMap::from([
                (
                    "alice".to_owned(),
                    set(&[("bob", "users"), ("carol", "users"), ("ceo", "users")])
                ),
                ("ceo".to_owned(), set(&[("alice", "admins")])),
            ]),
            "{}",
            w.backend
        );
        let alice = w.certification_of(&campaign.id, "alice").await;
        let ceo = w.certification_of(&campaign.id, "ceo").await;
        let moved = &w.items(&ceo.id).await[0];
        assert_eq!(
            moved.reassigned_from,
            Some(alice.id.clone()),
            "{}",
            w.backend
        );
        assert!(moved
            .reassignment_reason
            .as_deref()
            .unwrap()
            .contains("cannot review their own access"));
        let record = ceo
            .reassignment
            .expect("the receiving certification shows it");
        assert_eq!(record.from_certification, alice.id);
        assert_eq!(record.from_reviewer, IdentityId::from("alice"));
        assert_eq!(campaign.source_ids, vec![SourceId::from("ad")]);
    }
}

#[tokio::test]
async fn an_uncorrelated_source_campaign_reviews_accounts_without_identity() {
    for w in worlds().await {
        let campaign = w
            .generate(definition(
                "AD orphans",
                source_scope(&["ad"], CorrelatedStatus::Uncorrelated),
            ))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        let layout = w.layout(&campaign.id).await;
        let alice = layout.get("alice").expect("the source owner reviews");
        assert_eq!(layout.len(), 1, "{}: {layout:?}", w.backend);
        assert!(
            alice.contains(&("orphan".into(), "ap1".into())),
            "{alice:?}"
        );
        let cert = w.certification_of(&campaign.id, "alice").await;
        for item in w.items(&cert.id).await {
            assert_eq!(item.identity_id, None, "{}: held by accounts", w.backend);
            assert!(item.account_id.is_some());
        }
    }
}

#[tokio::test]
async fn a_machine_account_campaign_goes_to_the_account_owner() {
    for w in worlds().await {
        let campaign = w
            .generate(definition(
                "Machines",
                CampaignScope::MachineAccount {
                    source_ids: vec!["ad".into()],
                },
            ))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        let layout = w.layout(&campaign.id).await;
        assert_eq!(
            layout,
            BTreeMap::from([(
                "carol".to_owned(),
                set(&[("svc-backup", "svc-backup"), ("svc-backup", "admins")])
            )]),
            "{}",
            w.backend
        );
        let cert = w.certification_of(&campaign.id, "carol").await;
        assert_eq!(cert.counts.accounts.total, 1);
        assert_eq!(cert.counts.entitlements.total, 1);
        let account_item = w
            .items(&cert.id)
            .await
            .into_iter()
            .find(|i| i.access_type == ItemAccessType::Account)
            .unwrap();
        assert_eq!(
            account_item.recommendation,
            Some(Decision::Revoke),
            "{}: unused since January",
            w.backend
        );
    }
}

#[tokio::test]
async fn a_search_campaign_reviews_what_its_query_selects() {
    for w in worlds().await {
        let campaign = w
            .generate(definition(
                "IT search",
                search(
                    Some(r#"department eq "it" and costCenter ge 200"#),
                    None,
                    NamedReviewer::Identity("dave".into()),
                ),
            ))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([(
                "dave".to_owned(),
                set(&[
                    ("alice", "admins"),
                    ("bob", "users"),
                    ("bob", "r1"),
                    ("carol", "users")
                ])
            )]),
            "{}",
            w.backend
        );

        // The named reviewer is among the selected: her own access goes to her manager.
        let campaign = w
            .generate(definition(
                "IT by Alice",
                search(
                    Some(r#"department eq "IT""#),
                    None,
                    NamedReviewer::Identity("alice".into()),
                ),
            ))
            .await;
        assert_eq!(
            w.layout(&campaign.id).await,
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
    }
}

#[tokio::test]
async fn a_governance_group_reviews_through_its_owner_except_members_own_access() {
    for w in worlds().await {
        let campaign = w
            .generate(definition(
                "Group review",
                search(
                    None,
                    Some(&["bob", "carol", "dave"]),
                    NamedReviewer::GovernanceGroup("gg1".into()),
                ),
            ))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([
                (
                    "alice@gg1".to_owned(),
                    set(&[("bob", "users"), ("bob", "r1"), ("dave", "payroll")])
                ),
                ("adm".to_owned(), set(&[("carol", "users")])),
            ]),
            "{}: carol is a member, and her manager alice reviews for the group, so her access \
             goes to the campaign owner",
            w.backend
        );
        let certs = w.certifications(&campaign.id).await;
        let group = certs.iter().find(|c| c.reviewer_group.is_some()).unwrap();
        assert_eq!(group.name, "Group review - IT reviewers");
        let owners = w.certification_of(&campaign.id, "adm").await;
        let record = owners
            .reassignment
            .expect("the automatic reassignment is recorded");
        assert_eq!(record.from_certification, group.id, "{}", w.backend);
        assert_eq!(
            record.comment,
            "Carol C cannot review their own access; reassigned automatically to the campaign owner"
        );
        assert_eq!(group.reviewer, IdentityId::from("alice"));
        // Every member of the group may act on the group's certification.
        assert!(w
            .store
            .is_reviewer(&group.id, &"carol".into())
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn access_constraints_narrow_a_search_campaign() {
    for w in worlds().await {
        // ACCESS search: only the named access is reviewed.
        let campaign = w
            .generate(definition(
                "Users only",
                CampaignScope::Search {
                    search_type: SearchType::Access,
                    query: None,
                    identity_ids: Some(vec!["bob".into(), "carol".into()]),
                    access_constraints: vec![AccessConstraint {
                        access_type: AccessType::Entitlement,
                        ids: Some(vec!["users".into()]),
                    }],
                    reviewer: NamedReviewer::Identity("dave".into()),
                    description: None,
                },
            ))
            .await;
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([(
                "dave".to_owned(),
                set(&[("bob", "users"), ("carol", "users")])
            )]),
            "{}",
            w.backend
        );
        // IDENTITY search: identities holding any role, with all their access.
        let campaign = w
            .generate(definition(
                "Role holders",
                CampaignScope::Search {
                    search_type: SearchType::Identity,
                    query: None,
                    identity_ids: Some(vec!["bob".into(), "carol".into()]),
                    access_constraints: vec![AccessConstraint {
                        access_type: AccessType::Role,
                        ids: None,
                    }],
                    reviewer: NamedReviewer::Identity("dave".into()),
                    description: None,
                },
            ))
            .await;
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([("dave".to_owned(), set(&[("bob", "users"), ("bob", "r1")]))]),
            "{}",
            w.backend
        );
    }
}

fn role_scope(
    role_ids: Option<&[&str]>,
    query: Option<&str>,
    reviewer: Option<NamedReviewer>,
) -> CampaignScope {
    CampaignScope::RoleComposition {
        role_ids: role_ids.map(|ids| ids.iter().map(|r| RoleId::from(*r)).collect()),
        query: query.map(str::to_owned),
        reviewer,
        remediator: "adm".into(),
        description: None,
    }
}

#[tokio::test]
async fn a_role_composition_campaign_reviews_what_roles_contain() {
    for w in worlds().await {
        let campaign = w
            .generate(definition("Role r1", role_scope(Some(&["r1"]), None, None)))
            .await;
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([("alice".to_owned(), set(&[("r1", "ap1"), ("r1", "users")]))]),
            "{}",
            w.backend
        );
        let campaign = w
            .generate(definition(
                "All roles by Dave",
                role_scope(None, None, Some(NamedReviewer::Identity("dave".into()))),
            ))
            .await;
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([(
                "dave".to_owned(),
                set(&[("r1", "ap1"), ("r1", "users"), ("r2", "payroll")])
            )]),
            "{}",
            w.backend
        );
        let campaign = w
            .generate(definition(
                "IT roles",
                role_scope(None, Some(r#"name sw "IT""#), None),
            ))
            .await;
        assert_eq!(
            w.layout(&campaign.id).await,
            BTreeMap::from([("alice".to_owned(), set(&[("r1", "ap1"), ("r1", "users")]))]),
            "{}",
            w.backend
        );
    }
}

#[tokio::test]
async fn scopes_that_cannot_be_reviewed_fail_with_an_alert() {
    for w in worlds().await {
        let message = w
            .error_alert(definition(
                "Empty",
                source_scope(&["empty"], CorrelatedStatus::Correlated),
            ))
            .await;
        assert!(
            message.contains("scope is empty"),
            "{}: {message}",
            w.backend
        );

        let message = w
            .error_alert(definition(
                "Legacy",
                source_scope(&["legacy"], CorrelatedStatus::Correlated),
            ))
            .await;
        assert!(
            message.contains("source Legacy App (legacy) has no owner"),
            "{}: {message}",
            w.backend
        );

        let message = w
            .error_alert(definition(
                "HR machines",
                CampaignScope::MachineAccount {
                    source_ids: vec!["hr".into()],
                },
            ))
            .await;
        assert!(
            message.contains("machine account svc-hr (svc-hr) has no owner"),
            "{}: {message}",
            w.backend
        );

        let message = w
            .error_alert(definition("All roles", role_scope(None, None, None)))
            .await;
        assert!(
            message.contains("role Payroll clerks (r2) has no owner"),
            "{}: {message}",
            w.backend
        );

        let message = w
            .error_alert(definition(
                "Nobody",
                search(
                    Some(r#"department eq "Sales""#),
                    None,
                    NamedReviewer::Identity("dave".into()),
                ),
            ))
            .await;
        assert!(
            message.contains("matches no identity"),
            "{}: {message}",
            w.backend
        );

        // The failed generation task is visible with its error.
        let tasks = w
            .engine
            .tasks(&admin(), &filtered(r#"status eq "ERROR""#))
            .await
            .unwrap();
        assert_eq!(tasks.items.len(), 5, "{}", w.backend);
        assert!(tasks.items.iter().all(|t| !t.errors.is_empty()));
    }
}

// ---------------------------------------------------------------------------------------------
// Validation of definitions and patches
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_definitions_are_refused_naming_each_problem() {
    for w in worlds().await {
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        "",
                        source_scope(&["ad", "nope"], CorrelatedStatus::Correlated),
                    ),
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "name is required",
                "sourceOwnerCampaignInfo.sourceIds: source nope does not exist"
            ],
            "{}",
            w.backend
        );
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        &"x".repeat(256),
                        source_scope(&[], CorrelatedStatus::Correlated),
                    ),
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "name must be at most 255 characters, got 256",
                "sourceOwnerCampaignInfo.sourceIds must name at least one source"
            ]
        );
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        "Search",
                        CampaignScope::Search {
                            search_type: SearchType::Identity,
                            query: Some("department eq".into()),
                            identity_ids: Some(vec!["bob".into()]),
                            access_constraints: vec![AccessConstraint {
                                access_type: AccessType::Role,
                                ids: Some(vec!["r9".into()]),
                            }],
                            reviewer: NamedReviewer::GovernanceGroup("gg9".into()),
                            description: None,
                        },
                    ),
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "searchCampaignInfo: set exactly one of query and identityIds, not both",
                "searchCampaignInfo.accessConstraints[0].ids: role r9 does not exist",
                "searchCampaignInfo.reviewer: governance group gg9 does not exist",
            ],
            "{}",
            w.backend
        );
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        "Search",
                        search(
                            Some("department eq"),
                            None,
                            NamedReviewer::Identity("zed".into()),
                        ),
                    ),
                )
                .await,
        );
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert!(causes[0].starts_with("searchCampaignInfo.query is not a valid filter"));
        assert_eq!(
            causes[1],
            "searchCampaignInfo.reviewer: identity zed does not exist"
        );
        let (_, causes) = invalid_causes(
            w.engine
                .create(
                    &admin(),
                    definition(
                        "Roles",
                        CampaignScope::RoleComposition {
                            role_ids: Some(vec!["r1".into(), "r7".into()]),
                            query: Some("name eq \"x\"".into()),
                            reviewer: None,
                            remediator: "nobody".into(),
                            description: None,
                        },
                    ),
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "roleCompositionCampaignInfo: set at most one of roleIds and query, not both",
                "roleCompositionCampaignInfo.roleIds: role r7 does not exist",
                "roleCompositionCampaignInfo.remediatorRef: identity nobody does not exist",
            ]
        );
        let page = w.engine.campaigns(&admin(), &all()).await.unwrap();
        assert_eq!(page.total, Some(0), "{}: nothing stored", w.backend);
    }
}

#[tokio::test]
async fn patches_follow_the_status() {
    for w in worlds().await {
        let campaign = w
            .generate(definition("Patch me", CampaignScope::Manager))
            .await;
        let patched = w
            .engine
            .patch(
                &admin(),
                &campaign.id,
                CampaignPatch {
                    name: Some("Patched".into()),
                    auto_revoke_allowed: Some(true),
                    touched: vec!["/name".into(), "/autoRevokeAllowed".into()],
                    ..CampaignPatch::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(patched.definition.name, "Patched", "{}", w.backend);
        assert!(patched.definition.auto_revoke_allowed);
        let (_, causes) = invalid_causes(
            w.engine
                .patch(
                    &admin(),
                    &campaign.id,
                    CampaignPatch {
                        deadline: Some(Some(start() - Duration::days(1))),
                        touched: vec!["/deadline".into(), "/type".into()],
                        ..CampaignPatch::default()
                    },
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "/type cannot be patched",
                "/deadline must be in the future, got 2026-10-31T08:00:00+00:00"
            ]
        );
        w.engine.activate(&admin(), &campaign.id).await.unwrap();
        w.engine.run_due_tasks().await.unwrap();
        let (_, causes) = invalid_causes(
            w.engine
                .patch(
                    &admin(),
                    &campaign.id,
                    CampaignPatch {
                        name: Some("Too late".into()),
                        touched: vec!["/name".into()],
                        ..CampaignPatch::default()
                    },
                )
                .await,
        );
        assert_eq!(
            causes,
            ["/name cannot be changed while the campaign is ACTIVE"]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A campaign's life
// ---------------------------------------------------------------------------------------------

fn decision(item: ReviewItemId, decision: Decision, comments: Option<&str>) -> ItemDecision {
    ItemDecision {
        item_id: item,
        decision,
        comments: comments.map(str::to_owned),
        proposed_end_date: None,
    }
}

#[tokio::test]
async fn a_manager_campaign_walks_from_decisions_to_remediation() {
    for w in worlds().await {
        let b = w.backend;
        let mut def = definition("Life", CampaignScope::Manager);
        def.mandatory_comment_requirement = CommentRequirement::RevokeOnlyDecisions;
        let campaign = w.activate(def).await;
        let alice_cert = w.certification_of(&campaign.id, "alice").await;
        let ceo_cert = w.certification_of(&campaign.id, "ceo").await;
        assert_eq!(alice_cert.phase, CertificationPhase::Active, "{b}");
        let alice = reviewer("alice");

        // A reviewer sees only her own certifications.
        let mine = w
            .engine
            .certifications(&alice, false, &all())
            .await
            .unwrap();
        assert_eq!(mine.items.len(), 1, "{b}");
        assert_eq!(mine.items[0].id, alice_cert.id);
        assert!(matches!(
            w.engine.certification(&alice, &ceo_cert.id).await,
            Err(EngineError::NotFound(_))
        ));
        assert!(matches!(
            w.engine.items(&alice, &ceo_cert.id, None, &all()).await,
            Err(EngineError::NotFound(_))
        ));
        assert!(matches!(
            w.engine.campaign(&alice, &campaign.id).await,
            Err(EngineError::Forbidden(_))
        ));

        let items = w.items(&alice_cert.id).await;
        let find = |holder: &str, access: &str| {
            items
                .iter()
                .find(|i| i.identity_id == Some(holder.into()) && i.access_id == access)
                .unwrap()
                .id
        };
        let (bob_users, bob_r1, carol_users) = (
            find("bob", "users"),
            find("bob", "r1"),
            find("carol", "users"),
        );

        // Validation: a revoke needs a comment; unknown items are named; nothing is written.
        let (_, causes) = invalid_causes(
            w.engine
                .decide(
                    &alice,
                    &alice_cert.id,
                    vec![
                        decision(bob_users, Decision::Approve, None),
                        decision(bob_r1, Decision::Revoke, None),
                    ],
                )
                .await,
        );
        assert_eq!(
            causes,
            [format!(
                "item {bob_r1}: a comment is required for REVOKE decisions in this campaign (REVOKE_ONLY_DECISIONS)"
            )],
            "{b}"
        );
        let (_, causes) = invalid_causes(
            w.engine
                .decide(
                    &alice,
                    &alice_cert.id,
                    vec![
                        decision(bob_users, Decision::Approve, None),
                        decision(ReviewItemId(987_654_321), Decision::Approve, None),
                    ],
                )
                .await,
        );
        assert_eq!(
            causes,
            [format!(
                "item 987654321 is not in certification {}",
                alice_cert.id
            )],
            "{b}"
        );
        let unchanged = w
            .engine
            .certification(&alice, &alice_cert.id)
            .await
            .unwrap();
        assert_eq!(
            unchanged.counts.items_decided(),
            0,
            "{b}: the call was atomic"
        );

        let (_, causes) = invalid_causes(
            w.engine
                .decide(
                    &alice,
                    &alice_cert.id,
                    vec![
                        decision(bob_users, Decision::Approve, None),
                        decision(bob_users, Decision::Revoke, Some("no")),
                    ],
                )
                .await,
        );
        assert_eq!(
            causes,
            [format!(
                "item {bob_users} is decided more than once in this call"
            )]
        );
        let too_many = (0..251)
            .map(|i| decision(ReviewItemId(i), Decision::Approve, None))
            .collect();
        let (message, _) = invalid_causes(w.engine.decide(&alice, &alice_cert.id, too_many).await);
        assert_eq!(message, "a decide call takes 1 to 250 decisions, got 251");
        let mut early_end = decision(bob_r1, Decision::Approve, None);
        early_end.proposed_end_date = Some(start() + Duration::days(3));
        let mut past_end = decision(bob_users, Decision::Revoke, Some("gone"));
        past_end.proposed_end_date = Some(start() - Duration::days(3));
        let (_, causes) = invalid_causes(
            w.engine
                .decide(&alice, &alice_cert.id, vec![early_end, past_end])
                .await,
        );
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert!(causes[0].contains("proposedEndDate is allowed only with a REVOKE decision"));
        assert!(causes[1].contains("is not in the future"));

        // Others cannot decide: a report reader gets 403, another reviewer 404.
        assert!(matches!(
            w.engine
                .decide(
                    &caller("dave", &[Authority::ReportAdmin]),
                    &alice_cert.id,
                    vec![decision(bob_users, Decision::Approve, None)],
                )
                .await,
            Err(EngineError::Forbidden(_))
        ));
        assert!(matches!(
            w.engine
                .decide(
                    &reviewer("carol"),
                    &alice_cert.id,
                    vec![decision(bob_users, Decision::Approve, None)],
                )
                .await,
            Err(EngineError::NotFound(_))
        ));

        // Decide, then change a decision: allowed until sign-off.
        let mut revoke_r1 = decision(bob_r1, Decision::Revoke, Some("left the company"));
        revoke_r1.proposed_end_date = Some(start() + Duration::days(7));
        let cert = w
            .engine
            .decide(
                &alice,
                &alice_cert.id,
                vec![decision(bob_users, Decision::Approve, None), revoke_r1],
            )
            .await
            .unwrap();
        assert_eq!(cert.counts.items_decided(), 2, "{b}");
        let cert = w
            .engine
            .decide(
                &alice,
                &alice_cert.id,
                vec![decision(bob_users, Decision::Revoke, Some("leaver"))],
            )
            .await
            .unwrap();
        assert_eq!(
            cert.counts.items_decided(),
            2,
            "{b}: a changed decision counts once"
        );
        assert_eq!(cert.counts.entitlements.revoked, 1);
        assert_eq!(cert.counts.entitlements.approved, 0);

        // Sign-off is refused while an item is undecided.
        let (message, _) = invalid_causes(w.engine.sign_off(&alice, &alice_cert.id).await);
        assert_eq!(message, "1 item is undecided", "{b}");

        // Reassign carol's item to dave: visible on dave's new certification.
        let (_, causes) = invalid_causes(
            w.engine
                .reassign(
                    &alice,
                    &alice_cert.id,
                    vec![ReassignTarget::Item(carol_users)],
                    &"alice".into(),
                    "me again",
                )
                .await,
        );
        assert_eq!(
            causes,
            [format!(
                "reassignTo: alice already reviews certification {}",
                alice_cert.id
            )]
        );
        let (_, causes) = invalid_causes(
            w.engine
                .reassign(
                    &alice,
                    &alice_cert.id,
                    vec![ReassignTarget::Item(carol_users)],
                    &"carol".into(),
                    "",
                )
                .await,
        );
        assert_eq!(
            causes,
            [
                "reason is required".to_owned(),
                format!("item {carol_users} is held by carol, who cannot review their own access")
            ],
            "{b}"
        );
        let daves = w
            .engine
            .reassign(
                &alice,
                &alice_cert.id,
                vec![ReassignTarget::Item(carol_users)],
                &"dave".into(),
                "Dave knows this share",
            )
            .await
            .unwrap();
        assert_eq!(daves.reviewer, IdentityId::from("dave"), "{b}");
        let record = daves
            .reassignment
            .clone()
            .expect("reassignment is recorded");
        assert_eq!(record.from_certification, alice_cert.id);
        assert_eq!(record.comment, "Dave knows this share");
        let moved = &w.items(&daves.id).await[0];
        assert_eq!(moved.reassigned_from, Some(alice_cert.id.clone()));
        assert_eq!(
            moved.reassignment_reason.as_deref(),
            Some("Dave knows this share")
        );
        let dave = reviewer("dave");
        assert_eq!(
            w.engine
                .certifications(&dave, true, &all())
                .await
                .unwrap()
                .items
                .len(),
            1,
            "{b}: dave now sees his certification"
        );

        // Alice's certification is fully decided now: sign it off; it is read-only after.
        let signed = w.engine.sign_off(&alice, &alice_cert.id).await.unwrap();
        assert_eq!(signed.phase, CertificationPhase::Signed, "{b}");
        let (message, _) = invalid_causes(
            w.engine
                .decide(
                    &alice,
                    &alice_cert.id,
                    vec![decision(bob_users, Decision::Approve, None)],
                )
                .await,
        );
        assert!(message.contains("signed off and read-only"), "{message}");
        let orders = w
            .engine
            .orders(
                &admin(),
                &OrderQuery {
                    campaign_id: Some(campaign.id.clone()),
                    limit: 100,
                    ..OrderQuery::default()
                },
            )
            .await
            .unwrap();
        let mut revoked: Vec<(String, DateTime<Utc>)> = orders
            .items
            .iter()
            .map(|o| (o.access_id.clone(), o.due))
            .collect();
        revoked.sort();
        assert_eq!(
            revoked,
            [
                ("r1".to_owned(), start() + Duration::days(7)),
                ("users".to_owned(), start())
            ],
            "{b}"
        );

        // Dave and the CEO decide and sign; the last sign-off completes the campaign.
        let daves_items = w.items(&daves.id).await;
        w.engine
            .decide(
                &dave,
                &daves.id,
                daves_items
                    .iter()
                    .map(|i| decision(i.id, Decision::Approve, None))
                    .collect(),
            )
            .await
            .unwrap();
        w.engine.sign_off(&dave, &daves.id).await.unwrap();
        let ceo = reviewer("ceo");
        let ceo_items = w.items(&ceo_cert.id).await;
        w.engine
            .decide(
                &ceo,
                &ceo_cert.id,
                ceo_items
                    .iter()
                    .map(|i| decision(i.id, Decision::Approve, None))
                    .collect(),
            )
            .await
            .unwrap();
        w.engine.sign_off(&ceo, &ceo_cert.id).await.unwrap();
        let completing = w.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(completing.status, CampaignStatus::Completing, "{b}");
        w.engine.run_due_tasks().await.unwrap();
        let completed = w.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(completed.status, CampaignStatus::Completed, "{b}");
        assert_eq!(completed.completed, Some(start()));
        assert_eq!(completed.counts.certifications_completed, 3);

        // The audit trail names who did what, from which client.
        let events = w
            .engine
            .audit_events(
                &caller("dave", &[Authority::ReportAdmin]),
                &campaign.id,
                1000,
                0,
            )
            .await
            .unwrap();
        let created = events
            .iter()
            .find(|e| e.action == "campaign.created")
            .unwrap();
        assert_eq!(created.actor.identity_id, Some("adm".into()), "{b}");
        assert_eq!(created.actor.client_id.as_deref(), Some("client-adm"));
        let decided: Vec<&AuditEvent> = events
            .iter()
            .filter(|e| e.item_id == Some(bob_users))
            .collect();
        assert!(
            decided.len() >= 2,
            "{b}: each decision is recorded: {events:?}"
        );
        assert!(decided
            .iter()
            .all(|e| e.actor.client_id.as_deref() == Some("client-alice")));
        assert!(events.iter().any(|e| e.action == "campaign.activated"));
        assert!(events.iter().any(|e| e.action == "campaign.completed"));
    }
}

#[tokio::test]
async fn asynchronous_and_administrator_reassignments_run_as_tasks() {
    for w in worlds().await {
        let b = w.backend;
        let campaign = w
            .activate(definition("Moves", CampaignScope::Manager))
            .await;
        let alice_cert = w.certification_of(&campaign.id, "alice").await;
        let alice = reviewer("alice");

        let task = w
            .engine
            .reassign_async(
                &alice,
                &alice_cert.id,
                vec![ReassignTarget::Identity("bob".into())],
                &"dave".into(),
                "Dave is bob's new lead",
            )
            .await
            .unwrap();
        assert_eq!(task.task_type, TaskType::Reassign, "{b}");
        assert_eq!(task.target_id, alice_cert.id.to_string());
        let pending = w
            .engine
            .pending_tasks(&alice, &alice_cert.id)
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "{b}");
        assert_eq!(w.engine.run_due_tasks().await.unwrap(), 1);
        let done = w.engine.task(&alice, &task.id).await.unwrap();
        assert_eq!(done.status, TaskStatus::Success, "{b}: {:?}", done.errors);
        assert_eq!(
            done.reassignment_trail,
            [ReassignmentTrail {
                previous_owner: "alice".into(),
                new_owner: "dave".into(),
                reassignment_type: "MANUAL_REASSIGNMENT".into(),
            }]
        );
        let daves = w.certification_of(&campaign.id, "dave").await;
        assert_eq!(
            daves.counts.items_total(),
            2,
            "{b}: both of bob's items moved"
        );
        let after = w
            .engine
            .certification(&alice, &alice_cert.id)
            .await
            .unwrap();
        assert_eq!(after.counts.items_total(), 1);
        // Another reviewer cannot see alice's task.
        assert!(matches!(
            w.engine.task(&reviewer("carol"), &task.id).await,
            Err(EngineError::NotFound(_))
        ));

        // The administrator moves the CEO's whole certification to adm's manager... the CEO
        // herself is refused (she already reviews it); dave is fine.
        let ceo_cert = w.certification_of(&campaign.id, "ceo").await;
        // The CEO decides once before the move (so the engine remembers she reviews it).
        let ceo_items = w.items(&ceo_cert.id).await;
        let ceo = reviewer("ceo");
        w.engine
            .decide(
                &ceo,
                &ceo_cert.id,
                vec![decision(ceo_items[0].id, Decision::Approve, None)],
            )
            .await
            .unwrap();
        let (_, causes) = invalid_causes(
            w.engine
                .admin_reassign(
                    &admin(),
                    &campaign.id,
                    std::slice::from_ref(&ceo_cert.id),
                    &"ceo".into(),
                    "x",
                )
                .await,
        );
        assert_eq!(
            causes,
            [format!(
                "certification {} is already reviewed by ceo",
                ceo_cert.id
            )]
        );
        assert!(matches!(
            w.engine
                .admin_reassign(
                    &alice,
                    &campaign.id,
                    std::slice::from_ref(&ceo_cert.id),
                    &"dave".into(),
                    "x"
                )
                .await,
            Err(EngineError::Forbidden(_))
        ));
        let task = w
            .engine
            .admin_reassign(
                &admin(),
                &campaign.id,
                std::slice::from_ref(&ceo_cert.id),
                &"dave".into(),
                "CEO on leave",
            )
            .await
            .unwrap();
        assert_eq!(task.task_type, TaskType::AdminReassign);
        assert_eq!(task.target_type, TaskTarget::Campaign);
        w.engine.run_due_tasks().await.unwrap();
        let done = w.engine.task(&admin(), &task.id).await.unwrap();
        assert_eq!(done.status, TaskStatus::Success, "{b}: {:?}", done.errors);
        let daves = w.certification_of(&campaign.id, "dave").await;
        assert_eq!(
            daves.counts.items_total(),
            5,
            "{b}: merged into dave's certification"
        );
        // What the engine remembered does not outlive the move: the CEO's next decision
        // finds nothing, and dave decides on what he now reviews.
        assert!(matches!(
            w.engine
                .decide(
                    &ceo,
                    &ceo_cert.id,
                    vec![decision(ceo_items[1].id, Decision::Revoke, None)],
                )
                .await,
            Err(EngineError::NotFound(_))
        ));
        let moved = w
            .engine
            .decide(
                &reviewer("dave"),
                &daves.id,
                vec![decision(ceo_items[1].id, Decision::Revoke, None)],
            )
            .await
            .unwrap();
        assert_eq!(
            moved.counts.items_decided(),
            daves.counts.items_decided() + 1
        );
    }
}

#[tokio::test]
async fn an_administrator_completes_a_past_due_campaign_with_auto_revoke() {
    for w in worlds().await {
        let b = w.backend;
        let mut def = definition("Auto", CampaignScope::Manager);
        def.auto_revoke_allowed = false;
        let campaign = w.activate(def).await;
        let (message, _) = invalid_causes(
            w.engine
                .complete(&admin(), &campaign.id, Decision::Approve)
                .await,
        );
        assert!(message.contains("is not past due"), "{b}: {message}");
        w.clock.advance(Duration::days(31));
        let (_, causes) = invalid_causes(
            w.engine
                .complete(&admin(), &campaign.id, Decision::Revoke)
                .await,
        );
        assert_eq!(
            causes,
            ["autoCompleteAction REVOKE needs a campaign with autoRevokeAllowed true"],
            "{b}"
        );
        assert!(matches!(
            w.engine
                .complete(
                    &caller("dave", &[Authority::ReportAdmin]),
                    &campaign.id,
                    Decision::Approve
                )
                .await,
            Err(EngineError::Forbidden(_))
        ));
        w.engine
            .complete(&admin(), &campaign.id, Decision::Approve)
            .await
            .unwrap();
        w.engine.run_due_tasks().await.unwrap();
        let done = w.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(done.status, CampaignStatus::Completed, "{b}");
        let orders = w
            .engine
            .orders(
                &admin(),
                &OrderQuery {
                    campaign_id: Some(campaign.id.clone()),
                    limit: 100,
                    ..OrderQuery::default()
                },
            )
            .await
            .unwrap();
        assert!(orders.items.is_empty(), "{b}: approved at completion");

        // With auto-revoke allowed, every undecided item becomes a provisioning order.
        let mut def = definition("Auto revoke", CampaignScope::Manager);
        def.deadline = Some(w.clock.now() + Duration::days(1));
        def.auto_revoke_allowed = true;
        let campaign = w.activate(def).await;
        w.clock.advance(Duration::days(2));
        w.engine
            .complete(&admin(), &campaign.id, Decision::Revoke)
            .await
            .unwrap();
        assert_eq!(
            w.engine
                .campaign(&admin(), &campaign.id)
                .await
                .unwrap()
                .status,
            CampaignStatus::Completing
        );
        w.engine.run_due_tasks().await.unwrap();
        let done = w.engine.campaign(&admin(), &campaign.id).await.unwrap();
        assert_eq!(done.status, CampaignStatus::Completed, "{b}");
        let orders = w
            .engine
            .orders(
                &admin(),
                &OrderQuery {
                    campaign_id: Some(campaign.id.clone()),
                    limit: 100,
                    ..OrderQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(orders.items.len(), 6, "{b}");
        assert!(orders.items.iter().all(|o| o.reviewer.is_none()));
        for cert in w.certifications(&campaign.id).await {
            assert_eq!(cert.phase, CertificationPhase::Signed);
        }
    }
}

#[tokio::test]
async fn activation_needs_a_staged_campaign_with_a_future_deadline() {
    for w in worlds().await {
        let campaign = w.generate(definition("Late", CampaignScope::Manager)).await;
        w.clock.advance(Duration::days(40));
        let (message, _) = invalid_causes(w.engine.activate(&admin(), &campaign.id).await);
        assert!(message.contains("deadline"), "{}: {message}", w.backend);
        let failed = w
            .generate(definition(
                "Empty",
                source_scope(&["empty"], CorrelatedStatus::Correlated),
            ))
            .await;
        let (message, _) = invalid_causes(w.engine.activate(&admin(), &failed.id).await);
        assert!(message.contains("ERROR"), "{}: {message}", w.backend);
    }
}

#[tokio::test]
async fn report_admins_read_and_reviewers_are_kept_out() {
    for w in worlds().await {
        let b = w.backend;
        let campaign = w.activate(definition("Read", CampaignScope::Manager)).await;
        let auditor = caller("dave", &[Authority::ReportAdmin]);
        assert_eq!(
            w.engine
                .campaigns(&auditor, &all())
                .await
                .unwrap()
                .items
                .len(),
            1,
            "{b}"
        );
        let certs = w
            .engine
            .certifications(&auditor, false, &all())
            .await
            .unwrap();
        assert_eq!(
            certs.items.len(),
            2,
            "{b}: report readers see every certification"
        );
        let ceo_cert = w.certification_of(&campaign.id, "ceo").await;
        w.engine
            .decision_summary(&auditor, &ceo_cert.id)
            .await
            .unwrap();
        w.engine.tasks(&auditor, &all()).await.unwrap();
        for refused in [
            w.engine
                .create(&auditor, definition("No", CampaignScope::Manager))
                .await
                .map(|_| ()),
            w.engine.activate(&auditor, &campaign.id).await,
            w.engine
                .delete(&auditor, std::slice::from_ref(&campaign.id))
                .await,
            w.engine.sign_off(&auditor, &ceo_cert.id).await.map(|_| ()),
            w.engine
                .orders(&auditor, &OrderQuery::default())
                .await
                .map(|_| ()),
        ] {
            assert!(
                matches!(refused, Err(EngineError::Forbidden(_))),
                "{b}: {refused:?}"
            );
        }
        let plain = reviewer("carol");
        assert_eq!(
            w.engine.tasks(&plain, &all()).await.unwrap().total,
            Some(0),
            "{b}: carol reviews nothing, so she sees no task"
        );
        assert!(matches!(
            w.engine.campaigns(&plain, &all()).await,
            Err(EngineError::Forbidden(_))
        ));
        assert!(w
            .engine
            .certifications(&plain, false, &all())
            .await
            .unwrap()
            .items
            .is_empty());
    }
}

#[tokio::test]
async fn deleting_names_unknown_campaigns_and_deletes_nothing_then() {
    for w in worlds().await {
        let campaign = w
            .generate(definition("Doomed", CampaignScope::Manager))
            .await;
        let err = w
            .engine
            .delete(&admin(), &[campaign.id.clone(), CampaignId::from("nope")])
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "campaign not found: nope; nothing was deleted"
        );
        assert!(w.engine.campaign(&admin(), &campaign.id).await.is_ok());
        w.engine
            .delete(&admin(), std::slice::from_ref(&campaign.id))
            .await
            .unwrap();
        assert!(matches!(
            w.engine.campaign(&admin(), &campaign.id).await,
            Err(EngineError::NotFound(_))
        ));
        assert!(
            w.certifications(&campaign.id).await.is_empty(),
            "{}",
            w.backend
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A realistic organisation
// ---------------------------------------------------------------------------------------------

/// Rows of one bundle file as maps from column to cell.
fn rows(dir: &Path, file: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_manager_campaign_over_the_demo_organisation_covers_every_managed_holder() {
    for (backend, store) in attest_testing::all_stores().await {
        let dir = tempfile::tempdir().unwrap();
        attest_engine::demo::write_demo_bundle(
            dir.path(),
            &attest_engine::demo::DemoOptions {
                identities: 200,
                seed: 7,
            },
        )
        .unwrap();
        let clock = ManualClock::new(attest_engine::demo::reference_instant());
        import_bundle(store.as_ref(), &clock, dir.path(), Arc::new(NoProgress))
            .await
            .unwrap();

        // What the contract says, computed from the bundle itself.
        let manager: HashMap<String, String> = rows(dir.path(), "identities.csv")
            .into_iter()
            .filter(|r| !r["managerId"].is_empty())
            .map(|r| (r["id"].clone(), r["managerId"].clone()))
            .collect();
        let account_identity: HashMap<String, String> = rows(dir.path(), "accounts.csv")
            .into_iter()
            .map(|r| (r["id"].clone(), r["identityId"].clone()))
            .collect();
        let mut expected_items = 0;
        let mut reviewers = HashSet::new();
        let mut holders = HashSet::new();
        for row in rows(dir.path(), "assignments.csv") {
            let holder = if row["identityId"].is_empty() {
                account_identity[&row["accountId"]].clone()
            } else {
                row["identityId"].clone()
            };
            if let Some(m) = manager.get(&holder) {
                expected_items += 1;
                reviewers.insert(m.clone());
                holders.insert(holder);
            }
        }

        let engine = Campaigns::new(Arc::clone(&store), Arc::new(clock.clone()));
        let admin = caller(
            &attest_engine::demo::admin_identity_id(),
            &[Authority::OrgAdmin],
        );
        let mut def = definition("Demo managers", CampaignScope::Manager);
        def.deadline = Some(clock.now() + Duration::days(30));
        let created = engine.create(&admin, def).await.unwrap();
        engine.run_due_tasks().await.unwrap();
        let campaign = engine.campaign(&admin, &created.id).await.unwrap();
        assert_eq!(
            campaign.status,
            CampaignStatus::Staged,
            "{backend}: {:?}",
            campaign.alerts
        );
        assert_eq!(campaign.counts.items_total, expected_items, "{backend}");
        assert_eq!(
            campaign.counts.certifications_total,
            reviewers.len() as i64,
            "{backend}"
        );
        assert_eq!(
            campaign.counts.identities_total,
            holders.len() as i64,
            "{backend}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_background_worker_wakes_on_enqueue_and_stops_on_shutdown() {
    for w in worlds().await {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let engine = w.engine.clone();
        let worker = tokio::spawn(async move {
            engine
                .run_worker("test-worker".to_owned(), async {
                    let _ = stopped.await;
                })
                .await
        });
        let created = w
            .engine
            .create(&admin(), definition("Background", CampaignScope::Manager))
            .await
            .unwrap();
        let mut status = CampaignStatus::Pending;
        for _ in 0..100 {
            status = w
                .engine
                .campaign(&admin(), &created.id)
                .await
                .unwrap()
                .status;
            if status != CampaignStatus::Pending {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, CampaignStatus::Staged, "{}", w.backend);
        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), worker)
            .await
            .expect("the worker stops when asked")
            .unwrap();
    }
}

#[tokio::test]
async fn a_task_whose_worker_died_is_claimed_again_after_its_lease() {
    for w in worlds().await {
        let created = w
            .engine
            .create(&admin(), definition("Orphaned", CampaignScope::Manager))
            .await
            .unwrap();
        // A worker claims the generation and dies without finishing it.
        let now = w.clock.now();
        let claimed = w
            .store
            .claim_task("dead-worker", now, now + Duration::minutes(1))
            .await
            .unwrap()
            .expect("the generation task is due");
        assert_eq!(claimed.task_type, TaskType::CampaignCreate, "{}", w.backend);
        assert_eq!(
            w.engine.run_due_tasks().await.unwrap(),
            0,
            "leased to the dead worker"
        );
        w.clock.advance(Duration::minutes(2));
        assert_eq!(w.engine.run_due_tasks().await.unwrap(), 1, "{}", w.backend);
        let campaign = w.engine.campaign(&admin(), &created.id).await.unwrap();
        assert_eq!(campaign.status, CampaignStatus::Staged, "{}", w.backend);
        let task = w.engine.task(&admin(), &claimed.id).await.unwrap();
        assert_eq!(task.status, TaskStatus::Success);
        assert_eq!(task.attempts, 2);
        // Running generation again changes nothing: the task is done, the campaign STAGED.
        assert_eq!(w.engine.run_due_tasks().await.unwrap(), 0);
        assert_eq!(campaign.counts.items_total, 6);
    }
}

#[tokio::test]
async fn reviewers_see_their_certifications_and_tasks_only_once_activated() {
    for w in worlds().await {
        let b = w.backend;
        let campaign = w
            .generate(definition("Hidden", CampaignScope::Manager))
            .await;
        let alice = reviewer("alice");
        let cert = w.certification_of(&campaign.id, "alice").await;
        assert!(
            w.engine
                .certifications(&alice, true, &all())
                .await
                .unwrap()
                .items
                .is_empty(),
            "{b}: a STAGED certification is not shown to its reviewer"
        );
        assert!(matches!(
            w.engine.certification(&alice, &cert.id).await,
            Err(EngineError::NotFound(_))
        ));
        w.engine.activate(&admin(), &campaign.id).await.unwrap();
        w.engine.run_due_tasks().await.unwrap();
        let mine = w.engine.certifications(&alice, true, &all()).await.unwrap();
        assert_eq!(mine.items.len(), 1, "{b}");

        // Her tasks, and only hers, whatever the filter says.
        let carols = w
            .engine
            .reassign_async(
                &alice,
                &cert.id,
                vec![ReassignTarget::Identity("carol".into())],
                &"dave".into(),
                "dave takes over",
            )
            .await
            .unwrap();
        let listed = w.engine.tasks(&alice, &all()).await.unwrap();
        assert_eq!(
            listed.items.iter().map(|t| &t.id).collect::<Vec<_>>(),
            [&carols.id],
            "{b}"
        );
        let ceo_cert = w.certification_of(&campaign.id, "ceo").await;
        let other = w
            .engine
            .tasks(
                &alice,
                &filtered(&format!("targetId eq \"{}\"", ceo_cert.id)),
            )
            .await
            .unwrap();
        assert!(other.items.is_empty(), "{b}");
    }
}

#[tokio::test]
async fn item_permissions_are_filtered_before_paging() {
    for w in worlds().await {
        let campaign = w
            .activate(definition("Perms", CampaignScope::Manager))
            .await;
        let ceo_cert = w.certification_of(&campaign.id, "ceo").await;
        let admins_item = w
            .items(&ceo_cert.id)
            .await
            .into_iter()
            .find(|i| i.access_id == "admins")
            .unwrap();
        let page = w
            .engine
            .item_permissions(&admin(), &ceo_cert.id, admins_item.id, &all())
            .await
            .unwrap();
        assert_eq!(page.total, Some(1), "{}", w.backend);
        assert_eq!(page.items[0].target, "dc01");
        let page = w
            .engine
            .item_permissions(
                &admin(),
                &ceo_cert.id,
                admins_item.id,
                &filtered(r#"rights ca ("READ")"#),
            )
            .await
            .unwrap();
        assert_eq!(page.total, Some(0), "{}", w.backend);
    }
}
