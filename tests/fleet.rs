//! Fleet nodes on one PostgreSQL database (a real server: see `jobrunner_store::testing`):
//! node ids are exclusive while live, and actions are performed once across nodes.

use std::io::{BufRead, BufReader};
use std::path::Path;

use core_ide_e2e::{CoreIde, Run};
use jobrunner_github_sim::{GitHubSim, SimHandle, SimState};
use jobrunner_store::testing::TestDatabase;

const TOKEN: &str = "ghp_fleet_token";

fn node(sim: &SimHandle, db: &TestDatabase, dir: &Path, id: &str, extra: &[&str]) -> CoreIde {
    let path = |name: &str| dir.join(id).join(name).to_string_lossy().into_owned();
    let (data, journal, api) = (path("data"), path("journal"), sim.base_url());
    let base = [
        "--repos",
        "octo/app",
        "--api-url",
        &api,
        "--data-dir",
        &data,
        "--journal-dir",
        &journal,
        "--node-id",
        id,
        "--mutation-gap",
        "0s",
    ];
    let args: Vec<&str> = extra.iter().copied().chain(base).collect();
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
