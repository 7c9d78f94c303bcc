//! Properties of the epic checklist grammar: a reference to the child is found wherever the
//! grammar says it may stand (link text, link target, emphasis, parentheses, a URL, at any
//! position among the item's words); ticking changes exactly its checkbox byte and nothing
//! else; URLs on other hosts never name a child; checkboxes inside a code block or a quote are
//! never touched.

use jobrunner_core::RepoSlug;
use jobrunner_core::checklist::{ChecklistGrammar, TickOutcome, Unplaceable};
use proptest::prelude::*;

const CHILD: u64 = 42;

/// Words with no reference in them.
fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-zA-Z]{1,8}[,.:]?", 0..6)
}

/// The child's reference in each form the grammar accepts.
fn reference() -> impl Strategy<Value = String> {
    let url = format!("https://github.com/octo/app/issues/{CHILD}");
    prop_oneof![
        Just(format!("#{CHILD}")),
        Just(format!("octo/app#{CHILD}")),
        Just(format!("OCTO/App#{CHILD}")),
        Just(url.clone()),
        Just(format!("<{url}>")),
        Just(format!("[#{CHILD}]({url})")),
        "[a-z]{1,8}( [a-z]{1,8})?".prop_map({
            let url = url.clone();
            move |text| format!("[{text}]({url})")
        }),
        Just(format!("**#{CHILD}**")),
        Just(format!("_#{CHILD}_")),
        Just(format!("(#{CHILD})")),
        Just(format!("(octo/app#{CHILD}).")),
        Just(format!("**[#{CHILD}]({url}#issuecomment-1)**")),
    ]
}

/// A task-list item of the child: its reference at any position among generated words.
fn child_line() -> impl Strategy<Value = String> {
    let bullet = prop_oneof![Just("-"), Just("*"), Just("+"), Just("1.")];
    (bullet, words(), reference(), any::<prop::sample::Index>()).prop_map(|(b, mut words, r, at)| {
        let at = at.index(words.len() + 1);
        words.insert(at, r);
        format!("{b} [ ] {}\n", words.join(" "))
    })
}

/// A host that is not github.com.
fn other_host() -> impl Strategy<Value = String> {
    "[a-z]{1,10}\\.(com|org|io)".prop_filter("another host", |h| h != "github.com")
}

/// Markdown blocks that surround the child's line in an epic body, none of which names the
/// child in a task-list item at the top level.
fn decoy_block() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ,.!?é漢]{0,40}".prop_map(|s| format!("{s}\n")),
        "[a-z ]{1,20}".prop_map(|s| format!("## {s}\n")),
        (1u64..41).prop_map(|n| format!("- [ ] #{n} other child\n")),
        (43u64..500).prop_map(|n| format!("* [x] #{n}\n")),
        Just(format!("```\n- [ ] #{CHILD}\n```\n")),
        Just(format!("~~~md\n* [ ] octo/app#{CHILD}\n~~~\n")),
        Just(format!("> - [ ] #{CHILD} quoted\n")),
        Just(format!("- [ ] #{CHILD}0 longer number\n")),
        Just(format!("- [ ] #{CHILD}a glued to a word\n")),
        Just(format!("- [ ] other/app#{CHILD} other repo\n")),
        Just(format!("- [ ] `#{CHILD}` in code\n")),
        Just(format!("- [ ] https://github.com/octo/app/pull/{CHILD} a pull request\n")),
        other_host().prop_map(|h| format!("- [ ] https://{h}/octo/app/issues/{CHILD}\n")),
        Just(format!("- [ ] words first\n  then #{CHILD} on the next line\n")),
        Just(format!("- [ ] a plain item\n  - notes on #{CHILD}\n")),
        Just(format!("- [ ] [#{CHILD}](https://gitlab.com/octo/app/issues/{CHILD}) elsewhere\n")),
        Just("| [ ] | #42 |\n|---|---|\n| [ ] | #42 |\n".to_owned()),
    ]
}

fn epic_body() -> impl Strategy<Value = (String, usize)> {
    (prop::collection::vec(decoy_block(), 0..12), child_line(), any::<prop::sample::Index>(), any::<bool>())
        .prop_map(|(mut blocks, line, at, crlf)| {
            let at = at.index(blocks.len() + 1);
            blocks.insert(at, line);
            let mut body = blocks.join("\n");
            if crlf {
                body = body.replace('\n', "\r\n");
            }
            let prefix: usize = blocks[..at].iter().map(|b| b.len() + 1).sum::<usize>();
            let prefix = if crlf {
                prefix + blocks[..at].iter().map(|b| b.matches('\n').count() + 1).sum::<usize>()
            } else {
                prefix
            };
            let checkbox_space = prefix + blocks[at].find("[ ]").unwrap() + 1;
            (body, checkbox_space)
        })
}

fn repo() -> RepoSlug {
    RepoSlug::parse("octo/app").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_childs_reference_is_found_wherever_it_stands_in_the_items_first_line(line in child_line()) {
        let items = ChecklistGrammar::default().items(&line, &repo());
        prop_assert_eq!(items.len(), 1, "{:?}", line);
        prop_assert!(items[0].refers_to(&repo(), CHILD), "{:?}: {:?}", line, items);
        prop_assert_eq!(&line[items[0].checkbox.clone()], "[ ]");
    }

    #[test]
    fn ticking_changes_only_the_child_checkbox((body, checkbox_space) in epic_body()) {
        let TickOutcome::Ticked(new_body) = ChecklistGrammar::default().tick(&body, &repo(), CHILD) else {
            panic!("child not found in {body:?}");
        };
        let (old, new) = (body.as_bytes(), new_body.as_bytes());
        prop_assert_eq!(old.len(), new.len());
        let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
        prop_assert_eq!(changed, vec![checkbox_space]);
        prop_assert_eq!(old[checkbox_space], b' ');
        prop_assert_eq!(new[checkbox_space], b'x');
    }

    #[test]
    fn decoys_alone_are_never_ticked(blocks in prop::collection::vec(decoy_block(), 0..12)) {
        let body = blocks.join("\n");
        prop_assert_eq!(ChecklistGrammar::default().tick(&body, &repo(), CHILD), TickOutcome::NotListed);
    }

    #[test]
    fn an_issue_url_on_another_host_is_never_an_item_and_never_silent(
        host in other_host(),
        (before, after) in (words(), words()),
    ) {
        let line = format!("- [ ] {} https://{host}/octo/app/issues/{CHILD} {}\n", before.join(" "), after.join(" "));
        let parsed = ChecklistGrammar::default().parse(&line, &repo());
        prop_assert!(parsed.items.is_empty(), "{:?}", line);
        prop_assert_eq!(parsed.unplaceable.len(), 1);
        prop_assert_eq!(parsed.unplaceable[0].why, Unplaceable::OtherHost);
        // And the other way round: on a GitHub Enterprise Server, github.com is another host.
        let github_url = format!("- [ ] https://github.com/octo/app/issues/{CHILD}\n");
        prop_assert!(ChecklistGrammar::new(host).items(&github_url, &repo()).is_empty());
    }

    #[test]
    fn a_childs_line_inside_a_code_block_or_a_quote_is_never_found(line in child_line(), fence in 0..3usize) {
        let body = match fence {
            0 => format!("```\n{line}```\n"),
            1 => format!("> {line}"),
            _ => format!("Text\n\n    {line}"),
        };
        prop_assert_eq!(ChecklistGrammar::default().tick(&body, &repo(), CHILD), TickOutcome::NotListed, "{:?}", body);
    }
}
