//! Identifier newtypes, so that an identity id can never be passed where a source id is meant.
//!
//! Warehouse ids come from the data bundle and are opaque, non-empty strings.

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

pub(crate) use string_id;

string_id!(
    /// Identifies an identity (a person, or the owner of machine accounts).
    IdentityId
);
string_id!(
    /// Identifies a source: a system that holds accounts.
    SourceId
);
string_id!(
    /// Identifies an entitlement on a source.
    EntitlementId
);
string_id!(
    /// Identifies an access profile.
    AccessProfileId
);
string_id!(
    /// Identifies a role.
    RoleId
);
string_id!(
    /// Identifies an account on a source.
    AccountId
);
string_id!(
    /// Identifies a governance group.
    GovernanceGroupId
);
string_id!(
    /// Identifies an API client (the public half of a personal access token).
    ClientId
);
