//! Filling [`Inputs`] from the machine: the only module here that reads files, the
//! environment, the store, the fleet's database and the clock.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, Utc};
use jobrunner_config::{ConfigArgs, Host, Secret, Settings};
use jobrunner_core::NodeId;
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_store::{
    CycleLog, CycleRecord, FleetStore, Ledger, POSTGRES_SCHEMA_VERSION, PgStore, STATE_DB_FILE,
    SnapshotCache, SqliteStore, Store, StoreError,
};

use crate::StatusError;
use crate::checks::runtime::PROJECTION_CYCLES;
use crate::env_file::EnvFile;
use crate::inputs::{
    Access, Assigned, EnvFileInput, EnvInputs, FileState, FleetDatabase, FleetRead, FleetSnapshot, Inputs,
    Installation, JournalSnapshot, JournalWindow, KnownVar, StoreProblem, StoreSnapshot,
};
use crate::systemd::{Systemd, UnitFile};

mod updates;

/// The env file when neither `--env-file` nor an installed unit names one: the repository's
/// `deploy/` copy, next to its sample.
pub const DEFAULT_ENV_FILE: &str = "deploy/core-ide.env";

/// Days of journal files read for torn lines (today's also give the actions of the day).
const JOURNAL_DAYS: u64 = 7;

/// How long connecting to a fleet node's database (migrations included) and reading it may
/// take in all. The store gives up on a connection attempt after 5 s by itself, but a server
/// that accepts the connection and then stops answering would hold core-status for as long as
/// the network lets it, and core-status must answer.
const FLEET_DATABASE_LIMIT: Duration = Duration::from_secs(20);

/// The fleet's database in messages when the store could not say its URL (it only ever shows
/// it with the password masked, and core-status never shows it otherwise).
const UNNAMED_DATABASE: &str = "the database CORE_DATABASE_URL names";

/// Where core-status looks, beyond the settings.
#[derive(Debug, Clone)]
pub struct GatherOptions {
    /// The settings given as flags and `CORE_*` variables.
    pub config: ConfigArgs,
    /// `--env-file`: else the unit's `EnvironmentFile`, else [`DEFAULT_ENV_FILE`].
    pub env_file: Option<PathBuf>,
    /// `--env-sample`: else `<env file>.sample`.
    pub env_sample: Option<PathBuf>,
    /// The root under which the systemd unit directories are read (`/` on a node).
    pub systemd_root: PathBuf,
    /// `--binary`: else the unit's `ExecStart`, else `core-ide` beside this program, else on
    /// `PATH`.
    pub binary: Option<PathBuf>,
    /// Every variable the binaries read ([`KnownVar::of_binaries`]).
    pub known: Vec<KnownVar>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Reads everything the checks and the dashboard need. The settings are loaded the way the
/// service sees them: the env file and the unit's `Environment=` sit below the process
/// environment and the flags.
///
/// Opening the state store applies pending migrations, as a starting core-ide would; for a
/// fleet node that store is the PostgreSQL database of `CORE_DATABASE_URL`, where connecting
/// also records the node id, as a starting core-ide does, and where the fleet's members and
/// leases are read (core-status never registers, heartbeats nor leases). Nothing else is
/// written (the writability probes create and remove a temporary file).
pub async fn gather(options: GatherOptions) -> Result<Inputs, StatusError> {
    let systemd = Systemd::read(&options.systemd_root);
    let env_path =
        options.env_file.clone().unwrap_or_else(|| default_env_file(&options.systemd_root, &systemd));
    let sample_path = options.env_sample.clone().unwrap_or_else(|| {
        let mut name = env_path.clone().into_os_string();
        name.push(".sample");
        PathBuf::from(name)
    });
    let env_file = read_env_file(&env_path, options.env_file.is_some(), "env file")?;
    let sample = read_env_file(&sample_path, options.env_sample.is_some(), "env sample")?;

    let mut args = options.config.clone();
    if let Some(file) = env_file.file() {
        args = args.with_env_file(&env_file.path, file.vars());
    }
    if let Some(unit) = &systemd.unit {
        args = args.with_env_file(&unit.path, unit_vars(unit));
    }
    let mut host = Host::current();
    if host.token.is_none() {
        host.token = service_token(env_file.file(), systemd.unit.as_ref());
    }
    let settings = Settings::load_on(&args, &host)?;
    let (store, fleet) = match &settings.database_url {
        None => (probe_store(&settings.data_dir, &settings.node_id).await, None),
        Some(url) => {
            let hostname = host.hostname.clone().filter(|h| !h.is_empty());
            let (store, fleet) = probe_fleet(url.expose(), &settings, hostname).await;
            (store, Some(fleet))
        }
    };

    let binary = find_binary(&options, systemd.unit.as_ref())?;
    let env = EnvInputs {
        log_filter: log_filter(&env_file, systemd.unit.as_ref()),
        process_vars: std::env::vars_os()
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect::<BTreeSet<_>>(),
        env_file,
        sample,
        known: options.known,
    };
    Ok(Inputs {
        store,
        fleet,
        journal: read_recent_journal(&settings.journal_dir, options.now),
        install: Installation {
            data_dir: probe_dir(&settings.data_dir),
            journal_dir: probe_dir(&settings.journal_dir),
            binary,
            update_prefix: settings.update_url.as_ref().map(|_| probe_dir(&settings.update_prefix)),
        },
        systemd,
        env,
        now: options.now,
        nodes_sharing_token: 1,
        updates: updates::read(&settings, options.now).await,
        display_present: ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some()),
        settings,
    })
}

