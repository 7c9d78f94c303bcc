//! `cargo xtask bench fleet`: what a fleet of 12 release `core-ide --headless` nodes on one
//! PostgreSQL spends against 100 repositories x 30 PRs, next to a single node on the same
//! workload, and how long a killed node's repositories wait before another node polls them.
//!
//! The single node is a fleet of one on a PostgreSQL database of its own: the same store and
//! code path, so the two runs differ only in the number of nodes. (A standalone node on
//! SQLite spends the same points; it only takes longer, syncing each claim to disk.)
//!
//! Target (issue 7): the fleet spends at most 1.1 times the primary points of the single node.
//! Both runs go from a cold start until every node has finished three cycles in a row that
//! acted on nothing (the pipeline is settled and read), counted by the simulator per token.
//! Then one fleet node is killed with SIGKILL; the time until every repository it polled has
//! been polled by another node is measured against the lease TTL.
//!
//! Nodes poll every second with a 4 s lease TTL and a 1 s heartbeat, so the run is short; the
//! simulator's per-minute secondary limits are lifted, as cycles a second apart would meet
//! them, while primary points are counted as GitHub counts them.

#[path = "../fleet_nodes.rs"]
mod fleet_nodes;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fleet_nodes::{Node, fleet_node};
use jobrunner_github_sim::{GitHubSim, Limits, SimHandle, SimState};
use jobrunner_store::testing::TestDatabase;
use serde_json::json;

