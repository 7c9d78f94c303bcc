//! What the tray shows of a node: its [`Look`] and [`Tooltip`], from the node's state alone.
//!
//! Structural text only: numbers, repository names, failure classes and the wait count. A
//! handler's reason or a PR's title never appears here (a title is forge text; the reasons are
//! for the panel, which has room to show them with their context).

use std::fmt;

use chrono::{DateTime, Utc};
use jobrunner_node::{CycleVerdict, NodeState, Phase};

/// How many waiting PRs the tooltip names before it only counts.
const NAMED_WAITS: usize = 5;

/// The icon's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    /// The poller is on and the latest cycle found nothing to act on (the node backs off to
    /// its idle interval), or the loop is not running.
    Idle,
    /// The poller is on, between cycles, and the latest cycle acted (or none ran yet).
    Polling,
    /// A cycle runs now: reading GitHub, deciding, acting.
    Executing,
    /// The poller is off: no cycle on the timer (a desktop node starts like this).
    Paused,
    /// The latest cycle failed, or the state database does not answer.
    Error,
}

impl Look {
    /// The look of a node in `state`.
    #[must_use]
    pub fn of(state: &NodeState) -> Self {
        match state.phase {
            Phase::Cycling => return Self::Executing,
            Phase::StoreLost => return Self::Error,
            Phase::Stopped => return Self::Idle,
            Phase::Starting | Phase::Waiting => {}
        }
        let last = state.last_cycle().map(|c| &c.verdict);
        if matches!(last, Some(CycleVerdict::Failed { .. } | CycleVerdict::StoreLost)) {
            return Self::Error;
        }
        if state.paused {
            return Self::Paused;
        }
        match last {
            Some(CycleVerdict::Completed { actions, .. }) if actions.is_empty() => Self::Idle,
            _ => Self::Polling,
        }
    }

