//! `core-ide simulate`: decide a file of signals with the real dispatcher, performing
//! against a [`RecordingForge`] so the effects can be shown without touching a forge.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jobrunner_core::{Dispatcher, ForgeCall, PipelineSignal, RecordingForge, RepoSlug};
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
/// `{"repo","pr","action","reason"}`.
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
    /// What the action did to the recording forge (human output only).
    #[serde(skip)]
    pub effects: Vec<String>,
}

/// Decides `signals` as one cycle and performs each action against a recording forge whose
/// epic bodies agree with the signals' `parent_ticked`.
pub async fn simulate(dispatcher: &Dispatcher, signals: &[PipelineSignal]) -> Vec<SimulatedDecision> {
    let forge = forge_for(signals);
    let mut out = Vec::with_capacity(signals.len());
    for (signal, decision) in signals.iter().zip(dispatcher.plan(signals)) {
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
            effects,
        });
    }
    out
}

/// A forge whose epics list each child of the signals, ticked as the signals say.
fn forge_for(signals: &[PipelineSignal]) -> RecordingForge {
    let mut bodies: BTreeMap<(RepoSlug, u64), String> = BTreeMap::new();
    for signal in signals.iter().filter(|s| s.in_epic()) {
        let mark = if signal.parent_ticked { 'x' } else { ' ' };
        let body = bodies.entry((signal.repo(), signal.epic_number)).or_default();
        let _ = writeln!(body, "- [{mark}] #{}", signal.child_number);
    }
    bodies
        .into_iter()
        .fold(RecordingForge::new(), |forge, ((repo, epic), body)| forge.with_issue_body(&repo, epic, body))
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
