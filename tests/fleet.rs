//! Fleet nodes on one PostgreSQL database (a real server: see `jobrunner_store::testing`):
//! node ids are exclusive while live, and actions are performed once across nodes.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;

use core_ide_e2e::{CoreIde, Run};
use jobrunner_github_sim::{GitHubSim, SimHandle, SimState};
use jobrunner_store::testing::{OwnServer, TestDatabase};

#[path = "fleet_nodes.rs"]
mod fleet_nodes;
use fleet_nodes::{Node, NodeLog, fleet_node, sim_node_args};

const TOKEN: &str = "ghp_fleet_token";

fn node(sim: &SimHandle, db: &TestDatabase, dir: &Path, id: &str, extra: &[&str]) -> CoreIde {
    let base = sim_node_args(sim, dir, id, "octo/app");
    let args: Vec<&str> = extra.iter().copied().chain(base.iter().map(String::as_str)).collect();
    CoreIde::new(&args).env("CORE_GITHUB_TOKEN", TOKEN).env("CORE_DATABASE_URL", db.url())
}

async fn run(command: CoreIde) -> Run {
    tokio::task::spawn_blocking(move || command.run()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_with_a_taken_node_id_exits_2_naming_it() {
    let db = TestDatabase::create().await;
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut first = node(&sim, &db, dir.path(), "node-a", &["--headless"]).spawn();
    // Registered once it has finished a cycle.
    let stdout = first.stdout.take().unwrap();
    let cycled = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("\"cycle done\""))
    });
    assert!(cycled.await.unwrap(), "the first node completed a cycle");

    let second = run(node(&sim, &db, dir.path(), "node-a", &["--once"])).await;
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.code(), 2, "stderr: {}", second.stderr());
    assert!(second.stderr().contains("node-a"), "the message names the id: {}", second.stderr());
    assert!(!second.stderr().contains(TOKEN));
}

