//! The journal as its users see it: records written, read back, schema-valid, crash-safe.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use jobrunner_core::{CheckStatus, Mergeable, NodeId, PrState, RepoSlug};
use jobrunner_journal::{
    FsyncPolicy, JournalRecord, JournalWriter, ReadFilter, ReadWarning, RecordResult, SignalSnapshot,
    read_journal, record_schema,
};

fn ts(day: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, minute, 0).unwrap()
}

fn record(repo: &str, pr: u64, at: DateTime<Utc>) -> JournalRecord {
    JournalRecord {
        ts: at,
        epic: 1,
        child: 3,
        pr,
        repo: RepoSlug::parse(repo).unwrap(),
        action: "publish_draft".into(),
        signals: SignalSnapshot {
            pr_state: PrState::Open,
            is_draft: true,
            check_status: CheckStatus::Success,
            mergeable: Mergeable::Mergeable,
            threads_total: 2,
            threads_resolved: 2,
        },
        result: RecordResult { success: true, duration_ms: 41 },
        cycle: 12,
        node: NodeId::new("node-a").unwrap(),
        dry_run: false,
        body_sha256_before: None,
        body_sha256_after: None,
    }
}

fn read_all(dir: &Path) -> (Vec<JournalRecord>, Vec<ReadWarning>) {
    let outcome = read_journal(dir, &ReadFilter::default()).unwrap();
    (outcome.records, outcome.warnings)
}

#[test]
fn records_land_in_owner_repo_date_files_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::PerRecord);
    let first = writer.append(&record("octo/app", 7, ts(21, 5))).unwrap();
    writer.append(&record("octo/app", 8, ts(22, 1))).unwrap();
    writer.append(&record("other/lib", 9, ts(22, 0))).unwrap();
    assert_eq!(first, dir.path().join("octo/app/2026-11-21.jsonl"));
    let (records, warnings) = read_all(dir.path());
    assert!(warnings.is_empty(), "{warnings:?}");
    let prs: Vec<u64> = records.iter().map(|r| r.pr).collect();
    assert_eq!(prs, vec![7, 9, 8], "ordered by timestamp");
}

#[test]
fn filters_by_repo_and_since_date() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::Never);
    for (repo, pr, at) in
        [("octo/app", 1, ts(20, 0)), ("octo/app", 2, ts(22, 0)), ("other/lib", 3, ts(22, 0))]
    {
        writer.append(&record(repo, pr, at)).unwrap();
    }
    let filter =
        ReadFilter { repo: Some(RepoSlug::parse("octo/app").unwrap()), since: Some(ts(21, 0).date_naive()) };
    let prs: Vec<u64> = read_journal(dir.path(), &filter).unwrap().records.iter().map(|r| r.pr).collect();
    assert_eq!(prs, vec![2]);
}

#[test]
fn repository_names_are_one_repository_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::Never);
    let path = writer.append(&record("Octo/App", 1, ts(20, 0))).unwrap();
    assert_eq!(path, dir.path().join("octo/app/2026-11-20.jsonl"), "one directory per GitHub repository");
    // A journal a release before canonical names wrote under its configured spelling.
    let old = dir.path().join("OCTO/APP");
    std::fs::create_dir_all(&old).unwrap();
    let line =
        serde_json::to_string(&record("octo/app", 2, ts(21, 0))).unwrap().replace("octo/app", "OCTO/APP");
    std::fs::write(old.join("2026-11-21.jsonl"), line + "\n").unwrap();
    let filter = ReadFilter { repo: Some(RepoSlug::parse("Octo/app").unwrap()), since: None };
    let outcome = read_journal(dir.path(), &filter).unwrap();
    let read: Vec<(u64, String)> = outcome.records.iter().map(|r| (r.pr, r.repo.to_string())).collect();
    assert_eq!(read, [(1, "octo/app".to_owned()), (2, "octo/app".to_owned())]);
}

#[test]
fn an_unusable_journal_directory_is_found_before_any_append_and_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let writer = JournalWriter::new(file.join("journal"), FsyncPolicy::PerRecord);
    let error = writer.check_writable().unwrap_err();
    let chain: Vec<String> = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect();
    let line = chain.join(": ");
    assert!(
        line.starts_with(&format!("journal create directory {}: ", file.join("journal").display())),
        "{line}"
    );
    assert_eq!(line.matches("os error").count(), 1, "the OS error once: {line}");
    assert!(line.contains("--journal-dir"), "{line}");

    let usable = JournalWriter::new(dir.path().join("journal"), FsyncPolicy::PerRecord);
    usable.check_writable().unwrap();
    assert_eq!(std::fs::read_dir(dir.path().join("journal")).unwrap().count(), 0, "the probe is removed");
}

