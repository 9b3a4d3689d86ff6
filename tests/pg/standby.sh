#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A synchronous hot standby promoted in the middle of a save loop
# (plugin/doc/deployment.md, "A standby"), on durable clusters in DIR:
#   - the primary (DIR/p) streams to a standby made with `pg_basebackup -R`
#     (DIR/s), named in the primary's synchronous_standby_names, so that a
#     commit returns only once the standby has flushed it;
#   - one host process (tests/pg/saveloop) saves through a connection string
#     that names both servers, with target_session_attrs=read-write;
#   - the primary fails (an immediate stop: no shutdown checkpoint) and the
#     standby is promoted, while the loop runs.
# Then every save the loop acknowledged is in the promoted server's ledger,
# the same process saved again there without a restart, and the ledger
# verifies whole.
# usage: standby.sh DIR (run by suites.sh)
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
dir=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cluster="$top_srcdir/tests/pg/cluster.sh"
loop="$top_builddir/tests/pg/saveloop"
cli="$top_builddir/casescribe"
fail() {
    echo "FAIL: $*"
    exit 1
}
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
# psql_at SOCKET_DIR SQL: one value.
psql_at() {
    "$PGBIN/psql" -h "$1" -U cs -d casescribe -qAt -c "$2"
}
# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
    limit=$(($1 * 10))
    shift
    n=0
    until "$@"; do
        n=$((n + 1))
        [ $n -lt "$limit" ] || return 1
        sleep 0.1
    done
}
acked() {
    grep -c '^ok ' "$dir/loop.log"
}
mkdir -p "$dir/s"
chmod 755 "$dir" "$dir/s"
[ "$(id -u)" -ne 0 ] || chown postgres "$dir/s"
"$cluster" start "$dir/p" > /dev/null || exit 1
trap '"$cluster" stop "$dir/s"; "$cluster" stop "$dir/p"' EXIT

echo "-- a standby made with pg_basebackup -R, synchronous"
as_owner "$PGBIN/pg_basebackup" -h "$dir/p" -U cs -D "$dir/s/db" -R -X stream -c fast > "$dir/basebackup.log" 2>&1 ||
    fail "pg_basebackup: $(cat "$dir/basebackup.log")"
# A later line of postgresql.auto.conf wins: the standby names itself.
echo "primary_conninfo = 'host=$dir/p user=cs application_name=cs_standby'" >> "$dir/s/db/postgresql.auto.conf"
"$cluster" start "$dir/s" > /dev/null || fail "the standby did not start"
streaming() {
    [ "$(psql_at "$dir/p" "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'cs_standby' AND state = 'streaming'")" = 1 ]
}
wait_for 60 streaming || fail "the standby does not stream from the primary"
# Only now is the primary made synchronous: the base backup holds none of
# it, so the standby, once promoted, commits alone (as a promoted standby
# does until it gets a standby of its own).
psql_at "$dir/p" "ALTER SYSTEM SET synchronous_standby_names = 'cs_standby'" > /dev/null &&
    psql_at "$dir/p" "SELECT pg_reload_conf()" > /dev/null || fail "cannot make the standby synchronous"
