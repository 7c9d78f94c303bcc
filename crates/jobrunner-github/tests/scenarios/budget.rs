//! What a cycle costs: idle cycles are free, pagination is followed, 304s are kept.

use jobrunner_core::JobSource;
use jobrunner_github_sim::{PrSpec, SimState};

use std::sync::Arc;

use crate::world::{MemoryCache, REPO, World};

#[tokio::test]
async fn an_idle_cycle_costs_no_points() {
    let world = World::start(SimState::default()).await;
    world.settle(8).await;
    world.sim.reset_counters();
    world.poll().await;
    let counters = world.sim.counters();
    assert_eq!(counters.primary_points(), 0, "{counters:#?}");
    assert!(counters.not_modified > 0, "every request was conditional");
}

#[tokio::test]
async fn pagination_over_250_prs_reads_three_pages_and_three_queries() {
    let mut state = SimState::empty().with_repo("octo", "app");
    for number in 1..=250 {
        state = state.with_pr(REPO, PrSpec::new(number));
    }
    let world = World::start(state).await;
    assert_eq!(world.poll().await.len(), 250);
    let counters = world.sim.counters();
    // Three pages of open PRs, and the one page of recently closed PRs.
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/pulls"), 4, "100 per page");
    assert_eq!(counters.endpoint("POST /graphql"), 3, "100 PRs per query");

    world.sim.reset_counters();
    assert_eq!(world.poll().await.len(), 250, "unchanged pages are kept across 304s");
    let counters = world.sim.counters();
    // The closed list is read again only when the open list changes.
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/pulls"), 3, "next links remembered");
    assert_eq!(counters.primary_points(), 0);
}

#[tokio::test]
async fn a_change_costs_one_query_for_the_changed_prs_only() {
    let world = World::start(SimState::default()).await;
    world.settle(8).await;
    world.sim.reset_counters();
    // #12 waits on its agent, open, whatever the cycles did: a review on it is the change.
    world.sim.with_state(|s| s.review_adds_threads(REPO, 12, 2));
    world.poll().await;
    let counters = world.sim.counters();
    assert_eq!(counters.endpoint("POST /graphql"), 1);
    assert!(counters.graphql_points <= 1, "one PR's state: {counters:#?}");
}

#[tokio::test]
async fn settling_prs_beyond_the_rest_budget_are_read_by_graphql() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_pr(REPO, PrSpec::new(5).draft(true).checks(jobrunner_github_sim::CheckState::Pending));
    let world = World::start_with(state, |config| config.settle_requests_per_cycle = 0).await;
    world.poll().await;
    world.sim.with_state(|s| s.checks_finish(REPO, 5, jobrunner_github_sim::CheckState::Success));
    world.sim.reset_counters();
    let signals = world.poll().await;
    assert_eq!(crate::world::signal_for(&signals, 5).check_status, jobrunner_core::CheckStatus::Success);
    let counters = world.sim.counters();
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/commits/{sha}/check-runs"), 0, "no REST budget");
    assert_eq!(counters.endpoint("POST /graphql"), 1);
}

#[tokio::test]
async fn the_budget_reading_counts_what_the_simulator_charged() {
    let world = World::start(SimState::default()).await;
    let start = world.source.budget().expect("the GitHub source meters its budget");
    // Cold polls, actions (REST and GraphQL mutations through the shared client), idle polls.
    world.run(4).await;
    let reading = world.source.budget().expect("budget");
    let counters = world.sim.counters();
    assert_eq!(reading.spent_since(&start), counters.primary_points(), "{counters:#?}");
    assert!(reading.points_left.is_some(), "the simulator sends x-ratelimit-remaining");
}

