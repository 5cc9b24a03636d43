//! SailPoint certification summaries: decision counters, identity summaries and access
//! summaries follow the reviewer's decisions.

use serde_json::{json, Value};

use crate::certifications::{active_campaign, item_id, items, my_certification};
use crate::support::*;

#[tokio::test]
async fn decision_summary_counters_move_with_decisions() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let path = format!("/v3/certifications/{cert}/decision-summary");
        let response = app.get(&path, Some(&tokens.mgr1)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.body,
            json!({
                "entitlementDecisionsMade": 0,
                "accessProfileDecisionsMade": 0,
                "roleDecisionsMade": 0,
                "accountDecisionsMade": 0,
                "entitlementDecisionsTotal": 3,
                "accessProfileDecisionsTotal": 1,
                "roleDecisionsTotal": 1,
                "accountDecisionsTotal": 0,
                "entitlementsApproved": 0,
                "entitlementsRevoked": 0,
                "accessProfilesApproved": 0,
                "accessProfilesRevoked": 0,
                "rolesApproved": 0,
                "rolesRevoked": 0,
                "accountsApproved": 0,
                "accountsRevoked": 0,
            })
        );

        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &json!([
                    {"id": item_id(&all, "emp1", "ent-read"), "decision": "APPROVE", "bulk": true},
                    {"id": item_id(&all, "emp2", "ent-read"), "decision": "REVOKE", "bulk": true,
                     "comments": "not needed"},
                    {"id": item_id(&all, "emp1", "role1"), "decision": "REVOKE", "bulk": true,
                     "comments": "moved teams"},
                ]),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);

        for prefix in ["/v3", "/v2025", "/beta"] {
            let response = app
                .get(
                    &format!("{prefix}/certifications/{cert}/decision-summary"),
                    Some(&tokens.mgr1),
                )
                .await;
            assert_eq!(response.status, 200, "{prefix}: {}", response.body);
            let summary = &response.body;
            assert_eq!(summary["entitlementDecisionsMade"], 2);
            assert_eq!(summary["entitlementsApproved"], 1);
            assert_eq!(summary["entitlementsRevoked"], 1);
            assert_eq!(summary["roleDecisionsMade"], 1);
            assert_eq!(summary["rolesRevoked"], 1);
            assert_eq!(summary["accessProfileDecisionsMade"], 0);
        }
        let response = app
            .get(
                &format!("/certifications/v1/{cert}/decision-summary"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "v1: {}", response.body);

        // Narrowed to emp2's summary: only emp2's one revoked entitlement.
        let emp2 = all
            .iter()
            .find(|i| i["identitySummary"]["identityId"] == "emp2")
            .unwrap()["identitySummary"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let response = app
            .get(
                &format!("{path}?filters=identitySummary.id%20eq%20%22{emp2}%22"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["entitlementDecisionsTotal"], 1);
        assert_eq!(response.body["entitlementsRevoked"], 1);
        assert_eq!(response.body["roleDecisionsTotal"], 0);
        let response = app
            .get(
                &format!("{path}?filters=name%20eq%20%22x%22"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 400);
    })
    .await;
}

#[tokio::test]
async fn identity_summaries_list_holders_and_their_completion() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let path = format!("/v3/certifications/{cert}/identity-summaries");
        let response = app
            .get(&format!("{path}?sorters=name&count=true"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.headers["x-total-count"], "2");
        let list = response.body.as_array().unwrap().clone();
        let names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["emp1 (display)", "emp2 (display)"]);
        assert_eq!(list[0]["identityId"], "emp1");
        assert_eq!(list[0]["completed"], false);
        let emp2 = list[1]["id"].as_str().unwrap().to_owned();

        let response = app
            .get(&format!("{path}?sorters=-name"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.body[0]["name"], "emp2 (display)");

        // Deciding emp2's only item completes emp2.
        let all = items(&app, &tokens.mgr1, &cert, "").await;
        let response = app
            .post(
                &format!("/v3/certifications/{cert}/decide"),
                &tokens.mgr1,
                &json!([{"id": item_id(&all, "emp2", "ent-read"), "decision": "APPROVE", "bulk": true}]),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let response = app
            .get(&format!("{path}?filters=completed%20eq%20true"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            response.body,
            json!([{"id": emp2, "name": "emp2 (display)", "identityId": "emp2", "completed": true}])
        );
        let response = app
            .get(&format!("{path}?filters=name%20sw%20%22emp1%22"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.body.as_array().unwrap().len(), 1);
        let response = app
            .get(&format!("{path}?filters=identityId%20eq%20%22x%22"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 400);

        let response = app.get(&format!("{path}/{emp2}"), Some(&tokens.mgr1)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body["completed"], true);
        assert_eq!(app.get(&format!("{path}/999999"), Some(&tokens.mgr1)).await.status, 404);
        assert_eq!(app.get(&format!("{path}/nope"), Some(&tokens.mgr1)).await.status, 404);
        let response = app.get(&format!("{path}/{emp2}"), Some(&tokens.mgr2)).await;
        assert!(response.status == 403 || response.status == 404);
    })
    .await;
}

#[tokio::test]
async fn access_summaries_list_distinct_access_by_type() {
    each_store(|app| async move {
        let (tokens, _) = active_campaign(&app).await;
        let cert = my_certification(&app, &tokens.mgr1).await;
        let path = format!("/v3/certifications/{cert}/access-summaries");
        let response = app
            .get(
                &format!("{path}/ENTITLEMENT?sorters=access.name"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let list = response.body.as_array().unwrap();
        let ids: Vec<&str> = list
            .iter()
            .map(|s| s["access"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["ent-admin", "ent-read"]);
        assert_eq!(list[0]["entitlement"]["privileged"], true);
        assert_eq!(list[0]["entitlement"]["account"], Value::Null);
        assert_eq!(list[0]["role"], Value::Null);

        let response = app.get(&format!("{path}/ROLE"), Some(&tokens.mgr1)).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body.as_array().unwrap().len(), 1);
        assert_eq!(response.body[0]["role"]["id"], "role1");
        let response = app
            .get(&format!("{path}/ACCESS_PROFILE"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.body[0]["accessProfile"]["id"], "ap1");

        let response = app
            .get(
                &format!("{path}/ENTITLEMENT?filters=access.name%20sw%20%22ent-r%22"),
                Some(&tokens.mgr1),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.body.as_array().unwrap().len(), 1);

        let response = app
            .get(&format!("{path}/ACCOUNT"), Some(&tokens.mgr1))
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body["causes"][0]["text"],
            "type: \"ACCOUNT\" must be ROLE, ACCESS_PROFILE or ENTITLEMENT"
        );
        let response = app.get(&format!("{path}/ROLE"), Some(&tokens.mgr2)).await;
        assert!(response.status == 403 || response.status == 404);
    })
    .await;
}
