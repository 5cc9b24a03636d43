//! Rows of the campaign tables as domain records, and the column lists that select them.
//!
//! Policy: a stored value that does not decode into its domain type (an unknown status, a
//! definition that no longer deserialises) is reported as corrupt, never guessed at.

use attest_domain::campaign::Decision;
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::StoreResult;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use crate::error::{corrupt, store_error};

/// Reads column `col` of `row`, a decode failure being corrupt data.
pub(crate) fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(store_error)
}

/// Parses a contract enum stored as text.
pub(crate) fn parse_enum<T: std::str::FromStr>(row: &PgRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = get(row, col)?;
    text.parse().map_err(|e| corrupt(format!("{col}: {e}")))
}

fn opt_id<T: From<String>>(row: &PgRow, col: &str) -> StoreResult<Option<T>> {
    Ok(get::<Option<String>>(row, col)?.map(T::from))
}

/// Columns of [`campaign_from_row`].
pub(crate) const CAMPAIGN_COLUMNS: &str = "id, definition, status, owner_id, created, modified, \
     activated, completed, alerts, certifications_total, certifications_completed, items_total, \
     items_decided, identities_total, source_ids";

pub(crate) fn campaign_from_row(row: &PgRow) -> StoreResult<Campaign> {
    let definition: Json<CampaignDefinition> = get(row, "definition")?;
    let alerts: Json<Vec<CampaignAlert>> = get(row, "alerts")?;
    let source_ids: Vec<String> = get(row, "source_ids")?;
    Ok(Campaign {
        id: CampaignId(get(row, "id")?),
        definition: definition.0,
        status: parse_enum(row, "status")?,
        owner: IdentityId(get(row, "owner_id")?),
        created: get(row, "created")?,
        modified: get(row, "modified")?,
        activated: get(row, "activated")?,
        completed: get(row, "completed")?,
        alerts: alerts.0,
        counts: CampaignCounts {
            certifications_total: get(row, "certifications_total")?,
            certifications_completed: get(row, "certifications_completed")?,
            items_total: get(row, "items_total")?,
            items_decided: get(row, "items_decided")?,
            identities_total: get(row, "identities_total")?,
        },
        source_ids: source_ids.into_iter().map(SourceId).collect(),
    })
}

/// Columns of [`certification_from_row`].
pub(crate) const CERTIFICATION_COLUMNS: &str = "id, campaign_id, campaign_name, campaign_type, \
     name, reviewer_id, reviewer_name, reviewer_email, reviewer_group_id, phase, due, signed, \
     created, modified, reassigned_from_id, reassigned_from_reviewer, reassignment_comment, \
     entitlements_total, entitlements_decided, entitlements_approved, entitlements_revoked, \
     access_profiles_total, access_profiles_decided, access_profiles_approved, \
     access_profiles_revoked, roles_total, roles_decided, roles_approved, roles_revoked, \
     accounts_total, accounts_decided, accounts_approved, accounts_revoked, identities_total, \
     identities_completed";

fn type_counts(row: &PgRow, prefix: &str) -> StoreResult<TypeCounts> {
    Ok(TypeCounts {
        total: get(row, &format!("{prefix}_total"))?,
        decided: get(row, &format!("{prefix}_decided"))?,
        approved: get(row, &format!("{prefix}_approved"))?,
        revoked: get(row, &format!("{prefix}_revoked"))?,
    })
}

/// The counter-column prefix of an access type.
pub(crate) fn counter_prefix(t: ItemAccessType) -> &'static str {
    match t {
        ItemAccessType::Entitlement => "entitlements",
        ItemAccessType::AccessProfile => "access_profiles",
        ItemAccessType::Role => "roles",
        ItemAccessType::Account => "accounts",
    }
}

