//! Collection parameters ([`ListQuery`]) as SQL: the parsed `filters` become a parameterised
//! `WHERE` condition, `sorters` an `ORDER BY` with `id` as the last tie-breaker, paging
//! `LIMIT`/`OFFSET`.
//!
//! Policy: every value is bound, never spliced into the text; only column expressions from a
//! per-endpoint [`FieldMap`] (constants in this crate) are. The API has already validated field
//! names, operators and value types against the endpoint's spec, so a field missing from the
//! map is a mismatch between the API and this crate and is reported as a database error naming
//! the field.
//!
//! Semantics, shared with the SQLite backend: `eq`, `in` and the orderings compare exactly
//! (byte order; identifiers keep their indexes); `co` and `sw` ignore case; `ne` is null-safe
//! (a null column matches it), `eq null`/`ne null` test for null; `ca` on these single-valued
//! fields holds when the field equals every listed value; `not` of a comparison with a null
//! column holds.

use attest_query::{Filter, Op, SortKey, Value};
use attest_store::campaigns::ListQuery;
use attest_store::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

/// What a column holds, which decides how operands are bound and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text: compared exactly (byte order, the "C" collation), except by `co` and `sw`.
    Text,
    /// A `bigint` shown on the wire as a decimal string.
    Int,
    /// A `timestamptz`.
    Time,
    /// A boolean expression.
    Bool,
}

/// One filterable or sortable field: its wire name, the SQL expression and its kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// The wire name, e.g. `campaign.id`.
    pub name: &'static str,
    /// The SQL expression over the listed relation.
    pub expr: &'static str,
    /// How to compare.
    pub kind: Kind,
}

/// The fields of one endpoint.
pub(crate) type FieldMap = &'static [Field];

const fn field(name: &'static str, expr: &'static str, kind: Kind) -> Field {
    Field { name, expr, kind }
}

/// `GET /campaigns`.
pub(crate) const CAMPAIGN_FIELDS: FieldMap = &[
    field("id", "id", Kind::Text),
    field("name", "name", Kind::Text),
    field("status", "status", Kind::Text),
    field("type", "type", Kind::Text),
    field("created", "created", Kind::Time),
    field("modified", "modified", Kind::Time),
    field("deadline", "deadline", Kind::Time),
];

/// Whether every item of a certification is decided, over the counter columns.
const CERTIFICATION_COMPLETED: &str = "(entitlements_decided + access_profiles_decided \
     + roles_decided + accounts_decided >= entitlements_total + access_profiles_total \
     + roles_total + accounts_total)";

/// `GET /certifications`.
pub(crate) const CERTIFICATION_FIELDS: FieldMap = &[
    field("id", "id", Kind::Text),
    field("campaign.id", "campaign_id", Kind::Text),
    field("phase", "phase", Kind::Text),
    field("completed", CERTIFICATION_COMPLETED, Kind::Bool),
    field("name", "name", Kind::Text),
    field("due", "due", Kind::Time),
    field("signed", "signed", Kind::Time),
    field("created", "created", Kind::Time),
    field("modified", "modified", Kind::Time),
    field("campaign.name", "campaign_name", Kind::Text),
    field("reviewer.id", "reviewer_id", Kind::Text),
    field("reviewer.name", "reviewer_name", Kind::Text),
    field("campaign.campaignType", "campaign_type", Kind::Text),
];

/// `GET /certifications/{id}/access-review-items`.
pub(crate) const ITEM_FIELDS: FieldMap = &[
    field("id", "id", Kind::Int),
    field("type", "access_type", Kind::Text),
    field("access.type", "access_type", Kind::Text),
    field("completed", "(decision IS NOT NULL)", Kind::Bool),
    field("identitySummary.id", "identity_summary_id", Kind::Int),
    field("identitySummary.identityId", "identity_id", Kind::Text),
    field("identitySummary.name", "holder_name", Kind::Text),
    field("access.id", "access_id", Kind::Text),
    field("access.name", "access_name", Kind::Text),
    field("access.displayName", "access_name", Kind::Text),
    field(
        "entitlement.sourceName",
        "(CASE WHEN access_type = 'ENTITLEMENT' THEN source_name END)",
        Kind::Text,
    ),
    field(
        "accessProfile.sourceName",
        "(CASE WHEN access_type = 'ACCESS_PROFILE' THEN source_name END)",
        Kind::Text,
    ),
    field("decision", "decision", Kind::Text),
];

