//! Remediation: per-source sinks, applying decisions (releasing a campaign's orders),
//! delivery of released orders by the task worker, manual completion, and remediation scans.
//!
//! Policy:
//! - Every campaign's orders wait until an administrator applies its decisions (the Netwrix
//!   "Apply Decisions"): nothing reaches a source before a person has reviewed the orders.
//!   Release is required for every campaign, not configurable: an order is a change to a
//!   production system, and Attest's default must be the reviewed one.
//! - A released order is delivered to its source's sink: WEBHOOK and SCIM sinks by the worker
//!   (the `delivery` module), MANUAL (the default) by a person who exports the list and marks
//!   each order done. Delivery state lives in the database and is claimed under a lease, so
//!   retries survive restarts and several nodes never deliver one order at once.
//! - Secrets are write-only: accepted by [`Campaigns::put_remediation_sink`], used by the
//!   delivery, never returned, never logged (they are [`Secret`]s, whose `Debug` hides them).
//! - ORG_ADMIN / CERT_ADMIN manage sinks and orders; a remediation scan may also be started by
//!   REPORT_ADMIN (SailPoint's `startCampaignRemediationScan` user levels).

pub(crate) mod delivery;
mod scim;

use attest_domain::certification::{CampaignId, OrderId, OrderStatus};
use attest_domain::remediation::{RemediationOrder, RemediationSink, Secret, SinkKind, SinkTarget};
use attest_domain::{Authority, SourceId};
use attest_store::campaigns::Page;
use attest_store::remediation::RemediationOrderQuery;
use serde_json::json;

use super::{access, actor_of, audit_event, Campaigns, EngineError, EngineResult};
use crate::credentials::Caller;

/// The shortest signing secret a webhook sink accepts (bytes).
pub const MIN_WEBHOOK_SECRET_LEN: usize = 16;

/// The most orders one apply-decisions or mark-done request may name.
pub const MAX_ORDERS_PER_REQUEST: usize = 1000;

/// A sink as an administrator asks for it (unchecked).
#[derive(Debug, Clone, Default)]
pub struct SinkRequest {
    /// `WEBHOOK`, `SCIM` or `MANUAL`.
    pub kind: Option<String>,
    /// The webhook URL.
    pub url: Option<String>,
    /// The webhook signing secret.
    pub secret: Option<Secret>,
    /// The SCIM base URL.
    pub base_url: Option<String>,
    /// The SCIM bearer token.
    pub token: Option<Secret>,
}

/// Checks an `http`/`https` URL with a host and no credentials in it.
fn check_url(field: &str, text: Option<&str>, causes: &mut Vec<String>) -> Option<String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        causes.push(format!("{field} is required"));
        return None;
    };
    match reqwest::Url::parse(text) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some()
                && url.username().is_empty()
                && url.password().is_none() =>
        {
            Some(text.to_owned())
        }
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            // Not echoed: the user info may be a credential.
            causes.push(format!(
                "{field} must not carry user info (a credential belongs in the secret or token)"
            ));
            None
        }
        Ok(_) => {
            causes.push(format!(
                "{field} must be an http or https URL with a host, got \"{text}\""
            ));
            None
        }
        Err(e) => {
            causes.push(format!("{field} is not a URL ({e}), got \"{text}\""));
            None
        }
    }
}

