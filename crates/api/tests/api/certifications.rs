//! SailPoint certifications end to end: a manager campaign is generated and activated through
//! the engine, then reviewers list, read, decide, reassign and sign off over the API.

use attest_domain::campaign::CommentRequirement;
use attest_domain::certification::{CampaignDefinition, CampaignScope};
use attest_domain::*;
use attest_engine::credentials::Caller;
use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::support::*;

/// The organisation every scenario reviews:
///
/// - `admin` (CERT_ADMIN) owns source `src1`; `mgr1` manages `emp1` and `emp2`, `mgr2`
///   manages `emp3`; `boss` has no reports.
/// - `emp1` holds, on `src1`: `ent-read` through account `acc-emp1` (role model),
///   `ent-admin` (discovered, privileged), access profile `ap1` (request) and role `role1`.
///   `emp2` and `emp3` hold `ent-read`.
/// - `ent-read` has two permissions.
///
/// So `mgr1`'s certification has five items for two identities, `mgr2`'s one.
pub async fn organisation(app: &TestApp) {
    let identity = |id: &str, manager: Option<&str>| Identity {
        id: id.into(),
        name: id.to_owned(),
        display_name: Some(format!("{id} (display)")),
        email: Some(format!("{id}@example.com")),
        manager_id: manager.map(Into::into),
        department: Some("Finance".into()),
        title: None,
        location: None,
        lifecycle_state: Some("active".into()),
        active: true,
        attributes: Default::default(),
    };
    let entitlement = |id: &str, value: &str, privileged: bool| Entitlement {
        id: id.into(),
        source_id: "src1".into(),
        name: format!("{id} name"),
        attribute: Some("memberOf".into()),
        value: Some(value.into()),
        description: Some(format!("{id} description")),
        privileged,
        owner_id: Some("admin".into()),
    };
    let assignment = |identity: &str, account: Option<&str>, kind, access: &str, origin| {
        attest_store::StagedAssignment {
            line: 0,
            assignment: Assignment {
                identity_id: Some(identity.into()),
                account_id: account.map(Into::into),
                access_type: kind,
                access_id: access.into(),
                origin,
                granted_at: None,
            },
        }
    };
    let mut tx = app.store.begin_import(app.clock.now()).await.unwrap();
    tx.upsert_identities(&[
        identity("admin", None),
        identity("boss", None),
        identity("mgr1", None),
        identity("mgr2", None),
        identity("emp1", Some("mgr1")),
        identity("emp2", Some("mgr1")),
        identity("emp3", Some("mgr2")),
    ])
    .await
    .unwrap();
    tx.upsert_sources(&[Source {
        id: "src1".into(),
        name: "Finance DB".into(),
        description: None,
        owner_id: Some("admin".into()),
        source_type: Some("JDBC".into()),
    }])
    .await
    .unwrap();
    tx.upsert_entitlements(&[
        entitlement("ent-read", "CN=Read", false),
        entitlement("ent-admin", "CN=Admin", true),
    ])
    .await
    .unwrap();
    tx.upsert_access_profiles(&[AccessProfile {
        id: "ap1".into(),
        name: "Readers".into(),
        description: Some("Read access".into()),
        source_id: Some("src1".into()),
        owner_id: Some("admin".into()),
        entitlement_ids: vec!["ent-read".into()],
    }])
    .await
    .unwrap();
    tx.upsert_roles(&[Role {
        id: "role1".into(),
        name: "Accountant".into(),
        description: None,
        owner_id: Some("admin".into()),
        access_profile_ids: vec!["ap1".into()],
        entitlement_ids: vec!["ent-admin".into()],
        privileged: false,
    }])
    .await
    .unwrap();
    tx.upsert_accounts(&[Account {
        id: "acc-emp1".into(),
        source_id: "src1".into(),
        native_identity: "CN=emp1".into(),
        name: Some("emp1".into()),
        identity_id: Some("emp1".into()),
        machine: false,
        owner_id: None,
        disabled: false,
        locked: false,
        last_used: None,
    }])
    .await
    .unwrap();
    tx.clear_permissions().await.unwrap();
    tx.insert_permissions(&[
        Permission {
            entitlement_id: "ent-read".into(),
            target: "SYS.TABLE".into(),
            rights: "read,write".into(),
        },
        Permission {
            entitlement_id: "ent-read".into(),
            target: "SYS.LOG".into(),
            rights: "read".into(),
        },
    ])
    .await
    .unwrap();
    tx.stage_assignments(&[
        assignment(
            "emp1",
            Some("acc-emp1"),
            AccessType::Entitlement,
            "ent-read",
            Origin::RoleModel,
        ),
        assignment(
            "emp1",
            None,
            AccessType::Entitlement,
            "ent-admin",
            Origin::Discovered,
        ),
        assignment(
            "emp1",
            None,
            AccessType::AccessProfile,
            "ap1",
            Origin::Request,
        ),
        assignment("emp1", None, AccessType::Role, "role1", Origin::Manual),
        assignment(
            "emp2",
            None,
            AccessType::Entitlement,
            "ent-read",
            Origin::Manual,
        ),
        assignment(
            "emp3",
            None,
            AccessType::Entitlement,
            "ent-read",
            Origin::Manual,
        ),
    ])
    .await
    .unwrap();
    tx.merge_assignments().await.unwrap();
    tx.commit().await.unwrap();
}

