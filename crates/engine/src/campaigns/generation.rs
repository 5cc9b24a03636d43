//! Generation: a campaign's scope becomes review items, grouped into one certification per
//! reviewer, with identity summaries, counters and recommendations.
//!
//! Policy:
//! - Streamed: candidates are read in pages of [`PAGE_SIZE`] (keyset paging on the store's
//!   cursor); the next page (and its reviewers' names) is read in a task of its own while this
//!   page's items are built and written, so at most two pages are in memory. Only small maps stay
//!   in memory: reviewer → certification (with counters), (certification, holder) → identity
//!   summary, reviewer names, sources. Memory grows with reviewers and holders, never with
//!   items, so a million-item campaign fits in a few tens of MiB.
//! - Ids of items and summaries come from the store in blocks of [`ID_BLOCK`].
//! - Idempotent: whatever an earlier, interrupted run wrote is cleared first, and the result
//!   is written by one compare-and-set (PENDING → STAGED) that writes nothing if the campaign
//!   moved on meanwhile (deleted, for example), in which case the items are cleared again.
//! - Nothing is silently left out: a scope that selects nothing, or items for which no
//!   reviewer can be found (a source or account or role without owner), fail the generation
//!   with a message naming examples, and the campaign goes to ERROR with that alert.
//! - Nobody reviews their own access (module docs of [`super`]).
//! - A campaign filter (`super::filters`) is compiled once and applied in memory to each page
//!   after the scope's own narrowing; the records it needs are read with the page, one batch
//!   per kind. A filter that leaves nothing fails the generation, naming the filter; one that
//!   leaves something adds an INFO alert saying how many items it kept.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use attest_domain::campaign::{
    recommend, reviewer_for, CampaignEvent, CampaignStatus, RecommendationFacts,
};
use attest_domain::certification::*;
use attest_domain::{AccessType, GovernanceGroupId, IdentityId, RoleId, SourceId};
use attest_query::{filter_matches, FieldValue, Filter, Record};
use attest_store::campaigns::{Candidate, CandidateScope, GenerationResult};
use attest_store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::filters::{ItemFilter, Needs, PageFacts};
use super::worker::Failure;
use super::{audit_event, new_id, Campaigns};

/// Candidates read (and items written) per round trip.
pub const PAGE_SIZE: u32 = 10_000;
/// Ids reserved per call to the store: ten pages' worth, so that building a page seldom waits
/// for the store's writer (on SQLite, the one connection that is writing the page before).
const ID_BLOCK: i64 = 100_000;
/// Identities read per round trip when evaluating a SEARCH query.
const IDENTITY_PAGE: u32 = 2_000;
/// How many examples of unreviewable items an error names.
const MAX_EXAMPLES: usize = 5;

