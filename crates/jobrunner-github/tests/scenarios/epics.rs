//! The epic flow beyond one child: two children of one PR, a person editing the epic while the
//! pipeline ticks it, children in another repository than their epic, sub-issue epics, and
//! closing an epic once all its children are closed.

use http::Method;
use jobrunner_core::{BodyDigest, EpicKind, FailureClass, JobSource};
use jobrunner_github_sim::{IssueState, PrSpec, PrState, SimState, StateHook};

use crate::world::{REPO, World, signal_for};

const PLAN: &str = "octo/plan";

/// PR `number`, merged, closing `closes` (states built `with_closes_linked_on_merge(false)`
/// leave the children open, so `close_child` shows its step).
fn merged(number: u64, closes: &[u64]) -> PrSpec {
    PrSpec::new(number).closes(closes).state(PrState::Merged)
}

fn actions(results: &[(u64, &'static str, bool)]) -> Vec<&'static str> {
    results.iter().map(|(_, action, _)| *action).collect()
}

#[tokio::test]
async fn a_pr_closing_two_children_ticks_both_and_closes_both() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2, 3, 4])
        .with_pr(REPO, merged(9, &[2, 3]));
    let world = World::start(state).await;
    let done = world.settle(8).await;
    // One action per PR per cycle, each child's steps in turn.
    assert_eq!(actions(&done), ["tick_parent", "close_child", "tick_parent", "close_child"], "{done:?}");
    world.sim.with_state(|s| {
        assert_eq!((s.is_ticked(REPO, 1, 2), s.is_ticked(REPO, 1, 3)), (Some(true), Some(true)));
        assert_eq!(s.is_ticked(REPO, 1, 4), Some(false), "only the PR's children");
        assert_eq!(
            (s.issue(REPO, 2).state, s.issue(REPO, 3).state),
            (IssueState::Closed, IssueState::Closed)
        );
        assert_eq!(s.issue(REPO, 1).state, IssueState::Open, "#4 is still open");
    });
}

#[tokio::test]
async fn a_person_editing_the_epic_between_decision_and_write_loses_no_line() {
    let state =
        SimState::empty().with_repo("octo", "app").with_epic(REPO, 1, &[2, 3]).with_pr(REPO, merged(9, &[2]));
    let world = World::start(state).await;
    // The person saves the epic after the poll read it, just before the tick's own read.
    world.sim.before_request(StateHook::once(Method::GET, "/repos/{owner}/{repo}/issues/{number}", |s| {
        s.person_edits_epic(REPO, 1, "Release notes follow the milestone.");
    }));
    let signals = world.poll().await;
    let first = world.act_on(&signals).await;
    assert_eq!(first.len(), 1);
    let error = first[0].error.as_ref().expect("the tick gives up");
    assert_eq!(error.class, FailureClass::Conflict, "{error}");
    assert!(error.detail.contains("was edited since the decision"), "{}", error.detail);
    let edited = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    assert!(!edited.contains("[x] #2"), "nothing written over the person's edit");

    // Next cycle decides again on the new body and ticks it, keeping the person's line.
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 9).epic_body_sha256, Some(BodyDigest::of(&edited)));
    let second = world.act_on(&signals).await;
    assert_eq!((second[0].action, second[0].success), ("tick_parent", true), "{:?}", second[0].error);
    let ticked = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    assert!(
        ticked.contains("- [x] #2") && ticked.contains("Release notes follow the milestone."),
        "{ticked:?}"
    );
    let change = second[0].body_change.clone().expect("the journal gets the body's digests");
    assert_eq!((change.before, change.after), (BodyDigest::of(&edited), BodyDigest::of(&ticked)));
}

#[tokio::test]
async fn a_person_saving_a_stale_copy_right_after_the_tick_is_caught_and_ticked_again() {
    let state =
        SimState::empty().with_repo("octo", "app").with_epic(REPO, 1, &[2, 3]).with_pr(REPO, merged(9, &[2]));
    let world = World::start(state).await;
    let before_tick = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    // Their browser still shows the body before the tick: saving it drops the tick.
    world.sim.before_request(jobrunner_github_sim::StateHook {
        matcher: jobrunner_github_sim::RequestMatcher::new(
            Method::GET,
            "/repos/{owner}/{repo}/issues/{number}",
        ),
        trigger: jobrunner_github_sim::Trigger::Nth(2),
        step: std::sync::Arc::new(move |s: &mut SimState| {
            s.issue_mut(REPO, 1).body = format!("{before_tick}Release notes follow the milestone.\n");
        }),
    });
    let first = world.cycle().await;
    assert_eq!(first, [(9, "tick_parent", false)]);
    let done = world.settle(4).await;
    assert_eq!(actions(&done), ["tick_parent"], "ticked again on the person's body");
    let body = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    assert!(body.contains("- [x] #2") && body.contains("Release notes follow the milestone."), "{body:?}");
}

#[tokio::test]
async fn a_child_in_another_repository_is_ticked_in_the_epics_and_closed_in_its_own() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "plan")
        .with_repo("octo", "app")
        .with_epic_items(PLAN, 1, &["#2", "octo/app#7"])
        .with_pr(REPO, merged(9, &[7]));
    let world = World::start(state).await;
    let signals = world.poll().await;
    let signal = signal_for(&signals, 9);
    assert_eq!((signal.epic_repo().to_string(), signal.child_number), (PLAN.to_owned(), 7));
    world.act_on(&signals).await;
    let done = world.settle(6).await;
    assert_eq!(actions(&done), ["close_child"], "{done:?}");
    world.sim.with_state(|s| {
        let body = s.epic_body(PLAN, 1);
        assert!(body.contains("- [x] octo/app#7") && body.contains("- [ ] #2"), "{body:?}");
        assert_eq!(s.issue(REPO, 7).state, IssueState::Closed, "closed in its own repository");
        assert_eq!(s.issue(PLAN, 2).state, IssueState::Open);
        assert_eq!(s.issue(PLAN, 1).state, IssueState::Open, "plan's own #2 is still open");
    });
}

