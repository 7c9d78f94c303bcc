//! The environment variables the binaries read: each setting's, and the few read elsewhere.

use crate::KEYS;

/// An environment variable a binary reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: &'static str,
    /// What it sets.
    pub purpose: &'static str,
    /// True when its value must never be printed.
    pub secret: bool,
    /// True when the operator sets it, so it belongs in the node's env file (and its sample).
    /// False for variables the session or the service manager provides (`HOME`, `DISPLAY`,
    /// `NOTIFY_SOCKET`) or that only matter on a terminal (`NO_COLOR`).
    pub in_env_file: bool,
}

const fn operator(name: &'static str, purpose: &'static str, secret: bool) -> EnvVar {
    EnvVar { name, purpose, secret, in_env_file: true }
}

const fn ambient(name: &'static str, purpose: &'static str) -> EnvVar {
    EnvVar { name, purpose, secret: false, in_env_file: false }
}

/// Variables read outside the settings table. The binaries read these names through this
/// table's entries, so core-status can tell an env file what is read and what is not.
const OTHER_ENV_VARS: &[EnvVar] = &[
    operator("CORE_CONFIG", "Path of the TOML config file", false),
    operator("CORE_GITHUB_TOKEN", "GitHub token (preferred over GITHUB_TOKEN)", true),
    operator("GITHUB_TOKEN", "GitHub token, when CORE_GITHUB_TOKEN is unset", true),
    operator(
        "RUST_LOG",
        "Filter of core-ide's JSON logs, such as info or jobrunner_runner=debug [default: info]",
        false,
    ),
    ambient("HOME", "Home directory: ~ in paths, the default config file"),
    ambient("DISPLAY", "X11 display: mode auto runs the desktop app when set"),
    ambient("WAYLAND_DISPLAY", "Wayland display: mode auto runs the desktop app when set"),
    ambient("NOTIFY_SOCKET", "systemd's notification socket (READY, WATCHDOG, STOPPING), set by systemd"),
    ambient("NO_COLOR", "core-status prints no colour when set to a non-empty value"),
];

/// Every environment variable the binaries read: the settings table, the config path, the
/// token variables, the log filter, and what the session or systemd provides.
#[must_use]
pub fn env_vars() -> Vec<EnvVar> {
    KEYS.iter()
        .map(|k| EnvVar { name: k.env, purpose: k.help, secret: k.is_secret(), in_env_file: true })
        .chain(OTHER_ENV_VARS.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variable_is_registered_once() {
        let vars = env_vars();
        for var in &vars {
            assert_eq!(vars.iter().filter(|v| v.name == var.name).count(), 1, "{}", var.name);
        }
    }
}
