//! Headless `core-ide` nodes as processes, for the fleet scenarios and the fleet benchmark.
#![allow(dead_code, reason = "included by the fleet tests and the fleet bench, each using part of it")]

use std::io::{BufRead, BufReader};
use std::path::Path;

use core_ide_e2e::CoreIde;
use jobrunner_github_sim::SimHandle;

/// A headless node polling `repos` every second: a fleet node with a 4 s lease TTL on
/// `database_url`, else a standalone one.
pub(crate) fn fleet_node(
    sim: &SimHandle,
    database_url: Option<&str>,
    dir: &Path,
    repos: &[String],
    id: &str,
) -> Node {
    let mut args: Vec<String> =
        ["--headless", "--poll-interval", "1s", "--lease-ttl", "4s", "--heartbeat-interval", "1s"]
            .map(String::from)
            .into();
    args.extend(sim_node_args(sim, dir, id, &repos.join(",")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // A token per node: GitHub's limits are per token, and the simulator tells who polled what.
    let mut command = CoreIde::new(&args).env("CORE_GITHUB_TOKEN", format!("token-{id}"));
    if let Some(url) = database_url {
        command = command.env("CORE_DATABASE_URL", url);
    }
    let mut child = command.spawn();
    // Drain the output (a full pipe would stop the node at its next log line), keeping the logs.
    let (out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let log = NodeLog::default();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            lines.push(line);
        }
    });
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    Node { child, log }
}

/// What points node `id` at the simulator, with its state under `dir/<id>`: the repositories
/// (comma-separated), the API URL, data and journal directories, the node id, and no gap
/// between mutations.
pub(crate) fn sim_node_args(sim: &SimHandle, dir: &Path, id: &str, repos: &str) -> Vec<String> {
    let path = |name: &str| dir.join(id).join(name).to_string_lossy().into_owned();
    [
        "--repos",
        repos,
        "--api-url",
        &sim.base_url(),
        "--data-dir",
        &path("data"),
        "--journal-dir",
        &path("journal"),
        "--node-id",
        id,
        "--mutation-gap",
        "0s",
    ]
    .map(String::from)
    .into()
}

/// A running node and its log lines.
pub(crate) struct Node {
    /// The process.
    pub(crate) child: std::process::Child,
    /// Its log lines.
    pub(crate) log: NodeLog,
}

/// A node's log lines as they arrive, to wait on.
#[derive(Clone, Default)]
pub(crate) struct NodeLog(std::sync::Arc<(std::sync::Mutex<Vec<String>>, std::sync::Condvar)>);

impl NodeLog {
    /// Every line so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0.0.lock().unwrap().clone()
    }

    fn push(&self, line: String) {
        self.0.0.lock().unwrap().push(line);
        self.0.1.notify_all();
    }

    /// Waits until `times` lines contain `text`; false after `limit`.
    pub(crate) fn wait_for(&self, text: &str, times: usize, limit: std::time::Duration) -> bool {
        let (lines, arrived) = &*self.0;
        let guard = lines.lock().unwrap();
        let (guard, waited) = arrived
            .wait_timeout_while(guard, limit, |lines| {
                lines.iter().filter(|line| line.contains(text)).count() < times
            })
            .unwrap();
        drop(guard);
        !waited.timed_out()
    }
}