/// A bearer token for the existing identity `id`.
pub async fn token_for(app: &TestApp, id: &str, authorities: &[Authority]) -> String {
    let pat = app
        .credentials
        .create_pat(id.into(), authorities.to_vec(), format!("{id} token"))
        .await
        .unwrap();
    app.credentials
        .issue_token(&pat.client_id.0, &pat.client_secret)
        .await
        .unwrap()
        .access_token
}

/// The tokens of a scenario.
pub struct Tokens {
    pub admin: String,
    pub mgr1: String,
    pub mgr2: String,
    pub boss: String,
}

/// The organisation, with a manager campaign (comments required on revokes) generated and
/// activated; returns the tokens and the campaign id.
pub async fn active_campaign(app: &TestApp) -> (Tokens, String) {
    organisation(app).await;
    let admin = Caller {
        identity_id: "admin".into(),
        client_id: "admin-client".into(),
        authorities: vec![Authority::CertAdmin],
        expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    };
    let campaign = app
        .campaigns
        .create(
            &admin,
            CampaignDefinition {
                name: "Q1 manager review".into(),
                description: Some("Quarterly".into()),
                deadline: Some(start_time() + Duration::days(30)),
                scope: CampaignScope::Manager,
                email_notification_enabled: false,
                auto_revoke_allowed: false,
                recommendations_enabled: true,
                mandatory_comment_requirement: CommentRequirement::RevokeOnlyDecisions,
                sunset_comments_required: false,
                filter: None,
            },
        )
        .await
        .unwrap();
    app.run_tasks().await;
    app.campaigns.activate(&admin, &campaign.id).await.unwrap();
    app.run_tasks().await;
    let tokens = Tokens {
        admin: token_for(app, "admin", &[Authority::CertAdmin]).await,
        mgr1: token_for(app, "mgr1", &[]).await,
        mgr2: token_for(app, "mgr2", &[]).await,
        boss: token_for(app, "boss", &[]).await,
    };
    (tokens, campaign.id.0)
}

/// The id of the only certification `token`'s holder reviews.
pub async fn my_certification(app: &TestApp, token: &str) -> String {
    let response = app
        .get("/v3/certifications?reviewer-identity=me", Some(token))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let list = response.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", response.body);
    list[0]["id"].as_str().unwrap().to_owned()
}

