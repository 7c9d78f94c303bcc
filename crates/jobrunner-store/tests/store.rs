//! The store as the runner sees it: keys claimed once across restarts, crashes and nodes,
//! counts and caches kept, and a database it cannot trust refused at open without being
//! touched.
//!
//! Every behaviour of the [`Store`] trait is one generic test body run against both stores
//! (`sqlite::…` and `postgres::…`, see [`both_stores!`]); what only one database can do or
//! suffer (a damaged file, twelve nodes sharing one ledger) has tests of its own below. The
//! PostgreSQL tests run against a real server, one fresh database each
//! ([`TestDatabase`]); without a server they fail, saying how to start one.

use std::io::{BufRead, BufReader, Write};
use std::ops::Deref;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use jobrunner_core::{ActionKey, CommitSha, FailureClass, NodeId, PipelineSignal, RepoSlug};
use jobrunner_store::testing::TestDatabase;
use jobrunner_store::{
    Claim, CycleEnd, CycleLog, CycleOutcome, Identity, KeyStatus, Ledger, Outcome, POSTGRES_SCHEMA_VERSION,
    PgStore, SCHEMA_VERSION, STATE_DB_FILE, SqliteStore, Store, StoreError,
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
    ActionKey {
        repo: repo(),
        pr,
        action: jobrunner_core::ActionId::parse("publish_draft"),
        head_sha: sha('a'),
        review_at: None,
    }
}

fn review_key(review_minute: u32) -> ActionKey {
    ActionKey { action: jobrunner_core::ActionId::parse("send_fix_command/review"), ..key(7) }
        .with_review(Some(ts(review_minute)))
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

/// A database the generic tests run against, kept for the whole test so stores can be
/// closed and opened on it again (a restart). Dropping it deletes it.
enum Db {
    /// A data directory of a SQLite store.
    Sqlite(tempfile::TempDir),
    /// A database of its own on the test PostgreSQL server.
    Postgres(TestDatabase),
}

impl Db {
    fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().unwrap())
    }

    async fn postgres() -> Self {
        Self::Postgres(TestDatabase::create().await)
    }

    /// A store for `node-a`, as the node opens it at start.
    async fn open(&self) -> Opened {
        match self {
            Self::Sqlite(dir) => Opened::Sqlite(open(dir.path()).await),
            Self::Postgres(database) => {
                Opened::Postgres(PgStore::connect(database.url(), &node("node-a")).await.unwrap())
            }
        }
    }

    /// Runs `sql` on the database on a connection of the test's own, as an older core-ide or
    /// a person would.
    async fn write_behind_the_store(&self, sql: &'static str) {
        match self {
            Self::Sqlite(dir) => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join(STATE_DB_FILE));
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Self::Postgres(database) => {
                let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Migrates the fresh database as an older release left it, one that knew the migrations
    /// up to SQLite `sqlite` / PostgreSQL `postgres`: this crate's migration files up to there,
    /// applied by sqlx as the embedded ones are (same checksums).
    async fn migrate_as_an_older_release(&self, sqlite: i64, postgres: i64) {
        let (dir, last) = match self {
            Self::Sqlite(_) => ("migrations", sqlite),
            Self::Postgres(_) => ("migrations/postgres", postgres),
        };
        let older = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let version = name.split('_').next().and_then(|version| version.parse::<i64>().ok());
            if version.is_some_and(|version| version <= last) {
                std::fs::copy(&path, older.path().join(name)).unwrap();
            }
        }
        let migrator = sqlx::migrate::Migrator::new(older.path()).await.unwrap();
        match self {
            Self::Sqlite(data) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(data.path().join(STATE_DB_FILE))
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                migrator.run(&pool).await.unwrap();
                close_checkpointed(pool).await;
            }
            Self::Postgres(database) => {
                let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
                migrator.run(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    fn schema_version(&self) -> i64 {
        match self {
            Self::Sqlite(_) => SCHEMA_VERSION,
            Self::Postgres(_) => POSTGRES_SCHEMA_VERSION,
        }
    }
}

/// An open store of either kind: a `dyn Store` that can also be closed.
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Opened {
    async fn close(self) {
        match self {
            Self::Sqlite(store) => store.close().await.unwrap(),
            Self::Postgres(store) => store.close().await,
        }
    }

    fn shared(self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => Arc::new(store),
            Self::Postgres(store) => Arc::new(store),
        }
    }
}

impl Deref for Opened {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        match self {
            Self::Sqlite(store) => store,
            Self::Postgres(store) => store,
        }
    }
}

/// Runs each generic test body once per store: `sqlite::<name>` and `postgres::<name>`.
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Db::sqlite()).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Db::postgres().await).await;
                }
            )*
        }
    };
}

