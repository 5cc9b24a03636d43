//! Campaign templates and schedules over real HTTP: the router is served on a loopback socket
//! and every request goes through it as bytes (HTTP/1.1), in every URL family, on SQLite and
//! on PostgreSQL when configured. The scheduler is driven by the manual clock, never by
//! sleeping: a schedule set over HTTP produces exactly one campaign for its due occurrence,
//! with the placeholders of its name and description rendered in the schedule's time zone.

use std::sync::Arc;

use attest_domain::{Authority, Clock};
use attest_engine::campaigns::Campaigns;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{each_store, start_time, TestApp};

/// The test application served on a loopback port.
struct Http {
    addr: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Http {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A response read off the socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The causes of a SailPoint error body, as text.
    fn causes(&self) -> Vec<String> {
        self.body["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

async fn serve(app: &TestApp) -> Http {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Http { addr, server }
}

impl Http {
    /// One request on a fresh connection; `body` is JSON (sent with `content_type`).
    async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &Value)>,
    ) -> Reply {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.addr
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let payload = body.map(|(_, v)| v.to_string()).unwrap_or_default();
        if let Some((content_type, _)) = body {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(payload.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, rest) = text.split_once("\r\n\r\n").expect("a complete response");
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        });
        let body_text = if chunked {
            let mut out = String::new();
            let mut rest = rest;
            loop {
                let (size, after) = rest.split_once("\r\n").expect("a chunk size");
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                if size == 0 {
                    break;
                }
                out.push_str(&after[..size]);
                rest = &after[size + 2..];
            }
            out
        } else {
            rest.to_owned()
        };
        let body = if body_text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body_text)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {body_text}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, Some(token), None).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.request("POST", path, Some(token), Some(("application/json", body)))
            .await
    }

    async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.request("PUT", path, Some(token), Some(("application/json", body)))
            .await
    }

    async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.request(
            "PATCH",
            path,
            Some(token),
            Some(("application/json-patch+json", body)),
        )
        .await
    }

    async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request("DELETE", path, Some(token), None).await
    }
}

fn manager_template(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Every manager reviews their reports.",
        "deadlineDuration": "P2W",
        "campaign": {
            "name": "Manager review %B %Y",
            "description": "Generated %F at %H:%M %Z",
            "type": "MANAGER",
            "emailNotificationEnabled": false,
            "autoRevokeAllowed": false,
            "recommendationsEnabled": false,
            "mandatoryCommentRequirement": "REVOKE_ONLY_DECISIONS"
        }
    })
}

