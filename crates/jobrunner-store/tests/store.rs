//! The store as the runner sees it: keys claimed once across restarts and crashes, counts and
//! caches kept, and a database it cannot trust refused at open without being touched.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use jobrunner_core::{ActionKey, CommitSha, FailureClass, NodeId, RepoSlug};
use jobrunner_store::{
    CachedEtag, Claim, CycleEnd, CycleOutcome, KeyStatus, Outcome, SCHEMA_VERSION, STATE_DB_FILE,
    SqliteStore, Store, StoreError,
};
use serde_json::json;

fn node(id: &str) -> NodeId {
    NodeId::new(id).unwrap()
}

fn ts(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, minute, 0).unwrap()
}

fn sha(digit: char) -> CommitSha {
    CommitSha::new(digit.to_string().repeat(40)).unwrap()
}

fn repo() -> RepoSlug {
    RepoSlug::parse("octo/app").unwrap()
}

fn key(pr: u64) -> ActionKey {
    ActionKey { repo: repo(), pr, action: "publish_draft".into(), head_sha: sha('a'), review_at: None }
}

fn review_key(review_minute: u32) -> ActionKey {
    ActionKey { action: "send_fix_command/review".into(), ..key(7) }.with_review(Some(ts(review_minute)))
}

async fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir, &node("node-a")).await.unwrap()
}

/// Closes a pool of the test's own with the write-ahead log folded in, so the database file
/// alone holds everything before the store under test opens it.
async fn close_checkpointed(pool: sqlx::SqlitePool) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
    pool.close().await;
}

fn taken_by(by: &str, status: KeyStatus) -> Claim {
    Claim::Taken { by: node(by), status }
}

// The ledger.

#[tokio::test]
async fn a_claimed_key_is_taken_for_every_later_claim() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    assert_eq!(store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap(), Claim::Claimed);
    let again = store.claim(&key(7), &node("node-b"), ts(1)).await.unwrap();
    assert_eq!(again, taken_by("node-a", KeyStatus::Claimed));
    assert_eq!(
        store.claim(&key(8), &node("node-a"), ts(1)).await.unwrap(),
        Claim::Claimed,
        "other PR, other key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_claims_of_one_key_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(open(dir.path()).await);
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let claims: Vec<_> = (0..8)
        .map(|task| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                store.claim(&key(7), &node(&format!("node-{task}")), ts(0)).await.unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for claim in claims {
        results.push(claim.await.unwrap());
    }
    let winners = results.iter().filter(|claim| **claim == Claim::Claimed).count();
    assert_eq!(winners, 1, "{results:?}");
}

#[tokio::test]
async fn claims_survive_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.confirm(&key(7), Outcome::Done, ts(1)).await.unwrap();
    store.close().await.unwrap();

    let store = open(dir.path()).await;
    assert_eq!(
        store.claim(&key(7), &node("node-a"), ts(5)).await.unwrap(),
        taken_by("node-a", KeyStatus::Done)
    );
}

#[tokio::test]
async fn a_claim_never_confirmed_is_unconfirmed_after_a_restart_until_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.claim(&key(8), &node("node-a"), ts(1)).await.unwrap();
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.claim(&key(9), &node("node-a"), ts(2)).await.unwrap();
    store.confirm(&key(9), Outcome::Done, ts(3)).await.unwrap();
    drop(store);

    let store = open(dir.path()).await;
    assert_eq!(store.unconfirmed(&node("node-a")).await.unwrap(), vec![key(7), key(8)], "oldest claim first");
    assert!(store.unconfirmed(&node("node-b")).await.unwrap().is_empty(), "per node");
    store.confirm(&key(7), Outcome::Done, ts(4)).await.unwrap();
    store.release(&key(8)).await.unwrap();
    assert!(store.unconfirmed(&node("node-a")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_released_key_can_be_claimed_again() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.release(&key(7)).await.unwrap();
    assert_eq!(store.claim(&key(7), &node("node-a"), ts(1)).await.unwrap(), Claim::Claimed);
    store.release(&key(99)).await.unwrap();
}

#[tokio::test]
async fn a_permanent_failure_stays_recorded_and_the_key_taken() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    let failed = Outcome::Failed { class: FailureClass::Validation };
    store.confirm(&key(7), failed, ts(1)).await.unwrap();
    let release = store.release(&key(7)).await.unwrap_err();
    assert!(matches!(release, StoreError::AlreadyConfirmed { .. }), "{release}");
    store.close().await.unwrap();

    let store = open(dir.path()).await;
    let claim = store.claim(&key(7), &node("node-a"), ts(2)).await.unwrap();
    assert_eq!(claim, taken_by("node-a", KeyStatus::Failed { class: FailureClass::Validation }));
}

