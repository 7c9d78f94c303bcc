//! Passes the target triple cargo builds for to the crate, as `jobrunner_updater::TARGET`: the
//! key an update manifest lists its assets under.

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=JOBRUNNER_UPDATER_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
