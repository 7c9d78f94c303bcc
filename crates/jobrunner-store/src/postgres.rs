//! [`PgStore`]: the store of a fleet's node, in a PostgreSQL database all nodes share.
//!
//! The [`Store`](crate::Store) half runs the same statements as [`SqliteStore`] over the same
//! tables, through this module's `impl Backend`; the [`FleetStore`] half adds membership and repo
//! leases. Opening checks before it changes anything, as with SQLite: a database of something
//! else, or one migrated by a newer core-ide, is an error and is left as it was. The URL is only
//! ever shown with its password replaced by `***`.
//!
//! [`SqliteStore`]: crate::SqliteStore

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use jobrunner_core::{ActionKey, NodeId, RepoSlug};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::columns::{parse_node, parse_timestamp, timestamp};
use crate::fleet::{self, FleetMember, FleetStore, LeaseRow, RepoLease, micros, plan_leases};
use crate::ledger::KeyColumns;
use crate::migrations::{POSTGRES_SCHEMA_VERSION, postgres_migrator};
use crate::postgres_url::{redact, scrub, scrubbed, secrets};
use crate::statement::{Backend, SharedRow, Statement};
use crate::{StoreError, identity};

/// Connections per node: the runner issues one statement at a time, the heartbeat another.
const MAX_CONNECTIONS: u32 = 4;

/// How long connecting, or waiting for a pooled connection, may take before the store reports
/// the database unreachable (and the node stops acting).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Server-side limits on every statement, so a node whose database hangs fails instead of
/// waiting forever; the lock limit bounds the wait for another node's lease rebalance.
const SESSION_SETTINGS: [(&str, &str); 2] = [("statement_timeout", "30s"), ("lock_timeout", "10s")];

/// How many foreign tables an error names.
const TABLES_SHOWN: usize = 5;

/// The state store of one node of a fleet, in PostgreSQL, and its fleet coordination.
///
/// Several handles (nodes, or the status command) may use one database at once: every write
/// is one statement or one transaction, and the ledger's claim is an insert-if-absent, so of
/// any number of claims of one key from any number of nodes exactly one wins. Needs
/// PostgreSQL 13 or newer (`gen_random_uuid()`).
pub struct PgStore {
    pool: PgPool,
    /// The URL with its password masked.
    url: String,
    node: NodeId,
    /// The instance token of each registration made through this handle.
    registrations: Mutex<HashMap<NodeId, String>>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not derived: sqlx's connect options would print the password.
        f.debug_struct("PgStore").field("url", &self.url).field("node", &self.node).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the PostgreSQL database at `url` (`postgres://user:password@host:port/db`)
    /// for `node`, applies the embedded PostgreSQL migrations (once, whichever node comes
    /// first) and records the node. Errors name the URL with its password masked.
    pub async fn connect(url: &str, node: &NodeId) -> Result<Self, StoreError> {
        let (store, secrets) = Self::open(url, node).await?;
        match store.prepare(&secrets).await {
            Ok(()) => Ok(store),
            Err(error) => {
                store.pool.close().await;
                Err(error)
            }
        }
    }

    /// Connects to read the database only, as `core-status` does: a database of something
    /// else, or one migrated by a newer binary, is refused as by [`connect`](Self::connect),
    /// but nothing is migrated and nothing recorded, so a newer tool never migrates a fleet's
    /// database under its older nodes. Returns the store with the schema version it found (0
    /// for a database no node has used yet).
    pub async fn inspect(url: &str, node: &NodeId) -> Result<(Self, i64), StoreError> {
        let (store, _) = Self::open(url, node).await?;
        match store.check_schema().await {
            Ok(version) => Ok((store, version)),
            Err(error) => {
                store.pool.close().await;
                Err(error)
            }
        }
    }

