//! `core-ide simulate`, `journal` and `config` as a user runs them.

use std::path::Path;

use core_ide_e2e::{CoreIde, workspace_root};
use serde_json::Value;

const EXAMPLE: &str = "docs/examples/signals.json";

fn simulate_json(file: &str) -> Vec<Value> {
    let out = CoreIde::new(&["simulate", "--signals", file, "--json"]).run().success();
    serde_json::from_str(&out).expect("--json prints JSON")
}

fn write_temp(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn simulate_decides_the_example_file_as_the_handler_table_says() {
    let actions: Vec<(u64, Option<String>)> = simulate_json(EXAMPLE)
        .iter()
        .map(|d| (d["pr"].as_u64().unwrap(), d["action"].as_str().map(str::to_owned)))
        .collect();
    let expected = [
        (12, Some("tick_parent")),
        (13, Some("close_child")),
        (14, Some("send_fix_command")),
        (15, Some("resolve_threads")),
        (16, Some("send_fix_command")),
        (17, Some("publish_draft")),
        (18, None),
        (19, Some("enable_auto_merge")),
        (20, None),
        (21, None),
        (22, None),
        (23, Some("publish_draft")),
        (24, None),
        (25, Some("enable_auto_merge")),
        (26, Some("enable_auto_merge")),
        (27, Some("enable_auto_merge")),
        (28, Some("enable_auto_merge")),
        (29, None),
        (30, None),
        (31, Some("publish_draft")),
        (32, None),
    ];
    let expected: Vec<_> = expected.iter().map(|(pr, a)| (*pr, a.map(str::to_owned))).collect();
    assert_eq!(actions, expected);
}

#[test]
fn simulate_json_shape_is_repo_pr_action_reason_and_whom_a_waiting_pr_waits_on() {
    let decisions = simulate_json(EXAMPLE);
    for decision in &decisions {
        let keys: Vec<&str> = decision.as_object().unwrap().keys().map(String::as_str).collect();
        if decision["waiting_on"].is_null() {
            assert_eq!(keys, ["action", "pr", "reason", "repo"], "{decision}");
        } else {
            assert_eq!(keys, ["action", "pr", "reason", "repo", "waiting_on"], "{decision}");
            assert!(decision["action"].is_null(), "only a PR nothing acts on waits: {decision}");
        }
        assert!(decision["repo"].is_string() && decision["pr"].is_u64() && decision["reason"].is_string());
        assert!(decision["action"].is_string() || decision["action"].is_null());
    }
    assert!(decisions.iter().any(|d| d["waiting_on"] == "checks"), "the example has a PR waiting on CI");
}

#[test]
fn simulate_says_how_long_a_remembered_wait_has_lasted() {
    let example: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(workspace_root().join(EXAMPLE)).unwrap()).unwrap();
    let decisions = simulate_json(EXAMPLE);
    let (index, waits) = decisions
        .iter()
        .enumerate()
        .find(|(_, d)| d["waiting_on"] == "checks")
        .map(|(i, d)| (i, d["waiting_on"].clone()))
        .unwrap();
    let mut signal = example[index].clone();
    signal["memory"] = serde_json::json!({
        "observed_at": "2026-03-02T11:05:00Z",
        "waiting": { "on": waits, "since": "2026-03-02T10:00:00Z" },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "remembered.json", &Value::Array(vec![signal]).to_string());
    let decision = &simulate_json(&file)[0];
    assert_eq!(decision["waited_secs"], 3900, "{decision}");
    assert!(decision["reason"].as_str().unwrap().ends_with("(waiting on checks for 1h 5m)"), "{decision}");
}

#[test]
fn simulate_prints_decisions_and_effects_for_people() {
    let out = CoreIde::new(&["simulate", "--signals", EXAMPLE]).run().success();
    insta::assert_snapshot!(out, @r#"
    octo/app#12  tick_parent        PR merged and child #2 is unticked in epic #1
                                    -> edit the body of epic #1
    octo/app#13  close_child        PR merged, epic #1 ticked, child #3 still open
                                    -> close issue #3 as completed
    octo/app#14  send_fix_command   PR conflicts with its base branch
                                    -> comment on #14: "fix merge conflict" and the key's marker
    octo/app#15  resolve_threads    the agent answered the review and checks pass: 2 of 2 unresolved threads outdated or answered
                                    -> resolve 2 review threads
    octo/app#16  send_fix_command   1 unresolved review thread and no commit since the latest review
                                    -> comment on #16: "fix the code reviews" and the key's marker
    octo/app#17  publish_draft      draft with checks SUCCESS
                                    -> mark ready for review
    octo/app#18  -                  draft waits for checks SUCCESS (checks PENDING)
    octo/app#19  enable_auto_merge  CLEAN, checks pass: merge now (squash)
                                    -> merge (squash) at 0000000000000000000000000000000000024bbd
    octo/app#20  -                  mergeability UNKNOWN: GitHub is still computing it; looking again next cycle
    octo/app#21  -                  merge waits for checks (required checks PENDING; GitHub refuses auto-merge on a UNSTABLE PR)
    octo/app#22  -                  auto-merge armed: waiting for GitHub to merge
    octo/app#23  publish_draft      draft with checks SUCCESS
                                    -> mark ready for review
    octo/app#24  -                  flow complete: PR merged, epic ticked, child closed
    octo/app#25  enable_auto_merge  BLOCKED: arm auto-merge (squash) so GitHub merges once it can
                                    -> enable auto-merge (squash) at 1919191919191919191919191919191919191919
    octo/app#26  enable_auto_merge  CLEAN, checks pass: add to the merge queue
                                    -> add to the merge queue at 1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a
    octo/app#27  enable_auto_merge  BEHIND its base: update the branch
                                    -> update the branch from 1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b
    octo/app#28  enable_auto_merge  a reviewer requested changes: withdraw the auto-merge this pipeline armed
                                    -> disable auto-merge
    octo/app#29  -                  stopped: a stop label is on the PR; remove it to let the pipeline act
    octo/app#30  -                  out of scope: closes no child of an open epic, not authored by an agent in agent_logins, no scope_label
    octo/app#31  publish_draft      draft with no checks configured
                                    -> mark ready for review
    octo/app#32  -                  BLOCKED and the repository does not allow auto-merge: waiting (allow auto-merge in the repository's settings to have GitHub merge it)
    "#);
}

#[test]
fn simulate_uses_configured_handlers_texts_and_merge_method() {
    let out =
        CoreIde::new(&["simulate", "--signals", EXAMPLE, "--handlers", "send_fix_command,enable_auto_merge"])
            .env("CORE_CONFLICT_COMMAND", "@agent please rebase")
            .env("CORE_MERGE_METHOD", "merge")
            .run()
            .success();
    assert!(out.contains("-> comment on #14: \"@agent please rebase\""), "{out}");
    assert!(out.contains("-> merge (merge) at "), "{out}");
    assert!(out.contains("-> enable auto-merge (merge) at "), "{out}");
    assert!(out.contains("publish_draft would act (draft with checks SUCCESS) but is disabled"), "{out}");
}

#[test]
fn example_signals_validate_against_the_shipped_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/schema/pipeline-signal.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let signals: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace_root().join(EXAMPLE)).unwrap()).unwrap();
    for signal in signals.as_array().unwrap() {
        let errors: Vec<String> = validator.iter_errors(signal).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let mut bad = signals[0].clone();
    bad["pr_state"] = "REOPENED".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn invalid_signal_files_exit_2_with_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace_root().join(EXAMPLE)).unwrap()).unwrap();
    let with = |index: usize, field: &str, value: Value| {
        let mut signals = example.clone();
        signals[index][field] = value;
        signals.to_string()
    };
    let mut missing = example.clone();
    missing[4].as_object_mut().unwrap().remove("check_status");
    let cases = [
        (
            "not-json",
            "this is not json".to_owned(),
            "invalid signal at $: the file is not JSON: expected ident",
        ),
        ("object", "{}".to_owned(), "invalid signal at $: invalid type: map, expected a sequence"),
        (
            "enum",
            with(2, "mergeable", "MAYBE".into()),
            "invalid signal at $[2].mergeable: unknown variant `MAYBE`",
        ),
        ("missing", missing.to_string(), "invalid signal at $[4]: missing field `check_status`"),
        (
            "repo",
            with(1, "repo_name", "..".into()),
            "invalid signal at $[1].repo_name: invalid repository name \"..\"",
        ),
        (
            "sha",
            with(0, "last_commit_sha", "abc".into()),
            "invalid signal at $[0].last_commit_sha: invalid commit SHA",
        ),
        (
            "unknown-field",
            with(3, "title", "Fix it".into()),
            "invalid signal at $[3].title: unknown field `title`",
        ),
        (
            "counts",
            with(3, "threads_resolved", 1.into()),
            "invalid signal at $[3]: unresolved_threads lists 2 threads",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_temp(dir.path(), &format!("{name}.json"), &text);
        let run = CoreIde::new(&["simulate", "--signals", &path]).run();
        assert_eq!(run.code(), 2, "{name}: {}", run.stderr());
        assert!(run.stderr().starts_with(&format!("core-ide: {expected}")), "{name}: {}", run.stderr());
        assert_eq!(run.stderr().lines().count(), 1, "{name}: one line");
        assert!(run.stdout().is_empty());
    }
}

