//! `core-ide demo` as a new user runs it: the epic completes, the journal holds exactly the
//! expected records, valid against the shipped schema, each action once.

use core_ide_e2e::{CoreIde, workspace_root};
use jobrunner_journal::{ReadFilter, read_journal};

#[test]
fn the_demo_completes_the_epic_and_journals_each_action_once() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("demo-data");
    let run = CoreIde::new(&["demo", "--json", "--data-dir", &data.to_string_lossy()]).run();
    let summary: serde_json::Value = serde_json::from_str(&run.success()).expect("--json prints the summary");
    assert_eq!(summary["complete"], true);
    let actions = &summary["actions"];
    for (handler, count) in [
        ("publish_draft", 1),
        ("send_fix_command", 2),
        ("resolve_threads", 1),
        ("enable_auto_merge", 4),
        ("tick_parent", 5),
        ("close_child", 4),
    ] {
        assert_eq!(actions[handler], count, "{handler}: {summary}");
    }
    assert!(run.stderr().contains("core-ide   #10  publish_draft"), "narration on stderr: {}", run.stderr());

    let journal = read_journal(&data.join("journal"), &ReadFilter::default()).unwrap();
    assert!(journal.warnings.is_empty());
    let total: u64 = actions.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(journal.records.len() as u64, total, "one record per performed action");
    let mut seen = std::collections::BTreeSet::new();
    for record in &journal.records {
        assert!(
            seen.insert((record.pr, record.action.clone())),
            "{} acted twice on #{}",
            record.action,
            record.pr
        );
    }

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/schema/journal-record.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for record in &journal.records {
        let value = serde_json::to_value(record).unwrap();
        assert!(validator.is_valid(&value), "{value}");
    }
}