/// Generates the campaign `id` if it is still PENDING.
pub(super) async fn generate(engine: &Campaigns, id: &CampaignId) -> Result<(), Failure> {
    let store = engine.store.as_ref();
    let Some(campaign) = store.campaign(id).await? else {
        return Ok(());
    };
    if campaign.status != CampaignStatus::Pending {
        return Ok(());
    }
    campaign
        .status
        .after(CampaignEvent::Generated)
        .map_err(|e| Failure::Fatal(e.to_string()))?;
    store.clear_generated(id).await?;
    let mut plan = Plan::resolve(store, &campaign).await?;
    let mut filter = ItemFilter::resolve(store, &campaign).await?;
    let needs = filter.as_ref().map(|f| f.needs);
    let now = engine.clock.now();
    let mut generator = Generator::new(store, &campaign, plan.named.take(), now);
    // Time spent waiting for reads, building items and writing them (a debug log says).
    let started = Instant::now();
    let (mut waiting, mut building, mut writing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // Three stages overlap: page N+1 is read (on a reader connection, in its own task) while
    // page N's items are built, and page N-1's items are written (in a task of their own; one
    // write at a time, in page order).
    let mut reading = Some(read_page(&engine.store, &plan.scope, needs, None));
    let mut write: Option<Stage<()>> = None;
    while let Some(read) = reading.take() {
        let t = Instant::now();
        let (page, reviewers, facts) = read.finish().await?;
        waiting += t.elapsed();
        let Some(last) = page.last() else {
            break;
        };
        if page.len() >= PAGE_SIZE as usize {
            reading = Some(read_page(
                &engine.store,
                &plan.scope,
                needs,
                Some(last.cursor),
            ));
        }
        let t = Instant::now();
        let mut accepted = Vec::with_capacity(page.len());
        // The campaign filter, if any, sees the page's holders (read with its reviewers).
        let holders: HashMap<&IdentityId, &attest_domain::Identity> = match &filter {
            Some(f) if f.needs.identities => reviewers.iter().map(|i| (&i.id, i)).collect(),
            _ => HashMap::new(),
        };
        for candidate in page {
            if plan.accepts(&candidate)
                && filter
                    .as_mut()
                    .is_none_or(|f| f.keeps(&candidate, &holders, &facts))
            {
                accepted.push(candidate);
            }
        }
        drop(holders);
        generator.learn_reviewers(reviewers);
        let mut items = Vec::with_capacity(accepted.len());
        for candidate in accepted {
            if let Some(item) = generator.item(candidate).await? {
                items.push(item);
            }
        }
        building += t.elapsed();
        let t = Instant::now();
        if let Some(previous) = write.take() {
            previous.finish().await?;
        }
        writing += t.elapsed();
        if !items.is_empty() {
            write = Some(write_page(&engine.store, items));
        }
    }
    let t = Instant::now();
    if let Some(last) = write.take() {
        last.finish().await?;
    }
    writing += t.elapsed();
    if let Some(emptied) = filter.as_ref().and_then(ItemFilter::emptied) {
        return Err(Failure::Fatal(emptied));
    }
    let mut result = generator.finish(&plan)?;
    if let Some(filter) = &filter {
        result.alerts.push(filter.alert());
    }
    let audit = audit_event(
        &Actor::system(),
        now,
        "campaign.generated",
        Some(id),
        None,
        json!({
            "certifications": result.counts.certifications_total,
            "items": result.counts.items_total,
            "identities": result.counts.identities_total,
        }),
    );
    let t = Instant::now();
    let staged = store.finish_generation(id, &result, now, &audit).await?;
    tracing::debug!(
        campaign = %id,
        items = result.counts.items_total,
        ?waiting,
        ?building,
        ?writing,
        finishing = ?t.elapsed(),
        total = ?started.elapsed(),
        "campaign generated"
    );
    if !staged {
        // Deleted or moved on while we generated: leave nothing behind.
        store.clear_generated(id).await?;
    }
    Ok(())
}

/// A stage of generation running in a task of its own, so that it overlaps with the others.
/// Dropping it cancels the task (a write's transaction rolls back).
struct Stage<T> {
    task: tokio::task::JoinHandle<Result<T, StoreError>>,
    /// What the stage does, for the error when its task fails.
    what: &'static str,
}

impl<T: Send + 'static> Stage<T> {
    fn spawn(
        what: &'static str,
        work: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Stage<T> {
        Stage {
            task: tokio::spawn(work),
            what,
        }
    }

    async fn finish(mut self) -> Result<T, Failure> {
        match (&mut self.task).await {
            Ok(done) => Ok(done?),
            Err(e) => Err(Failure::Retry(StoreError::Database(format!(
                "{} failed: {e}",
                self.what
            )))),
        }
    }
}

impl<T> Drop for Stage<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A page of candidates, the reviewers it names (and its holders, when the campaign filter
/// reads them), and the other records the filter needs.
type ReadPage = (Vec<Candidate>, Vec<attest_domain::Identity>, PageFacts);

/// Reads the page of candidates after `after`, with the identities of its natural reviewers
/// (and of the managers of holders who are their own natural reviewer), in a task of its own;
/// with a campaign filter, also the records its criteria need (`needs`), one batch per kind.
fn read_page(
    store: &Arc<dyn Store>,
    scope: &CandidateScope,
    needs: Option<Needs>,
    after: Option<i64>,
) -> Stage<ReadPage> {
    let (store, scope) = (Arc::clone(store), scope.clone());
    Stage::spawn("reading generation candidates", async move {
        let page = store.candidates(&scope, after, PAGE_SIZE).await?;
        let mut ids: HashSet<IdentityId> = HashSet::new();
        for c in &page {
            if let Some(reviewer) = &c.natural_reviewer {
                ids.insert(reviewer.clone());
                if c.identity_id.as_ref() == Some(reviewer) {
                    ids.extend(c.holder_manager.clone());
                }
            }
        }
        let facts = match needs {
            Some(needs) => needs.read(store.as_ref(), &page, &mut ids).await?,
            None => PageFacts::default(),
        };
        let ids: Vec<IdentityId> = ids.into_iter().collect();
        let reviewers = if ids.is_empty() {
            Vec::new()
        } else {
            store.identities(&ids).await?
        };
        Ok((page, reviewers, facts))
    })
}

/// Writes one page of items in a task of its own.
fn write_page(store: &Arc<dyn Store>, items: Vec<ReviewItem>) -> Stage<()> {
    let store = Arc::clone(store);
    Stage::spawn("writing generated items", async move {
        store.insert_items(&items).await
    })
}

/// The reviewer a SEARCH or ROLE_COMPOSITION campaign names, resolved.
struct Named {
    /// The certification's reviewer: the identity, or the group's owner (else first member).
    reviewer: IdentityId,
    /// The group, with its name, when a governance group reviews.
    group: Option<(GovernanceGroupId, String)>,
    /// Whoever reviews through this name (the identity; the group's owner and members).
    members: HashSet<IdentityId>,
}

/// What to read and what to keep, resolved from the campaign's scope.
struct Plan {
    scope: CandidateScope,
    named: Option<Named>,
    /// IDENTITY searches with access constraints: the identities that qualified.
    holders: Option<HashSet<IdentityId>>,
    /// ACCESS searches: only items matching one of these are reviewed.
    item_constraints: Vec<AccessConstraint>,
    /// ROLE_COMPOSITION by query: the filter over role fields, and each role's verdict.
    role_query: Option<(Filter, HashMap<RoleId, bool>)>,
}

impl Plan {
    async fn resolve(store: &dyn Store, campaign: &Campaign) -> Result<Plan, Failure> {
        let mut plan = Plan {
            scope: CandidateScope::Manager,
            named: None,
            holders: None,
            item_constraints: Vec::new(),
            role_query: None,
        };
        match &campaign.definition.scope {
            CampaignScope::Manager => {}
            CampaignScope::SourceOwner {
                source_ids,
                correlated,
            } => {
                plan.scope = CandidateScope::SourceOwner {
                    source_ids: source_ids.clone(),
                    correlated: *correlated,
                }
            }
            CampaignScope::MachineAccount { source_ids } => {
                plan.scope = CandidateScope::MachineAccounts(source_ids.clone())
            }
            CampaignScope::Search {
                search_type,
                query,
                identity_ids,
                access_constraints,
                reviewer,
                ..
            } => {
                let ids = match (query, identity_ids) {
                    (_, Some(ids)) => ids.clone(),
                    (Some(q), None) => identities_matching(store, q).await?,
                    (None, None) => Vec::new(),
                };
                if ids.is_empty() {
                    return Err(Failure::Fatal(match query {
                        Some(q) => format!(
                            "The campaign's scope is empty: the search query `{q}` matches no identity."
                        ),
                        None => "The campaign's scope is empty: it names no identity.".to_owned(),
                    }));
                }
                plan.scope = CandidateScope::Identities(ids);
                plan.named = Some(resolve_named(store, reviewer).await?);
                if !access_constraints.is_empty() {
                    match search_type {
                        SearchType::Access => plan.item_constraints = access_constraints.clone(),
                        SearchType::Identity => {
                            let holders =
                                holders_of(store, &plan.scope, access_constraints).await?;
                            if holders.is_empty() {
                                return Err(Failure::Fatal(
                                    "The campaign's scope is empty: none of the selected identities holds the access its accessConstraints name.".to_owned(),
                                ));
                            }
                            plan.holders = Some(holders);
                        }
                    }
                }
            }
            CampaignScope::RoleComposition {
                role_ids,
                query,
                reviewer,
                ..
            } => {
                plan.scope = CandidateScope::RoleMembers(role_ids.clone());
                if let Some(reviewer) = reviewer {
                    plan.named = Some(resolve_named(store, reviewer).await?);
                }
                if let Some(q) = query {
                    let filter = attest_query::parse_filter(q).map_err(|e| {
                        Failure::Fatal(format!("the role query `{q}` is not a valid filter: {e}"))
                    })?;
                    plan.role_query = Some((filter, HashMap::new()));
                }
            }
        }
        Ok(plan)
    }

    /// Whether a candidate belongs in the campaign after the scope's narrowing.
    fn accepts(&mut self, candidate: &Candidate) -> bool {
        if let Some(holders) = &self.holders {
            if !candidate
                .identity_id
                .as_ref()
                .is_some_and(|i| holders.contains(i))
            {
                return false;
            }
        }
        if !self.item_constraints.is_empty()
            && !self
                .item_constraints
                .iter()
                .any(|c| constraint_matches(c, candidate))
        {
            return false;
        }
        if let Some((filter, verdicts)) = &mut self.role_query {
            let Some(role) = &candidate.role_id else {
                return false;
            };
            if let Some(verdict) = verdicts.get(role) {
                return *verdict;
            }
            let verdict = filter_matches(filter, &RoleRecord(candidate));
            verdicts.insert(role.clone(), verdict);
            return verdict;
        }
        true
    }
}

fn constraint_matches(constraint: &AccessConstraint, candidate: &Candidate) -> bool {
    let kind = match candidate.access_type {
        ItemAccessType::Entitlement => AccessType::Entitlement,
        ItemAccessType::AccessProfile => AccessType::AccessProfile,
        ItemAccessType::Role => AccessType::Role,
        ItemAccessType::Account => return false,
    };
    kind == constraint.access_type
        && constraint
            .ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&candidate.access_id))
}

