//! The [`Store`] implementation the SQLite and PostgreSQL stores share.
//!
//! Both run the same statements, bound and decoded the same way, so the two stores cannot drift
//! apart: `impl Store` is written once, over the [`Backend`] each store implements (see
//! [`statement`](crate::statement)). What differs between the databases (opening, checking,
//! migrating, the node-identity rule) stays in each store's module.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{ActionKey, CommitSha, NodeId, RepoSlug};

use crate::columns::{bigint, json_text, parse_json, parse_node, parse_timestamp, timestamp, unsigned};
use crate::cycles::{CycleColumns, EndColumns};
use crate::ledger::{KeyColumns, key_status, outcome_columns};
use crate::statement::{Backend, Statement};
use crate::{
    CachedEtag, Claim, CycleEnd, CycleRecord, FixCommands, KeyStatus, NodeRecord, Outcome, PrWait,
    RefusedAction, Store, StoreError, cycles, etags, fix_commands, identity, ledger, pr_states, pr_waits,
};

/// Claim attempts when the key is released between the insert and the read of its holder.
const CLAIM_ATTEMPTS: usize = 3;

/// A row of [`fix_commands::ALL`](crate::fix_commands::ALL).
fn fix_commands_row(
    (repo, pr, head_sha, without_progress, on_head, rule, last_sent_at): (
        String,
        i64,
        String,
        i64,
        i64,
        String,
        String,
    ),
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

/// A row of [`pr_waits::ALL`](crate::pr_waits::ALL).
fn wait_row(
    (repo, pr, on, head_sha, since, reason): (String, i64, String, String, String, String),
) -> Result<PrWait, StoreError> {
    Ok(PrWait {
        repo: RepoSlug::parse(&repo).map_err(|e| StoreError::unreadable("repository", &repo, e))?,
        pr: unsigned("pr", pr)?,
        on: jobrunner_core::WaitingOn::parse(&on).ok_or_else(|| {
            StoreError::unreadable("waiting on", &on, "not one of agent, checks, person, github")
        })?,
        head_sha: CommitSha::new(head_sha.as_str())
            .map_err(|e| StoreError::unreadable("head SHA", &head_sha, e))?,
        since: parse_timestamp("wait start", &since)?,
        reason,
    })
}

/// Who holds the key, if anyone.
async fn holder(store: &impl Backend, key: &KeyColumns) -> Result<Option<Claim>, StoreError> {
    let row: Option<(String, String, Option<String>)> =
        store.fetch_optional("read an action key", key.bind_to(Statement::new(ledger::HOLDER))).await?;
    let Some((node, status, failure)) = row else { return Ok(None) };
    Ok(Some(Claim::Taken { by: parse_node(&node)?, status: key_status(&status, failure.as_deref())? }))
}

async fn is_confirmed(store: &impl Backend, key: &KeyColumns) -> Result<bool, StoreError> {
    let holder = holder(store, key).await?;
    Ok(matches!(holder, Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. })))
}

#[async_trait]
impl<B: Backend> Store for B {
    async fn holder_of(&self, key: &ActionKey) -> Result<Option<Claim>, StoreError> {
        holder(self, &KeyColumns::of(key)?).await
    }

    async fn refused_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RefusedAction>, StoreError> {
        type Row = (String, i64, String, String, String, Option<String>, Option<String>);
        let statement = Statement::new(ledger::REFUSED).bind(timestamp(since)).bind(i64::from(limit));
        let rows: Vec<Row> = self.fetch_all("list refused actions", statement).await?;
        rows.into_iter().map(ledger::refused_action).collect()
    }

    async fn node(&self) -> Result<NodeRecord, StoreError> {
        let statement = Statement::new(identity::NODE).bind(self.node_id().as_str());
        let (node, created_at): (String, String) = self.fetch_one("read the node", statement).await?;
        Ok(NodeRecord {
            id: parse_node(&node)?,
            created_at: parse_timestamp("node creation time", &created_at)?,
        })
    }

