#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and writes its URL where the tests look for it.
#
#   scripts/postgres-for-tests.sh          start one (or reuse the one already running), print its URL
#   scripts/postgres-for-tests.sh --stop   stop it and delete its data
#   scripts/postgres-for-tests.sh --pause  stop it, keeping its data and port (an outage)
#   scripts/postgres-for-tests.sh --resume start it again on the same port, after --pause
#
# With TMPDIR set to a directory of its own, a test gets a server of its own that it may
# pause and resume (`jobrunner_store::testing::OwnServer`); the directory must be readable by
# the `postgres` user when the script runs as root. CORE_TEST_POSTGRES_FIRST_PORT moves the
# range of ports tried (default 55432 to 55532).
#
# The server: a fresh cluster (initdb) in a temporary directory, trust authentication, user
# `postgres`, listening on 127.0.0.1 only, on the first free port from 55432, without fsync
# (test data need not survive a crash). Its URL goes to $TMPDIR/core-ide-test-postgres.url
# (/tmp when TMPDIR is unset), which `jobrunner_store::testing::TestDatabase` reads when
# CORE_TEST_DATABASE_URL is unset and nothing accepts postgres@127.0.0.1:5432.
#
# When PostgreSQL's server programs are missing, installs Debian's `postgresql` package with
# apt-get (through sudo when not root). As root, the cluster runs as the `postgres` user.
set -euo pipefail

tmp="${TMPDIR:-/tmp}"
tmp="${tmp%/}"
url_file="$tmp/core-ide-test-postgres.url"
dir_file="$tmp/core-ide-test-postgres.dir"
# A test's own server (`testing::OwnServer`) picks another range, so that a port it frees by
# pausing is not taken meanwhile by a server another test starts.
first_port="${CORE_TEST_POSTGRES_FIRST_PORT:-55432}"
last_port=$((first_port + 100))

say() { printf 'postgres-for-tests: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

# The directory holding initdb, pg_ctl and postgres, newest version first.
find_bindir() {
    local candidate
    if command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_postgresql() {
    "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" postgres-for-tests postgresql ||
        die "PostgreSQL could not be installed: install PostgreSQL 13 or newer with this system's package manager, or set CORE_TEST_DATABASE_URL"
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root
# (initdb and postgres refuse to run as root).
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Whether the server behind the URL in $url_file accepts a login.
running() {
    [[ -s "$url_file" ]] || return 1
    local url
    url="$(cat "$url_file")"
    if command -v psql >/dev/null 2>&1; then
        PGCONNECT_TIMEOUT=3 psql -w -q -t -A -c 'SELECT 1' "$url" >/dev/null 2>&1
    elif command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -d "$url"
    else
        return 1
    fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop() {
    if [[ -s "$dir_file" ]]; then
        local data bindir
        data="$(cat "$dir_file")"
        if bindir="$(find_bindir)" && [[ -d "$data" ]]; then
            as_owner "$bindir/pg_ctl" -D "$data/data" -m fast -w stop >&2 || true
        fi
        [[ "$data" == "$tmp"/core-ide-test-postgres.* ]] && rm -rf -- "$data"
    fi
    rm -f -- "$url_file" "$dir_file"
    say "stopped"
}

# Starts the cluster in $2/data with the programs in $1 on port $3.
launch() {
    as_owner "$1/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$3 -c unix_socket_directories=$2 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >&2
}

start() {
    if running; then
        cat "$url_file"
        return 0
    fi
    # A stale record of a server that no longer answers: clean it up first.
    if [[ -e "$url_file" || -e "$dir_file" ]]; then
        stop 2>/dev/null
    fi

    local bindir
    if ! bindir="$(find_bindir)"; then
        install_postgresql
        bindir="$(find_bindir)" || die "postgresql was installed but initdb and pg_ctl cannot be found"
    fi
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "running as root, but there is no postgres user to own the cluster: create one, or run as another user"
    fi

    local data
    data="$(mktemp -d "$tmp/core-ide-test-postgres.XXXXXX")"
    printf '%s\n' "$data" >"$dir_file"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres "$data"
    fi
    as_owner "$bindir/initdb" -D "$data/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        --no-sync >"$data/initdb.log" 2>&1 ||
        as_owner "$bindir/initdb" -D "$data/data" -U postgres --auth=trust --encoding=UTF8 --no-locale \
            --no-sync >"$data/initdb.log" 2>&1 ||
        die "initdb failed; see $data/initdb.log"

    local port started=""
    for ((port = first_port; port <= last_port; port++)); do
        port_free "$port" || continue
        if launch "$bindir" "$data" "$port"; then
            started="$port"
            break
        fi
        # Taken between the check and the start: try the next one.
        grep -q "could not bind\|Address already in use" "$data/server.log" 2>/dev/null ||
            die "the server did not start; see $data/server.log"
    done
    [[ -n "$started" ]] || die "no free port between $first_port and $last_port"

    local url="postgres://postgres@127.0.0.1:$started/postgres"
    printf '%s\n' "$url" >"$url_file.new"
    mv -f -- "$url_file.new" "$url_file"
    say "started PostgreSQL in $data on 127.0.0.1:$started (stop it with: $0 --stop)"
    printf '%s\n' "$url"
}

# Stops the server, keeping its data directory and URL for --resume.
pause() {
    [[ -s "$dir_file" ]] || die "no server to pause: start one first"
    local bindir
    bindir="$(find_bindir)" || die "initdb and pg_ctl cannot be found"
    as_owner "$bindir/pg_ctl" -D "$(cat "$dir_file")/data" -m fast -w stop >&2
    say "paused"
}

# Starts a paused server again on the port in its URL.
resume() {
    [[ -s "$dir_file" && -s "$url_file" ]] || die "no paused server to resume"
    local bindir data url port
    bindir="$(find_bindir)" || die "initdb and pg_ctl cannot be found"
    data="$(cat "$dir_file")"
    url="$(cat "$url_file")"
    port="${url##*:}"
    port="${port%%/*}"
    launch "$bindir" "$data" "$port" || die "the server did not start again; see $data/server.log"
    say "resumed on 127.0.0.1:$port"
}

case "${1:-}" in
"") start ;;
--stop) stop ;;
--pause) pause ;;
--resume) resume ;;
*) die "usage: $0 [--stop|--pause|--resume]" ;;
esac
