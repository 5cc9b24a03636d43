//! The records of a running review: campaigns, certifications (one reviewer's worklist),
//! review items, identity summaries, decisions, certification tasks, provisioning orders and
//! audit events.
//!
//! Policy: these are plain data. The rules that act on them live in [`crate::campaign`]
//! (lifecycle, comment requirement, recommendation, self-review) and in the engine; the
//! stores persist them; the API façades translate them to and from wire shapes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::campaign::{CampaignStatus, CampaignType, CommentRequirement, Decision};
use crate::ids::{string_id, AccountId, IdentityId, SourceId};
use crate::warehouse::{wire_enum, AccessType, Origin};

string_id!(
    /// Identifies a campaign: 32 lower-case hex digits, as SailPoint spells ids.
    CampaignId
);
string_id!(
    /// Identifies a certification (one reviewer's worklist in one campaign).
    CertificationId
);
string_id!(
    /// Identifies a certification task (a background job a client can poll).
    TaskId
);
string_id!(
    /// Identifies a provisioning order.
    OrderId
);

/// Identifies a review item. Allocated in blocks by the store so that generation can insert
/// items without a round trip per row; shown on the wire as its decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReviewItemId(pub i64);

impl std::fmt::Display for ReviewItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ReviewItemId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(ReviewItemId)
    }
}

/// Identifies an identity summary: one holder within one certification. Allocated like
/// [`ReviewItemId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdentitySummaryId(pub i64);

impl std::fmt::Display for IdentitySummaryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for IdentitySummaryId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(IdentitySummaryId)
    }
}

/// The kind of access a review item certifies: the three assignable kinds, or an account
/// itself (machine-account and uncorrelated reviews).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemAccessType {
    /// An entitlement.
    Entitlement,
    /// An access profile.
    AccessProfile,
    /// A role.
    Role,
    /// An account.
    Account,
}

wire_enum!(ItemAccessType {
    Entitlement => "ENTITLEMENT",
    AccessProfile => "ACCESS_PROFILE",
    Role => "ROLE",
    Account => "ACCOUNT",
});

impl From<AccessType> for ItemAccessType {
    fn from(t: AccessType) -> Self {
        match t {
            AccessType::Entitlement => ItemAccessType::Entitlement,
            AccessType::AccessProfile => ItemAccessType::AccessProfile,
            AccessType::Role => ItemAccessType::Role,
        }
    }
}

/// Whether a SOURCE_OWNER campaign covers identities' access or uncorrelated accounts'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CorrelatedStatus {
    /// Access held by identities.
    #[default]
    Correlated,
    /// Access held by accounts without an identity.
    Uncorrelated,
}

wire_enum!(CorrelatedStatus {
    Correlated => "CORRELATED",
    Uncorrelated => "UNCORRELATED",
});

/// Who reviews every certification of a SEARCH or ROLE_COMPOSITION campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NamedReviewer {
    /// One identity.
    Identity(IdentityId),
    /// A governance group: its members review together.
    GovernanceGroup(crate::ids::GovernanceGroupId),
}

/// SEARCH campaigns: whether `query`/`identityIds` select identities (all their access is
/// reviewed) or access (only the constrained access is reviewed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SearchType {
    /// Review the selected identities' access.
    #[default]
    Identity,
    /// Review the selected access.
    Access,
}

wire_enum!(SearchType {
    Identity => "IDENTITY",
    Access => "ACCESS",
});

/// Narrows a SEARCH campaign to identities that hold some access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessConstraint {
    /// The kind of access.
    pub access_type: AccessType,
    /// `None` means any access of this kind (`operator: ALL`); otherwise these ids
    /// (`operator: SELECTED`).
    pub ids: Option<Vec<String>>,
}