/// The items of a certification, as `token` sees them.
pub async fn items(app: &TestApp, token: &str, certification: &str, query: &str) -> Vec<Value> {
    let response = app
        .get(
            &format!("/v3/certifications/{certification}/access-review-items{query}"),
            Some(token),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.body.as_array().unwrap().clone()
}

/// The id of the item of `holder` for `access`.
pub fn item_id(items: &[Value], holder: &str, access: &str) -> String {
    items
        .iter()
        .find(|i| {
            i["identitySummary"]["identityId"] == holder
                && i["accessSummary"]["access"]["id"] == access
        })
        .unwrap_or_else(|| panic!("no item {holder} × {access}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn causes(body: &Value) -> Vec<String> {
    body["causes"]
        .as_array()
        .unwrap_or_else(|| panic!("no causes: {body}"))
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect()
}

fn is_sailpoint_time(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    // 2026-01-02T03:04:05.678Z
    text.len() == 24 && text.ends_with('Z') && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn reviewers_see_only_their_own_certifications() {
    each_store(|app| async move {
        let (tokens, campaign) = active_campaign(&app).await;
        let response = app
            .get(
                "/v3/certifications?reviewer-identity=me",
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let list = response.body.as_array().unwrap();
        assert_eq!(list.len(), 1);
        let cert = &list[0];
        assert_eq!(cert["reviewer"]["id"], "mgr1");
        assert_eq!(cert["reviewer"]["type"], "IDENTITY");
        assert_eq!(cert["reviewer"]["email"], "mgr1@example.com");
        assert_eq!(cert["campaign"]["id"], campaign.as_str());
        assert_eq!(cert["campaign"]["type"], "CAMPAIGN");
        assert_eq!(cert["campaign"]["campaignType"], "MANAGER");
        assert_eq!(cert["campaign"]["description"], "Quarterly");
        assert_eq!(cert["campaign"]["correlatedStatus"], "CORRELATED");
        assert_eq!(
            cert["campaign"]["mandatoryCommentRequirement"],
            "REVOKE_ONLY_DECISIONS"
        );
        assert_eq!(cert["campaignRef"], cert["campaign"]);
        assert_eq!(cert["phase"], "ACTIVE");
        assert_eq!(cert["completed"], false);
        assert_eq!(cert["decisionsMade"], 0);
        assert_eq!(cert["decisionsTotal"], 5);
        assert_eq!(cert["identitiesTotal"], 2);
        assert_eq!(cert["identitiesCompleted"], 0);
        assert_eq!(cert["entitiesTotal"], 2);
        assert_eq!(cert["hasErrors"], false);
        assert_eq!(cert["errorMessage"], Value::Null);
        assert_eq!(cert["signed"], Value::Null);
        assert_eq!(cert["reassignment"], Value::Null);
        assert_eq!(cert["due"], "2026-04-01T09:00:00.000Z");
        assert!(is_sailpoint_time(&cert["created"]), "{}", cert["created"]);
        assert!(is_sailpoint_time(&cert["modified"]), "{}", cert["modified"]);
        let mine = cert["id"].as_str().unwrap().to_owned();

        // The caller's own id means the same as `me`; another reviewer's id is refused.
        let response = app
            .get(
                "/v3/certifications?reviewer-identity=mgr1",
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.body.as_array().unwrap().len(), 1);
        let response = app
            .get(
                "/v3/certifications?reviewer-identity=mgr2",
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 403, "{}", response.body);

        // An administrator sees every certification, or one reviewer's.
        let response = app.get("/v3/certifications", Some(&tokens.admin)).await;
        assert_eq!(
            response.body.as_array().unwrap().len(),
            2,
            "{}",
            response.body
        );
        let response = app
            .get(
                "/v3/certifications?reviewer-identity=mgr2",
                Some(&tokens.admin),
            )
            .await;
        let list = response.body.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["reviewer"]["id"], "mgr2");

        // Another reviewer gets nothing of mgr1's certification.
        for path in [
            format!("/v3/certifications/{mine}"),
            format!("/v3/certifications/{mine}/access-review-items"),
            format!("/v3/certifications/{mine}/reviewers"),
            format!("/v3/certifications/{mine}/decision-summary"),
            format!("/v3/certifications/{mine}/identity-summaries"),
        ] {
            let response = app.get(&path, Some(&tokens.mgr2)).await;
            assert!(
                response.status == 403 || response.status == 404,
                "{path}: {} {}",
                response.status,
                response.body
            );
            assert!(response.body.get("detailCode").is_some(), "{path}");
        }
        let response = app
            .post(
                &format!("/v3/certifications/{mine}/sign-off"),
                &tokens.mgr2,
                &Value::Null,
            )
            .await;
        assert!(response.status == 403 || response.status == 404);

        // The reviewer reads it whole, in every family.
        for prefix in ["/v3", "/v2024", "/v2025", "/v2026", "/beta"] {
            let response = app
                .get(
                    &format!("{prefix}/certifications/{mine}"),
                    Some(&tokens.mgr1),
                )
                .await;
            assert_eq!(response.status, 200, "{prefix}: {}", response.body);
            assert_eq!(response.body["id"], mine.as_str());
        }
        let response = app
            .get(&format!("/certifications/v1/{mine}"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 200, "v1: {}", response.body);
        let response = app
            .get(
                "/certifications/v1?reviewer-identity=me",
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "v1 list: {}", response.body);
        assert_eq!(response.body.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn certification_lists_filter_and_sort_as_declared() {
    each_store(|app| async move {
        let (tokens, campaign) = active_campaign(&app).await;
        let admin = Some(tokens.admin.as_str());
        let response = app
            .get(
                &format!(
                    "/v3/certifications?count=true&filters=campaign.id%20eq%20%22{campaign}%22%20and%20phase%20eq%20%22ACTIVE%22&sorters=-name"
                ),
                admin,
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.headers["x-total-count"], "2");
        let names: Vec<&str> = response
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(names, sorted);

        let response = app
            .get("/v3/certifications?filters=phase%20eq%20%22SIGNED%22", admin)
            .await;
        assert_eq!(response.body, json!([]));

        // Fields the spec does not list are refused by name.
        let response = app
            .get("/v3/certifications?filters=name%20eq%20%22x%22&sorters=created", admin)
            .await;
        assert_eq!(response.status, 400);
        let causes = causes(&response.body);
        assert!(causes.iter().any(|c| c.contains("\"name\"")), "{causes:?}");
        assert!(causes.iter().any(|c| c.contains("created")), "{causes:?}");

        // Beta spells the campaign `campaignRef`.
        let response = app
            .get(
                &format!("/beta/certifications?filters=campaignRef.id%20eq%20%22{campaign}%22"),
                admin,
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body.as_array().unwrap().len(), 2);
        assert_eq!(response.body[0]["campaignRef"]["id"], campaign.as_str());
        let response = app
            .get("/v3/certifications?filters=campaignRef.id%20eq%20%22x%22", admin)
            .await;
        assert_eq!(response.status, 400);
    })
    .await;
}

/// Access details are kept between requests, but never past an import: a changed
/// entitlement and source show on the next page, also inside the roles that contain them.
#[tokio::test]
async fn access_details_follow_each_import() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let description = |items: &[Value]| {
            let read = items
                .iter()
                .find(|i| {
                    i["identitySummary"]["identityId"] == "emp1"
                        && i["accessSummary"]["access"]["id"] == "ent-read"
                })
                .unwrap();
            let role = items
                .iter()
                .find(|i| i["accessSummary"]["access"]["type"] == "ROLE")
                .unwrap();
            let nested = &role["accessSummary"]["role"]["accessProfiles"][0]["entitlements"][0];
            (
                read["accessSummary"]["entitlement"]["description"].clone(),
                read["accessSummary"]["entitlement"]["sourceName"].clone(),
                nested["description"].clone(),
            )
        };
        let before = items(&app, &tokens.mgr1, &cert, "").await;
        assert_eq!(
            description(&before),
            (
                json!("ent-read description"),
                json!("Finance DB"),
                json!("ent-read description")
            )
        );
        // The same page again comes from what the first one read.
        assert_eq!(items(&app, &tokens.mgr1, &cert, "").await, before);

        let mut tx = app.store.begin_import(app.clock.now()).await.unwrap();
        tx.upsert_sources(&[Source {
            id: "src1".into(),
            name: "Finance Ledger".into(),
            description: None,
            owner_id: Some("admin".into()),
            source_type: Some("JDBC".into()),
        }])
        .await
        .unwrap();
        tx.upsert_entitlements(&[Entitlement {
            id: "ent-read".into(),
            source_id: "src1".into(),
            name: "ent-read name".into(),
            attribute: Some("memberOf".into()),
            value: Some("CN=Read".into()),
            description: Some("Reads the ledger".into()),
            privileged: false,
            owner_id: Some("admin".into()),
        }])
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let after = items(&app, &tokens.mgr1, &cert, "").await;
        assert_eq!(
            description(&after),
            (
                json!("Reads the ledger"),
                json!("Finance Ledger"),
                json!("Reads the ledger")
            )
        );
    })
    .await;
}

#[tokio::test]
async fn access_review_items_show_the_access_and_narrow() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        assert_eq!(all.len(), 5);

        let read = all
            .iter()
            .find(|i| {
                i["identitySummary"]["identityId"] == "emp1"
                    && i["accessSummary"]["access"]["id"] == "ent-read"
            })
            .unwrap();
        assert_eq!(read["completed"], false);
        assert_eq!(read["newAccess"], false);
        assert_eq!(read["decision"], Value::Null);
        assert_eq!(read["comments"], Value::Null);
        assert_eq!(read["identitySummary"]["identityId"], "emp1");
        assert_eq!(read["identitySummary"]["completed"], false);
        let summary = &read["accessSummary"];
        assert_eq!(
            summary["access"],
            json!({"type": "ENTITLEMENT", "id": "ent-read", "name": "ent-read name"})
        );
        assert_eq!(summary["accessProfile"], Value::Null);
        assert_eq!(summary["role"], Value::Null);
        let entitlement = &summary["entitlement"];
        assert_eq!(entitlement["attributeName"], "memberOf");
        assert_eq!(entitlement["attributeValue"], "CN=Read");
        assert_eq!(entitlement["description"], "ent-read description");
        assert_eq!(entitlement["privileged"], false);
        assert_eq!(entitlement["sourceName"], "Finance DB");
        assert_eq!(entitlement["sourceType"], "JDBC");
        assert_eq!(entitlement["sourceId"], "src1");
        assert_eq!(entitlement["hasPermissions"], true);
        assert_eq!(
            entitlement["owner"],
            json!({"type": "IDENTITY", "id": "admin", "name": "admin (display)", "email": "admin@example.com"})
        );
        assert_eq!(entitlement["account"]["nativeIdentity"], "CN=emp1");
        assert_eq!(entitlement["account"]["id"], "acc-emp1");
        assert_eq!(entitlement["account"]["type"], "ACCOUNT");

        let role = all
            .iter()
            .find(|i| i["accessSummary"]["access"]["type"] == "ROLE")
            .unwrap();
        let role = &role["accessSummary"]["role"];
        assert_eq!(role["name"], "Accountant");
        assert_eq!(role["accessProfiles"][0]["id"], "ap1");
        assert_eq!(role["accessProfiles"][0]["entitlements"][0]["id"], "ent-read");
        assert_eq!(role["entitlements"][0]["id"], "ent-admin");
        assert_eq!(role["entitlements"][0]["privileged"], true);
        let profile = all
            .iter()
            .find(|i| i["accessSummary"]["access"]["type"] == "ACCESS_PROFILE")
            .unwrap();
        assert_eq!(profile["accessSummary"]["accessProfile"]["name"], "Readers");

        // Filters and sorters the spec declares.
        let roles = items(&app, &tokens.mgr1, &cert, "?filters=access.type%20eq%20%22ROLE%22").await;
        assert_eq!(roles.len(), 1);
        let emp2 = items(
            &app,
            &tokens.mgr1,
            &cert,
            "?filters=identitySummary.name%20sw%20%22emp2%22",
        )
        .await;
        assert_eq!(emp2.len(), 1);
        let sorted = items(&app, &tokens.mgr1, &cert, "?sorters=access.name").await;
        let names: Vec<&str> = sorted
            .iter()
            .map(|i| i["accessSummary"]["access"]["name"].as_str().unwrap())
            .collect();
        let mut expected = names.clone();
        expected.sort_unstable();
        assert_eq!(names, expected);
        let response = app
            .get(
                &format!("/v3/certifications/{cert}/access-review-items?limit=2&count=true"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.body.as_array().unwrap().len(), 2);
        assert_eq!(response.headers["x-total-count"], "5");

        // Narrowing to some access.
        let narrowed = items(&app, &tokens.mgr1, &cert, "?entitlements=ent-read").await;
        assert_eq!(narrowed.len(), 2);
        let narrowed = items(&app, &tokens.mgr1, &cert, "?access-profiles=ap1,nothing").await;
        assert_eq!(narrowed.len(), 1);
        let narrowed = items(&app, &tokens.mgr1, &cert, "?roles=ent-read").await;
        assert_eq!(narrowed.len(), 0);
        let response = app
            .get(
                &format!("/v3/certifications/{cert}/access-review-items?entitlements=a&roles=b"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 400);

        // A filter on a field the spec does not list names the field.
        let response = app
            .get(
                &format!(
                    "/v3/certifications/{cert}/access-review-items?filters=decision%20eq%20%22APPROVE%22"
                ),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 400);
        assert!(
            causes(&response.body)[0].contains("\"decision\""),
            "{}",
            response.body
        );

        // Reviewers of the certification.
        let response = app
            .get(&format!("/v3/certifications/{cert}/reviewers"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.body,
            json!([{"type": "IDENTITY", "id": "mgr1", "name": "mgr1 (display)", "email": "mgr1@example.com"}])
        );
    })
    .await;
}

#[tokio::test]
async fn permissions_of_an_entitlement_item() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let read = item_id(&all, "emp1", "ent-read");
        let path = format!("/v3/certifications/{cert}/access-review-items/{read}/permissions");
        let response = app.get(&path, Some(&tokens.mgr1)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let mut permissions = response.body.as_array().unwrap().clone();
        permissions.sort_by_key(|p| p["target"].as_str().unwrap().to_owned());
        assert_eq!(
            permissions,
            [
                json!({"rights": ["read"], "target": "SYS.LOG"}),
                json!({"rights": ["read", "write"], "target": "SYS.TABLE"}),
            ]
        );
        let response = app
            .get(
                &format!("{path}?filters=target%20eq%20%22SYS.LOG%22"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.body,
            json!([{"rights": ["read"], "target": "SYS.LOG"}])
        );
        let response = app
            .get(
                &format!("{path}?filters=name%20eq%20%22x%22"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 400);

        // Other kinds of access have none; unknown items are 404.
        let role = item_id(&all, "emp1", "role1");
        let response = app
            .get(
                &format!("/v3/certifications/{cert}/access-review-items/{role}/permissions"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, json!([]));
        let response = app
            .get(
                &format!("/v3/certifications/{cert}/access-review-items/nope/permissions"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 404);
        // Another reviewer sees nothing.
        let response = app.get(&path, Some(&tokens.mgr2)).await;
        assert!(response.status == 403 || response.status == 404);
    })
    .await;
}

#[tokio::test]
async fn decisions_are_validated_and_atomic() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let other = my_certification(&app, &tokens.mgr2).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let foreign = items(&app, &tokens.mgr2, &other, "").await;
        let decide = format!("/v3/certifications/{cert}/decide");
        let read1 = item_id(&all, "emp1", "ent-read");
        let read2 = item_id(&all, "emp2", "ent-read");
        let stranger = foreign[0]["id"].as_str().unwrap().to_owned();

        // Shape errors name the element and field.
        let response = app
            .post(
                &decide,
                &tokens.mgr1,
                &json!([
                    {"id": read1, "decision": "MAYBE", "bulk": true},
                    {"id": read2, "decision": "APPROVE"},
                ]),
            )
            .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(
            causes(&response.body),
            [
                "decisions[0].decision: \"MAYBE\" must be APPROVE or REVOKE",
                "decisions[1].bulk: is required (true or false)",
            ]
        );

        // 251 decisions are refused before anything is looked at.
        let many: Vec<Value> = (0..251)
            .map(|_| json!({"id": read1, "decision": "APPROVE", "bulk": true}))
            .collect();
        let response = app.post(&decide, &tokens.mgr1, &Value::Array(many)).await;
        assert_eq!(response.status, 400);
        assert!(causes(&response.body)[0].contains("at most 250"));

        // An item of another certification refuses the whole batch, naming the item.
        let response = app
            .post(
                &decide,
                &tokens.mgr1,
                &json!([
                    {"id": read1, "decision": "APPROVE", "bulk": true},
                    {"id": stranger, "decision": "APPROVE", "bulk": true},
                ]),
            )
            .await;
        assert!(
            response.status == 400 || response.status == 404,
            "{}",
            response.body
        );
        assert!(
            response.body.to_string().contains(&stranger),
            "{}",
            response.body
        );
        let cert_now = app
            .get(&format!("/v3/certifications/{cert}"), Some(&tokens.mgr1))
            .await;
        assert_eq!(cert_now.body["decisionsMade"], 0, "nothing was applied");

        // Revokes need a comment in this campaign.
        let response = app
            .post(
                &decide,
                &tokens.mgr1,
                &json!([{"id": read2, "decision": "REVOKE", "bulk": false}]),
            )
            .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(
            response.body.to_string().to_lowercase().contains("comment"),
            "{}",
            response.body
        );

        // Valid decisions apply and the certification shows them.
        let response = app
            .post(
                &decide,
                &tokens.mgr1,
                &json!([
                    {"id": read1, "decision": "APPROVE", "bulk": true},
                    {"id": read2, "decision": "REVOKE", "bulk": true, "comments": "left the team",
                     "proposedEndDate": "2026-04-15T00:00:00.000Z"},
                ]),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["decisionsMade"], 2);
        assert_eq!(response.body["decisionsTotal"], 5);
        assert_eq!(response.body["identitiesCompleted"], 1);
        let decided = items(&app, &tokens.mgr1, &cert, "?filters=completed%20eq%20true").await;
        assert_eq!(decided.len(), 2);
        let revoked = decided.iter().find(|i| i["id"] == read2.as_str()).unwrap();
        assert_eq!(revoked["decision"], "REVOKE");
        assert_eq!(revoked["comments"], "left the team");
        assert_eq!(revoked["identitySummary"]["completed"], true);
    })
    .await;
}

#[tokio::test]
async fn sign_off_needs_every_decision() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let sign_off = format!("/v3/certifications/{cert}/sign-off");
        let first: Vec<Value> = all[..2]
            .iter()
            .map(|i| json!({"id": i["id"], "decision": "APPROVE", "bulk": true}))
            .collect();
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &Value::Array(first),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);

        let response = app.post(&sign_off, &tokens.mgr1, &Value::Null).await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert!(
            response.body.to_string().contains('3'),
            "names the 3 undecided items: {}",
            response.body
        );

        let rest: Vec<Value> = all[2..]
            .iter()
            .map(|i| json!({"id": i["id"], "decision": "APPROVE", "bulk": true}))
            .collect();
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &Value::Array(rest),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["completed"], true);

        let response = app.post(&sign_off, &tokens.mgr1, &Value::Null).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["phase"], "SIGNED");
        assert!(
            is_sailpoint_time(&response.body["signed"]),
            "{}",
            response.body
        );

        // Signed is read-only.
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &json!([{"id": all[0]["id"], "decision": "APPROVE", "bulk": true}]),
            )
            .await;
        assert!(response.status.is_client_error(), "{}", response.body);
    })
    .await;
}

