//! The env file against its sample, and both against the variables the binaries read.

use crate::check::{Category, Check, CheckResult};
use crate::env_file::EnvFile;
use crate::inputs::{EnvFileInput, FileState, Inputs, KnownVar};

const C: Category = Category::Env;

/// The env file is missing.
pub const ENV_FILE_MISSING: Check = Check::error("env.E001", C);
/// The env file exists but cannot be read.
pub const ENV_FILE_UNREADABLE: Check = Check::error("env.E002", C);
/// The sample is missing.
pub const SAMPLE_MISSING: Check = Check::warn("env.W001", C);
/// Variables the sample sets are missing from the env file.
pub const MISSING_FROM_ENV_FILE: Check = Check::warn("env.W002", C);
/// Variables the env file sets are not in the sample.
pub const MISSING_FROM_SAMPLE: Check = Check::warn("env.W003", C);
/// Variables the binaries read are not in the sample.
pub const READ_BUT_UNDOCUMENTED: Check = Check::warn("env.W004", C);
/// Variables in the sample nothing reads.
pub const DOCUMENTED_BUT_UNREAD: Check = Check::warn("env.W005", C);
/// An unknown `CORE_*` variable.
pub const UNKNOWN_CORE_VAR: Check = Check::warn("env.W006", C);
/// Lines of the env file systemd ignores.
pub const MALFORMED_LINES: Check = Check::warn("env.W007", C);
/// The env file, which holds the token, is readable by every user.
pub const WORLD_READABLE: Check = Check::warn("env.W008", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[
    ENV_FILE_MISSING,
    ENV_FILE_UNREADABLE,
    SAMPLE_MISSING,
    MISSING_FROM_ENV_FILE,
    MISSING_FROM_SAMPLE,
    READ_BUT_UNDOCUMENTED,
    DOCUMENTED_BUT_UNREAD,
    UNKNOWN_CORE_VAR,
    MALFORMED_LINES,
    WORLD_READABLE,
];

/// Runs the env checks.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let env = &inputs.env;
    let mut results = env_file(&env.env_file, &env.sample);
    results.extend(sample(&env.sample, &env.known));
    if let (Some(file), Some(sample)) = (env.env_file.file(), env.sample.file()) {
        results.extend(file_against_sample(file, sample, &env.env_file, &env.sample, &env.known));
    }
    results.extend(unknown_core_vars(inputs));
    if results.is_empty() {
        let file = &env.env_file.path;
        results.push(C.ok(format!("{} matches its sample and what the binaries read", file.display())));
    }
    results
}

fn env_file(input: &EnvFileInput, sample: &EnvFileInput) -> Vec<CheckResult> {
    let path = input.path.display();
    match &input.state {
        FileState::Missing => vec![ENV_FILE_MISSING.result(
            format!("env file {path} is missing"),
            format!(
                "copy the sample ({}) to {path}, fill it in and chmod 600 it, or pass --env-file",
                sample.path.display()
            ),
        )],
        FileState::Unreadable(reason) => vec![ENV_FILE_UNREADABLE.result(
            format!("cannot read env file {path}: {reason}"),
            "run core-status as the service's user (or root), or pass --env-file",
        )],
        FileState::Read { file, world_readable } => {
            let mut results = Vec::new();
            if !file.malformed.is_empty() {
                results.push(MALFORMED_LINES.result(
                    format!("{path}: systemd ignores {}", line_numbers(&file.malformed)),
                    "write each variable as NAME=value on its own line (no `export`, no spaces in NAME)",
                ));
            }
            if *world_readable {
                results.push(WORLD_READABLE.result(
                    format!("env file {path} is readable by every user and may hold the token"),
                    format!("chmod 600 {path}"),
                ));
            }
            results
        }
    }
}

