//! Choosing, installing, switching and rolling back on real files.

use jobrunner_updater::{
    Channel, Downloader, InstallPrefix, Manifest, NoUpdate, Pending, RolledBack, Situation, StartGate,
    TARGET, choose,
};
use semver::Version;

use crate::support::{Publisher, binary, snapshot};

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

/// What `core-ide update --apply` will do: the choice from the prefix's state, the download,
/// the install. `current` is the running version.
async fn update(publisher: &Publisher, prefix: &InstallPrefix, current: &Version) -> Result<Pending, String> {
    let manifest = publisher.fetch().await.map_err(|e| e.to_string())?;
    let highest = prefix.highest_installed().map_err(|e| e.to_string())?;
    let failed = prefix.failed().map_err(|e| e.to_string())?;
    let situation = Situation { highest_installed: highest.as_ref(), ..situation(current, None, &failed) };
    let choice = choose(&manifest, &situation).map_err(|e| e.to_string())?;
    Downloader::new()
        .unwrap()
        .download(&choice.asset, &choice.version, prefix)
        .await
        .map_err(|e| e.to_string())?;
    prefix.install(&choice.version).map_err(|e| e.to_string())
}

fn run(binary: &std::path::Path) -> String {
    let out = std::process::Command::new(binary).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn install_update_and_roll_back_an_update_that_never_reported_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = InstallPrefix::new(dir.path());
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();

    // Install v1 on an empty prefix, and v1 reports healthy.
    let first = update(&publisher, &prefix, &v("0.1.0")).await.unwrap();
    assert_eq!(first, Pending { new: v("1.0.0"), previous: None, started: false });
    prefix.confirm_healthy().unwrap();
    assert_eq!(run(&prefix.current_binary()), "core-ide 1.0.0\n");
    assert_eq!(prefix.highest_installed().unwrap(), Some(v("1.0.0")));
    assert_eq!(prefix.pending().unwrap(), None);

    // v2 is published: installed beside v1, `current` switched, v1 kept.
    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    publisher.publish();
    let second = update(&publisher, &prefix, &v("1.0.0")).await.unwrap();
    assert_eq!(second, Pending { new: v("2.0.0"), previous: Some(v("1.0.0")), started: false });
    assert_eq!(
        std::fs::read_link(dir.path().join("current")).unwrap(),
        std::path::Path::new("releases/2.0.0")
    );
    assert_eq!(run(&prefix.current_binary()), "core-ide 2.0.0\n");
    assert!(prefix.release_dir(&v("1.0.0")).join("core-ide").exists(), "v1 is kept");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(prefix.release_dir(&v("2.0.0")).join("core-ide")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o755);
    assert!(!dir.path().join("current.new").exists());

    // v2 never reports healthy: the next start goes back to v1 and marks v2 failed.
    let rolled = prefix.rollback_if_pending().unwrap().unwrap();
    assert_eq!(
        rolled.to_string(),
        "2.0.0 never reported healthy: back on 1.0.0, and 2.0.0 will not be installed again"
    );
    assert_eq!(prefix.current().unwrap(), Some(v("1.0.0")));
    assert_eq!(run(&prefix.current_binary()), "core-ide 1.0.0\n");
    assert_eq!(prefix.failed().unwrap(), vec![v("2.0.0")]);
    assert_eq!(prefix.highest_installed().unwrap(), Some(v("1.0.0")), "v2 was never confirmed");
    assert_eq!(prefix.rollback_if_pending().unwrap(), None, "a second start has nothing to roll back");

    // v2 is not chosen again.
    let error = update(&publisher, &prefix, &v("1.0.0")).await.unwrap_err();
    assert!(error.contains("2.0.0 was installed before and never reported healthy"), "{error}");

    // A fixed v2.0.1 is.
    publisher.release("2.0.1", TARGET, &binary("2.0.1"));
    publisher.publish();
    update(&publisher, &prefix, &v("1.0.0")).await.unwrap();
    prefix.confirm_healthy().unwrap();
    assert_eq!(prefix.highest_installed().unwrap(), Some(v("2.0.1")));
    assert_eq!(run(&prefix.current_binary()), "core-ide 2.0.1\n");
}

async fn manifest_with(releases: &[(&str, &str)]) -> (Publisher, Manifest) {
    let mut publisher = Publisher::new().await;
    for (version, target) in releases {
        publisher.release(version, target, &binary(version));
    }
    publisher.publish();
    let manifest = publisher.fetch().await.unwrap();
    (publisher, manifest)
}

fn situation<'a>(current: &'a Version, highest: Option<&'a Version>, failed: &'a [Version]) -> Situation<'a> {
    Situation {
        channel: Channel::Stable,
        target: TARGET,
        current,
        highest_installed: highest,
        failed,
        allow_downgrade: false,
    }
}

