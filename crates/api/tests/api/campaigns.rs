//! SailPoint campaigns end to end: validation, shapes, lists, the lifecycle driven by the task
//! worker, authorization, and every URL family reaching the same handlers.

use attest_domain::Authority;
use axum::http::Method;
use serde_json::{json, Value};

use crate::support::*;

/// A valid MANAGER campaign body.
pub fn manager_campaign(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Everyone's access, reviewed by their manager",
        "type": "MANAGER",
        "deadline": "2026-04-01T00:00:00.000Z",
        "emailNotificationEnabled": false,
        "autoRevokeAllowed": true,
        "recommendationsEnabled": true,
        "mandatoryCommentRequirement": "REVOKE_ONLY_DECISIONS"
    })
}

/// The texts of an `ErrorResponseDto`'s causes.
pub fn causes(body: &Value) -> Vec<String> {
    body["causes"]
        .as_array()
        .unwrap_or_else(|| panic!("no causes in {body}"))
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The sorted keys of a JSON object.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Creates a campaign and returns its id.
pub async fn create(app: &TestApp, token: &str, body: &Value) -> String {
    let response = app.post("/v3/campaigns", token, body).await;
    assert_eq!(response.status, 202, "{}", response.body);
    response.body["id"].as_str().unwrap().to_owned()
}

/// Reads a campaign's status.
pub async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    let response = app.get(&format!("/v3/campaigns/{id}"), Some(token)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.body["status"].as_str().unwrap().to_owned()
}

/// Creates a MANAGER campaign over [`TestApp::seed_org`] and generates it (STAGED).
pub async fn staged_campaign(app: &TestApp, token: &str, name: &str) -> String {
    let id = create(app, token, &manager_campaign(name)).await;
    assert!(app.run_tasks().await >= 1);
    assert_eq!(status_of(app, token, &id).await, "STAGED");
    id
}

#[tokio::test]
async fn creation_checks_every_field_and_names_each_problem() {
    each_store(|app| async move {
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let response = app
            .post(
                "/v3/campaigns",
                &admin,
                &json!({
                    "type": "QUARTERLY",
                    "deadline": "next week",
                    "correlatedStatus": "SOMETIMES",
                    "mandatoryCommentRequirement": "ALWAYS",
                }),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(response.body["detailCode"], "400.1 Bad Request Content");
        assert_eq!(response.body["trackingId"], response.request_id());
        assert_eq!(
            response.body["messages"][0]["text"],
            "The campaign is invalid."
        );
        assert_eq!(
            causes(&response.body),
            [
                "name: is required",
                "description: is required",
                "deadline: \"next week\" is not an RFC 3339 date-time such as 2026-01-02T03:04:05.678Z",
                "type: \"QUARTERLY\" is not one of MANAGER, SOURCE_OWNER, SEARCH, ROLE_COMPOSITION, MACHINE_ACCOUNT",
                "correlatedStatus: \"SOMETIMES\" is not one of CORRELATED, UNCORRELATED",
                "mandatoryCommentRequirement: \"ALWAYS\" is not one of ALL_DECISIONS, REVOKE_ONLY_DECISIONS, NO_DECISIONS",
            ]
        );

        // Per-type info objects: required for their type, refused for the others.
        let response = app
            .post(
                "/v3/campaigns",
                &admin,
                &json!({
                    "name": "x".repeat(256),
                    "description": "d",
                    "type": "SOURCE_OWNER",
                    "searchCampaignInfo": {"type": "IDENTITY", "query": "name eq \"a\""},
                }),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            [
                "name: must be at most 255 characters",
                "searchCampaignInfo: must be set only if the campaign type is SEARCH",
                "sourceOwnerCampaignInfo: is required for SOURCE_OWNER campaigns",
            ]
        );

        // A well-formed body naming things that do not exist: the engine names them.
        let response = app
            .post(
                "/v3/campaigns",
                &admin,
                &json!({
                    "name": "Ledger review", "description": "d", "type": "SOURCE_OWNER",
                    "sourceOwnerCampaignInfo": {"sourceIds": ["nowhere"]},
                }),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            ["sourceOwnerCampaignInfo.sourceIds: source nowhere does not exist"]
        );

        // Not JSON at all.
        let request = json_request(Method::POST, "/v3/campaigns", &admin, &Value::Null);
        let response = app.send(request).await;
        assert_eq!(response.status, 400);
        assert_eq!(causes(&response.body), ["body: a JSON document is required"]);
    })
    .await;
}

#[tokio::test]
async fn a_created_campaign_is_pending_and_reads_slim_or_full() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let response = app
            .post(
                "/v3/campaigns",
                &admin,
                &manager_campaign("Q1 manager review"),
            )
            .await;
        assert_eq!(response.status, 202);
        let id = response.body["id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "{id}");
        let created = json!({
            "id": id,
            "name": "Q1 manager review",
            "description": "Everyone's access, reviewed by their manager",
            "deadline": "2026-04-01T00:00:00.000Z",
            "type": "MANAGER",
            "emailNotificationEnabled": false,
            "autoRevokeAllowed": true,
            "recommendationsEnabled": true,
            "status": "PENDING",
            "correlatedStatus": "CORRELATED",
            "created": "2026-03-02T09:00:00.000Z",
            "totalCertifications": 0,
            "completedCertifications": 0,
            "alerts": [],
            "modified": "2026-03-02T09:00:00.000Z",
            // No filter, no type-specific info, orphan sources unknown while PENDING: left
            // out (v3 declares them non-nullable), not null.
            "sunsetCommentsRequired": true,
            "mandatoryCommentRequirement": "REVOKE_ONLY_DECISIONS",
        });
        assert_eq!(response.body, created);

        // SLIM by default, FULL on request.
        let slim = app.get(&format!("/v3/campaigns/{id}"), Some(&admin)).await;
        assert_eq!(slim.status, 200);
        assert_eq!(
            keys(&slim.body),
            [
                "alerts",
                "autoRevokeAllowed",
                "completedCertifications",
                "correlatedStatus",
                "created",
                "deadline",
                "description",
                "emailNotificationEnabled",
                "id",
                "name",
                "recommendationsEnabled",
                "status",
                "totalCertifications",
                "type"
            ]
        );
        let full = app
            .get(&format!("/v3/campaigns/{id}?detail=FULL"), Some(&admin))
            .await;
        assert_eq!(full.body, created);
        let bad = app
            .get(&format!("/v3/campaigns/{id}?detail=fat"), Some(&admin))
            .await;
        assert_eq!(bad.status, 400);
        assert_eq!(
            causes(&bad.body),
            ["detail: \"fat\" is not one of SLIM, FULL"]
        );

        // Generation by the worker: two certifications (boss's and alice's).
        assert!(app.run_tasks().await >= 1);
        let full = app
            .get(&format!("/v3/campaigns/{id}?detail=FULL"), Some(&admin))
            .await;
        assert_eq!(full.body["status"], "STAGED");
        assert_eq!(full.body["totalCertifications"], 2);
        assert_eq!(full.body["completedCertifications"], 0);
        assert_eq!(full.body["sourcesWithOrphanEntitlements"], json!([]));

        let missing = app
            .get(
                "/v3/campaigns/0123456789abcdef0123456789abcdef",
                Some(&admin),
            )
            .await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body["detailCode"], "404 Not found");
    })
    .await;
}