async fn resolve_named(store: &dyn Store, reviewer: &NamedReviewer) -> Result<Named, Failure> {
    match reviewer {
        NamedReviewer::Identity(id) => {
            if store.identity(id).await?.is_none() {
                return Err(Failure::Fatal(format!(
                    "The campaign's reviewer, identity {id}, no longer exists."
                )));
            }
            Ok(Named {
                reviewer: id.clone(),
                group: None,
                members: HashSet::from([id.clone()]),
            })
        }
        NamedReviewer::GovernanceGroup(id) => {
            let group = store.governance_group(id).await?.ok_or_else(|| {
                Failure::Fatal(format!(
                    "The campaign's reviewer, governance group {id}, no longer exists."
                ))
            })?;
            let reviewer = group
                .owner_id
                .clone()
                .or_else(|| group.member_ids.first().cloned())
                .ok_or_else(|| {
                    Failure::Fatal(format!(
                        "The campaign's reviewer, governance group {} ({id}), has neither an owner nor members, so nobody can review.",
                        group.name
                    ))
                })?;
            let mut members: HashSet<IdentityId> = group.member_ids.iter().cloned().collect();
            members.insert(reviewer.clone());
            Ok(Named {
                reviewer,
                group: Some((id.clone(), group.name)),
                members,
            })
        }
    }
}

