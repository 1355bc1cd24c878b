#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the state-backend tests and print how to reach it.
#
# Usage:  eval "$(tests/pg/start-postgres.sh [--stop-with PID])"
#
# Installs the server with apt-get only when no PostgreSQL binaries are found (root only). Creates a
# fresh cluster in a new directory under /tmp, listening on 127.0.0.1 on a free port (unix socket in
# the same directory), with a database and a password-protected role, and prints on stdout:
#
#   export RECONCILE_TEST_PG_DSN=postgresql://reconcile:PASSWORD@127.0.0.1:PORT/reconcile
#   export RECONCILE_TEST_PG_DATA=/tmp/reconcile-pg.XXXXXX
#
# Everything else goes to stderr. Stop and remove the cluster with
#   tests/pg/stop-postgres.sh "$RECONCILE_TEST_PG_DATA"
# or, with --stop-with PID, it is stopped and removed by itself once process PID has exited (however
# it exits). When run as root, the cluster runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STOP_WITH=""
if [ "${1:-}" = "--stop-with" ]; then
    STOP_WITH="${2:?--stop-with needs a process id}"
fi

say() { echo "start-postgres: $*" >&2; }

find_bindir() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir)"
        [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

install_server() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "PostgreSQL is not installed and cannot be installed from here."
        say "Install it (Debian/Ubuntu: sudo apt-get install -y postgresql), then run this script again."
        exit 1
    fi
    say "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
}

BINDIR="$(find_bindir)" || { install_server; BINDIR="$(find_bindir)"; }

RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /tmp --shell /usr/sbin/nologin postgres
    RUN_AS=(runuser -u postgres --)
fi

DATA="$(mktemp -d /tmp/reconcile-pg.XXXXXX)"
PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$PASSWORD" > "$DATA/.pwfile"
chmod 700 "$DATA"
[ ${#RUN_AS[@]} -eq 0 ] || chown -R postgres "$DATA"

"${RUN_AS[@]}" "$BINDIR/initdb" --pgdata="$DATA/cluster" --username=reconcile --pwfile="$DATA/.pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-sync >"$DATA/initdb.log" 2>&1 \
    || { cat "$DATA/initdb.log" >&2; exit 1; }
rm -f "$DATA/.pwfile"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

started=""
for _attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    if "${RUN_AS[@]}" "$BINDIR/pg_ctl" --pgdata="$DATA/cluster" --log="$DATA/server.log" --wait --silent \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DATA -c max_connections=300 \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2; then
        started=yes
        break
    fi
    say "could not start on port $PORT, trying another"
done
if [ -z "$started" ]; then
    say "PostgreSQL did not start; its log follows"
    cat "$DATA/server.log" >&2 || true
    exit 1
fi

"${RUN_AS[@]}" "$BINDIR/psql" -X -q -h "$DATA" -p "$PORT" -U reconcile -d postgres \
    -c "CREATE DATABASE reconcile" >&2

if [ -n "$STOP_WITH" ]; then
    # a detached watcher: holds none of our output pipes, so the caller sees end-of-file at once
    setsid nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2/stop-postgres.sh" "$3"' \
        watcher "$STOP_WITH" "$HERE" "$DATA" </dev/null >/dev/null 2>&1 &
fi

say "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') is running on 127.0.0.1:$PORT (data in $DATA)"
echo "export RECONCILE_TEST_PG_DSN=postgresql://reconcile:$PASSWORD@127.0.0.1:$PORT/reconcile"
echo "export RECONCILE_TEST_PG_DATA=$DATA"
