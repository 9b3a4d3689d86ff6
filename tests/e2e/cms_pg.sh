#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Two instances of the example case management system (examples/cms), as
# two application servers of one council: each with its own home and its
# own signing key, both naming one throwaway PostgreSQL cluster as their
# store (tests/pg/cluster.sh) and sharing one CMS database file. Walked in
# real headless Chromium by tests/browser/cms_two.mjs: a record drafted by
# AI and saved as a draft through instance A is reviewed and saved as final
# through instance B, and its seal checks out on both. Then each home's key
# is in the shared registry, and the shared ledger verifies from either
# home. Screenshots go to $ARTIFACTS (default tests/artifacts in the build
# tree) as cms2-NN-step.png. Skips (77) when the PostgreSQL binaries are
# absent, as tests/pg/suites.sh does.
. "$top_srcdir/tests/e2e/lib.sh"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
    echo "SKIP: PostgreSQL binaries not found in $PGBIN (apt-get install postgresql-15): two CMS instances not tested"
    exit 77
fi
py="${PYTHON3:-python3}"
chromium=${CHROMIUM:-/usr/bin/chromium}
command -v "$py" > /dev/null 2>&1 || fail "no Python 3 ($py): install the Debian package python3"
command -v node > /dev/null 2>&1 || fail "node not found: install it with tools/setup deps"
[ -x "$chromium" ] || fail "Chromium ($chromium) not found: install it with tools/setup deps (Debian package chromium)"
[ -d "$top_srcdir/tests/browser/node_modules/playwright-core" ] ||
    fail "tests/browser/node_modules is missing: install it with tools/setup deps (npm ci --prefix tests/browser)"
command -v espeak-ng > /dev/null 2>&1 ||
    fail "espeak-ng not found: install the Debian package espeak-ng (it speaks the test's visit recording)"

install_tree
binding_env cms_pg
cp -R "$top_srcdir/ffi/python" "$work/python"
cp -R "$top_srcdir/examples/cms" "$work/cms"
export PYTHONPATH="$work/python"

artifacts="${ARTIFACTS:-$top_builddir/tests/artifacts}"
mkdir -p "$artifacts"
rm -f "$artifacts"/cms2-*

