//! The epic checklist: which task-list items name which child, and ticking exactly one box.
//!
//! An epic lists its children as Markdown task-list items. An item names a child by a
//! reference anywhere in its *first inline text* — its own paragraph up to the first line
//! break or nested list, not its sub-items:
//!
//! - `#12`, or `owner/repo#12` (the item's [`ChecklistItem::repo`] carries the repository);
//! - an issue URL `https://<host>/owner/repo/issues/12` on the forge's host only
//!   ([`ChecklistGrammar::host`]: `github.com`, or the GitHub Enterprise Server host);
//! - inside emphasis (`**#12**`, `_#12_`), parentheses (`Title (#12)`), link text
//!   (`[#12](...)`) and link targets (`[fix parser](https://github.com/o/r/issues/12)`).
//!   A link whose target is an issue, a pull request or a URL on another host is that target:
//!   its text is not read for references.
//!
//! Not references: inline code, a pull request's URL (`/pull/12`: a PR is no child), a URL
//! on another host, a number glued to a word (`#12a`, `abc#12`), and GitHub's `GH-12` form
//! (GitHub links it too; epics here use the forms above).
//!
//! Which child, when an item names several: the references *starting* the item (no letter or
//! digit before them: `#12 parser (see #7)`, `**#12** ...`, `[fix](.../issues/12) ...`)
//! decide, and later ones are mentions; an item without a starting reference names the one
//! issue all its references agree on (`Title (#12)`; `[#12](https://github.com/o/r/issues/12)`
//! in `o/r`'s epic). An item whose deciding references name different issues names none.
//!
//! Such an item, and one whose only reference-like text cannot be placed (a URL on another
//! host, a pull request's URL, a reference only after the first line), is never silently
//! skipped: [`Checklist::unplaceable`] lists it by its 1-based position among the epic's
//! task-list items, with the reason as an enum (no text from the body), for `core-status`.
//!
//! Items are found with a `CommonMark` parser (pulldown-cmark) and source offsets, so a
//! checkbox inside a code block or a quote is never mistaken for one, and ticking rewrites a
//! single byte: every other byte of the body stays as it was.
//!
//! ```
//! use jobrunner_core::RepoSlug;
//! use jobrunner_core::checklist::{ChecklistGrammar, TickOutcome};
//!
//! let repo = RepoSlug::parse("octo/app").unwrap();
//! let grammar = ChecklistGrammar::default();
//! let epic = "Plan:\n\n- [x] #2 parser\n- [ ] **Lexer** (#3)\n\n```\n- [ ] #3\n```\n";
//! let TickOutcome::Ticked(body) = grammar.tick(epic, &repo, 3) else { panic!() };
//! assert_eq!(body, "Plan:\n\n- [x] #2 parser\n- [x] **Lexer** (#3)\n\n```\n- [ ] #3\n```\n");
//! ```

mod reference;

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::names::RepoSlug;
use reference::{Found, Written, parse_url, scan_text};

/// The host issue URLs must be on when none is configured.
pub const GITHUB_HOST: &str = "github.com";

/// The checklist grammar of one forge: references are the same everywhere, issue URLs count
/// only on the forge's own host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistGrammar {
    host: String,
}

impl Default for ChecklistGrammar {
    /// github.com's.
    fn default() -> Self {
        Self::new(GITHUB_HOST)
    }
}

/// A task-list item that names a child issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    /// `owner/name` when the deciding reference names a repository, `None` for a plain `#123`.
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

/// Why a task-list item that mentions something like a reference names no child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unplaceable {
    /// Its deciding references name different issues.
    Ambiguous,
    /// Its only reference-like text is an issue or pull-request URL on another host than the
    /// forge's.
    OtherHost,
    /// Its only reference-like text is a pull request's URL: a pull request is no child.
    PullRequest,
    /// Its references are only after its first line (or in a later paragraph).
    NotInFirstLine,
}

impl std::fmt::Display for Unplaceable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ambiguous => "its references name different issues and none starts the item",
            Self::OtherHost => "its issue URL is on another host than the forge's",
            Self::PullRequest => "it names a pull request, not an issue",
            Self::NotInFirstLine => "its reference is not on the item's first line",
        })
    }
}

