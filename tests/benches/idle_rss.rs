//! `cargo xtask bench rss`: peak resident memory of a release `core-ide --headless` polling
//! 100 repositories x 30 PRs of the GitHub simulator until it idles.
//!
//! Target (issue 5): idle RSS under 30 MB. The process runs until three cycles in a row act on
//! nothing (before the idle back-off would stretch the interval), then its `VmHWM` (peak
//! resident set over its whole life, cold cycle included) and `VmRSS` (at idle) are read from
//! /proc.

use std::io::{BufRead, BufReader};
use std::time::Instant;

use core_ide_e2e::CoreIde;
use jobrunner_github_sim::{GitHubSim, Limits, SimState};
use serde_json::json;

const REPOS: usize = 100;
const PRS: usize = 30;
const TARGET_MB: f64 = 30.0;
const IDLE_CYCLES: u32 = 3;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // Memory is measured here, not the budget (`bench github` does that): cycles back to back
    // at a 1 s interval would run into the per-minute secondary limits.
    let state = SimState::workload(REPOS, PRS).with_limits(Limits {
        rest_points_per_minute: u32::MAX / 2,
        graphql_points_per_minute: u32::MAX / 2,
        primary_per_hour: u32::MAX / 2,
        graphql_per_hour: u32::MAX / 2,
        ..Limits::default()
    });
    let repos: Vec<String> = state.repos().iter().map(jobrunner_github_sim::Repo::full_name).collect();
    let sim = runtime.block_on(GitHubSim::start(state)).expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (data, journal, api, repo_list) = (path("data"), path("journal"), sim.base_url(), repos.join(","));
    let args = [
        "--headless",
        "--repos",
        &repo_list,
        "--api-url",
        &api,
        "--data-dir",
        &data,
        "--journal-dir",
        &journal,
        "--poll-interval",
        "1s",
        "--mutation-gap",
        "0s",
        "--node-id",
        "bench-node",
    ];
    let started = Instant::now();
    let mut child = CoreIde::new(&args).env("CORE_GITHUB_TOKEN", "bench-token").spawn();
    let pid = child.id();
    let (mut cycles, mut idle_in_a_row) = (0, 0);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let Ok(log) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        let fields = &log["fields"];
        match fields["message"].as_str() {
            Some("cycle done") => {
                cycles += 1;
                idle_in_a_row = if fields["actions"] == 0 { idle_in_a_row + 1 } else { 0 };
            }
            Some("cycle failed") => panic!("core-ide failed a cycle: {line}"),
            _ => {}
        }
        if idle_in_a_row == IDLE_CYCLES {
            break;
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    let kib = |field: &str| -> f64 {
        let line =
            status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("{field} in /proc"));
        line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap()
    };
    let (peak_mb, idle_mb) = (kib("VmHWM:") / 1024.0, kib("VmRSS:") / 1024.0);
    let _ = child.kill();
    let _ = child.wait();
    runtime.block_on(sim.shutdown());

    let met = peak_mb < TARGET_MB;
    println!(
        "core-ide --headless against {REPOS} repos x {PRS} PRs: {cycles} cycles to idle ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "  peak RSS {peak_mb:.1} MB, RSS at idle {idle_mb:.1} MB; target < {TARGET_MB} MB: {}",
        if met { "met" } else { "MISSED" }
    );
    let report = json!({
        "repos": REPOS, "prs_per_repo": PRS, "cycles": cycles,
        "peak_rss_mb": peak_mb, "idle_rss_mb": idle_mb, "target_mb": TARGET_MB, "met": met,
    });
    let bench_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), Into::into)
        .join("bench");
    std::fs::create_dir_all(&bench_dir).unwrap();
    std::fs::write(bench_dir.join("rss.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("wrote {}", bench_dir.join("rss.json").display());
}
