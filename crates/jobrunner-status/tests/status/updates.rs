//! updates: whether the node can update itself as configured, and what waits on an operator.

use std::path::{Path, PathBuf};

use jobrunner_config::ConfigArgs;
use jobrunner_status::dashboard::Profile;
use jobrunner_status::render::{self, RenderOptions};
use jobrunner_status::systemd::{Systemd, UnitFile};
use jobrunner_status::{
    Category, FailedVersion, GatherOptions, Inputs, KnownVar, ManifestState, StatusReport, checks, gather,
};
use jobrunner_updater::testing::Publisher;

use crate::support::{findings, healthy, message, now};

const UPDATES: Category = Category::Updates;

fn with_source(manifest: ManifestState) -> Inputs {
    let mut inputs = healthy();
    inputs.settings.update_url = Some("https://releases.example.com/core-ide/manifest.json".into());
    inputs.updates.manifest = manifest;
    inputs
}

fn offer(available: &str, would_install: Option<&str>, why_not: Option<&str>) -> ManifestState {
    ManifestState::Read {
        available: Some(available.into()),
        would_install: would_install.map(Into::into),
        why_not: why_not.map(Into::into),
    }
}

fn unit_running(exec_start: &str) -> Systemd {
    let unit = UnitFile {
        path: "/etc/systemd/system/core-ide.service".into(),
        exec_start: Some(exec_start.into()),
        ..UnitFile::default()
    };
    Systemd { unit: Some(unit), enabled: true }
}

#[test]
fn a_node_without_an_update_source_is_ok_and_says_updates_come_by_package() {
    let results = checks::run_category(UPDATES, &healthy());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["updates.ok"]);
    assert!(results[0].message.contains("updates come by package"), "{}", results[0].message);
}

#[test]
fn an_up_to_date_node_is_ok_and_says_why_nothing_is_installed() {
    let inputs = with_source(offer("1.0.0", None, Some("1.0.0 is the newest stable release")));
    let results = checks::run_category(UPDATES, &inputs);
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["updates.ok"]);
    assert!(results[0].message.contains("1.0.0 is the newest stable release"), "{}", results[0].message);
}

#[test]
fn a_newer_release_on_the_channel_is_an_info_naming_both_versions() {
    let inputs = with_source(offer("1.2.0", Some("1.2.0"), None));
    assert_eq!(findings(UPDATES, &inputs), ["updates.I001"]);
    let text = message(UPDATES, &inputs, "updates.I001");
    assert!(text.contains("1.2.0") && text.contains("installed: 1.0.0") && text.contains("stable"), "{text}");
}

#[test]
fn a_manifest_that_cannot_be_had_is_an_error_with_the_updaters_reason() {
    let inputs =
        with_source(ManifestState::Unusable("the manifest's signature is not by the release key".into()));
    assert_eq!(findings(UPDATES, &inputs), ["updates.E001"]);
    assert!(message(UPDATES, &inputs, "updates.E001").contains("not by the release key"));
}

#[test]
fn an_update_that_has_not_reported_healthy_is_a_warning() {
    let mut inputs = healthy();
    inputs.updates.installed.as_mut().unwrap().on_trial = Some("1.0.0".into());
    assert_eq!(findings(UPDATES, &inputs), ["updates.W001"]);
}

#[test]
fn versions_that_failed_their_health_gate_are_a_warning_with_why() {
    let mut inputs = healthy();
    inputs.updates.installed.as_mut().unwrap().failed =
        vec![FailedVersion { version: "1.1.0".into(), why: "no health report within 5m".into() }];
    assert_eq!(findings(UPDATES, &inputs), ["updates.W002"]);
    let text = message(UPDATES, &inputs, "updates.W002");
    assert!(text.contains("1.1.0 (no health report within 5m)"), "{text}");
}

