//! Campaign filters over HTTP: every operation (create, list with `limit` / `start` /
//! `includeSystemFilters`, get, update, bulk delete) in every family the specifications publish
//! them in (`/v3`, `/v2024`, `/v2025`, `/v2026` and `/campaign-filters/v1`; beta has none), the
//! validation of each field with SailPoint's 400, who may call them, and a campaign that names
//! a filter and generates only what the filter keeps.

use attest_domain::Authority;
use serde_json::{json, Value};

use crate::campaigns::{causes, manager_campaign, status_of};
use crate::support::*;

/// The collection URL of each family.
const BASES: &[&str] = &[
    "/v3/campaign-filters",
    "/v2024/campaign-filters",
    "/v2025/campaign-filters",
    "/v2026/campaign-filters",
    "/campaign-filters/v1",
];

const SYSTEM_IDS: &[&str] = &[
    "a77e57f1000000000000000000000001",
    "a77e57f1000000000000000000000002",
    "a77e57f1000000000000000000000003",
];

fn criterion(kind: &str, operation: &str, property: &str, value: &str) -> Value {
    json!({
        "type": kind,
        "operation": operation,
        "property": property,
        "value": value,
        "negateResult": false,
        "shortCircuit": false,
        "recordChildMatches": false,
        "id": null,
        "suppressMatchedItems": false,
        "children": null
    })
}