#[test]
fn bad_configuration_exits_2_naming_key_value_and_source() {
    let run = CoreIde::new(&["config"]).env("CORE_POLL_INTERVAL", "fortnightly").run();
    assert_eq!(run.code(), 2);
    assert_eq!(
        run.stderr(),
        "core-ide: invalid value \"fortnightly\" for poll_interval (from CORE_POLL_INTERVAL): expected a duration such as 30s, 5m or 1h, between 1s and 24h\n"
    );
    let missing = CoreIde::new(&["--config", "/nonexistent/core-ide.toml", "config"]).run();
    assert_eq!(missing.code(), 2);
    assert!(
        missing
            .stderr()
            .starts_with("core-ide: cannot read config file /nonexistent/core-ide.toml (from --config)")
    );
}

#[test]
fn config_layers_file_env_and_flags_and_redacts_the_token() {
    let run = CoreIde::new(&["config", "--repos", "octo/app"]);
    let config_dir = run.home.path().join(".config/core-ide");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "poll_interval = \"2m\"\nrepos = [\"octo/lib\"]\ndry_run = true\n",
    )
    .unwrap();
    let run = run
        .env("CORE_DRY_RUN", "false")
        .env("CORE_GITHUB_TOKEN", "ghp_e2e_token_value")
        .env("GITHUB_TOKEN", "ghp_other_token_value")
        .run();
    let out = run.success();
    assert!(!out.contains("ghp_e2e_token_value") && !out.contains("ghp_other_token_value"), "{out}");
    assert!(out.contains("# github token: set from CORE_GITHUB_TOKEN (redacted)"), "{out}");
    let line = |key: &str| out.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap().to_owned();
    assert!(
        line("poll_interval").starts_with("poll_interval = \"2m\"")
            && line("poll_interval").contains("# config file")
    );
    assert!(line("repos").starts_with("repos = [\"octo/app\"]") && line("repos").ends_with("# --repos"));
    assert!(line("dry_run").starts_with("dry_run = false") && line("dry_run").ends_with("# CORE_DRY_RUN"));
    assert!(line("handlers").ends_with("# default"));
}