fn default_env_file(root: &Path, systemd: &Systemd) -> PathBuf {
    systemd
        .unit
        .as_ref()
        .and_then(|unit| unit.environment_files.first())
        .map_or_else(|| PathBuf::from(DEFAULT_ENV_FILE), |path| under_root(root, path))
}

/// A path the unit names on the node, as seen under `root`.
fn under_root(root: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix("/") {
        Ok(relative) if root != Path::new("/") => root.join(relative),
        _ => path.to_owned(),
    }
}

/// Reads an env file. A missing file, or an unreadable one found by default, is reported by
/// the checks; an unreadable file named on the command line stops core-status.
fn read_env_file(path: &Path, named: bool, what: &'static str) -> Result<EnvFileInput, StatusError> {
    let state = match std::fs::read_to_string(path) {
        Ok(text) => FileState::Read {
            file: EnvFile::parse(&text),
            world_readable: std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0),
        },
        Err(error) if error.kind() == ErrorKind::NotFound => FileState::Missing,
        Err(source) if named => return Err(StatusError::Unreadable { what, path: path.to_owned(), source }),
        Err(error) => FileState::Unreadable(error.to_string()),
    };
    Ok(EnvFileInput { path: path.to_owned(), state })
}

fn unit_vars(unit: &UnitFile) -> impl Iterator<Item = (&str, &str)> {
    unit.environment.iter().map(|(name, value)| (name.as_str(), value.expose()))
}

/// The token the service gets, when core-status's own environment has none: from the env
/// file, else from the unit, `CORE_GITHUB_TOKEN` first.
fn service_token(file: Option<&EnvFile>, unit: Option<&UnitFile>) -> Option<(&'static str, Secret)> {
    ["CORE_GITHUB_TOKEN", "GITHUB_TOKEN"].into_iter().find_map(|var| {
        let from_file = file.and_then(|f| f.get(var));
        let from_unit = || unit.and_then(|u| unit_vars(u).filter(|(n, _)| *n == var).last().map(|(_, v)| v));
        from_file
            .or_else(from_unit)
            .filter(|t| !t.trim().is_empty())
            .map(|t| (var, Secret::new(t.to_owned())))
    })
}

fn log_filter(env_file: &EnvFileInput, unit: Option<&UnitFile>) -> Option<Assigned> {
    const VAR: &str = "RUST_LOG";
    if let Ok(value) = std::env::var(VAR) {
        return Some(Assigned { value, origin: "core-status's environment".to_owned() });
    }
    if let Some(value) = env_file.file().and_then(|f| f.get(VAR)) {
        return Some(Assigned { value: value.to_owned(), origin: env_file.path.display().to_string() });
    }
    let unit = unit?;
    let value = unit_vars(unit).filter(|(n, _)| *n == VAR).last()?.1;
    Some(Assigned { value: value.to_owned(), origin: unit.path.display().to_string() })
}

fn find_binary(options: &GatherOptions, unit: Option<&UnitFile>) -> Result<Option<PathBuf>, StatusError> {
    if let Some(path) = &options.binary {
        if !path.is_file() {
            return Err(StatusError::NoBinary { path: path.clone() });
        }
        return Ok(Some(path.clone()));
    }
    let from_unit = unit.and_then(|u| u.exec_start.as_deref()).map(|p| under_root(&options.systemd_root, p));
    let beside_us = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("core-ide")));
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("core-ide")).collect::<Vec<_>>())
        .unwrap_or_default();
    Ok(from_unit.into_iter().chain(beside_us).chain(on_path).find(|p| p.is_file()))
}