/// What a campaign covers and who reviews it, per campaign type (CONTRACTS.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignScope {
    /// Every identity with a manager; reviewed by the manager.
    Manager,
    /// Access on these sources; reviewed by each source's owner.
    SourceOwner {
        /// The sources.
        source_ids: Vec<SourceId>,
        /// Identities' access, or uncorrelated accounts'.
        correlated: CorrelatedStatus,
    },
    /// Identities chosen by a filter or a list, narrowed by access constraints.
    Search {
        /// Identity or access search.
        search_type: SearchType,
        /// A SailPoint filter over identity fields and attributes.
        query: Option<String>,
        /// Or a direct list of identities.
        identity_ids: Option<Vec<IdentityId>>,
        /// Identities must hold at least one of these.
        access_constraints: Vec<AccessConstraint>,
        /// Who reviews.
        reviewer: NamedReviewer,
        /// The free-text description SailPoint keeps with the search.
        description: Option<String>,
    },
    /// What roles contain; reviewed by each role's owner unless a reviewer is named.
    RoleComposition {
        /// The roles (`None`: all roles, or those `query` selects).
        role_ids: Option<Vec<crate::ids::RoleId>>,
        /// A filter over role fields.
        query: Option<String>,
        /// Overrides the role owners.
        reviewer: Option<NamedReviewer>,
        /// Who carries out revocations.
        remediator: IdentityId,
        /// Free-text description.
        description: Option<String>,
    },
    /// Machine accounts of these sources and their access; reviewed by the account owner.
    MachineAccount {
        /// The sources.
        source_ids: Vec<SourceId>,
    },
}

impl CampaignScope {
    /// The campaign type this scope belongs to.
    pub fn campaign_type(&self) -> CampaignType {
        match self {
            CampaignScope::Manager => CampaignType::Manager,
            CampaignScope::SourceOwner { .. } => CampaignType::SourceOwner,
            CampaignScope::Search { .. } => CampaignType::Search,
            CampaignScope::RoleComposition { .. } => CampaignType::RoleComposition,
            CampaignScope::MachineAccount { .. } => CampaignType::MachineAccount,
        }
    }
}

/// A reference to a campaign filter applied at generation (issue 4 fills in the filters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterRef {
    /// The filter's id.
    pub id: String,
    /// Its name, as given.
    pub name: Option<String>,
}

/// Everything an administrator sets when creating a campaign; the rest is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDefinition {
    /// Display name (1–255 characters).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// When reviews are due.
    pub deadline: Option<DateTime<Utc>>,
    /// Scope and reviewers.
    pub scope: CampaignScope,
    /// Send e-mail to reviewers.
    pub email_notification_enabled: bool,
    /// Undecided items may be revoked when the campaign is completed.
    pub auto_revoke_allowed: bool,
    /// Show recommendations.
    pub recommendations_enabled: bool,
    /// Which decisions need a comment.
    pub mandatory_comment_requirement: CommentRequirement,
    /// Comments required when changing sunset dates.
    pub sunset_comments_required: bool,
    /// Campaign filter applied at generation.
    pub filter: Option<FilterRef>,
}

/// A warning or error accumulated by a campaign (generation found nothing, a reviewer could
/// not be resolved, a job failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAlert {
    /// `ERROR`, `WARN` or `INFO`.
    pub level: AlertLevel,
    /// What happened, in English.
    pub message: String,
}

/// Severity of a [`CampaignAlert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertLevel {
    /// The campaign cannot proceed.
    Error,
    /// Something was left out.
    Warn,
    /// For information.
    Info,
}

wire_enum!(AlertLevel {
    Error => "ERROR",
    Warn => "WARN",
    Info => "INFO",
});

/// Progress counters of a campaign, maintained in the same transaction as the writes that
/// change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CampaignCounts {
    /// Certifications in the campaign.
    pub certifications_total: i64,
    /// Certifications signed off.
    pub certifications_completed: i64,
    /// Review items in the campaign.
    pub items_total: i64,
    /// Review items with a decision.
    pub items_decided: i64,
    /// Distinct holders (identity summaries) in the campaign.
    pub identities_total: i64,
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// What the administrator set.
    pub definition: CampaignDefinition,
    /// Where it is in its life.
    pub status: CampaignStatus,
    /// Who created it (the campaign owner, fallback reviewer for self-review).
    pub owner: IdentityId,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last changed.
    pub modified: DateTime<Utc>,
    /// Activated, once it was.
    pub activated: Option<DateTime<Utc>>,
    /// Completed, once it was.
    pub completed: Option<DateTime<Utc>>,
    /// Alerts accumulated so far.
    pub alerts: Vec<CampaignAlert>,
    /// Progress.
    pub counts: CampaignCounts,
    /// Sources that hold items of this campaign, once generated (SailPoint's
    /// `sourcesWithOrphanEntitlements` is derived from these).
    pub source_ids: Vec<SourceId>,
}

