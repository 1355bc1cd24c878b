#!/usr/bin/env bash
# Stop a cluster started by tests/pg/start-postgres.sh and delete its directory.
#
# Usage:  tests/pg/stop-postgres.sh "$RECONCILE_TEST_PG_DATA"
set -euo pipefail

DATA="${1:?usage: stop-postgres.sh DATA_DIRECTORY (printed by start-postgres.sh as RECONCILE_TEST_PG_DATA)}"
case "$DATA" in
    /tmp/reconcile-pg.*) ;;
    *) echo "stop-postgres: $DATA was not made by start-postgres.sh; refusing to touch it" >&2; exit 1 ;;
esac
[ -d "$DATA" ] || exit 0

PG_CTL=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(dirname "$(command -v pg_ctl || echo /)")"; do
    [ -x "$candidate/pg_ctl" ] && { PG_CTL="$candidate/pg_ctl"; break; }
done

RUN_AS=()
[ "$(id -u)" -ne 0 ] || RUN_AS=(runuser -u postgres --)
if [ -n "$PG_CTL" ] && [ -f "$DATA/cluster/postmaster.pid" ]; then
    "${RUN_AS[@]}" "$PG_CTL" --pgdata="$DATA/cluster" --mode=immediate --wait --silent stop >&2 || true
fi
rm -rf "$DATA"
