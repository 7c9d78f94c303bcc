//! Signals for scenario tests: one realistic open PR in an epic, changed with `with_*` steps.

use chrono::{DateTime, TimeZone, Utc};
use jobrunner_core::{
    CheckStatus, CommitSha, MergeStateStatus, Mergeable, PipelineSignal, PrState, RepoName, RepoOwner,
    RequiredChecks, ReviewDecision, ThreadId, UnresolvedThread,
};

pub(crate) fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap()
}

/// PR #7 of octo/app closes child #3 of epic #1: open, ready, MERGEABLE, checks SUCCESS, no
/// threads, auto-merge off. Every field states the happy path so a test changes one thing.
pub(crate) fn open_pr() -> PipelineSignal {
    PipelineSignal {
        repo_owner: RepoOwner::new("octo").unwrap(),
        repo_name: RepoName::new("app").unwrap(),
        epic_number: 1,
        child_number: 3,
        pr_number: 7,
        pr_state: PrState::Open,
        is_draft: false,
        mergeable: Mergeable::Mergeable,
        check_status: CheckStatus::Success,
        threads_total: 0,
        threads_resolved: 0,
        last_commit_sha: CommitSha::new("a".repeat(40)).unwrap(),
        last_commit_at: at(10),
        last_review_at: None,
        child_open: true,
        parent_ticked: false,
        auto_merge_enabled: false,
        has_fix_commit_after_review: false,
        unresolved_threads: Vec::new(),
        merge_state: MergeStateStatus::Clean,
        required_checks: None,
        optional_checks_failing: false,
        review_decision: None,
        auto_merge_allowed: true,
        auto_merge_ours: false,
        merge_queue: false,
        in_merge_queue: false,
        author_is_agent: false,
        scope_label: false,
        stop_label: false,
        threads_unread: 0,
        failing_checks: None,
        memory: jobrunner_core::PrMemory::default(),
        epic_repo_owner: None,
        epic_repo_name: None,
        epic_kind: jobrunner_core::EpicKind::Checklist,
        epic_body_sha256: None,
        epic_open_children: None,
    }
}

pub(crate) trait SignalExt {
    fn draft(self) -> Self;
    fn checks(self, status: CheckStatus) -> Self;
    fn mergeable(self, mergeable: Mergeable) -> Self;
    fn merged(self) -> Self;
    fn closed(self) -> Self;
    fn parent_ticked(self) -> Self;
    fn child_closed(self) -> Self;
    fn auto_merge_on(self) -> Self;
    fn no_epic(self) -> Self;
    /// A review at `review_minute` left threads whose last comments are at `comment_minutes`.
    fn review_threads(self, review_minute: u32, comment_minutes: &[u32]) -> Self;
    /// The agent pushed a new head commit at `minute`.
    fn pushed_at(self, minute: u32) -> Self;
    fn resolved_threads(self, resolved: u32) -> Self;
    fn merge_state(self, state: MergeStateStatus) -> Self;
    fn deciding_checks(self, checks: RequiredChecks) -> Self;
    fn by_agent(self) -> Self;
    fn with_scope_label(self) -> Self;
    fn with_stop_label(self) -> Self;
    fn changes_requested(self) -> Self;
    fn armed_by_us(self) -> Self;
    fn queue_branch(self) -> Self;
    fn in_queue(self) -> Self;
    fn auto_merge_disallowed(self) -> Self;
    /// The runner remembers `times` fix commands of `rule` on this head, the latest a minute
    /// ago.
    fn command_sent(self, rule: &str, times: u32) -> Self;
    /// The runner reads the signal `minutes` later than it says now.
    fn minutes_later(self, minutes: i64) -> Self;
    /// The PR has waited on `on` for `minutes`.
    fn waiting_for(self, on: jobrunner_core::WaitingOn, minutes: i64) -> Self;
}

