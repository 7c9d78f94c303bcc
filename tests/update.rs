//! `core-ide update` against a loopback publisher signing with the real `minisign` tool: check,
//! apply, check again, roll back, and the exit codes scripts rely on (docs/updates.md).

use std::path::Path;

use core_ide_e2e::{CoreIde, CoreStatus, Run};
use jobrunner_github_sim::{Fault, FaultRule, GitHubSim, RequestMatcher, SimHandle, SimState, Trigger};
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

    // 2.0.0 has not reported healthy: what the OnFailure= unit runs rolls it back to 1.0.0 and
    // marks it failed; run again, it finds nothing pending and changes nothing. Then a plain
    // --rollback has nothing left to go back to: exit 1.
    let out = update(&publisher, prefix, &["--rollback", "--if-pending"]).success();
    assert_eq!(
        out,
        "rolled back: current is 1.0.0 again; 2.0.0 is marked failed and will not be installed again\n"
    );
    assert_eq!(current(prefix), Path::new("releases/1.0.0"));
    let out = update(&publisher, prefix, &["--rollback", "--if-pending"]).success();
    assert_eq!(out, "nothing to roll back: no update awaits its health report\n");
    assert_eq!(current(prefix), Path::new("releases/1.0.0"));
    let run = update(&publisher, prefix, &["--rollback"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("no release to roll back to"), "{}", run.stderr());
    drop(runtime);
}

/// `core-status --json` on a node whose updates come from `publisher` into `prefix`.
fn status(publisher: &Publisher, prefix: &Path, data: &Path) -> serde_json::Value {
    let data = data.to_str().unwrap();
    let run =
        CoreStatus::new(&["--json", "--data-dir", data, "--journal-dir", data, "--env-file", "/dev/null"])
            .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
            .env("CORE_UPDATE_PUBLIC_KEY", publisher.key_line())
            .env("CORE_UPDATE_PREFIX", prefix)
            .run();
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stderr()))
}

fn update_checks(report: &serde_json::Value) -> Vec<&str> {
    let checks = report["checks"].as_array().unwrap();
    checks.iter().filter(|c| c["category"] == "updates").map(|c| c["id"].as_str().unwrap()).collect()
}

#[test]
fn core_status_shows_the_installed_previous_and_available_versions() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut publisher = runtime.block_on(Publisher::new());
    let dir = tempfile::tempdir().unwrap();
    let (prefix, data) = (dir.path().join("prefix"), dir.path().join("data"));
    for version in ["1.0.0", "2.0.0"] {
        publisher.release(version, TARGET, &binary(version));
        publisher.publish_for_a_day();
        let _installed = update(&publisher, &prefix, &["--apply"]).success();
    }
    publisher.release("2.1.0", TARGET, &binary("2.1.0"));
    publisher.publish_for_a_day();

    let report = status(&publisher, &prefix, &data);
    let versions = &report["profile"]["updates"];
    assert_eq!(versions["installed"], "2.0.0", "{versions}");
    assert_eq!(versions["previous"], "1.0.0", "{versions}");
    assert_eq!(versions["available"], "2.1.0", "{versions}");
    assert_eq!(versions["on_trial"], "2.0.0", "{versions}");
    assert_eq!(update_checks(&report), ["updates.W001", "updates.I001"]);

    // The OnFailure= unit's rollback: 2.0.0 is failed, 1.0.0 current, 2.1.0 still on offer.
    let _rolled = update(&publisher, &prefix, &["--rollback", "--if-pending"]).success();
    let report = status(&publisher, &prefix, &data);
    assert_eq!(report["profile"]["updates"]["installed"], "1.0.0");
    assert_eq!(report["profile"]["updates"]["failed"], serde_json::json!(["2.0.0"]));
    assert_eq!(update_checks(&report), ["updates.W002", "updates.I001"]);
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

/// A prefix whose `current` release 1.0.0 is this build of core-ide, confirmed healthy: what an
/// operator has after a first install.
fn prefix_running_this_build(root: &Path) -> std::path::PathBuf {
    core_ide_e2e::prefix_running(core_ide_e2e::core_ide_bin(), root)
}

