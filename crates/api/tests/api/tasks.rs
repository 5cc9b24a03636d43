//! Certification tasks: the pending list, one task, who sees what (administrators every task,
//! a reviewer those of their own certifications), and the deprecated beta
//! per-certification routes.

use attest_domain::Authority;
use attest_engine::credentials::Caller;
use attest_store::campaigns::ReassignTarget;
use serde_json::{json, Value};

use crate::campaigns::{causes, certifications_of, create, manager_campaign, staged_campaign};
use crate::support::*;

fn admin_caller() -> Caller {
    Caller {
        identity_id: "admin".into(),
        client_id: "test".into(),
        authorities: vec![Authority::OrgAdmin],
        expires_at: start_time() + chrono::Duration::days(1),
    }
}

fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `filters=<text>`, percent-encoded enough for the test filters.
fn filters(text: &str) -> String {
    format!(
        "filters={}",
        text.replace(' ', "%20")
            .replace('"', "%22")
            .replace('(', "%28")
            .replace(')', "%29")
    )
}

#[tokio::test]
async fn the_pending_list_filters_and_forgets_finished_tasks() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let first = create(&app, &admin, &manager_campaign("first")).await;
        let second = create(&app, &admin, &manager_campaign("second")).await;

        let response = app
            .get("/v3/certification-tasks?count=true", Some(&admin))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.headers["x-total-count"], "2");
        let tasks = response.body.as_array().unwrap().clone();
        assert_eq!(tasks.len(), 2);
        let task = tasks.iter().find(|t| t["targetId"] == first.as_str()).unwrap();
        let mut fields: Vec<&String> = task.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "created",
                "errors",
                "id",
                "reassignmentTrailDTOs",
                "status",
                "targetId",
                "targetType",
                "type"
            ]
        );
        assert_eq!(task["type"], "CAMPAIGN_CREATE");
        assert_eq!(task["targetType"], "CAMPAIGN");
        assert_eq!(task["status"], "QUEUED");
        assert_eq!(task["created"], "2026-03-02T09:00:00.000Z");

        let query = filters(&format!("targetId eq \"{second}\""));
        let response = app
            .get(&format!("/v3/certification-tasks?{query}"), Some(&admin))
            .await;
        assert_eq!(response.body.as_array().unwrap().len(), 1);
        assert_eq!(response.body[0]["targetId"], second.as_str());

        let query = filters("type in (\"CAMPAIGN_CREATE\", \"REASSIGN\") and status eq \"QUEUED\"");
        let response = app
            .get(&format!("/v3/certification-tasks?{query}"), Some(&admin))
            .await;
        assert_eq!(response.body.as_array().unwrap().len(), 2);

        // Finished tasks are not pending, whatever the filter says.
        let query = filters("status eq \"SUCCESS\"");
        let uri = format!("/v3/certification-tasks?{query}");
        assert_eq!(app.get(&uri, Some(&admin)).await.body, json!([]));
        let task_id = task["id"].as_str().unwrap().to_owned();
        assert!(app.run_tasks().await >= 2);
        assert_eq!(app.get(&uri, Some(&admin)).await.body, json!([]));
        assert_eq!(
            app.get("/v3/certification-tasks", Some(&admin)).await.body,
            json!([])
        );
        // ... but can still be read one by one.
        let response = app
            .get(&format!("/v3/certification-tasks/{task_id}"), Some(&admin))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body["status"], "SUCCESS");

        // Refusals name what is not supported.
        let query = filters("created gt \"2026-01-01T00:00:00Z\"");
        let response = app
            .get(
                &format!("/v3/certification-tasks?{query}&sorters=created"),
                Some(&admin),
            )
            .await;
        assert_eq!(response.status, 400);
        let refused = causes(&response.body);
        assert_eq!(
            refused[0],
            "filters: filter field \"created\" is not supported; supported fields are id, targetId, type, status"
        );
        assert!(
            refused[1].starts_with("sorters: sort field \"created\" is not supported"),
            "{refused:?}"
        );

        let response = app
            .get("/v3/certification-tasks/no-such-task", Some(&admin))
            .await;
        assert_eq!(response.status, 404);
        assert_eq!(causes(&response.body), ["task no-such-task not found"]);
    })
    .await;
}