#[tokio::test]
async fn reassignment_moves_items_to_another_reviewer() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let emp2_item = all
            .iter()
            .find(|i| i["identitySummary"]["identityId"] == "emp2")
            .unwrap();
        let emp2_summary = emp2_item["identitySummary"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let reassign = format!("/v3/certifications/{cert}/reassign");

        // Validation names each problem; more than 50 entries go through reassign-async.
        let response = app
            .post(
                &reassign,
                &tokens.mgr1,
                &json!({"reassign": [{"id": "1", "type": "GROUP"}], "reassignTo": "mgr2"}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            [
                "reassign[0].type: \"GROUP\" must be ITEM, IDENTITY_SUMMARY or TARGET_SUMMARY",
                "reason: is required",
            ]
        );
        let many: Vec<Value> = (0..51)
            .map(|i| json!({"id": i.to_string(), "type": "ITEM"}))
            .collect();
        let response = app
            .post(
                &reassign,
                &tokens.mgr1,
                &json!({"reassign": many, "reassignTo": "mgr2", "reason": "r"}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert!(causes(&response.body)[0].contains("at most 50"));

        // Every item of emp2 moves to mgr2's certification now.
        let response = app
            .post(
                &reassign,
                &tokens.mgr1,
                &json!({
                    "reassign": [{"id": emp2_summary, "type": "IDENTITY_SUMMARY"}],
                    "reassignTo": "mgr2",
                    "reason": "mgr2 knows emp2's work"
                }),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(items(&app, &tokens.mgr1, &cert, "").await.len(), 4);
        let mgr2_cert = my_certification(&app, &tokens.mgr2).await;
        let received = app
            .get(
                &format!("/v3/certifications/{mgr2_cert}"),
                Some(&tokens.mgr2),
            )
            .await;
        assert_eq!(received.body["decisionsTotal"], 2, "{}", received.body);
        assert_eq!(
            received.body["reassignment"]["comment"],
            "mgr2 knows emp2's work"
        );
        assert_eq!(received.body["reassignment"]["from"]["id"], cert.as_str());
        assert_eq!(
            received.body["reassignment"]["from"]["type"],
            "CERTIFICATION"
        );
        assert_eq!(
            received.body["reassignment"]["from"]["reviewer"]["id"],
            "mgr1"
        );

        // One item moves to boss as a task.
        let role = item_id(&all, "emp1", "role1");
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/reassign-async"),
                &tokens.mgr1,
                &json!({
                    "reassign": [{"id": role, "type": "ITEM"}],
                    "reassignTo": "boss",
                    "reason": "boss owns the role"
                }),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["type"], "REASSIGN");
        assert_eq!(response.body["targetType"], "CERTIFICATION");
        assert_eq!(response.body["targetId"], cert.as_str());
        assert!(
            ["QUEUED", "IN_PROGRESS", "SUCCESS"]
                .contains(&response.body["status"].as_str().unwrap()),
            "{}",
            response.body
        );
        assert!(is_sailpoint_time(&response.body["created"]));
        assert!(response.body["errors"].is_array());
        app.run_tasks().await;
        let boss_cert = my_certification(&app, &tokens.boss).await;
        let moved = items(&app, &tokens.boss, &boss_cert, "").await;
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0]["accessSummary"]["access"]["id"], "role1");
        let received = app
            .get(
                &format!("/v3/certifications/{boss_cert}"),
                Some(&tokens.boss),
            )
            .await;
        assert_eq!(
            received.body["reassignment"]["comment"],
            "boss owns the role"
        );
        assert_eq!(items(&app, &tokens.mgr1, &cert, "").await.len(), 3);

        // Beta answers its own task shape.
        let read = item_id(&all, "emp1", "ent-read");
        let response = app
            .post(
                &format!("/beta/certifications/{cert}/reassign-async"),
                &tokens.mgr1,
                &json!({
                    "reassign": [{"id": read, "type": "ITEM"}],
                    "reassignTo": "boss",
                    "reason": "also this"
                }),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["certificationId"], cert.as_str());
        assert_eq!(response.body["type"], "REASSIGN");
        assert!(response.body["errors"].is_array());
    })
    .await;
}

