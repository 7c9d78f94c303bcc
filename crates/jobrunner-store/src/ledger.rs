//! The idempotency ledger: each action key is claimed once, then confirmed or released.
//!
//! The protocol the runner follows: claim the key, perform the action, confirm the outcome.
//! A claimed key is never claimed again, so its action is never performed twice — across
//! cycles, restarts and (with PostgreSQL) nodes. A key claimed but never confirmed means the
//! node died between claim and effect: [`Ledger::unconfirmed`] lists
//! them so the runner settles each by re-reading the forge, then confirms or releases it.
//!
//! Beside each claim the runner keeps the signal it was decided on
//! ([`Ledger::keep_claimed_signal`]), so an action a crash left unconfirmed is journaled from
//! what its decision saw.
//!
//! Every key statement below binds the key as `$1..$5` = repo, pr, action, head SHA, review
//! time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{ActionKey, CommitSha, FailureClass, NodeId, PipelineSignal, RepoSlug};

use crate::StoreError;
use crate::columns::{bigint, json_text, parse_json, parse_node, parse_timestamp, timestamp, unsigned};
use crate::statement::{Backend, Statement};

/// What [`Ledger::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is now this node's: perform the action, then confirm or release it.
    Claimed,
    /// Someone claimed the key before: do not perform the action.
    Taken {
        /// The node that claimed it.
        by: NodeId,
        /// Where that claim stands.
        status: KeyStatus,
    },
}

/// Where a claimed key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Claimed, outcome not recorded yet: in progress, or its node died between claim and effect.
    Claimed,
    /// The action was performed.
    Done,
    /// The action failed for good; it is never retried.
    Failed {
        /// Why it failed.
        class: FailureClass,
    },
}

/// The outcome [`Ledger::confirm`] records for a claimed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The action was performed.
    Done,
    /// The action failed and is not to be retried (retryable failures are released instead).
    Failed {
        /// Why it failed.
        class: FailureClass,
    },
}

/// An action recorded as failed for good: never performed again for its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedAction {
    /// The action's key.
    pub key: ActionKey,
    /// Why, as its failure class (the node's log has GitHub's reason in our words).
    pub class: FailureClass,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// The idempotency ledger: claims of action keys and their outcomes (see the
/// [module documentation](self)), and the signal each claim was decided on.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims `key` for `node` unless anyone claimed it before, in one atomic step: of any
    /// number of concurrent claims of one key, exactly one gets [`Claim::Claimed`]. Dry runs
    /// claim nothing.
    async fn claim(&self, key: &ActionKey, node: &NodeId, at: DateTime<Utc>) -> Result<Claim, StoreError>;

    /// Who holds `key` and where it stands, `None` when nobody claimed it: the runner skips a
    /// decision whose key is settled already, so the next handler may act on the PR instead.
    async fn holder_of(&self, key: &ActionKey) -> Result<Option<Claim>, StoreError>;

    /// Records the outcome of a key this store's node claimed. The key stays taken for good,
    /// so a permanently failed action is skipped like a done one. Errors when the key is not
    /// claimed by this node (any more) or already confirmed.
    async fn confirm(&self, key: &ActionKey, outcome: Outcome, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Forgets a claimed, unconfirmed key so a later cycle may claim it again: for retryable
    /// failures, and for crash leftovers the forge shows were never performed. Only this
    /// store's node's claim is released: releasing a key nobody holds, or another node holds,
    /// does nothing; releasing a confirmed key is an error.
    async fn release(&self, key: &ActionKey) -> Result<(), StoreError>;

    /// The keys `node` claimed and never confirmed or released, oldest first: after a crash,
    /// the actions that may or may not have happened. Settle each by re-reading the forge.
    async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError>;

    /// The actions recorded as failed for good since `since` (by any node of the store),
    /// newest first, at most `limit`: what `core-status` shows as refused.
    async fn refused_since(&self, since: DateTime<Utc>, limit: u32)
    -> Result<Vec<RefusedAction>, StoreError>;

    /// Keeps `signal` as the one the coming claim of a key of `repo` and `pr` is decided on,
    /// replacing the signal kept by any earlier claim there: should the node die between that
    /// claim and its confirmation, crash recovery journals the action from what the decision
    /// saw. `repo` and `pr` are the key's, which for an epic's action (`close_epic`) are the
    /// epic's rather than the signal's PR.
    async fn keep_claimed_signal(
        &self,
        repo: &RepoSlug,
        pr: u64,
        signal: &PipelineSignal,
    ) -> Result<(), StoreError>;

    /// The signal the latest claim of a key of `repo` and `pr` kept, `None` when none did.
    ///
    /// A kept signal that no longer reads as a [`PipelineSignal`] (an older core-ide kept it,
    /// and the signal's shape changed since) is [`StoreError::ClaimedSignalUnreadable`], not
    /// `None`: the store logs nothing and decides nothing, so only an error lets the caller
    /// tell "nothing kept" from "kept but lost", say so, and choose what to use instead (the
    /// runner journals from the PR's signal now). The row is replaced at the next claim there.
    async fn claimed_signal(&self, repo: &RepoSlug, pr: u64) -> Result<Option<PipelineSignal>, StoreError>;
}

