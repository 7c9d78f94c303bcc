//! [`SqliteStore`]: the embedded store of a single node, at `<data_dir>/state.db`.
//!
//! Opening checks before it changes anything: a file that is not SQLite (or is empty), a
//! damaged database, another program's, one written by a newer core-ide, one missing a table,
//! or one that belongs to another node is an error naming the file, decided on a read-only
//! connection, and the file is left as it was. Nothing here deletes or recreates a database.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::NodeId;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use crate::columns::{parse_node, timestamp};
use crate::migrations::{SCHEMA_VERSION, migrator, sqlite_tables};
use crate::statement::{Backend, SharedRow, Statement};
use crate::{DataDirLock, StoreError, identity};

/// The database file inside the data directory.
pub const STATE_DB_FILE: &str = "state.db";

/// How long a statement waits for another connection's write lock before failing: writes are
/// single short statements, so a longer wait means something is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Readers run concurrently in WAL mode; writers queue on the lock whatever the pool size.
/// Small, for a 2-core node.
const MAX_CONNECTIONS: u32 = 4;

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// SQLite's primary result codes for a damaged database and for a file that is not one.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;

/// The state store of one node, in SQLite.
///
/// Writes are committed with `synchronous=FULL` in WAL mode: a claim the runner saw succeed
/// is on disk, and survives the process being killed or the machine losing power.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    node: NodeId,
    /// The data directory's lock, held while the store is open ([`SqliteStore::open_exclusive`]).
    _lock: Option<DataDirLock>,
}

impl SqliteStore {
    /// Opens (or creates) `<data_dir>/state.db` for `node`, creating `data_dir` (mode 0700)
    /// when missing and applying the embedded migrations. On a first open `node` becomes the
    /// store's node; a later open by another node is [`StoreError::NodeMismatch`].
    pub async fn open(data_dir: &Path, node: &NodeId) -> Result<Self, StoreError> {
        create_data_dir(data_dir)?;
        Self::open_created(data_dir, node, None).await
    }

    /// [`SqliteStore::open`], holding the data directory's [`DataDirLock`] as long as the
    /// store is open: a second process on the same directory is refused with
    /// [`StoreError::DataDirBusy`] before it reads or writes anything. What a node's process
    /// uses; tests that reopen a store in one process use `open`.
    pub async fn open_exclusive(data_dir: &Path, node: &NodeId) -> Result<Self, StoreError> {
        create_data_dir(data_dir)?;
        let lock = DataDirLock::acquire(data_dir)?;
        Self::open_created(data_dir, node, Some(lock)).await
    }

    async fn open_created(
        data_dir: &Path,
        node: &NodeId,
        lock: Option<DataDirLock>,
    ) -> Result<Self, StoreError> {
        let path = data_dir.join(STATE_DB_FILE);
        let exists = check_header(&path)?;
        if exists {
            // Every refusal is decided on a read-only connection first: opening for writing
            // switches the file to WAL and rewrites header bytes, and a file refused must be
            // left exactly as it was found.
            preflight(&path, node).await?;
        }
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
        Self::prepare(Self { pool, path, node: node.clone(), _lock: lock }).await
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
        Self::prepare(Self { pool, path: PathBuf::from(":memory:"), node: node.clone(), _lock: None }).await
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

    /// Migrates and claims the opened database (checked by [`preflight`] when it existed) for
    /// the node; closes it on any error so no connection lingers on a file the caller is told
    /// to move aside.
    async fn prepare(self) -> Result<Self, StoreError> {
        let checked = async {
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

    fn corrupt(&self, detail: String) -> StoreError {
        corrupt(&self.path, detail)
    }

    fn failed(&self, operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        failed(&self.path, operation)
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn execute(&self, operation: &'static str, statement: Statement) -> Result<u64, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<SqliteArguments<'static>>().map_err(&failed)?;
        let done = sqlx::query_with(sql, arguments).execute(&self.pool).await.map_err(failed)?;
        Ok(done.rows_affected())
    }

    async fn fetch_one<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<R, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<SqliteArguments<'static>>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_one(&self.pool).await.map_err(failed)
    }

    async fn fetch_optional<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Option<R>, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<SqliteArguments<'static>>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_optional(&self.pool).await.map_err(failed)
    }

    async fn fetch_all<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<SqliteArguments<'static>>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_all(&self.pool).await.map_err(failed)
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
/// not a byte of it changes. An empty file is refused too: SQLite would take it for a new
/// database and the node would forget every key it performed. A store core-ide created is never
/// empty (switching to WAL writes its first page at once), unless its pages are all still in
/// the write-ahead log after a kill, which SQLite then reads.
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
    if header == SQLITE_HEADER {
        return Ok(true);
    }
    if header.is_empty() {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0) {
            return Ok(true);
        }
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: "an empty file (0 bytes), not a state database; a first start creates the file itself"
                .into(),
        });
    }
    Err(StoreError::Corrupt { path: path.to_owned(), detail: "not a SQLite database".into() })
}

