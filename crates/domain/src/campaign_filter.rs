//! Campaign filters: reusable criteria that include (INCLUSION) or exclude (EXCLUSION) review
//! items when a campaign generates.
//!
//! Policy: this module holds the filter records, their validation and their evaluation, all
//! pure. What a criterion is compared with (the holder's attributes, the item's entitlement,
//! account, source...) is supplied by the caller through [`FilterSubject`], so the engine can
//! read those facts a page at a time and never per item.
//!
//! # Semantics (also in `docs/campaign-filters.md`)
//!
//! - The top-level criteria of a filter all have to match (AND) for the item to match; a
//!   `COMPOSITE` criterion combines its children with its `operation`, `AND` or `OR`.
//! - INCLUSION keeps only the items that match; EXCLUSION drops the items that match.
//! - A leaf compares one property of one record of the item (see [`properties`]) with `value`
//!   using `operation` (EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH, ENDS_WITH), ignoring case.
//!   When the item has no such record (an ENTITLEMENT criterion on a role item, an ACCOUNT
//!   criterion on access held without an account), the leaf does not match, whatever the
//!   operation. A property the record lacks (an identity attribute never imported) compares
//!   as the empty text.
//! - `negateResult` inverts the leaf's (or composite's) result.
//! - `shortCircuit`, `recordChildMatches` and `suppressMatchedItems` are kept and echoed;
//!   evaluation always stops at the first deciding child, nothing is archived for filtered-out
//!   items (so matched items are always "suppressed"), and child matches are not recorded.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{string_id, IdentityId};
use crate::warehouse::wire_enum;

string_id!(
    /// Identifies a campaign filter: 32 lower-case hex digits, as SailPoint spells ids.
    CampaignFilterId
);

/// Longest filter name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest filter description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Longest criterion property or value, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most criteria in one filter, counting every child at every level.
pub const MAX_CRITERIA: usize = 50;
/// Deepest nesting of composite criteria (a top-level criterion is at depth 1).
pub const MAX_DEPTH: usize = 5;

/// Whether a filter keeps or drops the items that match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilterMode {
    /// Only matching items are reviewed.
    Inclusion,
    /// Matching items are left out.
    Exclusion,
}

wire_enum!(FilterMode {
    Inclusion => "INCLUSION",
    Exclusion => "EXCLUSION",
});

/// What a criterion is about (SailPoint's `CriteriaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CriteriaType {
    /// Children combined with AND or OR.
    Composite,
    /// The item's role.
    Role,
    /// The holder identity itself.
    Identity,
    /// An attribute of the holder identity.
    IdentityAttribute,
    /// The item's entitlement.
    Entitlement,
    /// The item's access profile.
    AccessProfile,
    /// The item's source.
    Source,
    /// The account through which the access is held.
    Account,
    /// SailPoint's aggregated-entitlement criterion (not supported by Attest).
    AggregatedEntitlement,
    /// SailPoint internal (not supported by Attest).
    InvalidCertifiableEntity,
    /// SailPoint internal (not supported by Attest).
    InvalidCertifiableBundle,
}

wire_enum!(CriteriaType {
    Composite => "COMPOSITE",
    Role => "ROLE",
    Identity => "IDENTITY",
    IdentityAttribute => "IDENTITY_ATTRIBUTE",
    Entitlement => "ENTITLEMENT",
    AccessProfile => "ACCESS_PROFILE",
    Source => "SOURCE",
    Account => "ACCOUNT",
    AggregatedEntitlement => "AGGREGATED_ENTITLEMENT",
    InvalidCertifiableEntity => "INVALID_CERTIFIABLE_ENTITY",
    InvalidCertifiableBundle => "INVALID_CERTIFIABLE_BUNDLE",
});

/// How a criterion compares (SailPoint's `Operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CriteriaOperation {
    /// Same text (ignoring case).
    Equals,
    /// Different text (ignoring case).
    NotEquals,
    /// Contains the value (ignoring case).
    Contains,
    /// Starts with the value (ignoring case).
    StartsWith,
    /// Ends with the value (ignoring case).
    EndsWith,
    /// Every child matches (COMPOSITE only).
    And,
    /// At least one child matches (COMPOSITE only).
    Or,
}

