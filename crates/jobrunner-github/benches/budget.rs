//! `cargo xtask bench github`: API points and requests per cycle, counted by the GitHub
//! simulator, for an idle cycle and a cycle with changes, at 4x30, 100x30 and 1000x30 (repos x
//! PRs).
//!
//! At 1000x30 one token cannot follow GitHub's limits in one cycle (a cold read costs more than
//! the 5,000 points of an hour, an idle one more REST requests than the 900 secondary points of a
//! minute): the simulator's budgets are lifted there so the cycle can be measured, and the table
//! says what interval (or how many tokens) the counts need.
//!
//! Targets (DESIGN.md, "API budget"): an idle cycle costs 0 primary points; a changed cycle
//! costs at most one GraphQL query per changed repository. The seed design spent about 150
//! requests per scan of 4 repos x 30 PRs; the table prints the ratio.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobrunner_core::{JobSource, RepoSlug};
use jobrunner_github::{GitHubClient, GitHubConfig, GitHubSource, Scope};
use jobrunner_github_sim::{CheckState, Counters, GitHubSim, Limits, SimState};
use serde_json::json;

const SEED_REQUESTS_PER_SCAN_4X30: f64 = 150.0;
/// Sizes measured under GitHub's real limits; larger ones with the budgets lifted.
const LIMITED_UP_TO_REPOS: usize = 100;
/// GitHub's REST secondary limit: points (1 per GET) per minute.
const REST_SECONDARY_PER_MINUTE: f64 = 900.0;
/// GitHub's primary budget per token and hour.
const PRIMARY_PER_HOUR: f64 = 5000.0;

struct Cycle {
    requests: u64,
    rest_points: u64,
    graphql_points: u64,
    graphql_queries: u64,
    wall: Duration,
}

