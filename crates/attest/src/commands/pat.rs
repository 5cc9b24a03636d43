//! `attest pat create`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use attest_domain::{Authority, IdentityId, SystemClock};
use attest_engine::credentials::Credentials;

use crate::cli::PatCreateArgs;
use crate::config::Settings;

/// Creates a token and prints its client id and (only now) its secret.
pub async fn create(settings: &Settings, args: &PatCreateArgs) -> anyhow::Result<ExitCode> {
    let authorities = args
        .authorities
        .iter()
        .map(|a| {
            a.parse::<Authority>()
                .with_context(|| format!("invalid --authority \"{a}\""))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let store = crate::store::open(&settings.database_url, &settings.pool).await?;
    let credentials = Credentials::new(
        store.clone(),
        Arc::new(SystemClock),
        chrono::Duration::hours(1),
    )
    .await?;
    let created = credentials
        .create_pat(
            IdentityId(args.identity.clone()),
            authorities,
            args.name.clone(),
        )
        .await;
    store.close().await;
    let created = created?;
    if args.json {
        say!(
            "{}",
            serde_json::json!({"clientId": created.client_id, "clientSecret": created.client_secret})
        );
    } else {
        say!("Client ID:     {}", created.client_id);
        say!("Client secret: {}", created.client_secret);
        say!("Identity:      {}", created.identity_id);
        let authorities: Vec<&str> = created.authorities.iter().map(|a| a.as_str()).collect();
        say!(
            "Authorities:   {}",
            if authorities.is_empty() {
                "none (reviewer)".to_owned()
            } else {
                authorities.join(", ")
            }
        );
        say!("The secret is shown only once; store it safely.");
    }
    Ok(ExitCode::SUCCESS)
}
