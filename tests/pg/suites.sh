#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The store-level suites written for the SQLite store, run again against a
# shared PostgreSQL store (each home a schema of its own in one throwaway
# cluster), then two servers' saves racing (race.sh), the cross-server
# tests (test_pg) and the fault tests
# (faults.sh, on a durable cluster of their own) and a synchronous standby
# promoted mid-run (standby.sh, two durable clusters). Skips (77) only when the
# PostgreSQL binaries are absent.
#
# Left out here: tests that open or edit <home>/ledger.db with SQLite
# itself, or that are about the home's own keys/fingerprint.secret file
# (a shared store keeps the council's secret; test_pg covers it).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
    echo "SKIP: PostgreSQL binaries not found in $PGBIN (apt-get install postgresql-15): the PostgreSQL store is not tested"
    exit 77
fi
dir=$(mktemp -d /tmp/cs-pg-suites.XXXXXX)
chmod 755 "$dir" # the cluster runs as postgres when the tests run as root
cleanup() {
    "$top_srcdir/tests/pg/cluster.sh" stop "$dir/pg"
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
# Durability is not what these suites test: the faults below run on a durable cluster.
uri=$(CS_PG_FAST=1 "$top_srcdir/tests/pg/cluster.sh" start "$dir/pg") || exit 1
failed=0
suite() {
    name=$1
    shift
    echo "== $name on PostgreSQL"
    if ! env CASESCRIBE_STORE="$uri" CASESCRIBE_TEST_STORE_PER_HOME=1 CS_PG_URI="$uri" \
        "$top_builddir/tests/unit/$name" -j2 "$@"; then
        echo "FAIL: $name on PostgreSQL"
        failed=$((failed + 1))
    fi
}
suite test_save --filter 'save/!(journal_holds_ids_and_digests_but_no_text_or_names)'
suite test_launder
suite test_keys --filter 'keys/!(a_deleted_fingerprint_secret_*|a_fresh_home_may_create_*|an_unreadable_key_registry_*)'
suite test_two_phase --filter '*/!(a_schema_1_ledger_is_upgraded_on_open)'
suite test_tamper
suite test_checkpoint --filter 'checkpoint/!(a_subject_access_export_from_before_a_truncation_*|clock_back_*|forged_save_entry_*|last_entry_forged|rechained|store_deleted|store_swapped_*|truncated_at_every_boundary)'
echo "== casescribe store on the command line"
cli_store() {
    cli="$top_builddir/casescribe" h="$dir/cli" to="$uri&options=-csearch_path%3Dcli_copy"
    env -u CASESCRIBE_STORE "$cli" --home "$h" keygen > /dev/null &&
        env -u CASESCRIBE_STORE "$cli" --home "$h" demo > /dev/null 2>&1 &&
        env -u CASESCRIBE_STORE "$cli" --home "$h" store status | grep -q "kind: sqlite" &&
        "$cli" --home "$h" store copy --to "$to" | grep -q "^copied [0-9]* entries" &&
        ! "$cli" --home "$h" store copy --to "$to" 2> /dev/null &&
        "$cli" --home "$h" --store "$to" store status | grep -q "kind: postgresql" &&
        echo "store = $to" > "$h/casescribe.conf" &&
        "$cli" --home "$h" store migrate | grep -q "schema: 2" &&
        "$cli" --home "$h" journal verify | grep -q "PostgreSQL database" &&
        "$cli" --home "$h" --store sqlite journal verify | grep -q "ledger.db"
}
cli_store || { echo "FAIL: casescribe store on the command line"; failed=$((failed + 1)); }
echo "== two servers saving at the same moment"
sh "$top_srcdir/tests/pg/race.sh" "$uri" "$dir/race" || { echo "FAIL: race.sh"; failed=$((failed + 1)); }
echo "== cross-server tests"
env CS_PG_URI="$uri" "$top_builddir/tests/unit/test_pg" -j2 || { echo "FAIL: test_pg"; failed=$((failed + 1)); }
"$top_srcdir/tests/pg/cluster.sh" stop "$dir/pg"
echo "== faults (durable cluster)"
sh "$top_srcdir/tests/pg/faults.sh" "$dir/faults" || { echo "FAIL: faults.sh"; failed=$((failed + 1)); }
echo "== a synchronous standby promoted during a save loop"
sh "$top_srcdir/tests/pg/standby.sh" "$dir/standby" || { echo "FAIL: standby.sh"; failed=$((failed + 1)); }
[ "$failed" -eq 0 ] || { echo "$failed PostgreSQL parts failed"; exit 1; }
echo "PostgreSQL store: every suite passed"