wire_enum!(CriteriaOperation {
    Equals => "EQUALS",
    NotEquals => "NOT_EQUALS",
    Contains => "CONTAINS",
    StartsWith => "STARTS_WITH",
    EndsWith => "ENDS_WITH",
    And => "AND",
    Or => "OR",
});

/// One criterion of a filter, as stored and as SailPoint spells its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: CriteriaType,
    /// How it compares (AND/OR for COMPOSITE).
    pub operation: Option<CriteriaOperation>,
    /// The property compared (see [`properties`]); `None` for COMPOSITE.
    pub property: Option<String>,
    /// The value compared with; `None` for COMPOSITE.
    pub value: Option<String>,
    /// Inverts the result.
    pub negate_result: bool,
    /// Kept and echoed (evaluation always short-circuits).
    pub short_circuit: bool,
    /// Kept and echoed.
    pub record_child_matches: bool,
    /// The client's id of the criterion, if it gave one.
    pub id: Option<String>,
    /// Kept and echoed (filtered-out items are never archived).
    pub suppress_matched_items: bool,
    /// Children of a COMPOSITE.
    pub children: Vec<Criterion>,
}

/// A stored campaign filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignFilter {
    /// Its id.
    pub id: CampaignFilterId,
    /// Display name (1–255 characters).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Who created it, as shown (the creator's display name; `Attest` for system filters).
    pub owner: Option<String>,
    /// The identity who created it (`None` for system filters).
    pub owner_id: Option<IdentityId>,
    /// INCLUSION or EXCLUSION.
    pub mode: FilterMode,
    /// The criteria, all of which must match.
    pub criteria: Vec<Criterion>,
    /// Shipped with Attest; read-only.
    pub system: bool,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it was last changed.
    pub modified: DateTime<Utc>,
}

/// The properties a leaf criterion of `kind` understands; `None` for IDENTITY_ATTRIBUTE, which
/// takes any attribute name (the standard identity fields and every imported attribute), and
/// for the kinds that have no properties (COMPOSITE, the unsupported ones).
pub fn properties(kind: CriteriaType) -> Option<&'static [&'static str]> {
    match kind {
        CriteriaType::Identity => Some(&["id", "name", "displayName", "email"]),
        CriteriaType::Entitlement => Some(&[
            "id",
            "name",
            "attribute",
            "value",
            "description",
            "privileged",
            "sourceId",
            "sourceName",
        ]),
        CriteriaType::AccessProfile | CriteriaType::Role | CriteriaType::Source => {
            Some(&["id", "name"])
        }
        CriteriaType::Account => Some(&[
            "id",
            "nativeIdentity",
            "name",
            "disabled",
            "locked",
            "machine",
        ]),
        _ => None,
    }
}

/// The standard identity fields an IDENTITY_ATTRIBUTE criterion can name, besides the
/// imported attributes.
pub const IDENTITY_FIELDS: &[&str] = &[
    "id",
    "name",
    "displayName",
    "email",
    "managerId",
    "department",
    "title",
    "location",
    "lifecycleState",
    "active",
];

/// The kinds Attest cannot evaluate: SailPoint-internal or without an Attest counterpart.
fn unsupported(kind: CriteriaType) -> bool {
    matches!(
        kind,
        CriteriaType::AggregatedEntitlement
            | CriteriaType::InvalidCertifiableEntity
            | CriteriaType::InvalidCertifiableBundle
    )
}

/// Checks a filter's criteria, returning one `field: problem` cause per problem, with the
/// field named by its path in the wire body (`criteriaList[0].children[1].value`).
pub fn validate_criteria(criteria: &[Criterion]) -> Vec<String> {
    let mut causes = Vec::new();
    if criteria.is_empty() {
        causes.push("criteriaList: at least one criterion is required".to_owned());
        return causes;
    }
    let total = count(criteria);
    if total > MAX_CRITERIA {
        causes.push(format!(
            "criteriaList: at most {MAX_CRITERIA} criteria (counting children) are allowed, got {total}"
        ));
    }
    for (i, criterion) in criteria.iter().enumerate() {
        check(criterion, &format!("criteriaList[{i}]"), 1, &mut causes);
    }
    causes
}

fn count(criteria: &[Criterion]) -> usize {
    criteria.iter().map(|c| 1 + count(&c.children)).sum()
}