/// Inserts the key as claimed unless it exists; one statement, so exactly one of any number of
/// concurrent claims inserts. `ON CONFLICT DO NOTHING` (no target) is accepted by both
/// databases. `$6` node, `$7` claimed at.
const CLAIM: &str = "INSERT INTO ledger (repo, pr, action, head_sha, review_at, node, claimed_at, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'claimed') ON CONFLICT DO NOTHING";

/// Who holds the key, and how far it got.
const HOLDER: &str = "SELECT node, status, failure FROM ledger \
     WHERE repo = $1 AND pr = $2 AND action = $3 AND head_sha = $4 AND review_at = $5";

/// Records the outcome of a claimed key; `$6` status, `$7` failure JSON, `$8` confirmed at.
const CONFIRM: &str = "UPDATE ledger SET status = $6, failure = $7, confirmed_at = $8 \
     WHERE repo = $1 AND pr = $2 AND action = $3 AND head_sha = $4 AND review_at = $5 \
     AND status = 'claimed' AND node = $9";

/// Forgets a key node `$6` claimed so a later cycle may claim it again. A confirmed key, or
/// one another node holds (it took a dead node's claim over, see `TAKE_OVER`), is never deleted.
const RELEASE: &str = "DELETE FROM ledger \
     WHERE repo = $1 AND pr = $2 AND action = $3 AND head_sha = $4 AND review_at = $5 \
     AND status = 'claimed' AND node = $6";

/// Moves an unconfirmed claim from node `$6` to node `$7`: a live node settling a dead node's
/// claim first makes it its own, so the two can never both settle it.
pub(crate) const TAKE_OVER: &str = "UPDATE ledger SET node = $7 \
     WHERE repo = $1 AND pr = $2 AND action = $3 AND head_sha = $4 AND review_at = $5 \
     AND status = 'claimed' AND node = $6";

/// A node's claimed, unconfirmed keys, oldest claim first; `$1` node.
const UNCONFIRMED: &str = "SELECT repo, pr, action, head_sha, review_at FROM ledger \
     WHERE node = $1 AND status = 'claimed' ORDER BY claimed_at, repo, pr, action, head_sha, review_at";

/// Keys confirmed as failed since `$1`, newest first, at most `$2`: the actions GitHub refused
/// for good, for `core-status`.
const REFUSED: &str = "SELECT repo, pr, action, head_sha, review_at, failure, confirmed_at FROM ledger \
     WHERE status = 'failed' AND confirmed_at >= $1 ORDER BY confirmed_at DESC LIMIT $2";

/// Claim attempts when the key is released between the insert and the read of its holder.
const CLAIM_ATTEMPTS: usize = 3;

/// The signal kept for claims in repo `$1` on PR (or epic) `$2`. The table is named for the
/// structural PR state it held before it held claimed signals, which are just that.
const CLAIMED_SIGNAL: &str = "SELECT state FROM pr_states WHERE repo = $1 AND pr = $2";

/// Keeps the signal of a claim in repo `$1` on PR (or epic) `$2` as JSON `$3`, replacing any
/// earlier one.
const KEEP_CLAIMED_SIGNAL: &str = "INSERT INTO pr_states (repo, pr, state) VALUES ($1, $2, $3) \
     ON CONFLICT (repo, pr) DO UPDATE SET state = excluded.state";