impl SinkRequest {
    /// Validates the request into a target, naming every bad field at once.
    pub fn validate(&self) -> Result<SinkTarget, EngineError> {
        let mut causes = Vec::new();
        let kind = match self.kind.as_deref() {
            None => {
                causes.push("type is required (WEBHOOK, SCIM or MANUAL)".to_owned());
                None
            }
            Some(text) => match text.parse::<SinkKind>() {
                Ok(kind) => Some(kind),
                Err(_) => {
                    causes.push(format!(
                        "type must be one of WEBHOOK, SCIM, MANUAL, got \"{text}\""
                    ));
                    None
                }
            },
        };
        let unexpected = |causes: &mut Vec<String>, field: &str, present: bool, kind: SinkKind| {
            if present {
                causes.push(format!("{field} is not used by {kind} sinks"));
            }
        };
        let target = match kind {
            Some(SinkKind::Webhook) => {
                let url = check_url("url", self.url.as_deref(), &mut causes);
                let secret = match &self.secret {
                    None => {
                        causes.push("secret is required".to_owned());
                        None
                    }
                    Some(s) if s.expose().len() < MIN_WEBHOOK_SECRET_LEN => {
                        causes.push(format!(
                            "secret must be at least {MIN_WEBHOOK_SECRET_LEN} characters long"
                        ));
                        None
                    }
                    Some(s) => Some(s.clone()),
                };
                unexpected(
                    &mut causes,
                    "baseUrl",
                    self.base_url.is_some(),
                    SinkKind::Webhook,
                );
                unexpected(
                    &mut causes,
                    "token",
                    self.token.is_some(),
                    SinkKind::Webhook,
                );
                url.zip(secret)
                    .map(|(url, secret)| SinkTarget::Webhook { url, secret })
            }
            Some(SinkKind::Scim) => {
                let base_url = check_url("baseUrl", self.base_url.as_deref(), &mut causes);
                let token = match &self.token {
                    Some(t) if !t.expose().trim().is_empty() => Some(t.clone()),
                    _ => {
                        causes.push("token is required".to_owned());
                        None
                    }
                };
                unexpected(&mut causes, "url", self.url.is_some(), SinkKind::Scim);
                unexpected(&mut causes, "secret", self.secret.is_some(), SinkKind::Scim);
                base_url
                    .zip(token)
                    .map(|(base_url, token)| SinkTarget::Scim { base_url, token })
            }
            Some(SinkKind::Manual) => {
                for (field, present) in [
                    ("url", self.url.is_some()),
                    ("secret", self.secret.is_some()),
                    ("baseUrl", self.base_url.is_some()),
                    ("token", self.token.is_some()),
                ] {
                    unexpected(&mut causes, field, present, SinkKind::Manual);
                }
                Some(SinkTarget::Manual)
            }
            None => None,
        };
        match target {
            Some(target) if causes.is_empty() => Ok(target),
            _ => Err(EngineError::Invalid {
                message: "The remediation sink is invalid.".to_owned(),
                causes,
            }),
        }
    }
}

/// What releasing a campaign's orders did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The orders released now.
    pub released: Vec<OrderId>,
}

fn not_found_source(id: &SourceId) -> EngineError {
    EngineError::NotFound(format!("source {id} was not found"))
}

impl Campaigns {
    /// A source's sink; a source without one is MANUAL (`None`).
    pub async fn remediation_sink(
        &self,
        caller: &Caller,
        source: &SourceId,
    ) -> EngineResult<Option<RemediationSink>> {
        access::require_manage(caller)?;
        if self.store.source(source).await?.is_none() {
            return Err(not_found_source(source));
        }
        Ok(self.store.remediation_sink(source).await?)
    }

    /// Configures a source's sink (replacing any). The secret is stored, never returned.
    pub async fn put_remediation_sink(
        &self,
        caller: &Caller,
        source: &SourceId,
        request: &SinkRequest,
    ) -> EngineResult<RemediationSink> {
        access::require_manage(caller)?;
        let target = request.validate()?;
        if self.store.source(source).await?.is_none() {
            return Err(not_found_source(source));
        }
        let now = self.clock.now();
        let sink = RemediationSink {
            source_id: source.clone(),
            target,
            updated: now,
            updated_by: Some(caller.identity_id.clone()),
        };
        // The audit records the kind and URL, never the secret.
        let audit = audit_event(
            &actor_of(caller),
            now,
            "remediation_sink.configured",
            None,
            None,
            json!({
                "sourceId": source.as_str(),
                "type": sink.target.kind().as_str(),
                "url": sink.target.url(),
            }),
        );
        self.store.put_remediation_sink(&sink, &audit).await?;
        Ok(sink)
    }

    /// Removes a source's sink: its orders are manual again. 404 when none was configured.
    pub async fn delete_remediation_sink(
        &self,
        caller: &Caller,
        source: &SourceId,
    ) -> EngineResult<()> {
        access::require_manage(caller)?;
        let audit = audit_event(
            &actor_of(caller),
            self.clock.now(),
            "remediation_sink.removed",
            None,
            None,
            json!({ "sourceId": source.as_str() }),
        );
        if self.store.delete_remediation_sink(source, &audit).await? {
            Ok(())
        } else {
            Err(EngineError::NotFound(format!(
                "source {source} has no remediation sink"
            )))
        }
    }