pub(crate) fn certification_from_row(row: &PgRow) -> StoreResult<Certification> {
    let from_id: Option<String> = get(row, "reassigned_from_id")?;
    let reassignment = match from_id {
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
        campaign_type: parse_enum(row, "campaign_type")?,
        name: get(row, "name")?,
        reviewer: IdentityId(get(row, "reviewer_id")?),
        reviewer_name: get(row, "reviewer_name")?,
        reviewer_email: get(row, "reviewer_email")?,
        reviewer_group: opt_id(row, "reviewer_group_id")?,
        phase: parse_enum(row, "phase")?,
        due: get(row, "due")?,
        signed: get(row, "signed")?,
        created: get(row, "created")?,
        modified: get(row, "modified")?,
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

/// Columns of [`item_from_row`].
pub(crate) const ITEM_COLUMNS: &str = "id, certification_id, campaign_id, identity_summary_id, \
     identity_id, account_id, role_id, holder_name, access_type, access_id, access_name, \
     source_id, source_name, origin, granted_at, recommendation, recommendation_reasons, \
     decision, comments, proposed_end_date, decided_by, decided_at, reassigned_from, \
     reassignment_reason";

/// Reads the value at position `i` of `row` without checking its SQL type against `T`: for
/// the hot decoders whose statements name their columns in a fixed order (see
/// [`item_from_row`]).
pub(crate) fn at<'r, T: sqlx::Decode<'r, sqlx::Postgres>>(
    row: &'r PgRow,
    i: usize,
) -> StoreResult<T> {
    row.try_get_unchecked(i).map_err(store_error)
}

/// [`at`] of an optional id.
pub(crate) fn id_at<T: From<String>>(row: &PgRow, i: usize) -> StoreResult<Option<T>> {
    Ok(at::<Option<String>>(row, i)?.map(T::from))
}

/// A review item read with [`ITEM_COLUMNS`] first in its row: by position, since finding a
/// column by name hashes the name, and without sqlx's check of each value's SQL type against
/// the Rust type (most of what reading a value cost): the columns are this crate's own, in
/// the order [`ITEM_COLUMNS`] gives, and the conformance stories read every one of them back.
/// A page of items is thousands of values.
pub(crate) fn item_from_row(row: &PgRow) -> StoreResult<ReviewItem> {
    fn enum_at<T: std::str::FromStr>(row: &PgRow, i: usize) -> StoreResult<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        at::<Option<&str>>(row, i)?
            .map(|t| {
                t.parse()
                    .map_err(|e| corrupt(format!("{}: {e}", column_name(i))))
            })
            .transpose()
    }
    /// The name [`ITEM_COLUMNS`] gives position `i`, for messages.
    fn column_name(i: usize) -> &'static str {
        ITEM_COLUMNS.split(',').nth(i).map_or("?", str::trim)
    }
    fn required<T>(value: Option<T>, i: usize) -> StoreResult<T> {
        value.ok_or_else(|| corrupt(format!("{} is null", column_name(i))))
    }
    Ok(ReviewItem {
        id: ReviewItemId(at(row, 0)?),
        certification_id: CertificationId(at(row, 1)?),
        campaign_id: CampaignId(at(row, 2)?),
        identity_summary_id: IdentitySummaryId(at(row, 3)?),
        identity_id: id_at(row, 4)?,
        account_id: id_at(row, 5)?,
        role_id: id_at(row, 6)?,
        holder_name: at(row, 7)?,
        access_type: required(enum_at(row, 8)?, 8)?,
        access_id: at(row, 9)?,
        access_name: at(row, 10)?,
        source_id: id_at(row, 11)?,
        source_name: at(row, 12)?,
        origin: required(enum_at(row, 13)?, 13)?,
        granted_at: at(row, 14)?,
        recommendation: enum_at::<Decision>(row, 15)?,
        recommendation_reasons: at(row, 16)?,
        decision: enum_at::<Decision>(row, 17)?,
        comments: at(row, 18)?,
        proposed_end_date: at(row, 19)?,
        decided_by: id_at(row, 20)?,
        decided_at: at(row, 21)?,
        reassigned_from: id_at(row, 22)?,
        reassignment_reason: at(row, 23)?,
    })
}

/// Columns of [`summary_from_row`].
pub(crate) const SUMMARY_COLUMNS: &str =
    "id, certification_id, identity_id, account_id, role_id, name, items_total, items_decided";

pub(crate) fn summary_from_row(row: &PgRow) -> StoreResult<IdentitySummary> {
    Ok(IdentitySummary {
        id: IdentitySummaryId(get(row, "id")?),
        certification_id: CertificationId(get(row, "certification_id")?),
        identity_id: opt_id(row, "identity_id")?,
        account_id: opt_id(row, "account_id")?,
        role_id: opt_id(row, "role_id")?,
        name: get(row, "name")?,
        items_total: get(row, "items_total")?,
        items_decided: get(row, "items_decided")?,
    })
}

