//! `attest-bench`: the certification benchmark behind `scripts/bench campaign`.
//!
//! It drives a real `attest serve` (a child process, release build) over HTTP, as SailPoint
//! clients would, on a database that already holds an imported organisation:
//!
//! 1. creates a MANAGER campaign (deadline in 30 days), waits for STAGED, activates it, waits
//!    for ACTIVE, and times the whole;
//! 2. lists the campaign's certifications and splits them, largest first, into a pool for
//!    bulk decisions, one for single decisions and one (untouched) for reads;
//! 3. bulk decide: 4 clients, each taking whole certifications, 250 decisions a call (fewer
//!    for the last call of a certification), until the pool is done or time is up;
//! 4. single decide: 16 clients, one decision a call, each on its own certifications;
//! 5. reads, 16 clients, after a warm-up: a filtered, sorted page of review items, the
//!    decision summary of a certification, the campaign's progress (`detail=FULL`);
//! 6. the campaign CSV (`GET /api/v1/campaigns/{id}/review-items.csv`, every item with its
//!    decision), streamed and counted by the driver without keeping it, then the campaign
//!    composition report run as a task (`run-report`, polled to SUCCESS) and its download;
//! 7. reads the server's peak resident memory (`VmHWM` of `/proc/<pid>/status`) after every
//!    phase, and prints every figure with its target as a Markdown table.
//!
//! Items to decide are listed (`access-review-items`, `completed eq false`) before a decide
//! phase starts, so decide figures time decide calls only; listing speed is reported apart.
//! The driver runs on one thread so that it takes at most one of the machine's cores.

mod http;
mod server;
mod stats;

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::http::{encode, Api};
use crate::server::Server;
use crate::stats::{ms, thousands, ClientTally, Sample};

/// Most decisions one decide call may carry.
const DECIDE_LIMIT: usize = 250;
/// Page size for every list call.
const PAGE: usize = 250;
/// A smaller page of review items, measured for comparison (a screenful).
const SMALL_PAGE: usize = 50;
/// How often the campaign's status is polled while it is generated and activated.
const POLL: Duration = Duration::from_millis(100);

/// Measures a MANAGER certification campaign end to end over HTTP against `attest serve`.
#[derive(Debug, Parser)]
#[command(name = "attest-bench", version, about)]
struct Args {
    /// The `attest` binary to serve with (a release build).
    #[arg(long, default_value = "target/release/attest", value_name = "PATH")]
    attest: PathBuf,
    /// Database URL holding the imported organisation (`sqlite://...` or `postgres://...`).
    #[arg(long, value_name = "URL")]
    database: String,
    /// The identity whose ORG_ADMIN token drives every call (the demo organisation's
    /// administrator).
    #[arg(long, default_value = "E000002", value_name = "ID")]
    admin: String,
    /// Where the server's log (standard error) goes.
    #[arg(long, default_value = "bench-data/serve.log", value_name = "FILE")]
    server_log: PathBuf,
    /// The server's log filter.
    #[arg(long, default_value = "warn", value_name = "FILTER")]
    server_log_level: String,
    /// Items the bulk-decide phase aims to decide.
    #[arg(long, default_value_t = 200_000, value_name = "N")]
    bulk_items: u64,
    /// Longest the bulk-decide phase runs, in seconds.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    bulk_seconds: u64,
    /// Concurrent clients deciding in bulk.
    #[arg(long, default_value_t = 4, value_name = "N")]
    bulk_clients: usize,
    /// Concurrent clients in the single-decide and read phases.
    #[arg(long, default_value_t = 16, value_name = "N")]
    clients: usize,
    /// Measured single-decision calls (after the warm-up).
    #[arg(long, default_value_t = 4000, value_name = "N")]
    single_calls: usize,
    /// Measured requests of each read (after the warm-up).
    #[arg(long, default_value_t = 4000, value_name = "N")]
    read_requests: usize,
    /// Unmeasured calls before each latency phase.
    #[arg(long, default_value_t = 320, value_name = "N")]
    warmup: usize,
    /// Measured requests of each review-item page read (after the warm-up).
    #[arg(long, default_value_t = 2000, value_name = "N")]
    items_requests: usize,
    /// Calls of each latency phase made again by one client alone (the service time without
    /// queueing).
    #[arg(long, default_value_t = 200, value_name = "N")]
    solo: usize,
    /// Only create and activate the campaign (for profiling generation); no decisions, no
    /// reads.
    #[arg(long, conflicts_with = "reads_of")]
    campaign_only: bool,
    /// Only measure the reads, on this existing ACTIVE campaign (for profiling reads); no
    /// campaign is created and nothing is decided.
    #[arg(long, value_name = "CAMPAIGN_ID")]
    reads_of: Option<String>,
    /// Only download the campaign CSV and run the composition report, of this existing
    /// campaign (for profiling reports); nothing is created or decided.
    #[arg(long, value_name = "CAMPAIGN_ID", conflicts_with_all = ["reads_of", "campaign_only"])]
    csv_of: Option<String>,
    /// Skip the composition report run (the campaign CSV is still measured).
    #[arg(long)]
    no_report: bool,
    /// Longest wait for the campaign to become STAGED, then ACTIVE, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    campaign_timeout: u64,
}

