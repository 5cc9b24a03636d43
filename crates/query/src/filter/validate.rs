//! Per-endpoint filter validation: which fields, operators and values one collection accepts.
//!
//! SailPoint endpoints each document a short list such as "**id**: *eq, in*; **name**: *eq,
//! sw*" and answer anything else with a 400. An endpoint declares that list once as a
//! [`FilterSpec`] constant next to its handler; [`validate`] then walks a parsed [`Filter`] and
//! reports every refusal, not just the first, so the caller can fix the whole filter at once.
//!
//! Policy: a refusal names the field, operator or value exactly as the caller wrote it and,
//! where it helps, what would have been accepted. Identical refusals are reported once, in the
//! order they first occur. An unknown field is refused without looking at its operator or
//! value, and an unsupported operator without looking at its value, so one mistake yields one
//! cause. Field names are matched case-sensitively, as SailPoint's JSON properties are.

use std::fmt;

use super::ast::{Filter, Op, Value};

/// The type a filterable field holds; decides which values a comparison may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Any string, quoted or bare.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An RFC 3339 date-time such as `2026-01-01T00:00:00Z`, quoted or bare.
    Timestamp,
    /// One of a fixed set of strings, matched exactly (e.g. `ACTIVE`, `STAGED`).
    Enum(&'static [&'static str]),
}

impl FieldType {
    /// Whether `value` (a scalar) is acceptable for a field of this type.
    fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (FieldType::String, Value::String(_))
            | (FieldType::Number, Value::Number(_))
            | (FieldType::Boolean, Value::Bool(_)) => true,
            (FieldType::Timestamp, Value::String(s)) => is_rfc3339_date_time(s),
            (FieldType::Enum(allowed), Value::String(s)) => allowed.contains(&s.as_str()),
            _ => false,
        }
    }
}

/// Phrased to complete "value X for field Y is not ...".
impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::String => f.write_str("a string"),
            FieldType::Number => f.write_str("a number"),
            FieldType::Boolean => f.write_str("a boolean (true or false)"),
            FieldType::Timestamp => {
                f.write_str("an RFC 3339 date-time such as 2026-01-01T00:00:00Z")
            }
            FieldType::Enum(allowed) => write!(f, "one of {}", allowed.join(", ")),
        }
    }
}

/// A composite operator, which an endpoint may decline to support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Composite {
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `not`.
    Not,
}

impl Composite {
    /// All composite operators.
    pub const ALL: [Composite; 3] = [Composite::And, Composite::Or, Composite::Not];

    /// The keyword, e.g. `"and"`.
    pub const fn keyword(self) -> &'static str {
        match self {
            Composite::And => "and",
            Composite::Or => "or",
            Composite::Not => "not",
        }
    }
}

impl fmt::Display for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// One filterable field: its name, type and the operators it supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    name: &'static str,
    field_type: FieldType,
    ops: &'static [Op],
    null_checks: bool,
}

impl FieldSpec {
    /// A field that supports the comparison operators `ops`, and neither `pr` nor `isnull`.
    pub const fn new(name: &'static str, field_type: FieldType, ops: &'static [Op]) -> Self {
        FieldSpec {
            name,
            field_type,
            ops,
            null_checks: false,
        }
    }

    /// The same field, also supporting `pr field` and `field isnull`.
    pub const fn with_null_checks(self) -> Self {
        FieldSpec {
            null_checks: true,
            ..self
        }
    }

    /// The field's name as it appears in filters, e.g. `identity.id`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The field's type.
    pub const fn field_type(&self) -> FieldType {
        self.field_type
    }

    /// The comparison operators the field supports.
    pub const fn ops(&self) -> &'static [Op] {
        self.ops
    }

    /// Whether `pr` and `isnull` are supported.
    pub const fn allows_null_checks(&self) -> bool {
        self.null_checks
    }

    /// Every supported operator keyword, for refusal messages.
    fn operator_keywords(&self) -> Vec<&'static str> {
        let mut keywords: Vec<_> = self.ops.iter().map(|op| op.keyword()).collect();
        if self.null_checks {
            keywords.extend(["pr", "isnull"]);
        }
        keywords
    }
}

