//! Every fault class GitHub and networks produce, and what the adapter makes of it.

use std::time::Duration;

use http::Method;
use jobrunner_core::{FailureClass, Forge, Mergeable, RepoSlug};
use jobrunner_github_sim::{Fault, FaultRule, RequestMatcher, SimState, Trigger};

use crate::world::{REPO, World, signal_for};

const PULLS: &str = "/repos/{owner}/{repo}/pulls";

fn always(method: Method, path: &str, fault: Fault) -> FaultRule {
    FaultRule::new(RequestMatcher::new(method, path), Trigger::EveryNth(1), fault)
}

#[tokio::test]
async fn one_server_error_is_retried_within_the_poll() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(FaultRule::once(Method::GET, PULLS, Fault::ServerError(502)));
    assert_eq!(world.poll().await.len(), 5);
    // The failed open-PR list, its retry, and the recently closed list.
    assert_eq!(world.sim.counters().endpoint("GET /repos/{owner}/{repo}/pulls"), 3);
}

#[tokio::test]
async fn persistent_server_errors_fail_the_poll_as_transient() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(always(Method::POST, "/graphql", Fault::ServerError(503)));
    assert_eq!(world.poll_error().await.class, FailureClass::Transient);
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(FaultRule::once(Method::GET, PULLS, Fault::Delay(Duration::from_secs(3))));
    assert_eq!(world.poll().await.len(), 5);
}

#[tokio::test]
async fn persistent_timeouts_are_transient() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(always(Method::GET, PULLS, Fault::Delay(Duration::from_secs(3))));
    assert_eq!(world.poll_error().await.class, FailureClass::Transient);
}

#[tokio::test]
async fn a_connection_reset_is_retried() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(FaultRule::once(Method::GET, PULLS, Fault::ConnectionReset));
    assert_eq!(world.poll().await.len(), 5);
}

#[tokio::test]
async fn malformed_json_is_transient() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(always(Method::GET, PULLS, Fault::MalformedJson));
    assert_eq!(world.poll_error().await.class, FailureClass::Transient);
}

#[tokio::test]
async fn a_short_secondary_limit_is_waited_out_and_the_comment_posted_once() {
    let world = World::start(SimState::default()).await;
    let comments = "/repos/{owner}/{repo}/issues/{number}/comments";
    world.sim.inject(FaultRule::once(
        Method::POST,
        comments,
        Fault::SecondaryLimit { retry_after_secs: 1, status: 403 },
    ));
    let repo = RepoSlug::parse(REPO).unwrap();
    world.forge.comment(&repo, 11, "fix merge conflict").await.expect("posted after waiting");
    world.sim.with_state(|s| assert_eq!(crate::world::commands(s, 11), ["fix merge conflict"]));
}

#[tokio::test]
async fn a_long_secondary_limit_fails_as_rate_limited_with_its_wait() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(always(
        Method::POST,
        "/graphql",
        Fault::SecondaryLimit { retry_after_secs: 120, status: 429 },
    ));
    let repo = RepoSlug::parse(REPO).unwrap();
    let error = world.forge.mark_ready_for_review(&repo, 10).await.unwrap_err();
    assert_eq!(error.class, FailureClass::RateLimited { retry_after: Duration::from_secs(120) });
}

#[tokio::test]
async fn null_mergeability_reads_as_unknown_and_blocks_auto_merge() {
    let world = World::start(SimState::default()).await;
    world.sim.inject(always(Method::POST, "/graphql", Fault::MergeableNull));
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 13).mergeable, Mergeable::Unknown);
    let actions: Vec<_> = world.act_on(&signals).await.into_iter().map(|r| (r.key.pr, r.action)).collect();
    assert!(!actions.contains(&(13, "enable_auto_merge")), "{actions:?}");
}

#[tokio::test]
async fn a_rejected_token_is_an_auth_failure() {
    let world = World::start(SimState::default().with_tokens(&["the-right-token"])).await;
    assert_eq!(world.poll_error().await.class, FailureClass::Auth);
}

#[tokio::test]
async fn an_unknown_repository_is_unhealthy_as_not_found_and_the_poll_goes_on() {
    let state = SimState::default();
    let world = World::start_with(state, |_| {}).await;
    let client = std::sync::Arc::new(
        jobrunner_github::GitHubClient::new(crate::world::test_config(world.sim.base_url())).unwrap(),
    );
    let repos = vec![RepoSlug::parse("octo/missing").unwrap(), RepoSlug::parse(crate::world::REPO).unwrap()];
    let cache = std::sync::Arc::new(crate::world::MemoryCache::default());
    let source = jobrunner_github::GitHubSource::new(client, repos).with_cache(cache.clone());
    let signals =
        jobrunner_core::JobSource::poll(&source).await.expect("one missing repository fails no poll");
    assert!(!signals.is_empty(), "the healthy repository's signals are there");
    assert!(signals.iter().all(|s| s.repo().to_string() == crate::world::REPO));
    let unhealthy = source.unhealthy();
    assert_eq!(unhealthy.len(), 1);
    assert_eq!(
        (unhealthy[0].0.to_string(), unhealthy[0].1.class),
        ("octo/missing".to_owned(), FailureClass::NotFound)
    );
    // Kept for core-status (runtime.W005) under the source's key.
    let saved = cache.contents();
    let line = saved.lines().find(|l| l.starts_with("unhealthy github=")).expect("the list is saved");
    assert!(line.contains("\"repo\":\"octo/missing\"") && line.contains("not_found"), "{line}");
}