    /// A pool on `url` for `node`, after one connection proved the server answers; with the
    /// secrets to scrub from later errors.
    async fn open(url: &str, node: &NodeId) -> Result<(Self, Vec<String>), StoreError> {
        let secrets = secrets(url);
        // The password is masked wherever it shows, not only where it stands as the password.
        let shown = scrub(&redact(url), &secrets);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::PostgresUrl {
                url: shown.clone(),
                reason: scrub(&e.to_string(), &secrets),
            })?
            .application_name(&format!("core-ide {node}"))
            .options(SESSION_SETTINGS);
        // One connection first: the pool retries a refused connection until its timeout and
        // then reports only the timeout, while this reports why.
        let unreachable = |source| StoreError::PostgresUnreachable { url: shown.clone(), source };
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|elapsed| unreachable(Box::new(elapsed)))?
            .map_err(|e| unreachable(scrubbed(e, &secrets)))?;
        // Closing a connection that worked cannot fail in a way that matters here.
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_lazy_with(options);
        Ok((Self { pool, url: shown, node: node.clone(), registrations: Mutex::default() }, secrets))
    }

    /// The database URL, its password replaced by `***`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes every connection. Dropping the store also closes them, but in the background.
    pub async fn close(self) {
        self.pool.close().await;
    }

    async fn prepare(&self, secrets: &[String]) -> Result<(), StoreError> {
        self.check_schema().await?;
        postgres_migrator().await.run(&self.pool).await.map_err(|error| StoreError::PostgresMigrate {
            url: self.url.clone(),
            known: POSTGRES_SCHEMA_VERSION,
            source: match error {
                sqlx::migrate::MigrateError::Execute(error) => scrubbed(error, secrets),
                error => error.into(),
            },
        })?;
        sqlx::query(identity::REGISTER_NODE)
            .bind(self.node.as_str())
            .bind(timestamp(Utc::now()))
            .execute(&self.pool)
            .await
            .map_err(self.failed("record the node"))?;
        Ok(())
    }

    /// Refuses a database of something else, and one migrated by a newer binary, before the
    /// migrator writes anything to it; returns the schema version found (0: empty).
    async fn check_schema(&self) -> Result<i64, StoreError> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY table_name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.failed("read the schema"))?;
        if tables.is_empty() {
            return Ok(0);
        }
        if !tables.iter().any(|table| table == "_sqlx_migrations") {
            let mut shown = tables.iter().take(TABLES_SHOWN).cloned().collect::<Vec<_>>().join(", ");
            if tables.len() > TABLES_SHOWN {
                let _ = write!(shown, " and {} more", tables.len() - TABLES_SHOWN);
            }
            return Err(StoreError::PostgresForeign { url: self.url.clone(), tables: shown });
        }
        let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("read the schema version"))?;
        match found {
            Some(found) if found > POSTGRES_SCHEMA_VERSION => Err(StoreError::PostgresNewerSchema {
                url: self.url.clone(),
                found,
                known: POSTGRES_SCHEMA_VERSION,
            }),
            found => Ok(found.unwrap_or(0)),
        }
    }

    /// Maps a failed statement to [`StoreError::Postgres`] naming what the store was doing.
    #[allow(clippy::unused_self)] // Called like SQLite's, which needs its path.
    fn failed(&self, operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError + 'static {
        move |error| {
            if connection_lost(&error) {
                StoreError::PostgresLost { operation, source: error.into() }
            } else {
                StoreError::postgres(operation, error)
            }
        }
    }

    /// This handle's instance token for `node`.
    fn instance(&self, node: &NodeId) -> Option<String> {
        self.registrations.lock().unwrap_or_else(PoisonError::into_inner).get(node).cloned()
    }

    fn set_instance(&self, node: &NodeId, instance: Option<String>) {
        let mut registrations = self.registrations.lock().unwrap_or_else(PoisonError::into_inner);
        match instance {
            Some(instance) => registrations.insert(node.clone(), instance),
            None => registrations.remove(node),
        };
    }

    /// This handle's instance token for `node`, or the error saying it has none.
    fn registered(&self, node: &NodeId) -> Result<String, StoreError> {
        self.instance(node).ok_or_else(|| StoreError::RegistrationLost { node_id: node.clone() })
    }
}

#[async_trait]
impl Backend for PgStore {
    fn node_id(&self) -> &NodeId {
        &self.node
    }

    async fn execute(&self, operation: &'static str, statement: Statement) -> Result<u64, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<PgArguments>().map_err(&failed)?;
        let done = sqlx::query_with(sql, arguments).execute(&self.pool).await.map_err(failed)?;
        Ok(done.rows_affected())
    }

    async fn fetch_one<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<R, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<PgArguments>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_one(&self.pool).await.map_err(failed)
    }

    async fn fetch_optional<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Option<R>, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<PgArguments>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_optional(&self.pool).await.map_err(failed)
    }

    async fn fetch_all<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError> {
        let failed = self.failed(operation);
        let (sql, arguments) = statement.into_parts::<PgArguments>().map_err(&failed)?;
        sqlx::query_as_with(sql, arguments).fetch_all(&self.pool).await.map_err(failed)
    }
}

