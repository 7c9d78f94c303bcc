//! The node's systemd unit, read from the unit directories rather than asked of `systemctl`, so
//! it works without a running systemd (containers, images, tests) under any root directory.

use std::fmt;
use std::path::{Path, PathBuf};

use jobrunner_config::Secret;

/// The unit core-ide ships as `deploy/core-ide.service`.
pub const UNIT_NAME: &str = "core-ide.service";

/// Where systemd looks for system units, highest precedence first.
pub const UNIT_DIRS: [&str; 5] = [
    "etc/systemd/system",
    "run/systemd/system",
    "usr/local/lib/systemd/system",
    "usr/lib/systemd/system",
    "lib/systemd/system",
];

/// What the unit directories say about core-ide's unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Systemd {
    /// The unit file in force, if one is installed.
    pub unit: Option<UnitFile>,
    /// True when a `*.wants/` or `*.requires/` directory of `/etc/systemd/system` links it.
    pub enabled: bool,
}

/// The parts of a unit file the checks use. Paths are as written in the unit (absolute on the
/// node), not under the root directory the unit was read from.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UnitFile {
    /// The unit file.
    pub path: PathBuf,
    /// The program of `ExecStart=`.
    pub exec_start: Option<PathBuf>,
    /// `EnvironmentFile=` paths, in order (a leading `-`, "ignore if missing", removed).
    pub environment_files: Vec<PathBuf>,
    /// `Environment=` assignments, in order.
    pub environment: Vec<(String, Secret)>,
}

impl fmt::Debug for UnitFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.environment.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("UnitFile")
            .field("path", &self.path)
            .field("exec_start", &self.exec_start)
            .field("environment_files", &self.environment_files)
            .field("environment", &names)
            .finish()
    }
}

impl Systemd {
    /// Reads core-ide's unit from the unit directories under `root` (`/` on a live node). A
    /// unit that cannot be read counts as not installed.
    #[must_use]
    pub fn read(root: &Path) -> Self {
        let unit = UNIT_DIRS.iter().map(|dir| root.join(dir).join(UNIT_NAME)).find_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(UnitFile::parse(path, &text))
        });
        let enabled = unit.is_some() && is_linked(&root.join(UNIT_DIRS[0]));
        Self { unit, enabled }
    }
}

/// `systemctl enable` links the unit into the `.wants/` (or `.requires/`) directory of each
/// target in its `[Install]` section.
fn is_linked(config_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(config_dir) else { return false };
    entries.filter_map(Result::ok).any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        (name.ends_with(".wants") || name.ends_with(".requires"))
            && std::fs::symlink_metadata(entry.path().join(UNIT_NAME)).is_ok()
    })
}

impl UnitFile {
    /// Parses the `[Service]` lines the checks use from a unit file's text.
    #[must_use]
    pub fn parse(path: PathBuf, text: &str) -> Self {
        let mut unit = Self { path, ..Self::default() };
        for line in text.lines().map(str::trim) {
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim();
            match key.trim() {
                "ExecStart" => {
                    // Prefixes such as `-` or `@` change how systemd runs the program.
                    let program = value.trim_start_matches(['-', '@', ':', '+', '!']);
                    unit.exec_start = program.split_whitespace().next().map(PathBuf::from);
                }
                "EnvironmentFile" if value.is_empty() => unit.environment_files.clear(),
                "EnvironmentFile" => {
                    unit.environment_files.push(PathBuf::from(value.trim_start_matches('-')));
                }
                "Environment" if value.is_empty() => unit.environment.clear(),
                "Environment" => unit.environment.extend(words(value).into_iter().filter_map(|word| {
                    let (name, value) = word.split_once('=')?;
                    Some((name.to_owned(), Secret::new(value.to_owned())))
                })),
                _ => {}
            }
        }
        unit
    }
}

/// Splits `A=1 "B=two words"` into words, honouring double and single quotes.
fn words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in value.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_unit_names_its_program_env_file_and_environment() {
        let text = include_str!("../../../deploy/core-ide.service");
        let unit = UnitFile::parse(PathBuf::from("/etc/systemd/system/core-ide.service"), text);
        assert_eq!(unit.exec_start.as_deref(), Some(Path::new("/opt/core-ide/current/core-ide")));
        assert_eq!(unit.environment_files, [PathBuf::from("/etc/core-ide/core-ide.env")]);
        let names: Vec<&str> = unit.environment.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["CORE_DATA_DIR", "CORE_JOURNAL_DIR"]);
    }

    #[test]
    fn quoted_environment_words_keep_their_spaces() {
        let unit = UnitFile::parse(
            PathBuf::from("x.service"),
            "[Service]\nEnvironment=\"CORE_REVIEW_COMMAND=fix it\" CORE_ENV=production\nEnvironmentFile=-/etc/x.env\n",
        );
        let env: Vec<(&str, &str)> = unit.environment.iter().map(|(n, v)| (n.as_str(), v.expose())).collect();
        assert_eq!(env, [("CORE_REVIEW_COMMAND", "fix it"), ("CORE_ENV", "production")]);
        assert_eq!(unit.environment_files, [PathBuf::from("/etc/x.env")]);
    }

    #[test]
    fn a_unit_is_enabled_when_a_target_wants_it() {
        let root = tempfile::tempdir().unwrap();
        let etc = root.path().join(UNIT_DIRS[0]);
        std::fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
        std::fs::write(etc.join(UNIT_NAME), "[Service]\nExecStart=/usr/bin/core-ide\n").unwrap();
        assert!(!Systemd::read(root.path()).enabled);
        std::os::unix::fs::symlink(etc.join(UNIT_NAME), etc.join("multi-user.target.wants").join(UNIT_NAME))
            .unwrap();
        let systemd = Systemd::read(root.path());
        assert!(systemd.enabled);
        assert_eq!(systemd.unit.unwrap().exec_start.as_deref(), Some(Path::new("/usr/bin/core-ide")));
    }
}
