//! A real node (GitHub source and forge over HTTP, SQLite store, journal) against the
//! simulator, steered only through its handle.

use std::path::Path;
use std::time::Duration;

use jobrunner_config::Settings;
use jobrunner_core::RepoSlug;
use jobrunner_github_sim::{GitHubSim, PrSpec, SimHandle, SimState};
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_node::{CycleVerdict, Node, NodeHandle, NodeMode, NodeRun, Phase};
use jobrunner_runner::Pace;
use jobrunner_store::{Ledger, SqliteStore};

const REPO: &str = "octo/app";
/// A guard against a hung test, never a condition of passing.
const GUARD: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// A timer short enough that a running node polls many times within [`QUIET_WINDOW`].
const FAST: Duration = Duration::from_millis(50);
/// How long a paused node is watched for requests: ten of its timer's turns.
const QUIET_WINDOW: Duration = Duration::from_millis(500);

struct Scenario {
    sim: SimHandle,
    dir: tempfile::TempDir,
    settings: Settings,
}

impl Scenario {
    /// Epic #1 with children #2 to #4: PR #10 is a draft (`publish_draft` acts), PR #11 is
    /// conflicting (the agent gets the conflict command), PR #12 carries a stop label (a
    /// person holds it).
    async fn start() -> Self {
        let state = SimState::empty()
            .with_repo("octo", "app")
            .with_epic(REPO, 1, &[2, 3, 4])
            .with_pr(REPO, PrSpec::new(10).closes(&[2]).draft(true))
            .with_pr(REPO, PrSpec::new(11).closes(&[3]).mergeable(Some(false)))
            .with_pr(REPO, PrSpec::new(12).closes(&[4]).labels(&["do-not-merge"]));
        let sim = GitHubSim::start(state).await.expect("the simulator starts on loopback");
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(&sim, dir.path());
        Self { sim, dir, settings }
    }

    /// The node, starting paused or not, on `every` between cycles.
    async fn run(&self, paused: bool, every: Duration) -> (NodeHandle, NodeRun) {
        let node = Node::from_settings(&self.settings).await.expect("the node wires").paused(paused);
        node.with_pace(Pace::new(every, every, 3)).run(|_| {})
    }

    fn requests(&self) -> u64 {
        self.sim.counters().requests
    }

    /// Waits [`QUIET_WINDOW`] for a request past `seen`: none must come.
    async fn assert_quiet_after(&self, seen: u64) {
        let request = tokio::time::timeout(QUIET_WINDOW, self.sim.wait_until(|c| c.requests > seen)).await;
        assert!(request.is_err(), "a paused node sent a request: {} after {seen}", self.requests());
    }
}

fn settings(sim: &SimHandle, dir: &Path) -> Settings {
    Settings::for_simulator(&sim.base_url(), &[REPO], "node-a", dir).expect("the test's settings are valid")
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future).await.unwrap_or_else(|_| panic!("{what} did not happen"))
}

#[tokio::test]
async fn a_node_polls_at_once_and_its_state_shows_the_cycle_the_budget_and_who_waits_on_a_person() {
    let scenario = Scenario::start().await;
    let (node, run) = scenario.run(false, HOUR).await;
    let state =
        within("the first cycle", node.wait_for(|s| s.cycles_run == 1 && s.phase == Phase::Waiting)).await;
    let state = state.expect("the node runs");
    let cycle = state.last_cycle().expect("one cycle");
    let CycleVerdict::Completed { signals, actions } = &cycle.verdict else { panic!("{cycle:?}") };
    assert_eq!(*signals, 3);
    let performed: Vec<_> =
        actions.iter().filter(|a| a.outcome == "performed").map(|a| (a.pr, a.action)).collect();
    assert!(performed.contains(&(10, "publish_draft")), "{performed:?}");
    assert_eq!((state.mode, state.leases.as_ref(), state.paused), (NodeMode::Standalone, None, false));
    let github = &state.sources[0];
    assert_eq!(github.name, "github");
    assert!(github.rate_limit_left.is_some_and(|left| left > 0) && github.points_spent > 0, "{github:?}");
    assert!(
        state.next_cycle_due.is_some_and(|due| due > chrono::Utc::now() + chrono::TimeDelta::minutes(59))
    );
    let waiting =
        within("the person's wait", node.wait_for(|s| s.waiting_on_person.iter().any(|w| w.pr == 12))).await;
    assert!(waiting.is_some(), "PR #12's stop label shows as a wait on a person");
    node.shutdown();
    within("the stop", run.finish()).await.expect("a clean stop");
    assert_eq!(node.state().phase, Phase::Stopped);
}

