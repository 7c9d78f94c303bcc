//! The dashboard's data: the node's profile, its pipeline state and its handler chains.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use jobrunner_store::{CycleOutcome, CycleRecord};
use schemars::JsonSchema;
use serde::Serialize;

use crate::checks::runtime::projection;
use crate::inputs::{
    FleetDatabase, Inputs, ManifestState, PRIMARY_BUDGET_PER_HOUR, StoreProblem, StoreSnapshot,
    UpdatesSnapshot,
};

/// Who the node is and how it is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Profile {
    /// The node id.
    pub node_id: String,
    /// `standalone` or `fleet`.
    pub role: String,
    /// The configured mode: `auto`, `headless` or `desktop`.
    pub mode: String,
    /// The mode it runs in here (`auto` resolved by the display).
    pub mode_in_effect: String,
    /// `development`, `staging` or `production`.
    pub environment: String,
    /// core-status's version, the release of the node's binaries.
    pub version: String,
    /// The update channel followed (`update_channel`): `stable`, `beta`, `alpha` or `dev`.
    pub update_channel: String,
    /// The installed, previous and available versions (docs/updates.md).
    pub updates: Versions,
    /// Repositories polled.
    pub repos: Vec<String>,
    /// Seconds between cycles.
    pub poll_interval_secs: u64,
    /// Dry-run: decide, act on nothing.
    pub dry_run: bool,
    /// The config file read, if any.
    pub config_file: Option<String>,
    /// The env file the service reads.
    pub env_file: String,
    /// The data directory.
    pub data_dir: String,
    /// The journal directory.
    pub journal_dir: String,
}

/// The versions of self-update, as `core-ide update --check` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Versions {
    /// The release the install prefix's `current` points at, else the version of these
    /// binaries; `None` when the prefix cannot be read (see `updates.W004`).
    pub installed: Option<String>,
    /// Whether `installed` is a release of the install prefix.
    pub in_prefix: bool,
    /// The release a rollback would go back to.
    pub previous: Option<String>,
    /// The highest release the manifest offers on the channel; `None` without an update
    /// source or when the manifest cannot be had (see `updates.E001`).
    pub available: Option<String>,
    /// An update that has not reported healthy yet.
    pub on_trial: Option<String>,
    /// Versions that failed their health gate here.
    pub failed: Vec<String>,
}

impl Versions {
    fn of(updates: &UpdatesSnapshot) -> Self {
        let installed = updates.installed.as_ref().ok();
        Self {
            installed: installed.map(|v| v.installed.clone()),
            in_prefix: installed.is_some_and(|v| v.in_prefix),
            previous: installed.and_then(|v| v.previous.clone()),
            available: match &updates.manifest {
                ManifestState::Read { available, .. } => available.clone(),
                ManifestState::NotConfigured | ManifestState::Unusable(_) => None,
            },
            on_trial: installed.and_then(|v| v.on_trial.clone()),
            failed: installed
                .map(|v| v.failed.iter().map(|f| f.version.clone()).collect())
                .unwrap_or_default(),
        }
    }
}

/// What the pipeline did lately.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Pipeline {
    /// The state store's condition.
    pub store: StoreState,
    /// The fleet as its database shows it: only for a fleet node whose database was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<FleetView>,
    /// The latest cycle, if any.
    pub last_cycle: Option<CycleView>,
    /// Actions performed today (UTC), by handler, from the journal (dry-run records excluded).
    pub actions_today: BTreeMap<String, u32>,
    /// Their total.
    pub actions_today_total: u32,
    /// Dry-run records journaled today.
    pub dry_run_records_today: u32,
    /// Primary rate-limit points left, from the newest cycle that reported it.
    pub rate_limit_left: Option<u64>,
    /// The cycle that reported `rate_limit_left`.
    pub rate_limit_cycle: Option<u64>,
    /// API points per hour projected from the latest cycles at the configured interval.
    pub projected_points_per_hour: Option<u64>,
    /// This node's share of the token's hourly budget.
    pub budget_share_per_hour: u64,
    /// Configured notification channels: `slack`, `discord`.
    pub notification_channels: Vec<String>,
}

/// The state store's condition, as the dashboard shows it (the store checks say more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Opened, migrated, and serving this node.
    Ok,
    /// No database yet: the node has not run with this data directory.
    NotCreated,
    /// The database records another node id.
    OtherNode,
    /// It cannot be used: unopenable, damaged, or at another schema version.
    Unusable,
    /// A fleet node's database cannot be reached.
    Unreachable,
}

