//! How campaign records are spelled in rows, both ways.
//!
//! Policy: each table has one column list (`*_COLUMNS`) and one decoder here, so every query
//! that returns a record selects the same columns. JSON columns (definitions, alerts, payloads,
//! trails, details) go through [`encode_json`] and the decoders; a stored value that does not
//! decode is [`StoreError::Corrupt`].

use attest_domain::campaign::CampaignStatus;
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::StoreResult;
use sqlx::sqlite::SqliteRow;

use crate::codec::{
    decode_attributes, decode_enum, decode_opt_time, decode_time, get, get_columns,
};
use crate::error::corrupt;

/// SQLite's limit on bound variables in one statement.
const MAX_VARIABLES: usize = 32_766;

/// Most rows in one multi-row statement (see `import.rs` for the measurement behind it).
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// Rows per multi-row statement for `columns` bound columns.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_VARIABLES / columns.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT)
}

/// A value as a JSON column.
macro_rules! encode_json {
    ($what:expr, $value:expr) => {
        serde_json::to_string($value).map_err(|e| {
            attest_store::StoreError::Database(format!("cannot encode {}: {e}", $what))
        })
    };
}
pub(crate) use encode_json;

/// Parses a JSON column.
macro_rules! decode_json {
    ($what:expr, $text:expr) => {
        serde_json::from_str(&$text).map_err(|e| $crate::error::corrupt($what, e))
    };
}
pub(crate) use decode_json;

/// Columns of `campaigns` that [`campaign_from_row`] reads.
pub(crate) const CAMPAIGN_COLUMNS: &str = "id, status, definition, owner_id, created, modified, \
    activated, completed, alerts, source_ids, certifications_total, certifications_completed, \
    items_total, items_decided, identities_total";

pub(crate) fn campaign_from_row(row: &SqliteRow) -> StoreResult<Campaign> {
    let status: String = get(row, "status")?;
    Ok(Campaign {
        id: CampaignId(get(row, "id")?),
        definition: decode_json!("campaign definition", get::<String>(row, "definition")?)?,
        status: decode_enum::<CampaignStatus>("campaign status", &status)?,
        owner: IdentityId(get(row, "owner_id")?),
        created: decode_time(&get::<String>(row, "created")?)?,
        modified: decode_time(&get::<String>(row, "modified")?)?,
        activated: decode_opt_time(get(row, "activated")?)?,
        completed: decode_opt_time(get(row, "completed")?)?,
        alerts: decode_json!("campaign alerts", get::<String>(row, "alerts")?)?,
        counts: CampaignCounts {
            certifications_total: get(row, "certifications_total")?,
            certifications_completed: get(row, "certifications_completed")?,
            items_total: get(row, "items_total")?,
            items_decided: get(row, "items_decided")?,
            identities_total: get(row, "identities_total")?,
        },
        source_ids: decode_json!("campaign sources", get::<String>(row, "source_ids")?)?,
    })
}

/// The column prefix of an access type's counters in `certifications`.
pub(crate) fn counter_prefix(t: ItemAccessType) -> &'static str {
    match t {
        ItemAccessType::Entitlement => "entitlements",
        ItemAccessType::AccessProfile => "access_profiles",
        ItemAccessType::Role => "roles",
        ItemAccessType::Account => "accounts",
    }
}

/// Columns of `certifications` that [`certification_from_row`] reads.
pub(crate) const CERTIFICATION_COLUMNS: &str = "id, campaign_id, campaign_name, campaign_type, \
    name, reviewer_id, reviewer_name, reviewer_email, reviewer_group_id, phase, due, signed, \
    created, modified, reassigned_from_certification, reassigned_from_reviewer, \
    reassignment_comment, entitlements_total, entitlements_decided, entitlements_approved, \
    entitlements_revoked, access_profiles_total, access_profiles_decided, \
    access_profiles_approved, access_profiles_revoked, roles_total, roles_decided, \
    roles_approved, roles_revoked, accounts_total, accounts_decided, accounts_approved, \
    accounts_revoked, identities_total, identities_completed";