/// The identities a SEARCH query selects, read page by page.
async fn identities_matching(store: &dyn Store, query: &str) -> Result<Vec<IdentityId>, Failure> {
    let filter = attest_query::parse_filter(query).map_err(|e| {
        Failure::Fatal(format!(
            "the search query `{query}` is not a valid filter: {e}"
        ))
    })?;
    let mut selected = Vec::new();
    let mut after: Option<IdentityId> = None;
    loop {
        let page = store.identities_page(after.as_ref(), IDENTITY_PAGE).await?;
        let full = page.len() >= IDENTITY_PAGE as usize;
        for (id, attributes) in &page {
            if filter_matches(&filter, &IdentityRecord { id, attributes }) {
                selected.push(id.clone());
            }
        }
        match page.into_iter().last() {
            Some((last, _)) if full => after = Some(last),
            _ => break,
        }
    }
    Ok(selected)
}

/// The identities of `scope` that hold at least one access matching `constraints`.
async fn holders_of(
    store: &dyn Store,
    scope: &CandidateScope,
    constraints: &[AccessConstraint],
) -> Result<HashSet<IdentityId>, Failure> {
    let mut holders = HashSet::new();
    let mut after = None;
    loop {
        let page = store.candidates(scope, after, PAGE_SIZE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.cursor);
        let full = page.len() >= PAGE_SIZE as usize;
        for candidate in page {
            if let Some(identity) = &candidate.identity_id {
                if constraints
                    .iter()
                    .any(|c| constraint_matches(c, &candidate))
                {
                    holders.insert(identity.clone());
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(holders)
}

/// An identity as a SEARCH query sees it: `id`, the standard fields and the attributes, by
/// their names (`department`, `costCenter`) or prefixed (`attributes.costCenter`);
/// `manager.id` is an alias of `managerId`.
struct IdentityRecord<'a> {
    id: &'a IdentityId,
    attributes: &'a Value,
}

impl Record for IdentityRecord<'_> {
    fn field(&self, path: &str) -> FieldValue<'_> {
        if path == "id" {
            return FieldValue::Str(self.id.as_str().into());
        }
        let path = match path {
            "manager.id" => "managerId",
            other => other.strip_prefix("attributes.").unwrap_or(other),
        };
        if let Some(v) = self.attributes.get(path) {
            return json_field(v);
        }
        // Nested objects, if a backend stores any.
        let mut value = self.attributes;
        for part in path.split('.') {
            match value.get(part) {
                Some(v) => value = v,
                None => return FieldValue::Null,
            }
        }
        json_field(value)
    }
}

fn json_field(value: &Value) -> FieldValue<'_> {
    match value {
        Value::Null | Value::Object(_) => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(FieldValue::Null, FieldValue::Number),
        Value::String(s) => FieldValue::Str(s.as_str().into()),
        Value::Array(items) => FieldValue::List(items.iter().map(json_field).collect()),
    }
}