synchronous() {
    [ "$(psql_at "$dir/p" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'cs_standby'")" = sync ]
}
wait_for 60 synchronous || fail "the standby did not become synchronous"
[ "$(psql_at "$dir/s" "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"
echo "  streaming, sync_state = sync"

export CASESCRIBE_STORE="postgresql:///casescribe?host=$dir/p,$dir/s&user=cs&target_session_attrs=read-write&connect_timeout=5"
echo "-- a commit the synchronous standby never confirmed is not acknowledged"
"$loop" "$dir/h" U 1 0 > "$dir/up.log" 2>&1 && grep -q '^ok U-1$' "$dir/up.log" || fail "no save: $(cat "$dir/up.log")"
"$cluster" stop "$dir/s"
"$loop" "$dir/h" W 1 0 > "$dir/unconfirmed.log" 2> /dev/null &
pid=$!
waiting() {
    [ "$(psql_at "$dir/p" "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" -ge 1 ]
}
# The commit waits for the standby until cancelled (here at once; in use the
# statement timeout cancels it): PostgreSQL then returns it with a warning.
wait_for 60 waiting || { kill "$pid"; fail "the save did not wait for the synchronous standby"; }
psql_at "$dir/p" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" > /dev/null
wait "$pid"
grep -q '^fail W-1 -18 .*synchronous' "$dir/unconfirmed.log" ||
    fail "a save the standby did not confirm was acknowledged: $(cat "$dir/unconfirmed.log")"
echo "  refused: $(cut -c1-160 "$dir/unconfirmed.log")..."
"$cluster" start "$dir/s" > /dev/null || fail "the standby did not start again"
wait_for 60 synchronous || fail "the standby did not become synchronous again"
"$loop" "$dir/h" W 1 0 > "$dir/again.log" 2> /dev/null
grep -q '^ok W-1$' "$dir/again.log" || fail "the same copy saved again was refused: $(cat "$dir/again.log")"
[ "$(psql_at "$dir/p" "SELECT version FROM heads WHERE record = 'W-1'")" = 1 ] ||
    fail "the repeat made a second version"
echo "  the same copy saved again once the standby was back: recognised, still version 1"

echo "-- the primary fails and the standby is promoted during a save loop"
: > "$dir/loop.log" # before the loop starts: a background redirect may open it after the first grep
"$loop" "$dir/h" F 100000 10 > "$dir/loop.log" 2> "$dir/loop.err" &
pid=$!
at_least() {
    [ "$(acked)" -ge "$1" ]
}
wait_for 60 at_least 20 || { kill "$pid"; fail "the save loop did not get going: $(cat "$dir/loop.err")"; }
as_owner "$PGBIN/pg_ctl" -D "$dir/p/db" -m immediate -w stop > /dev/null || fail "cannot stop the primary"
before=$(acked)
as_owner "$PGBIN/pg_ctl" -D "$dir/s/db" -w -t 60 promote > /dev/null || fail "the standby was not promoted"
wait_for 120 at_least $((before + 20)) || { kill "$pid"; fail "the loop did not save again on the promoted standby: $(tail -3 "$dir/loop.log")"; }
kill "$pid"
wait "$pid" 2> /dev/null
[ "$(psql_at "$dir/s" "SELECT pg_is_in_recovery()")" = f ] || fail "the standby is still in recovery"
fails=$(grep -c '^fail ' "$dir/loop.log")
echo "  $before saves acknowledged before the failover, $fails failed during it, $(($(acked) - before)) acknowledged after it by the same process"
[ "$fails" -ge 1 ] || fail "no save was in flight during the failover"
grep '^fail ' "$dir/loop.log" | head -1 | grep -qF "on $dir/p,$dir/s)" || fail "the error does not name both servers"
[ "$(grep '^fail ' "$dir/loop.log" | grep -vc '^fail [^ ]* -18 ')" -eq 0 ] ||
    fail "saves failed with another status than ENETWORK: $(grep '^fail ' "$dir/loop.log" | grep -v ' -18 ' | head -3)"

echo "-- every acknowledged save is on the promoted server"
grep '^ok ' "$dir/loop.log" | cut -d' ' -f2 | sort > "$dir/acked"
psql_at "$dir/s" "SELECT record FROM heads" | sort > "$dir/heads"
lost=$(comm -23 "$dir/acked" "$dir/heads" | wc -l)
[ "$lost" -eq 0 ] || fail "$lost acknowledged saves are not on the promoted standby: $(comm -23 "$dir/acked" "$dir/heads" | head -3)"
echo "  $(wc -l < "$dir/acked") acknowledged saves, all there"
"$cli" --home "$dir/b" keygen > /dev/null || fail "a second server cannot open the promoted store"
"$cli" --home "$dir/b" journal verify || fail "the ledger does not verify on the promoted standby"
echo "standby: ok"