both_stores!(
    a_claimed_key_is_taken_for_every_later_claim,
    of_concurrent_claims_of_one_key_exactly_one_wins,
    claims_survive_reopening_the_store,
    a_claim_never_confirmed_is_unconfirmed_after_a_restart_until_confirmed,
    a_released_key_can_be_claimed_again,
    a_permanent_failure_stays_recorded_and_the_key_taken,
    refused_actions_are_listed_newest_first_and_done_ones_never,
    a_key_is_confirmed_once_and_only_after_a_claim,
    a_new_review_time_on_the_same_head_is_a_new_key,
    fix_commands_count_until_progress_whatever_the_head,
    progress_gives_the_agent_its_full_budget_again,
    commands_on_a_head_count_from_one_on_each_new_head,
    a_wait_keeps_its_start_until_it_is_replaced_or_cleared,
    snapshots_read_back_as_kept_and_a_later_one_replaces_the_first,
    an_etag_cache_entry_of_an_older_release_reads_back_as_a_snapshot,
    the_claimed_signal_reads_back_as_kept_and_a_later_claim_replaces_it,
    a_claimed_signal_no_longer_readable_is_an_error_naming_the_pr_until_replaced,
    cycle_numbers_increase_across_restarts_and_records_keep_their_end,
    cycles_are_numbered_per_node,
    a_cycle_ends_once_and_only_after_it_started,
    the_node_is_recorded_once_and_the_schema_is_current,
);

// The ledger.

async fn a_claimed_key_is_taken_for_every_later_claim(db: Db) {
    let store = db.open().await;
    assert_eq!(store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap(), Claim::Claimed);
    let again = store.claim(&key(7), &node("node-b"), ts(1)).await.unwrap();
    assert_eq!(again, taken_by("node-a", KeyStatus::Claimed));
    assert_eq!(
        store.claim(&key(8), &node("node-a"), ts(1)).await.unwrap(),
        Claim::Claimed,
        "other PR, other key"
    );
}

