//! Each handler's effect on the simulated GitHub, end to end through the adapter.

use jobrunner_core::{CheckStatus, Forge, Mergeable};
use jobrunner_github_sim::{
    CheckState, IssueState, MergeMethod, MutationKind, PrSpec, SimState, StateReason,
};

use crate::world::{REPO, World, commands, signal_for};

#[tokio::test]
async fn first_cycle_on_the_default_project_takes_one_action_per_stage() {
    let world = World::start(SimState::default()).await;
    let mut actions = world.cycle().await;
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            (10, "publish_draft", true),
            (11, "send_fix_command", true),
            (12, "send_fix_command", true),
            (13, "enable_auto_merge", true),
            (14, "tick_parent", true),
        ]
    );
    world.sim.with_state(|s| {
        assert!(!s.pr(REPO, 10).draft, "the draft was published");
        assert_eq!(commands(s, 11), ["fix merge conflict"]);
        assert_eq!(commands(s, 12), ["fix the code reviews"]);
        // Green and unprotected is CLEAN: GitHub refuses auto-merge there, so it is merged.
        assert_eq!(s.pr(REPO, 13).state, jobrunner_github_sim::PrState::Merged);
        assert_eq!(s.is_ticked(REPO, 1, 6), Some(true));
        assert_eq!(s.is_ticked(REPO, 1, 2), Some(false), "only the merged child's box moved");
    });
}

#[tokio::test]
async fn a_posted_fix_command_is_found_by_its_key_marker_and_no_other() {
    let world = World::start(SimState::default()).await;
    let signals = world.poll().await;
    let decision = world.dispatcher.decide(signal_for(&signals, 11));
    let key = decision.key.clone().expect("PR #11 conflicts: a fix command is decided");
    let repo = key.repo.clone();
    assert!(!world.forge.has_comment_with(&repo, 11, &key.comment_marker()).await.unwrap(), "not yet posted");
    world.act_on(&signals).await;
    assert!(world.forge.has_comment_with(&repo, 11, &key.comment_marker()).await.unwrap());
    let other = world.dispatcher.decide(signal_for(&signals, 12)).key.expect("PR #12 gets a review command");
    assert!(!world.forge.has_comment_with(&repo, 11, &other.comment_marker()).await.unwrap());
}

#[tokio::test]
async fn every_pr_gets_at_most_one_mutation_per_cycle() {
    let world = World::start(SimState::default()).await;
    world.cycle().await;
    let counters = world.sim.counters();
    for number in [10, 11, 12, 13] {
        assert_eq!(counters.mutations(REPO, number).len(), 1, "PR {number}");
    }
    assert_eq!(counters.mutations(REPO, 1), [MutationKind::EditIssueBody], "the epic body edit");
}

#[tokio::test]
async fn tick_parent_rewrites_only_the_child_line() {
    let world = World::start(SimState::default()).await;
    let before = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    world.cycle().await;
    let after = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    let changed: Vec<usize> =
        (0..before.len()).filter(|&i| before.as_bytes()[i] != after.as_bytes()[i]).collect();
    assert_eq!(before.len(), after.len());
    assert_eq!(changed.len(), 1, "one byte: the checkbox of #6");
    assert!(after.contains("- [x] #6"));
}

#[tokio::test]
async fn merged_child_is_closed_as_completed_once_ticked_and_then_its_finished_epic() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2])
        .with_pr(REPO, PrSpec::new(9).closes(&[2]).state(jobrunner_github_sim::PrState::Merged));
    let world = World::start(state).await;
    assert_eq!(world.cycle().await, [(9, "tick_parent", true)]);
    assert_eq!(world.cycle().await, [(9, "close_child", true)]);
    world.sim.with_state(|s| {
        let child = s.issue(REPO, 2);
        assert_eq!(child.state, IssueState::Closed);
        assert_eq!(child.state_reason, Some(StateReason::Completed));
    });
    // Its only child closed: GitHub leaves the epic open, close_epic closes it (keyed on the
    // epic, #1, not on the PR).
    assert_eq!(world.cycle().await, [(1, "close_epic", true)]);
    assert_eq!(world.sim.with_state(|s| s.issue(REPO, 1).state), IssueState::Closed);
    assert!(world.cycle().await.is_empty(), "the flow is complete");
}

