//! Real PostgreSQL databases for tests: one fresh database per test, dropped at its end
//! (feature `test-support`, for this crate's tests and any other crate's).
//!
//! The project's rule is that tests run against a real PostgreSQL and are never skipped
//! because it is missing: [`TestDatabase::create`] panics with instructions instead. The
//! server is, in this order:
//! 1. the one at [`DATABASE_URL_VAR`] (`CORE_TEST_DATABASE_URL`) when it is set, and only that;
//! 2. otherwise `postgres://postgres@127.0.0.1:5432/postgres` when it accepts that login;
//! 3. otherwise the throwaway server `scripts/postgres-for-tests.sh` started, whose URL the
//!    script wrote to [`url_file`] (`$TMPDIR/core-ide-test-postgres.url`).
//!
//! The user must be allowed to create databases. Each [`TestDatabase`] is named
//! `core_ide_test_<unix ms>_<pid>_<n>`; databases of that shape older than six hours (left by
//! killed test processes) are dropped the first time a process creates one.
//!
//! ```no_run
//! # async fn example() {
//! use jobrunner_store::testing::TestDatabase;
//!
//! let database = TestDatabase::create().await;
//! let node = jobrunner_core::NodeId::new("node-a").unwrap();
//! let store = jobrunner_store::PgStore::connect(database.url(), &node).await.unwrap();
//! // ... the test ...
//! store.close().await;
//! database.drop_database().await;
//! # }
//! ```

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::postgres_url::{redact, scrub, secrets, with_database};

/// The variable naming the test server: a URL whose user may `CREATE DATABASE`.
pub const DATABASE_URL_VAR: &str = "CORE_TEST_DATABASE_URL";

/// The local server tried when [`DATABASE_URL_VAR`] is unset.
pub const LOCAL_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The name of the file, in the temporary directory, where `scripts/postgres-for-tests.sh`
/// writes the URL of the server it started.
pub const URL_FILE_NAME: &str = "core-ide-test-postgres.url";

/// Every test database's name starts with this.
pub const DATABASE_PREFIX: &str = "core_ide_test_";

/// How long a connection attempt to a candidate server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Test databases older than this are leftovers of killed processes.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// Where `scripts/postgres-for-tests.sh` writes the URL of its server:
/// `$TMPDIR/core-ide-test-postgres.url` (`/tmp` when `TMPDIR` is unset).
#[must_use]
pub fn url_file() -> PathBuf {
    std::env::temp_dir().join(URL_FILE_NAME)
}

/// A database of its own for one test, on the test server, dropped when the value is dropped
/// (or, waiting for it, by [`drop_database`](Self::drop_database)).
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates a fresh, empty database on the test server.
    ///
    /// # Panics
    ///
    /// When no server is available, with the servers tried and how to get one.
    pub async fn create() -> Self {
        match Self::try_create().await {
            Ok(database) => database,
            Err(message) => panic!("{message}"),
        }
    }

    /// [`create`](Self::create), with the reason as an error instead of a panic.
    pub async fn try_create() -> Result<Self, String> {
        static SWEPT: OnceLock<()> = OnceLock::new();
        let server = server().await?;
        let name = next_name();
        let mut connection = connect(&server).await.map_err(|e| format!("{}: {e}", redact(&server)))?;
        if SWEPT.set(()).is_ok() {
            drop_stale(&mut connection).await;
        }
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut connection)
            .await
            .map_err(|e| format!("cannot create test database {name} on {}: {e}", redact(&server)))?;
        let _ = connection.close().await;
        let url = with_database(&server, &name);
        Ok(Self { server, name, url, dropped: false })
    }

    /// The database's URL, for [`PgStore::connect`](crate::PgStore::connect).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now, disconnecting whatever is still connected to it.
    ///
    /// # Panics
    ///
    /// When the server refuses: a test that cannot clean up says so.
    pub async fn drop_database(mut self) {
        self.dropped = true;
        if let Err(message) = drop_database(&self.server, &self.name).await {
            panic!("{message}");
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await, and may run inside a runtime: drop the database from a thread of
        // its own with a runtime of its own.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(drop_database(&server, &name)),
                Err(error) => Err(format!("cannot start a runtime to drop test database {name}: {error}")),
            }
        });
        match dropping.join() {
            Ok(Ok(())) => {}
            Ok(Err(message)) => eprintln!("warning: {message}"),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

/// `url` carrying `password`, for tests that check a password never shows (trust
/// authentication ignores it), and the password the URL carries: a URL with one keeps its own.
/// A URL without a user gets it as the `password` query parameter.
#[must_use]
pub fn with_password(url: &str, password: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        let separator = if url.contains('?') { '&' } else { '?' };
        return (format!("{url}{separator}password={password}"), password.to_owned());
    };
    if let Some((_, kept)) = userinfo.split_once(':') {
        return (url.to_owned(), kept.to_owned());
    }
    (format!("{scheme}://{userinfo}:{password}{}", &rest[userinfo.len()..]), password.to_owned())
}

/// A PostgreSQL server of one test's own, which it may stop and start again to play an
/// outage: a throwaway cluster started by `scripts/postgres-for-tests.sh` (which installs
/// PostgreSQL when it is missing) with its state in a directory of its own. Stopped and
/// deleted when dropped. Unlike [`TestDatabase`], it needs PostgreSQL's server programs on
/// this machine, not only a server to connect to.
#[derive(Debug)]
pub struct OwnServer {
    dir: PathBuf,
    url: String,
    /// The first port tried: a range of this server's own, so that while it is paused no
    /// other test's server takes its port (its clients would reconnect to a stranger).
    first_port: u16,
}

