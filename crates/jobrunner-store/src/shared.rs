//! The [`Store`] implementation the SQLite and PostgreSQL stores share.
//!
//! Both run the same statements, bound and decoded the same way, so the two stores cannot drift
//! apart: [`impl_store!`] writes the whole `impl Store` once, for any store type with
//! - a `pool` field (an sqlx pool of its database) and a `node` field (its [`NodeId`]);
//! - an inherent `fn failed(&self, operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError`
//!   mapping a failed statement to the store's own error.
//!
//! What differs between the databases (opening, checking, migrating, the node-identity rule)
//! stays in each store's module.
//!
//! [`Store`]: crate::Store
//! [`NodeId`]: jobrunner_core::NodeId

/// Claim attempts when the key is released between the insert and the read of its holder.
pub(crate) const CLAIM_ATTEMPTS: usize = 3;

/// Binds an action key's five columns as `$1..$5`, on `query` and `query_as` alike.
macro_rules! bind_key {
    ($query:expr, $key:expr) => {
        $query.bind(&$key.repo).bind($key.pr).bind(&$key.action).bind(&$key.head_sha).bind(&$key.review_at)
    };
}

/// A row of [`fix_commands::ALL`](crate::fix_commands::ALL).
pub(crate) fn fix_commands_row(
    (repo, pr, head_sha, without_progress, on_head, rule, last_sent_at): (
        String,
        i64,
        String,
        i64,
        i64,
        String,
        String,
    ),
) -> Result<crate::FixCommands, crate::StoreError> {
    use crate::columns::{parse_timestamp, unsigned};
    Ok(crate::FixCommands {
        repo: jobrunner_core::RepoSlug::parse(&repo)
            .map_err(|e| crate::StoreError::unreadable("repository", &repo, e))?,
        pr: unsigned("pr", pr)?,
        head_sha: jobrunner_core::CommitSha::new(head_sha.as_str())
            .map_err(|e| crate::StoreError::unreadable("head SHA", &head_sha, e))?,
        without_progress: unsigned("fix command count", without_progress)?,
        on_head: unsigned("fix commands on the head", on_head)?,
        rule,
        last_sent_at: parse_timestamp("fix command time", &last_sent_at)?,
    })
}

/// A row of [`pr_waits::ALL`](crate::pr_waits::ALL).
pub(crate) fn wait_row(
    (repo, pr, on, head_sha, since, reason): (String, i64, String, String, String, String),
) -> Result<crate::PrWait, crate::StoreError> {
    use crate::columns::{parse_timestamp, unsigned};
    Ok(crate::PrWait {
        repo: jobrunner_core::RepoSlug::parse(&repo)
            .map_err(|e| crate::StoreError::unreadable("repository", &repo, e))?,
        pr: unsigned("pr", pr)?,
        on: jobrunner_core::WaitingOn::parse(&on).ok_or_else(|| {
            crate::StoreError::unreadable("waiting on", &on, "not one of agent, checks, person, github")
        })?,
        head_sha: jobrunner_core::CommitSha::new(head_sha.as_str())
            .map_err(|e| crate::StoreError::unreadable("head SHA", &head_sha, e))?,
        since: parse_timestamp("wait start", &since)?,
        reason,
    })
}