#[tokio::test]
async fn search_and_role_campaigns_show_their_info_objects() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::OrgAdmin]).await;
        let response = app
            .post(
                "/v2025/campaigns",
                &admin,
                &json!({
                    "name": "Finance search", "description": "d", "type": "SEARCH",
                    "searchCampaignInfo": {
                        "type": "IDENTITY",
                        "identityIds": ["alice", "bob"],
                        "reviewer": {"type": "IDENTITY", "id": "boss"},
                        "accessConstraints": [
                            {"type": "ENTITLEMENT", "operator": "SELECTED", "ids": ["ledger-read"]}
                        ]
                    }
                }),
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(
            response.body["searchCampaignInfo"],
            json!({
                "type": "IDENTITY",
                "reviewer": {"type": "IDENTITY", "id": "boss", "name": "Big Boss"},
                "reviewerId": "boss",
                "identityIds": ["alice", "bob"],
                "accessConstraints": [
                    {"type": "ENTITLEMENT", "ids": ["ledger-read"], "operator": "SELECTED"}
                ],
            })
        );

        let response = app
            .post(
                "/v2025/campaigns",
                &admin,
                &json!({
                    "name": "Ledger", "description": "d", "type": "SOURCE_OWNER",
                    "correlatedStatus": "UNCORRELATED",
                    "sourceOwnerCampaignInfo": {"sourceIds": ["ledger"]}
                }),
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(response.body["correlatedStatus"], "UNCORRELATED");
        assert_eq!(
            response.body["sourceOwnerCampaignInfo"],
            json!({"sourceIds": ["ledger"]})
        );

        // The remediator is always an identity; what was not given is left out, not null.
        let response = app
            .post(
                "/v2025/campaigns",
                &admin,
                &json!({
                    "name": "Roles", "description": "d", "type": "ROLE_COMPOSITION",
                    "roleCompositionCampaignInfo": {
                        "remediatorRef": {"type": "IDENTITY", "id": "boss"}
                    }
                }),
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(
            response.body["roleCompositionCampaignInfo"],
            json!({"remediatorRef": {"type": "IDENTITY", "id": "boss", "name": "Big Boss"}})
        );
        assert!(response.body.get("searchCampaignInfo").is_none());
        assert!(response.body.get("filter").is_none());
    })
    .await;
}