/// `GET /certifications/{id}/access-summaries/{type}`.
pub(crate) const ACCESS_SUMMARY_FIELDS: FieldMap = &[
    field("id", "id", Kind::Int),
    field("access.id", "access_id", Kind::Text),
    field("access.name", "access_name", Kind::Text),
    field("access.displayName", "access_name", Kind::Text),
    field(
        "entitlement.sourceName",
        "(CASE WHEN access_type = 'ENTITLEMENT' THEN source_name END)",
        Kind::Text,
    ),
    field(
        "accessProfile.sourceName",
        "(CASE WHEN access_type = 'ACCESS_PROFILE' THEN source_name END)",
        Kind::Text,
    ),
    // Every item of the access in the certification is decided (computed by the list's
    // sub-select).
    field("completed", "all_decided", Kind::Bool),
    // Attest governs no cloud resources.
    field("cloudGoverned", "FALSE", Kind::Bool),
];

/// `GET /certifications/{id}/identity-summaries`.
pub(crate) const SUMMARY_FIELDS: FieldMap = &[
    field("id", "id", Kind::Int),
    field("completed", "(items_decided >= items_total)", Kind::Bool),
    field("identityId", "identity_id", Kind::Text),
    field("name", "name", Kind::Text),
];

/// `GET /certification-tasks`.
pub(crate) const TASK_FIELDS: FieldMap = &[
    field("id", "id", Kind::Text),
    field("targetId", "target_id", Kind::Text),
    field("type", "type", Kind::Text),
    field("status", "status", Kind::Text),
    field("created", "created", Kind::Time),
];

/// `GET /certifications/{id}/reviewers` (identities).
pub(crate) const REVIEWER_FIELDS: FieldMap = &[
    field("id", "id", Kind::Text),
    field("name", "name", Kind::Text),
    field("email", "email", Kind::Text),
    field("displayName", "display_name", Kind::Text),
];

fn lookup(map: FieldMap, name: &str) -> StoreResult<&'static Field> {
    map.iter().find(|f| f.name == name).ok_or_else(|| {
        StoreError::Database(format!(
            "field {name:?} is not filterable or sortable here (the API accepted a field this \
             store does not map)"
        ))
    })
}

/// Appends ` AND (<filter>)` for `query.filter`, if any.
pub(crate) fn push_filter(
    qb: &mut QueryBuilder<'_, Postgres>,
    map: FieldMap,
    filter: Option<&Filter>,
) -> StoreResult<()> {
    if let Some(filter) = filter {
        qb.push(" AND ");
        push_condition(qb, map, filter)?;
    }
    Ok(())
}

/// Appends ` ORDER BY ...` for `sort` (or the SQL `default` when it is empty; `""` for none),
/// always ending with `tiebreak` so that paging is stable.
pub(crate) fn push_order(
    qb: &mut QueryBuilder<'_, Postgres>,
    map: FieldMap,
    sort: &[SortKey],
    default: &str,
    tiebreak: &str,
) -> StoreResult<()> {
    qb.push(" ORDER BY ");
    if sort.is_empty() {
        if !default.is_empty() {
            qb.push(default);
            qb.push(", ");
        }
    } else {
        for key in sort {
            let f = lookup(map, &key.field)?;
            qb.push(f.expr);
            qb.push(if key.descending {
                " DESC NULLS LAST, "
            } else {
                " ASC NULLS FIRST, "
            });
        }
    }
    qb.push(tiebreak);
    Ok(())
}

/// Appends ` LIMIT .. OFFSET ..` for the query's page.
pub(crate) fn push_page(qb: &mut QueryBuilder<'_, Postgres>, query: &ListQuery) {
    qb.push(" LIMIT ");
    qb.push_bind(i64::from(query.limit));
    qb.push(" OFFSET ");
    qb.push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
}