fn check(c: &Criterion, at: &str, depth: usize, causes: &mut Vec<String>) {
    if unsupported(c.kind) {
        causes.push(format!(
            "{at}.type: {} is not supported by Attest (use one of COMPOSITE, ROLE, IDENTITY, IDENTITY_ATTRIBUTE, ENTITLEMENT, ACCESS_PROFILE, SOURCE, ACCOUNT)",
            c.kind
        ));
        return;
    }
    if c.kind == CriteriaType::Composite {
        match c.operation {
            Some(CriteriaOperation::And | CriteriaOperation::Or) => {}
            Some(other) => causes.push(format!(
                "{at}.operation: a COMPOSITE criterion combines its children with AND or OR, not {other}"
            )),
            None => causes.push(format!(
                "{at}.operation: is required (AND or OR) for a COMPOSITE criterion"
            )),
        }
        if c.children.is_empty() {
            causes.push(format!(
                "{at}.children: a COMPOSITE criterion needs at least one child"
            ));
        }
        if depth >= MAX_DEPTH && !c.children.is_empty() {
            causes.push(format!(
                "{at}.children: criteria may nest at most {MAX_DEPTH} levels deep"
            ));
            return;
        }
        for (i, child) in c.children.iter().enumerate() {
            check(child, &format!("{at}.children[{i}]"), depth + 1, causes);
        }
        return;
    }
    if !c.children.is_empty() {
        causes.push(format!(
            "{at}.children: only a COMPOSITE criterion has children"
        ));
    }
    match c.operation {
        None => causes.push(format!(
            "{at}.operation: is required (EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH or ENDS_WITH)"
        )),
        Some(op @ (CriteriaOperation::And | CriteriaOperation::Or)) => causes.push(format!(
            "{at}.operation: {op} combines the children of a COMPOSITE criterion; a {} criterion takes EQUALS, NOT_EQUALS, CONTAINS, STARTS_WITH or ENDS_WITH",
            c.kind
        )),
        Some(_) => {}
    }
    match c.property.as_deref().map(str::trim) {
        None | Some("") => causes.push(format!(
            "{at}.property: is required for a {} criterion",
            c.kind
        )),
        Some(property) => {
            if property.chars().count() > MAX_TEXT_CHARS {
                causes.push(format!(
                    "{at}.property: must be at most {MAX_TEXT_CHARS} characters"
                ));
            } else if let Some(known) = properties(c.kind) {
                if !known.contains(&property) {
                    causes.push(format!(
                        "{at}.property: \"{property}\" is not a property of {} criteria (one of {})",
                        c.kind,
                        known.join(", ")
                    ));
                }
            }
        }
    }
    match c.value.as_deref() {
        None | Some("") => causes.push(format!(
            "{at}.value: is required for a {} criterion",
            c.kind
        )),
        Some(value) if value.chars().count() > MAX_TEXT_CHARS => causes.push(format!(
            "{at}.value: must be at most {MAX_TEXT_CHARS} characters"
        )),
        Some(_) => {}
    }
}

/// What a criterion is compared with: one candidate review item and the records it has.
pub trait FilterSubject {
    /// The text of `property` (one of [`properties`] of `kind`, or an identity attribute)
    /// of the item's record of `kind`: `None` when the item has no such record; the empty
    /// text when the record lacks the property. Booleans are `true` or `false`.
    fn value(&self, kind: CriteriaType, property: &str) -> Option<Cow<'_, str>>;
}

/// A filter ready to evaluate: values folded to lower case once, per campaign.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    mode: FilterMode,
    criteria: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    kind: CriteriaType,
    operation: CriteriaOperation,
    property: String,
    value: String,
    negate: bool,
    children: Vec<Compiled>,
}

impl CompiledFilter {
    /// Compiles a validated filter (criteria that [`validate_criteria`] would refuse compile
    /// to criteria that never match).
    pub fn new(filter: &CampaignFilter) -> CompiledFilter {
        CompiledFilter {
            mode: filter.mode,
            criteria: filter.criteria.iter().map(compile).collect(),
        }
    }