/// A role as a ROLE_COMPOSITION query sees it: `id`, `name`, `owner.id` (alias `ownerId`).
struct RoleRecord<'a>(&'a Candidate);

impl Record for RoleRecord<'_> {
    fn field(&self, path: &str) -> FieldValue<'_> {
        let text = match path {
            "id" => self.0.role_id.as_ref().map(RoleId::as_str),
            "name" => Some(self.0.holder_name.as_str()),
            "owner.id" | "ownerId" => self.0.natural_reviewer.as_ref().map(IdentityId::as_str),
            _ => None,
        };
        text.map_or(FieldValue::Null, |t| FieldValue::Str(t.into()))
    }
}

/// Ids reserved from the store, handed out one by one.
struct IdPool {
    next: i64,
    end: i64,
}

impl IdPool {
    async fn take(&mut self, store: &dyn Store) -> Result<i64, Failure> {
        if self.next >= self.end {
            self.next = store.allocate_ids(ID_BLOCK).await?;
            self.end = self.next + ID_BLOCK;
        }
        let id = self.next;
        self.next += 1;
        Ok(id)
    }
}

/// A certification as generation builds it up.
struct CertState {
    id: CertificationId,
    index: u32,
    reviewer: IdentityId,
    reviewer_name: String,
    reviewer_email: Option<String>,
    group: Option<(GovernanceGroupId, String)>,
    counts: CertificationCounts,
    reassignment: Option<ReassignmentRecord>,
}

/// What a certification shows of its reviewer.
struct Reviewer {
    name: String,
    email: Option<String>,
}

impl Reviewer {
    fn of(identity: attest_domain::Identity) -> Reviewer {
        Reviewer {
            name: identity.display_name.unwrap_or(identity.name),
            email: identity.email,
        }
    }
}

/// Which certification: the reviewer, and the governance group reviewing through them.
type CertKey = (IdentityId, Option<GovernanceGroupId>);

/// Builds items, keeping only per-certification and per-holder state.
struct Generator<'a> {
    store: &'a dyn Store,
    campaign: &'a Campaign,
    named: Option<Named>,
    now: DateTime<Utc>,
    ids: IdPool,
    certifications: HashMap<CertKey, CertState>,
    /// Reviewers looked up so far (name and email), `None` when the warehouse lacks them.
    reviewers: HashMap<IdentityId, Option<Reviewer>>,
    summaries: HashMap<(u32, String), IdentitySummary>,
    sources: BTreeSet<SourceId>,
    items_total: i64,
    unreviewable: u64,
    examples: BTreeSet<String>,
    unavoidable_self_reviews: u64,
}

impl<'a> Generator<'a> {
    fn new(
        store: &'a dyn Store,
        campaign: &'a Campaign,
        named: Option<Named>,
        now: DateTime<Utc>,
    ) -> Self {
        Generator {
            store,
            campaign,
            named,
            now,
            ids: IdPool { next: 0, end: 0 },
            certifications: HashMap::new(),
            reviewers: HashMap::new(),
            summaries: HashMap::new(),
            sources: BTreeSet::new(),
            items_total: 0,
            unreviewable: 0,
            examples: BTreeSet::new(),
            unavoidable_self_reviews: 0,
        }
    }

