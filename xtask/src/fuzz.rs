//! `cargo xtask fuzz`: each fuzz target of `fuzz/` (checklist, config, journal reader, signal
//! file) under libFuzzer for a bounded time, or `--check`, the same bodies over the seeds on
//! stable. Not a CI step: fuzzing needs nightly and cargo-fuzz, and its time is open-ended.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd::Cmd;

/// The targets, as named in `fuzz/Cargo.toml`.
pub(crate) const TARGETS: &[&str] = &["checklist", "config", "journal_reader", "signal_file"];

/// Seconds each target runs by default.
const DEFAULT_SECONDS: u64 = 60;

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut check = false;
    let mut targets: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--seconds" => {
                let value = args.next().context("--seconds needs a number, such as --seconds 30")?;
                seconds = value.parse().ok().filter(|s| *s > 0).with_context(|| {
                    format!("--seconds {value}: expected a whole number of seconds above 0")
                })?;
            }
            name => match TARGETS.iter().find(|t| **t == name) {
                Some(target) => targets.push(target),
                None => bail!("unknown fuzz target or option `{name}`: targets are {}", TARGETS.join(", ")),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let fuzz_dir = root.join("fuzz");
    let manifest = fuzz_dir.join("Cargo.toml");
    if check {
        // Plain harness: no libFuzzer, stable toolchain.
        let manifest = manifest.to_string_lossy();
        return Cmd::cargo(["test", "--manifest-path", &manifest]).run(root, "fuzz --check");
    }
    if !Cmd::rustup_cargo(["+nightly", "fuzz", "--version"]).succeeds(root) {
        bail!(
            "cargo fuzz on a nightly toolchain is needed: `rustup toolchain install nightly` and \
             `cargo install cargo-fuzz`; `cargo xtask fuzz --check` runs the bodies over the seeds on stable"
        );
    }
    let target_dir = target_dir(root);
    let target_dir = target_dir.to_string_lossy();
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        let (corpus, seeds) = (corpus.to_string_lossy().into_owned(), fuzz_dir.join("seeds").join(target));
        let seeds = seeds.to_string_lossy();
        let limit = format!("-max_total_time={seconds}");
        println!("== fuzz {target} ({seconds} s) ==");
        // The first directory collects what libFuzzer finds; the seeds are read only.
        Cmd::rustup_cargo([
            "+nightly",
            "fuzz",
            "run",
            "--features",
            "libfuzzer",
            "--target-dir",
            &target_dir,
        ])
        .args([target, &corpus, &seeds, "--", &limit, "-rss_limit_mb=2048", "-max_len=65536"])
        .run(root, &format!("fuzz {target}"))?;
    }
    Ok(())
}

/// The fuzz builds (nightly, sanitizers) apart from the workspace's own.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("fuzz")
}