async fn of_concurrent_claims_of_one_key_exactly_one_wins(db: Db) {
    let store = db.open().await.shared();
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

async fn claims_survive_reopening_the_store(db: Db) {
    let store = db.open().await;
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.confirm(&key(7), Outcome::Done, ts(1)).await.unwrap();
    store.close().await;

    let store = db.open().await;
    assert_eq!(
        store.claim(&key(7), &node("node-a"), ts(5)).await.unwrap(),
        taken_by("node-a", KeyStatus::Done)
    );
}

async fn a_claim_never_confirmed_is_unconfirmed_after_a_restart_until_confirmed(db: Db) {
    let store = db.open().await;
    store.claim(&key(8), &node("node-a"), ts(1)).await.unwrap();
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.claim(&key(9), &node("node-a"), ts(2)).await.unwrap();
    store.confirm(&key(9), Outcome::Done, ts(3)).await.unwrap();
    drop(store);

    let store = db.open().await;
    assert_eq!(store.unconfirmed(&node("node-a")).await.unwrap(), vec![key(7), key(8)], "oldest claim first");
    assert!(store.unconfirmed(&node("node-b")).await.unwrap().is_empty(), "per node");
    store.confirm(&key(7), Outcome::Done, ts(4)).await.unwrap();
    store.release(&key(8)).await.unwrap();
    assert!(store.unconfirmed(&node("node-a")).await.unwrap().is_empty());
}

async fn a_released_key_can_be_claimed_again(db: Db) {
    let store = db.open().await;
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    store.release(&key(7)).await.unwrap();
    assert_eq!(store.claim(&key(7), &node("node-a"), ts(1)).await.unwrap(), Claim::Claimed);
    store.release(&key(99)).await.unwrap();
}

async fn a_permanent_failure_stays_recorded_and_the_key_taken(db: Db) {
    let store = db.open().await;
    store.claim(&key(7), &node("node-a"), ts(0)).await.unwrap();
    let failed = Outcome::Failed { class: FailureClass::Validation };
    store.confirm(&key(7), failed, ts(1)).await.unwrap();
    let release = store.release(&key(7)).await.unwrap_err();
    assert!(matches!(release, StoreError::AlreadyConfirmed { .. }), "{release}");
    store.close().await;

    let store = db.open().await;
    let claim = store.claim(&key(7), &node("node-a"), ts(2)).await.unwrap();
    assert_eq!(claim, taken_by("node-a", KeyStatus::Failed { class: FailureClass::Validation }));
}

async fn refused_actions_are_listed_newest_first_and_done_ones_never(db: Db) {
    let store = db.open().await;
    for (pr, outcome) in [
        (7, Outcome::Failed { class: FailureClass::Permanent }),
        (8, Outcome::Done),
        (9, Outcome::Failed { class: FailureClass::Forbidden }),
    ] {
        store.claim(&key(pr), &node("node-a"), ts(0)).await.unwrap();
        store.confirm(&key(pr), outcome, ts(u32::try_from(pr).unwrap())).await.unwrap();
    }
    store.claim(&key(10), &node("node-a"), ts(0)).await.unwrap();
    let refused = store.refused_since(ts(0), 20).await.unwrap();
    let listed: Vec<(u64, FailureClass)> = refused.iter().map(|r| (r.key.pr, r.class)).collect();
    assert_eq!(listed, [(9, FailureClass::Forbidden), (7, FailureClass::Permanent)]);
    assert_eq!(refused[0].at, ts(9));
    assert_eq!(store.refused_since(ts(8), 20).await.unwrap().len(), 1, "only since the given time");
    assert_eq!(store.refused_since(ts(0), 1).await.unwrap().len(), 1, "at most the limit");
}

async fn a_key_is_confirmed_once_and_only_after_a_claim(db: Db) {
    let store = db.open().await;
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

async fn a_new_review_time_on_the_same_head_is_a_new_key(db: Db) {
    let store = db.open().await;
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

async fn fix_commands_count_until_progress_whatever_the_head(db: Db) {
    let store = db.open().await;
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 0, "none sent");
    assert_eq!(store.record_fix_command(&repo(), 7, &sha('a'), "review", ts(0)).await.unwrap(), 1);
    assert_eq!(
        store.record_fix_command(&repo(), 7, &sha('a'), "review", ts(1)).await.unwrap(),
        2,
        "same head"
    );
    assert_eq!(
        store.record_fix_command(&repo(), 7, &sha('b'), "review", ts(2)).await.unwrap(),
        3,
        "a new head that needs another command is no progress"
    );
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 3);
    assert_eq!(store.fix_commands_without_progress(&repo(), 8).await.unwrap(), 0, "per PR");
}

async fn progress_gives_the_agent_its_full_budget_again(db: Db) {
    let store = db.open().await;
    store.record_fix_command(&repo(), 7, &sha('a'), "review", ts(0)).await.unwrap();
    store.record_fix_command(&repo(), 7, &sha('b'), "review", ts(1)).await.unwrap();
    store.close().await;

    let store = db.open().await;
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 2, "kept across restarts");
    store.reset_fix_commands(&repo(), 7).await.unwrap();
    assert_eq!(store.fix_commands_without_progress(&repo(), 7).await.unwrap(), 0);
    assert_eq!(
        store.record_fix_command(&repo(), 7, &sha('b'), "review", ts(2)).await.unwrap(),
        1,
        "counted anew"
    );
    store.reset_fix_commands(&repo(), 99).await.unwrap();
}

