//! `cargo xtask ci`: the README's test command, the same locally and in `.ci/run`.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cmd::{Cmd, is_executable_hook};
use crate::layering;

/// CI order: cheap checks first, so a formatting slip fails in seconds, not after the test build.
const STEPS: &[&str] = &["fmt", "clippy", "layering", "test", "doc"];

/// Later issues start databases here; CI tests need them up before the test binaries run.
const TEST_SERVICES: &str = "scripts/test-services.sh";

pub(crate) fn run(root: &Path, requested: &[String]) -> Result<()> {
    let steps = select(requested)?;
    for step in &steps {
        println!("== {step} ==");
        run_step(root, step)?;
    }
    println!("== ci passed: {} ==", steps.join(", "));
    Ok(())
}

/// The requested steps in CI order; none requested means all of them.
fn select(requested: &[String]) -> Result<Vec<&'static str>> {
    if let Some(unknown) = requested.iter().find(|name| !STEPS.contains(&name.as_str())) {
        bail!("unknown ci step `{unknown}`: choose from {}", STEPS.join(", "));
    }
    let wanted = |step: &&str| requested.is_empty() || requested.iter().any(|name| name == step);
    Ok(STEPS.iter().copied().filter(wanted).collect())
}

fn run_step(root: &Path, step: &str) -> Result<()> {
    match step {
        "fmt" => Cmd::cargo(["fmt", "--all", "--", "--check"]).run(root, step),
        "clippy" => {
            clippy(root, &["--workspace", "--all-targets"]).run(root, step)?;
            // The tray is behind core-ide's `desktop` feature, which --workspace leaves off.
            clippy(root, &["-p", "core-ide", "--all-targets", "--features", "desktop"]).run(root, step)?;
            // Distribution builds leave self-update out: that build must compile warning-free too.
            clippy(root, &["-p", "core-ide", "--all-targets", "--no-default-features"]).run(root, step)
        }
        "layering" => layering::check(root).map_err(|err| anyhow::anyhow!("step {step} failed: {err}")),
        "test" => test(root, step),
        "doc" => {
            Cmd::cargo(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings").run(root, step)
        }
        _ => unreachable!("select only returns names from STEPS"),
    }
}

fn clippy(root: &Path, scope: &[&'static str]) -> Cmd {
    let mut args = vec!["clippy"];
    args.extend_from_slice(scope);
    // `--locked` fails without a lock file instead of checking it, so it applies only once one exists.
    if root.join("Cargo.lock").is_file() {
        args.push("--locked");
    }
    args.extend(["--", "-D", "warnings"]);
    Cmd::cargo(args)
}

fn test(root: &Path, step: &str) -> Result<()> {
    if is_executable_hook(&root.join(TEST_SERVICES)) {
        Cmd::script(root, TEST_SERVICES).run(root, step)?;
    }
    if !Cmd::cargo(["nextest", "--version"]).succeeds(root) {
        println!(
            "note: cargo-nextest is not installed, falling back to `cargo test --workspace` \
             (install it with `cargo install --locked cargo-nextest`)"
        );
        return Cmd::cargo(["test", "--workspace"]).run(root, step);
    }
    // nextest does not run doctests, and they are the examples readers copy. They run first so
    // that nextest's summary of the whole suite is the last test report in the log.
    Cmd::cargo(["test", "--workspace", "--doc"]).run(root, step)?;
    Cmd::cargo(["nextest", "run", "--workspace", "--no-fail-fast"]).run(root, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(words: &[&str]) -> Vec<String> {
        words.iter().map(|&word| word.to_owned()).collect()
    }

    #[test]
    fn no_step_named_selects_all_in_ci_order() {
        assert_eq!(select(&[]).unwrap(), STEPS);
    }

    #[test]
    fn named_steps_run_in_ci_order() {
        assert_eq!(select(&names(&["doc", "fmt"])).unwrap(), ["fmt", "doc"]);
    }

    #[test]
    fn unknown_step_is_an_error_listing_the_steps() {
        let err = select(&names(&["lint"])).unwrap_err().to_string();
        assert_eq!(err, "unknown ci step `lint`: choose from fmt, clippy, layering, test, doc");
    }
}