/// The updater writes the new binary beside the old one and renames it into place: the
/// binary's directory must take a new file.
/// Whether a file can be created in `path`, or, when it does not exist yet, in the nearest
/// existing parent (core-ide creates the rest).
fn probe_dir(path: &Path) -> Access {
    let problem = |reason: String| Access { path: path.to_owned(), problem: Some(reason) };
    let mut dir = path;
    loop {
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => return problem(format!("{} is not a directory", dir.display())),
            // Missing, or under a file: the nearest existing part says which.
            Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                dir = match dir.parent() {
                    Some(parent) if parent.as_os_str().is_empty() => Path::new("."),
                    Some(parent) => parent,
                    None => return problem("no part of it exists".to_owned()),
                };
            }
            Err(error) => return problem(format!("{}: {error}", dir.display())),
        }
    }
    match tempfile::Builder::new().prefix(".core-status-probe-").tempfile_in(dir) {
        Ok(_probe) => Access::writable(path),
        Err(error) => problem(format!("cannot create a file in {}: {error}", dir.display())),
    }
}

/// Opens the store the way core-ide would, read what the checks need, and closes it. A store
/// recorded for another node is read as that node's, so the mismatch can be reported.
async fn probe_store(data_dir: &Path, node: &NodeId) -> StoreSnapshot {
    let path = data_dir.join(STATE_DB_FILE);
    let location = path.display().to_string();
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == ErrorKind::NotFound) {
        return StoreSnapshot::NotCreated { location };
    }
    let opened = match SqliteStore::open(data_dir, node).await {
        Err(StoreError::NodeMismatch { recorded, .. }) => SqliteStore::open(data_dir, &recorded).await,
        other => other,
    };
    let store = match opened {
        Ok(store) => store,
        Err(error) => {
            let problem = match error {
                StoreError::NewerSchema { .. } => StoreProblem::NewerSchema,
                StoreError::Migrate { .. } => StoreProblem::NotMigrated,
                _ => StoreProblem::Unopenable,
            };
            return StoreSnapshot::Unusable { location, problem, detail: error.to_string() };
        }
    };
    let read = read_store(&store).await;
    // Closing only folds the write-ahead log in; a failure there changes nothing read.
    let _ = store.close().await;
    snapshot(location, read)
}

/// Refused actions read for the store check: enough to name a few and count the rest.
pub(crate) const REFUSED_SHOWN: u32 = 20;

/// What the checks read of a store: its schema version, its node, that node's latest cycles
/// and the actions refused for good in the last day.
type StoreRead = (
    i64,
    NodeId,
    Vec<CycleRecord>,
    Vec<jobrunner_store::RefusedAction>,
    Vec<jobrunner_core::UnhealthyRepo>,
    Vec<jobrunner_core::checklist::UnplaceableEpicItem>,
    Vec<jobrunner_store::PrWait>,
);

/// The repositories the GitHub source saved as unhealthy; an unreadable entry reads as none.
async fn read_unhealthy(store: &dyn SnapshotCache) -> Result<Vec<jobrunner_core::UnhealthyRepo>, StoreError> {
    let snapshot = store.snapshot(&jobrunner_core::unhealthy_key("github")).await?;
    Ok(snapshot.and_then(|snapshot| serde_json::from_value(snapshot).ok()).unwrap_or_default())
}

/// The epic items the GitHub source saved as unplaceable; an unreadable entry reads as none.
async fn read_unplaceable(
    store: &dyn SnapshotCache,
) -> Result<Vec<jobrunner_core::checklist::UnplaceableEpicItem>, StoreError> {
    let snapshot = store.snapshot(&jobrunner_core::checklist::unplaceable_key("github")).await?;
    Ok(snapshot.and_then(|snapshot| serde_json::from_value(snapshot).ok()).unwrap_or_default())
}

/// The PRs the runner last saw waiting on a person (a stop label, a review, a setting).
async fn waiting_on_a_person(store: &dyn Store) -> Result<Vec<jobrunner_store::PrWait>, StoreError> {
    let waits = store.waits().await?;
    Ok(waits.into_iter().filter(|w| w.on == jobrunner_core::WaitingOn::Person).collect())
}

