//! The report as `--json` prints it and as people read it.

use std::path::Path;

use chrono::TimeDelta;
use jobrunner_journal::JournalRecord;
use jobrunner_status::render::{self, RenderOptions};
use jobrunner_status::{JournalWindow, Level, StatusReport, checks, report_schema};

use crate::support::{cycle, healthy, open_store};

fn record(action: &str, pr: u64, ts: &str, dry_run: bool) -> JournalRecord {
    serde_json::from_value(serde_json::json!({
        "ts": ts, "epic": 1, "child": 2, "pr": pr, "repo": "octo/app", "action": action,
        "signals": {"pr_state": "OPEN", "is_draft": false, "check_status": "SUCCESS", "mergeable": "MERGEABLE",
                    "threads_total": 0, "threads_resolved": 0},
        "result": {"success": true, "duration_ms": 12}, "cycle": 3, "node": "node-a", "dry_run": dry_run
    }))
    .unwrap()
}

/// The healthy node after a busy morning, with a warning silenced and one left.
fn busy_report(fail_level: Level, checks_only: bool) -> StatusReport {
    let mut inputs = healthy();
    inputs.store =
        open_store(vec![cycle(42, TimeDelta::seconds(40), 12), cycle(41, TimeDelta::seconds(100), 3)]);
    inputs.journal.read = Ok(JournalWindow {
        records: vec![
            record("publish_draft", 10, "2026-11-21T23:59:00Z", false),
            record("publish_draft", 11, "2026-11-22T08:00:00Z", false),
            record("enable_auto_merge", 11, "2026-11-22T09:00:00Z", false),
            record("tick_parent", 11, "2026-11-22T10:00:00Z", false),
            record("close_child", 11, "2026-11-22T10:01:00Z", true),
        ],
        ..JournalWindow::default()
    });
    inputs.settings.enabled_handlers.retain(|h| h != "resolve_threads");
    inputs.settings.poll_interval = std::time::Duration::from_secs(5);
    inputs.settings.slack_webhook_url = None;
    let results = checks::run(&inputs, &[], &["store.I001".to_owned()]);
    StatusReport::new(&inputs, "0.1.0", results, fail_level, checks_only)
}

fn shipped_schema() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/status.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn shipped_schema_matches_the_report_type() {
    let text = serde_json::to_string_pretty(&report_schema()).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/status.json");
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "{} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p jobrunner-status` and commit it",
        path.display()
    );
}

#[test]
fn full_and_checks_only_reports_validate_against_the_shipped_schema() {
    let validator = jsonschema::validator_for(&shipped_schema()).unwrap();
    for checks_only in [false, true] {
        let value = serde_json::to_value(busy_report(Level::Error, checks_only)).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(value.get("profile").is_none(), checks_only);
    }
    let mut broken = serde_json::to_value(busy_report(Level::Error, false)).unwrap();
    broken["checks"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken), "the schema must reject an unknown level");
}

#[test]
fn the_dashboard_counts_todays_actions_by_handler_and_the_newest_rate_limit() {
    let report = busy_report(Level::Error, false);
    let pipeline = report.pipeline.unwrap();
    let today: Vec<(&str, u32)> = pipeline.actions_today.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(today, [("enable_auto_merge", 1), ("publish_draft", 1), ("tick_parent", 1)]);
    assert_eq!((pipeline.actions_today_total, pipeline.dry_run_records_today), (3, 1));
    assert_eq!((pipeline.rate_limit_left, pipeline.rate_limit_cycle), (Some(4_900), Some(42)));
    assert_eq!(pipeline.last_cycle.unwrap().number, 42);
}

#[test]
fn a_silenced_result_stays_in_json_but_out_of_the_verdict() {
    let report = busy_report(Level::Warn, false);
    let silenced: Vec<&str> = report.checks.iter().filter(|c| c.silenced).map(|c| c.id).collect();
    assert_eq!(silenced, ["store.I001"]);
    assert_eq!((report.summary.warnings, report.summary.infos, report.summary.silenced), (2, 0, 1));
    assert!(report.summary.failed, "runtime.W003 and W004 remain at --fail-level warn");
    assert!(!busy_report(Level::Error, false).summary.failed, "but not at --fail-level error");
}

#[test]
fn the_human_output_shows_profile_pipeline_chains_and_checks() {
    let text = render::human(&busy_report(Level::Error, false), RenderOptions::default());
    insta::assert_snapshot!(text, @r"
    Profile
      node id         node-a
      role            standalone
      mode            auto (headless here)
      environment     development
      version         1.0.0 (stable channel), previous 0.9.0
      repos           octo/app
      poll interval   5s
      dry-run         off
      config file     /etc/core-ide/config.toml
      env file        /etc/core-ide/core-ide.env
      data dir        /var/lib/core-ide/data
      journal dir     /var/lib/core-ide/journal

    Pipeline
      last cycle      #42 ok, 40s ago (2026-11-22T11:59:20Z): 1 action, 12 API points
      actions today   3 in the journal
                        enable_auto_merge  1
                        publish_draft      1
                        tick_parent        1
                        (dry-run records)  1
      rate limit      4,900 points left (after cycle #42)
      API use         projected 5,400 points/hour of this node's 5,000
      notifications   none

    Handlers
      priority        tick_parent, close_child, close_epic, needs_human, send_fix_command, publish_draft, enable_auto_merge
      chains          draft -> publish_draft -> enable_auto_merge -> tick_parent -> close_child -> close_epic
                      ready -> enable_auto_merge -> tick_parent -> close_child -> close_epic
                      conflict -> send_fix_command -> enable_auto_merge -> tick_parent -> close_child -> close_epic
                      review -> send_fix_command -> resolve_threads (off) -> enable_auto_merge -> tick_parent -> close_child -> close_epic  [stops at a disabled handler]
                      failing checks -> send_fix_command -> enable_auto_merge -> tick_parent -> close_child -> close_epic
                      merged -> tick_parent -> close_child -> close_epic

    Checks
      warn  runtime.W003      poll interval 5s is under 10s
                              fix: set CORE_POLL_INTERVAL to 30s or more: change detection is free, but each change costs points
      warn  runtime.W004      projected 5,400 API points/hour (7.5 per cycle over the last 2 cycles, one cycle every 5s) exceeds this node's share of the token's budget, 5,000/hour
                              fix: set CORE_POLL_INTERVAL to at least 6s, or poll fewer repositories

    0 errors, 2 warnings, 0 infos, 4 ok (1 silenced): passes --fail-level error
    ");
}

#[test]
fn colour_is_only_there_when_asked_for() {
    let report = busy_report(Level::Error, true);
    let plain = render::human(&report, RenderOptions { color: false, verbose: true });
    let coloured = render::human(&report, RenderOptions { color: true, verbose: true });
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[33mwarn \x1b[0m"), "{coloured}");
    assert!(plain.contains("ok    env.ok"), "--verbose shows ok results: {plain}");
}
