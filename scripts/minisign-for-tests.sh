#!/usr/bin/env bash
# Installs the `minisign` tool that jobrunner-updater's tests sign their manifests with: the
# same tool an operator signs a release with (`minisign -Sm manifest.json`, docs/updates.md),
# so the tests check the crate against real signatures, not ones it made itself.
#
# Safe to run again: does nothing when `minisign` is already on PATH. Otherwise installs
# Debian's `minisign` package with apt-get (through sudo when not root). The tests fail, and
# name this script, when the tool is missing; they never skip.
set -euo pipefail

say() { printf 'minisign-for-tests: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

if command -v minisign >/dev/null 2>&1; then
    say "minisign: $(command -v minisign)"
    exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "minisign is missing and sudo is not there to install it: run as root"
    as_root=(sudo)
fi

say "installing Debian's minisign package"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends minisign >/dev/null
command -v minisign >/dev/null 2>&1 || die "apt-get installed minisign but it is not on PATH"
say "minisign: $(command -v minisign)"
