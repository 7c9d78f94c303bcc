//! What each waiting PR waits on, and since when: the clock of the escalation rules
//! (`agent_timeout`, `stuck_after`) and `core-status`'s list of PRs waiting on a person.
//!
//! The runner writes a row when a PR starts waiting on someone on a head, keeps it (and its
//! `since`) while the wait stays the same, replaces it when the wait or the head changes and
//! deletes it when the PR stops waiting. The reason is the decision's, built from structural
//! fields only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{CommitSha, RepoSlug, WaitingOn};

use crate::StoreError;
use crate::columns::{bigint, parse_timestamp, timestamp, unsigned};
use crate::statement::{Backend, Statement};

/// What each waiting PR waits on, and since when (see the [module documentation](self)).
#[async_trait]
pub trait Waits: Send + Sync {
    /// Every waiting PR, oldest wait first.
    async fn waits(&self) -> Result<Vec<PrWait>, StoreError>;

    /// Records that a PR waits, replacing its earlier wait.
    async fn put_wait(&self, wait: &PrWait) -> Result<(), StoreError>;

    /// Forgets a PR's wait: it acts, or has nothing left to wait for.
    async fn clear_wait(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError>;
}

/// Every waiting PR, oldest wait first.
const ALL: &str =
    "SELECT repo, pr, waiting_on, head_sha, since, reason FROM pr_waits ORDER BY since, repo, pr";

/// Records the wait of PR `$2` in repo `$1`, replacing any earlier one.
const PUT: &str = "INSERT INTO pr_waits (repo, pr, waiting_on, head_sha, since, reason) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (repo, pr) DO UPDATE SET waiting_on = excluded.waiting_on, head_sha = excluded.head_sha, \
     since = excluded.since, reason = excluded.reason";

/// Forgets the wait of PR `$2` in repo `$1`.
const CLEAR: &str = "DELETE FROM pr_waits WHERE repo = $1 AND pr = $2";

/// One waiting PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrWait {
    /// Repository of the PR.
    pub repo: RepoSlug,
    /// The PR.
    pub pr: u64,
    /// Who or what it waits on.
    pub on: WaitingOn,
    /// The head commit the wait is on: a new head starts a new wait.
    pub head_sha: CommitSha,
    /// When the runner first saw this wait.
    pub since: DateTime<Utc>,
    /// The decision's reason (structural).
    pub reason: String,
}

#[async_trait]
impl<B: Backend> Waits for B {
    async fn waits(&self) -> Result<Vec<PrWait>, StoreError> {
        let rows: Vec<WaitColumns> = self.fetch_all("list waiting PRs", Statement::new(ALL)).await?;
        rows.into_iter().map(wait_row).collect()
    }

    async fn put_wait(&self, wait: &PrWait) -> Result<(), StoreError> {
        let statement = Statement::new(PUT)
            .bind(wait.repo.to_string())
            .bind(bigint("pr", wait.pr)?)
            .bind(wait.on.as_str())
            .bind(wait.head_sha.as_str())
            .bind(timestamp(wait.since))
            .bind(wait.reason.as_str());
        self.execute("record a waiting PR", statement).await?;
        Ok(())
    }

    async fn clear_wait(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
        let statement = Statement::new(CLEAR).bind(repo.to_string()).bind(bigint("pr", pr)?);
        self.execute("forget a waiting PR", statement).await?;
        Ok(())
    }
}

/// A row of [`ALL`], in its column order.
type WaitColumns = (String, i64, String, String, String, String);

fn wait_row((repo, pr, on, head_sha, since, reason): WaitColumns) -> Result<PrWait, StoreError> {
    Ok(PrWait {
        repo: RepoSlug::parse(&repo).map_err(|e| StoreError::unreadable("repository", &repo, e))?,
        pr: unsigned("pr", pr)?,
        on: WaitingOn::parse(&on).ok_or_else(|| {
            StoreError::unreadable("waiting on", &on, "not one of agent, checks, person, github")
        })?,
        head_sha: CommitSha::new(head_sha.as_str())
            .map_err(|e| StoreError::unreadable("head SHA", &head_sha, e))?,
        since: parse_timestamp("wait start", &since)?,
        reason,
    })
}
