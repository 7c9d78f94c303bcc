//! cleanup-orphans: stale leftovers found and deleted; records, the database and links never.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use jobrunner_status::cleanup::{CleanupOptions, OrphanKind, scan};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A file written `age` ago.
fn file(path: &Path, contents: &str, age: Duration) -> PathBuf {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
    File::options().write(true).open(path).unwrap().set_modified(SystemTime::now() - age).unwrap();
    path.to_owned()
}

struct Node {
    _root: tempfile::TempDir,
    data: PathBuf,
    journal: PathBuf,
}

fn node() -> Node {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let journal = root.path().join("journal");
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&journal).unwrap();
    Node { data: fs::canonicalize(data).unwrap(), journal: fs::canonicalize(journal).unwrap(), _root: root }
}

fn options(node: &Node, caches: bool) -> CleanupOptions {
    CleanupOptions {
        data_dir: node.data.clone(),
        journal_dir: node.journal.clone(),
        max_age: DAY,
        caches,
        now: SystemTime::now(),
    }
}

fn found(options: &CleanupOptions) -> Vec<(PathBuf, OrphanKind)> {
    scan(options).orphans.into_iter().map(|o| (o.path, o.kind)).collect()
}

#[test]
fn stale_temporary_partial_lock_and_swap_files_are_listed_and_young_ones_left() {
    let node = node();
    let tmp = file(&node.data.join("state.export.tmp"), "x", 2 * DAY);
    let part = file(&node.data.join("updates/core-ide.part"), "x", 2 * DAY);
    let lock = file(&node.journal.join("octo/app/append.lock"), "", 2 * DAY);
    let swp = file(&node.journal.join("octo/app/.2026-11-20.jsonl.swp"), "x", 2 * DAY);
    file(&node.data.join("fresh.tmp"), "x", Duration::from_secs(3600));
    file(&node.data.join("notes.txt"), "x", 2 * DAY);
    let mut expected = vec![
        (tmp, OrphanKind::Temporary),
        (part, OrphanKind::Partial),
        (lock, OrphanKind::Lock),
        (swp, OrphanKind::Swap),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(found(&options(&node, false)), expected);
}

#[test]
fn journal_records_and_the_state_database_are_never_listed() {
    let node = node();
    file(&node.journal.join("octo/app/2026-01-01.jsonl"), "", 300 * DAY);
    file(&node.data.join("state.db"), "", 300 * DAY);
    file(&node.data.join("state.db-wal.tmp"), "", 300 * DAY);
    let leftover = file(&node.journal.join("octo/app/2026-01-01.jsonl.tmp"), "", 300 * DAY);
    assert_eq!(found(&options(&node, true)), [(leftover, OrphanKind::Temporary)]);
}

#[test]
fn symbolic_links_are_neither_followed_nor_listed() {
    let node = node();
    let outside = tempfile::tempdir().unwrap();
    let victim = file(&outside.path().join("precious.tmp"), "keep me", 300 * DAY);
    std::os::unix::fs::symlink(&victim, node.data.join("link.tmp")).unwrap();
    std::os::unix::fs::symlink(outside.path(), node.data.join("elsewhere")).unwrap();
    assert_eq!(found(&options(&node, true)), []);
}

#[test]
fn empty_and_invalid_cache_files_are_listed_only_with_caches() {
    let node = node();
    let empty = file(&node.data.join("cache/releases.json"), "", 2 * DAY);
    let invalid = file(&node.data.join("cache/etags.json"), "{\"a\":", 2 * DAY);
    file(&node.data.join("cache/valid.json"), "{\"a\":1}", 2 * DAY);
    file(&node.data.join("empty-but-not-a-cache"), "", 2 * DAY);
    assert_eq!(found(&options(&node, false)), []);
    assert_eq!(
        found(&options(&node, true)),
        [(invalid, OrphanKind::InvalidCache), (empty, OrphanKind::EmptyCache)]
    );
}

#[test]
fn a_journal_directory_inside_the_data_directory_is_walked_once() {
    let node = node();
    let mut options = options(&node, false);
    options.journal_dir = node.data.join("journal");
    file(&options.journal_dir.join("octo/app/x.tmp"), "", 2 * DAY);
    assert_eq!(found(&options).len(), 1);
}

#[test]
fn delete_removes_exactly_the_orphans_listed() {
    let node = node();
    let tmp = file(&node.data.join("a.tmp"), "x", 2 * DAY);
    let record = file(&node.journal.join("octo/app/2026-01-01.jsonl"), "{}\n", 300 * DAY);
    for orphan in scan(&options(&node, true)).orphans {
        orphan.delete().unwrap();
    }
    assert!(!tmp.exists());
    assert!(record.exists());
}

#[test]
fn delete_refuses_a_file_whose_directory_became_a_link_since_the_scan() {
    let node = node();
    let dir = node.data.join("updates");
    file(&dir.join("core-ide.part"), "x", 2 * DAY);
    let orphans = scan(&options(&node, false)).orphans;
    let outside = tempfile::tempdir().unwrap();
    let victim = file(&outside.path().join("core-ide.part"), "keep me", 2 * DAY);
    fs::remove_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(outside.path(), &dir).unwrap();
    let error = orphans[0].delete().unwrap_err();
    assert_eq!(error.to_string(), "not deleted: a symbolic link appeared in its path");
    assert!(victim.exists());
}
