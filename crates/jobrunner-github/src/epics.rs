//! Which epics a PR's children belong to, across every polled repository, and whether all of
//! an epic's children are closed.
//!
//! A child belongs to an epic in two ways: the epic's body lists it as a task-list item
//! (`- [ ] #7` in the epic's repository, `- [ ] owner/other#7` in another), or it is a GitHub
//! sub-issue of the epic (`Issue.parent`, read with the PR's `closingIssuesReferences`). Epics
//! are the open issues carrying the epic label in the configured repositories: an epic in a
//! repository that is not polled is never seen, and its children's PRs are in no epic.
//!
//! What an epic's children are is read for free: the listed ones from its body (REST, 304 when
//! unchanged), the sub-issues' counts from its `sub_issues_summary` in the same answer. Whether
//! each listed child is still open is read by GraphQL only for epics of a merged PR re-read
//! this cycle, in the same document (`issue(number:)` fields are no connections: they cost
//! nothing more); a child that cannot be read counts as open.

use std::collections::BTreeMap;

use jobrunner_core::{BodyDigest, EpicKind, RepoSlug};
use serde::{Deserialize, Serialize};

/// A task-list item of an epic naming a child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListedChild {
    /// The child's repository when the item names another than the epic's.
    pub(crate) repo: Option<RepoSlug>,
    pub(crate) number: u64,
    /// Every box naming the child is ticked.
    pub(crate) ticked: bool,
}

/// An open epic as its repository's issue list shows it: children, body digest, sub-issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EpicChecklist {
    pub(crate) epic: u64,
    pub(crate) children: Vec<ListedChild>,
    /// SHA-256 of the body the children were read from: `tick_parent` writes only over it.
    pub(crate) body_sha256: Option<BodyDigest>,
    /// GitHub's `sub_issues_summary`: (total, completed).
    pub(crate) sub_issues: Option<(u32, u32)>,
    /// Items that mention something like a reference but name no child.
    #[serde(default)]
    pub(crate) unplaceable: Vec<jobrunner_core::checklist::UnplaceableItem>,
}

impl EpicChecklist {
    fn lists(&self, epic_repo: &RepoSlug, child_repo: &RepoSlug, child: u64) -> Option<&ListedChild> {
        self.children.iter().find(|c| c.number == child && c.repo.as_ref().unwrap_or(epic_repo) == child_repo)
    }
}

/// One (epic, child) a PR is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpicLink {
    pub(crate) epic_repo: RepoSlug,
    pub(crate) epic: u64,
    pub(crate) child: u64,
    pub(crate) child_open: bool,
    pub(crate) kind: EpicKind,
    pub(crate) ticked: bool,
    pub(crate) body_sha256: Option<BodyDigest>,
    /// Children of the epic still open, when every one is known.
    pub(crate) open_children: Option<u32>,
}

/// The children a PR closes, as its GraphQL state says: `(number, open)` in its repository,
/// and each one's parent issue when it is a sub-issue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Closes<'a> {
    pub(crate) children: &'a [(u64, bool)],
    pub(crate) parents: &'a [(u64, RepoSlug, u64)],
}

/// Every open epic of the polled repositories, and the listed children's states read so far.
pub(crate) struct EpicIndex<'a> {
    pub(crate) epics: &'a [(RepoSlug, EpicChecklist)],
    pub(crate) child_open: &'a BTreeMap<(RepoSlug, u64), bool>,
}