#[async_trait]
impl<B: Backend> Ledger for B {
    async fn claim(&self, key: &ActionKey, node: &NodeId, at: DateTime<Utc>) -> Result<Claim, StoreError> {
        let columns = KeyColumns::of(key)?;
        let claimed_at = timestamp(at);
        for _ in 0..CLAIM_ATTEMPTS {
            let statement =
                columns.bind_to(Statement::new(CLAIM)).bind(node.as_str()).bind(claimed_at.as_str());
            if self.execute("claim an action key", statement).await? == 1 {
                return Ok(Claim::Claimed);
            }
            if let Some(taken) = holder(self, &columns).await? {
                return Ok(taken);
            }
            // Released between the insert and the read: the key is free again, claim anew.
        }
        Err(StoreError::ClaimContended { key: Box::new(key.clone()) })
    }

    async fn holder_of(&self, key: &ActionKey) -> Result<Option<Claim>, StoreError> {
        holder(self, &KeyColumns::of(key)?).await
    }

    async fn confirm(&self, key: &ActionKey, outcome: Outcome, at: DateTime<Utc>) -> Result<(), StoreError> {
        let columns = KeyColumns::of(key)?;
        let (status, failure) = outcome_columns(outcome);
        let statement = columns
            .bind_to(Statement::new(CONFIRM))
            .bind(status)
            .bind(failure)
            .bind(timestamp(at))
            .bind(self.node_id().as_str());
        match self.execute("confirm an action key", statement).await? {
            1 => Ok(()),
            _ if is_confirmed(self, &columns).await? => {
                Err(StoreError::AlreadyConfirmed { key: Box::new(key.clone()) })
            }
            _ => Err(StoreError::NotClaimed { key: Box::new(key.clone()) }),
        }
    }

    async fn release(&self, key: &ActionKey) -> Result<(), StoreError> {
        let columns = KeyColumns::of(key)?;
        let statement = columns.bind_to(Statement::new(RELEASE)).bind(self.node_id().as_str());
        let deleted = self.execute("release an action key", statement).await?;
        if deleted == 0 && is_confirmed(self, &columns).await? {
            return Err(StoreError::AlreadyConfirmed { key: Box::new(key.clone()) });
        }
        Ok(())
    }

    async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError> {
        let statement = Statement::new(UNCONFIRMED).bind(node.as_str());
        let rows: Vec<(String, i64, String, String, String)> =
            self.fetch_all("list unconfirmed action keys", statement).await?;
        rows.into_iter()
            .map(|(repo, pr, action, head_sha, review_at)| {
                KeyColumns { repo, pr, action, head_sha, review_at }.into_key()
            })
            .collect()
    }

    async fn refused_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RefusedAction>, StoreError> {
        let statement = Statement::new(REFUSED).bind(timestamp(since)).bind(i64::from(limit));
        let rows: Vec<RefusedColumns> = self.fetch_all("list refused actions", statement).await?;
        rows.into_iter().map(refused_action).collect()
    }

    async fn keep_claimed_signal(
        &self,
        repo: &RepoSlug,
        pr: u64,
        signal: &PipelineSignal,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(KEEP_CLAIMED_SIGNAL)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(json_text(signal));
        self.execute("keep the claimed signal", statement).await?;
        Ok(())
    }

    async fn claimed_signal(&self, repo: &RepoSlug, pr: u64) -> Result<Option<PipelineSignal>, StoreError> {
        let statement = Statement::new(CLAIMED_SIGNAL).bind(repo.to_string()).bind(bigint("pr", pr)?);
        let kept: Option<(String,)> = self.fetch_optional("read the claimed signal", statement).await?;
        let Some((kept,)) = kept else { return Ok(None) };
        serde_json::from_str(&kept).map(Some).map_err(|source| StoreError::ClaimedSignalUnreadable {
            repo: repo.clone(),
            pr,
            source,
        })
    }
}

/// Who holds the key, if anyone.
async fn holder(store: &impl Backend, key: &KeyColumns) -> Result<Option<Claim>, StoreError> {
    let row: Option<(String, String, Option<String>)> =
        store.fetch_optional("read an action key", key.bind_to(Statement::new(HOLDER))).await?;
    let Some((node, status, failure)) = row else { return Ok(None) };
    Ok(Some(Claim::Taken { by: parse_node(&node)?, status: key_status(&status, failure.as_deref())? }))
}

async fn is_confirmed(store: &impl Backend, key: &KeyColumns) -> Result<bool, StoreError> {
    let holder = holder(store, key).await?;
    Ok(matches!(holder, Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. })))
}

/// A key as the five columns of the ledger's primary key.
pub(crate) struct KeyColumns {
    pub(crate) repo: String,
    pub(crate) pr: i64,
    pub(crate) action: String,
    pub(crate) head_sha: String,
    /// `''` when the action answers no review.
    pub(crate) review_at: String,
}