/// `<prefix>/current/core-ide --headless` against `sim`, updating from `publisher`, reporting
/// to systemd's notify socket at `socket`: the service unit's command line.
fn service(
    prefix: &Path,
    sim: &SimHandle,
    publisher: &Publisher,
    socket: &Path,
    deadline: &str,
) -> std::process::Child {
    let root = prefix.parent().unwrap();
    let (data, journal) = (root.join("data"), root.join("journal"));
    let args =
        ["--headless", "--repos", "octo/app", "--api-url", &sim.base_url(), "--node-id", "updated-node"];
    CoreIde::at(&prefix.join("current/core-ide"), &args)
        .env("CORE_DATA_DIR", data)
        .env("CORE_JOURNAL_DIR", journal)
        .env("CORE_GITHUB_TOKEN", "ghp_update_e2e")
        .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
        .env("CORE_UPDATE_PUBLIC_KEY", publisher.key_line())
        .env("CORE_UPDATE_PREFIX", prefix)
        .env("CORE_UPDATE_HEALTH_DEADLINE", deadline)
        .env("NOTIFY_SOCKET", socket)
        .spawn()
}

/// systemd's side of the notify socket: the STATUS lines the service sends, in order.
struct Notifications(std::os::unix::net::UnixDatagram);

impl Notifications {
    fn bind(path: &Path) -> Self {
        let socket = std::os::unix::net::UnixDatagram::bind(path).unwrap();
        socket.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
        Self(socket)
    }

    /// Waits for a STATUS line starting with `prefix` and returns it, skipping the others.
    fn status(&self, prefix: &str) -> String {
        self.try_status(prefix).unwrap()
    }

    fn try_status(&self, prefix: &str) -> Result<String, String> {
        let mut buffer = [0u8; 512];
        loop {
            let len = self.0.recv(&mut buffer).map_err(|e| format!("no STATUS {prefix:?} came: {e}"))?;
            let datagram = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if let Some(line) = datagram.lines().find_map(|l| l.strip_prefix("STATUS="))
                && line.starts_with(prefix)
            {
                return Ok(line.to_owned());
            }
        }
    }
}

/// A simulator, a prefix running this build as 1.0.0, and a publisher offering this build as
/// 1.0.0 and 2.0.0.
async fn this_build_published_as_1_and_2() -> (SimHandle, tempfile::TempDir, std::path::PathBuf, Publisher) {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_running_this_build(dir.path());
    let this_build = std::fs::read(core_ide_e2e::core_ide_bin()).unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &this_build).release("2.0.0", TARGET, &this_build);
    publisher.publish_for_a_day();
    (sim, dir, prefix, publisher)
}

