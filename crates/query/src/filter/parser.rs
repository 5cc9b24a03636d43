//! The recursive-descent filter parser.
//!
//! One function per grammar rule (see the [module docs](super)), one token of lookahead, and
//! the first syntax error ends the parse. Nesting is capped at [`MAX_NESTING`] so a hostile
//! filter such as ten thousand `(` cannot exhaust the stack.

use super::ast::{Filter, Number, Op, Value};
use super::error::ParseError;
use super::lexer::{Lexer, Token, TokenKind};

/// How deeply parentheses and `not`s may nest.
pub const MAX_NESTING: usize = 64;

/// Words that can be neither a field name nor a bare value.
const RESERVED: [&str; 5] = ["and", "or", "not", "pr", "isnull"];

const EXPECT_CONDITION: &str = "a field name, \"pr\", \"not\" or \"(\"";
const EXPECT_FIELD: &str = "a field name";
const EXPECT_OPERATOR: &str = "an operator (eq, ne, gt, ge, lt, le, co, sw, in, ca or isnull)";
const EXPECT_VALUE: &str = "a value (a quoted string, number, true, false or null)";
const EXPECT_LIST: &str = "a parenthesised list of values, such as (\"A\", \"B\")";
const EXPECT_LIST_SEPARATOR: &str = "\",\" or \")\"";
const EXPECT_GROUP_CONTINUATION: &str = "\"and\", \"or\" or \")\"";
const EXPECT_CONTINUATION: &str = "\"and\", \"or\" or the end of the filter";

