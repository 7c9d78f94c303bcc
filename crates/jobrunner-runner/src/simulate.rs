//! `core-ide simulate`: decide a file of signals with the real dispatcher, performing
//! against a [`RecordingForge`] so the effects can be shown without touching a forge.

use std::fmt::Write as _;

use jobrunner_core::{Dispatcher, ForgeCall, PipelineSignal, RecordingForge, RepoSlug, WaitingOn};
use serde::Serialize;

/// A signals file that cannot be used, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid signal at {path}: {message}")]
pub struct SignalFileError {
    /// JSON path of the bad value, `$` for the whole document (`$[2].mergeable`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Parses a JSON array of signals and checks each one's consistency.
pub fn parse_signals(text: &str) -> Result<Vec<PipelineSignal>, SignalFileError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let signals: Vec<PipelineSignal> = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = json_path(&e.path().to_string());
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return SignalFileError { path: "$".into(), message: format!("the file is not JSON: {inner}") };
        }
        SignalFileError { path, message: inner.to_string() }
    })?;
    deserializer.end().map_err(|e| SignalFileError { path: "$".into(), message: e.to_string() })?;
    for (index, signal) in signals.iter().enumerate() {
        signal
            .check_consistency()
            .map_err(|e| SignalFileError { path: format!("$[{index}]"), message: e.to_string() })?;
    }
    Ok(signals)
}

/// `serde_path_to_error` writes `[2].mergeable` or `.`; users know JSON paths as `$[2].mergeable`.
fn json_path(path: &str) -> String {
    match path {
        "." | "" => "$".to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// One simulated decision. Serializes as the stable `--json` shape
/// `{"repo","pr","action","reason"}`, with `waiting_on` (and `waited_secs`, when the signal's
/// `memory` remembers the wait) on a PR that waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimulatedDecision {
    /// `owner/name`.
    pub repo: RepoSlug,
    /// PR number.
    pub pr: u64,
    /// The acting handler, or `null`.
    pub action: Option<&'static str>,
    /// Why.
    pub reason: String,
    /// On whom the PR waits when nothing acts because someone must move first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_on: Option<WaitingOn>,
    /// How long, in seconds, the PR has waited on them, from the signal's `memory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_secs: Option<u64>,
    /// What the action did to the recording forge (human output only).
    #[serde(skip)]
    pub effects: Vec<String>,
}

/// Decides `signals` as one cycle and performs each action against a recording forge whose
/// epic bodies agree with the signals' `parent_ticked`.
pub async fn simulate(dispatcher: &Dispatcher, signals: &[PipelineSignal]) -> Vec<SimulatedDecision> {
    let mut out = Vec::with_capacity(signals.len());
    for (signal, decision) in signals.iter().zip(dispatcher.plan(signals)) {
        // A forge per action, holding only the epic item it may read: one shared forge would
        // hold each epic's whole checklist, which every tick re-reads, re-parses and rewrites,
        // quadratic in the signals of one epic (4,000 took 12 s).
        let forge = forge_for(signal);
        let mut effects: Vec<String> = Vec::new();
        if let Some(result) = dispatcher.perform(&decision, signal, &forge).await {
            effects.extend(forge.take_calls().iter().map(describe));
            if let Some(error) = result.error {
                effects.push(format!("would fail: {error}"));
            }
        }
        out.push(SimulatedDecision {
            repo: decision.repo,
            pr: decision.pr,
            action: decision.action,
            reason: decision.reason,
            waiting_on: decision.waiting,
            waited_secs: decision.waiting.and_then(|on| signal.memory.waited_on(on)).map(|d| d.as_secs()),
            effects,
        });
    }
    out
}

/// A forge whose epic lists the signal's child, ticked as the signal says.
fn forge_for(signal: &PipelineSignal) -> RecordingForge {
    let forge = RecordingForge::new();
    if !signal.in_epic() {
        return forge;
    }
    let mark = if signal.parent_ticked { 'x' } else { ' ' };
    forge.with_issue_body(
        &signal.repo(),
        signal.epic_number,
        format!("- [{mark}] #{}\n", signal.child_number),
    )
}

fn describe(call: &ForgeCall) -> String {
    match call {
        ForgeCall::MarkReady { .. } => "mark ready for review".to_owned(),
        ForgeCall::Comment { number, body, .. } => match body.rsplit_once("\n\n<!-- core-ide ") {
            Some((command, _)) => format!("comment on #{number}: {command:?} and the key's marker"),
            None => format!("comment on #{number}: {body:?}"),
        },
        ForgeCall::ResolveThreads { threads, .. } => format!("resolve {} review threads", threads.len()),
        ForgeCall::EnableAutoMerge { method, head, .. } => format!("enable auto-merge ({method}) at {head}"),
        ForgeCall::DisableAutoMerge { .. } => "disable auto-merge".to_owned(),
        ForgeCall::Merge { method, head, .. } => format!("merge ({method}) at {head}"),
        ForgeCall::Enqueue { head, .. } => format!("add to the merge queue at {head}"),
        ForgeCall::UpdateBranch { head, .. } => format!("update the branch from {head}"),
        ForgeCall::EditIssueBody { issue, .. } => format!("edit the body of epic #{issue}"),
        ForgeCall::CloseIssue { issue, .. } => format!("close issue #{issue} as completed"),
        ForgeCall::AddLabel { number, label, .. } => format!("label #{number} {label:?}"),
    }
}

/// The human form: one line per decision, effects indented below it.
#[must_use]
pub fn render_human(decisions: &[SimulatedDecision]) -> String {
    let width = decisions.iter().map(|d| format!("{}#{}", d.repo, d.pr).len()).max().unwrap_or(0);
    let mut out = String::new();
    for d in decisions {
        let target = format!("{}#{}", d.repo, d.pr);
        let action = d.action.unwrap_or("-");
        let _ = writeln!(out, "{target:<width$}  {action:<17}  {}", d.reason);
        for effect in &d.effects {
            let _ = writeln!(out, "{:<width$}  {:<17}  -> {effect}", "", "");
        }
    }
    out
}
