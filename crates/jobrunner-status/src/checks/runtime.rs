//! How the node would run: token, repositories, production settings and the API budget.

use std::time::Duration;

use crate::check::{Category, Check, CheckResult};
use crate::format::{duration, thousands};
use crate::inputs::{Inputs, PRIMARY_BUDGET_PER_HOUR};

const C: Category = Category::Runtime;

/// No GitHub token.
pub const NO_TOKEN: Check = Check::error("runtime.E001", C);
/// No repositories to poll.
pub const NO_REPOS: Check = Check::error("runtime.E002", C);
/// Production with dry-run.
pub const PRODUCTION_DRY_RUN: Check = Check::warn("runtime.W001", C);
/// The MCP bridge would listen beyond loopback without a token: core-ide refuses to start.
pub const MCP_OPEN_WITHOUT_TOKEN: Check = Check::error("runtime.E003", C);
/// Production with debug logging.
pub const PRODUCTION_DEBUG_LOG: Check = Check::warn("runtime.W002", C);
/// Poll interval under 10 seconds.
pub const FAST_POLL: Check = Check::warn("runtime.W003", C);
/// Projected API use over the token's budget share.
pub const OVER_BUDGET: Check = Check::warn("runtime.W004", C);
/// Repositories the node cannot poll.
pub const UNHEALTHY_REPOS: Check = Check::warn("runtime.W005", C);
/// Epic items that mention a reference the checklist grammar cannot place.
pub const UNPLACEABLE_EPIC_ITEMS: Check = Check::warn("runtime.W006", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[
    NO_TOKEN,
    NO_REPOS,
    MCP_OPEN_WITHOUT_TOKEN,
    PRODUCTION_DRY_RUN,
    PRODUCTION_DEBUG_LOG,
    FAST_POLL,
    OVER_BUDGET,
    UNHEALTHY_REPOS,
    UNPLACEABLE_EPIC_ITEMS,
];

/// Below this, polling spends the budget's secondary limits for little gain.
const MIN_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// How many of the latest cycles a projection averages over.
pub const PROJECTION_CYCLES: usize = 20;

/// Runs the runtime checks.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let settings = &inputs.settings;
    let mut results: Vec<CheckResult> =
        unhealthy_repos(inputs).into_iter().chain(unplaceable_epic_items(inputs)).collect();
    if settings.github_token.is_none() {
        results.push(NO_TOKEN.result(
            "no GitHub token: core-ide will refuse to start",
            format!("set CORE_GITHUB_TOKEN in {}", inputs.env.env_file.path.display()),
        ));
    }
    if settings.repos.is_empty() {
        results.push(NO_REPOS.result(
            "no repositories to poll: core-ide will refuse to start",
            "set CORE_REPOS=owner/name,... (or repos = [...] in the config file)",
        ));
    }
    if settings.mcp && !settings.mcp_bind.ip().is_loopback() && settings.mcp_token.is_none() {
        results.push(MCP_OPEN_WITHOUT_TOKEN.result(
            format!(
                "the MCP bridge would listen on {} (from {}) without CORE_MCP_TOKEN: core-ide will refuse to start",
                settings.mcp_bind, settings.sources["mcp_bind"]
            ),
            "set CORE_MCP_TOKEN in the env file, or CORE_MCP_BIND=127.0.0.1:9877, or CORE_MCP=false",
        ));
    }
    if inputs.production() && settings.dry_run {
        results.push(PRODUCTION_DRY_RUN.result(
            format!(
                "production node in dry-run (from {}): it decides but performs nothing",
                settings.sources["dry_run"]
            ),
            "unset CORE_DRY_RUN, or set CORE_ENV to staging if dry-run is intended",
        ));
    }
    if let Some(filter) =
        inputs.env.log_filter.as_ref().filter(|f| inputs.production() && debug_logging(&f.value))
    {
        results.push(PRODUCTION_DEBUG_LOG.result(
            format!("production node logs at debug level (RUST_LOG={} from {})", filter.value, filter.origin),
            "set RUST_LOG=info (the default) once the debugging is done",
        ));
    }
    if settings.poll_interval < MIN_POLL_INTERVAL {
        results.push(FAST_POLL.result(
            format!("poll interval {} is under 10s", duration(settings.poll_interval)),
            "set CORE_POLL_INTERVAL to 30s or more: change detection is free, but each change costs points",
        ));
    }
    if let Some(projection) = projection(inputs).filter(|p| p.per_hour > p.share) {
        results.push(OVER_BUDGET.result(
            format!(
                "projected {} API points/hour ({:.1} per cycle over the last {} cycles, one cycle every {}) exceeds this node's share of the token's budget, {}/hour",
                thousands(projection.per_hour),
                projection.per_cycle,
                projection.cycles,
                duration(settings.poll_interval),
                thousands(projection.share)
            ),
            format!(
                "set CORE_POLL_INTERVAL to at least {}, or poll fewer repositories",
                duration(projection.interval_within_share())
            ),
        ));
    }
    if results.is_empty() {
        let repos = match settings.repos.len() {
            1 => "1 repository".to_owned(),
            n => format!("{n} repositories"),
        };
        results
            .push(C.ok(format!("token set, {repos}, one cycle every {}", duration(settings.poll_interval))));
    }
    results
}