impl EpicIndex<'_> {
    /// The epics the PR's children belong to, one link per (epic, child); a child both
    /// listed and a sub-issue of one epic is linked once, as listed (it has a box to tick).
    pub(crate) fn links(&self, pr_repo: &RepoSlug, closes: Closes<'_>) -> Vec<EpicLink> {
        let mut links = Vec::new();
        for &(child, child_open) in closes.children {
            for (epic_repo, epic) in self.epics {
                let listed = epic.lists(epic_repo, pr_repo, child);
                let parent = closes
                    .parents
                    .iter()
                    .any(|(c, repo, number)| *c == child && repo == epic_repo && *number == epic.epic);
                let kind = match (listed, parent) {
                    (Some(_), _) => EpicKind::Checklist,
                    (None, true) => EpicKind::SubIssue,
                    (None, false) => continue,
                };
                links.push(EpicLink {
                    epic_repo: epic_repo.clone(),
                    epic: epic.epic,
                    child,
                    child_open,
                    kind,
                    ticked: listed.is_some_and(|c| c.ticked),
                    body_sha256: epic.body_sha256.clone(),
                    open_children: self.open_children(epic_repo, epic, (pr_repo, child, child_open)),
                });
            }
        }
        links
    }

    /// How many of `epic`'s children are unfinished: its listed ones still open (the PR's own
    /// child as the PR says, the others as last read) or unticked, and its open sub-issues.
    /// An unticked box counts although its child is closed (GitHub closes linked issues on
    /// merge): closing the epic then would take it out of the open epics before the tick, and
    /// the tick would never come. `None` while a listed child's state is unknown.
    fn open_children(
        &self,
        epic_repo: &RepoSlug,
        epic: &EpicChecklist,
        (pr_repo, child, child_open): (&RepoSlug, u64, bool),
    ) -> Option<u32> {
        let mut open = 0u32;
        for listed in &epic.children {
            let repo = listed.repo.as_ref().unwrap_or(epic_repo);
            let is_open = if repo == pr_repo && listed.number == child {
                child_open
            } else {
                *self.child_open.get(&(repo.clone(), listed.number))?
            };
            open += u32::from(is_open || !listed.ticked);
        }
        let (total, completed) = epic.sub_issues.unwrap_or_default();
        Some(open + total.saturating_sub(completed))
    }

    /// The listed children of every epic listing one of `children` of `pr_repo`: whose states
    /// a re-read of that merged PR also reads.
    pub(crate) fn siblings(&self, pr_repo: &RepoSlug, children: &[(u64, bool)]) -> Vec<(RepoSlug, u64)> {
        let mut found = Vec::new();
        for (epic_repo, epic) in self.epics {
            if children.iter().any(|(child, _)| epic.lists(epic_repo, pr_repo, *child).is_some()) {
                found.extend(
                    epic.children
                        .iter()
                        .map(|c| (c.repo.clone().unwrap_or_else(|| epic_repo.clone()), c.number)),
                );
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> RepoSlug {
        RepoSlug::parse(s).unwrap()
    }

    fn listed(repo: Option<&str>, number: u64, ticked: bool) -> ListedChild {
        ListedChild { repo: repo.map(slug), number, ticked }
    }

    fn epic(children: Vec<ListedChild>, sub_issues: Option<(u32, u32)>) -> EpicChecklist {
        EpicChecklist { epic: 1, children, body_sha256: None, sub_issues, unplaceable: Vec::new() }
    }

    #[test]
    fn a_child_of_another_repository_links_only_through_an_item_naming_that_repository() {
        let states = BTreeMap::new();
        let plan = epic(vec![listed(None, 3, false), listed(Some("octo/app"), 3, true)], None);
        let index = EpicIndex { epics: &[(slug("octo/plan"), plan)], child_open: &states };
        let links = index.links(&slug("octo/app"), Closes { children: &[(3, false)], parents: &[] });
        assert_eq!(links.len(), 1);
        assert_eq!((links[0].epic_repo.to_string(), links[0].ticked), ("octo/plan".to_owned(), true));
        assert_eq!(links[0].open_children, None, "plan's own #3 was never read");
    }

    #[test]
    fn a_sub_issue_links_to_its_parent_epic_and_counts_its_open_siblings() {
        let states = BTreeMap::new();
        let index =
            EpicIndex { epics: &[(slug("octo/app"), epic(Vec::new(), Some((3, 2))))], child_open: &states };
        let parents = [(5, slug("octo/app"), 1)];
        let links = index.links(&slug("octo/app"), Closes { children: &[(5, false)], parents: &parents });
        assert_eq!((links[0].kind, links[0].open_children), (EpicKind::SubIssue, Some(1)));
        let not_a_parent = index.links(&slug("octo/app"), Closes { children: &[(5, false)], parents: &[] });
        assert!(not_a_parent.is_empty());
    }

    #[test]
    fn listed_children_count_as_open_as_last_read() {
        let states = BTreeMap::from([((slug("octo/app"), 4), false), ((slug("octo/lib"), 9), true)]);
        let both = epic(
            vec![listed(None, 3, true), listed(None, 4, true), listed(Some("octo/lib"), 9, false)],
            None,
        );
        let index = EpicIndex { epics: &[(slug("octo/app"), both)], child_open: &states };
        let links = index.links(&slug("octo/app"), Closes { children: &[(3, false)], parents: &[] });
        assert_eq!(links[0].open_children, Some(1), "only octo/lib#9 is open");
        assert_eq!(
            index.siblings(&slug("octo/app"), &[(3, false)]),
            [(slug("octo/app"), 3), (slug("octo/app"), 4), (slug("octo/lib"), 9)]
        );
    }

    #[test]
    fn a_closed_child_whose_box_is_unticked_keeps_the_epic_unfinished() {
        // GitHub closed #4 when its PR merged; the tick is still to come.
        let states = BTreeMap::from([((slug("octo/app"), 4), false)]);
        let both = epic(vec![listed(None, 3, true), listed(None, 4, false)], None);
        let index = EpicIndex { epics: &[(slug("octo/app"), both)], child_open: &states };
        let links = index.links(&slug("octo/app"), Closes { children: &[(3, false)], parents: &[] });
        assert_eq!(links[0].open_children, Some(1), "#4 is closed but unticked");
    }
}