# As root (CI) the cluster runs as `postgres`, which must reach its folder:
# $work searchable (not readable) by others; the homes stay 0700.
chmod 711 "$work"
a="" b=""
cleanup() {
    for pid in $a $b; do kill "$pid" 2> /dev/null || true; done
    for pid in $a $b; do wait "$pid" 2> /dev/null || true; done
    sh "$top_srcdir/tests/pg/cluster.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
uri=$(CS_PG_FAST=1 sh "$top_srcdir/tests/pg/cluster.sh" start "$work/pg") ||
    fail "the PostgreSQL cluster did not start (log: $(cat "$work/pg/log" 2> /dev/null))"

# Each server's home names the shared store; the schema is made once.
for h in home-a home-b; do
    mkdir -m 700 "$work/$h"
    echo "store = $uri" > "$work/$h/casescribe.conf"
done
"$BIN/casescribe" --home "$work/home-a" store init > "$work/init.out" 2>&1 || fail "store init: $(cat "$work/init.out")"

espeak-ng -v en-us+f5 -s 130 -g 5 -w "$work/visit.wav" \
    "The kitchen was clean and tidy. The bedroom was clean. Her mother was present.
     We agreed the next visit is on Monday. We agreed to book the doctor." || fail "espeak-ng failed"

# start NAME HOME [--demo]: an instance on a free port, sharing $work/cms.db; sets $port.
start() {
    name=$1 home=$2
    shift 2
    # With an ASan/UBSan build the runtime is preloaded into Python, as cms.sh does.
    if [ "${SANITIZERS:-no}" = yes ]; then
        LD_PRELOAD="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)" \
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            "$py" "$work/cms/cms.py" --home "$work/$home" --db "$work/cms.db" --port 0 --instance "$name" "$@" \
            > "$work/$name.log" 2>&1 &
    else
        "$py" "$work/cms/cms.py" --home "$work/$home" --db "$work/cms.db" --port 0 --instance "$name" "$@" \
            > "$work/$name.log" 2>&1 &
    fi
    pid=$!
    tries=0
    until grep -q '^serving on http://127.0.0.1:[0-9]*/' "$work/$name.log"; do
        kill -0 "$pid" 2> /dev/null || { cat "$work/$name.log" >&2; fail "CMS instance $name did not start"; }
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || { cat "$work/$name.log" >&2; fail "CMS instance $name did not start within 60 s"; }
        sleep 0.2
    done
    port=$(sed -n 's|^serving on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/$name.log")
}
start server-a home-a --demo
a=$pid port_a=$port
start server-b home-b
b=$pid port_b=$port
[ "$port_a" != "$port_b" ] || fail "both instances report port $port_a"
password=$(sed -n 's/^demo user north-worker *password \([^ ]*\) .*/\1/p' "$work/server-a.log")
[ -n "$password" ] || fail "instance A printed no demo password"
# Each instance made its own key in its own home.
key_a=$(sed -n "s/^made the home's signing key //p" "$work/server-a.log")
key_b=$(sed -n "s/^made the home's signing key //p" "$work/server-b.log")
[ -n "$key_a" ] && [ -n "$key_b" ] && [ "$key_a" != "$key_b" ] ||
    fail "the instances did not make a key each (A: '$key_a', B: '$key_b')"

rc=0
CMS_A_URL="http://127.0.0.1:$port_a" CMS_B_URL="http://127.0.0.1:$port_b" CMS_A_NAME=server-a CMS_B_KEY="$key_b" \
    CMS_NORTH_PASSWORD="$password" CMS_AUDIO="$work/visit.wav" ARTIFACTS="$artifacts" CHROMIUM="$chromium" \
    node "$top_srcdir/tests/browser/cms_two.mjs" > "$work/walk.log" 2>&1 || rc=$?
cat "$work/walk.log"
cp "$work/walk.log" "$artifacts/cms2-walk.log"
logs() {
    for name in server-a server-b; do
        echo "--- log of $name" >&2
        grep -v '^demo user' "$work/$name.log" >&2
    done
}
[ "$rc" -eq 0 ] || { logs; fail "the two-instance browser walk failed (exit $rc; screenshots in $artifacts)"; }
if grep -q 'Traceback' "$work/server-a.log" "$work/server-b.log"; then
    logs
    fail "a CMS instance raised an error while serving (above)"
fi

# Either home's registry holds both keys (no `keys trust` needed: the
# registry is shared), and the one shared ledger (both servers' saves,
# policy changes and keys) verifies from either home.
for h in home-a home-b; do
    "$BIN/casescribe" --home "$work/$h" keys list > "$work/keys.out" 2>&1 ||
        fail "keys list in $h: $(cat "$work/keys.out")"
    grep -q "^$key_a " "$work/keys.out" && grep -q "^$key_b " "$work/keys.out" ||
        fail "the registry seen from $h lacks a server's key: $(cat "$work/keys.out")"
    "$BIN/casescribe" --home "$work/$h" journal verify > "$work/journal.out" 2>&1 ||
        fail "journal verify in $h: $(cat "$work/journal.out")"
    grep -q "PostgreSQL database" "$work/journal.out" ||
        fail "journal verify in $h did not check the shared store: $(cat "$work/journal.out")"
done
[ ! -e "$work/home-a/ledger.db" ] && [ ! -e "$work/home-b/ledger.db" ] ||
    fail "an instance wrote a ledger of its own (ledger.db) instead of the shared store"

echo "cms_pg: a record saved through instance A was finalised through instance B on one PostgreSQL ledger"
echo "cms_pg: screenshots in $artifacts/cms2-*.png"
