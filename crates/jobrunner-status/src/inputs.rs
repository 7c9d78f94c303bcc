//! Everything the checks and the dashboard look at, as plain data.
//!
//! [`gather`](crate::gather()) fills an [`Inputs`] from the machine: files, the environment,
//! the settings, the store, the fleet's database, the clock and the systemd unit. Checks only
//! read it, so a test builds one directly and states the scenario in its fields.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use jobrunner_config::{Environment, Settings};
use jobrunner_core::NodeId;
use jobrunner_journal::{JournalRecord, ReadWarning};
use jobrunner_store::{CycleRecord, FleetMember, RepoLease};

use crate::env_file::EnvFile;
use crate::systemd::Systemd;

/// GitHub's primary rate limit per token: 5,000 points an hour.
pub const PRIMARY_BUDGET_PER_HOUR: u64 = 5_000;

/// The longest gap between two cycles of a healthy node: core-ide backs off to one cycle every
/// 5 minutes when idle (docs/operations.md).
pub const IDLE_INTERVAL: Duration = Duration::from_secs(300);

/// What the checks and the dashboard look at.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The node's effective settings, read as its service sees them.
    pub settings: Settings,
    /// Now.
    pub now: DateTime<Utc>,
    /// Env files and variables.
    pub env: EnvInputs,
    /// The systemd unit.
    pub systemd: Systemd,
    /// The state store: `state.db` for a standalone node, the fleet's database for a fleet node.
    pub store: StoreSnapshot,
    /// The fleet as its database shows it; `None` for a standalone node.
    pub fleet: Option<FleetSnapshot>,
    /// The recent journal.
    pub journal: JournalSnapshot,
    /// Writable directories and the binary.
    pub install: Installation,
    /// Nodes spending the same token's budget. [`gather`](crate::gather()) sets 1 for every
    /// node: a fleet node's share is not yet divided among the live nodes of [`Self::fleet`].
    pub nodes_sharing_token: u32,
    /// A display (`DISPLAY` or `WAYLAND_DISPLAY`) is present, for `mode = auto`.
    pub display_present: bool,
    /// The self-update install prefix and the update manifest.
    pub updates: UpdatesSnapshot,
}

impl Inputs {
    /// The node's role, from its settings.
    #[must_use]
    pub fn role(&self) -> Role {
        Role::of(&self.settings)
    }

    /// True in production (`CORE_ENV=production`).
    #[must_use]
    pub fn production(&self) -> bool {
        self.settings.environment == Environment::Production
    }

    /// True when the node is meant to be running now: its unit is enabled, or it is a
    /// production node.
    #[must_use]
    pub fn meant_to_run(&self) -> bool {
        self.systemd.enabled || self.production()
    }

    /// The newest cycle of the node, when the store could be read.
    #[must_use]
    pub fn last_cycle(&self) -> Option<&CycleRecord> {
        match &self.store {
            StoreSnapshot::Open { cycles, .. } => cycles.first(),
            _ => None,
        }
    }
}

/// How a node shares its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// No database URL: state in SQLite under the data directory.
    Standalone,
    /// A database URL: one of a fleet sharing PostgreSQL.
    Fleet,
}

impl Role {
    /// The role the settings give.
    #[must_use]
    pub fn of(settings: &Settings) -> Self {
        if settings.database_url.is_some() { Self::Fleet } else { Self::Standalone }
    }

    /// `standalone` or `fleet`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standalone => "standalone",
            Self::Fleet => "fleet",
        }
    }

    /// The schema version this release migrates the role's store to: SQLite and PostgreSQL
    /// number their migrations apart.
    #[must_use]
    pub fn schema_version(self) -> i64 {
        match self {
            Self::Standalone => jobrunner_store::SCHEMA_VERSION,
            Self::Fleet => jobrunner_store::POSTGRES_SCHEMA_VERSION,
        }
    }
}

/// What core-status read of a fleet node's PostgreSQL database, through one connection that
/// also gave the [`StoreSnapshot`].
#[derive(Debug, Clone)]
pub struct FleetSnapshot {
    /// The database URL with its password masked: the only form of it kept.
    pub url: String,
    /// This machine's host name, as a node started here registers it; `None` when unknown.
    pub hostname: Option<String>,
    /// What the database gave.
    pub database: FleetDatabase,
}