fn push_condition(
    qb: &mut QueryBuilder<'_, Postgres>,
    map: FieldMap,
    filter: &Filter,
) -> StoreResult<()> {
    match filter {
        Filter::And(operands) | Filter::Or(operands) => {
            let joiner = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            qb.push("(");
            for (i, operand) in operands.iter().enumerate() {
                if i > 0 {
                    qb.push(joiner);
                }
                push_condition(qb, map, operand)?;
            }
            qb.push(")");
        }
        Filter::Not(operand) => {
            // `not` of a comparison with a null column is true (as in the evaluator), so the
            // operand's SQL NULL is turned into false first.
            qb.push("(NOT coalesce(");
            push_condition(qb, map, operand)?;
            qb.push(", FALSE))");
        }
        Filter::Present(name) => {
            let f = lookup(map, name)?;
            qb.push(format!("({} IS NOT NULL)", f.expr));
        }
        Filter::IsNull(name) => {
            let f = lookup(map, name)?;
            qb.push(format!("({} IS NULL)", f.expr));
        }
        Filter::Compare { field, op, value } => {
            let f = lookup(map, field)?;
            push_compare(qb, f, *op, value)?;
        }
    }
    Ok(())
}

/// A scalar operand bound as the column's type; `None` when it can never match (a non-numeric
/// id, say), which makes the comparison false rather than an error.
enum Operand {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    Bool(bool),
    Null,
}

fn operand(kind: Kind, value: &Value) -> Option<Operand> {
    let text = match value {
        Value::Null => return Some(Operand::Null),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_str().to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::List(_) => return None,
    };
    match kind {
        Kind::Text => Some(Operand::Text(text)),
        Kind::Int => text.trim().parse().ok().map(Operand::Int),
        Kind::Time => DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| Operand::Time(t.with_timezone(&Utc))),
        Kind::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Operand::Bool(true)),
            "false" => Some(Operand::Bool(false)),
            _ => None,
        },
    }
}

