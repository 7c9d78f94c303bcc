//! The merge step against GitHub as the simulator models it (docs/github.md cites the
//! sources): merge a CLEAN PR, arm auto-merge early on a BLOCKED one, enqueue on a queue
//! branch, wait without a retry loop where the repository forbids auto-merge; and the scope.

use jobrunner_core::{MergeStateStatus, RequiredChecks};
use jobrunner_github_sim::{CheckState, MutationKind, PrSpec, PrState, Protection, SimState};

use crate::world::{REPO, World, signal_for};

fn protected(checks: &[&str]) -> Protection {
    Protection { required_checks: checks.iter().map(|c| (*c).to_owned()).collect(), ..Protection::default() }
}

#[tokio::test]
async fn a_clean_pr_is_merged_directly_pinned_to_its_head() {
    let world = World::start(SimState::empty().with_repo("octo", "app").with_pr(REPO, PrSpec::new(5))).await;
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).merge_state, MergeStateStatus::Clean);
    assert_eq!(world.act_on(&signals).await.len(), 1);
    let head = signal_for(&signals, 5).last_commit_sha.as_str().to_owned();
    world.sim.with_state(|s| {
        let pr = s.pr(REPO, 5);
        assert_eq!(pr.state, PrState::Merged);
        assert_eq!(pr.head_sha(), head, "merged at the head the decision saw");
    });
    assert_eq!(world.sim.counters().mutations(REPO, 5), [MutationKind::Merge], "no auto-merge was asked for");
}

#[tokio::test]
async fn a_blocked_pr_with_pending_checks_gets_auto_merge_early_and_github_merges_it() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_protection(REPO, "main", protected(&["ci"]))
        .with_pr(REPO, PrSpec::new(5).checks(CheckState::Pending));
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).merge_state, MergeStateStatus::Blocked);
    assert_eq!(signal_for(&signals, 5).required_checks, Some(RequiredChecks::Pending));
    world.act_on(&signals).await;
    assert_eq!(world.sim.counters().mutations(REPO, 5), [MutationKind::EnableAutoMerge]);
    world.sim.with_state(|s| {
        s.checks_finish(REPO, 5, CheckState::Success);
        s.parties_act();
    });
    world.sim.with_state(|s| assert_eq!(s.pr(REPO, 5).state, PrState::Merged, "GitHub merged it"));
    world.settle(5).await;
    assert_eq!(
        world.sim.counters().mutations(REPO, 5),
        [MutationKind::EnableAutoMerge],
        "nothing more was sent"
    );
}

#[tokio::test]
async fn a_merge_queue_branch_gets_an_enqueue_and_the_queue_merges() {
    let queue = Protection { merge_queue: true, ..Protection::default() };
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_protection(REPO, "main", queue)
        .with_pr(REPO, PrSpec::new(5));
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert!(signal_for(&signals, 5).merge_queue);
    world.act_on(&signals).await;
    assert_eq!(world.sim.counters().mutations(REPO, 5), [MutationKind::Enqueue]);
    let signals = world.poll().await;
    assert!(signal_for(&signals, 5).in_merge_queue, "the next poll sees the entry");
    assert!(world.act_on(&signals).await.is_empty(), "nothing is sent while queued");
    world.sim.with_state(|s| s.merge_queue_runs(REPO));
    world.sim.with_state(|s| assert_eq!(s.pr(REPO, 5).state, PrState::Merged));
}

#[tokio::test]
async fn a_repository_without_auto_merge_and_not_clean_waits_with_a_reason_and_no_retry_loop() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_auto_merge_allowed(REPO, false)
        .with_protection(REPO, "main", protected(&["ci"]))
        .with_pr(REPO, PrSpec::new(5).checks(CheckState::Pending));
    let world = World::start(state).await;
    for _ in 0..4 {
        let signals = world.poll().await;
        let decision = world.dispatcher.decide(signal_for(&signals, 5));
        assert_eq!(decision.action, None);
        assert!(decision.reason.contains("does not allow auto-merge"), "{}", decision.reason);
        world.act_on(&signals).await;
    }
    assert!(world.sim.counters().mutations(REPO, 5).is_empty(), "no mutation, let alone one per cycle");
    // Once GitHub can merge it, it is merged directly: no auto-merge needed.
    world.sim.with_state(|s| s.checks_finish(REPO, 5, CheckState::Success));
    world.settle(4).await;
    assert_eq!(world.sim.counters().mutations(REPO, 5), [MutationKind::Merge]);
}