    /// Remembers reviewers read with a page, so that building items does not wait on the
    /// store per reviewer (others, such as a reassignment's target, are looked up on first
    /// use).
    fn learn_reviewers(&mut self, identities: Vec<attest_domain::Identity>) {
        for identity in identities {
            if !self.reviewers.contains_key(&identity.id) {
                self.reviewers
                    .insert(identity.id.clone(), Some(Reviewer::of(identity)));
            }
        }
    }

    /// The item for one candidate, or `None` when nobody can review it (counted for the
    /// error that [`Generator::finish`] then reports).
    async fn item(&mut self, c: Candidate) -> Result<Option<ReviewItem>, Failure> {
        let natural_key: CertKey = match (&self.named, &c.natural_reviewer) {
            (Some(named), _) => (
                named.reviewer.clone(),
                named.group.as_ref().map(|(id, _)| id.clone()),
            ),
            (None, Some(reviewer)) => (reviewer.clone(), None),
            (None, None) => {
                self.note_unreviewable(&c);
                return Ok(None);
            }
        };
        let self_review = match (&self.named, &c.identity_id) {
            (_, None) => None,
            (Some(named), Some(holder)) => named.members.contains(holder).then_some(holder),
            (None, Some(holder)) => (*holder == natural_key.0).then_some(holder),
        };
        let (key, reassigned) = match self_review {
            None => (natural_key, None),
            Some(holder) => {
                let mut reviewer = reviewer_for(
                    holder,
                    Some(holder),
                    c.holder_manager.as_ref(),
                    &self.campaign.owner,
                )
                .reviewer;
                let mut to_whom = if Some(&reviewer) == c.holder_manager.as_ref() {
                    "their manager"
                } else {
                    "the campaign owner"
                };
                // A reviewer has one certification per campaign; the group's representative's
                // is the group's, on which the holder could act, so go to the campaign owner.
                if self.group_certification_of(&reviewer) {
                    reviewer = self.campaign.owner.clone();
                    to_whom = "the campaign owner";
                }
                let key = self.key_for(reviewer);
                if key.0 == *holder || key.1.is_some() {
                    self.unavoidable_self_reviews += 1;
                }
                let from = self.certification(&natural_key).await?;
                let record = ReassignmentRecord {
                    from_certification: from.id.clone(),
                    from_reviewer: from.reviewer.clone(),
                    comment: format!(
                        "{} cannot review their own access; reassigned automatically to {to_whom}",
                        c.holder_name
                    ),
                };
                (key, Some(record))
            }
        };

        let recommendation = self.campaign.definition.recommendations_enabled.then(|| {
            recommend(&RecommendationFacts {
                origin: c.origin,
                holder_active: c.holder_active,
                account_last_used: c.account_last_used,
                now: self.now,
            })
        });
        let item_id = ReviewItemId(self.ids.take(self.store).await?);

        let certification = self.certification(&key).await?;
        let (cert_id, cert_index) = (certification.id.clone(), certification.index);
        let counts = &mut certification.counts;
        match c.access_type {
            ItemAccessType::Entitlement => counts.entitlements.total += 1,
            ItemAccessType::AccessProfile => counts.access_profiles.total += 1,
            ItemAccessType::Role => counts.roles.total += 1,
            ItemAccessType::Account => counts.accounts.total += 1,
        }
        if let Some(record) = &reassigned {
            certification.reassignment = Some(record.clone());
        }

        let holder_key = match (&c.identity_id, &c.account_id, &c.role_id) {
            (Some(i), _, _) => format!("i:{i}"),
            (None, Some(a), _) => format!("a:{a}"),
            (None, None, Some(r)) => format!("r:{r}"),
            (None, None, None) => format!("n:{}", c.holder_name),
        };
        let summary_key = (cert_index, holder_key);
        let summary_id = match self.summaries.get_mut(&summary_key) {
            Some(summary) => {
                summary.items_total += 1;
                summary.id
            }
            None => {
                let id = IdentitySummaryId(self.ids.take(self.store).await?);
                let holder_is_identity = c.identity_id.is_some();
                self.summaries.insert(
                    summary_key,
                    IdentitySummary {
                        id,
                        certification_id: cert_id.clone(),
                        identity_id: c.identity_id.clone(),
                        account_id: if holder_is_identity {
                            None
                        } else {
                            c.account_id.clone()
                        },
                        role_id: if holder_is_identity || c.account_id.is_some() {
                            None
                        } else {
                            c.role_id.clone()
                        },
                        name: c.holder_name.clone(),
                        items_total: 1,
                        items_decided: 0,
                    },
                );
                if let Some(certification) = self.certifications.get_mut(&key) {
                    certification.counts.identities_total += 1;
                }
                id
            }
        };

        if let Some(source) = &c.source_id {
            if !self.sources.contains(source) {
                self.sources.insert(source.clone());
            }
        }
        self.items_total += 1;
        let (recommendation, recommendation_reasons) = match recommendation {
            Some(r) => (r.decision, r.reasons),
            None => (None, Vec::new()),
        };
        Ok(Some(ReviewItem {
            id: item_id,
            certification_id: cert_id,
            campaign_id: self.campaign.id.clone(),
            identity_summary_id: summary_id,
            identity_id: c.identity_id,
            account_id: c.account_id,
            role_id: c.role_id,
            holder_name: c.holder_name,
            access_type: c.access_type,
            access_id: c.access_id,
            access_name: c.access_name,
            source_id: c.source_id,
            source_name: c.source_name,
            origin: c.origin,
            granted_at: c.granted_at,
            recommendation,
            recommendation_reasons,
            decision: None,
            comments: None,
            proposed_end_date: None,
            decided_by: None,
            decided_at: None,
            reassigned_from: reassigned.as_ref().map(|r| r.from_certification.clone()),
            reassignment_reason: reassigned.map(|r| r.comment),
        }))
    }

