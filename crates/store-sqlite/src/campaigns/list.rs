//! Collection parameters ([`ListQuery`]) as SQL: the parsed `filters` become a parameterised
//! `WHERE` clause, `sorters` an `ORDER BY` with the row id as the last tie-breaker, `limit` and
//! `offset` a `LIMIT ... OFFSET ...`, and `count` a `COUNT(*)` over the same filtered set.
//!
//! Policy: every value is bound, never spliced into the text; only column expressions from a
//! per-endpoint [`Fields`] map (constants in this crate) are. The API has already validated
//! the field names and operators against the endpoint's spec, so a field missing from the map
//! is a bug in this crate, reported as [`StoreError::Database`].
//!
//! Semantics, shared with the PostgreSQL backend:
//! - `eq`/`in` compare exactly (bytewise for text); `ne` is null-safe (`IS NOT`), so rows where
//!   the field is null match `ne`;
//! - `co` and `sw` match case-insensitively (ASCII), as `LIKE` with `%`, `_` and `\` escaped;
//! - `eq null` / `ne null` test for null; `pr` is "not null", `isnull` is "null";
//! - `ca` on these single-valued fields holds when the field equals every listed value;
//! - time values are normalised to the stored fixed-width form before comparing.

use attest_query::{Filter, Op, SortKey, Value};
use attest_store::campaigns::ListQuery;
use attest_store::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};

use crate::codec::encode_time;

/// How a field's values are spelled in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// TEXT.
    Text,
    /// INTEGER (ids shown on the wire as decimal strings are accepted as strings too).
    Int,
    /// 0/1 (or a boolean SQL expression).
    Bool,
    /// A time, stored as fixed-width RFC 3339 TEXT.
    Time,
}

/// One filterable or sortable wire field and the SQL expression that holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// The wire name, e.g. `campaign.id`.
    pub name: &'static str,
    /// A column or expression over the listed table's columns.
    pub sql: &'static str,
    /// How values are stored.
    pub kind: Kind,
}

/// The fields of one endpoint.
pub(crate) type Fields = &'static [Field];

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    /// TEXT.
    Text(String),
    /// INTEGER.
    Int(i64),
    /// REAL.
    Real(f64),
    /// NULL.
    Null,
}

fn field<'f>(fields: Fields, name: &str) -> StoreResult<&'f Field>
where
    'static: 'f,
{
    fields.iter().find(|f| f.name == name).ok_or_else(|| {
        StoreError::Database(format!("field {name:?} cannot be filtered or sorted here"))
    })
}

/// Converts a filter operand to the column's spelling.
fn bound(field: &Field, value: &Value) -> StoreResult<Bound> {
    let refused =
        || StoreError::Database(format!("value {value} does not fit field {:?}", field.name));
    Ok(match (field.kind, value) {
        (_, Value::Null) => Bound::Null,
        (Kind::Text, Value::String(s)) => Bound::Text(s.clone()),
        (Kind::Text, Value::Number(n)) => Bound::Text(n.as_str().to_owned()),
        (Kind::Text, Value::Bool(b)) => Bound::Text(b.to_string()),
        (Kind::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => Bound::Int(i),
            None => Bound::Real(n.as_f64()),
        },
        // Review item and identity summary ids travel as strings; a string that is not a
        // number matches no id.
        (Kind::Int, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Bound::Int(i),
            Err(_) => Bound::Text(s.clone()),
        },
        (Kind::Bool, Value::Bool(b)) => Bound::Int(i64::from(*b)),
        (Kind::Time, Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Bound::Text(encode_time(&t.with_timezone(&Utc))),
            Err(_) => return Err(refused()),
        },
        _ => return Err(refused()),
    })
}

fn push_bound(query: &mut QueryBuilder<'_, Sqlite>, value: Bound) {
    match value {
        Bound::Text(s) => query.push_bind(s),
        Bound::Int(i) => query.push_bind(i),
        Bound::Real(r) => query.push_bind(r),
        Bound::Null => query.push_bind(None::<String>),
    };
}

