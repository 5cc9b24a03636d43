//! The identity warehouse: what campaigns review.
//!
//! These are the records the data bundle carries (see CONTRACTS.md, "Data bundle"); the
//! importer validates them and the store keeps them. Field names follow the bundle's columns.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::*;

/// A person, or the owner of machine accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Unique id from the bundle.
    pub id: IdentityId,
    /// Unique account-style name (e.g. `jane.doe`).
    pub name: String,
    /// Human-readable name.
    pub display_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// The identity's manager, if any.
    pub manager_id: Option<IdentityId>,
    /// Department.
    pub department: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Office or site.
    pub location: Option<String>,
    /// Lifecycle state (e.g. `active`, `leaver`).
    pub lifecycle_state: Option<String>,
    /// Whether the identity is active; an inactive holder's access is recommended for revocation.
    pub active: bool,
    /// Every other column of `identities.csv`, by column name.
    pub attributes: BTreeMap<String, String>,
}

/// A system that holds accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Unique id.
    pub id: SourceId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The source owner, who reviews SOURCE_OWNER campaigns.
    pub owner_id: Option<IdentityId>,
    /// Connector type (free text, e.g. `Active Directory`).
    pub source_type: Option<String>,
}

/// A group or permission on a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entitlement {
    /// Unique id.
    pub id: EntitlementId,
    /// The source that holds it.
    pub source_id: SourceId,
    /// Name.
    pub name: String,
    /// The account attribute that carries it (e.g. `memberOf`).
    pub attribute: Option<String>,
    /// The attribute value (e.g. a group DN).
    pub value: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Whether holding it is privileged.
    pub privileged: bool,
    /// Its owner.
    pub owner_id: Option<IdentityId>,
}

/// What an entitlement allows on a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The entitlement that grants it.
    pub entitlement_id: EntitlementId,
    /// The object the rights apply to (e.g. a share, a table).
    pub target: String,
    /// The rights, as the source names them (e.g. `read,write`).
    pub rights: String,
}

/// A bundle of entitlements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessProfile {
    /// Unique id.
    pub id: AccessProfileId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The source its entitlements come from, if one.
    pub source_id: Option<SourceId>,
    /// Its owner.
    pub owner_id: Option<IdentityId>,
    /// The entitlements it grants.
    pub entitlement_ids: Vec<EntitlementId>,
}

/// A bundle of access profiles and entitlements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Unique id.
    pub id: RoleId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Its owner, who reviews ROLE_COMPOSITION campaigns.
    pub owner_id: Option<IdentityId>,
    /// The access profiles it grants.
    pub access_profile_ids: Vec<AccessProfileId>,
    /// The entitlements it grants directly.
    pub entitlement_ids: Vec<EntitlementId>,
    /// Whether holding it is privileged.
    pub privileged: bool,
}

/// An account on a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Unique id.
    pub id: AccountId,
    /// The source that holds it.
    pub source_id: SourceId,
    /// Its id on the source (e.g. `CN=jdoe,OU=Staff`).
    pub native_identity: String,
    /// Display name.
    pub name: Option<String>,
    /// The identity it is correlated to; `None` for an uncorrelated or machine account.
    pub identity_id: Option<IdentityId>,
    /// Whether this is a machine (service) account.
    pub machine: bool,
    /// The owner of a machine account.
    pub owner_id: Option<IdentityId>,
    /// Whether the account is disabled on its source.
    pub disabled: bool,
    /// Whether the account is locked on its source.
    pub locked: bool,
    /// When the account was last used.
    pub last_used: Option<DateTime<Utc>>,
}

impl Account {
    /// How this account is held, for the purpose of reviewing it.
    pub fn kind(&self) -> AccountKind {
        match (&self.identity_id, self.machine) {
            (_, true) => AccountKind::Machine,
            (Some(_), false) => AccountKind::Correlated,
            (None, false) => AccountKind::Uncorrelated,
        }
    }
}

/// The three kinds of account a campaign distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountKind {
    /// Owned by an identity.
    Correlated,
    /// Owned by no identity.
    Uncorrelated,
    /// A service account with an owner identity.
    Machine,
}

/// A named set of identities that can review together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GovernanceGroup {
    /// Unique id.
    pub id: GovernanceGroupId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Its owner.
    pub owner_id: Option<IdentityId>,
    /// Its members.
    pub member_ids: Vec<IdentityId>,
}

/// The kind of access item an assignment grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessType {
    /// An entitlement.
    Entitlement,
    /// An access profile.
    AccessProfile,
    /// A role.
    Role,
}

/// How an assignment came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Origin {
    /// Granted by the role model; recommended for approval.
    RoleModel,
    /// Granted through an access request.
    Request,
    /// Granted by hand.
    #[default]
    Manual,
    /// Found on the source without any grant; recommended for revocation.
    Discovered,
}