/// Parses a `filters` value into a [`Filter`].
///
/// The input is the parameter's value after URL decoding. See the [module docs](super) for the
/// grammar and the leniencies.
///
/// ```
/// use attest_query::filter::{parse, Filter, Op, Value};
///
/// let filter = parse(r#"status in ("ACTIVE","STAGED") and name sw "Q1""#).unwrap();
/// assert_eq!(filter.to_string(), r#"status in ("ACTIVE", "STAGED") and name sw "Q1""#);
///
/// let error = parse("name eq \"Q1\" xyz").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "unexpected token \"xyz\" at position 13; expected \"and\", \"or\" or the end of the filter"
/// );
/// ```
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    let mut parser = Parser {
        lexer: Lexer::new(input),
        peeked: None,
        depth: 0,
    };
    if parser.peek()?.kind == TokenKind::End {
        return Err(ParseError::Empty);
    }
    let filter = parser.or_expr()?;
    let token = parser.next()?;
    match token.kind {
        TokenKind::End => Ok(filter),
        TokenKind::CloseParen => Err(ParseError::UnmatchedCloseParen {
            position: token.position,
        }),
        _ => Err(token.unexpected(EXPECT_CONTINUATION)),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token<'a>>,
    /// Open parentheses and `not`s around the current position.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<&Token<'a>, ParseError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    fn next(&mut self) -> Result<Token<'a>, ParseError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Consumes the next token if it is `keyword`.
    fn eat_keyword(&mut self, keyword: &str) -> Result<bool, ParseError> {
        let found = self.peek()?.is_keyword(keyword);
        if found {
            self.next()?;
        }
        Ok(found)
    }

    /// `or_expr := and_expr ( "or" and_expr )*`
    fn or_expr(&mut self) -> Result<Filter, ParseError> {
        let mut operands = vec![self.and_expr()?];
        while self.eat_keyword("or")? {
            operands.push(self.and_expr()?);
        }
        Ok(combine(operands, Filter::Or))
    }

    /// `and_expr := unary ( "and" unary )*`
    fn and_expr(&mut self) -> Result<Filter, ParseError> {
        let mut operands = vec![self.unary()?];
        while self.eat_keyword("and")? {
            operands.push(self.unary()?);
        }
        Ok(combine(operands, Filter::And))
    }

    /// `unary := "not" unary | primary`
    fn unary(&mut self) -> Result<Filter, ParseError> {
        let position = self.peek()?.position;
        if self.eat_keyword("not")? {
            let operand = self.nested(position, Self::unary)?;
            return Ok(Filter::Not(Box::new(operand)));
        }
        self.primary()
    }

    /// `primary := "(" or_expr ")" | "pr" field | field "isnull" | field op operand`
    fn primary(&mut self) -> Result<Filter, ParseError> {
        let token = self.next()?;
        match token.kind {
            TokenKind::OpenParen => {
                let inner = self.nested(token.position, Self::or_expr)?;
                let close = self.next()?;
                match close.kind {
                    TokenKind::CloseParen => Ok(inner),
                    TokenKind::End => Err(ParseError::UnclosedParen {
                        position: token.position,
                    }),
                    _ => Err(close.unexpected(EXPECT_GROUP_CONTINUATION)),
                }
            }
            TokenKind::Word(_) if token.is_keyword("pr") => {
                let field = self.next()?;
                Ok(Filter::Present(field_name(field, EXPECT_FIELD)?))
            }
            _ => {
                let field = field_name(token, EXPECT_CONDITION)?;
                self.condition(field)
            }
        }
    }

    /// What follows a field: `"isnull"` or `op operand`.
    fn condition(&mut self, field: String) -> Result<Filter, ParseError> {
        let token = self.next()?;
        if token.is_keyword("isnull") {
            return Ok(Filter::IsNull(field));
        }
        let op = match token.kind {
            TokenKind::Word(word) => Op::from_keyword(word),
            _ => None,
        };
        let Some(op) = op else {
            return Err(token.unexpected(EXPECT_OPERATOR));
        };
        let value = self.operand(op)?;
        Ok(Filter::Compare { field, op, value })
    }

    /// The operand of `op`: a list for `in`, a list or a scalar (stored as a one-element list)
    /// for `ca`, a scalar for everything else.
    fn operand(&mut self, op: Op) -> Result<Value, ParseError> {
        let next = self.peek()?;
        let is_list = next.kind == TokenKind::OpenParen;
        let position = next.position;
        match op {
            Op::In if !is_list => Err(self.next()?.unexpected(EXPECT_LIST)),
            Op::In => self.list(),
            Op::Ca if is_list => self.list(),
            Op::Ca => Ok(Value::List(vec![self.scalar()?])),
            _ if is_list => Err(ParseError::ListNotAllowed { op, position }),
            _ => self.scalar(),
        }
    }

    /// `"(" scalar ( "," scalar )* ")"`, with the `(` next.
    fn list(&mut self) -> Result<Value, ParseError> {
        let open = self.next()?.position;
        if self.peek()?.kind == TokenKind::CloseParen {
            return Err(ParseError::EmptyList { position: open });
        }
        let mut items = Vec::new();
        loop {
            items.push(self.scalar()?);
            let token = self.next()?;
            match token.kind {
                TokenKind::Comma => {}
                TokenKind::CloseParen => return Ok(Value::List(items)),
                TokenKind::End => return Err(ParseError::UnclosedParen { position: open }),
                _ => return Err(token.unexpected(EXPECT_LIST_SEPARATOR)),
            }
        }
    }

    /// A single value.
    fn scalar(&mut self) -> Result<Value, ParseError> {
        let token = self.next()?;
        match token.kind {
            TokenKind::Str(s) => Ok(Value::String(s)),
            TokenKind::Word(word) if !is_reserved(word) => Ok(bare_value(word)),
            _ => Err(token.unexpected(EXPECT_VALUE)),
        }
    }

    /// Runs `rule` one nesting level deeper; the level opens at `position`.
    fn nested(
        &mut self,
        position: usize,
        rule: impl FnOnce(&mut Self) -> Result<Filter, ParseError>,
    ) -> Result<Filter, ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::TooDeep {
                position,
                limit: MAX_NESTING,
            });
        }
        self.depth += 1;
        let result = rule(self);
        self.depth -= 1;
        result
    }
}

