//! The MCP tools: the node's controls and records, each with a typed, schema'd input.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use jobrunner_core::RepoSlug;
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_node::NodeHandle;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

/// The tools that change something: left out with `read_only`.
pub const MUTATING_TOOLS: &[&str] = &["poll_now", "pause", "resume"];

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
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
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

fn parse_repo(repo: Option<&str>) -> Result<Option<RepoSlug>, String> {
    repo.map(|r| RepoSlug::parse(r).map_err(|e| format!("repo {r:?}: {e}"))).transpose()
}

fn parse_day(day: Option<&str>) -> Result<Option<NaiveDate>, String> {
    day.map(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| format!("since {d:?}: expected a UTC day as YYYY-MM-DD"))
    })
    .transpose()
}
