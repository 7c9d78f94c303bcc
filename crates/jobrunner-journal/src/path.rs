//! Where a repository's journal files live, with names checked before they touch the disk.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use jobrunner_core::{RepoName, RepoOwner, RepoSlug};

use crate::JournalError;

/// The directory of `owner/repo`'s journal files, after checking both parts against GitHub's
/// naming rules (no `..`, `/`, NUL, empty or over-long names).
pub fn repo_dir(journal_dir: &Path, owner: &str, repo: &str) -> Result<PathBuf, JournalError> {
    let owner = RepoOwner::new(owner).map_err(|e| unsafe_name("owner", e))?;
    let repo = RepoName::new(repo).map_err(|e| unsafe_name("repo", e))?;
    Ok(slug_dir(journal_dir, &RepoSlug::new(owner, repo)))
}

/// The journal file of `repo` for the UTC day `date`.
#[must_use]
pub fn journal_file(journal_dir: &Path, repo: &RepoSlug, date: NaiveDate) -> PathBuf {
    slug_dir(journal_dir, repo).join(format!("{}.jsonl", date.format("%Y-%m-%d")))
}

fn slug_dir(journal_dir: &Path, repo: &RepoSlug) -> PathBuf {
    // Both parts are validated types: they cannot hold a separator, NUL or a dot directory.
    journal_dir.join(repo.owner.as_str()).join(repo.name.as_str())
}

fn unsafe_name(what: &'static str, error: jobrunner_core::NameError) -> JournalError {
    JournalError::UnsafeName { what, value: error.value, rule: error.rule }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_tricks_are_refused_with_the_value_named() {
        let dir = Path::new("/journal");
        let long = "x".repeat(101);
        for (owner, repo) in [
            ("..", "app"),
            ("octo", ".."),
            ("octo", "a/b"),
            ("a/b", "app"),
            ("octo", "a\0b"),
            ("", "app"),
            ("octo", ""),
            ("octo", long.as_str()),
        ] {
            let err = repo_dir(dir, owner, repo).unwrap_err();
            let JournalError::UnsafeName { value, .. } = &err else { panic!("{err}") };
            assert!(value == owner || value.starts_with(repo), "{err}");
            assert!(err.to_string().starts_with("journal path for "), "{err}");
        }
    }

    #[test]
    fn valid_names_nest_under_the_journal_dir() {
        let dir = repo_dir(Path::new("/journal"), "octo", "app.rs").unwrap();
        assert_eq!(dir, Path::new("/journal/octo/app.rs"));
        let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let file = journal_file(Path::new("/j"), &RepoSlug::parse("octo/app").unwrap(), date);
        assert_eq!(file, Path::new("/j/octo/app/2026-11-02.jsonl"));
    }
}