/// The single operand itself, or `build` over two or more.
fn combine(mut operands: Vec<Filter>, build: fn(Vec<Filter>) -> Filter) -> Filter {
    match operands.pop() {
        Some(only) if operands.is_empty() => only,
        Some(last) => {
            operands.push(last);
            build(operands)
        }
        None => build(operands),
    }
}

/// The field name `token` spells, or an error saying `expected` was wanted instead.
fn field_name(token: Token<'_>, expected: &'static str) -> Result<String, ParseError> {
    match token.kind {
        TokenKind::Word(word) if !is_reserved(word) => {
            if is_field_path(word) {
                Ok(word.to_owned())
            } else {
                Err(ParseError::InvalidFieldName {
                    name: word.to_owned(),
                    position: token.position,
                })
            }
        }
        _ => Err(token.unexpected(expected)),
    }
}

/// Whether `word` is identifiers (`[A-Za-z_][A-Za-z0-9_]*`) joined by dots.
pub(crate) fn is_field_path(word: &str) -> bool {
    word.split('.').all(|segment| {
        let mut chars = segment.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// The value an unquoted, unreserved word stands for.
fn bare_value(word: &str) -> Value {
    if word.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if word.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else if word.eq_ignore_ascii_case("null") {
        Value::Null
    } else if let Some(number) = Number::new(word) {
        Value::Number(number)
    } else {
        Value::String(word.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Found;

    fn cmp(field: &str, op: Op, value: impl Into<Value>) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|&s| s.into()).collect())
    }

    fn num(text: &str) -> Value {
        Value::Number(Number::new(text).unwrap())
    }

    fn err(input: &str) -> String {
        parse(input).unwrap_err().to_string()
    }

    // --- happy paths -------------------------------------------------------------------------

    #[test]
    fn parses_every_comparison_operator() {
        for op in Op::ALL {
            let value = if op.takes_list() {
                list(&["x"])
            } else {
                "x".into()
            };
            let rendered = if op.takes_list() { "(\"x\")" } else { "\"x\"" };
            assert_eq!(
                parse(&format!("name {op} {rendered}")).unwrap(),
                cmp("name", op, value)
            );
        }
    }

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(
            parse(r#"name eq "Q1 review""#).unwrap(),
            cmp("name", Op::Eq, "Q1 review")
        );
        assert_eq!(
            parse(r#"status in ("ACTIVE","STAGED")"#).unwrap(),
            cmp("status", Op::In, list(&["ACTIVE", "STAGED"]))
        );
        assert_eq!(
            parse("created gt 2026-01-01T00:00:00Z").unwrap(),
            cmp("created", Op::Gt, "2026-01-01T00:00:00Z")
        );
        assert_eq!(
            parse("completed eq false").unwrap(),
            cmp("completed", Op::Eq, false)
        );
        assert_eq!(
            parse(r#"id eq "2c9180846e85e4b8016eafeba20c1314""#).unwrap(),
            cmp("id", Op::Eq, "2c9180846e85e4b8016eafeba20c1314")
        );
        assert_eq!(
            parse(r#"groups ca ("Venezia","Firenze")"#).unwrap(),
            cmp("groups", Op::Ca, list(&["Venezia", "Firenze"]))
        );
        assert_eq!(
            parse("pr accountRequestInfo").unwrap(),
            Filter::Present("accountRequestInfo".into())
        );
        assert_eq!(
            parse("lastUsed isnull").unwrap(),
            Filter::IsNull("lastUsed".into())
        );
        assert_eq!(
            parse("daysUntilEscalation ge 7").unwrap(),
            cmp("daysUntilEscalation", Op::Ge, 7)
        );
    }

    #[test]
    fn ca_with_a_single_value_is_stored_as_a_list() {
        assert_eq!(
            parse(r#"groups ca "Venezia""#).unwrap(),
            cmp("groups", Op::Ca, list(&["Venezia"]))
        );
    }

    #[test]
    fn parses_scalar_kinds() {
        let value = |input: &str| match parse(&format!("f eq {input}")).unwrap() {
            Filter::Compare { value, .. } => value,
            other => panic!("not a comparison: {other:?}"),
        };
        assert_eq!(value("true"), Value::Bool(true));
        assert_eq!(value("FALSE"), Value::Bool(false));
        assert_eq!(value("null"), Value::Null);
        assert_eq!(value("42"), num("42"));
        assert_eq!(value("-42"), num("-42"));
        assert_eq!(value("3.14"), num("3.14"));
        assert_eq!(value("-0.5"), num("-0.5"));
        assert_eq!(
            value("12345678901234567890123"),
            num("12345678901234567890123")
        );
        assert_eq!(value("\"true\""), "true".into());
        assert_eq!(value("\"42\""), "42".into());
        assert_eq!(value("ROLE"), "ROLE".into());
        assert_eq!(value("1e5"), "1e5".into());
        assert_eq!(value("\"\""), "".into());
    }

    #[test]
    fn parses_escapes_in_strings() {
        assert_eq!(
            parse(r#"name eq "\"Employees\"""#).unwrap(),
            cmp("name", Op::Eq, "\"Employees\"")
        );
        assert_eq!(
            parse(r#"name eq "C:\\temp""#).unwrap(),
            cmp("name", Op::Eq, "C:\\temp")
        );
        assert_eq!(
            parse(r#"name eq "caf\u00e9 \uD83D\uDE00""#).unwrap(),
            cmp("name", Op::Eq, "café 😀")
        );
    }

    #[test]
    fn parses_dotted_field_names() {
        for field in [
            "identity.id",
            "access.type",
            "attributes.department",
            "_a.b_2.c",
        ] {
            assert_eq!(
                parse(&format!("{field} eq 1")).unwrap(),
                cmp(field, Op::Eq, 1)
            );
        }
    }

    #[test]
    fn keywords_ignore_case() {
        assert_eq!(
            parse(r#"NOT name EQ "a" AND PR owner OR due ISNULL"#).unwrap(),
            parse(r#"not name eq "a" and pr owner or due isnull"#).unwrap()
        );
    }

    #[test]
    fn whitespace_is_free_around_tokens() {
        assert_eq!(
            parse("  ( status in(\n\"A\" ,\t\"B\" ) )  ").unwrap(),
            cmp("status", Op::In, list(&["A", "B"]))
        );
    }

    // --- precedence and grouping -------------------------------------------------------------

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        // SailPoint's own example: `not p1 eq v1 or p2 eq v2 and p3 eq v3`
        // is `(not (p1 eq v1)) or ((p2 eq v2) and (p3 eq v3))`.
        let p = |n: i64| cmp(&format!("p{n}"), Op::Eq, n);
        assert_eq!(
            parse("not p1 eq 1 or p2 eq 2 and p3 eq 3").unwrap(),
            Filter::Or(vec![
                Filter::Not(Box::new(p(1))),
                Filter::And(vec![p(2), p(3)]),
            ])
        );
        assert_eq!(
            parse("not (p1 eq 1 or p2 eq 2) and p3 eq 3").unwrap(),
            Filter::And(vec![
                Filter::Not(Box::new(Filter::Or(vec![p(1), p(2)]))),
                p(3),
            ])
        );
        assert_eq!(
            parse("p1 eq 1 and (p2 eq 2 or p3 eq 3)").unwrap(),
            Filter::And(vec![p(1), Filter::Or(vec![p(2), p(3)])])
        );
    }

    #[test]
    fn chains_are_flat_and_groups_are_kept() {
        let p = |n: i64| cmp(&format!("p{n}"), Op::Eq, n);
        assert_eq!(
            parse("p1 eq 1 and p2 eq 2 and p3 eq 3").unwrap(),
            Filter::And(vec![p(1), p(2), p(3)])
        );
        assert_eq!(
            parse("(p1 eq 1 and p2 eq 2) and p3 eq 3").unwrap(),
            Filter::And(vec![Filter::And(vec![p(1), p(2)]), p(3)])
        );
        assert_eq!(parse("((p1 eq 1))").unwrap(), p(1));
        assert_eq!(
            parse("not not p1 eq 1").unwrap(),
            Filter::Not(Box::new(Filter::Not(Box::new(p(1)))))
        );
    }

    // --- errors ------------------------------------------------------------------------------

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse(" \t "), Err(ParseError::Empty));
        assert_eq!(err(""), "the filter is empty");
    }

    #[test]
    fn unknown_operator_names_the_token_and_position() {
        assert_eq!(
            parse(r#"name xyz "Q1""#),
            Err(ParseError::Unexpected {
                found: Found::Word("xyz".into()),
                position: 5,
                expected: EXPECT_OPERATOR,
            })
        );
        assert_eq!(
            err(r#"name xyz "Q1""#),
            "unexpected token \"xyz\" at position 5; expected an operator \
             (eq, ne, gt, ge, lt, le, co, sw, in, ca or isnull)"
        );
        assert_eq!(
            err(r#"name "Q1""#),
            "unexpected string \"Q1\" at position 5; expected an operator \
             (eq, ne, gt, ge, lt, le, co, sw, in, ca or isnull)"
        );
    }

    #[test]
    fn missing_operands_are_reported_at_the_end() {
        assert_eq!(
            err("name eq"),
            "unexpected end of filter at position 7; \
             expected a value (a quoted string, number, true, false or null)"
        );
        assert_eq!(
            err("name"),
            "unexpected end of filter at position 4; expected an operator \
             (eq, ne, gt, ge, lt, le, co, sw, in, ca or isnull)"
        );
        assert_eq!(
            err("a eq 1 and"),
            "unexpected end of filter at position 10; \
             expected a field name, \"pr\", \"not\" or \"(\""
        );
        assert_eq!(
            err("not"),
            "unexpected end of filter at position 3; \
             expected a field name, \"pr\", \"not\" or \"(\""
        );
        assert_eq!(
            err("pr"),
            "unexpected end of filter at position 2; expected a field name"
        );
    }

    #[test]
    fn missing_left_operands_are_reported() {
        assert_eq!(
            err("and a eq 1"),
            "unexpected token \"and\" at position 0; \
             expected a field name, \"pr\", \"not\" or \"(\""
        );
        assert_eq!(
            err("a eq 1 or or b eq 2"),
            "unexpected token \"or\" at position 10; \
             expected a field name, \"pr\", \"not\" or \"(\""
        );
        assert_eq!(
            err(r#""name" eq 1"#),
            "unexpected string \"name\" at position 0; \
             expected a field name, \"pr\", \"not\" or \"(\""
        );
    }

    #[test]
    fn reserved_words_are_not_values() {
        assert_eq!(
            err("name eq or b eq 1"),
            "unexpected token \"or\" at position 8; \
             expected a value (a quoted string, number, true, false or null)"
        );
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert_eq!(
            err(r#"name eq "Q1" xyz"#),
            "unexpected token \"xyz\" at position 13; \
             expected \"and\", \"or\" or the end of the filter"
        );
        assert_eq!(
            err(r#"name eq "Q1" "Q2""#),
            "unexpected string \"Q2\" at position 13; \
             expected \"and\", \"or\" or the end of the filter"
        );
        assert_eq!(
            err("(a eq 1 b)"),
            "unexpected token \"b\" at position 8; expected \"and\", \"or\" or \")\""
        );
    }

    #[test]
    fn unbalanced_parentheses_are_refused() {
        assert_eq!(
            parse("a eq 1)"),
            Err(ParseError::UnmatchedCloseParen { position: 6 })
        );
        assert_eq!(err("a eq 1)"), "unmatched \")\" at position 6");
        assert_eq!(
            parse("(a eq 1 and (b eq 2)"),
            Err(ParseError::UnclosedParen { position: 0 })
        );
        assert_eq!(
            err("(a eq 1"),
            "unclosed \"(\" at position 0; expected \")\" before the end of the filter"
        );
        assert_eq!(
            parse(r#"s in ("A", "B""#),
            Err(ParseError::UnclosedParen { position: 5 })
        );
        assert_eq!(
            err("()"),
            "unexpected \")\" at position 1; expected a field name, \"pr\", \"not\" or \"(\""
        );
    }

    #[test]
    fn list_errors_are_precise() {
        assert_eq!(
            parse("status in ()"),
            Err(ParseError::EmptyList { position: 10 })
        );
        assert_eq!(
            err("status in ()"),
            "empty list at position 10; a list needs at least one value"
        );
        assert_eq!(
            err(r#"status in "ACTIVE""#),
            "unexpected string \"ACTIVE\" at position 10; \
             expected a parenthesised list of values, such as (\"A\", \"B\")"
        );
        assert_eq!(
            err(r#"status eq ("ACTIVE")"#),
            "unexpected list at position 10; operator \"eq\" takes a single value"
        );
        assert_eq!(
            err(r#"status in ("A",)"#),
            "unexpected \")\" at position 15; \
             expected a value (a quoted string, number, true, false or null)"
        );
        assert_eq!(
            err(r#"status in ("A" "B")"#),
            "unexpected string \"B\" at position 15; expected \",\" or \")\""
        );
        assert_eq!(
            err(r#"status in (("A"))"#),
            "unexpected \"(\" at position 11; \
             expected a value (a quoted string, number, true, false or null)"
        );
        assert_eq!(
            err("status in (,)"),
            "unexpected \",\" at position 11; \
             expected a value (a quoted string, number, true, false or null)"
        );
    }

    #[test]
    fn string_errors_surface_through_parse() {
        assert_eq!(
            err(r#"name eq "Q1"#),
            "unterminated string starting at position 8; add the closing \""
        );
        assert_eq!(
            err(r#"name eq "a\x""#),
            "invalid escape sequence \"\\x\" at position 10; supported escapes are \
             \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\uXXXX"
        );
        assert!(err(r#"name eq "\uDE00""#).starts_with("unpaired surrogate escape \"\\uDE00\""));
    }

    #[test]
    fn invalid_field_names_are_refused() {
        for (input, name, position) in [
            ("1abc eq 1", "1abc", 0),
            ("a..b eq 1", "a..b", 0),
            ("a. eq 1", "a.", 0),
            ("pr owner-id", "owner-id", 3),
            ("not x$ eq 1", "x$", 4),
        ] {
            assert_eq!(
                parse(input),
                Err(ParseError::InvalidFieldName {
                    name: name.into(),
                    position
                }),
                "{input}"
            );
        }
        assert_eq!(
            err("1abc eq 1"),
            "invalid field name \"1abc\" at position 0; \
             field names are identifiers separated by dots, such as identity.id"
        );
    }

    #[test]
    fn errors_report_the_earliest_problem() {
        // The unterminated string comes after the bad operator, so the operator is reported.
        assert_eq!(
            err(r#"name xx "abc"#),
            "unexpected token \"xx\" at position 5; expected an operator \
             (eq, ne, gt, ge, lt, le, co, sw, in, ca or isnull)"
        );
    }

    #[test]
    fn nesting_is_capped() {
        let ok = format!(
            "{}a eq 1{}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(parse(&ok).is_ok());
        let deep = format!("{}a eq 1", "(".repeat(10_000));
        assert_eq!(
            parse(&deep),
            Err(ParseError::TooDeep {
                position: MAX_NESTING,
                limit: MAX_NESTING
            })
        );
        let nots = format!("{}a eq 1", "not ".repeat(10_000));
        assert_eq!(
            parse(&nots).unwrap_err().to_string(),
            format!(
                "the filter nests too deeply at position {}; at most {MAX_NESTING} levels are allowed",
                4 * MAX_NESTING
            )
        );
    }

    #[test]
    fn error_positions_are_exposed() {
        assert_eq!(parse("a eq 1)").unwrap_err().position(), Some(6));
        assert_eq!(parse("").unwrap_err().position(), None);
    }
}