    async fn claim(&self, key: &ActionKey, node: &NodeId, at: DateTime<Utc>) -> Result<Claim, StoreError> {
        let columns = KeyColumns::of(key)?;
        let claimed_at = timestamp(at);
        for _ in 0..CLAIM_ATTEMPTS {
            let statement =
                columns.bind_to(Statement::new(ledger::CLAIM)).bind(node.as_str()).bind(claimed_at.as_str());
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

    async fn confirm(&self, key: &ActionKey, outcome: Outcome, at: DateTime<Utc>) -> Result<(), StoreError> {
        let columns = KeyColumns::of(key)?;
        let (status, failure) = outcome_columns(outcome);
        let statement = columns
            .bind_to(Statement::new(ledger::CONFIRM))
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
        let statement = columns.bind_to(Statement::new(ledger::RELEASE)).bind(self.node_id().as_str());
        let deleted = self.execute("release an action key", statement).await?;
        if deleted == 0 && is_confirmed(self, &columns).await? {
            return Err(StoreError::AlreadyConfirmed { key: Box::new(key.clone()) });
        }
        Ok(())
    }

    async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError> {
        let statement = Statement::new(ledger::UNCONFIRMED).bind(node.as_str());
        let rows: Vec<(String, i64, String, String, String)> =
            self.fetch_all("list unconfirmed action keys", statement).await?;
        rows.into_iter()
            .map(|(repo, pr, action, head_sha, review_at)| {
                KeyColumns { repo, pr, action, head_sha, review_at }.into_key()
            })
            .collect()
    }

    async fn record_fix_command(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head_sha: &CommitSha,
        rule: &str,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let statement = Statement::new(fix_commands::RECORD)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(head_sha.as_str())
            .bind(timestamp(at))
            .bind(rule);
        let (count,): (i64,) = self.fetch_one("record a fix command", statement).await?;
        unsigned("fix command count", count)
    }

    async fn fix_commands(&self) -> Result<Vec<FixCommands>, StoreError> {
        type Row = (String, i64, String, i64, i64, String, String);
        let rows: Vec<Row> = self.fetch_all("list fix commands", Statement::new(fix_commands::ALL)).await?;
        rows.into_iter().map(fix_commands_row).collect()
    }

    async fn waits(&self) -> Result<Vec<PrWait>, StoreError> {
        type Row = (String, i64, String, String, String, String);
        let rows: Vec<Row> = self.fetch_all("list waiting PRs", Statement::new(pr_waits::ALL)).await?;
        rows.into_iter().map(wait_row).collect()
    }

    async fn put_wait(&self, wait: &PrWait) -> Result<(), StoreError> {
        let statement = Statement::new(pr_waits::PUT)
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
        let statement = Statement::new(pr_waits::CLEAR).bind(repo.to_string()).bind(bigint("pr", pr)?);
        self.execute("forget a waiting PR", statement).await?;
        Ok(())
    }

    async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
        let statement = Statement::new(fix_commands::RESET).bind(repo.to_string()).bind(bigint("pr", pr)?);
        self.execute("reset fix commands", statement).await?;
        Ok(())
    }

    async fn fix_commands_without_progress(&self, repo: &RepoSlug, pr: u64) -> Result<u32, StoreError> {
        let statement = Statement::new(fix_commands::COUNT).bind(repo.to_string()).bind(bigint("pr", pr)?);
        let count: Option<(i64,)> = self.fetch_optional("count fix commands", statement).await?;
        unsigned("fix command count", count.map_or(0, |(count,)| count))
    }

    async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError> {
        let statement = Statement::new(etags::GET).bind(key);
        let row: Option<(String, String)> = self.fetch_optional("read a cached ETag", statement).await?;
        let Some((etag, payload)) = row else { return Ok(None) };
        Ok(Some(CachedEtag { etag, payload: parse_json("cached ETag payload", &payload)? }))
    }

    async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError> {
        let statement =
            Statement::new(etags::PUT).bind(key).bind(value.etag.as_str()).bind(json_text(&value.payload));
        self.execute("cache an ETag", statement).await?;
        Ok(())
    }

    async fn pr_state(&self, repo: &RepoSlug, pr: u64) -> Result<Option<serde_json::Value>, StoreError> {
        let statement = Statement::new(pr_states::GET).bind(repo.to_string()).bind(bigint("pr", pr)?);
        let state: Option<(String,)> = self.fetch_optional("read a PR state", statement).await?;
        state.map(|(state,)| parse_json("PR state", &state)).transpose()
    }

    async fn put_pr_state(
        &self,
        repo: &RepoSlug,
        pr: u64,
        state: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(pr_states::PUT)
            .bind(repo.to_string())
            .bind(bigint("pr", pr)?)
            .bind(json_text(state));
        self.execute("store a PR state", statement).await?;
        Ok(())
    }

    async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let statement = Statement::new(cycles::START).bind(node.as_str()).bind(timestamp(at));
        let (number,): (i64,) = self.fetch_one("start a cycle", statement).await?;
        unsigned("cycle number", number)
    }

    async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError> {
        let end = EndColumns::of(end)?;
        let statement = Statement::new(cycles::END)
            .bind(self.node_id().as_str())
            .bind(bigint("cycle", cycle)?)
            .bind(end.ended_at)
            .bind(end.outcome)
            .bind(end.failure)
            .bind(end.actions)
            .bind(end.points_spent)
            .bind(end.rate_limit_left);
        if self.execute("end a cycle", statement).await? == 0 {
            return Err(StoreError::CycleNotOpen { node: self.node_id().clone(), cycle });
        }
        Ok(())
    }

    async fn recent_cycles(&self, node: &NodeId, limit: u32) -> Result<Vec<CycleRecord>, StoreError> {
        let statement = Statement::new(cycles::RECENT).bind(node.as_str()).bind(i64::from(limit));
        let rows: Vec<CycleColumns> = self.fetch_all("read cycle records", statement).await?;
        rows.into_iter().map(cycles::record).collect()
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let statement = Statement::new("SELECT MAX(version) FROM _sqlx_migrations WHERE success");
        let (version,): (Option<i64>,) = self.fetch_one("read the schema version", statement).await?;
        Ok(version.unwrap_or(0))
    }
}