    /// Whether an item stays in the campaign: INCLUSION keeps matching items, EXCLUSION
    /// drops them.
    pub fn keeps(&self, subject: &dyn FilterSubject) -> bool {
        let matched = self.criteria.iter().all(|c| c.matches(subject));
        match self.mode {
            FilterMode::Inclusion => matched,
            FilterMode::Exclusion => !matched,
        }
    }

    /// Every (kind, property) pair a leaf compares, so the caller knows which records to read.
    pub fn leaves(&self) -> Vec<(CriteriaType, &str)> {
        fn walk<'a>(c: &'a Compiled, out: &mut Vec<(CriteriaType, &'a str)>) {
            if c.kind == CriteriaType::Composite {
                c.children.iter().for_each(|child| walk(child, out));
            } else {
                out.push((c.kind, c.property.as_str()));
            }
        }
        let mut out = Vec::new();
        self.criteria.iter().for_each(|c| walk(c, &mut out));
        out
    }
}

fn compile(c: &Criterion) -> Compiled {
    Compiled {
        kind: c.kind,
        operation: c.operation.unwrap_or(CriteriaOperation::Equals),
        property: c.property.as_deref().unwrap_or("").trim().to_owned(),
        value: fold(c.value.as_deref().unwrap_or("")).into_owned(),
        negate: c.negate_result,
        children: c.children.iter().map(compile).collect(),
    }
}