#[test]
fn journal_prints_records_and_warns_about_torn_lines() {
    use chrono::{TimeZone, Utc};
    use jobrunner_core::{CheckStatus, Mergeable, NodeId, PrState, RepoSlug};
    use jobrunner_journal::{FsyncPolicy, JournalRecord, JournalWriter, RecordResult, SignalSnapshot};

    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::PerRecord);
    let record = |repo: &str, pr: u64, day: u32| JournalRecord {
        ts: Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).unwrap(),
        epic: 1,
        child: 2,
        pr,
        repo: RepoSlug::parse(repo).unwrap(),
        action: "enable_auto_merge".into(),
        signals: SignalSnapshot {
            pr_state: PrState::Open,
            is_draft: false,
            check_status: CheckStatus::Success,
            mergeable: Mergeable::Mergeable,
            threads_total: 0,
            threads_resolved: 0,
        },
        result: RecordResult { success: true, duration_ms: 12 },
        cycle: 3,
        node: NodeId::new("node-a").unwrap(),
        dry_run: false,
        body_sha256_before: None,
        body_sha256_after: None,
    };
    writer.append(&record("octo/app", 7, 20)).unwrap();
    let file = writer.append(&record("octo/app", 8, 21)).unwrap();
    writer.append(&record("octo/lib", 9, 21)).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(b"{\"ts\":\"2026-11-21T0")
        .unwrap();

    let dir_arg = dir.path().to_string_lossy().into_owned();
    let run = CoreIde::new(&[
        "journal",
        "--dir",
        &dir_arg,
        "--repo",
        "octo/app",
        "--since",
        "2026-11-21",
        "--json",
    ])
    .run();
    let records: Vec<Value> = serde_json::from_str(&run.success()).unwrap();
    assert_eq!(records.iter().map(|r| r["pr"].as_u64().unwrap()).collect::<Vec<_>>(), [8]);
    assert!(run.stderr().contains("warning: skipped torn last line 2 of"), "{}", run.stderr());

    let human = CoreIde::new(&["journal", "--dir", &dir_arg]).run().success();
    assert_eq!(human.lines().count(), 3, "{human}");
    assert!(
        human.lines().next().unwrap().starts_with("2026-11-20T08:00:00Z  octo/app#7  enable_auto_merge"),
        "{human}"
    );

    let bad = CoreIde::new(&["journal", "--dir", &dir_arg, "--since", "yesterday"]).run();
    assert_eq!(bad.code(), 2);
}