fn push_operand(qb: &mut QueryBuilder<'_, Postgres>, operand: Operand) {
    match operand {
        Operand::Text(s) => {
            qb.push_bind(s);
        }
        Operand::Int(n) => {
            qb.push_bind(n);
        }
        Operand::Time(t) => {
            qb.push_bind(t);
        }
        Operand::Bool(b) => {
            qb.push_bind(b);
        }
        Operand::Null => {
            qb.push("NULL");
        }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE` pattern.
fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn push_compare(
    qb: &mut QueryBuilder<'_, Postgres>,
    f: &Field,
    op: Op,
    value: &Value,
) -> StoreResult<()> {
    let column = f.expr;
    match op {
        Op::In | Op::Ca => {
            let scalars = value.scalars();
            let operands: Vec<Operand> =
                scalars.iter().filter_map(|v| operand(f.kind, v)).collect();
            if op == Op::Ca && operands.len() < scalars.len() {
                // A value that can never match: a scalar field cannot hold all of them.
                qb.push("FALSE");
                return Ok(());
            }
            let has_null = operands.iter().any(|o| matches!(o, Operand::Null));
            let values: Vec<Operand> = operands
                .into_iter()
                .filter(|o| !matches!(o, Operand::Null))
                .collect();
            qb.push("(");
            if values.is_empty() {
                qb.push("FALSE");
            } else {
                // One equality per value keeps each bound with its own type; lists are short.
                let joiner = if op == Op::In { " OR " } else { " AND " };
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        qb.push(joiner);
                    }
                    qb.push(format!("{column} = "));
                    push_operand(qb, v);
                }
            }
            if has_null {
                qb.push(if op == Op::In { " OR " } else { " AND " });
                qb.push(format!("{} IS NULL", f.expr));
            }
            qb.push(")");
        }
        Op::Co | Op::Sw => {
            let s = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let pattern = if op == Op::Co {
                format!("%{}%", like_literal(&s.to_lowercase()))
            } else {
                format!("{}%", like_literal(&s.to_lowercase()))
            };
            qb.push(format!("(lower({}::text) LIKE ", f.expr));
            qb.push_bind(pattern);
            qb.push(" ESCAPE '\\')");
        }
        Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let Some(v) = operand(f.kind, value) else {
                // `ne` an impossible value holds for every row; anything else for none.
                qb.push(if op == Op::Ne { "TRUE" } else { "FALSE" });
                return Ok(());
            };
            if matches!(v, Operand::Null) {
                qb.push(match op {
                    Op::Eq => format!("({} IS NULL)", f.expr),
                    Op::Ne => format!("({} IS NOT NULL)", f.expr),
                    _ => "FALSE".to_owned(),
                });
                return Ok(());
            }
            let sql_op = match op {
                Op::Eq => "=",
                Op::Ne => "IS DISTINCT FROM",
                Op::Gt => ">",
                Op::Ge => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            qb.push(format!("({column} {sql_op} "));
            push_operand(qb, v);
            qb.push(")");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_query::parse_filter;

    fn sql(map: FieldMap, filter: &str) -> String {
        let parsed = parse_filter(filter).expect("valid filter");
        let mut qb = QueryBuilder::<Postgres>::new("SELECT * FROM t WHERE TRUE");
        push_filter(&mut qb, map, Some(&parsed)).expect("translates");
        qb.sql().to_owned()
    }

    #[test]
    fn comparisons_bind_values_and_map_fields() {
        assert_eq!(
            sql(CAMPAIGN_FIELDS, r#"status eq "ACTIVE""#),
            "SELECT * FROM t WHERE TRUE AND (status = $1)"
        );
        assert_eq!(
            sql(
                CERTIFICATION_FIELDS,
                r#"campaign.id eq "c1" and reviewer.name sw "Al""#
            ),
            "SELECT * FROM t WHERE TRUE AND ((campaign_id = $1) AND \
             (lower(reviewer_name::text) LIKE $2 ESCAPE '\\'))"
        );
        assert_eq!(
            sql(CAMPAIGN_FIELDS, r#"name ne "Q1""#),
            "SELECT * FROM t WHERE TRUE AND (name IS DISTINCT FROM $1)"
        );
    }

    #[test]
    fn lists_nulls_and_negation() {
        assert_eq!(
            sql(CAMPAIGN_FIELDS, r#"status in ("ACTIVE", "STAGED")"#),
            "SELECT * FROM t WHERE TRUE AND (status = $1 OR status = $2)"
        );
        assert_eq!(
            sql(CERTIFICATION_FIELDS, "signed isnull or pr due"),
            "SELECT * FROM t WHERE TRUE AND ((signed IS NULL) OR (due IS NOT NULL))"
        );
        assert_eq!(
            sql(CAMPAIGN_FIELDS, r#"not deadline eq null"#),
            "SELECT * FROM t WHERE TRUE AND (NOT coalesce((deadline IS NULL), FALSE))"
        );
    }

    #[test]
    fn typed_operands() {
        assert_eq!(
            sql(ITEM_FIELDS, r#"id eq "12" and completed eq false"#),
            "SELECT * FROM t WHERE TRUE AND ((id = $1) AND ((decision IS NOT NULL) = $2))"
        );
        // A non-numeric id can match nothing.
        assert_eq!(
            sql(ITEM_FIELDS, r#"id eq "x""#),
            "SELECT * FROM t WHERE TRUE AND FALSE"
        );
        assert_eq!(
            sql(CAMPAIGN_FIELDS, "created gt 2026-01-01T00:00:00Z"),
            "SELECT * FROM t WHERE TRUE AND (created > $1)"
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn order_ends_with_the_tiebreak_and_unknown_fields_are_errors() {
        let mut qb = QueryBuilder::<Postgres>::new("SELECT 1");
        push_order(
            &mut qb,
            CAMPAIGN_FIELDS,
            &[SortKey::descending("created"), SortKey::ascending("name")],
            "created",
            "id",
        )
        .expect("sorts");
        assert_eq!(
            qb.sql(),
            "SELECT 1 ORDER BY created DESC NULLS LAST, name ASC NULLS FIRST, id"
        );
        let mut qb = QueryBuilder::<Postgres>::new("SELECT 1");
        assert!(push_order(
            &mut qb,
            CAMPAIGN_FIELDS,
            &[SortKey::ascending("owner")],
            "id",
            "id"
        )
        .is_err());
    }
}