/// One holder has one access item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The identity that holds it, when given.
    pub identity_id: Option<IdentityId>,
    /// The account through which it is held, when given.
    pub account_id: Option<AccountId>,
    /// The kind of access item.
    pub access_type: AccessType,
    /// The access item's id (an entitlement, access profile or role id).
    pub access_id: String,
    /// How it was granted.
    pub origin: Origin,
    /// Since when.
    pub granted_at: Option<DateTime<Utc>>,
}

impl Assignment {
    /// The key that makes an assignment unique: holder, account, access type and access id.
    ///
    /// Two rows of `assignments.csv` with the same key are duplicates; a re-import matches
    /// existing assignments by it.
    pub fn holder_key(&self) -> String {
        holder_key(self.identity_id.as_ref(), self.account_id.as_ref())
    }
}

/// The holder part of an assignment's key (see [`Assignment::holder_key`]).
pub fn holder_key(identity: Option<&IdentityId>, account: Option<&AccountId>) -> String {
    // U+001F (unit separator) cannot appear in a valid id from a CSV cell in practice, and
    // ids containing it are rejected by the importer.
    format!(
        "{}\u{1f}{}",
        identity.map(IdentityId::as_str).unwrap_or(""),
        account.map(AccountId::as_str).unwrap_or("")
    )
}

/// An enum whose text form is fixed by a contract; parsing fails on anything else.
macro_rules! wire_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The contract's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::warehouse::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err($crate::warehouse::UnknownVariant {
                        value: s.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(AccessType {
    Entitlement => "ENTITLEMENT",
    AccessProfile => "ACCESS_PROFILE",
    Role => "ROLE",
});

wire_enum!(Origin {
    RoleModel => "ROLE_MODEL",
    Request => "REQUEST",
    Manual => "MANUAL",
    Discovered => "DISCOVERED",
});

/// A value that is not one of an enum's contract spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value \"{value}\" (expected one of {})", expected.join(", "))]
pub struct UnknownVariant {
    /// What was given.
    pub value: String,
    /// What would have been accepted.
    pub expected: &'static [&'static str],
}

/// How many of each record the warehouse holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseCounts {
    /// Identities.
    pub identities: u64,
    /// Sources.
    pub sources: u64,
    /// Entitlements.
    pub entitlements: u64,
    /// Access profiles.
    pub access_profiles: u64,
    /// Roles.
    pub roles: u64,
    /// Accounts.
    pub accounts: u64,
    /// Assignments.
    pub assignments: u64,
    /// Governance groups.
    pub governance_groups: u64,
    /// Entitlement permissions.
    pub permissions: u64,
}

impl WarehouseCounts {
    /// Each count with the data-bundle file whose rows it counts, in the order an import reads
    /// the files.
    pub fn per_bundle_file(&self) -> [(&'static str, u64); 9] {
        [
            ("identities.csv", self.identities),
            ("sources.csv", self.sources),
            ("entitlements.csv", self.entitlements),
            ("permissions.csv", self.permissions),
            ("access_profiles.csv", self.access_profiles),
            ("roles.csv", self.roles),
            ("accounts.csv", self.accounts),
            ("governance_groups.csv", self.governance_groups),
            ("assignments.csv", self.assignments),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_contract_spelling() {
        for t in AccessType::ALL {
            assert_eq!(t.as_str().parse::<AccessType>().unwrap(), *t);
        }
        for o in Origin::ALL {
            assert_eq!(o.as_str().parse::<Origin>().unwrap(), *o);
        }
        let err = "GROUP".parse::<AccessType>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown value \"GROUP\" (expected one of ENTITLEMENT, ACCESS_PROFILE, ROLE)"
        );
    }

    #[test]
    fn holder_key_distinguishes_identity_and_account() {
        let i = IdentityId::from("a");
        let a = AccountId::from("a");
        assert_ne!(holder_key(Some(&i), None), holder_key(None, Some(&a)));
        assert_ne!(holder_key(Some(&i), Some(&a)), holder_key(Some(&i), None));
    }

    #[test]
    fn account_kind_follows_correlation_and_machine_flag() {
        let mut acct = Account {
            id: "a1".into(),
            source_id: "s1".into(),
            native_identity: "x".into(),
            name: None,
            identity_id: Some("i1".into()),
            machine: false,
            owner_id: None,
            disabled: false,
            locked: false,
            last_used: None,
        };
        assert_eq!(acct.kind(), AccountKind::Correlated);
        acct.identity_id = None;
        assert_eq!(acct.kind(), AccountKind::Uncorrelated);
        acct.machine = true;
        assert_eq!(acct.kind(), AccountKind::Machine);
    }
}