/// A certification's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificationPhase {
    /// Generated; not yet visible to its reviewer.
    Staged,
    /// Open for decisions.
    Active,
    /// Signed off; read-only.
    Signed,
}

wire_enum!(CertificationPhase {
    Staged => "STAGED",
    Active => "ACTIVE",
    Signed => "SIGNED",
});

/// Decision counters by access type, as SailPoint's decision summary shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TypeCounts {
    /// Items of this type.
    pub total: i64,
    /// Items of this type with a decision.
    pub decided: i64,
    /// ... approved.
    pub approved: i64,
    /// ... revoked.
    pub revoked: i64,
}

/// Counters of a certification, per access type plus identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CertificationCounts {
    /// Entitlement items.
    pub entitlements: TypeCounts,
    /// Access-profile items.
    pub access_profiles: TypeCounts,
    /// Role items.
    pub roles: TypeCounts,
    /// Account items.
    pub accounts: TypeCounts,
    /// Holders in the certification.
    pub identities_total: i64,
    /// Holders whose items are all decided.
    pub identities_completed: i64,
}

impl CertificationCounts {
    /// Items of every type.
    pub fn items_total(&self) -> i64 {
        self.entitlements.total
            + self.access_profiles.total
            + self.roles.total
            + self.accounts.total
    }

    /// Items decided, of every type.
    pub fn items_decided(&self) -> i64 {
        self.entitlements.decided
            + self.access_profiles.decided
            + self.roles.decided
            + self.accounts.decided
    }

    /// The counters of one access type.
    pub fn of(&self, t: ItemAccessType) -> &TypeCounts {
        match t {
            ItemAccessType::Entitlement => &self.entitlements,
            ItemAccessType::AccessProfile => &self.access_profiles,
            ItemAccessType::Role => &self.roles,
            ItemAccessType::Account => &self.accounts,
        }
    }
}

/// Where a certification came from when it was reassigned (SailPoint `reassignment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignmentRecord {
    /// The certification the items came from.
    pub from_certification: CertificationId,
    /// Its reviewer.
    pub from_reviewer: IdentityId,
    /// The reason given.
    pub comment: String,
}

/// One reviewer's worklist within one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    /// Its id.
    pub id: CertificationId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The campaign's name (denormalised: every certification shows it).
    pub campaign_name: String,
    /// The campaign's type.
    pub campaign_type: CampaignType,
    /// Display name (`"<campaign> - <reviewer name>"`).
    pub name: String,
    /// Who reviews it.
    pub reviewer: IdentityId,
    /// The reviewer's name (denormalised for lists).
    pub reviewer_name: String,
    /// The reviewer's e-mail.
    pub reviewer_email: Option<String>,
    /// Governance group reviewing it, when the reviewer is a group.
    pub reviewer_group: Option<crate::ids::GovernanceGroupId>,
    /// Phase.
    pub phase: CertificationPhase,
    /// Due.
    pub due: Option<DateTime<Utc>>,
    /// Signed off.
    pub signed: Option<DateTime<Utc>>,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last changed.
    pub modified: DateTime<Utc>,
    /// Set when items were reassigned into it (the latest reassignment).
    pub reassignment: Option<ReassignmentRecord>,
    /// Counters.
    pub counts: CertificationCounts,
}

