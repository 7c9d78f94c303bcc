//! A paused node over the simulator, for the bridge's tests.
#![allow(dead_code, reason = "each test file uses its part")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jobrunner_config::Settings;
use jobrunner_github_sim::{GitHubSim, PrSpec, SimHandle, SimState};
use jobrunner_node::{Node, NodeHandle, NodeRun};

pub(crate) const REPO: &str = "octo/app";
/// A marker no structural field can hold: put in every free-text field the simulator has.
pub(crate) const MARKER: &str = "FORGE-FREE-TEXT-7f3a";

pub(crate) struct Scenario {
    pub(crate) sim: SimHandle,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) node: NodeHandle,
    pub(crate) run: NodeRun,
}

impl Scenario {
    /// A paused node over epic #1: draft PR #10, conflicting PR #11, every free-text field
    /// (titles, bodies, comments, branch names) holding [`MARKER`].
    pub(crate) async fn start() -> Self {
        let state = SimState::empty()
            .with_repo("octo", "app")
            .with_epic(REPO, 1, &[2, 3])
            .with_pr(REPO, PrSpec::new(10).closes(&[2]).draft(true))
            .with_pr(REPO, PrSpec::new(11).closes(&[3]).mergeable(Some(false)))
            .with_marker(MARKER);
        let sim = GitHubSim::start(state).await.expect("the simulator starts on loopback");
        let dir = tempfile::tempdir().unwrap();
        let node =
            Node::from_settings(&settings(&sim, dir.path())).await.expect("the node wires").paused(true);
        let (node, run) = node.run(|_| {});
        Self { sim, dir, node, run }
    }

    pub(crate) fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    pub(crate) async fn stop(self) {
        self.node.shutdown();
        self.run.finish().await.expect("a clean stop");
        self.sim.shutdown().await;
    }
}

fn settings(sim: &SimHandle, dir: &Path) -> Settings {
    Settings::for_simulator(&sim.base_url(), &[REPO], "test-host", dir)
        .expect("the test's settings are valid")
}

/// The tools `scripts/test-clients.sh` installed, from the env file it writes.
pub(crate) struct Clients(BTreeMap<String, String>);

impl Clients {
    pub(crate) fn installed() -> Self {
        let dir = std::env::var("CORE_TOOLS_DIR").unwrap_or_else(|_| "/var/tmp/core-ide-tools".to_owned());
        let env = PathBuf::from(&dir).join("env");
        let text = std::fs::read_to_string(&env).unwrap_or_else(|e| {
            panic!("{}: {e}: run scripts/test-clients.sh to install the MCP clients", env.display())
        });
        let vars = text
            .lines()
            .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self(vars)
    }

    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get(name).unwrap_or_else(|| panic!("{name} missing: run scripts/test-clients.sh again"))
    }
}