async fn commands_on_a_head_count_from_one_on_each_new_head(db: Db) {
    let store = db.open().await;
    store.record_fix_command(&repo(), 7, &sha('a'), "ci 00ff", ts(0)).await.unwrap();
    store.record_fix_command(&repo(), 7, &sha('a'), "ci 00ff/resend", ts(30)).await.unwrap();
    let sent = store.fix_commands().await.unwrap();
    assert_eq!(
        (sent[0].on_head, sent[0].without_progress, sent[0].rule.as_str(), sent[0].last_sent_at),
        (2, 2, "ci 00ff/resend", ts(30))
    );
    store.record_fix_command(&repo(), 7, &sha('b'), "review", ts(40)).await.unwrap();
    let sent = store.fix_commands().await.unwrap();
    assert_eq!((sent[0].on_head, sent[0].without_progress, sent[0].head_sha.clone()), (1, 3, sha('b')));
}

async fn a_wait_keeps_its_start_until_it_is_replaced_or_cleared(db: Db) {
    use jobrunner_core::WaitingOn;
    use jobrunner_store::PrWait;

    let store = db.open().await;
    let wait = |on, since| PrWait {
        repo: repo(),
        pr: 7,
        on,
        head_sha: sha('a'),
        since: ts(since),
        reason: "merge waits for checks".to_owned(),
    };
    store.put_wait(&wait(WaitingOn::Checks, 0)).await.unwrap();
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.waits().await.unwrap(), vec![wait(WaitingOn::Checks, 0)], "kept across restarts");
    store.put_wait(&wait(WaitingOn::Person, 9)).await.unwrap();
    assert_eq!(store.waits().await.unwrap(), vec![wait(WaitingOn::Person, 9)], "one wait per PR");
    store.clear_wait(&repo(), 7).await.unwrap();
    assert!(store.waits().await.unwrap().is_empty());
}

// Caches.

async fn snapshots_read_back_as_kept_and_a_later_one_replaces_the_first(db: Db) {
    let store = db.open().await;
    let key = "github/octo/app";
    assert_eq!(store.snapshot(key).await.unwrap(), None);
    store.keep_snapshot(key, &json!({"prs": [7, 8], "etag": "W/\"a1\""})).await.unwrap();
    assert_eq!(store.snapshot(key).await.unwrap(), Some(json!({"prs": [7, 8], "etag": "W/\"a1\""})));
    store.keep_snapshot(key, &json!({"prs": [7], "etag": "W/\"b2\""})).await.unwrap();
    store.close().await;

    let store = db.open().await;
    assert_eq!(store.snapshot(key).await.unwrap(), Some(json!({"prs": [7], "etag": "W/\"b2\""})));
}

async fn an_etag_cache_entry_of_an_older_release_reads_back_as_a_snapshot(db: Db) {
    // The last schema with the `etags` table: SQLite 2, PostgreSQL 4.
    db.migrate_as_an_older_release(2, 4).await;
    db.write_behind_the_store(
        r#"INSERT INTO etags (cache_key, etag, payload) VALUES ('github/octo/app', '', '{"prs": [7]}')"#,
    )
    .await;
    let store = db.open().await;
    assert_eq!(store.schema_version().await.unwrap(), db.schema_version(), "migrated");
    assert_eq!(store.snapshot("github/octo/app").await.unwrap(), Some(json!({"prs": [7]})));
}

// Claimed signals.

/// The signal of PR 7 on head `a` with `threads` review threads, as a claim keeps it.
fn signal(threads: u32) -> PipelineSignal {
    serde_json::from_value(json!({
        "repo_owner": "octo", "repo_name": "app", "epic_number": 1, "child_number": 3,
        "pr_number": 7, "pr_state": "OPEN", "is_draft": false, "mergeable": "MERGEABLE",
        "check_status": "SUCCESS", "threads_total": threads, "threads_resolved": 0,
        "last_commit_sha": "a".repeat(40), "last_commit_at": "2026-11-21T09:00:00Z",
        "last_review_at": null, "child_open": true, "parent_ticked": false,
        "auto_merge_enabled": false, "has_fix_commit_after_review": false
    }))
    .unwrap()
}

async fn the_claimed_signal_reads_back_as_kept_and_a_later_claim_replaces_it(db: Db) {
    let store = db.open().await;
    assert_eq!(store.claimed_signal(&repo(), 7).await.unwrap(), None);
    store.keep_claimed_signal(&repo(), 7, &signal(2)).await.unwrap();
    store.keep_claimed_signal(&repo(), 7, &signal(0)).await.unwrap();
    store.close().await;

    let store = db.open().await;
    assert_eq!(store.claimed_signal(&repo(), 7).await.unwrap(), Some(signal(0)), "kept across restarts");
    assert_eq!(store.claimed_signal(&repo(), 8).await.unwrap(), None);
}