#[async_trait]
impl FleetStore for PgStore {
    async fn database_now(&self) -> Result<DateTime<Utc>, StoreError> {
        let now: String = sqlx::query_scalar(fleet::NOW)
            .fetch_one(&self.pool)
            .await
            .map_err(self.failed("read the database clock"))?;
        parse_timestamp("database time", &now)
    }

    async fn register_node(&self, node: &NodeId, host: &str, ttl: Duration) -> Result<(), StoreError> {
        let instance: Option<String> = sqlx::query_scalar(fleet::REGISTER)
            .bind(node.as_str())
            .bind(micros("node TTL in microseconds", ttl)?)
            .bind(self.instance(node))
            .bind(host)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("register the node"))?;
        let instance = instance.ok_or_else(|| StoreError::NodeIdTaken { node_id: node.clone() })?;
        self.set_instance(node, Some(instance));
        Ok(())
    }

    async fn heartbeat(&self, node: &NodeId) -> Result<TimeDelta, StoreError> {
        let instance = self.registered(node)?;
        // A connection first: the node's clock is read when the statement leaves, so a wait
        // for a pooled connection (after an outage, say) is not counted as skew.
        let mut connection = self.pool.acquire().await.map_err(self.failed("heartbeat"))?;
        let skew: Option<i64> = sqlx::query_scalar(fleet::HEARTBEAT)
            .bind(node.as_str())
            .bind(&instance)
            .bind(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true))
            .fetch_optional(&mut *connection)
            .await
            .map_err(self.failed("heartbeat"))?;
        let Some(skew) = skew else {
            self.set_instance(node, None);
            return Err(StoreError::RegistrationLost { node_id: node.clone() });
        };
        Ok(TimeDelta::milliseconds(skew))
    }

    async fn deregister(&self, node: &NodeId) -> Result<(), StoreError> {
        let Some(instance) = self.instance(node) else { return Ok(()) };
        let failed = self.failed("deregister the node");
        let mut tx = self.pool.begin().await.map_err(&failed)?;
        let removed = sqlx::query(fleet::DEREGISTER)
            .bind(node.as_str())
            .bind(&instance)
            .execute(&mut *tx)
            .await
            .map_err(&failed)?
            .rows_affected();
        if removed == 1 {
            sqlx::query(fleet::RELEASE_ALL).bind(node.as_str()).execute(&mut *tx).await.map_err(&failed)?;
        }
        tx.commit().await.map_err(&failed)?;
        self.set_instance(node, None);
        Ok(())
    }

    async fn live_nodes(&self, ttl: Duration) -> Result<Vec<FleetMember>, StoreError> {
        let rows: Vec<(String, String, String, String, Option<i64>)> = sqlx::query_as(fleet::LIVE)
            .bind(micros("node TTL in microseconds", ttl)?)
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("list the live nodes"))?;
        rows.into_iter()
            .map(|(node, registered_at, heartbeat_at, host, skew)| {
                Ok(FleetMember {
                    node: parse_node(&node)?,
                    registered_at: parse_timestamp("registration time", &registered_at)?,
                    heartbeat_at: parse_timestamp("heartbeat time", &heartbeat_at)?,
                    host,
                    clock_skew: skew.map(TimeDelta::milliseconds),
                })
            })
            .collect()
    }

    async fn orphaned_claims(&self, ttl: Duration) -> Result<Vec<(NodeId, ActionKey)>, StoreError> {
        let rows: Vec<(String, String, i64, String, String, String)> = sqlx::query_as(fleet::ORPHANED_CLAIMS)
            .bind(micros("node TTL in microseconds", ttl)?)
            .bind(self.node.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("list the claims of dead nodes"))?;
        rows.into_iter()
            .map(|(node, repo, pr, action, head_sha, review_at)| {
                Ok((parse_node(&node)?, KeyColumns { repo, pr, action, head_sha, review_at }.into_key()?))
            })
            .collect()
    }

    async fn take_over_claim(&self, key: &ActionKey, from: &NodeId) -> Result<bool, StoreError> {
        let columns = KeyColumns::of(key)?;
        let moved = sqlx::query(crate::ledger::TAKE_OVER)
            .bind(&columns.repo)
            .bind(columns.pr)
            .bind(&columns.action)
            .bind(&columns.head_sha)
            .bind(&columns.review_at)
            .bind(from.as_str())
            .bind(self.node.as_str())
            .execute(&self.pool)
            .await
            .map_err(self.failed("take over a dead node's claim"))?
            .rows_affected();
        Ok(moved == 1)
    }

    async fn acquire_leases(
        &self,
        node: &NodeId,
        repos: &[RepoSlug],
        ttl: Duration,
    ) -> Result<Vec<RepoSlug>, StoreError> {
        let ttl = micros("lease TTL in microseconds", ttl)?;
        let instance = self.registered(node)?;
        let configured: BTreeSet<String> = repos.iter().map(ToString::to_string).collect();
        let configured_list: Vec<String> = configured.iter().cloned().collect();
        let failed = self.failed("acquire repo leases");
        let mut tx = self.pool.begin().await.map_err(&failed)?;
        sqlx::query(fleet::LOCK_LEASES).execute(&mut *tx).await.map_err(&failed)?;
        let registered: bool = sqlx::query_scalar(fleet::IS_REGISTERED)
            .bind(node.as_str())
            .bind(&instance)
            .fetch_one(&mut *tx)
            .await
            .map_err(&failed)?;
        if !registered {
            drop(tx);
            self.set_instance(node, None);
            return Err(StoreError::RegistrationLost { node_id: node.clone() });
        }
        let live: BTreeSet<String> = sqlx::query_scalar(fleet::LIVE_IDS)
            .bind(ttl)
            .fetch_all(&mut *tx)
            .await
            .map_err(&failed)?
            .into_iter()
            .collect();
        sqlx::query(fleet::DROP_UNCONFIGURED)
            .bind(node.as_str())
            .bind(&configured_list)
            .execute(&mut *tx)
            .await
            .map_err(&failed)?;
        let leases: Vec<(String, String, bool)> = sqlx::query_as(fleet::LEASES_OF)
            .bind(&configured_list)
            .fetch_all(&mut *tx)
            .await
            .map_err(&failed)?;
        let leases: Vec<LeaseRow> =
            leases.into_iter().map(|(repo, holder, valid)| LeaseRow { repo, holder, valid }).collect();
        let plan = plan_leases(node.as_str(), &configured, &live, &leases);
        if !plan.give_up.is_empty() {
            sqlx::query(fleet::GIVE_UP)
                .bind(node.as_str())
                .bind(&plan.give_up)
                .execute(&mut *tx)
                .await
                .map_err(&failed)?;
        }
        let held = plan.held();
        if !held.is_empty() {
            let written = sqlx::query(fleet::TAKE)
                .bind(node.as_str())
                .bind(&held)
                .bind(ttl)
                .execute(&mut *tx)
                .await
                .map_err(&failed)?
                .rows_affected();
            if written != held.len() as u64 {
                // Cannot happen under the table lock; refuse rather than act on a lease not held.
                return Err(StoreError::postgres(
                    "acquire repo leases",
                    format!(
                        "{} of {} planned leases were held by other nodes",
                        held.len() as u64 - written,
                        held.len()
                    ),
                ));
            }
        }
        tx.commit().await.map_err(&failed)?;
        held.iter()
            .map(|repo| RepoSlug::parse(repo).map_err(|e| StoreError::unreadable("repository", repo, e)))
            .collect()
    }

    async fn release_leases(&self, node: &NodeId) -> Result<(), StoreError> {
        sqlx::query(fleet::RELEASE_ALL)
            .bind(node.as_str())
            .execute(&self.pool)
            .await
            .map_err(self.failed("release repo leases"))?;
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<RepoLease>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(fleet::LEASES)
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("list repo leases"))?;
        rows.into_iter()
            .map(|(repo, holder, acquired_at, expires_at)| {
                Ok(RepoLease {
                    repo: RepoSlug::parse(&repo)
                        .map_err(|e| StoreError::unreadable("repository", &repo, e))?,
                    holder: parse_node(&holder)?,
                    acquired_at: parse_timestamp("lease acquisition time", &acquired_at)?,
                    expires_at: parse_timestamp("lease expiry", &expires_at)?,
                })
            })
            .collect()
    }

    async fn dead_lease_holders(&self, ttl: Duration) -> Result<Vec<NodeId>, StoreError> {
        let holders: Vec<String> = sqlx::query_scalar(fleet::DEAD_HOLDERS)
            .bind(micros("node TTL in microseconds", ttl)?)
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("list dead lease holders"))?;
        holders.iter().map(|holder| parse_node(holder)).collect()
    }
}

/// Whether `error` means the server is gone rather than that the statement failed: no
/// connection could be had or kept, or the server is shutting down, starting up or recovering
/// (SQLSTATE class 08, and 57P01-57P03).
fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&code.as_ref())
        }),
        _ => false,
    }
}
