//! `cargo xtask bench [name...]`: the project's benchmarks, release builds, then one summary.
//!
//! Each benchmark is a `harness = false` bench target that prints its own table and writes
//! `<target>/bench/<name>.json`; the figures come from the GitHub simulator's counters, timers
//! and /proc, never from wall-clock assertions. After the run, every JSON present is gathered
//! into `<target>/bench/summary.json` and the headline figures are printed against their targets.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::cmd::Cmd;

/// Benchmark name -> (package, bench target).
const BENCHES: &[(&str, &str, &str)] = &[
    ("github", "jobrunner-github", "budget"),
    ("dispatch", "jobrunner-handlers", "dispatch"),
    ("rss", "core-ide-e2e", "idle_rss"),
    ("fleet", "core-ide-e2e", "fleet"),
    ("update", "jobrunner-updater", "update"),
];

pub(crate) fn run(root: &Path, requested: &[String]) -> Result<()> {
    if let Some(unknown) = requested.iter().find(|r| !BENCHES.iter().any(|(name, _, _)| name == r)) {
        let names: Vec<&str> = BENCHES.iter().map(|(name, _, _)| *name).collect();
        bail!("unknown benchmark `{unknown}`: choose from {}", names.join(", "));
    }
    for (name, package, target) in BENCHES {
        if requested.is_empty() || requested.iter().any(|r| r == name) {
            println!("== bench {name} ==");
            Cmd::cargo(["bench", "--package", package, "--bench", target]).run(root, "bench")?;
        }
    }
    summarize(&bench_dir(root))
}

fn bench_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("bench")
}

/// Gathers the benchmarks' JSON files into `summary.json` and prints the headline table.
fn summarize(dir: &Path) -> Result<()> {
    let mut summary = serde_json::Map::new();
    for (name, _, _) in BENCHES {
        let path = dir.join(format!("{name}.json"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let value: Value =
                serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
            summary.insert((*name).to_owned(), value);
        }
    }
    println!("== summary ({}) ==", dir.join("summary.json").display());
    println!("{:<34} {:>12} {:>12} {:>14} {:>10}", "figure", "requests", "points", "GraphQL qs", "wall ms");
    for row in summary.get("github").and_then(|g| g["rows"].as_array()).into_iter().flatten() {
        let size = format!("{}x{}", row["repos"], row["prs_per_repo"]);
        for cycle in ["idle", "changed"] {
            // `Value`'s Display ignores widths: pad the rendered numbers.
            let c = |field: &str| row[cycle][field].to_string();
            println!(
                "{:<34} {:>12} {:>12} {:>14} {:>10}",
                format!("{size} {cycle} cycle"),
                c("requests"),
                c("primary_points"),
                c("graphql_queries"),
                c("wall_ms")
            );
        }
    }
    if let Some(d) = summary.get("dispatch") {
        println!(
            "dispatch of {} signals: median {:.2} ms (target < 50 ms)",
            d["signals"],
            d["median_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    if let Some(r) = summary.get("rss") {
        println!(
            "core-ide --headless idle, {} repos: peak RSS {:.1} MB, at idle {:.1} MB (target < 30 MB)",
            r["repos"],
            r["peak_rss_mb"].as_f64().unwrap_or(f64::NAN),
            r["idle_rss_mb"].as_f64().unwrap_or(f64::NAN)
        );
    }
    if let Some(f) = summary.get("fleet") {
        println!(
            "{}-node fleet, {} repos: {} primary points vs {} for one node, ratio {:.3} (target <= 1.1)",
            f["nodes"],
            f["repos"],
            f["fleet"]["primary_points"],
            f["single"]["primary_points"],
            f["points_ratio"].as_f64().unwrap_or(f64::NAN)
        );
        println!(
            "killed fleet node's {} repos polled again after {:.1} s (lease TTL {} s)",
            f["handover"]["repos"],
            f["handover"]["seconds"].as_f64().unwrap_or(f64::NAN),
            f["handover"]["lease_ttl_s"]
        );
    }
    if let Some(u) = summary.get("update") {
        println!(
            "update of a {} MiB binary: {:.2} ms per MiB downloaded and verified, switch {:.3} ms",
            u["size_mib"],
            u["download_ms_per_mib"].as_f64().unwrap_or(f64::NAN),
            u["switch_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(&json!(summary))?)?;
    Ok(())
}
