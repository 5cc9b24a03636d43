//! The rendered warehouse catalogue that access review items show: entitlements (without the
//! holder's account), access profiles, roles, their sources and their owners, shared by every
//! request until the warehouse changes.
//!
//! Policy: the catalogue changes only when an import commits, and every import moves the
//! store's [`warehouse_version`](attest_store::WarehouseStore::warehouse_version). Each request
//! that renders access details reads that version once; a different version empties the
//! catalogue before anything is looked up in it, and what a request read under an older version
//! is never added to a newer one. Accounts are per holder and are not kept here. The catalogue
//! is bounded: it is emptied when it reaches [`AccessCatalog::CAPACITY`] entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use attest_domain::{IdentityId, SourceId};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::sailpoint::certifications::{
    IdentityReferenceOut, ReviewableAccessProfileOut, ReviewableEntitlementOut, ReviewableRoleOut,
};

/// A rendered record with its JSON, serialised once when it is rendered: access profiles and
/// roles (with every entitlement inside them) are most of an item page's bytes, and the same
/// few appear on item after item and page after page. Serialises as that JSON.
#[derive(Debug)]
pub struct Rendered<T> {
    value: T,
    json: Box<RawValue>,
}

impl<T: Serialize> Rendered<T> {
    /// `value` with its JSON.
    pub fn new(value: T) -> Rendered<T> {
        // Our wire types have string keys and no failing `Serialize`, so this cannot fail;
        // should one ever, the value is written as `null` rather than losing the page.
        let json =
            serde_json::value::to_raw_value(&value).unwrap_or_else(|_| RawValue::NULL.to_owned());
        Rendered { value, json }
    }

    /// The record.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Its JSON.
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

impl<T> Serialize for Rendered<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<T: PartialEq> PartialEq for Rendered<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// A source as access details show it: its name and type.
pub(crate) type SourceOut = (String, Option<String>);

/// Rendered catalogue records by id; `None` remembers an id the warehouse does not have.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// Owners (identity references).
    pub identities: HashMap<IdentityId, Option<IdentityReferenceOut>>,
    /// Sources.
    pub sources: HashMap<SourceId, Option<SourceOut>>,
    /// Entitlements, without account.
    pub entitlements: HashMap<String, Option<Arc<Rendered<ReviewableEntitlementOut>>>>,
    /// Access profiles with their entitlements.
    pub access_profiles: HashMap<String, Option<Arc<Rendered<ReviewableAccessProfileOut>>>>,
    /// Roles with their access profiles and entitlements.
    pub roles: HashMap<String, Option<Arc<Rendered<ReviewableRoleOut>>>>,
}

impl Records {
    fn len(&self) -> usize {
        self.identities.len()
            + self.sources.len()
            + self.entitlements.len()
            + self.access_profiles.len()
            + self.roles.len()
    }

    fn clear(&mut self) {
        *self = Records::default();
    }
}

/// The shared catalogue (one per process, in [`AppState`](crate::AppState)).
#[derive(Debug, Default)]
pub struct AccessCatalog {
    inner: Mutex<Versioned>,
}

#[derive(Debug, Default)]
struct Versioned {
    version: Option<u64>,
    records: Records,
}

impl AccessCatalog {
    /// Most records held at once (all kinds together).
    pub const CAPACITY: usize = 200_000;

    fn lock(&self) -> MutexGuard<'_, Versioned> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the catalogue to `version`, emptying it when it held another.
    pub(crate) fn sync(&self, version: u64) {
        let mut inner = self.lock();
        if inner.version != Some(version) {
            inner.records.clear();
            inner.version = Some(version);
        }
    }

    /// Runs `read` over the records of `version` (nothing when the catalogue has moved on).
    pub(crate) fn read<T>(&self, version: u64, read: impl FnOnce(&Records) -> T) -> Option<T> {
        let inner = self.lock();
        (inner.version == Some(version)).then(|| read(&inner.records))
    }

    /// Adds what `write` adds, if the catalogue still holds `version`.
    pub(crate) fn write(&self, version: u64, write: impl FnOnce(&mut Records)) {
        let mut inner = self.lock();
        if inner.version != Some(version) {
            return;
        }
        if inner.records.len() >= Self::CAPACITY {
            inner.records.clear();
        }
        write(&mut inner.records);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_version_empties_the_catalogue() {
        let catalog = AccessCatalog::default();
        catalog.sync(1);
        catalog.write(1, |r| {
            r.sources.insert(SourceId::from("ad"), None);
        });
        assert_eq!(catalog.read(1, |r| r.sources.len()), Some(1));
        catalog.sync(2);
        assert_eq!(catalog.read(2, |r| r.sources.len()), Some(0));
        assert_eq!(catalog.read(1, |r| r.sources.len()), None);
    }

    #[test]
    fn rendered_records_serialise_as_their_value() {
        let value = serde_json::json!({"id": "r1", "names": ["a", "b\"c"]});
        let rendered = Rendered::new(value.clone());
        assert_eq!(serde_json::to_value(&rendered).unwrap(), value);
        assert_eq!(rendered.value(), &value);
    }

    #[test]
    fn writes_under_an_old_version_are_dropped() {
        let catalog = AccessCatalog::default();
        catalog.sync(1);
        catalog.sync(2);
        catalog.write(1, |r| {
            r.sources.insert(SourceId::from("ad"), None);
        });
        assert_eq!(catalog.read(2, |r| r.sources.len()), Some(0));
    }
}
