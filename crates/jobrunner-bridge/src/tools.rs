//! The MCP tools: the node's controls and records, each with a typed, schema'd input.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use jobrunner_core::RepoSlug;
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_node::{ActionSummary, ManualOutcome, NodeHandle};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

/// The tools that change something: left out with `read_only`.
pub const MUTATING_TOOLS: &[&str] = &[
    "poll_now",
    "pause",
    "resume",
    "tick_parent",
    "close_child",
    "close_epic",
    "needs_human",
    "send_fix_command",
    "resolve_threads",
    "publish_draft",
    "enable_auto_merge",
];

/// How long `poll_now` waits for its cycle before answering that it still runs.
const POLL_WAIT: Duration = Duration::from_secs(120);
/// Journal records `journal_query` returns unless asked for fewer.
const DEFAULT_RECORDS: u32 = 50;
/// The most journal records one query returns.
const MAX_RECORDS: u32 = 1000;

/// The bridge's tools over one node.
#[derive(Clone)]
pub struct CoreTools {
    node: NodeHandle,
    journal_dir: Arc<PathBuf>,
    tool_router: ToolRouter<Self>,
}

/// `journal_query`'s input.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct JournalQuery {
    /// Only this repository, as `owner/name`.
    pub repo: Option<String>,
    /// Only records from this UTC day on, as `YYYY-MM-DD`.
    pub since: Option<String>,
    /// Only this handler's actions, such as `publish_draft`.
    pub action: Option<String>,
    /// At most this many records, the newest (default 50, at most 1000).
    pub limit: Option<u32>,
}

/// A handler tool's input: the PR to act on.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ActOn {
    /// The repository, as `owner/name`.
    pub repo: String,
    /// The pull request's number.
    pub pr: u64,
    /// Act although the handler's rule does not match (never past a stop label, the
    /// pipeline's scope, or a key already performed).
    #[serde(default)]
    pub force: bool,
}

/// `explain`'s input.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ExplainPr {
    /// The repository, as `owner/name`.
    pub repo: String,
    /// The pull request's number.
    pub pr: u64,
}

/// One PR waiting on a person, for `waiting_on_people`.
#[derive(Debug, Serialize)]
struct Waiting<'a> {
    repo: &'a RepoSlug,
    pr: u64,
    since: chrono::DateTime<chrono::Utc>,
    waited_secs: i64,
    reason: &'a str,
}

#[tool_router]
impl CoreTools {
    /// The tools over `node`, whose journal is in `journal_dir`; without the mutating ones
    /// when `read_only`.
    #[must_use]
    pub fn new(node: NodeHandle, journal_dir: PathBuf, read_only: bool) -> Self {
        let mut tool_router = Self::tool_router();
        if read_only {
            for name in MUTATING_TOOLS {
                tool_router.remove_route(name);
            }
        }
        Self { node, journal_dir: Arc::new(journal_dir), tool_router }
    }