fn filter_body(name: &str, mode: &str, criteria: Vec<Value>) -> Value {
    json!({
        "id": "",
        "name": name,
        "description": format!("{name}, for the tests"),
        "owner": "ignored",
        "mode": mode,
        "criteriaList": criteria,
        "isSystemFilter": false
    })
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_family_creates_lists_reads_updates_and_deletes() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token_for("boss", &[Authority::CertAdmin]).await;
        for (n, base) in BASES.iter().enumerate() {
            app.clock.advance(chrono::Duration::minutes(1));
            let body = filter_body(
                &format!("Finance {n}"),
                "INCLUSION",
                vec![
                    criterion("IDENTITY_ATTRIBUTE", "EQUALS", "department", "Finance"),
                    json!({
                        "type": "COMPOSITE",
                        "operation": "OR",
                        "property": null,
                        "value": null,
                        "negateResult": true,
                        "children": [
                            criterion("SOURCE", "EQUALS", "name", "Ledger"),
                            criterion("ENTITLEMENT", "CONTAINS", "name", "admin")
                        ]
                    }),
                ],
            );
            let response = app.post(base, &admin, &body).await;
            assert_eq!(response.status, 200, "{base}: {}", response.body);
            let created = response.body.clone();
            assert_eq!(
                keys(&created),
                [
                    "criteriaList",
                    "description",
                    "id",
                    "isSystemFilter",
                    "mode",
                    "name",
                    "owner"
                ],
                "{base}"
            );
            let id = created["id"].as_str().unwrap().to_owned();
            assert!(is_generated_id(&id), "{id}");
            assert_eq!(created["name"], format!("Finance {n}"));
            assert_eq!(created["owner"], "Big Boss", "the creator, not the body");
            assert_eq!(created["mode"], "INCLUSION");
            assert_eq!(created["isSystemFilter"], false);
            let first = &created["criteriaList"][0];
            assert_eq!(
                keys(first),
                [
                    "children",
                    "id",
                    "negateResult",
                    "operation",
                    "property",
                    "recordChildMatches",
                    "shortCircuit",
                    "suppressMatchedItems",
                    "type",
                    "value"
                ]
            );
            assert_eq!(first["type"], "IDENTITY_ATTRIBUTE");
            assert_eq!(first["children"], json!([]));
            let composite = &created["criteriaList"][1];
            assert_eq!(composite["operation"], "OR");
            assert_eq!(composite["negateResult"], true);
            assert_eq!(composite["property"], Value::Null);
            assert_eq!(composite["children"][1]["value"], "admin");

            let response = app.get(&format!("{base}/{id}"), Some(&admin)).await;
            assert_eq!(response.status, 200, "{base}");
            assert_eq!(response.body, created);

            // The list: system filters first (unless left out), then by creation.
            let response = app.get(base, Some(&admin)).await;
            assert_eq!(response.status, 200);
            assert_eq!(keys(&response.body), ["count", "items"]);
            assert_eq!(response.body["count"], 4 + n, "{base}");
            assert_eq!(&ids(&response.body)[..3], SYSTEM_IDS);
            assert_eq!(ids(&response.body)[3 + n], id);
            assert_eq!(response.body["items"][0]["isSystemFilter"], true);
            assert_eq!(response.body["items"][0]["owner"], "Attest");
            let response = app
                .get(&format!("{base}?includeSystemFilters=false"), Some(&admin))
                .await;
            assert_eq!(response.body["count"], 1 + n);
            assert_eq!(ids(&response.body).last(), Some(&id.as_str()));
            let response = app
                .get(&format!("{base}?limit=2&start=2"), Some(&admin))
                .await;
            assert_eq!(response.body["count"], 4 + n);
            assert_eq!(ids(&response.body).len(), 2);
            assert_eq!(ids(&response.body)[0], SYSTEM_IDS[2]);

            // Update: POST on the filter, body with the same (or no) id.
            let mut changed = filter_body(
                "Not the ledger",
                "EXCLUSION",
                vec![criterion("SOURCE", "EQUALS", "id", "ledger")],
            );
            changed["id"] = json!(id);
            let response = app.post(&format!("{base}/{id}"), &admin, &changed).await;
            assert_eq!(response.status, 200, "{base}: {}", response.body);
            assert_eq!(response.body["id"], id.as_str());
            assert_eq!(response.body["name"], "Not the ledger");
            assert_eq!(response.body["mode"], "EXCLUSION");
            assert_eq!(response.body["owner"], "Big Boss");
            assert_eq!(response.body["criteriaList"].as_array().unwrap().len(), 1);
            let read = app.get(&format!("{base}/{id}"), Some(&admin)).await;
            assert_eq!(read.body, response.body);

            // The same filter through another family.
            let other = BASES[(n + 1) % BASES.len()];
            let response = app.get(&format!("{other}/{id}"), Some(&admin)).await;
            assert_eq!(response.body["name"], "Not the ledger");
        }

        // Bulk delete: every user filter at once (one per family); 204 with no body.
        let response = app
            .get(
                "/v3/campaign-filters?includeSystemFilters=false",
                Some(&admin),
            )
            .await;
        let all: Vec<String> = ids(&response.body).iter().map(|s| s.to_string()).collect();
        assert_eq!(all.len(), BASES.len());
        let response = app
            .post("/campaign-filters/v1/delete", &admin, &json!(all[..2]))
            .await;
        assert_eq!(response.status, 204, "{}", response.body);
        assert_eq!(response.body, Value::Null);
        let response = app
            .post("/v2026/campaign-filters/delete", &admin, &json!(all[2..]))
            .await;
        assert_eq!(response.status, 204, "{}", response.body);
        for id in &all {
            let response = app
                .get(&format!("/v2025/campaign-filters/{id}"), Some(&admin))
                .await;
            assert_eq!(response.status, 404);
            assert_eq!(response.body["detailCode"], "404 Not found");
            assert!(
                causes(&response.body)[0].contains(id.as_str()),
                "{}",
                response.body
            );
        }
        let response = app
            .get(
                "/v3/campaign-filters?includeSystemFilters=false",
                Some(&admin),
            )
            .await;
        assert_eq!(response.body, json!({"items": [], "count": 0}));
    })
    .await;
}

#[tokio::test]
async fn beta_publishes_no_campaign_filters() {
    each_store(|app| async move {
        let admin = app.token("admin", &[Authority::OrgAdmin]).await;
        let response = app.get("/beta/campaign-filters", Some(&admin)).await;
        assert_eq!(response.status, 404);
        let response = app
            .post(
                "/beta/campaign-filters",
                &admin,
                &filter_body(
                    "x",
                    "INCLUSION",
                    vec![criterion("SOURCE", "EQUALS", "id", "s")],
                ),
            )
            .await;
        assert_eq!(response.status, 404);
    })
    .await;
}

