//! Epics beyond one repository's checklist: GitHub's sub-issues, checklist items naming a
//! child in another repository, and a person editing an epic's body.
//!
//! GitHub models a sub-issue as an issue with a `parent` (GraphQL `Issue.parent`, REST `GET
//! /repos/{owner}/{repo}/issues/{n}/parent`); the parent lists them (`Issue.subIssues`) and
//! summarises them (`Issue.subIssuesSummary { total completed percentCompleted }`, REST
//! `sub_issues_summary`). A sub-issue may live in another repository of the same owner.
//! GitHub does not close a parent when its last sub-issue closes.

use crate::model::IssueState;
use crate::state::SimState;

/// GitHub's summary of an issue's sub-issues (SCHEMA `SubIssuesSummary`, OPENAPI
/// `sub-issues-summary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubIssuesSummary {
    /// Sub-issues of the issue.
    pub total: u64,
    /// Of those, the closed ones.
    pub completed: u64,
}

impl SubIssuesSummary {
    /// `completed` of `total` in whole percent, 0 without sub-issues.
    #[must_use]
    pub fn percent_completed(self) -> u64 {
        (self.completed * 100).checked_div(self.total).unwrap_or(0)
    }
}

impl SimState {
    /// Adds (or replaces) epic `number` in `repo`, labelled `epic`, whose children are GitHub
    /// sub-issues instead of checklist items: each `(child_repo, child)` is created open where
    /// missing and gets the epic as its parent. The body lists nothing.
    #[must_use]
    pub fn with_sub_issue_epic(mut self, repo: &str, number: u64, children: &[(&str, u64)]) -> Self {
        let body = "Tracking the work of this epic in its sub-issues.\n";
        let title = format!("Epic {number}: ship the milestone");
        self.insert_issue(repo, number, &title, body, vec!["epic".to_owned()]);
        for &(child_repo, child) in children {
            self.add_sub_issue(repo, number, child_repo, child);
        }
        self
    }

    /// Makes `child` of `child_repo` (created open if missing) a sub-issue of `parent` of
    /// `repo`, as GitHub's `addSubIssue` does (replacing any earlier parent).
    pub fn add_sub_issue(&mut self, repo: &str, parent: u64, child_repo: &str, child: u64) {
        self.ensure_child(child_repo, child);
        let full_name = self.repo(repo).full_name();
        self.issue_mut(child_repo, child).parent = Some((full_name, parent));
    }

    /// Adds (or replaces) checklist epic `number` in `repo` whose items are the references
    /// `items` as written (`#3`, `octo/lib#12`): one `- [ ] <reference> Child task` line each;
    /// a child that does not exist is created open in the repository its reference names.
    #[must_use]
    pub fn with_epic_items(mut self, repo: &str, number: u64, items: &[&str]) -> Self {
        let mut lines = Vec::new();
        for reference in items {
            let (child_repo, child) = match reference.split_once('#') {
                Some(("", n)) => (repo.to_owned(), n),
                Some((other, n)) => (other.to_owned(), n),
                None => panic!("{reference} is not an issue reference like #3 or owner/name#3"),
            };
            let child: u64 = child.parse().unwrap_or_else(|_| panic!("{reference} has no issue number"));
            self.ensure_child(&child_repo, child);
            lines.push(format!("- [ ] {reference} Child task"));
        }
        let body = format!("Tracking the work of this epic.\n\n{}\n", lines.join("\n"));
        let title = format!("Epic {number}: ship the milestone");
        self.insert_issue(repo, number, &title, &body, vec!["epic".to_owned()]);
        self
    }

    /// The sub-issues of `parent` in `repo`, as `(owner/name, number)`, by repository and
    /// number.
    #[must_use]
    pub fn sub_issues(&self, repo: &str, parent: u64) -> Vec<(String, u64)> {
        let full_name = self.repo(repo).full_name();
        let mut found: Vec<(String, u64)> = self
            .repos()
            .iter()
            .flat_map(|r| r.issues.values().map(move |i| (r, i)))
            .filter(|(_, i)| {
                i.parent.as_ref().is_some_and(|(p, n)| p.eq_ignore_ascii_case(&full_name) && *n == parent)
            })
            .map(|(r, i)| (r.full_name(), i.number))
            .collect();
        found.sort();
        found
    }

    /// GitHub's summary of `parent`'s sub-issues: how many, and how many are closed.
    #[must_use]
    pub fn sub_issues_summary(&self, repo: &str, parent: u64) -> SubIssuesSummary {
        let children = self.sub_issues(repo, parent);
        let completed = children
            .iter()
            .filter(|(r, n)| {
                self.find_repo(r).and_then(|r| r.issues.get(n)).is_some_and(|i| i.state == IssueState::Closed)
            })
            .count();
        SubIssuesSummary { total: children.len() as u64, completed: completed as u64 }
    }

    /// A person edits epic `epic`'s body in the browser: `line` is appended on a line of its
    /// own, the rest stays as it was.
    pub fn person_edits_epic(&mut self, repo: &str, epic: u64, line: &str) {
        let at = self.tick();
        let issue = self.issue_mut(repo, epic);
        if !issue.body.ends_with('\n') {
            issue.body.push('\n');
        }
        issue.body.push_str(line);
        issue.body.push('\n');
        issue.updated_at = at;
    }
}