#[tokio::test]
async fn a_persons_pr_outside_the_scope_sees_no_request_that_changes_anything() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_pr(REPO, PrSpec::new(5).draft(true))
        .with_pr(REPO, PrSpec::new(6))
        .with_pr(REPO, PrSpec::new(7).mergeable(Some(false)))
        .with_pr(REPO, PrSpec::new(8).threads(2));
    // The default scope: epic children only; these PRs close nothing.
    let world = World::start_with(state, |config| config.scope = jobrunner_github::Scope::default()).await;
    for _ in 0..3 {
        let signals = world.poll().await;
        for decision in world.dispatcher.plan(&signals) {
            assert!(decision.reason.starts_with("out of scope"), "#{}: {}", decision.pr, decision.reason);
        }
        assert!(world.act_on(&signals).await.is_empty());
    }
    for pr in 5..=8 {
        assert!(world.sim.counters().mutations(REPO, pr).is_empty(), "#{pr} untouched");
    }
}

#[tokio::test]
async fn a_stop_label_halts_the_pipeline_on_an_epic_child() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2])
        .with_pr(REPO, PrSpec::new(5).closes(&[2]).labels(&["do-not-merge"]));
    let world = World::start_with(state, |config| config.scope = jobrunner_github::Scope::default()).await;
    let signals = world.poll().await;
    assert!(signal_for(&signals, 5).stop_label);
    assert!(world.act_on(&signals).await.is_empty());
    assert!(world.sim.counters().mutations(REPO, 5).is_empty());
}

#[tokio::test]
async fn a_repository_without_ci_completes_its_epic() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2, 3])
        .with_pr(REPO, PrSpec::new(5).closes(&[2]).no_checks())
        .with_pr(REPO, PrSpec::new(6).closes(&[3]).no_checks().draft(true));
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).required_checks, Some(RequiredChecks::NoneConfigured));
    world.settle(10).await;
    world.sim.with_state(|s| {
        for child in [2, 3] {
            assert_eq!(s.is_ticked(REPO, 1, child), Some(true), "child #{child} ticked");
        }
        assert!(s.repo(REPO).open_pr_numbers().is_empty(), "both PRs merged");
    });
}

#[tokio::test]
async fn renamed_missing_and_forbidden_repositories_beside_a_healthy_one_never_stop_the_poll() {
    const OLD: &str = "octo/old-name";
    let mut state = SimState::empty()
        .with_repo("octo", "app")
        .with_epic(REPO, 1, &[2])
        .with_pr(REPO, PrSpec::new(5).closes(&[2]))
        .with_repo("octo", "old-name")
        .with_pr(OLD, PrSpec::new(7))
        .with_repo("octo", "locked")
        .with_pr("octo/locked", PrSpec::new(9));
    state.rename_repo(OLD, "octo/new-name");
    state.forbid_repo("octo/locked");
    let world = World::start_repos(state, &[REPO, OLD, "octo/missing", "octo/locked"]).await;
    world.settle(10).await;
    world.sim.with_state(|s| {
        assert_eq!(s.is_ticked(REPO, 1, 2), Some(true), "the healthy repository completed its epic");
        assert_eq!(s.pr("octo/new-name", 7).state, PrState::Merged, "the renamed one is followed");
    });
    let mut unhealthy: Vec<(String, jobrunner_core::FailureClass)> =
        world.source.unhealthy().into_iter().map(|(repo, u)| (repo.to_string(), u.class)).collect();
    unhealthy.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        unhealthy,
        [
            ("octo/locked".to_owned(), jobrunner_core::FailureClass::Forbidden),
            ("octo/missing".to_owned(), jobrunner_core::FailureClass::NotFound),
        ]
    );
    assert!(world.sim.counters().mutations("octo/locked", 9).is_empty());
}
