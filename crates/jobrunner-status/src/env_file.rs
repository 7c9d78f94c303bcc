//! Env files as systemd's `EnvironmentFile=` reads them, and their samples.
//!
//! An assignment is `NAME=value` on its own line; the value may be quoted, and a line ending in
//! a backslash continues on the next. Lines starting with `#` or `;` are comments, but a
//! comment that is itself an assignment (`#CORE_POLL_INTERVAL=60s`) is kept as a *commented*
//! entry: a sample documents optional variables that way. A line systemd would ignore — such as
//! `export NAME=value`, whose name is not valid — is kept as malformed, so a check can say so.

use std::fmt;

use jobrunner_config::Secret;

/// One assignment in an env file.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// The variable.
    pub name: String,
    /// Its value, quotes removed; a secret as far as printing goes.
    pub value: Secret,
    /// 1-based line number where the assignment starts.
    pub line: usize,
    /// True for `#NAME=value`: documented, not set.
    pub commented: bool,
}

impl fmt::Debug for EnvEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvEntry")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("commented", &self.commented)
            .finish_non_exhaustive()
    }
}

/// A parsed env file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFile {
    /// Assignments, set and commented, in file order.
    pub entries: Vec<EnvEntry>,
    /// 1-based numbers of lines that are neither blank, a comment, nor an assignment.
    pub malformed: Vec<usize>,
}

impl EnvFile {
    /// Parses the text of an env file.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut file = Self::default();
        let mut lines = text.lines().enumerate();
        while let Some((index, raw)) = lines.next() {
            let number = index + 1;
            let mut line = raw.trim().to_owned();
            // systemd joins a line ending in a backslash with the next one.
            while line.ends_with('\\') {
                line.pop();
                match lines.next() {
                    Some((_, next)) => line.push_str(next.trim()),
                    None => break,
                }
            }
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix(['#', ';']) {
                let documented = comment.trim_start_matches(['#', ';', ' ']);
                if let Some((name, value)) = assignment(documented).filter(|(n, _)| is_upper_name(n)) {
                    file.entries.push(entry(name, value, number, true));
                }
                continue;
            }
            match assignment(&line) {
                Some((name, value)) => file.entries.push(entry(name, value, number, false)),
                None => file.malformed.push(number),
            }
        }
        file
    }

    /// The set assignments (not commented), last one per name winning, as systemd applies them.
    #[must_use]
    pub fn vars(&self) -> Vec<(&str, &str)> {
        let mut vars: Vec<(&str, &str)> = Vec::new();
        for entry in self.entries.iter().filter(|e| !e.commented) {
            vars.retain(|(name, _)| *name != entry.name);
            vars.push((entry.name.as_str(), entry.value.expose()));
        }
        vars
    }

    /// Names set (not commented), each once, in file order.
    #[must_use]
    pub fn set_names(&self) -> Vec<&str> {
        unique(self.entries.iter().filter(|e| !e.commented).map(|e| e.name.as_str()))
    }

    /// Names set or commented, each once, in file order.
    #[must_use]
    pub fn documented_names(&self) -> Vec<&str> {
        unique(self.entries.iter().map(|e| e.name.as_str()))
    }

    /// The value set for `name`, if any (the last assignment).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars().into_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

fn entry(name: &str, value: &str, line: usize, commented: bool) -> EnvEntry {
    EnvEntry { name: name.to_owned(), value: Secret::new(unquote(value.trim())), line, commented }
}

/// `NAME=value` with a valid variable name.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once('=')?;
    let name = name.trim_end();
    is_name(name).then_some((name, value))
}

fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Commented prose must not read as an assignment: documented names are upper case.
fn is_upper_name(name: &str) -> bool {
    is_name(name) && !name.bytes().any(|b| b.is_ascii_lowercase())
}

fn unquote(value: &str) -> String {
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    if quoted('"') {
        let inner = &value[1..value.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some(next @ ('"' | '\\' | '$' | '`'))) => {
                    out.push(next);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        out
    } else if quoted('\'') {
        value[1..value.len() - 1].to_owned()
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_comments_and_documented_variables_are_told_apart() {
        let file = EnvFile::parse(
            "# Environment of a node. Copy to core-ide.env=here and edit.\n\
             CORE_GITHUB_TOKEN=ghp_x\n\
             \n\
             #CORE_POLL_INTERVAL=60s\n\
             ; CORE_MODE=headless\n\
             CORE_REPOS = \"octo/app,octo/lib\"\n\
             export RUST_LOG=debug\n\
             CORE_REVIEW_COMMAND='fix the \"reviews\"'\n\
             CORE_CONFLICT_COMMAND=fix \\\n  merge conflict\n",
        );
        let names: Vec<(&str, bool, usize)> =
            file.entries.iter().map(|e| (e.name.as_str(), e.commented, e.line)).collect();
        assert_eq!(
            names,
            [
                ("CORE_GITHUB_TOKEN", false, 2),
                ("CORE_POLL_INTERVAL", true, 4),
                ("CORE_MODE", true, 5),
                ("CORE_REPOS", false, 6),
                ("CORE_REVIEW_COMMAND", false, 8),
                ("CORE_CONFLICT_COMMAND", false, 9),
            ]
        );
        assert_eq!(file.malformed, [7], "systemd ignores `export NAME=...`");
        assert_eq!(file.get("CORE_REPOS"), Some("octo/app,octo/lib"));
        assert_eq!(file.get("CORE_REVIEW_COMMAND"), Some("fix the \"reviews\""));
        assert_eq!(file.get("CORE_CONFLICT_COMMAND"), Some("fix merge conflict"));
    }

    #[test]
    fn the_last_assignment_of_a_name_wins() {
        let file = EnvFile::parse("CORE_ENV=staging\nCORE_ENV=production\n");
        assert_eq!(file.vars(), [("CORE_ENV", "production")]);
        assert_eq!(file.set_names(), ["CORE_ENV"]);
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let file = EnvFile::parse("CORE_GITHUB_TOKEN=ghp_supersecret\n");
        assert!(!format!("{file:?}").contains("supersecret"));
    }
}