/// Everything that refuses an existing database, on a read-only connection that cannot change a
/// byte of it: damage, another program's tables, a newer schema, a missing table, another node.
async fn preflight(path: &Path, node: &NodeId) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| open_error(path, e))?;
    let checked = async {
        check_integrity(&pool, path).await?;
        check_schema(&pool, path).await?;
        check_node(&pool, path, node).await
    }
    .await;
    pool.close().await;
    checked
}

async fn check_integrity(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    // Reads every page once: corruption found at start is an error the operator can act on,
    // found mid-cycle it would be an action half-recorded.
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(pool)
        .await
        .map_err(failed(path, "check the database"))?;
    if problems.iter().all(|line| line == "ok") {
        return Ok(());
    }
    Err(corrupt(path, problems.into_iter().take(3).collect::<Vec<_>>().join("; ")))
}

/// Refuses a database migrated by a newer binary, a SQLite database that is not ours, and one
/// of ours missing a table, before the migrator writes anything to it.
async fn check_schema(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(pool)
        .await
        .map_err(failed(path, "read the schema"))?;
    if tables.is_empty() {
        return Ok(());
    }
    if !tables.iter().any(|table| table == "_sqlx_migrations") {
        return Err(corrupt(
            path,
            format!("a SQLite database with tables {} but no core-ide schema", tables.join(", ")),
        ));
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .map_err(failed(path, "read the schema version"))?;
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { path: path.to_owned(), found, known: SCHEMA_VERSION });
    }
    // Found at start rather than as a failed statement in every cycle.
    let missing: Vec<&str> =
        sqlite_tables(found).into_iter().filter(|table| !tables.iter().any(|t| t == table)).collect();
    if !missing.is_empty() {
        return Err(corrupt(
            path,
            format!("schema version {found} without its table(s) {}", missing.join(", ")),
        ));
    }
    Ok(())
}

/// Refuses a store recorded for another node (see [`SqliteStore::open`]).
async fn check_node(pool: &SqlitePool, path: &Path, node: &NodeId) -> Result<(), StoreError> {
    let has_nodes: bool =
        sqlx::query_scalar("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'nodes'")
            .fetch_one(pool)
            .await
            .map_err(failed(path, "read the schema"))?;
    if !has_nodes {
        return Ok(());
    }
    let nodes: Vec<(String, String)> =
        sqlx::query_as(identity::NODES).fetch_all(pool).await.map_err(failed(path, "read the node"))?;
    match nodes.as_slice() {
        [] => Ok(()),
        [(only, _)] if only == node.as_str() => Ok(()),
        [(only, _)] => Err(StoreError::NodeMismatch {
            path: path.to_owned(),
            recorded: parse_node(only)?,
            given: node.clone(),
        }),
        _ => Err(corrupt(path, format!("it records {} nodes; a SQLite store serves one", nodes.len()))),
    }
}

fn corrupt(path: &Path, detail: String) -> StoreError {
    StoreError::Corrupt { path: path.to_owned(), detail }
}

/// Maps a failed statement to an error: damage to [`StoreError::Corrupt`], the rest to
/// [`StoreError::Database`] naming what the store was doing.
fn failed<'a>(path: &'a Path, operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    move |error| match corruption(&error) {
        Some(detail) => corrupt(path, detail),
        None => StoreError::database(operation, error),
    }
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
