//! Property: ticking a child changes exactly its checkbox byte and nothing else, and a
//! checkbox inside a code block or a quote is never touched.

use jobrunner_core::RepoSlug;
use jobrunner_core::checklist::{TickOutcome, tick};
use proptest::prelude::*;

const CHILD: u64 = 42;

/// Markdown blocks that surround the child's line in an epic body, none of which is the
/// child's own task-list item at the top level.
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
        Just(format!("- [ ] other/app#{CHILD} other repo\n")),
        Just(format!("- [ ] see #{CHILD} later in the line\n")),
        Just("| a | b |\n|---|---|\n| [ ] | #42 |\n".to_owned()),
    ]
}

fn child_line() -> impl Strategy<Value = String> {
    let bullet = prop_oneof![Just("-"), Just("*"), Just("+"), Just("1.")];
    let reference = prop_oneof![Just(format!("#{CHILD}")), Just(format!("octo/app#{CHILD}"))];
    let tail = "[a-z ]{0,20}";
    (bullet, reference, tail).prop_map(|(b, r, t)| format!("{b} [ ] {r} {t}\n"))
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
    fn ticking_changes_only_the_child_checkbox((body, checkbox_space) in epic_body()) {
        let TickOutcome::Ticked(new_body) = tick(&body, &repo(), CHILD) else {
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
        prop_assert_eq!(tick(&body, &repo(), CHILD), TickOutcome::NotListed);
    }
}
