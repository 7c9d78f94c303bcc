//! `core-ide --once` against the GitHub simulator: the real binary, adapter, store and journal.

use std::path::Path;

use core_ide_e2e::{CoreIde, Run};
use http::Method;
use jobrunner_github_sim::{Fault, FaultRule, GitHubSim, RequestMatcher, SimHandle, SimState, Trigger};
use jobrunner_journal::{ReadFilter, read_journal};

const MARKER: &str = "MARKER-e2e-41c7";
const TOKEN: &str = "ghp_e2e_secret_token";

fn node_args(sim: &SimHandle, dir: &Path, extra: &[&str]) -> Vec<String> {
    let dir_arg = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (data, journal, api) = (dir_arg("data"), dir_arg("journal"), sim.base_url());
    let base = ["--repos", "octo/app", "--api-url", &api, "--data-dir", &data, "--journal-dir", &journal];
    extra.iter().chain(base.iter()).chain(["--node-id", "e2e-node"].iter()).map(|a| (*a).to_owned()).collect()
}

fn core_ide(args: &[String]) -> CoreIde {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    CoreIde::new(&args).env("CORE_GITHUB_TOKEN", TOKEN)
}

async fn once(sim: &SimHandle, dir: &Path) -> Run {
    let args = node_args(sim, dir, &["--once"]);
    tokio::task::spawn_blocking(move || core_ide(&args).run()).await.unwrap()
}