#[tokio::test]
async fn a_key_is_confirmed_once_and_only_after_a_claim() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    let unclaimed = store.confirm(&key(7), Outcome::Done, ts(0)).await.unwrap_err();
    assert_eq!(
        unclaimed.to_string(),
        format!("cannot confirm {}: it is not claimed; claim a key before confirming it", key(7))
    );
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.confirm(&key(7), Outcome::Done, ts(1)).await.unwrap();
    let twice = store.confirm(&key(7), Outcome::Done, ts(2)).await.unwrap_err();
    assert!(matches!(twice, StoreError::AlreadyConfirmed { .. }), "{twice}");
}

#[tokio::test]
async fn a_new_review_time_on_the_same_head_is_a_new_key() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    assert_eq!(store.claim(&review_key(0), &node("node-a"), ts(1)).await.unwrap(), Claim::Claimed);
    assert_eq!(
        store.claim(&review_key(0), &node("node-a"), ts(2)).await.unwrap(),
        taken_by("node-a", KeyStatus::Claimed)
    );
    assert_eq!(store.claim(&review_key(5), &node("node-a"), ts(6)).await.unwrap(), Claim::Claimed);
    let without_review = ActionKey { review_at: None, ..review_key(0) };
    assert_eq!(store.claim(&without_review, &node("node-a"), ts(7)).await.unwrap(), Claim::Claimed);
    let listed = store.unconfirmed(&node("node-a")).await.unwrap();
    assert_eq!(listed, vec![review_key(0), review_key(5), without_review], "review times read back");
}

// Fix commands.

#[tokio::test]
async fn fix_commands_count_until_progress_whatever_the_head() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 0, "none sent");
    assert_eq!(store.record_fix_command(&repo(), 7, &sha('a'), ts(0)).await.unwrap(), 1);
    assert_eq!(store.record_fix_command(&repo(), 7, &sha('a'), ts(1)).await.unwrap(), 2, "same head");
    assert_eq!(
        store.record_fix_command(&repo(), 7, &sha('b'), ts(2)).await.unwrap(),
        3,
        "a new head that needs another command is no progress"
    );
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 3);
    assert_eq!(store.fix_commands_without_progress(&repo(), 8).await.unwrap(), 0, "per PR");
}

#[tokio::test]
async fn progress_gives_the_agent_its_full_budget_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.record_fix_command(&repo(), 7, &sha('a'), ts(0)).await.unwrap();
    store.record_fix_command(&repo(), 7, &sha('b'), ts(1)).await.unwrap();
    store.close().await.unwrap();

    let store = open(dir.path()).await;
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 2, "kept across restarts");
    store.reset_fix_commands(&repo(), 7).await.unwrap();
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 0);
    assert_eq!(store.record_fix_command(&repo(), 7, &sha('b'), ts(2)).await.unwrap(), 1, "counted anew");
    store.reset_fix_commands(&repo(), 99).await.unwrap();
}

// Caches.

#[tokio::test]
async fn etags_read_back_as_stored_and_a_put_replaces_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let url = "repos/octo/app/pulls?state=open&page=1";
    assert_eq!(store.etag(url).await.unwrap(), None);
    let first = CachedEtag { etag: "W/\"a1\"".into(), payload: json!({"prs": [7, 8], "next": null}) };
    store.put_etag(url, &first).await.unwrap();
    assert_eq!(store.etag(url).await.unwrap(), Some(first));
    let second = CachedEtag { etag: "W/\"b2\"".into(), payload: json!({"prs": [7], "next": "page=2"}) };
    store.put_etag(url, &second).await.unwrap();
    store.close().await.unwrap();

    let store = open(dir.path()).await;
    assert_eq!(store.etag(url).await.unwrap(), Some(second));
}