/// A token issued now (tokens live an hour; the schedule test moves the clock by weeks).
async fn fresh(app: &TestApp) -> String {
    app.token_for("boss", &[Authority::CertAdmin]).await
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn templates_are_created_listed_read_patched_generated_and_deleted() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::OrgAdmin]).await;

        // Create.
        let created = http
            .post("/v3/campaign-templates", &admin, &manager_template("Quarterly managers"))
            .await;
        assert_eq!(created.status, 200, "{:?}", created.body);
        let t = &created.body;
        let id = t["id"].as_str().unwrap().to_owned();
        assert_eq!(t["name"], "Quarterly managers");
        assert_eq!(t["description"], "Every manager reviews their reports.");
        assert_eq!(t["deadlineDuration"], "P2W");
        assert_eq!(t["scheduled"], false);
        assert_eq!(t["modified"], Value::Null);
        assert_eq!(t["created"], "2026-03-02T09:00:00.000Z");
        assert_eq!(
            t["ownerRef"],
            json!({"id": "boss", "type": "IDENTITY", "name": "Big Boss", "email": "boss@example.com"})
        );
        // The campaign keeps its placeholders; campaign-only fields are null.
        assert_eq!(t["campaign"]["name"], "Manager review %B %Y");
        assert_eq!(t["campaign"]["type"], "MANAGER");
        assert_eq!(t["campaign"]["mandatoryCommentRequirement"], "REVOKE_ONLY_DECISIONS");
        for field in ["id", "status", "created", "totalCertifications", "alerts"] {
            assert_eq!(t["campaign"][field], Value::Null, "{field}");
        }
        app.clock.advance(chrono::Duration::minutes(1));
        let second = http
            .post("/v3/campaign-templates", &admin, &manager_template("Annual managers"))
            .await;
        assert_eq!(second.status, 200, "{:?}", second.body);
        let second_id = second.body["id"].as_str().unwrap().to_owned();

        // Read.
        let read = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body, created.body);

        // List: sorters, filters, paging and the count.
        let names = |reply: &Reply| -> Vec<String> {
            reply.body.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
        };
        let by_name = http.get("/v3/campaign-templates?sorters=name&count=true", &admin).await;
        assert_eq!(by_name.status, 200, "{:?}", by_name.body);
        assert_eq!(names(&by_name), ["Annual managers", "Quarterly managers"]);
        assert_eq!(by_name.header("x-total-count"), Some("2"));
        let newest = http.get("/v3/campaign-templates?sorters=-created", &admin).await;
        assert_eq!(names(&newest), ["Annual managers", "Quarterly managers"]);
        let oldest = http.get("/v3/campaign-templates?sorters=created", &admin).await;
        assert_eq!(names(&oldest), ["Quarterly managers", "Annual managers"]);
        let sw = http
            .get("/v3/campaign-templates?filters=name%20sw%20%22Quar%22", &admin)
            .await;
        assert_eq!(names(&sw), ["Quarterly managers"]);
        let by_id = http
            .get(&format!("/v3/campaign-templates?filters=id%20eq%20%22{second_id}%22"), &admin)
            .await;
        assert_eq!(names(&by_id), ["Annual managers"]);
        let ne = http
            .get(&format!("/v3/campaign-templates?filters=id%20ne%20%22{second_id}%22"), &admin)
            .await;
        assert_eq!(names(&ne), ["Quarterly managers"]);
        let gt = http
            .get("/v3/campaign-templates?filters=name%20gt%20%22B%22", &admin)
            .await;
        assert_eq!(names(&gt), ["Quarterly managers"]);
        let page = http
            .get("/v3/campaign-templates?sorters=name&limit=1&offset=1", &admin)
            .await;
        assert_eq!(names(&page), ["Quarterly managers"]);
        let bad = http
            .get("/v3/campaign-templates?filters=status%20eq%20%22x%22&sorters=id", &admin)
            .await;
        assert_eq!(bad.status, 400, "{:?}", bad.body);
        let causes = bad.causes();
        assert!(causes.iter().any(|c| c.starts_with("filters:") && c.contains("status")), "{causes:?}");
        assert!(causes.iter().any(|c| c.starts_with("sorters:") && c.contains("id")), "{causes:?}");

        // Patch (JSON Patch on the patchable fields).
        app.clock.advance(chrono::Duration::minutes(1));
        let patched = http
            .patch(
                &format!("/v3/campaign-templates/{id}"),
                &admin,
                &json!([
                    {"op": "replace", "path": "/description", "value": "Updated description!"},
                    {"op": "replace", "path": "/deadlineDuration", "value": "P1M"},
                    {"op": "replace", "path": "/campaign/name", "value": "Q review %Y-%m"},
                    {"op": "replace", "path": "/campaign/recommendationsEnabled", "value": true}
                ]),
            )
            .await;
        assert_eq!(patched.status, 200, "{:?}", patched.body);
        assert_eq!(patched.body["description"], "Updated description!");
        assert_eq!(patched.body["deadlineDuration"], "P1M");
        assert_eq!(patched.body["campaign"]["name"], "Q review %Y-%m");
        assert_eq!(patched.body["campaign"]["recommendationsEnabled"], true);
        assert_eq!(patched.body["modified"], "2026-03-02T09:02:00.000Z");
        assert_eq!(patched.body["created"], created.body["created"]);
        let refused = http
            .patch(
                &format!("/v3/campaign-templates/{id}"),
                &admin,
                &json!([
                    {"op": "replace", "path": "/created", "value": "2020-01-01T00:00:00Z"},
                    {"op": "replace", "path": "/colour", "value": "red"}
                ]),
            )
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        let causes = refused.causes();
        assert!(causes[0].contains("\"/created\" is read-only"), "{causes:?}");
        assert!(causes[1].contains("\"/colour\" does not name a patchable field"), "{causes:?}");
        let invalid = http
            .patch(
                &format!("/v3/campaign-templates/{id}"),
                &admin,
                &json!([
                    {"op": "replace", "path": "/campaign/name", "value": "Review %q"},
                    {"op": "replace", "path": "/deadlineDuration", "value": "two weeks"}
                ]),
            )
            .await;
        assert_eq!(invalid.status, 400, "{:?}", invalid.body);
        let causes = invalid.causes();
        assert!(causes.iter().any(|c| c.starts_with("campaign.name:") && c.contains("%q")), "{causes:?}");
        assert!(causes.iter().any(|c| c.starts_with("deadlineDuration:")), "{causes:?}");
        let unapplicable = http
            .patch(
                &format!("/v3/campaign-templates/{id}"),
                &admin,
                &json!([{"op": "remove", "path": "/campaign/filter/id"}]),
            )
            .await;
        assert_eq!(unapplicable.status, 400, "{:?}", unapplicable.body);
        // Nothing of the refused patches was kept.
        let unchanged = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(unchanged.body, patched.body);
        let missing = http
            .patch("/v3/campaign-templates/nope", &admin, &json!([{"op": "replace", "path": "/name", "value": "x"}]))
            .await;
        assert_eq!(missing.status, 404, "{:?}", missing.body);

        // Generate now: placeholders formatted (UTC without a schedule), deadline P1M later.
        let generated = http
            .post(&format!("/v3/campaign-templates/{id}/generate"), &admin, &Value::Null)
            .await;
        assert_eq!(generated.status, 200, "{:?}", generated.body);
        let reference = &generated.body;
        assert_eq!(reference["name"], "Q review 2026-03");
        assert_eq!(reference["type"], "CAMPAIGN");
        assert_eq!(reference["campaignType"], "MANAGER");
        assert_eq!(reference["description"], "Generated 2026-03-02 at 09:02 UTC");
        assert_eq!(reference["correlatedStatus"], "CORRELATED");
        assert_eq!(reference["mandatoryCommentRequirement"], "REVOKE_ONLY_DECISIONS");
        let campaign_id = reference["id"].as_str().unwrap();
        app.run_tasks().await;
        let campaign = http
            .get(&format!("/v3/campaigns/{campaign_id}?detail=FULL"), &admin)
            .await;
        assert_eq!(campaign.status, 200, "{:?}", campaign.body);
        assert_eq!(campaign.body["status"], "STAGED");
        assert_eq!(campaign.body["totalCertifications"], 2);
        assert_eq!(campaign.body["deadline"], "2026-04-02T09:02:00.000Z");
        assert_eq!(campaign.body["recommendationsEnabled"], true);

        // Delete: the template goes, its campaign stays.
        let deleted = http.delete(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(deleted.status, 204, "{:?}", deleted.body);
        assert_eq!(deleted.body, Value::Null);
        let gone = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(gone.status, 404);
        assert_eq!(gone.causes(), [format!("campaign template {id} not found")]);
        assert_eq!(http.delete(&format!("/v3/campaign-templates/{id}"), &admin).await.status, 404);
        assert_eq!(
            http.post(&format!("/v3/campaign-templates/{id}/generate"), &admin, &Value::Null).await.status,
            404
        );
        let still = http.get(&format!("/v3/campaigns/{campaign_id}"), &admin).await;
        assert_eq!(still.status, 200);
    })
    .await;
}