#[tokio::test]
async fn answered_review_threads_are_resolved_in_one_request() {
    let world = World::start(SimState::default()).await;
    world.cycle().await;
    world.sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 12);
        // Threads are resolved only once the fix's checks passed.
        s.checks_finish(REPO, 12, CheckState::Success);
    });
    let actions = world.cycle().await;
    assert!(actions.contains(&(12, "resolve_threads", true)), "{actions:?}");
    world.sim.with_state(|s| assert!(s.pr(REPO, 12).threads.iter().all(|t| t.resolved)));
    let resolves = world
        .sim
        .counters()
        .mutations(REPO, 12)
        .iter()
        .filter(|k| **k == MutationKind::ResolveThread)
        .count();
    assert_eq!(resolves, 2);
}

#[tokio::test]
async fn a_push_makes_mergeability_unknown_until_github_computes_it() {
    let world = World::start(
        SimState::empty().with_repo("octo", "app").with_pr(REPO, PrSpec::new(5).checks(CheckState::Pending)),
    )
    .await;
    assert!(world.cycle().await.is_empty(), "checks pending: nothing to do");
    world.sim.with_state(|s| s.agent_pushes_fix(REPO, 5));
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).mergeable, Mergeable::Unknown);
    assert!(world.act_on(&signals).await.is_empty(), "UNKNOWN never enables auto-merge");
    world.sim.with_state(|s| s.checks_finish(REPO, 5, CheckState::Success));
    let actions = world.run(3).await;
    assert_eq!(actions, [(5, "enable_auto_merge", true)]);
}

#[tokio::test]
async fn checks_finishing_is_seen_though_updated_at_does_not_move() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_pr(REPO, PrSpec::new(5).draft(true).checks(CheckState::Pending));
    let world = World::start(state).await;
    assert_eq!(signal_for(&world.poll().await, 5).check_status, CheckStatus::Pending);
    let updated_before = world.sim.with_state(|s| s.pr(REPO, 5).updated_at);
    world.sim.with_state(|s| s.checks_finish(REPO, 5, CheckState::Success));
    assert_eq!(world.sim.with_state(|s| s.pr(REPO, 5).updated_at), updated_before);
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).check_status, CheckStatus::Success);
    let actions: Vec<_> = world.act_on(&signals).await.into_iter().map(|r| r.action).collect();
    assert_eq!(actions, ["publish_draft"]);
}

#[tokio::test]
async fn a_base_branch_move_is_seen_and_the_conflict_reported() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_pr(REPO, PrSpec::new(5).auto_merge(MergeMethod::Squash));
    let world = World::start(state).await;
    assert!(world.cycle().await.is_empty(), "auto-merge already on");
    world.sim.with_state(|s| s.base_moves(REPO, &[5]));
    let actions = world.run(3).await;
    assert_eq!(actions, [(5, "send_fix_command", true)]);
    world.sim.with_state(|s| assert_eq!(commands(s, 5), ["fix merge conflict"]));
}

#[tokio::test]
async fn an_epic_item_that_names_no_child_is_recorded_for_core_status_and_the_others_flow() {
    let mut state = SimState::empty()
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2, 4])
        .with_pr(REPO, PrSpec::new(5).closes(&[2]));
    // #4 stays open, so the epic does too (close_epic would take it out of the list).
    let body = "- [ ] **Parser** (#2)\n- [ ] https://gitlab.com/octo/app/issues/3\n- [ ] Lexer (#3), after #2\n\
                - [ ] #4\n";
    state.issue_mut(REPO, 1).body = body.to_owned();
    let cache = std::sync::Arc::new(crate::world::MemoryCache::default());
    let world = World::start_cached(state, std::sync::Arc::clone(&cache)).await;
    world.settle(6).await;
    world.sim.with_state(|s| assert_eq!(s.is_ticked(REPO, 1, 2), Some(true), "the placeable child flowed"));
    let saved = cache.contents();
    let line = saved.lines().find(|l| l.starts_with("unplaceable github=")).expect("saved for core-status");
    let items: Vec<jobrunner_core::checklist::UnplaceableEpicItem> =
        serde_json::from_str(line.trim_start_matches("unplaceable github=")).unwrap();
    let summary: Vec<(u64, u32, jobrunner_core::checklist::Unplaceable)> =
        items.iter().map(|u| (u.epic, u.item.item, u.item.why)).collect();
    assert_eq!(
        summary,
        [
            (1, 2, jobrunner_core::checklist::Unplaceable::OtherHost),
            (1, 3, jobrunner_core::checklist::Unplaceable::Ambiguous)
        ]
    );
    assert!(!saved.contains("gitlab") && !saved.contains("Lexer"), "no text of the body is kept");
}
