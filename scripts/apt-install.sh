#!/usr/bin/env bash
# Installs Debian packages for the test set-up scripts: `scripts/apt-install.sh WHO PACKAGE...`,
# where WHO names the caller in messages. The one place that knows how: apt-get as root, through
# sudo otherwise, non-interactive, waiting up to 10 minutes for another apt-get (a parallel
# install, unattended-upgrades) to let go of the dpkg lock instead of failing.
set -euo pipefail

who="${1:?usage: apt-install.sh WHO PACKAGE...}"
shift
(($# > 0)) || { echo "apt-install: $who asked for no package" >&2; exit 2; }

say() { printf '%s: %s\n' "$who" "$*" >&2; }

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "missing $* and this user cannot install it (not root, no sudo): run as root"; exit 1; }
    as_root=(sudo)
fi
command -v apt-get >/dev/null 2>&1 || { say "missing $* and apt-get is missing: install it with this system's package manager"; exit 1; }

say "installing Debian's $*"
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq >/dev/null
"${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