/// `LIKE` pattern text with the wildcards and the escape character escaped.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Appends `filter` as a parenthesised boolean SQL expression.
pub(crate) fn push_filter(
    query: &mut QueryBuilder<'_, Sqlite>,
    filter: &Filter,
    fields: Fields,
) -> StoreResult<()> {
    match filter {
        Filter::Present(name) => {
            let f = field(fields, name)?;
            query.push(format!("({} IS NOT NULL)", f.sql));
        }
        Filter::IsNull(name) => {
            let f = field(fields, name)?;
            query.push(format!("({} IS NULL)", f.sql));
        }
        Filter::Not(inner) => {
            // NOT over a comparison with a null field is null in SQL; "not" must hold there.
            query.push("(NOT COALESCE(");
            push_filter(query, inner, fields)?;
            query.push(", 0))");
        }
        Filter::And(parts) | Filter::Or(parts) => {
            let joiner = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            query.push("(");
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    query.push(joiner);
                }
                push_filter(query, part, fields)?;
            }
            query.push(")");
        }
        Filter::Compare {
            field: name,
            op,
            value,
        } => {
            let f = field(fields, name)?;
            push_compare(query, f, *op, value)?;
        }
    }
    Ok(())
}

fn push_compare(
    query: &mut QueryBuilder<'_, Sqlite>,
    f: &Field,
    op: Op,
    value: &Value,
) -> StoreResult<()> {
    let col = f.sql;
    match op {
        Op::Eq | Op::Ne if matches!(value, Value::Null) => {
            let test = if op == Op::Eq {
                "IS NULL"
            } else {
                "IS NOT NULL"
            };
            query.push(format!("({col} {test})"));
        }
        Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let sql_op = match op {
                Op::Eq => "=",
                Op::Ne => "IS NOT",
                Op::Gt => ">",
                Op::Ge => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            query.push(format!("({col} {sql_op} "));
            push_bound(query, bound(f, value)?);
            query.push(")");
        }
        Op::Co | Op::Sw => {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let pattern = if op == Op::Co {
                format!("%{}%", like_escape(&text))
            } else {
                format!("{}%", like_escape(&text))
            };
            query.push(format!("({col} LIKE "));
            query.push_bind(pattern);
            query.push(" ESCAPE '\\')");
        }
        Op::In => {
            query.push(format!("({col} IN ("));
            for (i, v) in value.scalars().iter().enumerate() {
                if i > 0 {
                    query.push(", ");
                }
                push_bound(query, bound(f, v)?);
            }
            query.push("))");
        }
        Op::Ca => {
            query.push("(");
            for (i, v) in value.scalars().iter().enumerate() {
                if i > 0 {
                    query.push(" AND ");
                }
                query.push(format!("{col} = "));
                push_bound(query, bound(f, v)?);
            }
            query.push(")");
        }
    }
    Ok(())
}

/// The ` ORDER BY ...` clause for `sort`, or `default` when it is empty, ending with `tie` (the
/// row id) so that pages never overlap.
pub(crate) fn order_by(
    sort: &[SortKey],
    fields: Fields,
    default: &str,
    tie: &str,
) -> StoreResult<String> {
    let mut clause = String::from(" ORDER BY ");
    if sort.is_empty() {
        clause.push_str(default);
        if default != tie {
            clause.push_str(", ");
            clause.push_str(tie);
        }
        return Ok(clause);
    }
    for key in sort {
        let f = field(fields, &key.field)?;
        // Nulls sort first ascending and last descending, as on PostgreSQL with NULLS FIRST.
        let direction = if key.descending { "DESC" } else { "ASC" };
        clause.push_str(&format!("{} {direction}, ", f.sql));
    }
    let last = sort.last().map(|k| k.descending).unwrap_or(false);
    clause.push_str(&format!("{tie} {}", if last { "DESC" } else { "ASC" }));
    Ok(clause)
}