#[tokio::test]
async fn bodies_and_parameters_are_checked_naming_each_problem() {
    each_store(|app| async move {
        let admin = app.token("admin", &[Authority::OrgAdmin]).await;
        for base in ["/v2024/campaign-filters", "/campaign-filters/v1"] {
            // Shapes: every spelling problem at once.
            let body = json!({
                "name": "Bad",
                "mode": "SOMETIMES",
                "isSystemFilter": true,
                "criteriaList": [
                    {"type": "GROUP", "operation": "EQUALS", "property": "id", "value": "x"},
                    {"operation": "LIKE", "property": "id", "value": "x", "type": "ROLE"},
                    {"type": "COMPOSITE", "operation": "AND", "children": [
                        {"type": "SOURCE", "operation": "MATCHES", "property": "id", "value": "x"}
                    ]}
                ]
            });
            let response = app.post(base, &admin, &body).await;
            assert_eq!(response.status, 400, "{base}");
            assert_eq!(response.body["detailCode"], "400.1 Bad Request Content");
            assert_eq!(
                causes(&response.body),
                [
                    "isSystemFilter: must be false: only Attest ships system filters",
                    "mode: \"SOMETIMES\" is not one of INCLUSION, EXCLUSION",
                    "criteriaList[0].type: \"GROUP\" is not one of COMPOSITE, ROLE, IDENTITY, IDENTITY_ATTRIBUTE, ENTITLEMENT, ACCESS_PROFILE, SOURCE, ACCOUNT, AGGREGATED_ENTITLEMENT, INVALID_CERTIFIABLE_ENTITY, INVALID_CERTIFIABLE_BUNDLE",
                    "criteriaList[1].operation: \"LIKE\" is not one of EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH, ENDS_WITH, AND, OR",
                    "criteriaList[2].children[0].operation: \"MATCHES\" is not one of EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH, ENDS_WITH, AND, OR",
                ],
                "{base}"
            );

            // Rules: required fields, properties, composite operations, unsupported types.
            let body = json!({
                "name": "",
                "criteriaList": [
                    {"type": "ACCOUNT", "operation": "EQUALS", "property": "colour", "value": "red"},
                    {"type": "COMPOSITE", "operation": "EQUALS", "children": []},
                    {"type": "AGGREGATED_ENTITLEMENT", "operation": "EQUALS", "property": "id", "value": "x"},
                    {"type": "IDENTITY_ATTRIBUTE", "operation": "OR", "property": "costCenter", "value": ""}
                ]
            });
            let response = app.post(base, &admin, &body).await;
            assert_eq!(response.status, 400, "{base}");
            assert_eq!(
                causes(&response.body),
                [
                    "name: is required",
                    "mode: is required (INCLUSION or EXCLUSION)",
                    "criteriaList[0].property: \"colour\" is not a property of ACCOUNT criteria (one of id, nativeIdentity, name, disabled, locked, machine)",
                    "criteriaList[1].operation: a COMPOSITE criterion combines its children with AND or OR, not EQUALS",
                    "criteriaList[1].children: a COMPOSITE criterion needs at least one child",
                    "criteriaList[2].type: AGGREGATED_ENTITLEMENT is not supported by Attest (use one of COMPOSITE, ROLE, IDENTITY, IDENTITY_ATTRIBUTE, ENTITLEMENT, ACCESS_PROFILE, SOURCE, ACCOUNT)",
                    "criteriaList[3].operation: OR combines the children of a COMPOSITE criterion; a IDENTITY_ATTRIBUTE criterion takes EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH or ENDS_WITH",
                    "criteriaList[3].value: is required for a IDENTITY_ATTRIBUTE criterion",
                ],
                "{base}"
            );
            let response = app
                .post(base, &admin, &json!({"name": "x", "mode": "INCLUSION"}))
                .await;
            assert_eq!(
                causes(&response.body),
                ["criteriaList: at least one criterion is required"]
            );
            let response = app.post(base, &admin, &json!(["not", "an object"])).await;
            assert_eq!(response.status, 400);
            assert!(causes(&response.body)[0].starts_with("body: "), "{}", response.body);
            let response = app.post(base, &admin, &Value::Null).await;
            assert_eq!(causes(&response.body), ["body: a JSON document is required"]);

            // List parameters.
            let response = app
                .get(
                    &format!("{base}?limit=251&start=-1&includeSystemFilters=maybe"),
                    Some(&admin),
                )
                .await;
            assert_eq!(response.status, 400);
            assert_eq!(
                causes(&response.body),
                [
                    "limit: must be an integer from 0 to 250, got \"251\"",
                    "start: must be an integer from 0 to 4294967295, got \"-1\"",
                    "includeSystemFilters: must be true or false, got \"maybe\"",
                ]
            );

            // Update: unknown, wrong id, system filter.
            let good = filter_body("Good", "EXCLUSION", vec![criterion("ROLE", "EQUALS", "id", "r")]);
            let unknown = "0123456789abcdef0123456789abcdef";
            let response = app.post(&format!("{base}/{unknown}"), &admin, &good).await;
            assert_eq!(response.status, 404);
            assert!(causes(&response.body)[0].contains(unknown));
            let created = app.post(base, &admin, &good).await.body;
            let id = created["id"].as_str().unwrap();
            let mut wrong = good.clone();
            wrong["id"] = json!(unknown);
            let response = app.post(&format!("{base}/{id}"), &admin, &wrong).await;
            assert_eq!(response.status, 400);
            assert_eq!(
                causes(&response.body),
                [format!("id: \"{unknown}\" is not the id in the path ({id})")]
            );
            // SDK 1.4.x sends the unfilled template `{id}` (SailPoint's path parameter is
            // misnamed); the body's id names the filter then.
            let mut renamed = good.clone();
            renamed["id"] = json!(id);
            renamed["name"] = json!("Renamed through the template");
            let response = app.post(&format!("{base}/%7Bid%7D"), &admin, &renamed).await;
            assert_eq!(response.status, 200, "{}", response.body);
            assert_eq!(response.body["id"], id);
            let read = app.get(&format!("{base}/{id}"), Some(&admin)).await;
            assert_eq!(read.body["name"], "Renamed through the template");
            let response = app.post(&format!("{base}/%7BfilterId%7D"), &admin, &good).await;
            assert_eq!(response.status, 400);
            assert_eq!(
                causes(&response.body),
                ["id: the path names no filter (\"{filterId}\"), so the body's id is required"]
            );
            let system = SYSTEM_IDS[0];
            let response = app.post(&format!("{base}/{system}"), &admin, &good).await;
            assert_eq!(response.status, 400);
            assert!(
                causes(&response.body)[0].contains("is a system filter (read-only)"),
                "{}",
                response.body
            );
            let response = app.get(&format!("{base}/{system}"), Some(&admin)).await;
            assert_eq!(response.body["name"], "Exclude machine accounts");

            // Delete: all or nothing.
            let delete = format!("{base}/delete");
            let response = app.post(&delete, &admin, &json!([id, unknown])).await;
            assert_eq!(response.status, 404);
            assert!(causes(&response.body)[0].contains(unknown), "{}", response.body);
            let response = app.post(&delete, &admin, &json!([id, system])).await;
            assert_eq!(response.status, 400);
            assert_eq!(
                causes(&response.body),
                [format!("body: {system} is a system filter (read-only)")]
            );
            let response = app.post(&delete, &admin, &json!([id, " "])).await;
            assert_eq!(causes(&response.body), ["body[1]: must not be blank"]);
            let response = app.post(&delete, &admin, &json!([])).await;
            assert_eq!(response.status, 400);
            assert_eq!(
                causes(&response.body),
                ["body: list at least one campaign filter id"]
            );
            let response = app.post(&delete, &admin, &json!({"ids": [id]})).await;
            assert_eq!(response.status, 400);
            assert_eq!(app.get(&format!("{base}/{id}"), Some(&admin)).await.status, 200);
            let response = app.post(&delete, &admin, &json!([id])).await;
            assert_eq!(response.status, 204);
        }
    })
    .await;
}