#[test]
fn a_directory_named_like_a_journal_file_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::Never);
    writer.append(&record("octo/app", 1, ts(21, 0))).unwrap();
    let odd = dir.path().join("octo/app/2026-11-22.jsonl");
    std::fs::create_dir(&odd).unwrap();
    let (records, warnings) = read_all(dir.path());
    assert_eq!(records.len(), 1, "the other files are still read");
    assert_eq!(warnings, vec![ReadWarning::NotAFile { path: odd }]);
}

#[test]
fn a_missing_journal_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (records, warnings) = read_all(&dir.path().join("never-written"));
    assert!(records.is_empty() && warnings.is_empty());
}

#[test]
fn torn_last_line_is_skipped_and_the_next_append_lands_intact() {
    let dir = tempfile::tempdir().unwrap();
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::PerRecord);
    let path = writer.append(&record("octo/app", 1, ts(22, 0))).unwrap();
    let torn = &serde_json::to_string(&record("octo/app", 2, ts(22, 1))).unwrap()[..50];
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(torn.as_bytes()).unwrap();

    let (records, warnings) = read_all(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(warnings, vec![ReadWarning::TornLine { path: path.clone(), line: 2 }]);

    writer.append(&record("octo/app", 3, ts(22, 2))).unwrap();
    let (records, warnings) = read_all(dir.path());
    assert_eq!(records.iter().map(|r| r.pr).collect::<Vec<_>>(), vec![1, 3]);
    assert!(matches!(&warnings[..], [ReadWarning::UnreadableLine { line: 2, .. }]), "{warnings:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3, "the torn fragment stays on its own line");
}

#[test]
fn written_records_validate_against_the_shipped_schema() {
    let schema = shipped_schema("journal-record.schema.json");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = JournalWriter::new(dir.path(), FsyncPolicy::PerRecord)
        .append(&record("octo/app", 7, ts(22, 0)))
        .unwrap();
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(path).unwrap().trim_end()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&line).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    let mut broken = line.clone();
    broken["signals"]["mergeable"] = "MAYBE".into();
    broken.as_object_mut().unwrap().remove("node");
    assert!(!validator.is_valid(&broken), "the schema must reject a bad enum and a missing field");
}

#[test]
fn shipped_schemas_match_their_types() {
    check_schema_file("journal-record.schema.json", &record_schema());
    let signal = serde_json::to_value(jobrunner_core::signal_schema()).unwrap();
    check_schema_file("pipeline-signal.schema.json", &signal);
}

// A crash mid-append, for real: a child process appends in a loop and is killed with SIGKILL.

const CHILD_DIR_VAR: &str = "JOURNAL_CRASH_CHILD_DIR";

#[test]
fn killed_writer_never_corrupts_later_records() {
    if let Ok(dir) = std::env::var(CHILD_DIR_VAR) {
        append_forever(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["killed_writer_never_corrupts_later_records", "--exact", "--nocapture"])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The child says "appending" once 200 records are on disk; kill it while it keeps going.
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    while !line.contains("appending") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "child exited before appending");
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let (before, _) = read_all(dir.path());
    assert!(before.len() >= 200);
    let writer = JournalWriter::new(dir.path(), FsyncPolicy::PerRecord);
    writer.append(&record("octo/app", 999_999, ts(22, 59))).unwrap();
    let (after, warnings) = read_all(dir.path());
    assert_eq!(after.len(), before.len() + 1, "no record lost: {warnings:?}");
    assert_eq!(after.last().unwrap().pr, 999_999);
    assert!(warnings.len() <= 1, "at most the one line the kill tore: {warnings:?}");
}

fn append_forever(dir: &Path) -> ! {
    let writer = JournalWriter::new(dir, FsyncPolicy::Never);
    for pr in 1.. {
        writer.append(&record("octo/app", pr, ts(22, 0))).unwrap();
        if pr == 200 {
            println!("appending");
            std::io::stdout().flush().unwrap();
        }
    }
    unreachable!()
}

fn schema_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema").join(name)
}

fn shipped_schema(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(schema_path(name)).unwrap()).unwrap()
}

/// Fails when the shipped schema differs from the one generated from the type; rerun with
/// `UPDATE_SCHEMAS=1` to rewrite it. Both shipped schemas are checked here, the one crate that sees both types.
fn check_schema_file(name: &str, generated: &serde_json::Value) {
    let text = serde_json::to_string_pretty(generated).unwrap() + "\n";
    let path = schema_path(name);
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "{} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p jobrunner-journal` and commit it",
        path.display()
    );
}
