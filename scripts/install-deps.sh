#!/usr/bin/env bash
# Installs and starts what the tests need besides the Rust toolchain; .ci/run calls it before
# `cargo xtask ci`. Safe to run again: it only acts on what is missing.
#
# PostgreSQL (the store and fleet tests use a real one, and never skip):
# - CORE_TEST_DATABASE_URL set: that server is used, nothing to do;
# - postgres@127.0.0.1:5432 accepts a login: that server is used, nothing to do;
# - otherwise scripts/postgres-for-tests.sh starts a throwaway server (installing Debian's
#   postgresql package if needed) and writes its URL where the tests find it.
set -euo pipefail

script_dir="$(dirname "${BASH_SOURCE[0]}")"
root="$(cd "$script_dir/.." && pwd)"

say() { printf 'install-deps: %s\n' "$*" >&2; }

# Whether the local server on 5432 is the one the tests would use: it accepts postgres
# without a password (the tests try exactly that before the throwaway server).
local_server_usable() {
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=3 psql -w -q -t -A -c 'SELECT 1' "postgres://postgres@127.0.0.1:5432/postgres" \
            >/dev/null 2>&1
    else
        # No client to log in with: something answering is the best evidence there is.
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

if [[ -n "${CORE_TEST_DATABASE_URL:-}" ]]; then
    say "PostgreSQL: using CORE_TEST_DATABASE_URL"
elif local_server_usable; then
    say "PostgreSQL: using the server on 127.0.0.1:5432"
else
    say "PostgreSQL: nothing usable on 127.0.0.1:5432, starting a throwaway server"
    "$root/scripts/postgres-for-tests.sh" >/dev/null
fi

# The third-party MCP clients (Python SDK, Inspector CLI on its own Node 22) and the browser
# the bridge and panel tests drive; cached under /var/tmp/core-ide-tools, so a second run
# takes a second.
say "MCP clients and Chromium: scripts/test-clients.sh"
"$root/scripts/test-clients.sh" >/dev/null

# minisign: the updater's tests sign their manifests with the real tool.
say "minisign: scripts/minisign-for-tests.sh"
"$root/scripts/minisign-for-tests.sh" >/dev/null

# D-Bus, Xvfb, lxqt-panel, xdotool and ImageMagick: the desktop mode's tests (a private session
# bus with a fake tray watcher, and once a real tray host under Xvfb).
say "desktop tray tools: scripts/desktop-for-tests.sh"
"$root/scripts/desktop-for-tests.sh" >/dev/null