#[test]
fn a_unit_running_a_binary_outside_the_prefix_is_a_warning_when_updates_are_on() {
    let mut inputs = with_source(offer("1.0.0", None, Some("1.0.0 is the newest stable release")));
    inputs.systemd = unit_running("/usr/local/bin/core-ide");
    assert_eq!(findings(UPDATES, &inputs), ["updates.W003"]);
    let text = message(UPDATES, &inputs, "updates.W003");
    assert!(text.contains("/usr/local/bin/core-ide") && text.contains("/opt/core-ide"), "{text}");
}

#[test]
fn a_unit_running_the_prefixs_current_binary_is_quiet() {
    let mut inputs = with_source(offer("1.0.0", None, Some("1.0.0 is the newest stable release")));
    inputs.systemd = unit_running("/opt/core-ide/current/core-ide");
    assert_eq!(findings(UPDATES, &inputs), Vec::<&str>::new());
}

#[test]
fn a_unit_outside_the_prefix_is_quiet_without_an_update_source() {
    let mut inputs = healthy();
    inputs.systemd = unit_running("/usr/bin/core-ide");
    assert_eq!(findings(UPDATES, &inputs), Vec::<&str>::new());
}

#[test]
fn an_unreadable_prefix_is_a_warning_naming_it() {
    let mut inputs = healthy();
    inputs.updates.installed = Err("permission denied".into());
    assert_eq!(findings(UPDATES, &inputs), ["updates.W004"]);
    assert!(message(UPDATES, &inputs, "updates.W004").contains("/opt/core-ide"));
}

#[test]
fn the_profile_shows_installed_previous_and_available_versions() {
    let inputs = with_source(offer("2.1.0", Some("2.1.0"), None));
    let report = StatusReport::new(&inputs, "1.0.0", Vec::new(), jobrunner_status::Level::Error, false);
    let text = render::human(&report, RenderOptions::default());
    assert!(text.contains("1.0.0 (stable channel), previous 0.9.0, available 2.1.0"), "{text}");
    let profile = Profile::new(&inputs, "1.0.0");
    assert_eq!(profile.updates.available.as_deref(), Some("2.1.0"));
    assert_eq!(profile.updates.previous.as_deref(), Some("0.9.0"));
}

#[test]
fn the_profile_marks_an_update_on_trial_and_leaves_out_an_available_version_already_installed() {
    let mut inputs = with_source(offer("1.0.0", None, Some("1.0.0 is the newest stable release")));
    inputs.updates.installed.as_mut().unwrap().on_trial = Some("1.0.0".into());
    let report = StatusReport::new(&inputs, "1.0.0", Vec::new(), jobrunner_status::Level::Error, false);
    let text = render::human(&report, RenderOptions::default());
    assert!(text.contains("1.0.0 (stable channel, on trial), previous 0.9.0\n"), "{text}");
}

#[test]
fn the_profile_follows_the_configured_channel() {
    let mut inputs = healthy();
    inputs.settings.update_channel = "beta".into();
    assert_eq!(Profile::new(&inputs, "1.0.0").update_channel, "beta");
}

/// A node's prefix on disk: releases 0.9.0 and 1.0.0, `current` at 1.0.0.
fn prefix_with_two_releases(root: &Path) -> PathBuf {
    let prefix = root.join("opt/core-ide");
    for version in ["0.9.0", "1.0.0"] {
        let dir = prefix.join("releases").join(version);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("core-ide"), version).unwrap();
    }
    std::os::unix::fs::symlink("releases/1.0.0", prefix.join("current")).unwrap();
    prefix
}

fn options(root: &Path, env_text: &str) -> GatherOptions {
    let env_file = root.join("core-ide.env");
    std::fs::write(&env_file, env_text).unwrap();
    GatherOptions {
        config: ConfigArgs::default(),
        env_file: Some(env_file),
        env_sample: None,
        systemd_root: root.to_owned(),
        binary: None,
        known: KnownVar::of_binaries(&[]),
        now: now(),
    }
}

fn env_text(root: &Path, prefix: &Path, extra: &str) -> String {
    format!(
        "CORE_DATA_DIR={}\nCORE_JOURNAL_DIR={}\nCORE_UPDATE_PREFIX={}\n{extra}",
        root.join("data").display(),
        root.join("journal").display(),
        prefix.display()
    )
}