/// The bound columns of a certification insert, in the order [`CERTIFICATION_COLUMNS`] names
/// them.
pub(crate) const CERTIFICATION_COLUMN_COUNT: usize = 35;

fn type_counts(row: &SqliteRow, prefix: &str) -> StoreResult<TypeCounts> {
    Ok(TypeCounts {
        total: get(row, &format!("{prefix}_total"))?,
        decided: get(row, &format!("{prefix}_decided"))?,
        approved: get(row, &format!("{prefix}_approved"))?,
        revoked: get(row, &format!("{prefix}_revoked"))?,
    })
}

pub(crate) fn certification_from_row(row: &SqliteRow) -> StoreResult<Certification> {
    let from: Option<String> = get(row, "reassigned_from_certification")?;
    let reassignment = match from {
        Some(from) => Some(ReassignmentRecord {
            from_certification: CertificationId(from),
            from_reviewer: IdentityId(
                get::<Option<String>>(row, "reassigned_from_reviewer")?.unwrap_or_default(),
            ),
            comment: get::<Option<String>>(row, "reassignment_comment")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Certification {
        id: CertificationId(get(row, "id")?),
        campaign_id: CampaignId(get(row, "campaign_id")?),
        campaign_name: get(row, "campaign_name")?,
        campaign_type: decode_enum("campaign type", &get::<String>(row, "campaign_type")?)?,
        name: get(row, "name")?,
        reviewer: IdentityId(get(row, "reviewer_id")?),
        reviewer_name: get(row, "reviewer_name")?,
        reviewer_email: get(row, "reviewer_email")?,
        reviewer_group: get::<Option<String>>(row, "reviewer_group_id")?.map(GovernanceGroupId),
        phase: decode_enum("certification phase", &get::<String>(row, "phase")?)?,
        due: decode_opt_time(get(row, "due")?)?,
        signed: decode_opt_time(get(row, "signed")?)?,
        created: decode_time(&get::<String>(row, "created")?)?,
        modified: decode_time(&get::<String>(row, "modified")?)?,
        reassignment,
        counts: CertificationCounts {
            entitlements: type_counts(row, "entitlements")?,
            access_profiles: type_counts(row, "access_profiles")?,
            roles: type_counts(row, "roles")?,
            accounts: type_counts(row, "accounts")?,
            identities_total: get(row, "identities_total")?,
            identities_completed: get(row, "identities_completed")?,
        },
    })
}

/// The select list that reads an identity summary as one value (see [`ITEM_JSON`] for why):
/// a JSON array named `summary` that [`identity_summary_from_row`] decodes.
pub(crate) const SUMMARY_JSON: &str = "json_array(id, certification_id, identity_id, \
    account_id, role_id, name, items_total, items_decided) AS summary";

/// The columns of an identity summary as [`SUMMARY_JSON`] sends them.
#[derive(serde::Deserialize)]
pub(crate) struct SummaryColumns(
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

/// An identity summary read with [`SUMMARY_JSON`].
pub(crate) fn identity_summary_from_row(row: &SqliteRow) -> StoreResult<IdentitySummary> {
    identity_summary_from_columns(get_columns(row, "summary", "identity summary row")?)
}

/// An identity summary from its [`SUMMARY_JSON`] columns.
pub(crate) fn identity_summary_from_columns(
    columns: SummaryColumns,
) -> StoreResult<IdentitySummary> {
    let SummaryColumns(
        id,
        certification_id,
        identity_id,
        account_id,
        role_id,
        name,
        items_total,
        items_decided,
    ) = columns;
    Ok(IdentitySummary {
        id: IdentitySummaryId(id),
        certification_id: CertificationId(certification_id),
        identity_id: identity_id.map(IdentityId),
        account_id: account_id.map(AccountId),
        role_id: role_id.map(RoleId),
        name,
        items_total,
        items_decided,
    })
}

/// Columns of `review_items`, in insert order; [`ITEM_JSON`] reads them in this order.
pub(crate) const ITEM_COLUMNS: &str = "id, certification_id, campaign_id, identity_summary_id, \
    identity_id, account_id, role_id, holder_name, access_type, access_id, access_name, \
    source_id, source_name, origin, granted_at, recommendation, recommendation_reasons, \
    decision, comments, proposed_end_date, decided_by, decided_at, reassigned_from, \
    reassignment_reason";

/// How many columns [`ITEM_COLUMNS`] names.
pub(crate) const ITEM_COLUMN_COUNT: usize = 24;

fn opt_enum<T>(what: &str, text: Option<String>) -> StoreResult<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.as_deref().map(|t| decode_enum(what, t)).transpose()
}

/// The select list that reads a review item as one value: a JSON array of [`ITEM_COLUMNS`],
/// in their order, named `item`. A row crosses from the connection's thread value by value,
/// each value copied; one value instead of twenty-four is most of what reading a page of
/// items costs. [`item_from_row`] decodes it.
pub(crate) const ITEM_JSON: &str = "json_array(id, certification_id, campaign_id, \
    identity_summary_id, identity_id, account_id, role_id, holder_name, access_type, access_id, \
    access_name, source_id, source_name, origin, granted_at, recommendation, \
    recommendation_reasons, decision, comments, proposed_end_date, decided_by, decided_at, \
    reassigned_from, reassignment_reason) AS item";

/// The columns of a review item as [`ITEM_JSON`] sends them.
#[derive(serde::Deserialize)]
pub(crate) struct ItemColumns(
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A review item read with [`ITEM_JSON`].
pub(crate) fn item_from_row(row: &SqliteRow) -> StoreResult<ReviewItem> {
    item_from_columns(get_columns(row, "item", "review item row")?)
}

/// A review item from its [`ITEM_JSON`] columns.
pub(crate) fn item_from_columns(columns: ItemColumns) -> StoreResult<ReviewItem> {
    let ItemColumns(
        id,
        certification_id,
        campaign_id,
        identity_summary_id,
        identity_id,
        account_id,
        role_id,
        holder_name,
        access_type,
        access_id,
        access_name,
        source_id,
        source_name,
        origin,
        granted_at,
        recommendation,
        reasons,
        decision,
        comments,
        proposed_end_date,
        decided_by,
        decided_at,
        reassigned_from,
        reassignment_reason,
    ) = columns;
    Ok(ReviewItem {
        id: ReviewItemId(id),
        certification_id: CertificationId(certification_id),
        campaign_id: CampaignId(campaign_id),
        identity_summary_id: IdentitySummaryId(identity_summary_id),
        identity_id: identity_id.map(IdentityId),
        account_id: account_id.map(AccountId),
        role_id: role_id.map(RoleId),
        holder_name,
        access_type: decode_enum("access type", &access_type)?,
        access_id,
        access_name,
        source_id: source_id.map(SourceId),
        source_name,
        origin: decode_enum("origin", &origin)?,
        granted_at: decode_opt_time(granted_at)?,
        recommendation: opt_enum("recommendation", recommendation)?,
        recommendation_reasons: if reasons == "[]" {
            Vec::new()
        } else {
            decode_json!("recommendation reasons", reasons)?
        },
        decision: opt_enum("decision", decision)?,
        comments,
        proposed_end_date: decode_opt_time(proposed_end_date)?,
        decided_by: decided_by.map(IdentityId),
        decided_at: decode_opt_time(decided_at)?,
        reassigned_from: reassigned_from.map(CertificationId),
        reassignment_reason,
    })
}

/// Columns of `tasks` that [`task_from_row`] reads.
pub(crate) const TASK_COLUMNS: &str = "id, task_type, target_type, target_id, status, errors, \
    payload, trail, attempts, created, run_after";

pub(crate) fn task_from_row(row: &SqliteRow) -> StoreResult<Task> {
    Ok(Task {
        id: TaskId(get(row, "id")?),
        task_type: decode_enum("task type", &get::<String>(row, "task_type")?)?,
        target_type: decode_enum("task target", &get::<String>(row, "target_type")?)?,
        target_id: get(row, "target_id")?,
        status: decode_enum("task status", &get::<String>(row, "status")?)?,
        errors: decode_json!("task errors", get::<String>(row, "errors")?)?,
        payload: decode_json!("task payload", get::<String>(row, "payload")?)?,
        reassignment_trail: decode_json!("task trail", get::<String>(row, "trail")?)?,
        attempts: get(row, "attempts")?,
        created: decode_time(&get::<String>(row, "created")?)?,
        run_after: decode_time(&get::<String>(row, "run_after")?)?,
    })
}

/// Columns of `provisioning_orders` that [`order_from_row`] reads.
pub(crate) const ORDER_COLUMNS: &str = "id, campaign_id, certification_id, item_id, identity_id, \
    account_id, role_id, holder_name, access_type, access_id, access_name, source_id, reason, \
    decision, reviewer, due, status, created";

pub(crate) fn order_from_row(row: &SqliteRow) -> StoreResult<ProvisioningOrder> {
    Ok(ProvisioningOrder {
        id: OrderId(get(row, "id")?),
        campaign_id: CampaignId(get(row, "campaign_id")?),
        certification_id: CertificationId(get(row, "certification_id")?),
        item_id: ReviewItemId(get(row, "item_id")?),
        identity_id: get::<Option<String>>(row, "identity_id")?.map(IdentityId),
        account_id: get::<Option<String>>(row, "account_id")?.map(AccountId),
        role_id: get::<Option<String>>(row, "role_id")?.map(RoleId),
        holder_name: get(row, "holder_name")?,
        access_type: decode_enum("access type", &get::<String>(row, "access_type")?)?,
        access_id: get(row, "access_id")?,
        access_name: get(row, "access_name")?,
        source_id: get::<Option<String>>(row, "source_id")?.map(SourceId),
        reason: get(row, "reason")?,
        decision: decode_enum("decision", &get::<String>(row, "decision")?)?,
        reviewer: get::<Option<String>>(row, "reviewer")?.map(IdentityId),
        due: decode_time(&get::<String>(row, "due")?)?,
        status: decode_enum("order status", &get::<String>(row, "status")?)?,
        created: decode_time(&get::<String>(row, "created")?)?,
    })
}

/// Columns of `audit_events` that [`audit_from_row`] reads.
pub(crate) const AUDIT_COLUMNS: &str = "at, actor_identity_id, actor_client_id, action, \
    campaign_id, certification_id, item_id, detail";

pub(crate) fn audit_from_row(row: &SqliteRow) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        at: decode_time(&get::<String>(row, "at")?)?,
        actor: Actor {
            identity_id: get::<Option<String>>(row, "actor_identity_id")?.map(IdentityId),
            client_id: get(row, "actor_client_id")?,
        },
        action: get(row, "action")?,
        campaign_id: get::<Option<String>>(row, "campaign_id")?.map(CampaignId),
        certification_id: get::<Option<String>>(row, "certification_id")?.map(CertificationId),
        item_id: get::<Option<i64>>(row, "item_id")?.map(ReviewItemId),
        detail: decode_json!("audit detail", get::<String>(row, "detail")?)?,
    })
}

/// A count that must not be negative.
pub(crate) fn unsigned(n: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(n).map_err(|e| corrupt(what, e))
}

pub(crate) fn identity_from_row(row: &SqliteRow) -> StoreResult<Identity> {
    Ok(Identity {
        id: IdentityId(get(row, "id")?),
        name: get(row, "name")?,
        display_name: get(row, "display_name")?,
        email: get(row, "email")?,
        manager_id: get::<Option<String>>(row, "manager_id")?.map(IdentityId),
        department: get(row, "department")?,
        title: get(row, "title")?,
        location: get(row, "location")?,
        lifecycle_state: get(row, "lifecycle_state")?,
        active: get(row, "active")?,
        attributes: decode_attributes(&get::<String>(row, "attributes")?)?,
    })
}
