//! The filter syntax tree and its canonical rendering.
//!
//! `Display` renders canonical filter syntax: lowercase keywords, every string quoted and
//! escaped, lists written `("A", "B")`, and parentheses only where precedence or grouping
//! needs them. For any tree the parser can produce, parsing the rendering gives the same tree.

use std::fmt;

/// A parsed `filters` expression.
///
/// The parser guarantees these shapes, and the canonical rendering relies on them to
/// round-trip: [`Filter::And`] and [`Filter::Or`] hold at least two operands; a
/// [`Filter::Compare`] with [`Op::In`] or [`Op::Ca`] holds a non-empty [`Value::List`] of
/// scalars, and one with any other operator holds a scalar. Parenthesised groups are kept as
/// nested nodes (`(a and b) and c` is an `And` inside an `And`), so the tree mirrors the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `field op value`, e.g. `name eq "Q1 review"` or `status in ("ACTIVE", "STAGED")`.
    Compare {
        /// The dotted field path, e.g. `identity.id`.
        field: String,
        /// The comparison operator.
        op: Op,
        /// The right-hand operand.
        value: Value,
    },
    /// `pr field`: the field is present, that is, not null.
    Present(String),
    /// `field isnull`: the field is null.
    IsNull(String),
    /// Every operand holds.
    And(Vec<Filter>),
    /// At least one operand holds.
    Or(Vec<Filter>),
    /// The operand does not hold.
    Not(Box<Filter>),
}

/// A comparison operator of the form `field op value`.
///
/// `pr` and `isnull` are not here: they take no value and have their own [`Filter`] variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
    /// `co`: contains the value as a substring (strings only).
    Co,
    /// `sw`: starts with the value (strings only).
    Sw,
    /// `in`: equal to one of the listed values.
    In,
    /// `ca`: the collection-valued field contains all the listed values.
    Ca,
}

impl Op {
    /// Every comparison operator, in SailPoint's documentation order.
    pub const ALL: [Op; 10] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::Co,
        Op::Sw,
        Op::In,
        Op::Ca,
    ];

    /// The canonical (lowercase) keyword, e.g. `"eq"`.
    pub const fn keyword(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::In => "in",
            Op::Ca => "ca",
        }
    }

    /// The operator spelled by `word`, ignoring ASCII case; `None` if it is not one.
    pub fn from_keyword(word: &str) -> Option<Op> {
        Op::ALL
            .into_iter()
            .find(|op| op.keyword().eq_ignore_ascii_case(word))
    }

    /// Whether the operand is a list: always for `in`, and for `ca` after parsing.
    pub const fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Ca)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// The right-hand operand of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string: quoted in the filter, or an unquoted token such as a timestamp.
    String(String),
    /// A number, kept as written so integers never lose precision.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A parenthesised, comma-separated list of scalars, for `in` and `ca`.
    List(Vec<Value>),
}

impl Value {
    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The values to check one by one: the elements of a list, or the value itself.
    pub fn scalars(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            scalar => std::slice::from_ref(scalar),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_quoted(f, s),
            Value::Number(n) => f.write_str(n.as_str()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
            Value::List(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}

/// A number exactly as written: an optional `-`, digits, and optionally `.` and more digits.
///
/// Equality is textual (`1.0` and `1` differ), which keeps the syntax tree faithful to the
/// filter; compare numerically with [`Number::as_f64`] or [`Number::as_i64`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// The number spelled by `text`, or `None` if it is not of the form `-?digits(.digits)?`.
    pub fn new(text: &str) -> Option<Number> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (int, frac) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (all_digits(int) && frac.is_none_or(all_digits)).then(|| Number(text.to_owned()))
    }

    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it was written without a fractional part.
    pub fn is_integer(&self) -> bool {
        !self.0.contains('.')
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as the nearest `f64`.
    pub fn as_f64(&self) -> f64 {
        // Every text `new` accepts is valid float syntax; the fallback is unreachable.
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number(n.to_string())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { field, op, value } => write!(f, "{field} {op} {value}"),
            Filter::Present(field) => write!(f, "pr {field}"),
            Filter::IsNull(field) => write!(f, "{field} isnull"),
            // `and` binds tighter than `or`, so an `Or` operand needs parentheses; a nested `And`
            // needs them too, to keep the grouping the tree records.
            Filter::And(operands) => write_chain(f, operands, "and", |operand| {
                matches!(operand, Filter::And(_) | Filter::Or(_))
            }),
            Filter::Or(operands) => write_chain(f, operands, "or", |operand| {
                matches!(operand, Filter::Or(_))
            }),
            Filter::Not(operand) => match **operand {
                Filter::And(_) | Filter::Or(_) => write!(f, "not ({operand})"),
                _ => write!(f, "not {operand}"),
            },
        }
    }
}

fn write_chain(
    f: &mut fmt::Formatter<'_>,
    operands: &[Filter],
    keyword: &str,
    needs_parens: impl Fn(&Filter) -> bool,
) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            write!(f, " {keyword} ")?;
        }
        if needs_parens(operand) {
            write!(f, "({operand})")?;
        } else {
            write!(f, "{operand}")?;
        }
    }
    Ok(())
}