/// Implements [`Store`](crate::Store) for `$store`, whose rows are `$row`, in a private module
/// beside it (see the module documentation for what `$store` provides).
macro_rules! impl_store {
    ($store:ident, $row:ty) => {
        mod store_impl {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use jobrunner_core::{ActionKey, CommitSha, NodeId, RepoSlug};
            use sqlx::{FromRow, Row};

            use super::$store;
            use $crate::columns::{
                bigint, json_text, parse_json, parse_node, parse_timestamp, timestamp, unsigned,
            };
            use $crate::cycles::{CycleRow, EndColumns};
            use $crate::ledger::{KeyColumns, key_status, outcome_columns};
            use $crate::shared::{CLAIM_ATTEMPTS, bind_key};
            use $crate::{
                CachedEtag, Claim, CycleEnd, CycleRecord, KeyStatus, NodeRecord, Outcome, Store, StoreError,
                cycles, etags, fix_commands, identity, ledger, pr_states,
            };

            impl $store {
                /// Who holds the key, if anyone.
                async fn holder(&self, key: &KeyColumns) -> Result<Option<Claim>, StoreError> {
                    let row: Option<(String, String, Option<String>)> =
                        bind_key!(sqlx::query_as(ledger::HOLDER), key)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(self.failed("read an action key"))?;
                    let Some((node, status, failure)) = row else { return Ok(None) };
                    Ok(Some(Claim::Taken {
                        by: parse_node(&node)?,
                        status: key_status(&status, failure.as_deref())?,
                    }))
                }

                async fn is_confirmed(&self, key: &KeyColumns) -> Result<bool, StoreError> {
                    let holder = self.holder(key).await?;
                    Ok(matches!(
                        holder,
                        Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. })
                    ))
                }
            }

            #[async_trait]
            impl Store for $store {
                async fn holder_of(&self, key: &ActionKey) -> Result<Option<Claim>, StoreError> {
                    self.holder(&KeyColumns::of(key)?).await
                }

                async fn refused_since(
                    &self,
                    since: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<$crate::RefusedAction>, StoreError> {
                    type Row = (String, i64, String, String, String, Option<String>, Option<String>);
                    let rows: Vec<Row> = sqlx::query_as(ledger::REFUSED)
                        .bind(timestamp(since))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(self.failed("list refused actions"))?;
                    rows.into_iter().map(ledger::refused_action).collect()
                }

                async fn node(&self) -> Result<NodeRecord, StoreError> {
                    let (node, created_at): (String, String) = sqlx::query_as(identity::NODE)
                        .bind(self.node.as_str())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(self.failed("read the node"))?;
                    Ok(NodeRecord {
                        id: parse_node(&node)?,
                        created_at: parse_timestamp("node creation time", &created_at)?,
                    })
                }

                async fn claim(
                    &self,
                    key: &ActionKey,
                    node: &NodeId,
                    at: DateTime<Utc>,
                ) -> Result<Claim, StoreError> {
                    let columns = KeyColumns::of(key)?;
                    let claimed_at = timestamp(at);
                    for _ in 0..CLAIM_ATTEMPTS {
                        let inserted = bind_key!(sqlx::query(ledger::CLAIM), columns)
                            .bind(node.as_str())
                            .bind(&claimed_at)
                            .execute(&self.pool)
                            .await
                            .map_err(self.failed("claim an action key"))?
                            .rows_affected();
                        if inserted == 1 {
                            return Ok(Claim::Claimed);
                        }
                        if let Some(taken) = self.holder(&columns).await? {
                            return Ok(taken);
                        }
                        // Released between the insert and the read: the key is free again, claim anew.
                    }
                    Err(StoreError::ClaimContended { key: Box::new(key.clone()) })
                }

                async fn confirm(
                    &self,
                    key: &ActionKey,
                    outcome: Outcome,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let columns = KeyColumns::of(key)?;
                    let (status, failure) = outcome_columns(outcome);
                    let updated = bind_key!(sqlx::query(ledger::CONFIRM), columns)
                        .bind(status)
                        .bind(failure)
                        .bind(timestamp(at))
                        .bind(self.node.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("confirm an action key"))?
                        .rows_affected();
                    match updated {
                        1 => Ok(()),
                        _ if self.is_confirmed(&columns).await? => {
                            Err(StoreError::AlreadyConfirmed { key: Box::new(key.clone()) })
                        }
                        _ => Err(StoreError::NotClaimed { key: Box::new(key.clone()) }),
                    }
                }

                async fn release(&self, key: &ActionKey) -> Result<(), StoreError> {
                    let columns = KeyColumns::of(key)?;
                    let deleted = bind_key!(sqlx::query(ledger::RELEASE), columns)
                        .bind(self.node.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("release an action key"))?
                        .rows_affected();
                    if deleted == 0 && self.is_confirmed(&columns).await? {
                        return Err(StoreError::AlreadyConfirmed { key: Box::new(key.clone()) });
                    }
                    Ok(())
                }

                async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError> {
                    let rows: Vec<(String, i64, String, String, String)> =
                        sqlx::query_as(ledger::UNCONFIRMED)
                            .bind(node.as_str())
                            .fetch_all(&self.pool)
                            .await
                            .map_err(self.failed("list unconfirmed action keys"))?;
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
                    let count: i64 = sqlx::query_scalar(fix_commands::RECORD)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .bind(head_sha.as_str())
                        .bind(timestamp(at))
                        .bind(rule)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(self.failed("record a fix command"))?;
                    unsigned("fix command count", count)
                }

                async fn fix_commands(&self) -> Result<Vec<$crate::FixCommands>, StoreError> {
                    type Row = (String, i64, String, i64, i64, String, String);
                    let rows: Vec<Row> = sqlx::query_as(fix_commands::ALL)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(self.failed("list fix commands"))?;
                    rows.into_iter().map($crate::shared::fix_commands_row).collect()
                }

                async fn waits(&self) -> Result<Vec<$crate::PrWait>, StoreError> {
                    type Row = (String, i64, String, String, String, String);
                    let rows: Vec<Row> = sqlx::query_as($crate::pr_waits::ALL)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(self.failed("list waiting PRs"))?;
                    rows.into_iter().map($crate::shared::wait_row).collect()
                }

                async fn put_wait(&self, wait: &$crate::PrWait) -> Result<(), StoreError> {
                    sqlx::query($crate::pr_waits::PUT)
                        .bind(wait.repo.to_string())
                        .bind(bigint("pr", wait.pr)?)
                        .bind(wait.on.as_str())
                        .bind(wait.head_sha.as_str())
                        .bind(timestamp(wait.since))
                        .bind(&wait.reason)
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("record a waiting PR"))?;
                    Ok(())
                }

                async fn clear_wait(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
                    sqlx::query($crate::pr_waits::CLEAR)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("forget a waiting PR"))?;
                    Ok(())
                }

                async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError> {
                    sqlx::query(fix_commands::RESET)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("reset fix commands"))?;
                    Ok(())
                }

                async fn fix_commands_without_progress(
                    &self,
                    repo: &RepoSlug,
                    pr: u64,
                ) -> Result<u32, StoreError> {
                    let count: Option<i64> = sqlx::query_scalar(fix_commands::COUNT)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(self.failed("count fix commands"))?;
                    unsigned("fix command count", count.unwrap_or(0))
                }

                async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError> {
                    let row: Option<(String, String)> = sqlx::query_as(etags::GET)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(self.failed("read a cached ETag"))?;
                    let Some((etag, payload)) = row else { return Ok(None) };
                    Ok(Some(CachedEtag { etag, payload: parse_json("cached ETag payload", &payload)? }))
                }

                async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError> {
                    sqlx::query(etags::PUT)
                        .bind(key)
                        .bind(&value.etag)
                        .bind(json_text(&value.payload))
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("cache an ETag"))?;
                    Ok(())
                }

                async fn pr_state(
                    &self,
                    repo: &RepoSlug,
                    pr: u64,
                ) -> Result<Option<serde_json::Value>, StoreError> {
                    let state: Option<String> = sqlx::query_scalar(pr_states::GET)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(self.failed("read a PR state"))?;
                    state.map(|state| parse_json("PR state", &state)).transpose()
                }

                async fn put_pr_state(
                    &self,
                    repo: &RepoSlug,
                    pr: u64,
                    state: &serde_json::Value,
                ) -> Result<(), StoreError> {
                    sqlx::query(pr_states::PUT)
                        .bind(repo.to_string())
                        .bind(bigint("pr", pr)?)
                        .bind(json_text(state))
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("store a PR state"))?;
                    Ok(())
                }

                async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError> {
                    let number: i64 = sqlx::query_scalar(cycles::START)
                        .bind(node.as_str())
                        .bind(timestamp(at))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(self.failed("start a cycle"))?;
                    unsigned("cycle number", number)
                }

                async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError> {
                    let end = EndColumns::of(end)?;
                    let updated = sqlx::query(cycles::END)
                        .bind(self.node.as_str())
                        .bind(bigint("cycle", cycle)?)
                        .bind(end.ended_at)
                        .bind(end.outcome)
                        .bind(end.failure)
                        .bind(end.actions)
                        .bind(end.points_spent)
                        .bind(end.rate_limit_left)
                        .execute(&self.pool)
                        .await
                        .map_err(self.failed("end a cycle"))?
                        .rows_affected();
                    if updated == 0 {
                        return Err(StoreError::CycleNotOpen { node: self.node.clone(), cycle });
                    }
                    Ok(())
                }

                async fn recent_cycles(
                    &self,
                    node: &NodeId,
                    limit: u32,
                ) -> Result<Vec<CycleRecord>, StoreError> {
                    let rows: Vec<CycleRow> = sqlx::query_as(cycles::RECENT)
                        .bind(node.as_str())
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(self.failed("read cycle records"))?;
                    rows.into_iter().map(CycleRow::into_record).collect()
                }

                async fn schema_version(&self) -> Result<i64, StoreError> {
                    let version: Option<i64> =
                        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                            .fetch_one(&self.pool)
                            .await
                            .map_err(self.failed("read the schema version"))?;
                    Ok(version.unwrap_or(0))
                }
            }

            impl FromRow<'_, $row> for CycleRow {
                fn from_row(row: &$row) -> Result<Self, sqlx::Error> {
                    Ok(Self {
                        node: row.try_get("node")?,
                        number: row.try_get("number")?,
                        started_at: row.try_get("started_at")?,
                        ended_at: row.try_get("ended_at")?,
                        outcome: row.try_get("outcome")?,
                        failure: row.try_get("failure")?,
                        actions: row.try_get("actions")?,
                        points_spent: row.try_get("points_spent")?,
                        rate_limit_left: row.try_get("rate_limit_left")?,
                    })
                }
            }
        }
    };
}

pub(crate) use {bind_key, impl_store};
