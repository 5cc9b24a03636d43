//! The `attest` binary as a user runs it: help, demo data, import (good and refused),
//! personal access tokens, and `serve --demo` answering the token flow over real HTTP, then
//! shutting down cleanly on SIGTERM. SQLite always; PostgreSQL when configured.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn attest(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attest"))
        .args(["--log", "warn", "--database", db])
        .args(args)
        .env_remove("ATTEST_DATABASE_URL")
        .output()
        .expect("run attest")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("attest.db").display())
}

/// Every backend's database URL: a fresh SQLite file, and a fresh PostgreSQL schema when
/// configured.
fn databases(dir: &Path) -> Vec<String> {
    let mut urls = vec![sqlite_url(dir)];
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Some(pg) = rt.block_on(attest_testing::fresh_postgres_url()) {
        urls.push(pg);
    }
    urls
}

#[test]
fn help_describes_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_attest"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "serve",
        "import",
        "demo-data",
        "pat",
        "migrate",
        "--database",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}:\n{help}");
    }
    for sub in [
        &["serve", "--help"][..],
        &["import", "--help"],
        &["demo-data", "--help"],
        &["pat", "create", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_attest"))
            .args(sub)
            .output()
            .unwrap();
        assert!(out.status.success(), "{sub:?}");
        assert!(text(&out.stdout).contains("Usage: attest"), "{sub:?}");
    }
}

#[test]
fn import_loads_a_bundle_and_refuses_a_broken_one_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let out = attest(
        &sqlite_url(tmp.path()),
        &[
            "demo-data",
            bundle.to_str().unwrap(),
            "--identities",
            "300",
            "--seed",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("identities.csv: 300 rows"));

    for db in databases(tmp.path()) {
        let out = attest(&db, &["import", bundle.to_str().unwrap()]);
        assert!(out.status.success(), "{db}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("identities.csv: 300 rows (300 added, 0 updated)"),
            "{stdout}"
        );
        assert!(stdout.contains("assignments.csv: "), "{stdout}");

        // Break one row in the middle of a file: nothing is written, the reason is precise.
        let broken = tmp.path().join("broken");
        std::fs::create_dir_all(&broken).unwrap();
        for entry in std::fs::read_dir(&bundle).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), broken.join(entry.file_name())).unwrap();
        }
        let ids = std::fs::read_to_string(broken.join("identities.csv")).unwrap();
        let mut lines: Vec<String> = ids.lines().map(str::to_owned).collect();
        lines.push(lines[5].replacen(&lines[5][..7], "E999999", 1));
        lines.push(lines[5].clone());
        std::fs::write(broken.join("identities.csv"), lines.join("\n") + "\n").unwrap();
        let out = attest(&db, &["import", broken.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{db}");
        let stderr = text(&out.stderr);
        let dup_line = lines.len();
        assert!(
            stderr.contains(&format!(
                "identities.csv:{dup_line}: duplicate id \"{}\" (first on line 6)",
                &lines[5][..7]
            )),
            "{db}: {stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");

        // The warehouse is as it was: the same bundle re-imports as pure updates.
        let out = attest(&db, &["import", bundle.to_str().unwrap()]);
        assert!(
            text(&out.stdout).contains("identities.csv: 300 rows (0 added, 300 updated)"),
            "{db}"
        );
    }
}

#[test]
fn pat_create_prints_exactly_one_json_object() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    assert!(attest(
        "sqlite://unused",
        &["demo-data", bundle.to_str().unwrap(), "--identities", "50"]
    )
    .status
    .success());
    for db in databases(tmp.path()) {
        assert!(attest(&db, &["import", bundle.to_str().unwrap()])
            .status
            .success());
        let out = attest(
            &db,
            &[
                "pat",
                "create",
                "--identity",
                "E000001",
                "--authority",
                "CERT_ADMIN",
                "--json",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        let obj = json.as_object().unwrap();
        assert_eq!(obj.len(), 2);
        assert_eq!(obj["clientId"].as_str().unwrap().len(), 32);
        assert_eq!(obj["clientSecret"].as_str().unwrap().len(), 64);

        let out = attest(&db, &["pat", "create", "--identity", "nobody"]);
        assert!(!out.status.success());
        assert_eq!(
            text(&out.stderr).trim(),
            "attest: identity \"nobody\" does not exist"
        );
        let out = attest(
            &db,
            &[
                "pat",
                "create",
                "--identity",
                "E000001",
                "--authority",
                "ROOT",
            ],
        );
        assert!(!out.status.success());
        assert!(text(&out.stderr).starts_with("attest: invalid --authority \"ROOT\""));
    }
}

/// Sends one HTTP/1.1 request and returns (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = text(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

struct Server {
    child: Child,
    addr: String,
    client_id: String,
    client_secret: String,
}

fn start_demo_server(db: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_attest"))
        .args([
            "--log",
            "warn",
            "--database",
            db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--demo-identities",
            "200",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut id, mut secret) = (None, None, None);
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("Attest is serving on http://") {
            addr = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.trim().strip_prefix("client id:") {
            id = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.trim().strip_prefix("client secret:") {
            secret = Some(rest.trim().to_owned());
            break;
        }
    }
    // Keep reading what the server prints, as a terminal would.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        addr: addr.expect("address printed"),
        client_id: id.expect("client id printed"),
        client_secret: secret.expect("client secret printed"),
    }
}

#[test]
fn serve_demo_answers_the_token_flow_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    for db in databases(tmp.path()) {
        let mut server = start_demo_server(&db);
        let addr = server.addr.clone();

        let (status, body) = http(&addr, "GET", "/health", &[], "");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"ready\":true"), "{body}");

        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            server.client_id, server.client_secret
        );
        let (status, body) = http(
            &addr,
            "POST",
            "/oauth/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form,
        );
        assert_eq!(status, 200, "{body}");
        let token: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(token["token_type"], "bearer");
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());

        let (status, body) = http(
            &addr,
            "GET",
            "/api/v1/warehouse/summary",
            &[("Authorization", &bearer)],
            "",
        );
        assert_eq!(status, 200, "{body}");
        let counts: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(counts["identities"], 200);

        let (status, body) = http(&addr, "GET", "/v3/campaigns", &[], "");
        assert_eq!(status, 401, "{body}");

        // A second start on the same database loads nothing more but prints a fresh token.
        let out = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(out.success());
        let status = wait_with_timeout(&mut server.child, Duration::from_secs(30));
        assert!(
            status.success(),
            "{db}: graceful shutdown exits 0, got {status:?}"
        );

        let mut again = start_demo_server(&db);
        let (_, body) = http(
            &again.addr,
            "POST",
            &format!("/oauth/token?{form}"),
            &[],
            "",
        );
        assert!(
            body.contains("access_token"),
            "the first token still works after a restart: {body}"
        );
        let _ = Command::new("kill")
            .args(["-TERM", &again.child.id().to_string()])
            .status();
        wait_with_timeout(&mut again.child, Duration::from_secs(30));
    }
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if waited >= limit {
            let _ = child.kill();
            panic!("attest did not stop within {limit:?}");
        }
        std::thread::sleep(step);
        waited += step;
    }
}