    /// Whether `reviewer`'s certification in this campaign is the reviewing group's.
    fn group_certification_of(&self, reviewer: &IdentityId) -> bool {
        self.named
            .as_ref()
            .is_some_and(|n| n.group.is_some() && n.reviewer == *reviewer)
    }

    /// The certification key of a reviewer: one certification per reviewer and campaign, the
    /// group's representative's being the group's.
    fn key_for(&self, reviewer: IdentityId) -> CertKey {
        let group = if self.group_certification_of(&reviewer) {
            self.named
                .as_ref()
                .and_then(|n| n.group.as_ref().map(|(id, _)| id.clone()))
        } else {
            None
        };
        (reviewer, group)
    }

    /// The certification for `key`, created (with its reviewer's name) on first use.
    async fn certification(&mut self, key: &CertKey) -> Result<&mut CertState, Failure> {
        if !self.certifications.contains_key(key) {
            if !self.reviewers.contains_key(&key.0) {
                let found = self.store.identity(&key.0).await?.map(Reviewer::of);
                self.reviewers.insert(key.0.clone(), found);
            }
            let Some(Some(reviewer)) = self.reviewers.get(&key.0) else {
                return Err(Failure::Fatal(format!(
                    "The reviewer {} does not exist in the identity warehouse.",
                    key.0
                )));
            };
            let group = match (&key.1, &self.named) {
                (Some(_), Some(named)) => named.group.clone(),
                _ => None,
            };
            let index = u32::try_from(self.certifications.len()).unwrap_or(u32::MAX);
            self.certifications.insert(
                key.clone(),
                CertState {
                    id: CertificationId(new_id()),
                    index,
                    reviewer: key.0.clone(),
                    reviewer_name: reviewer.name.clone(),
                    reviewer_email: reviewer.email.clone(),
                    group,
                    counts: CertificationCounts::default(),
                    reassignment: None,
                },
            );
        }
        self.certifications.get_mut(key).ok_or_else(|| {
            Failure::Fatal("internal error: a certification vanished during generation".to_owned())
        })
    }

    fn note_unreviewable(&mut self, c: &Candidate) {
        self.unreviewable += 1;
        if self.examples.len() >= MAX_EXAMPLES {
            return;
        }
        let example = match &self.campaign.definition.scope {
            CampaignScope::SourceOwner { .. } => match &c.source_id {
                Some(source) => format!(
                    "source {} ({source}) has no owner",
                    c.source_name.as_deref().unwrap_or("?")
                ),
                None => format!("the access of {} has no source owner", c.holder_name),
            },
            CampaignScope::MachineAccount { .. } => format!(
                "machine account {} ({}) has no owner",
                c.holder_name,
                c.account_id.as_ref().map_or("?", |a| a.as_str())
            ),
            CampaignScope::RoleComposition { .. } => format!(
                "role {} ({}) has no owner",
                c.holder_name,
                c.role_id.as_ref().map_or("?", |r| r.as_str())
            ),
            CampaignScope::Manager => format!(
                "identity {} ({}) has no manager",
                c.holder_name,
                c.identity_id.as_ref().map_or("?", |i| i.as_str())
            ),
            CampaignScope::Search { .. } => {
                format!("no reviewer was found for the access of {}", c.holder_name)
            }
        };
        self.examples.insert(example);
    }

