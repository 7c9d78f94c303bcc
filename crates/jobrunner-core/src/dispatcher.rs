//! Picks exactly one action per signal, and at most one per PR per cycle.

use std::collections::HashMap;
use std::time::Instant;

use crate::forge::Forge;
use crate::handler::{ActionKey, ActionResult, JobHandler, Match};
use crate::names::RepoSlug;
use crate::registry::HandlerRegistry;
use crate::signal::{PipelineSignal, PrState, WaitingOn, human_duration};

/// What the dispatcher decided for one signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Repository of the PR.
    pub repo: RepoSlug,
    /// PR number.
    pub pr: u64,
    /// The handler that acts, or `None` when nothing is to be done this cycle.
    pub action: Option<&'static str>,
    /// Why: the acting handler's reason, or what the flow waits on. Built from structural
    /// fields only.
    pub reason: String,
    /// The idempotency key of the action, when there is one.
    pub key: Option<ActionKey>,
    /// Who or what the PR waits on, when nothing acts because something has to move first.
    pub waiting: Option<WaitingOn>,
}

/// Runs the registry's handlers over signals in fixed priority order; the first that matches
/// wins.
pub struct Dispatcher {
    registry: HandlerRegistry,
}

impl Dispatcher {
    /// A dispatcher over `registry`.
    #[must_use]
    pub fn new(registry: HandlerRegistry) -> Self {
        Self { registry }
    }

    /// The handlers consulted, in priority order.
    #[must_use]
    pub fn registry(&self) -> &HandlerRegistry {
        &self.registry
    }

    /// Decides one signal: the first enabled handler that matches acts; otherwise the first
    /// wait (or disabled match) in priority order explains why nothing happens.
    #[must_use]
    pub fn decide(&self, signal: &PipelineSignal) -> Decision {
        self.decide_skipping(signal, &|_: &ActionKey| false)
    }

    /// Like [`decide`](Self::decide), passing over handlers whose action is `settled` (done,
    /// or refused for good, for its key): a PR whose review command went out may still have
    /// auto-merge withdrawn in the same cycle.
    #[must_use]
    pub fn decide_skipping(&self, signal: &PipelineSignal, settled: &dyn Fn(&ActionKey) -> bool) -> Decision {
        if let Some((reason, waiting)) = untouchable(signal) {
            return waiting_decision(signal, reason, waiting);
        }
        let mut explanation: Option<(String, Option<WaitingOn>)> = None;
        for (handler, enabled) in self.registry.iter() {
            match handler.matches(signal) {
                Match::Act { key, .. } if enabled && settled(&key) => {
                    explanation.get_or_insert_with(|| {
                        (
                            format!(
                                "{} already settled (done, or refused for good) for {key}",
                                handler.name()
                            ),
                            None,
                        )
                    });
                }
                Match::Act { reason, key } if enabled => {
                    return decision(signal, Some(handler.name()), reason, Some(key));
                }
                Match::Act { reason, .. } => {
                    explanation.get_or_insert_with(|| {
                        (
                            format!(
                                "{} would act ({reason}) but is disabled in configuration",
                                handler.name()
                            ),
                            None,
                        )
                    });
                }
                Match::Wait { reason, on } => {
                    explanation.get_or_insert((reason, Some(on)));
                }
                Match::No => {}
            }
        }
        let (reason, waiting) = explanation.unwrap_or_else(|| (idle_summary(signal), None));
        waiting_decision(signal, reason, waiting)
    }

    /// What `handler` would do on `signal`, asked for by name (an MCP tool) rather than found
    /// by priority. `Err` says why it does not act: a stop label or a PR out of scope (never
    /// overridden), an unknown or disabled handler, or the handler's rule not matching, which
    /// `force` overrides with the key of the handler's plain action on the head.
    pub fn decide_for(
        &self,
        signal: &PipelineSignal,
        handler: &str,
        force: bool,
    ) -> Result<Decision, String> {
        if let Some((reason, _)) = untouchable(signal) {
            return Err(reason);
        }
        let Some(known) = self.registry.get(handler) else {
            return Err(format!("no handler named {handler:?}: one of {}", self.registry.names().join(", ")));
        };
        if !self.registry.is_enabled(handler) {
            return Err(format!("{handler} is disabled in configuration (setting `handlers`)"));
        }
        let refusal = match known.matches(signal) {
            Match::Act { reason, key } => return Ok(decision(signal, Some(known.name()), reason, Some(key))),
            Match::Wait { reason, .. } => format!("{handler} waits: {reason}"),
            Match::No => format!("{handler} does not apply: {}", self.decide(signal).reason),
        };
        if !force {
            return Err(format!("{refusal} (force: true acts anyway)"));
        }
        let key = ActionKey::for_signal(signal, crate::handler::ActionId::new(known.name()));
        Ok(decision(signal, Some(known.name()), format!("forced although {refusal}"), Some(key)))
    }

