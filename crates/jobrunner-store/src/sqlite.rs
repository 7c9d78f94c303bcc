//! [`SqliteStore`]: the embedded store of a single node, at `<data_dir>/state.db`.
//!
//! Opening checks before it changes anything: a file that is not SQLite, a damaged database,
//! one written by a newer core-ide, or one that belongs to another node is an error naming the
//! file, and the file is left as it was. Nothing here deletes or recreates a database.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{ActionKey, CommitSha, NodeId, RepoSlug};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, Row};

use crate::columns::{bigint, json_text, parse_json, parse_node, parse_timestamp, timestamp, unsigned};
use crate::cycles::{CycleRow, EndColumns};
use crate::ledger::{KeyColumns, key_status, outcome_columns};
use crate::migrations::{SCHEMA_VERSION, migrator};
use crate::{
    CachedEtag, Claim, CycleEnd, CycleRecord, KeyStatus, NodeRecord, Outcome, Store, StoreError, cycles,
    etags, fix_commands, identity, ledger, pr_states,
};

/// The database file inside the data directory.
pub const STATE_DB_FILE: &str = "state.db";

/// How long a statement waits for another connection's write lock before failing: writes are
/// single short statements, so a longer wait means something is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Readers run concurrently in WAL mode; writers queue on the lock whatever the pool size.
/// Small, for a 2-core node.
const MAX_CONNECTIONS: u32 = 4;

/// Claim attempts when the key is released between the insert and the read of its holder.
const CLAIM_ATTEMPTS: usize = 3;

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// SQLite's primary result codes for a damaged database and for a file that is not one.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;

/// Binds an action key's five columns as `$1..$5`, on `query` and `query_as` alike.
macro_rules! bind_key {
    ($query:expr, $key:expr) => {
        $query.bind(&$key.repo).bind($key.pr).bind(&$key.action).bind(&$key.head_sha).bind(&$key.review_at)
    };
}

/// The state store of one node, in SQLite.
///
/// Writes are committed with `synchronous=FULL` in WAL mode: a claim the runner saw succeed
/// is on disk, and survives the process being killed or the machine losing power.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    node: NodeId,
}

