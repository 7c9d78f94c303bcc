//! Changes clients make through the API (REST writes and GraphQL mutations), applied to the
//! state the way GitHub applies them. Each returns the [`MutationRecord`]s to log.

use crate::accounting::{MutationKind, MutationRecord};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::model::{Comment, IssueState, PrState, StateReason};
use crate::state::SimState;

/// A REST `PATCH …/issues/{n}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IssueEdit {
    pub(crate) title: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) state: Option<IssueState>,
    pub(crate) state_reason: Option<StateReason>,
    pub(crate) labels: Option<Vec<String>>,
}

/// The fields an issue and a PR (as an issue) share, borrowed for an edit.
struct IssueFields<'a> {
    title: &'a mut String,
    body: &'a mut String,
    labels: &'a mut Vec<String>,
    comments: &'a mut Vec<Comment>,
    updated_at: &'a mut Timestamp,
}

impl SimState {
    /// Applies a REST issue edit to issue or PR `number`.
    pub(crate) fn edit_issue(
        &mut self,
        repo: &str,
        number: u64,
        edit: IssueEdit,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        let at = self.tick_for(|s| s.issue_fields(repo, number).map(|_| ()))?;
        let mut kinds = Vec::new();
        let fields = self.issue_fields(repo, number)?;
        if edit.title.is_some() || edit.body.is_some() {
            kinds.push(MutationKind::EditIssueBody);
        }
        if let Some(title) = edit.title {
            *fields.title = title;
        }
        if let Some(body) = edit.body {
            *fields.body = body;
        }
        if let Some(labels) = edit.labels {
            *fields.labels = labels;
            kinds.push(MutationKind::AddLabels);
        }
        *fields.updated_at = at;
        if let Some(state) = edit.state {
            kinds.extend(self.set_issue_state(repo, number, state, edit.state_reason, at));
        }
        Ok(self.records(repo, number, &kinds, at))
    }

    /// Posts an issue comment on issue or PR `number`.
    pub(crate) fn add_comment(
        &mut self,
        repo: &str,
        number: u64,
        body: String,
    ) -> Result<(Comment, Vec<MutationRecord>), ApiError> {
        let at = self.tick_for(|s| s.issue_fields(repo, number).map(|_| ()))?;
        let id = self.next_id();
        let comment = Comment { id, body, author: self.viewer().to_owned(), created_at: at };
        let fields = self.issue_fields(repo, number)?;
        fields.comments.push(comment.clone());
        *fields.updated_at = at;
        Ok((comment, self.records(repo, number, &[MutationKind::Comment], at)))
    }

    /// Adds labels to issue or PR `number`; returns every label it now has.
    pub(crate) fn add_labels(
        &mut self,
        repo: &str,
        number: u64,
        labels: Vec<String>,
    ) -> Result<(Vec<String>, Vec<MutationRecord>), ApiError> {
        let at = self.tick_for(|s| s.issue_fields(repo, number).map(|_| ()))?;
        let fields = self.issue_fields(repo, number)?;
        for label in labels {
            if !fields.labels.contains(&label) {
                fields.labels.push(label);
            }
        }
        *fields.updated_at = at;
        let now = fields.labels.clone();
        Ok((now, self.records(repo, number, &[MutationKind::AddLabels], at)))
    }

    /// GraphQL `markPullRequestReadyForReview`.
    pub(crate) fn mark_ready(&mut self, repo: &str, number: u64) -> Result<Vec<MutationRecord>, ApiError> {
        let at = self.tick_for(|s| s.open_pr(repo, number).map(|_| ()))?;
        let pr = self.open_pr(repo, number)?;
        pr.draft = false;
        pr.updated_at = at;
        Ok(self.records(repo, number, &[MutationKind::MarkReady], at))
    }

    /// GraphQL `resolveReviewThread` on thread `thread` of PR `number`.
    pub(crate) fn resolve_thread(
        &mut self,
        repo: &str,
        number: u64,
        thread: u64,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        let at = self.tick_for(|s| s.thread_mut(repo, number, thread).map(|_| ()))?;
        self.thread_mut(repo, number, thread)?.resolved = true;
        self.find_repo_mut(repo)?.pulls.get_mut(&number).ok_or(ApiError::NotFound)?.updated_at = at;
        Ok(self.records(repo, number, &[MutationKind::ResolveThread], at))
    }

