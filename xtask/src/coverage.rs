//! `cargo xtask coverage`: line coverage of the library crates with cargo-tarpaulin.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cmd::Cmd;

const STEP: &str = "coverage";

pub(crate) fn run(root: &Path, extra: &[String]) -> Result<()> {
    ensure_tarpaulin(root)?;
    let target_dir = target_dir(root);
    // Library crates only: the binary and the e2e tests are processes tarpaulin cannot trace.
    let tarpaulin = Cmd::cargo(["tarpaulin", "--workspace"])
        .args(["--exclude", "core-ide", "--exclude", "core-ide-e2e", "--exclude", "xtask"])
        // ptrace is the Linux default and needs no llvm-tools, which this machine cannot download.
        .args(["--skip-clean", "--out", "Stdout", "--engine", "ptrace", "--target-dir"])
        .args([target_dir.to_string_lossy()])
        .args(extra);
    match tarpaulin.run_scanning(root, STEP, summary)? {
        Some(figure) => println!("line coverage: {figure}"),
        None => println!("note: tarpaulin printed no `NN.NN% coverage, X/Y lines covered` line"),
    }
    Ok(())
}

fn ensure_tarpaulin(root: &Path) -> Result<()> {
    if Cmd::cargo(["tarpaulin", "--version"]).succeeds(root) {
        return Ok(());
    }
    println!("cargo-tarpaulin is not installed: installing it with `cargo install --locked cargo-tarpaulin`");
    Cmd::cargo(["install", "--locked", "cargo-tarpaulin"]).run(root, STEP)
}

/// Instrumented builds would evict the normal ones from a shared target dir, so they get their own.
fn target_dir(root: &Path) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    base.join("tarpaulin")
}

/// The figure in tarpaulin's summary line, without the log prefix tarpaulin puts before it.
fn summary(line: &str) -> Option<&str> {
    const TAIL: &str = "lines covered";
    let percent = line.find("% coverage, ")?;
    let start = line[..percent].rfind(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(0, |i| i + 1);
    let end = percent + line[percent..].find(TAIL)? + TAIL.len();
    Some(&line[start..end])
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summary_strips_the_log_prefix() {
        let line = "Nov 22 19:30:01.123  INFO cargo_tarpaulin::report: 54.55% coverage, 6/11 lines covered\n";
        assert_eq!(summary(line), Some("54.55% coverage, 6/11 lines covered"));
    }

    #[test]
    fn summary_ignores_other_lines() {
        assert_eq!(summary("|| crates/jobrunner-core/src/lib.rs: 6/11 +0.00%"), None);
        assert_eq!(summary("+1.20% change in coverage"), None);
    }
}
