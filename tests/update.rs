//! `core-ide update` against a loopback publisher signing with the real `minisign` tool: check,
//! apply, check again, roll back, and the exit codes scripts rely on (docs/updates.md).

use std::path::Path;

use core_ide_e2e::{CoreIde, Run};
use jobrunner_updater::TARGET;
use jobrunner_updater::testing::{Publisher, binary};

/// `core-ide update ARGS` against `publisher`, installing into `prefix`.
fn update(publisher: &Publisher, prefix: &Path, args: &[&str]) -> Run {
    let mut all = vec!["update"];
    all.extend_from_slice(args);
    CoreIde::new(&all)
        .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
        .env("CORE_UPDATE_PUBLIC_KEY", publisher.key_line())
        .env("CORE_UPDATE_PREFIX", prefix)
        .run()
}

fn current(prefix: &Path) -> std::path::PathBuf {
    std::fs::read_link(prefix.join("current")).unwrap()
}

#[test]
fn check_apply_check_rollback() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut publisher = runtime.block_on(Publisher::new());
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path();

    // A first release, installed on an empty prefix.
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish_for_a_day();
    let out = update(&publisher, prefix, &["--apply"]).success();
    assert_eq!(out, "installed 1.0.0 and switched current to it\n");

    // A second is published: --check names it, exit 10, and changes nothing.
    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    publisher.publish_for_a_day();
    let run = update(&publisher, prefix, &["--check"]);
    assert_eq!(run.code(), 10, "stderr: {}", run.stderr());
    assert_eq!(
        run.stdout(),
        "installed: 1.0.0\nprevious:  none\navailable: 2.0.0 on stable\n\
         pending:   1.0.0 has not reported healthy yet\nwould install 2.0.0 and switch current to it\n"
    );
    assert_eq!(current(prefix), Path::new("releases/1.0.0"));

    // --apply (the prefix as a flag this time) installs and switches.
    let run = CoreIde::new(&["update", "--apply", "--update-prefix", prefix.to_str().unwrap()])
        .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
        .env("CORE_UPDATE_PUBLIC_KEY", publisher.key_line())
        .run();
    assert_eq!(
        run.success(),
        "installed 2.0.0 and switched current to it (from 1.0.0, kept for a rollback)\n"
    );
    assert_eq!(current(prefix), Path::new("releases/2.0.0"));
    let ran = std::process::Command::new(prefix.join("current/core-ide")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "core-ide 2.0.0\n");

    // Up to date now.
    let out = update(&publisher, prefix, &["--check"]).success();
    assert!(out.starts_with("installed: 2.0.0\nprevious:  1.0.0\n"), "{out}");
    assert!(out.ends_with("nothing to do: 2.0.0 is the newest stable release\n"), "{out}");
    let out = update(&publisher, prefix, &["--apply"]).success();
    assert_eq!(out, "nothing to do: 2.0.0 is the newest stable release\n");

    // Back to 1.0.0, 2.0.0 marked failed; then nothing left to go back to: exit 1.
    let out = update(&publisher, prefix, &["--rollback"]).success();
    assert_eq!(
        out,
        "rolled back: current is 1.0.0 again; 2.0.0 is marked failed and will not be installed again\n"
    );
    assert_eq!(current(prefix), Path::new("releases/1.0.0"));
    let run = update(&publisher, prefix, &["--rollback"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("no release to roll back to"), "{}", run.stderr());
    drop(runtime);
}

#[test]
fn a_refused_signature_exits_1_and_bad_settings_exit_2() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut publisher = runtime.block_on(Publisher::new());
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish_for_a_day();
    let other = runtime.block_on(Publisher::new());
    let dir = tempfile::tempdir().unwrap();

    let run = CoreIde::new(&["update", "--check"])
        .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
        .env("CORE_UPDATE_PUBLIC_KEY", other.key_line())
        .env("CORE_UPDATE_PREFIX", dir.path())
        .run();
    assert_eq!(run.code(), 1, "stdout: {}", run.stdout());
    assert!(run.stderr().contains("signed by another key than the release key"), "{}", run.stderr());
    assert!(dir.path().read_dir().unwrap().next().is_none(), "nothing written");

    let run = CoreIde::new(&["update", "--check"]).run();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("set CORE_UPDATE_URL"), "{}", run.stderr());
    let run = update(&publisher, dir.path(), &["--check", "--update-channel", "nightly"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("expected stable, beta, alpha or dev"), "{}", run.stderr());
    let run = CoreIde::new(&["update"]).run();
    assert_eq!(run.code(), 2, "one of --check, --apply, --rollback is required");
    drop(runtime);
}