/// One holder × one access item inside a certification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Its id.
    pub id: ReviewItemId,
    /// The certification that holds it.
    pub certification_id: CertificationId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The holder's summary row in this certification.
    pub identity_summary_id: IdentitySummaryId,
    /// The holder identity (absent for uncorrelated/machine accounts and role composition).
    pub identity_id: Option<IdentityId>,
    /// The account through which the access is held, or the account under review.
    pub account_id: Option<AccountId>,
    /// For role composition: the role whose member is reviewed.
    pub role_id: Option<crate::ids::RoleId>,
    /// The holder's display name (identity name, account name, or role name).
    pub holder_name: String,
    /// What kind of access.
    pub access_type: ItemAccessType,
    /// The access item's id.
    pub access_id: String,
    /// The access item's name.
    pub access_name: String,
    /// Its source, when it has one.
    pub source_id: Option<SourceId>,
    /// The source's name.
    pub source_name: Option<String>,
    /// How the assignment was granted.
    pub origin: Origin,
    /// Granted since.
    pub granted_at: Option<DateTime<Utc>>,
    /// Recommended decision.
    pub recommendation: Option<Decision>,
    /// Why.
    pub recommendation_reasons: Vec<String>,
    /// Decision so far.
    pub decision: Option<Decision>,
    /// Reviewer's comment.
    pub comments: Option<String>,
    /// For revokes: when the access should end.
    pub proposed_end_date: Option<DateTime<Utc>>,
    /// Who decided.
    pub decided_by: Option<IdentityId>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Set when the item was reassigned into this certification.
    pub reassigned_from: Option<CertificationId>,
    /// The reason given with that reassignment.
    pub reassignment_reason: Option<String>,
}

/// One holder within one certification, with their item counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySummary {
    /// Its id.
    pub id: IdentitySummaryId,
    /// The certification.
    pub certification_id: CertificationId,
    /// The holder identity, when the holder is an identity.
    pub identity_id: Option<IdentityId>,
    /// The account, when the holder is an account.
    pub account_id: Option<AccountId>,
    /// The role, for role-composition items.
    pub role_id: Option<crate::ids::RoleId>,
    /// Display name.
    pub name: String,
    /// Items of this holder in the certification.
    pub items_total: i64,
    /// Of which decided.
    pub items_decided: i64,
}

impl IdentitySummary {
    /// All of this holder's items are decided.
    pub fn completed(&self) -> bool {
        self.items_decided >= self.items_total
    }
}

/// The kind of a certification task, with SailPoint's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskType {
    /// Asynchronous reassignment of items within a certification.
    Reassign,
    /// An administrator's move of whole certifications.
    AdminReassign,
    /// Sign-off work of one certification.
    CompleteCertification,
    /// Finishing a certification.
    FinishCertification,
    /// Completing a campaign.
    CompleteCampaign,
    /// Activating a campaign.
    ActivateCampaign,
    /// Generating a campaign.
    CampaignCreate,
    /// Deleting a campaign.
    CampaignDelete,
    /// Writing a campaign report (Attest's own kind: report runs are polled through the
    /// campaign's report list, so the SailPoint task endpoints leave these tasks out).
    CampaignReport,
}

wire_enum!(TaskType {
    Reassign => "REASSIGN",
    AdminReassign => "ADMIN_REASSIGN",
    CompleteCertification => "COMPLETE_CERTIFICATION",
    FinishCertification => "FINISH_CERTIFICATION",
    CompleteCampaign => "COMPLETE_CAMPAIGN",
    ActivateCampaign => "ACTIVATE_CAMPAIGN",
    CampaignCreate => "CAMPAIGN_CREATE",
    CampaignDelete => "CAMPAIGN_DELETE",
    CampaignReport => "CAMPAIGN_REPORT",
});

/// What a task works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskTarget {
    /// A certification.
    Certification,
    /// A campaign.
    Campaign,
}

wire_enum!(TaskTarget {
    Certification => "CERTIFICATION",
    Campaign => "CAMPAIGN",
});

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker holds its lease.
    InProgress,
    /// Done.
    Success,
    /// Failed; see `errors`.
    Error,
}

