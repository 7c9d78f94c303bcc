//! The operator-facing lists of variables stay in step with the registry.

use std::path::{Path, PathBuf};

use jobrunner_config::{KEYS, env_vars, settings_table};

fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn repo_file(path: &str) -> String {
    let full = repo_path(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

const TABLE_START: &str = "<!-- settings table: generated from jobrunner-config's KEYS, edit crates/jobrunner-config/src/registry.rs -->\n";
const TABLE_END: &str = "<!-- end of settings table -->";

/// How to bring the docs in step, for the failure message.
const REGENERATE: &str = "UPDATE_DOCS=1 cargo test -p jobrunner-config --test docs";

#[test]
fn configuration_doc_settings_table_is_the_generated_one() {
    let doc = repo_file("docs/configuration.md");
    let (before, rest) =
        doc.split_once(TABLE_START).expect("docs/configuration.md has the table's start marker");
    let (table, after) =
        rest.split_once(TABLE_END).expect("docs/configuration.md has the table's end marker");
    let generated = settings_table();
    if table == generated {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{before}{TABLE_START}{generated}{TABLE_END}{after}");
        std::fs::write(repo_path("docs/configuration.md"), updated)
            .expect("docs/configuration.md is writable");
        return;
    }
    panic!(
        "docs/configuration.md's settings table is not the one the registry generates ({}); run \
         `{REGENERATE}` and commit the file",
        first_difference(table, &generated)
    );
}

/// The first line where `old` and `new` differ, both shown.
fn first_difference(old: &str, new: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let line = (0..old.len().max(new.len())).find(|&i| old.get(i) != new.get(i)).unwrap_or(0);
    format!("line {} of the table: {:?} in the file, {:?} generated", line + 1, old.get(line), new.get(line))
}

#[test]
fn configuration_doc_names_every_key_and_variable() {
    let doc = repo_file("docs/configuration.md");
    for key in KEYS {
        assert!(doc.contains(&format!("| `{}` |", key.name)), "docs/configuration.md lacks key {}", key.name);
    }
    for var in env_vars() {
        assert!(doc.contains(&format!("`{}`", var.name)), "docs/configuration.md lacks {}", var.name);
    }
}

#[test]
fn env_sample_names_every_variable_and_nothing_else() {
    let sample = repo_file("deploy/core-ide.env.sample");
    let known: Vec<&str> = env_vars().iter().filter(|v| v.in_env_file).map(|v| v.name).collect();
    let listed: Vec<&str> = sample
        .lines()
        .map(|l| l.trim_start_matches('#'))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name))
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !name.is_empty())
        .collect();
    for var in &known {
        assert!(listed.contains(var), "deploy/core-ide.env.sample lacks {var}");
    }
    for var in &listed {
        assert!(
            known.contains(var),
            "deploy/core-ide.env.sample lists {var}, which nothing reads or which the operator does not set"
        );
    }
}

#[test]
fn the_deployment_files_set_only_variables_the_binaries_read() {
    let known: Vec<&str> = env_vars().iter().map(|v| v.name).collect();
    for file in ["deploy/compose.yaml", "deploy/Dockerfile", "deploy/core-ide.service"] {
        let text = repo_file(file);
        let names = text
            .split(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
            .filter(|word| word.starts_with("CORE_") && word.len() > "CORE_".len());
        let mut seen = 0;
        for name in names {
            seen += 1;
            assert!(known.contains(&name), "{file} sets {name}, which no binary reads");
        }
        assert!(seen > 0, "{file} configures core-ide through CORE_* variables");
    }
}