impl Cycle {
    fn from(counters: &Counters, wall: Duration) -> Self {
        Self {
            requests: counters.requests,
            rest_points: counters.rest_points,
            graphql_points: counters.graphql_points,
            graphql_queries: counters.endpoint("POST /graphql"),
            wall,
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "requests": self.requests,
            "rest_points": self.rest_points,
            "graphql_points": self.graphql_points,
            "primary_points": self.rest_points + self.graphql_points,
            "graphql_queries": self.graphql_queries,
            "wall_ms": u64::try_from(self.wall.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

struct Row {
    repos: usize,
    prs: usize,
    cold: Cycle,
    idle: Cycle,
    changed: Cycle,
    settled_idle: Cycle,
    changed_repos: usize,
}

async fn measure(repos: usize, prs: usize) -> Row {
    let mut state = SimState::workload(repos, prs);
    if repos > LIMITED_UP_TO_REPOS {
        state = state.with_limits(Limits {
            primary_per_hour: u32::MAX / 2,
            graphql_per_hour: u32::MAX / 2,
            rest_points_per_minute: u32::MAX / 2,
            graphql_points_per_minute: u32::MAX / 2,
            ..Limits::default()
        });
    }
    let slugs: Vec<RepoSlug> =
        state.repos().iter().map(|r| RepoSlug::parse(&r.full_name()).unwrap()).collect();
    let sim = GitHubSim::start(state).await.expect("simulator starts");
    let config = GitHubConfig::new(sim.base_url(), "bench-token", "epic", Scope::default(), Duration::ZERO);
    let source = GitHubSource::new(Arc::new(GitHubClient::new(config).unwrap()), slugs.clone());

    let cold = timed(&sim, &source).await;
    // The second cycle primes the ETags of PRs still settling; from the third on, a cycle
    // without changes is what an operator pays at rest.
    timed(&sim, &source).await;
    let idle = timed(&sim, &source).await;

    // One PR per repository in every fourth repository gets a new review: a typical busy cycle.
    let changed_repos: Vec<&RepoSlug> = slugs.iter().step_by(4).collect();
    sim.with_state(|s| {
        for repo in &changed_repos {
            let first_open = s.repo(&repo.to_string()).open_pr_numbers().first().copied().expect("open PRs");
            s.review_adds_threads(&repo.to_string(), first_open, 1);
        }
    });
    let changed = timed(&sim, &source).await;

    // The workload keeps two stages of nine waiting on CI; once CI is done, idle is idle.
    sim.with_state(|s| {
        for repo in &slugs {
            let name = repo.to_string();
            for number in s.repo(&name).open_pr_numbers() {
                s.checks_finish(&name, number, CheckState::Success);
            }
        }
    });
    timed(&sim, &source).await;
    let settled_idle = timed(&sim, &source).await;
    sim.shutdown().await;
    Row { repos, prs, cold, idle, changed, settled_idle, changed_repos: changed_repos.len() }
}

async fn timed(sim: &jobrunner_github_sim::SimHandle, source: &GitHubSource) -> Cycle {
    // Cycles run back to back here; in production a poll interval (60 s) separates them, and
    // with it GitHub's per-minute secondary windows.
    sim.reset_budgets();
    sim.reset_counters();
    let started = Instant::now();
    source.poll().await.expect("poll succeeds against the simulator");
    Cycle::from(&sim.counters(), started.elapsed())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let rows: Vec<Row> =
        [(4, 30), (100, 30), (1000, 30)].into_iter().map(|(r, p)| runtime.block_on(measure(r, p))).collect();

    println!("GitHub API budget per cycle, counted by jobrunner-github-sim (idle-ci: idle once CI finished)");
    println!(
        "{:<8} {:<8} {:>9} {:>12} {:>15} {:>16} {:>8}",
        "size", "cycle", "requests", "REST points", "GraphQL points", "GraphQL queries", "wall ms"
    );
    for row in &rows {
        let cycles = [
            ("cold", &row.cold),
            ("idle", &row.idle),
            ("changed", &row.changed),
            ("idle-ci", &row.settled_idle),
        ];
        for (name, cycle) in cycles {
            println!(
                "{:<8} {:<8} {:>9} {:>12} {:>15} {:>16} {:>8}",
                format!("{}x{}", row.repos, row.prs),
                name,
                cycle.requests,
                cycle.rest_points,
                cycle.graphql_points,
                cycle.graphql_queries,
                cycle.wall.as_millis()
            );
        }
    }
    let small = &rows[0];
    let ratio = small.idle.requests as f64 / SEED_REQUESTS_PER_SCAN_4X30;
    let changed_ratio = small.changed.requests as f64 / SEED_REQUESTS_PER_SCAN_4X30;
    println!(
        "seed design: ~150 requests (~150 points) per 4x30 scan; now idle {} requests / {} points (x{ratio:.2}), changed {} requests / {} points (x{changed_ratio:.2})",
        small.idle.requests,
        small.idle.rest_points + small.idle.graphql_points,
        small.changed.requests,
        small.changed.rest_points + small.changed.graphql_points,
    );
    let mut verdicts = Vec::new();
    for row in &rows {
        let idle_ok = row.idle.rest_points + row.idle.graphql_points == 0;
        let settled_ok = row.settled_idle.rest_points + row.settled_idle.graphql_points == 0;
        let changed_ok = row.changed.graphql_queries <= row.changed_repos as u64;
        verdicts.push(json!({
            "size": format!("{}x{}", row.repos, row.prs),
            "idle_zero_points": idle_ok,
            "idle_ci_settled_zero_points": settled_ok,
            "changed_at_most_one_query_per_changed_repo": changed_ok,
        }));
        println!(
            "{}x{}: idle = 0 points: {} (with CI settled: {}); changed <= 1 GraphQL query per changed repo ({} queries, {} changed repos): {}",
            row.repos,
            row.prs,
            if idle_ok { "met" } else { "MISSED" },
            if settled_ok { "met" } else { "MISSED" },
            row.changed.graphql_queries,
            row.changed_repos,
            if changed_ok { "met" } else { "MISSED" },
        );
    }
    for row in rows.iter().filter(|r| r.repos > LIMITED_UP_TO_REPOS) {
        let idle_minutes = row.idle.requests as f64 / REST_SECONDARY_PER_MINUTE;
        let cold_hours = (row.cold.rest_points + row.cold.graphql_points) as f64 / PRIMARY_PER_HOUR;
        println!(
            "{}x{} (budgets lifted): an idle cycle's {} REST requests need a poll interval of at least {idle_minutes:.1} min per token (900 secondary points/min); the cold start's {} points are {cold_hours:.1} hours of one token's budget",
            row.repos,
            row.prs,
            row.idle.requests,
            row.cold.rest_points + row.cold.graphql_points,
        );
    }
    let summary = json!({
        "benchmark": "github",
        "seed_requests_per_4x30_scan": SEED_REQUESTS_PER_SCAN_4X30,
        "idle_request_ratio_vs_seed_4x30": ratio,
        "rows": rows.iter().map(|r| json!({
            "repos": r.repos, "prs_per_repo": r.prs, "changed_repos": r.changed_repos,
            "cold": r.cold.json(), "idle": r.idle.json(), "changed": r.changed.json(),
            "idle_ci_settled": r.settled_idle.json(),
        })).collect::<Vec<_>>(),
        "targets": verdicts,
    });
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), Into::into)
        .join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("github.json"), serde_json::to_string_pretty(&summary).unwrap()).unwrap();
    println!("wrote {}", dir.join("github.json").display());
}