#[tokio::test]
async fn lists_filter_sort_page_and_count() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let mut ids = Vec::new();
        for name in ["Beta review", "Alpha review", "Gamma audit"] {
            ids.push(create(&app, &admin, &manager_campaign(name)).await);
            app.clock.advance(chrono::Duration::seconds(1));
        }

        let names = |body: &Value| -> Vec<String> {
            body.as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let response = app.get("/v3/campaigns?sorters=name", Some(&admin)).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            names(&response.body),
            ["Alpha review", "Beta review", "Gamma audit"]
        );
        assert!(response.headers.get("x-total-count").is_none());
        // SLIM unless asked.
        assert!(response.body[0].get("modified").is_none());

        let response = app
            .get(
                "/v3/campaigns?sorters=-created&count=true&limit=2&detail=FULL",
                Some(&admin),
            )
            .await;
        assert_eq!(names(&response.body), ["Gamma audit", "Alpha review"]);
        assert_eq!(response.headers["x-total-count"], "3");
        assert!(response.body[0].get("modified").is_some());

        let response = app
            .get(
                "/v3/campaigns?filters=name%20sw%20%22Beta%22",
                Some(&admin),
            )
            .await;
        assert_eq!(names(&response.body), ["Beta review"]);

        let filter = format!("id in (\"{}\", \"{}\")", ids[0], ids[2]);
        let uri = format!(
            "/v3/campaigns?sorters=name&filters={}",
            filter.replace(' ', "%20").replace('"', "%22")
        );
        let response = app.get(&uri, Some(&admin)).await;
        assert_eq!(names(&response.body), ["Beta review", "Gamma audit"]);

        let response = app
            .get(
                "/v3/campaigns?filters=status%20eq%20%22STAGED%22",
                Some(&admin),
            )
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, json!([]));

        // Refusals name the field, the operator or the parameter.
        let response = app
            .get(
                "/v3/campaigns?filters=description%20eq%20%22x%22&sorters=deadline&limit=500",
                Some(&admin),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            [
                "limit must be an integer from 0 to 250, got \"500\"",
                "filters: filter field \"description\" is not supported; supported fields are id, name, status",
                "sorters: sort field \"deadline\" is not supported; supported sort fields are name, created",
            ]
        );
        let response = app
            .get("/v3/campaigns?filters=name%20co%20%22a%22", Some(&admin))
            .await;
        assert_eq!(
            causes(&response.body),
            ["filters: operator \"co\" is not supported for field \"name\"; supported operators are eq, sw"]
        );
    })
    .await;
}

