//! `attest serve [--listen ADDR] [--demo]`: the HTTP server and, beside it, the background
//! worker that runs certification tasks (generation, activation, completion, reassignment) and
//! the campaign template scheduler (every `--scheduler-interval` seconds).
//! Both stop on SIGINT/SIGTERM: the server drains requests in flight, the worker finishes the
//! task it holds (its lease lets another node take over if it cannot within the grace period).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use attest_api::rate_limit::RateLimiter;
use attest_api::{router, AppState};
use attest_domain::{Authority, Clock, IdentityId, SystemClock};
use attest_engine::campaigns::Campaigns;
use attest_engine::credentials::Credentials;
use attest_engine::demo::{self, write_demo_bundle, DemoOptions};
use attest_engine::import::{import_bundle, NoProgress};
use attest_store::Store;

use crate::config::{ServeSettings, Settings};

/// The seed of the organisation `--demo` loads, so every demo shows the same people.
const DEMO_SEED: u64 = 2026;

/// Serves until SIGINT or SIGTERM, then drains requests in flight and closes the pools.
pub async fn run(
    settings: &Settings,
    serve: &ServeSettings,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&settings.database_url, &settings.pool).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let credentials = Credentials::new(store.clone(), clock.clone(), serve.token_ttl).await?;
    let demo_admin = if demo {
        load_demo(store.as_ref(), clock.as_ref(), serve.demo_identities).await?
    } else {
        None
    };

    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("cannot listen on {}", serve.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().as_str(), "attest is serving");
    let mut banner = format!("Attest is serving on http://{addr}\n");
    if let Some(admin) = demo_admin {
        let pat = credentials
            .create_pat(
                admin,
                vec![Authority::OrgAdmin],
                "demo administrator".to_owned(),
            )
            .await?;
        banner.push_str(&format!(
            "Demo administrator ({}, ORG_ADMIN):\n  client id:     {}\n  client secret: {}\n\
             Get a token:\n  curl -s -X POST http://{addr}/oauth/token -d grant_type=client_credentials -d client_id={} -d client_secret={}\n",
            pat.identity_id, pat.client_id, pat.client_secret, pat.client_id, pat.client_secret
        ));
    }
    // The banner is for whoever started the server; if they closed our standard output, the
    // server goes on serving rather than failing.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);

    let campaigns = Campaigns::new(store.clone(), clock.clone());
    // Unique among the nodes sharing the database: address, process and start time.
    let worker_id = format!(
        "{addr}/{}/{}",
        std::process::id(),
        clock.now().timestamp_millis()
    );
    let state = AppState {
        store: store.clone(),
        credentials,
        campaigns: campaigns.clone(),
        clock,
        rate_limiter: Arc::new(RateLimiter::new(serve.rate_limit)),
        access_catalog: Default::default(),
    };
    let app = router(state);
    let scheduler_engine = campaigns.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker_stop = stop_rx.clone();
    let mut scheduler_stop = stop_rx.clone();
    let scheduler_interval = serve.scheduler_interval;
    let scheduler = tokio::spawn(async move {
        scheduler_engine
            .run_scheduler(scheduler_interval, async move {
                let _ = scheduler_stop.wait_for(|stopped| *stopped).await;
            })
            .await;
    });
    let worker = tokio::spawn(async move {
        tracing::info!(worker_id, "certification task worker started");
        campaigns
            .run_worker(worker_id, async move {
                // Stops on the shutdown signal, or when the server is gone (sender dropped).
                let _ = worker_stop.wait_for(|stopped| *stopped).await;
            })
            .await;
        tracing::info!("certification task worker stopped");
    });
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop_tx.send(true);
    });
    let grace = serve.shutdown_grace;
    let mut stop_rx = stop_rx;
    tokio::select! {
        result = server => result.context("server failed")?,
        _ = async {
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(?grace, "requests still in flight after the grace period; closing"),
    }
    // The server is done, so the worker's stop signal has fired (or its sender is gone).
    if tokio::time::timeout(grace, worker).await.is_err() {
        tracing::warn!(
            ?grace,
            "the task worker is still busy after the grace period; its lease will expire"
        );
    }
    if tokio::time::timeout(grace, scheduler).await.is_err() {
        tracing::warn!(
            ?grace,
            "the campaign template scheduler is still busy after the grace period"
        );
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Fills an empty database with the demo organisation. Returns the identity that gets a fresh
/// administrator token, when the demo organisation is (now) in the database.
async fn load_demo(
    store: &dyn Store,
    clock: &dyn Clock,
    identities: u32,
) -> anyhow::Result<Option<IdentityId>> {
    if store.warehouse_counts().await?.identities == 0 {
        tracing::info!(
            identities,
            "loading the demo organisation into the empty database"
        );
        let dir =
            tempfile::tempdir().context("cannot create a temporary folder for the demo bundle")?;
        let options = DemoOptions {
            identities,
            seed: DEMO_SEED,
        };
        write_demo_bundle(dir.path(), &options).context("cannot generate the demo organisation")?;
        let report = import_bundle(store, clock, dir.path(), Arc::new(NoProgress))
            .await
            .context("cannot load the demo organisation")?;
        for file in &report.files {
            tracing::info!(%file, "demo data loaded");
        }
    } else {
        tracing::info!("the database is not empty; --demo loads nothing");
    }
    let admin = IdentityId(demo::admin_identity_id());
    if store.identity(&admin).await?.is_some() {
        Ok(Some(admin))
    } else {
        tracing::warn!(
            "--demo: the database holds other data and no demo administrator; create a token with `attest pat create`"
        );
        Ok(None)
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