    #[tool(
        description = "The node at a glance: mode, paused or running, the last cycles and their actions, \
        the next cycle due, the rate limit left, leases, unhealthy repositories, PRs waiting on a person."
    )]
    async fn poller_status(&self) -> Result<CallToolResult, String> {
        structured(&self.node.state())
    }

    #[tool(description = "Run one poll cycle now, paused or not, and return what it did.")]
    async fn poll_now(&self) -> Result<CallToolResult, String> {
        match tokio::time::timeout(POLL_WAIT, self.node.poll_now_and_wait()).await {
            Ok(Some(cycle)) => structured(&cycle),
            Ok(None) => Err("the node has stopped: no cycle runs".to_owned()),
            Err(_) => Err(format!(
                "the cycle still runs after {} s; poller_status shows when it ends",
                POLL_WAIT.as_secs()
            )),
        }
    }

    #[tool(description = "Start no cycle on the timer until resumed (a cycle in progress finishes).")]
    async fn pause(&self) -> Result<CallToolResult, String> {
        self.node.pause();
        structured(&self.node.state())
    }

    #[tool(description = "Poll on the timer again, starting a cycle at once.")]
    async fn resume(&self) -> Result<CallToolResult, String> {
        self.node.resume();
        structured(&self.node.state())
    }

    #[tool(description = "Journal records (one per action performed), newest last, filtered by repository, \
        UTC day and handler.")]
    async fn journal_query(
        &self,
        Parameters(query): Parameters<JournalQuery>,
    ) -> Result<CallToolResult, String> {
        let filter = ReadFilter {
            repo: parse_repo(query.repo.as_deref())?,
            since: parse_day(query.since.as_deref())?,
        };
        let limit = query.limit.unwrap_or(DEFAULT_RECORDS).min(MAX_RECORDS) as usize;
        let dir = Arc::clone(&self.journal_dir);
        let read = tokio::task::spawn_blocking(move || read_journal(&dir, &filter))
            .await
            .map_err(|e| format!("reading the journal failed: {e}"))?
            .map_err(|e| format!("reading the journal failed: {e}"))?;
        let mut records: Vec<_> = read
            .records
            .into_iter()
            .filter(|r| query.action.as_ref().is_none_or(|a| &r.action == a))
            .collect();
        let skip = records.len().saturating_sub(limit);
        records.drain(..skip);
        structured(&serde_json::json!({ "records": records }))
    }

    #[tool(
        description = "Tick the PR's child in its epic's checklist (the PR merged, the box is unticked). Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn tick_parent(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("tick_parent", on).await
    }

    #[tool(
        description = "Close the PR's child issue as completed (the PR merged, the epic ticked it). Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn close_child(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("close_child", on).await
    }

    #[tool(
        description = "Close the epic once every child is closed. Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn close_epic(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("close_epic", on).await
    }

    #[tool(
        description = "Add the needs-human label to a PR that is stuck (no progress, a silent agent, checks stuck). Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn needs_human(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("needs_human", on).await
    }

    #[tool(
        description = "Comment the fix command for the PR's conflict, review or failing checks, for the coding agent. Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn send_fix_command(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("send_fix_command", on).await
    }

    #[tool(
        description = "Resolve the review threads the fix answered (outdated, or answered last by the agent). Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn resolve_threads(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("resolve_threads", on).await
    }

    #[tool(
        description = "Mark a draft PR ready for review once its deciding checks pass. Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn publish_draft(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("publish_draft", on).await
    }

    #[tool(
        description = "Enable auto-merge (or merge a clean PR, or queue it) with the configured merge method. Reads the PR afresh and acts only when the handler's rule matches, \
        unless force; never twice per key (shared ledger with the poller)."
    )]
    async fn enable_auto_merge(&self, Parameters(on): Parameters<ActOn>) -> Result<CallToolResult, String> {
        self.act("enable_auto_merge", on).await
    }

    #[tool(description = "Read a PR afresh and say what the pipeline would do with it next, and why: its \
        structural signal (one per epic child it closes) and the decision.")]
    async fn explain(&self, Parameters(pr): Parameters<ExplainPr>) -> Result<CallToolResult, String> {
        let repo = repo_named(&pr.repo)?;
        let explained =
            self.node.explain(&repo, pr.pr).await.map_err(|e| {
                format!("the node could not read {repo}#{} ({}): see its log", pr.pr, e.class())
            })?;
        if explained.is_empty() {
            return Err(format!("{repo}#{} is not among the PRs this node polls", pr.pr));
        }
        let signals: Vec<_> = explained
            .iter()
            .map(|e| {
                serde_json::json!({
                    "signal": e.signal,
                    "decision": {"action": e.decision.action, "reason": e.decision.reason,
                                 "key": e.decision.key.as_ref().map(ToString::to_string),
                                 "waiting_on": e.decision.waiting},
                })
            })
            .collect();
        structured(&serde_json::json!({ "signals": signals }))
    }

    #[tool(
        description = "The PRs waiting on a person (a review, a stop label, a setting), oldest first, with \
        how long each has waited."
    )]
    async fn waiting_on_people(&self) -> Result<CallToolResult, String> {
        let state = self.node.state();
        let now = chrono::Utc::now();
        let waiting: Vec<_> = state
            .waiting_on_person
            .iter()
            .map(|w| Waiting {
                repo: &w.repo,
                pr: w.pr,
                since: w.since,
                waited_secs: (now - w.since).num_seconds().max(0),
                reason: &w.reason,
            })
            .collect();
        structured(&serde_json::json!({ "waiting": waiting }))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CoreTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("core-ide", env!("CARGO_PKG_VERSION")))
            .with_instructions(
            "core-ide's PR pipeline on this machine: poller_status first, then poll_now, pause or resume; \
             journal_query for what it did; waiting_on_people for what needs a person.",
        )
    }
}

/// `value` as the tool's structured result (and its JSON text, for clients that read only text).
/// MCP's `structuredContent` is an object: lists go under a name.
fn structured(value: &impl Serialize) -> Result<CallToolResult, String> {
    let value =
        serde_json::to_value(value).map_err(|e| format!("the answer could not be written as JSON: {e}"))?;
    Ok(CallToolResult::structured(value))
}

impl CoreTools {
    /// Performs `handler` on the PR through the node; a refusal or a failed action is a tool
    /// error, so the caller sees it as one.
    async fn act(&self, handler: &str, on: ActOn) -> Result<CallToolResult, String> {
        let repo = repo_named(&on.repo)?;
        let outcome = self.node.act_now(&repo, on.pr, handler, on.force).await.map_err(|e| {
            format!("the node could not act on {repo}#{} ({}): see its log", on.pr, e.class())
        })?;
        match outcome {
            ManualOutcome::Refused { reason } => {
                Err(format!("{handler} on {repo}#{}: not done: {reason}", on.pr))
            }
            ManualOutcome::Acted(report) => {
                let summary = ActionSummary::from(&report);
                if summary.outcome == "failed" {
                    let text = serde_json::to_string(&summary).unwrap_or_default();
                    return Err(format!("{handler} on {repo}#{} failed: {text}", on.pr));
                }
                structured(&summary)
            }
        }
    }
}

fn parse_repo(repo: Option<&str>) -> Result<Option<RepoSlug>, String> {
    repo.map(repo_named).transpose()
}

fn repo_named(repo: &str) -> Result<RepoSlug, String> {
    RepoSlug::parse(repo).map_err(|e| format!("repo {repo:?}: {e}"))
}

fn parse_day(day: Option<&str>) -> Result<Option<NaiveDate>, String> {
    day.map(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| format!("since {d:?}: expected a UTC day as YYYY-MM-DD"))
    })
    .transpose()
}