#[tokio::test]
async fn patches_follow_the_status() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let id = create(&app, &admin, &manager_campaign("Q1")).await;
        let uri = format!("/v3/campaigns/{id}");

        // Nothing is patchable while PENDING.
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([{"op": "replace", "path": "/name", "value": "Q1 bis"}]),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            ["/name cannot be changed while the campaign is PENDING"]
        );

        app.run_tasks().await;
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([
                    {"op": "replace", "path": "/name", "value": "Q1 (finance)"},
                    {"op": "replace", "path": "/description", "value": "new words"},
                    {"op": "replace", "path": "/deadline", "value": "2026-05-01T12:00:00Z"},
                    {"op": "replace", "path": "/emailNotificationEnabled", "value": true},
                ]),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["name"], "Q1 (finance)");
        assert_eq!(response.body["description"], "new words");
        assert_eq!(response.body["deadline"], "2026-05-01T12:00:00.000Z");
        assert_eq!(response.body["emailNotificationEnabled"], true);
        assert_eq!(response.body["status"], "STAGED");
        // PATCH answers the SLIM shape.
        assert!(response.body.get("modified").is_none());

        // Wire-level problems are named by operation; unpatchable fields by the engine.
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([
                    {"op": "move", "from": "/name", "path": "/description"},
                    {"op": "replace", "path": "/colour", "value": "red"},
                ]),
            )
            .await;
        assert_eq!(
            causes(&response.body),
            [
                "[0].op: \"move\" is not supported; supported operations are add, replace, remove",
                "[1].path: \"/colour\" does not name a campaign field",
            ]
        );
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([{"op": "replace", "path": "/type", "value": "SEARCH"}]),
            )
            .await;
        assert_eq!(causes(&response.body), ["/type cannot be patched"]);

        // Once ACTIVE, only the deadline.
        let response = app
            .post(&format!("{uri}/activate"), &admin, &Value::Null)
            .await;
        assert_eq!(response.status, 202);
        app.run_tasks().await;
        assert_eq!(status_of(&app, &admin, &id).await, "ACTIVE");
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([
                    {"op": "replace", "path": "/name", "value": "late rename"},
                    {"op": "replace", "path": "/deadline", "value": "2026-06-01T00:00:00Z"},
                ]),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            ["/name cannot be changed while the campaign is ACTIVE"]
        );
        let response = app
            .patch(
                &uri,
                &admin,
                &json!([{"op": "replace", "path": "/deadline", "value": "2026-06-01T00:00:00Z"}]),
            )
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body["deadline"], "2026-06-01T00:00:00.000Z");
    })
    .await;
}