fn journal(dir: &Path) -> Vec<jobrunner_journal::JournalRecord> {
    read_journal(&dir.join("journal"), &ReadFilter::default()).unwrap().records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cycle_acts_once_per_pr_and_a_second_run_repeats_nothing() {
    let sim = GitHubSim::start(SimState::default().with_marker(MARKER)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let first = once(&sim, dir.path()).await;
    assert_eq!(first.code(), 0, "stderr: {}", first.stderr());
    let records = journal(dir.path());
    let mut acted: Vec<(u64, String)> = records.iter().map(|r| (r.pr, r.action.clone())).collect();
    acted.sort();
    assert_eq!(
        acted,
        [
            (10, "publish_draft".to_owned()),
            (11, "send_fix_command".to_owned()),
            (12, "send_fix_command".to_owned()),
            (13, "enable_auto_merge".to_owned()),
            (14, "tick_parent".to_owned()),
        ]
    );
    assert!(records.iter().all(|r| r.node.as_str() == "e2e-node" && r.result.success && !r.dry_run));

    let second = once(&sim, dir.path()).await;
    assert_eq!(second.code(), 0, "stderr: {}", second.stderr());
    let counters = sim.counters();
    for pr in [11, 12, 13] {
        assert_eq!(counters.mutations("octo/app", pr).len(), 1, "PR {pr} mutated once across two runs");
    }
    let after = journal(dir.path());
    // #13 was merged directly (GitHub calls a green unprotected PR CLEAN): now its epic is
    // ticked; the newly published #10 waits for GitHub to compute its mergeability.
    assert_eq!(after.len(), records.len() + 1, "one new action in the second run");
    assert_eq!((after.last().unwrap().pr, after.last().unwrap().action.as_str()), (13, "tick_parent"));

    for run in [&first, &second] {
        for output in [run.stdout(), run.stderr()] {
            assert!(!output.contains(MARKER), "forge text leaked: {output}");
            assert!(!output.contains(TOKEN), "token leaked: {output}");
        }
        assert!(
            run.stdout().lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
            "JSON logs"
        );
    }
    let journal_text: String = std::fs::read_dir(dir.path().join("journal/octo/app"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(!journal_text.contains(MARKER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_spelled_in_another_case_is_acted_on_once() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for spelling in ["Octo/App", "octo/APP"] {
        // An operator editing the case of a configured repository (or two fleet nodes spelling
        // it differently): GitHub sees one repository, so the ledger must too.
        let args: Vec<String> = node_args(&sim, dir.path(), &["--once"])
            .into_iter()
            .map(|a| if a == "octo/app" { spelling.to_owned() } else { a })
            .collect();
        let run = tokio::task::spawn_blocking(move || core_ide(&args).run()).await.unwrap();
        assert_eq!(run.code(), 0, "stderr: {}", run.stderr());
    }
    let counters = sim.counters();
    for pr in [11, 12, 13] {
        assert_eq!(counters.mutations("octo/app", pr).len(), 1, "PR {pr} mutated once across both spellings");
    }
    let owners: Vec<String> = std::fs::read_dir(dir.path().join("journal"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(owners, ["octo"], "one journal directory per GitHub repository");
    assert!(dir.path().join("journal/octo/app").is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_github_posted_whose_answer_was_lost_is_never_posted_again() {
    for (fault, what) in [
        (Fault::AnswerLost, "connection dropped after the 201"),
        (Fault::ServerErrorAfterEffect(502), "502 after posting"),
    ] {
        let sim = GitHubSim::start(SimState::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for pr in [11, 12] {
            sim.inject(FaultRule::once(
                Method::POST,
                &format!("/repos/octo/app/issues/{pr}/comments"),
                fault,
            ));
        }
        let first = once(&sim, dir.path()).await;
        assert_eq!(first.code(), 0, "{what}: {}", first.stderr());
        assert_eq!(
            sim.counters().faults_injected,
            2,
            "{what}: both comments were posted, their answers lost"
        );
        let second = once(&sim, dir.path()).await;
        assert_eq!(second.code(), 0, "{what}: {}", second.stderr());
        let counters = sim.counters();
        for pr in [11, 12] {
            assert_eq!(counters.mutations("octo/app", pr).len(), 1, "{what}: PR {pr} commented once");
        }
        let commands: Vec<u64> =
            journal(dir.path()).iter().filter(|r| r.action == "send_fix_command").map(|r| r.pr).collect();
        assert_eq!(commands.len(), 2, "{what}: each posted command journaled once: {commands:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_journal_directory_stops_the_node_before_it_acts() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journal"), "a file where the directory should be").unwrap();
    let args: Vec<String> = node_args(&sim, dir.path(), &["--once"])
        .into_iter()
        .map(|a| if a.ends_with("/journal") { format!("{a}/inner") } else { a })
        .collect();
    let run = tokio::task::spawn_blocking(move || core_ide(&args).run()).await.unwrap();
    let stderr = run.stderr();
    assert_eq!(run.code(), 2, "{stderr}");
    assert!(stderr.starts_with("core-ide: journal create directory "), "{stderr}");
    assert_eq!(stderr.matches("os error").count(), 1, "the OS error once: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(sim.counters().mutation_log.is_empty(), "nothing performed without a journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_it_exits_2_saying_how_to_set_one() {
    let run =
        tokio::task::spawn_blocking(|| CoreIde::new(&["--once", "--repos", "octo/app"]).run()).await.unwrap();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("no GitHub token: export CORE_GITHUB_TOKEN"), "{}", run.stderr());
}

/// Reads one datagram from the notify socket, as systemd would.
fn notification(socket: &std::os::unix::net::UnixDatagram) -> String {
    let mut buffer = [0u8; 256];
    let len = socket.recv(&mut buffer).expect("a notification arrives");
    String::from_utf8_lossy(&buffer[..len]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_loop_cleanly_with_systemd_notifications() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    let args = node_args(&sim, dir.path(), &["--headless", "--poll-interval", "1s"]);
    let (ready, first_cycle, last, status, stdout) = tokio::task::spawn_blocking(move || {
        let child = core_ide(&args).env("NOTIFY_SOCKET", &socket_path).spawn();
        // READY once the node is up; WATCHDOG after its first cycle: the events to wait on.
        let ready = notification(&socket);
        let first_cycle = notification(&socket);
        let terminated =
            std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(terminated.success());
        let mut last = notification(&socket);
        while last != "STOPPING=1\n" {
            last = notification(&socket);
        }
        let output = child.wait_with_output().unwrap();
        (ready, first_cycle, last, output.status, String::from_utf8_lossy(&output.stdout).into_owned())
    })
    .await
    .unwrap();
    assert_eq!(ready, "READY=1\nSTATUS=up: polling\n");
    assert_eq!(first_cycle, "WATCHDOG=1\n");
    assert_eq!(last, "STOPPING=1\n");
    assert_eq!(status.code(), Some(0), "clean exit after SIGTERM; stdout: {stdout}");
    assert!(stdout.contains("stopping after the current cycle"), "{stdout}");
    let records = journal(dir.path());
    assert!(records.len() >= 5, "the first cycle's actions all completed and were journaled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_the_api_hangs_exits_within_seconds() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let hang = Fault::Delay(std::time::Duration::from_secs(600));
    sim.inject(FaultRule::new(RequestMatcher::any(), Trigger::EveryNth(1), hang));
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    let args = node_args(&sim, dir.path(), &["--headless"]);
    let (ready, took, status) = tokio::task::spawn_blocking(move || {
        let child = core_ide(&args).env("NOTIFY_SOCKET", &socket_path).spawn();
        // READY comes while the first poll hangs: being up does not wait on GitHub.
        let ready = notification(&socket);
        let asked = std::time::Instant::now();
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let output = child.wait_with_output().unwrap();
        (ready, asked.elapsed(), output.status)
    })
    .await
    .unwrap();
    assert!(ready.starts_with("READY=1\n"), "{ready}");
    assert_eq!(status.code(), Some(0));
    assert!(
        took < std::time::Duration::from_secs(20),
        "exited {took:?} after SIGTERM, not after the retries' timeouts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_at_boot_is_reported_through_status_and_the_node_keeps_running() {
    let sim = GitHubSim::start(SimState::default().with_tokens(&["the-right-token"])).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    let args = node_args(&sim, dir.path(), &["--headless", "--poll-interval", "1s"]);
    let (ready, trouble, again, status) = tokio::task::spawn_blocking(move || {
        let child = core_ide(&args).env("NOTIFY_SOCKET", &socket_path).spawn();
        let ready = notification(&socket);
        let trouble = notification(&socket);
        // A second failed cycle: the node did not exit on the refusal.
        let again = notification(&socket);
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let output = child.wait_with_output().unwrap();
        (ready, trouble, again, output.status)
    })
    .await
    .unwrap();
    assert!(ready.starts_with("READY=1\n"), "READY does not wait for GitHub: {ready}");
    let refused = "WATCHDOG=1\nSTATUS=GitHub refuses the token: not acting; fix CORE_GITHUB_TOKEN\n";
    assert_eq!(trouble, refused);
    assert_eq!(again, refused);
    assert_eq!(status.code(), Some(0));
    assert!(sim.counters().mutation_log.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_data_dir_exits_2_naming_the_pid_holding_it() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    let service = node_args(&sim, dir.path(), &["--headless", "--poll-interval", "1s"]);
    let beside = node_args(&sim, dir.path(), &["--once"]);
    let (pid, second, status) = tokio::task::spawn_blocking(move || {
        let child = core_ide(&service).env("NOTIFY_SOCKET", &socket_path).spawn();
        // READY: the service holds its store. The operator's `--once` beside it:
        let ready = notification(&socket);
        assert!(ready.contains("READY=1"), "{ready}");
        let second = core_ide(&beside).run();
        // The service's first cycle is done (its WATCHDOG) before it is stopped.
        let first_cycle = notification(&socket);
        assert_eq!(first_cycle, "WATCHDOG=1\n");
        let pid = child.id();
        std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        let output = child.wait_with_output().unwrap();
        (pid, second, output.status)
    })
    .await
    .unwrap();
    assert_eq!(second.code(), 2, "stderr: {}", second.stderr());
    let data = dir.path().join("data");
    assert!(
        second.stderr().contains(&format!(
            "the data directory {} is in use by another core-ide process (PID {pid})",
            data.display()
        )),
        "{}",
        second.stderr()
    );
    assert_eq!(status.code(), Some(0), "the service was not disturbed");
    let counters = sim.counters();
    for pr in [11, 12, 13] {
        assert_eq!(counters.mutations("octo/app", pr).len(), 1, "PR {pr} acted on once, by the service");
    }
    let mut journaled: Vec<(u64, String)> =
        journal(dir.path()).iter().map(|r| (r.pr, r.action.clone())).collect();
    let all = journaled.len();
    journaled.sort();
    journaled.dedup();
    assert_eq!(journaled.len(), all, "each action journaled once: {journaled:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_mutates_nothing_and_journals_nothing() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = node_args(&sim, dir.path(), &["--once", "--dry-run"]);
    let run = tokio::task::spawn_blocking(move || core_ide(&args).run()).await.unwrap();
    let stdout = run.success();
    assert!(sim.counters().mutation_log.is_empty(), "{:?}", sim.counters().mutation_log);
    assert!(journal(dir.path()).is_empty());
    let decisions = stdout.lines().filter(|l| l.contains("dry-run: would act")).count();
    assert_eq!(decisions, 5, "each decision is logged with its handler and reason: {stdout}");
}

/// The status line's code of an MCP `initialize` POST to `port`, with `origin` when given.
fn mcp_initialize_status(port: u16, origin: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}"#;
    let origin = origin.map(|o| format!("origin: {o}\r\n")).unwrap_or_default();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{origin}content-type: application/json\r\n\
         accept: application/json, text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_node_serves_the_mcp_bridge_and_the_panel_with_its_checks_and_refuses_a_foreign_origin() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let args = node_args(&sim, dir.path(), &["--headless", "--mcp", "true", "--mcp-bind", &bind]);
    let (own, foreign, panel, status) = tokio::task::spawn_blocking(move || {
        let child = core_ide(&args).env("NOTIFY_SOCKET", &socket_path).spawn();
        // READY comes after the bridge is bound.
        assert_eq!(notification(&socket), "READY=1\nSTATUS=up: polling\n");
        let own = mcp_initialize_status(port, None);
        let foreign = mcp_initialize_status(port, Some("http://evil.example"));
        let panel = core_ide_e2e::panel_page(port);
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        (own, foreign, panel, child.wait_with_output().unwrap().status)
    })
    .await
    .unwrap();
    assert_eq!((own, foreign), (200, 403));
    assert!(panel.starts_with("HTTP/1.1 200"), "{panel}");
    assert!(
        panel.contains("id=\"checks\"") && panel.contains("env."),
        "core-status's checks on the panel: {panel}"
    );
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn an_mcp_bridge_beyond_loopback_without_a_token_stops_the_start_with_exit_2() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = node_args(&sim, dir.path(), &["--headless", "--mcp", "true", "--mcp-bind", "0.0.0.0:0"]);
    let run = tokio::task::spawn_blocking(move || core_ide(&args).run()).await.unwrap();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("CORE_MCP_TOKEN"), "{}", run.stderr());
}