    /// Everything generation learned, or why the campaign cannot be generated.
    fn finish(self, plan: &Plan) -> Result<GenerationResult, Failure> {
        if self.unreviewable > 0 {
            let examples: Vec<String> = self.examples.into_iter().collect();
            return Err(Failure::Fatal(format!(
                "{} item{} of the campaign's scope cannot be given a reviewer: {}. Name the missing reviewers in the warehouse (or narrow the scope) and create the campaign again.",
                self.unreviewable,
                if self.unreviewable == 1 { "" } else { "s" },
                examples.join("; ")
            )));
        }
        if self.items_total == 0 {
            return Err(Failure::Fatal(format!(
                "The campaign's scope is empty: {}.",
                empty_scope_reason(&self.campaign.definition.scope, plan)
            )));
        }
        let definition = &self.campaign.definition;
        let mut alerts = Vec::new();
        if self.unavoidable_self_reviews > 0 {
            let n = self.unavoidable_self_reviews;
            alerts.push(CampaignAlert {
                level: AlertLevel::Warn,
                message: format!(
                    "{n} item{} had no reviewer other than their holder (a holder without a manager who owns the campaign, or whose only other reviewer is the reviewing group) and {} reviewed where the holder can act on them",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "is" } else { "are" },
                ),
            });
        }
        let mut certifications: Vec<Certification> = self
            .certifications
            .into_values()
            .filter(|c| c.counts.items_total() > 0)
            .map(|c| {
                let shown = c
                    .group
                    .as_ref()
                    .map_or(c.reviewer_name.as_str(), |(_, name)| name.as_str());
                Certification {
                    name: format!("{} - {shown}", definition.name),
                    id: c.id,
                    campaign_id: self.campaign.id.clone(),
                    campaign_name: definition.name.clone(),
                    campaign_type: definition.scope.campaign_type(),
                    reviewer: c.reviewer,
                    reviewer_name: c.reviewer_name,
                    reviewer_email: c.reviewer_email,
                    reviewer_group: c.group.map(|(id, _)| id),
                    phase: CertificationPhase::Staged,
                    due: definition.deadline,
                    signed: None,
                    created: self.now,
                    modified: self.now,
                    reassignment: c.reassignment,
                    counts: c.counts,
                }
            })
            .collect();
        certifications.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let identity_summaries: Vec<IdentitySummary> = self.summaries.into_values().collect();
        let counts = CampaignCounts {
            certifications_total: certifications.len() as i64,
            certifications_completed: 0,
            items_total: self.items_total,
            items_decided: 0,
            identities_total: identity_summaries.len() as i64,
        };
        Ok(GenerationResult {
            certifications,
            identity_summaries,
            counts,
            source_ids: self.sources.into_iter().collect(),
            alerts,
        })
    }
}

fn empty_scope_reason(scope: &CampaignScope, plan: &Plan) -> String {
    let list = |ids: &[SourceId]| {
        ids.iter()
            .map(SourceId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match scope {
        CampaignScope::Manager => "no identity that has a manager holds any access".to_owned(),
        CampaignScope::SourceOwner {
            source_ids,
            correlated: CorrelatedStatus::Correlated,
        } => format!("no identity holds access on source(s) {}", list(source_ids)),
        CampaignScope::SourceOwner { source_ids, .. } => format!(
            "no uncorrelated account holds access on source(s) {}",
            list(source_ids)
        ),
        CampaignScope::MachineAccount { source_ids } => {
            format!("source(s) {} have no machine accounts", list(source_ids))
        }
        CampaignScope::Search { .. } if !plan.item_constraints.is_empty() => {
            "the selected identities hold none of the access its accessConstraints name".to_owned()
        }
        CampaignScope::Search { .. } => "the selected identities hold no access".to_owned(),
        CampaignScope::RoleComposition { query: Some(q), .. } => {
            format!("no role matching `{q}` contains access profiles or entitlements")
        }
        CampaignScope::RoleComposition { .. } => {
            "the selected roles contain no access profiles or entitlements".to_owned()
        }
    }
}