#[tokio::test]
async fn the_whole_lifecycle_runs_through_the_worker() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let id = staged_campaign(&app, &admin, "Q1").await;
        let uri = format!("/v3/campaigns/{id}");

        // Activation is refused while the deadline has passed, and for a bad time zone.
        app.clock.set("2026-04-02T00:00:00Z".parse().unwrap());
        let late_admin = app.token("late-admin", &[Authority::CertAdmin]).await;
        let response = app
            .post(
                &format!("{uri}/activate"),
                &late_admin,
                &json!({"timeZone": "-05:00"}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(causes(&response.body), ["deadline must be in the future"]);
        app.clock.set(start_time());
        let response = app
            .post(
                &format!("{uri}/activate"),
                &admin,
                &json!({"timeZone": "Mars/Olympus"}),
            )
            .await;
        assert_eq!(
            causes(&response.body),
            ["timeZone: \"Mars/Olympus\" is not an ISO 8601 offset such as Z, +02:00, -0500 or +05"]
        );

        let response = app
            .post(
                &format!("{uri}/activate"),
                &admin,
                &json!({"timeZone": "-05:00"}),
            )
            .await;
        assert_eq!(response.status, 202);
        assert_eq!(response.body, json!({}));
        assert_eq!(status_of(&app, &admin, &id).await, "ACTIVATING");
        // Activating twice is refused.
        let response = app
            .post(&format!("{uri}/activate"), &admin, &Value::Null)
            .await;
        assert_eq!(response.status, 400);
        app.run_tasks().await;
        assert_eq!(status_of(&app, &admin, &id).await, "ACTIVE");

        // Completion: not before the deadline; REVOKE allowed (autoRevokeAllowed is true).
        let response = app
            .post(
                &format!("{uri}/complete"),
                &admin,
                &json!({"autoCompleteAction": "REVOKE"}),
            )
            .await;
        assert_eq!(response.status, 400);
        let response = app
            .post(
                &format!("{uri}/complete"),
                &admin,
                &json!({"autoCompleteAction": "MAYBE"}),
            )
            .await;
        assert_eq!(
            causes(&response.body),
            ["autoCompleteAction: \"MAYBE\" is not one of APPROVE, REVOKE"]
        );
        app.clock.set("2026-04-02T00:00:00Z".parse().unwrap());
        let admin = app.token("later-admin", &[Authority::CertAdmin]).await;
        let response = app
            .post(
                &format!("{uri}/complete"),
                &admin,
                &json!({"autoCompleteAction": "REVOKE"}),
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(response.body, json!({}));
        assert_eq!(status_of(&app, &admin, &id).await, "COMPLETING");
        app.run_tasks().await;
        let full = app.get(&format!("{uri}?detail=FULL"), Some(&admin)).await;
        assert_eq!(full.body["status"], "COMPLETED");
        assert_eq!(full.body["completedCertifications"], 2);

        // Undecided items were revoked at completion: three provisioning orders.
        let orders = app
            .get(
                &format!("/api/v1/provisioning-orders?campaignId={id}"),
                Some(&admin),
            )
            .await;
        assert_eq!(orders.status, 200, "{}", orders.body);
        let orders = orders.body.as_array().unwrap().clone();
        assert_eq!(orders.len(), 3);
        assert!(orders.iter().all(|o| o["decision"] == "REVOKE"
            && o["campaignId"] == id.as_str()
            && o["status"] == "PENDING"));
    })
    .await;
}

