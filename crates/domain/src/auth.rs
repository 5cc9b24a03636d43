//! Authorities: what a caller may do beyond reviewing their own work.

use serde::{Deserialize, Serialize};

use crate::warehouse::{wire_enum, UnknownVariant};

/// A right granted to an API client. A client with none is an ordinary user (a reviewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Authority {
    /// Administers everything.
    OrgAdmin,
    /// Administers certification campaigns.
    CertAdmin,
    /// Reads campaigns, reports and the evidence trail; changes nothing.
    ReportAdmin,
}

wire_enum!(Authority {
    OrgAdmin => "ORG_ADMIN",
    CertAdmin => "CERT_ADMIN",
    ReportAdmin => "REPORT_ADMIN",
});

/// An authority name that Attest does not know.
pub type AuthorityParseError = UnknownVariant;

impl Authority {
    /// Whether a holder of `held` may act where `self` is required. ORG_ADMIN implies all.
    pub fn is_granted_by(self, held: &[Authority]) -> bool {
        held.contains(&self) || held.contains(&Authority::OrgAdmin)
    }

    /// Parses a list of authorities as stored (`;`, `,` or space separated); empty means none.
    pub fn parse_list(s: &str) -> Result<Vec<Authority>, AuthorityParseError> {
        let mut out: Vec<Authority> = s
            .split([';', ',', ' '])
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Formats a list of authorities for storage (inverse of [`Authority::parse_list`]).
    pub fn format_list(list: &[Authority]) -> String {
        list.iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_admin_implies_every_authority() {
        assert!(Authority::CertAdmin.is_granted_by(&[Authority::OrgAdmin]));
        assert!(Authority::CertAdmin.is_granted_by(&[Authority::CertAdmin]));
        assert!(!Authority::CertAdmin.is_granted_by(&[Authority::ReportAdmin]));
        assert!(!Authority::ReportAdmin.is_granted_by(&[]));
    }

    #[test]
    fn lists_round_trip() {
        let list = Authority::parse_list("REPORT_ADMIN;ORG_ADMIN;ORG_ADMIN").unwrap();
        assert_eq!(list, vec![Authority::OrgAdmin, Authority::ReportAdmin]);
        assert_eq!(Authority::format_list(&list), "ORG_ADMIN;REPORT_ADMIN");
        assert_eq!(Authority::parse_list("").unwrap(), vec![]);
        assert!(Authority::parse_list("ROOT").is_err());
    }
}
