#!/usr/bin/env bash
# `cargo xtask ci` runs this before the tests, so a local run gets the same services as CI:
# the services are whatever scripts/install-deps.sh provides (today PostgreSQL).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh"
