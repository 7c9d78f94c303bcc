//! `core-status` as an operator runs it: on the demo's data, on a node image, with bad input.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use core_ide_e2e::{CoreIde, CoreStatus, Run, workspace_root};
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_store::{CycleLog, SqliteStore};
use serde_json::Value;

const SAMPLE: &str = "deploy/core-ide.env.sample";
const TOKEN: &str = "ghp_e2esecret0123456789";

/// Runs `core-ide demo` with its data under `dir` and returns the demo's summary.
fn run_demo(dir: &Path) -> Value {
    let data = dir.join("demo-data");
    let run = CoreIde::new(&["demo", "--json", "--data-dir", &data.to_string_lossy()]).run();
    serde_json::from_str(&run.success()).expect("--json prints the summary")
}

/// An env file for the demo's node: the token and the demo's repository.
fn env_file(dir: &Path) -> PathBuf {
    let path = dir.join("core-ide.env");
    std::fs::write(&path, format!("CORE_GITHUB_TOKEN={TOKEN}\nCORE_REPOS=octo/app\n")).unwrap();
    path
}

/// The rate limit left and the cycle that reported it, as the demo's runner recorded them in
/// its store: what the dashboard must show (nothing, while the runner records none).
fn recorded_rate_limit(dir: &Path) -> Option<(u64, u64)> {
    let data = dir.join("demo-data");
    let journal = read_journal(&data.join("journal"), &ReadFilter::default()).unwrap();
    let node = journal.records[0].node.clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&data, &node).await.unwrap();
        let cycles = store.recent_cycles(&node, 20).await.unwrap();
        store.close().await.unwrap();
        cycles.iter().find_map(|c| c.end.and_then(|e| e.rate_limit_left).map(|left| (left, c.number)))
    })
}

/// core-status on the demo's data directory and journal, with `args`.
fn status_of_demo(dir: &Path, args: &[&str]) -> Run {
    let data = dir.join("demo-data");
    let (data, journal, env) = (
        data.to_string_lossy().into_owned(),
        data.join("journal").to_string_lossy().into_owned(),
        env_file(dir),
    );
    let mut all = vec!["--data-dir", &data, "--journal-dir", &journal, "--env-sample", SAMPLE];
    let env = env.to_string_lossy().into_owned();
    all.extend(["--env-file", &env]);
    all.extend(args);
    CoreStatus::new(&all).run()
}

#[test]
fn the_demos_data_shows_its_actions_by_handler_and_the_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_demo(dir.path());
    let out = status_of_demo(dir.path(), &[]).success();
    for (handler, count) in summary["actions"].as_object().unwrap() {
        let line = format!("{handler:<18} {count}");
        assert!(out.lines().any(|l| l.trim() == line), "no `{line}` in:\n{out}");
    }
    let total: u64 = summary["actions"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert!(out.contains(&format!("actions today   {total} in the journal")), "{out}");
    let rate = out.lines().find(|l| l.trim_start().starts_with("rate limit")).unwrap();
    match recorded_rate_limit(dir.path()) {
        Some((_, cycle)) => assert!(rate.ends_with(&format!("points left (after cycle #{cycle})")), "{rate}"),
        None => assert!(rate.ends_with("not reported yet"), "{rate}"),
    }
    assert!(out.contains(&format!("#{} ok", summary["cycles"])), "the demo's last cycle: {out}");
}

#[test]
fn the_json_report_of_the_demo_validates_against_the_shipped_schema() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_demo(dir.path());
    let report: Value = serde_json::from_str(&status_of_demo(dir.path(), &["--json"]).success()).unwrap();
    assert_valid_report(&report);
    assert_eq!(report["pipeline"]["actions_today"], summary["actions"]);
    let recorded = recorded_rate_limit(dir.path());
    assert_eq!(report["pipeline"]["rate_limit_left"], serde_json::json!(recorded.map(|(left, _)| left)));
    assert_eq!(report["pipeline"]["rate_limit_cycle"], serde_json::json!(recorded.map(|(_, cycle)| cycle)));
}