/// One backend's targets, from the issue.
struct Targets {
    backend: &'static str,
    campaign_secs: f64,
    bulk_items_per_sec: f64,
}

impl Targets {
    fn for_url(url: &str) -> anyhow::Result<Targets> {
        if url.starts_with("sqlite:") {
            Ok(Targets {
                backend: "SQLite",
                campaign_secs: 15.0,
                bulk_items_per_sec: 20_000.0,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Targets {
                backend: "PostgreSQL",
                campaign_secs: 30.0,
                bulk_items_per_sec: 10_000.0,
            })
        } else {
            bail!("--database must be a sqlite:// or postgres:// URL, not \"{url}\"")
        }
    }
}

const SINGLE_PER_SEC: f64 = 2000.0;
const SINGLE_P99_MS: f64 = 25.0;
const ITEMS_P99_MS: f64 = 20.0;
const SUMMARY_P99_MS: f64 = 10.0;
const RSS_MIB: f64 = 256.0;
/// Most seconds the campaign CSV of a 1,000,000-item campaign may take on SQLite.
const CSV_SECS_SQLITE: f64 = 10.0;

/// A certification of the campaign, as listed.
#[derive(Debug, Clone)]
struct Cert {
    id: String,
    items: u64,
}

/// Undecided items of one certification: its id and the items' ids.
type CertItems = (String, Vec<String>);
/// One single-decision queue per client: (certification, item) pairs.
type SingleQueues = Arc<Vec<Mutex<VecDeque<(String, String)>>>>;

/// The server's memory and both processes' CPU time after a phase.
struct Memory {
    after: &'static str,
    peak_kib: u64,
    now_kib: u64,
    anon_kib: u64,
    file_kib: u64,
    /// Server CPU seconds used during the phase.
    server_cpu: f64,
    /// Driver CPU seconds used during the phase.
    driver_cpu: f64,
    /// Wall seconds of the phase.
    wall: f64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("attest-bench: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attest-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let targets = Targets::for_url(&args.database)?;
    if args.clients == 0 || args.bulk_clients == 0 {
        bail!("--clients and --bulk-clients must be at least 1");
    }
    eprintln!("[bench] creating an ORG_ADMIN token for {}", args.admin);
    let (client_id, secret) =
        server::create_pat(&args.attest, &args.database, &args.admin, &["ORG_ADMIN"])?;
    let serve_args: Vec<String> = vec![
        "--log".into(),
        args.server_log_level.clone(),
        "--rate-limit".into(),
        "0".into(),
    ];
    eprintln!(
        "[bench] starting {} serve --rate-limit 0 (log: {})",
        args.attest.display(),
        args.server_log.display()
    );
    let server = Server::start(
        &args.attest,
        &args.database,
        &serve_args,
        &args.server_log,
        Duration::from_secs(120),
    )?;
    eprintln!("[bench] server pid {} at {}", server.pid(), server.base);
    let result = measure(&args, &targets, &server, &client_id, &secret).await;
    if result.is_err() {
        eprintln!("[bench] server log tail:\n{}", server.log_tail());
    }
    let stopped = server.stop(Duration::from_secs(30));
    let report = result?;
    stopped?;
    println!("{report}");
    Ok(())
}

/// Every phase in order; returns the report.
async fn measure(
    args: &Args,
    targets: &Targets,
    server: &Server,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<String> {
    let mut api = Api::new(&server.base);
    api.log_in(client_id, secret).await?;
    let mut memory: Vec<Memory> = Vec::new();
    let mut cpu = (server.cpu_seconds()?, server::cpu_seconds("self")?);
    let mut phase_started = Instant::now();
    let mut note = |after: &'static str| -> anyhow::Result<()> {
        let now = (server.cpu_seconds()?, server::cpu_seconds("self")?);
        memory.push(Memory {
            after,
            peak_kib: server.peak_rss_kib()?,
            now_kib: server.rss_kib()?,
            anon_kib: server.rss_anon_kib()?,
            file_kib: server.rss_file_kib()?,
            server_cpu: now.0 - cpu.0,
            driver_cpu: now.1 - cpu.1,
            wall: phase_started.elapsed().as_secs_f64(),
        });
        cpu = now;
        phase_started = Instant::now();
        Ok(())
    };
    note("start")?;

    // 1. Campaign: create → STAGED → ACTIVE (or an existing one, for reads or reports only).
    let existing = args.reads_of.as_ref().or(args.csv_of.as_ref());
    let campaign = match existing {
        Some(id) => CampaignRun {
            id: id.clone(),
            staged: Duration::ZERO,
            active: Duration::ZERO,
        },
        None => {
            eprintln!("[bench] creating a MANAGER campaign");
            let run = run_campaign(&api, Duration::from_secs(args.campaign_timeout)).await?;
            note("campaign")?;
            eprintln!(
                "[bench] STAGED after {:.2} s, ACTIVE after {:.2} s",
                run.staged.as_secs_f64(),
                run.active.as_secs_f64()
            );
            run
        }
    };
    let mut report = Report {
        args,
        targets,
        campaign: existing.is_none().then_some(&campaign),
        certifications: 0,
        total_items: 0,
        listing: None,
        bulk: None,
        single: None,
        items_page: None,
        items_small: None,
        summary: None,
        progress: None,
        csv: None,
        report: None,
        memory: Vec::new(),
    };
    // 2. Certifications, largest first, split into pools.
    let certs = list_certifications(&api, &campaign.id).await?;
    report.certifications = certs.len();
    report.total_items = certs.iter().map(|c| c.items).sum();
    eprintln!(
        "[bench] {} certifications, {} items",
        thousands(certs.len() as u64),
        thousands(report.total_items)
    );
    if args.campaign_only {
        report.memory = memory;
        return Ok(render(&report));
    }
    if args.csv_of.is_some() {
        let (csv, run) = reports(&api, &campaign.id, args.no_report, &mut note).await?;
        report.csv = Some(csv);
        report.report = run;
        report.memory = memory;
        return Ok(render(&report));
    }

    let pools = Pools::split(
        &certs,
        args.bulk_items,
        (args.single_calls + args.warmup + args.solo) as u64,
        args.clients,
    );

    if args.reads_of.is_none() {
        // 3. Bulk decide.
        eprintln!(
            "[bench] listing the undecided items of {} certifications for bulk decisions",
            pools.bulk.len()
        );
        let (bulk_work, listing) = list_undecided(&api, &pools.bulk, args.clients).await?;
        note("listing")?;
        eprintln!(
            "[bench] bulk decide: {} items, {} clients",
            thousands(bulk_work.iter().map(|(_, items)| items.len() as u64).sum()),
            args.bulk_clients
        );
        let bulk = bulk_decide(
            &api,
            bulk_work,
            args.bulk_clients,
            Duration::from_secs(args.bulk_seconds),
        )
        .await;
        note("bulk decide")?;

        // 4. Single decide (warm-up, then measured; then one client alone for the service time).
        let (single_work, _) = list_undecided(&api, &pools.single, args.clients).await?;
        let mut per_client: Vec<VecDeque<(String, String)>> = vec![VecDeque::new(); args.clients];
        for (i, (cert, items)) in single_work.into_iter().enumerate() {
            let queue = &mut per_client[i % args.clients];
            queue.extend(items.into_iter().map(|item| (cert.clone(), item)));
        }
        let per_client = Arc::new(per_client.into_iter().map(Mutex::new).collect::<Vec<_>>());
        let everyone: Vec<usize> = (0..args.clients).collect();
        eprintln!("[bench] single decide: warm-up {} calls", args.warmup);
        let _ = single_decide(&api, &per_client, &everyone, args.warmup).await;
        eprintln!(
            "[bench] single decide: {} calls, {} clients",
            args.single_calls, args.clients
        );
        let single = single_decide(&api, &per_client, &everyone, args.single_calls).await;
        let fullest = (0..args.clients)
            .max_by_key(|i| lock(&per_client[*i]).len())
            .unwrap_or(0);
        let single_solo = single_decide(&api, &per_client, &[fullest], args.solo).await;
        note("single decide")?;
        report.listing = Some(listing);
        report.bulk = Some(bulk);
        report.single = Some(Measured {
            loaded: single,
            solo: single_solo,
        });
    }

    // 5. Reads: warm-up, measured with every client, then one client alone.
    let read_pool: Vec<String> = pools.read.iter().map(|c| c.id.clone()).collect();
    let all: Vec<String> = certs.iter().map(|c| c.id.clone()).collect();
    let items_path = |limit: usize| {
        move |cert: &str| {
            format!(
                "/v3/certifications/{cert}/access-review-items?filters={}&sorters={}&limit={limit}",
                encode("completed eq false"),
                encode("identitySummary.name,access.name")
            )
        }
    };
    let summary_path = |cert: &str| format!("/v3/certifications/{cert}/decision-summary");
    let campaign_path = {
        let id = campaign.id.clone();
        move |_: &str| format!("/v3/campaigns/{id}?detail=FULL")
    };
    eprintln!("[bench] reads: access-review-items pages");
    let items_page = reads(
        &api,
        &read_pool,
        args,
        args.items_requests,
        items_path(PAGE),
    )
    .await;
    let items_small = reads(
        &api,
        &read_pool,
        args,
        args.items_requests,
        items_path(SMALL_PAGE),
    )
    .await;
    note("items pages")?;
    eprintln!("[bench] reads: decision summaries");
    let summary = reads(&api, &all, args, args.read_requests, summary_path).await;
    note("decision summaries")?;
    eprintln!("[bench] reads: campaign progress");
    let progress = reads(&api, &all, args, args.read_requests, campaign_path).await;
    note("campaign progress")?;

    // 6. The campaign CSV and the composition report.
    let (csv, run) = reports(&api, &campaign.id, args.no_report, &mut note).await?;

    report.items_page = Some(items_page);
    report.items_small = Some(items_small);
    report.summary = Some(summary);
    report.progress = Some(progress);
    report.csv = Some(csv);
    report.report = run;
    report.memory = memory;
    Ok(render(&report))
}

// ---- 6. reports ----

/// One CSV download, counted as it streamed.
struct CsvRun {
    /// Data rows (lines less the header).
    rows: u64,
    bytes: u64,
    first_byte: Duration,
    wall: Duration,
    /// The header line.
    header: String,
}

impl CsvRun {
    fn of(download: http::Download) -> CsvRun {
        let head = String::from_utf8_lossy(&download.head);
        CsvRun {
            rows: download.lines.saturating_sub(1),
            bytes: download.bytes,
            first_byte: download.first_byte,
            wall: download.elapsed,
            header: head.lines().next().unwrap_or("").to_owned(),
        }
    }
}

/// The composition report: its run as a task (request to SUCCESS) and its download.
struct ReportRunTiming {
    run: Duration,
    download: CsvRun,
}

/// Downloads the campaign CSV, then (unless `skip_report`) runs the composition report and
/// downloads it; notes the server's memory after each.
async fn reports(
    api: &Api,
    campaign: &str,
    skip_report: bool,
    note: &mut impl FnMut(&'static str) -> anyhow::Result<()>,
) -> anyhow::Result<(CsvRun, Option<ReportRunTiming>)> {
    eprintln!("[bench] campaign CSV");
    let csv = CsvRun::of(
        api.download(&format!("/api/v1/campaigns/{campaign}/review-items.csv"))
            .await?,
    );
    note("campaign CSV")?;
    eprintln!(
        "[bench] campaign CSV: {} rows, {:.1} MiB in {:.2} s",
        thousands(csv.rows),
        csv.bytes as f64 / 1048576.0,
        csv.wall.as_secs_f64()
    );
    if skip_report {
        return Ok((csv, None));
    }
    eprintln!("[bench] composition report run");
    let started = Instant::now();
    let run = api
        .post(
            &format!("/v3/campaigns/{campaign}/run-report/CAMPAIGN_COMPOSITION_REPORT"),
            &json!({}),
        )
        .await?
        .json("POST /v3/campaigns/{id}/run-report/CAMPAIGN_COMPOSITION_REPORT")?;
    let id = run
        .get("id")
        .and_then(Value::as_str)
        .context("run-report: no id in the answer")?
        .to_owned();
    loop {
        let listed = api
            .get(&format!("/v3/campaigns/{campaign}/reports"))
            .await?
            .json("GET /v3/campaigns/{id}/reports")?;
        let status = listed
            .as_array()
            .and_then(|runs| {
                runs.iter()
                    .find(|r| r.get("id") == Some(&Value::from(id.as_str())))
            })
            .and_then(|r| r.get("status"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        match status.as_str() {
            "SUCCESS" => break,
            "PENDING" => {}
            other => bail!("the composition report {id} is {other:?}, not SUCCESS"),
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the composition report {id} is still PENDING after 600 s");
        }
        tokio::time::sleep(POLL).await;
    }
    let ran = started.elapsed();
    note("composition report run")?;
    let download = CsvRun::of(api.download(&format!("/api/v1/reports/{id}")).await?);
    note("composition report download")?;
    Ok((csv, Some(ReportRunTiming { run: ran, download })))
}

// ---- 1. the campaign ----

/// The campaign's id and timings from the create call.
struct CampaignRun {
    id: String,
    staged: Duration,
    active: Duration,
}

async fn run_campaign(api: &Api, timeout: Duration) -> anyhow::Result<CampaignRun> {
    // The benchmark gives a real server a real deadline, so it reads the wall clock.
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let deadline = (now + chrono::Duration::days(30)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let body = json!({
        "name": format!("bench MANAGER {}", now.format("%Y-%m-%d %H:%M:%S")),
        "description": "attest-bench: every manager reviews their direct reports' access",
        "type": "MANAGER",
        "deadline": deadline.to_string(),
        "emailNotificationEnabled": false,
        "autoRevokeAllowed": false,
        "recommendationsEnabled": false,
    });
    let started = Instant::now();
    let created = api
        .post("/v3/campaigns", &body)
        .await?
        .json("POST /v3/campaigns")?;
    let id = created
        .get("id")
        .and_then(Value::as_str)
        .context("POST /v3/campaigns: no id in the answer")?
        .to_owned();
    wait_for_status(api, &id, "STAGED", started + timeout).await?;
    let staged = started.elapsed();
    api.post(&format!("/v3/campaigns/{id}/activate"), &json!({}))
        .await?
        .ok("POST /v3/campaigns/{id}/activate")?;
    wait_for_status(api, &id, "ACTIVE", started + timeout).await?;
    Ok(CampaignRun {
        id,
        staged,
        active: started.elapsed(),
    })
}

async fn wait_for_status(
    api: &Api,
    id: &str,
    wanted: &str,
    deadline: Instant,
) -> anyhow::Result<()> {
    loop {
        let campaign = api
            .get(&format!("/v3/campaigns/{id}"))
            .await?
            .json("GET /v3/campaigns/{id}")?;
        let status = campaign.get("status").and_then(Value::as_str).unwrap_or("");
        if status == wanted {
            return Ok(());
        }
        if status == "ERROR" {
            bail!(
                "campaign {id} went to ERROR while waiting for {wanted}; alerts: {}",
                campaign.get("alerts").unwrap_or(&Value::Null)
            );
        }
        if Instant::now() > deadline {
            bail!("campaign {id} is still {status}, not {wanted}, after the timeout");
        }
        tokio::time::sleep(POLL).await;
    }
}

// ---- 2. certifications and pools ----

async fn list_certifications(api: &Api, campaign: &str) -> anyhow::Result<Vec<Cert>> {
    let filter = encode(&format!("campaign.id eq \"{campaign}\""));
    let mut certs = Vec::new();
    loop {
        let path = format!(
            "/v3/certifications?filters={filter}&limit={PAGE}&offset={}",
            certs.len()
        );
        let page = api.get(&path).await?.json("GET /v3/certifications")?;
        let Some(page) = page.as_array() else {
            bail!("GET /v3/certifications: the answer is not a list");
        };
        for cert in page {
            let id = cert
                .get("id")
                .and_then(Value::as_str)
                .context("GET /v3/certifications: a certification without id")?;
            let items = cert
                .get("decisionsTotal")
                .and_then(Value::as_u64)
                .context("GET /v3/certifications: a certification without decisionsTotal")?;
            certs.push(Cert {
                id: id.to_owned(),
                items,
            });
        }
        if page.len() < PAGE {
            break;
        }
    }
    // Largest first; ties by id so that runs on the same data pick the same pools.
    certs.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.id.cmp(&b.id)));
    Ok(certs)
}

/// Disjoint sets of certifications for each phase.
struct Pools {
    bulk: Vec<Cert>,
    single: Vec<Cert>,
    read: Vec<Cert>,
}

impl Pools {
    /// From certifications sorted largest first: the largest (at most 60% of them) until
    /// `bulk_items` items, then enough for `single_items` (at least one per client, at most
    /// 20% of them), and the rest, untouched, for reads (every certification when none is
    /// left).
    fn split(certs: &[Cert], bulk_items: u64, single_items: u64, clients: usize) -> Pools {
        let nonempty: Vec<&Cert> = certs.iter().filter(|c| c.items > 0).collect();
        let take = |from: usize, cap: usize, want: u64, min: usize| -> usize {
            let mut sum = 0;
            let mut end = from;
            while end < nonempty.len() && end - from < cap && (sum < want || end - from < min) {
                sum += nonempty[end].items;
                end += 1;
            }
            end
        };
        let bulk_end = take(0, nonempty.len() * 3 / 5, bulk_items, 1);
        let single_end = take(
            bulk_end,
            (nonempty.len() / 5).max(clients),
            single_items,
            clients,
        );
        let owned = |range: std::ops::Range<usize>| -> Vec<Cert> {
            nonempty[range].iter().map(|c| (*c).clone()).collect()
        };
        let mut read = owned(single_end..nonempty.len());
        if read.is_empty() {
            read = certs.to_vec();
        }
        Pools {
            bulk: owned(0..bulk_end),
            single: owned(bulk_end..single_end),
            read,
        }
    }
}

/// Lists the undecided items of `certs` with `clients` concurrent clients; returns them per
/// certification (in the pools' order) and the listing's own figures (units: items).
async fn list_undecided(
    api: &Api,
    certs: &[Cert],
    clients: usize,
) -> anyhow::Result<(Vec<CertItems>, Sample)> {
    let queue: Arc<Mutex<VecDeque<(usize, String)>>> = Arc::new(Mutex::new(
        certs.iter().map(|c| c.id.clone()).enumerate().collect(),
    ));
    let found: Arc<Mutex<Vec<(usize, CertItems)>>> = Arc::new(Mutex::new(Vec::new()));
    let sample = run_clients(clients, |_| {
        let api = api.clone();
        let queue = queue.clone();
        let found = found.clone();
        async move {
            let mut tally = ClientTally::default();
            loop {
                let next = lock(&queue).pop_front();
                let Some((index, cert)) = next else { break };
                match undecided_items(&api, &cert, &mut tally).await {
                    Ok(items) => lock(&found).push((index, (cert, items))),
                    Err(e) => {
                        tally.fail(&e);
                        break;
                    }
                }
            }
            tally
        }
    })
    .await;
    if let Some(error) = &sample.first_error {
        bail!("listing review items failed: {error}");
    }
    let mut found = std::mem::take(&mut *lock(&found));
    found.sort_by_key(|(index, _)| *index);
    Ok((found.into_iter().map(|(_, work)| work).collect(), sample))
}

async fn undecided_items(
    api: &Api,
    cert: &str,
    tally: &mut ClientTally,
) -> anyhow::Result<Vec<String>> {
    let filter = encode("completed eq false");
    let mut items = Vec::new();
    loop {
        let path = format!(
            "/v3/certifications/{cert}/access-review-items?filters={filter}&limit={PAGE}&offset={}",
            items.len()
        );
        let reply = api.get(&path).await?;
        let page = reply.json("GET /v3/certifications/{id}/access-review-items")?;
        tally.latencies.push(reply.elapsed);
        let Some(page) = page.as_array() else {
            bail!("GET /v3/certifications/{cert}/access-review-items: the answer is not a list");
        };
        for item in page {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .context("an access review item without id")?;
            items.push(id.to_owned());
        }
        tally.units += page.len() as u64;
        if page.len() < PAGE {
            return Ok(items);
        }
    }
}

// ---- 3. and 4. decisions ----

fn decisions(items: &[String], bulk: bool) -> Value {
    Value::Array(
        items
            .iter()
            .map(|id| json!({"id": id, "decision": "APPROVE", "bulk": bulk}))
            .collect(),
    )
}

/// Clients take whole certifications from a shared queue and decide them, 250 items a call,
/// until the queue is empty or `budget` has passed (checked between calls).
async fn bulk_decide(api: &Api, work: Vec<CertItems>, clients: usize, budget: Duration) -> Sample {
    let queue = Arc::new(Mutex::new(VecDeque::from(work)));
    let stop_at = Instant::now() + budget;
    run_clients(clients, |_| {
        let api = api.clone();
        let queue = queue.clone();
        async move {
            let mut tally = ClientTally::default();
            'certs: while Instant::now() < stop_at {
                let next = lock(&queue).pop_front();
                let Some((cert, items)) = next else { break };
                let path = format!("/v3/certifications/{cert}/decide");
                for chunk in items.chunks(DECIDE_LIMIT) {
                    if Instant::now() >= stop_at {
                        break 'certs;
                    }
                    let outcome = api.post(&path, &decisions(chunk, true)).await;
                    match outcome.and_then(|r| r.ok("POST decide").map(|()| r.elapsed)) {
                        Ok(elapsed) => {
                            tally.latencies.push(elapsed);
                            tally.units += chunk.len() as u64;
                        }
                        Err(e) => tally.fail(&e),
                    }
                }
            }
            tally
        }
    })
    .await
}

/// Each client decides items of its own certifications (its queue of `per_client`, one of
/// `queues_used`) one per call, `calls` in all.
async fn single_decide(
    api: &Api,
    per_client: &SingleQueues,
    queues_used: &[usize],
    calls: usize,
) -> Sample {
    let clients = queues_used.len();
    run_clients(clients, |i| {
        let api = api.clone();
        let queues = per_client.clone();
        let client = queues_used[i];
        let share = calls / clients + usize::from(i < calls % clients);
        async move {
            let mut tally = ClientTally::default();
            for _ in 0..share {
                let next = lock(&queues[client]).pop_front();
                let Some((cert, item)) = next else { break };
                let path = format!("/v3/certifications/{cert}/decide");
                let outcome = api.post(&path, &decisions(&[item], false)).await;
                match outcome.and_then(|r| r.ok("POST decide").map(|()| r.elapsed)) {
                    Ok(elapsed) => {
                        tally.latencies.push(elapsed);
                        tally.units += 1;
                    }
                    Err(e) => tally.fail(&e),
                }
            }
            tally
        }
    })
    .await
}

// ---- 5. reads ----

/// `requests` GETs of `path(cert)` shared among `clients`, each client picking certifications
/// from `certs` pseudo-randomly (seeded by its number); units are response bytes.
async fn read_phase<P>(
    api: &Api,
    certs: &[String],
    clients: usize,
    requests: usize,
    path: P,
) -> Sample
where
    P: Fn(&str) -> String + Clone + Send + 'static,
{
    let certs: Arc<Vec<String>> = Arc::new(certs.to_vec());
    run_clients(clients, |client| {
        let api = api.clone();
        let certs = certs.clone();
        let path = path.clone();
        let share = requests / clients + usize::from(client < requests % clients);
        async move {
            let mut tally = ClientTally::default();
            let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (client as u64 + 1);
            for _ in 0..share {
                if certs.is_empty() {
                    break;
                }
                // xorshift64: a cheap, deterministic spread over the certifications.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let cert = &certs[(state % certs.len() as u64) as usize];
                let outcome = api.get(&path(cert)).await;
                match outcome.and_then(|r| r.ok("GET").map(|()| r)) {
                    Ok(reply) => {
                        tally.latencies.push(reply.elapsed);
                        tally.units += reply.body.len() as u64;
                    }
                    Err(e) => tally.fail(&e),
                }
            }
            tally
        }
    })
    .await
}

/// A latency phase under load and the same calls by one client alone.
struct Measured {
    /// Every client at once.
    loaded: Sample,
    /// One client alone: the service time, without queueing behind the others.
    solo: Sample,
}

/// A read: warm-up, `requests` with every client, then `args.solo` with one client.
async fn reads<P>(api: &Api, certs: &[String], args: &Args, requests: usize, path: P) -> Measured
where
    P: Fn(&str) -> String + Clone + Send + 'static,
{
    let _ = read_phase(api, certs, args.clients, args.warmup, path.clone()).await;
    let loaded = read_phase(api, certs, args.clients, requests, path.clone()).await;
    let solo = read_phase(api, certs, 1, args.solo, path).await;
    Measured { loaded, solo }
}

// ---- running clients ----

/// Runs `clients` concurrent clients (`client(i)` makes client `i`'s work) and merges what
/// they measured with the wall time from start to the last one's end.
async fn run_clients<F, Fut>(clients: usize, client: F) -> Sample
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ClientTally> + Send + 'static,
{
    let started = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..clients {
        set.spawn(client(i));
    }
    let mut tallies = Vec::with_capacity(clients);
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(tally) => tallies.push(tally),
            Err(e) => {
                let mut tally = ClientTally::default();
                tally.fail(&anyhow::anyhow!("a client task failed: {e}"));
                tallies.push(tally);
            }
        }
    }
    Sample::merge(tallies, started.elapsed())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---- the report ----

/// Everything measured; phases that did not run are `None`.
struct Report<'a> {
    args: &'a Args,
    targets: &'a Targets,
    campaign: Option<&'a CampaignRun>,
    certifications: usize,
    total_items: u64,
    listing: Option<Sample>,
    bulk: Option<Sample>,
    single: Option<Measured>,
    items_page: Option<Measured>,
    items_small: Option<Measured>,
    summary: Option<Measured>,
    progress: Option<Measured>,
    csv: Option<CsvRun>,
    report: Option<ReportRunTiming>,
    memory: Vec<Memory>,
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

fn errors(sample: &Sample) -> String {
    match &sample.first_error {
        None => String::new(),
        Some(first) => format!(
            "; {} errors, first: {}",
            sample.errors,
            first.chars().take(300).collect::<String>()
        ),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A read's row: p99 against `target_ms` (none: shown for comparison).
fn read_row(name: String, m: &Measured, target_ms: Option<f64>) -> [String; 4] {
    let s = &m.loaded;
    let p99 = s.quantile(0.99);
    let avg_kib = if s.calls() > 0 {
        s.units as f64 / s.calls() as f64 / 1024.0
    } else {
        0.0
    };
    [
        name,
        format!(
            "**p99 {}** (p50 {}; {} requests, {}/s, {avg_kib:.1} KiB each{}; one client alone: p50 {}, p99 {})",
            ms(p99),
            ms(s.quantile(0.5)),
            thousands(s.calls() as u64),
            thousands(s.calls_per_second() as u64),
            errors(s),
            ms(m.solo.quantile(0.5)),
            ms(m.solo.quantile(0.99)),
        ),
        match target_ms {
            Some(target) => format!("p99 ≤ {target} ms"),
            None => "(for comparison)".to_owned(),
        },
        match target_ms {
            Some(target) => verdict(p99.as_secs_f64() * 1000.0 <= target && s.errors == 0).into(),
            None => String::new(),
        },
    ]
}

/// The report as Markdown: the figures against their targets, then each phase's time,
/// CPU and memory.
fn render(r: &Report<'_>) -> String {
    let t = r.targets;
    let clients = r.args.clients;
    let peak = r.memory.iter().map(|m| m.peak_kib).max().unwrap_or(0);
    let mut rows: Vec<[String; 4]> = Vec::new();
    if let Some(campaign) = r.campaign {
        let secs = campaign.active.as_secs_f64();
        rows.push([
            "MANAGER campaign create → STAGED → ACTIVE".into(),
            format!(
                "**{secs:.1} s** (STAGED at {:.1} s; {} certifications, {} items)",
                campaign.staged.as_secs_f64(),
                thousands(r.certifications as u64),
                thousands(r.total_items)
            ),
            format!("≤ {} s", t.campaign_secs),
            verdict(secs <= t.campaign_secs).into(),
        ]);
    }
    if let Some(bulk) = &r.bulk {
        let rate = bulk.units_per_second();
        let per_call = if bulk.calls() > 0 {
            bulk.units as f64 / bulk.calls() as f64
        } else {
            0.0
        };
        rows.push([
            format!("bulk decide, {} clients", r.args.bulk_clients),
            format!(
                "**{} items/s** ({} items in {:.1} s, {} calls of {per_call:.0} items on average; call p50 {}, p99 {}{})",
                thousands(rate as u64),
                thousands(bulk.units),
                bulk.wall.as_secs_f64(),
                thousands(bulk.calls() as u64),
                ms(bulk.quantile(0.5)),
                ms(bulk.quantile(0.99)),
                errors(bulk)
            ),
            format!("≥ {} items/s", thousands(t.bulk_items_per_sec as u64)),
            verdict(rate >= t.bulk_items_per_sec && bulk.errors == 0).into(),
        ]);
    }
    if let Some(m) = &r.single {
        let single = &m.loaded;
        let rate = single.calls_per_second();
        let p99 = single.quantile(0.99);
        rows.push([
            format!("single decide, {clients} clients"),
            format!(
                "**{}/s, p99 {}** (p50 {}; {} calls{}; one client alone: p50 {}, p99 {})",
                thousands(rate as u64),
                ms(p99),
                ms(single.quantile(0.5)),
                thousands(single.calls() as u64),
                errors(single),
                ms(m.solo.quantile(0.5)),
                ms(m.solo.quantile(0.99)),
            ),
            format!(
                "≥ {}/s, p99 ≤ {SINGLE_P99_MS} ms",
                thousands(SINGLE_PER_SEC as u64)
            ),
            verdict(
                rate >= SINGLE_PER_SEC
                    && p99.as_secs_f64() * 1000.0 <= SINGLE_P99_MS
                    && single.errors == 0,
            )
            .into(),
        ]);
    }
    if let Some(m) = &r.items_page {
        rows.push(read_row(
            format!(
                "access-review-items page (completed eq false, sorted by identitySummary.name,access.name, limit {PAGE}), {clients} clients"
            ),
            m,
            Some(ITEMS_P99_MS),
        ));
    }
    if let Some(m) = &r.items_small {
        rows.push(read_row(
            format!("the same page with limit {SMALL_PAGE}, {clients} clients"),
            m,
            None,
        ));
    }
    if let Some(m) = &r.summary {
        rows.push(read_row(
            format!("decision summary, {clients} clients"),
            m,
            Some(SUMMARY_P99_MS),
        ));
    }
    if let Some(m) = &r.progress {
        rows.push(read_row(
            format!("campaign progress (detail=FULL), {clients} clients"),
            m,
            Some(SUMMARY_P99_MS),
        ));
    }
    if let Some(csv) = &r.csv {
        let secs = csv.wall.as_secs_f64();
        let complete = csv.rows == r.total_items;
        let sqlite = t.backend == "SQLite";
        rows.push([
            "campaign CSV (`review-items.csv`), streamed".into(),
            format!(
                "**{secs:.2} s** ({} rows{}, {:.0} MiB, {:.0} MiB/s; first byte after {})",
                thousands(csv.rows),
                if complete {
                    String::new()
                } else {
                    format!(", but the campaign has {} items", thousands(r.total_items))
                },
                csv.bytes as f64 / 1048576.0,
                csv.bytes as f64 / 1048576.0 / secs.max(1e-9),
                ms(csv.first_byte),
            ),
            if sqlite {
                format!("≤ {CSV_SECS_SQLITE} s for 1,000,000 items")
            } else {
                "(for comparison)".into()
            },
            if sqlite {
                verdict(complete && secs <= CSV_SECS_SQLITE).into()
            } else {
                String::new()
            },
        ]);
    }
    if let Some(run) = &r.report {
        rows.push([
            "composition report: run (task) to SUCCESS, then its download".into(),
            format!(
                "**{:.2} s** to SUCCESS; download {:.2} s ({} rows, {:.0} MiB)",
                run.run.as_secs_f64(),
                run.download.wall.as_secs_f64(),
                thousands(run.download.rows),
                run.download.bytes as f64 / 1048576.0,
            ),
            "(for comparison)".into(),
            String::new(),
        ]);
    }
    rows.push([
        "server peak RSS (VmHWM) during all of the above".into(),
        format!(
            "**{:.0} MiB** ({:.0} MiB resident at the end; by phase below)",
            mib(peak),
            r.memory.last().map(|m| mib(m.now_kib)).unwrap_or(0.0)
        ),
        format!("≤ {RSS_MIB} MiB"),
        verdict(mib(peak) <= RSS_MIB).into(),
    ]);

    let mut out = format!(
        "\n## {} ({})\n\n| figure | measured | target | |\n| --- | --- | --- | --- |\n",
        t.backend, r.args.database
    );
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str(
        "\n| phase | wall | server CPU | driver CPU | server peak RSS after | RSS at the end (anon + file) |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for m in &r.memory {
        out.push_str(&format!(
            "| {} | {:.1} s | {:.1} s | {:.1} s | {:.0} MiB | {:.0} MiB ({:.0} + {:.0}) |\n",
            m.after,
            m.wall,
            m.server_cpu,
            m.driver_cpu,
            mib(m.peak_kib),
            mib(m.now_kib),
            mib(m.anon_kib),
            mib(m.file_kib),
        ));
    }
    if let Some(csv) = &r.csv {
        out.push_str(&format!("\nCampaign CSV header: `{}`\n", csv.header));
    }
    if let Some(listing) = &r.listing {
        out.push_str(&format!(
            "\nListing undecided items before bulk decisions ({clients} clients): {} items in {:.1} s, {} pages, page p50 {}, p99 {}.\n",
            thousands(listing.units),
            listing.wall.as_secs_f64(),
            thousands(listing.calls() as u64),
            ms(listing.quantile(0.5)),
            ms(listing.quantile(0.99)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certs(sizes: &[u64]) -> Vec<Cert> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, n)| Cert {
                id: format!("c{i}"),
                items: *n,
            })
            .collect()
    }

    #[test]
    fn pools_are_disjoint_and_sized() {
        let all = certs(&[300, 200, 100, 100, 50, 50, 10, 10, 5, 1, 0]);
        let pools = Pools::split(&all, 450, 60, 2);
        let ids = |v: &[Cert]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&pools.bulk), ["c0", "c1"]);
        // At most 20% of the ten non-empty certifications, but at least one per client.
        assert_eq!(ids(&pools.single), ["c2", "c3"]);
        assert_eq!(ids(&pools.read).len(), 6);
        assert!(!ids(&pools.read).contains(&"c10".to_owned()));
    }

    #[test]
    fn bulk_pool_leaves_certifications_for_the_others() {
        let all = certs(&[10; 10]);
        let pools = Pools::split(&all, 1_000_000, 1_000_000, 1);
        assert_eq!(pools.bulk.len(), 6);
        assert_eq!(pools.single.len(), 2);
        assert_eq!(pools.read.len(), 2);
    }

    #[test]
    fn targets_follow_the_backend() {
        assert_eq!(
            Targets::for_url("sqlite://x.db").unwrap().campaign_secs,
            15.0
        );
        assert_eq!(
            Targets::for_url("postgres://u@h/db")
                .unwrap()
                .bulk_items_per_sec,
            10_000.0
        );
        assert!(Targets::for_url("mysql://x").is_err());
    }
}