#[tokio::test]
async fn a_paused_node_sends_no_request_and_each_poll_now_runs_exactly_one_cycle() {
    let scenario = Scenario::start().await;
    let (node, run) = scenario.run(true, FAST).await;
    within("the paused wait", node.wait_for(|s| s.phase == Phase::Waiting && s.paused)).await;
    scenario.assert_quiet_after(0).await;

    let cycle = within("the poll-now cycle", node.poll_now_and_wait()).await.expect("the node runs");
    assert!(matches!(cycle.verdict, CycleVerdict::Completed { .. }), "{cycle:?}");
    // Asked again the moment the first ended, as `core-ide demo` does: one more cycle.
    let again = within("the second poll-now cycle", node.poll_now_and_wait()).await.expect("the node runs");
    assert_eq!(again.cycle, cycle.cycle.map(|n| n + 1));
    let after_cycle =
        within("the wait after it", node.wait_for(|s| s.phase == Phase::Waiting)).await.unwrap();
    assert!(after_cycle.paused && after_cycle.cycles_run == 2 && after_cycle.next_cycle_due.is_none());
    scenario.assert_quiet_after(scenario.requests()).await;
    node.shutdown();
    within("the stop", run.finish()).await.expect("a clean stop");
}

#[tokio::test]
async fn pausing_a_running_node_stops_its_requests_and_resume_starts_a_cycle_at_once() {
    let scenario = Scenario::start().await;
    let (node, run) = scenario.run(false, FAST).await;
    // The timer alone runs these: the pace is short enough to poll within the quiet window.
    within("two timed cycles", node.wait_for(|s| s.cycles_run >= 2)).await.expect("the node runs");
    node.pause();
    assert!(node.state().paused, "the state says paused as soon as it is asked");
    let paused = within("the pause", node.wait_for(|s| s.phase == Phase::Waiting && s.paused)).await.unwrap();
    scenario.assert_quiet_after(scenario.requests()).await;
    assert_eq!(node.state().cycles_run, paused.cycles_run, "no cycle while paused");

    node.resume();
    let resumed = within("the resumed cycle", node.wait_for(|s| s.cycles_run > paused.cycles_run)).await;
    assert!(resumed.is_some_and(|s| !s.paused));
    node.shutdown();
    within("the stop", run.finish()).await.expect("a clean stop");
}

#[tokio::test]
async fn resume_and_poll_now_each_start_a_cycle_at_once_on_an_hour_long_timer() {
    let scenario = Scenario::start().await;
    let (node, run) = scenario.run(true, HOUR).await;
    within("the paused wait", node.wait_for(|s| s.phase == Phase::Waiting && s.paused)).await;
    node.resume();
    within("the resumed cycle", node.wait_for(|s| s.cycles_run == 1)).await.expect("the node runs");
    let second = within("the poll-now cycle", node.poll_now_and_wait()).await.expect("the node runs");
    assert_eq!(node.state().cycles_run, 2, "{second:?}");
    node.shutdown();
    within("the stop", run.finish()).await.expect("a clean stop");
}

#[tokio::test]
async fn shutdown_during_a_cycle_lets_it_finish_and_leaves_no_claim_unsettled() {
    let scenario = Scenario::start().await;
    let (node, run) = scenario.run(true, HOUR).await;
    node.poll_now();
    // Shutdown is asked for once the cycle's first change reached GitHub (publishing #10),
    // with #11's conflict command still to send.
    within("the first change", scenario.sim.wait_until(|c| !c.mutation_log.is_empty())).await;
    node.shutdown();
    within("the stop", run.finish()).await.expect("a clean stop");

    let state = node.state();
    assert_eq!((state.phase, state.cycles_run), (Phase::Stopped, 1), "the cycle finished, no other began");
    let cycle = state.last_cycle().unwrap();
    let performed: Vec<_> =
        cycle.actions().iter().filter(|a| a.outcome == "performed").map(|a| a.pr).collect();
    assert!(performed.contains(&10) && performed.contains(&11), "the whole cycle completed: {cycle:?}");
    let store =
        SqliteStore::open(&scenario.dir.path().join("data"), &scenario.settings.node_id).await.unwrap();
    assert_eq!(store.unconfirmed(&scenario.settings.node_id).await.unwrap(), [], "every claim is settled");
    let journal = read_journal(&scenario.dir.path().join("journal"), &ReadFilter::default()).unwrap();
    let journaled: Vec<_> = journal.records.iter().map(|r| r.pr).collect();
    assert_eq!(journaled.len(), performed.len(), "each performed action is journaled: {journaled:?}");
    assert!(journal.records.iter().all(|r| r.repo == RepoSlug::parse(REPO).unwrap()));
}