async fn read_store(store: &dyn Store) -> Result<StoreRead, StoreError> {
    let schema_version = store.schema_version().await?;
    let node = store.node().await?.id;
    let limit = u32::try_from(PROJECTION_CYCLES).unwrap_or(u32::MAX);
    let cycles = store.recent_cycles(&node, limit).await?;
    let refused = store.refused_since(chrono::Utc::now() - chrono::TimeDelta::days(1), REFUSED_SHOWN).await?;
    let unhealthy = read_unhealthy(store).await?;
    let unplaceable = read_unplaceable(store).await?;
    let waiting = waiting_on_a_person(store).await?;
    Ok((schema_version, node, cycles, refused, unhealthy, unplaceable, waiting))
}

fn snapshot(location: String, read: Result<StoreRead, StoreError>) -> StoreSnapshot {
    match read {
        Ok((schema_version, node, cycles, refused, unhealthy, unplaceable, waiting)) => StoreSnapshot::Open {
            location,
            schema_version,
            node,
            cycles,
            refused,
            unhealthy,
            unplaceable,
            waiting,
        },
        Err(error) => {
            let problem =
                if error.is_connection_lost() { StoreProblem::Unreachable } else { StoreProblem::Unopenable };
            StoreSnapshot::Unusable { location, problem, detail: error.to_string() }
        }
    }
}

/// Connects to a fleet node's database to read it (`PgStore::inspect`: refused like a starting
/// core-ide refuses it, but never migrated nor written to, so a newer core-status cannot
/// migrate the fleet's database under its older nodes), reads the node's store and the
/// fleet's members and leases through that one connection, and closes it.
///
/// One outcome, two views: a database that cannot be reached is
/// [`FleetDatabase::Unreachable`] and [`StoreProblem::Unreachable`] together (so the fleet
/// checks report it once), one the store refuses is [`FleetDatabase::Refused`] and the store's
/// own problem.
async fn probe_fleet(
    url: &str,
    settings: &Settings,
    hostname: Option<String>,
) -> (StoreSnapshot, FleetSnapshot) {
    let deadline = tokio::time::Instant::now() + FLEET_DATABASE_LIMIT;
    let (url, store, database) =
        match tokio::time::timeout_at(deadline, PgStore::inspect(url, &settings.node_id)).await {
            Ok(Ok((pg, version))) => read_connected(pg, version, settings, deadline).await,
            Ok(Err(error)) => not_connected(&error),
            Err(_) => timed_out(UNNAMED_DATABASE.to_owned()),
        };
    (store, FleetSnapshot { url, hostname, database })
}

/// What a connected store gives by `deadline`, with the URL it shows.
async fn read_connected(
    pg: PgStore,
    version: i64,
    settings: &Settings,
    deadline: tokio::time::Instant,
) -> (String, StoreSnapshot, FleetDatabase) {
    let shown = pg.url().to_owned();
    match tokio::time::timeout_at(deadline, read_fleet_database(&pg, version, settings)).await {
        Ok((store, database)) => {
            pg.close().await;
            (shown, store, database)
        }
        // Whatever still waits on the server is dropped with the handle.
        Err(_) => timed_out(shown),
    }
}

/// The database at `shown` did not answer within [`FLEET_DATABASE_LIMIT`].
fn timed_out(shown: String) -> (String, StoreSnapshot, FleetDatabase) {
    let detail = format!("no answer within {}", crate::format::duration(FLEET_DATABASE_LIMIT));
    let store = StoreSnapshot::Unusable {
        location: shown.clone(),
        problem: StoreProblem::Unreachable,
        detail: detail.clone(),
    };
    (shown, store, FleetDatabase::Unreachable { detail })
}

/// Why connecting failed, as the store and the fleet see it, with the URL the error shows.
fn not_connected(error: &StoreError) -> (String, StoreSnapshot, FleetDatabase) {
    let shown = database_url_of(error).unwrap_or(UNNAMED_DATABASE).to_owned();
    let problem = match error {
        StoreError::PostgresNewerSchema { .. } => StoreProblem::NewerSchema,
        // It answered, with tables of something else or a failed statement.
        StoreError::PostgresForeign { .. } | StoreError::Postgres { .. } => StoreProblem::Unopenable,
        _ => StoreProblem::Unreachable,
    };
    let database = if problem == StoreProblem::Unreachable {
        FleetDatabase::Unreachable { detail: unreachable_cause(error) }
    } else {
        FleetDatabase::Refused
    };
    let store = StoreSnapshot::Unusable { location: shown.clone(), problem, detail: error.to_string() };
    (shown, store, database)
}