#[tokio::test]
async fn an_epic_in_a_repository_that_is_not_polled_is_not_seen() {
    let state = SimState::empty()
        .with_repo("octo", "plan")
        .with_repo("octo", "app")
        .with_epic_items(PLAN, 1, &["octo/app#7"])
        .with_pr(REPO, merged(9, &[7]));
    let world = World::start_repos(state, &[REPO]).await;
    let signals = world.poll().await;
    assert!(!signal_for(&signals, 9).in_epic(), "octo/plan is not configured: no epic");
    assert!(world.settle(3).await.is_empty());
}

#[tokio::test]
async fn a_sub_issue_epic_closes_its_children_ticks_nothing_and_closes_once_all_are_closed() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "app")
        .with_sub_issue_epic(REPO, 1, &[(REPO, 2), (REPO, 3)])
        .with_pr(REPO, merged(9, &[2]))
        .with_pr(REPO, merged(10, &[3]));
    let world = World::start(state).await;
    let body = world.sim.with_state(|s| s.epic_body(REPO, 1).to_owned());
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 9).epic_kind, EpicKind::SubIssue);
    assert_eq!(signal_for(&signals, 9).epic_open_children, Some(2));
    world.act_on(&signals).await;
    let done = world.settle(6).await;
    assert_eq!(actions(&done), ["close_epic"], "once, though both PRs are in it: {done:?}");
    world.sim.with_state(|s| {
        assert_eq!(
            (s.issue(REPO, 2).state, s.issue(REPO, 3).state),
            (IssueState::Closed, IssueState::Closed)
        );
        assert_eq!(s.issue(REPO, 1).state, IssueState::Closed);
        assert_eq!(s.epic_body(REPO, 1), body, "no box to tick: the body is untouched");
    });
}

#[tokio::test]
async fn a_checklist_epic_is_closed_once_its_last_child_closes() {
    // #2 was done long ago; #3's PR merges now.
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2, 3])
        .with_ticked(REPO, 1, 2)
        .with_pr(REPO, merged(8, &[2]))
        .with_pr(REPO, merged(9, &[3]));
    let world = World::start(state).await;
    let done = world.settle(6).await;
    assert_eq!(actions(&done), ["tick_parent", "close_epic"], "{done:?}");
    world.sim.with_state(|s| assert_eq!(s.issue(REPO, 1).state, IssueState::Closed));
}

#[tokio::test]
async fn closing_an_epic_costs_no_query_beyond_the_merged_prs_reads() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2, 3])
        .with_pr(REPO, merged(9, &[2, 3]));
    let world = World::start(state).await;
    world.sim.reset_counters();
    let done = world.settle(10).await;
    let counters = world.sim.counters();
    assert_eq!(actions(&done), ["tick_parent", "close_child", "tick_parent", "close_child", "close_epic"]);
    // The first read and one re-read after each of the 5 actions: the epic's children's
    // states ride along in those documents, never in one of their own.
    assert_eq!(counters.endpoint("POST /graphql"), 6, "{counters:#?}");
    // Each guarded tick reads the epic before and after its write.
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/issues/{number}"), 4, "{counters:#?}");
    eprintln!(
        "epic flow: {} actions, {} primary points ({} REST, {} GraphQL), {} GraphQL documents, {} requests ({} answered 304)",
        done.len(),
        counters.primary_points(),
        counters.rest_points,
        counters.graphql_points,
        counters.endpoint("POST /graphql"),
        counters.requests,
        counters.not_modified
    );
}

#[tokio::test]
async fn an_epic_whose_prs_merge_over_many_cycles_is_closed_after_its_last_child() {
    // The demo's epic: five PRs at every stage, merging cycles apart while people act.
    let world = World::start(SimState::default().with_closes_linked_on_merge(false)).await;
    let mut done = Vec::new();
    for _ in 0..20 {
        if world.sim.with_state(|s| s.issue(REPO, 1).state == IssueState::Closed) {
            break;
        }
        done.extend(world.cycle().await);
        world.sim.with_state(SimState::parties_act);
    }
    world.sim.with_state(|s| {
        assert!((2..=6).all(|c| s.issue(REPO, c).state == IssueState::Closed), "{done:?}");
        assert_eq!(s.issue(REPO, 1).state, IssueState::Closed, "the epic closes too: {done:?}");
    });
    assert_eq!(actions(&done).iter().filter(|a| **a == "close_epic").count(), 1, "{done:?}");
}

#[tokio::test]
async fn a_node_restarted_right_after_closing_the_last_child_still_closes_the_epic() {
    let state = SimState::empty()
        .with_closes_linked_on_merge(false)
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2])
        .with_pr(REPO, merged(9, &[2]));
    let cache = std::sync::Arc::new(crate::world::MemoryCache::default());
    let world = World::start_cached(state, std::sync::Arc::clone(&cache)).await;
    assert_eq!(actions(&world.run(2).await), ["tick_parent", "close_child"]);
    // The node stops here (`--once`, a restart): the re-read the close asked for is saved.
    let restarted = world.restarted_source(cache);
    let signals = restarted.poll().await.expect("poll succeeds");
    let decision = world.dispatcher.decide(signal_for(&signals, 9));
    assert_eq!(decision.action, Some("close_epic"), "{}", decision.reason);
}
