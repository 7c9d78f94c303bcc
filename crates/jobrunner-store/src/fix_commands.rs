//! Fix commands sent per PR, counted to notice an agent that makes no progress.
//!
//! The rule: every fix command recorded on a PR counts, until the runner reports progress with
//! [`FixCounts::reset_fix_commands`] (any other action performed
//! on the PR: threads resolved, draft published, auto-merge enabled). A new head SHA alone is
//! not progress: an agent that answers every command with a commit that still conflicts would
//! otherwise be sent commands forever, which is the loop the limit exists to stop. The runner
//! compares the count with its configured limit and labels the PR (default `needs-human`)
//! instead of sending more.
//!
//! That the same command is never sent twice for one head SHA is the ledger's job (the head
//! SHA is part of the key). The head SHA of the latest command is kept beside the count, for
//! people reading the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{CommitSha, RepoSlug};

use crate::StoreError;
use crate::columns::{bigint, parse_timestamp, timestamp, unsigned};
use crate::statement::{Backend, Statement};

/// The fix commands sent per PR since its last progress (see the [module documentation](self)).
#[async_trait]
pub trait FixCounts: Send + Sync {
    /// Records a fix command sent on `pr` at `head_sha` and returns the number of commands
    /// without progress: every command since the last
    /// [`reset_fix_commands`](Self::reset_fix_commands), whatever its head SHA.
    async fn record_fix_command(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head_sha: &CommitSha,
        rule: &str,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Every PR's fix commands since its last progress: what the runner tells handlers of
    /// commands gone unanswered.
    async fn fix_commands(&self) -> Result<Vec<FixCommands>, StoreError>;

    /// Reports progress on `pr` (another action was performed on it): the commands sent so
    /// far are forgotten and the next one counts 1.
    async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError>;

    /// The number of fix commands without progress on `pr` (0 when none was sent).
    async fn fix_commands_without_progress(&self, repo: &RepoSlug, pr: u64) -> Result<u32, StoreError>;
}

/// Records a command sent on PR `$2` of repo `$1` at head `$3` (`$4` sent at) and returns the
/// count without progress. One upsert, so two writers cannot both read the old count;
/// `excluded` and `RETURNING` work in both databases.
const RECORD: &str = "INSERT INTO fix_commands (repo, pr, head_sha, without_progress, last_sent_at, on_head, rule) \
     VALUES ($1, $2, $3, 1, $4, 1, $5) \
     ON CONFLICT (repo, pr) DO UPDATE SET \
     without_progress = fix_commands.without_progress + 1, \
     on_head = CASE WHEN fix_commands.head_sha = excluded.head_sha THEN fix_commands.on_head + 1 ELSE 1 END, \
     head_sha = excluded.head_sha, last_sent_at = excluded.last_sent_at, rule = excluded.rule \
     RETURNING without_progress";

/// Every PR's commands since its last progress.
const ALL: &str = "SELECT repo, pr, head_sha, without_progress, on_head, rule, last_sent_at FROM fix_commands ORDER BY repo, pr";

/// The fix commands sent on one PR since its last progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixCommands {
    /// Repository of the PR.
    pub repo: RepoSlug,
    /// The PR.
    pub pr: u64,
    /// Head commit the latest command was sent on.
    pub head_sha: CommitSha,
    /// Commands since the last progress, on any head.
    pub without_progress: u32,
    /// Commands sent on `head_sha`.
    pub on_head: u32,
    /// The rule of the latest command (`review`, `ci 1f2e...`, `review/resend`).
    pub rule: String,
    /// When the latest was sent.
    pub last_sent_at: DateTime<Utc>,
}

/// The count without progress of PR `$2` in repo `$1` (no row: no command since progress, 0).
const COUNT: &str = "SELECT without_progress FROM fix_commands WHERE repo = $1 AND pr = $2";

/// Forgets the commands sent on PR `$2` of repo `$1`: the next one counts 1.
const RESET: &str = "DELETE FROM fix_commands WHERE repo = $1 AND pr = $2";

#[async_trait]
impl<B: Backend> FixCounts for B {
    async fn record_fix_command(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head_sha: &CommitSha,
        rule: &str,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let statement = Statement::new(RECORD)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(head_sha.as_str())
            .bind(timestamp(at))
            .bind(rule);
        let (count,): (i64,) = self.fetch_one("record a fix command", statement).await?;
        unsigned("fix command count", count)
    }

    async fn fix_commands(&self) -> Result<Vec<FixCommands>, StoreError> {
        let rows: Vec<FixCommandColumns> = self.fetch_all("list fix commands", Statement::new(ALL)).await?;
        rows.into_iter().map(fix_commands_row).collect()
    }

    async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
        let statement = Statement::new(RESET).bind(repo.to_string()).bind(bigint("pr", pr)?);
        self.execute("reset fix commands", statement).await?;
        Ok(())
    }

    async fn fix_commands_without_progress(&self, repo: &RepoSlug, pr: u64) -> Result<u32, StoreError> {
        let statement = Statement::new(COUNT).bind(repo.to_string()).bind(bigint("pr", pr)?);
        let count: Option<(i64,)> = self.fetch_optional("count fix commands", statement).await?;
        unsigned("fix command count", count.map_or(0, |(count,)| count))
    }
}

/// A row of [`ALL`], in its column order.
type FixCommandColumns = (String, i64, String, i64, i64, String, String);

fn fix_commands_row(
    (repo, pr, head_sha, without_progress, on_head, rule, last_sent_at): FixCommandColumns,
) -> Result<FixCommands, StoreError> {
    Ok(FixCommands {
        repo: RepoSlug::parse(&repo).map_err(|e| StoreError::unreadable("repository", &repo, e))?,
        pr: unsigned("pr", pr)?,
        head_sha: CommitSha::new(head_sha.as_str())
            .map_err(|e| StoreError::unreadable("head SHA", &head_sha, e))?,
        without_progress: unsigned("fix command count", without_progress)?,
        on_head: unsigned("fix commands on the head", on_head)?,
        rule,
        last_sent_at: parse_timestamp("fix command time", &last_sent_at)?,
    })
}