wire_enum!(TaskStatus {
    Queued => "QUEUED",
    InProgress => "IN_PROGRESS",
    Success => "SUCCESS",
    Error => "ERROR",
});

/// A background job a client can poll, stored as an outbox row: it is written in the same
/// transaction as the change that needs it, then claimed by a worker under a lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// Kind.
    pub task_type: TaskType,
    /// Target kind.
    pub target_type: TaskTarget,
    /// Target id (campaign or certification id).
    pub target_id: String,
    /// Status.
    pub status: TaskStatus,
    /// Messages of a failed task.
    pub errors: Vec<String>,
    /// Work-specific input (e.g. the items to reassign), as JSON.
    pub payload: serde_json::Value,
    /// For reassignments: what moved where (SailPoint `reassignmentTrailDTOs`).
    pub reassignment_trail: Vec<ReassignmentTrail>,
    /// Attempts so far.
    pub attempts: i32,
    /// Created.
    pub created: DateTime<Utc>,
    /// Not to be run before.
    pub run_after: DateTime<Utc>,
}

/// One step of a reassignment task's trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignmentTrail {
    /// The previous owner (reviewer identity id).
    pub previous_owner: String,
    /// The new owner.
    pub new_owner: String,
    /// `AUTOMATIC_REASSIGNMENT` or `MANUAL_REASSIGNMENT`.
    pub reassignment_type: String,
}

/// Where a provisioning order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Waiting to be released to the source.
    Pending,
    /// Sent to the source.
    Sent,
    /// Delivery failed.
    Failed,
    /// Done by hand or confirmed by the sink.
    Done,
    /// A later import showed the access gone.
    Verified,
    /// A remediation scan after the order was released found the access still there.
    StillPresent,
}

wire_enum!(OrderStatus {
    Pending => "PENDING",
    Sent => "SENT",
    Failed => "FAILED",
    Done => "DONE",
    Verified => "VERIFIED",
    StillPresent => "STILL_PRESENT",
});

/// A revocation to carry out on the source that holds the access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisioningOrder {
    /// Its id.
    pub id: OrderId,
    /// Campaign.
    pub campaign_id: CampaignId,
    /// Certification.
    pub certification_id: CertificationId,
    /// The revoked item.
    pub item_id: ReviewItemId,
    /// Holder identity.
    pub identity_id: Option<IdentityId>,
    /// Holder account.
    pub account_id: Option<AccountId>,
    /// Role (role composition).
    pub role_id: Option<crate::ids::RoleId>,
    /// Holder name.
    pub holder_name: String,
    /// Access kind.
    pub access_type: ItemAccessType,
    /// Access id.
    pub access_id: String,
    /// Access name.
    pub access_name: String,
    /// Source.
    pub source_id: Option<SourceId>,
    /// Reviewer's comment, or why it was revoked automatically.
    pub reason: Option<String>,
    /// Always REVOKE today; kept for the record.
    pub decision: Decision,
    /// Who decided (`None` for automatic revokes at completion).
    pub reviewer: Option<IdentityId>,
    /// When it should be done (proposed end date, else the sign-off time).
    pub due: DateTime<Utc>,
    /// Status.
    pub status: OrderStatus,
    /// Created.
    pub created: DateTime<Utc>,
}

/// Who did something, from which token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The calling identity (`None` for the system itself, e.g. a job).
    pub identity_id: Option<IdentityId>,
    /// The API client whose token was used.
    pub client_id: Option<String>,
}

impl Actor {
    /// The system (background jobs acting on their own).
    pub fn system() -> Self {
        Actor {
            identity_id: None,
            client_id: None,
        }
    }
}

/// One append-only audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What, as a dotted verb: `campaign.created`, `item.decided`, `certification.signed`...
    pub action: String,
    /// The campaign concerned.
    pub campaign_id: Option<CampaignId>,
    /// The certification concerned.
    pub certification_id: Option<CertificationId>,
    /// The item concerned.
    pub item_id: Option<ReviewItemId>,
    /// Details (old and new values, reasons), as JSON.
    pub detail: serde_json::Value,
}
