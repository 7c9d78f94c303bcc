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

"$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" minisign-for-tests minisign
command -v minisign >/dev/null 2>&1 || die "apt-get installed minisign but it is not on PATH"
say "minisign: $(command -v minisign)"