#[test]
fn secrets_from_the_env_file_appear_in_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("core-ide.env");
    let hook = "https://hooks.slack.com/services/T000/B000/e2ehooksecret";
    std::fs::write(&env, format!("CORE_GITHUB_TOKEN={TOKEN}\nCORE_SLACK_WEBHOOK_URL={hook}\nCORE_TURBO=1\n"))
        .unwrap();
    let env = env.to_string_lossy().into_owned();
    for json in [false, true] {
        let mut args = vec!["--env-file", env.as_str(), "--verbose"];
        args.extend(json.then_some("--json"));
        let run = CoreStatus::new(&args).run();
        let all = run.stdout() + &run.stderr();
        assert!(all.contains("CORE_TURBO"), "the env file was read: {all}");
        assert!(!all.contains(TOKEN) && !all.contains("e2ehooksecret"), "{all}");
    }
}

#[test]
fn the_exit_code_follows_the_fail_level() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_file(dir.path()).to_string_lossy().into_owned();
    let warned = |fail_level: &str| {
        let args = ["--env-file", &env, "--env-sample", SAMPLE, "--checks-only", "--poll-interval", "5s"];
        let mut args = args.to_vec();
        args.extend(["--fail-level", fail_level, "--data-dir", "/nonexistent-core-status-e2e/data"]);
        CoreStatus::new(&args).run()
    };
    let run = warned("error");
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(run.stdout().contains("runtime.W003"), "{}", run.stdout());
    assert_eq!(warned("warn").code(), 1);
}

#[test]
fn a_silenced_check_leaves_the_output_and_the_exit_code() {
    let run = CoreStatus::new(&[
        "--checks-only",
        "--env-file",
        "/nonexistent/core-ide.env",
        "--silence",
        "env.E001",
    ])
    .run();
    assert!(!run.stdout().contains("env.E001"), "{}", run.stdout());
    assert!(run.stdout().contains("runtime.E001"), "other errors remain: {}", run.stdout());
}

#[test]
fn settings_come_from_the_installed_units_env_file() {
    let status = CoreStatus::new(&["--checks-only", "--category", "runtime", "--verbose"]);
    let root = status.home.path().join("systemd");
    let unit_dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&unit_dir).unwrap();
    std::fs::write(
        unit_dir.join("core-ide.service"),
        "[Service]\nEnvironmentFile=/etc/core-ide/core-ide.env\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("etc/core-ide")).unwrap();
    std::fs::write(
        root.join("etc/core-ide/core-ide.env"),
        format!("CORE_GITHUB_TOKEN={TOKEN}\nCORE_REPOS=a/b,c/d\n"),
    )
    .unwrap();
    let out = status.run().success();
    assert!(out.contains("runtime.ok") && out.contains("token set, 2 repositories"), "{out}");
}

#[test]
fn bad_flags_and_unreadable_files_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a_dir = dir.path().to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--bogus"], "core-status: unexpected argument '--bogus' found"),
        (vec!["--fail-level", "fatal"], "core-status: invalid value 'fatal' for '--fail-level <LEVEL>'"),
        (vec!["--category", "network"], "core-status: invalid value 'network' for '--category <CATEGORY>'"),
        (vec!["--silence", "env.W999"], "core-status: unknown check id \"env.W999\""),
        (vec!["--env-file", &a_dir], "core-status: cannot read env file"),
        (
            vec!["--config", "/nonexistent/core-ide.toml"],
            "core-status: cannot read config file /nonexistent/core-ide.toml",
        ),
        (
            vec!["--poll-interval", "fortnightly"],
            "core-status: invalid value \"fortnightly\" for poll_interval",
        ),
        (
            vec!["--binary", "/nonexistent/core-ide"],
            "core-status: no core-ide binary at /nonexistent/core-ide",
        ),
        (
            vec!["cleanup-orphans", "--max-age-hours", "0"],
            "core-status: invalid value '0' for '--max-age-hours <HOURS>'",
        ),
    ];
    for (args, start) in cases {
        let run = CoreStatus::new(&args).run();
        let stderr = run.stderr();
        assert_eq!(run.code(), 2, "{args:?}: {stderr}");
        assert!(stderr.starts_with(start), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(run.stdout().is_empty(), "{args:?}");
    }
}