async fn a_claimed_signal_no_longer_readable_is_an_error_naming_the_pr_until_replaced(db: Db) {
    let store = db.open().await;
    // What an older core-ide kept before the signal took its current shape.
    db.write_behind_the_store(
        r#"INSERT INTO pr_states (repo, pr, state) VALUES ('octo/app', 7, '{"head": "a"}')"#,
    )
    .await;
    let error = store.claimed_signal(&repo(), 7).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::ClaimedSignalUnreadable { repo: r, pr: 7, .. } if *r == repo()),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("the signal kept when octo/app#7 was last claimed is unreadable ("),
        "{error}"
    );
    store.keep_claimed_signal(&repo(), 7, &signal(0)).await.unwrap();
    assert_eq!(
        store.claimed_signal(&repo(), 7).await.unwrap(),
        Some(signal(0)),
        "replaced at the next claim"
    );
}

// Cycles.

async fn cycle_numbers_increase_across_restarts_and_records_keep_their_end(db: Db) {
    let store = db.open().await;
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
    store.close().await;

    let store = db.open().await;
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

async fn cycles_are_numbered_per_node(db: Db) {
    let store = db.open().await;
    assert_eq!(store.start_cycle(&node("node-a"), ts(0)).await.unwrap(), 1);
    assert_eq!(store.start_cycle(&node("node-b"), ts(0)).await.unwrap(), 1);
    assert_eq!(store.start_cycle(&node("node-a"), ts(1)).await.unwrap(), 2);
    assert!(store.recent_cycles(&node("node-c"), 5).await.unwrap().is_empty());
}

async fn a_cycle_ends_once_and_only_after_it_started(db: Db) {
    let store = db.open().await;
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

// Identity.

async fn the_node_is_recorded_once_and_the_schema_is_current(db: Db) {
    let store = db.open().await;
    assert_eq!(store.node().await.unwrap().id, node("node-a"));
    assert_eq!(store.schema_version().await.unwrap(), db.schema_version());
    let created = store.node().await.unwrap().created_at;
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.node().await.unwrap().created_at, created, "recorded once");
}

// Opening a SQLite store.

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
    let path = dir.path().join(STATE_DB_FILE);
    let before = std::fs::read(&path).unwrap();
    let error = SqliteStore::open(dir.path(), &node("node-b")).await.unwrap_err();
    assert!(std::fs::read(&path).unwrap() == before, "a refused store is left untouched");
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

    let before = std::fs::read(&path).unwrap();

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(error.to_string().contains("tables photos but no core-ide schema"), "{error}");
    assert!(std::fs::read(&path).unwrap() == before, "not a byte changed: no switch to WAL either");
}

#[tokio::test]
async fn an_empty_state_file_is_refused_like_a_corrupt_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    std::fs::write(&path, b"").unwrap();
    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(matches!(&error, StoreError::Corrupt { path: p, .. } if *p == path), "{error:?}");
    assert!(error.to_string().contains("an empty file (0 bytes)"), "{error}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left as it was");

    let fresh = tempfile::tempdir().unwrap();
    let store =
        SqliteStore::open(fresh.path(), &node("node-a")).await.expect("a first start creates the file");
    store.close().await.unwrap();
    assert!(std::fs::metadata(fresh.path().join(STATE_DB_FILE)).unwrap().len() > 0);
    open(fresh.path()).await;
}

#[tokio::test]
async fn a_store_missing_a_table_is_refused_at_start_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_DB_FILE);
    open(dir.path()).await.close().await.unwrap();
    let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    sqlx::query("DROP TABLE fix_commands").execute(&pool).await.unwrap();
    close_checkpointed(pool).await;
    let before = std::fs::read(&path).unwrap();

    let error = SqliteStore::open(dir.path(), &node("node-a")).await.unwrap_err();
    assert!(matches!(&error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains(&format!("schema version {SCHEMA_VERSION} without its table(s) fix_commands")),
        "{error}"
    );
    assert!(std::fs::read(&path).unwrap() == before, "not a byte changed");
}