fn stop(child: std::process::Child) -> (std::process::ExitStatus, String) {
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status, String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_of_a_node_shows_the_update_on_offer() {
    let (sim, dir, prefix, publisher) = this_build_published_as_1_and_2().await;
    let socket = dir.path().join("notify.sock");
    let notifications = Notifications::bind(&socket);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let (data, journal) = (dir.path().join("data"), dir.path().join("journal"));
    let args = [
        "--headless",
        "--repos",
        "octo/app",
        "--api-url",
        &sim.base_url(),
        "--mcp",
        "true",
        "--mcp-bind",
        &bind,
    ];
    let child = CoreIde::new(&args)
        .env("CORE_DATA_DIR", data)
        .env("CORE_JOURNAL_DIR", journal)
        .env("CORE_GITHUB_TOKEN", "ghp_update_e2e")
        .env("CORE_UPDATE_URL", publisher.manifest_url().as_str())
        .env("CORE_UPDATE_PUBLIC_KEY", publisher.key_line())
        .env("CORE_UPDATE_PREFIX", &prefix)
        .env("NOTIFY_SOCKET", &socket)
        .spawn();
    let page = tokio::task::spawn_blocking(move || {
        notifications.status("up");
        let page = core_ide_e2e::panel_page(port);
        let _ = stop(child);
        page
    })
    .await
    .unwrap();
    assert!(page.contains("updates.I001") && page.contains("update 2.0.0 is available"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_updates_itself_restarts_into_the_new_release_and_confirms_it_healthy() {
    let (sim, dir, prefix, publisher) = this_build_published_as_1_and_2().await;
    let socket = dir.path().join("notify.sock");
    let notifications = Notifications::bind(&socket);

    let child = service(&prefix, &sim, &publisher, &socket, "2m");
    let (installed, on_trial, confirmed, status, stdout) = tokio::task::spawn_blocking(move || {
        let installed = notifications.status("update 2.0.0 installed");
        let on_trial = notifications.status("update 2.0.0 on trial");
        let confirmed = notifications.status("update 2.0.0 confirmed healthy");
        let (status, stdout) = stop(child);
        (installed, on_trial, confirmed, status, stdout)
    })
    .await
    .unwrap();
    assert_eq!(installed, "update 2.0.0 installed: restarting");
    assert_eq!(on_trial, "update 2.0.0 on trial");
    assert_eq!(confirmed, "update 2.0.0 confirmed healthy");
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("restarting into the installed release"), "{stdout}");
    assert_eq!(current(&prefix), Path::new("releases/2.0.0"));
    assert_eq!(std::fs::read_to_string(prefix.join("highest-installed")).unwrap(), "2.0.0\n");
    assert!(!prefix.join("pending").exists(), "the trial is over");
    assert!(prefix.join("releases/1.0.0/core-ide").exists(), "the previous release is kept");
    assert_eq!(std::fs::read_link(prefix.join("previous")).unwrap(), Path::new("releases/1.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_never_completes_a_cycle_is_rolled_back_at_its_deadline_and_not_retried() {
    let (sim, dir, prefix, publisher) = this_build_published_as_1_and_2().await;
    // The download waits until GitHub has started failing: 2.0.0's cycles never complete.
    let download = publisher.server.hold(&Publisher::binary_path("2.0.0"));
    let socket = dir.path().join("notify.sock");
    let notifications = Notifications::bind(&socket);

    let child = service(&prefix, &sim, &publisher, &socket, "3s");
    let installing = tokio::task::spawn_blocking(move || {
        let line = notifications.status("installing update 2.0.0");
        (notifications, line)
    });
    let (notifications, installing) = installing.await.unwrap();
    assert_eq!(installing, "installing update 2.0.0");
    sim.inject(FaultRule::new(RequestMatcher::any(), Trigger::EveryNth(1), Fault::ServerError(503)));
    download.open();
    let (rolled, settled, status, stdout) = tokio::task::spawn_blocking(move || {
        let rolled = match notifications.try_status("update 2.0.0 rolled back") {
            Ok(line) => line,
            Err(e) => panic!("{e}; stdout: {}", stop(child).1),
        };
        // The restored release starts again, checks, and leaves 2.0.0 alone.
        let settled = notifications.status("up: polling");
        let (status, stdout) = stop(child);
        (rolled, settled, status, stdout)
    })
    .await
    .unwrap();
    assert_eq!(rolled, "update 2.0.0 rolled back to 1.0.0");
    assert_eq!(settled, "up: polling");
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert_eq!(current(&prefix), Path::new("releases/1.0.0"));
    let failed = std::fs::read_to_string(prefix.join("failed")).unwrap();
    assert_eq!(failed, "2.0.0 no health report within 3s: no cycle reached GitHub\n");
    assert_eq!(std::fs::read_to_string(prefix.join("highest-installed")).unwrap(), "1.0.0\n");
    assert!(!prefix.join("pending").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_check_reads_the_manifest_from_a_repositorys_github_releases() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    let expires = (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339();
    let json = publisher.manifest_json(&expires);
    // The manifest's binary URL is absolute here: it stays on the publisher.
    let json = String::from_utf8(json)
        .unwrap()
        .replace("\"v2.0.0/core-ide\"", &format!("\"{}\"", publisher.server.url("v2.0.0/core-ide")));
    let assets = [
        ("manifest.json", json.clone().into_bytes()),
        ("manifest.json.minisig", publisher.signer.sign(json.as_bytes())),
    ];
    sim.with_state(|s| s.publish_release("octo/app", "v2.0.0", false, &assets));
    let dir = tempfile::tempdir().unwrap();
    let run = tokio::task::spawn_blocking({
        let (api, key, prefix) = (sim.base_url(), publisher.key_line(), dir.path().to_owned());
        move || {
            CoreIde::new(&["update", "--check", "--api-url", &api])
                .env("CORE_UPDATE_URL", "github:octo/app")
                .env("CORE_UPDATE_PUBLIC_KEY", key)
                .env("CORE_UPDATE_PREFIX", prefix)
                .env("CORE_GITHUB_TOKEN", "ghp_update_e2e")
                .run()
        }
    })
    .await
    .unwrap();
    assert_eq!(run.code(), 10, "an update is available; stderr: {}", run.stderr());
    assert!(run.stdout().contains("available: 2.0.0 on stable"), "{}", run.stdout());
}