/// `text` in lower case, borrowed when it already is.
fn fold(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

impl Compiled {
    fn matches(&self, subject: &dyn FilterSubject) -> bool {
        let result = match self.kind {
            CriteriaType::Composite => match self.operation {
                CriteriaOperation::Or => self.children.iter().any(|c| c.matches(subject)),
                CriteriaOperation::And => self.children.iter().all(|c| c.matches(subject)),
                _ => false,
            },
            kind if unsupported(kind) => false,
            kind => match subject.value(kind, &self.property) {
                None => return false,
                Some(text) => {
                    let text = fold(&text);
                    let value = self.value.as_str();
                    match self.operation {
                        CriteriaOperation::Equals => text == value,
                        CriteriaOperation::NotEquals => text != value,
                        CriteriaOperation::Contains => text.contains(value),
                        CriteriaOperation::StartsWith => text.starts_with(value),
                        CriteriaOperation::EndsWith => text.ends_with(value),
                        CriteriaOperation::And | CriteriaOperation::Or => false,
                    }
                }
            },
        };
        result != self.negate
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;

    use super::*;

    fn leaf(kind: CriteriaType, op: CriteriaOperation, property: &str, value: &str) -> Criterion {
        Criterion {
            kind,
            operation: Some(op),
            property: Some(property.to_owned()),
            value: Some(value.to_owned()),
            negate_result: false,
            short_circuit: false,
            record_child_matches: false,
            id: None,
            suppress_matched_items: false,
            children: Vec::new(),
        }
    }

    fn composite(op: CriteriaOperation, children: Vec<Criterion>) -> Criterion {
        Criterion {
            kind: CriteriaType::Composite,
            operation: Some(op),
            property: None,
            value: None,
            children,
            ..leaf(CriteriaType::Composite, op, "", "")
        }
    }

    fn filter(mode: FilterMode, criteria: Vec<Criterion>) -> CampaignFilter {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        CampaignFilter {
            id: "f".into(),
            name: "f".to_owned(),
            description: None,
            owner: None,
            owner_id: None,
            mode,
            criteria,
            system: false,
            created: at,
            modified: at,
        }
    }

    struct Item(HashMap<(CriteriaType, &'static str), &'static str>);

    impl FilterSubject for Item {
        fn value(&self, kind: CriteriaType, property: &str) -> Option<Cow<'_, str>> {
            let has_record = self.0.keys().any(|(k, _)| *k == kind);
            if !has_record {
                return None;
            }
            Some(Cow::Borrowed(
                self.0
                    .iter()
                    .find(|((k, p), _)| *k == kind && *p == property)
                    .map_or("", |(_, v)| *v),
            ))
        }
    }

    fn item(pairs: &[(CriteriaType, &'static str, &'static str)]) -> Item {
        Item(pairs.iter().map(|(k, p, v)| ((*k, *p), *v)).collect())
    }

    use CriteriaOperation::*;
    use CriteriaType::*;

    #[test]
    fn operations_ignore_case_and_negate() {
        let it = item(&[(IdentityAttribute, "department", "Finance")]);
        for (op, value, expected) in [
            (Equals, "finance", true),
            (Equals, "Fin", false),
            (NotEquals, "IT", true),
            (Contains, "NAN", true),
            (StartsWith, "fin", true),
            (EndsWith, "ANCE", true),
            (EndsWith, "fin", false),
        ] {
            let f = CompiledFilter::new(&filter(
                FilterMode::Inclusion,
                vec![leaf(IdentityAttribute, op, "department", value)],
            ));
            assert_eq!(f.keeps(&it), expected, "{op} {value}");
            let mut negated = leaf(IdentityAttribute, op, "department", value);
            negated.negate_result = true;
            let f = CompiledFilter::new(&filter(FilterMode::Inclusion, vec![negated]));
            assert_eq!(f.keeps(&it), !expected, "not {op} {value}");
        }
    }

    #[test]
    fn a_missing_record_never_matches_and_exclusion_inverts() {
        let role_item = item(&[(Role, "name", "Admins")]);
        let f = filter(
            FilterMode::Inclusion,
            vec![leaf(Entitlement, NotEquals, "name", "x")],
        );
        assert!(!CompiledFilter::new(&f).keeps(&role_item));
        let f = filter(FilterMode::Exclusion, f.criteria);
        assert!(CompiledFilter::new(&f).keeps(&role_item));
    }

    #[test]
    fn composites_combine_and_the_top_level_is_and() {
        let it = item(&[
            (Source, "name", "Active Directory"),
            (Entitlement, "name", "Domain Admins"),
        ]);
        let or = composite(
            Or,
            vec![
                leaf(Entitlement, Equals, "name", "nope"),
                leaf(Source, StartsWith, "name", "active"),
            ],
        );
        let and = composite(
            And,
            vec![
                leaf(Entitlement, Equals, "name", "nope"),
                leaf(Source, StartsWith, "name", "active"),
            ],
        );
        let keeps = |criteria: Vec<Criterion>| {
            CompiledFilter::new(&filter(FilterMode::Inclusion, criteria)).keeps(&it)
        };
        assert!(keeps(vec![or.clone()]));
        assert!(!keeps(vec![and]));
        assert!(!keeps(vec![
            or.clone(),
            leaf(Entitlement, Contains, "name", "users")
        ]));
        assert!(keeps(vec![
            or,
            leaf(Entitlement, Contains, "name", "admins")
        ]));
    }

    #[test]
    fn validation_names_each_field() {
        let mut bad_leaf = leaf(Entitlement, And, "colour", "");
        bad_leaf.children = vec![leaf(Role, Equals, "id", "r")];
        let causes = validate_criteria(&[
            bad_leaf,
            composite(Equals, Vec::new()),
            leaf(AggregatedEntitlement, Equals, "name", "x"),
        ]);
        let expected = [
            "criteriaList[0].children:",
            "criteriaList[0].operation:",
            "criteriaList[0].property: \"colour\"",
            "criteriaList[0].value:",
            "criteriaList[1].operation:",
            "criteriaList[1].children:",
            "criteriaList[2].type:",
        ];
        assert_eq!(causes.len(), expected.len(), "{causes:#?}");
        for (cause, prefix) in causes.iter().zip(expected) {
            assert!(cause.starts_with(prefix), "{cause} vs {prefix}");
        }
        assert_eq!(
            validate_criteria(&[]),
            vec!["criteriaList: at least one criterion is required"]
        );
        assert!(
            validate_criteria(&[leaf(IdentityAttribute, Equals, "costCenter", "1")]).is_empty()
        );
    }

    #[test]
    fn depth_and_count_are_limited() {
        let mut deep = leaf(Source, Equals, "id", "s");
        for _ in 0..MAX_DEPTH {
            deep = composite(Or, vec![deep]);
        }
        let causes = validate_criteria(&[deep]);
        assert!(
            causes.iter().any(|c| c.contains("nest at most")),
            "{causes:?}"
        );
        let many: Vec<Criterion> = (0..=MAX_CRITERIA)
            .map(|_| leaf(Source, Equals, "id", "s"))
            .collect();
        let causes = validate_criteria(&many);
        assert!(causes[0].contains("at most 50 criteria"), "{causes:?}");
    }
}