#[tokio::test]
async fn invalid_templates_are_refused_with_every_cause() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::CertAdmin]).await;
        let empty = http
            .post("/v3/campaign-templates", &admin, &json!({}))
            .await;
        assert_eq!(empty.status, 400);
        assert_eq!(
            empty.causes(),
            [
                "name: is required",
                "description: is required",
                "campaign: is required"
            ]
        );
        let mut bad = manager_template("  ");
        bad["deadlineDuration"] = json!("P0D");
        bad["campaign"]["name"] = json!("50% of %Y");
        bad["campaign"]["type"] = json!("SOURCE_OWNER");
        let refused = http.post("/v3/campaign-templates", &admin, &bad).await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        let causes = refused.causes();
        assert!(
            causes
                .iter()
                .any(|c| c.starts_with("campaign.sourceOwnerCampaignInfo")),
            "{causes:?}"
        );
        let mut bad = manager_template("  ");
        bad["deadlineDuration"] = json!("P0D");
        bad["campaign"]["name"] = json!("50% of %Y");
        let refused = http.post("/v3/campaign-templates", &admin, &bad).await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        let causes = refused.causes();
        assert!(causes.iter().any(|c| c.starts_with("name:")), "{causes:?}");
        assert!(
            causes.iter().any(|c| c.starts_with("deadlineDuration:")),
            "{causes:?}"
        );
        assert!(
            causes
                .iter()
                .any(|c| c.starts_with("campaign.name:") && c.contains("%")),
            "{causes:?}"
        );
        let not_json = http
            .request(
                "POST",
                "/v3/campaign-templates",
                Some(&admin),
                Some(("application/json", &json!("x"))),
            )
            .await;
        assert_eq!(not_json.status, 400);
        // Nothing was created.
        let list = http.get("/v3/campaign-templates", &admin).await;
        assert_eq!(list.body, json!([]));
    })
    .await;
}