#[tokio::test]
async fn only_org_and_certification_administrators_may_call_them() {
    each_store(|app| async move {
        let org = app.token("org", &[Authority::OrgAdmin]).await;
        let cert = app.token("cert", &[Authority::CertAdmin]).await;
        let reviewer = app.token("reviewer", &[]).await;
        let reports = app.token("reports", &[Authority::ReportAdmin]).await;
        let body = filter_body(
            "Mine",
            "INCLUSION",
            vec![criterion("SOURCE", "EQUALS", "id", "s")],
        );
        let id = app.post("/v3/campaign-filters", &org, &body).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // CERT_ADMIN sees and changes ORG_ADMIN's filter.
        let response = app
            .post(&format!("/campaign-filters/v1/{id}"), &cert, &body)
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        for base in BASES {
            for token in [&reviewer, &reports] {
                let calls = [
                    app.get(base, Some(token)).await,
                    app.post(base, token, &body).await,
                    app.get(&format!("{base}/{id}"), Some(token)).await,
                    app.post(&format!("{base}/{id}"), token, &body).await,
                    app.post(&format!("{base}/delete"), token, &json!([id]))
                        .await,
                ];
                for response in calls {
                    assert_eq!(response.status, 403, "{base}: {}", response.body);
                    assert_eq!(response.body["detailCode"], "403 Forbidden");
                }
            }
            assert_eq!(app.get(base, None).await.status, 401);
        }
        assert_eq!(
            app.get(&format!("/v3/campaign-filters/{id}"), Some(&org))
                .await
                .status,
            200,
            "nothing was deleted"
        );
    })
    .await;
}