#[tokio::test]
async fn gather_reads_the_prefix_and_the_signed_manifest_as_update_check_does() {
    let root = tempfile::tempdir().unwrap();
    let prefix = prefix_with_two_releases(root.path());
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", jobrunner_updater::TARGET, b"one").release(
        "2.1.0",
        jobrunner_updater::TARGET,
        b"two",
    );
    publisher.publish_json(&publisher.manifest_json("2027-01-01T00:00:00Z"));
    let extra = format!(
        "CORE_UPDATE_URL={}\nCORE_UPDATE_PUBLIC_KEY={}\n",
        publisher.manifest_url(),
        publisher.key_line()
    );
    let inputs = gather(options(root.path(), &env_text(root.path(), &prefix, &extra))).await.unwrap();
    let versions = inputs.updates.installed.as_ref().unwrap();
    assert_eq!((versions.installed.as_str(), versions.previous.as_deref()), ("1.0.0", Some("0.9.0")));
    assert_eq!(
        inputs.updates.manifest,
        ManifestState::Read {
            available: Some("2.1.0".into()),
            would_install: Some("2.1.0".into()),
            why_not: None
        }
    );
    assert_eq!(findings(UPDATES, &inputs), ["updates.I001"]);
    // With an update source the prefix is probed for the updater's writes.
    let probed = inputs.install.update_prefix.as_ref().unwrap();
    assert_eq!((probed.path.as_path(), probed.problem.as_deref()), (prefix.as_path(), None));
}

#[tokio::test]
async fn gather_refuses_a_manifest_signed_by_another_key() {
    let root = tempfile::tempdir().unwrap();
    let prefix = prefix_with_two_releases(root.path());
    let mut publisher = Publisher::new().await;
    publisher.release("2.1.0", jobrunner_updater::TARGET, b"two");
    publisher.publish_json(&publisher.manifest_json("2027-01-01T00:00:00Z"));
    let other = jobrunner_updater::testing::Signer::new();
    let extra = format!(
        "CORE_UPDATE_URL={}\nCORE_UPDATE_PUBLIC_KEY={}\n",
        publisher.manifest_url(),
        other.key_line()
    );
    let inputs = gather(options(root.path(), &env_text(root.path(), &prefix, &extra))).await.unwrap();
    assert!(matches!(inputs.updates.manifest, ManifestState::Unusable(_)), "{:?}", inputs.updates.manifest);
    assert_eq!(findings(UPDATES, &inputs), ["updates.E001"]);
    // The prefix is still read: core-status shows what is installed whatever the server says.
    assert_eq!(inputs.updates.installed.as_ref().unwrap().installed, "1.0.0");
}

#[tokio::test]
async fn gather_reports_a_prefix_whose_current_link_is_not_a_release() {
    let root = tempfile::tempdir().unwrap();
    let prefix = root.path().join("opt/core-ide");
    std::fs::create_dir_all(&prefix).unwrap();
    std::os::unix::fs::symlink("/tmp/somewhere", prefix.join("current")).unwrap();
    let inputs = gather(options(root.path(), &env_text(root.path(), &prefix, ""))).await.unwrap();
    assert_eq!(findings(UPDATES, &inputs), ["updates.W004"]);
    assert!(message(UPDATES, &inputs, "updates.W004").contains("/tmp/somewhere"));
}

#[tokio::test]
async fn gather_without_an_update_source_reads_the_prefix_only() {
    let root = tempfile::tempdir().unwrap();
    let prefix = prefix_with_two_releases(root.path());
    let inputs = gather(options(root.path(), &env_text(root.path(), &prefix, ""))).await.unwrap();
    assert_eq!(inputs.updates.manifest, ManifestState::NotConfigured);
    assert_eq!(inputs.updates.installed.as_ref().unwrap().previous.as_deref(), Some("0.9.0"));
    assert_eq!(findings(UPDATES, &inputs), Vec::<&str>::new());
}
