#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `casescribe doctor`: a healthy home exits 0 with one ok line per check;
# each problem it can see, provoked here, names itself and exits 1
# (warnings) or 2 (failures); --format json says the same.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
cs="$BIN/casescribe"
data="$top_srcdir/tests/data"

# doctor HOME WANT-EXIT: runs it, keeps the output in $work/out
doctor() {
    set +e
    "$cs" --home "$1" doctor > "$work/out" 2>&1
    code=$?
    set -e
    [ "$code" -eq "$2" ] || fail "doctor on $1 exited $code, not $2: $(cat "$work/out")"
}
expect() {
    grep -q "$1" "$work/out" || fail "doctor did not say '$1': $(cat "$work/out")"
}

# a healthy home: a key, a policy, a save
make_home() {
    "$cs" --home "$1" keygen > /dev/null
    "$cs" --home "$1" team enable cin-north ai-draft --actor dpo-1 > /dev/null
    "$cs" --home "$1" save "$data/home-visit.xml" -o "$work/v1.xml" --actor sw-017
}
good="$work/good"
make_home "$good"
doctor "$good" 0
for check in store home keys-folder keys fingerprint ledger checkpoint clock policy; do
    grep -q "^ok   $check " "$work/out" || fail "no ok line for $check: $(cat "$work/out")"
done
grep -qv '^ok ' "$work/out" && fail "a healthy home has a line that is not ok: $(cat "$work/out")"
expect 'ledger .*3 entries'
expect 'store .*sqlite.* store, schema [0-9][0-9]* (this library writes [0-9][0-9]*)'
expect 'checkpoint .*is the chain head (3 entries)'
expect 'policy .*team cin-north: version 1, valid'
"$cs" --home "$good" doctor --format json > "$work/json" || fail "doctor --format json on a healthy home"
"${PYTHON3:-python3}" - "$work/json" << 'PY' || fail "doctor --format json: $(cat "$work/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok", d
assert {c["check"] for c in d["checks"]} >= {"store", "keys", "fingerprint", "ledger", "checkpoint", "clock", "policy"}, d
assert all(c["status"] == "ok" for c in d["checks"]), d
PY
# doctor changes nothing
sum=$(find "$good" -type f -exec sha256sum {} + | sort)
doctor "$good" 0
[ "$(find "$good" -type f -exec sha256sum {} + | sort)" = "$sum" ] || fail "doctor changed the home"

# each problem, on a fresh copy of the good home (the library itself
# refuses to open a home others may write, or whose secrets others may
# read: doctor says so as a failed store check)
fresh() {
    rm -rf "$work/h"
    cp -a "$good" "$work/h"
    h="$work/h"
    key=$(find "$h/keys" -name 'ed25519:*.key')
}
fresh; chmod 750 "$h"; doctor "$h" 1; expect '^warn home .*mode 750: others may look inside'
fresh; chmod 777 "$h"; doctor "$h" 2; expect '^FAIL store .*writable by others (mode 777)'
fresh; chmod 755 "$h/keys"; doctor "$h" 1; expect '^warn keys-folder .*mode 755'
fresh; chmod 644 "$key"; doctor "$h" 2; expect '^FAIL store .*\.key: it is readable by others (mode 644)'
fresh; rm "$key"; doctor "$h" 2; expect '^FAIL store .*\.key: No such file'
fresh; cp "$key" "$h/keys/ed25519:0000000000000000.key"; doctor "$h" 1
expect '^warn keys .*ed25519:0000000000000000.key is not in the key registry'
fresh; chmod 640 "$h/keys/fingerprint.secret"; doctor "$h" 2
expect '^FAIL store .*fingerprint.secret: it is readable by others (mode 640)'
fresh; mv "$h/keys/fingerprint.secret" "$work/secret"; doctor "$h" 2; expect '^FAIL fingerprint .*is missing: restore it'
fresh; sed -i 's/ai-draft="on"/ai-draft="off"/' "$h/policy/cin-north.xml"; doctor "$h" 2
expect '^FAIL policy .*team cin-north: NOT USED'
fresh; sqlite3 "$h/ledger.db" "UPDATE ledger SET payload = replace(payload, 'dpo-1', 'dpo-9') WHERE seq = 2"
doctor "$h" 2; expect '^FAIL ledger '
fresh; sqlite3 "$h/ledger.db" "DELETE FROM checkpoints WHERE size = (SELECT max(size) FROM checkpoints)"
doctor "$h" 1; expect '^warn checkpoint .*the latest checkpoint covers 2 of 3 entries'
doctor "$work/no-such-home" 2; expect '^FAIL store .*does not open'
# the clock: commits made an hour ahead (a clock shifted by LD_PRELOAD of
# tests/e2e/clockshift.c), then doctor with the real clock, 100 s later
# and an hour and 100 s later (skipped under sanitizers, whose runtime must
# be the first preload)
if [ "${SANITIZERS:-no}" != yes ]; then
    ${CC:-cc} -shared -fPIC -o "$work/clockshift.so" "$top_srcdir/tests/e2e/clockshift.c" -ldl ||
        fail "cannot build the clock shim"
    fresh
    CS_CLOCK_OFFSET=3600 LD_PRELOAD="$work/clockshift.so" "$cs" --home "$h" team enable cin-north transcription \
        > /dev/null || fail "a policy change an hour ahead"
    doctor "$h" 2; expect '^FAIL clock .*this clock is 3[56][0-9][0-9] s behind the ledger.s last commit: saves are refused'
    set +e
    CS_CLOCK_OFFSET=3500 LD_PRELOAD="$work/clockshift.so" "$cs" --home "$h" doctor > "$work/out" 2>&1
    [ $? -eq 1 ] || fail "doctor 100 s behind should warn: $(cat "$work/out")"
    set -e
    expect '^warn clock .*s behind the ledger.s last commit (check NTP)'
    CS_CLOCK_OFFSET=3700 LD_PRELOAD="$work/clockshift.so" "$cs" --home "$h" doctor > "$work/out" ||
        fail "doctor after the last commit: $(cat "$work/out")"
    expect '^ok   clock '
fi

# an empty folder is no home yet: the store does not open (text and json)
mkdir -m 700 "$work/empty"
doctor "$work/empty" 2; expect '^FAIL store .*does not open'
"$cs" --home "$work/empty" doctor --format json > "$work/json" && fail "doctor --format json exited 0 on an empty home"
grep -q '"status":"fail"' "$work/json" || fail "json status: $(cat "$work/json")"
set +e
"$cs" --home "$good" doctor --bogus > /dev/null 2>&1
[ $? -eq 2 ] || fail "doctor --bogus should be a usage error"
set -e
echo "doctor: a healthy home is ok (text and json) and unchanged; 13 problems found and graded, the clock ahead and behind"
