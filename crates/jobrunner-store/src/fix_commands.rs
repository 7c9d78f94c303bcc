//! Fix commands sent per PR, counted to notice an agent that makes no progress.
//!
//! The rule: every fix command recorded on a PR counts, until the runner reports progress with
//! [`Store::reset_fix_commands`](crate::Store::reset_fix_commands) (any other action performed
//! on the PR: threads resolved, draft published, auto-merge enabled). A new head SHA alone is
//! not progress: an agent that answers every command with a commit that still conflicts would
//! otherwise be sent commands forever, which is the loop the limit exists to stop. The runner
//! compares the count with its configured limit and labels the PR (default `needs-human`)
//! instead of sending more.
//!
//! That the same command is never sent twice for one head SHA is the ledger's job (the head
//! SHA is part of the key). The head SHA of the latest command is kept beside the count, for
//! people reading the store.

/// Records a command sent on PR `$2` of repo `$1` at head `$3` (`$4` sent at) and returns the
/// count without progress. One upsert, so two writers cannot both read the old count;
/// `excluded` and `RETURNING` work in both databases.
pub(crate) const RECORD: &str = "INSERT INTO fix_commands (repo, pr, head_sha, without_progress, last_sent_at, on_head, rule) \
     VALUES ($1, $2, $3, 1, $4, 1, $5) \
     ON CONFLICT (repo, pr) DO UPDATE SET \
     without_progress = fix_commands.without_progress + 1, \
     on_head = CASE WHEN fix_commands.head_sha = excluded.head_sha THEN fix_commands.on_head + 1 ELSE 1 END, \
     head_sha = excluded.head_sha, last_sent_at = excluded.last_sent_at, rule = excluded.rule \
     RETURNING without_progress";

/// Every PR's commands since its last progress.
pub(crate) const ALL: &str = "SELECT repo, pr, head_sha, without_progress, on_head, rule, last_sent_at FROM fix_commands ORDER BY repo, pr";

/// The fix commands sent on one PR since its last progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixCommands {
    /// Repository of the PR.
    pub repo: jobrunner_core::RepoSlug,
    /// The PR.
    pub pr: u64,
    /// Head commit the latest command was sent on.
    pub head_sha: jobrunner_core::CommitSha,
    /// Commands since the last progress, on any head.
    pub without_progress: u32,
    /// Commands sent on `head_sha`.
    pub on_head: u32,
    /// The rule of the latest command (`review`, `ci 1f2e...`, `review/resend`).
    pub rule: String,
    /// When the latest was sent.
    pub last_sent_at: chrono::DateTime<chrono::Utc>,
}

/// The count without progress of PR `$2` in repo `$1` (no row: no command since progress, 0).
pub(crate) const COUNT: &str = "SELECT without_progress FROM fix_commands WHERE repo = $1 AND pr = $2";

/// Forgets the commands sent on PR `$2` of repo `$1`: the next one counts 1.
pub(crate) const RESET: &str = "DELETE FROM fix_commands WHERE repo = $1 AND pr = $2";