/// What asking the fleet's database gave.
#[derive(Debug, Clone)]
pub enum FleetDatabase {
    /// It could not be reached (refused, timed out, no login, or an unusable URL).
    Unreachable {
        /// The store's explanation, the password masked.
        detail: String,
    },
    /// It answered but the store refuses it (another application's tables, a newer schema,
    /// failed migrations): the store checks report why, and nothing of the fleet was read.
    Refused,
    /// The fleet was read.
    Read(FleetRead),
}

/// The fleet's membership and leases, read at one moment.
#[derive(Debug, Clone)]
pub struct FleetRead {
    /// The database's clock, the one coordination runs on.
    pub database_now: DateTime<Utc>,
    /// core-status's clock just before it asked for `database_now`.
    pub now: DateTime<Utc>,
    /// How long that question took: the database read its clock within it.
    pub round_trip: Duration,
    /// The nodes that heartbeated within the lease TTL, by id.
    pub live: Vec<FleetMember>,
    /// Every lease, expired ones included, by repository.
    pub leases: Vec<RepoLease>,
    /// Nodes holding a lease without a live registration, by id.
    pub dead_holders: Vec<NodeId>,
}

impl FleetRead {
    /// The leases that have not expired by the database's clock.
    pub fn valid_leases(&self) -> impl Iterator<Item = &RepoLease> {
        self.leases.iter().filter(|lease| lease.expires_at > self.database_now)
    }
}

/// Env files and the variables of the process.
#[derive(Debug, Clone)]
pub struct EnvInputs {
    /// The node's env file.
    pub env_file: EnvFileInput,
    /// Its sample.
    pub sample: EnvFileInput,
    /// Names of the variables in core-status's own environment.
    pub process_vars: BTreeSet<String>,
    /// `RUST_LOG` as the service would see it, if set.
    pub log_filter: Option<Assigned>,
    /// Every variable the binaries read.
    pub known: Vec<KnownVar>,
}

/// A value and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// The value.
    pub value: String,
    /// Where it came from, for messages (`RUST_LOG in /etc/core-ide/core-ide.env`).
    pub origin: String,
}

/// An env file and what reading it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileInput {
    /// The file.
    pub path: PathBuf,
    /// Read, missing, or unreadable.
    pub state: FileState,
}

/// What reading a file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// No such file.
    Missing,
    /// It exists but could not be read: the reason.
    Unreadable(String),
    /// Its contents.
    Read {
        /// The parsed file.
        file: EnvFile,
        /// Other users may read it.
        world_readable: bool,
    },
}

impl EnvFileInput {
    /// The parsed file, when it was read.
    #[must_use]
    pub fn file(&self) -> Option<&EnvFile> {
        match &self.state {
            FileState::Read { file, .. } => Some(file),
            _ => None,
        }
    }
}

/// A variable one of the binaries reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KnownVar {
    /// Its name.
    pub name: String,
    /// The operator sets it, so the env file's sample should list it.
    pub in_env_file: bool,
}

impl KnownVar {
    /// The variables the binaries read: `jobrunner_config`'s registry, plus every variable an
    /// argument of `commands` (and their subcommands) reads, which an env file sets.
    #[must_use]
    pub fn of_binaries(commands: &[&clap::Command]) -> Vec<Self> {
        let mut known: Vec<Self> = jobrunner_config::env_vars()
            .into_iter()
            .map(|v| Self { name: v.name.to_owned(), in_env_file: v.in_env_file })
            .collect();
        let mut stack: Vec<&clap::Command> = commands.to_vec();
        while let Some(command) = stack.pop() {
            for env in command.get_arguments().filter_map(clap::Arg::get_env) {
                let name = env.to_string_lossy();
                if !known.iter().any(|k| k.name == name) {
                    known.push(Self { name: name.into_owned(), in_env_file: true });
                }
            }
            stack.extend(command.get_subcommands());
        }
        known.sort();
        known
    }
}

