//! Which PRs the pipeline may touch besides an epic's children, and which a person stopped:
//! the configured logins and labels, compared here and never put in a signal.

/// The configured opt-ins and stops. GitHub compares logins and label names without regard
/// to case, and so does this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Logins of the coding agents whose PRs are in scope (`agent_logins`).
    pub agent_logins: Vec<String>,
    /// A label that puts a PR in scope (`scope_label`), if any.
    pub scope_label: Option<String>,
    /// Labels that stop every handler on a PR (`stop_labels`).
    pub stop_labels: Vec<String>,
}

impl Default for Scope {
    /// Epic children only; `needs-human` and `do-not-merge` stop the pipeline.
    fn default() -> Self {
        Self {
            agent_logins: Vec::new(),
            scope_label: None,
            stop_labels: vec!["needs-human".to_owned(), "do-not-merge".to_owned()],
        }
    }
}

impl Scope {
    /// True when `login` is one of the agents.
    pub(crate) fn is_agent(&self, login: &str) -> bool {
        self.agent_logins.iter().any(|agent| agent.eq_ignore_ascii_case(login))
    }

    /// True when `labels` include the scope label.
    pub(crate) fn has_scope_label(&self, labels: &[String]) -> bool {
        self.scope_label.as_ref().is_some_and(|wanted| labels.iter().any(|l| l.eq_ignore_ascii_case(wanted)))
    }

    /// True when `labels` include a stop label.
    pub(crate) fn has_stop_label(&self, labels: &[String]) -> bool {
        labels.iter().any(|l| self.stop_labels.iter().any(|stop| stop.eq_ignore_ascii_case(l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_labels_match_without_regard_to_case() {
        let scope = Scope {
            agent_logins: vec!["Codex-Bot".to_owned()],
            scope_label: Some("pipeline".to_owned()),
            ..Scope::default()
        };
        assert!(scope.is_agent("codex-bot"));
        assert!(!scope.is_agent("octocat"));
        assert!(scope.has_scope_label(&["bug".to_owned(), "Pipeline".to_owned()]));
        assert!(scope.has_stop_label(&["Do-Not-Merge".to_owned()]));
        assert!(!Scope::default().has_scope_label(&["pipeline".to_owned()]));
    }
}