/// A task-list item that names no child although it mentions something like a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct UnplaceableItem {
    /// Its position among the epic's task-list items (outside quotes and code), from 1.
    pub item: u32,
    /// Why it names no child.
    pub why: Unplaceable,
}

/// What a body's task list says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checklist {
    /// The items naming a child, in body order.
    pub items: Vec<ChecklistItem>,
    /// The items that mention something like a reference but name no child.
    pub unplaceable: Vec<UnplaceableItem>,
}

/// An epic's unplaceable item as a source keeps it in its [`SourceCache`](crate::SourceCache)
/// under [`unplaceable_key`] for `core-status` to warn about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnplaceableEpicItem {
    /// The epic's repository.
    pub repo: RepoSlug,
    /// The epic's number.
    pub epic: u64,
    /// The item and why it names no child.
    #[serde(flatten)]
    pub item: UnplaceableItem,
}

/// The cache key under which the source named `source` (`JobSource::name`) keeps the
/// unplaceable items of its epics.
#[must_use]
pub fn unplaceable_key(source: &str) -> String {
    format!("unplaceable {source}")
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

impl ChecklistGrammar {
    /// The grammar of the forge whose web host is `host` (`github.com`, `ghe.example.com`,
    /// with a `:port` when it has one); compared without regard to case.
    #[must_use]
    pub fn new(host: impl Into<String>) -> Self {
        Self { host: host.into().to_ascii_lowercase() }
    }

    /// The host issue URLs must be on.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The task list of the epic `body` in repository `repo` (a plain `#N` names `repo`'s
    /// issue N), outside block quotes and code.
    #[must_use]
    pub fn parse(&self, body: &str, repo: &RepoSlug) -> Checklist {
        let mut checklist = Checklist::default();
        let mut frames: Vec<Frame> = Vec::new();
        let mut quote_depth = 0usize;
        let mut in_code = false;
        let mut task_items = 0u32;
        for (event, range) in Parser::new_ext(body, Options::ENABLE_TASKLISTS).into_offset_iter() {
            match &event {
                Event::Start(Tag::Item) => {
                    frames.push(Frame::default());
                    continue;
                }
                Event::End(TagEnd::Item) => {
                    if let Some(task) = frames.pop().and_then(|f| f.task) {
                        task.finish(repo, &mut checklist);
                    }
                    continue;
                }
                Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
                Event::End(TagEnd::BlockQuote(_)) => quote_depth -= 1,
                Event::Start(Tag::CodeBlock(_)) => in_code = true,
                Event::End(TagEnd::CodeBlock) => in_code = false,
                Event::TaskListMarker(ticked) if quote_depth == 0 => {
                    if let (Some(frame), Some(checkbox)) = (frames.last_mut(), checkbox_at(body, range)) {
                        task_items += 1;
                        frame.task = Some(Task::new(task_items, checkbox, *ticked));
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(task) = frames.last_mut().and_then(|f| f.task.as_mut()) {
                task.see(&event, quote_depth > 0 || in_code, &self.host);
            }
        }
        checklist
    }

    /// Every task-list item of `body` that names a child (see [`ChecklistGrammar::parse`]).
    #[must_use]
    pub fn items(&self, body: &str, repo: &RepoSlug) -> Vec<ChecklistItem> {
        self.parse(body, repo).items
    }

    /// Whether `child` of `repo` is listed in the epic body, and if so whether every box naming
    /// it is ticked. `None` when the body does not list the child.
    #[must_use]
    pub fn is_ticked(&self, body: &str, repo: &RepoSlug, child: u64) -> Option<bool> {
        let mut listed = self.items(body, repo).into_iter().filter(|i| i.refers_to(repo, child)).peekable();
        listed.peek()?;
        Some(listed.all(|i| i.ticked))
    }

    /// Ticks every unticked box naming `child` of `repo` in an epic of `repo`, touching
    /// nothing else.
    #[must_use]
    pub fn tick(&self, body: &str, repo: &RepoSlug, child: u64) -> TickOutcome {
        self.tick_in(body, repo, repo, child)
    }

    /// Ticks every unticked box naming issue `child` of `child_repo` in the body of an epic of
    /// `epic_repo`, touching nothing else. In another repository's epic only items naming
    /// `child_repo` count: a plain `#7` there is the epic repository's own issue 7.
    #[must_use]
    pub fn tick_in(
        &self,
        body: &str,
        epic_repo: &RepoSlug,
        child_repo: &RepoSlug,
        child: u64,
    ) -> TickOutcome {
        let listed: Vec<_> = self
            .items(body, epic_repo)
            .into_iter()
            .filter(|i| i.number == child)
            .filter(|i| match &i.repo {
                None => epic_repo == child_repo,
                Some((owner, name)) => child_repo.same_repo(owner, name),
            })
            .collect();
        if listed.is_empty() {
            return TickOutcome::NotListed;
        }
        let mut new_body = body.to_owned();
        let mut changed = false;
        for item in listed.iter().filter(|i| !i.ticked) {
            // `[ ]`: the space between the brackets is the only byte rewritten.
            let space = item.checkbox.start + 1;
            new_body.replace_range(space..=space, "x");
            changed = true;
        }
        if changed { TickOutcome::Ticked(new_body) } else { TickOutcome::AlreadyTicked }
    }
}

/// The `[ ]` marker the parser reported at `range`.
fn checkbox_at(body: &str, range: Range<usize>) -> Option<Range<usize>> {
    let start = range.start + body.get(range.clone())?.find('[')?;
    let checkbox = start..start + 3;
    matches!(body.get(checkbox.clone())?, "[ ]" | "[x]" | "[X]").then_some(checkbox)
}

/// A list item being read; `task` once its task-list marker was seen.
#[derive(Debug, Default)]
struct Frame {
    task: Option<Task>,
}

/// What a task-list item's text says, as its events arrive.
#[derive(Debug)]
struct Task {
    index: u32,
    checkbox: Range<usize>,
    ticked: bool,
    /// Still in the first inline text.
    first_line: bool,
    /// A letter or digit was seen in the first inline text: later references do not start it.
    words_seen: bool,
    /// Per enclosing link (or image): whether its target decided what it is, so its text is
    /// not read for references.
    links: Vec<bool>,
    /// The issue references of the first inline text, and whether each starts the item.
    references: Vec<(Written, bool)>,
    pull_request: bool,
    other_host: bool,
    later_reference: bool,
}

impl Task {
    fn new(index: u32, checkbox: Range<usize>, ticked: bool) -> Self {
        Self {
            index,
            checkbox,
            ticked,
            first_line: true,
            words_seen: false,
            links: Vec::new(),
            references: Vec::new(),
            pull_request: false,
            other_host: false,
            later_reference: false,
        }
    }

    /// One event inside the item (not inside a nested item); `hidden` inside a quote or code.
    fn see(&mut self, event: &Event<'_>, hidden: bool, host: &str) {
        match event {
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph)
            | Event::Start(
                Tag::List(_) | Tag::BlockQuote(_) | Tag::CodeBlock(_) | Tag::Heading { .. } | Tag::Table(_),
            ) => self.first_line = false,
            Event::Start(Tag::Link { dest_url, .. }) => {
                let target = parse_url(dest_url, host);
                let decided = target.is_some();
                if let Some(found) = target.filter(|_| !hidden) {
                    let starts = !self.words_seen;
                    self.found(found, starts);
                }
                self.links.push(decided);
            }
            Event::Start(Tag::Image { .. }) => self.links.push(true),
            Event::End(TagEnd::Link | TagEnd::Image) => {
                self.links.pop();
            }
            Event::Text(text) if !hidden && !self.links.iter().any(|decided| *decided) => {
                for (offset, found) in scan_text(text, host) {
                    let starts = !self.words_seen && !text[..offset].chars().any(char::is_alphanumeric);
                    self.found(found, starts);
                }
                self.words_seen |= self.first_line && text.chars().any(char::is_alphanumeric);
            }
            Event::Text(text) | Event::Code(text) => {
                self.words_seen |= self.first_line && text.chars().any(char::is_alphanumeric);
            }
            _ => {}
        }
    }

    fn found(&mut self, found: Found, starts: bool) {
        if !self.first_line {
            self.later_reference |= matches!(found, Found::Issue(_));
            return;
        }
        match found {
            Found::Issue(written) => self.references.push((written, starts)),
            Found::PullRequest => self.pull_request = true,
            Found::OtherHost => self.other_host = true,
        }
    }

    /// The child this item names, or why it names none, into `checklist`.
    fn finish(self, repo: &RepoSlug, checklist: &mut Checklist) {
        let starting: Vec<&Written> = self.references.iter().filter(|(_, s)| *s).map(|(w, _)| w).collect();
        let deciding: Vec<&Written> =
            if starting.is_empty() { self.references.iter().map(|(w, _)| w).collect() } else { starting };
        let why = match deciding.first() {
            Some(first) if deciding.iter().all(|w| same_issue(w, first, repo)) => {
                checklist.items.push(ChecklistItem {
                    repo: first.repo.clone(),
                    number: first.number,
                    ticked: self.ticked,
                    checkbox: self.checkbox,
                });
                return;
            }
            Some(_) => Unplaceable::Ambiguous,
            None if self.pull_request => Unplaceable::PullRequest,
            None if self.other_host => Unplaceable::OtherHost,
            None if self.later_reference => Unplaceable::NotInFirstLine,
            None => return,
        };
        checklist.unplaceable.push(UnplaceableItem { item: self.index, why });
    }
}

/// Whether two references name the same issue, a plain `#N` naming `repo`'s.
fn same_issue(a: &Written, b: &Written, repo: &RepoSlug) -> bool {
    let of = |w: &Written| match &w.repo {
        Some((owner, name)) => (owner.to_ascii_lowercase(), name.to_ascii_lowercase()),
        None => (repo.owner.as_str().to_ascii_lowercase(), repo.name.as_str().to_ascii_lowercase()),
    };
    a.number == b.number && of(a) == of(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoSlug {
        RepoSlug::parse("octo/app").unwrap()
    }

    fn grammar() -> ChecklistGrammar {
        ChecklistGrammar::default()
    }

    fn ticked(body: &str, child: u64) -> String {
        match grammar().tick(body, &repo(), child) {
            TickOutcome::Ticked(new) => new,
            other => panic!("expected a tick of #{child}, got {other:?}"),
        }
    }

    fn children(body: &str) -> Vec<u64> {
        grammar().items(body, &repo()).iter().map(|i| i.number).collect()
    }

    fn unplaceable(body: &str) -> Vec<(u32, Unplaceable)> {
        grammar().parse(body, &repo()).unplaceable.iter().map(|u| (u.item, u.why)).collect()
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
    fn issue_urls_count_as_references_on_the_forge_host_only() {
        let body = "- [ ] https://github.com/octo/app/issues/8\n";
        assert_eq!(ticked(body, 8), "- [x] https://github.com/octo/app/issues/8\n");
        let other = "- [ ] https://gitlab.com/octo/app/issues/8\n";
        assert_eq!(grammar().tick(other, &repo(), 8), TickOutcome::NotListed);
        assert_eq!(unplaceable(other), [(1, Unplaceable::OtherHost)]);
        let ghes = ChecklistGrammar::new("GHE.example.com");
        let on_ghes = "- [ ] https://ghe.example.com/octo/app/issues/8\n";
        assert_eq!(ghes.is_ticked(on_ghes, &repo(), 8), Some(false));
        assert_eq!(grammar().is_ticked(on_ghes, &repo(), 8), None, "github.com's grammar does not place it");
    }

    #[test]
    fn references_anywhere_in_the_first_inline_text_count() {
        for body in [
            "- [ ] [#12](https://github.com/octo/app/issues/12)\n",
            "- [ ] [fix parser](https://github.com/octo/app/issues/12)\n",
            "- [ ] **#12**\n",
            "- [ ] _#12_ parser\n",
            "- [ ] Title (#12)\n",
            "- [ ] Fix the parser, see octo/app#12.\n",
            "- [ ] <https://github.com/octo/app/issues/12>\n",
        ] {
            assert_eq!(children(body), [12], "{body:?}");
            assert_eq!(ticked(body, 12).as_bytes()[3], b'x', "{body:?}");
        }
    }

    #[test]
    fn a_reference_starting_the_item_decides_and_later_ones_are_mentions() {
        assert_eq!(children("- [ ] #12 parser (after #7)\n"), [12]);
        assert_eq!(children("- [ ] **[parser](https://github.com/octo/app/issues/12)**, after #7\n"), [12]);
        assert_eq!(unplaceable("- [ ] Parser (#12), after #7\n"), [(1, Unplaceable::Ambiguous)]);
        assert_eq!(children("- [ ] Parser (#12), again octo/app#12\n"), [12], "the same issue twice agrees");
    }

    #[test]
    fn a_link_is_its_target() {
        // The link's text does not name what the link points to.
        assert_eq!(
            unplaceable("- [ ] [#12](https://gitlab.com/octo/app/issues/12)\n"),
            [(1, Unplaceable::OtherHost)]
        );
        assert_eq!(
            unplaceable("- [ ] [#12](https://github.com/octo/app/pull/12)\n"),
            [(1, Unplaceable::PullRequest)]
        );
        assert_eq!(
            children("- [ ] [#12](https://example.com/notes)\n"),
            [12],
            "an ordinary link's text is text"
        );
    }

    #[test]
    fn pull_request_urls_are_no_children() {
        let body = "- [ ] https://github.com/octo/app/pull/12\n";
        assert_eq!(children(body), Vec::<u64>::new());
        assert_eq!(unplaceable(body), [(1, Unplaceable::PullRequest)]);
    }

    #[test]
    fn only_the_first_line_counts_and_sub_items_are_items_of_their_own() {
        assert_eq!(unplaceable("- [ ] Parser\n  #12\n"), [(1, Unplaceable::NotInFirstLine)]);
        assert_eq!(unplaceable("- [ ] Parser\n\n  see #12\n"), [(1, Unplaceable::NotInFirstLine)]);
        let nested = "- [ ] Parser\n  - [ ] #12\n  - notes on #13\n";
        assert_eq!(children(nested), [12]);
        assert_eq!(unplaceable(nested), [], "a plain sub-bullet is not the item's text");
    }

    #[test]
    fn unplaceable_items_are_numbered_among_every_task_list_item() {
        let body = "- [ ] plain to-do\n- [x] #2\n> - [ ] #9 quoted\n\n- [ ] Fix (#3) and (#4)\n";
        assert_eq!(unplaceable(body), [(3, Unplaceable::Ambiguous)], "the quoted item is not counted");
        assert_eq!(unplaceable("- [ ] plain to-do, no reference\n"), [], "a plain to-do is no problem");
    }

    #[test]
    fn upper_case_x_counts_as_ticked() {
        assert_eq!(grammar().tick("- [X] #3\n", &repo(), 3), TickOutcome::AlreadyTicked);
        assert_eq!(grammar().is_ticked("- [X] #3\n", &repo(), 3), Some(true));
    }

    #[test]
    fn checkbox_in_code_block_or_quote_is_never_touched() {
        let fenced = "```\n- [ ] #3\n```\n";
        let quoted = "> - [ ] #3\n";
        let indented_code = "Text\n\n    - [ ] #3\n";
        let code_span = "- [ ] `#3`\n";
        for body in [fenced, quoted, indented_code, code_span] {
            assert_eq!(grammar().tick(body, &repo(), 3), TickOutcome::NotListed, "{body:?}");
        }
        let mixed = "> - [ ] #3\n\n- [ ] #3\n";
        assert_eq!(ticked(mixed, 3), "> - [ ] #3\n\n- [x] #3\n");
    }

    #[test]
    fn number_prefixes_and_suffixes_do_not_match() {
        let body = "- [ ] #1234\n- [ ] #12a\n- [ ] abc#12\n";
        assert_eq!(grammar().tick(body, &repo(), 12), TickOutcome::NotListed);
        assert_eq!(grammar().tick(body, &repo(), 123), TickOutcome::NotListed);
    }

    #[test]
    fn every_box_naming_the_child_is_ticked() {
        assert_eq!(ticked("- [ ] #2\n- [x] #2\n- [ ] #2\n", 2), "- [x] #2\n- [x] #2\n- [x] #2\n");
        assert_eq!(grammar().is_ticked("- [x] #2\n- [ ] #2\n", &repo(), 2), Some(false));
        assert_eq!(grammar().is_ticked("- [x] #2\n", &repo(), 3), None);
    }

    #[test]
    fn items_lists_children_with_their_state() {
        let found = grammar().items("- [ ] #1\n- [x] other/app#2\n- [ ] plain text\n", &repo());
        let summary: Vec<_> = found.iter().map(|i| (i.repo.clone(), i.number, i.ticked)).collect();
        assert_eq!(summary, vec![(None, 1, false), (Some(("other".into(), "app".into())), 2, true)]);
    }
}
