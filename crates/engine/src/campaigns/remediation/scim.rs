//! The SCIM 2.0 sink: one PATCH per order on the source's SCIM service (RFC 7644 §3.5.2).
//!
//! Mapping (how an order's access and holder become SCIM resource ids):
//! - the SCIM **user id** is the native identity of the order's account (`accounts.csv`
//!   `nativeIdentity`), read from the warehouse when the order is delivered;
//! - the SCIM **group id** is the entitlement's `value` (`entitlements.csv` `value`), or the
//!   entitlement's id when it has no value.
//!
//! What is sent:
//! - ENTITLEMENT orders: `PATCH {base}/Groups/{group id}` with
//!   `{"op": "remove", "path": "members[value eq \"{user id}\"]"}`;
//! - ACCOUNT orders: `PATCH {base}/Users/{user id}` with
//!   `{"op": "replace", "path": "active", "value": false}`;
//! - ACCESS_PROFILE and ROLE orders have no single SCIM resource: they fail at once with the
//!   reason (carry them out by hand or through a webhook sink).
//!
//! Policy: the token goes only into the `Authorization` header; transport errors are reported
//! without their URL.

use attest_domain::certification::{ItemAccessType, ProvisioningOrder};
use attest_domain::remediation::Secret;
use attest_domain::{AccountId, EntitlementId};
use serde_json::{json, Value};

use crate::campaigns::Campaigns;
use crate::webhook::{self, Outcome};

/// The SCIM PatchOp message schema.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The SCIM media type.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

fn permanent(reason: impl Into<String>) -> Outcome {
    Outcome::Permanent {
        reason: reason.into(),
        status: None,
    }
}

/// A SCIM filter string literal: `"` and `\` escaped.
fn filter_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The resource path and PATCH body for an order, given its user and group ids.
pub fn patch_for(
    access_type: ItemAccessType,
    user_id: &str,
    group_id: Option<&str>,
) -> Option<(Vec<String>, Value)> {
    match (access_type, group_id) {
        (ItemAccessType::Entitlement, Some(group)) => Some((
            vec!["Groups".to_owned(), group.to_owned()],
            json!({
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [{
                    "op": "remove",
                    "path": format!("members[value eq {}]", filter_string(user_id)),
                }],
            }),
        )),
        (ItemAccessType::Account, _) => Some((
            vec!["Users".to_owned(), user_id.to_owned()],
            json!({
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [{ "op": "replace", "path": "active", "value": false }],
            }),
        )),
        _ => None,
    }
}

/// Sends one order's PATCH and classifies the answer like a webhook's.
pub(super) async fn deliver(
    engine: &Campaigns,
    client: &reqwest::Client,
    base_url: &str,
    token: &Secret,
    order: &ProvisioningOrder,
) -> Outcome {
    if !matches!(
        order.access_type,
        ItemAccessType::Entitlement | ItemAccessType::Account
    ) {
        return permanent(format!(
            "a SCIM sink carries ENTITLEMENT and ACCOUNT revocations; this {} order must be \
             carried out by hand or through a webhook sink",
            order.access_type
        ));
    }
    let account_id = match (&order.account_id, order.access_type) {
        (Some(account), _) => account.clone(),
        (None, ItemAccessType::Account) => AccountId(order.access_id.clone()),
        (None, _) => {
            return permanent(
                "the order names no account, so there is no SCIM user to remove from the group",
            )
        }
    };
    let store = engine.store.as_ref();
    let account = match store.account(&account_id).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            return permanent(format!(
                "account {account_id} is not in the warehouse, so its SCIM user id is unknown"
            ))
        }
        Err(e) => return storage_failed(e),
    };
    let group_id = if order.access_type == ItemAccessType::Entitlement {
        match store
            .entitlement(&EntitlementId(order.access_id.clone()))
            .await
        {
            Ok(entitlement) => Some(
                entitlement
                    .and_then(|e| e.value)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| order.access_id.clone()),
            ),
            Err(e) => return storage_failed(e),
        }
    } else {
        None
    };
    let Some((segments, body)) = patch_for(
        order.access_type,
        &account.native_identity,
        group_id.as_deref(),
    ) else {
        return permanent("no SCIM operation carries this order");
    };
    let mut url = match reqwest::Url::parse(base_url) {
        Ok(url) => url,
        Err(e) => return permanent(format!("the SCIM base URL is not a URL: {e}")),
    };
    match url.path_segments_mut() {
        Ok(mut path) => {
            path.pop_if_empty()
                .extend(segments.iter().map(String::as_str));
        }
        Err(()) => return permanent("the SCIM base URL cannot have a path"),
    }
    let response = client
        .patch(url)
        .bearer_auth(token.expose())
        .header(reqwest::header::CONTENT_TYPE, SCIM_CONTENT_TYPE)
        .header(reqwest::header::ACCEPT, SCIM_CONTENT_TYPE)
        .header(webhook::IDEMPOTENCY_HEADER, order.id.as_str())
        .body(serde_json::to_vec(&body).unwrap_or_default())
        .send()
        .await;
    match response {
        Ok(response) => {
            let status = response.status();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|s| chrono::Duration::seconds(s.clamp(0, webhook::MAX_RETRY_AFTER_SECONDS)));
            let _ = response.bytes().await;
            webhook::classify(status.as_u16(), status.canonical_reason(), retry_after)
        }
        Err(e) => {
            let e = e.without_url();
            let reason = if e.is_timeout() {
                "the SCIM request timed out".to_owned()
            } else if e.is_connect() {
                format!("connection to the SCIM service failed: {e}")
            } else if e.is_builder() {
                return permanent(format!("the SCIM request could not be built: {e}"));
            } else {
                format!("the SCIM request failed: {e}")
            };
            Outcome::Retryable {
                reason,
                status: None,
                retry_after: None,
            }
        }
    }
}

fn storage_failed(e: attest_store::StoreError) -> Outcome {
    tracing::warn!(error = %e, "reading the warehouse for a SCIM order failed");
    Outcome::Retryable {
        reason: "storage failed while preparing the SCIM request (see the server log)".to_owned(),
        status: None,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_follow_rfc_7644() {
        let (path, body) = patch_for(ItemAccessType::Entitlement, "jd\"oe", Some("g-1")).unwrap();
        assert_eq!(path, ["Groups", "g-1"]);
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": "members[value eq \"jd\\\"oe\"]"}],
            })
        );
        let (path, body) = patch_for(ItemAccessType::Account, "u-9", None).unwrap();
        assert_eq!(path, ["Users", "u-9"]);
        assert_eq!(
            body["Operations"][0],
            json!({"op": "replace", "path": "active", "value": false})
        );
        assert!(patch_for(ItemAccessType::Role, "u", Some("g")).is_none());
    }
}
