#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/pg/cluster.sh start DIR | stop DIR | uri DIR
#   A throwaway PostgreSQL cluster for the tests, in DIR (made when missing):
#   initdb into DIR/db, the server on a Unix socket in DIR only
#   (listen_addresses='': no TCP port at all), database "casescribe", user
#   "cs" (trust: the socket is in DIR, mode 0755, which only this test uses).
#   As root (CI), initdb and the server run as the `postgres` user, which
#   the postgresql-15 package creates. Never a system service.
#   `start` prints the libpq URI; exit 77 (skip) when the binaries are absent.
#   CS_PG_FAST=1: fsync off (suites that do not test durability). `restart`
#   stops and starts it again (fault tests). DIR's parent must be
#   searchable by `postgres` when run as root.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|uri DIR" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

uri() {
    echo "postgresql:///casescribe?host=$dir&user=cs"
}

case "$cmd" in
start)
    if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
        echo "SKIP: PostgreSQL binaries not found in $PGBIN (apt-get install postgresql-15)" >&2
        exit 77
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    if [ ! -f "$dir/db/PG_VERSION" ] &&
        ! as_owner "$PGBIN/initdb" -D "$dir/db" -A trust -U cs -E UTF8 --no-locale > "$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        exit 1
    fi
    as_owner "$PGBIN/pg_ctl" -D "$dir/db" -l "$dir/log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c max_connections=200 ${CS_PG_FAST:+-c fsync=off -c full_page_writes=off}" \
        start > /dev/null
    as_owner "$PGBIN/psql" -h "$dir" -U cs -d postgres -qAt \
        -c "SELECT 1 FROM pg_database WHERE datname = 'casescribe'" | grep -q 1 ||
        as_owner "$PGBIN/createdb" -h "$dir" -U cs casescribe
    uri
    ;;
stop)
    [ -f "$dir/db/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/db" -m fast -w stop > /dev/null || true
    ;;
restart)
    as_owner "$PGBIN/pg_ctl" -D "$dir/db" -m fast -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c max_connections=200" restart > /dev/null
    ;;
uri)
    uri
    ;;
*)
    echo "usage: $0 start|stop|restart|uri DIR" >&2
    exit 2
    ;;
esac
