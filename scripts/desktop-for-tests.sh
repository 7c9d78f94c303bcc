#!/usr/bin/env bash
# Installs what the desktop-mode tests need (tests/desktop.rs, tests/tray_host.rs): a D-Bus
# daemon for the private session bus, and for the one real tray host an X server (Xvfb), a
# panel that hosts StatusNotifierItems (lxqt-panel: its statusnotifier plugin is its own
# watcher and host), xdotool to click the icon and ImageMagick's `import` for the screenshot.
#
# Safe to run again: installs only the Debian packages whose tool is missing, with apt-get
# (through sudo when not root), waiting for another apt-get to let go of the lock. The tests
# fail, and name this script, when a tool is missing; they never skip.
set -euo pipefail

say() { printf 'desktop-for-tests: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

# tool, then the Debian package that ships it
wanted=(
    "dbus-daemon dbus-daemon"
    "Xvfb xvfb"
    "lxqt-panel lxqt-panel"
    "xdotool xdotool"
    "import imagemagick"
)

missing=()
for pair in "${wanted[@]}"; do
    read -r tool package <<<"$pair"
    command -v "$tool" >/dev/null 2>&1 || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    say "all there: dbus-daemon, Xvfb, lxqt-panel, xdotool, import"
    exit 0
fi

install=("$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" desktop-for-tests)
# Older releases ship dbus-daemon inside the `dbus` package.
"${install[@]}" "${missing[@]}" || "${install[@]}" "${missing[@]/dbus-daemon/dbus}"
for pair in "${wanted[@]}"; do
    read -r tool package <<<"$pair"
    command -v "$tool" >/dev/null 2>&1 || die "apt-get installed $package but $tool is not on PATH"
done
say "installed ${missing[*]}"
