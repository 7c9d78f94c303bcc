//! The operator-facing lists of variables stay in step with the registry.

use std::path::Path;

use jobrunner_config::{KEYS, env_vars};

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
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
