//! The REST routes the adapter calls, in one place, with path and query parts encoded.

use jobrunner_core::RepoSlug;

/// Open PRs, oldest first so pages stay stable while new PRs arrive at the end.
pub(crate) fn open_pulls(repo: &RepoSlug) -> String {
    format!("/repos/{repo}/pulls?state=open&per_page=100&sort=created&direction=asc")
}

/// The 50 most recently updated closed PRs: merges since the last look land on this page.
pub(crate) fn recently_closed_pulls(repo: &RepoSlug) -> String {
    format!("/repos/{repo}/pulls?state=closed&sort=updated&direction=desc&per_page=50")
}

/// Open issues carrying the epic label.
pub(crate) fn open_epics(repo: &RepoSlug, label: &str) -> String {
    format!("/repos/{repo}/issues?labels={}&state=open&per_page=100", encode(label))
}

pub(crate) fn branch(repo: &RepoSlug, name: &str) -> String {
    format!("/repos/{repo}/branches/{}", encode(name))
}

pub(crate) fn pull(repo: &RepoSlug, number: u64) -> String {
    format!("/repos/{repo}/pulls/{number}")
}

pub(crate) fn check_runs(repo: &RepoSlug, sha: &str) -> String {
    format!("/repos/{repo}/commits/{sha}/check-runs?per_page=100")
}

pub(crate) fn combined_status(repo: &RepoSlug, sha: &str) -> String {
    format!("/repos/{repo}/commits/{sha}/status")
}

pub(crate) fn issue(repo: &RepoSlug, number: u64) -> String {
    format!("/repos/{repo}/issues/{number}")
}

pub(crate) fn issue_comments(repo: &RepoSlug, number: u64) -> String {
    format!("/repos/{repo}/issues/{number}/comments")
}

pub(crate) fn issue_labels(repo: &RepoSlug, number: u64) -> String {
    format!("/repos/{repo}/issues/{number}/labels")
}

/// Percent-encodes everything but RFC 3986's unreserved characters: branch names and labels
/// may hold `/`, spaces or `#`.
fn encode(part: &str) -> String {
    part.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_and_labels_are_encoded() {
        let repo = RepoSlug::parse("octo/app").unwrap();
        assert_eq!(branch(&repo, "release/1.2 #x"), "/repos/octo/app/branches/release%2F1.2%20%23x");
        assert_eq!(
            open_epics(&repo, "epic: big"),
            "/repos/octo/app/issues?labels=epic%3A%20big&state=open&per_page=100"
        );
    }
}