/// What one endpoint's `filters` parameter accepts.
///
/// ```
/// use attest_query::filter::{FieldSpec, FieldType, FilterSpec, Op};
///
/// const CAMPAIGN_FILTERS: FilterSpec = FilterSpec::new(&[
///     FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
///     FieldSpec::new("name", FieldType::String, &[Op::Eq, Op::Sw]),
///     FieldSpec::new(
///         "status",
///         FieldType::Enum(&["PENDING", "STAGED", "ACTIVE", "COMPLETED"]),
///         &[Op::Eq, Op::In],
///     ),
/// ]);
///
/// let filter = attest_query::parse_filter(r#"name co "Q1" and owner eq "x""#).unwrap();
/// let causes: Vec<String> = CAMPAIGN_FILTERS
///     .validate(&filter)
///     .unwrap_err()
///     .iter()
///     .map(ToString::to_string)
///     .collect();
/// assert_eq!(causes, [
///     "operator \"co\" is not supported for field \"name\"; supported operators are eq, sw",
///     "filter field \"owner\" is not supported; supported fields are id, name, status",
/// ]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterSpec {
    fields: &'static [FieldSpec],
    composites: &'static [Composite],
}

impl FilterSpec {
    /// A spec accepting `fields`, combined with any of `and`, `or` and `not`.
    pub const fn new(fields: &'static [FieldSpec]) -> Self {
        FilterSpec {
            fields,
            composites: &Composite::ALL,
        }
    }

    /// The same spec, accepting only the listed composite operators (SailPoint endpoints often
    /// document "supported composite operators are *and, or*").
    pub const fn with_composites(self, composites: &'static [Composite]) -> Self {
        FilterSpec { composites, ..self }
    }

    /// The filterable fields.
    pub const fn fields(&self) -> &'static [FieldSpec] {
        self.fields
    }

    /// The supported composite operators.
    pub const fn composites(&self) -> &'static [Composite] {
        self.composites
    }

    /// The field called `name`, if it is filterable.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Checks `filter` against this spec; see [`validate`].
    pub fn validate(&self, filter: &Filter) -> Result<(), Vec<FilterRefusal>> {
        validate(filter, self)
    }

    fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|field| field.name).collect()
    }

    fn check(&self, filter: &Filter, refusals: &mut Refusals) {
        match filter {
            Filter::Compare { field, op, value } => {
                let Some(spec) = self.known_field(field, refusals) else {
                    return;
                };
                if !spec.ops.contains(op) {
                    refusals.push(FilterRefusal::UnsupportedOperator {
                        field: field.clone(),
                        operator: op.keyword(),
                        supported: spec.operator_keywords(),
                    });
                    return;
                }
                for scalar in value.scalars() {
                    if matches!(scalar, Value::Null) {
                        refusals.push(FilterRefusal::NullValue {
                            field: field.clone(),
                        });
                    } else if !spec.field_type.accepts(scalar) {
                        refusals.push(FilterRefusal::InvalidValue {
                            field: field.clone(),
                            value: scalar.clone(),
                            expected: spec.field_type,
                        });
                    }
                }
            }
            Filter::Present(field) | Filter::IsNull(field) => {
                let Some(spec) = self.known_field(field, refusals) else {
                    return;
                };
                if !spec.null_checks {
                    let operator = match filter {
                        Filter::Present(_) => "pr",
                        _ => "isnull",
                    };
                    refusals.push(FilterRefusal::UnsupportedOperator {
                        field: field.clone(),
                        operator,
                        supported: spec.operator_keywords(),
                    });
                }
            }
            Filter::And(operands) => self.check_composite(Composite::And, operands, refusals),
            Filter::Or(operands) => self.check_composite(Composite::Or, operands, refusals),
            Filter::Not(operand) => {
                self.check_composite(Composite::Not, std::slice::from_ref(operand), refusals)
            }
        }
    }

    fn check_composite(&self, composite: Composite, operands: &[Filter], refusals: &mut Refusals) {
        if !self.composites.contains(&composite) {
            refusals.push(FilterRefusal::UnsupportedComposite {
                operator: composite,
                supported: self.composites.to_vec(),
            });
        }
        for operand in operands {
            self.check(operand, refusals);
        }
    }

    fn known_field(&self, field: &str, refusals: &mut Refusals) -> Option<&'static FieldSpec> {
        let spec = self.field(field);
        if spec.is_none() {
            refusals.push(FilterRefusal::UnsupportedField {
                field: field.to_owned(),
                supported: self.field_names(),
            });
        }
        spec
    }
}