#[test]
fn journal_output_escapes_terminal_control_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("octo/app");
    std::fs::create_dir_all(&app).unwrap();
    let record = r#"{"ts":"2026-11-20T08:00:00Z","epic":1,"child":2,"pr":7,"repo":"octo/app","action":"publish_draft\u001b]0;owned\u0007\u001b[2J\u009b31m","signals":{"pr_state":"OPEN","is_draft":true,"check_status":"SUCCESS","mergeable":"MERGEABLE","threads_total":0,"threads_resolved":0},"result":{"success":true,"duration_ms":3},"cycle":1,"node":"node-a","dry_run":false}"#;
    std::fs::write(app.join("2026-11-20.jsonl"), format!("{record}\n")).unwrap();
    // A directory name carrying an escape sequence, holding a line that is not a record.
    let hostile = dir.path().join("\u{1b}[31mevil/app");
    std::fs::create_dir_all(&hostile).unwrap();
    std::fs::write(hostile.join("2026-11-20.jsonl"), "not a record\n").unwrap();

    let dir_arg = dir.path().to_string_lossy().into_owned();
    let human = CoreIde::new(&["journal", "--dir", &dir_arg]).run();
    let json = CoreIde::new(&["journal", "--dir", &dir_arg, "--json"]).run();
    for run in [&human, &json] {
        for output in [run.stdout(), run.stderr()] {
            assert!(!output.contains(['\u{1b}', '\u{7}', '\u{9b}']), "a raw control character: {output:?}");
        }
    }
    assert!(
        human.success().contains(r"publish_draft\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m"),
        "{}",
        human.stdout()
    );
    assert!(human.stderr().contains(r"\u{1b}[31mevil"), "{}", human.stderr());
    let records: Vec<Value> = serde_json::from_str(&json.success()).unwrap();
    assert_eq!(
        records[0]["action"], "publish_draft\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m",
        "still the same JSON value"
    );
}

use std::io::Write as _;