/// What opening the state store gave. `location` is what messages name it by: the database
/// file of a standalone node, the password-masked URL of a fleet node's database.
#[derive(Debug, Clone)]
pub enum StoreSnapshot {
    /// No database file yet: the node never ran with this data directory (standalone only).
    NotCreated {
        /// Where it would be.
        location: String,
    },
    /// The database exists but cannot be used.
    Unusable {
        /// The database.
        location: String,
        /// What is wrong.
        problem: StoreProblem,
        /// The store's own one-line explanation.
        detail: String,
    },
    /// The database was read.
    Open {
        /// The database.
        location: String,
        /// The schema version it is migrated to.
        schema_version: i64,
        /// The node the store records (it may differ from the configured node id).
        node: NodeId,
        /// The node's latest cycles, newest first.
        cycles: Vec<CycleRecord>,
        /// Actions recorded as failed for good in the last day, newest first (at most 20).
        refused: Vec<jobrunner_store::RefusedAction>,
        /// Repositories the node's GitHub source could not poll, as it last saved them.
        unhealthy: Vec<jobrunner_core::UnhealthyRepo>,
        /// Epic items the node's GitHub source could not place, as it last saved them.
        unplaceable: Vec<jobrunner_core::checklist::UnplaceableEpicItem>,
        /// PRs waiting on a person, oldest wait first.
        waiting: Vec<jobrunner_store::PrWait>,
    },
}

impl StoreSnapshot {
    /// True when the store opened, is at the schema this release gives `role`'s store, and
    /// serves the configured node.
    #[must_use]
    pub fn is_ok(&self, node: &NodeId, role: Role) -> bool {
        matches!(self, Self::Open { node: recorded, schema_version, .. }
            if recorded == node && *schema_version >= role.schema_version())
    }
}

/// Why a store cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreProblem {
    /// It cannot be opened, or it is damaged or not a core-ide database.
    Unopenable,
    /// A newer core-ide migrated it.
    NewerSchema,
    /// Its migrations cannot be applied.
    NotMigrated,
    /// A fleet node's database cannot be reached: reported once, as the fleet's "database
    /// unreachable", not again by the store checks.
    Unreachable,
}

/// The recent journal.
#[derive(Debug, Clone)]
pub struct JournalSnapshot {
    /// The journal directory.
    pub dir: PathBuf,
    /// Its recent records, or why it could not be read.
    pub read: Result<JournalWindow, String>,
}

/// Records of the journal files dated from `since` on.
#[derive(Debug, Clone, Default)]
pub struct JournalWindow {
    /// The first UTC day read.
    pub since: Option<NaiveDate>,
    /// The records, oldest first.
    pub records: Vec<JournalRecord>,
    /// Lines skipped as torn or unreadable.
    pub warnings: Vec<ReadWarning>,
}

/// Whether the places core-ide writes to are writable by this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The data directory (or the nearest existing parent it would be created in).
    pub data_dir: Access,
    /// The journal directory (likewise).
    pub journal_dir: Access,
    /// The core-ide binary, when it was found.
    pub binary: Option<PathBuf>,
    /// The install prefix the updater writes (`update_prefix`), or the nearest existing parent
    /// it would be created in; `None` without an update source (`update_url` unset).
    pub update_prefix: Option<Access>,
}

/// A path and, when it cannot be written, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The path.
    pub path: PathBuf,
    /// `None` when writable; else the reason.
    pub problem: Option<String>,
}

impl Access {
    /// A writable path.
    #[must_use]
    pub fn writable(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), problem: None }
    }
}

/// What core-status read of self-update (docs/updates.md): the install prefix, and the
/// manifest when `update_url` is set. Versions are `SemVer` strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatesSnapshot {
    /// The install prefix (`update_prefix`).
    pub prefix: PathBuf,
    /// What the prefix holds, or why it could not be read.
    pub installed: Result<InstalledVersions, String>,
    /// What the manifest offers.
    pub manifest: ManifestState,
}

/// The versions of an install prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledVersions {
    /// The version `current` points at, else the version of these binaries.
    pub installed: String,
    /// Whether `installed` is a release of the prefix.
    pub in_prefix: bool,
    /// The release a rollback would go back to.
    pub previous: Option<String>,
    /// An update switched to that has not reported healthy yet.
    pub on_trial: Option<String>,
    /// Versions that never reported healthy here: never installed again.
    pub failed: Vec<FailedVersion>,
}

/// A version that failed its health gate here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedVersion {
    /// The version.
    pub version: String,
    /// Why, as the rollback recorded it.
    pub why: String,
}

/// What the update manifest gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestState {
    /// No `update_url`: the node does not update itself.
    NotConfigured,
    /// It could not be fetched, its signature or contents are refused, or the update settings
    /// cannot work: the updater's one-line explanation.
    Unusable(String),
    /// Fetched and verified.
    Read {
        /// The highest release on the channel.
        available: Option<String>,
        /// The release `core-ide update --apply` would install; `None` with [`Self::Read::why_not`].
        would_install: Option<String>,
        /// Why nothing would be installed.
        why_not: Option<String>,
    },
}
