//! Evaluating a parsed [`Filter`] against one record in memory.
//!
//! The stores translate list filters to SQL; this evaluator is for the places where a filter
//! selects records the engine reads itself, such as the identities of a SEARCH campaign
//! (`searchCampaignInfo.query`) or the roles of a ROLE_COMPOSITION campaign. The record is
//! anything that can answer "what is the value of this dotted field" ([`Record`]), so this
//! crate stays free of JSON and of the domain.
//!
//! Semantics, chosen to match what SailPoint users expect of identity searches:
//! - String comparisons (`eq`, `ne`, `in`, `co`, `sw`, `ca`) ignore ASCII and Unicode case;
//!   ordering comparisons (`gt`, `ge`, `lt`, `le`) compare strings by their lower-case form,
//!   which orders RFC 3339 timestamps of one format chronologically.
//! - Identity attributes are strings, so operands are coerced to the field: a number operand
//!   compares numerically with a string field that parses as a number, and a boolean operand
//!   matches the strings `true`/`false` in any case. A string operand compares with a number
//!   or boolean field through the field's text.
//! - A missing or null field satisfies `isnull`, `eq null`, `ne <anything but null>` and
//!   `not ...`; every other comparison with it is false. `pr` is the opposite of `isnull`.
//! - `ca` needs every listed value in the field's list (a scalar field is a list of one);
//!   `in` needs the field equal to one of the listed values.

use std::borrow::Cow;

use super::ast::{Filter, Op, Value};

/// The value of a field in a record, as the evaluator sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// The field is absent or null.
    Null,
    /// A string.
    Str(Cow<'a, str>),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A multi-valued field.
    List(Vec<FieldValue<'a>>),
}

/// Something a filter can be evaluated against.
pub trait Record {
    /// The value of the dotted field `path` (for example `department` or `manager.id`);
    /// [`FieldValue::Null`] when the record has no such field.
    fn field(&self, path: &str) -> FieldValue<'_>;
}

/// Whether `record` satisfies `filter`.
pub fn matches(filter: &Filter, record: &dyn Record) -> bool {
    match filter {
        Filter::And(operands) => operands.iter().all(|f| matches(f, record)),
        Filter::Or(operands) => operands.iter().any(|f| matches(f, record)),
        Filter::Not(operand) => !matches(operand, record),
        Filter::Present(field) => !is_null(&record.field(field)),
        Filter::IsNull(field) => is_null(&record.field(field)),
        Filter::Compare { field, op, value } => compare(&record.field(field), *op, value),
    }
}

fn is_null(value: &FieldValue<'_>) -> bool {
    match value {
        FieldValue::Null => true,
        FieldValue::List(items) => items.is_empty(),
        _ => false,
    }
}

fn compare(field: &FieldValue<'_>, op: Op, operand: &Value) -> bool {
    match op {
        Op::Eq => equals(field, operand),
        Op::Ne => !equals(field, operand),
        Op::In => operand.scalars().iter().any(|v| equals(field, v)),
        Op::Ca => {
            let held: &[FieldValue<'_>] = match field {
                FieldValue::List(items) => items,
                FieldValue::Null => &[],
                scalar => std::slice::from_ref(scalar),
            };
            operand
                .scalars()
                .iter()
                .all(|v| held.iter().any(|h| equals(h, v)))
        }
        Op::Co | Op::Sw => any_scalar(field, |scalar| match (text(scalar), operand.as_str()) {
            (Some(have), Some(want)) => {
                let (have, want) = (have.to_lowercase(), want.to_lowercase());
                if op == Op::Co {
                    have.contains(&want)
                } else {
                    have.starts_with(&want)
                }
            }
            _ => false,
        }),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => any_scalar(field, |scalar| {
            order(scalar, operand).is_some_and(|ordering| match op {
                Op::Gt => ordering.is_gt(),
                Op::Ge => ordering.is_ge(),
                Op::Lt => ordering.is_lt(),
                _ => ordering.is_le(),
            })
        }),
    }
}

/// A list field satisfies a scalar comparison when one of its elements does.
fn any_scalar(field: &FieldValue<'_>, test: impl Fn(&FieldValue<'_>) -> bool) -> bool {
    match field {
        FieldValue::List(items) => items.iter().any(test),
        FieldValue::Null => false,
        scalar => test(scalar),
    }
}