#[tokio::test]
async fn deletion_and_admin_reassignment() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let keep = staged_campaign(&app, &admin, "keep").await;
        let doomed = create(&app, &admin, &manager_campaign("doomed")).await;

        let response = app
            .post(
                "/v3/campaigns/delete",
                &admin,
                &json!({"ids": [doomed, "0000000000000000000000000000dead"]}),
            )
            .await;
        assert_eq!(response.status, 404);
        assert_eq!(
            causes(&response.body),
            ["campaign not found: 0000000000000000000000000000dead; nothing was deleted"]
        );
        let response = app
            .post("/v3/campaigns/delete", &admin, &json!({"ids": []}))
            .await;
        assert_eq!(causes(&response.body), ["ids: must list at least one id"]);
        let response = app
            .post("/v3/campaigns/delete", &admin, &json!({"ids": [doomed]}))
            .await;
        assert_eq!(response.status, 202);
        assert_eq!(response.body, json!({}));
        let gone = app.get(&format!("/v3/campaigns/{doomed}"), Some(&admin)).await;
        assert_eq!(gone.status, 404);

        // Admin reassignment of boss's certification to carol.
        let certifications = certifications_of(&app, &keep).await;
        let boss_cert = certifications
            .iter()
            .find(|c| c.reviewer.as_str() == "boss")
            .unwrap()
            .id
            .clone();
        let uri = format!("/v3/campaigns/{keep}/reassign");
        let response = app
            .post(
                &uri,
                &admin,
                &json!({"certificationIds": [], "reassignTo": {"type": "GROUP"}}),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            causes(&response.body),
            [
                "certificationIds: must list at least one id",
                "reassignTo.id: is required",
                "reassignTo.type: \"GROUP\" is not one of IDENTITY",
                "reason: is required",
            ]
        );
        let response = app
            .post(
                &uri,
                &admin,
                &json!({
                    "certificationIds": [boss_cert.as_str()],
                    "reassignTo": {"type": "IDENTITY", "id": "carol"},
                    "reason": "boss is on leave"
                }),
            )
            .await;
        assert_eq!(response.status, 202, "{}", response.body);
        let task = response.body.clone();
        assert_eq!(task["type"], "ADMIN_REASSIGN");
        assert_eq!(task["targetType"], "CAMPAIGN");
        assert_eq!(task["targetId"], keep.as_str());
        assert_eq!(task["status"], "QUEUED");
        assert_eq!(task["errors"], json!([]));
        assert_eq!(
            task["reassignmentTrailDTOs"],
            json!([{"previousOwner": "boss", "newOwner": "carol", "reassignmentType": "MANUAL_REASSIGNMENT"}])
        );
        assert_eq!(task["created"], "2026-03-02T09:00:00.000Z");
        let task_uri = format!("/v3/certification-tasks/{}", task["id"].as_str().unwrap());
        assert_eq!(app.get(&task_uri, Some(&admin)).await.body, task);
        app.run_tasks().await;
        let done = app.get(&task_uri, Some(&admin)).await;
        assert_eq!(done.body["status"], "SUCCESS", "{}", done.body);
        let certifications = certifications_of(&app, &keep).await;
        assert!(certifications.iter().any(|c| c.reviewer.as_str() == "carol"));
        assert!(!certifications.iter().any(|c| c.reviewer.as_str() == "boss"));
    })
    .await;
}