impl SqliteStore {
    /// Opens (or creates) `<data_dir>/state.db` for `node`, creating `data_dir` (mode 0700)
    /// when missing and applying the embedded migrations. On a first open `node` becomes the
    /// store's node; a later open by another node is [`StoreError::NodeMismatch`].
    pub async fn open(data_dir: &Path, node: &NodeId) -> Result<Self, StoreError> {
        create_data_dir(data_dir)?;
        let path = data_dir.join(STATE_DB_FILE);
        let exists = check_header(&path)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            // Only a file found missing is created: one that vanishes between the check and
            // the open is an error, not an invitation to start over with an empty ledger.
            .create_if_missing(!exists)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| open_error(&path, e))?;
        Self::prepare(Self { pool, path, node: node.clone() }).await
    }

    /// A store in memory, gone when dropped: for tests and for runs that must leave no files.
    pub async fn open_in_memory(node: &NodeId) -> Result<Self, StoreError> {
        let options: SqliteConnectOptions = "sqlite::memory:".parse().expect("a constant, valid URL");
        // An in-memory database lives as long as its last connection, and a second connection
        // would share it through shared-cache locks, which fail at once instead of waiting: one
        // connection, kept forever.
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| open_error(Path::new(":memory:"), e))?;
        Self::prepare(Self { pool, path: PathBuf::from(":memory:"), node: node.clone() }).await
    }

    /// The database file (`:memory:` for an in-memory store).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Folds the write-ahead log into the database file, then closes every connection.
    /// Dropping the store also closes it, but in the background.
    pub async fn close(self) -> Result<(), StoreError> {
        // SQLite folds the log in when its last connection closes, but sqlx may finish closing
        // a pooled connection after `close` returned: checkpoint explicitly, so the file is
        // whole and quiet once this returns (for backups, and for anyone who then moves it).
        let checkpoint = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await;
        self.pool.close().await;
        checkpoint.map_err(self.failed("checkpoint the write-ahead log"))?;
        Ok(())
    }

    /// Checks, migrates and claims the opened database for the node; closes it on any error so
    /// no connection lingers on a file the caller is told to move aside.
    async fn prepare(self) -> Result<Self, StoreError> {
        let checked = async {
            self.check_integrity().await?;
            self.check_schema().await?;
            self.migrate().await?;
            self.register_node(Utc::now()).await
        };
        match checked.await {
            Ok(()) => Ok(self),
            Err(error) => {
                self.pool.close().await;
                Err(error)
            }
        }
    }

    async fn check_integrity(&self) -> Result<(), StoreError> {
        // Reads every page once: corruption found at start is an error the operator can act on,
        // found mid-cycle it would be an action half-recorded.
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("check the database"))?;
        if problems.iter().all(|line| line == "ok") {
            return Ok(());
        }
        Err(self.corrupt(problems.into_iter().take(3).collect::<Vec<_>>().join("; ")))
    }

    /// Refuses a database migrated by a newer binary, and a SQLite database that is not ours,
    /// before the migrator writes anything to it.
    async fn check_schema(&self) -> Result<(), StoreError> {
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("read the schema"))?;
        if tables.is_empty() {
            return Ok(());
        }
        if !tables.iter().any(|table| table == "_sqlx_migrations") {
            return Err(self.corrupt(format!(
                "a SQLite database with tables {} but no core-ide schema",
                tables.join(", ")
            )));
        }
        let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("read the schema version"))?;
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                Err(StoreError::NewerSchema { path: self.path.clone(), found, known: SCHEMA_VERSION })
            }
            _ => Ok(()),
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        migrator().await.run(&self.pool).await.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(error) if corruption(&error).is_some() => {
                self.failed("migrate")(error)
            }
            error => {
                StoreError::Migrate { path: self.path.clone(), known: SCHEMA_VERSION, source: error.into() }
            }
        })
    }

    /// Records the node on a fresh store, then checks the store is this node's.
    async fn register_node(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(identity::REGISTER_FIRST_NODE)
            .bind(self.node.as_str())
            .bind(timestamp(at))
            .execute(&self.pool)
            .await
            .map_err(self.failed("record the node"))?;
        let nodes: Vec<(String, String)> = sqlx::query_as(identity::NODES)
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("read the node"))?;
        match nodes.as_slice() {
            [(only, _)] if only == self.node.as_str() => Ok(()),
            [(only, _)] => Err(StoreError::NodeMismatch {
                path: self.path.clone(),
                recorded: parse_node(only)?,
                given: self.node.clone(),
            }),
            _ => Err(self.corrupt(format!("it records {} nodes; a SQLite store serves one", nodes.len()))),
        }
    }

    /// Who holds the key, if anyone.
    async fn holder(&self, key: &KeyColumns) -> Result<Option<Claim>, StoreError> {
        let row: Option<(String, String, Option<String>)> = bind_key!(sqlx::query_as(ledger::HOLDER), key)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("read an action key"))?;
        let Some((node, status, failure)) = row else { return Ok(None) };
        Ok(Some(Claim::Taken { by: parse_node(&node)?, status: key_status(&status, failure.as_deref())? }))
    }

    async fn is_confirmed(&self, key: &KeyColumns) -> Result<bool, StoreError> {
        let holder = self.holder(key).await?;
        Ok(matches!(holder, Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. })))
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt { path: self.path.clone(), detail }
    }

    /// Maps a failed statement to an error: damage to [`StoreError::Corrupt`], the rest to
    /// [`StoreError::Database`] naming what the store was doing.
    fn failed(&self, operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        move |error| match corruption(&error) {
            Some(detail) => self.corrupt(detail),
            None => StoreError::database(operation, error),
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn node(&self) -> Result<NodeRecord, StoreError> {
        let (node, created_at): (String, String) = sqlx::query_as(identity::NODE)
            .bind(self.node.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("read the node"))?;
        Ok(NodeRecord {
            id: parse_node(&node)?,
            created_at: parse_timestamp("node creation time", &created_at)?,
        })
    }

    async fn claim(&self, key: &ActionKey, node: &NodeId, at: DateTime<Utc>) -> Result<Claim, StoreError> {
        let columns = KeyColumns::of(key)?;
        let claimed_at = timestamp(at);
        for _ in 0..CLAIM_ATTEMPTS {
            let inserted = bind_key!(sqlx::query(ledger::CLAIM), columns)
                .bind(node.as_str())
                .bind(&claimed_at)
                .execute(&self.pool)
                .await
                .map_err(self.failed("claim an action key"))?
                .rows_affected();
            if inserted == 1 {
                return Ok(Claim::Claimed);
            }
            if let Some(taken) = self.holder(&columns).await? {
                return Ok(taken);
            }
            // Released between the insert and the read: the key is free again, claim anew.
        }
        Err(StoreError::ClaimContended { key: key.clone() })
    }

    async fn confirm(&self, key: &ActionKey, outcome: Outcome, at: DateTime<Utc>) -> Result<(), StoreError> {
        let columns = KeyColumns::of(key)?;
        let (status, failure) = outcome_columns(outcome);
        let updated = bind_key!(sqlx::query(ledger::CONFIRM), columns)
            .bind(status)
            .bind(failure)
            .bind(timestamp(at))
            .execute(&self.pool)
            .await
            .map_err(self.failed("confirm an action key"))?
            .rows_affected();
        match updated {
            1 => Ok(()),
            _ if self.is_confirmed(&columns).await? => Err(StoreError::AlreadyConfirmed { key: key.clone() }),
            _ => Err(StoreError::NotClaimed { key: key.clone() }),
        }
    }

    async fn release(&self, key: &ActionKey) -> Result<(), StoreError> {
        let columns = KeyColumns::of(key)?;
        let deleted = bind_key!(sqlx::query(ledger::RELEASE), columns)
            .execute(&self.pool)
            .await
            .map_err(self.failed("release an action key"))?
            .rows_affected();
        if deleted == 0 && self.is_confirmed(&columns).await? {
            return Err(StoreError::AlreadyConfirmed { key: key.clone() });
        }
        Ok(())
    }

    async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError> {
        let rows: Vec<(String, i64, String, String, String)> = sqlx::query_as(ledger::UNCONFIRMED)
            .bind(node.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("list unconfirmed action keys"))?;
        rows.into_iter()
            .map(|(repo, pr, action, head_sha, review_at)| {
                KeyColumns { repo, pr, action, head_sha, review_at }.into_key()
            })
            .collect()
    }

    async fn record_fix_command(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head_sha: &CommitSha,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(fix_commands::RECORD)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(head_sha.as_str())
            .bind(timestamp(at))
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("record a fix command"))?;
        unsigned("fix command count", count)
    }

    async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
        sqlx::query(fix_commands::RESET)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .execute(&self.pool)
            .await
            .map_err(self.failed("reset fix commands"))?;
        Ok(())
    }

    async fn fix_commands_without_progress(&self, repo: &RepoSlug, pr: u64) -> Result<u32, StoreError> {
        let count: Option<i64> = sqlx::query_scalar(fix_commands::COUNT)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("count fix commands"))?;
        unsigned("fix command count", count.unwrap_or(0))
    }

    async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(etags::GET)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("read a cached ETag"))?;
        let Some((etag, payload)) = row else { return Ok(None) };
        Ok(Some(CachedEtag { etag, payload: parse_json("cached ETag payload", &payload)? }))
    }

    async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError> {
        sqlx::query(etags::PUT)
            .bind(key)
            .bind(&value.etag)
            .bind(json_text(&value.payload))
            .execute(&self.pool)
            .await
            .map_err(self.failed("cache an ETag"))?;
        Ok(())
    }

    async fn pr_state(&self, repo: &RepoSlug, pr: u64) -> Result<Option<serde_json::Value>, StoreError> {
        let state: Option<String> = sqlx::query_scalar(pr_states::GET)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("read a PR state"))?;
        state.map(|state| parse_json("PR state", &state)).transpose()
    }

    async fn put_pr_state(
        &self,
        repo: &RepoSlug,
        pr: u64,
        state: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(pr_states::PUT)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(json_text(state))
            .execute(&self.pool)
            .await
            .map_err(self.failed("store a PR state"))?;
        Ok(())
    }

    async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let number: i64 = sqlx::query_scalar(cycles::START)
            .bind(node.as_str())
            .bind(timestamp(at))
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("start a cycle"))?;
        unsigned("cycle number", number)
    }

    async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError> {
        let end = EndColumns::of(end)?;
        let updated = sqlx::query(cycles::END)
            .bind(self.node.as_str())
            .bind(bigint("cycle", cycle)?)
            .bind(end.ended_at)
            .bind(end.outcome)
            .bind(end.failure)
            .bind(end.actions)
            .bind(end.points_spent)
            .bind(end.rate_limit_left)
            .execute(&self.pool)
            .await
            .map_err(self.failed("end a cycle"))?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::CycleNotOpen { node: self.node.clone(), cycle });
        }
        Ok(())
    }

    async fn recent_cycles(&self, node: &NodeId, limit: u32) -> Result<Vec<CycleRecord>, StoreError> {
        let rows: Vec<CycleRow> = sqlx::query_as(cycles::RECENT)
            .bind(node.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("read cycle records"))?;
        rows.into_iter().map(CycleRow::into_record).collect()
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(self.failed("read the schema version"))?;
        Ok(version.unwrap_or(0))
    }
}

