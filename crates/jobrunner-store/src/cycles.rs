//! Cycle records: when each poll cycle of a node ran, how it ended and what it cost.
//!
//! Cycles are numbered per node from 1 and the numbers keep increasing across restarts (rows
//! are never deleted). A cycle with no end was cut short by a crash, or is still running.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{FailureClass, NodeId};

use crate::StoreError;
use crate::columns::{bigint, json_text, parse_json, parse_node, parse_timestamp, timestamp, unsigned};
use crate::statement::{Backend, Statement};

/// The record of every poll cycle (see the [module documentation](self)).
#[async_trait]
pub trait CycleLog: Send + Sync {
    /// Starts a cycle of `node` and returns its number: one more than the node's previous
    /// cycle, across restarts.
    async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Ends cycle `cycle` of the node this store serves. Errors when that cycle was never
    /// started or has already ended.
    async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError>;

    /// The latest `limit` cycles of `node`, newest first.
    async fn recent_cycles(&self, node: &NodeId, limit: u32) -> Result<Vec<CycleRecord>, StoreError>;
}

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleOutcome {
    /// The cycle ran to completion (individual actions may still have failed).
    Ok,
    /// The cycle stopped on a failure (the forge or the store went away, a rate limit).
    Failed {
        /// Why it stopped.
        class: FailureClass,
    },
    /// The cycle was stopped on purpose (shutdown, pause) before it completed.
    Interrupted,
}

/// The end of a cycle, as the runner reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleEnd {
    /// When the cycle ended.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: CycleOutcome,
    /// Actions performed (not dry-run decisions).
    pub actions: u32,
    /// API points the cycle spent.
    pub points_spent: u64,
    /// Primary rate-limit points left at the end, when the forge said.
    pub rate_limit_left: Option<u64>,
}

/// A cycle as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRecord {
    /// The node that ran it.
    pub node: NodeId,
    /// Its number, from 1, per node.
    pub number: u64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How it ended; `None` while running, or forever when the node died during it.
    pub end: Option<CycleEnd>,
}

/// Starts the next cycle of node `$1` at `$2` and returns its number. The number is computed
/// in the insert itself, so it is one more than the node's highest even across restarts.
const START: &str = "INSERT INTO cycles (node, number, started_at) \
     SELECT $1, COALESCE(MAX(number), 0) + 1, $2 FROM cycles WHERE node = $1 \
     RETURNING number";

/// Ends cycle `$2` of node `$1` if it is still open.
const END: &str = "UPDATE cycles SET ended_at = $3, outcome = $4, failure = $5, actions = $6, \
     points_spent = $7, rate_limit_left = $8 \
     WHERE node = $1 AND number = $2 AND ended_at IS NULL";

/// The latest `$2` cycles of node `$1`, newest first.
const RECENT: &str = "SELECT node, number, started_at, ended_at, outcome, failure, actions, \
     points_spent, rate_limit_left FROM cycles WHERE node = $1 ORDER BY number DESC LIMIT $2";

#[async_trait]
impl<B: Backend> CycleLog for B {
    async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let statement = Statement::new(START).bind(node.as_str()).bind(timestamp(at));
        let (number,): (i64,) = self.fetch_one("start a cycle", statement).await?;
        unsigned("cycle number", number)
    }

    async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError> {
        let end = EndColumns::of(end)?;
        let statement = Statement::new(END)
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
        let statement = Statement::new(RECENT).bind(node.as_str()).bind(i64::from(limit));
        let rows: Vec<CycleColumns> = self.fetch_all("read cycle records", statement).await?;
        rows.into_iter().map(record).collect()
    }
}

/// The end columns of a cycle, in the order `END` binds them from `$3`.
struct EndColumns {
    ended_at: String,
    outcome: &'static str,
    failure: Option<String>,
    actions: i64,
    points_spent: i64,
    rate_limit_left: Option<i64>,
}

impl EndColumns {
    fn of(end: &CycleEnd) -> Result<Self, StoreError> {
        let (outcome, failure) = match end.outcome {
            CycleOutcome::Ok => ("ok", None),
            CycleOutcome::Failed { class } => ("failed", Some(json_text(&class))),
            CycleOutcome::Interrupted => ("interrupted", None),
        };
        Ok(Self {
            ended_at: timestamp(end.at),
            outcome,
            failure,
            actions: i64::from(end.actions),
            points_spent: bigint("points spent", end.points_spent)?,
            rate_limit_left: end.rate_limit_left.map(|left| bigint("rate limit left", left)).transpose()?,
        })
    }
}

/// A row of [`RECENT`], before its values are checked: node, number, started at, then the end
/// columns (all NULL while the cycle runs).
type CycleColumns = (
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// A row of [`RECENT`] as a [`CycleRecord`].
fn record(
    (node, number, started_at, ended_at, outcome, failure, actions, points_spent, rate_limit_left): CycleColumns,
) -> Result<CycleRecord, StoreError> {
    let end = match ended_at {
        None => None,
        Some(ended_at) => Some(CycleEnd {
            at: parse_timestamp("cycle end", &ended_at)?,
            outcome: cycle_outcome(outcome.as_deref(), failure.as_deref())?,
            actions: unsigned("action count", required("action count", actions)?)?,
            points_spent: unsigned("points spent", required("points spent", points_spent)?)?,
            rate_limit_left: rate_limit_left.map(|left| unsigned("rate limit left", left)).transpose()?,
        }),
    };
    Ok(CycleRecord {
        node: parse_node(&node)?,
        number: unsigned("cycle number", number)?,
        started_at: parse_timestamp("cycle start", &started_at)?,
        end,
    })
}

fn cycle_outcome(outcome: Option<&str>, failure: Option<&str>) -> Result<CycleOutcome, StoreError> {
    match (outcome, failure) {
        (Some("ok"), None) => Ok(CycleOutcome::Ok),
        (Some("interrupted"), None) => Ok(CycleOutcome::Interrupted),
        (Some("failed"), Some(failure)) => {
            Ok(CycleOutcome::Failed { class: parse_json("failure class", failure)? })
        }
        (outcome, _) => Err(StoreError::unreadable(
            "cycle outcome",
            outcome.unwrap_or("NULL"),
            "expected ok, interrupted, or failed with its failure class",
        )),
    }
}

fn required(what: &'static str, value: Option<i64>) -> Result<i64, StoreError> {
    value.ok_or_else(|| StoreError::unreadable(what, "NULL", "missing in an ended cycle"))
}