/// Writes one response of every certification and summary endpoint to the folder named by
/// `ATTEST_WIRE_DUMP` (`<operation>.json`), so the shapes can be checked against the vendor
/// SDK's models outside Rust. Ignored by default: run with `--ignored` and the variable set.
#[tokio::test]
#[ignore = "writes wire samples for the SDK check; needs ATTEST_WIRE_DUMP"]
async fn dump_wire_samples() {
    let Ok(dir) = std::env::var("ATTEST_WIRE_DUMP") else {
        return;
    };
    let app = TestApp::new(attest_testing::sqlite_store().await).await;
    let (tokens, _) = active_campaign(&app).await;
    let cert = my_certification(&app, &tokens.mgr1).await;
    let all = items(&app, &tokens.mgr1, &cert, "").await;
    let read = item_id(&all, "emp1", "ent-read");
    let role = item_id(&all, "emp1", "role1");
    let mut samples = vec![
        (
            "list_identity_certifications",
            app.get("/v3/certifications", Some(&tokens.admin))
                .await
                .body,
        ),
        (
            "get_identity_certification",
            app.get(&format!("/v3/certifications/{cert}"), Some(&tokens.mgr1))
                .await
                .body,
        ),
        (
            "list_identity_access_review_items",
            Value::Array(all.clone()),
        ),
        (
            "list_certification_reviewers",
            app.get(
                &format!("/v3/certifications/{cert}/reviewers"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
        (
            "get_identity_certification_item_permissions",
            app.get(
                &format!("/v3/certifications/{cert}/access-review-items/{read}/permissions"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
        (
            "get_identity_decision_summary",
            app.get(
                &format!("/v3/certifications/{cert}/decision-summary"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
        (
            "get_identity_summaries",
            app.get(
                &format!("/v3/certifications/{cert}/identity-summaries"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
        (
            "get_identity_access_summaries",
            app.get(
                &format!("/v3/certifications/{cert}/access-summaries/ENTITLEMENT"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
        (
            "get_identity_access_summaries_role",
            app.get(
                &format!("/v3/certifications/{cert}/access-summaries/ROLE"),
                Some(&tokens.mgr1),
            )
            .await
            .body,
        ),
    ];
    let summary = samples[6].1[0]["id"].as_str().unwrap().to_owned();
    samples.push((
        "get_identity_summary",
        app.get(
            &format!("/v3/certifications/{cert}/identity-summaries/{summary}"),
            Some(&tokens.mgr1),
        )
        .await
        .body,
    ));
    samples.push(("submit_reassign_certs_async", app.post(&format!("/v3/certifications/{cert}/reassign-async"), &tokens.mgr1, &json!({"reassign": [{"id": role, "type": "ITEM"}], "reassignTo": "boss", "reason": "r"})).await.body));
    samples.push((
        "make_identity_decision",
        app.post(
            &format!("/v3/certifications/{cert}/decide"),
            &tokens.mgr1,
            &json!([{"id": read, "decision": "REVOKE", "bulk": true, "comments": "c"}]),
        )
        .await
        .body,
    ));
    app.run_tasks().await;
    let boss_cert = my_certification(&app, &tokens.boss).await;
    samples.push((
        "get_identity_certification_reassigned",
        app.get(
            &format!("/v3/certifications/{boss_cert}"),
            Some(&tokens.boss),
        )
        .await
        .body,
    ));
    samples.push((
        "error_response",
        app.get("/v3/certifications?filters=x%20eq%201", Some(&tokens.mgr1))
            .await
            .body,
    ));
    let other = my_certification(&app, &tokens.mgr2).await;
    samples.push((
        "error_foreign_certification",
        app.get(&format!("/v3/certifications/{cert}"), Some(&tokens.mgr2))
            .await
            .body,
    ));
    let foreign = items(&app, &tokens.mgr2, &other, "").await;
    samples.push((
        "error_decide_foreign_item",
        app.post(
            &format!("/v3/certifications/{cert}/decide"),
            &tokens.mgr1,
            &json!([{"id": foreign[0]["id"], "decision": "APPROVE", "bulk": true}]),
        )
        .await
        .body,
    ));
    samples.push((
        "error_decide_without_comment",
        app.post(
            &format!("/v3/certifications/{other}/decide"),
            &tokens.mgr2,
            &json!([{"id": foreign[0]["id"], "decision": "REVOKE", "bulk": true}]),
        )
        .await
        .body,
    ));
    samples.push((
        "error_sign_off_undecided",
        app.post(
            &format!("/v3/certifications/{cert}/sign-off"),
            &tokens.mgr1,
            &Value::Null,
        )
        .await
        .body,
    ));
    for (name, body) in samples {
        std::fs::write(
            format!("{dir}/{name}.json"),
            serde_json::to_string_pretty(&body).unwrap(),
        )
        .unwrap();
    }
}

/// Every filter and sorter an endpoint declares is served (200), never a fault of the store.
#[tokio::test]
async fn every_declared_filter_and_sorter_is_served() {
    each_store(|app| async move {
        let (tokens, campaign) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let item = all[0]["id"].as_str().unwrap().to_owned();
        let summary = all[0]["identitySummary"]["id"].as_str().unwrap().to_owned();
        let read = item_id(&all, "emp1", "ent-read");
        let base = format!("/v3/certifications/{cert}");
        let cases: Vec<(String, Vec<String>)> = vec![
            (
                "/v3/certifications".to_owned(),
                vec![
                    format!("filters=id in (\"{cert}\")"),
                    format!("filters=campaign.id in (\"{campaign}\")"),
                    "filters=phase eq \"ACTIVE\"".to_owned(),
                    "filters=completed eq false".to_owned(),
                    "sorters=name,-due,signed".to_owned(),
                ],
            ),
            (
                "/beta/certifications".to_owned(),
                vec![
                    "filters=completed ne true".to_owned(),
                    format!("filters=campaignRef.id in (\"{campaign}\")"),
                ],
            ),
            (
                format!("{base}/access-review-items"),
                vec![
                    format!("filters=id in (\"{item}\")"),
                    "filters=type eq \"ENTITLEMENT\"".to_owned(),
                    "filters=access.type eq \"ROLE\"".to_owned(),
                    "filters=completed ne true".to_owned(),
                    format!("filters=identitySummary.id in (\"{summary}\")"),
                    "filters=identitySummary.name eq \"emp1 (display)\"".to_owned(),
                    "filters=access.id in (\"ent-read\", \"ap1\")".to_owned(),
                    "filters=access.name eq \"Readers\"".to_owned(),
                    "filters=entitlement.sourceName sw \"Fin\"".to_owned(),
                    "filters=accessProfile.sourceName eq \"Finance DB\"".to_owned(),
                    "sorters=identitySummary.name,-access.name,access.type,entitlement.sourceName,accessProfile.sourceName".to_owned(),
                ],
            ),
            (
                format!("{base}/reviewers"),
                vec![
                    "filters=id in (\"mgr1\")".to_owned(),
                    "filters=name sw \"mgr\"".to_owned(),
                    "filters=email eq \"mgr1@example.com\"".to_owned(),
                    "sorters=-name,email".to_owned(),
                ],
            ),
            (
                format!("{base}/access-review-items/{read}/permissions"),
                vec![
                    "filters=target sw \"SYS\"".to_owned(),
                    "filters=rights ca (\"read\") and target eq \"SYS.TABLE\"".to_owned(),
                ],
            ),
            (
                format!("{base}/decision-summary"),
                vec![format!("filters=identitySummary.id in (\"{summary}\")")],
            ),
            (
                format!("{base}/identity-summaries"),
                vec![
                    format!("filters=id in (\"{summary}\")"),
                    "filters=completed eq false".to_owned(),
                    "filters=name sw \"emp\"".to_owned(),
                    "sorters=-name".to_owned(),
                ],
            ),
            (
                format!("{base}/access-summaries/ENTITLEMENT"),
                vec![
                    "filters=completed eq false".to_owned(),
                    "filters=access.id in (\"ent-read\")".to_owned(),
                    "filters=access.name sw \"ent\"".to_owned(),
                    "filters=entitlement.sourceName eq \"Finance DB\"".to_owned(),
                    "filters=accessProfile.sourceName sw \"Fin\"".to_owned(),
                    "sorters=-access.name".to_owned(),
                ],
            ),
        ];
        for (path, queries) in cases {
            for query in queries {
                let encoded = query.replace(' ', "%20").replace('"', "%22");
                let uri = format!("{path}?{encoded}");
                let response = app.get(&uri, Some(&tokens.mgr1)).await;
                assert_eq!(response.status, 200, "{path}?{query}: {}", response.body);
            }
        }
    })
    .await;
}