#[tokio::test]
async fn a_sqlite_database_migrated_by_a_newer_binary_is_refused_and_left_untouched() {
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

// PostgreSQL: many nodes, one database.

async fn connect(database: &TestDatabase, id: &str) -> PgStore {
    PgStore::connect(database.url(), &node(id)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_nodes_racing_for_the_same_200_keys_claim_each_exactly_once() {
    const NODES: usize = 12;
    const KEYS: u64 = 200;
    let database = TestDatabase::create().await;
    // Connecting together also races the migration of the fresh database: it runs once.
    let mut connecting = tokio::task::JoinSet::new();
    for n in 0..NODES {
        let url = database.url().to_owned();
        connecting
            .spawn(async move { (n, PgStore::connect(&url, &node(&format!("node-{n}"))).await.unwrap()) });
    }
    let mut stores: Vec<(usize, PgStore)> = connecting.join_all().await;
    stores.sort_by_key(|(n, _)| *n);

    let barrier = Arc::new(tokio::sync::Barrier::new(NODES));
    let mut racing = tokio::task::JoinSet::new();
    for (n, store) in stores {
        let barrier = Arc::clone(&barrier);
        racing.spawn(async move {
            // Every node walks the keys from another starting point, half of them backwards.
            let start = n as u64 * 17;
            let mut order: Vec<u64> = (0..KEYS).map(|i| (start + i) % KEYS + 1).collect();
            if n % 2 == 1 {
                order.reverse();
            }
            let me = node(&format!("node-{n}"));
            barrier.wait().await;
            let mut won = Vec::new();
            for pr in order {
                match store.claim(&key(pr), &me, ts(0)).await.unwrap() {
                    Claim::Claimed => won.push(pr),
                    Claim::Taken { status: KeyStatus::Claimed, .. } => {}
                    other @ Claim::Taken { .. } => panic!("PR {pr}: {other:?}"),
                }
            }
            store.close().await;
            (me, won)
        });
    }
    let results = racing.join_all().await;

    let mut winners = std::collections::BTreeMap::new();
    for (me, won) in &results {
        for pr in won {
            assert!(winners.insert(*pr, me.clone()).is_none(), "PR {pr} claimed twice");
        }
    }
    assert_eq!(winners.len(), 200, "every key claimed once");
    let checker = connect(&database, "node-check").await;
    for (pr, winner) in &winners {
        let claim = checker.claim(&key(*pr), &node("node-check"), ts(1)).await.unwrap();
        assert_eq!(claim, Claim::Taken { by: winner.clone(), status: KeyStatus::Claimed }, "PR {pr}");
    }
    let mut unconfirmed = 0;
    for (me, won) in &results {
        let listed = checker.unconfirmed(me).await.unwrap();
        assert_eq!(listed.len(), won.len(), "{me}");
        unconfirmed += listed.len();
    }
    assert_eq!(unconfirmed, 200);
    checker.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn nodes_of_a_fleet_share_one_ledger_and_keep_their_own_records() {
    let database = TestDatabase::create().await;
    let a = connect(&database, "node-a").await;
    let b = connect(&database, "node-b").await;
    assert_eq!(a.claim(&key(7), &node("node-a"), ts(0)).await.unwrap(), Claim::Claimed);
    assert_eq!(
        b.claim(&key(7), &node("node-b"), ts(1)).await.unwrap(),
        taken_by("node-a", KeyStatus::Claimed)
    );
    a.confirm(&key(7), Outcome::Done, ts(2)).await.unwrap();
    assert_eq!(b.claim(&key(7), &node("node-b"), ts(3)).await.unwrap(), taken_by("node-a", KeyStatus::Done));
    assert_eq!(b.claim(&key(8), &node("node-b"), ts(3)).await.unwrap(), Claim::Claimed);
    assert_eq!(a.unconfirmed(&node("node-b")).await.unwrap(), vec![key(8)]);
    assert_eq!(a.node().await.unwrap().id, node("node-a"));
    assert_eq!(b.node().await.unwrap().id, node("node-b"), "each node is recorded");
    assert_eq!(b.start_cycle(&node("node-b"), ts(4)).await.unwrap(), 1);
    assert_eq!(a.start_cycle(&node("node-a"), ts(4)).await.unwrap(), 1, "cycles are numbered per node");
    let end =
        CycleEnd { at: ts(5), outcome: CycleOutcome::Ok, actions: 1, points_spent: 2, rate_limit_left: None };
    b.end_cycle(1, &end).await.unwrap();
    assert_eq!(a.recent_cycles(&node("node-b"), 5).await.unwrap()[0].end, Some(end));
    a.close().await;
    b.close().await;
    database.drop_database().await;
}

/// The migrations recorded and the nodes known: what a refused open must leave as it was.
async fn schema_and_nodes(url: &str) -> (Vec<(i64, bool)>, Vec<String>) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let migrations = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    let nodes = sqlx::query_scalar("SELECT node FROM nodes ORDER BY node").fetch_all(&pool).await.unwrap();
    pool.close().await;
    (migrations, nodes)
}

#[tokio::test]
async fn a_postgres_database_migrated_by_a_newer_binary_is_refused_and_left_untouched() {
    let database = TestDatabase::create().await;
    connect(&database, "node-a").await.close().await;
    let future = POSTGRES_SCHEMA_VERSION + 1;
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from a newer core-ide', TRUE, '\\x00'::bytea, 0)",
    )
    .bind(future)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let before = schema_and_nodes(database.url()).await;

    let error = PgStore::connect(database.url(), &node("node-b")).await.unwrap_err();
    assert!(
        matches!(error, StoreError::PostgresNewerSchema { found, known: POSTGRES_SCHEMA_VERSION, .. } if found == future),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "the PostgreSQL database {} has schema version {future}, newer than version \
             {POSTGRES_SCHEMA_VERSION} this core-ide knows: upgrade core-ide on this node (a fleet's \
             nodes run the same release)",
            redacted(database.url())
        )
    );
    assert_eq!(schema_and_nodes(database.url()).await, before, "nothing changed, node-b not recorded");
    database.drop_database().await;
}

#[tokio::test]
async fn a_postgres_database_of_another_program_is_refused() {
    let database = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    sqlx::query("CREATE TABLE photos (id BIGINT)").execute(&pool).await.unwrap();

    let error = PgStore::connect(database.url(), &node("node-a")).await.unwrap_err();
    assert!(matches!(error, StoreError::PostgresForeign { .. }), "{error:?}");
    assert!(error.to_string().contains("has tables (photos) but no core-ide schema"), "{error}");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tables, ["photos"], "no table created");
    pool.close().await;
    database.drop_database().await;
}