    /// The word for it: `idle`, `polling`, `executing`, `paused`, `error`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Polling => "polling",
            Self::Executing => "executing",
            Self::Paused => "paused",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Look {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tooltip: a title naming the look, then one line per fact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tooltip {
    /// `core-ide: <look>`.
    pub title: String,
    /// The latest cycle, the poller, what waits on a person, and the update line if any.
    pub lines: Vec<String>,
}

impl Tooltip {
    /// The tooltip of a node in `state`, with `update` (what the latest update check found)
    /// as its last line when given.
    #[must_use]
    pub fn of(state: &NodeState, update: Option<&str>) -> Self {
        let mut lines = vec![last_cycle(state), poller(state), waits(state)];
        lines.extend(update.map(str::to_owned));
        Self { title: format!("core-ide: {}", Look::of(state)), lines }
    }

    /// The lines joined for a tooltip's description.
    #[must_use]
    pub fn description(&self) -> String {
        self.lines.join("\n")
    }
}

fn last_cycle(state: &NodeState) -> String {
    let Some(last) = state.last_cycle() else {
        return "no cycle yet".to_owned();
    };
    let at = clock(last.ended_at);
    match &last.verdict {
        CycleVerdict::Completed { signals, actions } => {
            let number = last.cycle.map(|n| format!(" {n}")).unwrap_or_default();
            let (signals, actions) = (plural(*signals, "PR"), plural(actions.len(), "action"));
            format!("last cycle{number} at {at}: {signals}, {actions}")
        }
        CycleVerdict::Failed { class } => format!("last cycle failed at {at}: {class}"),
        CycleVerdict::StoreLost => format!("last cycle at {at}: the state database did not answer"),
    }
}

fn poller(state: &NodeState) -> String {
    match (state.paused, state.next_cycle_due) {
        (true, _) => "poller off: Start poller or Poll now in the menu".to_owned(),
        (false, Some(due)) => format!("poller on: next cycle at {}", clock(due)),
        (false, None) => "poller on".to_owned(),
    }
}

fn waits(state: &NodeState) -> String {
    let waits = &state.waiting_on_person;
    if waits.is_empty() {
        return "nothing waits on a person".to_owned();
    }
    let mut named: Vec<String> =
        waits.iter().take(NAMED_WAITS).map(|w| format!("{}#{}", w.repo, w.pr)).collect();
    if waits.len() > NAMED_WAITS {
        named.push(format!("{} more", waits.len() - NAMED_WAITS));
    }
    let verb = if waits.len() == 1 { "waits" } else { "wait" };
    format!("{} {verb} on a person: {}", plural(waits.len(), "PR"), named.join(", "))
}

fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S UTC").to_string()
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use jobrunner_core::{FailureClass, NodeId, RepoSlug};
    use jobrunner_node::{ActionSummary, CycleSummary, NodeMode, PersonWait};

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 7, 5, 9).unwrap()
    }

    fn state(phase: Phase, paused: bool, last: Option<CycleVerdict>) -> NodeState {
        NodeState {
            node: NodeId::new("node-a").unwrap(),
            mode: NodeMode::Standalone,
            profile: "development",
            dry_run: false,
            phase,
            paused,
            cycles_run: u64::from(last.is_some()),
            last_cycles: last
                .into_iter()
                .map(|verdict| CycleSummary { cycle: Some(4), ended_at: at(), verdict })
                .collect(),
            next_cycle_due: None,
            sources: Vec::new(),
            leases: None,
            waiting_on_person: Vec::new(),
        }
    }

    fn acted() -> CycleVerdict {
        let action = ActionSummary {
            action: "publish_draft",
            repo: RepoSlug::parse("octo/app").unwrap(),
            pr: 10,
            key: "octo/app#10 publish_draft".to_owned(),
            reason: "draft with green checks".to_owned(),
            outcome: "performed",
            failure: None,
        };
        CycleVerdict::Completed { signals: 5, actions: vec![action] }
    }

    fn wait(pr: u64) -> PersonWait {
        PersonWait {
            repo: RepoSlug::parse("octo/app").unwrap(),
            pr,
            since: at(),
            reason: "changes requested by a person".to_owned(),
        }
    }

    #[test]
    fn a_running_cycle_is_executing_even_while_paused() {
        assert_eq!(Look::of(&state(Phase::Cycling, true, None)), Look::Executing);
    }

    #[test]
    fn a_paused_node_between_cycles_is_paused_until_a_cycle_fails() {
        assert_eq!(Look::of(&state(Phase::Starting, true, None)), Look::Paused);
        assert_eq!(Look::of(&state(Phase::Waiting, true, Some(acted()))), Look::Paused);
        let failed = CycleVerdict::Failed { class: FailureClass::Auth };
        assert_eq!(Look::of(&state(Phase::Waiting, true, Some(failed))), Look::Error);
    }

    #[test]
    fn a_lost_store_or_a_failed_cycle_is_an_error() {
        assert_eq!(Look::of(&state(Phase::StoreLost, false, Some(CycleVerdict::StoreLost))), Look::Error);
        let failed = CycleVerdict::Failed { class: FailureClass::Transient };
        assert_eq!(Look::of(&state(Phase::Waiting, false, Some(failed))), Look::Error);
    }

    #[test]
    fn the_poller_on_is_polling_after_actions_and_idle_after_a_cycle_with_nothing_to_do() {
        assert_eq!(Look::of(&state(Phase::Waiting, false, None)), Look::Polling);
        assert_eq!(Look::of(&state(Phase::Waiting, false, Some(acted()))), Look::Polling);
        let nothing = CycleVerdict::Completed { signals: 5, actions: Vec::new() };
        assert_eq!(Look::of(&state(Phase::Waiting, false, Some(nothing))), Look::Idle);
        assert_eq!(Look::of(&state(Phase::Stopped, false, None)), Look::Idle);
    }

    #[test]
    fn the_tooltip_says_the_last_cycle_the_poller_and_the_waits_by_number_only() {
        let mut node = state(Phase::Waiting, true, Some(acted()));
        node.waiting_on_person = (1..=7).map(wait).collect();
        let tooltip = Tooltip::of(&node, Some("update 0.2.0 available"));
        assert_eq!(tooltip.title, "core-ide: paused");
        assert_eq!(
            tooltip.lines,
            [
                "last cycle 4 at 07:05:09 UTC: 5 PRs, 1 action",
                "poller off: Start poller or Poll now in the menu",
                "7 PRs wait on a person: octo/app#1, octo/app#2, octo/app#3, octo/app#4, octo/app#5, 2 more",
                "update 0.2.0 available",
            ]
        );
        assert!(!tooltip.description().contains("changes requested"), "no handler reasons in the tooltip");
    }

    #[test]
    fn a_fresh_node_has_no_cycle_and_nothing_waiting() {
        let mut node = state(Phase::Waiting, false, None);
        node.next_cycle_due = Some(at());
        assert_eq!(
            Tooltip::of(&node, None).lines,
            ["no cycle yet", "poller on: next cycle at 07:05:09 UTC", "nothing waits on a person"]
        );
        node.waiting_on_person = vec![wait(3)];
        let failed = CycleVerdict::Failed { class: FailureClass::Auth };
        node.last_cycles = vec![CycleSummary { cycle: None, ended_at: at(), verdict: failed }];
        let lines = Tooltip::of(&node, None).lines;
        assert_eq!(lines[0], "last cycle failed at 07:05:09 UTC: authentication");
        assert_eq!(lines[2], "1 PR waits on a person: octo/app#3");
    }
}