/// The node's store, then the fleet; a lost connection while reading the store is reported by
/// the fleet, the store saying only that it cannot be reached. A database at `version` 0 was
/// never used by a node: no store yet, and an empty fleet. One below this binary's schema
/// waits for a node of this version to migrate it: the store checks say so, and the fleet's
/// tables are not read (they may lack what this binary reads).
async fn read_fleet_database(
    pg: &PgStore,
    version: i64,
    settings: &Settings,
) -> (StoreSnapshot, FleetDatabase) {
    let location = pg.url().to_owned();
    let node = settings.node_id.clone();
    let store = match version {
        0 => StoreSnapshot::NotCreated { location },
        older if older < POSTGRES_SCHEMA_VERSION => StoreSnapshot::Open {
            location,
            schema_version: older,
            node,
            cycles: Vec::new(),
            refused: Vec::new(),
            unhealthy: Vec::new(),
            unplaceable: Vec::new(),
            waiting: Vec::new(),
        },
        current => {
            // A fleet's database records every node that ever connected; the store reads this
            // node's cycles, none when it never ran.
            let limit = u32::try_from(PROJECTION_CYCLES).unwrap_or(u32::MAX);
            let since = chrono::Utc::now() - chrono::TimeDelta::days(1);
            let read = async {
                let cycles = pg.recent_cycles(&node, limit).await?;
                let refused = pg.refused_since(since, REFUSED_SHOWN).await?;
                let unhealthy = read_unhealthy(pg).await?;
                let unplaceable = read_unplaceable(pg).await?;
                let waiting = waiting_on_a_person(pg).await?;
                Ok((current, node, cycles, refused, unhealthy, unplaceable, waiting))
            }
            .await;
            snapshot(location, read)
        }
    };
    if let StoreSnapshot::Unusable { problem: StoreProblem::Unreachable, detail, .. } = &store {
        let database = FleetDatabase::Unreachable { detail: detail.clone() };
        return (store, database);
    }
    let database = match version {
        0 => empty_fleet(pg).await,
        older if older < POSTGRES_SCHEMA_VERSION => Ok(FleetDatabase::Refused),
        _ => read_fleet(pg, settings.lease_ttl).await.map(FleetDatabase::Read),
    };
    (store, database.unwrap_or_else(|error| FleetDatabase::Unreachable { detail: error.to_string() }))
}

/// A fleet nobody joined yet: its database's clock, and no member or lease.
async fn empty_fleet(pg: &PgStore) -> Result<FleetDatabase, StoreError> {
    let now = Utc::now();
    let asked = Instant::now();
    let database_now = pg.database_now().await?;
    Ok(FleetDatabase::Read(FleetRead {
        database_now,
        now,
        round_trip: asked.elapsed(),
        live: Vec::new(),
        leases: Vec::new(),
        dead_holders: Vec::new(),
    }))
}

/// Members and leases, liveness judged by `ttl` as the nodes judge it.
async fn read_fleet(pg: &PgStore, ttl: Duration) -> Result<FleetRead, StoreError> {
    let now = Utc::now();
    let asked = Instant::now();
    let database_now = pg.database_now().await?;
    let round_trip = asked.elapsed();
    Ok(FleetRead {
        database_now,
        now,
        round_trip,
        live: pg.live_nodes(ttl).await?,
        leases: pg.leases().await?,
        dead_holders: pg.dead_lease_holders(ttl).await?,
    })
}

/// The password-masked URL a connection error names, when it names one.
fn database_url_of(error: &StoreError) -> Option<&str> {
    match error {
        StoreError::PostgresUrl { url, .. }
        | StoreError::PostgresUnreachable { url, .. }
        | StoreError::PostgresForeign { url, .. }
        | StoreError::PostgresNewerSchema { url, .. } => Some(url),
        _ => None,
    }
}

/// Why the database cannot be reached, without the URL and advice the fleet check gives
/// itself. The store scrubs the password from a connection attempt's cause as from its own
/// messages.
fn unreachable_cause(error: &StoreError) -> String {
    match error {
        StoreError::PostgresUnreachable { source, .. } if source.is::<tokio::time::error::Elapsed>() => {
            "no answer to the connection attempt (timed out)".to_owned()
        }
        StoreError::PostgresUnreachable { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn read_recent_journal(dir: &Path, now: DateTime<Utc>) -> JournalSnapshot {
    let since = now.date_naive().checked_sub_days(Days::new(JOURNAL_DAYS - 1));
    let read = read_journal(dir, &ReadFilter { repo: None, since })
        .map(|outcome| JournalWindow { since, records: outcome.records, warnings: outcome.warnings })
        .map_err(|error| error.to_string());
    JournalSnapshot { dir: dir.to_owned(), read }
}