#[tokio::test]
async fn only_administrators_manage_templates() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::OrgAdmin]).await;
        let created = http
            .post("/v3/campaign-templates", &admin, &manager_template("T"))
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let reviewer = app.token_for("alice", &[]).await;
        let auditor = app.token_for("bob", &[Authority::ReportAdmin]).await;
        let schedule = json!({"type": "WEEKLY", "days": {"type": "LIST", "values": ["2"]}, "hours": {"type": "LIST", "values": ["9"]}});
        for token in [&reviewer, &auditor] {
            for (method, path, body) in [
                ("GET", "/v3/campaign-templates".to_owned(), None),
                ("POST", "/v3/campaign-templates".to_owned(), Some(manager_template("X"))),
                ("GET", format!("/v3/campaign-templates/{id}"), None),
                ("PATCH", format!("/v3/campaign-templates/{id}"), Some(json!([]))),
                ("DELETE", format!("/v3/campaign-templates/{id}"), None),
                ("POST", format!("/v3/campaign-templates/{id}/generate"), None),
                ("GET", format!("/v3/campaign-templates/{id}/schedule"), None),
                ("PUT", format!("/v3/campaign-templates/{id}/schedule"), Some(schedule.clone())),
                ("DELETE", format!("/v3/campaign-templates/{id}/schedule"), None),
            ] {
                let reply = http
                    .request(method, &path, Some(token), body.as_ref().map(|b| ("application/json", b)))
                    .await;
                assert_eq!(reply.status, 403, "{method} {path}: {:?}", reply.body);
                assert!(reply.body["messages"].is_array(), "{:?}", reply.body);
            }
        }
        let anonymous = http.request("GET", "/v3/campaign-templates", None, None).await;
        assert_eq!(anonymous.status, 401);
        // The template is untouched.
        let read = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(read.body, created.body);
    })
    .await;
}

#[tokio::test]
async fn every_family_serves_the_same_templates() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::OrgAdmin]).await;
        let mut ids = Vec::new();
        for prefix in ["/v3", "/v2024", "/v2025", "/v2026", "/beta", ""] {
            let root = if prefix.is_empty() {
                "/campaign-templates/v1".to_owned()
            } else {
                format!("{prefix}/campaign-templates")
            };
            let created = http
                .post(&root, &admin, &manager_template(&format!("via {root}")))
                .await;
            assert_eq!(created.status, 200, "{root}: {:?}", created.body);
            let id = created.body["id"].as_str().unwrap().to_owned();
            let read = http.get(&format!("{root}/{id}"), &admin).await;
            assert_eq!(read.body, created.body, "{root}");
            let put = http
                .put(
                    &format!("{root}/{id}/schedule"),
                    &admin,
                    &json!({"type": "MONTHLY", "days": {"type": "LIST", "values": ["L-1"]}, "hours": {"type": "LIST", "values": ["6"]}}),
                )
                .await;
            assert_eq!(put.status, 204, "{root}: {:?}", put.body);
            let schedule = http.get(&format!("{root}/{id}/schedule"), &admin).await;
            assert_eq!(schedule.body["days"]["values"], json!(["L-1"]), "{root}");
            let generated = http
                .post(&format!("{root}/{id}/generate"), &admin, &Value::Null)
                .await;
            assert_eq!(generated.status, 200, "{root}: {:?}", generated.body);
            let missing = http.get(&format!("{root}/nope"), &admin).await;
            assert_eq!(missing.status, 404, "{root}");
            assert!(missing.body["trackingId"].is_string(), "{root}: {:?}", missing.body);
            ids.push(id);
        }
        // Every family lists every template.
        for root in ["/v2026/campaign-templates", "/campaign-templates/v1", "/beta/campaign-templates"] {
            let listed = http.get(&format!("{root}?count=true"), &admin).await;
            assert_eq!(listed.header("x-total-count"), Some("6"), "{root}");
            let mut listed_ids: Vec<String> = listed
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect();
            listed_ids.sort();
            let mut expected = ids.clone();
            expected.sort();
            assert_eq!(listed_ids, expected, "{root}");
            assert!(listed.body.as_array().unwrap().iter().all(|t| t["scheduled"] == true));
        }
    })
    .await;
}