const REPOS: usize = 100;
const PRS: usize = 30;
const NODES: usize = 12;
const TARGET_RATIO: f64 = 1.1;
const IDLE_CYCLES: usize = 3;
const LEASE_TTL: Duration = Duration::from_secs(4);
/// Long enough for any settled run on a slow machine; a run past it is reported as failed.
const PATIENCE: Duration = Duration::from_secs(600);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let alone = runtime.block_on(TestDatabase::create());
    let mut single = runtime.block_on(run(1, alone.url()));
    single.stop();
    let database = runtime.block_on(TestDatabase::create());
    let mut fleet = runtime.block_on(run(NODES, database.url()));
    let handover = fleet.kill_one();
    fleet.stop();

    let ratio = fleet.points as f64 / single.points.max(1) as f64;
    let met = ratio <= TARGET_RATIO;
    println!(
        "{REPOS} repos x {PRS} PRs, cold start until every node idles ({IDLE_CYCLES} cycles acting on nothing):"
    );
    for (name, run) in [("1 node", &single), ("12-node fleet", &fleet)] {
        println!(
            "  {name:<18} {:>6} primary points ({} REST, {} GraphQL) {:>7} requests ({} answered 304) {:>4} actions  {:>5.1} s",
            run.points,
            run.rest_points,
            run.graphql_points,
            run.requests,
            run.not_modified,
            run.mutations,
            run.wall.as_secs_f64()
        );
    }
    println!(
        "  fleet / single points: {ratio:.3} (target <= {TARGET_RATIO}): {}",
        if met { "met" } else { "MISSED" }
    );
    println!(
        "  killed node held {} repos; all polled again by others {:.1} s after SIGKILL (lease TTL {} s, poll interval 1 s)",
        handover.repos,
        handover.after.as_secs_f64(),
        LEASE_TTL.as_secs()
    );
    let report = json!({
        "repos": REPOS, "prs_per_repo": PRS, "nodes": NODES,
        "single": single.json(),
        "fleet": fleet.json(),
        "points_ratio": ratio, "target_ratio": TARGET_RATIO, "met": met,
        "handover": { "repos": handover.repos, "seconds": handover.after.as_secs_f64(), "lease_ttl_s": LEASE_TTL.as_secs() },
    });
    let bench_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), Into::into)
        .join("bench");
    std::fs::create_dir_all(&bench_dir).unwrap();
    std::fs::write(bench_dir.join("fleet.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("wrote {}", bench_dir.join("fleet.json").display());
    runtime.block_on(database.drop_database());
    runtime.block_on(alone.drop_database());
}

/// Nodes on a fresh simulator, run until every one idles.
struct Run {
    sim: SimHandle,
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
    points: u64,
    rest_points: u64,
    graphql_points: u64,
    requests: u64,
    not_modified: u64,
    mutations: usize,
    wall: Duration,
}

/// A killed node's repositories: how many, and how long until all were polled by others.
struct Handover {
    repos: usize,
    after: Duration,
}

async fn run(nodes: usize, database_url: &str) -> Run {
    let state = SimState::workload(REPOS, PRS).with_limits(Limits {
        rest_points_per_minute: u32::MAX / 2,
        graphql_points_per_minute: u32::MAX / 2,
        content_creating_per_minute: u32::MAX / 2,
        content_creating_per_hour: u32::MAX / 2,
        ..Limits::default()
    });
    let repos: Vec<String> = state.repos().iter().map(jobrunner_github_sim::Repo::full_name).collect();
    let sim = GitHubSim::start(state).await.expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let nodes: Vec<Node> = (0..nodes)
        .map(|i| fleet_node(&sim, Some(database_url), dir.path(), &repos, &format!("bench-{i:02}")))
        .collect();
    let logs: Vec<_> = nodes.iter().map(|node| node.log.clone()).collect();
    let idle = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if logs.iter().all(|log| idle_cycles(&log.lines()) >= IDLE_CYCLES) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            // Twelve logs to watch: looking five times a second is cheaper than a waiter each.
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .unwrap();
    assert!(idle, "the nodes did not idle within {PATIENCE:?}");
    let wall = started.elapsed();
    let counters = sim.counters();
    Run {
        points: counters.primary_points(),
        rest_points: counters.rest_points,
        graphql_points: counters.graphql_points,
        requests: counters.per_endpoint.values().sum(),
        not_modified: counters.not_modified,
        mutations: counters.mutation_log.len(),
        wall,
        sim,
        nodes,
        _dir: dir,
    }
}

/// Cycles in a row, at the end of a node's log, that acted on nothing.
fn idle_cycles(lines: &[String]) -> usize {
    let cycles = lines.iter().filter_map(|line| {
        let log: serde_json::Value = serde_json::from_str(line).ok()?;
        let fields = &log["fields"];
        assert_ne!(fields["message"], "cycle failed", "a node failed a cycle: {line}");
        (fields["message"] == "cycle done").then(|| fields["actions"] == 0)
    });
    cycles.collect::<Vec<bool>>().iter().rev().take_while(|idle| **idle).count()
}

impl Run {
    fn json(&self) -> serde_json::Value {
        json!({
            "primary_points": self.points, "rest_points": self.rest_points,
            "graphql_points": self.graphql_points, "requests": self.requests,
            "not_modified": self.not_modified, "mutations": self.mutations,
            "wall_s": self.wall.as_secs_f64(),
        })
    }

    /// Kills the last node and waits until another node polled each repository it polled.
    fn kill_one(&mut self) -> Handover {
        // Who polls what now: the repositories polled during two poll intervals.
        self.sim.reset_counters();
        std::thread::sleep(Duration::from_secs(2));
        let mut victim = self.nodes.pop().expect("a node to kill");
        let token = format!("token-bench-{:02}", self.nodes.len());
        let held: BTreeSet<String> = self
            .sim
            .counters()
            .per_repo_token
            .iter()
            .filter(|(_, tokens)| tokens.contains_key(&token))
            .map(|(repo, _)| repo.clone())
            .collect();
        assert!(!held.is_empty(), "the node to kill polled nothing");
        self.sim.reset_counters();
        victim.child.kill().expect("SIGKILL");
        let killed = Instant::now();
        let _ = victim.child.wait();
        while killed.elapsed() < PATIENCE {
            let polled = self.sim.counters().per_repo_token;
            let moved = held
                .iter()
                .all(|repo| polled.get(repo).is_some_and(|tokens| tokens.keys().any(|t| *t != token)));
            if moved {
                return Handover { repos: held.len(), after: killed.elapsed() };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the killed node's repositories were not polled again within {PATIENCE:?}");
    }

    fn stop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
    }
}