#[tokio::test]
async fn the_choice_says_why_nothing_is_installed() {
    let (_publisher, manifest) =
        manifest_with(&[("1.0.0", TARGET), ("1.1.0", TARGET), ("1.2.0-beta.1", TARGET)]).await;
    let (one, one_one, two) = (v("1.0.0"), v("1.1.0"), v("2.0.0"));

    let pick = choose(&manifest, &situation(&one, Some(&one), &[])).unwrap();
    assert_eq!(pick.version, one_one, "stable skips the beta");
    let beta = Situation { channel: Channel::Beta, ..situation(&one, None, &[]) };
    assert_eq!(choose(&manifest, &beta).unwrap().version, v("1.2.0-beta.1"));

    assert_eq!(
        choose(&manifest, &situation(&one_one, Some(&one_one), &[])),
        Err(NoUpdate::AlreadyNewest { current: one_one.clone(), channel: Channel::Stable })
    );
    // Running 1.0.0 again (switched by hand) after 2.0.0 ran here: 1.1.0 is a downgrade.
    let refused = choose(&manifest, &situation(&one, Some(&two), &[])).unwrap_err();
    assert_eq!(refused, NoUpdate::Downgrade { version: one_one.clone(), floor: two.clone() });
    assert!(refused.to_string().contains("allow the downgrade"), "{refused}");
    let allowed = Situation { allow_downgrade: true, ..situation(&one, Some(&two), &[]) };
    assert_eq!(choose(&manifest, &allowed).unwrap().version, one_one);

    let failed = [one_one.clone()];
    assert_eq!(
        choose(&manifest, &situation(&one, Some(&one), &failed)),
        Err(NoUpdate::PreviouslyFailed { version: one_one.clone() })
    );
}

#[tokio::test]
async fn a_release_without_a_binary_for_this_target_is_not_installed() {
    let (_publisher, manifest) =
        manifest_with(&[("1.0.0", TARGET), ("1.1.0", "riscv64gc-unknown-none-elf")]).await;
    let one = v("1.0.0");
    let error = choose(&manifest, &situation(&one, Some(&one), &[])).unwrap_err();
    assert_eq!(error, NoUpdate::NoAssetForTarget { version: v("1.1.0"), target: TARGET.to_owned() });
    assert!(error.to_string().contains(&format!("1.1.0 has no binary for {TARGET}")), "{error}");
}

/// Whether permissions stop this process's writes (not so for root or `CAP_DAC_OVERRIDE`).
fn permissions_bind(dir: &std::path::Path) -> bool {
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).unwrap();
    set_mode(&probe, 0o555);
    let bound = std::fs::write(probe.join("x"), "x").is_err();
    set_mode(&probe, 0o755);
    std::fs::remove_dir_all(&probe).unwrap();
    bound
}

fn set_mode(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn an_unwritable_prefix_gives_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();

    if permissions_bind(dir.path()) {
        // A prefix holding v1, made read-only (0555) before the update to v2.
        let prefix = InstallPrefix::new(dir.path().join("prefix"));
        std::fs::create_dir(prefix.root()).unwrap();
        update(&publisher, &prefix, &v("0.1.0")).await.unwrap();
        prefix.confirm_healthy().unwrap();
        publisher.release("2.0.0", TARGET, &binary("2.0.0"));
        publisher.publish();
        let releases = prefix.root().join("releases");
        set_mode(&releases, 0o555);
        set_mode(prefix.root(), 0o555);
        let before = snapshot(prefix.root());
        let error = update(&publisher, &prefix, &v("1.0.0")).await.unwrap_err();
        let after = snapshot(prefix.root());
        set_mode(prefix.root(), 0o755);
        set_mode(&releases, 0o755);
        assert!(error.contains("run the update as the user owning the install prefix"), "{error}");
        assert_eq!(before, after, "nothing changed");
    } else {
        // Root writes through permissions: a prefix under a regular file cannot be written by
        // anyone.
        let file = dir.path().join("file");
        std::fs::write(&file, "a regular file").unwrap();
        let prefix = InstallPrefix::new(file.join("prefix"));
        let error = update(&publisher, &prefix, &v("0.1.0")).await.unwrap_err();
        assert!(error.contains(&file.join("prefix").display().to_string()), "{error}");
        assert!(error.contains("lies under a regular file"), "{error}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a regular file");
    }
}

#[tokio::test]
async fn an_install_failing_after_the_download_leaves_the_prefix_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = InstallPrefix::new(dir.path());
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    update(&publisher, &prefix, &v("0.1.0")).await.unwrap();
    prefix.confirm_healthy().unwrap();
    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    publisher.publish();
    // The pending marker cannot be written (its staging path is a directory), root or not.
    std::fs::create_dir(dir.path().join(".pending.new")).unwrap();
    let before = snapshot(dir.path());
    let error = update(&publisher, &prefix, &v("1.0.0")).await.unwrap_err();
    assert!(error.contains(".pending.new"), "{error}");
    assert_eq!(snapshot(dir.path()), before, "nothing changed");
    assert_eq!(prefix.current().unwrap(), Some(v("1.0.0")));
}