    /// Checks that a change can apply, then advances the clock for it: a refused change is
    /// not a state change, so it leaves the clock alone.
    fn tick_for(
        &mut self,
        check: impl FnOnce(&mut Self) -> Result<(), ApiError>,
    ) -> Result<Timestamp, ApiError> {
        check(self)?;
        Ok(self.tick())
    }

    fn thread_mut(
        &mut self,
        repo: &str,
        number: u64,
        thread: u64,
    ) -> Result<&mut crate::model::ReviewThread, ApiError> {
        let pr = self.find_repo_mut(repo)?.pulls.get_mut(&number).ok_or(ApiError::NotFound)?;
        pr.threads.iter_mut().find(|t| t.id == thread).ok_or(ApiError::NotFound)
    }

    fn issue_fields(&mut self, repo: &str, number: u64) -> Result<IssueFields<'_>, ApiError> {
        let target = self.find_repo_mut(repo)?;
        if let Some(issue) = target.issues.get_mut(&number) {
            return Ok(IssueFields {
                title: &mut issue.title,
                body: &mut issue.body,
                labels: &mut issue.labels,
                comments: &mut issue.comments,
                updated_at: &mut issue.updated_at,
            });
        }
        let pr = target.pulls.get_mut(&number).ok_or(ApiError::NotFound)?;
        Ok(IssueFields {
            title: &mut pr.title,
            body: &mut pr.body,
            labels: &mut pr.labels,
            comments: &mut pr.comments,
            updated_at: &mut pr.updated_at,
        })
    }

    /// Opens or closes issue or PR `number`; returns `CloseIssue` when it closed.
    fn set_issue_state(
        &mut self,
        repo: &str,
        number: u64,
        state: IssueState,
        reason: Option<StateReason>,
        at: Timestamp,
    ) -> Option<MutationKind> {
        let target = self.find_repo_mut(repo).ok()?;
        if let Some(issue) = target.issues.get_mut(&number) {
            let closing = state == IssueState::Closed;
            issue.state = state;
            issue.closed_at = closing.then_some(at);
            issue.state_reason =
                Some(reason.unwrap_or(if closing { StateReason::Completed } else { StateReason::Reopened }));
            return closing.then_some(MutationKind::CloseIssue);
        }
        let pr = target.pulls.get_mut(&number)?;
        if pr.state == PrState::Merged {
            return None;
        }
        let closing = state == IssueState::Closed;
        pr.state = if closing { PrState::Closed } else { PrState::Open };
        pr.closed_at = closing.then_some(at);
        if closing {
            // GitHub disables auto-merge and leaves the merge queue when a PR closes.
            pr.auto_merge = None;
            pr.auto_merge_by = None;
            pr.queue_entry = None;
        }
        closing.then_some(MutationKind::CloseIssue)
    }

    fn open_pr(&mut self, repo: &str, number: u64) -> Result<&mut crate::model::PullRequest, ApiError> {
        let pr = self.find_repo_mut(repo)?.pulls.get_mut(&number).ok_or(ApiError::NotFound)?;
        if pr.is_open() {
            Ok(pr)
        } else {
            Err(ApiError::Unprocessable("Pull request is not open".to_owned()))
        }
    }

    fn find_repo_mut(&mut self, repo: &str) -> Result<&mut crate::model::Repo, ApiError> {
        if self.find_repo(repo).is_none() {
            return Err(ApiError::NotFound);
        }
        Ok(self.repo_mut(repo))
    }

    fn records(&self, repo: &str, number: u64, kinds: &[MutationKind], at: Timestamp) -> Vec<MutationRecord> {
        let repo = self.find_repo(repo).map_or_else(|| repo.to_owned(), crate::model::Repo::full_name);
        kinds.iter().map(|&kind| MutationRecord { repo: repo.clone(), number, kind, at }).collect()
    }
}