    /// Decides a whole cycle in input order, with at most one action per PR: a later signal
    /// for a PR that already acts this cycle is deferred to the next cycle.
    #[must_use]
    pub fn plan(&self, signals: &[PipelineSignal]) -> Vec<Decision> {
        self.plan_skipping(signals, &|_: &ActionKey| false)
    }

    /// Like [`plan`](Self::plan), with [`decide_skipping`](Self::decide_skipping): settled
    /// keys are passed over before the one-action-per-PR rule counts an action.
    #[must_use]
    pub fn plan_skipping(
        &self,
        signals: &[PipelineSignal],
        settled: &dyn Fn(&ActionKey) -> bool,
    ) -> Vec<Decision> {
        let mut acting: HashMap<(RepoSlug, u64), &'static str> = HashMap::new();
        signals
            .iter()
            .map(|signal| {
                let mut decision = self.decide_skipping(signal, settled);
                if let Some(action) = decision.action {
                    let pr = (decision.repo.clone(), decision.pr);
                    if let Some(first) = acting.get(&pr) {
                        decision.reason = format!(
                            "deferred to next cycle: {first} already acts on this PR this cycle (one action per PR per cycle)"
                        );
                        decision.action = None;
                        decision.key = None;
                    } else {
                        acting.insert(pr, action);
                    }
                }
                decision
            })
            .collect()
    }

    /// Performs a decision through `forge`; `None` when the decision has no action.
    pub async fn perform(
        &self,
        decision: &Decision,
        signal: &PipelineSignal,
        forge: &dyn Forge,
    ) -> Option<ActionResult> {
        let (action, key) = (decision.action?, decision.key.clone()?);
        let handler: &dyn JobHandler = self.registry.get(action)?;
        let started = Instant::now();
        let outcome = handler.execute_with_edit(signal, forge).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (body_change, error) = match outcome {
            Ok(change) => (change, None),
            Err(error) => (None, Some(error)),
        };
        Some(ActionResult { action, key, success: error.is_none(), duration_ms, error, body_change })
    }
}

fn decision(
    signal: &PipelineSignal,
    action: Option<&'static str>,
    reason: String,
    key: Option<ActionKey>,
) -> Decision {
    Decision { repo: signal.repo(), pr: signal.pr_number, action, reason, key, waiting: None }
}

/// A decision to act on nothing, saying on whom the PR waits and, when the runner remembers
/// the wait, for how long.
fn waiting_decision(signal: &PipelineSignal, reason: String, waiting: Option<WaitingOn>) -> Decision {
    let reason = match waiting.and_then(|on| signal.memory.waited_on(on).map(|d| (on, d))) {
        Some((on, lasted)) => format!("{reason} (waiting on {on} for {})", human_duration(lasted)),
        None => reason,
    };
    Decision { waiting, ..decision(signal, None, reason, None) }
}

/// Why no handler may even look at the PR: a person stopped the pipeline on it, or it is
/// not the pipeline's work. Checked before any handler, so neither gets a comment, a label
/// or a mutation.
fn untouchable(signal: &PipelineSignal) -> Option<(String, Option<WaitingOn>)> {
    if signal.stop_label {
        return Some((
            "stopped: a stop label is on the PR; remove it to let the pipeline act".to_owned(),
            Some(WaitingOn::Person),
        ));
    }
    // A merged or closed PR outside any epic has nothing left to do anyway: say that instead.
    if !signal.in_scope() && signal.pr_state == PrState::Open {
        return Some((
            "out of scope: closes no child of an open epic, not authored by an agent in agent_logins, no scope_label"
                .to_owned(),
            None,
        ));
    }
    None
}

/// Why nothing happens when no handler even waits on the signal.
fn idle_summary(signal: &PipelineSignal) -> String {
    match signal.pr_state {
        PrState::Closed => "PR closed without merge: nothing to do".to_owned(),
        PrState::Merged if !signal.in_epic() => "PR merged outside any epic: nothing to do".to_owned(),
        PrState::Merged if signal.epic_kind == crate::epic_kind::EpicKind::SubIssue => {
            "flow complete: PR merged, sub-issue closed".to_owned()
        }
        PrState::Merged => "flow complete: PR merged, epic ticked, child closed".to_owned(),
        PrState::Open => format!(
            "no handler matches: draft {}, mergeable {}, checks {}, {} of {} threads resolved, auto-merge {}",
            signal.is_draft,
            signal.mergeable,
            signal.check_status,
            signal.threads_resolved,
            signal.threads_total,
            if signal.auto_merge_enabled { "on" } else { "off" },
        ),
    }
}
