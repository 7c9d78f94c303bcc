//! The epic checklist: which task-list items name which child, and ticking exactly one box.
//!
//! An epic lists its children as Markdown task-list items whose text starts with a reference:
//! `- [ ] #123`, `* [x] owner/repo#123`, or an issue URL. Items are found with a `CommonMark`
//! parser (pulldown-cmark) and source offsets, so a checkbox inside a code block or a quote is
//! never mistaken for one, and ticking rewrites a single byte: every other byte of the body
//! stays as it was.
//!
//! ```
//! use jobrunner_core::RepoSlug;
//! use jobrunner_core::checklist::{TickOutcome, tick};
//!
//! let repo = RepoSlug::parse("octo/app").unwrap();
//! let epic = "Plan:\n\n- [x] #2 parser\n- [ ] #3 lexer\n\n```\n- [ ] #3\n```\n";
//! let TickOutcome::Ticked(body) = tick(epic, &repo, 3) else { panic!() };
//! assert_eq!(body, "Plan:\n\n- [x] #2 parser\n- [x] #3 lexer\n\n```\n- [ ] #3\n```\n");
//! ```

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::names::RepoSlug;

/// A task-list item whose text starts with an issue reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    /// `owner/name` when the reference names a repository, `None` for a plain `#123`.
    pub repo: Option<(String, String)>,
    /// The referenced issue number.
    pub number: u64,
    /// True when the box is ticked (`[x]` or `[X]`).
    pub ticked: bool,
    /// Byte range of the `[ ]` marker in the body.
    pub checkbox: Range<usize>,
}

impl ChecklistItem {
    /// True when the item references issue `number` of `repo` (a plain `#number` refers to the
    /// epic's own repository, which is `repo`).
    #[must_use]
    pub fn refers_to(&self, repo: &RepoSlug, number: u64) -> bool {
        self.number == number && self.repo.as_ref().is_none_or(|(owner, name)| repo.same_repo(owner, name))
    }
}

/// Result of ticking a child's box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    /// The new body: the input with the child's box(es) ticked and nothing else changed.
    Ticked(String),
    /// Every item naming the child is already ticked.
    AlreadyTicked,
    /// No task-list item outside code and quotes names the child.
    NotListed,
}

