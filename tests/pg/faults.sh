#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Faults of a shared PostgreSQL store, on a durable cluster (fsync on,
# synchronous_commit on) in DIR:
#   1. kill -9 of a server in the middle of a save loop: every save it
#      acknowledged is in the ledger, and the ledger verifies whole (one
#      transaction per save: no half-written entry);
#   2. PostgreSQL restarted during a save loop: the saves in flight fail
#      with ENETWORK, none acknowledged is lost, and the same process saves
#      again once the database is back (no restart of the host).
# usage: faults.sh DIR (run by suites.sh)
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
dir=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cluster="$top_srcdir/tests/pg/cluster.sh"
loop="$top_builddir/tests/pg/saveloop"
cli="$top_builddir/casescribe"
mkdir -p "$dir"
uri=$("$cluster" start "$dir/pg") || exit 1
trap '"$cluster" stop "$dir/pg"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
psql_q() {
    "$PGBIN/psql" "$uri" -qAt -c "$1"
}
# Every "ok ID" of a log has a record head in the store.
all_acked_kept() {
    grep '^ok ' "$1" | cut -d' ' -f2 | sort > "$dir/acked"
    psql_q "SELECT record FROM heads" | sort > "$dir/heads"
    lost=$(comm -23 "$dir/acked" "$dir/heads" | wc -l)
    [ "$lost" -eq 0 ] || fail "$lost acknowledged saves are not in the ledger ($1)"
    echo "  $(wc -l < "$dir/acked") acknowledged saves, all in the ledger"
}
export CASESCRIBE_STORE="$uri"

echo "-- kill -9 in the middle of a save loop"
: > "$dir/kill.log" # before the loop starts: a background redirect may open it after the first grep
"$loop" "$dir/a" K 100000 0 > "$dir/kill.log" 2> "$dir/kill.err" &
pid=$!
n=0
while [ "$(grep -c '^ok ' "$dir/kill.log")" -lt 20 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 "$pid"
wait "$pid" 2> /dev/null
[ "$(grep -c '^ok ' "$dir/kill.log")" -ge 20 ] || fail "the save loop did not get going: $(cat "$dir/kill.err")"
all_acked_kept "$dir/kill.log"
"$cli" --home "$dir/b" keygen > /dev/null || fail "a second server cannot open the store"
"$cli" --home "$dir/b" journal verify || fail "the ledger does not verify after kill -9"

echo "-- PostgreSQL restarted during a save loop"
: > "$dir/restart.log" # before the loop starts: a background redirect may open it after the first grep
"$loop" "$dir/a" R 100000 20 > "$dir/restart.log" 2> "$dir/restart.err" &
pid=$!
n=0
while [ "$(grep -c '^ok ' "$dir/restart.log")" -lt 10 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
before=$(grep -c '^ok ' "$dir/restart.log")
"$cluster" stop "$dir/pg"
sleep 1
"$cluster" start "$dir/pg" > /dev/null || fail "the cluster did not come back"
n=0
while [ "$(grep -c '^ok ' "$dir/restart.log")" -lt $((before + 20)) ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
kill "$pid"
wait "$pid" 2> /dev/null
fails=$(grep -c '^fail ' "$dir/restart.log")
[ "$fails" -ge 1 ] || fail "no save was in flight while the database was down"
others=$(grep '^fail ' "$dir/restart.log" | grep -vc '^fail [^ ]* -18 ')
[ "$others" -eq 0 ] || fail "saves failed with another status than ENETWORK: $(grep '^fail ' "$dir/restart.log" | grep -v ' -18 ' | head -3)"
last_fail=$(grep -n '^fail ' "$dir/restart.log" | tail -1 | cut -d: -f1)
resumed=$(tail -n +"$last_fail" "$dir/restart.log" | grep -c '^ok ')
[ "$resumed" -ge 1 ] || fail "the same process did not save again once the database was back"
echo "  $fails saves failed with ENETWORK while it was down, e.g.: $(grep '^fail ' "$dir/restart.log" | head -1 | cut -c1-200)"
echo "  $resumed saves acknowledged after it came back, by the same process"
all_acked_kept "$dir/restart.log"
"$cli" --home "$dir/b" journal verify || fail "the ledger does not verify after the restart"
echo "faults: ok"
