//! What can go wrong in the store, each case naming the value and the fix.

use std::error::Error;
use std::fmt::Display;
use std::path::PathBuf;

use jobrunner_core::{ActionKey, NodeId, RepoSlug};

/// The cause of a database failure, kept opaque so callers never depend on sqlx.
pub type DatabaseCause = Box<dyn Error + Send + Sync + 'static>;

/// A store operation that failed.
///
/// Every variant is a reason to stop acting: the runner fails closed on any store error rather
/// than perform an action it could not key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}; create it or choose another with --data-dir")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why it could not be created.
        source: std::io::Error,
    },
    /// Another process holds the data directory: one process per standalone store.
    #[error(
        "the data directory {dir} is in use by {}: stop it first (a --once run beside the service \
         would settle its actions in flight), or give this run another --data-dir",
        holder.map_or_else(|| "another core-ide process".to_owned(), |pid| format!("another core-ide process (PID {pid})"))
    )]
    DataDirBusy {
        /// The directory.
        dir: PathBuf,
        /// The PID the holder wrote into the lock file, when it could be read.
        holder: Option<u32>,
    },
    /// The database file could not be opened or read.
    #[error(
        "cannot open the state database {path}: {source}; check its owner, its permissions and free disk space"
    )]
    Unopenable {
        /// The database file.
        path: PathBuf,
        /// Why it could not be opened.
        source: DatabaseCause,
    },
    /// The database file is not a SQLite database, is damaged, or belongs to something else.
    #[error(
        "{path} is not a usable core-ide state database ({detail}): move it aside to start with an \
         empty store (which forgets the actions already performed) or restore it from a backup"
    )]
    Corrupt {
        /// The database file, left untouched.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The database was migrated by a newer core-ide than this one.
    #[error(
        "{path} has schema version {found}, newer than version {known} this core-ide knows: \
         upgrade core-ide or use another --data-dir"
    )]
    NewerSchema {
        /// The database file, left untouched.
        path: PathBuf,
        /// The highest migration applied to the database.
        found: i64,
        /// The highest migration this binary embeds.
        known: i64,
    },
    /// The embedded migrations could not be applied (an applied migration was edited, a
    /// migration is missing, or one failed midway).
    #[error(
        "cannot migrate {path} to schema version {known}: {source}; restore the database from a \
         backup or move it aside"
    )]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The highest migration this binary embeds.
        known: i64,
        /// What the migrator reported.
        source: DatabaseCause,
    },
    /// The store was created by another node: one store serves one node.
    #[error(
        "{path} belongs to node {recorded}, not {given}: run with --node-id {recorded} or use another --data-dir"
    )]
    NodeMismatch {
        /// The database file.
        path: PathBuf,
        /// The node recorded when the store was created.
        recorded: NodeId,
        /// The node that tried to open it.
        given: NodeId,
    },
    /// A statement failed: the disk is full, the file vanished, the database is locked too long.
    #[error("the state store could not {operation}: {source}; check the disk and the data directory")]
    Database {
        /// What the store was doing (`claim an action key`).
        operation: &'static str,
        /// What the database reported.
        source: DatabaseCause,
    },
    /// `confirm` of a key nobody claimed (or that was released).
    #[error("cannot confirm {key}: it is not claimed; claim a key before confirming it")]
    NotClaimed {
        /// The key.
        key: Box<ActionKey>,
    },
    /// `confirm` or `release` of a key whose outcome is already recorded.
    #[error("{key} is already confirmed: a confirmed key is never confirmed again nor released")]
    AlreadyConfirmed {
        /// The key.
        key: Box<ActionKey>,
    },
    /// The key was released each time a claim found it taken: something claims and releases it
    /// in a tight loop.
    #[error(
        "{key} was released each time it was found taken: look for another process retrying it in a loop"
    )]
    ClaimContended {
        /// The key.
        key: Box<ActionKey>,
    },
    /// `end_cycle` of a cycle that was never started or has already ended.
    #[error("cycle {cycle} of node {node} is not open: end each cycle start_cycle returned, once")]
    CycleNotOpen {
        /// The node the store serves.
        node: NodeId,
        /// The cycle number given.
        cycle: u64,
    },
    /// A count too large for a BIGINT column.
    #[error("{what} {value} is too large for the state store: at most {max}", max = i64::MAX)]
    OutOfRange {
        /// What the value counts (`pr`, `points spent`).
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// The PostgreSQL URL given is not one sqlx can use.
    #[error(
        "{url} is not a usable PostgreSQL URL ({reason}): write it as postgres://user@host:port/database"
    )]
    PostgresUrl {
        /// The URL, its password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The PostgreSQL server could not be reached, or refused the connection.
    #[error(
        "cannot connect to the PostgreSQL database {url}: {source}; check CORE_DATABASE_URL, that \
         the server is running and that it accepts this user from this host"
    )]
    PostgresUnreachable {
        /// The URL, its password replaced by `***`.
        url: String,
        /// What the connection attempt reported (never the password).
        source: DatabaseCause,
    },
    /// The PostgreSQL database holds tables but no core-ide schema: it belongs to something else.
    #[error(
        "the PostgreSQL database {url} has tables ({tables}) but no core-ide schema: point \
         CORE_DATABASE_URL at an empty database of its own"
    )]
    PostgresForeign {
        /// The URL, its password replaced by `***`.
        url: String,
        /// Some of the tables found, comma-separated.
        tables: String,
    },
    /// The PostgreSQL database was migrated by a newer core-ide than this one.
    #[error(
        "the PostgreSQL database {url} has schema version {found}, newer than version {known} this \
         core-ide knows: upgrade core-ide on this node (a fleet's nodes run the same release)"
    )]
    PostgresNewerSchema {
        /// The URL, its password replaced by `***`.
        url: String,
        /// The highest migration applied to the database.
        found: i64,
        /// The highest migration this binary embeds.
        known: i64,
    },
    /// The embedded PostgreSQL migrations could not be applied.
    #[error(
        "cannot migrate the PostgreSQL database {url} to schema version {known}: {source}; \
         check that the user may create tables, or restore the database from a backup"
    )]
    PostgresMigrate {
        /// The URL, its password replaced by `***`.
        url: String,
        /// The highest migration this binary embeds.
        known: i64,
        /// What the migrator reported.
        source: DatabaseCause,
    },
    /// A statement against the fleet's PostgreSQL database failed: the server went away, a
    /// timeout, a lost connection.
    #[error(
        "the PostgreSQL store could not {operation}: {source}; check that the server is up and \
         reachable (the node acts on nothing until it is)"
    )]
    Postgres {
        /// What the store was doing (`claim an action key`).
        operation: &'static str,
        /// What the database reported.
        source: DatabaseCause,
    },
    /// The connection to the fleet's PostgreSQL database is gone: the server stopped or
    /// restarted, refuses connections, or cannot be reached. Transient: the node stops polling
    /// and acting, and resumes once the database answers again
    /// ([`is_connection_lost`](StoreError::is_connection_lost)).
    #[error(
        "lost the PostgreSQL store while trying to {operation}: {source}; the node polls and acts \
         on nothing until the database answers again, and reconnects on its own"
    )]
    PostgresLost {
        /// What the store was doing (`claim an action key`).
        operation: &'static str,
        /// What the connection reported.
        source: DatabaseCause,
    },
    /// Another live node is registered under the same id.
    #[error(
        "node id {node_id} is in use by a live node (it heartbeated within the TTL): give every \
         node its own --node-id, or wait until the other registration expires"
    )]
    NodeIdTaken {
        /// The id asked for.
        node_id: NodeId,
    },
    /// This process holds no registration under the id any more (it never registered, its
    /// registration was removed, or it expired and another process registered the same id).
    #[error(
        "node {node_id} is not registered by this process (never registered, deregistered, or \
         expired and taken over by another process with the same id): stop acting and register again"
    )]
    RegistrationLost {
        /// The node id.
        node_id: NodeId,
    },
    /// The signal kept for a claim no longer reads as a signal: an older core-ide kept it, and
    /// the signal's shape changed since. Nothing is lost that matters for acting (the ledger
    /// is intact); see [`Ledger::claimed_signal`](crate::Ledger::claimed_signal).
    #[error(
        "the signal kept when {repo}#{pr} was last claimed is unreadable ({source}): an older core-ide \
         kept it in a shape this one no longer reads; nothing to repair: the next claim there replaces \
         it, and until then a crash-left action there is journaled from the PR's current signal"
    )]
    ClaimedSignalUnreadable {
        /// The repository of the claimed key.
        repo: RepoSlug,
        /// The PR (or, for an epic's action, the epic) of the claimed key.
        pr: u64,
        /// Why it does not read as a signal.
        source: serde_json::Error,
    },
    /// A stored value this binary cannot read back.
    #[error(
        "the state store holds an unreadable {what} {value:?} ({reason}): the database was changed \
         outside core-ide; restore it from a backup"
    )]
    Unreadable {
        /// What the value should be (`repository`, `ledger status`).
        what: &'static str,
        /// The stored value, truncated.
        value: String,
        /// Why it cannot be read.
        reason: String,
    },
}

impl StoreError {
    pub(crate) fn unreadable(what: &'static str, value: &str, reason: impl Display) -> Self {
        let value = value.chars().take(120).collect();
        Self::Unreadable { what, value, reason: reason.to_string() }
    }

    pub(crate) fn database(operation: &'static str, source: impl Into<DatabaseCause>) -> Self {
        Self::Database { operation, source: source.into() }
    }

    pub(crate) fn postgres(operation: &'static str, source: impl Into<DatabaseCause>) -> Self {
        Self::Postgres { operation, source: source.into() }
    }

    /// Whether the store lost its database connection ([`StoreError::PostgresLost`]): a
    /// reason to stop acting until it answers again, not to stop the node.
    #[must_use]
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Self::PostgresLost { .. })
    }
}