#[tokio::test]
async fn pr_state_reads_back_as_stored_and_a_put_replaces_it() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    assert_eq!(store.pr_state(&repo(), 7).await.unwrap(), None);
    store.put_pr_state(&repo(), 7, &json!({"head": "a", "threads": 2})).await.unwrap();
    store.put_pr_state(&repo(), 7, &json!({"head": "b", "threads": 0})).await.unwrap();
    assert_eq!(store.pr_state(&repo(), 7).await.unwrap(), Some(json!({"head": "b", "threads": 0})));
    assert_eq!(store.pr_state(&repo(), 8).await.unwrap(), None);
}

// Cycles.

#[tokio::test]
async fn cycle_numbers_increase_across_restarts_and_records_keep_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let first = store.start_cycle(&node("node-a"), ts(0)).await.unwrap();
    let end = CycleEnd {
        at: ts(1),
        outcome: CycleOutcome::Failed {
            class: FailureClass::RateLimited { retry_after: std::time::Duration::from_secs(60) },
        },
        actions: 3,
        points_spent: 12,
        rate_limit_left: Some(4_988),
    };
    store.end_cycle(first, &end).await.unwrap();
    let crashed = store.start_cycle(&node("node-a"), ts(2)).await.unwrap();
    store.close().await.unwrap();

    let store = open(dir.path()).await;
    let third = store.start_cycle(&node("node-a"), ts(3)).await.unwrap();
    let quiet =
        CycleEnd { at: ts(4), outcome: CycleOutcome::Ok, actions: 0, points_spent: 0, rate_limit_left: None };
    store.end_cycle(third, &quiet).await.unwrap();
    assert_eq!((first, crashed, third), (1, 2, 3));

    let records = store.recent_cycles(&node("node-a"), 10).await.unwrap();
    let summary: Vec<_> = records.iter().map(|r| (r.number, r.started_at, r.end)).collect();
    assert_eq!(summary, vec![(3, ts(3), Some(quiet)), (2, ts(2), None), (1, ts(0), Some(end))]);
    assert_eq!(store.recent_cycles(&node("node-a"), 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn cycles_are_numbered_per_node() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    assert_eq!(store.start_cycle(&node("node-a"), ts(0)).await.unwrap(), 1);
    assert_eq!(store.start_cycle(&node("node-b"), ts(0)).await.unwrap(), 1);
    assert_eq!(store.start_cycle(&node("node-a"), ts(1)).await.unwrap(), 2);
    assert!(store.recent_cycles(&node("node-c"), 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cycle_ends_once_and_only_after_it_started() {
    let store = SqliteStore::open_in_memory(&node("node-a")).await.unwrap();
    let end = CycleEnd {
        at: ts(1),
        outcome: CycleOutcome::Interrupted,
        actions: 0,
        points_spent: 0,
        rate_limit_left: None,
    };
    let never_started = store.end_cycle(1, &end).await.unwrap_err();
    assert_eq!(
        never_started.to_string(),
        "cycle 1 of node node-a is not open: end each cycle start_cycle returned, once"
    );
    let cycle = store.start_cycle(&node("node-a"), ts(0)).await.unwrap();
    store.end_cycle(cycle, &end).await.unwrap();
    assert!(matches!(store.end_cycle(cycle, &end).await, Err(StoreError::CycleNotOpen { cycle: 1, .. })));
}

// Opening.

#[tokio::test]
async fn the_first_node_to_open_a_store_is_its_node() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested/data");
    let store = SqliteStore::open(&data_dir, &node("node-a")).await.unwrap();
    assert_eq!(store.path(), data_dir.join(STATE_DB_FILE));
    assert_eq!(store.node().await.unwrap().id, node("node-a"));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory is private");
    }
    let created = store.node().await.unwrap().created_at;
    store.close().await.unwrap();
    let store = open(&data_dir).await;
    assert_eq!(store.node().await.unwrap().created_at, created, "recorded once");
}

#[tokio::test]
async fn another_node_cannot_open_a_nodes_store() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).await.close().await.unwrap();
    let error = SqliteStore::open(dir.path(), &node("node-b")).await.unwrap_err();
    let path = dir.path().join(STATE_DB_FILE);
    assert_eq!(
        error.to_string(),
        format!(
            "{} belongs to node node-a, not node-b: run with --node-id node-a or use another --data-dir",
            path.display()
        )
    );
    open(dir.path()).await;
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_corrupt_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    let garbage: Vec<u8> = (0..=255u8).cycle().take(8192).collect();
    std::fs::write(&path, &garbage).unwrap();

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(matches!(&error, StoreError::Corrupt { path: p, .. } if *p == path), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{} is not a usable core-ide state database", path.display())),
        "{message}"
    );
    assert!(message.contains("move it aside"), "{message}");
    assert!(std::fs::read(&path).unwrap() == garbage, "not a byte changed");
}