const SECRET: &str = "hunter2-s3cret";

/// `url` with its password masked, as errors show it.
fn redacted(url: &str) -> String {
    match password_of(url) {
        Some(password) => url.replacen(&format!(":{password}@"), ":***@", 1),
        None => url.to_owned(),
    }
}

/// The password in the user info of `url`, if any.
fn password_of(url: &str) -> Option<&str> {
    let authority = &url[url.find("://")? + 3..];
    let authority = &authority[..authority.find('/').unwrap_or(authority.len())];
    let user_info = &authority[..authority.rfind('@')?];
    Some(&user_info[user_info.find(':')? + 1..])
}

#[tokio::test]
async fn connection_errors_and_debug_output_never_show_the_password() {
    // Nothing listens on port 1 of the loopback interface.
    let refused = format!("postgres://core:{SECRET}@127.0.0.1:1/fleet");
    let error = PgStore::connect(&refused, &node("node-a")).await.unwrap_err();
    assert!(matches!(error, StoreError::PostgresUnreachable { .. }), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown
            .starts_with("cannot connect to the PostgreSQL database postgres://core:***@127.0.0.1:1/fleet: "),
        "{shown}"
    );
    for bad in [
        refused.clone(),
        format!("postgres://core:{SECRET}@127.0.0.1:port/fleet"),
        format!("postgres://core@127.0.0.1:1/fleet?password={SECRET}&sslmode=sometimes"),
        format!("postgres://core:{SECRET}@127.0.0.1:1/fleet?unknown_parameter={SECRET}"),
    ] {
        let error = PgStore::connect(&bad, &node("node-a")).await.unwrap_err();
        let mut chain = vec![error.to_string(), format!("{error:?}")];
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            chain.push(format!("{cause} {cause:?}"));
            source = cause.source();
        }
        for text in chain {
            assert!(!text.contains(SECRET), "{bad} shows its password: {text}");
        }
    }

    // A store on a real server, given a password (the test server's own, or one it ignores).
    let database = TestDatabase::create().await;
    let (url, secret) = match password_of(database.url()) {
        Some(password) => (database.url().to_owned(), password.to_owned()),
        None => (
            format!(
                "{}{}password={SECRET}",
                database.url(),
                if database.url().contains('?') { '&' } else { '?' }
            ),
            SECRET.to_owned(),
        ),
    };
    let store = PgStore::connect(&url, &node("node-a")).await.unwrap();
    assert!(!format!("{store:?}").contains(&secret), "{store:?}");
    assert!(!store.url().contains(&secret), "{}", store.url());
    let missing = url.replacen(database.name(), "core_ide_test_missing", 1);
    let error = PgStore::connect(&missing, &node("node-a")).await.unwrap_err();
    assert!(error.to_string().contains("core_ide_test_missing"), "{error}");
    assert!(!format!("{error} {error:?}").contains(&secret), "{error:?}");
    store.close().await;
    database.drop_database().await;
}