impl KeyColumns {
    pub(crate) fn of(key: &ActionKey) -> Result<Self, StoreError> {
        Ok(Self {
            repo: key.repo.to_string(),
            pr: bigint("pr", key.pr)?,
            action: key.action.to_string(),
            head_sha: key.head_sha.to_string(),
            review_at: key.review_at.map(timestamp).unwrap_or_default(),
        })
    }

    /// Binds the key as `$1..$5`, the first binds of every statement above.
    pub(crate) fn bind_to(&self, statement: Statement) -> Statement {
        statement
            .bind(self.repo.as_str())
            .bind(self.pr)
            .bind(self.action.as_str())
            .bind(self.head_sha.as_str())
            .bind(self.review_at.as_str())
    }

    pub(crate) fn into_key(self) -> Result<ActionKey, StoreError> {
        let review_at = match self.review_at.as_str() {
            "" => None,
            text => Some(parse_timestamp("review time", text)?),
        };
        Ok(ActionKey {
            repo: RepoSlug::parse(&self.repo)
                .map_err(|e| StoreError::unreadable("repository", &self.repo, e))?,
            pr: unsigned("pr", self.pr)?,
            action: jobrunner_core::ActionId::parse(&self.action),
            head_sha: CommitSha::new(self.head_sha.as_str())
                .map_err(|e| StoreError::unreadable("head SHA", &self.head_sha, e))?,
            review_at,
        })
    }
}

/// The `status` and `failure` columns of an outcome.
fn outcome_columns(outcome: Outcome) -> (&'static str, Option<String>) {
    match outcome {
        Outcome::Done => ("done", None),
        Outcome::Failed { class } => ("failed", Some(json_text(&class))),
    }
}

/// A row of [`REFUSED`]: the key's five columns, the failure class and when it was confirmed.
type RefusedColumns = (String, i64, String, String, String, Option<String>, Option<String>);

/// A row of [`REFUSED`] as a [`RefusedAction`].
fn refused_action(
    (repo, pr, action, head_sha, review_at, failure, confirmed_at): RefusedColumns,
) -> Result<RefusedAction, StoreError> {
    let key = KeyColumns { repo, pr, action, head_sha, review_at }.into_key()?;
    let class = parse_json("failure class", failure.as_deref().unwrap_or("null"))?;
    let at = parse_timestamp("confirmed_at", confirmed_at.as_deref().unwrap_or_default())?;
    Ok(RefusedAction { key, class, at })
}

/// A key's status from its `status` and `failure` columns.
fn key_status(status: &str, failure: Option<&str>) -> Result<KeyStatus, StoreError> {
    match (status, failure) {
        ("claimed", None) => Ok(KeyStatus::Claimed),
        ("done", None) => Ok(KeyStatus::Done),
        ("failed", Some(failure)) => Ok(KeyStatus::Failed { class: parse_json("failure class", failure)? }),
        _ => Err(StoreError::unreadable("ledger status", status, "expected claimed, done or failed")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn key(review: bool) -> ActionKey {
        let review_at = review.then(|| Utc.with_ymd_and_hms(2026, 11, 21, 9, 5, 0).unwrap());
        ActionKey {
            repo: RepoSlug::parse("octo/app").unwrap(),
            pr: 7,
            action: jobrunner_core::ActionId::parse("send_fix_command/review"),
            head_sha: CommitSha::new("a".repeat(40)).unwrap(),
            review_at,
        }
    }

    #[test]
    fn keys_round_trip_through_their_columns() {
        for review in [false, true] {
            let columns = KeyColumns::of(&key(review)).unwrap();
            assert_eq!(columns.review_at.is_empty(), !review);
            assert_eq!(columns.into_key().unwrap(), key(review));
        }
    }

    #[test]
    fn outcomes_round_trip_through_their_columns() {
        for outcome in [Outcome::Done, Outcome::Failed { class: FailureClass::NotFound }] {
            let (status, failure) = outcome_columns(outcome);
            let expected = match outcome {
                Outcome::Done => KeyStatus::Done,
                Outcome::Failed { class } => KeyStatus::Failed { class },
            };
            assert_eq!(key_status(status, failure.as_deref()).unwrap(), expected);
        }
    }

    #[test]
    fn a_status_without_its_failure_is_unreadable() {
        assert!(matches!(key_status("failed", None), Err(StoreError::Unreadable { .. })));
    }
}