#[test]
fn a_fleet_node_whose_lease_ttl_is_not_over_twice_the_poll_interval_refuses_to_start() {
    let run = CoreIde::new(&["--once", "--repos", "octo/app", "--poll-interval", "30s", "--lease-ttl", "1m"])
        .env("CORE_GITHUB_TOKEN", TOKEN)
        // Refused before connecting: nothing listens here.
        .env("CORE_DATABASE_URL", "postgres://core@127.0.0.1:9/core_ide")
        .run();
    assert_eq!(run.code(), 2, "stderr: {}", run.stderr());
    assert!(
        run.stderr().contains("lease_ttl 1m must be more than twice poll_interval 30s"),
        "{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sharing_the_ledger_perform_each_action_once() {
    let db = TestDatabase::create().await;
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = tokio::join!(
        run(node(&sim, &db, dir.path(), "node-a", &["--once"])),
        run(node(&sim, &db, dir.path(), "node-b", &["--once"])),
    );
    assert_eq!((a.code(), b.code()), (0, 0), "a: {}\nb: {}", a.stderr(), b.stderr());
    let counters = sim.counters();
    for pr in [10, 11, 12, 13] {
        assert_eq!(counters.mutations("octo/app", pr).len(), 1, "PR {pr} mutated once across two nodes");
    }
    // Leaving frees the id at once: the same id registers again without waiting for a TTL.
    let again = run(node(&sim, &db, dir.path(), "node-a", &["--once"])).await;
    assert_eq!(again.code(), 0, "{}", again.stderr());
}

/// Counts of the actions the workload takes at most once per PR or issue, by (repo, number,
/// kind): publishing, enabling auto-merge, a fix command, closing a child.
fn once_per_target(
    counters: &jobrunner_github_sim::Counters,
) -> std::collections::BTreeMap<(String, u64, String), u32> {
    use jobrunner_github_sim::MutationKind::{CloseIssue, Comment, EnableAutoMerge, MarkReady};
    let mut once = std::collections::BTreeMap::new();
    for m in counters
        .mutation_log
        .iter()
        .filter(|m| matches!(m.kind, MarkReady | EnableAutoMerge | Comment | CloseIssue))
    {
        *once.entry((m.repo.clone(), m.number, format!("{:?}", m.kind))).or_insert(0) += 1;
    }
    once
}

fn epics_complete(sim: &SimHandle, repos: &[String], children: std::ops::RangeInclusive<u64>) -> bool {
    sim.with_state(|s| {
        repos.iter().all(|repo| {
            s.repo(repo).open_pr_numbers().is_empty()
                && children.clone().all(|c| s.is_ticked(repo, 1, c) == Some(true))
                && children
                    .clone()
                    .all(|c| s.issue(repo, c).state == jobrunner_github_sim::IssueState::Closed)
        })
    })
}

/// Where a fleet run keeps its state: a database of its own on the shared test server, or a
/// server of its own that the test may stop.
enum Database {
    Shared(TestDatabase),
    Own(OwnServer),
}

impl Database {
    fn url(&self) -> &str {
        match self {
            Self::Shared(database) => database.url(),
            Self::Own(server) => server.url(),
        }
    }
}

/// Fleet nodes on 12 repositories with an epic of 9 children each, the simulator's other
/// parties acting every 200 ms while the test waits.
struct FleetRun {
    db: Database,
    sim: SimHandle,
    _dir: tempfile::TempDir,
    repos: Vec<String>,
    nodes: Vec<Node>,
}

/// What a fleet run left: every mutation, the polls of the last 3 s, whether every epic completed.
struct Finished {
    whole_run: jobrunner_github_sim::Counters,
    settled: jobrunner_github_sim::Counters,
    complete: bool,
}

impl Finished {
    /// How many repositories each token (node) polled once the split settled.
    fn repos_polled_by(&self, tokens: &[&str]) -> Vec<usize> {
        tokens
            .iter()
            .map(|t| self.settled.per_repo_token.values().filter(|polled| polled.contains_key(*t)).count())
            .collect()
    }
}

impl FleetRun {
    const CHILDREN: std::ops::RangeInclusive<u64> = 2..=10;

    async fn start(ids: &[&str]) -> Self {
        Self::start_on(Database::Shared(TestDatabase::create().await), ids).await
    }

    async fn start_on(db: Database, ids: &[&str]) -> Self {
        // 108 PRs acted on by two or three tokens go past GitHub's 80 content-creating requests
        // a minute per token; the nodes honour it by waiting, which only slows this scenario.
        let state = SimState::workload(12, 9).with_limits(jobrunner_github_sim::Limits {
            content_creating_per_minute: 10_000,
            content_creating_per_hour: 100_000,
            ..jobrunner_github_sim::Limits::default()
        });
        let repos: Vec<String> = state.repos().iter().map(jobrunner_github_sim::Repo::full_name).collect();
        let sim = GitHubSim::start(state).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let nodes = ids.iter().map(|id| fleet_node(&sim, Some(db.url()), dir.path(), &repos, id)).collect();
        Self { db, sim, _dir: dir, repos, nodes }
    }

    fn complete(&self) -> bool {
        epics_complete(&self.sim, &self.repos, Self::CHILDREN)
    }

    /// Lets the other parties act `rounds` times, or until every epic is complete.
    async fn play(&self, rounds: u32) {
        for _ in 0..rounds {
            if self.complete() {
                return;
            }
            self.sim.with_state(SimState::parties_act);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Waits until every node's log has `times` lines containing `text` (a minute at most each).
    async fn each_logged(&self, text: &str, times: usize) -> bool {
        let logs: Vec<NodeLog> = self.nodes.iter().map(|node| node.log.clone()).collect();
        let text = text.to_owned();
        tokio::task::spawn_blocking(move || {
            logs.iter().all(|log| log.wait_for(&text, times, std::time::Duration::from_secs(60)))
        })
        .await
        .unwrap()
    }

    /// The nodes' warnings and errors, and their last lines, for a failure message.
    fn logs(&self) -> String {
        let mut shown = String::new();
        for (index, node) in self.nodes.iter().enumerate() {
            let lines = node.log.lines();
            let tail = lines.len().saturating_sub(5);
            for (at, line) in lines.iter().enumerate() {
                if at >= tail || line.contains("\"WARN\"") || line.contains("\"ERROR\"") {
                    let _ = writeln!(shown, "node {index}: {line}");
                }
            }
        }
        shown
    }

    fn kill(&mut self, index: usize) {
        let mut node = self.nodes.remove(index);
        node.child.kill().expect("SIGKILL");
        let _ = node.child.wait();
    }

    /// Plays until complete (2 minutes at most), watches 3 s of settled polling, stops the nodes.
    async fn finish(mut self) -> Finished {
        self.play(600).await;
        let whole_run = self.sim.counters();
        self.sim.reset_counters();
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let settled = self.sim.counters();
        while !self.nodes.is_empty() {
            self.kill(0);
        }
        Finished { whole_run, settled, complete: self.complete() }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_split_twelve_repositories_and_complete_every_epic_acting_once() {
    let run = FleetRun::start(&["node-a", "node-b", "node-c"]).await;
    let finished = run.finish().await;
    assert!(finished.complete, "every epic completes");
    let once = once_per_target(&finished.whole_run);
    assert!(!once.is_empty());
    assert!(once.values().all(|n| *n == 1), "an action performed twice: {once:?}");
    let polled = &finished.settled.per_repo_token;
    assert_eq!(polled.len(), 12, "every repository is polled: {polled:?}");
    assert!(
        polled.values().all(|tokens| tokens.len() == 1),
        "each by one node once the split settled: {polled:?}"
    );
    assert_eq!(finished.repos_polled_by(&["token-node-a", "token-node-b", "token-node-c"]), [4, 4, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_hands_its_repositories_to_the_survivors_and_nothing_is_done_twice() {
    let mut run = FleetRun::start(&["node-a", "node-b", "node-c"]).await;
    // Let the fleet split the work and start acting, then kill node-c mid-run.
    run.play(15).await;
    run.kill(2);
    let finished = run.finish().await;
    assert!(finished.complete, "every epic completes without node-c");
    let once = once_per_target(&finished.whole_run);
    assert!(once.values().all(|n| *n == 1), "an action performed twice: {once:?}");
    let polled = &finished.settled.per_repo_token;
    assert!(polled.values().all(|tokens| tokens.len() == 1), "{polled:?}");
    assert_eq!(finished.repos_polled_by(&["token-node-a", "token-node-b"]), [6, 6], "node-c's share moved");
}

/// What a node logs each time a cycle finds the state database gone.
const UNREACHABLE: &str = "state database unreachable";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_stops_polling_and_acting_and_the_nodes_resume_without_a_restart() {
    let run = FleetRun::start_on(Database::Own(OwnServer::start()), &["node-a", "node-b"]).await;
    run.play(10).await;
    let Database::Own(server) = &run.db else { unreachable!() };
    server.pause();
    // Once every node noticed, whatever was in flight has finished.
    assert!(run.each_logged(UNREACHABLE, 1).await, "every node reports the outage:\n{}", run.logs());
    let down = run.sim.counters();
    // The other parties go on; each node tries again, and fails again, while it is down.
    let polled = run.each_logged(UNREACHABLE, 3);
    let parties = run.play(25);
    let (retried, ()) = tokio::join!(polled, parties);
    assert!(retried, "the nodes keep retrying while the database is down:\n{}", run.logs());
    let still_down = run.sim.counters();
    assert_eq!(still_down.mutation_log.len(), down.mutation_log.len(), "no mutation while it is down");
    let requests = |c: &jobrunner_github_sim::Counters| c.per_endpoint.values().sum::<u64>();
    assert_eq!(requests(&still_down), requests(&down), "no polling while it is down");
    assert!(!run.complete(), "the outage came mid-run");

    server.resume();
    assert!(
        run.each_logged("the state database answers again", 1).await,
        "every node resumes by itself:\n{}",
        run.logs()
    );
    let finished = run.finish().await;
    assert!(finished.complete, "every epic completes after the outage");
    let once = once_per_target(&finished.whole_run);
    assert!(once.values().all(|n| *n == 1), "an action performed twice: {once:?}");
}
