//! The crate layering check: which workspace crate may depend on which.
//!
//! The table is the enforced copy of the layering in docs/ARCHITECTURE.md; change both together.
//! `workspace_respects_layering` runs the check under `cargo test`, so a forbidden edge fails tests
//! even where `cargo xtask ci` is not used.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Crate -> the internal crates it may depend on. A trailing `*` matches every crate with that prefix.
const ALLOWED: &[(&str, &[&str])] = &[
    ("jobrunner-core", &[]),
    ("jobrunner-handlers", &["jobrunner-core"]),
    ("jobrunner-journal", &["jobrunner-core"]),
    ("jobrunner-config", &["jobrunner-core", "jobrunner-handlers", "jobrunner-journal"]),
    ("jobrunner-store", &["jobrunner-core"]),
    ("jobrunner-github", &["jobrunner-core"]),
    ("jobrunner-github-sim", &["jobrunner-core"]),
    ("jobrunner-runner", &["jobrunner-core", "jobrunner-journal", "jobrunner-store", "jobrunner-handlers"]),
    ("jobrunner-notify", &["jobrunner-core"]),
    // core-status shows the installed, previous and available versions as the updater reads them.
    (
        "jobrunner-status",
        &["jobrunner-core", "jobrunner-config", "jobrunner-journal", "jobrunner-store", "jobrunner-updater"],
    ),
    // The node wires the adapters, the store and the runner from the settings.
    (
        "jobrunner-node",
        &[
            "jobrunner-core",
            "jobrunner-config",
            "jobrunner-handlers",
            "jobrunner-journal",
            "jobrunner-store",
            "jobrunner-github",
            "jobrunner-runner",
        ],
    ),
    (
        "jobrunner-bridge",
        &[
            "jobrunner-core",
            "jobrunner-node",
            "jobrunner-runner",
            "jobrunner-journal",
            "jobrunner-handlers",
            "jobrunner-config",
            "jobrunner-status",
        ],
    ),
    ("jobrunner-updater", &["jobrunner-core"]),
    // The tray follows a running node through its handle; updates come from the binary.
    ("jobrunner-desktop", &["jobrunner-core", "jobrunner-node"]),
    // Binaries wire everything together.
    ("core-ide", &["jobrunner-*"]),
    ("core-status", &["jobrunner-*"]),
    ("core-ide-e2e", &["jobrunner-*"]),
    ("xtask", &[]),
];

/// Any crate's tests may use the contracts, the simulated forge, and the real (pure) handlers.
const DEV_ANYWHERE: &[&str] = &["jobrunner-core", "jobrunner-github-sim", "jobrunner-handlers"];

/// External crate -> the one library crate that may use it: the adapter owning that integration.
const CONFINED: &[(&str, &str)] = &[
    ("octocrab", "jobrunner-github"),
    ("sqlx", "jobrunner-store"),
    // D-Bus, only for the desktop mode: servers build without it.
    ("ksni", "jobrunner-desktop"),
    ("zbus", "jobrunner-desktop"),
];

/// I/O crates kept out of the contracts crate, so every other crate can depend on it cheaply.
const CORE_FORBIDDEN: &[&str] = &["reqwest", "hyper", "octocrab", "sqlx", "tokio"];

/// Async tests of the contracts need a runtime, which does not leak into dependents.
const CORE_DEV_ALLOWED: &[&str] = &["tokio"];

const CORE: &str = "jobrunner-core";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DepKind {
    Normal,
    Build,
    Dev,
}

impl DepKind {
    fn verb(self) -> &'static str {
        match self {
            Self::Normal => "depends on",
            Self::Build => "build-depends on",
            Self::Dev => "dev-depends on",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    pub(crate) name: String,
    pub(crate) kind: DepKind,
}

#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub(crate) name: String,
    /// Under `crates/`: the external-crate rules apply to libraries only.
    pub(crate) library: bool,
    pub(crate) dependencies: Vec<Dependency>,
}

/// Prints every violation in the workspace, one per line, and fails if there is any: crate
/// dependencies outside the table, and import circles between a library crate's modules.
pub(crate) fn check(root: &Path) -> Result<()> {
    let packages = workspace_packages(root)?;
    let mut found = violations(&packages);
    found.extend(crate::modules::violations(root)?);
    if found.is_empty() {
        println!(
            "layering: {} workspace crates respect the table in xtask/src/layering.rs, and no library \
             crate's modules import each other in a circle",
            packages.len()
        );
        return Ok(());
    }
    for violation in &found {
        eprintln!("{violation}");
    }
    bail!("{} layering violation(s), listed above", found.len())
}