impl StoreState {
    /// The condition of `inputs`' store.
    #[must_use]
    pub fn of(inputs: &Inputs) -> Self {
        match &inputs.store {
            StoreSnapshot::NotCreated { .. } => Self::NotCreated,
            StoreSnapshot::Unusable { problem: StoreProblem::Unreachable, .. } => Self::Unreachable,
            StoreSnapshot::Unusable { .. } => Self::Unusable,
            StoreSnapshot::Open { node, .. } if *node != inputs.settings.node_id => Self::OtherNode,
            store if store.is_ok(&inputs.settings.node_id, inputs.role()) => Self::Ok,
            StoreSnapshot::Open { .. } => Self::Unusable,
        }
    }
}

/// A fleet node's view of its fleet, from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FleetView {
    /// The live nodes (a heartbeat within the lease TTL), by id.
    pub live_nodes: Vec<String>,
    /// The repositories this node holds an unexpired lease of, this cycle's share.
    pub leased_here: Vec<String>,
    /// The configured repositories some node holds an unexpired lease of.
    pub repos_leased: usize,
    /// The configured repositories.
    pub repos: usize,
}

impl FleetView {
    /// The fleet `inputs` show, when its database was read.
    #[must_use]
    pub fn of(inputs: &Inputs) -> Option<Self> {
        let FleetDatabase::Read(read) = &inputs.fleet.as_ref()?.database else { return None };
        let repos = &inputs.settings.repos;
        Some(Self {
            live_nodes: read.live.iter().map(|m| m.node.to_string()).collect(),
            leased_here: read
                .valid_leases()
                .filter(|l| l.holder == inputs.settings.node_id)
                .map(|l| l.repo.to_string())
                .collect(),
            repos_leased: read.valid_leases().filter(|l| repos.contains(&l.repo)).count(),
            repos: repos.len(),
        })
    }
}

/// One cycle, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CycleView {
    /// Its number, per node.
    pub number: u64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; absent while running or when the node died during it.
    pub ended_at: Option<DateTime<Utc>>,
    /// `ok`, `failed`, `interrupted`, or `unfinished`.
    #[schemars(regex(pattern = "^(ok|failed|interrupted|unfinished)$"))]
    pub outcome: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// Actions performed.
    pub actions: Option<u32>,
    /// API points spent.
    pub points_spent: Option<u64>,
    /// Primary rate-limit points left at its end.
    pub rate_limit_left: Option<u64>,
}

impl From<&CycleRecord> for CycleView {
    fn from(cycle: &CycleRecord) -> Self {
        let (outcome, failure) = match cycle.end.map(|e| e.outcome) {
            None => ("unfinished", None),
            Some(CycleOutcome::Ok) => ("ok", None),
            Some(CycleOutcome::Interrupted) => ("interrupted", None),
            Some(CycleOutcome::Failed { class }) => ("failed", Some(class.to_string())),
        };
        Self {
            number: cycle.number,
            started_at: cycle.started_at,
            ended_at: cycle.end.map(|e| e.at),
            outcome: outcome.to_owned(),
            failure,
            actions: cycle.end.map(|e| e.actions),
            points_spent: cycle.end.map(|e| e.points_spent),
            rate_limit_left: cycle.end.and_then(|e| e.rate_limit_left),
        }
    }
}

/// The handlers and the chains they form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Handlers {
    /// Enabled handlers in priority order.
    pub enabled: Vec<String>,
    /// The flows a PR takes from each starting state.
    pub chains: Vec<Chain>,
}

/// The handlers that take a PR from a starting state to a closed child issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Chain {
    /// The PR's starting state: `draft`, `ready`, `conflict`, `review` or `merged`.
    pub start: String,
    /// The handlers in the order they act.
    pub steps: Vec<ChainStep>,
    /// Every step is enabled: the chain runs to its end.
    pub complete: bool,
}

/// One handler of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ChainStep {
    /// The handler.
    pub handler: String,
    /// Enabled in the configuration.
    pub enabled: bool,
}

/// The flows of the issue-epic pipeline (docs/handlers.md): from a starting state, the
/// handlers that act one after another, cycles apart, until the child issue and its epic are
/// closed.
pub const CHAINS: &[(&str, &[&str])] = &[
    ("draft", &["publish_draft", "enable_auto_merge", "tick_parent", "close_child", "close_epic"]),
    ("ready", &["enable_auto_merge", "tick_parent", "close_child", "close_epic"]),
    ("conflict", &["send_fix_command", "enable_auto_merge", "tick_parent", "close_child", "close_epic"]),
    (
        "review",
        &[
            "send_fix_command",
            "resolve_threads",
            "enable_auto_merge",
            "tick_parent",
            "close_child",
            "close_epic",
        ],
    ),
    (
        "failing checks",
        &["send_fix_command", "enable_auto_merge", "tick_parent", "close_child", "close_epic"],
    ),
    ("merged", &["tick_parent", "close_child", "close_epic"]),
];

