//! Property tests for the collection-parameter grammars: the canonical rendering of any filter
//! tree re-parses to the same tree, the parser survives any input, and sorters and paging
//! accept exactly what they document.

use attest_query::filter::{parse, Filter, Number, Op, Value};
use attest_query::{parse_sorters, Paging, SortKey, MAX_LIMIT};
use proptest::prelude::*;

const RESERVED: [&str; 5] = ["and", "or", "not", "pr", "isnull"];

fn field() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,6}(\\.[a-zA-Z_][a-zA-Z0-9_]{0,6}){0,2}"
        .prop_filter("keywords are not field names", |f| {
            !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(f))
        })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..1_000_000).prop_map(|(i, f)| format!("{i}.{f}")),
        "-?[0-9]{1,30}(\\.[0-9]{1,12})?",
    ]
    .prop_map(|text| Number::new(&text).expect("generated text is a number"))
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        "[ -~]{0,12}".prop_map(Value::String),
        number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn comparison() -> impl Strategy<Value = Filter> {
    (field(), prop::sample::select(Op::ALL.to_vec())).prop_flat_map(|(field, op)| {
        let value = if op.takes_list() {
            prop::collection::vec(scalar(), 1..4)
                .prop_map(Value::List)
                .boxed()
        } else {
            scalar().boxed()
        };
        value.prop_map(move |value| Filter::Compare {
            field: field.clone(),
            op,
            value,
        })
    })
}

/// Trees of the shapes the parser produces.
fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        3 => comparison(),
        1 => field().prop_map(Filter::Present),
        1 => field().prop_map(Filter::IsNull),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..5).prop_map(Filter::Or),
            inner.prop_map(|operand| Filter::Not(Box::new(operand))),
        ]
    })
}

/// Inputs built from the grammar's own vocabulary, so that many of them parse.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "name",
        "identity.id",
        "eq",
        "ne",
        "GT",
        "co",
        "sw",
        "in",
        "ca",
        "isnull",
        "pr",
        "not",
        "and",
        "OR",
        "(",
        ")",
        ",",
        "\"Q1\"",
        "\"a\\\"b\"",
        "42",
        "-1.5",
        "true",
        "null",
        "2026-01-01T00:00:00Z",
        "(\"A\",\"B\")",
        "\"",
    ]);
    prop::collection::vec(token, 0..14).prop_map(|tokens| tokens.join(" "))
}

/// Whether `filter` has only the shapes the parser documents.
fn well_shaped(filter: &Filter) -> bool {
    match filter {
        Filter::Compare { op, value, .. } => match value {
            Value::List(items) => {
                op.takes_list()
                    && !items.is_empty()
                    && items.iter().all(|item| !matches!(item, Value::List(_)))
            }
            _ => !op.takes_list(),
        },
        Filter::Present(_) | Filter::IsNull(_) => true,
        Filter::And(operands) | Filter::Or(operands) => {
            operands.len() >= 2 && operands.iter().all(well_shaped)
        }
        Filter::Not(operand) => well_shaped(operand),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonical_rendering_round_trips(ast in filter()) {
        let rendered = ast.to_string();
        prop_assert_eq!(parse(&rendered), Ok(ast), "rendered as {}", rendered);
    }

    #[test]
    fn parser_never_panics_and_points_inside_the_input(input in any::<String>()) {
        if let Err(error) = parse(&input) {
            let position = error.position().unwrap_or(0);
            prop_assert!(position <= input.chars().count(), "{} for {:?}", error, input);
        }
    }

    #[test]
    fn parsed_vocabulary_is_well_shaped_and_canonical(input in token_soup()) {
        match parse(&input) {
            Ok(parsed) => {
                prop_assert!(well_shaped(&parsed), "{:?}", parsed);
                let canonical = parsed.to_string();
                prop_assert_eq!(parse(&canonical), Ok(parsed));
            }
            Err(error) => {
                let position = error.position().unwrap_or(0);
                prop_assert!(position <= input.chars().count());
            }
        }
    }

    #[test]
    fn sorters_round_trip(
        keys in prop::collection::btree_map(field(), any::<bool>(), 0..6),
        pad in "[ \t]{0,2}",
    ) {
        let keys: Vec<SortKey> = keys
            .into_iter()
            .map(|(field, descending)| SortKey { field, descending })
            .collect();
        let rendered = keys
            .iter()
            .map(|key| format!("{pad}{key}{pad}"))
            .collect::<Vec<_>>()
            .join(",");
        prop_assert_eq!(parse_sorters(&rendered), Ok(keys));
    }

    #[test]
    fn limit_accepts_exactly_zero_to_max(limit in 0u64..1_000) {
        let parsed = Paging::parse(Some(&limit.to_string()), None, None);
        if limit <= u64::from(MAX_LIMIT) {
            prop_assert_eq!(parsed.map(|p| u64::from(p.limit)), Ok(limit));
        } else {
            prop_assert!(parsed.is_err());
        }
    }
}