#[test]
fn a_token_with_a_line_ending_is_called_invalid_by_both_binaries_without_showing_it() {
    let token = "ghp_crlf_0123456789\r\n";
    let status = CoreStatus::new(&[]).env("CORE_GITHUB_TOKEN", token).run();
    let ide = CoreIde::new(&["--once", "--repos", "octo/app", "--api-url", "http://127.0.0.1:9"])
        .env("CORE_GITHUB_TOKEN", token)
        .run();
    for (name, run) in [("core-status", &status), ("core-ide", &ide)] {
        let stderr = run.stderr();
        assert_eq!(run.code(), 2, "{name}, not a panic's 101: {stderr}");
        assert!(
            stderr
                .starts_with(&format!("{name}: invalid value for the GitHub token (from CORE_GITHUB_TOKEN")),
            "{stderr}"
        );
        assert!(stderr.contains("carriage return or line feed"), "{stderr}");
        assert!(!stderr.contains("0123456789") && !run.stdout().contains("0123456789"), "{stderr}");
    }
}

#[test]
fn cleanup_orphans_lists_then_deletes_stale_files_and_keeps_journal_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let stale = data.join("journal/octo/app/2026-11-01.jsonl.tmp");
    let record = data.join("journal/octo/app/2026-11-01.jsonl");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    for path in [&stale, &record] {
        std::fs::write(path, "{}\n").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(old).unwrap();
    }
    let data_arg = data.to_string_lossy().into_owned();
    let journal_arg = data.join("journal").to_string_lossy().into_owned();
    let cleanup = |execute: bool| {
        let mut args = vec!["cleanup-orphans", "--data-dir", &data_arg, "--journal-dir", &journal_arg];
        args.extend(execute.then_some("--execute"));
        CoreStatus::new(&args).run().success()
    };
    let listed = cleanup(false);
    assert!(
        listed.contains(&format!("orphan   {}  temporary file, 3 B, 3d old", stale.display())),
        "{listed}"
    );
    assert!(stale.exists(), "listing deletes nothing");
    let deleted = cleanup(true);
    assert!(deleted.contains(&format!("deleted  {}", stale.display())), "{deleted}");
    assert!(!stale.exists() && record.exists());
}

/// What a loopback webhook server received: each POST's path and JSON body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>;

/// A webhook server on 127.0.0.1 that records every POST and answers the first Discord one
/// `429 retry-after: 0`, the rest `204`. Returns its base URL.
fn webhook_server(runtime: &tokio::runtime::Runtime, received: Received) -> String {
    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |uri: Uri, body: axum::body::Bytes| {
        let received = received.clone();
        async move {
            let mut received = received.lock().unwrap();
            received.push((uri.path().to_owned(), serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let discord = received.iter().filter(|(path, _)| path.starts_with("/api/webhooks/")).count();
            if uri.path().starts_with("/api/webhooks/") && discord == 1 {
                return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")]).into_response();
            }
            StatusCode::NO_CONTENT.into_response()
        }
    });
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[test]
fn notify_startup_posts_each_services_format_retrying_a_429_and_never_shows_the_urls() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = Received::default();
    let base = webhook_server(&runtime, received.clone());
    let run = CoreStatus::new(&[
        "notify-startup",
        "--node-id",
        "e2e-node",
        "--env-file",
        "/nonexistent/core-ide.env",
    ])
    .env("CORE_SLACK_WEBHOOK_URL", format!("{base}/services/T0/B0/slacksecret"))
    .env("CORE_DISCORD_WEBHOOK_URL", format!("{base}/api/webhooks/42/discordsecret"))
    .run();
    let out = run.success();
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("slack ({base}): delivered after 1 attempt"),
            format!("discord ({base}): delivered after 2 attempts"),
        ]
    );
    assert!(!(out + &run.stderr()).contains("secret"), "webhook URLs are secrets");
    let received = received.lock().unwrap();
    let paths: Vec<&str> = received.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        ["/services/T0/B0/slacksecret", "/api/webhooks/42/discordsecret", "/api/webhooks/42/discordsecret"]
    );
    let (slack, discord) = (&received[0].1, &received[2].1);
    assert!(slack["text"].as_str().unwrap().contains("e2e-node") && slack["blocks"].is_array(), "{slack}");
    assert!(
        discord["content"].as_str().unwrap().contains("e2e-node") && discord["embeds"].is_array(),
        "{discord}"
    );
}