// A crash between claim and effect, for real: a child process claims keys in a loop and
// prints each one once `claim` returned; the parent kills it with SIGKILL mid-stream. The
// child finds its store in this variable: `sqlite:<data dir>` or `postgres:<url>`.

const CHILD_STORE_VAR: &str = "STORE_CRASH_CHILD_STORE";

#[test]
fn a_killed_sqlite_claimer_loses_no_claim_it_saw_committed() {
    if let Ok(store) = std::env::var(CHILD_STORE_VAR) {
        claim_forever(&store);
    }
    let dir = tempfile::tempdir().unwrap();
    kill_a_claimer(
        "a_killed_sqlite_claimer_loses_no_claim_it_saw_committed",
        &format!("sqlite:{}", dir.path().display()),
    );
}

#[test]
fn a_killed_postgres_claimer_loses_no_claim_it_saw_committed() {
    if let Ok(store) = std::env::var(CHILD_STORE_VAR) {
        claim_forever(&store);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = runtime.block_on(TestDatabase::create());
    kill_a_claimer(
        "a_killed_postgres_claimer_loses_no_claim_it_saw_committed",
        &format!("postgres:{}", database.url()),
    );
    runtime.block_on(database.drop_database());
}

fn kill_a_claimer(test: &str, store: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture"])
        .env(CHILD_STORE_VAR, store)
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
        let store = open_child_store(store).await;
        let unconfirmed = store.unconfirmed(&node("node-a")).await.unwrap();
        for pr in &printed {
            assert!(unconfirmed.contains(&key(*pr)), "claim of PR {pr} lost");
            let claim = store.claim(&key(*pr), &node("node-b"), ts(59)).await.unwrap();
            assert_eq!(claim, taken_by("node-a", KeyStatus::Claimed), "PR {pr}");
        }
        store.close().await;
    });
}

async fn open_child_store(store: &str) -> Opened {
    if let Some(dir) = store.strip_prefix("sqlite:") {
        return Opened::Sqlite(open(Path::new(dir)).await);
    }
    let url = store.strip_prefix("postgres:").expect("sqlite:<dir> or postgres:<url>");
    Opened::Postgres(PgStore::connect(url, &node("node-a")).await.unwrap())
}

fn claimed_pr(line: &str) -> Option<u64> {
    line.strip_prefix("claimed ")?.parse().ok()
}

fn claim_forever(store: &str) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = open_child_store(store).await;
        let mut stdout = std::io::stdout();
        for pr in 1.. {
            assert_eq!(store.claim(&key(pr), &node("node-a"), ts(0)).await.unwrap(), Claim::Claimed);
            writeln!(stdout, "claimed {pr}").unwrap();
            stdout.flush().unwrap();
        }
        unreachable!()
    })
}
