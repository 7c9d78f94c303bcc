//! Project automation, run as `cargo xtask <command>` (see `USAGE`).
//!
//! Plain Rust instead of shell scripts so CI and local runs share one definition of each step.

mod bench;
mod ci;
mod cmd;
mod coverage;
mod fuzz;
mod layering;
mod modules;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

const USAGE: &str = "\
Usage: cargo xtask <command> [args...]

Commands:
  ci [step...]        run the CI steps fmt, clippy, layering, test and doc in that order,
                      stopping at the first failure; name steps to run only those
  layering            check crate dependencies against the table in xtask/src/layering.rs,
                      and that no library crate's modules import each other in a circle
  coverage [args...]  line coverage with cargo-tarpaulin (installed if missing);
                      extra args are passed to tarpaulin
  bench [name...]     run the benchmarks (github: API points per cycle against the
                      simulator; dispatch; rss; fleet; update: download verified per
                      MiB and time to switch) and print their tables
  fuzz [--seconds N] [target...]
                      run the fuzz targets (checklist, config, journal_reader,
                      signal_file) for N seconds each (default 60) with cargo fuzz on
                      nightly; not part of ci
  fuzz --check        run the fuzz bodies over their seeds on stable (a plain harness)
  help                print this text
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        std::process::exit(2);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "ci" => ci::run(&root, rest),
        "layering" => {
            if let Some(extra) = rest.first() {
                bail!("`cargo xtask layering` takes no arguments, got `{extra}`: drop it");
            }
            layering::check(&root)
        }
        "coverage" => coverage::run(&root, rest),
        "bench" => bench::run(&root, rest),
        "fuzz" => fuzz::run(&root, rest),
        other => {
            eprint!("unknown command `{other}`\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

/// The workspace root: xtask lives one level below it, wherever the clone is.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask's manifest dir always has the workspace root as parent")
        .to_path_buf()
}