#[tokio::test]
async fn a_damaged_sqlite_database_is_corrupt_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for pr in 1..=300 {
        store.claim(&key(pr), &node("node-a"), ts(0)).await.unwrap();
    }
    store.close().await.unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // Keep the header page, scribble over every page after it.
    for byte in bytes.iter_mut().skip(4096) {
        *byte = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(matches!(&error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(std::fs::read(&path).unwrap() == bytes, "not a byte changed");
}

#[tokio::test]
async fn a_sqlite_database_of_another_program_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    let other = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(other).await.unwrap();
    sqlx::query("CREATE TABLE photos (id BIGINT)").execute(&pool).await.unwrap();
    close_checkpointed(pool).await;

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(error.to_string().contains("tables photos but no core-ide schema"), "{error}");
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_binary_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    open(dir.path()).await.close().await.unwrap();
    let future = SCHEMA_VERSION + 1;
    let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from a newer core-ide', TRUE, X'00', 0)",
    )
    .bind(future)
    .execute(&pool)
    .await
    .unwrap();
    close_checkpointed(pool).await;
    let before = std::fs::read(&path).unwrap();

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(
        matches!(error, StoreError::NewerSchema { found, known: SCHEMA_VERSION, .. } if found == future),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{} has schema version {future}, newer than version {SCHEMA_VERSION} this core-ide knows: \
             upgrade core-ide or use another --data-dir",
            path.display()
        )
    );
    assert!(std::fs::read(&path).unwrap() == before, "not a byte changed");
}

#[tokio::test]
async fn a_data_dir_that_cannot_be_created_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let error = SqliteStore::open(&file.join("data"), &node("node-a")).await.unwrap_err();
    assert!(matches!(&error, StoreError::DataDir { path, .. } if *path == file.join("data")), "{error:?}");
    assert!(error.to_string().contains("--data-dir"), "{error}");
}

// A crash between claim and effect, for real: a child process claims keys in a loop and
// prints each one once `claim` returned; the parent kills it with SIGKILL mid-stream.

const CHILD_DIR_VAR: &str = "STORE_CRASH_CHILD_DIR";

#[test]
fn a_killed_claimer_loses_no_claim_it_saw_committed() {
    if let Ok(dir) = std::env::var(CHILD_DIR_VAR) {
        claim_forever(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["a_killed_claimer_loses_no_claim_it_saw_committed", "--exact", "--nocapture"])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    let mut lines = stdout.lines();
    while printed.len() < 100 {
        let line = lines.next().expect("child exited before claiming 100 keys").unwrap();
        printed.extend(claimed_pr(&line));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Lines already in the pipe were committed too.
    printed.extend(lines.map_while(Result::ok).filter_map(|line| claimed_pr(&line)));

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = open(dir.path()).await;
        let unconfirmed = store.unconfirmed(&node("node-a")).await.unwrap();
        for pr in &printed {
            assert!(unconfirmed.contains(&key(*pr)), "claim of PR {pr} lost");
            let claim = store.claim(&key(*pr), &node("node-b"), ts(59)).await.unwrap();
            assert_eq!(claim, taken_by("node-a", KeyStatus::Claimed), "PR {pr}");
        }
    });
}

fn claimed_pr(line: &str) -> Option<u64> {
    line.strip_prefix("claimed ")?.parse().ok()
}

fn claim_forever(dir: &Path) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = open(dir).await;
        let mut stdout = std::io::stdout();
        for pr in 1.. {
            assert_eq!(store.claim(&key(pr), &node("node-a"), ts(0)).await.unwrap(), Claim::Claimed);
            writeln!(stdout, "claimed {pr}").unwrap();
            stdout.flush().unwrap();
        }
        unreachable!()
    })
}