/// Every task-list item of `body` that starts with an issue reference, outside block quotes.
#[must_use]
pub fn items(body: &str) -> Vec<ChecklistItem> {
    let mut found = Vec::new();
    let mut quote_depth = 0usize;
    for (event, range) in Parser::new_ext(body, Options::ENABLE_TASKLISTS).into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth -= 1,
            Event::TaskListMarker(ticked) if quote_depth == 0 => {
                if let Some(item) = item_at(body, range, ticked) {
                    found.push(item);
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether `child` of `repo` is listed in the epic body, and if so whether every box naming it
/// is ticked. `None` when the body does not list the child.
#[must_use]
pub fn is_ticked(body: &str, repo: &RepoSlug, child: u64) -> Option<bool> {
    let mut listed = items(body).into_iter().filter(|i| i.refers_to(repo, child)).peekable();
    listed.peek()?;
    Some(listed.all(|i| i.ticked))
}

/// Ticks every unticked box naming `child` of `repo`, touching nothing else.
#[must_use]
pub fn tick(body: &str, repo: &RepoSlug, child: u64) -> TickOutcome {
    let listed: Vec<_> = items(body).into_iter().filter(|i| i.refers_to(repo, child)).collect();
    if listed.is_empty() {
        return TickOutcome::NotListed;
    }
    let mut new_body = body.to_owned();
    let mut changed = false;
    for item in listed.iter().filter(|i| !i.ticked) {
        let space = item.checkbox.start + 1;
        new_body.replace_range(space..=space, "x");
        changed = true;
    }
    if changed { TickOutcome::Ticked(new_body) } else { TickOutcome::AlreadyTicked }
}

/// The item whose marker the parser reported at `range`, if its text starts with a reference.
fn item_at(body: &str, range: Range<usize>, ticked: bool) -> Option<ChecklistItem> {
    let start = range.start + body.get(range.clone())?.find('[')?;
    let checkbox = start..start + 3;
    let marker = body.get(checkbox.clone())?;
    if !matches!(marker, "[ ]" | "[x]" | "[X]") {
        return None;
    }
    let rest = &body[checkbox.end..];
    let line = rest.split(['\n', '\r']).next().unwrap_or_default();
    let (repo, number) = parse_reference(line.trim_start_matches([' ', '\t']))?;
    Some(ChecklistItem { repo, number, ticked, checkbox })
}

/// Parses `#123`, `owner/name#123` or `https://host/owner/name/issues/123` at the start of
/// `text`, followed by the end of the text or a character that cannot continue a reference.
fn parse_reference(text: &str) -> Option<(Option<(String, String)>, u64)> {
    if let Some(url) = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")) {
        let mut parts = url.splitn(5, '/');
        let (_host, owner, name, kind, tail) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if !matches!(kind, "issues" | "pull") {
            return None;
        }
        let number = leading_number(tail)?;
        return Some((Some((owner.to_owned(), name.to_owned())), number));
    }
    let (repo, digits) = match text.split_once('#') {
        Some(("", digits)) => (None, digits),
        Some((slug, digits)) => {
            let (owner, name) = slug.split_once('/')?;
            let valid = |s: &str, extra: &[u8]| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
            };
            if !valid(owner, b"-") || !valid(name, b"-._") {
                return None;
            }
            (Some((owner.to_owned(), name.to_owned())), digits)
        }
        None => return None,
    };
    Some((repo, leading_number(digits)?))
}

/// The number at the start of `text`, when it is not followed by a word character.
fn leading_number(text: &str) -> Option<u64> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let next = text[end..].chars().next();
    if end == 0 || next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    text[..end].parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoSlug {
        RepoSlug::parse("octo/app").unwrap()
    }

    fn ticked(body: &str, child: u64) -> String {
        match tick(body, &repo(), child) {
            TickOutcome::Ticked(new) => new,
            other => panic!("expected a tick of #{child}, got {other:?}"),
        }
    }

    #[test]
    fn ticks_a_dash_item_and_nothing_else() {
        let body = "Epic\n\n- [ ] #12 parser\n- [ ] #123 lexer\n- [x] #7\n";
        assert_eq!(ticked(body, 123), "Epic\n\n- [ ] #12 parser\n- [x] #123 lexer\n- [x] #7\n");
    }

    #[test]
    fn ticks_star_plus_indented_and_crlf_items() {
        assert_eq!(ticked("* [ ] #5\n", 5), "* [x] #5\n");
        assert_eq!(ticked("+ [ ] #5\r\n+ [ ] #6\r\n", 6), "+ [ ] #5\r\n+ [x] #6\r\n");
        let nested = "- [ ] #1\n  - [ ] #2\n    - [ ] #3\n";
        assert_eq!(ticked(nested, 3), "- [ ] #1\n  - [ ] #2\n    - [x] #3\n");
        assert_eq!(ticked("1. [ ] #9\n", 9), "1. [x] #9\n");
    }

    #[test]
    fn cross_repo_reference_must_name_this_repo() {
        let body = "- [ ] other/app#4\n- [ ] octo/app#4\n- [ ] OCTO/App#5\n";
        assert_eq!(ticked(body, 4), "- [ ] other/app#4\n- [x] octo/app#4\n- [ ] OCTO/App#5\n");
        assert_eq!(ticked(body, 5), "- [ ] other/app#4\n- [ ] octo/app#4\n- [x] OCTO/App#5\n");
    }

    #[test]
    fn issue_urls_count_as_references() {
        let body = "- [ ] https://github.com/octo/app/issues/8\n";
        assert_eq!(ticked(body, 8), "- [x] https://github.com/octo/app/issues/8\n");
    }

    #[test]
    fn upper_case_x_counts_as_ticked() {
        assert_eq!(tick("- [X] #3\n", &repo(), 3), TickOutcome::AlreadyTicked);
        assert_eq!(is_ticked("- [X] #3\n", &repo(), 3), Some(true));
    }

    #[test]
    fn checkbox_in_code_block_or_quote_is_never_touched() {
        let fenced = "```\n- [ ] #3\n```\n";
        let quoted = "> - [ ] #3\n";
        let indented_code = "Text\n\n    - [ ] #3\n";
        for body in [fenced, quoted, indented_code] {
            assert_eq!(tick(body, &repo(), 3), TickOutcome::NotListed, "{body:?}");
        }
        let mixed = "> - [ ] #3\n\n- [ ] #3\n";
        assert_eq!(ticked(mixed, 3), "> - [ ] #3\n\n- [x] #3\n");
    }

    #[test]
    fn number_prefixes_and_suffixes_do_not_match() {
        let body = "- [ ] #1234\n- [ ] #12a\n- [ ] see #12\n";
        assert_eq!(tick(body, &repo(), 12), TickOutcome::NotListed);
        assert_eq!(tick(body, &repo(), 123), TickOutcome::NotListed);
    }

    #[test]
    fn every_box_naming_the_child_is_ticked() {
        assert_eq!(ticked("- [ ] #2\n- [x] #2\n- [ ] #2\n", 2), "- [x] #2\n- [x] #2\n- [x] #2\n");
        assert_eq!(is_ticked("- [x] #2\n- [ ] #2\n", &repo(), 2), Some(false));
        assert_eq!(is_ticked("- [x] #2\n", &repo(), 3), None);
    }

    #[test]
    fn items_lists_children_with_their_state() {
        let found = items("- [ ] #1\n- [x] other/app#2\n- [ ] plain text\n");
        let summary: Vec<_> = found.iter().map(|i| (i.repo.clone(), i.number, i.ticked)).collect();
        assert_eq!(summary, vec![(None, 1, false), (Some(("other".into(), "app".into())), 2, true)]);
    }
}
