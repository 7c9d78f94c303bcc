//! The marker: a string planted in every free-text field the simulator serves, so a test can
//! grep everything the runner writes (journal, logs, MCP output) and prove no forge text leaked.
//!
//! Each kind of text carries it in a way that keeps the text usable: an epic body keeps its
//! checklist lines intact with the marker on lines around them, and a branch name stays a valid
//! git ref (characters a ref cannot hold are replaced by `-`, so a token like `MARKER-7f3a9c`
//! appears verbatim).

/// Where a piece of free text goes, which decides how the marker is woven in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// A one-line title.
    Title,
    /// A Markdown body: the marker goes on lines of its own before and after.
    Body,
    /// A comment or review text.
    Comment,
    /// A commit message: the marker goes in the message body.
    CommitMessage,
    /// A branch name: the marker, made ref-safe, is prefixed.
    Branch,
}

/// `text` carrying `marker`, or `text` unchanged when there is no marker.
pub(crate) fn mark(marker: Option<&str>, kind: TextKind, text: &str) -> String {
    let Some(marker) = marker else { return text.to_owned() };
    match kind {
        TextKind::Title | TextKind::Comment => format!("{text} {marker}"),
        TextKind::Body => format!("{marker}\n\n{text}\n\n{marker}\n"),
        TextKind::CommitMessage => format!("{text}\n\n{marker}"),
        TextKind::Branch => format!("{}/{text}", ref_safe(marker)),
    }
}

/// `marker` with every character a git ref name cannot hold replaced by `-`.
fn ref_safe(marker: &str) -> String {
    let safe: String = marker
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') { c } else { '-' })
        .collect();
    if safe.is_empty() { "marker".to_owned() } else { safe }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_keeps_checklist_lines_intact() {
        let body = mark(Some("MARKER-7f3a9c"), TextKind::Body, "- [ ] #2\n- [ ] #3");
        assert!(body.contains("\n- [ ] #2\n- [ ] #3\n"));
        assert_eq!(body.matches("MARKER-7f3a9c").count(), 2);
    }

    #[test]
    fn branch_names_stay_valid_refs() {
        assert_eq!(mark(Some("MARKER-7f3a9c"), TextKind::Branch, "fix/issue-2"), "MARKER-7f3a9c/fix/issue-2");
        assert_eq!(mark(Some("<b> x..y"), TextKind::Branch, "fix"), "-b--x--y/fix");
    }

    #[test]
    fn no_marker_leaves_text_alone() {
        assert_eq!(mark(None, TextKind::Title, "Fix parser"), "Fix parser");
    }
}