    /// Orders with their delivery state (ORG_ADMIN / CERT_ADMIN).
    pub async fn remediation_orders(
        &self,
        caller: &Caller,
        query: &RemediationOrderQuery,
    ) -> EngineResult<Page<RemediationOrder>> {
        access::require_manage(caller)?;
        Ok(self.store.list_remediation_orders(query).await?)
    }

    /// Applies a campaign's decisions: releases its held orders (all, or those named) for
    /// delivery. Every named order must be a held order of the campaign, else nothing is
    /// released and each offending id is named.
    pub async fn apply_campaign_decisions(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
        orders: Option<&[OrderId]>,
    ) -> EngineResult<Released> {
        access::require_manage(caller)?;
        if self.store.campaign(campaign).await?.is_none() {
            return Err(EngineError::NotFound(format!(
                "campaign {campaign} was not found"
            )));
        }
        if let Some(ids) = orders {
            let mut causes = Vec::new();
            if ids.is_empty() {
                causes.push(
                    "orderIds must not be empty (leave it out to release every held order)"
                        .to_owned(),
                );
            }
            if ids.len() > MAX_ORDERS_PER_REQUEST {
                causes.push(format!(
                    "orderIds may name at most {MAX_ORDERS_PER_REQUEST} orders, got {}",
                    ids.len()
                ));
            }
            for id in ids.iter().take(MAX_ORDERS_PER_REQUEST) {
                match self.store.remediation_order(id).await? {
                    None => causes.push(format!("orderIds: order {id} was not found")),
                    Some(o) if &o.order.campaign_id != campaign => causes.push(format!(
                        "orderIds: order {id} belongs to campaign {}, not {campaign}",
                        o.order.campaign_id
                    )),
                    Some(o)
                        if o.delivery.released_at.is_some()
                            || o.order.status != OrderStatus::Pending =>
                    {
                        causes.push(format!(
                            "orderIds: order {id} is not held (status {}, {})",
                            o.order.status,
                            if o.delivery.released_at.is_some() {
                                "already released"
                            } else {
                                "not pending"
                            }
                        ))
                    }
                    Some(_) => {}
                }
            }
            if !causes.is_empty() {
                return Err(EngineError::Invalid {
                    message: "The orders cannot be released.".to_owned(),
                    causes,
                });
            }
        }
        let now = self.clock.now();
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign.decisions_applied",
            Some(campaign),
            None,
            json!({ "orderIds": orders.map(|o| o.iter().map(OrderId::as_str).collect::<Vec<_>>()) }),
        );
        let released = self
            .store
            .release_orders(campaign, orders, Some(&caller.identity_id), now, &audit)
            .await?;
        if !released.is_empty() {
            self.wake.notify_one();
        }
        Ok(Released { released })
    }

    /// Marks released orders done by hand (a person carried them out). Every order must be
    /// released and not already DONE or VERIFIED, else nothing is written and each offending
    /// id is named.
    pub async fn mark_orders_done(
        &self,
        caller: &Caller,
        orders: &[OrderId],
        comment: Option<&str>,
    ) -> EngineResult<Vec<OrderId>> {
        access::require_manage(caller)?;
        let mut causes = Vec::new();
        if orders.is_empty() {
            causes.push("orderIds must name at least one order".to_owned());
        }
        if orders.len() > MAX_ORDERS_PER_REQUEST {
            causes.push(format!(
                "orderIds may name at most {MAX_ORDERS_PER_REQUEST} orders, got {}",
                orders.len()
            ));
        }
        let mut campaigns = Vec::with_capacity(orders.len());
        for id in orders.iter().take(MAX_ORDERS_PER_REQUEST) {
            match self.store.remediation_order(id).await? {
                None => causes.push(format!("orderIds: order {id} was not found")),
                Some(o) if o.delivery.released_at.is_none() => causes.push(format!(
                    "orderIds: order {id} has not been released (apply the campaign's decisions first)"
                )),
                Some(o) if matches!(o.order.status, OrderStatus::Done | OrderStatus::Verified) => {
                    causes.push(format!("orderIds: order {id} is already {}", o.order.status))
                }
                Some(o) => campaigns.push((id.clone(), o.order.campaign_id)),
            }
        }
        if !causes.is_empty() {
            return Err(EngineError::Invalid {
                message: "The orders cannot be marked done.".to_owned(),
                causes,
            });
        }
        let now = self.clock.now();
        let audits: Vec<_> = campaigns
            .iter()
            .map(|(id, campaign)| {
                audit_event(
                    &actor_of(caller),
                    now,
                    "order.done",
                    Some(campaign),
                    None,
                    json!({ "orderId": id.as_str(), "comment": comment }),
                )
            })
            .collect();
        Ok(self
            .store
            .mark_orders_done(orders, Some(&caller.identity_id), now, &audits)
            .await?)
    }

    /// Queues a remediation scan of the campaign (run by the worker: every order is checked
    /// against the warehouse). ORG_ADMIN, CERT_ADMIN or REPORT_ADMIN.
    pub async fn start_remediation_scan(
        &self,
        caller: &Caller,
        campaign: &CampaignId,
    ) -> EngineResult<()> {
        if !caller.has_any(&[Authority::CertAdmin, Authority::ReportAdmin]) {
            return Err(EngineError::Forbidden(
                "a remediation scan needs the ORG_ADMIN, CERT_ADMIN or REPORT_ADMIN authority"
                    .to_owned(),
            ));
        }
        if self.store.campaign(campaign).await?.is_none() {
            return Err(EngineError::NotFound(format!(
                "campaign {campaign} was not found"
            )));
        }
        let now = self.clock.now();
        let audit = audit_event(
            &actor_of(caller),
            now,
            "campaign.remediation_scan_requested",
            Some(campaign),
            None,
            json!({}),
        );
        self.store
            .request_remediation_scan(campaign, now, &audit)
            .await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Runs the remediation work that is due now (scans, then deliveries) and returns how
    /// many scans and delivery attempts ran: the worker's loop does this between tasks;
    /// tests call it directly, with the test clock.
    pub async fn run_due_remediation(&self) -> EngineResult<usize> {
        let worker = format!("inline-{}", &super::new_id()[..8]);
        Ok(delivery::run_due(self, &worker).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Option<Secret> {
        Some(Secret(s.to_owned()))
    }

    fn causes(request: SinkRequest) -> Vec<String> {
        match request.validate() {
            Err(EngineError::Invalid { causes, .. }) => causes,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn sinks_are_validated_field_by_field() {
        let webhook = SinkRequest {
            kind: Some("WEBHOOK".to_owned()),
            url: Some("https://hooks.example.test/attest".to_owned()),
            secret: secret("0123456789abcdef"),
            ..SinkRequest::default()
        };
        assert_eq!(webhook.validate().unwrap().kind(), SinkKind::Webhook);
        assert_eq!(
            causes(SinkRequest {
                kind: Some("WEBHOOK".to_owned()),
                url: Some("ftp://x".to_owned()),
                secret: secret("short"),
                token: secret("t"),
                ..SinkRequest::default()
            }),
            [
                "url must be an http or https URL with a host, got \"ftp://x\"",
                "secret must be at least 16 characters long",
                "token is not used by WEBHOOK sinks",
            ]
        );
        assert_eq!(
            causes(SinkRequest {
                kind: Some("SCIM".to_owned()),
                base_url: Some("not a url".to_owned()),
                ..SinkRequest::default()
            }),
            [
                "baseUrl is not a URL (relative URL without a base), got \"not a url\"",
                "token is required",
            ]
        );
        assert_eq!(
            causes(SinkRequest {
                kind: Some("EMAIL".to_owned()),
                ..SinkRequest::default()
            }),
            ["type must be one of WEBHOOK, SCIM, MANUAL, got \"EMAIL\""]
        );
        assert_eq!(
            SinkRequest {
                kind: Some("MANUAL".to_owned()),
                ..SinkRequest::default()
            }
            .validate()
            .unwrap(),
            SinkTarget::Manual
        );
        // A URL with credentials in it would put a secret where it is shown back.
        assert_eq!(
            causes(SinkRequest {
                kind: Some("SCIM".to_owned()),
                base_url: Some("https://user:pw@scim.test/v2".to_owned()),
                token: secret("t"),
                ..SinkRequest::default()
            }),
            ["baseUrl must not carry user info (a credential belongs in the secret or token)"]
        );
    }
}