#[tokio::test]
async fn reviewers_see_the_tasks_of_their_certifications_and_the_beta_routes() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token("admin", &[Authority::CertAdmin]).await;
        let campaign = staged_campaign(&app, &admin, "Q1").await;
        let response = app
            .post(
                &format!("/v3/campaigns/{campaign}/activate"),
                &admin,
                &Value::Null,
            )
            .await;
        assert_eq!(response.status, 202);
        app.run_tasks().await;

        let certifications = certifications_of(&app, &campaign).await;
        let alices = certifications
            .iter()
            .find(|c| c.reviewer.as_str() == "alice")
            .unwrap()
            .id
            .clone();
        let bosses = certifications
            .iter()
            .find(|c| c.reviewer.as_str() == "boss")
            .unwrap()
            .id
            .clone();
        let task = app
            .campaigns
            .reassign_async(
                &admin_caller(),
                &alices,
                vec![ReassignTarget::Identity("carol".to_owned())],
                &"bob".into(),
                "bob knows the ledger",
            )
            .await
            .unwrap();

        let alice = app.token_for("alice", &[]).await;
        let boss = app.token_for("boss", &[]).await;

        // The reviewer reads the task, and lists it by naming the certification.
        let uri = format!("/v3/certification-tasks/{}", task.id);
        let response = app.get(&uri, Some(&alice)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["type"], "REASSIGN");
        assert_eq!(response.body["targetType"], "CERTIFICATION");
        assert_eq!(response.body["targetId"], alices.as_str());
        assert_eq!(app.get(&uri, Some(&boss)).await.status, 404);

        let query = filters(&format!("targetId eq \"{alices}\""));
        let response = app
            .get(&format!("/v3/certification-tasks?{query}"), Some(&alice))
            .await;
        assert_eq!(ids(&response.body), [task.id.to_string()]);
        let response = app.get("/v3/certification-tasks", Some(&alice)).await;
        assert_eq!(response.status, 200);
        assert_eq!(ids(&response.body), [task.id.to_string()]);
        // Boss reviews another certification: none of alice's tasks are his to see.
        let response = app
            .get(&format!("/v3/certification-tasks?{query}"), Some(&boss))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, json!([]));

        // Beta's deprecated per-certification routes, in beta's shape.
        let expected = json!({
            "id": task.id.to_string(),
            "certificationId": alices.as_str(),
            "type": "REASSIGN",
            "status": "QUEUED",
            "errors": [],
        });
        let response = app
            .get(
                &format!("/beta/certifications/{alices}/tasks-pending"),
                Some(&alice),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body, json!([expected]));
        let response = app
            .get(
                &format!("/beta/certifications/{alices}/tasks/{}", task.id),
                Some(&admin),
            )
            .await;
        assert_eq!(response.body, expected);
        let response = app
            .get(
                &format!("/beta/certifications/{bosses}/tasks/{}", task.id),
                Some(&admin),
            )
            .await;
        assert_eq!(response.status, 404);
        assert_eq!(
            causes(&response.body),
            [format!(
                "Task {} is not a task of certification {bosses}.",
                task.id
            )]
        );
        // Only beta has them.
        for prefix in ["/v3", "/v2025", "/certifications/v1"] {
            let path = if prefix.ends_with("/v1") {
                format!("{prefix}/{alices}/tasks-pending")
            } else {
                format!("{prefix}/certifications/{alices}/tasks-pending")
            };
            assert_eq!(app.get(&path, Some(&admin)).await.status, 404, "{path}");
        }

        app.run_tasks().await;
        let response = app
            .get(
                &format!("/beta/certifications/{alices}/tasks-pending"),
                Some(&alice),
            )
            .await;
        assert_eq!(response.body, json!([]));
        let response = app.get(&uri, Some(&admin)).await;
        assert_eq!(response.body["status"], "SUCCESS", "{}", response.body);
    })
    .await;
}