/// True when a `RUST_LOG` filter turns on debug or trace output anywhere.
#[must_use]
pub fn debug_logging(filter: &str) -> bool {
    filter.split(',').any(|directive| {
        let level = directive.rsplit('=').next().unwrap_or(directive).trim();
        level.eq_ignore_ascii_case("debug") || level.eq_ignore_ascii_case("trace")
    })
}

/// API use projected from the latest cycles at the configured pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Cycles averaged over.
    pub cycles: usize,
    /// Points they spent.
    pub points: u64,
    /// Points per cycle.
    pub per_cycle: f64,
    /// Points per hour at one cycle per poll interval.
    pub per_hour: u64,
    /// This node's share of the token's hourly budget.
    pub share: u64,
    poll_interval: Duration,
}

impl Projection {
    /// The shortest poll interval that keeps the projection within the share.
    #[must_use]
    pub fn interval_within_share(&self) -> Duration {
        let secs = (self.points * 3600).div_ceil(self.share.max(1) * self.cycles as u64);
        Duration::from_secs(secs).max(self.poll_interval)
    }
}

/// Projects the points an hour of cycles at the configured interval spends, from the points
/// the latest ended cycles spent (idle back-off only lowers it). `None` before any cycle ended.
#[must_use]
pub fn projection(inputs: &Inputs) -> Option<Projection> {
    let crate::inputs::StoreSnapshot::Open { cycles, .. } = &inputs.store else { return None };
    let spent: Vec<u64> =
        cycles.iter().filter_map(|c| c.end.map(|end| end.points_spent)).take(PROJECTION_CYCLES).collect();
    if spent.is_empty() {
        return None;
    }
    let points: u64 = spent.iter().sum();
    let count = spent.len() as u64;
    let poll = inputs.settings.poll_interval.as_secs().max(1);
    Some(Projection {
        cycles: spent.len(),
        points,
        per_cycle: points as f64 / count as f64,
        per_hour: (points * 3600).div_ceil(count * poll),
        share: PRIMARY_BUDGET_PER_HOUR / u64::from(inputs.nodes_sharing_token.max(1)),
        poll_interval: inputs.settings.poll_interval,
    })
}

/// Repositories the node's GitHub source could not poll as it last saved them (only those
/// still configured): the node skips each with a back-off while it polls the rest.
fn unhealthy_repos(inputs: &Inputs) -> Option<CheckResult> {
    let crate::inputs::StoreSnapshot::Open { unhealthy, .. } = &inputs.store else { return None };
    let listed: Vec<String> = unhealthy
        .iter()
        .filter(|u| inputs.settings.repos.contains(&u.repo))
        .map(|u| {
            format!(
                "{} ({}, {} failed polls since {})",
                u.repo,
                u.class,
                u.failures,
                u.since.format("%Y-%m-%d %H:%M UTC")
            )
        })
        .collect();
    if listed.is_empty() {
        return None;
    }
    Some(UNHEALTHY_REPOS.result(
        format!("GitHub refuses polls of {}: {}", jobrunner_core::count(u32::try_from(listed.len()).unwrap_or(u32::MAX), "repository"), listed.join(", ")),
        "not found: check the name in CORE_REPOS (renamed, transferred or deleted?); forbidden: give the token read access to it; the node retries each with a back-off and polls the others meanwhile",
    ))
}

/// Epic items the node's GitHub source found mentioning a reference it cannot place (only
/// those of repositories still configured): the pipeline does not track them.
fn unplaceable_epic_items(inputs: &Inputs) -> Option<CheckResult> {
    let crate::inputs::StoreSnapshot::Open { unplaceable, .. } = &inputs.store else { return None };
    let listed: Vec<String> = unplaceable
        .iter()
        .filter(|u| inputs.settings.repos.contains(&u.repo))
        .map(|u| format!("epic {}#{} item {}: {}", u.repo, u.epic, u.item.item, u.item.why))
        .collect();
    if listed.is_empty() {
        return None;
    }
    Some(UNPLACEABLE_EPIC_ITEMS.result(
        format!(
            "epic task-list items that name no child the pipeline can place, so it does not track them ({}): {}",
            listed.len(),
            listed.join("; ")
        ),
        "make the item's first line name one issue: #N, owner/repo#N, or an issue URL on the forge's host (github.com, or the api_url's GitHub Enterprise host); a pull request is no child",
    ))
}