/// A prefix with 1.0.0 confirmed healthy and 2.0.0 just installed over it.
async fn switched_to_v2() -> (tempfile::TempDir, InstallPrefix, Publisher) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = InstallPrefix::new(dir.path());
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    update(&publisher, &prefix, &v("0.1.0")).await.unwrap();
    prefix.confirm_healthy().unwrap();
    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    publisher.publish();
    update(&publisher, &prefix, &v("1.0.0")).await.unwrap();
    (dir, prefix, publisher)
}

#[tokio::test]
async fn the_update_is_on_trial_at_its_first_start_and_settled_once_it_reports_healthy() {
    let (dir, prefix, _publisher) = switched_to_v2().await;
    assert_eq!(prefix.start_gate(&v("1.0.0")).unwrap(), StartGate::Settled, "the old binary is not on trial");
    let StartGate::OnTrial(trial) = prefix.start_gate(&v("2.0.0")).unwrap() else { panic!("on trial") };
    assert_eq!(trial, Pending { new: v("2.0.0"), previous: Some(v("1.0.0")), started: true });
    assert_eq!(prefix.pending().unwrap(), Some(trial), "the first start is recorded");
    assert_eq!(
        std::fs::read_link(dir.path().join("previous")).unwrap(),
        std::path::Path::new("releases/1.0.0"),
        "an OnFailure= unit can run the previous release"
    );
    prefix.confirm_healthy().unwrap();
    assert_eq!(prefix.start_gate(&v("2.0.0")).unwrap(), StartGate::Settled);
    assert_eq!(prefix.highest_installed().unwrap(), Some(v("2.0.0")));
    assert_eq!(prefix.current().unwrap(), Some(v("2.0.0")));
}

#[tokio::test]
async fn a_second_start_without_a_health_report_rolls_back_and_says_why() {
    let (_dir, prefix, _publisher) = switched_to_v2().await;
    assert!(matches!(prefix.start_gate(&v("2.0.0")).unwrap(), StartGate::OnTrial(_)));
    // It crashed before its health report; systemd starts `current` (still 2.0.0) again.
    let StartGate::RolledBack(rolled) = prefix.start_gate(&v("2.0.0")).unwrap() else {
        panic!("rolled back")
    };
    assert_eq!(rolled, RolledBack { failed: v("2.0.0"), restored: v("1.0.0") });
    assert_eq!(prefix.current().unwrap(), Some(v("1.0.0")));
    assert_eq!(run(&prefix.current_binary()), "core-ide 1.0.0\n");
    let failures = prefix.failures().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, v("2.0.0"));
    assert!(failures[0].1.contains("started again without reporting healthy"), "{failures:?}");
    assert_eq!(
        prefix.start_gate(&v("1.0.0")).unwrap(),
        StartGate::Settled,
        "the restored release runs freely"
    );
}

#[tokio::test]
async fn a_trial_past_its_deadline_rolls_back_with_the_reason_given() {
    let (_dir, prefix, _publisher) = switched_to_v2().await;
    assert!(matches!(prefix.start_gate(&v("2.0.0")).unwrap(), StartGate::OnTrial(_)));
    let rolled = prefix.fail_trial("no health report within 5m: the first cycle never completed").unwrap();
    assert_eq!(rolled, Some(RolledBack { failed: v("2.0.0"), restored: v("1.0.0") }));
    assert_eq!(
        prefix.failures().unwrap()[0].1,
        "no health report within 5m: the first cycle never completed"
    );
    assert_eq!(prefix.fail_trial("again").unwrap(), None, "nothing on trial any more");
    assert_eq!(prefix.failed().unwrap(), vec![v("2.0.0")], "recorded once");
}

#[tokio::test]
async fn the_first_install_has_no_way_back_and_stays_on_trial() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = InstallPrefix::new(dir.path());
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    update(&publisher, &prefix, &v("0.1.0")).await.unwrap();
    assert!(matches!(prefix.start_gate(&v("1.0.0")).unwrap(), StartGate::OnTrial(_)));
    let StartGate::NoWayBack(pending) = prefix.start_gate(&v("1.0.0")).unwrap() else {
        panic!("no way back")
    };
    assert_eq!(pending.previous, None);
    assert_eq!(prefix.current().unwrap(), Some(v("1.0.0")), "nothing else to run");
}

#[tokio::test]
async fn the_running_release_is_read_from_the_prefix_through_the_current_symlink() {
    let (dir, prefix, _publisher) = switched_to_v2().await;
    assert_eq!(prefix.release_of(&prefix.current_binary()), Some(v("2.0.0")));
    assert_eq!(prefix.release_of(&prefix.release_dir(&v("1.0.0")).join("core-ide")), Some(v("1.0.0")));
    let elsewhere = dir.path().join("core-ide");
    std::fs::write(&elsewhere, b"#!/bin/sh\n").unwrap();
    assert_eq!(prefix.release_of(&elsewhere), None, "a binary outside releases/ is not a release");
}