#[tokio::test]
async fn schedules_are_checked_read_and_deleted() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::OrgAdmin]).await;
        let created = http
            .post("/v3/campaign-templates", &admin, &manager_template("T"))
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let path = format!("/v3/campaign-templates/{id}/schedule");
        let none = http.get(&path, &admin).await;
        assert_eq!(none.status, 404, "{:?}", none.body);
        assert_eq!(http.delete(&path, &admin).await.status, 404);

        let bad = http
            .put(
                &path,
                &admin,
                &json!({
                    "type": "MONTHLY",
                    "months": {"type": "LIST", "values": ["1"]},
                    "days": {"type": "LIST", "values": ["32", "L-40"]},
                    "hours": {"type": "RANGE", "values": ["25"]},
                    "timeZoneId": "Mars/Olympus"
                }),
            )
            .await;
        assert_eq!(bad.status, 400, "{:?}", bad.body);
        let causes = bad.causes();
        for field in ["months:", "days.values[0]", "days.values[1]", "hours", "timeZoneId:"] {
            assert!(causes.iter().any(|c| c.starts_with(field)), "{field}: {causes:?}");
        }
        let shape = http
            .put(&path, &admin, &json!({"type": "DAILY", "days": {"type": "LIST"}}))
            .await;
        assert_eq!(shape.status, 400);
        let causes = shape.causes();
        assert!(causes.iter().any(|c| c.starts_with("type: \"DAILY\"")), "{causes:?}");
        assert!(causes.iter().any(|c| c == "hours: is required"), "{causes:?}");
        assert!(causes.iter().any(|c| c == "days.values: is required"), "{causes:?}");
        assert_eq!(http.get(&path, &admin).await.status, 404, "nothing was set");
        let elsewhere = http
            .put(
                "/v3/campaign-templates/nope/schedule",
                &admin,
                &json!({"type": "WEEKLY", "days": {"type": "LIST", "values": ["1"]}, "hours": {"type": "LIST", "values": ["1"]}}),
            )
            .await;
        assert_eq!(elsewhere.status, 404);

        let annual = json!({
            "type": "ANNUALLY",
            "months": {"type": "LIST", "values": ["1"], "interval": 3},
            "days": {"type": "LIST", "values": ["1"]},
            "hours": {"type": "LIST", "values": ["1"]},
            "expiration": "2028-01-01T00:00:00Z",
            "timeZoneId": "CST"
        });
        assert_eq!(http.put(&path, &admin, &annual).await.status, 204);
        let read = http.get(&path, &admin).await;
        assert_eq!(read.status, 200);
        assert_eq!(
            read.body,
            json!({
                "type": "ANNUALLY",
                "months": {"type": "LIST", "values": ["1"], "interval": 3},
                "days": {"type": "LIST", "values": ["1"]},
                "hours": {"type": "LIST", "values": ["1"]},
                "expiration": "2028-01-01T00:00:00.000Z",
                "timeZoneId": "CST"
            })
        );
        let template = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(template.body["scheduled"], true);
        // A second PUT replaces the schedule.
        let calendar = json!({
            "type": "CALENDAR",
            "days": {"type": "LIST", "values": ["2026-12-31"]},
            "hours": {"type": "LIST", "values": ["23"]}
        });
        assert_eq!(http.put(&path, &admin, &calendar).await.status, 204);
        let read = http.get(&path, &admin).await;
        assert_eq!(read.body["type"], "CALENDAR");
        assert_eq!(read.body["months"], Value::Null);
        assert_eq!(read.body["expiration"], Value::Null);
        assert_eq!(http.delete(&path, &admin).await.status, 204);
        assert_eq!(http.get(&path, &admin).await.status, 404);
        let template = http.get(&format!("/v3/campaign-templates/{id}"), &admin).await;
        assert_eq!(template.body["scheduled"], false);
    })
    .await;
}