/// Appends ` LIMIT ? OFFSET ?`.
pub(crate) fn push_page(query: &mut QueryBuilder<'_, Sqlite>, list: &ListQuery) {
    query.push(" LIMIT ");
    query.push_bind(i64::from(list.limit));
    query.push(" OFFSET ");
    query.push_bind(i64::try_from(list.offset).unwrap_or(i64::MAX));
}

/// Appends ` AND (filter)` when the query has a filter.
pub(crate) fn push_and_filter(
    query: &mut QueryBuilder<'_, Sqlite>,
    list: &ListQuery,
    fields: Fields,
) -> StoreResult<()> {
    if let Some(filter) = &list.filter {
        query.push(" AND ");
        push_filter(query, filter, fields)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_query::parse_filter;

    const FIELDS: Fields = &[
        Field {
            name: "name",
            sql: "name",
            kind: Kind::Text,
        },
        Field {
            name: "id",
            sql: "id",
            kind: Kind::Int,
        },
        Field {
            name: "completed",
            sql: "(decision IS NOT NULL)",
            kind: Kind::Bool,
        },
        Field {
            name: "created",
            sql: "created",
            kind: Kind::Time,
        },
    ];

    fn sql(filter: &str) -> String {
        let mut q = QueryBuilder::<Sqlite>::new("");
        push_filter(&mut q, &parse_filter(filter).unwrap(), FIELDS).unwrap();
        q.sql().to_owned()
    }

    #[test]
    fn comparisons_become_bound_predicates() {
        assert_eq!(sql(r#"name eq "a""#), "(name = ?)");
        assert_eq!(sql(r#"name ne "a""#), "(name IS NOT ?)");
        assert_eq!(sql(r#"id in ("1", "2")"#), "(id IN (?, ?))");
        assert_eq!(sql("completed eq true"), "((decision IS NOT NULL) = ?)");
        assert_eq!(sql(r#"name co "x""#), "(name LIKE ? ESCAPE '\\')");
        assert_eq!(sql("name eq null"), "(name IS NULL)");
        assert_eq!(sql("pr name"), "(name IS NOT NULL)");
        assert_eq!(sql("name isnull"), "(name IS NULL)");
        assert_eq!(sql(r#"created gt 2026-01-01T00:00:00Z"#), "(created > ?)");
    }

    #[test]
    fn composites_nest_with_parentheses() {
        assert_eq!(
            sql(r#"name eq "a" and (id eq "1" or not completed eq false)"#),
            "((name = ?) AND ((id = ?) OR (NOT COALESCE(((decision IS NOT NULL) = ?), 0))))"
        );
    }

    #[test]
    fn values_are_normalised() {
        let f = &FIELDS[3];
        assert_eq!(
            bound(f, &Value::String("2026-01-01T01:00:00+01:00".into())).unwrap(),
            Bound::Text("2026-01-01T00:00:00.000000000Z".into())
        );
        assert_eq!(
            bound(&FIELDS[1], &Value::String("42".into())).unwrap(),
            Bound::Int(42)
        );
        assert!(bound(f, &Value::String("soon".into())).is_err());
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut q = QueryBuilder::<Sqlite>::new("");
        let refused = push_filter(&mut q, &parse_filter(r#"owner eq "x""#).unwrap(), FIELDS);
        assert!(matches!(refused, Err(StoreError::Database(_))));
    }

    #[test]
    fn order_ends_with_the_tie_breaker() {
        let clause = order_by(&[SortKey::descending("name")], FIELDS, "id", "id").unwrap();
        assert_eq!(clause, " ORDER BY name DESC, id DESC");
        let clause = order_by(&[], FIELDS, "created", "id").unwrap();
        assert_eq!(clause, " ORDER BY created, id");
    }
}