/// Every rule broken by `packages`, which must be the whole workspace.
pub(crate) fn violations(packages: &[Package]) -> Vec<String> {
    let members: HashSet<&str> = packages.iter().map(|package| package.name.as_str()).collect();
    let mut found = Vec::new();
    for package in packages {
        let allowed = allowed_for(&package.name);
        if allowed.is_none() {
            found.push(format!(
                "crate {} is not in the layering table in xtask/src/layering.rs: \
                 add it there and to docs/ARCHITECTURE.md",
                package.name
            ));
        }
        for dep in &package.dependencies {
            let internal = dep.name.starts_with("jobrunner-") || members.contains(dep.name.as_str());
            if let (true, Some(allowed)) = (internal, allowed) {
                found.extend(internal_violation(package, allowed, dep));
            }
            found.extend(external_violation(package, dep));
        }
    }
    found
}

fn allowed_for(name: &str) -> Option<&'static [&'static str]> {
    ALLOWED.iter().find(|(krate, _)| *krate == name).map(|(_, allowed)| *allowed)
}

fn matches(pattern: &str, name: &str) -> bool {
    pattern.strip_suffix('*').map_or(pattern == name, |prefix| name.starts_with(prefix))
}

fn internal_violation(package: &Package, allowed: &[&str], dep: &Dependency) -> Option<String> {
    let permitted = dep.name == package.name
        || allowed.iter().any(|pattern| matches(pattern, &dep.name))
        || (dep.kind == DepKind::Dev && DEV_ANYWHERE.contains(&dep.name.as_str()));
    if permitted {
        return None;
    }
    let mut listed = if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") };
    if dep.kind == DepKind::Dev {
        listed = format!("{listed}; any crate may dev-depend on {}", DEV_ANYWHERE.join(", "));
    }
    Some(format!(
        "{} {} {}, which the layering table does not allow (allowed: {listed})",
        package.name,
        dep.kind.verb(),
        dep.name
    ))
}

fn external_violation(package: &Package, dep: &Dependency) -> Option<String> {
    let verb = dep.kind.verb();
    if let Some((_, owner)) = CONFINED.iter().find(|(external, _)| *external == dep.name)
        && package.library
        && package.name != *owner
    {
        return Some(format!(
            "{} {verb} {}, which only {owner} may depend on: go through {owner} instead",
            package.name, dep.name
        ));
    }
    let dev_ok = dep.kind == DepKind::Dev && CORE_DEV_ALLOWED.contains(&dep.name.as_str());
    if package.name == CORE && CORE_FORBIDDEN.contains(&dep.name.as_str()) && !dev_ok {
        return Some(format!(
            "{CORE} {verb} {}, which {CORE} may not depend on ({}): move the I/O into an adapter crate",
            dep.name,
            CORE_FORBIDDEN.join(", ")
        ));
    }
    None
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    packages: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    manifest_path: PathBuf,
    dependencies: Vec<RawDependency>,
}

#[derive(Deserialize)]
struct RawDependency {
    name: String,
    kind: Option<String>,
}