/// One reason an endpoint refuses a well-formed filter. `Display` is the user-facing cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterRefusal {
    /// The endpoint cannot filter on this field.
    #[error("filter field \"{field}\" is not supported; supported fields are {}", list_or_none(.supported))]
    UnsupportedField {
        /// The field as written.
        field: String,
        /// The fields the endpoint can filter on.
        supported: Vec<&'static str>,
    },
    /// The field cannot be used with this operator (including `pr` and `isnull`).
    #[error(
        "operator \"{operator}\" is not supported for field \"{field}\"; supported operators are {}",
        list_or_none(.supported)
    )]
    UnsupportedOperator {
        /// The field.
        field: String,
        /// The operator keyword, e.g. `"co"` or `"pr"`.
        operator: &'static str,
        /// The operator keywords the field supports.
        supported: Vec<&'static str>,
    },
    /// The endpoint does not combine conditions with this composite operator.
    #[error(
        "composite operator \"{operator}\" is not supported; supported composite operators are {}",
        list_or_none(.supported)
    )]
    UnsupportedComposite {
        /// The composite operator.
        operator: Composite,
        /// The composite operators the endpoint supports.
        supported: Vec<Composite>,
    },
    /// A value does not fit the field's type.
    #[error("value {value} for field \"{field}\" is not {expected}")]
    InvalidValue {
        /// The field.
        field: String,
        /// The offending value (one element, when the operand is a list).
        value: Value,
        /// The field's type.
        expected: FieldType,
    },
    /// `null` was compared against; nullness is tested with `pr` and `isnull` instead.
    #[error("value null is not allowed for field \"{field}\"; test for null with \"{field} isnull\" or \"pr {field}\"")]
    NullValue {
        /// The field.
        field: String,
    },
}

impl FilterRefusal {
    /// The field the refusal is about, if it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            FilterRefusal::UnsupportedField { field, .. }
            | FilterRefusal::UnsupportedOperator { field, .. }
            | FilterRefusal::InvalidValue { field, .. }
            | FilterRefusal::NullValue { field } => Some(field),
            FilterRefusal::UnsupportedComposite { .. } => None,
        }
    }
}

/// Checks a parsed filter against what an endpoint supports, reporting every refusal.
///
/// Returns `Ok(())` when the whole filter is acceptable, and otherwise each distinct
/// [`FilterRefusal`] in the order it occurs in the filter.
pub fn validate(filter: &Filter, spec: &FilterSpec) -> Result<(), Vec<FilterRefusal>> {
    let mut refusals = Refusals(Vec::new());
    spec.check(filter, &mut refusals);
    if refusals.0.is_empty() {
        Ok(())
    } else {
        Err(refusals.0)
    }
}

/// Refusals in first-occurrence order, without repeats.
struct Refusals(Vec<FilterRefusal>);

impl Refusals {
    fn push(&mut self, refusal: FilterRefusal) {
        if !self.0.contains(&refusal) {
            self.0.push(refusal);
        }
    }
}