#[tokio::test]
async fn after_a_restart_the_saved_state_spares_reading_every_pr_again() {
    let marker = "MARKER-restart-77b1";
    let cache = Arc::new(MemoryCache::default());
    let world = World::start_cached(SimState::default().with_marker(marker), Arc::clone(&cache)).await;
    world.settle(8).await;
    let before = world.poll().await;

    let restarted = world.restarted_source(Arc::clone(&cache));
    world.sim.reset_counters();
    let after = restarted.poll().await.expect("poll succeeds");
    assert_eq!(after, before, "the same signals as before the restart");
    let counters = world.sim.counters();
    assert_eq!(counters.endpoint("POST /graphql"), 0, "no PR read again: {counters:#?}");
    let list_pages = counters.endpoint("GET /repos/{owner}/{repo}/pulls");
    assert_eq!(
        counters.primary_points(),
        list_pages,
        "only the open-PR list, which names branches, is read again"
    );
    assert!(!cache.contents().contains(marker), "forge text in the saved state");
    assert!(!cache.contents().is_empty());
}

#[tokio::test]
async fn a_base_branch_that_moved_while_the_node_was_down_is_noticed() {
    let cache = Arc::new(MemoryCache::default());
    let world = World::start_cached(SimState::default(), Arc::clone(&cache)).await;
    world.settle(8).await;
    // #12 waits on its agent, open: the base move makes it conflict.
    world.sim.with_state(|s| s.base_moves(REPO, &[12]));
    let restarted = world.restarted_source(Arc::clone(&cache));
    restarted.poll().await.expect("poll succeeds");
    let signals = restarted.poll().await.expect("poll succeeds");
    assert_eq!(crate::world::signal_for(&signals, 12).mergeable, jobrunner_core::Mergeable::Conflicting);
}

#[tokio::test]
async fn a_restricted_source_polls_only_its_repositories() {
    let state = SimState::workload(3, 4);
    let names: Vec<String> = state.repos().iter().map(jobrunner_github_sim::Repo::full_name).collect();
    let world = World::start(state).await;
    let leased = [jobrunner_core::RepoSlug::parse(&names[1]).unwrap()];
    world.source.restrict(Some(&leased));
    let signals = world.poll().await;
    assert!(!signals.is_empty());
    assert!(signals.iter().all(|s| s.repo() == leased[0]), "signals of leased repositories only");
    let counters = world.sim.counters();
    let polled: Vec<String> = counters.per_repo_requests().into_keys().collect();
    assert_eq!(polled, [names[1].clone()], "{counters:#?}");

    world.source.restrict(None);
    let all = world.poll().await;
    assert_eq!(
        all.iter().map(jobrunner_core::PipelineSignal::repo).collect::<std::collections::BTreeSet<_>>().len(),
        3
    );
}

/// The state query reads a PR's first 50 threads; what GitHub counts beyond them is read by
/// follow-up queries sized to the rest. Measured figures are in docs/github.md.
#[tokio::test]
async fn a_pr_with_130_threads_is_read_in_two_queries_for_two_points() {
    let state =
        SimState::empty().with_repo("octo", "app").with_pr(REPO, PrSpec::new(5).resolved_threads(130));
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert_eq!(crate::world::signal_for(&signals, 5).threads_total, 130);
    let counters = world.sim.counters();
    assert_eq!(counters.endpoint("POST /graphql"), 2, "the state, then the 80 threads after it");
    assert_eq!(counters.graphql_points, 2, "1 + 1: each query at GitHub's minimum");
}

#[tokio::test]
async fn follow_up_pages_of_several_prs_share_one_query_per_round() {
    let mut state = SimState::empty().with_repo("octo", "app").with_repo("octo", "lib");
    for number in [5, 6, 7] {
        state = state.with_pr(REPO, PrSpec::new(number).resolved_threads(130));
    }
    state = state.with_pr("octo/lib", PrSpec::new(9).resolved_threads(250));
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert!(signals.iter().all(|s| s.threads_unread == 0 && s.threads_total >= 130), "every page read");
    let counters = world.sim.counters();
    // The state of 4 PRs; then one query for 3 pages of 80 and one of 100 across both
    // repositories; then the last 100 of #9.
    assert_eq!(counters.endpoint("POST /graphql"), 3);
    // 4 × 56 requests = 2 points; 3 × 81 + 101 = 344 requests = 3 points; 101 requests = 1.
    assert_eq!(counters.graphql_points, 6);
}
