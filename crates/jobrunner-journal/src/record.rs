//! The journal record: the brief's fields plus the node and the dry-run flag.

use chrono::{DateTime, Utc};
use jobrunner_core::{
    ActionResult, BodyDigest, CheckStatus, Mergeable, NodeId, PipelineSignal, PrState, RepoSlug,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One completed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JournalRecord {
    /// When the action completed (UTC, RFC 3339).
    pub ts: DateTime<Utc>,
    /// Epic issue number, 0 when the PR belongs to no epic.
    pub epic: u64,
    /// Child issue number, 0 when the PR belongs to no epic.
    pub child: u64,
    /// Pull request number.
    pub pr: u64,
    /// Repository as `owner/name`.
    pub repo: RepoSlug,
    /// The handler that acted (`publish_draft`, ...).
    #[schemars(regex(pattern = "^[a-z][a-z0-9_]*$"))]
    pub action: String,
    /// The structural state the decision was made on.
    pub signals: SignalSnapshot,
    /// How the action went.
    pub result: RecordResult,
    /// The poll cycle that performed the action.
    pub cycle: u64,
    /// The node that performed it.
    pub node: NodeId,
    /// True when the action was only decided, not performed.
    pub dry_run: bool,
    /// SHA-256 of the issue body the action rewrote, as read right before the write
    /// (`tick_parent`: the epic's); absent for actions that rewrite no body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256_before: Option<BodyDigest>,
    /// SHA-256 of the body written and read back, beside `body_sha256_before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256_after: Option<BodyDigest>,
}

/// The signal fields a record keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalSnapshot {
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub pr_state: PrState,
    /// Draft flag.
    pub is_draft: bool,
    /// Check rollup.
    pub check_status: CheckStatus,
    /// Mergeability.
    pub mergeable: Mergeable,
    /// Review threads.
    pub threads_total: u32,
    /// Resolved review threads.
    pub threads_resolved: u32,
}

/// Outcome of the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordResult {
    /// True when the forge accepted the action.
    pub success: bool,
    /// Wall time of the action.
    pub duration_ms: u64,
}

impl From<&PipelineSignal> for SignalSnapshot {
    fn from(signal: &PipelineSignal) -> Self {
        Self {
            pr_state: signal.pr_state,
            is_draft: signal.is_draft,
            check_status: signal.check_status,
            mergeable: signal.mergeable,
            threads_total: signal.threads_total,
            threads_resolved: signal.threads_resolved,
        }
    }
}

impl JournalRecord {
    /// The record of `result`, performed on `signal` in `cycle` by `node`.
    #[must_use]
    pub fn new(
        signal: &PipelineSignal,
        result: &ActionResult,
        cycle: u64,
        node: NodeId,
        dry_run: bool,
        ts: DateTime<Utc>,
    ) -> Self {
        Self {
            ts,
            epic: signal.epic_number,
            child: signal.child_number,
            pr: signal.pr_number,
            repo: signal.repo(),
            action: result.action.to_owned(),
            signals: SignalSnapshot::from(signal),
            result: RecordResult { success: result.success, duration_ms: result.duration_ms },
            cycle,
            node,
            dry_run,
            body_sha256_before: result.body_change.as_ref().map(|c| c.before.clone()),
            body_sha256_after: result.body_change.as_ref().map(|c| c.after.clone()),
        }
    }
}