impl OwnServer {
    /// Starts a fresh server on a free loopback port.
    ///
    /// # Panics
    ///
    /// When the script cannot start one, with its output.
    #[must_use]
    pub fn start() -> Self {
        use std::os::unix::fs::PermissionsExt;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("core-ide-own-postgres-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for the server");
        // The cluster runs as `postgres` when the tests run as root: it must reach its data.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("server dir mode");
        let mut server = Self { dir, url: String::new(), first_port: own_port_range(n) };
        server.script(None).trim().clone_into(&mut server.url);
        server
    }

    /// The URL of the server's `postgres` database (user `postgres`, trust authentication).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server (a fast shutdown: sessions are ended, new connections refused),
    /// keeping its data.
    pub fn pause(&self) {
        self.script(Some("--pause"));
    }

    /// Starts the paused server again on the same port, with the same data.
    pub fn resume(&self) {
        self.script(Some("--resume"));
    }

    /// `scripts/postgres-for-tests.sh [flag]` for this server.
    fn command(&self, flag: Option<&str>) -> std::process::Command {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres-for-tests.sh");
        let mut command = std::process::Command::new("bash");
        command
            .arg(script)
            .args(flag)
            .env("TMPDIR", &self.dir)
            .env("CORE_TEST_POSTGRES_FIRST_PORT", self.first_port.to_string());
        command
    }

    fn script(&self, flag: Option<&str>) -> String {
        let what = format!("scripts/postgres-for-tests.sh {}", flag.unwrap_or(""));
        let output = self.command(flag).output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        if !self.url.is_empty() {
            let _ = self.command(Some("--stop")).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first port an own server tries: spread over 20000-32099 by process and server, away
/// from the shared server's 55432, from other processes' own servers, and below Linux's
/// ephemeral ports (32768 up), which a client socket could take while the server is paused.
fn own_port_range(n: u64) -> u16 {
    let spread = (u64::from(std::process::id()) * 7919 + n * 101 + unix_millis() % 97) % 120;
    20_000 + u16::try_from(spread * 100).expect("under 12000")
}

/// The URL of a server that accepts us, found once per process.
async fn server() -> Result<String, String> {
    static FOUND: OnceLock<String> = OnceLock::new();
    if let Some(url) = FOUND.get() {
        return Ok(url.clone());
    }
    // (where the URL comes from, the URL or why there is none)
    let candidates: Vec<(String, Result<String, String>)> = match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => vec![(DATABASE_URL_VAR.to_owned(), Ok(url.trim().to_owned()))],
        _ => {
            let file = url_file();
            let written = std::fs::read_to_string(&file).map(|url| url.trim().to_owned());
            vec![
                ("the local server".to_owned(), Ok(LOCAL_SERVER_URL.to_owned())),
                (file.display().to_string(), written.map_err(|error| error.to_string())),
            ]
        }
    };
    let mut tried = Vec::new();
    for (source, url) in candidates {
        match url {
            Ok(url) => match usable(&url).await {
                Ok(()) => return Ok(FOUND.get_or_init(|| url).clone()),
                Err(error) => tried.push(format!("  - {source} ({}): {error}", redact(&url))),
            },
            Err(error) => tried.push(format!("  - {source}: {error}")),
        }
    }
    Err(format!(
        "no PostgreSQL server for the tests; tried:\n{}\nThe tests need a real PostgreSQL (13 or newer) and \
         are never skipped without one. Start a throwaway server with `scripts/postgres-for-tests.sh` \
         (it installs Debian's postgresql package if needed and writes its URL to {}), or set \
         {DATABASE_URL_VAR}=postgres://user:password@host:port/database for a server where that user \
         may CREATE DATABASE.",
        tried.join("\n"),
        url_file().display(),
    ))
}

/// Whether `url` accepts a login whose user may create databases.
async fn usable(url: &str) -> Result<(), String> {
    let mut connection = connect(url).await?;
    let may_create: bool =
        sqlx::query_scalar("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
    let _ = connection.close().await;
    if may_create { Ok(()) } else { Err("its user may not create databases".to_owned()) }
}

/// A connection to `url`, or why not, without the password.
async fn connect(url: &str) -> Result<PgConnection, String> {
    let secrets = secrets(url);
    let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| scrub(&e.to_string(), &secrets))?;
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(scrub(&error.to_string(), &secrets)),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn drop_database(server: &str, name: &str) -> Result<(), String> {
    let failed = |e: String| format!("cannot drop test database {name} on {}: {e}", redact(server));
    let mut connection = connect(server).await.map_err(failed)?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let _ = connection.close().await;
    Ok(())
}

/// Drops test databases older than [`STALE_AFTER`], by the time in their name; best effort.
async fn drop_stale(connection: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
    )
    .bind(DATABASE_PREFIX)
    .fetch_all(&mut *connection)
    .await
    else {
        return;
    };
    let cutoff = unix_millis().saturating_sub(u64::try_from(STALE_AFTER.as_millis()).unwrap_or(u64::MAX));
    for name in names {
        let created =
            name.strip_prefix(DATABASE_PREFIX).and_then(|rest| rest.split('_').next()?.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *connection)
                .await;
        }
    }
}

fn next_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{DATABASE_PREFIX}{}_{}_{n}", unix_millis(), std::process::id())
}

fn unix_millis() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}