/// Writes `s` as a double-quoted filter string, escaping what the lexer would misread.
pub(super) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: &str, op: Op, value: impl Into<Value>) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn op_keywords_round_trip_ignoring_case() {
        for op in Op::ALL {
            assert_eq!(Op::from_keyword(op.keyword()), Some(op));
            assert_eq!(Op::from_keyword(&op.keyword().to_uppercase()), Some(op));
        }
        assert_eq!(Op::from_keyword("isnull"), None);
        assert_eq!(Op::from_keyword("equals"), None);
    }

    #[test]
    fn numbers_accept_only_plain_decimal_syntax() {
        for ok in [
            "0",
            "42",
            "-7",
            "3.25",
            "-0.5",
            "007",
            "12345678901234567890",
        ] {
            assert!(Number::new(ok).is_some(), "{ok} should be a number");
        }
        for bad in [
            "", "-", "1.", ".5", "1e5", "+1", "1.2.3", "0x10", "--1", "1-",
        ] {
            assert!(Number::new(bad).is_none(), "{bad} should not be a number");
        }
    }

    #[test]
    fn numbers_keep_their_text_and_convert() {
        let big = Number::new("9007199254740993").unwrap();
        assert_eq!(big.as_i64(), Some(9_007_199_254_740_993));
        assert_eq!(big.to_string(), "9007199254740993");
        assert!(big.is_integer());
        let decimal = Number::new("-2.5").unwrap();
        assert!(!decimal.is_integer());
        assert_eq!(decimal.as_i64(), None);
        assert_eq!(decimal.as_f64(), -2.5);
        assert_ne!(Number::new("1.0"), Number::new("1"));
    }

    #[test]
    fn strings_render_quoted_and_escaped() {
        assert_eq!(Value::from("Q1 review").to_string(), r#""Q1 review""#);
        assert_eq!(
            Value::from(r#"say "hi" \o/"#).to_string(),
            r#""say \"hi\" \\o/""#
        );
        assert_eq!(Value::from("a\nb\u{1}").to_string(), r#""a\nb\u0001""#);
        assert_eq!(Value::from("café ✓").to_string(), "\"café ✓\"");
    }

    #[test]
    fn lists_and_scalars_render_canonically() {
        let list = Value::List(vec!["ACTIVE".into(), 3.into(), true.into(), Value::Null]);
        assert_eq!(list.to_string(), r#"("ACTIVE", 3, true, null)"#);
    }

    #[test]
    fn filters_render_with_minimal_parentheses() {
        let a = cmp("a", Op::Eq, 1);
        let b = cmp("b", Op::Eq, 2);
        let c = cmp("c", Op::Eq, 3);
        let or_in_and = Filter::And(vec![Filter::Or(vec![a.clone(), b.clone()]), c.clone()]);
        assert_eq!(or_in_and.to_string(), "(a eq 1 or b eq 2) and c eq 3");
        let and_in_or = Filter::Or(vec![Filter::And(vec![a.clone(), b.clone()]), c.clone()]);
        assert_eq!(and_in_or.to_string(), "a eq 1 and b eq 2 or c eq 3");
        let grouped = Filter::And(vec![Filter::And(vec![a.clone(), b.clone()]), c]);
        assert_eq!(grouped.to_string(), "(a eq 1 and b eq 2) and c eq 3");
        let not_or = Filter::Not(Box::new(Filter::Or(vec![a.clone(), b])));
        assert_eq!(not_or.to_string(), "not (a eq 1 or b eq 2)");
        let not_not = Filter::Not(Box::new(Filter::Not(Box::new(a))));
        assert_eq!(not_not.to_string(), "not not a eq 1");
        assert_eq!(
            Filter::Present("owner.id".into()).to_string(),
            "pr owner.id"
        );
        assert_eq!(Filter::IsNull("due".into()).to_string(), "due isnull");
    }
}