impl Profile {
    /// The profile of the node `inputs` describe, running binaries of `version`.
    #[must_use]
    pub fn new(inputs: &Inputs, version: &str) -> Self {
        let s = &inputs.settings;
        Self {
            node_id: s.node_id.to_string(),
            role: inputs.role().as_str().to_owned(),
            mode: s.mode.as_str().to_owned(),
            mode_in_effect: s.mode.resolve(inputs.display_present).as_str().to_owned(),
            environment: s.environment.as_str().to_owned(),
            version: version.to_owned(),
            update_channel: s.update_channel.clone(),
            updates: Versions::of(&inputs.updates),
            repos: s.repos.iter().map(ToString::to_string).collect(),
            poll_interval_secs: s.poll_interval.as_secs(),
            dry_run: s.dry_run,
            config_file: s.config_file.as_ref().map(|p| p.display().to_string()),
            env_file: inputs.env.env_file.path.display().to_string(),
            data_dir: s.data_dir.display().to_string(),
            journal_dir: s.journal_dir.display().to_string(),
        }
    }
}

impl Pipeline {
    /// The pipeline state `inputs` show.
    #[must_use]
    pub fn new(inputs: &Inputs) -> Self {
        let cycles: &[CycleRecord] = match &inputs.store {
            StoreSnapshot::Open { cycles, .. } => cycles,
            _ => &[],
        };
        let reported =
            cycles.iter().find_map(|c| c.end.and_then(|e| e.rate_limit_left).map(|left| (left, c.number)));
        let today = inputs.now.date_naive();
        let mut actions_today: BTreeMap<String, u32> = BTreeMap::new();
        let mut dry_run_records_today = 0;
        if let Ok(window) = &inputs.journal.read {
            for record in window.records.iter().filter(|r| r.ts.date_naive() == today) {
                if record.dry_run {
                    dry_run_records_today += 1;
                } else {
                    *actions_today.entry(record.action.clone()).or_default() += 1;
                }
            }
        }
        let settings = &inputs.settings;
        let channels = [("slack", &settings.slack_webhook_url), ("discord", &settings.discord_webhook_url)];
        Self {
            store: StoreState::of(inputs),
            fleet: FleetView::of(inputs),
            last_cycle: cycles.first().map(CycleView::from),
            actions_today_total: actions_today.values().sum(),
            actions_today,
            dry_run_records_today,
            rate_limit_left: reported.map(|(left, _)| left),
            rate_limit_cycle: reported.map(|(_, cycle)| cycle),
            projected_points_per_hour: projection(inputs).map(|p| p.per_hour),
            budget_share_per_hour: PRIMARY_BUDGET_PER_HOUR / u64::from(inputs.nodes_sharing_token.max(1)),
            notification_channels: channels
                .iter()
                .filter(|(_, url)| url.is_some())
                .map(|(name, _)| (*name).to_owned())
                .collect(),
        }
    }
}

impl Handlers {
    /// The enabled handlers of `inputs`' settings and the chains they form.
    #[must_use]
    pub fn new(inputs: &Inputs) -> Self {
        let enabled = &inputs.settings.enabled_handlers;
        let chains = CHAINS
            .iter()
            .map(|(start, handlers)| {
                let steps: Vec<ChainStep> = handlers
                    .iter()
                    .map(|h| ChainStep { handler: (*h).to_owned(), enabled: enabled.iter().any(|e| e == h) })
                    .collect();
                Chain { start: (*start).to_owned(), complete: steps.iter().all(|s| s.enabled), steps }
            })
            .collect();
        Self { enabled: enabled.clone(), chains }
    }
}

impl Chain {
    /// `draft -> publish_draft -> enable_auto_merge -> ...`, disabled steps marked `(off)`.
    #[must_use]
    pub fn line(&self) -> String {
        let steps = self
            .steps
            .iter()
            .map(|s| if s.enabled { s.handler.clone() } else { format!("{} (off)", s.handler) });
        std::iter::once(self.start.clone()).chain(steps).collect::<Vec<_>>().join(" -> ")
    }
}