/// Every certification of a campaign, read through the engine.
pub async fn certifications_of(
    app: &TestApp,
    campaign: &str,
) -> Vec<attest_domain::certification::Certification> {
    let caller = attest_engine::credentials::Caller {
        identity_id: "admin".into(),
        client_id: "test".into(),
        authorities: vec![Authority::OrgAdmin],
        expires_at: start_time() + chrono::Duration::days(1),
    };
    let query = attest_store::campaigns::ListQuery {
        filter: Some(
            attest_query::parse_filter(&format!("campaign.id eq \"{campaign}\"")).unwrap(),
        ),
        limit: 250,
        ..Default::default()
    };
    app.campaigns
        .certifications(&caller, false, &query)
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn authorities_decide_who_reads_and_who_manages() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let reviewer = app.token_for("boss", &[]).await;
        let auditor = app.token("auditor", &[Authority::ReportAdmin]).await;
        let id = create(&app, &admin, &manager_campaign("Q1")).await;

        let response = app
            .post("/v3/campaigns", &reviewer, &manager_campaign("mine"))
            .await;
        assert_eq!(response.status, 403);
        assert_eq!(response.body["detailCode"], "403 Forbidden");
        assert_eq!(
            causes(&response.body),
            ["This operation requires one of the authorities ORG_ADMIN, CERT_ADMIN."]
        );
        assert_eq!(app.get("/v3/campaigns", Some(&reviewer)).await.status, 403);

        // REPORT_ADMIN reads but does not manage.
        let response = app.get("/v3/campaigns", Some(&auditor)).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body.as_array().unwrap().len(), 1);
        let uri = format!("/v3/campaigns/{id}");
        assert_eq!(app.get(&uri, Some(&auditor)).await.status, 200);
        for (method, path, body) in [
            (
                Method::POST,
                "/v3/campaigns".to_owned(),
                manager_campaign("x"),
            ),
            (Method::PATCH, uri.clone(), json!([])),
            (Method::POST, format!("{uri}/activate"), json!({})),
            (Method::POST, format!("{uri}/complete"), json!({})),
            (
                Method::POST,
                "/v3/campaigns/delete".to_owned(),
                json!({"ids": [id]}),
            ),
        ] {
            let response = app.send_json(method.clone(), &path, &auditor, &body).await;
            assert_eq!(response.status, 403, "{method} {path}");
        }
        // Without a token: 401 before anything else.
        assert_eq!(app.get("/v3/campaigns", None).await.status, 401);

        // Provisioning orders are for the administrators who carry revocations out.
        let response = app.get("/api/v1/provisioning-orders", Some(&auditor)).await;
        assert_eq!(response.status, 403);
        assert_eq!(response.body["error"]["code"], "forbidden");
        let response = app.get("/api/v1/provisioning-orders", Some(&admin)).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, json!([]));
        let response = app
            .get(
                "/api/v1/provisioning-orders?status=LOST&offset=-1",
                Some(&admin),
            )
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body["error"]["details"],
            json!([
                "offset must be an integer from 0 to 9223372036854775807, got \"-1\"",
                "status must be one of PENDING, SENT, FAILED, DONE, VERIFIED, STILL_PRESENT, got \"LOST\"",
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn every_family_reaches_the_same_handlers() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::OrgAdmin]).await;
        let mut ids = Vec::new();
        for base in [
            "/v3/campaigns",
            "/v2024/campaigns",
            "/v2025/campaigns",
            "/v2026/campaigns",
            "/beta/campaigns",
            "/campaigns/v1",
        ] {
            let response = app
                .post(base, &admin, &manager_campaign(&format!("via {base}")))
                .await;
            assert_eq!(response.status, 202, "{base}: {}", response.body);
            let id = response.body["id"].as_str().unwrap().to_owned();
            let read = app.get(&format!("{base}/{id}"), Some(&admin)).await;
            assert_eq!(read.status, 200, "{base}");
            assert_eq!(read.body["name"], format!("via {base}"));
            let list = app.get(&format!("{base}?count=true"), Some(&admin)).await;
            assert_eq!(list.status, 200, "{base}");
            ids.push(id);
            assert_eq!(
                list.headers["x-total-count"],
                ids.len().to_string().as_str()
            );
        }
        // The service-versioned family has no `/campaigns` segment inside it, and the
        // campaign family does not serve other resources.
        assert_eq!(
            app.get(&format!("/campaigns/v1/campaigns/{}", ids[0]), Some(&admin))
                .await
                .status,
            404
        );
        assert_eq!(
            app.get("/campaigns/v1/certification-tasks", Some(&admin))
                .await
                .status,
            404
        );
        // The remediation scan (tests/api/remediation.rs) is served on the same handlers.
        let response = app
            .post(
                &format!("/v3/campaigns/{}/run-remediation-scan", ids[0]),
                &admin,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 202);

        // A campaign made through one family is managed through another.
        let response = app
            .post("/v3/campaigns/delete", &admin, &json!({"ids": [ids[5]]}))
            .await;
        assert_eq!(response.status, 202);

        // The pending generation tasks, in every family.
        let mut task_ids = Vec::new();
        for base in [
            "/v3/certification-tasks",
            "/v2024/certification-tasks",
            "/v2025/certification-tasks",
            "/v2026/certification-tasks",
            "/beta/certification-tasks",
            "/certification-tasks/v1",
        ] {
            let response = app.get(&format!("{base}?count=true"), Some(&admin)).await;
            assert_eq!(response.status, 200, "{base}: {}", response.body);
            assert_eq!(response.headers["x-total-count"], "5", "{base}");
            let id = response.body[0]["id"].as_str().unwrap().to_owned();
            let one = app.get(&format!("{base}/{id}"), Some(&admin)).await;
            assert_eq!(one.status, 200, "{base}");
            assert_eq!(one.body["type"], "CAMPAIGN_CREATE");
            task_ids.push(id);
        }
        task_ids.dedup();
        assert_eq!(task_ids.len(), 1, "every family lists in the same order");
    })
    .await;
}