fn text<'v>(value: &'v FieldValue<'_>) -> Option<Cow<'v, str>> {
    match value {
        FieldValue::Str(s) => Some(Cow::Borrowed(s.as_ref())),
        FieldValue::Number(n) => Some(Cow::Owned(n.to_string())),
        FieldValue::Bool(b) => Some(Cow::Owned(b.to_string())),
        FieldValue::Null | FieldValue::List(_) => None,
    }
}

fn equals(field: &FieldValue<'_>, operand: &Value) -> bool {
    match (field, operand) {
        (field, Value::Null) => is_null(field),
        (FieldValue::List(items), operand) => items.iter().any(|item| equals(item, operand)),
        (FieldValue::Null, _) => false,
        (field, Value::List(values)) => values.iter().any(|v| equals(field, v)),
        (field, operand) => order(field, operand).is_some_and(|o| o.is_eq()),
    }
}

/// Orders a scalar field against a scalar operand, coercing as the module documents; `None`
/// when they cannot be compared.
fn order(field: &FieldValue<'_>, operand: &Value) -> Option<std::cmp::Ordering> {
    match (field, operand) {
        (FieldValue::Number(n), Value::Number(m)) => n.partial_cmp(&m.as_f64()),
        (FieldValue::Str(s), Value::Number(m)) => {
            s.trim().parse::<f64>().ok()?.partial_cmp(&m.as_f64())
        }
        (FieldValue::Bool(b), Value::Bool(c)) => Some(b.cmp(c)),
        (FieldValue::Str(s), Value::Bool(c)) => {
            let b = match s.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Some(b.cmp(c))
        }
        (field, Value::String(want)) => {
            let have = text(field)?;
            Some(have.to_lowercase().cmp(&want.to_lowercase()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::filter::parse;

    struct Map(HashMap<&'static str, FieldValue<'static>>);

    impl Record for Map {
        fn field(&self, path: &str) -> FieldValue<'_> {
            self.0.get(path).cloned().unwrap_or(FieldValue::Null)
        }
    }

    fn alice() -> Map {
        let s = |v: &'static str| FieldValue::Str(Cow::Borrowed(v));
        Map(HashMap::from([
            ("name", s("alice")),
            ("department", s("IT")),
            ("costCenter", s("1200")),
            ("active", FieldValue::Bool(true)),
            ("contractor", s("false")),
            ("hired", s("2021-03-01T00:00:00Z")),
            ("groups", FieldValue::List(vec![s("admins"), s("users")])),
        ]))
    }

    fn check(filter: &str) -> bool {
        matches(&parse(filter).expect("filter parses"), &alice())
    }

    #[test]
    fn strings_compare_ignoring_case() {
        assert!(check(r#"department eq "it""#));
        assert!(check(r#"name sw "AL" and name co "ic""#));
        assert!(check(r#"department in ("HR", "IT")"#));
        assert!(!check(r#"department ne "IT""#));
    }

    #[test]
    fn operands_are_coerced_to_the_field() {
        assert!(check("costCenter gt 1000 and costCenter le 1200"));
        assert!(check("active eq true and contractor eq false"));
        assert!(check(r#"active eq "true""#));
        assert!(check(r#"hired lt "2022-01-01T00:00:00Z""#));
        assert!(!check("costCenter eq 1201"));
    }

    #[test]
    fn missing_fields_are_null() {
        assert!(check("title isnull and pr name"));
        assert!(check(r#"title ne "CEO""#));
        assert!(!check(r#"title eq "CEO""#));
        assert!(check("title eq null and not (pr title)"));
    }

    #[test]
    fn lists_match_any_element_and_ca_needs_all() {
        assert!(check(r#"groups eq "admins""#));
        assert!(check(r#"groups ca ("users", "ADMINS")"#));
        assert!(!check(r#"groups ca ("users", "auditors")"#));
        assert!(check(r#"department ca ("IT")"#));
    }
}