#[test]
fn notify_startup_without_a_webhook_posts_nothing_and_succeeds() {
    let out = CoreStatus::new(&["notify-startup"]).run().success();
    assert_eq!(
        out.trim(),
        "no notification channel: set CORE_SLACK_WEBHOOK_URL or CORE_DISCORD_WEBHOOK_URL; nothing posted"
    );
}

#[test]
fn a_webhook_url_sent_in_clear_over_the_network_is_refused_without_showing_it() {
    let run = CoreStatus::new(&["notify-startup"])
        .env("CORE_DISCORD_WEBHOOK_URL", "http://discord.example.com/api/webhooks/1/plainsecret")
        .run();
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().starts_with(
            "core-status: invalid value for discord_webhook_url (from CORE_DISCORD_WEBHOOK_URL;"
        ),
        "{}",
        run.stderr()
    );
    assert!(!(run.stdout() + &run.stderr()).contains("plainsecret"));
}

/// A password no output may show; trust authentication ignores it.
const DB_PASSWORD: &str = "pw-e2e-never-shown-91c2";

/// Fails unless `report` validates against the shipped docs/schema/status.json.
#[track_caller]
fn assert_valid_report(report: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/schema/status.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// core-status for fleet node `e2e-node` of the database at `url`, data under `dir`.
fn fleet_status(dir: &Path, url: &str, args: &[&str]) -> Run {
    let data = dir.join("data").to_string_lossy().into_owned();
    let journal = dir.join("journal").to_string_lossy().into_owned();
    let mut all =
        vec!["--env-file", "/nonexistent/core-ide.env", "--data-dir", &data, "--journal-dir", &journal];
    all.extend(args);
    CoreStatus::new(&all)
        .env("CORE_DATABASE_URL", url)
        .env("CORE_NODE_ID", "e2e-node")
        .env("CORE_REPOS", "octo/app")
        .env("CORE_GITHUB_TOKEN", TOKEN)
        .run()
}

#[test]
fn a_fleet_node_reads_its_fleet_from_the_database_and_reports_its_id_live_elsewhere() {
    use jobrunner_store::{FleetStore, PgStore};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = runtime.block_on(jobrunner_store::testing::TestDatabase::create());
    let (url, password) = jobrunner_store::testing::with_password(database.url(), DB_PASSWORD);
    let node = jobrunner_core::NodeId::new("e2e-node").unwrap();
    let ttl = Duration::from_secs(180);
    let other = runtime.block_on(async {
        let other = PgStore::connect(database.url(), &node).await.unwrap();
        other.register_node(&node, "another-machine.example", ttl).await.unwrap();
        other.heartbeat(&node).await.unwrap();
        other
    });
    let dir = tempfile::tempdir().unwrap();
    let run = fleet_status(dir.path(), &url, &["--json"]);
    assert_eq!(run.code(), 1, "fleet.E004 is an error: {}", run.stderr());
    assert!(!(run.stdout() + &run.stderr()).contains(&password), "the password shows");
    let report: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_valid_report(&report);
    let ids: Vec<&str> =
        report["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"fleet.E004"), "{ids:?}");
    assert_eq!(report["profile"]["role"], "fleet");
    assert_eq!(report["pipeline"]["store"], "ok");
    assert_eq!(report["pipeline"]["fleet"]["live_nodes"], serde_json::json!(["e2e-node"]));
    runtime.block_on(async {
        other.close().await;
        database.drop_database().await;
    });
}

#[test]
fn a_fleet_database_that_cannot_be_reached_is_one_error_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://core:{DB_PASSWORD}@127.0.0.1:{port}/core");
    let dir = tempfile::tempdir().unwrap();
    let run = fleet_status(dir.path(), &url, &["--verbose"]);
    let out = run.stdout();
    assert_eq!(run.code(), 1, "{out}{}", run.stderr());
    assert!(
        out.contains(&format!(
            "{:<17} cannot reach the fleet's database postgres://core:***@127.0.0.1:{port}/core: ",
            "fleet.E003"
        )),
        "{out}"
    );
    assert!(!out.contains("store.E001"), "reported once: {out}");
    assert!(out.contains("unknown: the fleet's database cannot be reached (see fleet.E003)"), "{out}");
    assert!(!(out + &run.stderr()).contains(DB_PASSWORD), "the password shows");
}