impl FromRow<'_, SqliteRow> for CycleRow {
    fn from_row(row: &SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            node: row.try_get("node")?,
            number: row.try_get("number")?,
            started_at: row.try_get("started_at")?,
            ended_at: row.try_get("ended_at")?,
            outcome: row.try_get("outcome")?,
            failure: row.try_get("failure")?,
            actions: row.try_get("actions")?,
            points_spent: row.try_get("points_spent")?,
            rate_limit_left: row.try_get("rate_limit_left")?,
        })
    }
}

fn create_data_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    // The ledger and the cache are the node's business alone.
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::DataDir { path: dir.to_owned(), source })
}

/// Whether the database file exists, refusing one that is not SQLite before SQLite sees it, so
/// not a byte of it changes. An empty file passes: SQLite treats it as an empty database.
fn check_header(path: &Path) -> Result<bool, StoreError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(StoreError::Unopenable { path: path.to_owned(), source: error.into() }),
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    file.take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(|error| StoreError::Unopenable { path: path.to_owned(), source: error.into() })?;
    if header.is_empty() || header == SQLITE_HEADER {
        return Ok(true);
    }
    Err(StoreError::Corrupt { path: path.to_owned(), detail: "not a SQLite database".into() })
}

fn open_error(path: &Path, error: sqlx::Error) -> StoreError {
    match corruption(&error) {
        Some(detail) => StoreError::Corrupt { path: path.to_owned(), detail },
        None => StoreError::Unopenable { path: path.to_owned(), source: error.into() },
    }
}

/// SQLite's message when `error` says the file is damaged or not a database.
fn corruption(error: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(error) = error else { return None };
    let code: i32 = error.code()?.parse().ok()?;
    // Extended result codes carry the primary code in their low byte.
    matches!(code & 0xff, SQLITE_CORRUPT | SQLITE_NOTADB).then(|| error.message().to_owned())
}
