//! Who may do what with campaigns, certifications and tasks.
//!
//! Policy: ORG_ADMIN and CERT_ADMIN manage campaigns and see everything; REPORT_ADMIN sees
//! everything and changes nothing; any other caller sees only the certifications they review
//! (checked per certification by the façade through the store's `is_reviewer`). Refusals to
//! see are reported as "not found" by the façade, refusals to act as [`EngineError::Forbidden`].

use attest_domain::{Authority, Permission};
use attest_query::{FieldValue, Filter, Op, Record, Value};
use attest_store::campaigns::ListQuery;

use super::EngineError;
use crate::credentials::Caller;

/// Campaign administration needs CERT_ADMIN (ORG_ADMIN implies it).
pub(super) fn require_manage(caller: &Caller) -> Result<(), EngineError> {
    if caller.has(Authority::CertAdmin) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "managing certification campaigns needs the ORG_ADMIN or CERT_ADMIN authority"
                .to_owned(),
        ))
    }
}

/// Reading campaigns needs CERT_ADMIN or REPORT_ADMIN (ORG_ADMIN implies both).
pub(super) fn require_read(caller: &Caller) -> Result<(), EngineError> {
    if reads_everything(caller) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "reading certification campaigns needs the ORG_ADMIN, CERT_ADMIN or REPORT_ADMIN authority"
                .to_owned(),
        ))
    }
}

/// Whether the caller may see every campaign, certification and task.
pub(super) fn reads_everything(caller: &Caller) -> bool {
    caller.has_any(&[Authority::CertAdmin, Authority::ReportAdmin])
}

/// `query` narrowed by `extra` as well.
pub(super) fn and_also(query: &ListQuery, extra: Filter) -> ListQuery {
    let filter = match &query.filter {
        Some(f) => Filter::And(vec![f.clone(), extra]),
        None => extra,
    };
    ListQuery {
        filter: Some(filter),
        ..query.clone()
    }
}

/// Certifications a reviewer may see: those of activated campaigns.
pub(super) fn not_staged() -> Filter {
    Filter::Compare {
        field: "phase".to_owned(),
        op: Op::In,
        value: Value::List(vec![
            Value::String("ACTIVE".to_owned()),
            Value::String("SIGNED".to_owned()),
        ]),
    }
}

/// Tasks targeting one of `ids` (never empty).
pub(super) fn target_in(ids: Vec<String>) -> Filter {
    Filter::Compare {
        field: "targetId".to_owned(),
        op: Op::In,
        value: Value::List(ids.into_iter().map(Value::String).collect()),
    }
}

/// Tasks of the kinds the certification-task endpoints show: every kind but report runs.
pub(super) fn certification_task_types() -> Filter {
    use attest_domain::certification::TaskType;
    Filter::Compare {
        field: "type".to_owned(),
        op: Op::In,
        value: Value::List(
            TaskType::ALL
                .iter()
                .filter(|t| **t != TaskType::CampaignReport)
                .map(|t| Value::String(t.as_str().to_owned()))
                .collect(),
        ),
    }
}

/// A permission as a filter sees it: `target`, and `rights` as a list.
pub(super) struct PermissionRecord<'a>(pub &'a Permission);

impl Record for PermissionRecord<'_> {
    fn field(&self, path: &str) -> FieldValue<'_> {
        match path {
            "target" => FieldValue::Str(self.0.target.as_str().into()),
            "rights" => FieldValue::List(
                self.0
                    .rights
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(|r| FieldValue::Str(r.into()))
                    .collect(),
            ),
            _ => FieldValue::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_are_a_list_for_filters() {
        let permission = Permission {
            entitlement_id: "e".into(),
            target: "SYS.LOG".to_owned(),
            rights: "read, write;EXECUTE".to_owned(),
        };
        let check = |s: &str| {
            attest_query::filter_matches(
                &attest_query::parse_filter(s).unwrap(),
                &PermissionRecord(&permission),
            )
        };
        assert!(check(
            r#"target eq "sys.log" and rights ca ("READ", "execute")"#
        ));
        assert!(!check(r#"rights ca ("delete")"#));
        assert!(check(r#"target sw "SYS""#));
    }
}
