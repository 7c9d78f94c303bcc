//! The handlers of the issue-epic flow, one file each, and the registry that orders them.
//!
//! Each handler decides from a [`PipelineSignal`](jobrunner_core::PipelineSignal) alone and acts
//! through the [`Forge`](jobrunner_core::Forge) port. This crate depends on `jobrunner-core`
//! only: it never sees HTTP, octocrab, a database or the journal. Command texts and the merge
//! method come from [`HandlerSettings`]; which handlers run comes from configuration.
//!
//! Embedding the decision logic takes a dispatcher and a signal:
//!
//! ```
//! use jobrunner_core::PipelineSignal;
//! use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
//!
//! let dispatcher = dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap();
//! let signal: PipelineSignal = serde_json::from_str(r#"{
//!     "repo_owner": "octo", "repo_name": "app", "epic_number": 1, "child_number": 3,
//!     "pr_number": 7, "pr_state": "OPEN", "is_draft": true, "mergeable": "UNKNOWN",
//!     "check_status": "SUCCESS", "threads_total": 0, "threads_resolved": 0,
//!     "last_commit_sha": "0123456789abcdef0123456789abcdef01234567",
//!     "last_commit_at": "2026-11-22T10:00:00Z", "last_review_at": null,
//!     "child_open": true, "parent_ticked": false, "auto_merge_enabled": false,
//!     "has_fix_commit_after_review": false
//! }"#).unwrap();
//! let decision = dispatcher.decide(&signal);
//! assert_eq!(decision.action, Some("publish_draft"));
//! assert_eq!(decision.reason, "draft with checks SUCCESS");
//! ```
#![deny(missing_docs)]

mod close_child;
mod close_epic;
mod enable_auto_merge;
mod needs_human;
mod publish_draft;
mod resolve_threads;
mod send_fix_command;
mod tick_parent;

pub use close_child::CloseChild;
pub use close_epic::CloseEpic;
pub use enable_auto_merge::EnableAutoMerge;
use std::time::Duration;

use jobrunner_core::{Dispatcher, HandlerRegistry, MergeMethod, RegistryError};
pub use needs_human::NeedsHuman;
pub use publish_draft::PublishDraft;
pub use resolve_threads::ResolveThreads;
pub use send_fix_command::SendFixCommand;
pub use tick_parent::TickParent;

/// Handler names in the dispatcher's priority order: finishing merged work first (tick, close
/// the child, close the epic), then asking a person where the pipeline is stuck, then
/// unblocking (conflicts, reviews, failing checks), then moving forward (publish, auto-merge).
pub const HANDLER_NAMES: [&str; 8] = [
    TickParent::NAME,
    CloseChild::NAME,
    CloseEpic::NAME,
    NeedsHuman::NAME,
    SendFixCommand::NAME,
    ResolveThreads::NAME,
    PublishDraft::NAME,
    EnableAutoMerge::NAME,
];

/// The default comment that asks the coding agent to fix a merge conflict.
pub const DEFAULT_CONFLICT_COMMAND: &str = "fix merge conflict";
/// The default comment that asks the coding agent to address review threads.
pub const DEFAULT_REVIEW_COMMAND: &str = "fix the code reviews";
/// The default comment that asks the coding agent to fix failing required checks.
pub const DEFAULT_CI_COMMAND: &str = "fix the failing checks";

/// What handlers say and how they merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerSettings {
    /// Comment posted on a conflicting PR.
    pub conflict_command: String,
    /// Comment posted on a PR with unanswered review threads.
    pub review_command: String,
    /// Comment posted on a PR whose required checks fail.
    pub ci_command: String,
    /// How long a command may go without a commit before it is re-sent, and the re-send
    /// before a person is asked.
    pub agent_timeout: Duration,
    /// How long the deciding checks may stay pending before a person is asked.
    pub stuck_after: Duration,
    /// Fix commands without progress after which a person is asked instead of another.
    pub fix_command_limit: u32,
    /// The label that asks a person.
    pub needs_human_label: String,
    /// Merge method for merges and auto-merge.
    pub merge_method: MergeMethod,
    /// Bring a PR that fell behind a strict (up-to-date) base up to date.
    pub update_branch: bool,
    /// Treat a head without any check or status as not passing.
    pub require_checks: bool,
    /// Also resolve threads a person started that the agent did not answer and that are not
    /// outdated, once a later commit landed.
    pub resolve_human_threads: bool,
}

impl Default for HandlerSettings {
    fn default() -> Self {
        Self {
            conflict_command: DEFAULT_CONFLICT_COMMAND.to_owned(),
            review_command: DEFAULT_REVIEW_COMMAND.to_owned(),
            ci_command: DEFAULT_CI_COMMAND.to_owned(),
            agent_timeout: Duration::from_secs(30 * 60),
            stuck_after: Duration::from_secs(2 * 3600),
            fix_command_limit: 3,
            needs_human_label: "needs-human".to_owned(),
            merge_method: MergeMethod::default(),
            update_branch: true,
            require_checks: false,
            resolve_human_threads: false,
        }
    }
}

/// Every handler, enabled, in priority order.
#[must_use]
pub fn registry(settings: &HandlerSettings) -> HandlerRegistry {
    let mut registry = HandlerRegistry::new();
    let handlers: [Box<dyn jobrunner_core::JobHandler>; 8] = [
        Box::new(TickParent),
        Box::new(CloseChild),
        Box::new(CloseEpic),
        Box::new(NeedsHuman::new(
            &settings.needs_human_label,
            settings.fix_command_limit,
            settings.agent_timeout,
            settings.stuck_after,
        )),
        Box::new(SendFixCommand::new(
            [&settings.conflict_command, &settings.review_command, &settings.ci_command],
            settings.agent_timeout,
            settings.fix_command_limit,
        )),
        Box::new(ResolveThreads::new(settings.resolve_human_threads, settings.require_checks)),
        Box::new(PublishDraft::new(settings.require_checks)),
        Box::new(EnableAutoMerge::new(
            settings.merge_method,
            settings.update_branch,
            settings.require_checks,
        )),
    ];
    for handler in handlers {
        registry.register(handler).expect("built-in handler names are unique");
    }
    registry
}

/// A dispatcher over every handler, with only `enabled` switched on.
pub fn dispatcher<S: AsRef<str>>(
    settings: &HandlerSettings,
    enabled: &[S],
) -> Result<Dispatcher, RegistryError> {
    let mut registry = registry(settings);
    registry.enable_only(enabled)?;
    Ok(Dispatcher::new(registry))
}
