//! Remediation: where a source's provisioning orders go (its sink) and how far each order got
//! on its way there.
//!
//! Policy: a sink's secret (a webhook signing secret, a SCIM bearer token) is a [`Secret`],
//! whose `Debug` never shows it, so it cannot reach a log by accident; the API never returns
//! it. Orders wait until an administrator releases them (the Netwrix "Apply Decisions"), for
//! every campaign; only released orders are delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::certification::ProvisioningOrder;
use crate::ids::{IdentityId, SourceId};
use crate::warehouse::wire_enum;

/// A credential Attest must present or sign with, so it is kept as given (it cannot be
/// hashed). Its `Debug` prints `Secret(***)`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret(pub String);

impl Secret {
    /// The secret itself, for signing or for an `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The kind of a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SinkKind {
    /// A signed HTTP POST per order.
    Webhook,
    /// SCIM 2.0 PATCH on the source's SCIM endpoint.
    Scim,
    /// A person carries the order out and marks it done (the default).
    Manual,
}

wire_enum!(SinkKind {
    Webhook => "WEBHOOK",
    Scim => "SCIM",
    Manual => "MANUAL",
});

/// Where a source's orders go, with what they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    /// POST each order to `url`, signed with `secret` (HMAC-SHA256).
    Webhook {
        /// `http://` or `https://` URL.
        url: String,
        /// The signing secret.
        secret: Secret,
    },
    /// PATCH the source's SCIM 2.0 service at `base_url` with `token` as bearer token.
    Scim {
        /// The service's base URL (the one `/Users` and `/Groups` are under).
        base_url: String,
        /// The bearer token.
        token: Secret,
    },
    /// Listed and exported for a person.
    Manual,
}

impl SinkTarget {
    /// The kind.
    pub fn kind(&self) -> SinkKind {
        match self {
            SinkTarget::Webhook { .. } => SinkKind::Webhook,
            SinkTarget::Scim { .. } => SinkKind::Scim,
            SinkTarget::Manual => SinkKind::Manual,
        }
    }

    /// The URL (none for manual sinks).
    pub fn url(&self) -> Option<&str> {
        match self {
            SinkTarget::Webhook { url, .. } => Some(url),
            SinkTarget::Scim { base_url, .. } => Some(base_url),
            SinkTarget::Manual => None,
        }
    }

    /// The secret (none for manual sinks).
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            SinkTarget::Webhook { secret, .. } => Some(secret),
            SinkTarget::Scim { token, .. } => Some(token),
            SinkTarget::Manual => None,
        }
    }

    /// Rebuilds a target from its stored parts; `None` when a webhook or SCIM sink lacks its
    /// URL or secret (a corrupt row).
    pub fn from_parts(kind: SinkKind, url: Option<String>, secret: Option<String>) -> Option<Self> {
        Some(match kind {
            SinkKind::Webhook => SinkTarget::Webhook {
                url: url?,
                secret: Secret(secret?),
            },
            SinkKind::Scim => SinkTarget::Scim {
                base_url: url?,
                token: Secret(secret?),
            },
            SinkKind::Manual => SinkTarget::Manual,
        })
    }
}

/// A source's configured sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationSink {
    /// The source whose orders it receives.
    pub source_id: SourceId,
    /// Where they go.
    pub target: SinkTarget,
    /// Last configured.
    pub updated: DateTime<Utc>,
    /// By whom.
    pub updated_by: Option<IdentityId>,
}

/// How far an order got: release, delivery attempts, the manual mark and the last scan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderDelivery {
    /// When an administrator released it (applied decisions); `None`: still held.
    pub released_at: Option<DateTime<Utc>>,
    /// Who released it.
    pub released_by: Option<IdentityId>,
    /// The sink its source has now (`MANUAL` when none is configured).
    pub sink: Option<SinkKind>,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed (cleared when an attempt succeeds).
    pub last_error: Option<String>,
    /// When the next delivery attempt is due (`None`: not waiting for one).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the sink accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When a person marked it done.
    pub done_at: Option<DateTime<Utc>>,
    /// Who marked it done.
    pub done_by: Option<IdentityId>,
    /// When a remediation scan last checked it against the warehouse.
    pub scanned_at: Option<DateTime<Utc>>,
}

/// An order with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct RemediationOrder {
    /// The order (its `status` is the one shown everywhere, reports included).
    pub order: ProvisioningOrder,
    /// Its delivery state.
    pub delivery: OrderDelivery,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The sink accepted the order: status SENT.
    Sent,
    /// The sink refused it for good (e.g. a 4xx): status FAILED with the reason.
    Failed(String),
    /// Worth another attempt at `retry_at`; the order stays PENDING with `error` recorded.
    Retry {
        /// Why this attempt failed.
        error: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
}

/// What a remediation scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanOutcome {
    /// Orders whose access is gone (now VERIFIED).
    pub verified: u64,
    /// Released orders whose access is still there (now STILL_PRESENT).
    pub still_present: u64,
    /// Orders not yet released whose access is still there (left PENDING).
    pub held: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let target = SinkTarget::Webhook {
            url: "https://example.test/hook".to_owned(),
            secret: Secret("s3cr3t-value".to_owned()),
        };
        let text = format!("{target:?}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("Secret(***)"));
    }

    #[test]
    fn targets_rebuild_from_their_parts() {
        let scim = SinkTarget::from_parts(
            SinkKind::Scim,
            Some("http://scim.test/v2".to_owned()),
            Some("tok".to_owned()),
        )
        .unwrap();
        assert_eq!(scim.kind(), SinkKind::Scim);
        assert_eq!(scim.url(), Some("http://scim.test/v2"));
        assert_eq!(scim.secret().unwrap().expose(), "tok");
        assert!(SinkTarget::from_parts(SinkKind::Webhook, None, Some("s".to_owned())).is_none());
        assert_eq!(
            SinkTarget::from_parts(SinkKind::Manual, None, None),
            Some(SinkTarget::Manual)
        );
    }
}