/// `seed_org`'s MANAGER campaign reviews three items: alice's Ledger Admin, bob's and carol's
/// Ledger Read. A filter leaving out Ledger Read leaves alice's item only.
#[tokio::test]
async fn a_campaign_names_its_filter_and_generates_only_what_it_keeps() {
    each_store(|app| async move {
        app.seed_org().await;
        let admin = app.token_for("boss", &[Authority::OrgAdmin]).await;
        let filter = app
            .post(
                "/v2025/campaign-filters",
                &admin,
                &filter_body(
                    "No read access",
                    "EXCLUSION",
                    vec![criterion("ENTITLEMENT", "ENDS_WITH", "name", "read")],
                ),
            )
            .await
            .body;
        let filter_id = filter["id"].as_str().unwrap();

        for (path, unknown_at) in [("/v3/campaigns", "/v3"), ("/campaigns/v1", "v1")] {
            // An unknown filter is a 400 naming it; nothing is created.
            let mut body = manager_campaign("Unknown filter");
            body["filter"] =
                json!({"id": "ffffffffffffffffffffffffffffffff", "type": "CAMPAIGN_FILTER"});
            let response = app.post(path, &admin, &body).await;
            assert_eq!(response.status, 400, "{unknown_at}: {}", response.body);
            assert_eq!(
                causes(&response.body),
                ["filter.id: campaign filter ffffffffffffffffffffffffffffffff does not exist"]
            );
            body["filter"] = json!({"id": filter_id, "type": "SEARCH_FILTER"});
            let response = app.post(path, &admin, &body).await;
            assert_eq!(
                causes(&response.body),
                ["filter.type: \"SEARCH_FILTER\" is not one of CAMPAIGN_FILTER"]
            );
        }
        let response = app.get("/v3/campaigns", Some(&admin)).await;
        assert_eq!(response.body, json!([]));

        let mut body = manager_campaign("Ledger admins only");
        body["filter"] =
            json!({"id": filter_id, "type": "CAMPAIGN_FILTER", "name": "a client's name"});
        let response = app.post("/campaigns/v1", &admin, &body).await;
        assert_eq!(response.status, 202, "{}", response.body);
        assert_eq!(
            response.body["filter"],
            json!({"id": filter_id, "type": "CAMPAIGN_FILTER", "name": "No read access"})
        );
        let campaign = response.body["id"].as_str().unwrap().to_owned();
        assert!(app.run_tasks().await >= 1);
        assert_eq!(status_of(&app, &admin, &campaign).await, "STAGED");
        let full = app
            .get(
                &format!("/v3/campaigns/{campaign}?detail=FULL"),
                Some(&admin),
            )
            .await
            .body;
        assert_eq!(full["filter"]["id"], filter_id);
        let alerts = full["alerts"].as_array().unwrap();
        assert!(
            alerts.iter().any(|a| a["level"] == "INFO"
                && a["localizations"][0]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("kept 1 of the 3 items"))),
            "{full}"
        );

        let certifications = crate::campaigns::certifications_of(&app, &campaign).await;
        assert_eq!(
            certifications.len(),
            1,
            "only boss reviews (alice's access)"
        );
        let cert = &certifications[0];
        assert_eq!(cert.reviewer.as_str(), "boss");
        let items = app
            .get(
                &format!("/v3/certifications/{}/access-review-items", cert.id),
                Some(&admin),
            )
            .await;
        assert_eq!(items.status, 200, "{}", items.body);
        let names: Vec<&str> = items
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["accessSummary"]["access"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ledger Admin"]);
    })
    .await;
}
