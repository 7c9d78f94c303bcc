//! `cargo xtask bench update`: what an update costs on this machine, release build.
//!
//! - download verified per MiB: a 32 MiB binary fetched from a loopback server, written beside
//!   the releases, its size and SHA-256 checked and the file synced (`Downloader::download`);
//! - time to switch: installing the verified download and switching `current` with
//!   `rename(2)` (`InstallPrefix::install`), the moment a service could see a half-done update.
//!
//! Medians of several runs; wall time is reported, never asserted.

use std::time::Instant;

use jobrunner_updater::testing::{Publisher, binary};
use jobrunner_updater::{Downloader, InstallPrefix, TARGET};
use semver::Version;
use serde_json::json;

const MIB: usize = 1024 * 1024;
const SIZE_MIB: usize = 32;
const RUNS: u64 = 7;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut body = binary("2.0.0");
    body.resize(SIZE_MIB * MIB, 0x5a);
    let mut publisher = runtime.block_on(Publisher::new());
    publisher.release("2.0.0", TARGET, &body);
    publisher.publish();
    let manifest = runtime.block_on(publisher.fetch()).expect("the manifest verifies");
    let asset = manifest.releases[0].targets[TARGET].clone();
    let downloader = Downloader::new().unwrap();

    let (mut download_ms, mut switch_ms) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let prefix = InstallPrefix::new(dir.path());
        // Each run installs a new version on top of the previous one, as an update does.
        let first = Version::new(1, 0, run);
        let second = Version::new(2, 0, run);
        for (version, timed) in [(&first, false), (&second, true)] {
            let started = Instant::now();
            runtime.block_on(downloader.download(&asset, version, &prefix)).expect("the download verifies");
            let download_took = started.elapsed();
            let started = Instant::now();
            prefix.install(version).expect("the release installs");
            let switched = started.elapsed();
            if timed {
                download_ms.push(download_took.as_secs_f64() * 1000.0);
                switch_ms.push(switched.as_secs_f64() * 1000.0);
            }
        }
        assert_eq!(prefix.current().unwrap(), Some(second));
    }
    let download = median(download_ms);
    let per_mib = download / SIZE_MIB as f64;
    let switch = median(switch_ms);
    println!("update of a {SIZE_MIB} MiB binary over loopback, median of {RUNS} runs:");
    println!("  download + size + SHA-256 + fsync: {download:.1} ms ({per_mib:.2} ms per MiB)");
    println!("  install + switch current (rename): {switch:.3} ms");
    let report = json!({
        "size_mib": SIZE_MIB, "runs": RUNS, "download_ms": download,
        "download_ms_per_mib": per_mib, "switch_ms": switch,
    });
    let bench_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), Into::into)
        .join("bench");
    std::fs::create_dir_all(&bench_dir).unwrap();
    std::fs::write(bench_dir.join("update.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("wrote {}", bench_dir.join("update.json").display());
}
