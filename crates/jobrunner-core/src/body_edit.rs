//! The guarded edit of an issue body: ticking an epic's box must never overwrite what a person
//! wrote meanwhile.
//!
//! GitHub's `PATCH /repos/{owner}/{repo}/issues/{n}` replaces the whole body and takes no
//! precondition, so the guard is ours. The decision remembers the body it was made on as a
//! [`BodyDigest`] (the source computes it from the epic it read; a signal carries it in
//! `epic_body_sha256`). The forge then, with nothing else mutating in between (inside its
//! mutation gate):
//! 1. reads the body again and gives up as [`FailureClass::Conflict`] when its digest is not the
//!    decided one: a person edited the epic since, so the decision is made again next cycle on
//!    the new body;
//! 2. computes the new body from the body it just read, and writes it;
//! 3. reads the body once more and gives up as `Conflict` when it is not what was written
//!    (someone saved over it right after the write): next cycle decides again and, if the tick
//!    was lost, ticks again.
//!
//! What remains unguarded is a save landing between the read of step 1 and the write of step
//! 2, back to back: GitHub offers no conditional write to close that window.
//!
//! ```
//! use jobrunner_core::{BodyDigest, FailureClass, GuardedEdit, RepoSlug};
//!
//! let repo = RepoSlug::parse("octo/app").unwrap();
//! let decided = BodyDigest::of("- [ ] #3\n");
//! let guard = GuardedEdit::new("tick_parent", &repo, 1, Some(&decided));
//! let edited = guard.apply("- [ ] #3\n", &|body: &str| Ok(Some(body.replace("[ ]", "[x]")))).unwrap();
//! assert_eq!(edited.as_deref(), Some("- [x] #3\n"));
//! let changed = guard.apply("- [ ] #3\n- [ ] #4\n", &|_: &str| Ok(None)).unwrap_err();
//! assert_eq!(changed.class, FailureClass::Conflict);
//! ```

use sha2::{Digest, Sha256};

use crate::failure::FailureClass;
use crate::forge_error::ForgeError;
use crate::names::{BodyDigest, RepoSlug};

impl BodyDigest {
    /// The SHA-256 of `body`'s UTF-8 bytes.
    #[must_use]
    pub fn of(body: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hash = Sha256::digest(body.as_bytes());
        let hex: String = hash
            .iter()
            .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]])
            .map(char::from)
            .collect();
        Self::new(hex).expect("a SHA-256 in hex is 64 lower-case hex digits")
    }
}

/// What a guarded edit did to a body: its digest before and after, for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyChange {
    /// SHA-256 of the body as read right before the write.
    pub before: BodyDigest,
    /// SHA-256 of the body written (and read back).
    pub after: BodyDigest,
}

/// The change a guarded edit makes: the new body computed from the current one, `None` when
/// there is nothing to write (someone made the change already), or an error (the body no longer
/// allows it).
pub type BodyEdit<'a> = dyn Fn(&str) -> Result<Option<String>, ForgeError> + Send + Sync + 'a;

/// The checks around one guarded write of `repo`'s issue `issue`; see the module documentation.
#[derive(Debug, Clone)]
pub struct GuardedEdit<'a> {
    operation: &'static str,
    repo: &'a RepoSlug,
    issue: u64,
    decided: Option<&'a BodyDigest>,
}

impl<'a> GuardedEdit<'a> {
    /// The guard of a write decided on the body whose digest is `decided`; with `None` (a
    /// signal that carries no digest), the body read right before the write is the baseline.
    #[must_use]
    pub fn new(
        operation: &'static str,
        repo: &'a RepoSlug,
        issue: u64,
        decided: Option<&'a BodyDigest>,
    ) -> Self {
        Self { operation, repo, issue, decided }
    }

    /// Step 1 and 2: checks that `current` (read right before the write) is the decided body
    /// and computes the body to write with `edit`.
    pub fn apply(&self, current: &str, edit: &BodyEdit<'_>) -> Result<Option<String>, ForgeError> {
        if let Some(decided) = self.decided {
            let now = BodyDigest::of(current);
            if now != *decided {
                return Err(ForgeError::new(
                    self.operation,
                    FailureClass::Conflict,
                    format!(
                        "{}#{} was edited since the decision (body sha256 {decided} then, {now} now): nothing written; decided again next cycle on the new body",
                        self.repo, self.issue
                    ),
                ));
            }
        }
        edit(current)
    }

    /// Step 3: checks that `reread` (read right after the write) is `written`, and says what
    /// changed from `before`.
    pub fn verify(&self, before: &str, written: &str, reread: &str) -> Result<BodyChange, ForgeError> {
        let after = BodyDigest::of(written);
        if reread != written {
            return Err(ForgeError::new(
                self.operation,
                FailureClass::Conflict,
                format!(
                    "{}#{} changed right after the write (body sha256 {after} written, {} read back): someone saved over it; decided again next cycle",
                    self.repo,
                    self.issue,
                    BodyDigest::of(reread)
                ),
            ));
        }
        Ok(BodyChange { before: BodyDigest::of(before), after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoSlug {
        RepoSlug::parse("octo/app").unwrap()
    }

    #[test]
    fn the_digest_is_sha256_in_lower_case_hex() {
        assert_eq!(
            BodyDigest::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_body_edited_since_the_decision_is_not_written() {
        let repo = repo();
        let decided = BodyDigest::of("- [ ] #3\n");
        let guard = GuardedEdit::new("tick_parent", &repo, 1, Some(&decided));
        let error = guard.apply("- [ ] #3\nnew line\n", &|_: &str| panic!("never edited")).unwrap_err();
        assert_eq!(error.class, FailureClass::Conflict);
        assert!(error.detail.contains("octo/app#1 was edited since the decision"), "{}", error.detail);
    }

    #[test]
    fn without_a_decided_digest_the_body_read_is_the_baseline() {
        let repo = repo();
        let guard = GuardedEdit::new("tick_parent", &repo, 1, None);
        assert_eq!(guard.apply("a", &|b: &str| Ok(Some(format!("{b}b")))).unwrap().as_deref(), Some("ab"));
    }

    #[test]
    fn a_body_saved_over_right_after_the_write_is_a_conflict() {
        let repo = repo();
        let guard = GuardedEdit::new("tick_parent", &repo, 1, None);
        let error = guard.verify("- [ ] #3\n", "- [x] #3\n", "- [ ] #3\n").unwrap_err();
        assert_eq!(error.class, FailureClass::Conflict);
        assert!(error.detail.contains("changed right after the write"), "{}", error.detail);
        let change = guard.verify("- [ ] #3\n", "- [x] #3\n", "- [x] #3\n").unwrap();
        assert_eq!(change.before, BodyDigest::of("- [ ] #3\n"));
        assert_eq!(change.after, BodyDigest::of("- [x] #3\n"));
    }
}
