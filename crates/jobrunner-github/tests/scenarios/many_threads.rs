//! PRs with more review threads than one page: every page is read (follow-up queries from
//! each page's end cursor), so a thread open on a later page holds the merge and a PR whose
//! threads are all resolved merges. A page that could not be read keeps the merge waiting.

use http::Method;
use jobrunner_github_sim::{
    CheckState, Fault, FaultRule, MutationKind, PrSpec, PrState, RequestMatcher, SimState, Trigger,
};

use crate::world::{REPO, World, signal_for};

/// PR #5 with `resolved` resolved threads, then `open` unresolved ones (the newest).
fn pr_with_threads(resolved: usize, open: usize) -> SimState {
    SimState::empty()
        .with_repo("octo", "app")
        .with_pr(REPO, PrSpec::new(5).resolved_threads(resolved).threads(open))
}

#[tokio::test]
async fn a_pr_with_130_threads_whose_newest_is_open_is_not_merged_until_that_thread_is_resolved() {
    let world = World::start(pr_with_threads(129, 1)).await;
    let signals = world.poll().await;
    let signal = signal_for(&signals, 5);
    assert_eq!(
        (signal.threads_total, signal.threads_unread, signal.unresolved_count()),
        (130, 0, 1),
        "every page read; the open thread is the 130th"
    );
    world.act_on(&signals).await;
    world.settle(4).await;
    world.sim.with_state(|s| {
        assert_eq!(s.pr(REPO, 5).state, PrState::Open, "not merged while the thread is open");
    });
    world.sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 5);
        s.checks_finish(REPO, 5, CheckState::Success);
        // The reviewer who asked for changes approves the fix; their thread is still open.
        let reviewer = s.pr(REPO, 5).reviews[0].author.clone();
        s.review_approves(REPO, 5, &reviewer);
    });
    world.settle(6).await;
    world.sim.with_state(|s| assert_eq!(s.pr(REPO, 5).state, PrState::Merged));
    assert_eq!(
        world.sim.counters().mutations(REPO, 5),
        [MutationKind::Comment, MutationKind::ResolveThread, MutationKind::Merge],
        "the review command, then the thread resolved, and only then the merge"
    );
}

#[tokio::test]
async fn a_pr_with_130_threads_all_resolved_merges() {
    let world = World::start(pr_with_threads(130, 0)).await;
    let signals = world.poll().await;
    let signal = signal_for(&signals, 5);
    assert_eq!((signal.threads_total, signal.threads_resolved, signal.threads_unread), (130, 130, 0));
    world.act_on(&signals).await;
    world.sim.with_state(|s| assert_eq!(s.pr(REPO, 5).state, PrState::Merged));
}

#[tokio::test]
async fn threads_the_cycles_budget_leaves_unread_keep_the_merge_waiting_with_a_reason() {
    let world = World::start_with(pr_with_threads(130, 0), |config| config.thread_points_per_cycle = 0).await;
    for _ in 0..3 {
        let signals = world.poll().await;
        assert_eq!(signal_for(&signals, 5).threads_unread, 80, "only the first page of 50 was read");
        let decision = world.dispatcher.decide(signal_for(&signals, 5));
        assert_eq!(decision.action, None);
        assert!(decision.reason.contains("80 review threads not read"), "{}", decision.reason);
        world.act_on(&signals).await;
    }
    assert!(world.sim.counters().mutations(REPO, 5).is_empty(), "no merge while threads are unread");
}

#[tokio::test]
async fn a_failed_follow_up_read_keeps_the_merge_waiting_and_is_continued_next_cycle() {
    let world = World::start(pr_with_threads(130, 0)).await;
    // The state query is the first GraphQL request; the follow-up and its three retries fail.
    // The first rule that fires answers a request and the rules after it do not count it, so
    // four rules each firing on their second request fail requests 2, 3, 4 and 5.
    for _ in 0..4 {
        world.sim.inject(FaultRule::new(
            RequestMatcher::new(Method::POST, "/graphql"),
            Trigger::Nth(2),
            Fault::ServerError(502),
        ));
    }
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).threads_unread, 80);
    assert!(world.act_on(&signals).await.is_empty(), "no merge on a partial read");
    world.sim.reset_counters();
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).threads_unread, 0);
    assert_eq!(
        world.sim.counters().endpoint("POST /graphql"),
        1,
        "continued from the saved cursor, not read again from the first page"
    );
    world.act_on(&signals).await;
    world.sim.with_state(|s| assert_eq!(s.pr(REPO, 5).state, PrState::Merged));
}
