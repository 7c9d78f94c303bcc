//! `cargo xtask bench [name...]`: the project's benchmarks, release builds, one table each.
//!
//! Each benchmark is a `harness = false` bench target that prints its own table and writes
//! `target/bench/<name>.json`; the figures come from the GitHub simulator's counters, not
//! from wall-clock assertions.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cmd::Cmd;

/// Benchmark name -> (package, bench target).
const BENCHES: &[(&str, &str, &str)] = &[("github", "jobrunner-github", "budget")];

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
    Ok(())
}