fn list_or_none<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `s` is an RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, with
/// real calendar dates and `T`/`Z` in either case.
fn is_rfc3339_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let byte_is = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0, 4),
        number(5, 2),
        number(8, 2),
        number(11, 2),
        number(14, 2),
        number(17, 2),
    ) else {
        return false;
    };
    let separators = byte_is(4, b"-")
        && byte_is(7, b"-")
        && byte_is(10, b"Tt")
        && byte_is(13, b":")
        && byte_is(16, b":");
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !separators || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            };
            matches!((two(*h1, *h2), two(*m1, *m2)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    const CAMPAIGN_STATUSES: &[&str] = &["PENDING", "STAGED", "ACTIVE", "COMPLETED"];

    const CAMPAIGNS: FilterSpec = FilterSpec::new(&[
        FieldSpec::new("id", FieldType::String, &[Op::Eq, Op::In]),
        FieldSpec::new("name", FieldType::String, &[Op::Eq, Op::Sw]),
        FieldSpec::new(
            "status",
            FieldType::Enum(CAMPAIGN_STATUSES),
            &[Op::Eq, Op::In],
        ),
        FieldSpec::new("completed", FieldType::Boolean, &[Op::Eq]),
        FieldSpec::new(
            "created",
            FieldType::Timestamp,
            &[Op::Gt, Op::Lt, Op::Ge, Op::Le],
        ),
        FieldSpec::new("itemCount", FieldType::Number, &[Op::Eq, Op::Gt]),
        FieldSpec::new("groups", FieldType::String, &[Op::Ca]),
        FieldSpec::new("due", FieldType::Timestamp, &[Op::Lt]).with_null_checks(),
    ]);

    fn causes(spec: &FilterSpec, input: &str) -> Vec<String> {
        let filter = parse(input).unwrap();
        match spec.validate(&filter) {
            Ok(()) => Vec::new(),
            Err(refusals) => refusals.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn accepts_supported_filters() {
        for input in [
            r#"id eq "2c9180846e85e4b8016eafeba20c1314""#,
            r#"id in ("a", "b") and name sw "Q1""#,
            r#"status in ("ACTIVE", "STAGED") or completed eq true"#,
            "created gt 2026-01-01T00:00:00Z and created lt \"2026-12-31T23:59:59.999+02:00\"",
            "itemCount gt 10",
            r#"groups ca ("Venezia", "Firenze")"#,
            r#"groups ca "Venezia""#,
            "pr due and not due isnull",
        ] {
            assert_eq!(causes(&CAMPAIGNS, input), Vec::<String>::new(), "{input}");
        }
    }

    #[test]
    fn refuses_unknown_fields() {
        assert_eq!(
            causes(&CAMPAIGNS, r#"owner eq "x""#),
            [
                "filter field \"owner\" is not supported; supported fields are \
                 id, name, status, completed, created, itemCount, groups, due"
            ]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "pr owner"),
            causes(&CAMPAIGNS, r#"owner eq "x""#)
        );
        // Field names are case-sensitive.
        assert_eq!(causes(&CAMPAIGNS, r#"Name eq "x""#).len(), 1);
    }

    #[test]
    fn refuses_unsupported_operators() {
        assert_eq!(
            causes(&CAMPAIGNS, r#"name co "Q1""#),
            ["operator \"co\" is not supported for field \"name\"; supported operators are eq, sw"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "pr name"),
            ["operator \"pr\" is not supported for field \"name\"; supported operators are eq, sw"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "name isnull"),
            ["operator \"isnull\" is not supported for field \"name\"; \
                 supported operators are eq, sw"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "due gt 2026-01-01T00:00:00Z"),
            ["operator \"gt\" is not supported for field \"due\"; \
                 supported operators are lt, pr, isnull"]
        );
    }

    #[test]
    fn an_unsupported_operator_hides_its_value_problems() {
        assert_eq!(
            causes(&CAMPAIGNS, "name co 5"),
            ["operator \"co\" is not supported for field \"name\"; supported operators are eq, sw"]
        );
    }

    #[test]
    fn refuses_values_of_the_wrong_type() {
        assert_eq!(
            causes(&CAMPAIGNS, "name eq 123"),
            ["value 123 for field \"name\" is not a string"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, r#"completed eq "yes""#),
            ["value \"yes\" for field \"completed\" is not a boolean (true or false)"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, r#"itemCount gt "ten""#),
            ["value \"ten\" for field \"itemCount\" is not a number"]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "created gt 2026-02-30T00:00:00Z"),
            [
                "value \"2026-02-30T00:00:00Z\" for field \"created\" is not \
                 an RFC 3339 date-time such as 2026-01-01T00:00:00Z"
            ]
        );
        assert_eq!(
            causes(&CAMPAIGNS, "created gt 2018"),
            ["value 2018 for field \"created\" is not \
                 an RFC 3339 date-time such as 2026-01-01T00:00:00Z"]
        );
    }

    #[test]
    fn refuses_enum_values_outside_the_set() {
        assert_eq!(
            causes(&CAMPAIGNS, r#"status in ("ACTIVE", "FOO", "active")"#),
            [
                "value \"FOO\" for field \"status\" is not one of PENDING, STAGED, ACTIVE, COMPLETED",
                "value \"active\" for field \"status\" is not one of PENDING, STAGED, ACTIVE, COMPLETED",
            ]
        );
    }

    #[test]
    fn refuses_null_comparisons() {
        assert_eq!(
            causes(&CAMPAIGNS, "name eq null"),
            ["value null is not allowed for field \"name\"; \
                 test for null with \"name isnull\" or \"pr name\""]
        );
    }

    #[test]
    fn reports_every_refusal_once_in_order() {
        let refusals = CAMPAIGNS
            .validate(
                &parse(
                    r#"owner eq "a" or (name co "b" and status eq "NOPE") or owner eq "c" or not completed eq 1"#,
                )
                .unwrap(),
            )
            .unwrap_err();
        assert_eq!(
            refusals,
            [
                FilterRefusal::UnsupportedField {
                    field: "owner".into(),
                    supported: CAMPAIGNS.field_names(),
                },
                FilterRefusal::UnsupportedOperator {
                    field: "name".into(),
                    operator: "co",
                    supported: vec!["eq", "sw"],
                },
                FilterRefusal::InvalidValue {
                    field: "status".into(),
                    value: "NOPE".into(),
                    expected: FieldType::Enum(CAMPAIGN_STATUSES),
                },
                FilterRefusal::InvalidValue {
                    field: "completed".into(),
                    value: 1.into(),
                    expected: FieldType::Boolean,
                },
            ]
        );
        assert_eq!(refusals[0].field(), Some("owner"));
    }

    #[test]
    fn composites_can_be_restricted() {
        const AND_OR: FilterSpec = CAMPAIGNS.with_composites(&[Composite::And, Composite::Or]);
        assert_eq!(
            causes(&AND_OR, r#"not name eq "x" and not name eq "y""#),
            ["composite operator \"not\" is not supported; \
                 supported composite operators are and, or"]
        );
        const SINGLE: FilterSpec = CAMPAIGNS.with_composites(&[]);
        assert_eq!(
            causes(&SINGLE, r#"name eq "x" or name eq "y""#),
            ["composite operator \"or\" is not supported; supported composite operators are none"]
        );
        let refusal = AND_OR
            .validate(&parse("not completed eq true").unwrap())
            .unwrap_err();
        assert_eq!(refusal[0].field(), None);
    }

    #[test]
    fn spec_accessors_describe_the_endpoint() {
        let status = CAMPAIGNS.field("status").unwrap();
        assert_eq!(status.name(), "status");
        assert_eq!(status.ops(), &[Op::Eq, Op::In]);
        assert_eq!(status.field_type(), FieldType::Enum(CAMPAIGN_STATUSES));
        assert!(!status.allows_null_checks());
        assert!(CAMPAIGNS.field("due").unwrap().allows_null_checks());
        assert!(CAMPAIGNS.field("owner").is_none());
        assert_eq!(CAMPAIGNS.fields().len(), 8);
        assert_eq!(CAMPAIGNS.composites(), &Composite::ALL);
    }

    #[test]
    fn rfc3339_date_times() {
        for ok in [
            "2026-01-01T00:00:00Z",
            "2026-01-01t00:00:00z",
            "2024-02-29T12:30:45.123456Z",
            "2026-06-30T23:59:60+14:00",
            "2026-12-31T23:59:59-05:30",
            "2000-02-29T00:00:00Z",
        ] {
            assert!(is_rfc3339_date_time(ok), "{ok} should be accepted");
        }
        for bad in [
            "",
            "2026",
            "2026-01-01",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:61Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+2:00",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00ZZ",
            "2026-01-01T00:00:00+0200",
            "２026-01-01T00:00:00Z",
        ] {
            assert!(!is_rfc3339_date_time(bad), "{bad} should be refused");
        }
    }
}