/// The workspace members as `cargo metadata` sees them; `--no-deps` lists exactly the members.
fn workspace_packages(root: &Path) -> Result<Vec<Package>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .context("could not start `cargo metadata`: check that cargo is on PATH")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata --format-version 1 --no-deps` exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .context("`cargo metadata` printed JSON this check cannot read")?;
    let libraries = metadata.workspace_root.join("crates");
    metadata.packages.into_iter().map(|raw| package(raw, &libraries)).collect()
}

fn package(raw: RawPackage, libraries: &Path) -> Result<Package> {
    let dependencies = raw
        .dependencies
        .into_iter()
        .map(|dep| Ok(Dependency { kind: dep_kind(dep.kind.as_deref(), &raw.name)?, name: dep.name }))
        .collect::<Result<_>>()?;
    Ok(Package { library: raw.manifest_path.starts_with(libraries), name: raw.name, dependencies })
}

fn dep_kind(kind: Option<&str>, package: &str) -> Result<DepKind> {
    match kind {
        None => Ok(DepKind::Normal),
        Some("build") => Ok(DepKind::Build),
        Some("dev") => Ok(DepKind::Dev),
        Some(other) => bail!(
            "`cargo metadata` lists a dependency of {package} with kind `{other}`: \
             teach xtask/src/layering.rs that kind"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(name: &str, deps: &[(&str, DepKind)]) -> Package {
        let dependencies =
            deps.iter().map(|&(name, kind)| Dependency { name: name.to_owned(), kind }).collect();
        Package { name: name.to_owned(), library: true, dependencies }
    }

    fn bin(name: &str, deps: &[(&str, DepKind)]) -> Package {
        Package { library: false, ..lib(name, deps) }
    }

    use DepKind::{Build, Dev, Normal};

    #[test]
    fn a_graph_following_the_table_passes() {
        let packages = [
            lib("jobrunner-core", &[("serde", Normal), ("tokio", Dev)]),
            lib("jobrunner-handlers", &[("jobrunner-core", Normal), ("jobrunner-github-sim", Dev)]),
            lib("jobrunner-journal", &[("jobrunner-core", Normal)]),
            lib("jobrunner-github", &[("jobrunner-core", Normal), ("octocrab", Normal)]),
            lib("jobrunner-github-sim", &[("jobrunner-core", Normal)]),
            lib("jobrunner-store", &[("jobrunner-core", Build), ("sqlx", Normal)]),
            bin(
                "core-ide",
                &[("jobrunner-handlers", Normal), ("jobrunner-github", Normal), ("sqlx", Normal)],
            ),
            bin("xtask", &[("serde_json", Normal), ("jobrunner-core", Dev)]),
        ];
        assert_eq!(violations(&packages), Vec::<String>::new());
    }

    #[test]
    fn a_forbidden_edge_is_reported_with_the_allowed_list() {
        let packages = [
            lib("jobrunner-core", &[]),
            lib("jobrunner-journal", &[("jobrunner-core", Normal)]),
            lib("jobrunner-handlers", &[("jobrunner-core", Normal), ("jobrunner-journal", Normal)]),
        ];
        assert_eq!(
            violations(&packages),
            ["jobrunner-handlers depends on jobrunner-journal, which the layering table does not allow \
              (allowed: jobrunner-core)"]
        );
    }

    #[test]
    fn a_dev_edge_outside_the_table_and_the_dev_exceptions_is_reported() {
        let packages = [lib("jobrunner-core", &[]), lib("jobrunner-store", &[("jobrunner-runner", Dev)])];
        assert_eq!(
            violations(&packages),
            ["jobrunner-store dev-depends on jobrunner-runner, which the layering table does not allow \
              (allowed: jobrunner-core; any crate may dev-depend on jobrunner-core, jobrunner-github-sim, jobrunner-handlers)"]
        );
    }

    #[test]
    fn a_crate_missing_from_the_table_is_reported() {
        let packages = [lib("jobrunner-core", &[]), lib("jobrunner-extra", &[("jobrunner-core", Normal)])];
        assert_eq!(
            violations(&packages),
            ["crate jobrunner-extra is not in the layering table in xtask/src/layering.rs: \
              add it there and to docs/ARCHITECTURE.md"]
        );
    }

    #[test]
    fn core_may_dev_depend_on_tokio_but_not_depend_on_it() {
        assert!(violations(&[lib("jobrunner-core", &[("tokio", Dev)])]).is_empty());
        assert_eq!(
            violations(&[lib("jobrunner-core", &[("tokio", Normal)])]),
            ["jobrunner-core depends on tokio, which jobrunner-core may not depend on \
              (reqwest, hyper, octocrab, sqlx, tokio): move the I/O into an adapter crate"]
        );
    }

    #[test]
    fn only_the_adapter_library_may_use_a_confined_crate() {
        let packages =
            [lib("jobrunner-runner", &[("sqlx", Normal)]), bin("core-status", &[("octocrab", Normal)])];
        assert_eq!(
            violations(&packages),
            ["jobrunner-runner depends on sqlx, which only jobrunner-store may depend on: \
              go through jobrunner-store instead"]
        );
    }

    #[test]
    fn workspace_respects_layering() {
        let packages =
            workspace_packages(&crate::project_root()).expect("cargo metadata runs on the workspace");
        let found = violations(&packages);
        assert!(found.is_empty(), "layering violations:\n{}", found.join("\n"));
    }
}