/// Columns of [`task_from_row`].
pub(crate) const TASK_COLUMNS: &str =
    "id, type, target_type, target_id, status, errors, payload, trail, attempts, created, run_after";

pub(crate) fn task_from_row(row: &PgRow) -> StoreResult<Task> {
    let errors: Json<Vec<String>> = get(row, "errors")?;
    let payload: Json<serde_json::Value> = get(row, "payload")?;
    let trail: Json<Vec<ReassignmentTrail>> = get(row, "trail")?;
    Ok(Task {
        id: TaskId(get(row, "id")?),
        task_type: parse_enum(row, "type")?,
        target_type: parse_enum(row, "target_type")?,
        target_id: get(row, "target_id")?,
        status: parse_enum(row, "status")?,
        errors: errors.0,
        payload: payload.0,
        reassignment_trail: trail.0,
        attempts: get(row, "attempts")?,
        created: get(row, "created")?,
        run_after: get(row, "run_after")?,
    })
}

/// Columns of [`order_from_row`].
pub(crate) const ORDER_COLUMNS: &str = "id, campaign_id, certification_id, item_id, identity_id, \
     account_id, role_id, holder_name, access_type, access_id, access_name, source_id, reason, \
     decision, reviewer_id, due, status, created";

pub(crate) fn order_from_row(row: &PgRow) -> StoreResult<ProvisioningOrder> {
    Ok(ProvisioningOrder {
        id: OrderId(get(row, "id")?),
        campaign_id: CampaignId(get(row, "campaign_id")?),
        certification_id: CertificationId(get(row, "certification_id")?),
        item_id: ReviewItemId(get(row, "item_id")?),
        identity_id: opt_id(row, "identity_id")?,
        account_id: opt_id(row, "account_id")?,
        role_id: opt_id(row, "role_id")?,
        holder_name: get(row, "holder_name")?,
        access_type: parse_enum(row, "access_type")?,
        access_id: get(row, "access_id")?,
        access_name: get(row, "access_name")?,
        source_id: opt_id(row, "source_id")?,
        reason: get(row, "reason")?,
        decision: parse_enum(row, "decision")?,
        reviewer: opt_id(row, "reviewer_id")?,
        due: get(row, "due")?,
        status: parse_enum(row, "status")?,
        created: get(row, "created")?,
    })
}

/// Columns of [`audit_from_row`].
pub(crate) const AUDIT_COLUMNS: &str = "at, actor_identity_id, actor_client_id, action, \
     campaign_id, certification_id, item_id, detail";

pub(crate) fn audit_from_row(row: &PgRow) -> StoreResult<AuditEvent> {
    let detail: Json<serde_json::Value> = get(row, "detail")?;
    Ok(AuditEvent {
        at: get(row, "at")?,
        actor: Actor {
            identity_id: opt_id(row, "actor_identity_id")?,
            client_id: get(row, "actor_client_id")?,
        },
        action: get(row, "action")?,
        campaign_id: opt_id(row, "campaign_id")?,
        certification_id: opt_id(row, "certification_id")?,
        item_id: get::<Option<i64>>(row, "item_id")?.map(ReviewItemId),
        detail: detail.0,
    })
}

/// Columns of [`identity_from_row`].
pub(crate) const IDENTITY_COLUMNS: &str = "id, name, display_name, email, manager_id, department, \
     title, location, lifecycle_state, active, attributes";

pub(crate) fn identity_from_row(row: &PgRow) -> StoreResult<Identity> {
    let attributes: Json<std::collections::BTreeMap<String, String>> = get(row, "attributes")?;
    Ok(Identity {
        id: IdentityId(get(row, "id")?),
        name: get(row, "name")?,
        display_name: get(row, "display_name")?,
        email: get(row, "email")?,
        manager_id: opt_id(row, "manager_id")?,
        department: get(row, "department")?,
        title: get(row, "title")?,
        location: get(row, "location")?,
        lifecycle_state: get(row, "lifecycle_state")?,
        active: get(row, "active")?,
        attributes: attributes.0,
    })
}