fn sample(input: &EnvFileInput, known: &[KnownVar]) -> Vec<CheckResult> {
    let path = input.path.display();
    let sample = match &input.state {
        FileState::Read { file, .. } => file,
        FileState::Missing => {
            return vec![SAMPLE_MISSING.result(
                format!("env sample {path} is missing"),
                "install deploy/core-ide.env.sample beside the env file, or pass --env-sample",
            )];
        }
        FileState::Unreadable(reason) => {
            return vec![SAMPLE_MISSING.result(
                format!("cannot read env sample {path}: {reason}"),
                "make it readable, or pass --env-sample",
            )];
        }
    };
    let documented = sample.documented_names();
    let mut results = Vec::new();
    let undocumented: Vec<&str> = known
        .iter()
        .filter(|k| k.in_env_file && !documented.contains(&k.name.as_str()))
        .map(|k| k.name.as_str())
        .collect();
    if !undocumented.is_empty() {
        results.push(READ_BUT_UNDOCUMENTED.result(
            format!("{path} omits {} that the binaries read", list(&undocumented)),
            "list each as a commented line (#NAME=default) in the sample",
        ));
    }
    let unread: Vec<&str> =
        documented.iter().copied().filter(|name| !known.iter().any(|k| k.name == *name)).collect();
    if !unread.is_empty() {
        results.push(DOCUMENTED_BUT_UNREAD.result(
            format!("{path} lists {}, which nothing reads", list(&unread)),
            "remove them from the sample, or correct their spelling",
        ));
    }
    results
}

fn file_against_sample(
    file: &EnvFile,
    sample: &EnvFile,
    file_input: &EnvFileInput,
    sample_input: &EnvFileInput,
    known: &[KnownVar],
) -> Vec<CheckResult> {
    let (file_path, sample_path) = (file_input.path.display(), sample_input.path.display());
    let set = file.set_names();
    let mut results = Vec::new();
    let missing: Vec<&str> = sample.set_names().into_iter().filter(|name| !set.contains(name)).collect();
    if !missing.is_empty() {
        results.push(MISSING_FROM_ENV_FILE.result(
            format!("{file_path} lacks {} that {sample_path} sets", list(&missing)),
            format!("set them in {file_path}, or comment them out in the sample if they are optional"),
        ));
    }
    let documented = sample.documented_names();
    // An unknown CORE_* name gets its own result with a suggestion (env.W006).
    let extra: Vec<&str> = set
        .iter()
        .copied()
        .filter(|name| !documented.contains(name) && !is_unknown_core_var(name, known))
        .collect();
    if !extra.is_empty() {
        results.push(MISSING_FROM_SAMPLE.result(
            format!("{file_path} sets {} that {sample_path} does not list", list(&extra)),
            "add them to the sample so other nodes get them, or remove them from the env file",
        ));
    }
    results
}

fn unknown_core_vars(inputs: &Inputs) -> Vec<CheckResult> {
    let env = &inputs.env;
    let in_file = env.env_file.file().map(EnvFile::set_names).unwrap_or_default();
    let mut results = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let found = env
        .process_vars
        .iter()
        .map(|name| (name.as_str(), "the environment".to_owned()))
        .chain(in_file.into_iter().map(|name| (name, env.env_file.path.display().to_string())));
    for (name, place) in found {
        if seen.contains(&name) || !is_unknown_core_var(name, &env.known) {
            continue;
        }
        seen.push(name);
        let closest = closest(name, &env.known);
        results.push(UNKNOWN_CORE_VAR.result(
            format!("unknown variable {name} in {place}: nothing reads it (closest known: {closest})"),
            format!("rename it to {closest} if that was meant, or remove it"),
        ));
    }
    results
}

fn is_unknown_core_var(name: &str, known: &[KnownVar]) -> bool {
    name.starts_with("CORE_") && !known.iter().any(|k| k.name == name)
}

/// The known `CORE_*` variable nearest to `name` by edit distance.
fn closest<'a>(name: &str, known: &'a [KnownVar]) -> &'a str {
    known
        .iter()
        .filter(|k| k.name.starts_with("CORE_"))
        .min_by_key(|k| edit_distance(name, &k.name))
        .map_or("none", |k| k.name.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn list(names: &[&str]) -> String {
    match names {
        [one] => one.to_string(),
        many => format!("{} variables ({})", many.len(), many.join(", ")),
    }
}

/// `line 7` or `lines 3, 7`.
pub(crate) fn line_numbers(lines: &[usize]) -> String {
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    let noun = if lines.len() == 1 { "line" } else { "lines" };
    format!("{noun} {}", text.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("CORE_POLL_INTERVL", "CORE_POLL_INTERVAL"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