impl SignalExt for PipelineSignal {
    fn command_sent(mut self, rule: &str, times: u32) -> Self {
        let sent = self.last_commit_at + chrono::TimeDelta::minutes(1);
        self.memory.commands_on_head = times;
        self.memory.commands_without_progress = times;
        self.memory.last_command = Some(rule.to_owned());
        self.memory.last_command_at = Some(sent);
        self.memory.observed_at = Some(sent + chrono::TimeDelta::minutes(1));
        self
    }
    fn minutes_later(mut self, minutes: i64) -> Self {
        let now = self.memory.observed_at.unwrap_or(self.last_commit_at);
        self.memory.observed_at = Some(now + chrono::TimeDelta::minutes(minutes));
        self
    }
    fn waiting_for(mut self, on: jobrunner_core::WaitingOn, minutes: i64) -> Self {
        let now = self.memory.observed_at.unwrap_or(self.last_commit_at + chrono::TimeDelta::minutes(1));
        self.memory.observed_at = Some(now);
        self.memory.waiting =
            Some(jobrunner_core::Waiting { on, since: now - chrono::TimeDelta::minutes(minutes) });
        self
    }
    fn merge_state(mut self, state: MergeStateStatus) -> Self {
        self.merge_state = state;
        self
    }
    fn deciding_checks(mut self, checks: RequiredChecks) -> Self {
        self.required_checks = Some(checks);
        self
    }
    fn by_agent(mut self) -> Self {
        self.author_is_agent = true;
        self
    }
    fn with_scope_label(mut self) -> Self {
        self.scope_label = true;
        self
    }
    fn with_stop_label(mut self) -> Self {
        self.stop_label = true;
        self
    }
    fn changes_requested(mut self) -> Self {
        self.review_decision = Some(ReviewDecision::ChangesRequested);
        self
    }
    fn armed_by_us(mut self) -> Self {
        self.auto_merge_enabled = true;
        self.auto_merge_ours = true;
        self
    }
    fn queue_branch(mut self) -> Self {
        self.merge_queue = true;
        self
    }
    fn in_queue(mut self) -> Self {
        self.in_merge_queue = true;
        self
    }
    fn auto_merge_disallowed(mut self) -> Self {
        self.auto_merge_allowed = false;
        self
    }
    fn draft(mut self) -> Self {
        self.is_draft = true;
        self
    }
    fn checks(mut self, status: CheckStatus) -> Self {
        self.check_status = status;
        self
    }
    fn mergeable(mut self, mergeable: Mergeable) -> Self {
        self.mergeable = mergeable;
        self
    }
    fn merged(mut self) -> Self {
        self.pr_state = PrState::Merged;
        self
    }
    fn closed(mut self) -> Self {
        self.pr_state = PrState::Closed;
        self
    }
    fn parent_ticked(mut self) -> Self {
        self.parent_ticked = true;
        self
    }
    fn child_closed(mut self) -> Self {
        self.child_open = false;
        self
    }
    fn auto_merge_on(mut self) -> Self {
        self.auto_merge_enabled = true;
        self
    }
    fn no_epic(mut self) -> Self {
        self.epic_number = 0;
        self.child_number = 0;
        self
    }
    fn review_threads(mut self, review_minute: u32, comment_minutes: &[u32]) -> Self {
        self.last_review_at = Some(at(review_minute));
        self.threads_total += u32::try_from(comment_minutes.len()).unwrap();
        self.unresolved_threads.extend(comment_minutes.iter().enumerate().map(|(i, m)| UnresolvedThread {
            id: ThreadId::new(format!("PRRT_{review_minute}_{i}")).unwrap(),
            last_comment_at: at(*m),
            outdated: false,
            answered_by_agent: false,
        }));
        self.has_fix_commit_after_review = self.last_commit_at > at(review_minute);
        self
    }
    fn pushed_at(mut self, minute: u32) -> Self {
        // The fix changes the lines of the threads commented on before it: GitHub marks
        // those outdated.
        for thread in &mut self.unresolved_threads {
            thread.outdated |= thread.last_comment_at < at(minute);
        }
        self.last_commit_at = at(minute);
        self.last_commit_sha = CommitSha::new(format!("{minute:0>40}")).unwrap();
        self.has_fix_commit_after_review = self.last_review_at.is_some_and(|r| at(minute) > r);
        self
    }
    fn resolved_threads(mut self, resolved: u32) -> Self {
        self.threads_total += resolved;
        self.threads_resolved += resolved;
        self
    }
}