#[tokio::test]
async fn a_schedule_set_over_http_generates_exactly_one_campaign_per_occurrence() {
    each_store(|app| async move {
        app.seed_org().await;
        let http = serve(&app).await;
        let admin = app.token_for("boss", &[Authority::CertAdmin]).await;
        let mut template = manager_template("Month end");
        template["deadlineDuration"] = json!("P1M");
        template["campaign"]["name"] = json!("Month-end review %B %Y");
        template["campaign"]["description"] = json!("Opened %F %H:%M %Z (%A)");
        let created = http.post("/v3/campaign-templates", &admin, &template).await;
        assert_eq!(created.status, 200, "{:?}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        // The last day of every month at 09:00 in Berlin. Europe moves to summer time on
        // 29 March 2026, so 31 March 09:00 CEST is 07:00 UTC.
        let put = http
            .put(
                &format!("/v3/campaign-templates/{id}/schedule"),
                &admin,
                &json!({
                    "type": "MONTHLY",
                    "days": {"type": "LIST", "values": ["L"]},
                    "hours": {"type": "LIST", "values": ["9"]},
                    "timeZoneId": "Europe/Berlin"
                }),
            )
            .await;
        assert_eq!(put.status, 204, "{:?}", put.body);

        let another_node = Campaigns::new(
            app.store.clone(),
            Arc::new(app.clock.clone()) as Arc<dyn Clock>,
        );
        let campaigns = |reply: &Reply| reply.body.as_array().unwrap().len();
        let filter = "/v3/campaigns?filters=name%20sw%20%22Month-end%22&detail=FULL";

        app.clock.set(at("2026-03-31T06:59:59Z"));
        assert_eq!(app.campaigns.run_due_schedules().await.unwrap(), 0);
        assert_eq!(
            campaigns(&http.get(filter, &fresh(&app).await).await),
            0,
            "not due yet"
        );

        app.clock.set(at("2026-03-31T07:00:30Z"));
        let (here, there) = tokio::join!(
            app.campaigns.run_due_schedules(),
            another_node.run_due_schedules()
        );
        assert_eq!(
            here.unwrap() + there.unwrap(),
            1,
            "one campaign for the occurrence"
        );
        assert_eq!(app.campaigns.run_due_schedules().await.unwrap(), 0);
        assert_eq!(another_node.run_due_schedules().await.unwrap(), 0);
        app.run_tasks().await;

        let listed = http.get(filter, &fresh(&app).await).await;
        assert_eq!(listed.status, 200, "{:?}", listed.body);
        assert_eq!(campaigns(&listed), 1, "{:?}", listed.body);
        let campaign = &listed.body[0];
        assert_eq!(campaign["name"], "Month-end review March 2026");
        assert_eq!(
            campaign["description"],
            "Opened 2026-03-31 09:00 CEST (Tuesday)"
        );
        // One month later in Berlin: 30 April 09:00:30 CEST.
        assert_eq!(campaign["deadline"], "2026-04-30T07:00:30.000Z");
        assert_eq!(campaign["status"], "STAGED");
        assert_eq!(campaign["totalCertifications"], 2);

        // The next occurrence is the last day of April; nothing before it.
        app.clock.set(at("2026-04-29T12:00:00Z"));
        assert_eq!(app.campaigns.run_due_schedules().await.unwrap(), 0);
        app.clock.set(at("2026-04-30T07:00:00Z"));
        assert_eq!(another_node.run_due_schedules().await.unwrap(), 1);
        assert_eq!(app.campaigns.run_due_schedules().await.unwrap(), 0);
        let listed = http.get(filter, &fresh(&app).await).await;
        let mut names: Vec<&str> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["Month-end review April 2026", "Month-end review March 2026"]
        );
        let template = http
            .get(&format!("/v3/campaign-templates/{id}"), &fresh(&app).await)
            .await;
        assert_eq!(template.body["scheduled"], true);

        // Deleting the schedule stops it.
        let deleted = http
            .delete(
                &format!("/v3/campaign-templates/{id}/schedule"),
                &fresh(&app).await,
            )
            .await;
        assert_eq!(deleted.status, 204);
        app.clock.set(at("2026-05-31T08:00:00Z"));
        assert_eq!(app.campaigns.run_due_schedules().await.unwrap(), 0);
        assert_eq!(campaigns(&http.get(filter, &fresh(&app).await).await), 2);
        assert!(app.clock.now() > start_time());
    })
    .await;
}
